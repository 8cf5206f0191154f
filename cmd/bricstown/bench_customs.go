package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/customs"
	"bricstown/internal/demo"
	"bricstown/internal/dutyledger"
	"bricstown/internal/identity"
	"bricstown/internal/ledger"
	"bricstown/internal/platform"
	"bricstown/internal/refdata"
	"bricstown/internal/server"

	"github.com/google/uuid"
)

// customsBenchResult is one line of `bench customs --json`.
type customsBenchResult struct {
	Scenario     string  `json:"scenario"`
	Engine       string  `json:"engine"`
	Declarations int     `json:"declarations"`
	Concurrency  int     `json:"concurrency"`
	Seconds      float64 `json:"seconds"`
	PerSecond    float64 `json:"declarations_per_second"`
	// Transitions is how many stored transitions a declaration took on
	// average (create, attach each document, submit; pay in http).
	Transitions float64        `json:"transitions_per_declaration,omitempty"`
	Lanes       map[string]int `json:"lanes"`
	SPSRequired int            `json:"sps_required"`
	// http: latency from the submission request to the answer that shows
	// the goods released (submit + pay).
	P50ms    float64 `json:"p50_ms,omitempty"`
	P99ms    float64 `json:"p99_ms,omitempty"`
	MaxMs    float64 `json:"max_ms,omitempty"`
	SubmitMs float64 `json:"submit_p50_ms,omitempty"`
	PayMs    float64 `json:"pay_p50_ms,omitempty"`
	// Lodged counts every declaration submitted in http; only the green and
	// blue ones (released by paying) are timed, the others wait for an
	// officer.
	Lodged        int    `json:"lodged,omitempty"`
	NotGreen      int    `json:"not_green,omitempty"`
	AuditVerified bool   `json:"audit_verified"`
	LoadAverage   string `json:"load_average"`
}

// benchCustoms measures the one-stop centre: "batch" lodges declarations
// through the customs service (validate, store the draft, attach the
// documents, submit: SPS, tariff assessment, risk lane, store) on many
// goroutines; "http" lodges green-lane declarations through the HTTP API
// and pays them from a ledger account until released, timing each.
func benchCustoms(ctx context.Context, e *env, args []string) error {
	f := newFlags(e, "bench customs", "bench customs [flags]")
	dsn := f.string("db", "BRICSTOWN_BENCH_DB", "", "database (default: a fresh SQLite file in a temp dir); a postgres:// URL must name an empty database")
	n := f.int("declarations", "BRICSTOWN_BENCH_DECLARATIONS", 0, "declarations (default 20000 for batch, 2000 for http)")
	concurrency := f.int("concurrency", "BRICSTOWN_BENCH_CONCURRENCY", 0, "concurrent callers (default 64 for batch, 16 for http)")
	scenario := f.string("scenario", "BRICSTOWN_BENCH_SCENARIO", "all", "batch, http or all")
	docs := f.bool("documents", "BRICSTOWN_BENCH_DOCUMENTS", true, "attach a commercial invoice to every declaration, as traders do (SPS certificates are always attached: submission needs them)")
	asJSON := f.bool("json", "BRICSTOWN_BENCH_JSON", false, "print one JSON object per scenario")
	cpuProfile := cpuProfileFlag(f)
	if err := f.parse(args); err != nil {
		return err
	}
	stop, err := startCPUProfile(*cpuProfile)
	if err != nil {
		return err
	}
	defer stop()
	run := func(sc string) error {
		p, cleanup, err := benchPlatform(ctx, *dsn, "")
		if err != nil {
			return err
		}
		defer cleanup()
		db := p.DB
		count, conc := *n, *concurrency
		var r customsBenchResult
		switch sc {
		case "batch":
			if count <= 0 {
				count = 20000
			}
			if conc <= 0 {
				conc = 64
			}
			r, err = benchCustomsBatch(ctx, e, p, count, conc, *docs)
		case "http":
			if count <= 0 {
				count = 2000
			}
			if conc <= 0 {
				conc = 16
			}
			r, err = benchCustomsHTTP(ctx, e, p, count, conc)
		default:
			return usageError{fmt.Sprintf("unknown scenario %q", sc)}
		}
		if err != nil {
			return err
		}
		v, err := audit.Verify(ctx, db)
		if err != nil {
			return fmt.Errorf("bench customs: audit chain after the run: %w", err)
		}
		r.AuditVerified = v.Count() > 0
		if *asJSON {
			return json.NewEncoder(e.stdout).Encode(r)
		}
		fmt.Fprintf(e.stdout, "customs %-5s %-8s %d declarations, %d callers, %.2fs: %.0f declarations/s (%.1f transitions each)",
			r.Scenario, r.Engine, r.Declarations, r.Concurrency, r.Seconds, r.PerSecond, r.Transitions)
		if r.P99ms > 0 {
			fmt.Fprintf(e.stdout, ", submission to release p50 %.2f ms, p99 %.2f ms", r.P50ms, r.P99ms)
		}
		fmt.Fprintf(e.stdout, "; lanes %v; load %s\n", r.Lanes, r.LoadAverage)
		return nil
	}
	if *scenario == "all" {
		for _, sc := range []string{"batch", "http"} {
			if err := run(sc); err != nil {
				return err
			}
		}
		return nil
	}
	return run(*scenario)
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

// benchWorld is the town a customs benchmark runs in.
type benchWorld struct {
	ref       *refdata.Data
	ids       *identity.Service
	authority identity.Org
	traders   []*identity.Principal
	svc       *customs.Service
	led       *ledger.Service
}

func newBenchWorld(ctx context.Context, p *platform.Platform, traders int) (*benchWorld, error) {
	w := &benchWorld{ref: p.Ref, ids: p.Identity, svc: p.Customs, led: p.Ledger}
	var err error
	if w.authority, err = w.ids.CreateOrg(ctx, nil, identity.NewOrg{Name: "Bench Customs Post", Kind: identity.KindCustomsAuthority, Country: "AE", RegID: "BENCHCUSTOMS"}); err != nil {
		return nil, err
	}
	// Customs values goods at the official reference rates: the town's
	// administration publishes the demo's indicative table.
	admin, err := w.ids.CreateOrg(ctx, nil, identity.NewOrg{Name: "Bench Town Administration", Kind: identity.KindTownAdministration, Country: "AE", RegID: "BENCHADMIN"})
	if err != nil {
		return nil, err
	}
	if err := demo.SeedReference(ctx, p.FX, admin.ID, time.Now()); err != nil {
		return nil, err
	}
	for i := 0; i < traders; i++ {
		kind := identity.KindCompany
		if i%5 == 4 {
			kind = identity.KindLogisticsOperator // customs brokers
		}
		o, err := w.ids.CreateOrg(ctx, nil, identity.NewOrg{Name: fmt.Sprintf("Bench Trader %03d", i), Kind: kind, Country: "AE", RegID: fmt.Sprintf("BENCHTRADER%03d", i)})
		if err != nil {
			return nil, err
		}
		w.traders = append(w.traders, &identity.Principal{UserID: "bench-" + o.ID, OrgID: o.ID, OrgKind: o.Kind, Roles: []identity.Role{identity.Trader}})
	}
	return w, nil
}

// benchGood is a kind of goods the town trades, with a realistic price band.
type benchGood struct {
	procedure customs.Procedure
	desc, hs  string
	origins   []string
	unit      string
	// kgPerUnit is the net mass of one tariff unit (1000 for tonnes).
	kgPerUnit    float64
	minQ, maxQ   int64
	minUSD       float64 // per unit
	maxUSD       float64
	mode         customs.TransportMode
	posts        []string
	partners     []string // the foreign party's countries
	certificates []customs.DocumentKind
}

var benchGoods = []benchGood{
	{customs.Import, "Smartphones, 5G", "851713", []string{"CN"}, "NAR", 0.2, 200, 3000, 120, 400, customs.ModeRoad, []string{"KZHOR"}, []string{"CN"}, nil},
	{customs.Import, "Laptop computers", "847130", []string{"CN"}, "NAR", 2, 50, 800, 400, 1100, customs.ModeRoad, []string{"KZHOR"}, []string{"CN"}, nil},
	{customs.Import, "Flat-rolled steel, hot-rolled", "720851", []string{"CN"}, "TNE", 1000, 20, 400, 700, 900, customs.ModeRail, []string{"KZDOS", "KZHOR"}, []string{"CN"}, nil},
	{customs.Import, "T-shirts of cotton, knitted", "610910", []string{"IN", "CN", "BD"}, "NAR", 0.2, 1000, 20000, 3, 8, customs.ModeRoad, []string{"KZHOR"}, []string{"IN", "CN"}, nil},
	{customs.Import, "Beef, boneless, chilled", "020130", []string{"BR"}, "KGM", 1, 2000, 22000, 6, 8, customs.ModeAir, []string{"KZALA"}, []string{"BR"}, []customs.DocumentKind{customs.DocVeterinary}},
	{customs.Import, "Coffee, not roasted", "090111", []string{"ET", "BR"}, "KGM", 1, 1000, 19000, 5, 7, customs.ModeAir, []string{"KZALA"}, []string{"ET", "BR"}, []customs.DocumentKind{customs.DocPhytosanitary}},
	{customs.Import, "Dates, fresh", "080410", []string{"AE"}, "KGM", 1, 500, 8000, 6, 9, customs.ModeAir, []string{"KZALA"}, []string{"AE"}, []customs.DocumentKind{customs.DocPhytosanitary}},
	{customs.Import, "Black tea, fermented", "090230", []string{"IN", "CN"}, "KGM", 1, 500, 9000, 5, 9, customs.ModeRail, []string{"KZDOS"}, []string{"IN", "CN"}, []customs.DocumentKind{customs.DocPhytosanitary}},
	{customs.Import, "Palm oil, refined", "151190", []string{"ID", "MY"}, "TNE", 1000, 20, 300, 900, 1100, customs.ModeSea, []string{"KZAAU"}, []string{"ID"}, nil},
	{customs.Import, "Motor cars, electric", "870380", []string{"CN"}, "NAR", 1800, 1, 40, 20000, 35000, customs.ModeRail, []string{"KZDOS"}, []string{"CN"}, nil},
	{customs.Import, "Oranges, fresh", "080510", []string{"ZA", "EG"}, "KGM", 1, 5000, 22000, 0.9, 1.3, customs.ModeSea, []string{"KZAAU"}, []string{"ZA", "EG"}, []customs.DocumentKind{customs.DocPhytosanitary}},
	{customs.Export, "Milling wheat", "100199", []string{"KZ"}, "TNE", 1000, 27, 540, 230, 280, customs.ModeRail, []string{"KZHOR", "KZDOS"}, []string{"CN", "IR", "UZ"}, []customs.DocumentKind{customs.DocPhytosanitary}},
	{customs.Export, "Refined copper cathodes", "740311", []string{"KZ"}, "TNE", 1000, 20, 200, 8500, 9800, customs.ModeRail, []string{"KZDOS"}, []string{"CN"}, nil},
	{customs.Export, "Bituminous coal", "270112", []string{"KZ"}, "TNE", 1000, 60, 3000, 80, 120, customs.ModeRail, []string{"KZDOS"}, []string{"CN"}, nil},
	{customs.Transit, "Parts of motor vehicles", "870899", []string{"CN"}, "NAR", 8, 500, 6000, 50, 120, customs.ModeRail, []string{"KZDOS"}, []string{"DE", "PL"}, nil},
}

var benchOwners = []string{"MSKU", "CSQU", "TGHU", "TCNU", "GESU", "OOLU", "CMAU", "HLXU", "TEMU", "CAIU"}

func benchContainer(rng *rand.Rand) string {
	first := fmt.Sprintf("%s%06d", benchOwners[rng.IntN(len(benchOwners))], rng.IntN(1_000_000))
	d, _ := customs.ContainerCheckDigit(first)
	return first + string(d)
}

// benchDeclaration makes a realistic declaration: goods, parties, transport
// and values drawn from benchGoods.
func benchDeclaration(rng *rand.Rand, i int) (customs.Content, []customs.DocumentKind) {
	g := benchGoods[rng.IntN(len(benchGoods))]
	q := g.minQ + rng.Int64N(g.maxQ-g.minQ+1)
	usdPerUnit := g.minUSD + rng.Float64()*(g.maxUSD-g.minUSD)
	net := int64(float64(q) * g.kgPerUnit * 1000)
	gross := net + net*int64(2+rng.IntN(8))/100 + 1
	ccy, value := "USD", int64(float64(q)*usdPerUnit*100)
	if g.origins[0] == "CN" && rng.IntN(2) == 0 {
		ccy, value = "CNY", value*72/10
	}
	origin := g.origins[rng.IntN(len(g.origins))]
	foreign := customs.Party{Name: fmt.Sprintf("Partner %s-%04d", origin, rng.IntN(5000)), CountryCode: g.partners[rng.IntN(len(g.partners))]}
	local := customs.Party{Name: fmt.Sprintf("Kazakh Buyer %04d", rng.IntN(5000)), CountryCode: "KZ", ID: "17044000054"}
	c := customs.Content{FunctionalReferenceID: fmt.Sprintf("BENCH-%08d", i), Procedure: g.procedure, TradeTermsConditionCode: []string{"FCA", "CPT", "CIP", "DAP", "FOB"}[rng.IntN(5)],
		Transport: customs.Transport{ModeCode: g.mode, BorderPost: g.posts[rng.IntN(len(g.posts))], BorderTransportMeansID: fmt.Sprintf("BT %05d", rng.IntN(100000))},
		Items: []customs.Item{{Description: g.desc, ClassificationID: g.hs, OriginCountryCode: origin, TariffQuantity: q, TariffQuantityUnitCode: g.unit,
			NetNetWeightMeasure: net, GrossMassMeasure: gross, CustomsValueAmount: value, CustomsValueCurrencyID: ccy}}}
	switch g.procedure {
	case customs.Import:
		c.Exporter, c.Importer = foreign, local
	case customs.Export:
		c.Exporter, c.Importer = customs.Party{Name: "Kazakh Exporter", CountryCode: "KZ"}, foreign
	default:
		c.Exporter, c.Importer, c.TradeTermsConditionCode = customs.Party{Name: "Chongqing Auto Parts", CountryCode: "CN"}, foreign, ""
	}
	if g.mode == customs.ModeRail || g.mode == customs.ModeSea || g.mode == customs.ModeRoad {
		for k := 0; k < 1+rng.IntN(3); k++ {
			if box := benchContainer(rng); !strings.Contains(strings.Join(c.Transport.TransportEquipmentIDs, ","), box) {
				c.Transport.TransportEquipmentIDs = append(c.Transport.TransportEquipmentIDs, box)
			}
		}
	}
	docs := append([]customs.DocumentKind(nil), g.certificates...)
	if g.procedure != customs.Transit {
		docs = append([]customs.DocumentKind{customs.DocCommercialInvoice}, docs...)
	}
	return c, docs
}

var benchPDF = []byte("%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")

func benchCustomsBatch(ctx context.Context, e *env, p *platform.Platform, n, concurrency int, withDocs bool) (customsBenchResult, error) {
	db := p.DB
	w, err := newBenchWorld(ctx, p, 50)
	if err != nil {
		return customsBenchResult{}, err
	}
	type job struct {
		c    customs.Content
		docs []customs.DocumentKind
	}
	// The traders' side (drawing goods and parties) is done before the
	// clock starts: the benchmark measures the centre.
	rng := rand.New(rand.NewPCG(11, 13))
	jobs := make([]job, n)
	for i := range jobs {
		jobs[i].c, jobs[i].docs = benchDeclaration(rng, i)
		if !withDocs { // quarantine's certificates stay: submission needs them
			jobs[i].docs = slices.DeleteFunc(jobs[i].docs, func(k customs.DocumentKind) bool { return k == customs.DocCommercialInvoice })
		}
	}
	fmt.Fprintf(e.stderr, "bench customs batch: %d declarations, %d callers…\n", n, concurrency)
	var next, transitions atomic.Int64
	var mu sync.Mutex
	lanes := map[string]int{}
	sps := 0
	errc := make(chan error, concurrency)
	start := time.Now()
	var wg sync.WaitGroup
	for g := 0; g < concurrency; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local, localSPS := map[string]int{}, 0
			defer func() {
				mu.Lock()
				for k, v := range local {
					lanes[k] += v
				}
				sps += localSPS
				mu.Unlock()
			}()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				j := &jobs[i]
				p := w.traders[i%len(w.traders)]
				// One lodgement: declaration, documents and submission in
				// one change (one write, its fsync shared by the batch).
				docs := make([]customs.NewDocument, len(j.docs))
				for k, kind := range j.docs {
					docs[k] = customs.NewDocument{Kind: kind, Filename: string(kind) + ".pdf", MediaType: "application/pdf", Content: benchPDF}
				}
				d, err := w.svc.Lodge(ctx, p, j.c, docs)
				if err != nil {
					errc <- fmt.Errorf("lodge %d: %w", i, err)
					return
				}
				transitions.Add(1)
				local[string(d.Lane)]++
				if d.SPS.Required {
					localSPS++
				}
				if i > 0 && i%5000 == 0 {
					fmt.Fprintf(e.stderr, "\rbench customs batch: %d/%d, %.0f/s   ", i, n, float64(i)/time.Since(start).Seconds())
				}
			}
		}()
	}
	wg.Wait()
	el := time.Since(start).Seconds()
	fmt.Fprintf(e.stderr, "\r%80s\r", "")
	close(errc)
	if err := <-errc; err != nil {
		return customsBenchResult{}, err
	}
	var stored int
	if err := db.SQL.QueryRowContext(ctx, `SELECT COUNT(*) FROM customs_declarations WHERE status <> 'draft'`).Scan(&stored); err != nil || stored != n {
		return customsBenchResult{}, fmt.Errorf("bench customs: %d declarations stored, want %d (%v)", stored, n, err)
	}
	return customsBenchResult{Scenario: "batch", Engine: string(db.Engine), Declarations: n, Concurrency: concurrency, Seconds: round3(el),
		PerSecond: float64(int(float64(n) / el)), Transitions: round3(float64(transitions.Load()) / float64(n)), Lanes: lanes, SPSRequired: sps,
		LoadAverage: loadAverage()}, nil
}

func benchCustomsHTTP(ctx context.Context, e *env, p *platform.Platform, n, concurrency int) (customsBenchResult, error) {
	db := p.DB
	w, err := newBenchWorld(ctx, p, 0)
	if err != nil {
		return customsBenchResult{}, err
	}
	org, err := w.ids.CreateOrg(ctx, nil, identity.NewOrg{Name: "Bench Importer", Kind: identity.KindCompany, Country: "KZ", RegID: "170440000549"})
	if err != nil {
		// The KZ registration number must carry a valid check digit; fall
		// back to a country without a check.
		if org, err = w.ids.CreateOrg(ctx, nil, identity.NewOrg{Name: "Bench Importer", Kind: identity.KindCompany, Country: "AE", RegID: "BENCHIMPORTER"}); err != nil {
			return customsBenchResult{}, err
		}
	}
	user, err := w.ids.CreateUser(ctx, nil, org.ID, identity.NewUser{Email: "bench@importer.kz", Name: "Bench", Password: "bench-password-1", Roles: []identity.Role{identity.Trader, identity.OrgAdmin}})
	if err != nil {
		return customsBenchResult{}, err
	}
	_, token, err := w.ids.CreateToken(ctx, &identity.Principal{UserID: user.ID, OrgID: org.ID, Roles: user.Roles, Via: "session"}, org.ID,
		identity.NewToken{Name: "bench", Roles: []identity.Role{identity.Trader}})
	if err != nil {
		return customsBenchResult{}, err
	}
	// Money: the authority's revenue account and the importer's funded KZT
	// account.
	issuance, revenue, funds := uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7())
	if err := db.CreateAccounts(ctx, []ledger.Account{
		{ID: issuance, OrgID: "bench-bank", Currency: "KZT", Kind: ledger.Asset, Code: "issuance", Flags: ledger.Issuer | ledger.System, Limit: ledger.Unlimited, CreatedAt: time.Now()},
		{ID: revenue, OrgID: w.authority.ID, Currency: "KZT", Kind: ledger.Revenue, Code: dutyledger.RevenueCode, CreatedAt: time.Now()},
		{ID: funds, OrgID: org.ID, Currency: "KZT", Kind: ledger.Liability, Code: "operating", Flags: ledger.DebitsMustNotExceedCredits, CreatedAt: time.Now()},
	}, audit.Record{ActorUser: "bench"}); err != nil {
		return customsBenchResult{}, err
	}
	if _, err := db.CreateTransfers(ctx, []ledger.Transfer{{ID: uuid.Must(uuid.NewV7()), DebitAccount: issuance, CreditAccount: funds, Amount: 1e16, Currency: "KZT"}}, ledger.BatchOptions{}); err != nil {
		return customsBenchResult{}, err
	}
	lctx, stop := context.WithCancel(ctx)
	defer stop()
	go w.led.Run(lctx)
	srv, err := server.New(server.PlatformDeps(p))
	if err != nil {
		return customsBenchResult{}, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return customsBenchResult{}, err
	}
	hs := &http.Server{Handler: srv.Handler()}
	go hs.Serve(ln)
	defer hs.Close()
	base := "http://" + ln.Addr().String()
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: concurrency, MaxIdleConnsPerHost: concurrency, MaxConnsPerHost: concurrency}}
	pdf64 := base64.StdEncoding.EncodeToString(benchPDF)

	// The bodies are drawn before the clock starts.
	rng := rand.New(rand.NewPCG(17, 19))
	bodies := make([][]byte, n)
	for i := range bodies {
		c, docs := benchDeclaration(rng, i)
		in := map[string]any{}
		raw, _ := json.Marshal(c)
		json.Unmarshal(raw, &in)
		var inline []map[string]any
		for _, k := range docs {
			inline = append(inline, map[string]any{"kind": k, "filename": string(k) + ".pdf", "media_type": "application/pdf", "content_base64": pdf64})
		}
		if len(inline) > 0 {
			in["documents"] = inline
		}
		bodies[i], _ = json.Marshal(in)
	}
	post := func(path string, body []byte) (int, map[string]any, error) {
		code, b, err := postJSON(ctx, client, base+path, token, body)
		if err != nil {
			return 0, nil, err
		}
		var out map[string]any
		if err := json.Unmarshal(b, &out); err != nil {
			return code, nil, fmt.Errorf("%d %s", code, b)
		}
		if code >= 300 {
			return code, out, fmt.Errorf("%s: %d %s", path, code, b)
		}
		return code, out, nil
	}
	fmt.Fprintf(e.stderr, "bench customs http: %d declarations, %d clients…\n", n, concurrency)
	type sample struct{ total, submit, pay time.Duration }
	var next atomic.Int64
	samples := make([][]sample, concurrency)
	lanes := make([]map[string]int, concurrency)
	spsCount := make([]int, concurrency)
	errc := make(chan error, concurrency)
	payBody := []byte(fmt.Sprintf(`{"from_account_id":%q}`, funds.String()))
	start := time.Now()
	var wg sync.WaitGroup
	for g := 0; g < concurrency; g++ {
		wg.Add(1)
		lanes[g] = map[string]int{}
		go func(g int) {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				t0 := time.Now()
				_, d, err := post("/api/v1/customs/declarations?submit=true", bodies[i])
				if err != nil {
					errc <- err
					return
				}
				t1 := time.Now()
				lane, _ := d["lane"].(string)
				lanes[g][lane]++
				sps, _ := d["sps"].(map[string]any)
				if sps != nil && sps["required"] == true {
					spsCount[g]++
				}
				spsClear := sps != nil && (sps["status"] == "not_required" || sps["status"] == "cleared")
				if (lane != "green" && lane != "blue") || d["status"] != "assessed" || !spsClear {
					continue // an officer's work (or quarantine's), not the trader's
				}
				_, d, err = post("/api/v1/customs/declarations/"+d["id"].(string)+"/pay", payBody)
				if err != nil {
					errc <- err
					return
				}
				if d["status"] != "released" {
					errc <- errors.New("bench customs: a paid green-lane declaration was not released")
					return
				}
				samples[g] = append(samples[g], sample{time.Since(t0), t1.Sub(t0), time.Since(t1)})
			}
		}(g)
	}
	wg.Wait()
	el := time.Since(start).Seconds()
	close(errc)
	if err := <-errc; err != nil {
		return customsBenchResult{}, err
	}
	var total, sub, pay []time.Duration
	allLanes := map[string]int{}
	sps := 0
	for g := range samples {
		for _, s := range samples[g] {
			total, sub, pay = append(total, s.total), append(sub, s.submit), append(pay, s.pay)
		}
		for k, v := range lanes[g] {
			allLanes[k] += v
		}
		sps += spsCount[g]
	}
	released := len(total)
	r := customsBenchResult{Scenario: "http", Engine: string(db.Engine), Declarations: released, Lodged: n, NotGreen: n - released, Concurrency: concurrency,
		Seconds: round3(el), PerSecond: float64(int(float64(released) / el)), Lanes: allLanes, SPSRequired: sps,
		P50ms: percentile(total, 0.50), P99ms: percentile(total, 0.99), MaxMs: percentile(total, 1), SubmitMs: percentile(sub, 0.5), PayMs: percentile(pay, 0.5),
		LoadAverage: loadAverage()}
	return r, nil
}
