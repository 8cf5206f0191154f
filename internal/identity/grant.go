package identity

import (
	"fmt"
	"slices"

	"bricstown/internal/problem"
)

// Roles flow downward. The order is platform_admin > org_admin > an
// organisation's working roles (trader, bank_operator, customs_officer...):
//
//   - The platform administrator, signed in, grants any role the target
//     organisation's kind allows, in any organisation: it admits
//     organisations and appoints their first administrators.
//   - An org_admin, signed in, grants in its own organisation every role the
//     kind allows except platform_admin. org_admin is the organisation's
//     staff manager: naming its traders or officers is its job even when it
//     does not do their work, but the platform's powers are not its own (the
//     town administration is the one kind where a role above org_admin
//     exists, which is how issue 8 item 9 escalated).
//   - Nobody else grants anything.
//   - An API token grants nothing, ever: it cannot create users, re-enable
//     them or create tokens. A user outlives the token that made it (and can
//     sign in and mint tokens of its own), so a stolen or later-revoked
//     token must not leave anything behind that carries power. Tokens may
//     still disable users below them, which only removes power.
//
// The same rule governs acting on an existing user (disabling, enabling,
// and any future change of roles): the actor must be able to grant every
// role the user holds, so nobody acts on a user above them.
func grantable(p *Principal, org Org) []Role {
	allowed := RolesForKind(org.Kind)
	switch {
	case p == nil: // the system itself: bootstrap and demo seeding
		return allowed
	case p.Via == "token":
		return nil
	case p.Has(PlatformAdmin):
		return allowed
	case p.Has(OrgAdmin) && p.OrgID == org.ID:
		return slices.DeleteFunc(slices.Clone(allowed), func(r Role) bool { return r == PlatformAdmin })
	}
	return nil
}

// GrantableRoles lists the roles p may give to users of org, for forms.
func GrantableRoles(p *Principal, org Org) []Role { return grantable(p, org) }

// checkRoles validates rs for a user of org granted by p: unknown roles and
// roles the org's kind does not allow are invalid input; roles p may not
// grant are forbidden. Each is reported on its field.
func checkRoles(p *Principal, org Org, rs []Role, f problem.Fields) (forbidden problem.Fields) {
	forbidden = problem.Fields{}
	if len(rs) == 0 {
		f.Add("roles", "at least one role is required")
	}
	allowed, may := RolesForKind(org.Kind), grantable(p, org)
	for i, r := range rs {
		field := fmt.Sprintf("roles[%d]", i)
		switch {
		case !ValidRole(r):
			f.Addf(field, "unknown role %q", r)
		case !slices.Contains(allowed, r):
			f.Addf(field, "a %s cannot have role %s", org.Kind, r)
		case !slices.Contains(may, r):
			forbidden.Addf(field, "you cannot grant role %s", r)
		}
	}
	return forbidden
}

// mayActOn reports whether p may change user u of org: p must be able to
// grant every role u holds.
func mayActOn(p *Principal, org Org, u User) bool {
	may := grantable(p, org)
	for _, r := range u.Roles {
		if !slices.Contains(may, r) {
			return false
		}
	}
	return true
}
