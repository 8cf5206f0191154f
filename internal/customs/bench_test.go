package customs

import (
	"fmt"
	"testing"

	"bricstown/internal/refdata"
)

// BenchmarkAssess measures the pure work customs does on one declaration
// at lodgement: validation against the reference data, tariff, SPS and the
// risk engine. The target is ≥ 5 000 declarations per second end to end
// with storage, so this part should stay around 20 µs or less.
func BenchmarkAssess(b *testing.B) {
	r, err := DemoRules(refdata.Default())
	if err != nil {
		b.Fatal(err)
	}
	docs := []Document{{Kind: DocCommercialInvoice}, {Kind: DocVeterinary}}
	rates := rateFunc(nil)
	for _, n := range []int{1, 5, 50} {
		base := smartphones()
		for len(base.Items) < n {
			it := beef().Items[0]
			if len(base.Items)%2 == 0 {
				it = smartphones().Items[0]
			}
			base.Items = append(base.Items, it)
		}
		b.Run(fmt.Sprintf("items=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				c := cloneContent(base)
				if err := r.Validate(&c, t0); err != nil {
					b.Fatal(err)
				}
				i++
				if _, err := r.Evaluate(fmt.Sprint(i), &c, docs, TraderProfile{}, t0, rates); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDecodeValidate is the request path before any rule: JSON to
// validated content.
func BenchmarkDecodeValidate(b *testing.B) {
	r, err := DemoRules(refdata.Default())
	if err != nil {
		b.Fatal(err)
	}
	body := []byte(`{"procedure":"import","exporter":{"name":"Shenzhen Smart Devices","country_code":"CN"},
	"importer":{"name":"Kazakh Electronics","country_code":"KZ"},"declarant":{"country_code":"KZ"},
	"trade_terms_condition_code":"CPT","transport":{"mode_code":"road","border_post":"KZHOR","transport_equipment_ids":["CSQU3054383"]},
	"goods_items":[{"description":"Smartphones","classification_id":"851713","origin_country_code":"CN","tariff_quantity":1000,
	"tariff_quantity_unit_code":"NAR","net_net_weight_measure":200000,"gross_mass_measure":260000,
	"customs_value_amount":15000000,"customs_value_currency_id":"USD"}]}`)
	b.ReportAllocs()
	for b.Loop() {
		c, err := DecodeContent(body)
		if err != nil {
			b.Fatal(err)
		}
		if err := r.Validate(&c, t0); err != nil {
			b.Fatal(err)
		}
	}
}
