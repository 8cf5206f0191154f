package sqlstore

import (
	"context"
	"slices"
	"testing"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/fx"
	"bricstown/internal/identity"
	"bricstown/internal/market"
	"bricstown/internal/problem"
)

// marketWorld is a Brazilian and a Chinese seller, two Kazakh buyers and a
// bank, with reference rates for BRL, CNY and USD.
type marketWorld struct {
	db                           *DB
	svc                          *market.Service
	br, cn, buyerB, buyerC, bank *identity.Principal
	now                          time.Time
}

func newMarketWorld(t *testing.T, db *DB) *marketWorld {
	ctx := context.Background()
	w := &marketWorld{db: db, now: time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)}
	orgs := []struct {
		id      string
		kind    identity.OrgKind
		country string
		role    identity.Role
		pr      **identity.Principal
	}{
		{"m-br", identity.KindCompany, "BR", identity.Trader, &w.br},
		{"m-cn", identity.KindCompany, "CN", identity.OrgAdmin, &w.cn},
		{"m-b", identity.KindCompany, "KZ", identity.Trader, &w.buyerB},
		{"m-c", identity.KindCompany, "KZ", identity.Trader, &w.buyerC},
		{"m-bank", identity.KindBank, "KZ", identity.OrgAdmin, &w.bank},
	}
	for _, o := range orgs {
		if err := db.CreateOrg(ctx, identity.Org{ID: o.id, Name: o.id, Kind: o.kind, Country: o.country, RegScheme: "REG", RegID: o.id, CreatedAt: w.now},
			audit.Record{ActorUser: "test", Action: "org.create"}); err != nil {
			t.Fatal(err)
		}
		*o.pr = &identity.Principal{UserID: "u-" + o.id, OrgID: o.id, OrgKind: o.kind, Roles: []identity.Role{o.role}}
	}
	refs := fx.ReferenceSet{
		"BRL": {Date: "2026-05-04", Currency: "BRL", Units: 1, KZT: fxMustRate(t, "92.5")},
		"CNY": {Date: "2026-05-04", Currency: "CNY", Units: 1, KZT: fxMustRate(t, "70.12")},
		"USD": {Date: "2026-05-04", Currency: "USD", Units: 1, KZT: fxMustRate(t, "505.3")},
	}
	w.svc = market.NewService(db, market.Config{Now: func() time.Time { return w.now },
		Rates: func(context.Context, time.Time) (fx.ReferenceSet, error) { return refs, nil },
		Org:   func(ctx context.Context, id string) (identity.Org, error) { return db.GetOrg(ctx, id) }})
	return w
}

func (w *marketWorld) publish(t *testing.T, p *identity.Principal, in market.NewProduct) market.Product {
	t.Helper()
	prod, err := w.svc.Publish(context.Background(), p, in)
	if err != nil {
		t.Fatalf("publish %v: %v", in.Names, err)
	}
	return prod
}

func coffee() market.NewProduct {
	return market.NewProduct{
		Names: map[string]string{"en": "Arabica coffee beans, green", "ru": "Кофе арабика в зёрнах", "zh": "阿拉比卡咖啡豆",
			"kk": "Арабика кофе дәндері", "pt": "Café arábica em grão verde"},
		HS: "0901.11", Origin: "BR", Unit: "kg", MOQ: 1000, Currency: "BRL",
		Tiers:     []market.NewTier{{MinQty: 1000, UnitPrice: "28.40"}, {MinQty: 10000, UnitPrice: "26.90"}},
		Incoterms: []string{"FOB", "CIF"}, Stock: 60000}
}

func excavator() market.NewProduct {
	return market.NewProduct{
		Names: map[string]string{"en": "Crawler excavator 22 t", "zh": "履带式挖掘机 22吨", "ru": "Гусеничный экскаватор 22 т"},
		HS:    "842952", Origin: "CN", Unit: "pcs", MOQ: 1, Currency: "CNY",
		Tiers:     []market.NewTier{{MinQty: 1, UnitPrice: "612000"}, {MinQty: 5, UnitPrice: "598000.50"}},
		Incoterms: []string{"FCA", "CIP", "DAP"}, Stock: 12}
}

func wheat() market.NewProduct {
	return market.NewProduct{
		Names: map[string]string{"kk": "Қатты бидай, 3-сынып", "en": "Durum wheat, class 3", "pt": "Trigo duro, classe 3"},
		HS:    "100119", Origin: "BR", Unit: "t", MOQ: 500, Currency: "USD",
		Tiers:     []market.NewTier{{MinQty: 500, UnitPrice: "265"}},
		Incoterms: []string{"FCA", "FOB"}, Stock: 20000}
}

func tea() market.NewProduct {
	return market.NewProduct{
		Names: map[string]string{"zh": "龙井茶", "en": "Longjing green tea"},
		HS:    "090210", Origin: "CN", Unit: "kg", MOQ: 20, Currency: "CNY",
		Tiers:     []market.NewTier{{MinQty: 20, UnitPrice: "480"}},
		Incoterms: []string{"EXW"}, Stock: 300}
}

func (w *marketWorld) search(t *testing.T, p *identity.Principal, q market.Query) market.Results {
	t.Helper()
	r, err := w.svc.Search(context.Background(), p, q)
	if err != nil {
		t.Fatalf("search %+v: %v", q, err)
	}
	return r
}

// all pages through a search and returns every hit.
func (w *marketWorld) all(t *testing.T, p *identity.Principal, q market.Query) []market.Offer {
	t.Helper()
	var out []market.Offer
	seen := map[string]bool{}
	for {
		r := w.search(t, p, q)
		for _, o := range r.Items {
			if seen[o.ID] {
				t.Fatalf("%s twice in %+v", o.ID, q)
			}
			seen[o.ID] = true
		}
		out = append(out, r.Items...)
		if r.NextCursor == "" {
			return out
		}
		q.Cursor = r.NextCursor
	}
}

func TestMarketPublishAndUpdateOwnOnly(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		w := newMarketWorld(t, db)
		ctx := context.Background()
		// Forbidden first: a bank publishes nothing.
		if _, err := w.svc.Publish(ctx, w.bank, coffee()); !problem.Is(err, problem.Forbidden) {
			t.Fatalf("bank publishing: %v", err)
		}
		// Bad input: every bad field at once, nothing stored.
		bad := coffee()
		bad.HS, bad.Origin, bad.Tiers[0].UnitPrice, bad.Incoterms = "0901.99", "XX", "28.405", []string{"FOB", "XYZ"}
		bad.Names = map[string]string{"de": "Kaffee"}
		_, err := w.svc.Publish(ctx, w.br, bad)
		var pe *problem.Error
		if !problem.Is(err, problem.Invalid) || !asProblem(err, &pe) {
			t.Fatalf("bad product: %v", err)
		}
		for _, f := range []string{"hs", "origin", "tiers[0].unit_price", "incoterms[1]", "names.de"} {
			if pe.Fields[f] == "" {
				t.Errorf("no message for %s in %v", f, pe.Fields)
			}
		}
		if code, _, ok := problem.FieldCode(pe.Fields["tiers[0].unit_price"]); !ok || code != "decimals_n" {
			t.Errorf("too many decimals: code %q (%q)", code, pe.Fields["tiers[0].unit_price"])
		}
		if mine, _ := w.svc.Mine(ctx, w.br, "", 10); len(mine) != 0 {
			t.Fatalf("a refused product was stored: %v", mine)
		}

		c := w.publish(t, w.br, coffee())
		if c.Section != "II" || c.ListPrice() != 2840 || !slices.Equal(c.Incoterms, []string{"FOB", "CIF"}) || c.Tiers[1].UnitPrice != 2690 {
			t.Fatalf("published %+v", c)
		}
		// Another company's trader cannot change it, and learns nothing:
		// the answer is that of an unknown product.
		changed := coffee()
		changed.Names = map[string]string{"en": "Cheap coffee"}
		_, errForeign := w.svc.Update(ctx, w.cn, c.ID, changed)
		_, errUnknown := w.svc.Update(ctx, w.cn, "0190f3a4-0000-7000-8000-000000000000", changed)
		if !problem.Is(errForeign, problem.NotFound) || errForeign.Error() != errUnknown.Error() {
			t.Fatalf("foreign update %v, unknown %v", errForeign, errUnknown)
		}
		if _, err := w.svc.SetContractPrice(ctx, w.cn, c.ID, market.NewContractPrice{BuyerOrg: "m-b", UnitPrice: "1", ValidFrom: "2026-05-01", ValidTo: "2026-06-01"}); !problem.Is(err, problem.NotFound) {
			t.Fatalf("foreign contract price: %v", err)
		}
		if r := w.search(t, w.buyerB, market.Query{Text: "cheap"}); len(r.Items) != 0 {
			t.Fatalf("the foreign update changed the index: %+v", r.Items)
		}
		// The seller changes its own: the old words are gone, the new found.
		u, err := w.svc.Update(ctx, w.br, c.ID, changed)
		if err != nil || u.Name("ru") != "Cheap coffee" {
			t.Fatalf("update: %+v %v", u, err)
		}
		if r := w.search(t, w.buyerB, market.Query{Text: "arabica"}); len(r.Items) != 0 {
			t.Fatalf("old words still found: %+v", r.Items)
		}
		if r := w.search(t, w.buyerB, market.Query{Text: "Cheap"}); len(r.Items) != 1 {
			t.Fatalf("new words not found: %+v", r.Items)
		}
	})
}

func asProblem(err error, pe **problem.Error) bool {
	e, ok := err.(*problem.Error)
	*pe = e
	return ok
}

func TestMarketSearchInEveryLanguage(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		w := newMarketWorld(t, db)
		c := w.publish(t, w.br, coffee())
		e := w.publish(t, w.cn, excavator())
		wh := w.publish(t, w.br, wheat())
		te := w.publish(t, w.cn, tea())
		for _, tc := range []struct {
			q    string
			want []string
		}{
			{"coffee", []string{c.ID}},
			{"ARABICA", []string{c.ID}},
			{"кофе", []string{c.ID}},
			{"Кофе зернах", []string{c.ID}},
			{"кофе зёрнах", []string{c.ID}}, // ё as е
			{"咖啡", []string{c.ID}},
			{"咖啡豆", []string{c.ID}},
			{"豆咖啡", nil}, // bigrams in order: 豆咖 is not in the name
			{"挖掘机", []string{e.ID}},
			{"茶", []string{te.ID}},
			{"дәндері", []string{c.ID}},
			{"қатты бидай", []string{wh.ID}},
			{"café", []string{c.ID}},
			{"trigo", []string{wh.ID}},
			{"0901", []string{c.ID}},
			{"10", []string{wh.ID}}, // chapter 10
			{"22", []string{e.ID}},  // a word of the name
			{"wheat coffee", nil},
			{"", []string{te.ID, wh.ID, e.ID, c.ID}},
		} {
			var got []string
			for _, o := range w.all(t, w.buyerB, market.Query{Text: tc.q, Limit: 2}) {
				got = append(got, o.ID)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("%q: got %v, want %v", tc.q, got, tc.want)
			}
		}
		// Prices in the buyer's currency, exactly: 28.40 BRL at 92.5 KZT is
		// 2627.00 KZT; in CNY, 28.40 × 92.5 / 70.12 = 37.4629… → 37.46.
		r := w.search(t, w.buyerB, market.Query{Text: "coffee"})
		if s := r.Items[0].Shown; r.Currency != "KZT" || s == nil || s.UnitPrice != 262700 || s.Tiers[1] != 248825 {
			t.Fatalf("in KZT: %s %+v", r.Currency, s)
		}
		r = w.search(t, w.buyerB, market.Query{Text: "coffee", Currency: "cny"})
		if s := r.Items[0].Shown; r.Currency != "CNY" || s.UnitPrice != 3746 || r.RatesDate != "2026-05-04" {
			t.Fatalf("in CNY: %s %+v", r.Currency, s)
		}
		if _, err := w.svc.Search(context.Background(), w.buyerB, market.Query{Currency: "XAU", Price: "9"}); !problem.Is(err, problem.Invalid) {
			t.Fatalf("bad currency and bucket: %v", err)
		}
	})
}

func TestMarketFacetCountsMatchResults(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		w := newMarketWorld(t, db)
		for i := 0; i < 3; i++ {
			w.publish(t, w.br, coffee())
			w.publish(t, w.cn, excavator())
		}
		w.publish(t, w.br, wheat())
		w.publish(t, w.cn, tea())
		for _, base := range []market.Query{{}, {Text: "кофе"}, {Origin: "CN"}, {Incoterm: "FCA"}} {
			r := w.search(t, w.buyerC, base)
			if n := len(w.all(t, w.buyerC, base)); r.Facets.Total != n {
				t.Fatalf("%+v: total %d, results %d", base, r.Facets.Total, n)
			}
			check := func(name string, fs []market.Facet, set func(q *market.Query, v string)) {
				sum := 0
				for _, f := range fs {
					sum += f.Count
					if name == "incoterm" && base.Incoterm != "" && f.Value != base.Incoterm {
						continue // one Incoterm is filtered at a time; a product offers several
					}
					q := base
					set(&q, f.Value)
					if n := len(w.all(t, w.buyerC, q)); n != f.Count {
						t.Errorf("%+v facet %s=%s: count %d, results %d", base, name, f.Value, f.Count, n)
					}
				}
				if name != "incoterm" && sum != r.Facets.Total {
					t.Errorf("%+v facet %s adds up to %d of %d", base, name, sum, r.Facets.Total)
				}
			}
			check("origin", r.Facets.Origins, func(q *market.Query, v string) { q.Origin = v })
			check("section", r.Facets.Sections, func(q *market.Query, v string) { q.Section = v })
			check("price", r.Facets.Prices, func(q *market.Query, v string) { q.Price = v })
			check("moq", r.Facets.MOQ, func(q *market.Query, v string) { q.MOQ = v })
			check("incoterm", r.Facets.Incoterms, func(q *market.Query, v string) { q.Incoterm = v })
		}
		// The country pavilion: China's products only.
		r := w.search(t, w.buyerC, market.Query{Origin: "cn"})
		if r.Facets.Total != 4 || len(r.Facets.Origins) != 1 || !r.Facets.Origins[0].Selected {
			t.Fatalf("pavilion: %+v", r.Facets)
		}
		// Buckets in KZT: coffee 2 627 KZT/kg (bucket 3), wheat 133 904.50
		// KZT/t (bucket 5), tea 33 657.60 (bucket 4), excavator 42.9 M (5).
		want := []market.Facet{{Value: "3", Count: 3}, {Value: "4", Count: 1}, {Value: "5", Count: 4}}
		if got := w.search(t, w.buyerC, market.Query{}).Facets.Prices; !slices.Equal(got, want) {
			t.Fatalf("price buckets %+v, want %+v", got, want)
		}
	})
}

func TestMarketContractPriceIsolation(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		w := newMarketWorld(t, db)
		ctx := context.Background()
		c := w.publish(t, w.br, coffee())
		// B's contract price: 8.00 BRL (740 KZT, bucket 2 instead of 3).
		if _, err := w.svc.SetContractPrice(ctx, w.br, c.ID, market.NewContractPrice{BuyerOrg: "m-b", UnitPrice: "8.001", ValidFrom: "2026-05-01", ValidTo: "2026-06-30"}); !problem.Is(err, problem.Invalid) {
			t.Fatalf("three decimals in BRL: %v", err)
		}
		cp, err := w.svc.SetContractPrice(ctx, w.br, c.ID, market.NewContractPrice{BuyerOrg: "m-b", UnitPrice: "8", ValidFrom: "2026-05-01", ValidTo: "2026-06-30"})
		if err != nil || cp.UnitPrice != 800 {
			t.Fatalf("contract price: %+v %v", cp, err)
		}
		if _, err := w.svc.SetContractPrice(ctx, w.br, c.ID, market.NewContractPrice{BuyerOrg: "m-b", UnitPrice: "9", ValidFrom: "2026-06-30", ValidTo: "2026-07-30"}); !problem.Is(err, problem.Conflict) {
			t.Fatalf("overlapping period: %v", err)
		}
		// A later, separate period for C is fine but not yet in force.
		if _, err := w.svc.SetContractPrice(ctx, w.br, c.ID, market.NewContractPrice{BuyerOrg: "m-c", UnitPrice: "1", ValidFrom: "2026-09-01", ValidTo: "2026-09-30"}); err != nil {
			t.Fatal(err)
		}
		// C never sees B's price: not in search, not in facets, not on the
		// product, not by filtering on B's price bucket.
		rc := w.search(t, w.buyerC, market.Query{Text: "coffee"})
		if o := rc.Items[0]; o.ContractPrice != 0 || o.Price != 2840 || o.Shown.UnitPrice != 262700 {
			t.Fatalf("C sees %+v", o)
		}
		if f := rc.Facets.Prices; len(f) != 1 || f[0].Value != "3" {
			t.Fatalf("C's price facet %+v", f)
		}
		if r := w.search(t, w.buyerC, market.Query{Price: "2"}); len(r.Items) != 0 || r.Facets.Total != 0 {
			t.Fatalf("C finds the product in B's bucket: %+v", r)
		}
		oc, _, err := w.svc.Product(ctx, w.buyerC, c.ID, "")
		if err != nil || oc.ContractPrice != 0 || oc.Price != 2840 {
			t.Fatalf("C's product: %+v %v", oc, err)
		}
		// B sees its own.
		rb := w.search(t, w.buyerB, market.Query{Text: "coffee"})
		if o := rb.Items[0]; o.ContractPrice != 800 || o.Price != 800 || o.Shown.UnitPrice != 74000 {
			t.Fatalf("B sees %+v", o)
		}
		if r := w.search(t, w.buyerB, market.Query{Price: "2"}); len(r.Items) != 1 || r.Facets.Total != 1 {
			t.Fatalf("B's bucket: %+v", r.Facets)
		}
		ob, _, _ := w.svc.Product(ctx, w.buyerB, c.ID, "")
		if ob.ContractPrice != 800 {
			t.Fatalf("B's product: %+v", ob)
		}
		// After the period B is back on the list price.
		w.now = time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
		if o := w.search(t, w.buyerB, market.Query{Text: "coffee"}).Items[0]; o.ContractPrice != 0 || o.Price != 2840 {
			t.Fatalf("after the period B sees %+v", o)
		}
		// Only the seller lists contract prices.
		if _, err := w.svc.ContractPrices(ctx, w.buyerB, c.ID); !problem.Is(err, problem.NotFound) {
			t.Fatalf("buyer listing contract prices: %v", err)
		}
		if cs, err := w.svc.ContractPrices(ctx, w.br, c.ID); err != nil || len(cs) != 2 {
			t.Fatalf("seller's contract prices: %v %v", cs, err)
		}
	})
}

// ImportProducts (the benchmark's and bulk loaders' path) stores products
// and terms exactly as publishing one by one does.
func TestMarketImportProducts(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		w := newMarketWorld(t, db)
		var ps []market.Product
		var recs []audit.Record
		for i := range 250 {
			p := market.Product{ID: newID().String(), SellerOrg: "m-cn", Names: map[string]string{"zh": "龙井茶", "en": "Longjing tea"}, HS: "090210",
				Section: "II", Origin: "CN", Unit: "kg", MOQ: int64(1 + i), Currency: "CNY", Tiers: []market.Tier{{MinQty: int64(1 + i), UnitPrice: 48000}},
				Incoterms: []string{"EXW"}, Stock: 10, CreatedAt: w.now, CreatedBy: "test", UpdatedAt: w.now}
			ps = append(ps, p)
			recs = append(recs, audit.Record{ActorUser: "test", Action: "market.product.publish", SubjectType: "product", SubjectID: p.ID})
		}
		if err := db.ImportProducts(context.Background(), ps, recs); err != nil {
			t.Fatal(err)
		}
		r := w.search(t, w.buyerB, market.Query{Text: "龙井"})
		if r.Facets.Total != 250 || len(w.all(t, w.buyerB, market.Query{Text: "tea", Limit: 100})) != 250 {
			t.Fatalf("imported: %d", r.Facets.Total)
		}
		if got, _ := w.svc.Mine(context.Background(), w.cn, "", 500); len(got) != market.MaxLimit+1 {
			t.Fatalf("seller's list %d", len(got))
		}
	})
}
