package fx

import (
	"context"
	"fmt"
	"strings"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/identity"
	"bricstown/internal/money"
	"bricstown/internal/problem"

	"github.com/google/uuid"
)

// Config is the FX service's policy plus its clock, injectable so that
// expiry can be tested without sleeping.
type Config struct {
	Policy
	Now func() time.Time
	// CentreOrg finds the settlement centre's organisation, whose bank
	// operators may publish the official reference rates (with the
	// platform administrator). Nil means only the administrator may.
	CentreOrg func(ctx context.Context) (string, error)
}

// Service applies FX's rules (who may publish, validation, expiry) on top
// of a Store.
type Service struct {
	store  Store
	cfg    Config
	ledger Ledger // where conversions settle; see UseLedger
	refs   referenceCache
}

// NewService fills in defaults and refuses an invalid USD configuration, so
// a bad deployment fails at start-up instead of on every quote.
func NewService(store Store, cfg Config) (*Service, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.Policy = cfg.Policy.withDefaults()
	if err := cfg.USD.Validate(); err != nil {
		return nil, err
	}
	return &Service{store: store, cfg: cfg}, nil
}

// CurrentRates is the live board as of now for the platform's own code
// (a settlement cycle's rate book, the pages' valuations, the demo): the
// same prices Board shows every signed-in member.
func (s *Service) CurrentRates(ctx context.Context, now time.Time) ([]Rate, error) {
	return s.store.CurrentRates(ctx, now)
}

func (s *Service) now() time.Time { return s.cfg.Now().UTC().Truncate(time.Microsecond) }

func newID() string { return uuid.Must(uuid.NewV7()).String() }

func record(p *identity.Principal, action, subjectType, subjectID, orgID, after, detail string) audit.Record {
	u, o := p.Actor()
	return audit.Record{ActorUser: u, ActorOrg: o, Action: action, SubjectType: subjectType, SubjectID: subjectID,
		OrgID: orgID, After: after, Detail: detail}
}

// IsLiquidityProvider is the one rule for who may price: a bank's treasury
// staff. Other orgs may hold the role name in a token scope, but only a
// bank stands behind a price with its balance sheet.
func IsLiquidityProvider(p *identity.Principal) bool {
	return p != nil && p.OrgKind == identity.KindBank && p.Has(identity.BankOperator)
}

// MayQuote is who may publish prices on the board: a liquidity provider
// other than the settlement centre. The centre prices cycles from the
// banks' mids within the band of the official reference it publishes; a
// price of its own would let it move the median it arbitrates.
func (s *Service) MayQuote(ctx context.Context, p *identity.Principal) bool {
	if !IsLiquidityProvider(p) {
		return false
	}
	if s.cfg.CentreOrg == nil {
		return true
	}
	centre, err := s.cfg.CentreOrg(ctx)
	return err != nil || centre != p.OrgID
}

func signedIn(p *identity.Principal) error {
	if p == nil {
		return problem.New(problem.Unauthenticated, "sign in to use FX")
	}
	return nil
}

// PublishRate publishes a price for the principal's bank, replacing the
// bank's previous price on that market.
func (s *Service) PublishRate(ctx context.Context, p *identity.Principal, in NewRate) (Rate, error) {
	if err := signedIn(p); err != nil {
		return Rate{}, err
	}
	if !IsLiquidityProvider(p) {
		return Rate{}, problem.New(problem.Forbidden, "only a bank's operators publish FX rates")
	}
	if !s.MayQuote(ctx, p) {
		return Rate{}, problem.New(problem.Forbidden, "the settlement centre publishes reference rates, not prices: cycle rates are the banks' medians")
	}
	now := s.now()
	r, err := in.Validate(now)
	if err != nil {
		return Rate{}, err
	}
	if r.Flag, err = s.checkBand(ctx, r, now); err != nil {
		return Rate{}, err
	}
	r.ID, r.Provider = newID(), p.OrgID
	detail := fmt.Sprintf("%s bid %s ask %s", r.Pair, r.Bid, r.Ask)
	if !r.ValidUntil.IsZero() {
		detail += " until " + r.ValidUntil.Format(time.RFC3339)
	}
	if r.Flag != "" {
		detail += " flag " + r.Flag
	}
	if err := s.store.PublishRate(ctx, r, record(p, "fx.rate.publish", "fx_rate", r.ID, p.OrgID, r.Pair.String(), detail)); err != nil {
		return Rate{}, fmt.Errorf("fx: publish %s: %w", r.Pair, err)
	}
	return r, nil
}

// Board is every live price, for the rates board. Prices are public within
// the town: transparency between providers is what tightens spreads.
func (s *Service) Board(ctx context.Context, p *identity.Principal) ([]Rate, error) {
	if err := signedIn(p); err != nil {
		return nil, err
	}
	return s.store.CurrentRates(ctx, s.now())
}

// MaxHistory bounds one page of rate history.
const MaxHistory = 500

// History lists a market's past publications, newest first.
func (s *Service) History(ctx context.Context, p *identity.Principal, pair, provider string, limit int) ([]Rate, error) {
	if err := signedIn(p); err != nil {
		return nil, err
	}
	pr, err := ParsePair(pair)
	if err != nil {
		return nil, &problem.Error{Code: problem.Invalid, Message: "the pair is not valid", Fields: map[string]string{"pair": messageOf(err)}}
	}
	if limit <= 0 || limit > MaxHistory {
		limit = MaxHistory
	}
	return s.store.RateHistory(ctx, pr.Market(), strings.TrimSpace(provider), limit)
}

// SetFee sets a provider's fee schedule: a bank's operators set their own
// bank's, the platform administrator any provider's.
func (s *Service) SetFee(ctx context.Context, p *identity.Principal, in NewFee) (Fee, error) {
	if err := signedIn(p); err != nil {
		return Fee{}, err
	}
	provider := p.OrgID
	switch {
	case p.Has(identity.PlatformAdmin):
		if in.Provider = strings.TrimSpace(in.Provider); in.Provider == "" {
			return Fee{}, &problem.Error{Code: problem.Invalid, Message: "the fee is not valid",
				Fields: map[string]string{"provider": "name the provider's org id"}}
		}
		provider = in.Provider
	case s.MayQuote(ctx, p):
		if in.Provider != "" && in.Provider != p.OrgID {
			return Fee{}, problem.New(problem.Forbidden, "a bank sets only its own fees")
		}
	default:
		return Fee{}, problem.New(problem.Forbidden, "only a bank's operators set FX fees")
	}
	f, err := in.Validate(provider, s.now())
	if err != nil {
		return Fee{}, err
	}
	detail := fmt.Sprintf("bps %d", f.Bps)
	for c, v := range f.Fixed {
		detail += fmt.Sprintf(" fixed %s %d", c, v)
	}
	if err := s.store.SetProviderFee(ctx, f, record(p, "fx.fee.set", "fx_fee", provider, provider, "", detail)); err != nil {
		return Fee{}, fmt.Errorf("fx: set fee: %w", err)
	}
	return f, nil
}

// Fee shows a provider's schedule; fees are part of the public price.
func (s *Service) Fee(ctx context.Context, p *identity.Principal, provider string) (Fee, error) {
	if err := signedIn(p); err != nil {
		return Fee{}, err
	}
	return s.store.ProviderFee(ctx, provider)
}

// market reads what a price depends on.
func (s *Service) market(ctx context.Context, now time.Time) (Market, error) {
	rates, err := s.store.CurrentRates(ctx, now)
	if err != nil {
		return Market{}, err
	}
	fees, err := s.store.ProviderFees(ctx)
	if err != nil {
		return Market{}, err
	}
	m := Market{Rates: rates, Fees: make(map[string]Fee, len(fees))}
	for _, f := range fees {
		m.Fees[f.Provider] = f
	}
	return m, nil
}

// Quote prices a conversion for the principal's org and holds the price
// until it expires. Any signed-in org may ask.
func (s *Service) Quote(ctx context.Context, p *identity.Principal, req QuoteRequest) (Quote, error) {
	if err := signedIn(p); err != nil {
		return Quote{}, err
	}
	now := s.now()
	m, err := s.market(ctx, now)
	if err != nil {
		return Quote{}, fmt.Errorf("fx: read market: %w", err)
	}
	q, err := s.priceFillable(ctx, m, p.OrgID, req, now)
	if err != nil {
		return Quote{}, err
	}
	q.ID = newID()
	detail := fmt.Sprintf("%s %d -> %s %d in %d leg(s)", q.Sell, q.SellAmount, q.Buy, q.BuyAmount, len(q.Legs))
	if err := s.store.SaveQuote(ctx, q, record(p, "fx.quote.create", "fx_quote", q.ID, p.OrgID, "open", detail)); err != nil {
		return Quote{}, fmt.Errorf("fx: save quote: %w", err)
	}
	return q, nil
}

// priceFillable prices req on the routes whose providers can settle them:
// a provider that publishes a price without the inventory to pay out the
// leg (or without an account to receive in) is set aside for this quote
// and the request is priced again, so a bank quoting what it cannot fill
// never blocks the town's conversions.
func (s *Service) priceFillable(ctx context.Context, m Market, payer string, req QuoteRequest, now time.Time) (Quote, error) {
	setAside := 0
	for {
		q, err := Price(m, s.cfg.Policy, payer, req, now)
		if err != nil && setAside > 0 && problem.Is(err, problem.NotFound) {
			return Quote{}, &problem.Error{Code: problem.Conflict, Err: err,
				Message: fmt.Sprintf("%d price(s) for this conversion were set aside: their banks lack the inventory to fill it now", setAside)}
		}
		if err != nil || s.ledger == nil {
			return q, err
		}
		bad, err := s.unfillable(ctx, q)
		if err != nil {
			return Quote{}, err
		}
		if bad == "" {
			return q, nil
		}
		kept := m.Rates[:0:0]
		for _, r := range m.Rates {
			if r.ID != bad {
				kept = append(kept, r)
			}
		}
		if len(kept) == len(m.Rates) {
			return q, nil // cannot happen: bad names a rate of the market
		}
		m.Rates = kept
		setAside++
	}
}

// unfillable returns the rate id of the first leg whose provider cannot
// settle it ("" when every leg can).
func (s *Service) unfillable(ctx context.Context, q Quote) (string, error) {
	for i, l := range q.Legs {
		// When the next leg is the same bank's, the intermediate currency
		// stays inside the bank and needs no stock.
		keeps := i+1 < len(q.Legs) && q.Legs[i+1].Provider == l.Provider
		out, err := s.ledger.AccountByCode(ctx, l.Provider, l.OutCurrency, InventoryCode)
		if problem.Is(err, problem.NotFound) || err == nil && (out.Closed || !keeps && out.Available() < l.Out) {
			return l.RateID, nil
		}
		if err != nil {
			return "", fmt.Errorf("fx: inventory of %s in %s: %w", l.Provider, l.OutCurrency, err)
		}
		if _, err := s.ledger.AccountByCode(ctx, l.Provider, l.InCurrency, InventoryCode); problem.Is(err, problem.NotFound) {
			return l.RateID, nil
		} else if err != nil {
			return "", fmt.Errorf("fx: inventory of %s in %s: %w", l.Provider, l.InCurrency, err)
		}
	}
	return "", nil
}

// GetQuote shows a quote to its payer (and the platform administrator);
// anyone else is told it does not exist.
func (s *Service) GetQuote(ctx context.Context, p *identity.Principal, id string) (Quote, error) {
	if err := signedIn(p); err != nil {
		return Quote{}, err
	}
	q, err := s.store.GetQuote(ctx, id)
	if err != nil {
		return Quote{}, err
	}
	if !p.CanSeeOrg(q.PayerOrg) {
		return Quote{}, QuoteNotFound()
	}
	return q, nil
}

// Usable checks a quote the way ClaimQuote will, so that a page can say a
// quote has lapsed before the payer tries to execute it.
func (s *Service) Usable(q Quote) error {
	switch {
	case !q.UsedAt.IsZero():
		return QuoteUsed()
	case !s.now().Before(q.ExpiresAt):
		return QuoteExpired(q.ExpiresAt)
	}
	return nil
}

// Exposure values positions in Home at the current board's mid rates.
func (s *Service) Exposure(ctx context.Context, p *identity.Principal, positions map[string]money.Amount) (Exposure, error) {
	if err := signedIn(p); err != nil {
		return Exposure{}, err
	}
	now := s.now()
	rates, err := s.store.CurrentRates(ctx, now)
	if err != nil {
		return Exposure{}, err
	}
	return ValueExposure(positions, rates, now)
}
