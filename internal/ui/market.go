package ui

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"bricstown/internal/identity"
	"bricstown/internal/market"
	"bricstown/internal/problem"
	"bricstown/internal/refdata"
)

// The marketplace pages: the catalogue (a search box, the facet sidebar
// that is a "Filters" popover on a phone, results with prices in the
// reader's currency), a product's page, and a seller's own products with
// the form to publish or change one and to give a buyer a contract price.
// They call the same market.Service methods as the API.

func (p *Pages) marketOff(w http.ResponseWriter, r *http.Request) bool {
	if p.Market == nil {
		p.Error(w, r, http.StatusServiceUnavailable, problem.New(problem.Unavailable, "the marketplace is not available"))
		return true
	}
	return false
}

// offerRow is a product in a list, formatted for the reader.
type offerRow struct {
	ID, Name, NameLang, Seller, Origin, Section, HS string
	MOQ, Unit, Stock                                string
	Price, Shown, ShownCurrency                     string
	Contract, Own                                   bool
	Incoterms                                       []string
	Img                                             *imageView // the first image, if any (market_images.go)
}

type facetLink struct {
	Text, Href string
	Count      int
	Selected   bool
}

type facetGroup struct {
	ID, Title string
	Links     []facetLink
}

func (p *Pages) marketUnit(v *View, unit string) string {
	if p.has("market.unit." + unit) {
		return v.T("market.unit." + unit)
	}
	return unit
}

func (p *Pages) sectionText(v *View, sec string) string {
	if p.has("market.section." + sec) {
		return sec + " · " + v.T("market.section."+sec)
	}
	return sec
}

func (p *Pages) countryText(lang, code string) string {
	if c, ok := p.Ref.Country(code); ok {
		return c.Name(lang)
	}
	return code
}

func qtyText(lang string, n int64) string { return amountText(lang, n, 0) }

func (p *Pages) offerRow(v *View, o *market.Offer, names *identity.OrgNames) offerRow {
	pr := v.Principal
	row := offerRow{ID: o.ID, Name: o.Name(v.Lang), NameLang: o.NameLang(v.Lang), Seller: names.Name(o.SellerOrg), Origin: p.countryText(v.Lang, o.Origin),
		Section: p.sectionText(v, o.Section), HS: o.HS[:4] + "." + o.HS[4:], MOQ: qtyText(v.Lang, o.MOQ), Unit: p.marketUnit(v, o.Unit),
		Stock: qtyText(v.Lang, o.Stock), Price: p.amount(v.Lang, o.Currency, o.Price) + " " + o.Currency, Contract: o.ContractPrice > 0,
		Own: pr != nil && pr.OrgID == o.SellerOrg, Incoterms: o.Incoterms}
	if o.Shown != nil {
		row.Shown, row.ShownCurrency = p.amount(v.Lang, o.Shown.Currency, o.Shown.UnitPrice), o.Shown.Currency
	}
	return row
}

// marketHref is the catalogue's address for q with one parameter set (or
// removed when value is empty); paging restarts.
func marketHref(q url.Values, key, value string) string {
	c := url.Values{}
	for k, vs := range q {
		if k != "cursor" && k != "lang" && len(vs) > 0 && vs[0] != "" {
			c.Set(k, vs[0])
		}
	}
	if value == "" {
		c.Del(key)
	} else {
		c.Set(key, value)
	}
	if len(c) == 0 {
		return "/market"
	}
	return "/market?" + c.Encode()
}

// rangeText names bucket i of bounds (whole units) in lang.
func rangeText(v *View, i int, bounds []int64, last bool) string {
	n := func(x int64) string { return qtyText(v.Lang, x) }
	switch {
	case i == 0:
		return v.T("market.range.under", n(bounds[0]))
	case last:
		return v.T("market.range.over", n(bounds[len(bounds)-1]))
	}
	return v.T("market.range.between", n(bounds[i-1]), n(bounds[i]-1))
}

// MarketPage is the catalogue: search, facets, results.
func (p *Pages) MarketPage(w http.ResponseWriter, r *http.Request) {
	if p.marketOff(w, r) {
		return
	}
	ctx := r.Context()
	pr := identity.FromContext(ctx)
	v := p.view(w, r, "market.title", nil)
	qv := r.URL.Query()
	q := market.Query{Text: qv.Get("q"), Origin: qv.Get("origin"), Section: qv.Get("section"), Incoterm: qv.Get("incoterm"), MOQ: qv.Get("moq"),
		Price: qv.Get("price"), Currency: qv.Get("currency"), Cursor: qv.Get("cursor"), Limit: market.DefaultLimit}
	status := http.StatusOK
	res, err := p.Market.Search(ctx, pr, q)
	if problem.Is(err, problem.Invalid) {
		status = p.formFail(v, err, "market.field.", nil)
		res, err = p.Market.Search(ctx, pr, market.Query{Text: q.Text, Limit: market.DefaultLimit})
	}
	if err != nil {
		p.Error(w, r, statusOfErr(p.classify(err)), err)
		return
	}
	names := p.orgNames(r)
	rows := make([]offerRow, len(res.Items))
	for i := range res.Items {
		rows[i] = p.offerRow(v, &res.Items[i], names)
	}
	p.firstImages(ctx, v, rows)
	var groups []facetGroup
	add := func(id, title, key string, fs []market.Facet, text func(string) string) {
		if len(fs) == 0 {
			return
		}
		g := facetGroup{ID: id, Title: v.T(title)}
		for _, f := range fs {
			href := marketHref(qv, key, f.Value)
			if f.Selected {
				href = marketHref(qv, key, "")
			}
			g.Links = append(g.Links, facetLink{Text: text(f.Value), Href: href, Count: f.Count, Selected: f.Selected})
		}
		groups = append(groups, g)
	}
	add("f-origin", "market.facet.origin", "origin", res.Facets.Origins, func(c string) string { return p.countryText(v.Lang, c) })
	add("f-section", "market.facet.section", "section", res.Facets.Sections, func(s string) string { return p.sectionText(v, s) })
	priceBounds := make([]int64, market.PriceBuckets-1)
	for i := range priceBounds {
		priceBounds[i] = market.BucketBound(i + 1)
	}
	add("f-price", "market.facet.price", "price", res.Facets.Prices, func(s string) string {
		i, _ := strconv.Atoi(s)
		return rangeText(v, i, priceBounds, i == market.PriceBuckets-1) + " " + res.Currency
	})
	add("f-incoterm", "market.facet.incoterm", "incoterm", res.Facets.Incoterms, func(s string) string { return s })
	add("f-moq", "market.facet.moq", "moq", res.Facets.MOQ, func(s string) string {
		i, _ := strconv.Atoi(s)
		return rangeText(v, i, []int64{10, 100, 1000, 10000}, i == market.MOQBuckets-1)
	})
	filtered := false
	for _, k := range []string{"origin", "section", "incoterm", "moq", "price"} {
		filtered = filtered || qv.Get(k) != ""
	}
	next := ""
	if res.NextCursor != "" {
		next = marketHref(qv, "cursor", "") + map[bool]string{true: "&", false: "?"}[strings.Contains(marketHref(qv, "cursor", ""), "?")] + "cursor=" + url.QueryEscape(res.NextCursor)
	}
	hidden := map[string]string{}
	for _, k := range []string{"origin", "section", "incoterm", "moq", "price"} {
		if s := qv.Get(k); s != "" && status == http.StatusOK {
			hidden[k] = s
		}
	}
	v.Data = map[string]any{"Rows": rows, "Facets": groups, "Total": res.Facets.Total, "Q": q.Text, "Currency": res.Currency,
		"Currencies": p.townCurrencies(), "RatesDate": res.RatesDate, "Filtered": filtered || q.Text != "", "Next": next, "Hidden": hidden,
		"Paged": q.Cursor != "", "First": marketHref(qv, "cursor", ""), "CanSell": market.CanSell(pr)}
	p.render(w, r, status, "market", v)
}

// MarketProduct is one product's page.
func (p *Pages) MarketProduct(w http.ResponseWriter, r *http.Request) {
	if p.marketOff(w, r) {
		return
	}
	ctx := r.Context()
	pr := identity.FromContext(ctx)
	v := p.view(w, r, "market.product_title", nil)
	o, date, err := p.Market.Product(ctx, pr, r.PathValue("id"), r.URL.Query().Get("currency"))
	if err != nil {
		p.Error(w, r, statusOfErr(p.classify(err)), err)
		return
	}
	row := p.offerRow(v, &o, p.orgNames(r))
	imgs, _ := p.Market.Images(ctx, pr, o.ID)
	if len(imgs) > 0 {
		row.Img = fitImage(imgs[0], row.Name, 480)
	}
	type tierRow struct{ From, Price, Shown string }
	var tiers []tierRow
	for i, t := range o.Tiers {
		tr := tierRow{From: qtyText(v.Lang, t.MinQty), Price: p.amount(v.Lang, o.Currency, t.UnitPrice) + " " + o.Currency}
		if o.Shown != nil && i < len(o.Shown.Tiers) {
			tr.Shown = p.amount(v.Lang, o.Shown.Currency, o.Shown.Tiers[i]) + " " + o.Shown.Currency
		}
		tiers = append(tiers, tr)
	}
	desc, descLang := o.Description(v.Lang), v.Lang
	if desc != "" && o.Descriptions[v.Lang] == "" {
		for _, l := range append([]string{"en"}, market.Languages...) {
			if o.Descriptions[l] == desc {
				descLang = l
				break
			}
		}
	}
	v.Data = map[string]any{"P": row, "Tiers": tiers, "Desc": desc, "DescLang": descLang, "RatesDate": date, "Contract": o.ContractPrice > 0,
		"ContractPrice": p.amount(v.Lang, o.Currency, o.ContractPrice) + " " + o.Currency}
	p.render(w, r, http.StatusOK, "marketproduct", v)
}

// productForm is the seller's form as typed.
type productForm struct {
	ID                           string
	Names, Descs                 map[string]string
	HS, Origin, Unit, MOQ, Stock string
	Currency                     string
	TierQty, TierPrice           [3]string
	Incoterms                    []string
}

func (f productForm) Has(term string) bool { return slices.Contains(f.Incoterms, term) }

func (p *Pages) formOf(v *View, prod *market.Product) productForm {
	f := productForm{ID: prod.ID, Names: prod.Names, Descs: prod.Descriptions, HS: prod.HS, Origin: prod.Origin, Unit: prod.Unit,
		MOQ: strconv.FormatInt(prod.MOQ, 10), Stock: strconv.FormatInt(prod.Stock, 10), Currency: prod.Currency, Incoterms: prod.Incoterms}
	for i, t := range prod.Tiers {
		if i < len(f.TierQty) {
			f.TierQty[i], f.TierPrice[i] = strconv.FormatInt(t.MinQty, 10), p.amount(v.Lang, prod.Currency, t.UnitPrice)
		}
	}
	return f
}

// MarketMine lists the seller's products with the publish form, or the
// form of one product to change (?edit=id) with its contract prices.
func (p *Pages) MarketMine(w http.ResponseWriter, r *http.Request) {
	if p.marketOff(w, r) {
		return
	}
	v := p.view(w, r, "market.mine", nil)
	form := productForm{Unit: "kg", Currency: "KZT"}
	if id := r.URL.Query().Get("edit"); id != "" {
		o, _, err := p.Market.Product(r.Context(), v.Principal, id, "")
		if err != nil || o.SellerOrg != v.Principal.OrgID {
			p.Error(w, r, http.StatusNotFound, problem.New(problem.NotFound, "no such product"))
			return
		}
		form = p.formOf(v, &o.Product)
	}
	p.renderMine(w, r, v, http.StatusOK, form, "")
}

func (p *Pages) renderMine(w http.ResponseWriter, r *http.Request, v *View, status int, form productForm, which string) {
	ctx := r.Context()
	pr := v.Principal
	list, err := p.Market.Mine(ctx, pr, "", 200)
	if err != nil {
		p.Error(w, r, statusOfErr(p.classify(err)), err)
		return
	}
	names := p.orgNames(r)
	rows := make([]offerRow, len(list))
	for i := range list {
		rows[i] = p.offerRow(v, &market.Offer{Product: list[i], Price: list[i].ListPrice()}, names)
	}
	type contractRow struct {
		Buyer, Price, From, To string
		Group                  bool
	}
	var contracts []contractRow
	var buyers, groups []optionView
	if form.ID != "" {
		gs, _ := p.Market.BuyerGroups(ctx, pr)
		groupNames := map[string]string{}
		for _, g := range gs {
			groupNames[g.ID] = g.Name
			groups = append(groups, optionView{ID: "group:" + g.ID, Text: g.Name})
		}
		cs, err := p.Market.ContractPrices(ctx, pr, form.ID)
		if err == nil {
			for _, c := range cs {
				row := contractRow{Buyer: names.Name(c.BuyerOrg), Price: p.amount(v.Lang, c.Currency, c.UnitPrice) + " " + c.Currency,
					From: c.ValidFrom.Format("2006-01-02"), To: c.ValidTo.AddDate(0, 0, -1).Format("2006-01-02")}
				if c.BuyerGroup != "" {
					row.Buyer, row.Group = groupNames[c.BuyerGroup], true
				}
				contracts = append(contracts, row)
			}
		}
		for _, o := range p.declarantOptions(r) {
			if o.ID != pr.OrgID {
				buyers = append(buyers, o)
			}
		}
	}
	type unitOption struct{ Code, Text string }
	var units []unitOption
	for _, u := range market.Units {
		units = append(units, unitOption{u, v.T("market.unitname." + u)})
	}
	type langOption struct{ Code, Name string }
	var langs []langOption
	for _, l := range market.Languages {
		langs = append(langs, langOption{l, refdata.LanguageName(l, v.Lang)})
	}
	var images []*imageView
	if form.ID != "" {
		imgs, _ := p.Market.Images(ctx, pr, form.ID)
		for _, img := range imgs {
			images = append(images, fitImage(img, nameIn(form.Names, v.Lang), 120))
		}
	}
	v.Data = map[string]any{"Rows": rows, "Form": form, "Which": which, "Images": images, "MaxImages": market.MaxImages, "Units": units, "Langs": langs, "Currencies": p.townCurrencies(),
		"Incoterms": market.Incoterms, "Contracts": contracts, "Buyers": buyers, "Groups": groups}
	p.render(w, r, status, "marketmine", v)
}

// readProductForm reads the seller's form; prices are read as the
// reader's language writes them.
func readProductForm(r *http.Request, lang string) (productForm, market.NewProduct) {
	f := productForm{Names: map[string]string{}, Descs: map[string]string{}, HS: r.PostFormValue("hs"), Origin: r.PostFormValue("origin"),
		Unit: r.PostFormValue("unit"), MOQ: strings.TrimSpace(r.PostFormValue("moq")), Stock: strings.TrimSpace(r.PostFormValue("stock")),
		Currency: r.PostFormValue("currency"), Incoterms: r.PostForm["incoterms"]}
	in := market.NewProduct{Names: map[string]string{}, Descriptions: map[string]string{}, HS: f.HS, Origin: f.Origin, Unit: f.Unit,
		Currency: f.Currency, Incoterms: f.Incoterms}
	for _, l := range market.Languages {
		if s := strings.TrimSpace(r.PostFormValue("name_" + l)); s != "" {
			f.Names[l], in.Names[l] = s, s
		}
		if s := strings.TrimSpace(r.PostFormValue("desc_" + l)); s != "" {
			f.Descs[l], in.Descriptions[l] = s, s
		}
	}
	in.MOQ, _ = strconv.ParseInt(f.MOQ, 10, 64)
	in.Stock, _ = strconv.ParseInt(f.Stock, 10, 64)
	if f.Stock != "" && in.Stock == 0 && f.Stock != "0" {
		in.Stock = -1 // not a number: the service says so
	}
	for i := range f.TierQty {
		f.TierQty[i] = strings.TrimSpace(r.PostFormValue("tier_qty_" + strconv.Itoa(i)))
		f.TierPrice[i] = strings.TrimSpace(r.PostFormValue("tier_price_" + strconv.Itoa(i)))
		if f.TierQty[i] == "" && f.TierPrice[i] == "" {
			continue
		}
		q, _ := strconv.ParseInt(f.TierQty[i], 10, 64)
		in.Tiers = append(in.Tiers, market.NewTier{MinQty: q, UnitPrice: amountInput(lang, f.TierPrice[i])})
	}
	return f, in
}

// MarketPublish publishes a product from the form.
func (p *Pages) MarketPublish(w http.ResponseWriter, r *http.Request) {
	if p.marketOff(w, r) {
		return
	}
	v := p.view(w, r, "market.mine", nil)
	form, in := readProductForm(r, v.Lang)
	prod, err := p.Market.Publish(r.Context(), v.Principal, in)
	if err != nil {
		status := p.formFail(v, err, "market.field.", nil)
		v.Here = "/market/mine"
		p.renderMine(w, r, v, status, form, "product")
		return
	}
	p.redirectDone(w, r, "/market/products/"+prod.ID, "done.market_published")
}

// MarketUpdate changes one of the seller's products from the form.
func (p *Pages) MarketUpdate(w http.ResponseWriter, r *http.Request) {
	if p.marketOff(w, r) {
		return
	}
	v := p.view(w, r, "market.mine", nil)
	form, in := readProductForm(r, v.Lang)
	form.ID = r.PathValue("id")
	prod, err := p.Market.Update(r.Context(), v.Principal, form.ID, in)
	if err != nil {
		if problem.Is(err, problem.NotFound) {
			p.Error(w, r, http.StatusNotFound, err)
			return
		}
		status := p.formFail(v, err, "market.field.", nil)
		v.Here = "/market/mine?edit=" + url.QueryEscape(form.ID)
		p.renderMine(w, r, v, status, form, "product")
		return
	}
	p.redirectDone(w, r, "/market/products/"+prod.ID, "done.market_updated")
}

// MarketContract gives a buyer, or one of the seller's buyer groups, a
// contract price from the form.
func (p *Pages) MarketContract(w http.ResponseWriter, r *http.Request) {
	if p.marketOff(w, r) {
		return
	}
	v := p.view(w, r, "market.mine", nil)
	id := r.PathValue("id")
	buyer, group := contractTarget(r.PostFormValue("buyer_org"))
	_, err := p.Market.SetContractPrice(r.Context(), v.Principal, id, market.NewContractPrice{BuyerOrg: buyer, BuyerGroup: group,
		UnitPrice: amountInput(v.Lang, r.PostFormValue("unit_price")), ValidFrom: r.PostFormValue("valid_from"), ValidTo: r.PostFormValue("valid_to")})
	if err != nil {
		if problem.Is(err, problem.NotFound) {
			p.Error(w, r, http.StatusNotFound, err)
			return
		}
		o, _, gerr := p.Market.Product(r.Context(), v.Principal, id, "")
		if gerr != nil {
			p.Error(w, r, statusOfErr(p.classify(gerr)), gerr)
			return
		}
		status := p.formFail(v, err, "market.field.", nil)
		v.Here = "/market/mine?edit=" + url.QueryEscape(id)
		p.renderMine(w, r, v, status, p.formOf(v, &o.Product), "contract")
		return
	}
	p.redirectDone(w, r, "/market/mine?edit="+url.QueryEscape(id), "done.market_contract")
}
