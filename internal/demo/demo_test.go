package demo

import (
	"testing"

	"bricstown/internal/identity"
)

func TestEveryDemoOrgHasAValidRegistration(t *testing.T) {
	seen := map[string]bool{}
	for _, o := range Town {
		id, err := RegID(o)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := identity.CheckRegID(o.Country, identity.NormaliseRegID(id)); err != nil {
			t.Errorf("%s: %s: %v", o.Name, id, err)
		}
		if seen[o.Country+id] {
			t.Errorf("%s: duplicate registration %s", o.Name, id)
		}
		seen[o.Country+id] = true
		for _, u := range o.Users {
			allowed := identity.RolesForKind(o.Kind)
			for _, r := range u.Roles {
				found := false
				for _, a := range allowed {
					found = found || a == r
				}
				if !found {
					t.Errorf("%s: %s may not hold %s", o.Name, Email(o, u), r)
				}
			}
		}
	}
}
