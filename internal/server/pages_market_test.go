package server

import (
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// The catalogue's pages: everyone finds products in their language with
// facets; a seller publishes from its page (amounts as its language writes
// them), a refused form comes back in that language; a bank has no seller's
// page; the contract price shows to its buyer only.
func TestMarketPages(t *testing.T) {
	f := getFixture(t)
	bank := f.cpBrowser(t, "treasury@steppebank.kz")
	wantIn(t, bank.get(t, "/market?lang=ru&q="+url.QueryEscape("пшеница")), 200, "Маркетплейс", `id="market-facets"`, "Пшеница продовольственная", "Павильон страны")
	if r := bank.get(t, "/market/mine"); r.status != 403 {
		t.Fatalf("a bank opens the seller's page: %d", r.status)
	}
	if strings.Contains(string(bank.get(t, "/market").body), `href="/market/mine"`) {
		t.Fatal("a bank is offered the seller's page")
	}

	// The contract price: the buyer sees it, another company does not.
	grain := f.cpBrowser(t, "trader@kazgrain.kz")
	r := grain.get(t, "/market?q="+url.QueryEscape("excavator"))
	wantIn(t, r, 200, "Your contract price")
	m := regexp.MustCompile(`href="/market/products/([0-9a-f-]{36})"`).FindStringSubmatch(string(r.body))
	if m == nil {
		t.Fatalf("no product link: %s", excerpt(r.body))
	}
	wantIn(t, grain.get(t, "/market/products/"+m[1]+"?lang=zh"), 200, "履带式挖掘机", "贵单位享有合同价", "585,000.00 CNY")
	other := f.cpBrowser(t, "trader@capefruit.za")
	for _, p := range []string{"/market?q=excavator", "/market/products/" + m[1]} {
		if b := string(other.get(t, p).body); strings.Contains(b, "585,000.00") || strings.Contains(b, "contract price") {
			t.Fatalf("%s shows another buyer's contract price", p)
		}
	}

	// A seller publishes in Portuguese: too many decimals come back as a
	// field message in Portuguese with what was typed kept.
	seller := f.cpBrowser(t, "trader@cerradoagro.br")
	wantIn(t, seller.get(t, "/market/mine?lang=pt"), 200, "Publicar um produto", `id="product-form"`)
	form := url.Values{"name_pt": {"Açúcar VHP a granel"}, "name_en": {"Raw cane sugar VHP, bulk"}, "hs": {"1701.14"}, "origin": {"BR"}, "unit": {"t"},
		"moq": {"12500"}, "stock": {"250000"}, "currency": {"BRL"}, "tier_qty_0": {"12500"}, "tier_price_0": {"2.310,505"}, "incoterms": {"FOB"}}
	r = seller.post(t, "/market/mine?lang=pt", form)
	wantIn(t, r, 400, `id="product-error"`, "no máximo 2 casas decimais", `value="2.310,505"`, "Açúcar VHP a granel")
	form.Set("tier_price_0", "2.310,50")
	r = seller.post(t, "/market/mine?lang=pt", form)
	r = seller.followDone(t, r)
	wantIn(t, r, 200, "The product has been published.", "Raw cane sugar VHP, bulk", "2,310.50 BRL")
	m = regexp.MustCompile(`/market/mine\?edit=([0-9a-f-]{36})`).FindStringSubmatch(string(r.body))
	if m == nil {
		t.Fatalf("the seller is not offered to change its product: %s", excerpt(r.body))
	}
	wantIn(t, seller.get(t, "/market/products/"+m[1]+"?lang=pt"), 200, "Açúcar VHP a granel", "2.310,50 BRL", "Alterar o produto")
	// A Kazakh reader finds it by its English name; Portuguese text is
	// marked as such.
	wantIn(t, grain.get(t, "/market?lang=kk&q=sugar"), 200, `lang="en"`, "Raw cane sugar VHP, bulk", "Ел павильоны")
}
