package customs

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// maxDiffValue bounds how much of a changed value the summary quotes.
const maxDiffValue = 120

// Diff lists the fields that differ between two contents by their JSON
// paths ("goods_items[1].customs_value_amount"), so that an amendment's
// history reads in the same words as the declaration and its errors.
func Diff(before, after *Content) []FieldChange {
	a, b := generic(before), generic(after)
	var out []FieldChange
	diffValue("", a, b, &out)
	return out
}

// generic is v as maps, slices and json.Number (not float64, which would
// round large amounts).
func generic(v *Content) any {
	j, _ := json.Marshal(v)
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.UseNumber()
	var out any
	_ = dec.Decode(&out)
	return out
}

func diffValue(path string, a, b any, out *[]FieldChange) {
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if aok && bok {
		keys := make([]string, 0, len(am)+len(bm))
		for k := range am {
			keys = append(keys, k)
		}
		for k := range bm {
			if _, ok := am[k]; !ok {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			p := k
			if path != "" {
				p = path + "." + k
			}
			diffValue(p, am[k], bm[k], out)
		}
		return
	}
	as, aok := a.([]any)
	bs, bok := b.([]any)
	if aok && bok {
		for i := 0; i < max(len(as), len(bs)); i++ {
			var x, y any
			if i < len(as) {
				x = as[i]
			}
			if i < len(bs) {
				y = bs[i]
			}
			diffValue(path+"["+strconv.Itoa(i)+"]", x, y, out)
		}
		return
	}
	sa, sb := render(a), render(b)
	if sa != sb {
		*out = append(*out, FieldChange{Field: path, Before: sa, After: sb})
	}
}

func render(v any) string {
	if v == nil {
		return ""
	}
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case json.Number:
		s = x.String()
	default:
		j, _ := json.Marshal(v)
		s = string(j)
	}
	if r := []rune(s); len(r) > maxDiffValue {
		s = string(r[:maxDiffValue]) + "…"
	}
	return s
}

// summarize turns a diff into one line for lists and the audit log.
func summarize(changes []FieldChange) string {
	if len(changes) == 0 {
		return "no changes"
	}
	parts := make([]string, 0, min(len(changes), 5))
	for i, c := range changes {
		if i == 5 {
			parts = append(parts, fmt.Sprintf("and %d more", len(changes)-5))
			break
		}
		switch {
		case c.Before == "":
			parts = append(parts, fmt.Sprintf("%s added: %s", c.Field, c.After))
		case c.After == "":
			parts = append(parts, fmt.Sprintf("%s removed (was %s)", c.Field, c.Before))
		default:
			parts = append(parts, fmt.Sprintf("%s: %s → %s", c.Field, c.Before, c.After))
		}
	}
	return strings.Join(parts, "; ")
}
