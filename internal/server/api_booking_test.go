package server

import (
	"context"
	"strings"
	"testing"
	"time"

	"bricstown/internal/identity"
	"bricstown/internal/ledger"

	"github.com/google/uuid"
)

const apiExpo = "BRICS Town Expo Centre"

// bookingResource finds a demo resource by name as tok sees it.
func (f *fixture) bookingResource(t *testing.T, tok, name string) map[string]any {
	t.Helper()
	r := f.call(t, "GET", "/api/v1/booking/resources?limit=200", tok, nil)
	if r.status != 200 {
		t.Fatalf("resources: %d %s", r.status, r.body)
	}
	for _, it := range r.json(t)["items"].([]any) {
		if m := it.(map[string]any); m["name"] == name {
			return m
		}
	}
	t.Fatalf("no resource %q in %s", name, r.body)
	return nil
}

// freeSlot is the start of a bookable slot with a place left, skipping n.
func (f *fixture) freeSlot(t *testing.T, tok, id string, skip int) string {
	t.Helper()
	r := f.call(t, "GET", "/api/v1/booking/resources/"+id+"/availability?days=14", tok, nil)
	if r.status != 200 {
		t.Fatalf("availability: %d %s", r.status, r.body)
	}
	for _, d := range r.json(t)["days"].([]any) {
		for _, s := range d.(map[string]any)["slots"].([]any) {
			sl := s.(map[string]any)
			at, _ := time.Parse(time.RFC3339, sl["start"].(string))
			if sl["bookable"] == true && sl["free"].(float64) > 0 && at.After(time.Now().Add(50*time.Hour)) {
				if skip == 0 {
					return sl["start"].(string)
				}
				skip--
			}
		}
	}
	t.Fatal("no free slot")
	return ""
}

func (f *fixture) kztOperating(t *testing.T, org string) ledger.Account {
	t.Helper()
	a, err := f.db.AccountByCode(context.Background(), f.orgs[org].ID, "KZT", "operating")
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func field(t *testing.T, r response, name string) string {
	t.Helper()
	fs, _ := r.json(t)["errors"].(map[string]any)
	s, _ := fs[name].(string)
	return s
}

// The forbidden cases first: roles outside booking, other organisations'
// money and bookings, residents and private resources, owners' rights.
func TestAPIBookingForbidden(t *testing.T) {
	f := getFixture(t)
	kge := f.token(t, apiKGE, identity.Trader)
	szd := f.token(t, apiSZD, identity.Trader)
	expo := f.token(t, apiExpo, identity.OrgAdmin)
	officer := f.token(t, "Khorgos Customs Post", identity.CustomsOfficer)
	bank := f.token(t, apiBank, identity.BankOperator)
	resident := f.token(t, "Town Residents", identity.Resident)
	room := f.bookingResource(t, kge, "Meeting Room Shanghai")
	id := room["id"].(string)

	if r := f.call(t, "GET", "/api/v1/booking/resources", "", nil); r.status != 401 {
		t.Fatalf("anonymous: %d", r.status)
	}
	for _, tok := range []string{officer, bank} {
		if r := f.call(t, "GET", "/api/v1/booking/resources", tok, nil); r.status != 403 {
			t.Fatalf("other role lists resources: %d", r.status)
		}
		if r := f.call(t, "POST", "/api/v1/booking/bookings", tok, map[string]any{"resource_id": id, "start": "2030-01-01T10:00:00+05:00", "key": uuid.NewString()}); r.status != 403 {
			t.Fatalf("other role books: %d", r.status)
		}
	}
	// A trader manages no resources, and no one manages another's.
	in := map[string]any{"name": "Pirate room", "kind": "room", "capacity": 1, "hours": []map[string]any{{"day": 1, "from": "09:00", "to": "18:00"}}}
	if r := f.call(t, "POST", "/api/v1/booking/resources", kge, in); r.status != 403 {
		t.Fatalf("trader creates a resource: %d %s", r.status, r.body)
	}
	kgeAdmin := f.token(t, apiKGE, identity.OrgAdmin)
	if r := f.call(t, "PUT", "/api/v1/booking/resources/"+id, kgeAdmin, in); r.status != 403 {
		t.Fatalf("another org's admin changes the resource: %d %s", r.status, r.body)
	}
	if r := f.call(t, "GET", "/api/v1/booking/resources/"+id+"/utilisation", kgeAdmin, nil); r.status != 403 {
		t.Fatalf("another org's admin reads utilisation: %d", r.status)
	}
	// The owner may not be paid into another organisation's account.
	paid := map[string]any{"name": "Gold room", "kind": "room", "capacity": 1, "price_kzt": 100_00, "account_id": f.kztOperating(t, apiKGE).ID.String(),
		"hours": []map[string]any{{"day": 1, "from": "09:00", "to": "18:00"}}}
	if r := f.call(t, "POST", "/api/v1/booking/resources", expo, paid); r.status != 400 || field(t, r, "account_id") == "" {
		t.Fatalf("owner names another's account: %d %s", r.status, r.body)
	}
	bad := map[string]any{"name": "Mars room", "kind": "room", "capacity": 1, "time_zone": "Mars/Olympus_Mons", "price_kzt": -5,
		"hours": []map[string]any{{"day": 1, "from": "18:00", "to": "09:00"}}}
	if r := f.call(t, "POST", "/api/v1/booking/resources", expo, bad); r.status != 400 || field(t, r, "time_zone") == "" || field(t, r, "price_kzt") == "" || field(t, r, "hours[0]") == "" {
		t.Fatalf("bad resource: %d %s", r.status, r.body)
	}

	kgeAcc := f.kztOperating(t, apiKGE)
	before := f.ledgerAccount(t, kgeAcc.ID.String())
	start := f.freeSlot(t, kge, id, 0)
	// Paying from another organisation's account looks like an unknown one.
	if r := f.call(t, "POST", "/api/v1/booking/bookings", szd, map[string]any{"resource_id": id, "start": start, "key": uuid.NewString(), "pay_from": kgeAcc.ID.String()}); r.status != 400 || field(t, r, "pay_from") == "" {
		t.Fatalf("paying from another's account: %d %s", r.status, r.body)
	}
	// In the past, at a closed hour, with a bad time.
	for _, s := range []string{"2020-01-06T10:00:00+05:00", strings.Replace(start, "T", "T", 1)[:11] + "03:00:00+05:00", "next tuesday"} {
		if r := f.call(t, "POST", "/api/v1/booking/bookings", kge, map[string]any{"resource_id": id, "start": s, "key": uuid.NewString(), "pay_from": kgeAcc.ID.String()}); r.status != 400 || field(t, r, "start") == "" {
			t.Fatalf("start %s: %d %s", s, r.status, r.body)
		}
	}
	// A resident does not see a private resource.
	if r := f.call(t, "GET", "/api/v1/booking/resources/"+id, resident, nil); r.status != 404 {
		t.Fatalf("resident sees a private resource: %d", r.status)
	}
	if after := f.ledgerAccount(t, kgeAcc.ID.String()); after.DebitsPending != before.DebitsPending || after.Balance() != before.Balance() {
		t.Fatalf("money moved: %+v -> %+v", before, after)
	}

	// A real hold: nobody else sees, confirms or cancels it.
	r := f.call(t, "POST", "/api/v1/booking/bookings", kge, map[string]any{"resource_id": id, "start": start, "key": uuid.NewString(), "pay_from": kgeAcc.ID.String()})
	if r.status != 201 {
		t.Fatalf("book: %d %s", r.status, r.body)
	}
	bid := r.json(t)["id"].(string)
	for _, tok := range []string{szd, resident, f.token(t, apiExpo, identity.Organiser)} {
		for _, c := range []struct{ m, p string }{{"GET", ""}, {"POST", "/confirm"}, {"POST", "/cancel"}} {
			got := f.call(t, c.m, "/api/v1/booking/bookings/"+bid+c.p, tok, nil)
			if got.status != 404 && got.status != 403 {
				t.Fatalf("%s %s by a stranger: %d %s", c.m, c.p, got.status, got.body)
			}
			// A foreign booking reads exactly like an unknown one.
			unknown := f.call(t, c.m, "/api/v1/booking/bookings/"+uuid.NewString()+c.p, tok, nil)
			if got.status == 404 && (unknown.status != 404 || got.json(t)["detail"] != unknown.json(t)["detail"]) {
				t.Fatalf("foreign %s vs unknown %s", got.body, unknown.body)
			}
		}
	}
	// The owner sees it and may not confirm it for the booker.
	if got := f.call(t, "POST", "/api/v1/booking/bookings/"+bid+"/confirm", expo, nil); got.status != 403 {
		t.Fatalf("owner confirms a booker's hold: %d %s", got.status, got.body)
	}
	if got := f.call(t, "POST", "/api/v1/booking/bookings/"+bid+"/cancel", kge, nil); got.status != 200 {
		t.Fatalf("cancel: %d %s", got.status, got.body)
	}
	if got := f.call(t, "POST", "/api/v1/booking/bookings/"+bid+"/cancel", kge, nil); got.status != 409 {
		t.Fatalf("cancel twice: %d %s", got.status, got.body)
	}
}

// The allowed path: hold, retry with the same key, confirm, the calendar,
// an early cancellation refunded once.
func TestAPIBookingPaidLife(t *testing.T) {
	f := getFixture(t)
	kge := f.token(t, apiKGE, identity.Trader)
	room := f.bookingResource(t, kge, "Meeting Room Kazan")
	id := room["id"].(string)
	price := int64(room["price_kzt"].(float64))
	acc := f.kztOperating(t, apiKGE)
	before := f.ledgerAccount(t, acc.ID.String())
	start := f.freeSlot(t, kge, id, 3)
	key := uuid.NewString()
	body := map[string]any{"resource_id": id, "start": start, "key": key, "pay_from": acc.ID.String()}
	r := f.call(t, "POST", "/api/v1/booking/bookings", kge, body)
	if r.status != 201 {
		t.Fatalf("book: %d %s", r.status, r.body)
	}
	bid := r.json(t)["id"].(string)
	// The answer was lost; the retry finds the same booking.
	again := f.call(t, "POST", "/api/v1/booking/bookings", kge, body)
	if again.status != 200 || again.json(t)["id"] != bid {
		t.Fatalf("retry: %d %s", again.status, again.body)
	}
	if a := f.ledgerAccount(t, acc.ID.String()); a.DebitsPending != before.DebitsPending+price {
		t.Fatalf("reserved %d, want %d more than %d", a.DebitsPending, price, before.DebitsPending)
	}
	// The same slot is now full for someone else.
	szd := f.token(t, "Siberian Energy Trading", identity.Trader)
	sib := f.kztOperating(t, "Siberian Energy Trading")
	if got := f.call(t, "POST", "/api/v1/booking/bookings", szd, map[string]any{"resource_id": id, "start": start, "key": uuid.NewString(), "pay_from": sib.ID.String()}); got.status != 409 || field(t, got, "start") != "full" {
		t.Fatalf("second booking of a full slot: %d %s", got.status, got.body)
	}
	if got := f.call(t, "POST", "/api/v1/booking/bookings/"+bid+"/confirm", kge, nil); got.status != 200 || got.json(t)["status"] != "confirmed" {
		t.Fatalf("confirm: %d %s", got.status, got.body)
	}
	if a := f.ledgerAccount(t, acc.ID.String()); a.Balance() != before.Balance()-price || a.DebitsPending != before.DebitsPending {
		t.Fatalf("paid: balance %d pending %d", a.Balance(), a.DebitsPending)
	}
	cal := f.call(t, "GET", "/api/v1/booking/calendar.ics", kge, nil)
	if cal.status != 200 || !strings.HasPrefix(cal.header.Get("Content-Type"), "text/calendar") || !strings.Contains(string(cal.body), "UID:"+bid) ||
		!strings.Contains(string(cal.body), "\r\nSTATUS:CONFIRMED\r\n") {
		t.Fatalf("calendar: %d %s", cal.status, cal.body)
	}
	// The start is days ahead: cancelled now, refunded in full, once.
	for range 2 {
		f.call(t, "POST", "/api/v1/booking/bookings/"+bid+"/cancel", kge, nil)
	}
	if a := f.ledgerAccount(t, acc.ID.String()); a.Balance() != before.Balance() {
		t.Fatalf("refund: balance %d, want %d", a.Balance(), before.Balance())
	}
	got := f.call(t, "GET", "/api/v1/booking/bookings/"+bid, kge, nil)
	if got.json(t)["status"] != "cancelled" || got.json(t)["refund_due"] != false {
		t.Fatalf("after cancel: %s", got.body)
	}
	if rep, err := f.db.Verify(context.Background()); err != nil || len(rep.Problems) > 0 {
		t.Fatalf("ledger verify: %v %v", rep.Problems, err)
	}
}
