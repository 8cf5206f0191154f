package order

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"bricstown/internal/audit"
	"bricstown/internal/customs"
	"bricstown/internal/fx"
	"bricstown/internal/identity"
	"bricstown/internal/ledger"
	"bricstown/internal/logistics"
	"bricstown/internal/market"
	"bricstown/internal/money"
	"bricstown/internal/problem"
	"bricstown/internal/refdata"

	"github.com/google/uuid"
)

// Declarations drafts customs declarations (customs.Service).
type Declarations interface {
	Create(ctx context.Context, p *identity.Principal, c customs.Content, docs ...customs.NewDocument) (customs.Declaration, error)
}

// Shipments enters shipments for dispatch (logistics.Service).
type Shipments interface {
	CreateShipmentForOrder(ctx context.Context, p *identity.Principal, in logistics.OrderShipment) (logistics.Shipment, error)
}

// Config wires the order to the rest of the platform.
type Config struct {
	Log    *slog.Logger
	Ref    *refdata.Data
	Ledger *ledger.Service
	// Product finds a catalogue product (market.Store's GetProduct), and
	// ContractPrice the contract price in force for a buyer, its own or a
	// buyer group's, 0 for none (market.Service's BuyerPrice, which holds
	// the rule for several).
	Product       func(ctx context.Context, id string) (market.Product, error)
	ContractPrice func(ctx context.Context, buyer, productID string, at time.Time) (int64, error)
	// Org finds an organisation: its name and country go into the
	// declaration.
	Org func(ctx context.Context, id string) (identity.Org, error)
	// Operator finds the organisation that runs the marketplace (the town
	// administration): the escrow and fee accounts are its system accounts.
	Operator     func(ctx context.Context) (string, error)
	Declarations Declarations
	Shipments    Shipments
	// FX prices and claims the conversion when the buyer pays from an
	// account in another currency (fx.Service); nil refuses such payments.
	FX  FX
	Now func() time.Time
}

// FX is what paying across currencies needs of the FX desk: a firm quote
// for the payer's org, and claiming it so that it is filled once.
type FX interface {
	Quote(ctx context.Context, p *identity.Principal, req fx.QuoteRequest) (fx.Quote, error)
	Claim(ctx context.Context, p *identity.Principal, id string) (fx.Quote, error)
}

// Rules of the marketplace.
const (
	// FeeBps is the platform's fee: 1.50 % of the order's amount, rounded
	// down to the currency's minor unit (the platform never takes more
	// than the rate), taken from the escrow at release. Computed when the
	// order is made, so both parties see it before paying.
	FeeBps = 150
	// DisputeWindow is how long after shipping the buyer may open a
	// dispute; after it the seller may release the escrow.
	DisputeWindow = 14 * 24 * time.Hour
	// MaxRFQDays and MaxQuoteDays bound deadlines and validity.
	MaxRFQDays   = 180
	MaxQuoteDays = 90
	MaxTextLen   = 2000
	MaxGoodsLen  = 200
	// Ledger codes of the escrow's transfers.
	CodeEscrow = "market_escrow"
	CodePayout = "market_payout"
	CodeFee    = "market_fee"
	// CodeEscrowFX is the code of the pending conversion legs of an
	// order paid from an account in another currency.
	CodeEscrowFX = "market_escrow_fx"
	// System account codes of the operator.
	EscrowAccount = "market_escrow"
	FeeAccount    = "market_fees"
)

// Service applies the buying rules: companies' traders and administrators
// buy and sell; a buyer sees its RFQs, the quotes on them and its orders; a
// seller sees open RFQs, its own quotes and its orders; nobody else sees
// any of them (not_found, like an unknown id). Money moves only through
// the ledger, from the buyer's own account, with ids derived from the
// order.
type Service struct {
	store Store
	cfg   Config
}

// NewService returns a service on store.
func NewService(store Store, cfg Config) *Service {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Ref == nil {
		cfg.Ref = refdata.Default()
	}
	return &Service{store: store, cfg: cfg}
}

func (s *Service) now() time.Time { return s.cfg.Now().UTC().Truncate(time.Microsecond) }

// CanTrade is who buys and sells: a company's traders and administrators.
func CanTrade(p *identity.Principal) bool { return market.CanSell(p) }

func (s *Service) mustTrade(p *identity.Principal) error {
	if p == nil {
		return problem.New(problem.Unauthenticated, "sign in")
	}
	if !CanTrade(p) {
		return problem.New(problem.Forbidden, "only a company's traders and administrators buy and sell")
	}
	return nil
}

func notFound(what string) error { return problem.New(problem.NotFound, "no such %s", what) }

func fieldErr(code problem.Code, msg, field, fmsg string) error {
	return &problem.Error{Code: code, Message: msg, Fields: map[string]string{field: fmsg}}
}

func (s *Service) record(p *identity.Principal, action, subject, id, org, detail string) audit.Record {
	u, o := p.Actor()
	return audit.Record{ActorUser: u, ActorOrg: o, Action: action, SubjectType: subject, SubjectID: id, OrgID: org, Detail: detail}
}

func text(f problem.Fields, field, s string, max int, required bool) string {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		if required {
			f.Add(field, "required")
		}
	case !utf8.ValidString(s):
		f.Add(field, "must be valid UTF-8")
	case strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' }) >= 0:
		f.Add(field, "must not contain control characters")
	case utf8.RuneCountInString(s) > max:
		f.Addf(field, "at most %d characters", max)
	}
	return s
}

func quantity(f problem.Fields, field string, v int64) {
	switch {
	case v < 1:
		f.Add(field, "must be a positive whole number")
	case v > market.MaxQuantity:
		f.Add(field, "too large")
	}
}

func incoterm(f problem.Fields, field, s string) string {
	c := strings.ToUpper(strings.TrimSpace(s))
	switch {
	case c == "":
		f.Add(field, "required: an Incoterm 2020 code such as FCA or CIF")
	case market.IncotermBit(c) == 0:
		f.Add(field, "must be an Incoterms 2020 rule: "+strings.Join(market.Incoterms, ", "))
	}
	return c
}

// instant reads an RFC 3339 time or a date (the end of that day, UTC).
func instant(f problem.Fields, field, s string) time.Time {
	s = strings.TrimSpace(s)
	if s == "" {
		f.Add(field, "required")
		return time.Time{}
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC().Truncate(time.Microsecond)
	}
	if d, err := time.Parse(time.DateOnly, s); err == nil {
		return d.Add(24*time.Hour - time.Microsecond)
	}
	f.Add(field, "must be a date and time (RFC 3339)")
	return time.Time{}
}

// ---- RFQs ----

// RFQInput is what a buyer fills in: a catalogue product or free text with
// an HS code, the quantity and unit, where to (UN/LOCODE), on which
// Incoterm, and until when quotes are taken.
type RFQInput struct {
	ProductID   string `json:"product_id,omitempty"`
	Goods       string `json:"goods,omitempty"`
	HS          string `json:"hs,omitempty"`
	Quantity    int64  `json:"quantity"`
	Unit        string `json:"unit,omitempty"`
	Destination string `json:"destination"`
	Incoterm    string `json:"incoterm"`
	Deadline    string `json:"deadline"`
}

// PostRFQ publishes a request for quotation of the caller's company.
func (s *Service) PostRFQ(ctx context.Context, p *identity.Principal, in RFQInput) (RFQ, error) {
	if err := s.mustTrade(p); err != nil {
		return RFQ{}, err
	}
	now := s.now()
	f := problem.Fields{}
	r := RFQ{ID: uuid.Must(uuid.NewV7()).String(), BuyerOrg: p.OrgID, Status: RFQOpen, CreatedAt: now, CreatedBy: p.UserID, Quantity: in.Quantity}
	if pid := strings.TrimSpace(in.ProductID); pid != "" {
		prod, err := s.product(ctx, pid)
		switch {
		case problem.Is(err, problem.NotFound):
			f.Add("product_id", "no such product")
		case err != nil:
			return RFQ{}, err
		case prod.SellerOrg == p.OrgID:
			f.Add("product_id", "must be another company's product")
		default:
			r.ProductID, r.HS, r.Unit, r.Goods = prod.ID, prod.HS, prod.Unit, prod.Name("en")
		}
	}
	if r.ProductID == "" && len(f) == 0 {
		r.Goods = text(f, "goods", in.Goods, MaxGoodsLen, true)
		hs := strings.NewReplacer(".", "", " ", "", "-", "").Replace(strings.TrimSpace(in.HS))
		switch h, ok := s.cfg.Ref.HS(hs); {
		case hs == "":
			f.Add("hs", "required")
		case len(hs) != 6 || !ok:
			f.Add("hs", "must be an HS 2022 subheading (6 digits)")
		default:
			r.HS = h.Code
		}
		r.Unit = strings.TrimSpace(in.Unit)
		if !slices.Contains(market.Units, r.Unit) {
			f.Add("unit", "must be one of "+strings.Join(market.Units, ", "))
		}
	}
	quantity(f, "quantity", in.Quantity)
	r.Destination = s.locode(f, "destination", in.Destination)
	r.Incoterm = incoterm(f, "incoterm", in.Incoterm)
	if r.Deadline = instant(f, "deadline", in.Deadline); !r.Deadline.IsZero() {
		switch {
		case !r.Deadline.After(now):
			f.Add("deadline", "must be in the future")
		case r.Deadline.Sub(now) > MaxRFQDays*24*time.Hour:
			f.Addf("deadline", "at most %d days ahead", MaxRFQDays)
		}
	}
	if err := f.Err("the request for quotation is not valid"); err != nil {
		return RFQ{}, err
	}
	if err := s.store.CreateRFQ(ctx, r, s.record(p, "market.rfq.post", "rfq", r.ID, p.OrgID, fmt.Sprintf("%s %d %s", r.HS, r.Quantity, r.Unit))); err != nil {
		return RFQ{}, err
	}
	return r, nil
}

func (s *Service) locode(f problem.Fields, field, code string) string {
	c := strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(code), " ", ""))
	if c == "" {
		f.Add(field, "required")
		return ""
	}
	l, ok := s.cfg.Ref.Location(c)
	if !ok {
		f.Addf(field, "unknown UN/LOCODE %q", code)
		return c
	}
	return l.Code
}

func (s *Service) product(ctx context.Context, id string) (market.Product, error) {
	if _, err := uuid.Parse(id); err != nil || s.cfg.Product == nil {
		return market.Product{}, notFound("product")
	}
	return s.cfg.Product(ctx, id)
}

// canSeeRFQ: the buyer, and while it is open any company that sells; a
// seller that quoted keeps seeing it.
func (s *Service) loadRFQ(ctx context.Context, p *identity.Principal, id string) (RFQ, error) {
	if _, err := uuid.Parse(id); err != nil || p == nil {
		return RFQ{}, notFound("request for quotation")
	}
	r, err := s.store.GetRFQ(ctx, id)
	if problem.Is(err, problem.NotFound) {
		return RFQ{}, notFound("request for quotation")
	}
	if err != nil {
		return RFQ{}, err
	}
	if r.BuyerOrg == p.OrgID || r.Status == RFQOpen && CanTrade(p) {
		return r, nil
	}
	mine, err := s.store.RFQQuotes(ctx, r.ID, p.OrgID)
	if err != nil {
		return RFQ{}, err
	}
	if len(mine) == 0 {
		return RFQ{}, notFound("request for quotation")
	}
	return r, nil
}

// RFQ returns a request for quotation and the quotes the caller may see:
// all of them for the buyer, its own for a seller.
func (s *Service) RFQ(ctx context.Context, p *identity.Principal, id string) (RFQ, []Quote, error) {
	if err := s.mustTrade(p); err != nil {
		return RFQ{}, nil, err
	}
	r, err := s.loadRFQ(ctx, p, id)
	if err != nil {
		return RFQ{}, nil, err
	}
	seller := p.OrgID
	if r.BuyerOrg == p.OrgID {
		seller = ""
	}
	qs, err := s.store.RFQQuotes(ctx, r.ID, seller)
	return r, qs, err
}

// MyRFQs lists the caller's company's RFQs, newest first.
func (s *Service) MyRFQs(ctx context.Context, p *identity.Principal) ([]RFQ, error) {
	if err := s.mustTrade(p); err != nil {
		return nil, err
	}
	return s.store.ListRFQs(ctx, RFQQuery{Buyer: p.OrgID, Limit: 200})
}

// OpenRFQs lists other companies' RFQs still taking quotes.
func (s *Service) OpenRFQs(ctx context.Context, p *identity.Principal) ([]RFQ, error) {
	if err := s.mustTrade(p); err != nil {
		return nil, err
	}
	list, err := s.store.ListRFQs(ctx, RFQQuery{OpenAt: s.now(), Limit: 200})
	return slices.DeleteFunc(list, func(r RFQ) bool { return r.BuyerOrg == p.OrgID }), err
}

// QuoteInput is a seller's quote: the unit price as a decimal in its
// currency ("12.50"), the minimum quantity, the Incoterm and the end of
// validity.
type QuoteInput struct {
	UnitPrice  string `json:"unit_price"`
	Currency   string `json:"currency"`
	MOQ        int64  `json:"moq"`
	Incoterm   string `json:"incoterm"`
	Origin     string `json:"origin"`
	ValidUntil string `json:"valid_until"`
	Note       string `json:"note,omitempty"`
}

// SubmitQuote answers an open RFQ of another company.
func (s *Service) SubmitQuote(ctx context.Context, p *identity.Principal, rfqID string, in QuoteInput) (Quote, error) {
	if err := s.mustTrade(p); err != nil {
		return Quote{}, err
	}
	r, err := s.loadRFQ(ctx, p, rfqID)
	if err != nil {
		return Quote{}, err
	}
	if r.BuyerOrg == p.OrgID {
		return Quote{}, problem.New(problem.Forbidden, "a company does not quote on its own request")
	}
	now := s.now()
	if r.Status != RFQOpen || !now.Before(r.Deadline) {
		return Quote{}, fieldErr(problem.Conflict, "the request no longer takes quotes", "rfq_id", "no longer takes quotes")
	}
	f := problem.Fields{}
	q := Quote{ID: uuid.Must(uuid.NewV7()).String(), RFQID: r.ID, SellerOrg: p.OrgID, BuyerOrg: r.BuyerOrg, MOQ: in.MOQ, CreatedAt: now, CreatedBy: p.UserID}
	q.Currency = strings.ToUpper(strings.TrimSpace(in.Currency))
	exp, ok := s.cfg.Ref.MoneyExponent(q.Currency)
	switch {
	case q.Currency == "":
		f.Add("currency", "required")
	case !ok:
		f.Add("currency", "must be an ISO 4217 currency that holds money")
	default:
		q.UnitPrice = money.FieldPrice(f, "unit_price", in.UnitPrice, exp)
	}
	quantity(f, "moq", in.MOQ)
	if in.MOQ > r.Quantity {
		f.Addf("moq", "must not exceed the requested quantity of %d", r.Quantity)
	}
	q.Incoterm = incoterm(f, "incoterm", in.Incoterm)
	q.Origin = strings.ToUpper(strings.TrimSpace(in.Origin))
	if c, ok := s.cfg.Ref.Country(q.Origin); q.Origin == "" {
		f.Add("origin", "required: ISO 3166 country of origin")
	} else if !ok || len(q.Origin) != 2 {
		f.Addf("origin", "unknown ISO 3166 country %q", in.Origin)
	} else {
		q.Origin = c.Alpha2
	}
	if q.ValidUntil = instant(f, "valid_until", in.ValidUntil); !q.ValidUntil.IsZero() {
		switch {
		case !q.ValidUntil.After(now):
			f.Add("valid_until", "must be in the future")
		case q.ValidUntil.Sub(now) > MaxQuoteDays*24*time.Hour:
			f.Addf("valid_until", "at most %d days ahead", MaxQuoteDays)
		}
	}
	q.Note = text(f, "note", in.Note, MaxTextLen, false)
	if q.UnitPrice > 0 {
		if q.Amount, ok = money.Mul(q.UnitPrice, r.Quantity); !ok {
			f.Add("unit_price", "too large")
		}
	}
	if err := f.Err("the quote is not valid"); err != nil {
		return Quote{}, err
	}
	if err := s.store.CreateRFQQuote(ctx, q, s.record(p, "market.quote.submit", "rfq", r.ID, r.BuyerOrg,
		money.FormatAmount(q.UnitPrice, exp)+" "+q.Currency)); err != nil {
		return Quote{}, err
	}
	return q, nil
}

// MyQuotes lists the caller's company's quotes, newest first.
func (s *Service) MyQuotes(ctx context.Context, p *identity.Principal) ([]Quote, error) {
	if err := s.mustTrade(p); err != nil {
		return nil, err
	}
	return s.store.SellerRFQQuotes(ctx, p.OrgID, 200)
}

// AcceptQuote turns a quote on one of the caller's RFQs into an order.
// Of two acceptances of quotes on one RFQ (the same or another), exactly
// one makes an order; the other is told the RFQ is already awarded.
func (s *Service) AcceptQuote(ctx context.Context, p *identity.Principal, quoteID string) (Order, error) {
	if err := s.mustTrade(p); err != nil {
		return Order{}, err
	}
	if _, err := uuid.Parse(quoteID); err != nil {
		return Order{}, notFound("quote")
	}
	q, err := s.store.GetRFQQuote(ctx, quoteID)
	if problem.Is(err, problem.NotFound) || err == nil && q.BuyerOrg != p.OrgID && q.SellerOrg != p.OrgID {
		return Order{}, notFound("quote")
	}
	if err != nil {
		return Order{}, err
	}
	if q.BuyerOrg != p.OrgID {
		return Order{}, problem.New(problem.Forbidden, "only the buyer accepts a quote")
	}
	r, err := s.store.GetRFQ(ctx, q.RFQID)
	if err != nil {
		return Order{}, err
	}
	now := s.now()
	if r.Status != RFQOpen {
		return Order{}, fieldErr(problem.Conflict, "the request is already "+string(r.Status), "status", string(r.Status))
	}
	if now.After(q.ValidUntil) {
		return Order{}, fieldErr(problem.Conflict, "the quote has expired", "quote_id", "the quote has expired")
	}
	if r.Quantity < q.MOQ {
		return Order{}, fieldErr(problem.Invalid, "below the quote's minimum quantity", "quantity", fmt.Sprintf("below the minimum order quantity of %d", q.MOQ))
	}
	o := Order{ID: uuid.Must(uuid.NewV7()).String(), BuyerOrg: r.BuyerOrg, SellerOrg: q.SellerOrg, RFQID: r.ID, QuoteID: q.ID, ProductID: r.ProductID,
		Goods: r.Goods, HS: r.HS, Origin: q.Origin, Quantity: r.Quantity, Unit: r.Unit, UnitPrice: q.UnitPrice, Currency: q.Currency,
		Amount: q.Amount, Incoterm: q.Incoterm, Destination: r.Destination, CreatedAt: now, CreatedBy: p.UserID}
	if err := s.open(&o, p, "quote "+q.ID); err != nil {
		return Order{}, err
	}
	err = s.store.AwardRFQ(ctx, o, s.record(p, "market.order.create", "order", o.ID, o.SellerOrg, o.HS+" "+s.amount(o.Amount, o.Currency)))
	if err != nil {
		return Order{}, err
	}
	return o, nil
}

// open completes a new order: fee, status, first event.
func (s *Service) open(o *Order, p *identity.Principal, detail string) error {
	fee, err := money.ApplyBps(o.Amount, FeeBps, money.RoundDown)
	if err != nil {
		return fieldErr(problem.Invalid, "the amount is too large", "quantity", "too large")
	}
	o.Fee, o.Status, o.UpdatedAt = fee, Accepted, o.CreatedAt
	o.Events = []Event{{At: o.CreatedAt, Kind: "created", Org: p.OrgID, User: p.UserID, Detail: detail}}
	return nil
}

func (s *Service) amount(v int64, ccy string) string {
	exp, _ := s.cfg.Ref.MoneyExponent(ccy)
	return money.FormatAmount(v, exp) + " " + ccy
}

// DirectInput orders a catalogue product at its price: the buyer's
// contract price in force, else the tier for the quantity.
type DirectInput struct {
	ProductID   string `json:"product_id"`
	Quantity    int64  `json:"quantity"`
	Incoterm    string `json:"incoterm"`
	Destination string `json:"destination"`
}

// OrderDirect orders a product of another company from the catalogue.
func (s *Service) OrderDirect(ctx context.Context, p *identity.Principal, in DirectInput) (Order, error) {
	if err := s.mustTrade(p); err != nil {
		return Order{}, err
	}
	prod, err := s.product(ctx, strings.TrimSpace(in.ProductID))
	if problem.Is(err, problem.NotFound) {
		return Order{}, fieldErr(problem.NotFound, "no such product", "product_id", "no such product")
	}
	if err != nil {
		return Order{}, err
	}
	if prod.SellerOrg == p.OrgID {
		return Order{}, fieldErr(problem.Invalid, "a company does not buy its own product", "product_id", "must be another company's product")
	}
	now := s.now()
	f := problem.Fields{}
	quantity(f, "quantity", in.Quantity)
	if in.Quantity >= 1 && in.Quantity < prod.MOQ {
		f.Addf("quantity", "below the minimum order quantity of %d", prod.MOQ)
	}
	term := incoterm(f, "incoterm", in.Incoterm)
	if term != "" && f["incoterm"] == "" && !slices.Contains(prod.Incoterms, term) {
		f.Add("incoterm", "must be one the seller offers: "+strings.Join(prod.Incoterms, ", "))
	}
	dest := s.locode(f, "destination", in.Destination)
	if err := f.Err("the order is not valid"); err != nil {
		return Order{}, err
	}
	price := prod.PriceFor(in.Quantity)
	if s.cfg.ContractPrice != nil {
		c, err := s.cfg.ContractPrice(ctx, p.OrgID, prod.ID, now)
		if err != nil {
			return Order{}, err
		}
		if c > 0 {
			price = c
		}
	}
	amt, ok := money.Mul(price, in.Quantity)
	if !ok {
		return Order{}, fieldErr(problem.Invalid, "the amount is too large", "quantity", "too large")
	}
	o := Order{ID: uuid.Must(uuid.NewV7()).String(), BuyerOrg: p.OrgID, SellerOrg: prod.SellerOrg, ProductID: prod.ID, Goods: prod.Name("en"),
		HS: prod.HS, Origin: prod.Origin, Quantity: in.Quantity, Unit: prod.Unit, UnitPrice: price, Currency: prod.Currency, Amount: amt,
		Incoterm: term, Destination: dest, CreatedAt: now, CreatedBy: p.UserID}
	if err := s.open(&o, p, "catalogue"); err != nil {
		return Order{}, err
	}
	if err := s.store.CreateOrder(ctx, o, s.record(p, "market.order.create", "order", o.ID, o.SellerOrg, o.HS+" "+s.amount(o.Amount, o.Currency))); err != nil {
		return Order{}, err
	}
	return o, nil
}

// ---- the integrated order ----

// load finds an order of which the caller's organisation is a party; a
// platform administrator sees every order (to rule on disputes). Anyone
// else is told it does not exist.
func (s *Service) load(ctx context.Context, p *identity.Principal, id string) (Order, error) {
	if _, err := uuid.Parse(id); err != nil || p == nil {
		return Order{}, notFound("order")
	}
	o, err := s.store.GetOrder(ctx, id)
	if problem.Is(err, problem.NotFound) {
		return Order{}, notFound("order")
	}
	if err != nil {
		return Order{}, err
	}
	party := CanTrade(p) && (o.BuyerOrg == p.OrgID || o.SellerOrg == p.OrgID)
	if !party && !p.Has(identity.PlatformAdmin) {
		return Order{}, notFound("order")
	}
	return o, nil
}

// Escrow is the ledger's state of an order's escrow.
type Escrow struct {
	State   string `json:"state"` // none, held, released, voided
	HoldID  string `json:"hold_id,omitempty"`
	PostID  string `json:"post_id,omitempty"`
	VoidID  string `json:"void_id,omitempty"`
	Amount  int64  `json:"amount"`
	Payout  int64  `json:"payout"`
	Fee     int64  `json:"fee"`
	Account string `json:"account,omitempty"`
}

// View is an order as its parties see it, with the escrow's ledger state.
type View struct {
	Order
	Escrow Escrow `json:"escrow"`
	// Role is the caller's side: buyer, seller or operator.
	Role string `json:"role"`
}

// Get returns an order to its parties.
func (s *Service) Get(ctx context.Context, p *identity.Principal, id string) (View, error) {
	o, err := s.load(ctx, p, id)
	if err != nil {
		return View{}, err
	}
	return s.view(ctx, p, o)
}

func (s *Service) view(ctx context.Context, p *identity.Principal, o Order) (View, error) {
	v := View{Order: o, Role: "operator", Escrow: Escrow{State: "none", Amount: o.Amount, Fee: o.Fee, Payout: o.Amount - o.Fee, Account: o.Escrow}}
	switch p.OrgID {
	case o.BuyerOrg:
		v.Role = "buyer"
	case o.SellerOrg:
		v.Role = "seller"
	}
	for _, step := range []struct {
		id    uuid.UUID
		state string
		set   *string
	}{{HoldID(o.ID), "held", &v.Escrow.HoldID}, {PostID(o.ID), "released", &v.Escrow.PostID}, {VoidID(o.ID), "voided", &v.Escrow.VoidID}} {
		if o.Escrow == "" {
			break
		}
		_, err := s.cfg.Ledger.TransferByID(ctx, step.id)
		if problem.Is(err, problem.NotFound) {
			continue
		}
		if err != nil {
			return View{}, err
		}
		*step.set, v.Escrow.State = step.id.String(), step.state
	}
	return v, nil
}

// Orders lists the caller's company's orders as buyer (side "buyer") or
// seller ("seller"), newest first.
func (s *Service) Orders(ctx context.Context, p *identity.Principal, side string) ([]Order, error) {
	if err := s.mustTrade(p); err != nil {
		return nil, err
	}
	q := OrderQuery{Buyer: p.OrgID, Limit: 200}
	if side == "seller" {
		q = OrderQuery{Seller: p.OrgID, Limit: 200}
	}
	return s.store.ListOrders(ctx, q)
}

// move writes o (changed from the version read) with an event; Conflict
// when another request moved it first.
func (s *Service) move(ctx context.Context, p *identity.Principal, o Order, to Status, kind, detail string) (Order, error) {
	now := s.now()
	ver := o.Version
	o.Status, o.UpdatedAt = to, now
	o.Events = append(slices.Clip(o.Events), Event{At: now, Kind: kind, Org: p.OrgID, User: p.UserID, Detail: detail})
	return s.store.UpdateOrder(ctx, o, ver, s.record(p, "market.order."+kind, "order", o.ID, o.BuyerOrg, detail))
}

func statusErr(o Order) error {
	return fieldErr(problem.Conflict, "the order is "+string(o.Status), "status", string(o.Status))
}

// settle answers a request that lost a race: the order as it is now when
// it reached one of want, else a conflict naming its status.
func (s *Service) settle(ctx context.Context, p *identity.Principal, id string, want ...Status) (View, error) {
	cur, err := s.store.GetOrder(ctx, id)
	if err != nil {
		return View{}, err
	}
	if slices.Contains(want, cur.Status) {
		return s.view(ctx, p, cur)
	}
	return View{}, statusErr(cur)
}

// PayInput names the buyer's account the amount is taken from.
type PayInput struct {
	PayFrom string `json:"pay_from"`
}

// ownAccount checks an account of org in ccy (a funds account that cannot
// go below zero when payer). Another organisation's account answers
// exactly like an unknown one.
func (s *Service) ownAccount(ctx context.Context, org, ccy, id, field string, payer bool) (ledger.Account, error) {
	f := problem.Fields{}
	u, err := uuid.Parse(strings.TrimSpace(id))
	var a ledger.Account
	if err == nil {
		a, err = s.cfg.Ledger.AccountByID(ctx, u)
	}
	switch {
	case err != nil || a.OrgID != org || a.Flags&ledger.System != 0:
		f.Add(field, "must be the id of one of your accounts")
	case a.Currency != ccy && !(payer && s.cfg.FX != nil):
		// Only the payer's side converts (through the FX desk, see Pay);
		// the escrow and the payout are in the order's currency.
		f.Addf(field, "must be an account in %s, the order's currency", ccy)
	case a.Closed:
		f.Add(field, "the account is closed")
	case payer && (a.Flags&ledger.DebitsMustNotExceedCredits == 0 || a.Kind.DebitNormal()):
		f.Add(field, "must be a funds account that cannot go below zero")
	}
	return a, f.Err("the account is not valid")
}

func (s *Service) operatorAccount(ctx context.Context, ccy, code, name string, kind ledger.Kind) (ledger.Account, error) {
	org, err := s.cfg.Operator(ctx)
	if err != nil {
		return ledger.Account{}, err
	}
	return s.cfg.Ledger.OpenSystemAccount(ctx, ledger.SystemAccountSpec{OrgID: org, Currency: ccy, Code: code, Name: name, Kind: kind})
}

// Pay puts the order's amount in escrow: a pending ledger transfer from
// the buyer's own account to the operator's escrow account, made by the
// platform with an id derived from the order, so twenty payments at once
// charge once. It stays pending until release (posted) or cancellation
// (voided); only the platform resolves it.
func (s *Service) Pay(ctx context.Context, p *identity.Principal, id string, in PayInput) (View, error) {
	if err := s.mustTrade(p); err != nil {
		return View{}, err
	}
	o, err := s.load(ctx, p, id)
	if err != nil {
		return View{}, err
	}
	if o.BuyerOrg != p.OrgID {
		return View{}, problem.New(problem.Forbidden, "only the buyer pays")
	}
	switch o.Status {
	case Accepted:
	case Paying:
		return s.hold(ctx, p, o)
	default:
		return View{}, statusErr(o)
	}
	from, err := s.ownAccount(ctx, p.OrgID, o.Currency, in.PayFrom, "pay_from", true)
	if err != nil {
		return View{}, err
	}
	escrow, err := s.operatorAccount(ctx, o.Currency, EscrowAccount, "Marketplace escrow ("+o.Currency+")", ledger.Liability)
	if err != nil {
		return View{}, err
	}
	fee, err := s.operatorAccount(ctx, o.Currency, FeeAccount, "Marketplace fees ("+o.Currency+")", ledger.Revenue)
	if err != nil {
		return View{}, err
	}
	o.PayFrom, o.Escrow, o.FeeAccount, o.FX = from.ID.String(), escrow.ID.String(), fee.ID.String(), nil
	detail := s.amount(o.Amount, o.Currency)
	if from.Currency != o.Currency {
		c, err := s.conversion(ctx, p, o, from)
		if err != nil {
			return View{}, err
		}
		o.FX = &c
		detail += " ← " + s.amount(c.SellAmount, c.Sell) + " (FX " + c.QuoteID + ")"
	}
	o, err = s.move(ctx, p, o, Paying, "paying", detail)
	if problem.Is(err, problem.Conflict) {
		return s.settle(ctx, p, id, Paid)
	}
	if err != nil {
		return View{}, err
	}
	return s.hold(ctx, p, o)
}

// hold asks the ledger for the escrow of a paying order and records the
// answer: paid, or back to accepted with the ledger's reason.
func (s *Service) hold(ctx context.Context, p *identity.Principal, o Order) (View, error) {
	id := o.ID
	hold := ledger.Transfer{ID: HoldID(o.ID), DebitAccount: uuid.MustParse(o.PayFrom),
		CreditAccount: uuid.MustParse(o.Escrow), Amount: o.Amount, Currency: o.Currency, Code: CodeEscrow, Reference: o.ID, Flags: ledger.Pending}
	batch := []ledger.Transfer{}
	if o.FX != nil {
		for i, l := range o.FX.Legs {
			batch = append(batch, ledger.Transfer{ID: LegID(o.ID, i), DebitAccount: uuid.MustParse(l.Debit), CreditAccount: uuid.MustParse(l.Credit),
				Amount: l.Amount, Currency: l.Currency, Code: CodeEscrowFX, Reference: o.ID, Flags: ledger.Pending | ledger.Linked})
		}
		hold.DebitAccount = uuid.MustParse(o.FX.HoldFrom)
	}
	batch = append(batch, hold)
	res, err := s.cfg.Ledger.SubmitSystem(ctx, batch, s.record(p, "market.order.escrow", "order", o.ID, o.BuyerOrg, s.amount(o.Amount, o.Currency)))
	if err != nil {
		return View{}, err
	}
	if i, c := firstFailure(res); i >= 0 {
		back := o
		back.PayFrom, back.FX = "", nil
		if _, merr := s.move(ctx, p, back, Accepted, "payment_refused", string(c)); merr != nil && !problem.Is(merr, problem.Conflict) {
			return View{}, merr
		}
		if i > 0 {
			// A provider's leg: its inventory cannot fill the conversion now.
			return View{}, noConversion(o.Currency, fmt.Errorf("ledger: %s", c))
		}
		return View{}, refusal(c, "pay_from")
	}
	o, err = s.move(ctx, p, o, Paid, "paid", HoldID(o.ID).String())
	if problem.Is(err, problem.Conflict) {
		return s.settle(ctx, p, id, Paid)
	}
	if err != nil {
		return View{}, err
	}
	return s.view(ctx, p, o)
}

// firstFailure is the index and code of the transfer that caused a
// batch's refusal (-1 when every transfer exists).
func firstFailure(res []ledger.Result) (int, ledger.Code) {
	for i, r := range res {
		if !r.Code.Created() && r.Code != ledger.LinkedEventFailed {
			return i, r.Code
		}
	}
	for i, r := range res {
		if !r.Code.Created() {
			return i, r.Code
		}
	}
	return -1, ""
}

// conversion prices paying the order's amount from an account in another
// currency: a firm quote of the FX desk for a fixed buy amount (the
// order's amount exactly; the providers' rates and rounding decide the
// sell amount, as on the FX page), claimed at once so it is filled only
// here, and its legs laid out as the pending chain hold submits: buyer →
// first provider's inventory, hand-overs between providers, and the last
// provider's inventory in the order's currency → escrow (the hold).
func (s *Service) conversion(ctx context.Context, p *identity.Principal, o Order, from ledger.Account) (Conversion, error) {
	q, err := s.cfg.FX.Quote(ctx, p, fx.QuoteRequest{Sell: from.Currency, Buy: o.Currency, BuyAmount: o.Amount})
	if err != nil {
		return Conversion{}, noConversion(o.Currency, err)
	}
	if len(q.Legs) == 0 || q.BuyAmount != o.Amount || q.Sell != from.Currency || q.Buy != o.Currency {
		return Conversion{}, fmt.Errorf("order: quote %s does not deliver %d %s", q.ID, o.Amount, o.Currency)
	}
	inv := func(provider, ccy string) (string, error) {
		a, err := s.cfg.Ledger.AccountByCode(ctx, provider, ccy, fx.InventoryCode)
		if err != nil {
			return "", noConversion(o.Currency, err)
		}
		return a.ID.String(), nil
	}
	c := Conversion{QuoteID: q.ID, Sell: q.Sell, SellAmount: q.SellAmount, Rate: q.EffectiveRate.String()}
	first := q.Legs[0]
	in0, err := inv(first.Provider, first.InCurrency)
	if err != nil {
		return Conversion{}, err
	}
	c.Legs = append(c.Legs, ChainLeg{Debit: from.ID.String(), Credit: in0, Amount: first.In, Currency: first.InCurrency})
	for i := 1; i < len(q.Legs); i++ {
		prev, l := q.Legs[i-1], q.Legs[i]
		if prev.OutCurrency != l.InCurrency || prev.Out != l.In {
			return Conversion{}, fmt.Errorf("order: quote %s: legs %d and %d do not chain", q.ID, i-1, i)
		}
		if prev.Provider == l.Provider {
			continue
		}
		dr, err := inv(prev.Provider, prev.OutCurrency)
		if err != nil {
			return Conversion{}, err
		}
		cr, err := inv(l.Provider, l.InCurrency)
		if err != nil {
			return Conversion{}, err
		}
		c.Legs = append(c.Legs, ChainLeg{Debit: dr, Credit: cr, Amount: l.In, Currency: l.InCurrency})
	}
	last := q.Legs[len(q.Legs)-1]
	if last.Out != o.Amount || last.OutCurrency != o.Currency {
		return Conversion{}, fmt.Errorf("order: quote %s: last leg delivers %d %s", q.ID, last.Out, last.OutCurrency)
	}
	if c.HoldFrom, err = inv(last.Provider, last.OutCurrency); err != nil {
		return Conversion{}, err
	}
	if _, err := s.cfg.FX.Claim(ctx, p, q.ID); err != nil {
		return Conversion{}, err
	}
	return c, nil
}

// noConversion refuses paying across currencies when the FX desk has no
// executable price or a provider cannot fill it now.
func noConversion(ccy string, cause error) error {
	return &problem.Error{Code: problem.Conflict, Err: cause, Message: "the FX desk cannot convert to " + ccy + " now: " + problem.MessageOf(cause),
		Fields: map[string]string{"pay_from": fmt.Sprintf("no conversion to %s available", ccy)}}
}

func refusal(c ledger.Code, field string) error {
	switch c {
	case ledger.ExceedsCredits:
		return fieldErr(problem.Conflict, "the account does not hold enough funds", field, "not enough funds")
	case ledger.DebitAccountClosed, ledger.CreditAccountClosed:
		return fieldErr(problem.Conflict, "an account of the order is closed", field, "the account is closed")
	default:
		return fieldErr(problem.Conflict, "the ledger refused: "+string(c), field, string(c))
	}
}

// ConfirmInput is what the seller adds on confirming: the account it is
// paid into, and the facts of the crossing the order does not know (where
// the goods leave from, the border post and mode, their masses). Goods,
// HS code, value, parties and Incoterm come from the order.
type ConfirmInput struct {
	PayTo      string `json:"pay_to"`
	ShipFrom   string `json:"ship_from"`
	BorderPost string `json:"border_post"`
	Mode       string `json:"mode"`
	GrossKg    int64  `json:"gross_kg"`
	NetKg      int64  `json:"net_kg"`
}

// Confirm is the seller's confirmation of a paid order: the export
// declaration is drafted from the order (customs) and a shipment entered
// for dispatch (logistics), both in the seller's name. If drafting fails
// the order stays paid (a drafted declaration is kept and reused by the
// next confirmation).
func (s *Service) Confirm(ctx context.Context, p *identity.Principal, id string, in ConfirmInput) (View, error) {
	if err := s.mustTrade(p); err != nil {
		return View{}, err
	}
	o, err := s.load(ctx, p, id)
	if err != nil {
		return View{}, err
	}
	if o.SellerOrg != p.OrgID {
		return View{}, problem.New(problem.Forbidden, "only the seller confirms")
	}
	if !p.Has(identity.Trader) {
		return View{}, problem.New(problem.Forbidden, "a trader of the seller confirms: the declaration and the shipment are drafted in their name")
	}
	if o.Status != Paid {
		return View{}, statusErr(o)
	}
	to, err := s.ownAccount(ctx, p.OrgID, o.Currency, in.PayTo, "pay_to", false)
	if err != nil {
		return View{}, err
	}
	f := problem.Fields{}
	from := s.locode(f, "ship_from", in.ShipFrom)
	if in.GrossKg < 1 || in.GrossKg > 100_000_000 {
		f.Add("gross_kg", "must be a positive whole number")
	}
	if in.NetKg < 1 || in.NetKg > 100_000_000 {
		f.Add("net_kg", "must be a positive whole number")
	} else if in.NetKg > in.GrossKg && f["gross_kg"] == "" {
		f.Add("gross_kg", "must not be less than the net mass")
	}
	if err := f.Err("the confirmation is not valid"); err != nil {
		return View{}, err
	}
	o.PayTo = to.ID.String()
	o, err = s.move(ctx, p, o, Confirming, "confirming", "")
	if problem.Is(err, problem.Conflict) {
		return s.settle(ctx, p, id, Confirmed)
	}
	if err != nil {
		return View{}, err
	}
	back := func(cause error) (View, error) {
		if _, merr := s.move(ctx, p, o, Paid, "confirm_failed", problem.MessageOf(cause)); merr != nil {
			s.cfg.Log.Warn("order left confirming", "order", o.ID, "err", merr)
		}
		return View{}, cause
	}
	if o.DeclarationID == "" {
		c, err := s.content(ctx, o, in)
		if err != nil {
			return back(err)
		}
		d, err := s.cfg.Declarations.Create(ctx, p, c)
		if err != nil {
			return back(err)
		}
		o.DeclarationID = d.ID
	}
	sh, err := s.cfg.Shipments.CreateShipmentForOrder(ctx, p, logistics.OrderShipment{OrderID: o.ID, DeclarationID: o.DeclarationID,
		Origin: from, Destination: o.Destination, Kg: in.GrossKg})
	if err != nil {
		return back(err)
	}
	o.ShipmentID = sh.ID
	o, err = s.move(ctx, p, o, Confirmed, "confirmed", o.DeclarationID+" "+o.ShipmentID)
	if err != nil {
		return View{}, err
	}
	return s.view(ctx, p, o)
}

// content builds the export declaration from the order: the seller
// exports to the buyer, the goods item is the order's goods, HS code,
// origin, quantity and value (the order's amount in its currency), on the
// order's Incoterm. Nothing is typed again.
func (s *Service) content(ctx context.Context, o Order, in ConfirmInput) (customs.Content, error) {
	seller, err := s.cfg.Org(ctx, o.SellerOrg)
	if err != nil {
		return customs.Content{}, err
	}
	buyer, err := s.cfg.Org(ctx, o.BuyerOrg)
	if err != nil {
		return customs.Content{}, err
	}
	unit, counted := rec20[o.Unit]
	qty := o.Quantity
	if !counted {
		unit, qty = "KGM", in.NetKg
	}
	return customs.Content{FunctionalReferenceID: "ORDER-" + o.ID[:8], Procedure: customs.Export,
		Exporter:                customs.Party{OrgID: seller.ID, Name: seller.Name, CountryCode: seller.Country},
		Importer:                customs.Party{OrgID: buyer.ID, Name: buyer.Name, CountryCode: buyer.Country},
		TradeTermsConditionCode: o.Incoterm,
		Transport:               customs.Transport{ModeCode: customs.TransportMode(strings.ToLower(strings.TrimSpace(in.Mode))), BorderPost: in.BorderPost},
		Items: []customs.Item{{SequenceNumeric: 1, Description: o.Goods, ClassificationID: o.HS, OriginCountryCode: o.Origin,
			TariffQuantity: qty, TariffQuantityUnitCode: unit, NetNetWeightMeasure: in.NetKg * 1000, GrossMassMeasure: in.GrossKg * 1000,
			CustomsValueAmount: o.Amount, CustomsValueCurrencyID: o.Currency}}}, nil
}

// rec20 maps the catalogue's units to UN/ECE Recommendation 20 codes;
// counted says the quantity is the order's own (otherwise it is declared
// as the net mass in kilograms).
var rec20 = map[string]string{"pcs": "H87", "set": "SET", "box": "NAR", "l": "LTR", "m3": "MTQ", "m": "MTR", "m2": "MTK", "t": "TNE"}

// Ship marks a confirmed order dispatched; the buyer's dispute window
// starts.
func (s *Service) Ship(ctx context.Context, p *identity.Principal, id string) (View, error) {
	if err := s.mustTrade(p); err != nil {
		return View{}, err
	}
	o, err := s.load(ctx, p, id)
	if err != nil {
		return View{}, err
	}
	if o.SellerOrg != p.OrgID {
		return View{}, problem.New(problem.Forbidden, "only the seller ships")
	}
	if o.Status != Confirmed {
		return View{}, statusErr(o)
	}
	now := s.now()
	o.ShippedAt, o.DisputeUntil = now, now.Add(DisputeWindow)
	o, err = s.move(ctx, p, o, Shipped, "shipped", "")
	if problem.Is(err, problem.Conflict) {
		return s.settle(ctx, p, id, Shipped)
	}
	if err != nil {
		return View{}, err
	}
	return s.view(ctx, p, o)
}

// ConfirmDelivery is the buyer's word that the goods arrived: the escrow
// is released to the seller minus the fee. Asked twice, or twenty times at
// once, it posts once.
func (s *Service) ConfirmDelivery(ctx context.Context, p *identity.Principal, id string) (View, error) {
	if err := s.mustTrade(p); err != nil {
		return View{}, err
	}
	o, err := s.load(ctx, p, id)
	if err != nil {
		return View{}, err
	}
	if o.BuyerOrg != p.OrgID {
		return View{}, problem.New(problem.Forbidden, "only the buyer confirms delivery")
	}
	switch o.Status {
	case Releasing:
		return s.release(ctx, p, o)
	case Shipped:
	default:
		return View{}, statusErr(o)
	}
	o, err = s.move(ctx, p, o, Releasing, "delivered", "")
	if problem.Is(err, problem.Conflict) {
		return s.settle(ctx, p, id, Released, Releasing)
	}
	if err != nil {
		return View{}, err
	}
	return s.release(ctx, p, o)
}

// SellerRelease lets the seller take the escrow once the dispute window
// of a shipped order has passed without a dispute (ReleaseDue does the
// same for every such order without being asked).
func (s *Service) SellerRelease(ctx context.Context, p *identity.Principal, id string) (View, error) {
	if err := s.mustTrade(p); err != nil {
		return View{}, err
	}
	o, err := s.load(ctx, p, id)
	if err != nil {
		return View{}, err
	}
	if o.SellerOrg != p.OrgID {
		return View{}, problem.New(problem.Forbidden, "only the seller asks for release")
	}
	v, _, err := s.windowEnded(ctx, p, o)
	return v, err
}

// windowEnded releases a shipped order whose dispute window has passed
// (or finishes one left releasing): the path of the seller's request and
// of the automatic release, so both ask the ledger for the same derived
// ids and an order is paid out once whoever comes first. mine says this
// call recorded the release.
func (s *Service) windowEnded(ctx context.Context, p *identity.Principal, o Order) (v View, mine bool, err error) {
	id := o.ID
	switch o.Status {
	case Releasing:
		return s.releaseMine(ctx, p, o)
	case Shipped:
	default:
		return View{}, false, statusErr(o)
	}
	if !s.now().After(o.DisputeUntil) {
		return View{}, false, fieldErr(problem.Conflict, "the buyer's dispute window is still open", "status", "dispute window open")
	}
	o, err = s.move(ctx, p, o, Releasing, "window_ended", "")
	if problem.Is(err, problem.Conflict) {
		v, err = s.settle(ctx, p, id, Released, Releasing)
		return v, false, err
	}
	if err != nil {
		return View{}, false, err
	}
	return s.releaseMine(ctx, p, o)
}

// platform is the actor of what the marketplace does by itself (the
// automatic release): audit records and order events name "system".
var platform = &identity.Principal{UserID: "system"}

// releaseBatch bounds one pass of ReleaseDue per status.
const releaseBatch = 500

// ReleaseDue releases every shipped order whose dispute window has ended
// without a dispute (a disputed order is no longer shipped, so it waits
// for the operator's ruling), and finishes orders a stopped process left
// releasing. It takes the seller's path (windowEnded), so a seller asking
// at the same moment, or a second ReleaseDue, meets the same ledger
// transfers and nothing is paid twice. It answers how many orders it
// released; an order another caller released first is not counted.
func (s *Service) ReleaseDue(ctx context.Context) (int, error) {
	n := 0
	now := s.now()
	for _, st := range []Status{Releasing, Shipped} {
		list, err := s.store.ListOrders(ctx, OrderQuery{Status: st, Limit: releaseBatch})
		if err != nil {
			return n, err
		}
		for _, o := range list {
			if o.Status == Shipped && !now.After(o.DisputeUntil) {
				continue
			}
			_, mine, err := s.windowEnded(ctx, platform, o)
			switch {
			case problem.Is(err, problem.Conflict):
				// moved by someone else meanwhile (released, disputed,
				// cancelled): nothing to do here.
			case err != nil:
				return n, err
			case mine:
				n++
			}
		}
	}
	return n, nil
}

// Run releases due orders every minute until ctx ends.
func (s *Service) Run(ctx context.Context) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n, err := s.ReleaseDue(ctx); err != nil {
				s.cfg.Log.Warn("order automatic release", "err", err)
			} else if n > 0 {
				s.cfg.Log.Info("orders released at the end of their dispute window", "count", n)
			}
		}
	}
}

// release posts the escrow and pays it out, one linked chain: the hold is
// posted into the escrow account, the amount less the fee goes to the
// seller's account, the fee to the operator's fee account. All ids derive
// from the order: a retry meets the same transfers (exists).
func (s *Service) release(ctx context.Context, p *identity.Principal, o Order) (View, error) {
	v, _, err := s.releaseMine(ctx, p, o)
	return v, err
}

// releaseMine is release; mine says this call recorded the order
// released (not a twin that came first).
func (s *Service) releaseMine(ctx context.Context, p *identity.Principal, o Order) (View, bool, error) {
	id := o.ID
	batch := []ledger.Transfer{}
	if o.FX != nil {
		for i, l := range o.FX.Legs {
			batch = append(batch, ledger.Transfer{ID: LegPostID(o.ID, i), PendingID: LegID(o.ID, i), Amount: l.Amount, Currency: l.Currency,
				Flags: ledger.PostPending | ledger.Linked, Code: CodeEscrowFX, Reference: o.ID})
		}
	}
	n := len(batch)
	batch = append(batch, []ledger.Transfer{
		{ID: PostID(o.ID), PendingID: HoldID(o.ID), Amount: o.Amount, Currency: o.Currency, Flags: ledger.PostPending | ledger.Linked, Code: CodeEscrow, Reference: o.ID},
		{ID: PayoutID(o.ID), DebitAccount: uuid.MustParse(o.Escrow), CreditAccount: uuid.MustParse(o.PayTo), Amount: o.Amount - o.Fee,
			Currency: o.Currency, Code: CodePayout, Reference: o.ID},
	}...)
	if o.Fee > 0 {
		batch[n+1].Flags = ledger.Linked
		batch = append(batch, ledger.Transfer{ID: FeeID(o.ID), DebitAccount: uuid.MustParse(o.Escrow), CreditAccount: uuid.MustParse(o.FeeAccount),
			Amount: o.Fee, Currency: o.Currency, Code: CodeFee, Reference: o.ID})
	}
	res, err := s.cfg.Ledger.SubmitSystem(ctx, batch, s.record(p, "market.order.release", "order", o.ID, o.SellerOrg, s.amount(o.Amount-o.Fee, o.Currency)))
	if err != nil {
		return View{}, false, err
	}
	if i, c := firstFailure(res); i >= 0 {
		return View{}, false, refusal(c, "status")
	}
	o, err = s.move(ctx, p, o, Released, "released", PostID(o.ID).String())
	if problem.Is(err, problem.Conflict) {
		v, err := s.settle(ctx, p, id, Released)
		return v, false, err
	}
	if err != nil {
		return View{}, false, err
	}
	v, err := s.view(ctx, p, o)
	return v, err == nil, err
}

// CancelInput says why.
type CancelInput struct {
	Reason string `json:"reason,omitempty"`
}

// Cancel ends an order before delivery is confirmed: the buyer while the
// seller has not confirmed it, the seller until the buyer confirms
// delivery. Escrow is voided back to the buyer. Of a cancellation and a
// delivery confirmation at once exactly one happens.
func (s *Service) Cancel(ctx context.Context, p *identity.Principal, id string, in CancelInput) (View, error) {
	if err := s.mustTrade(p); err != nil {
		return View{}, err
	}
	o, err := s.load(ctx, p, id)
	if err != nil {
		return View{}, err
	}
	f := problem.Fields{}
	reason := text(f, "reason", in.Reason, MaxTextLen, false)
	if err := f.Err("the cancellation is not valid"); err != nil {
		return View{}, err
	}
	allowed := []Status{Accepted, Paid}
	if o.SellerOrg == p.OrgID {
		allowed = []Status{Accepted, Paid, Confirmed, Shipped}
	} else if o.BuyerOrg != p.OrgID {
		return View{}, problem.New(problem.Forbidden, "only the parties cancel")
	}
	if o.Status == Voiding {
		return s.void(ctx, p, o)
	}
	if !slices.Contains(allowed, o.Status) {
		return View{}, statusErr(o)
	}
	if o.Status == Accepted {
		o, err = s.move(ctx, p, o, Cancelled, "cancelled", reason)
		if problem.Is(err, problem.Conflict) {
			return s.settle(ctx, p, id, Cancelled)
		}
		if err != nil {
			return View{}, err
		}
		return s.view(ctx, p, o)
	}
	o, err = s.move(ctx, p, o, Voiding, "cancelling", reason)
	if problem.Is(err, problem.Conflict) {
		return s.settle(ctx, p, id, Cancelled)
	}
	if err != nil {
		return View{}, err
	}
	return s.void(ctx, p, o)
}

// void releases the hold back to the buyer and records the order
// cancelled (a dispute ruled for the buyer ends the same way).
func (s *Service) void(ctx context.Context, p *identity.Principal, o Order) (View, error) {
	id := o.ID
	batch := []ledger.Transfer{}
	if o.FX != nil {
		for i := range o.FX.Legs {
			batch = append(batch, ledger.Transfer{ID: LegVoidID(o.ID, i), PendingID: LegID(o.ID, i), Flags: ledger.VoidPending | ledger.Linked,
				Code: CodeEscrowFX, Reference: o.ID})
		}
	}
	batch = append(batch, ledger.Transfer{ID: VoidID(o.ID), PendingID: HoldID(o.ID), Flags: ledger.VoidPending, Code: CodeEscrow, Reference: o.ID})
	res, err := s.cfg.Ledger.SubmitSystem(ctx, batch, s.record(p, "market.order.void", "order", o.ID, o.BuyerOrg, s.amount(o.Amount, o.Currency)))
	if err != nil {
		return View{}, err
	}
	if i, c := firstFailure(res); i >= 0 && (len(res) > 1 || c != ledger.PendingTransferAlreadyVoided) {
		return View{}, refusal(c, "status")
	}
	o, err = s.move(ctx, p, o, Cancelled, "voided", VoidID(o.ID).String())
	if problem.Is(err, problem.Conflict) {
		return s.settle(ctx, p, id, Cancelled)
	}
	if err != nil {
		return View{}, err
	}
	return s.view(ctx, p, o)
}

// DisputeInput is the buyer's reason.
type DisputeInput struct {
	Reason string `json:"reason"`
}

// OpenDispute is the buyer's complaint about a shipped order within the
// dispute window; the escrow stays held until the operator rules.
func (s *Service) OpenDispute(ctx context.Context, p *identity.Principal, id string, in DisputeInput) (View, error) {
	if err := s.mustTrade(p); err != nil {
		return View{}, err
	}
	o, err := s.load(ctx, p, id)
	if err != nil {
		return View{}, err
	}
	if o.BuyerOrg != p.OrgID {
		return View{}, problem.New(problem.Forbidden, "only the buyer opens a dispute")
	}
	f := problem.Fields{}
	reason := text(f, "reason", in.Reason, MaxTextLen, true)
	if err := f.Err("the dispute is not valid"); err != nil {
		return View{}, err
	}
	if o.Status != Shipped {
		return View{}, statusErr(o)
	}
	now := s.now()
	if now.After(o.DisputeUntil) {
		return View{}, fieldErr(problem.Conflict, "the dispute window has ended", "status", "dispute window ended")
	}
	o.Dispute = &Dispute{Reason: reason, OpenedAt: now, OpenedBy: p.UserID}
	o, err = s.move(ctx, p, o, Disputed, "disputed", reason)
	if problem.Is(err, problem.Conflict) {
		return s.settle(ctx, p, id, Disputed)
	}
	if err != nil {
		return View{}, err
	}
	return s.view(ctx, p, o)
}

// RuleInput is the operator's ruling: for "buyer" (the escrow is voided
// back) or "seller" (it is released).
type RuleInput struct {
	For  string `json:"for"`
	Note string `json:"note,omitempty"`
}

// CanRule is who rules on disputes: the platform administrator.
func CanRule(p *identity.Principal) bool { return p.Has(identity.PlatformAdmin) }

// Rule decides a dispute.
func (s *Service) Rule(ctx context.Context, p *identity.Principal, id string, in RuleInput) (View, error) {
	if !CanRule(p) {
		return View{}, problem.New(problem.Forbidden, "only the platform administrator rules on disputes")
	}
	o, err := s.load(ctx, p, id)
	if err != nil {
		return View{}, err
	}
	f := problem.Fields{}
	note := text(f, "note", in.Note, MaxTextLen, false)
	if in.For != "buyer" && in.For != "seller" {
		f.Add("for", "must be buyer or seller")
	}
	if err := f.Err("the ruling is not valid"); err != nil {
		return View{}, err
	}
	switch o.Status {
	case Releasing:
		return s.release(ctx, p, o)
	case Voiding:
		return s.void(ctx, p, o)
	case Disputed:
	default:
		return View{}, statusErr(o)
	}
	d := *o.Dispute
	d.Ruling, d.Note, d.RuledAt, d.RuledBy = in.For, note, s.now(), p.UserID
	o.Dispute = &d
	to := Releasing
	if in.For == "buyer" {
		to = Voiding
	}
	o, err = s.move(ctx, p, o, to, "ruled", in.For)
	if problem.Is(err, problem.Conflict) {
		return s.settle(ctx, p, id, Released, Cancelled)
	}
	if err != nil {
		return View{}, err
	}
	if to == Voiding {
		return s.void(ctx, p, o)
	}
	return s.release(ctx, p, o)
}

// Disputes lists orders in dispute, for the operator.
func (s *Service) Disputes(ctx context.Context, p *identity.Principal) ([]Order, error) {
	if !CanRule(p) {
		return nil, problem.New(problem.Forbidden, "only the platform administrator rules on disputes")
	}
	return s.store.ListOrders(ctx, OrderQuery{Status: Disputed, Limit: 200})
}

// ReviewInput is a buyer's review: 1 to 5 stars and optional text.
type ReviewInput struct {
	Stars int    `json:"stars"`
	Text  string `json:"text,omitempty"`
}

// AddReview reviews the seller of a released order, once per order.
func (s *Service) AddReview(ctx context.Context, p *identity.Principal, id string, in ReviewInput) (Review, error) {
	if err := s.mustTrade(p); err != nil {
		return Review{}, err
	}
	o, err := s.load(ctx, p, id)
	if err != nil {
		return Review{}, err
	}
	if o.BuyerOrg != p.OrgID {
		return Review{}, problem.New(problem.Forbidden, "only the buyer reviews the seller")
	}
	f := problem.Fields{}
	if in.Stars < 1 || in.Stars > 5 {
		f.Addf("stars", "must be a whole number from %d to %d", 1, 5)
	}
	txt := text(f, "text", in.Text, MaxTextLen, false)
	if err := f.Err("the review is not valid"); err != nil {
		return Review{}, err
	}
	if o.Status != Released {
		return Review{}, statusErr(o)
	}
	r := Review{OrderID: o.ID, SellerOrg: o.SellerOrg, BuyerOrg: o.BuyerOrg, Stars: in.Stars, Text: txt, CreatedAt: s.now(), CreatedBy: p.UserID}
	if err := s.store.AddReview(ctx, r, s.record(p, "market.order.review", "order", o.ID, o.SellerOrg, fmt.Sprintf("%d", in.Stars))); err != nil {
		return Review{}, err
	}
	return r, nil
}

// SellerReviews lists the reviews of a seller, for any trading company.
func (s *Service) SellerReviews(ctx context.Context, p *identity.Principal, seller string) ([]Review, error) {
	if err := s.mustTrade(p); err != nil {
		return nil, err
	}
	return s.store.SellerReviews(ctx, seller, 200)
}

// Work is what waits for a trading company on the marketplace, for its
// home: orders to pay and deliveries to confirm as buyer, orders to
// confirm and to ship as seller, and open RFQs of others to quote on.
type Work struct {
	ToPay     int `json:"to_pay"`
	ToReceive int `json:"to_receive"`
	ToConfirm int `json:"to_confirm"`
	ToShip    int `json:"to_ship"`
	OpenRFQs  int `json:"open_rfqs"`
}

// Work counts the caller's company's buying and selling work.
func (s *Service) Work(ctx context.Context, p *identity.Principal) (Work, error) {
	var w Work
	if !CanTrade(p) {
		return w, nil
	}
	bought, err := s.store.ListOrders(ctx, OrderQuery{Buyer: p.OrgID, Limit: 200})
	if err != nil {
		return w, err
	}
	for _, o := range bought {
		switch o.Status {
		case Accepted:
			w.ToPay++
		case Shipped:
			w.ToReceive++
		}
	}
	sold, err := s.store.ListOrders(ctx, OrderQuery{Seller: p.OrgID, Limit: 200})
	if err != nil {
		return w, err
	}
	for _, o := range sold {
		switch o.Status {
		case Paid:
			w.ToConfirm++
		case Confirmed:
			w.ToShip++
		}
	}
	open, err := s.OpenRFQs(ctx, p)
	w.OpenRFQs = len(open)
	return w, err
}
