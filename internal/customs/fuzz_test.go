package customs

import (
	"encoding/json"
	"reflect"
	"testing"

	"bricstown/internal/problem"
	"bricstown/internal/refdata"
)

// FuzzDecodeDeclaration feeds arbitrary bytes to the decoder and the
// validator. Neither may panic; decoding fails only with Malformed or
// TooLarge; and content the validator accepts really is valid: every
// invariant the rest of the package relies on holds, and validating again
// changes nothing.
func FuzzDecodeDeclaration(f *testing.F) {
	for _, c := range []Content{smartphones(), beef()} {
		b, _ := json.Marshal(c)
		f.Add(b)
	}
	for _, s := range []string{
		``, `{}`, `null`, `[]`, `{"procedure":"import"}{}`, `{"goods_items":[{"net_net_weight_measure":-1}]}`,
		`{"goods_items":[{"tariff_quantity":1.5}]}`, `{"unknown":1}`, `{"arrival_expected_at":"tomorrow"}`,
		`{"transport":{"transport_equipment_ids":["CSQU 305438 3"],"border_post":"kz hor","mode_code":"ROAD"}}`,
		`{"procedure":"import","goods_items":[{"classification_id":"0201.30","customs_value_currency_id":"kzt"}]}`,
	} {
		f.Add([]byte(s))
	}
	r, err := DemoRules(refdata.Default())
	if err != nil {
		f.Fatal(err)
	}
	ref := r.Ref
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := DecodeContent(data)
		if err != nil {
			if code := problem.CodeOf(err); code != problem.Malformed && code != problem.TooLarge {
				t.Fatalf("decode error with code %s: %v", code, err)
			}
			return
		}
		if err := r.Validate(&c, t0); err != nil {
			if !problem.Is(err, problem.Invalid) || len(fieldsOf(err)) == 0 {
				t.Fatalf("validation error without fields: %v", err)
			}
			return
		}
		// Accepted implies valid.
		if c.Procedure != Import && c.Procedure != Export && c.Procedure != Transit {
			t.Fatalf("procedure %q", c.Procedure)
		}
		if _, ok := ref.Location(c.Transport.BorderPost); !ok {
			t.Fatalf("border post %q", c.Transport.BorderPost)
		}
		for _, n := range c.Transport.TransportEquipmentIDs {
			if !ValidContainerNumber(n) {
				t.Fatalf("container %q", n)
			}
		}
		if len(c.Items) == 0 || len(c.Items) > MaxItems {
			t.Fatalf("%d items", len(c.Items))
		}
		for i, it := range c.Items {
			if _, ext, err := ref.SplitNationalCode(it.ClassificationID); err != nil || len(ext) > 4 {
				t.Fatalf("item %d: code %q", i, it.ClassificationID)
			}
			if it.NetNetWeightMeasure <= 0 || it.GrossMassMeasure < it.NetNetWeightMeasure || it.TariffQuantity <= 0 || it.CustomsValueAmount <= 0 {
				t.Fatalf("item %d: %+v", i, it)
			}
			if _, ok := ref.MoneyExponent(it.CustomsValueCurrencyID); !ok {
				t.Fatalf("item %d: currency %q", i, it.CustomsValueCurrencyID)
			}
			if _, ok := ref.Country(it.OriginCountryCode); !ok || len(it.OriginCountryCode) != 2 {
				t.Fatalf("item %d: origin %q", i, it.OriginCountryCode)
			}
			if _, ok := LookupUnit(it.TariffQuantityUnitCode); !ok {
				t.Fatalf("item %d: unit %q", i, it.TariffQuantityUnitCode)
			}
			if it.SequenceNumeric != i+1 {
				t.Fatalf("item %d: sequence %d", i, it.SequenceNumeric)
			}
		}
		again := cloneContent(c)
		if err := r.Validate(&again, t0); err != nil || !reflect.DeepEqual(again, c) {
			t.Fatalf("validation is not idempotent: %v", err)
		}
		// Valid content can be assessed (given rates) without panicking, and
		// it survives a JSON round trip.
		if _, err := r.Evaluate("0190a0b0-0000-7000-8000-000000000001", &c, nil, TraderProfile{}, t0, rateFunc(nil)); err != nil &&
			!problem.Is(err, problem.Invalid) {
			t.Fatalf("evaluate: %v", err)
		}
		b, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		back, err := DecodeContent(b)
		if err != nil || !reflect.DeepEqual(back, c) {
			t.Fatalf("round trip: %v", err)
		}
	})
}
