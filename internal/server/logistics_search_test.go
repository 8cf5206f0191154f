package server

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"bricstown/internal/identity"
)

// The shipments list's search over HTTP and on the page, both through the
// one service method: a trader finds its own shipment by a word of its
// reference or of its declaration's goods, never another trader's with the
// same word; a carrier finds what it carries, not what another carrier
// does; a search too long is refused beside its field.
func TestLogisticsShipmentSearchAPIAndPage(t *testing.T) {
	f := getFixture(t)
	w := f.logisticsWorld(t, true) // KGE's beef, declared, booked on KGL's departure
	rival := f.token(t, apiSZD, identity.Trader)
	word := fmt.Sprintf("SRCH%d", time.Now().UnixNano()%1e9)
	mine := f.apiShipment(t, w.kge, map[string]any{"reference": word + "-KGE"})
	theirs := f.apiShipment(t, rival, map[string]any{"reference": word + "-SZD"})

	ids := func(tok, q string) string {
		t.Helper()
		r := f.call(t, "GET", apiLogistic+"/shipments?limit=200&q="+url.QueryEscape(q), tok, nil)
		if r.status != 200 {
			t.Fatalf("search %q: %d %s", q, r.status, r.body)
		}
		return fmt.Sprint(r.json(t)["items"])
	}
	if got := ids(w.kge, strings.ToLower(word)); !strings.Contains(got, mine) || strings.Contains(got, theirs) {
		t.Fatalf("KGE searching %s: %s", word, got)
	}
	if got := ids(rival, word); !strings.Contains(got, theirs) || strings.Contains(got, mine) {
		t.Fatalf("SZD searching %s: %s", word, got)
	}
	// The declaration's goods ("Beef, boneless, chilled"), in another case.
	if got := ids(w.kge, "BONELESS"); !strings.Contains(got, w.ship) || strings.Contains(got, mine) {
		t.Fatalf("KGE searching the goods: %s", got)
	}
	if got := ids(rival, "boneless"); strings.Contains(got, w.ship) {
		t.Fatalf("another trader finds KGE's beef: %s", got)
	}
	if got := ids(w.kgl, "boneless"); !strings.Contains(got, w.ship) {
		t.Fatalf("the carrier does not find the beef it carries: %s", got)
	}
	if got := ids(w.terf, "boneless"); strings.Contains(got, w.ship) {
		t.Fatalf("another carrier finds KGE's beef: %s", got)
	}
	long := strings.Repeat("x", 101)
	r := f.call(t, "GET", apiLogistic+"/shipments?q="+long, w.kge, nil)
	if r.status != 400 || problemFieldCode(t, r, "q") != "too_long_n" {
		t.Fatalf("a search too long: %d %s", r.status, r.body)
	}

	// The page: the search box keeps the text, the list holds only the
	// trader's own match; a search too long is marked on its box.
	page := f.call(t, "GET", "/logistics?q="+url.QueryEscape(word), w.kge, nil, "Accept-Language", "en")
	wantIn(t, page, 200, `id="sf-q" value="`+word+`"`, `id="s-`+mine+`"`, word+"-KGE", `id="sf-clear"`)
	if strings.Contains(string(page.body), theirs) || strings.Contains(string(page.body), `id="s-`+w.ship+`"`) {
		t.Fatalf("the page's search does not narrow to the trader's match: %s", excerpt(page.body))
	}
	page = f.call(t, "GET", "/logistics?q="+long, w.kge, nil, "Accept-Language", "en")
	wantIn(t, page, 400, `id="sf-q"`, `aria-invalid="true"`, "100")
	page = f.call(t, "GET", "/logistics?q=boneless", w.terf, nil, "Accept-Language", "en")
	if page.status != 200 || strings.Contains(string(page.body), w.ship) {
		t.Fatalf("another carrier's page finds KGE's beef: %d", page.status)
	}
}
