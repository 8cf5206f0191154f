package refdata

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"bricstown/internal/problem"
)

// Function is the set of transport functions UN/LOCODE assigns a location.
// It is a bit set rather than the raw "-23-56--" string so that rules can ask
// "is this a border crossing?" without knowing the string's layout.
type Function uint8

// Transport functions, in the order of the UN/LOCODE function classifier.
const (
	FuncPort           Function = 1 << iota // 1: sea or inland water port
	FuncRail                                // 2: rail terminal
	FuncRoad                                // 3: road terminal
	FuncAirport                             // 4: airport
	FuncPostal                              // 5: postal exchange office
	FuncICD                                 // 6: multimodal functions, inland clearance depots
	FuncFixedTransport                      // 7: fixed transport (pipelines, power lines)
	FuncBorderCrossing                      // B: border crossing
)

var functionNames = [...]string{"port", "rail", "road", "airport", "postal", "icd", "fixed_transport", "border_crossing"}

// parseFunction decodes the classifier string. Each function has a fixed
// character ('1'..'7', 'B'), so the characters are read by value, not
// position; '0' (function not known) and '-' set nothing.
func parseFunction(s string) Function {
	var f Function
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '1' && c <= '7':
			f |= 1 << (c - '1')
		case c == 'B':
			f |= FuncBorderCrossing
		}
	}
	return f
}

// Has reports whether every function in g is present.
func (f Function) Has(g Function) bool { return f&g == g }

// Names lists the functions as stable lower-case words ("rail", "icd"), the
// form used in JSON and logs.
func (f Function) Names() []string {
	out := []string{}
	for i, n := range functionNames {
		if f&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	return out
}

// String gives the names comma-separated ("rail,road"), readable in logs
// and test failures where the bit value would mean nothing.
func (f Function) String() string { return strings.Join(f.Names(), ",") }

// MarshalJSON writes the functions as an array of names, which clients can
// read without knowing the bit layout.
func (f Function) MarshalJSON() ([]byte, error) { return json.Marshal(f.Names()) }

// Location is a UN/LOCODE entry: a port, terminal, border crossing or other
// place that appears on transport and customs documents.
type Location struct {
	Code        string   `json:"code"`    // five characters, country first: "KZHOR"
	Country     string   `json:"country"` // alpha-2
	Name        string   `json:"name"`    // as published, e.g. "Horgos"
	NameASCII   string   `json:"name_ascii"`
	Subdivision string   `json:"subdivision,omitempty"` // ISO 3166-2 suffix where given
	Status      string   `json:"status,omitempty"`      // UN/LOCODE status code, e.g. "AI"
	Functions   Function `json:"functions"`
	// FunctionCode is the classifier as published ("-23-56--"), kept for
	// display next to the decoded Functions.
	FunctionCode string  `json:"function_code"`
	IATA         string  `json:"iata,omitempty"`
	HasCoords    bool    `json:"has_coords"` // false when the source has none or they are invalid
	Lat          float64 `json:"lat"`
	Lon          float64 `json:"lon"`
}

func (d *Data) loadLocations() error {
	d.locations = make([]Location, 0, 13000)
	d.locIdx = make(map[string]int32, 13000)
	d.locNames = make([][]string, 0, 13000)
	err := eachRow("locodes.tsv", locodesTSV,
		[]string{"locode", "name", "name_ascii", "subdivision", "status", "function", "iata", "lat", "lon"},
		func(f []string) error {
			code := f[0]
			if !validLocode(code) || f[1] == "" {
				return fmt.Errorf("bad location row %q", f)
			}
			if n := len(d.locations); n > 0 && d.locations[n-1].Code >= code {
				return fmt.Errorf("%s: codes not sorted or repeated", code)
			}
			if _, ok := d.countryIdx[code[:2]]; !ok {
				return fmt.Errorf("%s: unknown country", code)
			}
			l := Location{Code: code, Country: code[:2], Name: f[1], NameASCII: f[2],
				Subdivision: f[3], Status: f[4], FunctionCode: f[5], Functions: parseFunction(f[5]), IATA: f[6]}
			if l.NameASCII == "" {
				l.NameASCII = l.Name
			}
			if f[7] != "" || f[8] != "" {
				lat, err1 := strconv.ParseFloat(f[7], 64)
				lon, err2 := strconv.ParseFloat(f[8], 64)
				if err1 != nil || err2 != nil || lat < -90 || lat > 90 || lon < -180 || lon > 180 {
					return fmt.Errorf("%s: bad coordinates %q, %q", code, f[7], f[8])
				}
				l.Lat, l.Lon, l.HasCoords = lat, lon, true
			}
			d.locIdx[code] = int32(len(d.locations))
			d.locations = append(d.locations, l)
			d.locNames = append(d.locNames, []string{normalize(l.NameASCII)})
			return nil
		})
	if err != nil {
		return err
	}
	// Other spellings: repeated upstream rows (generated) and hand-written
	// aliases. They only feed search; the published name stays as it is.
	extra := func(file, text, column string) error {
		return eachRow(file, text, []string{"locode", column}, func(f []string) error {
			i, ok := d.locIdx[f[0]]
			if !ok || f[1] == "" {
				return fmt.Errorf("alias %q for unknown location %q", f[1], f[0])
			}
			d.locNames[i] = append(d.locNames[i], normalize(f[1]))
			return nil
		})
	}
	if err := extra("locodes_alt.tsv", locodesAltTSV, "name"); err != nil {
		return err
	}
	if err := extra("locode_aliases.tsv", locodeAliasesTSV, "alias"); err != nil {
		return err
	}
	d.buildLocationIndex()
	return nil
}

// buildLocationIndex indexes every word start of every name variant, so a
// search only looks at locations having a word that starts with the query's
// first word instead of scanning all of them.
func (d *Data) buildLocationIndex() {
	d.locIATA = map[string][]int32{}
	n := 0
	for _, names := range d.locNames {
		for _, name := range names {
			n += strings.Count(name, " ") + 1
		}
	}
	d.locKeys = make([]nameKey, 0, n)
	for i, names := range d.locNames {
		for _, name := range names {
			for off := 0; off < len(name); {
				d.locKeys = append(d.locKeys, nameKey{name[off:], int32(i)})
				sp := strings.IndexByte(name[off:], ' ')
				if sp < 0 {
					break
				}
				off += sp + 1
			}
		}
		if iata := d.locations[i].IATA; iata != "" {
			d.locIATA[iata] = append(d.locIATA[iata], int32(i))
		}
	}
	sort.Slice(d.locKeys, func(a, b int) bool { return d.locKeys[a].key < d.locKeys[b].key })
}

// nameKey is one word start of a location name: the rest of the name from
// that word on.
type nameKey struct {
	key string
	loc int32
}

// validLocode checks the UN/LOCODE shape: ISO country letters, then three
// letters or digits 2-9.
func validLocode(c string) bool {
	if len(c) != 5 || !isUpperAlpha(c[:2], 2) {
		return false
	}
	for i := 2; i < 5; i++ {
		ch := c[i]
		if !(ch >= 'A' && ch <= 'Z' || ch >= '2' && ch <= '9') {
			return false
		}
	}
	return true
}

// normalizeLocode accepts the printed form with a space ("KZ HOR") and any
// case, as found on transport documents.
func normalizeLocode(code string) string {
	return strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(code), " ", ""))
}

// Location finds a UN/LOCODE entry ("KZHOR", "kz hor"). Only the BRICS
// member and partner countries, Armenia and Kyrgyzstan, and the countries
// the corridors through Kazakhstan cross (AZ GE TR PL DE TM TJ MN) are
// embedded, which keeps the binary small; other countries' codes are not
// found.
func (d *Data) Location(code string) (Location, bool) {
	i, ok := d.locIdx[normalizeLocode(code)]
	if !ok {
		return Location{}, false
	}
	return d.locations[i], true
}

// LookupLocation is Location for request handlers: problem.Invalid for a
// string that is not shaped like a UN/LOCODE, problem.NotFound otherwise.
func (d *Data) LookupLocation(code string) (Location, error) {
	c := normalizeLocode(code)
	if !validLocode(c) {
		return Location{}, problem.New(problem.Invalid, "UN/LOCODE must be 2 country letters and 3 letters or digits, got %q", code)
	}
	l, ok := d.Location(c)
	if !ok {
		return Location{}, problem.New(problem.NotFound, "no UN/LOCODE %s among the embedded countries", c)
	}
	return l, nil
}

// maxLocationQuery bounds query length; place names are short and longer
// input is a client bug or abuse.
const maxLocationQuery = 100

// SearchLocations finds locations for a search box. country (alpha-2 or
// alpha-3) narrows the search and may be empty to search every embedded
// country; query may be empty when country is given, which lists that
// country's locations in code order.
//
// Ranking: an exact UN/LOCODE (or the three-letter part within the given
// country) or IATA code first, then names equal to the query, then names
// starting with it, then names where every query word starts a word; ties
// by name. Names are compared without case or accents, and known alternative
// spellings count (the hand-written alias "Dostyk" finds KZDOS, published as
// "Dosytk"). limit <= 0 means DefaultResults; more than MaxResults is capped.
//
// Errors: problem.Invalid for a malformed country or an empty or overlong
// request; problem.NotFound for a country that is unknown or has no
// embedded locations.
func (d *Data) SearchLocations(country, query string, limit int) ([]Location, error) {
	limit = clampLimit(limit)
	query = strings.TrimSpace(query)
	if len(query) > maxLocationQuery {
		return nil, problem.New(problem.Invalid, "search text is longer than %d characters", maxLocationQuery)
	}
	lo, hi := 0, len(d.locations)
	a2 := ""
	if strings.TrimSpace(country) != "" {
		c, err := d.LookupCountry(country)
		if err != nil {
			return nil, err
		}
		a2 = c.Alpha2
		lo = sort.Search(len(d.locations), func(i int) bool { return d.locations[i].Code >= a2 })
		hi = lo
		for hi < len(d.locations) && d.locations[hi].Country == a2 {
			hi++
		}
		if lo == hi {
			return nil, problem.New(problem.NotFound, "no UN/LOCODE locations are available for %s", a2)
		}
	} else if query == "" {
		return nil, problem.New(problem.Invalid, "give a country, a search text or both")
	}

	if query == "" {
		out := make([]Location, 0, min(limit, hi-lo))
		for i := lo; i < hi && len(out) < limit; i++ {
			out = append(out, d.locations[i])
		}
		return out, nil
	}

	qn := normalize(query)
	words := strings.Fields(qn)
	if len(words) > maxQueryWords {
		words = words[:maxQueryWords]
	}
	code := normalizeLocode(query)
	if a2 != "" && len(code) == 3 {
		code = a2 + code
	}
	type hit struct {
		tier int
		i    int32
	}
	var hits []hit
	seen := make(bitset, (len(d.locations)+63)/64)
	add := func(i int32, tier int) {
		if int(i) >= lo && int(i) < hi && !seen.has(int(i)) {
			seen.set(i)
			hits = append(hits, hit{tier, i})
		}
	}
	// Tier 0: the code itself, or an IATA code.
	if i, ok := d.locIdx[code]; ok {
		add(i, 0)
	}
	for _, i := range d.locIATA[code] {
		add(i, 0)
	}
	// Every name match has the first query word at the start of a word, so
	// the candidates are one range of the sorted word-start index.
	if len(words) > 0 {
		w0 := words[0]
		k := sort.Search(len(d.locKeys), func(k int) bool { return d.locKeys[k].key >= w0 })
		for ; k < len(d.locKeys) && strings.HasPrefix(d.locKeys[k].key, w0); k++ {
			i := d.locKeys[k].loc
			if int(i) < lo || int(i) >= hi || seen.has(int(i)) {
				continue
			}
			tier := 0
			for _, n := range d.locNames[i] {
				if t := nameTier(n, qn, words); t > 0 && (tier == 0 || t < tier) {
					tier = t
				}
			}
			if tier > 0 {
				add(i, tier)
			}
		}
	}
	sort.Slice(hits, func(a, b int) bool {
		x, y := hits[a], hits[b]
		if x.tier != y.tier {
			return x.tier < y.tier
		}
		if nx, ny := d.locations[x.i].NameASCII, d.locations[y.i].NameASCII; nx != ny {
			return nx < ny
		}
		return x.i < y.i
	})
	if len(hits) > limit {
		hits = hits[:limit]
	}
	out := make([]Location, len(hits))
	for k, h := range hits {
		out[k] = d.locations[h.i]
	}
	return out, nil
}

// nameTier grades how well the normalised name n matches the normalised
// query q: 1 equal, 2 starts with it, 3 every word starts a word of n, 0 no
// match.
func nameTier(n, q string, words []string) int {
	switch {
	case n == q:
		return 1
	case strings.HasPrefix(n, q):
		return 2
	}
	if len(words) == 0 {
		return 0
	}
	for _, w := range words {
		if !startsWord(n, w) {
			return 0
		}
	}
	return 3
}

// startsWord reports whether w occurs in n at the start of a word.
func startsWord(n, w string) bool {
	for off := 0; ; {
		i := strings.Index(n[off:], w)
		if i < 0 {
			return false
		}
		i += off
		if i == 0 || n[i-1] == ' ' {
			return true
		}
		off = i + 1
	}
}
