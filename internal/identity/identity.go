// Package identity knows who is acting: organisations, their users and
// roles, web sessions and machine API tokens, and the Principal that every
// request carries once authenticated.
//
// Authorisation has two halves. Which roles may call a route is declared in
// the route table (internal/server/routes.go) and enforced there; which
// records a caller may see is decided here and in each domain's service,
// always from the Principal's org, so that no handler can forget it.
package identity

import (
	"context"
	"slices"
	"strings"
	"time"
)

// Role is a permission set granted to a user within their organisation.
type Role string

// The platform's roles. A user may hold several.
const (
	PlatformAdmin     Role = "platform_admin"     // the town's platform administrator
	OrgAdmin          Role = "org_admin"          // manages its own organisation's users and tokens
	Trader            Role = "trader"             // a company's trade staff: declarations, payments, invoices
	BankOperator      Role = "bank_operator"      // a bank's treasury and settlement staff
	CustomsOfficer    Role = "customs_officer"    // the customs authority's officers
	QuarantineOfficer Role = "quarantine_officer" // the SPS (quarantine) authority's inspectors
	Carrier           Role = "carrier"            // a logistics operator's dispatchers
	Organiser         Role = "organiser"          // event and expo organisers
	Educator          Role = "educator"           // school and training-centre staff
	Clinician         Role = "clinician"          // clinic staff (telemedicine)
	Resident          Role = "resident"           // a resident or visitor of the town
)

// AllRoles lists every role in a stable order for forms and tests.
var AllRoles = []Role{PlatformAdmin, OrgAdmin, Trader, BankOperator, CustomsOfficer, QuarantineOfficer, Carrier, Organiser, Educator, Clinician, Resident}

// ValidRole reports whether r is one of the platform's roles.
func ValidRole(r Role) bool { return slices.Contains(AllRoles, r) }

// OrgKind classifies an organisation; it decides which roles its users may hold.
type OrgKind string

const (
	KindCompany             OrgKind = "company"
	KindBank                OrgKind = "bank"
	KindCustomsAuthority    OrgKind = "customs_authority"
	KindQuarantineAuthority OrgKind = "quarantine_authority"
	KindLogisticsOperator   OrgKind = "logistics_operator"
	KindTownAdministration  OrgKind = "town_administration"
	KindEventOrganiser      OrgKind = "event_organiser"
	KindSchool              OrgKind = "school"
	KindClinic              OrgKind = "clinic"
	KindResidents           OrgKind = "residents" // the community of individual residents
)

// kindRoles says which roles make sense in each kind of organisation, so a
// company cannot hand its staff customs powers.
var kindRoles = map[OrgKind][]Role{
	KindCompany:             {OrgAdmin, Trader},
	KindBank:                {OrgAdmin, BankOperator},
	KindCustomsAuthority:    {OrgAdmin, CustomsOfficer},
	KindQuarantineAuthority: {OrgAdmin, QuarantineOfficer},
	KindLogisticsOperator:   {OrgAdmin, Carrier, Trader},
	KindTownAdministration:  {PlatformAdmin, OrgAdmin},
	KindEventOrganiser:      {OrgAdmin, Organiser},
	KindSchool:              {OrgAdmin, Educator},
	KindClinic:              {OrgAdmin, Clinician},
	KindResidents:           {Resident},
}

// OrgKinds lists the kinds in a stable order.
var OrgKinds = []OrgKind{KindCompany, KindBank, KindCustomsAuthority, KindQuarantineAuthority, KindLogisticsOperator, KindTownAdministration, KindEventOrganiser, KindSchool, KindClinic, KindResidents}

// RolesForKind returns the roles a user of an organisation of kind k may hold.
func RolesForKind(k OrgKind) []Role { return kindRoles[k] }

// Org is an organisation of the town.
type Org struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Kind      OrgKind   `json:"kind"`
	Country   string    `json:"country"`    // ISO 3166 alpha-2
	RegScheme string    `json:"reg_scheme"` // e.g. KZ-BIN, RU-INN, BR-CNPJ, CN-USCC
	RegID     string    `json:"reg_id"`
	CreatedAt time.Time `json:"created_at"`
}

// User is a person who signs in to the platform on behalf of an organisation.
type User struct {
	ID           string    `json:"id"`
	OrgID        string    `json:"org_id"`
	Email        string    `json:"email"`
	Name         string    `json:"name"`
	Roles        []Role    `json:"roles"`
	Lang         string    `json:"lang"`
	Disabled     bool      `json:"disabled"`
	CreatedAt    time.Time `json:"created_at"`
	PasswordHash string    `json:"-"`
}

// APIToken is a machine credential scoped to one organisation and a subset
// of its creator's roles. Only its hash is stored; the secret is shown once.
type APIToken struct {
	ID         string    `json:"id"`
	OrgID      string    `json:"org_id"`
	CreatedBy  string    `json:"created_by"`
	Name       string    `json:"name"`
	Roles      []Role    `json:"roles"`
	CreatedAt  time.Time `json:"created_at"`
	ExpiresAt  time.Time `json:"expires_at,omitzero"`
	RevokedAt  time.Time `json:"revoked_at,omitzero"`
	LastUsedAt time.Time `json:"last_used_at,omitzero"`
	Hash       []byte    `json:"-"`
}

// Session is a signed-in browser.
type Session struct {
	TokenHash  []byte
	UserID     string
	CSRFToken  string
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
}

// Principal is the authenticated caller of a request.
type Principal struct {
	UserID  string
	OrgID   string
	OrgKind OrgKind
	Name    string
	Email   string
	Roles   []Role
	Lang    string
	// Via is "session" or "token"; CSRF checks apply only to sessions.
	Via     string
	TokenID string
	CSRF    string
}

// Has reports whether the principal holds role r.
func (p *Principal) Has(r Role) bool { return p != nil && slices.Contains(p.Roles, r) }

// HasAny reports whether the principal holds at least one of rs.
func (p *Principal) HasAny(rs ...Role) bool {
	for _, r := range rs {
		if p.Has(r) {
			return true
		}
	}
	return false
}

// CanSeeOrg is the one rule for private records: a principal sees its own
// organisation's, and the platform administrator sees every org's.
func (p *Principal) CanSeeOrg(orgID string) bool {
	return p != nil && (p.OrgID == orgID || p.Has(PlatformAdmin))
}

// Actor returns the audit actor fields for this principal.
func (p *Principal) Actor() (user, org string) {
	if p == nil {
		return "system", ""
	}
	return p.UserID, p.OrgID
}

type ctxKey struct{}

// WithPrincipal attaches p to ctx.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// FromContext returns the request's principal, or nil when anonymous.
func FromContext(ctx context.Context) *Principal {
	p, _ := ctx.Value(ctxKey{}).(*Principal)
	return p
}

func joinRoles(rs []Role) string {
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = string(r)
	}
	return strings.Join(s, " ")
}

// ParseRoles reads the stored space-separated form.
func ParseRoles(s string) []Role {
	var out []Role
	for _, f := range strings.Fields(s) {
		out = append(out, Role(f))
	}
	return out
}

// RolesString is the stored form of a role list.
func RolesString(rs []Role) string { return joinRoles(rs) }
