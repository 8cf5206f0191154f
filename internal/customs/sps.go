package customs

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"slices"
)

// Inspect says when quarantine inspects goods under an SPS rule.
type Inspect string

// Inspection policies. InspectRisk inspects a deterministic sample of
// declarations at the rule's rate; InspectSelected marks an item that the
// sample picked.
const (
	InspectNever    Inspect = "never"
	InspectRisk     Inspect = "risk"
	InspectAlways   Inspect = "always"
	InspectSelected Inspect = "selected"
)

// SPSRule puts goods under sanitary or phytosanitary control by
// classification prefix (chapter or heading; longest prefix wins).
type SPSRule struct {
	Prefix      string       `json:"prefix"`
	Description string       `json:"description"`
	Certificate DocumentKind `json:"certificate"` // DocPhytosanitary or DocVeterinary
	Inspection  Inspect      `json:"inspection"`
	// RateBps is the share of declarations inspected under InspectRisk.
	RateBps int64 `json:"rate_bps,omitempty"`
}

// DemoSPSRules follow the usual split of EAEU practice: animal products need
// a veterinary certificate, plant products a phytosanitary one. Live animals
// and meat are inspected every time because a missed disease costs a herd;
// everything else is sampled, more often where pests travel easily (live
// plants, seeds, fish).
var DemoSPSRules = []SPSRule{
	{"01", "Live animals", DocVeterinary, InspectAlways, 0},
	{"02", "Meat and edible offal", DocVeterinary, InspectAlways, 0},
	{"03", "Fish and crustaceans", DocVeterinary, InspectRisk, 2000},
	{"04", "Dairy produce, eggs, honey", DocVeterinary, InspectRisk, 1000},
	{"05", "Other products of animal origin", DocVeterinary, InspectRisk, 1000},
	{"06", "Live trees and other plants", DocPhytosanitary, InspectRisk, 3000},
	{"07", "Vegetables", DocPhytosanitary, InspectRisk, 1000},
	{"08", "Fruit and nuts", DocPhytosanitary, InspectRisk, 1000},
	{"09", "Coffee, tea, maté and spices", DocPhytosanitary, InspectRisk, 500},
	{"10", "Cereals", DocPhytosanitary, InspectRisk, 1000},
	{"11", "Products of the milling industry", DocPhytosanitary, InspectRisk, 500},
	{"12", "Oil seeds, grains, seeds for sowing, fodder", DocPhytosanitary, InspectRisk, 2000},
	{"14", "Vegetable plaiting materials", DocPhytosanitary, InspectRisk, 500},
	{"16", "Preparations of meat or fish", DocVeterinary, InspectRisk, 1000},
	{"2301", "Flours and meals of meat or fish", DocVeterinary, InspectRisk, 1000},
	{"2302", "Bran and other residues of cereals", DocPhytosanitary, InspectRisk, 500},
	{"2304", "Oil-cake of soya beans", DocPhytosanitary, InspectRisk, 500},
	{"2306", "Oil-cake of other seeds", DocPhytosanitary, InspectRisk, 500},
	{"2309", "Animal feed preparations", DocVeterinary, InspectRisk, 1000},
	{"4101", "Raw hides of bovine animals", DocVeterinary, InspectRisk, 1000},
	{"4102", "Raw skins of sheep", DocVeterinary, InspectRisk, 1000},
	{"4103", "Other raw hides and skins", DocVeterinary, InspectRisk, 1000},
	{"44", "Wood and articles of wood", DocPhytosanitary, InspectRisk, 1000},
	{"5101", "Wool, not carded or combed", DocVeterinary, InspectRisk, 500},
	{"5201", "Cotton, not carded or combed", DocPhytosanitary, InspectRisk, 500},
}

// SPSTable is a parsed set of SPS rules.
type SPSTable struct {
	rules map[string]SPSRule
}

// NewSPSTable checks and indexes rules; a nil or empty slice gives a table
// under which nothing needs quarantine.
func NewSPSTable(rules []SPSRule) (*SPSTable, error) {
	t := &SPSTable{rules: make(map[string]SPSRule, len(rules))}
	for i, r := range rules {
		switch {
		case !validPrefix(r.Prefix):
			return nil, fmt.Errorf("customs: SPS rule %d: prefix %q must be 2 to 10 digits", i, r.Prefix)
		case r.Certificate != DocPhytosanitary && r.Certificate != DocVeterinary:
			return nil, fmt.Errorf("customs: SPS rule %s: certificate must be %s or %s", r.Prefix, DocPhytosanitary, DocVeterinary)
		case r.Inspection != InspectNever && r.Inspection != InspectRisk && r.Inspection != InspectAlways:
			return nil, fmt.Errorf("customs: SPS rule %s: inspection must be never, risk or always", r.Prefix)
		case r.RateBps < 0 || r.RateBps > 10_000:
			return nil, fmt.Errorf("customs: SPS rule %s: rate_bps must be 0..10000", r.Prefix)
		}
		if _, dup := t.rules[r.Prefix]; dup {
			return nil, fmt.Errorf("customs: SPS rule %s listed twice", r.Prefix)
		}
		t.rules[r.Prefix] = r
	}
	return t, nil
}

// Lookup finds the rule covering a classification code, by longest prefix.
func (t *SPSTable) Lookup(code string) (SPSRule, bool) {
	if t == nil {
		return SPSRule{}, false
	}
	for n := min(len(code), 10); n >= 2; n-- {
		if r, ok := t.rules[code[:n]]; ok {
			return r, true
		}
	}
	return SPSRule{}, false
}

// Evaluate decides what quarantine requires of a declaration's goods: which
// certificates must be attached and whether the goods are inspected. A
// risk-based inspection is drawn once per declaration from a hash of its id
// (and salt), at the highest rate among its items, so the same declaration
// always gets the same answer and tests are reproducible.
func (t *SPSTable) Evaluate(declID, salt string, items []Item) SPSState {
	var st SPSState
	var maxRate int64
	for _, it := range items {
		r, ok := t.Lookup(it.ClassificationID)
		if !ok {
			continue
		}
		st.Required = true
		if !slices.Contains(st.Certificates, r.Certificate) {
			st.Certificates = append(st.Certificates, r.Certificate)
		}
		st.Items = append(st.Items, SPSItem{SequenceNumeric: it.SequenceNumeric, RulePrefix: r.Prefix,
			Description: r.Description, Certificate: r.Certificate, Inspection: r.Inspection})
		switch r.Inspection {
		case InspectAlways:
			st.InspectionRequired = true
		case InspectRisk:
			maxRate = max(maxRate, r.RateBps)
		}
	}
	if !st.Required {
		st.Status = SPSNotRequired
		return st
	}
	slices.Sort(st.Certificates)
	if !st.InspectionRequired && maxRate > 0 && draw(salt, "sps", declID) < uint64(maxRate) {
		st.InspectionRequired = true
		for i := range st.Items {
			if st.Items[i].Inspection == InspectRisk {
				st.Items[i].Inspection = InspectSelected
			}
		}
	}
	st.Status = SPSCleared
	if st.InspectionRequired {
		st.Status = SPSAwaitingInspection
	}
	return st
}

// draw maps (salt, purpose, id) to 0..9999, uniformly and reproducibly. The
// salt is a deployment secret: without it a trader could create drafts until
// one's id drew green.
func draw(salt, purpose, id string) uint64 {
	h := sha256.New()
	h.Write([]byte(salt))
	h.Write([]byte{0})
	h.Write([]byte(purpose))
	h.Write([]byte{0})
	h.Write([]byte(id))
	var sum [sha256.Size]byte
	return binary.BigEndian.Uint64(h.Sum(sum[:0])) % 10_000
}
