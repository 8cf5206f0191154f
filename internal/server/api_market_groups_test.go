package server

import (
	"net/url"
	"regexp"
	"testing"
	"time"

	"bricstown/internal/identity"
)

// Buyer groups through the API: the demo group's price reaches its two
// members and nobody else; the group is the seller's alone (another
// seller and the members answer 404 or see an empty list); a buyer taken
// out of a group is back on the list price at once.
func TestMarketBuyerGroupsAPI(t *testing.T) {
	f := getFixture(t)
	cerrado := f.token(t, "Cerrado Agro Exportadora", identity.Trader)
	grain := f.token(t, apiKGE, identity.Trader)
	siberian := f.token(t, "Siberian Energy Trading", identity.Trader)
	cape := f.token(t, "Cape Fruit Exporters", identity.Trader)
	shenzhen := f.token(t, "Shenzhen Smart Devices", identity.Trader)
	bank := f.token(t, "Steppe Commercial Bank", identity.OrgAdmin)
	from, to := time.Now().UTC().AddDate(0, 0, -1).Format(time.DateOnly), time.Now().UTC().AddDate(1, 0, 0).Format(time.DateOnly)

	// The demo's group price: 2 295.00 BRL a tonne of soybeans for both
	// members, the list price 2 410.00 for a company outside the group.
	for _, tok := range []string{grain, siberian} {
		if p := f.firstProduct(t, tok, "soybeans"); p["price"].(float64) != 229500 || p["contract_price"].(float64) != 229500 {
			t.Fatalf("a member sees %v / %v", p["price"], p["contract_price"])
		}
	}
	soy := f.firstProduct(t, cape, "soybeans")
	if soy["price"].(float64) != 241000 || soy["contract_price"] != nil {
		t.Fatalf("a company outside the group sees %v / %v", soy["price"], soy["contract_price"])
	}

	r := f.call(t, "GET", "/api/v1/market/buyer-groups", cerrado, nil)
	items := r.json(t)["items"].([]any)
	if r.status != 200 || len(items) != 1 || items[0].(map[string]any)["name"] != "Wholesale partners EAEU" || len(items[0].(map[string]any)["members"].([]any)) != 2 {
		t.Fatalf("the seller's groups: %d %s", r.status, r.body)
	}
	demo := items[0].(map[string]any)["id"].(string)

	// Forbidden: a bank has no groups; a member and another seller list
	// only their own (none) and get 404 for the group, as for an unknown id.
	if r := f.call(t, "GET", "/api/v1/market/buyer-groups", bank, nil); r.status != 403 {
		t.Fatalf("a bank lists groups: %d", r.status)
	}
	for _, tok := range []string{grain, shenzhen} {
		if r := f.call(t, "GET", "/api/v1/market/buyer-groups", tok, nil); r.status != 200 || len(r.json(t)["items"].([]any)) != 0 {
			t.Fatalf("another organisation lists: %d %s", r.status, r.body)
		}
		for _, id := range []string{demo, "0190f0c8-0000-7000-8000-000000000000"} {
			base := "/api/v1/market/buyer-groups/" + id
			for _, c := range []struct {
				method, path string
				body         any
			}{{"GET", base, nil}, {"PUT", base, map[string]any{"name": "Mine now"}}, {"POST", base + "/members", map[string]any{"buyer_org": f.orgs["Cape Fruit Exporters"].ID}},
				{"DELETE", base + "/members/" + f.orgs[apiKGE].ID, nil}, {"DELETE", base, nil}} {
				if r := f.call(t, c.method, c.path, tok, c.body); r.status != 404 {
					t.Fatalf("%s %s by another organisation: %d %s", c.method, c.path, r.status, r.body)
				}
			}
		}
	}
	// Another seller cannot price its product for Cerrado's group.
	exc := f.firstProduct(t, shenzhen, "excavator")["id"].(string)
	cp := map[string]any{"buyer_group": demo, "unit_price": "1", "valid_from": from, "valid_to": to}
	if r := f.call(t, "POST", "/api/v1/market/products/"+exc+"/contract-prices", shenzhen, cp); r.status != 400 || !regexp.MustCompile(`"buyer_group"`).Match(r.body) {
		t.Fatalf("a price on another seller's group: %d %s", r.status, r.body)
	}

	// A group of Cerrado's own: Cape Fruit gets the beef at the group price
	// until it is taken out; both a buyer and a group is refused.
	r = f.call(t, "POST", "/api/v1/market/buyer-groups", cerrado, map[string]any{"name": "Southern Africa"})
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	g := r.json(t)["id"].(string)
	if r := f.call(t, "POST", "/api/v1/market/buyer-groups/"+g+"/members", cerrado, map[string]any{"buyer_org": f.orgs["Cape Fruit Exporters"].ID}); r.status != 201 {
		t.Fatalf("add: %d %s", r.status, r.body)
	}
	beef := f.firstProduct(t, cerrado, "beef")["id"].(string)
	both := map[string]any{"buyer_group": g, "buyer_org": f.orgs["Cape Fruit Exporters"].ID, "unit_price": "30", "valid_from": from, "valid_to": to}
	if r := f.call(t, "POST", "/api/v1/market/products/"+beef+"/contract-prices", cerrado, both); r.status != 400 {
		t.Fatalf("buyer and group: %d %s", r.status, r.body)
	}
	delete(both, "buyer_org")
	if r := f.call(t, "POST", "/api/v1/market/products/"+beef+"/contract-prices", cerrado, both); r.status != 201 || r.json(t)["buyer_group"] != g {
		t.Fatalf("group price: %d %s", r.status, r.body)
	}
	if r := f.call(t, "GET", "/api/v1/market/products/"+beef, cape, nil); r.json(t)["price"].(float64) != 3000 {
		t.Fatalf("the member's beef: %s", r.body)
	}
	if r := f.call(t, "GET", "/api/v1/market/products/"+beef, grain, nil); r.json(t)["price"].(float64) != 3250 {
		t.Fatalf("a non-member's beef: %s", r.body)
	}
	if r := f.call(t, "DELETE", "/api/v1/market/buyer-groups/"+g+"/members/"+f.orgs["Cape Fruit Exporters"].ID, cerrado, nil); r.status != 204 {
		t.Fatalf("remove: %d %s", r.status, r.body)
	}
	if r := f.call(t, "GET", "/api/v1/market/products/"+beef, cape, nil); r.json(t)["price"].(float64) != 3250 {
		t.Fatalf("the former member's beef: %s", r.body)
	}
	if r := f.call(t, "DELETE", "/api/v1/market/buyer-groups/"+g, cerrado, nil); r.status != 204 {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
}

// The seller's page shows its groups with member names and names them in
// the contract-price form; nobody else sees them.
func TestMarketBuyerGroupsPage(t *testing.T) {
	f := getFixture(t)
	seller := f.cpBrowser(t, "trader@cerradoagro.br")
	wantIn(t, seller.get(t, "/market/groups?lang=ru"), 200, "Группы покупателей", "Wholesale partners EAEU", "Kazakh Grain Export", "Siberian Energy Trading")
	r := seller.post(t, "/market/groups?lang=pt", url.Values{"name": {"Wholesale partners EAEU"}})
	wantIn(t, r, 409, `id="grp-create-error"`, "diferente dos nomes dos seus outros grupos")
	soy := f.firstProduct(t, f.token(t, "Cerrado Agro Exportadora", identity.Trader), "soybeans")["id"].(string)
	wantIn(t, seller.get(t, "/market/mine?edit="+soy), 200, `<optgroup label="Buyer groups">`, "Wholesale partners EAEU", `<span class="badge">group</span>`)
	grain := f.cpBrowser(t, "trader@kazgrain.kz")
	if r := grain.get(t, "/market/groups"); r.status != 200 || regexp.MustCompile(`Wholesale partners EAEU`).Match(r.body) {
		t.Fatalf("a member sees the seller's group: %d", r.status)
	}
	if r := f.cpBrowser(t, "treasury@steppebank.kz").get(t, "/market/groups"); r.status != 403 {
		t.Fatalf("a bank opens the groups page: %d", r.status)
	}
}
