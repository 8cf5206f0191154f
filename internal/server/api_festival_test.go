package server

import (
	"context"
	"strings"
	"testing"
	"time"

	"bricstown/internal/identity"

	"github.com/google/uuid"
)

// festivalPerformance makes a festival of the expo centre with one
// performance three days ahead (categories Stalls, price tiyn, and
// Balcony, free) and answers the performance.
func (f *fixture) festivalPerformance(t *testing.T, name string, quota int, price int64) map[string]any {
	t.Helper()
	expo := f.token(t, apiExpo, identity.OrgAdmin)
	acc, err := f.db.AccountByCode(context.Background(), f.orgs[apiExpo].ID, "KZT", "festival")
	if err != nil {
		t.Fatal(err)
	}
	r := f.call(t, "POST", "/api/v1/festivals", expo, map[string]any{"name": name, "kind": "drama", "account_id": acc.ID.String(), "refund_hours": 24})
	if r.status != 201 {
		t.Fatalf("festival: %d %s", r.status, r.body)
	}
	fid := r.json(t)["id"].(string)
	almaty, _ := time.LoadLocation("Asia/Almaty")
	day := time.Now().In(almaty).AddDate(0, 0, 3)
	start := time.Date(day.Year(), day.Month(), day.Day(), 19, 0, 0, 0, almaty)
	r = f.call(t, "POST", "/api/v1/festivals/"+fid+"/performances", expo, map[string]any{
		"titles": map[string]string{"en": "Abai", "ru": "Абай", "zh": "阿拜", "kk": "Абай", "pt": "Abai"}, "venue": "Drama Theatre",
		"start": start.Format(time.RFC3339), "end": start.Add(2 * time.Hour).Format(time.RFC3339),
		"categories": []map[string]any{{"name": "Stalls", "quota": quota, "price_kzt": price}, {"name": "Balcony", "quota": 10, "price_kzt": 0}}})
	if r.status != 201 {
		t.Fatalf("performance: %d %s", r.status, r.body)
	}
	return r.json(t)
}

func categoryID(perf map[string]any, i int) string {
	return perf["categories"].([]any)[i].(map[string]any)["id"].(string)
}

// The forbidden cases first: who may make festivals and programmes, whose
// tickets and tokens are whose, who may admit at the door.
func TestAPIFestivalForbidden(t *testing.T) {
	f := getFixture(t)
	kge := f.token(t, apiKGE, identity.Trader)
	kgeAdmin := f.token(t, apiKGE, identity.OrgAdmin)
	szd := f.token(t, apiSZD, identity.Trader)
	resident := f.token(t, "Town Residents", identity.Resident)
	door := f.token(t, apiExpo, identity.Organiser)
	officer := f.token(t, "Khorgos Customs Post", identity.CustomsOfficer)
	kgeAcc, szdAcc := f.kztOperating(t, apiKGE), f.kztOperating(t, apiSZD)

	// A company's administrator is no venue administrator: no festivals.
	if r := f.call(t, "POST", "/api/v1/festivals", kgeAdmin, map[string]any{"name": "Mine", "kind": "music", "account_id": kgeAcc.ID.String()}); r.status != 403 {
		t.Fatalf("company admin makes a festival: %d %s", r.status, r.body)
	}
	perf := f.festivalPerformance(t, "Forbidden cases festival", 5, 3_000_00)
	pid, fid := perf["id"].(string), perf["festival_id"].(string)
	// Nobody but the organiser's administrators adds to its programme.
	in := map[string]any{"titles": map[string]string{"en": "X", "ru": "X", "zh": "X", "kk": "X", "pt": "X"}, "venue": "X",
		"start": time.Now().Add(72 * time.Hour).Truncate(time.Hour).Format(time.RFC3339), "end": time.Now().Add(73 * time.Hour).Truncate(time.Hour).Format(time.RFC3339),
		"categories": []map[string]any{{"name": "A", "quota": 1}}}
	for _, tok := range []string{kgeAdmin, kge, door, resident} {
		if r := f.call(t, "POST", "/api/v1/festivals/"+fid+"/performances", tok, in); r.status != 403 {
			t.Fatalf("another adds a performance: %d %s", r.status, r.body)
		}
	}
	// The programme is public within the platform.
	if r := f.call(t, "GET", "/api/v1/festival/performances/"+pid, officer, nil); r.status != 200 {
		t.Fatalf("programme for an officer: %d %s", r.status, r.body)
	}
	// Sales are the organiser's staff's.
	for _, tok := range []string{kge, kgeAdmin, officer} {
		if r := f.call(t, "GET", "/api/v1/festival/performances/"+pid+"/sales", tok, nil); r.status != 403 {
			t.Fatalf("sales for another: %d %s", r.status, r.body)
		}
	}
	// Paying from another organisation's account looks like an unknown one.
	buy := map[string]any{"performance_id": pid, "category_id": categoryID(perf, 0), "key": uuid.NewString(), "pay_from": szdAcc.ID.String()}
	if r := f.call(t, "POST", "/api/v1/festival/tickets", kge, buy); r.status != 400 || field(t, r, "pay_from") == "" {
		t.Fatalf("pay from another's account: %d %s", r.status, r.body)
	}
	// An officer buys no tickets.
	if r := f.call(t, "POST", "/api/v1/festival/tickets", officer, buy); r.status != 403 {
		t.Fatalf("officer buys: %d", r.status)
	}
	buy["pay_from"] = kgeAcc.ID.String()
	r := f.call(t, "POST", "/api/v1/festival/tickets", kge, buy)
	if r.status != 201 {
		t.Fatalf("buy: %d %s", r.status, r.body)
	}
	tk := r.json(t)
	tid, token := tk["id"].(string), tk["token"].(string)
	// Another company, a resident: the ticket, its QR and its
	// cancellation do not exist for them. (A company's tickets are the
	// company's, as its bookings are: its own administrator sees them.)
	for _, tok := range []string{szd, resident} {
		for _, c := range []struct{ method, path string }{{"GET", "/api/v1/festival/tickets/" + tid}, {"GET", "/api/v1/festival/tickets/" + tid + "/qr.svg"},
			{"POST", "/api/v1/festival/tickets/" + tid + "/cancel"}} {
			if r := f.call(t, c.method, c.path, tok, nil); r.status != 404 {
				t.Fatalf("%s %s by another: %d %s", c.method, c.path, r.status, r.body)
			}
		}
		if r := f.call(t, "GET", "/api/v1/festival/tickets", tok, nil); strings.Contains(string(r.body), token) {
			t.Fatal("another party's list shows the token")
		}
	}
	// The door: only the organiser's staff; a buyer or a company cannot
	// admit, even with the real token.
	for _, tok := range []string{kge, kgeAdmin, szd, resident} {
		if r := f.call(t, "POST", "/api/v1/festival/checkin", tok, map[string]any{"token": token}); r.status != 403 {
			t.Fatalf("check-in by a non-organiser: %d %s", r.status, r.body)
		}
	}
	if r := f.call(t, "POST", "/api/v1/festival/checkin", door, map[string]any{"token": "AAAABBBBCCCCDDDD"}); r.status != 404 {
		t.Fatalf("unknown token: %d %s", r.status, r.body)
	}
	// The buyer's own: the ticket and its QR code.
	if r := f.call(t, "GET", "/api/v1/festival/tickets/"+tid+"/qr.svg", kge, nil); r.status != 200 || !strings.HasPrefix(string(r.body), "<svg") {
		t.Fatalf("qr: %d %.80s", r.status, r.body)
	}
	r = f.call(t, "POST", "/api/v1/festival/checkin", door, map[string]any{"token": strings.ToLower(token)})
	if r.status != 200 || r.json(t)["admitted"] != true {
		t.Fatalf("admit: %d %s", r.status, r.body)
	}
	r = f.call(t, "POST", "/api/v1/festival/checkin", door, map[string]any{"token": token})
	if r.status != 200 || r.json(t)["admitted"] != false || r.json(t)["admitted_at"] == "" {
		t.Fatalf("second scan: %d %s", r.status, r.body)
	}
	if r := f.call(t, "GET", "/api/v1/festival/performances/"+pid+"/sales", door, nil); r.status != 200 {
		t.Fatalf("sales: %d %s", r.status, r.body)
	}
}
