package customs

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"bricstown/internal/problem"
	"bricstown/internal/refdata"
)

// Validation limits. They follow the WCO Data Model formats where it has
// them (an..35 references, up to 999 goods items) and otherwise keep one
// declaration well under the 1 MiB request limit.
const (
	MaxItems             = 999
	MaxContainers        = 999
	maxRefLen            = 35
	maxNameLen           = 200
	maxDescriptionLen    = 512
	maxCorridorLen       = 100
	maxQuantity          = 1_000_000_000_000
	maxMassGrams         = 10_000_000_000_000 // ten million tonnes
	maxValueMinor        = 1_000_000_000_000_000
	maxPreLodgementAhead = 90 * 24 * time.Hour
)

// Validate checks a declaration's content against the reference data,
// normalises it in place (codes upper-cased, separators removed, sequence
// numbers assigned by position) and reports every bad field at once. now
// bounds how far ahead a pre-lodged arrival may be. A content that passes is
// complete enough to be submitted, apart from the attached documents.
func (r *Rules) Validate(c *Content, now time.Time) error {
	f := problem.Fields{}
	r.validate(c, now, f)
	return f.Err("the declaration is not valid")
}

func (r *Rules) validate(c *Content, now time.Time, f problem.Fields) {
	d := r.Ref
	switch c.Procedure = Procedure(strings.ToLower(strings.TrimSpace(string(c.Procedure)))); c.Procedure {
	case Import, Export, Transit:
	case "":
		f.Add("procedure", "required: import, export or transit")
	default:
		f.Add("procedure", "must be import, export or transit")
	}
	c.FunctionalReferenceID = text(f, "functional_reference_id", c.FunctionalReferenceID, maxRefLen, false)

	r.party(f, "exporter", &c.Exporter, true)
	r.party(f, "importer", &c.Importer, true)
	r.party(f, "declarant", &c.Declarant, false)
	if !c.Carrier.IsZero() {
		r.party(f, "carrier", &c.Carrier, true)
	}
	// The party established in the customs union answers to its customs:
	// the importer of an import, the exporter of an export.
	if c.Procedure == Import && c.Importer.CountryCode != "" && f["importer.country_code"] == "" && !d.IsMember(c.Importer.CountryCode, refdata.EAEU) {
		f.Add("importer.country_code", "the importer of an import must be established in the EAEU")
	}
	if c.Procedure == Export && c.Exporter.CountryCode != "" && f["exporter.country_code"] == "" && !d.IsMember(c.Exporter.CountryCode, refdata.EAEU) {
		f.Add("exporter.country_code", "the exporter of an export must be established in the EAEU")
	}

	c.TradeTermsConditionCode = strings.ToUpper(strings.TrimSpace(c.TradeTermsConditionCode))
	switch {
	case c.TradeTermsConditionCode == "":
		if c.Procedure == Import || c.Procedure == Export {
			f.Add("trade_terms_condition_code", "required: an Incoterm 2020 code such as FCA or CIF")
		}
	case !slices.Contains(Incoterms, c.TradeTermsConditionCode):
		f.Add("trade_terms_condition_code", "must be an Incoterm 2020 code: "+strings.Join(Incoterms, " "))
	}

	r.transport(f, &c.Transport)

	if !c.ArrivalExpectedAt.IsZero() {
		c.ArrivalExpectedAt = c.ArrivalExpectedAt.UTC().Truncate(time.Microsecond)
		if c.ArrivalExpectedAt.After(now.Add(maxPreLodgementAhead)) {
			f.Add("arrival_expected_at", "pre-lodgement is possible up to 90 days before arrival")
		}
	}

	switch n := len(c.Items); {
	case n == 0:
		f.Add("goods_items", "declare at least one goods item")
	case n > MaxItems:
		f.Addf("goods_items", "at most %d goods items per declaration", MaxItems)
		return
	}
	for i := range c.Items {
		r.item(f, "goods_items["+strconv.Itoa(i)+"].", i, &c.Items[i])
	}
}

func (r *Rules) party(f problem.Fields, path string, p *Party, needName bool) {
	p.OrgID = strings.TrimSpace(p.OrgID)
	if len(p.OrgID) > 64 {
		f.Add(path+".org_id", "too long")
	}
	p.Name = text(f, path+".name", p.Name, maxNameLen, false)
	p.ID = text(f, path+".id", p.ID, maxRefLen, false)
	if needName && p.Name == "" && p.OrgID == "" {
		f.Add(path+".name", "required unless org_id names a platform organisation")
	}
	p.CountryCode = strings.ToUpper(strings.TrimSpace(p.CountryCode))
	switch {
	case p.CountryCode == "":
		if needName {
			f.Add(path+".country_code", "required: ISO 3166 country code")
		}
	default:
		if cty, ok := r.Ref.Country(p.CountryCode); ok {
			p.CountryCode = cty.Alpha2
		} else {
			f.Addf(path+".country_code", "unknown ISO 3166 country %q", p.CountryCode)
		}
	}
}

func (r *Rules) transport(f problem.Fields, t *Transport) {
	t.ModeCode = TransportMode(strings.ToLower(strings.TrimSpace(string(t.ModeCode))))
	if !slices.Contains(TransportModes, t.ModeCode) {
		f.Add("transport.mode_code", "must be road, rail, air, sea or multimodal")
	}
	t.Corridor = text(f, "transport.corridor", t.Corridor, maxCorridorLen, false)
	t.BorderTransportMeansID = strings.ToUpper(text(f, "transport.border_transport_means_id", t.BorderTransportMeansID, maxRefLen, false))
	if len(t.TransportEquipmentIDs) > MaxContainers {
		f.Addf("transport.transport_equipment_ids", "at most %d containers", MaxContainers)
	} else {
		for i, c := range t.TransportEquipmentIDs {
			path := "transport.transport_equipment_ids[" + strconv.Itoa(i) + "]"
			n := NormalizeContainerNumber(c)
			t.TransportEquipmentIDs[i] = n
			switch {
			case len(n) != 11:
				f.Add(path, "an ISO 6346 container number has 4 letters and 7 digits, e.g. CSQU3054383")
			case !ValidContainerNumber(n):
				if d, ok := ContainerCheckDigit(n[:10]); ok {
					f.Addf(path, "check digit is wrong: %s should end in %c", n[:10], d)
				} else {
					f.Add(path, "not an ISO 6346 container number (owner code, U/J/Z, 6 digits, check digit)")
				}
			case slices.Contains(t.TransportEquipmentIDs[:i], n):
				f.Add(path, "container listed twice")
			}
		}
	}
	t.BorderPost = strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(t.BorderPost), " ", ""))
	if t.BorderPost == "" {
		f.Add("transport.border_post", "required: the UN/LOCODE of the border post, e.g. KZHOR")
		return
	}
	loc, ok := r.Ref.Location(t.BorderPost)
	if !ok {
		f.Addf("transport.border_post", "unknown UN/LOCODE %q", t.BorderPost)
		return
	}
	if need := modeFunction(t.ModeCode); need != 0 && loc.Functions != 0 &&
		!loc.Functions.Has(need) && !loc.Functions.Has(refdata.FuncBorderCrossing) {
		f.Addf("transport.border_post", "%s (%s) handles %s, not %s traffic", loc.Code, loc.Name, loc.Functions, t.ModeCode)
	}
}

// modeFunction is the UN/LOCODE function a border post needs for a mode;
// multimodal goods can cross anywhere.
func modeFunction(m TransportMode) refdata.Function {
	switch m {
	case ModeRoad:
		return refdata.FuncRoad
	case ModeRail:
		return refdata.FuncRail
	case ModeAir:
		return refdata.FuncAirport
	case ModeSea:
		return refdata.FuncPort
	}
	return 0
}

func (r *Rules) item(f problem.Fields, path string, i int, it *Item) {
	d := r.Ref
	it.SequenceNumeric = i + 1
	it.Description = text(f, path+"description", it.Description, maxDescriptionLen, true)

	code := strings.TrimSpace(it.ClassificationID)
	if code == "" {
		f.Add(path+"classification_id", "required: an HS 2022 subheading (6 digits) with up to 4 national digits")
	} else if hs, ext, err := d.SplitNationalCode(code); err != nil {
		if problem.Is(err, problem.NotFound) {
			f.Add(path+"classification_id", problem.MessageOf(err))
		} else {
			f.Add(path+"classification_id", "must be 6 to 10 digits: an HS 2022 subheading with up to 4 national digits")
		}
	} else {
		it.ClassificationID = hs.Code + ext
	}

	it.OriginCountryCode = strings.ToUpper(strings.TrimSpace(it.OriginCountryCode))
	if it.OriginCountryCode == "" {
		f.Add(path+"origin_country_code", "required: ISO 3166 country of origin")
	} else if cty, ok := d.Country(it.OriginCountryCode); ok {
		it.OriginCountryCode = cty.Alpha2
	} else {
		f.Addf(path+"origin_country_code", "unknown ISO 3166 country %q", it.OriginCountryCode)
	}

	if it.TariffQuantity <= 0 || it.TariffQuantity > maxQuantity {
		f.Add(path+"tariff_quantity", "must be a positive whole number")
	}
	it.TariffQuantityUnitCode = strings.ToUpper(strings.TrimSpace(it.TariffQuantityUnitCode))
	if _, ok := LookupUnit(it.TariffQuantityUnitCode); !ok {
		codes := make([]string, len(Units))
		for k, u := range Units {
			codes[k] = u.Code
		}
		f.Add(path+"tariff_quantity_unit_code", "must be a UN/ECE Rec 20 code: "+strings.Join(codes, " "))
	}

	netOK := true
	switch {
	case it.NetNetWeightMeasure <= 0:
		f.Add(path+"net_net_weight_measure", "must be a positive mass in grams")
		netOK = false
	case it.NetNetWeightMeasure > maxMassGrams:
		f.Add(path+"net_net_weight_measure", "too large")
		netOK = false
	}
	switch {
	case it.GrossMassMeasure <= 0:
		f.Add(path+"gross_mass_measure", "must be a positive mass in grams")
	case it.GrossMassMeasure > maxMassGrams:
		f.Add(path+"gross_mass_measure", "too large")
	case netOK && it.GrossMassMeasure < it.NetNetWeightMeasure:
		f.Add(path+"gross_mass_measure", "must not be less than the net mass")
	}

	it.CustomsValueCurrencyID = strings.ToUpper(strings.TrimSpace(it.CustomsValueCurrencyID))
	if _, ok := d.MoneyExponent(it.CustomsValueCurrencyID); !ok {
		f.Addf(path+"customs_value_currency_id", "unknown ISO 4217 currency %q", it.CustomsValueCurrencyID)
	}
	if it.CustomsValueAmount <= 0 || it.CustomsValueAmount > maxValueMinor {
		f.Add(path+"customs_value_amount", "must be a positive amount in the currency's minor units")
	}
}

// text trims s and checks it is printable UTF-8 no longer than max runes.
func text(f problem.Fields, field, s string, max int, required bool) string {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		if required {
			f.Add(field, "required")
		}
	case !utf8.ValidString(s):
		f.Add(field, "must be valid UTF-8")
	case utf8.RuneCountInString(s) > max:
		f.Addf(field, "at most %d characters", max)
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		f.Add(field, "must not contain control characters")
	}
	return s
}

// missingCertificates lists the certificates quarantine requires that are
// not attached, as a field message.
func missingCertificates(sps SPSState, docs []Document) string {
	var missing []string
	for _, k := range sps.Certificates {
		if !slices.ContainsFunc(docs, func(d Document) bool { return d.Kind == k }) {
			var items []string
			for _, it := range sps.Items {
				if it.Certificate == k {
					items = append(items, fmt.Sprintf("%d (%s)", it.SequenceNumeric, it.Description))
				}
			}
			missing = append(missing, fmt.Sprintf("a %s for goods item %s", strings.ReplaceAll(string(k), "_", " "), strings.Join(items, ", ")))
		}
	}
	if len(missing) == 0 {
		return ""
	}
	return "attach " + strings.Join(missing, "; ")
}
