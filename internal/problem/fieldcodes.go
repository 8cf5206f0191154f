package problem

import (
	"regexp"
	"strings"
)

// Field messages stay plain English strings in Error.Fields (that is the
// API's shape and what logs show), but the common ones are also known by a
// code here, with the values they quote as arguments, so that a page (or a
// client) can say them in its own language: FieldCode("at most 500
// characters") is ("too_long_n", ["500"]). The server adds the codes to a
// problem response as "field_codes"; the UI renders "field.msg.CODE" from
// its catalogues. A message not listed keeps only its English text.
//
// Each entry is the message's exact format as the services write it; %d,
// %s, %q and %c stand for one argument each.
var fieldFormats = []struct{ code, format string }{
	{"required", "required"},
	{"too_long_n", "at most %d characters"},
	{"too_long", "too long"},
	{"too_large", "too large"},
	{"utf8", "must be valid UTF-8"},
	{"control_chars", "must not contain control characters"},
	{"positive_whole", "must be a positive whole number"},
	{"positive_grams", "must be a positive mass in grams"},
	{"positive_minor", "must be a positive amount in the currency's minor units"},
	{"positive", "must be greater than zero"},
	{"money_currency", "must be an ISO 4217 currency that holds money"},
	{"not_datetime", "not a date and time"},
	{"unknown_country", "unknown ISO 3166 country %q"},
	{"unknown_currency", "unknown ISO 4217 currency %q"},
	{"unknown_locode", "unknown UN/LOCODE %q"},
	{"required_country", "required: ISO 3166 country code"},
	{"required_origin", "required: ISO 3166 country of origin"},
	{"required_procedure", "required: import, export or transit"},
	{"procedure", "must be import, export or transit"},
	{"required_incoterm", "required: an Incoterm 2020 code such as FCA or CIF"},
	{"required_border_post", "required: the UN/LOCODE of the border post, e.g. KZHOR"},
	{"required_hs", "required: an HS 2022 subheading (6 digits) with up to 4 national digits"},
	{"hs_format", "must be 6 to 10 digits: an HS 2022 subheading with up to 4 national digits"},
	{"no_tariff_line", "no tariff line covers %s"},
	{"per_unit", "tariff line %s charges per unit: declare the quantity in articles (NAR)"},
	{"gross_lt_net", "must not be less than the net mass"},
	{"transport_mode", "must be road, rail, air, sea or multimodal"},
	{"post_traffic", "%s (%s) handles %s, not %s traffic"},
	{"lane", "must be green, yellow, red or blue"},
	{"inspection_result", "must be pass or fail"},
	{"lab_required", "must be pending, pass or fail when samples were taken"},
	{"lab_empty", "leave empty when no samples were taken"},
	{"document_kind", "must be one of commercial_invoice, packing_list, certificate_of_origin, phytosanitary_certificate, veterinary_certificate, other"},
	{"media_type", "must be application/pdf, image/png, image/jpeg or application/xml"},
	// Product images of the marketplace (internal/market, images.go).
	{"image_empty", "the image is empty"},
	{"image_too_large", "the image is larger than 2 MiB"},
	{"image_type", "must be a JPEG, PNG or WebP image"},
	{"image_broken", "the image cannot be read"},
	{"image_side", "at most %d×%d pixels"},
	{"max_images", "at most %d images per product"},
	{"content_not", "the content is not %s"},
	{"filename_path", "must be a file name without a path"},
	{"document_empty", "the document is empty"},
	{"document_too_large", "the document is larger than 10 MiB"},
	{"no_items", "declare at least one goods item"},
	{"max_items", "at most %d goods items per declaration"},
	{"max_containers", "at most %d containers"},
	{"container_twice", "container listed twice"},
	{"container_format", "an ISO 6346 container number has 4 letters and 7 digits, e.g. CSQU3054383"},
	{"container_check", "check digit is wrong: %s should end in %c"},
	{"eaeu_exporter", "the exporter of an export must be established in the EAEU"},
	{"eaeu_importer", "the importer of an import must be established in the EAEU"},
	{"own_org_declarant", "you can declare only for your own organisation; leave it empty"},
	{"prelodge_window", "pre-lodgement is possible up to 90 days before arrival"},
	{"sps_held", "quarantine holds the goods"},
	{"sps_inspection", "the goods await an SPS inspection"},
	{"sps_lab", "the goods await SPS laboratory results"},
	{"unpaid", "duties of %s KZT are neither paid nor guaranteed"},
	{"duty_too_large", "duty is too large to compute"},
	// Issue 10: the field messages the pages still showed in English.
	{"already_registered", "already registered"},
	{"bad_cursor", "not a cursor from this listing"},
	{"true_false", "must be true or false"},
	{"no_such_org", "no such organisation"},
	{"account_id", "must be an account id"},
	{"kzt_account", "must be a KZT account"},
	{"kzt_own_account", "must be the id of one of your KZT accounts"},
	{"no_such_account", "no such account"},
	{"account_closed", "the account is closed"},
	{"not_enough_funds", "not enough funds"},
	{"expired", "expired"},
	{"released", "released"},
	{"choose_file", "choose a file"},
	{"upload_unreadable", "the upload could not be read"},
	{"after_from", "must be after from"},
	{"is_required", "is required"},
	{"max_64", "must be at most 64 characters"},
	{"number_reused", "the same number is used by %s"},
	{"own_creditor", "must be your own organisation: invoices are entered by their creditor"},
	{"other_debtor", "must be another organisation than the creditor"},
	{"not_residents", "must be an organisation, not the residents' community"},
	{"currency_code", "must be an ISO 4217 code of a currency that holds money, e.g. KZT"},
	{"currency_code_plain", "must be an ISO 4217 code of a currency that holds money"},
	{"not_money", "not a currency that holds money"},
	{"at_most_amount", "must be at most %s"},
	{"date_format", "must be a date written YYYY-MM-DD"},
	{"not_future", "must not be in the future"},
	{"year_2000", "must be in the year 2000 or later"},
	{"due_required", "is required (YYYY-MM-DD)"},
	{"due_before_issue", "must not be before the issue date"},
	{"due_ten_years", "must be within ten years of the issue date"},
	{"org_id_unknown", "no organisation has this id"},
	{"reg_id_unknown", "no organisation is registered under this number"},
	{"reg_ambiguous", "this registration number is registered in %d countries; prefix the country code, e.g. %s:%s"},
	{"party_required", "is required: an organisation id or registration number"},
	{"party_too_long", "is too long for an organisation id or registration number"},
	{"invoice_status", "must be open, partly_cleared or cleared"},
	{"invoice_side", "must be receivable or payable"},
	{"principal_declarant", "must be a declarant, not the bank or customs"},
	{"no_guarantee", "no guarantee with this id was issued to your organisation"},
	{"provider_id", "name the provider's org id"},
	{"too_small_delivery", "too small: after fees and rounding nothing would be delivered"},
	{"not_negative", "must not be negative"},
	{"one_of", "must be one of %s"},
	{"chars_1_200", "must be 1 to 200 characters"},
	{"role_required", "at least one role is required"},
	{"unknown_role", "unknown role %q"},
	{"own_org_accounts", "you can open accounts only for your own organisation"},
	{"one_amount", "give exactly one of sell_amount and buy_amount"},
	{"date_or_time", "must be a date YYYY-MM-DD or an RFC 3339 time, e.g. 2026-03-14T09:00:00Z"},
	// Logistics (internal/logistics).
	{"must_be_future", "must be in the future"},
	{"after_depart", "must be after depart_at"},
	{"after_ready", "must be after ready_at"},
	{"logistics_mode", "must be rail, road, sea or air"},
	{"border_post_country", "must be a border post in the country of departure or arrival"},
	{"no_border", "leave empty: the leg does not cross a border"},
	{"own_declaration", "must be one of your organisation's declarations"},
	{"same_node", "must differ from the origin"},
	{"handling", "a departure does not take this shipment's handling"},
	{"already_booked", "the shipment already has a booking"},
	{"departed", "a departure has already left"},
	{"departure_changed", "the departure changed meanwhile"},
	{"no_departure", "no such departure"},
	{"max_departures", "at most %d departures"},
	{"capacity_left", "not enough capacity left on departure %s"},
	{"below_booked", "must not be below the %d already booked"},
	{"network_currency", "departures are priced in %s"},
	{"event_order", "out of order: expected %s"},
	{"event_kind", "must be departed, at_border, customs_hold, customs_released, border_crossed, arrived or delivered"},
	{"event_before", "must not be before the previous event"},
	{"booking_departure", "must be a departure of the shipment's booking"},
	{"customs_hold", "the declaration is held by customs (%s)"},
	{"no_route", "no route can carry the shipment: %s"},
	{"infeasible_route", "not a feasible route: %s"},
	{"decimals_n", "at most %d decimal places allowed"},
	{"decimals_none", "no decimal places allowed (whole units only)"},
	{"no_reference_rate_on", "no official reference rate for %s in %s on or before %s"},
	// The booking engine (internal/booking).
	{"slot_full", "full"},
	{"slot_in_past", "is in the past"},
	{"slot_notice", "needs at least %d minutes' notice"},
	{"slot_horizon", "at most %d days ahead"},
	{"slot_closed", "the resource is closed then"},
	{"slot_off_grid", "not the start of an open slot"},
	{"slot_places_free", "places are free"},
	{"booking_key", "must be a UUID the client chose for this booking"},
	{"key_used", "already used for another booking"},
	{"funds_account", "must be a funds account that cannot go below zero"},
	{"whole_from_to", "must be a whole number from %d to %d"},
	{"iana_zone", "must be an IANA time zone such as Asia/Almaty"},
	{"resource_kind", "must be room, hall, office, doctor, course or venue"},
	{"signal_limit", "signal limit reached"},
	{"closes_after", "must close after it opens"},
	{"hhmm", "from and to must be times HH:MM"},
	{"weekday", "day must be 0 (Sunday) to 6 (Saturday)"},
	{"shorter_slot", "shorter than one slot"},
	{"at_most_spans", "at most %d spans"},
	{"rfc3339", "must be a date and time (RFC 3339)"},
	{"no_such_resource", "no such resource"},
	// Agreement signing (internal/deal).
	{"deal_doc_once", "give the document once: as a file or as text"},
	{"deal_base64", "must be standard base64"},
	{"deal_doc_too_large", "the document is larger than 2 MiB"},
	{"deal_other_party", "name at least one other organisation"},
	{"deal_parties", "must be registered organisations"},
	{"deal_max_parties", "at most %d parties"},
	{"deal_own_key", "must be a signing key of your organisation"},
	{"deal_bad_signature", "does not verify: not this document's SHA-256 signed with this key"},
	{"deal_public_key", "must be an Ed25519 public key: base64 of 32 bytes or PEM"},
	{"deal_digest", "give the document or its SHA-256 (64 hex digits)"},
	// The art zone (internal/festival).
	{"fest_kind", "must be music, dance, drama or exhibition"},
	{"fest_language", "must be one of en, ru, zh, kk, pt"},
	{"fest_end_after", "must end after it starts"},
	{"fest_same_day", "must end on the day it starts (local time)"},
	{"fest_whole_minute", "must be a whole minute"},
	{"fest_named_twice", "named twice"},
	{"fest_max_categories", "at most %d categories"},
	{"fest_no_category", "no such category"},
	{"fest_no_performance", "no such performance"},
	{"fest_no_wallet", "you have no KZT wallet"},
	{"fest_no_ticket", "no such ticket"},
	{"fest_ticket_cancelled", "the ticket is cancelled"},
	{"fest_performance_over", "the performance is over"},
	{"fest_performance_cancelled", "the performance is cancelled"},
	{"booking_managed", "booked through its own service"},
	{"booking_withdrawn", "withdrawn"},
	// Buying on the marketplace (internal/order).
	{"order_moq_over_quantity", "must not exceed the requested quantity of %d"},
	{"order_below_moq", "below the minimum order quantity of %d"},
	{"order_rfq_closed", "no longer takes quotes"},
	{"order_quote_expired", "the quote has expired"},
	{"order_own_account", "must be the id of one of your accounts"},
	{"order_currency", "must be an account in %s, the order's currency"},
	{"order_no_conversion", "no conversion to %s available"},
	{"order_other_product", "must be another company's product"},
	{"order_incoterm_offered", "must be one the seller offers: %s"},
	{"order_incoterm", "must be an Incoterms 2020 rule: %s"},
	{"order_hs6", "must be an HS 2022 subheading (6 digits)"},
	{"order_ruling", "must be buyer or seller"},
	{"order_reviewed", "already reviewed"},
	{"order_window_open", "dispute window open"},
	{"order_window_ended", "dispute window ended"},
	{"order_changed", "changed meanwhile"},
	// Buyer groups of the catalogue (internal/market, groups.go).
	{"grp_buyer_or_group", "name either a buyer or a buyer group, not both"},
	{"grp_required", "required: a buyer or a buyer group"},
	{"grp_no_such", "no such buyer group"},
	{"grp_member", "already in the group"},
	{"grp_name_taken", "you have a buyer group of that name"},
	{"grp_max", "at most %d buyer groups"},
	{"grp_max_members", "at most %d members per group"},
	{"grp_overlap", "overlaps another contract price for this buyer group"},
	{"grp_one_line", "must be one line"},
	// The education zone (internal/education).
	{"edu_language", "must be an ISO 639-1 language code such as ru or zh"},
	{"edu_end_before_start", "must not be before the start date"},
	{"edu_days_after_start", "at most %d days after the start"},
	{"edu_max_languages", "at most %d languages"},
	{"edu_max_partners", "at most %d partners"},
	{"edu_no_partner", "no such partner university"},
	{"edu_no_course", "no such course"},
	{"edu_no_programme", "no such programme"},
	{"edu_no_certificate", "no such certificate"},
	{"edu_institution", "must be an education provider on the platform"},
	{"edu_same_institution", "must differ from the home institution"},
	{"edu_term", "must be a term such as 2027-autumn or 2028-spring within three years"},
	{"edu_enrolled", "already enrolled"},
	{"edu_not_completed", "the enrolment is not completed"},
}

type fieldPattern struct {
	code string
	re   *regexp.Regexp
	// literal is how many characters of the format are not verbs: when
	// two formats match a message the more literal one is meant ("must be
	// one of your organisation's declarations" is not "must be one of %s").
	literal int
}

var fieldPatterns = func() []fieldPattern {
	out := make([]fieldPattern, len(fieldFormats))
	verb := regexp.MustCompile(`%[dsqc]`)
	for i, f := range fieldFormats {
		parts := verb.Split(f.format, -1)
		for j := range parts {
			parts[j] = regexp.QuoteMeta(parts[j])
		}
		out[i] = fieldPattern{f.code, regexp.MustCompile(`^` + strings.Join(parts, `(.+?)`) + `$`), len(verb.ReplaceAllString(f.format, ""))}
	}
	return out
}()

// FieldCode returns the code of a field message and the values it quotes
// (with %q's quotes removed), or ok false for a message with no code. Of
// several matching formats the one with the most literal text wins, so the
// order of fieldFormats does not decide.
func FieldCode(msg string) (code string, args []string, ok bool) {
	best := -1
	for _, p := range fieldPatterns {
		if p.literal <= best {
			continue
		}
		if m := p.re.FindStringSubmatch(msg); m != nil {
			code, args, ok, best = p.code, m[1:], true, p.literal
		}
	}
	for i, a := range args {
		if len(a) >= 2 && a[0] == '"' && a[len(a)-1] == '"' {
			args[i] = a[1 : len(a)-1]
		}
	}
	return code, args, ok
}

// FieldCodes lists every field message code, for catalogue tests.
func FieldCodes() []string {
	out := make([]string, len(fieldFormats))
	for i, f := range fieldFormats {
		out[i] = f.code
	}
	return out
}

// FieldCodesOf returns the codes of e's field messages (field -> code), nil
// when none has one; a response carries them beside the messages.
func FieldCodesOf(e *Error) map[string]string {
	var out map[string]string
	for k, msg := range e.Fields {
		if code, _, ok := FieldCode(msg); ok {
			if out == nil {
				out = make(map[string]string, len(e.Fields))
			}
			out[k] = code
		}
	}
	return out
}
