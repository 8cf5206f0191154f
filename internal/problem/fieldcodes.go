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
	{"decimals_n", "at most %d decimal places allowed"},
	{"decimals_none", "no decimal places allowed (whole units only)"},
}

type fieldPattern struct {
	code string
	re   *regexp.Regexp
}

var fieldPatterns = func() []fieldPattern {
	out := make([]fieldPattern, len(fieldFormats))
	verb := regexp.MustCompile(`%[dsqc]`)
	for i, f := range fieldFormats {
		parts := verb.Split(f.format, -1)
		for j := range parts {
			parts[j] = regexp.QuoteMeta(parts[j])
		}
		out[i] = fieldPattern{f.code, regexp.MustCompile(`^` + strings.Join(parts, `(.+?)`) + `$`)}
	}
	return out
}()

// FieldCode returns the code of a field message and the values it quotes
// (with %q's quotes removed), or ok false for a message with no code.
func FieldCode(msg string) (code string, args []string, ok bool) {
	for _, p := range fieldPatterns {
		if m := p.re.FindStringSubmatch(msg); m != nil {
			args = m[1:]
			for i, a := range args {
				if len(a) >= 2 && a[0] == '"' && a[len(a)-1] == '"' {
					args[i] = a[1 : len(a)-1]
				}
			}
			return p.code, args, true
		}
	}
	return "", nil, false
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
