package settlement

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"bricstown/internal/identity"
	"bricstown/internal/iso20022"
	"bricstown/internal/ledger"
	"bricstown/internal/period"
	"bricstown/internal/problem"
)

// CentreBIC is the settlement centre's BIC (ISO 9362) in the messages the
// platform writes: pacs.009 cycle files and camt.053 statements.
const CentreBIC = "BTSCKZKA"

// maxStatementEntries bounds one camt.053 statement; maxStatementWalk bounds
// how many ledger entries are read to find the period's start.
const (
	maxStatementEntries = 20_000
	maxStatementWalk    = 200_000
	// maxCycleScan bounds how many cycle numbers a statement tries when it
	// names the cycle behind each settlement entry.
	maxCycleScan = 2_000_000
)

// cycleClockSlack is how far a cycle's recorded settlement time may lie
// from its ledger transfers' timestamps: both are taken in the cycle's one
// transaction.
const cycleClockSlack = time.Minute

// StatementRequest asks for the camt.053 statement of the caller's bank's
// settlement account in Currency over [From, To): dates YYYY-MM-DD (To
// includes its whole day) or RFC 3339 times. The default is today until
// now; a period never ends after now.
type StatementRequest struct {
	Currency string
	From, To string
}

// StatementFile is a rendered camt.053 statement.
type StatementFile struct {
	Currency string
	To       time.Time // the period's end, for the file's name
	XML      []byte
}

// Statement builds the camt.053 of p's bank's settlement account over the
// requested period from the ledger's history: the opening balance is the
// balance after the last entry before from, each entry's amount is the
// change it made to the posted balance (pending holds change nothing and
// are left out), and the closing balance follows. An entry a cycle made
// names that cycle's pacs.009 (BTS-Cnnnnnn).
func (s *Service) Statement(ctx context.Context, p *identity.Principal, req StatementRequest) (StatementFile, error) {
	f := problem.Fields{}
	ccy := strings.ToUpper(strings.TrimSpace(req.Currency))
	exp, ok := s.cfg.Exponent(ccy)
	switch {
	case ccy == "":
		f.Add("currency", "required: the settlement account's currency, e.g. KZT")
	case !ok:
		f.Add("currency", "must be an ISO 4217 currency that holds money")
	}
	from, to := statementPeriod(req.From, req.To, s.cfg.Now().UTC(), f)
	if err := f.Err("bad statement request"); err != nil {
		return StatementFile{}, err
	}
	if p == nil || p.OrgID == "" {
		return StatementFile{}, problem.New(problem.Forbidden, "only a bank reads its settlement statement")
	}
	acct, err := s.cfg.Ledger.AccountByCode(ctx, p.OrgID, ccy, SettlementCode)
	if problem.Is(err, problem.NotFound) {
		err = problem.New(problem.NotFound, "your bank has no settlement account in %s", ccy)
	}
	if err != nil {
		return StatementFile{}, err
	}
	byOrg, _, err := s.participants(ctx)
	if err != nil {
		return StatementFile{}, err
	}
	part, isPart := byOrg[p.OrgID]
	bic := "NOTAPART"
	if isPart && part.BIC != "" {
		bic = part.BIC
	}
	owner := ""
	if s.cfg.Orgs != nil {
		if o, err := s.cfg.Orgs.Org(ctx, p.OrgID); err == nil {
			owner = o.Name
		}
	}
	if owner == "" {
		owner = bic
	}
	msg, err := s.statement(ctx, acct, exp, part, isPart, owner, bic, from, to)
	if err != nil {
		return StatementFile{}, err
	}
	var buf bytes.Buffer
	if err := iso20022.WriteCamt053(&buf, msg); err != nil {
		return StatementFile{}, fmt.Errorf("camt.053 of %s: %w", acct.ID, err)
	}
	return StatementFile{Currency: ccy, To: to, XML: buf.Bytes()}, nil
}

// statementPeriod reads the period's bounds (see StatementRequest) and
// collects what is wrong with them in f.
func statementPeriod(fromText, toText string, now time.Time, f problem.Fields) (from, to time.Time) {
	from = period.Bound(f, "from", fromText, false, now.UTC().Truncate(24*time.Hour))
	to = period.Bound(f, "to", toText, true, now)
	if to.After(now) {
		to = now
	}
	switch {
	case len(f) > 0:
	case from.After(now):
		f.Add("from", "must not be in the future")
	case to.Before(from):
		f.Add("to", "must not be before from")
	case to.Sub(from) > 366*24*time.Hour:
		f.Add("to", "a statement covers at most 366 days")
	}
	return from, to
}

func (s *Service) statement(ctx context.Context, acct ledger.Account, exp int, part Participant, isPart bool, ownerName, ownerBIC string,
	from, to time.Time) (*iso20022.StatementMessage, error) {
	natural := func(t *ledger.Transfer) int64 {
		if t.DebitAccount == acct.ID {
			return acct.Kind.Natural(t.DebitBalanceAfter)
		}
		return acct.Kind.Natural(t.CreditBalanceAfter)
	}
	prev := func(t *ledger.Transfer) int64 {
		if t.DebitAccount == acct.ID {
			return t.DebitPrev
		}
		return t.CreditPrev
	}
	var inPeriod []ledger.Transfer // newest first
	var opening int64
	cursor, walked := int64(0), 0
walk:
	for {
		h, err := s.cfg.Ledger.HistoryOf(ctx, acct.ID, cursor, 500)
		if err != nil {
			return nil, err
		}
		for i := range h {
			t := &h[i]
			walked++
			switch {
			case !t.Timestamp.Before(to):
			case t.Timestamp.Before(from):
				opening = natural(t)
				break walk
			default:
				inPeriod = append(inPeriod, *t)
				if len(inPeriod) > maxStatementEntries {
					return nil, &problem.Error{Code: problem.Invalid, Message: "the period is too long for one statement",
						Fields: map[string]string{"to": fmt.Sprintf("the period has more than %d entries: ask for a shorter one", maxStatementEntries)}}
				}
			}
		}
		if len(h) == 0 || walked > maxStatementWalk {
			if walked > maxStatementWalk {
				return nil, &problem.Error{Code: problem.Invalid, Message: "the period is too far back",
					Fields: map[string]string{"from": "ask for a more recent period"}}
			}
			break
		}
		cursor = prev(&h[len(h)-1])
		if cursor == 0 {
			break
		}
	}
	var cycles map[ledger.ID]int64
	if isPart {
		var err error
		if cycles, err = s.cyclesOf(ctx, part, acct.Currency, inPeriod); err != nil {
			return nil, err
		}
	}
	day := func(t time.Time) time.Time { return t.UTC().Truncate(24 * time.Hour) }
	closingDay := day(to)
	if to.After(from) {
		closingDay = day(to.Add(-time.Microsecond))
	}
	st := iso20022.Statement{
		ID:   fmt.Sprintf("%s-%s-%s-%s", ownerBIC, acct.Currency, from.UTC().Format("20060102"), closingDay.Format("20060102")),
		From: from.UTC(), To: to.UTC(),
		Account: iso20022.StatementAccount{ID: iso20022.Account{Other: strings.ReplaceAll(acct.ID.String(), "-", "")}, Currency: acct.Currency,
			Exponent: exp, OwnerName: xmlText(ownerName, 140), ServicerBIC: CentreBIC},
		Opening: iso20022.Balance{AmountMinor: opening, Date: day(from)},
	}
	running := opening
	for i := len(inPeriod) - 1; i >= 0; i-- {
		t := &inPeriod[i]
		after := natural(t)
		delta := after - running
		running = after
		if delta == 0 {
			continue
		}
		e := iso20022.Entry{AmountMinor: delta, Direction: iso20022.Credit, BookingDate: day(t.Timestamp), ValueDate: day(t.Timestamp),
			AcctSvcrRef: fmt.Sprintf("BTS-L%d", t.Seq)}
		if delta < 0 {
			e.AmountMinor, e.Direction = -delta, iso20022.Debit
		}
		if strings.HasPrefix(t.Code, "settlement") {
			e.CounterpartBIC = CentreBIC
			if n := cycles[t.ID]; n > 0 {
				e.MessageID = pacs009MsgID(n)
			}
		}
		if ref := xmlText(t.Reference, 140); ref != "" {
			e.RemittanceInfo = []string{ref}
		}
		st.Entries = append(st.Entries, e)
	}
	st.Closing = iso20022.Balance{AmountMinor: running, Date: closingDay}
	return &iso20022.StatementMessage{MsgID: fmt.Sprintf("BTS-%s-%s-%s", ownerBIC, acct.Currency, to.UTC().Format("20060102150405")),
		CreatedAt: s.cfg.Now().UTC(), Statements: []iso20022.Statement{st}}, nil
}

// pacs009MsgID is the message id of cycle n's pacs.009.
func pacs009MsgID(n int64) string { return fmt.Sprintf("BTS-C%06d", n) }

// cyclesOf names the cycle that made each of the participant's settlement
// transfers among ts. A cycle's transfer ids derive from its number and
// the position they settle (cycleTransferID), so the cycles recorded around
// the transfers' times are tried in turn; the transfer's reference text is
// never read back.
func (s *Service) cyclesOf(ctx context.Context, part Participant, ccy string, ts []ledger.Transfer) (map[ledger.ID]int64, error) {
	want := map[ledger.ID]bool{}
	var times []time.Time
	for i := range ts {
		if ts[i].Code == SettlementCode {
			want[ts[i].ID] = true
			times = append(times, ts[i].Timestamp)
		}
	}
	out := map[ledger.ID]int64{}
	if len(want) == 0 {
		return out, nil
	}
	sort.Slice(times, func(i, j int) bool { return times[i].Before(times[j]) })
	newest, err := s.store.Cycles(ctx, 0, 1)
	if err != nil || len(newest) == 0 {
		return out, err
	}
	last := newest[0].Number
	lo, err := s.firstCycleFrom(ctx, last, times[0].Add(-cycleClockSlack))
	if err != nil {
		return nil, err
	}
	hi, err := s.firstCycleFrom(ctx, last, times[len(times)-1].Add(cycleClockSlack))
	if err != nil {
		return nil, err
	}
	if hi-lo > maxCycleScan {
		lo = hi - maxCycleScan
	}
	key := positionKey(part.Row, ccy)
	for n := lo; n <= hi && len(out) < len(want); n++ {
		if id := cycleTransferID(n, key); want[id] {
			out[id] = n
		}
	}
	return out, nil
}

// firstCycleFrom is the number of the first cycle (of 1..last) settled at
// or after t, or last when none was. Cycle numbers are consecutive and
// their settlement times grow with them.
func (s *Service) firstCycleFrom(ctx context.Context, last int64, t time.Time) (int64, error) {
	lo, hi := int64(1), last
	for lo < hi {
		mid := lo + (hi-lo)/2
		c, err := s.store.GetCycle(ctx, mid)
		if err != nil {
			return 0, err
		}
		if c.SettledAt.Before(t) {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo, nil
}

// xmlText keeps printable text, trimmed to at most n characters.
func xmlText(s string, n int) string {
	if !utf8.ValidString(s) {
		return ""
	}
	var b strings.Builder
	count := 0
	for _, r := range strings.TrimSpace(s) {
		if unicode.IsControl(r) || r == utf8.RuneError || r == 0xFFFE || r == 0xFFFF {
			continue
		}
		if count == n {
			break
		}
		b.WriteRune(r)
		count++
	}
	return strings.TrimSpace(b.String())
}
