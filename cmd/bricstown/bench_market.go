package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sort"
	"strconv"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/demo"
	"bricstown/internal/identity"
	"bricstown/internal/market"
	"bricstown/internal/money"

	"github.com/google/uuid"
)

// marketBenchResult is one line of `bench market --json`.
type marketBenchResult struct {
	Scenario    string  `json:"scenario"`
	Engine      string  `json:"engine"`
	Products    int     `json:"products"`
	Queries     int     `json:"queries"`
	P50ms       float64 `json:"p50_ms"`
	P99ms       float64 `json:"p99_ms"`
	MaxMs       float64 `json:"max_ms"`
	MeanResults float64 `json:"mean_results"` // products matched per query (the facets' total)
	LoadSeconds float64 `json:"load_seconds"`
	// IndexSeconds and IndexMB are the search index's build time and the
	// heap it holds (measured after a collection).
	IndexSeconds float64 `json:"index_seconds"`
	IndexMB      float64 `json:"index_mb"`
	LoadAverage  string  `json:"load_average"`
}

// marketGood is one kind of goods the generator names products after, in
// the five languages, with its HS subheading.
type marketGood struct {
	hs, unit           string
	en, ru, zh, kk, pt string
	minPrice, maxPrice float64 // USD per unit, for a plausible spread
	minMOQ, maxMOQ     int64
}

var marketGoods = []marketGood{
	{"090111", "kg", "coffee beans", "кофе в зёрнах", "咖啡豆", "кофе дәндері", "café em grão", 3, 9, 500, 20000},
	{"120190", "t", "soybeans", "соевые бобы", "大豆", "соя бұршағы", "soja em grão", 350, 600, 100, 5000},
	{"020230", "kg", "frozen beef", "замороженная говядина", "冷冻牛肉", "мұздатылған сиыр еті", "carne bovina congelada", 4, 9, 1000, 27000},
	{"310210", "t", "urea fertiliser", "карбамид удобрение", "尿素化肥", "карбамид тыңайтқышы", "fertilizante ureia", 250, 450, 100, 10000},
	{"100199", "t", "milling wheat", "пшеница продовольственная", "制粉小麦", "азық-түліктік бидай", "trigo para moagem", 180, 320, 100, 5000},
	{"851713", "pcs", "smartphone", "смартфон", "智能手机", "смартфон", "smartphone", 60, 600, 10, 5000},
	{"850760", "pcs", "lithium battery", "литиевая батарея", "锂电池", "литий батареясы", "bateria de lítio", 40, 2000, 5, 1000},
	{"842952", "pcs", "excavator", "экскаватор", "挖掘机", "экскаватор", "escavadeira", 30000, 150000, 1, 5},
	{"120400", "t", "flaxseed", "семена льна", "亚麻籽", "зығыр тұқымы", "linhaça", 400, 700, 20, 2000},
	{"740311", "t", "copper cathodes", "медные катоды", "阴极铜", "мыс катодтары", "catodos de cobre", 8000, 10000, 5, 500},
	{"720241", "t", "ferrochrome", "феррохром", "铬铁", "феррохром", "ferrocromo", 1100, 1800, 20, 1000},
	{"520512", "kg", "cotton yarn", "хлопковая пряжа", "棉纱", "мақта иірімжібі", "fio de algodão", 2, 5, 500, 20000},
	{"630231", "set", "bed linen", "постельное бельё", "床上用品", "төсек-орын жабдығы", "roupa de cama", 8, 40, 100, 5000},
	{"300490", "box", "paracetamol tablets", "таблетки парацетамола", "对乙酰氨基酚片", "парацетамол таблеткалары", "comprimidos de paracetamol", 0.5, 4, 1000, 100000},
	{"170114", "t", "raw cane sugar", "тростниковый сахар-сырец", "原糖", "қамыс шикі қанты", "açúcar bruto de cana", 380, 560, 500, 12500},
	{"080510", "kg", "fresh oranges", "свежие апельсины", "新鲜橙子", "жаңа апельсиндер", "laranjas frescas", 0.5, 1.5, 5000, 25000},
	{"271019", "t", "diesel fuel", "дизельное топливо", "柴油", "дизель отыны", "óleo diesel", 600, 900, 50, 5000},
	{"870421", "pcs", "light truck", "лёгкий грузовик", "轻型卡车", "жеңіл жүк көлігі", "caminhão leve", 15000, 45000, 1, 20},
	{"940360", "pcs", "wooden furniture", "деревянная мебель", "木制家具", "ағаш жиһаз", "móveis de madeira", 50, 900, 10, 500},
	{"610910", "pcs", "cotton t-shirt", "хлопковая футболка", "棉质T恤", "мақта футболка", "camiseta de algodão", 1.5, 8, 500, 20000},
}

var marketGrades = [][5]string{
	{"premium", "премиум", "优质", "премиум", "premium"}, {"export grade", "экспортный", "出口级", "экспорттық", "tipo exportação"},
	{"bulk", "навалом", "散装", "үйінді", "a granel"}, {"certified", "сертифицированный", "认证", "сертификатталған", "certificado"},
	{"organic", "органический", "有机", "органикалық", "orgânico"},
}

// marketSellers are the countries sellers come from, with their currency
// and the rough number of units of it to one USD (only to spread prices
// plausibly; search converts at the reference rates).
var marketSellers = []struct {
	country, ccy string
	perUSD       float64
}{{"BR", "BRL", 5.5}, {"RU", "RUB", 90}, {"CN", "CNY", 7.2}, {"KZ", "KZT", 505}, {"IN", "INR", 84}, {"ZA", "ZAR", 18}, {"EG", "EGP", 49},
	{"AE", "AED", 3.67}, {"ID", "IDR", 16000}, {"ET", "ETB", 120}, {"IR", "USD", 1}}

// benchMarket fills a catalogue with generated products (names in two or
// three of the five languages, real HS codes, tiers, Incoterms) and times
// searches with facets: words in every language (Chinese by bigrams),
// country pavilions, facet filters, prices in random buyer currencies.
func benchMarket(ctx context.Context, e *env, args []string) error {
	f := newFlags(e, "bench market", "bench market [flags]")
	dsn := f.string("db", "BRICSTOWN_BENCH_DB", "", "database (default: a fresh SQLite file in a temp dir); a postgres:// URL must name an empty database")
	products := f.int("products", "BRICSTOWN_BENCH_PRODUCTS", 1000000, "products in the catalogue")
	queries := f.int("queries", "BRICSTOWN_BENCH_QUERIES", 2000, "searches to time")
	seed := f.int("seed", "BRICSTOWN_BENCH_SEED", 1, "generator seed")
	asJSON := f.bool("json", "BRICSTOWN_BENCH_JSON", false, "print one JSON object")
	cpuProfile := cpuProfileFlag(f)
	scenario := f.string("scenario", "BRICSTOWN_BENCH_SCENARIO", "search", "search (the catalogue) or matchmaking (the expo's meeting scheduler)")
	mm := matchmakingFlags(f)
	if err := f.parse(args); err != nil {
		return err
	}
	if *scenario == "matchmaking" {
		return benchMatchmaking(e, mm, uint64(*seed), *asJSON)
	}
	if *scenario != "search" {
		return usageError{fmt.Sprintf("bench market: unknown scenario %q", *scenario)}
	}
	p, cleanup, err := benchPlatform(ctx, *dsn, "")
	if err != nil {
		return err
	}
	defer cleanup()
	rng := rand.New(rand.NewPCG(uint64(*seed), 7))
	now := time.Now().UTC().Truncate(time.Microsecond)

	// Sellers, a buyer, and the town's reference rates (the demo table).
	town := identity.Org{ID: uuid.Must(uuid.NewV7()).String(), Name: "Bench town administration", Kind: identity.KindTownAdministration, Country: "KZ",
		RegScheme: "BENCH", RegID: "town", CreatedAt: now}
	buyer := identity.Org{ID: uuid.Must(uuid.NewV7()).String(), Name: "Bench buyer", Kind: identity.KindCompany, Country: "KZ", RegScheme: "BENCH",
		RegID: "buyer", CreatedAt: now}
	for _, o := range []identity.Org{town, buyer} {
		if err := p.DB.CreateOrg(ctx, o, audit.Record{ActorUser: "bench", Action: "org.create", SubjectType: "org", SubjectID: o.ID}); err != nil {
			return err
		}
	}
	if err := demo.SeedReference(ctx, p.FX, town.ID, now); err != nil {
		return fmt.Errorf("bench market: reference rates: %w", err)
	}
	const sellersPerCountry = 10
	sellers := make([]string, 0, len(marketSellers)*sellersPerCountry)
	for i, s := range marketSellers {
		for j := range sellersPerCountry {
			o := identity.Org{ID: uuid.Must(uuid.NewV7()).String(), Name: fmt.Sprintf("Bench seller %s %d", s.country, j), Kind: identity.KindCompany,
				Country: s.country, RegScheme: "BENCH", RegID: fmt.Sprintf("%d-%d", i, j), CreatedAt: now}
			if err := p.DB.CreateOrg(ctx, o, audit.Record{ActorUser: "bench", Action: "org.create", SubjectType: "org", SubjectID: o.ID}); err != nil {
				return err
			}
			sellers = append(sellers, o.ID)
		}
	}

	// The catalogue, in batches of one seller's products, each one
	// transaction through the service's PublishBatch (the same validation
	// as publishing one product).
	started := time.Now()
	const batch = 2000
	langs := []string{"en", "ru", "zh", "kk", "pt"}
	for done := 0; done < *products; {
		n := min(batch, *products-done)
		si := rng.IntN(len(sellers))
		s := marketSellers[si/sellersPerCountry]
		seller := &identity.Principal{UserID: "bench", OrgID: sellers[si], OrgKind: identity.KindCompany, Roles: []identity.Role{identity.Trader}}
		exp, _ := p.Ref.MoneyExponent(s.ccy)
		in := make([]market.NewProduct, n)
		for i := range in {
			g := marketGoods[rng.IntN(len(marketGoods))]
			gr := marketGrades[rng.IntN(len(marketGrades))]
			names := map[string]string{}
			all := [5]string{g.en, g.ru, g.zh, g.kk, g.pt}
			for _, li := range []int{0, rng.IntN(5), rng.IntN(5)} {
				names[langs[li]] = gr[li] + " " + all[li] + " " + strconv.Itoa(rng.IntN(900)+100)
			}
			usd := g.minPrice * math.Pow(g.maxPrice/g.minPrice, rng.Float64())
			price := max(int64(usd*s.perUSD*math.Pow10(exp)), 1)
			moq := int64(float64(g.minMOQ) * math.Pow(float64(g.maxMOQ)/float64(g.minMOQ), rng.Float64()))
			tiers := []market.NewTier{{MinQty: moq, UnitPrice: money.FormatAmount(price, exp)}}
			if rng.IntN(2) == 0 {
				tiers = append(tiers, market.NewTier{MinQty: moq * 10, UnitPrice: money.FormatAmount(max(price*95/100, 1), exp)})
			}
			var mask int64
			for mask == 0 {
				mask = rng.Int64N(1 << len(market.Incoterms))
				mask &= rng.Int64N(1 << len(market.Incoterms)) // two or three terms on average
			}
			in[i] = market.NewProduct{Names: names, HS: g.hs, Origin: s.country, Unit: g.unit, MOQ: moq, Currency: s.ccy, Tiers: tiers,
				Incoterms: market.IncotermsOf(mask), Stock: moq * int64(rng.IntN(100)+1)}
		}
		if _, err := p.Market.PublishBatch(ctx, seller, in); err != nil {
			return fmt.Errorf("bench market: load: %w", err)
		}
		done += n
		fmt.Fprintf(e.stderr, "\rbench market: %d/%d products loaded (%.0f/s)…", done, *products, float64(done)/time.Since(started).Seconds())
	}
	load := time.Since(started)
	fmt.Fprintln(e.stderr)

	// The search index, as serve builds it at start: its time and the heap
	// it holds.
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	started = time.Now()
	if err := p.Market.BuildSearchIndex(ctx); err != nil {
		return fmt.Errorf("bench market: index: %w", err)
	}
	indexTime := time.Since(started)
	runtime.GC()
	runtime.ReadMemStats(&after)

	stop, err := startCPUProfile(*cpuProfile)
	if err != nil {
		return err
	}
	defer stop()
	pr := &identity.Principal{UserID: "bench", OrgID: buyer.ID, OrgKind: identity.KindCompany, Roles: []identity.Role{identity.Trader}}
	currencies := []string{"", "KZT", "CNY", "RUB", "BRL", "INR", "USD"}
	lat := make([]float64, 0, *queries)
	matched := 0
	for i := range *queries {
		g := marketGoods[rng.IntN(len(marketGoods))]
		words := [5]string{g.en, g.ru, g.zh, g.kk, g.pt}
		q := market.Query{Currency: currencies[rng.IntN(len(currencies))], Limit: market.DefaultLimit}
		switch rng.IntN(6) {
		case 0: // a country pavilion
			q.Origin = marketSellers[rng.IntN(len(marketSellers))].country
		case 1: // words and a facet
			q.Text = words[rng.IntN(5)]
			q.Origin = marketSellers[rng.IntN(len(marketSellers))].country
		case 2:
			q.Text = words[rng.IntN(5)]
			q.Incoterm = market.Incoterms[rng.IntN(len(market.Incoterms))]
		case 3:
			q.Text = words[rng.IntN(5)]
			q.Price = strconv.Itoa(rng.IntN(market.PriceBuckets))
		default: // words only
			q.Text = words[rng.IntN(5)]
		}
		t0 := time.Now()
		res, err := p.Market.Search(ctx, pr, q)
		if err != nil {
			return fmt.Errorf("bench market: search %+v: %w", q, err)
		}
		lat = append(lat, float64(time.Since(t0).Microseconds())/1000)
		matched += res.Facets.Total
		if (i+1)%100 == 0 {
			fmt.Fprintf(e.stderr, "\rbench market: %d/%d searches…", i+1, *queries)
		}
	}
	fmt.Fprintln(e.stderr)
	sort.Float64s(lat)
	pct := func(q float64) float64 {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(q*float64(len(lat))))]
	}
	r := marketBenchResult{Scenario: "search", Engine: string(p.DB.Engine), Products: *products, Queries: *queries, P50ms: pct(0.50), P99ms: pct(0.99),
		LoadSeconds: load.Seconds(), IndexSeconds: indexTime.Seconds(), IndexMB: float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / (1 << 20),
		LoadAverage: loadAverage()}
	if len(lat) > 0 {
		r.MaxMs, r.MeanResults = lat[len(lat)-1], float64(matched)/float64(len(lat))
	}
	if *asJSON {
		return json.NewEncoder(e.stdout).Encode(r)
	}
	fmt.Fprintf(e.stdout, "market search %-8s %d products, %d searches with facets: p50 %.2f ms, p99 %.2f ms, max %.2f ms (%.0f matches per search); loaded in %.1fs; index built in %.1fs, %.0f MB; load %s\n",
		r.Engine, r.Products, r.Queries, r.P50ms, r.P99ms, r.MaxMs, r.MeanResults, r.LoadSeconds, r.IndexSeconds, r.IndexMB, r.LoadAverage)
	return nil
}
