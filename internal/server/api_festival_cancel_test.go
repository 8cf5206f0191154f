package server

import (
	"net/url"
	"strings"
	"testing"

	"bricstown/internal/identity"

	"github.com/google/uuid"
)

// TestAPIFestivalCancelPerformance: who may cancel (the organiser's
// administrators only), the holder's ticket afterwards, and the festival's
// resources absent from and refused by the generic booking API.
func TestAPIFestivalCancelPerformance(t *testing.T) {
	f := getFixture(t)
	expo := f.token(t, apiExpo, identity.OrgAdmin)
	door := f.token(t, apiExpo, identity.Organiser)
	kge := f.token(t, apiKGE, identity.Trader)
	kgeAdmin := f.token(t, apiKGE, identity.OrgAdmin)
	kgeAcc := f.kztOperating(t, apiKGE)
	perf := f.festivalPerformance(t, "Cancelled Nights", 5, 250_00)
	pid := perf["id"].(string)
	resID := perf["categories"].([]any)[0].(map[string]any)["resource_id"].(string)

	// Generic booking: the category is not listed, and not bookable.
	if r := f.call(t, "GET", "/api/v1/booking/resources?limit=200", kgeAdmin, nil); r.status != 200 || strings.Contains(string(r.body), resID) {
		t.Fatalf("generic list shows the festival's resource: %d", r.status)
	}
	if r := f.call(t, "GET", "/api/v1/booking/resources?mine=true&limit=200", expo, nil); r.status != 200 || strings.Contains(string(r.body), resID) {
		t.Fatalf("owner's generic list shows the festival's resource: %d", r.status)
	}
	start := perf["start"].(string)
	if r := f.call(t, "POST", "/api/v1/booking/bookings", kge, map[string]any{"resource_id": resID, "start": start, "key": uuid.NewString(),
		"pay_from": kgeAcc.ID.String()}); r.status != 409 || field(t, r, "resource_id") == "" {
		t.Fatalf("generic booking of a ticket category: %d %s", r.status, r.body)
	}

	r := f.call(t, "POST", "/api/v1/festival/tickets", kge, map[string]any{"performance_id": pid, "category_id": categoryID(perf, 0),
		"key": uuid.NewString(), "pay_from": kgeAcc.ID.String()})
	if r.status != 201 {
		t.Fatalf("buy: %d %s", r.status, r.body)
	}
	tk := r.json(t)
	// The holder, the door staff, another company's administrator: not
	// theirs to cancel; an unknown id: not_found.
	for _, tok := range []string{kge, door, kgeAdmin} {
		if r := f.call(t, "POST", "/api/v1/festival/performances/"+pid+"/cancel", tok, nil); r.status != 403 {
			t.Fatalf("cancel by another: %d %s", r.status, r.body)
		}
	}
	if r := f.call(t, "POST", "/api/v1/festival/performances/"+uuid.NewString()+"/cancel", expo, nil); r.status != 404 {
		t.Fatalf("unknown performance: %d", r.status)
	}
	for range 2 {
		r = f.call(t, "POST", "/api/v1/festival/performances/"+pid+"/cancel", expo, nil)
		if c := r.json(t); r.status != 200 || c["refunds_pending"] != false {
			t.Fatalf("cancel: %d %s", r.status, r.body)
		}
	}
	r = f.call(t, "GET", "/api/v1/festival/tickets/"+tk["id"].(string), kge, nil)
	if got := r.json(t); r.status != 200 || got["status"] != "cancelled" || got["refund_kzt"] != float64(250_00) {
		t.Fatalf("ticket after the cancellation: %d %s", r.status, r.body)
	}
	if r := f.call(t, "POST", "/api/v1/festival/checkin", door, map[string]any{"token": tk["token"]}); r.status != 409 || field(t, r, "token") != "the performance is cancelled" {
		t.Fatalf("check-in of a cancelled performance: %d %s", r.status, r.body)
	}
	if r := f.call(t, "POST", "/api/v1/festival/tickets", kge, map[string]any{"performance_id": pid, "category_id": categoryID(perf, 1),
		"key": uuid.NewString()}); r.status != 409 || field(t, r, "performance_id") == "" {
		t.Fatalf("buy after the cancellation: %d %s", r.status, r.body)
	}
}

// TestFestivalCancelPerformancePage: the organiser's administrator gets the
// cancel form with its confirmation box; without the box ticked nothing
// happens; after it the page says the performance is cancelled and offers
// neither the purchase nor the cancellation again.
func TestFestivalCancelPerformancePage(t *testing.T) {
	f := getFixture(t)
	expo := f.token(t, apiExpo, identity.OrgAdmin)
	door := f.token(t, apiExpo, identity.Organiser)
	perf := f.festivalPerformance(t, "Page Nights", 5, 100_00)
	path := "/festival/performances/" + perf["id"].(string)
	if r := f.call(t, "GET", path, expo, nil, "Accept-Language", "en"); r.status != 200 || !strings.Contains(string(r.body), `id="cancel-perf-form"`) {
		t.Fatalf("organiser's page without the cancel form: %d", r.status)
	}
	if r := f.call(t, "GET", path, door, nil, "Accept-Language", "en"); r.status != 200 || strings.Contains(string(r.body), `id="cancel-perf-form"`) {
		t.Fatalf("door staff get the cancel form: %d", r.status)
	}
	if r := f.formAs(t, door, path+"/cancel", url.Values{"confirm": {"yes"}}); r.status != 403 {
		t.Fatalf("door staff cancel: %d", r.status)
	}
	if r := f.formAs(t, expo, path+"/cancel", url.Values{}); r.status != 400 || !strings.Contains(string(r.body), `id="cancel-perf-form"`) {
		t.Fatalf("cancel without the confirmation: %d %s", r.status, r.body)
	}
	if r := f.call(t, "GET", "/api/v1/festival/performances/"+perf["id"].(string), expo, nil); r.status != 200 || r.json(t)["cancelled_at"] != nil {
		t.Fatalf("cancelled without confirmation: %s", r.body)
	}
	if r := f.formAs(t, expo, path+"/cancel", url.Values{"confirm": {"yes"}}); r.status != 303 {
		t.Fatalf("cancel: %d %s", r.status, r.body)
	}
	r := f.call(t, "GET", path, expo, nil, "Accept-Language", "en")
	body := string(r.body)
	if r.status != 200 || !strings.Contains(body, `id="perf-cancelled"`) || strings.Contains(body, `id="cancel-perf-form"`) || strings.Contains(body, `id="buy-submit"`) {
		t.Fatalf("page after the cancellation: %d", r.status)
	}
}
