package identity

import (
	"context"
	"regexp"
	"strings"

	"bricstown/internal/audit"
	"bricstown/internal/problem"
)

// actionPattern is the shape of an audit action or action prefix
// ("ledger.transfer.create", "ledger.").
var actionPattern = regexp.MustCompile(`^[a-z0-9_]+(\.[a-z0-9_]+)*\.?$`)

// AuditLog reads the audit log for p: the whole town's (or one org's) for
// the platform administrator, only p's own organisation's for anyone else,
// whatever f.OrgID says. The filters are checked here so that the API and
// the page refuse the same things.
func (s *Service) AuditLog(ctx context.Context, p *Principal, f audit.Filter) ([]audit.Entry, error) {
	if p == nil {
		return nil, problem.New(problem.Forbidden, "not signed in")
	}
	if !p.Has(PlatformAdmin) {
		f.OrgID = p.OrgID
	}
	fs := problem.Fields{}
	if f.Action != "" && (len(f.Action) > 100 || !actionPattern.MatchString(f.Action)) {
		fs.Add("action", "an action such as ledger.transfer.create, or a prefix ending in a dot")
	}
	if len(f.SubjectType) > 50 || strings.ContainsAny(f.SubjectType, " %") {
		fs.Add("subject_type", "a record kind such as ledger_account")
	}
	if len(f.ActorUser) > 100 {
		fs.Add("actor", "too long")
	}
	if len(f.SubjectID) > 100 {
		fs.Add("subject_id", "too long")
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		fs.Add("to", "must be after from")
	}
	if err := fs.Err("bad audit filter"); err != nil {
		return nil, err
	}
	if f.Limit <= 0 || f.Limit > 501 {
		f.Limit = 501
	}
	return s.store.ListAudit(ctx, f)
}

// People names users and organisations for one page. An organisation's name
// is public (it is on the FX board and in every directory); a user's name
// is their organisation's business, so it is given only to those who may
// see that organisation: an org administrator reading an entry that a
// settlement centre operator wrote about their org learns "BRICS Town
// Settlement Centre", not who at the centre did it.
type People struct {
	svc   *Service
	ctx   context.Context
	p     *Principal
	orgs  *OrgNames
	users map[string]User
}

// People returns a resolver for p bound to ctx.
func (s *Service) People(ctx context.Context, p *Principal) *People {
	return &People{svc: s, ctx: ctx, p: p, orgs: s.OrgNames(ctx, nil), users: map[string]User{}}
}

// Org is an organisation's public name ("" for an unknown id).
func (n *People) Org(id string) string {
	if id == "" {
		return ""
	}
	return n.orgs.Name(id)
}

// User is a user's name and e-mail when p may see the user's organisation,
// else empty strings.
func (n *People) User(id string) (name, email string) {
	u, ok := n.users[id]
	if !ok {
		if got, err := n.svc.store.GetUser(n.ctx, id); err == nil && n.p.CanSeeOrg(got.OrgID) {
			u = got
		}
		n.users[id] = u
	}
	return u.Name, u.Email
}
