package server

import (
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// The booking pages: roles outside booking are refused, a trader manages
// no resources and cannot reach an owner's utilisation; a trader holds a
// slot from the resource page (the form carries its idempotency key, so a
// double submit holds once), confirms and cancels it; the owner sees its
// resource's utilisation chart.
func TestBookingPages(t *testing.T) {
	f := getFixture(t)
	officer := f.cpBrowser(t, "officer@customs.kz")
	trader := f.cpBrowser(t, "trader@kazgrain.kz")
	owner := f.cpBrowser(t, "events@expo.town.kz")
	resident := f.cpBrowser(t, "resident@residents.town.kz")
	kge := f.token(t, apiKGE, "trader")
	room := f.bookingResource(t, kge, "Meeting Room Shanghai")
	id := room["id"].(string)

	wantIn(t, officer.get(t, "/booking"), 403)
	wantIn(t, trader.get(t, "/booking/manage"), 403)
	wantIn(t, trader.get(t, "/booking/manage/"+id), 403)
	wantIn(t, trader.post(t, "/booking/manage", url.Values{"name": {"Pirate room"}}), 403)
	wantIn(t, resident.get(t, "/booking/resources/"+id), 404)
	r := resident.get(t, "/booking")
	wantIn(t, r, 200, "Business Lounge")
	if strings.Contains(string(r.body), "Meeting Room Shanghai") {
		t.Fatal("a resident is shown a private resource")
	}

	r = trader.get(t, "/booking/resources/"+id+"?view=week")
	wantIn(t, r, 200, `id="book-form"`, `name="pay_from"`)
	key := regexp.MustCompile(`name="key" value="([0-9a-f-]{36})"`).FindStringSubmatch(string(r.body))
	starts := regexp.MustCompile(`name="start" value="([^"]+)">`).FindAllStringSubmatch(string(r.body), -1)
	if key == nil || len(starts) == 0 {
		t.Fatalf("no open slot or key: %s", excerpt(r.body))
	}
	start := starts[len(starts)-1][1]
	confirmRe := regexp.MustCompile(`action="/booking/bookings/([0-9a-f-]{36})/confirm"`)
	before := map[string]bool{}
	for _, m := range confirmRe.FindAllStringSubmatch(string(trader.get(t, "/booking").body), -1) {
		before[m[1]] = true
	}
	acc := f.kztOperating(t, apiKGE).ID.String()
	form := url.Values{"start": {start}, "key": {key[1]}, "pay_from": {acc}}
	wantIn(t, trader.post(t, "/booking/resources/"+id+"/book", url.Values{"key": {key[1]}, "pay_from": {acc}}), 400, `id="book-error"`)
	first := trader.post(t, "/booking/resources/"+id+"/book", form)
	second := trader.post(t, "/booking/resources/"+id+"/book", form) // the double click
	if first.status != 303 || second.status != 303 {
		t.Fatalf("book: %d %d", first.status, second.status)
	}
	r = trader.followDone(t, first)
	wantIn(t, r, 200, "The slot is held for you", "Meeting Room Shanghai")
	var fresh []string
	for _, m := range confirmRe.FindAllStringSubmatch(string(r.body), -1) {
		if !before[m[1]] {
			fresh = append(fresh, m[1])
		}
	}
	if len(fresh) != 1 {
		t.Fatalf("%d new holds to confirm, want 1", len(fresh))
	}
	bid := fresh[0]
	// Someone else's booking cannot be confirmed or cancelled from a page.
	sib := f.cpBrowser(t, "trader@sibenergy.ru")
	wantIn(t, sib.post(t, "/booking/bookings/"+bid+"/confirm", url.Values{}), 404)
	wantIn(t, sib.post(t, "/booking/bookings/"+bid+"/cancel", url.Values{}), 404)
	wantIn(t, trader.followDone(t, trader.post(t, "/booking/bookings/"+bid+"/confirm", url.Values{})), 200, "The booking is confirmed.")
	wantIn(t, owner.get(t, "/booking/manage"), 200, "Meeting Room Shanghai", `id="resource-form"`)
	wantIn(t, owner.get(t, "/booking/manage/"+id), 200, `id="usage"`, "Kazakh Grain Export")
	wantIn(t, trader.followDone(t, trader.post(t, "/booking/bookings/"+bid+"/cancel", url.Values{})), 200, "The booking is cancelled.")

	// An owner's form refused keeps what was typed, beside its fields.
	bad := url.Values{"name": {"Hall Z"}, "kind": {"hall"}, "capacity": {"0"}, "slot_minutes": {"60"}, "from": {"09:00"}, "to": {"18:00"}, "zone": {"Mars/Base"},
		"day": {"1"}, "hold": {"15"}, "refund": {"24"}}
	wantIn(t, owner.post(t, "/booking/manage", bad), 400, `id="create-error"`, `value="Hall Z"`, `value="Mars/Base"`)
}
