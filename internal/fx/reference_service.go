package fx

import (
	"context"
	"fmt"
	"io"
	"maps"
	"strings"
	"sync"
	"time"

	"bricstown/internal/identity"
	"bricstown/internal/money"
	"bricstown/internal/problem"
)

// checkBand compares a bank's new price with the official reference mid of
// its pair. A price outside the band is refused with the band in the
// message: one bank must not be able to publish a rate (such as CNY/KZT bid
// 0.000001) that customs or a settlement cycle could then take as the
// town's rate. Without a reference for the pair the price is accepted and
// flagged.
func (s *Service) checkBand(ctx context.Context, r Rate, now time.Time) (string, error) {
	set, err := s.ReferenceSet(ctx, now)
	if err != nil {
		return "", fmt.Errorf("fx: read reference rates: %w", err)
	}
	mid, date, ok := set.Mid(r.Pair)
	if !ok {
		return FlagNoReference, nil
	}
	band := s.cfg.BandBps
	lo, hi := Band(mid, band)
	explain := fmt.Sprintf("must lie within %s%% of the official reference mid %s %s (reference of %s): between %s and %s",
		percentOfBps(band), RateOfRat(mid), r.Pair, date, RateOfRat(lo), RateOfRat(hi))
	f := problem.Fields{}
	if !WithinBand(ratOf(r.Bid), mid, band) {
		f.Add("bid", explain)
	}
	if !WithinBand(ratOf(r.Ask), mid, band) {
		f.Add("ask", explain)
	}
	if len(f) > 0 {
		return "", &problem.Error{Code: problem.Invalid, Message: "the rate is too far from the official reference rate", Fields: f,
			Err: &BandError{Pair: r.Pair, Mid: RateOfRat(mid), Low: RateOfRat(lo), High: RateOfRat(hi), Date: date, BandBps: band}}
	}
	return "", nil
}

// BandError is the cause inside the Invalid error for a price outside the
// reference band, so that a page can explain the band in its own language.
type BandError struct {
	Pair           Pair
	Mid, Low, High money.Rate
	Date           string
	BandBps        int64
}

func (e *BandError) Error() string {
	return fmt.Sprintf("%s outside %s..%s (reference %s of %s)", e.Pair, e.Low, e.High, e.Mid, e.Date)
}

// BandBps is the configured band around the reference mid.
func (s *Service) BandBps() int64 { return s.cfg.BandBps }

// CanPublishReference is the one rule for who publishes the town's official
// rates: the platform administrator, or a bank operator of the settlement
// centre. Never an ordinary bank: the point of the table is that no market
// participant sets it.
func (s *Service) CanPublishReference(ctx context.Context, p *identity.Principal) bool {
	if p == nil {
		return false
	}
	if p.Has(identity.PlatformAdmin) {
		return true
	}
	if !p.Has(identity.BankOperator) || s.cfg.CentreOrg == nil {
		return false
	}
	centre, err := s.cfg.CentreOrg(ctx)
	return err == nil && centre != "" && centre == p.OrgID
}

// PublishReference publishes one date's official rates.
func (s *Service) PublishReference(ctx context.Context, p *identity.Principal, in NewReferenceTable) ([]ReferenceRate, error) {
	if err := signedIn(p); err != nil {
		return nil, err
	}
	if !s.CanPublishReference(ctx, p) {
		return nil, problem.New(problem.Forbidden, "only the platform administrator or the settlement centre publishes reference rates")
	}
	rows, err := in.Validate()
	if err != nil {
		return nil, err
	}
	return s.publishReference(ctx, p, rows, "api")
}

// ImportReferenceCSV publishes every table of a CSV file (see
// ParseReferenceCSV) in one transaction: a bad line stores nothing.
func (s *Service) ImportReferenceCSV(ctx context.Context, p *identity.Principal, r io.Reader) ([]ReferenceRate, error) {
	if err := signedIn(p); err != nil {
		return nil, err
	}
	if !s.CanPublishReference(ctx, p) {
		return nil, problem.New(problem.Forbidden, "only the platform administrator or the settlement centre publishes reference rates")
	}
	tables, err := ParseReferenceCSV(r)
	if err != nil {
		return nil, err
	}
	var rows []ReferenceRate
	seen := map[string]bool{}
	for _, t := range tables {
		got, err := t.Validate()
		if err != nil {
			return nil, err
		}
		for _, g := range got {
			if k := g.Date + g.Currency; seen[k] {
				return nil, &problem.Error{Code: problem.Invalid, Message: "the reference rate file is not valid",
					Fields: map[string]string{"file": fmt.Sprintf("%s on %s is listed twice", g.Currency, g.Date)}}
			} else {
				seen[k] = true
			}
		}
		rows = append(rows, got...)
	}
	return s.publishReference(ctx, p, rows, "csv")
}

func (s *Service) publishReference(ctx context.Context, p *identity.Principal, rows []ReferenceRate, via string) ([]ReferenceRate, error) {
	now := s.now()
	dates := map[string]bool{}
	for i := range rows {
		rows[i].Publisher, rows[i].PublishedBy, rows[i].PublishedAt = p.OrgID, p.UserID, now
		dates[rows[i].Date] = true
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d rate(s) on %d date(s) via %s from %q:", len(rows), len(dates), via, rows[0].Source)
	for i, r := range rows {
		if i == 20 {
			b.WriteString(" …")
			break
		}
		fmt.Fprintf(&b, " %s %d %s=%s KZT", r.Date, r.Units, r.Currency, r.KZT)
	}
	rec := record(p, "fx.reference.publish", "fx_reference", rows[0].Date, p.OrgID, "", b.String())
	if err := s.store.PublishReference(ctx, rows, rec); err != nil {
		return nil, fmt.Errorf("fx: publish reference rates: %w", err)
	}
	s.refs.clear()
	return rows, nil
}

// Reference lists the reference rate in force on date (YYYY-MM-DD; empty
// means today) for each currency. Official rates are public in the town.
func (s *Service) Reference(ctx context.Context, p *identity.Principal, date string) ([]ReferenceRate, error) {
	if err := signedIn(p); err != nil {
		return nil, err
	}
	if strings.TrimSpace(date) == "" {
		date = s.now().Format(time.DateOnly)
	}
	d, err := parseDate(date)
	if err != nil {
		return nil, &problem.Error{Code: problem.Invalid, Message: "the date is not valid", Fields: map[string]string{"date": err.Error()}}
	}
	return s.store.ReferenceRates(ctx, d)
}

// ReferenceSet is the reference in force on the date of at, for pricing
// checks and settlement (no principal: the platform itself reads it).
//
// Every customs valuation and every cycle reads it, so a date's set is
// kept for referenceTTL: a publication through this process is seen at
// once, one through another process sharing the database within that
// time (a profile of `bench customs` had a quarter of its CPU in this
// read).
func (s *Service) ReferenceSet(ctx context.Context, at time.Time) (ReferenceSet, error) {
	date := at.UTC().Format(time.DateOnly)
	if set, ok := s.refs.get(date); ok {
		return set, nil
	}
	rows, err := s.store.ReferenceRates(ctx, date)
	if err != nil {
		return nil, err
	}
	set := make(ReferenceSet, len(rows))
	for _, r := range rows {
		set[r.Currency] = r
	}
	s.refs.put(date, set)
	return maps.Clone(set), nil
}

// referenceTTL bounds how long another process's publication may go
// unseen by this one.
const referenceTTL = time.Second

// referenceCache holds recently read reference sets by date.
type referenceCache struct {
	mu   sync.Mutex
	sets map[string]cachedReference
}

type cachedReference struct {
	set  ReferenceSet
	read time.Time
}

// get returns a copy (callers may change their set) of a fresh entry.
func (c *referenceCache) get(date string) (ReferenceSet, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.sets[date]
	if !ok || time.Since(e.read) > referenceTTL {
		return nil, false
	}
	return maps.Clone(e.set), true
}

func (c *referenceCache) put(date string, set ReferenceSet) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sets == nil || len(c.sets) > 64 {
		c.sets = map[string]cachedReference{} // a few dates are read at a time
	}
	c.sets[date] = cachedReference{set: maps.Clone(set), read: time.Now()}
}

func (c *referenceCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sets = nil
}

// KZTRate is the official tenge price of one unit of ccy on date (the
// newest reference on or before it), for customs valuation. There is no
// fallback to a bank's quote: without a reference the answer is an error
// that says which rate to publish.
func (s *Service) KZTRate(ctx context.Context, ccy string, date time.Time) (money.Rate, error) {
	ccy = strings.ToUpper(strings.TrimSpace(ccy))
	if ccy == KZT {
		return money.ParseRate("1")
	}
	set, err := s.ReferenceSet(ctx, date)
	if err != nil {
		return money.Rate{}, err
	}
	r, ok := set[ccy]
	if !ok {
		return money.Rate{}, problem.New(problem.Invalid,
			"no official reference rate for %s on or before %s; the platform or the settlement centre must publish one", ccy, date.UTC().Format(time.DateOnly))
	}
	return r.PerUnitRate()
}
