package refdata

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Bloc names an economic grouping whose membership changes how the platform
// treats a country (customs preferences, eligibility for BRICS settlement).
type Bloc string

// The blocs the platform knows about.
const (
	// BRICS is the grouping the platform serves; members and partners get
	// access to BRICS settlement and trade programmes.
	BRICS Bloc = "BRICS"
	// EAEU is the Eurasian Economic Union; goods of EAEU origin move duty-free
	// between its members, so customs needs to know who is in it.
	EAEU Bloc = "EAEU"
)

// Status separates full members from BRICS partner countries, which take
// part in BRICS programmes but are not members and get no say in decisions.
type Status string

// Membership statuses. Rules that grant something to members must check for
// Member explicitly, so that adding a new kind of status later never grants
// it by accident.
const (
	Member  Status = "member"
	Partner Status = "partner"
)

// Membership records that a country belongs to a bloc. It is data, not code,
// because the blocs keep growing and an update should be a one-line change
// in data/membership.tsv.
type Membership struct {
	Country string `json:"country"` // alpha-2
	Bloc    Bloc   `json:"bloc"`
	Status  Status `json:"status"`
	Since   int    `json:"since"` // year the status took effect
}

func (d *Data) loadMemberships() error {
	seen := map[string]bool{}
	err := eachRow("membership.tsv", membershipTSV, []string{"country", "bloc", "status", "since"}, func(f []string) error {
		if _, ok := d.countryIdx[f[0]]; !ok || len(f[0]) != 2 {
			return fmt.Errorf("unknown country %q", f[0])
		}
		b, s := Bloc(f[1]), Status(f[2])
		if b != BRICS && b != EAEU {
			return fmt.Errorf("unknown bloc %q", f[1])
		}
		if s != Member && s != Partner || (b == EAEU && s == Partner) {
			return fmt.Errorf("bad status %q for %s", f[2], b)
		}
		y, err := strconv.Atoi(f[3])
		if err != nil || y < 1990 || y > 2100 {
			return fmt.Errorf("bad year %q", f[3])
		}
		if key := f[0] + "/" + f[1]; seen[key] {
			return fmt.Errorf("%s listed twice", key)
		} else {
			seen[key] = true
		}
		d.memberships = append(d.memberships, Membership{Country: f[0], Bloc: b, Status: s, Since: y})
		return nil
	})
	if err != nil {
		return err
	}
	sort.SliceStable(d.memberships, func(i, j int) bool {
		a, b := d.memberships[i], d.memberships[j]
		if a.Bloc != b.Bloc {
			return a.Bloc < b.Bloc
		}
		if a.Status != b.Status {
			return a.Status == Member
		}
		if a.Since != b.Since {
			return a.Since < b.Since
		}
		return a.Country < b.Country
	})
	return nil
}

// Membership lists the blocs a country belongs to (alpha-2, alpha-3 or
// numeric code, any case), BRICS before EAEU. It is empty, not an error, for countries in
// neither: that is the normal case for most of the world.
func (d *Data) Membership(code string) []Membership {
	i, ok := d.countryIndex(code)
	if !ok {
		return nil
	}
	a2 := d.countries[i].Alpha2
	var out []Membership
	for _, m := range d.memberships {
		if m.Country == a2 {
			out = append(out, m)
		}
	}
	return out
}

// IsMember reports full membership of bloc. Partners do not count, because
// the rules that ask (EAEU duty-free origin, BRICS member-only programmes)
// apply to members only.
func (d *Data) IsMember(code string, bloc Bloc) bool {
	for _, m := range d.Membership(code) {
		if m.Bloc == bloc && m.Status == Member {
			return true
		}
	}
	return false
}

// BRICSCountries lists BRICS members and then partner countries, each group
// in order of joining, which is how the platform presents them.
func (d *Data) BRICSCountries() []Membership { return d.blocMembers(BRICS) }

// EAEUCountries lists the EAEU member states, whose goods customs treats as
// duty-free within the union.
func (d *Data) EAEUCountries() []Membership { return d.blocMembers(EAEU) }

func (d *Data) blocMembers(b Bloc) []Membership {
	var out []Membership
	for _, m := range d.memberships {
		if m.Bloc == b {
			out = append(out, m)
		}
	}
	return out
}

// ParseBloc accepts a bloc name in any case ("brics", "eaeu"), for query
// parameters.
func ParseBloc(s string) (Bloc, bool) {
	switch b := Bloc(strings.ToUpper(strings.TrimSpace(s))); b {
	case BRICS, EAEU:
		return b, true
	}
	return "", false
}
