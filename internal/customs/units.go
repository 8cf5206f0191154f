package customs

// Unit is a UN/ECE Recommendation 20 unit of measure that a tariff quantity
// may be declared in.
type Unit struct {
	Code  string `json:"code"`
	Name  string `json:"name"`
	Count bool   `json:"count"` // counts articles, so a per-unit duty can apply to it
}

// Units is the small subset of Recommendation 20 that the goods traded
// through the town use. The full list has over 2 000 codes, most of them
// for physics; a short list keeps typing errors from passing as units.
var Units = []Unit{
	{"KGM", "kilogram", false},
	{"GRM", "gram", false},
	{"TNE", "tonne (metric ton)", false},
	{"LTR", "litre", false},
	{"MTQ", "cubic metre", false},
	{"MTK", "square metre", false},
	{"MTR", "metre", false},
	{"KWH", "kilowatt hour", false},
	{"NAR", "number of articles", true},
	{"H87", "piece", true},
	{"C62", "one", true},
	{"PR", "pair", true},
	{"NPR", "number of pairs", true},
	{"SET", "set", true},
	{"DZN", "dozen", true},
}

var unitIdx = func() map[string]int {
	m := make(map[string]int, len(Units))
	for i, u := range Units {
		m[u.Code] = i
	}
	return m
}()

// LookupUnit finds a unit by its code.
func LookupUnit(code string) (Unit, bool) {
	i, ok := unitIdx[code]
	if !ok {
		return Unit{}, false
	}
	return Units[i], true
}
