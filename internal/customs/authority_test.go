package customs

import (
	"testing"

	"bricstown/internal/identity"
)

func TestAuthorityOf(t *testing.T) {
	cases := []struct {
		kind  identity.OrgKind
		roles []identity.Role
		want  Authority
	}{
		{identity.KindCompany, []identity.Role{identity.Trader}, ByDeclarant},
		{identity.KindCompany, []identity.Role{identity.OrgAdmin}, ByDeclarant},
		{identity.KindLogisticsOperator, []identity.Role{identity.OrgAdmin}, ByDeclarant},
		{identity.KindBank, []identity.Role{identity.OrgAdmin}, ""}, // a bank's admin lodges nothing
		{identity.KindCustomsAuthority, []identity.Role{identity.CustomsOfficer}, ByCustoms},
		{identity.KindCustomsAuthority, []identity.Role{identity.OrgAdmin}, ""},
		{identity.KindQuarantineAuthority, []identity.Role{identity.QuarantineOfficer}, ByQuarantine},
		{identity.KindCompany, []identity.Role{identity.CustomsOfficer}, ""}, // the role alone is not enough
	}
	for _, c := range cases {
		p := &identity.Principal{OrgID: "o", OrgKind: c.kind, Roles: c.roles}
		if got := AuthorityOf(p); got != c.want {
			t.Errorf("%s %v: %q, want %q", c.kind, c.roles, got, c.want)
		}
	}
}
