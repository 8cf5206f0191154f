package customs

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"bricstown/internal/problem"
)

func TestDecodeContent(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		code       problem.Code
		field      string
	}{
		{"unknown field", `{"procedure":"import","hs_code":"851713"}`, problem.Malformed, "hs_code"},
		{"wrong type", `{"goods_items":[{"tariff_quantity":"many"}]}`, problem.Malformed, "goods_items.tariff_quantity"},
		{"fraction", `{"goods_items":[{"net_net_weight_measure":1.5}]}`, problem.Malformed, "goods_items.net_net_weight_measure"},
		{"bad time", `{"arrival_expected_at":"next Tuesday"}`, problem.Malformed, "arrival_expected_at"},
		{"trailing", `{"procedure":"import"} {"procedure":"export"}`, problem.Malformed, ""},
		{"syntax", `{"procedure":`, problem.Malformed, ""},
		{"empty", ``, problem.Malformed, ""},
		{"too large", `{"functional_reference_id":"` + strings.Repeat("x", MaxContentBytes) + `"}`, problem.TooLarge, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeContent([]byte(tc.body))
			mustCode(t, err, tc.code)
			if tc.field != "" && fieldsOf(err)[tc.field] == "" {
				t.Fatalf("no message for %s: %v", tc.field, err)
			}
		})
	}
	// What the service stores reads back as it was.
	want := smartphones()
	b, _ := json.Marshal(want)
	got, err := DecodeContent(b)
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("round trip: %v\n%+v\n%+v", err, got, want)
	}
	for _, name := range []string{`"classification_id"`, `"net_net_weight_measure"`, `"gross_mass_measure"`, `"customs_value_currency_id"`,
		`"trade_terms_condition_code"`, `"transport_equipment_ids"`, `"border_transport_means_id"`, `"goods_items"`, `"functional_reference_id"`} {
		if !strings.Contains(string(b), name) {
			t.Errorf("JSON lacks the WCO name %s", name)
		}
	}
}

// One rule decides an upload's media type for the API and the pages.
func TestDocumentMediaType(t *testing.T) {
	for _, c := range []struct {
		declared string
		content  string
		want     string
	}{
		{"application/pdf", "%PDF-1.7", "application/pdf"},
		{"Application/PDF; charset=binary", "anything", "application/pdf"},
		{"application/octet-stream", "%PDF-1.7", "application/pdf"},
		{"", "\x89PNG\r\n\x1a\nxxxx", "image/png"},
		{"", "\xEF\xBB\xBF  <?xml version=\"1.0\"?><Certificate/>", "application/xml"},
		{"", "<Certificate><No>1</No></Certificate>", "application/xml"},
		{"", "<!DOCTYPE html><html><body>saved page</body></html>", "application/octet-stream"},
		{"text/html", "<html><body>x</body></html>", "text/html"}, // refused by the service by name
		{"", "plain words", "application/octet-stream"},
	} {
		if got := DocumentMediaType(c.declared, []byte(c.content)); got != c.want {
			t.Errorf("DocumentMediaType(%q, %q) = %q, want %q", c.declared, c.content, got, c.want)
		}
	}
}
