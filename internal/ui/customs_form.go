package ui

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"bricstown/internal/customs"
	"bricstown/internal/identity"
	"bricstown/internal/money"
	"bricstown/internal/problem"
)

// ---------------------------------------------------------------------------
// The declaration form: one form for a new declaration, a copy of an
// earlier one and an amendment. Every input is named by the declaration's
// field path ("goods_items[2].classification_id"), so the service's field
// messages land beside the inputs they are about. The form works without
// JavaScript: adding and removing goods rows, the HS and border-post
// look-ups and the duty estimate are ordinary submit buttons that show the
// form again; with htmx the look-ups and the estimate answer in place.

// customsPartyRoles are the parties a declaration names, in form order.
var customsPartyRoles = []string{"exporter", "importer", "declarant", "carrier"}

// customsDocSlots is how many documents the form uploads with one save.
const customsDocSlots = 3

// customsCorridors are suggestions for the corridor field (free text).
var customsCorridors = []string{
	"Western Europe – Western China",
	"Trans-Caspian International Transport Route (Middle Corridor)",
	"International North–South Transport Corridor",
	"China – Kazakhstan – Central Asia",
	"Northern Corridor (Trans-Siberian)",
}

// partyInput, itemInput and declInput hold the form as typed, so a refused
// form comes back exactly as it was sent.
type partyInput struct{ OrgID, Name, ID, Country string }

type itemInput struct {
	Description, HS, Origin, Quantity, Unit, Net, Gross, Value, Currency, HSQ string
}

type declInput struct {
	Ref, Procedure, Incoterm                        string
	Parties                                         map[string]partyInput
	Mode, Corridor, Vehicle, Containers, BorderPost string
	Arrival, Note, PostQ                            string
	Items                                           []itemInput
	Version                                         int64
}

func itemField(i int, name string) string { return fmt.Sprintf("goods_items[%d].%s", i, name) }

// fieldID turns a field path into an element id.
func fieldID(name string) string {
	return "f-" + strings.NewReplacer("[", "-", "]", "", ".", "-").Replace(name)
}

// readDeclInput reads the posted form.
func readDeclInput(f url.Values) declInput {
	get := func(k string) string { return strings.TrimSpace(f.Get(k)) }
	in := declInput{Ref: get("functional_reference_id"), Procedure: get("procedure"), Incoterm: get("trade_terms_condition_code"),
		Parties: map[string]partyInput{}, Mode: get("transport.mode_code"), Corridor: get("transport.corridor"),
		Vehicle: get("transport.border_transport_means_id"), Containers: get("transport.transport_equipment_ids"),
		BorderPost: get("transport.border_post"), Arrival: get("arrival_expected_at"), Note: get("note"), PostQ: get("post_q")}
	in.Version, _ = strconv.ParseInt(get("base_version"), 10, 64)
	for _, role := range customsPartyRoles {
		in.Parties[role] = partyInput{OrgID: get(role + ".org_id"), Name: get(role + ".name"), ID: get(role + ".id"), Country: get(role + ".country_code")}
	}
	n, _ := strconv.Atoi(get("item_count"))
	n = min(max(n, 1), customs.MaxItems)
	for i := range n {
		it := itemInput{Description: get(itemField(i, "description")), HS: get(itemField(i, "classification_id")),
			Origin: get(itemField(i, "origin_country_code")), Quantity: get(itemField(i, "tariff_quantity")),
			Unit: get(itemField(i, "tariff_quantity_unit_code")), Net: get(itemField(i, "net_net_weight_measure")),
			Gross: get(itemField(i, "gross_mass_measure")), Value: get(itemField(i, "customs_value_amount")),
			Currency: get(itemField(i, "customs_value_currency_id")), HSQ: get(itemField(i, "hs_q"))}
		in.Items = append(in.Items, it)
	}
	return in
}

// blank reports a goods row nobody typed into (selects keep defaults).
func (it itemInput) blank() bool {
	return it.Description == "" && it.HS == "" && it.Quantity == "" && it.Net == "" && it.Gross == "" && it.Value == ""
}

// gramsText writes grams as kilograms for the form, without trailing zeros.
func gramsText(g int64) string {
	s := money.FormatAmount(g, 3)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// inputFromContent fills the form from a stored declaration.
func (p *Pages) inputFromContent(c *customs.Content) declInput {
	in := declInput{Ref: c.FunctionalReferenceID, Procedure: string(c.Procedure), Incoterm: c.TradeTermsConditionCode,
		Parties: map[string]partyInput{}, Mode: string(c.Transport.ModeCode), Corridor: c.Transport.Corridor,
		Vehicle: c.Transport.BorderTransportMeansID, Containers: strings.Join(c.Transport.TransportEquipmentIDs, ", "),
		BorderPost: c.Transport.BorderPost}
	if !c.ArrivalExpectedAt.IsZero() {
		in.Arrival = c.ArrivalExpectedAt.UTC().Format("2006-01-02T15:04")
	}
	for role, pt := range map[string]customs.Party{"exporter": c.Exporter, "importer": c.Importer, "declarant": c.Declarant, "carrier": c.Carrier} {
		in.Parties[role] = partyInput{OrgID: pt.OrgID, Name: pt.Name, ID: pt.ID, Country: pt.CountryCode}
	}
	for _, it := range c.Items {
		in.Items = append(in.Items, itemInput{Description: it.Description, HS: it.ClassificationID, Origin: it.OriginCountryCode,
			Quantity: strconv.FormatInt(it.TariffQuantity, 10), Unit: it.TariffQuantityUnitCode, Net: gramsText(it.NetNetWeightMeasure),
			Gross: gramsText(it.GrossMassMeasure), Value: money.FormatAmount(it.CustomsValueAmount, p.exponent(it.CustomsValueCurrencyID)),
			Currency: it.CustomsValueCurrencyID})
	}
	if len(in.Items) == 0 {
		in.Items = []itemInput{newItem()}
	}
	return in
}

func newItem() itemInput { return itemInput{Unit: "KGM", Currency: "KZT", Origin: ""} }

// freshInput is a new declaration: the own organisation is the declarant
// and, as most of the town's traders export, the exporter.
func (p *Pages) freshInput(r *http.Request, pr *identity.Principal) declInput {
	in := declInput{Procedure: string(customs.Export), Incoterm: "FCA", Mode: string(customs.ModeRoad), BorderPost: "KZHOR",
		Parties: map[string]partyInput{}, Items: []itemInput{newItem()}}
	if org, err := p.Identity.Org(r.Context(), pr.OrgID); err == nil {
		own := partyInput{Name: org.Name, ID: org.RegID, Country: org.Country}
		in.Parties["declarant"] = own
		own.OrgID = org.ID
		in.Parties["exporter"] = own
		in.Items[0].Origin = org.Country
	}
	return in
}

// declContent turns the form into declaration content. What the form
// itself cannot read (a mass that is not a number) is reported by field;
// everything else is the service's to judge.
func (p *Pages) declContent(in declInput, lang string) (customs.Content, problem.Fields) {
	f := problem.Fields{}
	c := customs.Content{FunctionalReferenceID: in.Ref, Procedure: customs.Procedure(in.Procedure), TradeTermsConditionCode: in.Incoterm,
		Transport: customs.Transport{ModeCode: customs.TransportMode(in.Mode), Corridor: in.Corridor, BorderTransportMeansID: in.Vehicle,
			BorderPost: in.BorderPost}}
	party := func(role string) customs.Party {
		x := in.Parties[role]
		return customs.Party{OrgID: x.OrgID, Name: x.Name, ID: x.ID, CountryCode: x.Country}
	}
	c.Exporter, c.Importer, c.Declarant, c.Carrier = party("exporter"), party("importer"), party("declarant"), party("carrier")
	c.Declarant.OrgID = "" // the service binds the declarant to the signed-in organisation
	for _, s := range strings.FieldsFunc(in.Containers, func(r rune) bool { return r == ',' || r == ';' || unicode.IsSpace(r) }) {
		c.Transport.TransportEquipmentIDs = append(c.Transport.TransportEquipmentIDs, s)
	}
	if in.Arrival != "" {
		if t, ok := parseWhen(in.Arrival); ok {
			c.ArrivalExpectedAt = t
		} else {
			f.Add("arrival_expected_at", "not a date and time")
		}
	}
	num := func(field, s string, exp int) int64 {
		if s == "" {
			return 0
		}
		v, err := money.ParseLocalPositive(s, money.LocaleOf(lang), exp)
		if err != nil {
			f.Add(field, problem.MessageOf(err))
			return 0
		}
		return v
	}
	items := in.Items
	if len(items) > 1 {
		items = slices.DeleteFunc(slices.Clone(items), func(it itemInput) bool { return it.blank() })
	}
	for _, it := range items {
		i := len(c.Items)
		c.Items = append(c.Items, customs.Item{Description: it.Description, ClassificationID: it.HS, OriginCountryCode: it.Origin,
			TariffQuantity: num(itemField(i, "tariff_quantity"), it.Quantity, 0), TariffQuantityUnitCode: it.Unit,
			NetNetWeightMeasure: num(itemField(i, "net_net_weight_measure"), it.Net, 3), GrossMassMeasure: num(itemField(i, "gross_mass_measure"), it.Gross, 3),
			CustomsValueAmount: num(itemField(i, "customs_value_amount"), it.Value, p.exponent(it.Currency)), CustomsValueCurrencyID: it.Currency})
	}
	return c, f
}

// ---------------------------------------------------------------------------
// Rendering.

type fieldView struct {
	Name, ID, Value string
	Err             *fieldErr
}

type partyView struct {
	Role, Label, Help    string
	OrgID                string
	Name, RegID, Country fieldView
	Optional             bool
}

type pickView struct {
	Code, Text, Op string
	Level          int
	Pickable       bool
}

type itemView struct {
	Index, Seq                                                           int
	Description, HS, Origin, Quantity, Unit, Net, Gross, Value, Currency fieldView
	HSText, HSQName, HSQ, HSQID                                          string
	HSResults                                                            []pickView
	HSSearched                                                           bool
	CanRemove                                                            bool
}

type docSlot struct {
	Index, Seq            int
	File, Kind, Ref       string // field names
	FileID, KindID, RefID string
	KindValue             string
}

type errLink struct{ Anchor, Text string }

// formState is what one showing of the form needs beyond the input.
type formState struct {
	status      int
	id          string // "" for a new declaration
	decl        *customs.Declaration
	errs        map[string]fieldErr
	summary     string
	hsRow       int // the goods row whose look-up ran, -1 for none
	hsResults   []pickView
	postResults []pickView
	postRan     bool
	estimate    *assessView
	copiedFrom  string
	done        string
}

func (p *Pages) hsPicks(q, lang string, row int) []pickView {
	var out []pickView
	for _, h := range p.Ref.SearchHS(q, lang, 25) {
		out = append(out, pickView{Code: h.Code, Text: p.hsLabel(h, lang), Level: h.Level, Pickable: h.Level == 6,
			Op: fmt.Sprintf("pick:%d:%s", row, h.Code)})
	}
	return out
}

func (p *Pages) postPicks(q string) []pickView {
	q = strings.TrimSpace(q)
	if q == "" {
		return nil
	}
	// The town's own border posts first, then anywhere.
	locs, err := p.Ref.SearchLocations("KZ", q, 15)
	if err != nil || len(locs) == 0 {
		locs, _ = p.Ref.SearchLocations("", q, 15)
	}
	var out []pickView
	for _, l := range locs {
		text := l.Name
		if fs := l.Functions.String(); fs != "" {
			text += " · " + strings.ReplaceAll(fs, ",", ", ")
		}
		out = append(out, pickView{Code: l.Code, Text: text, Pickable: true, Op: "pickpost:" + l.Code})
	}
	return out
}

func (p *Pages) renderDeclForm(w http.ResponseWriter, r *http.Request, in declInput, st formState) {
	pr := identity.FromContext(r.Context())
	v := p.view(w, r, "customs.form_title", nil)
	v.Here = "/customs/new"
	if st.id != "" {
		v.TitleKey = "customs.edit_title"
		v.Here = "/customs/" + url.PathEscape(st.id) + "/edit"
	} else if st.copiedFrom != "" {
		v.Here = "/customs/new?" + url.Values{"from": {st.copiedFrom}}.Encode()
	}
	v.Error = st.summary
	fv := p.declFormView(v, pr, in, st)
	v.Data = fv
	if len(st.errs) > 0 {
		v.Fields = map[string]string{}
		for k, e := range st.errs {
			v.Fields[k] = e.String()
		}
	}
	status := st.status
	if status == 0 {
		status = http.StatusOK
	}
	p.render(w, r, status, "customsform", v)
}

func (p *Pages) declFormView(v *View, pr *identity.Principal, in declInput, st formState) map[string]any {
	errs := st.errs
	// Container numbers are one textarea; their messages join there.
	for k, e := range errs {
		if strings.HasPrefix(k, "transport.transport_equipment_ids[") {
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(k, "transport.transport_equipment_ids["), "]"))
			joined := errs["transport.transport_equipment_ids"]
			msg := fmt.Sprintf("#%d: %s", n+1, e.String())
			if joined.Msg != "" {
				msg = joined.Msg + "; " + msg
			}
			errs["transport.transport_equipment_ids"] = fieldErr{Msg: msg}
			delete(errs, k)
		}
	}
	used := map[string]bool{}
	field := func(name, value string) fieldView {
		fv := fieldView{Name: name, ID: fieldID(name), Value: value}
		if e, ok := errs[name]; ok {
			fv.Err = &e
			used[name] = true
		}
		return fv
	}
	action := "/customs/new"
	if st.id != "" {
		action = "/customs/" + url.PathEscape(st.id) + "/edit"
	}
	data := map[string]any{"Action": action, "Editing": st.id != "", "ID": st.id, "ShortID": shortID(st.id), "Version": in.Version,
		"CopiedFrom": st.copiedFrom, "CopiedShort": shortID(st.copiedFrom)}
	draft := st.decl == nil || st.decl.Status == customs.StatusDraft
	data["CanSubmit"] = draft
	if st.decl != nil {
		data["Status"] = statusBadge(v, st.decl.Status)
		var docs []docView
		for _, doc := range st.decl.Documents {
			docs = append(docs, docView{ID: doc.ID, Kind: v.T("customs.doc." + string(doc.Kind)), Reference: doc.Reference, Filename: doc.Filename,
				Size: sizeText(v, doc.Size), SHA256: doc.SHA256, At: when(doc.At)})
		}
		data["Attached"] = docs
	}
	data["Ref"] = field("functional_reference_id", in.Ref)
	data["Procedure"] = field("procedure", in.Procedure)
	data["Incoterm"] = field("trade_terms_condition_code", in.Incoterm)
	data["Mode"] = field("transport.mode_code", in.Mode)
	data["Corridor"] = field("transport.corridor", in.Corridor)
	data["Vehicle"] = field("transport.border_transport_means_id", in.Vehicle)
	data["Containers"] = field("transport.transport_equipment_ids", in.Containers)
	data["BorderPost"] = field("transport.border_post", in.BorderPost)
	data["BorderPostText"] = ""
	if loc, ok := p.Ref.Location(strings.ToUpper(strings.ReplaceAll(in.BorderPost, " ", ""))); ok {
		data["BorderPostText"] = loc.Name
	}
	data["Arrival"] = field("arrival_expected_at", in.Arrival)
	data["Note"] = field("note", in.Note)
	data["PostQ"] = in.PostQ
	data["PostResults"], data["PostRan"] = st.postResults, st.postRan
	data["MinArrival"] = time.Now().UTC().Format("2006-01-02T15:04")
	data["MaxArrival"] = time.Now().UTC().Add(90 * 24 * time.Hour).Format("2006-01-02T15:04")

	var parties []partyView
	for _, role := range customsPartyRoles {
		x := in.Parties[role]
		parties = append(parties, partyView{Role: role, Label: v.T("customs.party." + role), OrgID: x.OrgID,
			Name: field(role+".name", x.Name), RegID: field(role+".id", x.ID), Country: field(role+".country_code", x.Country),
			Optional: role == "carrier" || role == "declarant"})
	}
	data["Parties"] = parties

	var items []itemView
	for i, it := range in.Items {
		iv := itemView{Index: i, Seq: i + 1, Description: field(itemField(i, "description"), it.Description),
			HS: field(itemField(i, "classification_id"), it.HS), Origin: field(itemField(i, "origin_country_code"), it.Origin),
			Quantity: field(itemField(i, "tariff_quantity"), it.Quantity), Unit: field(itemField(i, "tariff_quantity_unit_code"), it.Unit),
			Net: field(itemField(i, "net_net_weight_measure"), it.Net), Gross: field(itemField(i, "gross_mass_measure"), it.Gross),
			Value: field(itemField(i, "customs_value_amount"), it.Value), Currency: field(itemField(i, "customs_value_currency_id"), it.Currency),
			HSQName: itemField(i, "hs_q"), HSQID: fieldID(itemField(i, "hs_q")), HSQ: it.HSQ, CanRemove: len(in.Items) > 1}
		if code := strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, it.HS); len(code) >= 6 {
			iv.HSText = p.hsText(code, v.Lang)
		}
		if i == st.hsRow {
			iv.HSResults, iv.HSSearched = st.hsResults, true
		}
		items = append(items, iv)
	}
	data["Items"] = items
	data["ItemCount"] = len(in.Items)
	if errs["goods_items"].Msg != "" {
		data["GoodsErr"] = errs["goods_items"]
		used["goods_items"] = true
	}
	if e, ok := errs["documents"]; ok {
		data["DocumentsErr"] = e
		used["documents"] = true
	}

	var slots []docSlot
	for i := range customsDocSlots {
		s := docSlot{Index: i, Seq: i + 1, File: fmt.Sprintf("doc_file_%d", i), Kind: fmt.Sprintf("doc_kind_%d", i), Ref: fmt.Sprintf("doc_ref_%d", i)}
		s.FileID, s.KindID, s.RefID = fieldID(s.File), fieldID(s.Kind), fieldID(s.Ref)
		s.KindValue = []string{string(customs.DocCommercialInvoice), string(customs.DocPhytosanitary), string(customs.DocPackingList)}[i]
		slots = append(slots, s)
	}
	data["Slots"] = slots
	var docErrs []string
	for k, e := range errs {
		if strings.HasPrefix(k, "doc_") || slices.Contains([]string{"kind", "reference", "filename", "media_type", "content", "file"}, k) {
			docErrs = append(docErrs, e.String())
			used[k] = true
		}
	}
	slices.Sort(docErrs)
	data["DocErrs"] = docErrs
	c, _ := p.declContent(in, v.Lang)
	data["Certificates"] = p.requiredCertificates(v, &c)

	// Options.
	procs := make([]option, len(customs.Procedures))
	for i, x := range customs.Procedures {
		procs[i] = option{string(x), v.T("customs.procedure." + string(x))}
	}
	modes := make([]option, len(customs.TransportModes))
	for i, x := range customs.TransportModes {
		modes[i] = option{string(x), v.T("customs.mode." + string(x))}
	}
	units := make([]option, len(customs.Units))
	for i, u := range customs.Units {
		units[i] = option{u.Code, u.Code + " — " + p.unitText(v, u.Code)}
	}
	data["Procedures"], data["Modes"], data["Units"], data["Incoterms"] = procs, modes, units, customs.Incoterms
	data["Countries"] = p.townCountries(v.Lang)
	data["Currencies"] = p.customsCurrencies()
	data["Corridors"] = customsCorridors
	data["DocKinds"] = p.docKindOptions(v)
	data["MaxSize"] = sizeText(v, customs.MaxDocumentSize)
	data["Accept"] = ".pdf,.png,.jpg,.jpeg,.xml," + strings.Join(customs.MediaTypes, ",")
	data["Estimate"] = st.estimate
	if st.done != "" {
		data["Done"] = v.T("customs.done." + st.done)
	}

	// The error summary: every message, linked to its field.
	var summary []errLink
	keys := make([]string, 0, len(errs))
	for k := range errs {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, compareFieldPaths)
	for _, k := range keys {
		summary = append(summary, errLink{Anchor: p.errAnchor(k), Text: p.errPrefix(v, k) + errs[k].String()})
	}
	data["Summary"] = summary
	return data
}

// compareFieldPaths orders field paths as the form shows them, goods rows
// by number.
func compareFieldPaths(a, b string) int {
	ra, rb := fieldRank(a), fieldRank(b)
	if ra != rb {
		return ra - rb
	}
	return strings.Compare(a, b)
}

func fieldRank(k string) int {
	switch {
	case strings.HasPrefix(k, "goods_items["):
		n, _ := strconv.Atoi(k[len("goods_items["):strings.IndexByte(k, ']')])
		return 100 + n
	case strings.HasPrefix(k, "goods_items"):
		return 99
	case strings.HasPrefix(k, "transport") || k == "arrival_expected_at":
		return 50
	case strings.HasPrefix(k, "doc") || k == "documents":
		return 2000
	}
	return 0
}

func (p *Pages) errAnchor(k string) string {
	switch {
	case k == "goods_items":
		return "goods"
	case k == "documents" || strings.HasPrefix(k, "doc_") || slices.Contains([]string{"kind", "reference", "filename", "media_type", "content", "file"}, k):
		return "documents"
	case k == "declarant.org_id":
		return fieldID("declarant.name")
	}
	return fieldID(k)
}

// errPrefix names where a message belongs: the goods item, or the party.
func (p *Pages) errPrefix(v *View, k string) string {
	if strings.HasPrefix(k, "goods_items[") {
		n, _ := strconv.Atoi(k[len("goods_items["):strings.IndexByte(k, ']')])
		return v.T("customs.item_n", n+1) + ": "
	}
	return ""
}

// customsCurrencies are the currencies a customs value may be declared in
// on the form: the town's, and the euro.
func (p *Pages) customsCurrencies() []CurrencyOption {
	out := p.townCurrencies()
	if c, ok := p.Ref.Currency("EUR"); ok && !slices.ContainsFunc(out, func(o CurrencyOption) bool { return o.Code == "EUR" }) {
		out = append(out, CurrencyOption{c.Code, c.Name})
		slices.SortFunc(out, func(a, b CurrencyOption) int { return strings.Compare(a.Code, b.Code) })
	}
	return out
}

// ---------------------------------------------------------------------------
// Handlers.

// CustomsNew shows the form for a new declaration, or, with ?from=, a copy
// of an earlier one: its parties, transport and goods, with a new
// reference and no arrival time.
func (p *Pages) CustomsNew(w http.ResponseWriter, r *http.Request) {
	if p.customsOff(w, r) {
		return
	}
	pr := identity.FromContext(r.Context())
	if customs.AuthorityOf(pr) != customs.ByDeclarant {
		p.Error(w, r, http.StatusForbidden, problem.New(problem.Forbidden, "only traders lodge declarations"))
		return
	}
	in := p.freshInput(r, pr)
	st := formState{hsRow: -1}
	if from := r.URL.Query().Get("from"); from != "" {
		d, err := p.Customs.Get(r.Context(), pr, from)
		if err != nil {
			p.Error(w, r, statusOfErr(err), err)
			return
		}
		in = p.inputFromContent(&d.Content)
		in.Ref, in.Arrival = "", ""
		st.copiedFrom = d.ID
	}
	p.renderDeclForm(w, r, in, st)
}

// CustomsEdit shows the form for amending a draft or a pre-lodged
// declaration.
func (p *Pages) CustomsEdit(w http.ResponseWriter, r *http.Request) {
	if p.customsOff(w, r) {
		return
	}
	pr := identity.FromContext(r.Context())
	d, err := p.Customs.Get(r.Context(), pr, r.PathValue("id"))
	if err != nil {
		p.Error(w, r, statusOfErr(err), err)
		return
	}
	if customs.AuthorityOf(pr) != customs.ByDeclarant {
		p.Error(w, r, http.StatusForbidden, problem.New(problem.Forbidden, "only the declarant amends"))
		return
	}
	if !customs.AllowedFrom(customs.ActAmend, d.Status) {
		http.Redirect(w, r, "/customs/"+url.PathEscape(d.ID), http.StatusSeeOther)
		return
	}
	in := p.inputFromContent(&d.Content)
	in.Version = d.Version
	st := formState{id: d.ID, decl: &d, hsRow: -1}
	if r.URL.Query().Get("done") == "saved" {
		st.done = "saved"
	}
	p.renderDeclForm(w, r, in, st)
}

// CustomsCreate handles the new-declaration form's buttons.
func (p *Pages) CustomsCreate(w http.ResponseWriter, r *http.Request) { p.declFormPost(w, r, "") }

// CustomsAmend handles the amendment form's buttons.
func (p *Pages) CustomsAmend(w http.ResponseWriter, r *http.Request) {
	p.declFormPost(w, r, r.PathValue("id"))
}

// checkPartyOrgs keeps a party's link to a platform organisation (a hidden
// field the form carries along) only while the party still names that
// organisation: a trader who types another company over a pre-filled one
// must not leave the first one's id behind.
func (p *Pages) checkPartyOrgs(r *http.Request, in *declInput) {
	for role, x := range in.Parties {
		if x.OrgID == "" {
			continue
		}
		org, err := p.Identity.Org(r.Context(), x.OrgID)
		if err != nil || x.Name != "" && !strings.EqualFold(strings.TrimSpace(x.Name), org.Name) {
			x.OrgID = ""
			in.Parties[role] = x
		}
	}
}

// parseAnyForm reads a urlencoded or multipart body.
func parseAnyForm(r *http.Request) error {
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
		if err := r.ParseMultipartForm(maxUploadMemory); err != nil {
			return uploadErr(err)
		}
		return nil
	}
	if err := r.ParseForm(); err != nil {
		return uploadErr(err)
	}
	return nil
}

func (p *Pages) declFormPost(w http.ResponseWriter, r *http.Request, id string) {
	if p.customsOff(w, r) {
		return
	}
	ctx := r.Context()
	pr := identity.FromContext(ctx)
	if err := parseAnyForm(r); err != nil {
		v := p.view(w, r, "customs.form_title", nil)
		msg, status := customsSummary(v, err)
		v.Error = msg
		p.render(w, r, status, "error", v)
		return
	}
	if customs.AuthorityOf(pr) != customs.ByDeclarant {
		p.Error(w, r, http.StatusForbidden, problem.New(problem.Forbidden, "only traders lodge declarations"))
		return
	}
	lang := p.view(w, r, "customs.form_title", nil).Lang
	in := readDeclInput(r.PostForm)
	p.checkPartyOrgs(r, &in)
	st := formState{id: id, hsRow: -1, copiedFrom: r.PostFormValue("copied_from")}
	if id != "" {
		d, err := p.Customs.Get(ctx, pr, id)
		if err != nil {
			p.Error(w, r, statusOfErr(err), err)
			return
		}
		st.decl = &d
	}
	op := r.PostFormValue("op")
	row := func(s string) (int, bool) {
		i, err := strconv.Atoi(s)
		return i, err == nil && i >= 0 && i < len(in.Items)
	}
	switch {
	case op == "add_item":
		if len(in.Items) < customs.MaxItems {
			last := in.Items[len(in.Items)-1]
			in.Items = append(in.Items, itemInput{Unit: last.Unit, Currency: last.Currency, Origin: last.Origin})
		}
		p.renderDeclForm(w, r, in, st)
		return
	case strings.HasPrefix(op, "remove:"):
		if i, ok := row(strings.TrimPrefix(op, "remove:")); ok && len(in.Items) > 1 {
			in.Items = slices.Delete(in.Items, i, i+1)
		}
		p.renderDeclForm(w, r, in, st)
		return
	case strings.HasPrefix(op, "hs:"):
		if i, ok := row(strings.TrimPrefix(op, "hs:")); ok {
			st.hsRow, st.hsResults = i, p.hsPicks(in.Items[i].HSQ, lang, i)
		}
		p.renderDeclForm(w, r, in, st)
		return
	case strings.HasPrefix(op, "pick:"):
		parts := strings.SplitN(op, ":", 3)
		if i, ok := row(parts[1]); ok && len(parts) == 3 {
			in.Items[i].HS, in.Items[i].HSQ = parts[2], ""
		}
		p.renderDeclForm(w, r, in, st)
		return
	case op == "post":
		st.postResults, st.postRan = p.postPicks(in.PostQ), true
		p.renderDeclForm(w, r, in, st)
		return
	case strings.HasPrefix(op, "pickpost:"):
		in.BorderPost, in.PostQ = strings.TrimPrefix(op, "pickpost:"), ""
		p.renderDeclForm(w, r, in, st)
		return
	case op == "estimate":
		v := p.view(w, r, "customs.form_title", nil)
		est, err := p.estimate(r, v, in)
		if err != nil {
			st.summary, st.status = customsSummary(v, err)
			st.errs = p.allFieldErrs(v, in, err)
		}
		st.estimate = est
		p.renderDeclForm(w, r, in, st)
		return
	}

	// Save, and with "submit" lodge at once.
	v := p.view(w, r, "customs.form_title", nil)
	c, uiErrs := p.declContent(in, lang)
	if len(uiErrs) > 0 {
		err := &problem.Error{Code: problem.Invalid, Message: "the declaration is not valid", Fields: uiErrs}
		st.summary, st.status = customsSummary(v, err)
		st.errs = p.allFieldErrs(v, in, err)
		p.renderDeclForm(w, r, in, st)
		return
	}
	// The documents chosen on the form; one that cannot be read stores
	// nothing.
	var docs []customs.NewDocument
	var docSlots []int // the form slot of each of docs
	for i := range customsDocSlots {
		nd, err := readUpload(r, fmt.Sprintf("doc_file_%d", i), r.PostFormValue(fmt.Sprintf("doc_kind_%d", i)), r.PostFormValue(fmt.Sprintf("doc_ref_%d", i)))
		if err != nil {
			msg, status := customsSummary(v, err)
			st.summary, st.status = msg, status
			st.errs = map[string]fieldErr{fmt.Sprintf("doc_file_%d", i): {Msg: msg}}
			p.renderDeclForm(w, r, in, st)
			return
		}
		if nd != nil {
			docs, docSlots = append(docs, *nd), append(docSlots, i)
		}
	}
	submit := r.PostFormValue("op") == "submit"
	if id == "" {
		// A new declaration is one change, as in the API: the draft with
		// its documents (Create), or with "submit" the whole filing
		// (Lodge). Nothing is stored when anything is wrong.
		var err error
		var d customs.Declaration
		if submit {
			d, err = p.Customs.Lodge(ctx, pr, c, docs)
		} else {
			d, err = p.Customs.Create(ctx, pr, c, docs...)
		}
		if err != nil {
			st.summary, st.status = customsSummary(v, err)
			st.errs = p.filingFieldErrs(v, err, docSlots)
			p.renderDeclForm(w, r, in, st)
			return
		}
		done := "saved"
		if submit {
			done = "submitted"
		}
		http.Redirect(w, r, "/customs/"+url.PathEscape(d.ID)+"?done="+done, http.StatusSeeOther)
		return
	}
	d, err := p.Customs.Amend(ctx, pr, id, in.Version, c, in.Note)
	if err != nil {
		st.summary, st.status = customsSummary(v, err)
		st.errs = p.customsFieldErrs(v, err)
		p.renderDeclForm(w, r, in, st)
		return
	}
	// The documents chosen on the form, attached to the amended declaration.
	for j, nd := range docs {
		if _, err := p.Customs.AttachDocument(ctx, pr, d.ID, nd); err != nil {
			// The amendment is saved; show it for editing with the refusal.
			if fresh, gerr := p.Customs.Get(ctx, pr, d.ID); gerr == nil {
				d = fresh
			}
			in = p.inputFromContent(&d.Content)
			in.Version = d.Version
			st = formState{id: d.ID, decl: &d, hsRow: -1}
			msg, status := customsSummary(v, err)
			st.summary, st.status = v.T("customs.saved_doc_refused")+" "+msg, status
			st.errs = map[string]fieldErr{}
			for k, e := range p.customsFieldErrs(v, err) {
				st.errs[k] = e
			}
			if len(st.errs) == 0 {
				st.errs[fmt.Sprintf("doc_file_%d", docSlots[j])] = fieldErr{Msg: msg}
			}
			p.renderDeclForm(w, r, in, st)
			return
		}
	}
	if submit && d.Status == customs.StatusDraft {
		if _, err := p.Customs.Submit(ctx, pr, d.ID); err != nil {
			r.SetPathValue("id", d.ID)
			p.renderDecl(w, r, declState{formErr: err, which: "submit", lead: v.T("customs.saved_not_submitted")})
			return
		}
		http.Redirect(w, r, "/customs/"+url.PathEscape(d.ID)+"?done=submitted", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/customs/"+url.PathEscape(d.ID)+"?done=saved", http.StatusSeeOther)
}

// filingFieldErrs is customsFieldErrs for a new declaration filed with its
// documents: the service names a bad document documents[j].field, which
// the form shows on the file slot the document came from.
func (p *Pages) filingFieldErrs(v *View, err error, docSlots []int) map[string]fieldErr {
	var pe *problem.Error
	if !errors.As(err, &pe) {
		return nil
	}
	rest, docs := map[string]string{}, map[string]string{}
	slotOf := map[string]string{}
	for k, msg := range pe.Fields {
		var j int
		if n, _ := fmt.Sscanf(k, "documents[%d].", &j); n == 1 && j >= 0 && j < len(docSlots) {
			field := k[strings.IndexByte(k, '.')+1:]
			docs[k+"|"+field] = msg
			slotOf[k+"|"+field] = fmt.Sprintf("doc_file_%d", docSlots[j])
			continue
		}
		rest[k] = msg
	}
	out := p.customsFieldErrs(v, &problem.Error{Code: pe.Code, Message: pe.Message, Fields: rest})
	if out == nil {
		out = map[string]fieldErr{}
	}
	keys := make([]string, 0, len(docs))
	for k := range docs {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		field := k[strings.IndexByte(k, '|')+1:]
		// The document's field worded as the form words it (kind, content…).
		fe := p.customsFieldErrs(v, &problem.Error{Code: pe.Code, Fields: map[string]string{field: docs[k]}})[field]
		if _, dup := out[slotOf[k]]; !dup {
			out[slotOf[k]] = fe
		}
	}
	return out
}

// allFieldErrs reports the form's own refusals together with everything
// the rules find in the rest of the form, so one round trip shows every
// problem; nothing is stored.
func (p *Pages) allFieldErrs(v *View, in declInput, err error) map[string]fieldErr {
	out := p.customsFieldErrs(v, err)
	c, _ := p.declContent(in, v.Lang)
	if verr := p.Customs.Rules().Validate(&c, time.Now()); verr != nil {
		for k, e := range p.customsFieldErrs(v, verr) {
			if _, ok := out[k]; !ok {
				out[k] = e
			}
		}
	}
	return out
}

// estimate computes the duties the form's content would owe today.
func (p *Pages) estimate(r *http.Request, v *View, in declInput) (*assessView, error) {
	c, uiErrs := p.declContent(in, v.Lang)
	if len(uiErrs) > 0 {
		return nil, &problem.Error{Code: problem.Invalid, Message: "the declaration is not valid", Fields: uiErrs}
	}
	a, err := p.Customs.EstimateDuties(r.Context(), identity.FromContext(r.Context()), c)
	if err != nil {
		return nil, err
	}
	// The estimate's lines follow the goods the service kept, which are
	// the form's non-blank rows in order.
	items := c.Items
	av := p.customsAssessView(v, &a, items)
	av.Estimate = true
	return av, nil
}

// CustomsEstimate answers the form's "estimate duties" button for htmx: the
// estimate, or the list of what to correct first.
func (p *Pages) CustomsEstimate(w http.ResponseWriter, r *http.Request) {
	if p.customsOff(w, r) {
		return
	}
	if err := parseAnyForm(r); err != nil {
		p.Error(w, r, http.StatusBadRequest, err)
		return
	}
	v := p.view(w, r, "customs.form_title", nil)
	in := readDeclInput(r.PostForm)
	est, err := p.estimate(r, v, in)
	st := formState{hsRow: -1, estimate: est}
	if err != nil {
		st.summary, _ = customsSummary(v, err)
		st.errs = p.allFieldErrs(v, in, err)
	}
	data := p.declFormView(v, identity.FromContext(r.Context()), in, st)
	data["EstimateError"] = st.summary
	v.Data = data
	p.customsPartial(w, r, "customsform", "estimate", http.StatusOK, v)
}

// CustomsHSLookup answers a goods row's HS look-up box: matches for a code
// prefix or for words in the user's language (chapter titles exist in all
// five; below the chapter the nomenclature is searched in English).
func (p *Pages) CustomsHSLookup(w http.ResponseWriter, r *http.Request) {
	if p.customsOff(w, r) {
		return
	}
	v := p.view(w, r, "customs.form_title", nil)
	q := r.URL.Query()
	row, _ := strconv.Atoi(q.Get("row"))
	row = min(max(row, 0), customs.MaxItems-1)
	text := strings.TrimSpace(q.Get(itemField(row, "hs_q")))
	if text == "" {
		text = strings.TrimSpace(q.Get("q"))
	}
	v.Data = map[string]any{"Results": p.hsPicks(text, v.Lang, row), "Searched": text != "", "Query": text}
	p.customsPartial(w, r, "customsform", "hsresults", http.StatusOK, v)
}

// CustomsPostLookup answers the border-post look-up: UN/LOCODE entries by
// code or name, Kazakhstan's first.
func (p *Pages) CustomsPostLookup(w http.ResponseWriter, r *http.Request) {
	if p.customsOff(w, r) {
		return
	}
	v := p.view(w, r, "customs.form_title", nil)
	q := strings.TrimSpace(r.URL.Query().Get("post_q"))
	if q == "" {
		q = strings.TrimSpace(r.URL.Query().Get("q"))
	}
	v.Data = map[string]any{"PostResults": p.postPicks(q), "PostRan": q != ""}
	p.customsPartial(w, r, "customsform", "postresults", http.StatusOK, v)
}
