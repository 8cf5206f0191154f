package server

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"bricstown/internal/identity"
)

var expoSeq atomic.Int64

// newExpo creates a fresh expo of the demo expo centre with one hall of
// 2×5 positions and n booths (A1…), each 9 m² at 450 000.00 KZT; it
// answers the expo's id and the booths' ids.
func (f *fixture) newExpo(t *testing.T, n int) (string, []string) {
	t.Helper()
	org := f.token(t, apiExpo, identity.Organiser)
	acc, err := f.db.AccountByCode(context.Background(), f.orgs[apiExpo].ID, "KZT", "expo_fees")
	if err != nil {
		t.Fatal(err)
	}
	e := f.call(t, "POST", "/api/v1/expos", org, map[string]any{"name": fmt.Sprintf("Test Expo %d", expoSeq.Add(1)), "venue": "Pavilion",
		"starts_on": "2028-05-10", "ends_on": "2028-05-11", "meeting_from": "10:00", "meeting_to": "12:00", "slot_minutes": 30, "tables": 3,
		"account_id": acc.ID.String()})
	if e.status != 201 {
		t.Fatalf("create expo: %d %s", e.status, e.body)
	}
	id := e.json(t)["id"].(string)
	h := f.call(t, "POST", "/api/v1/expos/"+id+"/halls", org, map[string]any{"name": "Hall A", "rows": 2, "cols": 5})
	if h.status != 201 {
		t.Fatalf("hall: %d %s", h.status, h.body)
	}
	hall := h.json(t)["id"].(string)
	var booths []string
	for i := range n {
		b := f.call(t, "POST", "/api/v1/expos/"+id+"/booths", org, map[string]any{"hall_id": hall, "code": fmt.Sprintf("A%d", i+1), "size_m2": 9,
			"price_kzt": 450_000_00, "row": 1 + i/5, "col": 1 + i%5})
		if b.status != 201 {
			t.Fatalf("booth: %d %s", b.status, b.body)
		}
		booths = append(booths, b.json(t)["id"].(string))
	}
	return id, booths
}

// apply has the company apply and the organiser approve; it answers the
// application's id.
func (f *fixture) expoApproved(t *testing.T, expoID, company string) string {
	t.Helper()
	tok := f.token(t, company, identity.Trader)
	a := f.call(t, "POST", "/api/v1/expos/"+expoID+"/applications", tok, map[string]any{"size_m2": 9})
	if a.status != 201 {
		t.Fatalf("apply %s: %d %s", company, a.status, a.body)
	}
	id := a.json(t)["id"].(string)
	if r := f.call(t, "POST", "/api/v1/expos/"+expoID+"/applications/"+id+"/approve", f.token(t, apiExpo, identity.Organiser), nil); r.status != 200 {
		t.Fatalf("approve: %d %s", r.status, r.body)
	}
	return id
}

// The forbidden cases first: roles outside the expo, a company deciding
// or paying for another, a third organisation answering a request or
// reading another's requests and agenda.
func TestAPIExpoForbidden(t *testing.T) {
	f := getFixture(t)
	org := f.token(t, apiExpo, identity.Organiser)
	kge := f.token(t, apiKGE, identity.Trader)
	szd := f.token(t, apiSZD, identity.Trader)
	sib := f.token(t, "Siberian Energy Trading", identity.Trader)
	bank := f.token(t, apiBank, identity.BankOperator)
	officer := f.token(t, "Khorgos Customs Post", identity.CustomsOfficer)
	for _, c := range []struct {
		tok, method, path string
		want              int
	}{
		{officer, "GET", "/api/v1/expos", 403},
		{bank, "GET", "/api/v1/expos", 403},
		{kge, "POST", "/api/v1/expos", 403},
		{"", "GET", "/api/v1/expos", 401},
	} {
		if r := f.call(t, c.method, c.path, c.tok, map[string]any{}); r.status != c.want {
			t.Errorf("%s %s: %d, want %d", c.method, c.path, r.status, c.want)
		}
	}
	id, booths := f.newExpo(t, 2)
	base := "/api/v1/expos/" + id
	if r := f.call(t, "POST", base+"/halls", kge, map[string]any{"name": "Mine", "rows": 1, "cols": 1}); r.status != 403 {
		t.Errorf("a company adds a hall: %d", r.status)
	}
	app := f.call(t, "POST", base+"/applications", kge, map[string]any{"size_m2": 9, "note": "wheat"})
	if app.status != 201 {
		t.Fatalf("apply: %d %s", app.status, app.body)
	}
	appID := app.json(t)["id"].(string)
	if r := f.call(t, "POST", base+"/applications", kge, map[string]any{}); r.status != 409 {
		t.Errorf("second application: %d", r.status)
	}
	// Another company neither approves nor sees it.
	if r := f.call(t, "POST", base+"/applications/"+appID+"/approve", szd, nil); r.status != 403 {
		t.Errorf("a company approves: %d", r.status)
	}
	if r := f.call(t, "GET", base+"/applications", szd, nil); r.status != 200 || strings.Contains(string(r.body), appID) {
		t.Errorf("another company lists the applications: %d %s", r.status, r.body)
	}
	if r := f.call(t, "POST", base+"/applications/"+appID+"/approve", org, nil); r.status != 200 {
		t.Fatalf("approve: %d %s", r.status, r.body)
	}
	if r := f.call(t, "POST", base+"/applications/"+appID+"/allocate", org, map[string]any{"booth_id": booths[0]}); r.status != 200 {
		t.Fatalf("allocate: %d %s", r.status, r.body)
	}
	// Nobody pays for someone else's booth, nor from someone else's account.
	kgeAcc, sibAcc := f.kztOperating(t, apiKGE), f.kztOperating(t, "Siberian Energy Trading")
	if r := f.call(t, "POST", base+"/applications/"+appID+"/pay", sib, map[string]any{"pay_from": sibAcc.ID.String()}); r.status != 404 {
		t.Errorf("another company pays: %d %s", r.status, r.body)
	}
	if r := f.call(t, "POST", base+"/applications/"+appID+"/pay", org, map[string]any{"pay_from": kgeAcc.ID.String()}); r.status != 403 {
		t.Errorf("the organiser pays: %d %s", r.status, r.body)
	}
	if r := f.call(t, "POST", base+"/applications/"+appID+"/pay", kge, map[string]any{"pay_from": sibAcc.ID.String()}); r.status != 400 || field(t, r, "pay_from") == "" {
		t.Errorf("paid from another's account: %d %s", r.status, r.body)
	}
	before := f.ledgerAccount(t, kgeAcc.ID.String())
	for range 2 {
		if r := f.call(t, "POST", base+"/applications/"+appID+"/pay", kge, map[string]any{"pay_from": kgeAcc.ID.String()}); r.status != 200 || r.json(t)["paid"] != true {
			t.Fatalf("pay: %d %s", r.status, r.body)
		}
	}
	if after := f.ledgerAccount(t, kgeAcc.ID.String()); before.Balance()-after.Balance() != 450_000_00 {
		t.Fatalf("charged %d", before.Balance()-after.Balance())
	}
	// Meetings: the buyer asks, only the exhibitor answers.
	if r := f.call(t, "POST", base+"/meeting-requests", sib, map[string]any{"to_org": f.orgs[apiKGE].ID}); r.status != 409 {
		t.Errorf("an unregistered company asks: %d %s", r.status, r.body)
	}
	if r := f.call(t, "POST", base+"/buyers", sib, nil); r.status != 200 {
		t.Fatalf("register: %d %s", r.status, r.body)
	}
	req := f.call(t, "POST", base+"/meeting-requests", sib, map[string]any{"to_org": f.orgs[apiKGE].ID, "message": "gas for grain"})
	if req.status != 201 {
		t.Fatalf("request: %d %s", req.status, req.body)
	}
	reqID := req.json(t)["id"].(string)
	if r := f.call(t, "POST", base+"/meeting-requests/"+reqID+"/accept", sib, nil); r.status != 403 {
		t.Errorf("the sender accepts its own request: %d", r.status)
	}
	if r := f.call(t, "POST", base+"/meeting-requests/"+reqID+"/accept", szd, nil); r.status != 404 {
		t.Errorf("a third company accepts: %d", r.status)
	}
	if r := f.call(t, "GET", base+"/meeting-requests", szd, nil); r.status != 200 || strings.Contains(string(r.body), reqID) {
		t.Errorf("a third company lists the requests: %d %s", r.status, r.body)
	}
	if r := f.call(t, "POST", base+"/meeting-requests/"+reqID+"/accept", kge, nil); r.status != 200 {
		t.Fatalf("accept: %d %s", r.status, r.body)
	}
	if r := f.call(t, "POST", base+"/schedule", kge, nil); r.status != 403 {
		t.Errorf("a company runs the scheduler: %d", r.status)
	}
	run := f.call(t, "POST", base+"/schedule", org, nil)
	if run.status != 200 || run.json(t)["placed"] != 1.0 || run.json(t)["greedy"] != 1.0 {
		t.Fatalf("schedule: %d %s", run.status, run.body)
	}
	if r := f.call(t, "GET", base+"/agenda", kge, nil); r.status != 200 || len(r.json(t)["items"].([]any)) != 1 {
		t.Fatalf("kge's agenda: %d %s", r.status, r.body)
	}
	// A third company's agenda and calendar hold nothing of theirs.
	if r := f.call(t, "GET", base+"/agenda", szd, nil); r.status != 200 || len(r.json(t)["items"].([]any)) != 0 {
		t.Errorf("a third company's agenda: %d %s", r.status, r.body)
	}
	if r := f.call(t, "GET", base+"/agenda.ics", szd, nil); r.status != 200 || strings.Contains(string(r.body), "VEVENT") {
		t.Errorf("a third company's calendar: %d %s", r.status, r.body)
	}
	if r := f.call(t, "GET", base+"/agenda.ics", sib, nil); r.status != 200 || !strings.Contains(string(r.body), "BEGIN:VEVENT") ||
		!strings.Contains(string(r.body), "Kazakh Grain Export") || !strings.HasPrefix(r.header.Get("Content-Type"), "text/calendar") {
		t.Errorf("the buyer's calendar: %d %s", r.status, r.body)
	}
	// Unknown and malformed ids answer alike.
	for _, p := range []string{"/api/v1/expos/0194c1f2-0000-7000-8000-000000000000", "/api/v1/expos/nope"} {
		if r := f.call(t, "GET", p, kge, nil); r.status != 404 {
			t.Errorf("%s: %d", p, r.status)
		}
	}
}
