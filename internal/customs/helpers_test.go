package customs

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/identity"
	"bricstown/internal/money"
	"bricstown/internal/problem"
	"bricstown/internal/refdata"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// testRates are fixed KZT prices of one unit of each currency.
var testRates = map[string]string{"USD": "500", "CNY": "69.87", "RUB": "5.4321", "EUR": "540.3", "AED": "136.1"}

// rateSource is rateFunc as the service's configuration takes it.
func rateSource(calls *int) RateSource {
	f := rateFunc(calls)
	return func(_ context.Context, ccy string, date time.Time) (money.Rate, error) { return f(ccy, date) }
}

func rateFunc(calls *int) RateFunc {
	return func(ccy string, date time.Time) (money.Rate, error) {
		if calls != nil {
			*calls++
		}
		s, ok := testRates[ccy]
		if !ok {
			return money.Rate{}, problem.New(problem.NotFound, "no rate for %s on %s", ccy, date.Format(time.DateOnly))
		}
		return money.ParseRate(s)
	}
}

// quietRules are the demo rules without random selection, so that a test
// sees exactly the lanes its findings cause.
func quietRules(t testing.TB) *Rules {
	t.Helper()
	r, err := DemoRules(refdata.Default())
	if err != nil {
		t.Fatal(err)
	}
	r.Risk.RandomRedBps, r.Risk.RandomYellowBps, r.Risk.RandomBlueBps = 0, 0, 0
	return r
}

// smartphones is an import of 1 000 smartphones from China at 150 USD each
// (75 000 000 KZT; reference 250 000 KZT/kg × 200 kg = 50 000 000 KZT).
func smartphones() Content {
	return Content{
		FunctionalReferenceID:   "SZD-2026-0042",
		Procedure:               Import,
		Exporter:                Party{Name: "Shenzhen Smart Devices", ID: "91440300MA5DC0000", CountryCode: "CN"},
		Importer:                Party{Name: "Kazakh Electronics", ID: "170440000054", CountryCode: "KZ"},
		Declarant:               Party{Name: "Khorgos Gateway Logistics", CountryCode: "KZ"},
		Carrier:                 Party{Name: "Khorgos Gateway Logistics", CountryCode: "KZ"},
		TradeTermsConditionCode: "CPT",
		Transport: Transport{ModeCode: ModeRoad, Corridor: "Western Europe – Western China", BorderTransportMeansID: "KZ 123 ABC 02",
			TransportEquipmentIDs: []string{"CSQU3054383"}, BorderPost: "KZHOR"},
		Items: []Item{{
			Description: "Smartphones, 5G, 128 GB", ClassificationID: "8517.13.0000", OriginCountryCode: "CN",
			TariffQuantity: 1000, TariffQuantityUnitCode: "NAR", NetNetWeightMeasure: 200_000, GrossMassMeasure: 260_000,
			CustomsValueAmount: 150_000_00, CustomsValueCurrencyID: "USD",
		}},
	}
}

// beef is an import of chilled beef from Brazil: veterinary certificate and
// inspection always.
func beef() Content {
	c := smartphones()
	c.FunctionalReferenceID = "CAE-2026-0007"
	c.Exporter = Party{Name: "Cerrado Agro Exportadora", CountryCode: "BR"}
	c.Transport.TransportEquipmentIDs = []string{"TEMU4873256"}
	c.Items = []Item{{Description: "Beef, boneless, chilled", ClassificationID: "020130", OriginCountryCode: "BR",
		TariffQuantity: 20_000, TariffQuantityUnitCode: "KGM", NetNetWeightMeasure: 20_000_000, GrossMassMeasure: 21_500_000,
		CustomsValueAmount: 120_000_00, CustomsValueCurrencyID: "USD"}}
	return c
}

func trader(org string) *identity.Principal {
	return &identity.Principal{UserID: "u-" + org, OrgID: org, OrgKind: identity.KindCompany, Roles: []identity.Role{identity.Trader}}
}

var (
	officer   = &identity.Principal{UserID: "u-officer", OrgID: "customs", OrgKind: identity.KindCustomsAuthority, Roles: []identity.Role{identity.CustomsOfficer}}
	officer2  = &identity.Principal{UserID: "u-officer2", OrgID: "customs", OrgKind: identity.KindCustomsAuthority, Roles: []identity.Role{identity.CustomsOfficer}}
	inspector = &identity.Principal{UserID: "u-inspector", OrgID: "sps", OrgKind: identity.KindQuarantineAuthority, Roles: []identity.Role{identity.QuarantineOfficer}}
	admin     = &identity.Principal{UserID: "u-admin", OrgID: "town", OrgKind: identity.KindTownAdministration, Roles: []identity.Role{identity.PlatformAdmin}}
)

var pdf = []byte("%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")

type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

// fakePayments records payments and answers idempotently per declaration.
type fakePayments struct {
	mu   sync.Mutex
	paid map[string]int64
	fail error
}

func (f *fakePayments) PayDuties(_ context.Context, _ *identity.Principal, id string, amount int64, from string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return "", f.fail
	}
	if f.paid == nil {
		f.paid = map[string]int64{}
	}
	f.paid[id] = amount
	return "PAY-" + id[len(id)-6:], nil
}

// fakeGuarantees holds one guarantee per org, "G-<org>", of 1e15 tiyn
// unless left says otherwise; a draw takes from it once per declaration.
// It stands in for internal/guarantee, whose own tests run on the ledger.
type fakeGuarantees struct {
	mu    sync.Mutex
	left  map[string]int64 // guarantee id -> remaining
	drawn map[string]string
}

func (f *fakeGuarantees) DrawDuties(_ context.Context, p *identity.Principal, decl string, amount int64, gid string) (string, string, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.left == nil {
		f.left, f.drawn = map[string]int64{}, map[string]string{}
	}
	if g, ok := f.drawn[decl]; ok {
		return g, "BG-" + g, "T-" + decl, nil
	}
	if gid != "G-"+p.OrgID {
		return "", "", "", &problem.Error{Code: problem.NotFound, Message: "no such guarantee", Fields: map[string]string{"guarantee_id": "not yours"}}
	}
	left, ok := f.left[gid]
	if !ok {
		left = 1e15
	}
	if left < amount {
		return "", "", "", &problem.Error{Code: problem.Conflict, Message: "short", Fields: map[string]string{"guarantee_id": "short"}}
	}
	f.left[gid] = left - amount
	f.drawn[decl] = gid
	return gid, "BG-" + gid, "T-" + decl, nil
}

func newService(t testing.TB, rules *Rules) (*Service, *memStore, *clock, *fakePayments) {
	t.Helper()
	st, c, pay := newMemStore(), &clock{now: t0}, &fakePayments{}
	s, err := NewService(st, Config{Rules: rules, Rates: rateSource(nil), Payments: pay, Guarantees: &fakeGuarantees{}, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	return s, st, c, pay
}

// memStore is an in-memory Store with the same version check as the SQL
// one. Values are copied through JSON so that nothing is shared.
type memStore struct {
	mu          sync.Mutex
	decls       map[string][]byte
	events      map[string][]Event
	amendments  map[string][]Amendment
	inspections map[string][]Inspection
	docs        map[string][]byte
	reasons     map[string][]RiskReason
	aeo         map[string]bool
	audit       []audit.Record
}

func newMemStore() *memStore {
	return &memStore{decls: map[string][]byte{}, events: map[string][]Event{}, amendments: map[string][]Amendment{},
		inspections: map[string][]Inspection{}, docs: map[string][]byte{}, reasons: map[string][]RiskReason{}, aeo: map[string]bool{}}
}

func (m *memStore) ApplyDeclarationChange(_ context.Context, c Change) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	d := c.Declaration
	if d.Version != c.BaseVersion+1 {
		return fmt.Errorf("bad version")
	}
	if prev, ok := m.decls[d.ID]; ok {
		var old Declaration
		_ = json.Unmarshal(prev, &old)
		if c.BaseVersion == 0 {
			return problem.New(problem.Conflict, "exists")
		}
		if old.Version != c.BaseVersion {
			return ErrStale()
		}
	} else if c.BaseVersion != 0 {
		return DeclarationNotFound()
	}
	b, err := json.Marshal(d)
	if err != nil {
		return err
	}
	m.decls[d.ID] = b
	m.events[d.ID] = append(m.events[d.ID], c.Events...)
	m.reasons[d.ID] = append(m.reasons[d.ID], c.Reasons...)
	if c.Amendment != nil {
		m.amendments[d.ID] = append(m.amendments[d.ID], *c.Amendment)
	}
	if c.Inspection != nil {
		m.inspections[d.ID] = append(m.inspections[d.ID], *c.Inspection)
	}
	for _, a := range c.Attachments {
		m.docs[a.Document.ID] = append([]byte(nil), a.Content...)
	}
	m.audit = append(m.audit, c.Audit...)
	return nil
}

func (m *memStore) GetDeclaration(_ context.Context, id string) (Declaration, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.decls[id]
	if !ok {
		return Declaration{}, DeclarationNotFound()
	}
	var d Declaration
	err := json.Unmarshal(b, &d)
	return d, err
}

func (m *memStore) ListDeclarations(ctx context.Context, q Query) ([]Summary, error) {
	m.mu.Lock()
	ids := make([]string, 0, len(m.decls))
	for id := range m.decls {
		ids = append(ids, id)
	}
	m.mu.Unlock()
	sort.Strings(ids)
	var out []Summary
	for _, id := range ids {
		d, _ := m.GetDeclaration(ctx, id)
		switch {
		case q.DeclarantOrg != "" && d.DeclarantOrg != q.DeclarantOrg,
			len(q.Statuses) > 0 && !contains(q.Statuses, d.Status),
			q.ExcludeDrafts && d.Status == StatusDraft,
			q.Lane != "" && d.Lane != q.Lane,
			q.SPSOnly && !d.SPS.Required,
			len(q.SPSStatuses) > 0 && !contains(q.SPSStatuses, d.SPS.Status),
			q.After != "" && id <= q.After:
			continue
		}
		out = append(out, Summary{ID: d.ID, Version: d.Version, DeclarantOrg: d.DeclarantOrg, Status: d.Status, Lane: d.Lane,
			SPSRequired: d.SPS.Required, SPSStatus: d.SPS.Status})
		if len(out) == q.Limit {
			break
		}
	}
	return out, nil
}

func contains[T comparable](xs []T, x T) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func (m *memStore) DeclarationEvents(_ context.Context, id string) ([]Event, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Event(nil), m.events[id]...), nil
}

func (m *memStore) DeclarationAmendments(_ context.Context, id string) ([]Amendment, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Amendment(nil), m.amendments[id]...), nil
}

func (m *memStore) DeclarationInspections(_ context.Context, id string) ([]Inspection, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Inspection(nil), m.inspections[id]...), nil
}

func (m *memStore) DeclarationDocument(_ context.Context, _, docID string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.docs[docID]
	if !ok {
		return nil, problem.New(problem.NotFound, "no such document")
	}
	return b, nil
}

func (m *memStore) CustomsTraderProfile(ctx context.Context, org string, since time.Time) (TraderProfile, error) {
	p := TraderProfile{OrgID: org}
	m.mu.Lock()
	p.AEO = m.aeo[org]
	ids := make([]string, 0, len(m.decls))
	for id := range m.decls {
		ids = append(ids, id)
	}
	m.mu.Unlock()
	for _, id := range ids {
		d, _ := m.GetDeclaration(ctx, id)
		if d.DeclarantOrg == org && d.Status == StatusRefused && !d.RefusedAt.Before(since) {
			p.Refusals++
		}
	}
	return p, nil
}

func (m *memStore) SetTrustedTrader(_ context.Context, t TrustedTrader, rec audit.Record) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.aeo[t.OrgID] = t.AEO
	m.audit = append(m.audit, rec)
	return nil
}

func (m *memStore) CustomsLaneStats(ctx context.Context, from, to time.Time) (LaneStats, error) {
	counts, rel, sums := map[Lane]int64{}, map[Lane]int64{}, map[Lane]int64{}
	m.mu.Lock()
	ids := make([]string, 0, len(m.decls))
	for id := range m.decls {
		ids = append(ids, id)
	}
	m.mu.Unlock()
	for _, id := range ids {
		d, _ := m.GetDeclaration(ctx, id)
		if d.Lane == "" || d.LaneAssignedAt.Before(from) || !d.LaneAssignedAt.Before(to) {
			continue
		}
		counts[d.Lane]++
		if !d.ReleasedAt.IsZero() {
			rel[d.Lane]++
			sums[d.Lane] += d.ReleasedAt.Sub(d.LaneAssignedAt).Microseconds()
		}
	}
	return FillStats(from, to, counts, rel, sums), nil
}

func mustCode(t *testing.T, err error, code problem.Code) {
	t.Helper()
	if !problem.Is(err, code) {
		t.Fatalf("want %s, got %v", code, err)
	}
}

func fieldsOf(err error) map[string]string {
	if pe, ok := err.(*problem.Error); ok {
		return pe.Fields
	}
	return nil
}
