package market

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
	"bricstown/internal/fx"
	"bricstown/internal/identity"
	"bricstown/internal/money"
	"bricstown/internal/problem"
	"bricstown/internal/refdata"

	"github.com/google/uuid"
)

// Config wires the catalogue to the rest of the platform.
type Config struct {
	Log *slog.Logger
	Ref *refdata.Data
	// Rates is the official reference in force at a time (fx.Service's
	// ReferenceSet): indicative prices are converted at it.
	Rates func(ctx context.Context, at time.Time) (fx.ReferenceSet, error)
	// Org finds an organisation (problem.NotFound when none): a contract
	// price names an existing buyer, and a buyer's default currency is its
	// country's.
	Org func(ctx context.Context, id string) (identity.Org, error)
	Now func() time.Time
}

// Service applies the catalogue's rules: companies' traders and
// administrators publish and change their own products only; every
// signed-in user searches; a contract price is seen by its seller and its
// buyer and by nobody else.
type Service struct {
	store  Store
	cfg    Config
	search searchState // the search index (index.go)
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

func notFound() error { return problem.New(problem.NotFound, "no such product") }

// CanSell is the one rule for who publishes: a trader or administrator of
// a company. The route table narrows its routes with it, so the menu and
// the guard agree.
func CanSell(p *identity.Principal) bool {
	return p != nil && p.OrgKind == identity.KindCompany && p.HasAny(identity.Trader, identity.OrgAdmin)
}

// NewProduct is what a seller fills in. Prices are decimal strings in the
// product's currency ("12.50"), read exactly.
type NewProduct struct {
	Names        map[string]string `json:"names"`
	Descriptions map[string]string `json:"descriptions,omitempty"`
	HS           string            `json:"hs"`
	Origin       string            `json:"origin"`
	Unit         string            `json:"unit"`
	MOQ          int64             `json:"moq"`
	Currency     string            `json:"currency"`
	Tiers        []NewTier         `json:"tiers"`
	Incoterms    []string          `json:"incoterms"`
	Stock        int64             `json:"stock"`
}

// NewTier is one price break as typed.
type NewTier struct {
	MinQty    int64  `json:"min_qty"`
	UnitPrice string `json:"unit_price"`
}

func checkText(f problem.Fields, field, s string, max int) string {
	s = strings.TrimSpace(s)
	switch {
	case !utf8.ValidString(s):
		f.Add(field, "must be valid UTF-8")
	case strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' }) >= 0:
		f.Add(field, "must not contain control characters")
	case utf8.RuneCountInString(s) > max:
		f.Addf(field, "at most %d characters", max)
	}
	return s
}

func texts(f problem.Fields, field string, in map[string]string, max int) map[string]string {
	out := map[string]string{}
	for lang, s := range in {
		if !slices.Contains(Languages, lang) {
			f.Add(field+"."+lang, "must be one of en, ru, zh, kk, pt")
			continue
		}
		if s = checkText(f, field+"."+lang, s, max); s != "" {
			out[lang] = s
		}
	}
	return out
}

func checkQty(f problem.Fields, field string, v int64, min int64) {
	switch {
	case v < min:
		if min > 0 {
			f.Add(field, "must be a positive whole number")
		} else {
			f.Add(field, "must not be negative")
		}
	case v > MaxQuantity:
		f.Add(field, "too large")
	}
}

// validate checks a product as typed and returns it without id, seller and
// times, with every bad field reported at once.
func (s *Service) validate(in NewProduct) (Product, error) {
	f := problem.Fields{}
	ref := s.cfg.Ref
	p := Product{Names: texts(f, "names", in.Names, MaxNameLen), Descriptions: texts(f, "descriptions", in.Descriptions, MaxDescriptionLen)}
	if len(p.Names) == 0 && len(f) == 0 {
		f.Add("names", "required")
	}
	if len(p.Descriptions) == 0 {
		p.Descriptions = nil
	}
	hs := strings.NewReplacer(".", "", " ", "", "-", "").Replace(strings.TrimSpace(in.HS))
	switch h, ok := ref.HS(hs); {
	case hs == "":
		f.Add("hs", "required")
	case len(hs) != 6 || !ok:
		f.Add("hs", "must be an HS 2022 subheading (6 digits)")
	default:
		p.HS, p.Section = h.Code, h.Section
	}
	p.Origin = strings.ToUpper(strings.TrimSpace(in.Origin))
	if c, ok := ref.Country(p.Origin); p.Origin == "" {
		f.Add("origin", "required: ISO 3166 country of origin")
	} else if !ok || len(p.Origin) != 2 {
		f.Addf("origin", "unknown ISO 3166 country %q", in.Origin)
	} else {
		p.Origin = c.Alpha2
	}
	p.Unit = strings.TrimSpace(in.Unit)
	if !slices.Contains(Units, p.Unit) {
		f.Add("unit", "must be one of "+strings.Join(Units, ", "))
	}
	checkQty(f, "moq", in.MOQ, 1)
	checkQty(f, "stock", in.Stock, 0)
	p.MOQ, p.Stock = in.MOQ, in.Stock
	p.Currency = strings.ToUpper(strings.TrimSpace(in.Currency))
	exp, ok := ref.MoneyExponent(p.Currency)
	switch {
	case p.Currency == "":
		f.Add("currency", "required")
	case !ok:
		f.Add("currency", "must be an ISO 4217 currency that holds money")
	}
	switch {
	case len(in.Tiers) == 0:
		f.Add("tiers", "required")
	case len(in.Tiers) > MaxTiers:
		f.Addf("tiers", "at most %d price tiers", MaxTiers)
	default:
		for i, t := range in.Tiers {
			at := fmt.Sprintf("tiers[%d].", i)
			checkQty(f, at+"min_qty", t.MinQty, 1)
			switch {
			case i == 0 && t.MinQty != in.MOQ && in.MOQ > 0:
				f.Add(at+"min_qty", "the first tier starts at the minimum order quantity")
			case i > 0 && t.MinQty <= in.Tiers[i-1].MinQty:
				f.Add(at+"min_qty", "must be greater than the previous tier's")
			}
			var price int64
			if ok {
				price = money.FieldPrice(f, at+"unit_price", t.UnitPrice, exp)
			}
			p.Tiers = append(p.Tiers, Tier{MinQty: t.MinQty, UnitPrice: price})
		}
	}
	var mask int64
	for i, c := range in.Incoterms {
		c = strings.ToUpper(strings.TrimSpace(c))
		bit := IncotermBit(c)
		switch {
		case bit == 0:
			f.Add(fmt.Sprintf("incoterms[%d]", i), "must be an Incoterms 2020 rule: "+strings.Join(Incoterms, ", "))
		case mask&bit != 0:
			f.Add(fmt.Sprintf("incoterms[%d]", i), "listed twice")
		}
		mask |= bit
	}
	if len(in.Incoterms) == 0 {
		f.Add("incoterms", "required: an Incoterm 2020 code such as FCA or CIF")
	}
	p.Incoterms = IncotermsOf(mask)
	if len(f) > 0 {
		return Product{}, f.Err("invalid product")
	}
	return p, nil
}

func (s *Service) mustSell(p *identity.Principal) error {
	if !CanSell(p) {
		return problem.New(problem.Forbidden, "only a company's traders and administrators publish products")
	}
	return nil
}

// Publish adds a product of the caller's company to the catalogue.
func (s *Service) Publish(ctx context.Context, p *identity.Principal, in NewProduct) (Product, error) {
	if err := s.mustSell(p); err != nil {
		return Product{}, err
	}
	prod, err := s.validate(in)
	if err != nil {
		return Product{}, err
	}
	now := s.now()
	prod.ID, prod.SellerOrg, prod.CreatedAt, prod.CreatedBy, prod.UpdatedAt = uuid.Must(uuid.NewV7()).String(), p.OrgID, now, p.UserID, now
	rec := audit.Record{ActorUser: p.UserID, ActorOrg: p.OrgID, OrgID: p.OrgID, Action: "market.product.publish", SubjectType: "product",
		SubjectID: prod.ID, Detail: prod.HS + " " + prod.Origin}
	if err := s.store.CreateProduct(ctx, prod, rec); err != nil {
		return Product{}, err
	}
	return prod, nil
}

// Update replaces what the seller typed of one of its own products; another
// organisation's product answers not_found, like an unknown one.
func (s *Service) Update(ctx context.Context, p *identity.Principal, id string, in NewProduct) (Product, error) {
	if err := s.mustSell(p); err != nil {
		return Product{}, err
	}
	old, err := s.own(ctx, p, id)
	if err != nil {
		return Product{}, err
	}
	prod, err := s.validate(in)
	if err != nil {
		return Product{}, err
	}
	prod.ID, prod.SellerOrg, prod.CreatedAt, prod.CreatedBy, prod.UpdatedAt = old.ID, old.SellerOrg, old.CreatedAt, old.CreatedBy, s.now()
	rec := audit.Record{ActorUser: p.UserID, ActorOrg: p.OrgID, OrgID: p.OrgID, Action: "market.product.update", SubjectType: "product",
		SubjectID: prod.ID, Detail: prod.HS + " " + prod.Origin}
	if err := s.store.UpdateProduct(ctx, prod, rec); err != nil {
		return Product{}, err
	}
	return prod, nil
}

// own is a product of the caller's organisation.
func (s *Service) own(ctx context.Context, p *identity.Principal, id string) (Product, error) {
	if _, err := uuid.Parse(id); err != nil {
		return Product{}, notFound()
	}
	prod, err := s.store.GetProduct(ctx, id)
	if problem.Is(err, problem.NotFound) || err == nil && prod.SellerOrg != p.OrgID {
		return Product{}, notFound()
	}
	return prod, err
}

// Mine lists the caller's company's products, newest first.
func (s *Service) Mine(ctx context.Context, p *identity.Principal, after string, limit int) ([]Product, error) {
	if err := s.mustSell(p); err != nil {
		return nil, err
	}
	return s.store.SellerProducts(ctx, p.OrgID, after, clampLimit(limit))
}

// clampLimit bounds a listing: callers ask for a page plus one.
func clampLimit(n int) int {
	switch {
	case n <= 0:
		return DefaultLimit + 1
	case n > MaxLimit+1:
		return MaxLimit + 1
	}
	return n
}

// NewContractPrice is a seller's price for one buyer organisation or for
// one of its buyer groups (exactly one of the two); dates are YYYY-MM-DD
// (UTC), from inclusive, to inclusive (the whole day).
type NewContractPrice struct {
	BuyerOrg   string `json:"buyer_org,omitempty"`
	BuyerGroup string `json:"buyer_group,omitempty"`
	UnitPrice  string `json:"unit_price"`
	ValidFrom  string `json:"valid_from"`
	ValidTo    string `json:"valid_to"`
}

// MaxContractDays bounds a contract price's period.
const MaxContractDays = 3 * 366

// SetContractPrice gives a buyer organisation, or every member of one of
// the caller's buyer groups, its price of one of the caller's products for
// a period. Periods of one product and buyer (or group) never overlap
// (409); which of several prices in force a buyer pays is EffectivePrices'
// rule. Another seller's group answers like an unknown one.
func (s *Service) SetContractPrice(ctx context.Context, p *identity.Principal, productID string, in NewContractPrice) (ContractPrice, error) {
	if err := s.mustSell(p); err != nil {
		return ContractPrice{}, err
	}
	prod, err := s.own(ctx, p, productID)
	if err != nil {
		return ContractPrice{}, err
	}
	f := problem.Fields{}
	var buyer, group string
	switch in.BuyerGroup = strings.TrimSpace(in.BuyerGroup); {
	case strings.TrimSpace(in.BuyerOrg) != "" && in.BuyerGroup != "":
		f.Add("buyer_group", "name either a buyer or a buyer group, not both")
	case in.BuyerGroup != "":
		if _, err := uuid.Parse(in.BuyerGroup); err != nil {
			f.Add("buyer_group", "no such buyer group")
		} else if _, err := s.store.GetBuyerGroup(ctx, p.OrgID, in.BuyerGroup); problem.Is(err, problem.NotFound) {
			f.Add("buyer_group", "no such buyer group")
		} else if err != nil {
			return ContractPrice{}, err
		}
		group = in.BuyerGroup
	case strings.TrimSpace(in.BuyerOrg) == "":
		f.Add("buyer_org", "required: a buyer or a buyer group")
	default:
		if buyer, err = s.checkBuyer(ctx, p, f, "buyer_org", in.BuyerOrg); err != nil {
			return ContractPrice{}, err
		}
	}
	exp, _ := s.cfg.Ref.MoneyExponent(prod.Currency)
	price := money.FieldPrice(f, "unit_price", in.UnitPrice, exp)
	from, errF := time.Parse(time.DateOnly, strings.TrimSpace(in.ValidFrom))
	to, errT := time.Parse(time.DateOnly, strings.TrimSpace(in.ValidTo))
	if errF != nil {
		f.Add("valid_from", "must be a date YYYY-MM-DD")
	}
	if errT != nil {
		f.Add("valid_to", "must be a date YYYY-MM-DD")
	}
	to = to.Add(24 * time.Hour)
	if errF == nil && errT == nil {
		switch {
		case !to.After(from):
			f.Add("valid_to", "must not be before valid_from")
		case to.Sub(from) > MaxContractDays*24*time.Hour:
			f.Addf("valid_to", "at most %d days after valid_from", MaxContractDays)
		case !to.After(s.now()):
			f.Add("valid_to", "must not be in the past")
		}
	}
	if len(f) > 0 {
		return ContractPrice{}, f.Err("invalid contract price")
	}
	c := ContractPrice{ID: uuid.Must(uuid.NewV7()).String(), ProductID: prod.ID, SellerOrg: prod.SellerOrg, BuyerOrg: buyer, BuyerGroup: group,
		UnitPrice: price, Currency: prod.Currency, ValidFrom: from, ValidTo: to, CreatedAt: s.now(), CreatedBy: p.UserID}
	rec := audit.Record{ActorUser: p.UserID, ActorOrg: p.OrgID, OrgID: p.OrgID, Action: "market.contract_price.set", SubjectType: "product",
		SubjectID: prod.ID, Detail: "buyer " + buyer}
	if group != "" {
		rec.Action, rec.Detail = "market.group_price.set", "group "+group
	}
	if err := s.store.CreateContractPrice(ctx, c, rec); err != nil {
		return ContractPrice{}, err
	}
	return c, nil
}

// ContractPrices lists the contract prices of one of the caller's
// products (the seller's view; a buyer sees its own price in Product and
// Search).
func (s *Service) ContractPrices(ctx context.Context, p *identity.Principal, productID string) ([]ContractPrice, error) {
	if err := s.mustSell(p); err != nil {
		return nil, err
	}
	if _, err := s.own(ctx, p, productID); err != nil {
		return nil, err
	}
	return s.store.ContractPrices(ctx, productID)
}
