package sqlstore

import (
	"context"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/customs"
	"bricstown/internal/identity"
	"bricstown/internal/money"
	"bricstown/internal/problem"
	"bricstown/internal/refdata"
)

var customsT0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

var (
	customsOfficer  = &identity.Principal{UserID: "u-officer", OrgID: "customs", OrgKind: identity.KindCustomsAuthority, Roles: []identity.Role{identity.CustomsOfficer}}
	customsOfficer2 = &identity.Principal{UserID: "u-officer2", OrgID: "customs", OrgKind: identity.KindCustomsAuthority, Roles: []identity.Role{identity.CustomsOfficer}}
	customsSPS      = &identity.Principal{UserID: "u-inspector", OrgID: "sps", OrgKind: identity.KindQuarantineAuthority, Roles: []identity.Role{identity.QuarantineOfficer}}
	customsPDF      = []byte("%PDF-1.7\n%%EOF\n")
)

func customsTrader(org string) *identity.Principal {
	return &identity.Principal{UserID: "u-" + org, OrgID: org, OrgKind: identity.KindCompany, Roles: []identity.Role{identity.Trader}}
}

type customsClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *customsClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *customsClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

type customsPayments struct{}

func (customsPayments) PayDuties(_ context.Context, _ *identity.Principal, id string, _ int64, _ string) (string, error) {
	return "LEDGER-" + id[len(id)-8:], nil
}

// customsTown is a migrated database with two trading companies and a
// customs service over it without random selection, so lanes are exactly
// those the findings cause.
func customsTown(t *testing.T, db *DB, store customs.Store) (*customs.Service, *customsClock) {
	t.Helper()
	for i, org := range []string{"acme", "rival"} {
		fxOrg(t, db, org, identity.KindCompany, "20000000000"+string(rune('1'+i)))
	}
	rules, err := customs.DemoRules(refdata.Default())
	if err != nil {
		t.Fatal(err)
	}
	rules.Risk.RandomRedBps, rules.Risk.RandomYellowBps, rules.Risk.RandomBlueBps = 0, 0, 0
	clk := &customsClock{now: customsT0}
	if store == nil {
		store = db
	}
	s, err := customs.NewService(store, customs.Config{Rules: rules, Now: clk.Now, Payments: customsPayments{},
		Rates: func(_ context.Context, ccy string, _ time.Time) (money.Rate, error) {
			return money.ParseRate(map[string]string{"USD": "500", "CNY": "69.87"}[ccy])
		}})
	if err != nil {
		t.Fatal(err)
	}
	return s, clk
}

// customsBeef is chilled beef from Brazil: veterinary certificate and
// inspection required, green lane when the invoice is attached.
func customsBeef() customs.Content {
	return customs.Content{
		FunctionalReferenceID:   "CAE-2026-0007",
		Procedure:               customs.Import,
		Exporter:                customs.Party{Name: "Cerrado Agro Exportadora", CountryCode: "BR"},
		Importer:                customs.Party{Name: "Astana Meat Trading", ID: "170440000054", CountryCode: "KZ"},
		Declarant:               customs.Party{Name: "Acme Brokers", CountryCode: "KZ"},
		TradeTermsConditionCode: "CIF",
		Transport: customs.Transport{ModeCode: customs.ModeRail, Corridor: "Trans-Caspian", TransportEquipmentIDs: []string{"TEMU4873256"},
			BorderPost: "KZHOR"},
		Items: []customs.Item{{Description: "Beef, boneless, chilled", ClassificationID: "0201.30", OriginCountryCode: "BR",
			TariffQuantity: 20_000, TariffQuantityUnitCode: "KGM", NetNetWeightMeasure: 20_000_000, GrossMassMeasure: 21_500_000,
			CustomsValueAmount: 120_000_00, CustomsValueCurrencyID: "USD"}},
	}
}

// customsPhones are smartphones from China: no SPS; yellow without an invoice.
func customsPhones() customs.Content {
	c := customsBeef()
	c.Exporter = customs.Party{Name: "Shenzhen Smart Devices", CountryCode: "CN"}
	c.Transport = customs.Transport{ModeCode: customs.ModeRoad, TransportEquipmentIDs: []string{"CSQU3054383"}, BorderPost: "KZHOR"}
	c.Items = []customs.Item{{Description: "Smartphones", ClassificationID: "851713", OriginCountryCode: "CN", TariffQuantity: 1000,
		TariffQuantityUnitCode: "NAR", NetNetWeightMeasure: 200_000, GrossMassMeasure: 260_000, CustomsValueAmount: 150_000_00,
		CustomsValueCurrencyID: "USD"}}
	return c
}

func customsAttach(t *testing.T, s *customs.Service, org, id string, kinds ...customs.DocumentKind) {
	t.Helper()
	for _, k := range kinds {
		if _, err := s.AttachDocument(context.Background(), customsTrader(org), id, customs.NewDocument{Kind: k,
			Filename: string(k) + ".pdf", MediaType: "application/pdf", Content: customsPDF}); err != nil {
			t.Fatal(err)
		}
	}
}

// customsLodge creates, documents and submits a declaration.
func customsLodge(t *testing.T, s *customs.Service, org string, c customs.Content, kinds ...customs.DocumentKind) customs.Declaration {
	t.Helper()
	ctx := context.Background()
	d, err := s.Create(ctx, customsTrader(org), c)
	if err != nil {
		t.Fatal(err)
	}
	customsAttach(t, s, org, d.ID, kinds...)
	d, err = s.Submit(ctx, customsTrader(org), d.ID)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// customsOK unwraps a service answer, failing the test on an error:
// customsOK(t)(s.Submit(...)).
func customsOK(t *testing.T) func(customs.Declaration, error) customs.Declaration {
	t.Helper()
	return func(d customs.Declaration, err error) customs.Declaration {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
}

func TestCustomsFlow(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		s, clk := customsTown(t, db, nil)
		ctx := context.Background()
		acme := customsTrader("acme")

		d := customsOK(t)(s.Create(ctx, acme, customsBeef()))
		c2 := customsBeef()
		c2.Items[0].Description = "Beef, boneless, chilled, vacuum packed"
		d = customsOK(t)(s.Amend(ctx, acme, d.ID, d.Version, c2, "packing"))
		customsAttach(t, s, "acme", d.ID, customs.DocCommercialInvoice, customs.DocVeterinary)
		clk.add(time.Minute)
		d = customsOK(t)(s.Submit(ctx, acme, d.ID))
		if d.Status != customs.StatusAssessed || d.Lane != customs.LaneGreen || d.SPS.Status != customs.SPSAwaitingInspection {
			t.Fatalf("submitted: %s %s %s", d.Status, d.Lane, d.SPS.Status)
		}
		// The stored document is the declaration, whole.
		stored, err := db.GetDeclaration(ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		officerView := customsOK(t)(s.Get(ctx, customsOfficer, d.ID))
		if !reflect.DeepEqual(stored, officerView) {
			t.Fatalf("stored %+v\nservice %+v", stored, officerView)
		}

		clk.add(10 * time.Minute)
		d = customsOK(t)(s.Pay(ctx, acme, d.ID, "acct-acme"))
		if d.Status != customs.StatusAssessed {
			t.Fatalf("released before quarantine: %s", d.Status)
		}
		_, err = s.Release(ctx, customsOfficer, d.ID, "")
		if !problem.Is(err, problem.Conflict) {
			t.Fatalf("release before SPS inspection: %v", err)
		}
		clk.add(20 * time.Minute)
		d = customsOK(t)(s.RecordInspection(ctx, customsSPS, d.ID, customs.InspectionInput{Result: customs.InspectionPass, Notes: "seals intact"}))
		if d.Status != customs.StatusReleased || d.SPS.Status != customs.SPSCleared {
			t.Fatalf("after inspection: %s %s", d.Status, d.SPS.Status)
		}

		h, err := s.History(ctx, acme, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		var acts []customs.Action
		for _, e := range h.Events {
			acts = append(acts, e.Action)
		}
		want := []customs.Action{customs.ActCreate, customs.ActAmend, customs.ActAttach, customs.ActAttach, customs.ActSubmit,
			customs.ActAssess, customs.ActAssignLane, customs.ActPay, customs.ActSPSInspect, customs.ActAutoRelease}
		if !slices.Equal(acts, want) {
			t.Fatalf("events %v", acts)
		}
		// Kinds and typed parameters survive the store, so pages render
		// the history in the reader's language (issue 10).
		var kinds []customs.EventKind
		for _, e := range h.Events {
			kinds = append(kinds, e.Kind)
		}
		wantKinds := []customs.EventKind{customs.EvCreated, customs.EvAmended, customs.EvAttached, customs.EvAttached, customs.EvLodged,
			customs.EvAssessed, customs.EvLaneAssigned, customs.EvPaid, customs.EvInspected, customs.EvAutoReleased}
		if !slices.Equal(kinds, wantKinds) {
			t.Fatalf("event kinds %v", kinds)
		}
		if p := h.Events[0].Params; p == nil || p.Items == 0 || p.BorderPost == "" || p.Procedure == "" {
			t.Fatalf("created event params %+v", p)
		}
		if p := h.Events[7].Params; p == nil || p.AmountKZT != d.Assessment.TotalKZT || p.Reference == "" {
			t.Fatalf("paid event params %+v", p)
		}
		if e := h.Events[len(h.Events)-1]; e.From != customs.StatusAssessed || e.To != customs.StatusReleased || !e.At.Equal(clk.Now()) {
			t.Fatalf("last event %+v", e)
		}
		if len(h.Amendments) != 1 || h.Amendments[0].Version != 2 || h.Amendments[0].Changes[0].Field != "goods_items[0].description" ||
			h.Amendments[0].Before.Items[0].Description != "Beef, boneless, chilled" {
			t.Fatalf("amendments %+v", h.Amendments)
		}
		if len(h.Inspections) != 1 || h.Inspections[0].Notes != "seals intact" || h.Inspections[0].InspectorOrg != "sps" {
			t.Fatalf("inspections %+v", h.Inspections)
		}
		doc, b, err := s.Document(ctx, customsOfficer, d.ID, d.Documents[1].ID)
		if err != nil || doc.Kind != customs.DocVeterinary || string(b) != string(customsPDF) {
			t.Fatalf("document: %+v %v", doc, err)
		}

		// Reasons are in their table as well as in the document.
		var n int
		if err := db.SQL.QueryRow(`SELECT COUNT(*) FROM customs_risk_reasons WHERE declaration_id = $1`, d.ID).Scan(&n); err != nil || n != len(officerView.RiskReasons) {
			t.Fatalf("reasons rows %d %v, want %d", n, err, len(officerView.RiskReasons))
		}
		// Every committed change (one version each) is in the audit chain,
		// which still verifies; the steps are in the declaration's events.
		var versions int
		if err := db.SQL.QueryRow(`SELECT version FROM customs_declarations WHERE id = $1`, d.ID).Scan(&versions); err != nil {
			t.Fatal(err)
		}
		if err := db.SQL.QueryRow(`SELECT COUNT(*) FROM audit_log WHERE subject_id = $1 AND action LIKE 'customs.%'`, d.ID).Scan(&n); err != nil || n != versions {
			t.Fatalf("audit rows %d %v, want one per change (%d)", n, err, versions)
		}
		v := audit.NewVerifier()
		if err := db.EachAudit(ctx, v.Check); err != nil {
			t.Fatal(err)
		}
	})
}

func TestCustomsOrgIsolation(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		s, _ := customsTown(t, db, nil)
		ctx := context.Background()
		mine := customsOK(t)(s.Create(ctx, customsTrader("acme"), customsPhones()))
		lodged := customsLodge(t, s, "acme", customsBeef(), customs.DocCommercialInvoice, customs.DocVeterinary)
		rival := customsTrader("rival")
		for _, id := range []string{mine.ID, lodged.ID} {
			if _, err := s.Get(ctx, rival, id); !problem.Is(err, problem.NotFound) {
				t.Fatalf("rival reads %s: %v", id, err)
			}
			if _, err := s.Cancel(ctx, rival, id, ""); !problem.Is(err, problem.NotFound) {
				t.Fatalf("rival cancels %s: %v", id, err)
			}
			if _, err := s.History(ctx, rival, id); !problem.Is(err, problem.NotFound) {
				t.Fatalf("rival history %s: %v", id, err)
			}
		}
		if l, err := s.List(ctx, rival, customs.Query{DeclarantOrg: "acme"}); err != nil || len(l) != 0 {
			t.Fatalf("rival lists %d %v", len(l), err)
		}
		if l, _ := s.List(ctx, customsTrader("acme"), customs.Query{Newest: true}); len(l) != 2 || l[0].ID != lodged.ID {
			t.Fatalf("acme lists %+v", l)
		}
		if _, err := s.Get(ctx, customsOfficer, mine.ID); !problem.Is(err, problem.NotFound) {
			t.Fatalf("customs reads a draft: %v", err)
		}
		if l, _ := s.List(ctx, customsOfficer, customs.Query{}); len(l) != 1 || l[0].ID != lodged.ID {
			t.Fatalf("customs lists %+v", l)
		}
	})
}

// gateStore holds every reader of a declaration until n of them have read
// it, so that n transitions are computed from the same version.
type gateStore struct {
	*DB
	n       int32
	arrived atomic.Int32
	open    chan struct{}
	armed   atomic.Bool
}

func (g *gateStore) GetDeclaration(ctx context.Context, id string) (customs.Declaration, error) {
	d, err := g.DB.GetDeclaration(ctx, id)
	if g.armed.Load() {
		if g.arrived.Add(1) == g.n {
			close(g.open)
		}
		<-g.open
	}
	return d, err
}

func TestCustomsConcurrentDecisions(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		gate := &gateStore{DB: db, n: 2, open: make(chan struct{})}
		s, _ := customsTown(t, db, gate)
		ctx := context.Background()
		d := customsLodge(t, s, "acme", customsPhones()) // no invoice: yellow
		if d.Status != customs.StatusDocumentaryCheck {
			t.Fatalf("status %s", d.Status)
		}
		d = customsOK(t)(s.Pay(ctx, customsTrader("acme"), d.ID, "acct-acme"))
		gate.armed.Store(true)
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, decide := range []func() error{
			func() error {
				_, err := s.DecideChecks(ctx, customsOfficer, d.ID, customs.LaneRed, "open the container")
				return err
			},
			func() error { _, err := s.Release(ctx, customsOfficer2, d.ID, "invoice checked"); return err },
		} {
			wg.Add(1)
			go func() { defer wg.Done(); errs[i] = decide() }()
		}
		wg.Wait()
		gate.armed.Store(false)
		wins, conflicts := 0, 0
		for _, err := range errs {
			switch {
			case err == nil:
				wins++
			case problem.Is(err, problem.Conflict):
				conflicts++
			default:
				t.Fatalf("unexpected error %v", err)
			}
		}
		if wins != 1 || conflicts != 1 {
			t.Fatalf("wins %d conflicts %d: %v", wins, conflicts, errs)
		}
		got := customsOK(t)(s.Get(ctx, customsOfficer, d.ID))
		h, _ := s.History(ctx, customsOfficer, d.ID)
		if got.Version != d.Version+1 || int64(len(h.Events)) != got.EventCount {
			t.Fatalf("version %d events %d/%d", got.Version, len(h.Events), got.EventCount)
		}
		winner := customs.StatusPhysicalInspection
		if errs[0] != nil {
			winner = customs.StatusReleased
		}
		if got.Status != winner {
			t.Fatalf("status %s, winner %s", got.Status, winner)
		}
	})
}

func TestCustomsApplyGuards(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		s, _ := customsTown(t, db, nil)
		ctx := context.Background()
		d := customsOK(t)(s.Create(ctx, customsTrader("acme"), customsPhones()))
		stored, _ := db.GetDeclaration(ctx, d.ID)

		// A change computed from an old version is refused whole.
		next := stored
		next.Version = 5
		err := db.ApplyDeclarationChange(ctx, customs.Change{Declaration: next, BaseVersion: 4, Events: []customs.Event{{Seq: 99, Action: customs.ActAmend}},
			Audit: []audit.Record{{Action: "customs.amend"}}})
		if !problem.Is(err, problem.Conflict) {
			t.Fatalf("stale change: %v", err)
		}
		if evs, _ := db.DeclarationEvents(ctx, d.ID); len(evs) != 1 {
			t.Fatalf("stale change wrote %d events", len(evs))
		}
		// An unknown declaration, a repeated creation.
		ghost := stored
		ghost.ID, ghost.Version = "0190a0b0-0000-7000-8000-00000000dead", 2
		if err := db.ApplyDeclarationChange(ctx, customs.Change{Declaration: ghost, BaseVersion: 1}); !problem.Is(err, problem.NotFound) {
			t.Fatalf("ghost: %v", err)
		}
		again := stored
		again.Version = 1
		if err := db.ApplyDeclarationChange(ctx, customs.Change{Declaration: again}); !problem.Is(err, problem.Conflict) {
			t.Fatalf("double create: %v", err)
		}
		// Racing creations of one id: one wins, whichever batches they share.
		twin := stored
		twin.ID, twin.Version, twin.EventCount = "0190a0b0-0000-7000-8000-00000000beef", 1, 1
		var wg sync.WaitGroup
		var wins, conflicts atomic.Int32
		for range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := db.ApplyDeclarationChange(ctx, customs.Change{Declaration: twin, Events: []customs.Event{{Seq: 1, Action: customs.ActCreate, To: customs.StatusDraft}},
					Audit: []audit.Record{{Action: "customs.create", SubjectID: twin.ID}}})
				switch {
				case err == nil:
					wins.Add(1)
				case problem.Is(err, problem.Conflict):
					conflicts.Add(1)
				default:
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if wins.Load() != 1 || conflicts.Load() != 5 {
			t.Fatalf("racing creations: %d wins, %d conflicts", wins.Load(), conflicts.Load())
		}
		if _, err := db.GetDeclaration(ctx, ghost.ID); !problem.Is(err, problem.NotFound) {
			t.Fatalf("get ghost: %v", err)
		}
		if _, err := db.DeclarationDocument(ctx, d.ID, "nope"); !problem.Is(err, problem.NotFound) {
			t.Fatalf("document: %v", err)
		}
	})
}

func TestCustomsQueues(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		s, _ := customsTown(t, db, nil)
		ctx := context.Background()
		green := customsLodge(t, s, "acme", customsBeef(), customs.DocCommercialInvoice, customs.DocVeterinary)
		yellow := customsLodge(t, s, "acme", customsPhones())
		red := customsLodge(t, s, "rival", customsPhones())
		customsOK(t)(s.DecideChecks(ctx, customsOfficer, red.ID, customs.LaneRed, "intelligence report"))
		exp := customsBeef()
		exp.Procedure = customs.Export
		exp.Exporter, exp.Importer = exp.Importer, exp.Exporter
		export := customsLodge(t, s, "rival", exp, customs.DocCommercialInvoice, customs.DocVeterinary)
		pre := customsBeef()
		pre.ArrivalExpectedAt = customsT0.Add(72 * time.Hour)
		prelodged := customsLodge(t, s, "acme", pre, customs.DocVeterinary)
		customsOK(t)(s.Create(ctx, customsTrader("acme"), customsPhones())) // a draft nobody else sees

		ids := func(l []customs.Summary, err error) []string {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
			out := []string{}
			for _, x := range l {
				out = append(out, x.ID)
			}
			return out
		}
		check := func(name string, got []string, want ...string) {
			t.Helper()
			if !slices.Equal(got, want) {
				t.Errorf("%s: got %v, want %v", name, got, want)
			}
		}
		check("yellow", ids(s.CustomsQueue(ctx, customsOfficer, customs.LaneYellow, "", 0)), yellow.ID)
		check("red", ids(s.CustomsQueue(ctx, customsOfficer, customs.LaneRed, "", 0)), red.ID)
		check("green", ids(s.CustomsQueue(ctx, customsOfficer, customs.LaneGreen, "", 0)), green.ID, export.ID)
		check("under control", ids(s.CustomsQueue(ctx, customsOfficer, customs.LaneNone, "", 0)), green.ID, yellow.ID, red.ID, export.ID)
		check("quarantine", ids(s.QuarantineQueue(ctx, customsSPS, "", 0)), green.ID, export.ID, prelodged.ID)
		check("page 1", ids(s.QuarantineQueue(ctx, customsSPS, "", 2)), green.ID, export.ID)
		check("page 2", ids(s.QuarantineQueue(ctx, customsSPS, export.ID, 2)), prelodged.ID)
		check("exports", ids(s.List(ctx, customsOfficer, customs.Query{Procedure: customs.Export})), export.ID)
		check("pre-lodged", ids(s.List(ctx, customsOfficer, customs.Query{Statuses: []customs.Status{customs.StatusSubmitted}})), prelodged.ID)
		check("border post", ids(s.List(ctx, customsOfficer, customs.Query{BorderPost: "KZHOR", Lane: customs.LaneRed})), red.ID)
		check("newest first", ids(s.List(ctx, customsOfficer, customs.Query{Newest: true, After: export.ID})), red.ID, yellow.ID, green.ID)
		check("rival's", ids(s.List(ctx, customsOfficer, customs.Query{DeclarantOrg: "rival"})), red.ID, export.ID)

		l, _ := s.List(ctx, customsOfficer, customs.Query{Lane: customs.LaneGreen, Procedure: customs.Import})
		if len(l) != 1 || l[0].TotalKZT != green.Assessment.TotalKZT || l[0].FunctionalReferenceID != "CAE-2026-0007" ||
			!l[0].SPSRequired || l[0].SPSStatus != customs.SPSAwaitingInspection || l[0].BorderPost != "KZHOR" || !l[0].SubmittedAt.Equal(customsT0) {
			t.Fatalf("summary %+v", l)
		}
	})
}

func TestCustomsLaneStats(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		s, clk := customsTown(t, db, nil)
		ctx := context.Background()
		acme := customsTrader("acme")
		phonesInvoiced := func() customs.Declaration {
			return customsLodge(t, s, "acme", customsPhones(), customs.DocCommercialInvoice) // green, no SPS
		}
		g1, g2, g3 := phonesInvoiced(), phonesInvoiced(), phonesInvoiced()
		y := customsLodge(t, s, "acme", customsPhones())
		r := customsLodge(t, s, "acme", customsPhones())
		customsOK(t)(s.DecideChecks(ctx, customsOfficer, r.ID, customs.LaneRed, "x"))
		clk.add(30 * time.Minute)
		customsOK(t)(s.Pay(ctx, acme, g1.ID, "a"))
		clk.add(60 * time.Minute)
		customsOK(t)(s.Pay(ctx, acme, g2.ID, "a")) // released 90 min after its lane
		customsOK(t)(s.Pay(ctx, acme, r.ID, "a"))
		clk.add(90 * time.Minute)
		customsOK(t)(s.Release(ctx, customsOfficer, r.ID, "inspected")) // 3 h
		_ = g3
		_ = y

		st, err := s.LaneStats(ctx, customsOfficer, customsT0, customsT0.Add(24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		byLane := map[customs.Lane]customs.LaneStat{}
		for _, l := range st.Lanes {
			byLane[l.Lane] = l
		}
		if st.Total != 5 || len(st.Lanes) != 4 {
			t.Fatalf("stats %+v", st)
		}
		if g := byLane[customs.LaneGreen]; g.Count != 3 || g.ShareBps != 6000 || g.Released != 2 || g.AvgTimeToRelease != time.Hour {
			t.Fatalf("green %+v", g)
		}
		if y := byLane[customs.LaneYellow]; y.Count != 1 || y.ShareBps != 2000 || y.Released != 0 || y.AvgTimeToRelease != 0 {
			t.Fatalf("yellow %+v", y)
		}
		if r := byLane[customs.LaneRed]; r.Count != 1 || r.Released != 1 || r.AvgTimeToRelease != 3*time.Hour {
			t.Fatalf("red %+v", r)
		}
		if b := byLane[customs.LaneBlue]; b.Count != 0 {
			t.Fatalf("blue %+v", b)
		}
		// The period is by lane assignment.
		if st, _ := s.LaneStats(ctx, customsOfficer, customsT0.Add(time.Minute), customsT0.Add(24*time.Hour)); st.Total != 0 {
			t.Fatalf("later period %+v", st)
		}
	})
}

func TestCustomsTraderProfile(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		s, clk := customsTown(t, db, nil)
		ctx := context.Background()
		if _, err := s.SetTrustedTrader(ctx, customsOfficer, "nobody", true, ""); !problem.Is(err, problem.NotFound) {
			t.Fatalf("unknown org: %v", err)
		}
		customsOK(t)(s.Refuse(ctx, customsOfficer, customsLodge(t, s, "acme", customsPhones()).ID, "undervalued"))
		p, err := db.CustomsTraderProfile(ctx, "acme", customsT0.Add(-time.Hour))
		if err != nil || p.Refusals != 1 || p.AEO {
			t.Fatalf("profile %+v %v", p, err)
		}
		if p, _ := db.CustomsTraderProfile(ctx, "acme", customsT0.Add(time.Hour)); p.Refusals != 0 {
			t.Fatalf("refusal outside the window counted: %+v", p)
		}
		for _, aeo := range []bool{true, false, true} {
			clk.add(time.Minute)
			if _, err := s.SetTrustedTrader(ctx, customsOfficer, "acme", aeo, "review"); err != nil {
				t.Fatal(err)
			}
			if p, _ := db.CustomsTraderProfile(ctx, "acme", customsT0); p.AEO != aeo {
				t.Fatalf("aeo %v, want %v", p.AEO, aeo)
			}
		}
		// With one refusal (yellow) and AEO status, the next goes blue and
		// is released on payment, audit to follow.
		d := customsLodge(t, s, "acme", customsPhones(), customs.DocCommercialInvoice)
		if d.Lane != customs.LaneBlue || d.Status != customs.StatusAssessed {
			t.Fatalf("AEO with history: %s %s", d.Lane, d.Status)
		}
		if d = customsOK(t)(s.Pay(ctx, customsTrader("acme"), d.ID, "a")); d.Status != customs.StatusReleased {
			t.Fatalf("blue after payment: %s", d.Status)
		}
	})
}

// BenchmarkCustomsDeclare measures a declaration end to end on SQLite:
// create (validate, store) and submit (validate, SPS, tariff, risk,
// store with its events and reasons), two transactions, each fsynced.
func BenchmarkCustomsDeclare(b *testing.B) {
	for _, par := range []int{1, 8, 32} {
		b.Run(map[int]string{1: "serial", 8: "parallel8", 32: "parallel32"}[par], func(b *testing.B) {
			db := OpenTest(b, SQLite)
			ctx := context.Background()
			o := identity.Org{ID: "acme", Name: "acme", Kind: identity.KindCompany, Country: "KZ", RegScheme: "KZ-BIN", RegID: "1", CreatedAt: customsT0}
			if err := db.CreateOrg(ctx, o, audit.Record{ActorUser: "system", Action: "org.create"}); err != nil {
				b.Fatal(err)
			}
			rules, err := customs.DemoRules(refdata.Default())
			if err != nil {
				b.Fatal(err)
			}
			s, err := customs.NewService(db, customs.Config{Rules: rules,
				Rates: func(context.Context, string, time.Time) (money.Rate, error) { return money.ParseRate("500") }})
			if err != nil {
				b.Fatal(err)
			}
			p := customsTrader("acme")
			b.SetParallelism(par)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					d, err := s.Create(ctx, p, customsPhones())
					if err == nil {
						_, err = s.Submit(ctx, p, d.ID)
					}
					if err != nil {
						b.Fatal(err)
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "decl/s")
		})
	}
}

// TestCustomsGroupCommit races three changes computed from the same version
// on each of many declarations: the group commit must let exactly one per
// declaration through, whatever batches they land in, and keep the audit
// chain whole.
func TestCustomsGroupCommit(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		s, _ := customsTown(t, db, nil)
		ctx := context.Background()
		const n = 20
		var decls []customs.Declaration
		for range n {
			d := customsLodge(t, s, "acme", customsPhones())
			stored, err := db.GetDeclaration(ctx, d.ID)
			if err != nil {
				t.Fatal(err)
			}
			decls = append(decls, stored)
		}
		type attempt struct {
			decl int
			c    customs.Change
		}
		var attempts []attempt
		for i, d := range decls {
			for k, to := range []customs.Status{customs.StatusPhysicalInspection, customs.StatusAssessed, customs.StatusRefused} {
				next := d
				next.Version, next.Status, next.EventCount = d.Version+1, to, d.EventCount+1
				next.UpdatedAt = d.UpdatedAt.Add(time.Duration(k+1) * time.Second)
				attempts = append(attempts, attempt{i, customs.Change{Declaration: next, BaseVersion: d.Version,
					Events: []customs.Event{{DeclarationID: d.ID, Seq: next.EventCount, At: next.UpdatedAt, ActorUser: "u", Action: customs.ActDecide,
						From: d.Status, To: to}},
					Reasons: []customs.RiskReason{{Seq: int64(len(d.RiskReasons)) + 1, RuleID: customs.RuleOfficer, Description: "race", At: next.UpdatedAt}},
					Audit:   []audit.Record{{ActorUser: "u", Action: "customs.decide_checks", SubjectType: "customs_declaration", SubjectID: d.ID, OrgID: "acme"}}}})
			}
		}
		errs := make([]error, len(attempts))
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range attempts {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				errs[i] = db.ApplyDeclarationChange(ctx, attempts[i].c)
			}()
		}
		close(start)
		wg.Wait()
		wins := make([]int, n)
		for i, err := range errs {
			switch {
			case err == nil:
				wins[attempts[i].decl]++
			case !problem.Is(err, problem.Conflict):
				t.Fatalf("attempt %d: %v", i, err)
			}
		}
		for i, d := range decls {
			if wins[i] != 1 {
				t.Fatalf("declaration %d: %d winners", i, wins[i])
			}
			got, _ := db.GetDeclaration(ctx, d.ID)
			evs, _ := db.DeclarationEvents(ctx, d.ID)
			if got.Version != d.Version+1 || int64(len(evs)) != got.EventCount || evs[len(evs)-1].To != got.Status {
				t.Fatalf("declaration %d: v%d, %d events for count %d", i, got.Version, len(evs), got.EventCount)
			}
		}
		var recs int
		if err := db.SQL.QueryRow(`SELECT COUNT(*) FROM audit_log WHERE action = 'customs.decide_checks'`).Scan(&recs); err != nil || recs != n {
			t.Fatalf("%d decision audit records, want %d (%v)", recs, n, err)
		}
		if err := db.EachAudit(ctx, audit.NewVerifier().Check); err != nil {
			t.Fatal(err)
		}
	})
}
