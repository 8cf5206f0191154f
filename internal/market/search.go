package market

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"bricstown/internal/fx"
	"bricstown/internal/identity"
	"bricstown/internal/problem"
	"bricstown/internal/refdata"

	"github.com/google/uuid"
)

// Query is a catalogue search as a buyer types it (the API's query string
// and the page's search form).
type Query struct {
	Text     string `json:"q"`
	Origin   string `json:"origin"`   // ISO 3166 alpha-2: the country pavilion
	Section  string `json:"section"`  // HS section, "I".."XXI"
	Incoterm string `json:"incoterm"` // an Incoterms 2020 rule
	MOQ      string `json:"moq"`      // MOQ bucket 0..4
	Price    string `json:"price"`    // price bucket 0..5 in Currency
	// Currency is the buyer's currency for prices and price buckets; empty
	// means the currency of the caller's organisation's country.
	Currency string `json:"currency"`
	Cursor   string `json:"cursor"`
	Limit    int    `json:"limit"`
}

// Shown is a price in the buyer's currency: indicative, at the reference
// rates of RatesDate.
type Shown struct {
	Currency  string  `json:"currency"`
	UnitPrice int64   `json:"unit_price"`
	Tiers     []int64 `json:"tiers,omitempty"`
}

// Offer is a product as one caller sees it. Price is the unit price at the
// MOQ that applies to the caller (the contract price in force for it, its
// own or a group's under EffectivePrices' rule, else the list price) in the
// product's currency; ContractPrice is set only for the buyers a contract
// price applies to.
type Offer struct {
	Product
	Price         int64  `json:"price"`
	ContractPrice int64  `json:"contract_price,omitempty"`
	Shown         *Shown `json:"shown,omitempty"`
}

// Facet is one value of a facet with the number of matching products.
type Facet struct {
	Value    string `json:"value"`
	Count    int    `json:"count"`
	Selected bool   `json:"selected,omitempty"`
}

// Facets count the products matching the whole query (every filter
// applied), by value: choosing a value narrows the result to exactly its
// count.
type Facets struct {
	Total     int     `json:"total"`
	Origins   []Facet `json:"origins"`
	Sections  []Facet `json:"sections"`
	Prices    []Facet `json:"prices"`
	Incoterms []Facet `json:"incoterms"`
	MOQ       []Facet `json:"moq"`
}

// Results is one page of a search.
type Results struct {
	Items      []Offer `json:"items"`
	NextCursor string  `json:"next_cursor"`
	Currency   string  `json:"currency"`
	RatesDate  string  `json:"rates_date,omitempty"`
	Facets     Facets  `json:"facets"`
}

// DefaultLimit and MaxLimit bound a page of results.
const (
	DefaultLimit = 50
	MaxLimit     = 200
)

// currencyOf is the caller's display currency: asked, else its
// organisation's country's, else KZT.
func (s *Service) currencyOf(ctx context.Context, p *identity.Principal, asked string, f problem.Fields) (string, int) {
	ref := s.cfg.Ref
	if c := strings.ToUpper(strings.TrimSpace(asked)); c != "" {
		exp, ok := ref.MoneyExponent(c)
		if !ok {
			f.Add("currency", "must be an ISO 4217 currency that holds money")
			return fx.KZT, 2
		}
		return c, exp
	}
	if s.cfg.Org != nil && p != nil {
		if o, err := s.cfg.Org(ctx, p.OrgID); err == nil {
			if c, ok := ref.Country(o.Country); ok {
				for _, ccy := range c.Currencies {
					if exp, ok := ref.MoneyExponent(ccy); ok {
						return ccy, exp
					}
				}
			}
		}
	}
	exp, _ := ref.MoneyExponent(fx.KZT)
	return fx.KZT, exp
}

func bucketParam(f problem.Fields, field, s string, n int) int {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < 0 || v >= n {
		f.Addf(field, "must be a bucket from 0 to %d", n-1)
		return 0
	}
	return v + 1
}

// filter checks a query and turns it into the index's query (without
// the buyer's contract prices and the price bounds, which need the index).
func (s *Service) filter(ctx context.Context, p *identity.Principal, q Query) (*indexQuery, *Converter, int, error) {
	f := problem.Fields{}
	ref := s.cfg.Ref
	iq := &indexQuery{terms: QueryTerms(q.Text)}
	if len([]rune(q.Text)) > 200 {
		f.Add("q", "at most 200 characters")
	}
	if o := strings.ToUpper(strings.TrimSpace(q.Origin)); o != "" {
		if c, ok := ref.Country(o); !ok || len(o) != 2 {
			f.Addf("origin", "unknown ISO 3166 country %q", q.Origin)
		} else {
			iq.origin = c.Alpha2
		}
	}
	if sec := strings.ToUpper(strings.TrimSpace(q.Section)); sec != "" {
		if !slices.ContainsFunc(ref.HSSections(), func(h refdata.HSSection) bool { return h.Section == sec }) {
			f.Add("section", "must be an HS section I to XXI")
		}
		iq.section = sec
	}
	if t := strings.ToUpper(strings.TrimSpace(q.Incoterm)); t != "" {
		if iq.incoterm = IncotermBit(t); iq.incoterm == 0 {
			f.Add("incoterm", "must be an Incoterms 2020 rule: "+strings.Join(Incoterms, ", "))
		}
	}
	iq.moq = bucketParam(f, "moq", q.MOQ, MOQBuckets)
	iq.price = bucketParam(f, "price", q.Price, PriceBuckets)
	if q.Cursor != "" {
		if u, err := uuid.Parse(q.Cursor); err != nil {
			f.Add("cursor", "not a cursor of this listing")
		} else {
			iq.cursor, iq.hasCursor = [16]byte(u), true
		}
	}
	limit := q.Limit
	switch {
	case limit == 0:
		limit = DefaultLimit
	case limit < 1 || limit > MaxLimit:
		f.Addf("limit", "must be an integer from 1 to %d", MaxLimit)
	}
	ccy, exp := s.currencyOf(ctx, p, q.Currency, f)
	if len(f) > 0 {
		return nil, nil, 0, f.Err("invalid search")
	}
	at := s.now()
	refs, err := s.cfg.Rates(ctx, at)
	if err != nil {
		return nil, nil, 0, err
	}
	// Only the prices that apply to the caller are read (its own and its
	// groups'): the store's query names the buyer. They are read on every
	// search, never kept, so a buyer taken out of a group loses the price
	// at once in every process.
	if p != nil && p.OrgID != "" {
		list, err := s.store.BuyerContractPrices(ctx, p.OrgID, "", at)
		if err != nil {
			return nil, nil, 0, err
		}
		iq.contracts = EffectivePrices(list)
	}
	iq.limit = limit + 1
	return iq, NewConverter(refs, ccy, exp, ref.MoneyExponent), limit, nil
}

// Search finds products for any signed-in user: the words in any of the
// five languages, narrowed by the facets chosen, newest first, with facet
// counts of the whole result and prices in the caller's currency. The
// index (index.go) finds the page and counts the facets; the page's
// products are read from the store.
func (s *Service) Search(ctx context.Context, p *identity.Principal, q Query) (Results, error) {
	iq, conv, limit, err := s.filter(ctx, p, q)
	if err != nil {
		return Results{}, err
	}
	x, err := s.searchIndex(ctx)
	if err != nil {
		return Results{}, err
	}
	iq.bounds = conv.BucketBounds(x.currencyList())
	r := x.search(iq)
	prods, err := s.store.ProductsByID(ctx, r.ids)
	if err != nil {
		return Results{}, err
	}
	byID := make(map[string]*Product, len(prods))
	for i := range prods {
		byID[prods[i].ID] = &prods[i]
	}
	res := Results{Currency: conv.To, RatesDate: conv.Date, Facets: facetsOf(&r, iq)}
	for _, id := range r.ids {
		if prod := byID[id]; prod != nil {
			res.Items = append(res.Items, offerOf(*prod, r.contract[id], conv))
		}
	}
	if len(res.Items) > limit {
		res.Items = res.Items[:limit]
		res.NextCursor = res.Items[limit-1].ID
	}
	if res.Items == nil {
		res.Items = []Offer{}
	}
	return res, nil
}

// offerOf prices a product for one caller.
func offerOf(p Product, contract int64, conv *Converter) Offer {
	o := Offer{Product: p, Price: p.ListPrice(), ContractPrice: contract}
	if contract > 0 {
		o.Price = contract
	}
	if conv == nil {
		return o
	}
	if v, ok := conv.Convert(o.Price, p.Currency); ok {
		o.Shown = &Shown{Currency: conv.To, UnitPrice: v}
		if contract == 0 {
			for _, t := range p.Tiers {
				tv, _ := conv.Convert(t.UnitPrice, p.Currency)
				o.Shown.Tiers = append(o.Shown.Tiers, tv)
			}
		}
	}
	return o
}

func facetsOf(r *indexResult, q *indexQuery) Facets {
	out := Facets{Total: r.total}
	keys := func(m map[string]int, sel string) []Facet {
		out := make([]Facet, 0, len(m))
		for k, n := range m {
			out = append(out, Facet{Value: k, Count: n, Selected: k == sel})
		}
		slices.SortFunc(out, func(a, b Facet) int {
			if a.Count != b.Count {
				return b.Count - a.Count
			}
			return strings.Compare(a.Value, b.Value)
		})
		return out
	}
	out.Origins, out.Sections = keys(r.origins, q.origin), keys(r.sections, q.section)
	for i, n := range r.prices {
		if n > 0 {
			out.Prices = append(out.Prices, Facet{Value: strconv.Itoa(i), Count: n, Selected: q.price == i+1})
		}
	}
	for i, n := range r.moq {
		if n > 0 {
			out.MOQ = append(out.MOQ, Facet{Value: strconv.Itoa(i), Count: n, Selected: q.moq == i+1})
		}
	}
	for i, n := range r.incoterms {
		if n > 0 {
			out.Incoterms = append(out.Incoterms, Facet{Value: Incoterms[i], Count: n, Selected: q.incoterm == 1<<i})
		}
	}
	return out
}

// Product shows one product to any signed-in user, priced for the
// caller: the contract price in force for it (its own, else its groups'
// lowest), if any, else the list price.
func (s *Service) Product(ctx context.Context, p *identity.Principal, id, currency string) (Offer, string, error) {
	if _, err := uuid.Parse(id); err != nil {
		return Offer{}, "", notFound()
	}
	prod, err := s.store.GetProduct(ctx, id)
	if err != nil {
		return Offer{}, "", err
	}
	f := problem.Fields{}
	ccy, exp := s.currencyOf(ctx, p, currency, f)
	if len(f) > 0 {
		return Offer{}, "", f.Err("invalid currency")
	}
	now := s.now()
	var contract int64
	if p != nil && p.OrgID != prod.SellerOrg {
		if contract, err = s.BuyerPrice(ctx, p.OrgID, id, now); err != nil {
			return Offer{}, "", err
		}
	}
	refs, err := s.cfg.Rates(ctx, now)
	if err != nil {
		return Offer{}, "", err
	}
	conv := NewConverter(refs, ccy, exp, s.cfg.Ref.MoneyExponent)
	return offerOf(prod, contract, conv), conv.Date, nil
}
