package server

import (
	"net/url"
	"strings"
	"testing"

	"bricstown/internal/identity"
)

// firstProduct is the id of the first search hit for q as tok sees it.
func (f *fixture) firstProduct(t *testing.T, tok, q string) map[string]any {
	t.Helper()
	r := f.call(t, "GET", "/api/v1/market/products?q="+url.QueryEscape(q), tok, nil)
	if r.status != 200 {
		t.Fatalf("search %q: %d %s", q, r.status, r.body)
	}
	items := r.json(t)["items"].([]any)
	if len(items) == 0 {
		t.Fatalf("search %q found nothing", q)
	}
	return items[0].(map[string]any)
}

func marketProduct(names map[string]string, price string) map[string]any {
	return map[string]any{"names": names, "hs": "0901.11", "origin": "BR", "unit": "kg", "moq": 100, "currency": "BRL",
		"tiers": []map[string]any{{"min_qty": 100, "unit_price": price}}, "incoterms": []string{"FOB"}, "stock": 1000}
}

// The forbidden cases first: who may not publish, change or see what.
func TestAPIMarketForbidden(t *testing.T) {
	f := getFixture(t)
	cerrado := f.token(t, "Cerrado Agro Exportadora", identity.Trader)
	grain := f.token(t, "Kazakh Grain Export", identity.Trader)
	siberian := f.token(t, "Siberian Energy Trading", identity.Trader)
	bankAdmin := f.token(t, apiBank, identity.OrgAdmin)
	customs := f.token(t, "Khorgos Customs Post", identity.CustomsOfficer)
	body := marketProduct(map[string]string{"en": "Test coffee"}, "10")

	// Nobody anonymous; no bank, customs officer or carrier publishes.
	if r := f.call(t, "GET", "/api/v1/market/products", "", nil); r.status != 401 {
		t.Fatalf("anonymous search: %d", r.status)
	}
	for name, tok := range map[string]string{"bank admin": bankAdmin, "customs": customs,
		"carrier": f.token(t, "Khorgos Gateway Logistics", identity.Carrier, identity.OrgAdmin)} {
		if r := f.call(t, "POST", "/api/v1/market/products", tok, body); r.status != 403 {
			t.Errorf("%s publishing: %d %s", name, r.status, r.body)
		}
		if r := f.call(t, "GET", "/api/v1/market/mine", tok, nil); r.status != 403 {
			t.Errorf("%s listing its products: %d", name, r.status)
		}
	}

	// A trader of another company cannot change Cerrado's coffee or give
	// it a contract price, and cannot tell it from an unknown product.
	coffee := f.firstProduct(t, grain, "arabica")["id"].(string)
	foreign := f.call(t, "PUT", "/api/v1/market/products/"+coffee, grain, body)
	unknown := f.call(t, "PUT", "/api/v1/market/products/0190f3a4-0000-7000-8000-000000000000", grain, body)
	if foreign.status != 404 || unknown.status != 404 || foreign.json(t)["code"] != "not_found" ||
		foreign.json(t)["detail"] != unknown.json(t)["detail"] {
		t.Fatalf("foreign update %d %s, unknown %d %s", foreign.status, foreign.body, unknown.status, unknown.body)
	}
	cp := map[string]any{"buyer_org": f.orgs["Siberian Energy Trading"].ID, "unit_price": "1", "valid_from": "2026-01-01", "valid_to": "2030-01-01"}
	if r := f.call(t, "POST", "/api/v1/market/products/"+coffee+"/contract-prices", grain, cp); r.status != 404 {
		t.Fatalf("foreign contract price: %d %s", r.status, r.body)
	}
	if r := f.call(t, "GET", "/api/v1/market/products/"+coffee+"/contract-prices", grain, nil); r.status != 404 {
		t.Fatalf("foreign contract price list: %d %s", r.status, r.body)
	}
	if p := f.firstProduct(t, grain, "arabica"); p["names"].(map[string]any)["en"] == "Test coffee" {
		t.Fatal("the refused update changed the product")
	}

	// The demo excavator has a contract price for Kazakh Grain Export
	// (585 000.00 CNY). Siberian Energy Trading sees the list price, in
	// search, facets and the product, and nowhere the contract's figure.
	for _, path := range []string{"/api/v1/market/products?q=" + url.QueryEscape("экскаватор"), "/api/v1/market/products?origin=CN&currency=CNY",
		"/api/v1/market/products?price=5&currency=CNY&origin=CN"} {
		r := f.call(t, "GET", path, siberian, nil)
		if r.status != 200 || strings.Contains(string(r.body), "58500000") || strings.Contains(string(r.body), "contract_price") {
			t.Fatalf("%s as another buyer: %d %s", path, r.status, r.body)
		}
	}
	exc := f.firstProduct(t, siberian, "экскаватор")
	if exc["price"].(float64) != 61200000 {
		t.Fatalf("another buyer's price %v", exc["price"])
	}
	r := f.call(t, "GET", "/api/v1/market/products/"+exc["id"].(string), siberian, nil)
	if r.status != 200 || strings.Contains(string(r.body), "58500000") || r.json(t)["price"].(float64) != 61200000 {
		t.Fatalf("product as another buyer: %d %s", r.status, r.body)
	}
	// Only the seller lists contract prices.
	if r := f.call(t, "GET", "/api/v1/market/products/"+exc["id"].(string)+"/contract-prices", grain, nil); r.status != 404 {
		t.Fatalf("the buyer lists the seller's contract prices: %d %s", r.status, r.body)
	}

	// Bad input: nothing stored, a field code for too many decimals.
	bad := marketProduct(map[string]string{"en": "Odd coffee"}, "10.123")
	bad["hs"] = "9999.99"
	r = f.call(t, "POST", "/api/v1/market/products", cerrado, bad)
	if r.status != 400 || !strings.Contains(string(r.body), `"decimals_n"`) || !strings.Contains(string(r.body), `"hs"`) {
		t.Fatalf("bad product: %d %s", r.status, r.body)
	}
	if r := f.call(t, "POST", "/api/v1/market/products", cerrado, map[string]any{"names": map[string]string{"en": "x"}, "colour": "red"}); r.status != 400 {
		t.Fatalf("unknown field: %d", r.status)
	}
	if r := f.call(t, "GET", "/api/v1/market/products?q=odd", cerrado, nil); len(r.json(t)["items"].([]any)) != 0 {
		t.Fatalf("the refused product was stored: %s", r.body)
	}
	if r := f.call(t, "GET", "/api/v1/market/products?price=7&moq=x", grain, nil); r.status != 400 {
		t.Fatalf("bad facets: %d %s", r.status, r.body)
	}
}

// Then the allowed: the contract's buyer sees its price; a seller
// publishes, changes and lists its own, and a buyer finds it in any
// language.
func TestAPIMarketAllowed(t *testing.T) {
	f := getFixture(t)
	grain := f.token(t, "Kazakh Grain Export", identity.Trader)
	shenzhen := f.token(t, "Shenzhen Smart Devices", identity.OrgAdmin)
	exc := f.firstProduct(t, grain, "挖掘机")
	if exc["contract_price"].(float64) != 58500000 || exc["price"].(float64) != 58500000 || exc["shown"].(map[string]any)["currency"] != "KZT" {
		t.Fatalf("the contract's buyer sees %v", exc)
	}
	r := f.call(t, "GET", "/api/v1/market/products/"+exc["id"].(string)+"/contract-prices", shenzhen, nil)
	if r.status != 200 || len(r.json(t)["items"].([]any)) != 1 {
		t.Fatalf("seller's contract prices: %d %s", r.status, r.body)
	}

	r = f.call(t, "POST", "/api/v1/market/products", shenzhen, map[string]any{
		"names": map[string]string{"zh": "无人机 农业植保", "en": "Crop-spraying drone"}, "hs": "880621", "origin": "CN", "unit": "pcs", "moq": 2,
		"currency": "CNY", "tiers": []map[string]any{{"min_qty": 2, "unit_price": "42000"}}, "incoterms": []string{"FCA", "DAP"}, "stock": 40})
	if r.status != 201 || r.header.Get("Location") == "" {
		t.Fatalf("publish: %d %s", r.status, r.body)
	}
	id := r.json(t)["id"].(string)
	if p := f.firstProduct(t, grain, "无人机"); p["id"] != id {
		t.Fatalf("not found in Chinese: %v", p)
	}
	upd := map[string]any{"names": map[string]string{"zh": "无人机 农业植保", "en": "Crop-spraying drone", "kk": "Егін бүркуге арналған дрон"},
		"hs": "880621", "origin": "CN", "unit": "pcs", "moq": 2, "currency": "CNY", "tiers": []map[string]any{{"min_qty": 2, "unit_price": "41500.50"}},
		"incoterms": []string{"FCA"}, "stock": 38}
	if r := f.call(t, "PUT", "/api/v1/market/products/"+id, shenzhen, upd); r.status != 200 {
		t.Fatalf("update own: %d %s", r.status, r.body)
	}
	if p := f.firstProduct(t, grain, "дрон"); p["id"] != id || p["price"].(float64) != 4150050 {
		t.Fatalf("not found in Kazakh after the update: %v", p)
	}
	r = f.call(t, "GET", "/api/v1/market/mine?limit=50", shenzhen, nil)
	if r.status != 200 || !strings.Contains(string(r.body), id) {
		t.Fatalf("mine: %d %s", r.status, r.body)
	}
	// The country pavilion and facets through the API.
	r = f.call(t, "GET", "/api/v1/market/products?origin=KZ&currency=USD", grain, nil)
	facets := r.json(t)["facets"].(map[string]any)
	if r.status != 200 || facets["total"].(float64) < 4 || r.json(t)["currency"] != "USD" {
		t.Fatalf("pavilion: %d %s", r.status, r.body)
	}
}
