package customs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"bricstown/internal/audit"
	"bricstown/internal/identity"
	"bricstown/internal/money"
	"bricstown/internal/problem"

	"github.com/google/uuid"
)

// Payments is the port through which duties are paid from a trader's
// account to the customs revenue account; the ledger implements it.
//
// PayDuties must be idempotent per declarationID: a retried or concurrent
// call for the same declaration returns the reference of the payment
// already made instead of charging again, because the service cannot make
// the ledger transfer and its own record one transaction.
type Payments interface {
	PayDuties(ctx context.Context, p *identity.Principal, declarationID string, amountKZT int64, fromAccountID string) (reference string, err error)
}

// Guarantees is the port through which duties are drawn from a bank
// guarantee issued to the declarant; internal/guarantee implements it.
//
// DrawDuties must refuse a guarantee not issued to p's organisation
// (not_found, like an unknown id) and must be idempotent per
// declarationID: asked again, it answers the draw already made.
type Guarantees interface {
	DrawDuties(ctx context.Context, p *identity.Principal, declarationID string, amountKZT int64, guaranteeID string) (drawnGuaranteeID, reference, transferID string, err error)
}

// Config is the service's policy and collaborators.
type Config struct {
	Rules *Rules
	// Rates values foreign currencies in KZT on a date (the official
	// reference rate of the valuation date); nil allows KZT values only.
	Rates    RateSource
	Payments Payments
	// Guarantees draws duties from bank guarantees; without it, duties can
	// only be paid.
	Guarantees Guarantees
	// Refunds pays back duties a declaration no longer owes; without it,
	// refunds stay due (RefundDue) and PayRefund is unavailable.
	Refunds Refunds
	// Log receives what the service cannot report to its caller (a refund
	// the ledger refused after the change that made it due); nil is silent.
	Log *slog.Logger
	// Now is the clock, injectable so that tests control time.
	Now func() time.Time
	// RefusalWindow is how far back the risk engine counts a trader's
	// refusals (365 days by default).
	RefusalWindow time.Duration
}

// Service applies customs' rules (who may do what, when, with which
// effect) on top of a Store. It holds no state of its own.
type Service struct {
	store Store
	rules *Rules
	cfg   Config
	// committed is told of every change that committed, whichever caller
	// (API, page, demo) made it: status push hangs here, so no caller can
	// forget it.
	committed atomic.Pointer[func(ctx context.Context, action Action, d Declaration)]
	// profiles caches declarants' compliance profiles; profileGen retires
	// them (see traderProfile and forgetProfile).
	profiles   sync.Map // org id -> cachedProfile
	profileGen atomic.Uint64
}

// auditOne makes a change's audit entry: one per committed change (who
// asked for what, the status before and after, and the steps it took). The
// declaration keeps every step in its own history (customs_events); the
// audit trail records that the change happened and chains it.
func auditOne(t *txn) []audit.Record {
	if len(t.ch.Audit) <= 1 {
		return t.ch.Audit
	}
	first, last := t.ch.Audit[0], t.ch.Audit[len(t.ch.Audit)-1]
	steps := make([]string, 0, len(t.ch.Events))
	for _, ev := range t.ch.Events {
		steps = append(steps, string(ev.Action))
	}
	rec := first
	rec.After = last.After
	rec.Detail = clip(strings.Join(steps, ", ")+": "+last.Detail, 500)
	return []audit.Record{rec}
}

// ProfileCacheTTL bounds how long another process's refusal or AEO change
// may take to reach this one's risk assessment; in this process they take
// effect at once.
const ProfileCacheTTL = time.Second

type cachedProfile struct {
	p   TraderProfile
	at  time.Time
	gen uint64 // profileGen when the read began (see forgetProfile)
}

// traderProfile is the declarant's AEO status and recent refusals, read at
// most once a second per organisation: a busy filer lodges hundreds of
// declarations a second, and its compliance history does not change in
// between unless this process refuses one (see forgetProfile).
func (s *Service) traderProfile(ctx context.Context, org string, now time.Time) (TraderProfile, error) {
	if v, ok := s.profiles.Load(org); ok {
		if c := v.(cachedProfile); c.gen == s.profileGen.Load() && now.Sub(c.at) < ProfileCacheTTL && !now.Before(c.at) {
			return c.p, nil
		}
	}
	// The generation is taken before the read: a profile whose read began
	// before a change was forgotten carries the old generation, so it is
	// never served from the cache afterwards.
	gen := s.profileGen.Load()
	p, err := s.store.CustomsTraderProfile(ctx, org, now.Add(-s.cfg.RefusalWindow))
	if err != nil {
		return p, err
	}
	s.profiles.Store(org, cachedProfile{p: p, at: now, gen: gen})
	return p, nil
}

// forgetProfile is called after a change to an organisation's compliance
// history has committed. It retires every cached profile, not only that
// organisation's, because a concurrent assessment may be about to cache a
// profile read before the commit; refusals and AEO decisions are rare
// officer actions, so the cost is a few extra reads.
func (s *Service) forgetProfile(org string) {
	s.profileGen.Add(1)
	s.profiles.Delete(org)
}

// OnCommit registers fn to be told of every committed change: the action
// and the declaration's new state (unfiltered: fn decides what to publish
// to whom). fn runs after the commit on a context the caller's leaving does
// not cancel; it must not block for long.
func (s *Service) OnCommit(fn func(ctx context.Context, action Action, d Declaration)) {
	s.committed.Store(&fn)
}

// NewService checks the configuration, so that a broken tariff or risk
// setup fails at start-up instead of on the first declaration.
func NewService(store Store, cfg Config) (*Service, error) {
	if store == nil {
		return nil, errors.New("customs: a store is required")
	}
	if cfg.Rules == nil {
		return nil, errors.New("customs: rules are required")
	}
	if err := cfg.Rules.Check(); err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.RefusalWindow <= 0 {
		cfg.RefusalWindow = 365 * 24 * time.Hour
	}
	return &Service{store: store, rules: cfg.Rules, cfg: cfg}, nil
}

// Rules exposes the rules, for pages that show the tariff or explain a lane.
func (s *Service) Rules() *Rules { return s.rules }

func (s *Service) now() time.Time { return s.cfg.Now().UTC().Truncate(time.Microsecond) }

func newID() string { return uuid.Must(uuid.NewV7()).String() }

// AuthorityOf says in which capacity a principal acts on declarations. The
// org kind is checked along with the role so that a role name alone (in a
// token scope, say) never makes someone a customs officer.
func AuthorityOf(p *identity.Principal) Authority {
	switch {
	case p == nil:
		return ""
	case p.OrgKind == identity.KindCustomsAuthority && p.Has(identity.CustomsOfficer):
		return ByCustoms
	case p.OrgKind == identity.KindQuarantineAuthority && p.Has(identity.QuarantineOfficer):
		return ByQuarantine
	case p.Has(identity.Trader) && p.OrgKind != identity.KindCustomsAuthority && p.OrgKind != identity.KindQuarantineAuthority:
		return ByDeclarant
	case p.Has(identity.OrgAdmin) && (p.OrgKind == identity.KindCompany || p.OrgKind == identity.KindLogisticsOperator):
		// Whoever runs a trading firm may lodge and follow its declarations.
		return ByDeclarant
	}
	return ""
}

// CanSee is the visibility rule: a declarant org sees its own declarations,
// customs every lodged one, quarantine the lodged ones under SPS control,
// and nobody else anything.
func CanSee(p *identity.Principal, d *Declaration) bool {
	switch AuthorityOf(p) {
	case ByDeclarant:
		return d.DeclarantOrg == p.OrgID
	case ByCustoms:
		return d.Status != StatusDraft
	case ByQuarantine:
		return d.Status != StatusDraft && d.SPS.Required
	}
	return false
}

func signedIn(p *identity.Principal) error {
	if p == nil {
		return problem.New(problem.Unauthenticated, "sign in to use customs")
	}
	return nil
}

var authorityNames = map[Authority]string{
	ByDeclarant:  "the declarant's traders",
	ByCustoms:    "customs officers",
	ByQuarantine: "quarantine officers",
}

func forbidden(a Action) error {
	return problem.New(problem.Forbidden, "only %s may %s", authorityNames[AuthorityFor(a)], strings.ReplaceAll(string(a), "_", " "))
}

// load reads a declaration the principal may see.
func (s *Service) load(ctx context.Context, p *identity.Principal, id string) (Declaration, error) {
	if err := signedIn(p); err != nil {
		return Declaration{}, err
	}
	if _, err := uuid.Parse(id); err != nil {
		return Declaration{}, DeclarationNotFound()
	}
	d, err := s.store.GetDeclaration(ctx, id)
	if err != nil {
		if problem.Is(err, problem.NotFound) {
			return Declaration{}, DeclarationNotFound()
		}
		return Declaration{}, err
	}
	if !CanSee(p, &d) {
		return Declaration{}, DeclarationNotFound()
	}
	return d, nil
}

// view redacts what the principal may not read: the risk engine's reasons
// are customs' selectivity criteria and are never shown to traders.
func view(p *identity.Principal, d Declaration) Declaration {
	if AuthorityOf(p) == ByDeclarant {
		d.RiskReasons = nil
	}
	return d
}

// txn is one transition being computed.
type txn struct {
	p   *identity.Principal
	now time.Time
	old Declaration
	d   Declaration
	ch  Change
}

func (t *txn) addEvent(actorUser, actorOrg string, a Action, to Status, k EventKind, params EventParams) {
	t.d.EventCount++
	detail := EnglishEvent(k, params)
	ev := Event{DeclarationID: t.d.ID, Seq: t.d.EventCount, At: t.now, ActorUser: actorUser, ActorOrg: actorOrg,
		Action: a, From: t.d.Status, To: to, Kind: k, Params: &params, Detail: detail}
	t.ch.Events = append(t.ch.Events, ev)
	t.ch.Audit = append(t.ch.Audit, audit.Record{ActorUser: actorUser, ActorOrg: actorOrg, Action: "customs." + string(a),
		SubjectType: "customs_declaration", SubjectID: t.d.ID, OrgID: t.d.DeclarantOrg,
		Before: ref(t.d.Status, t.old.Version), After: ref(to, t.old.Version+1), Detail: clip(detail, 500)})
	t.d.Status = to
}

// ref names a state in the audit log: status@version, "" before creation.
func ref(s Status, version int64) string {
	if s == "" {
		return ""
	}
	return fmt.Sprintf("%s@v%d", s, version)
}

// event records an action by the principal.
func (t *txn) event(a Action, to Status, k EventKind, params EventParams) {
	u, o := t.p.Actor()
	t.addEvent(u, o, a, to, k, params)
}

// system records what follows from the rules, not from anyone's request.
func (t *txn) system(a Action, to Status, k EventKind, params EventParams) {
	t.addEvent("system", "", a, to, k, params)
}

func (t *txn) reason(ruleID, desc string, weight int64, actor string, params *FindingParams) {
	r := RiskReason{Seq: int64(len(t.d.RiskReasons)) + 1, RuleID: ruleID, Description: desc, Weight: weight, At: t.now, ActorUser: actor,
		Params: params}
	t.d.RiskReasons = append(t.d.RiskReasons, r)
	t.ch.Reasons = append(t.ch.Reasons, r)
}

// begin loads a declaration and checks that the principal may take action a
// on it now: invisible → NotFound, wrong capacity → Forbidden, wrong
// status → Conflict.
func (s *Service) begin(ctx context.Context, p *identity.Principal, id string, a Action) (*txn, error) {
	d, err := s.load(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if AuthorityOf(p) != AuthorityFor(a) {
		return nil, forbidden(a)
	}
	if !AllowedFrom(a, d.Status) {
		return nil, problem.New(problem.Conflict, "cannot %s a declaration that is %s", strings.ReplaceAll(string(a), "_", " "),
			strings.ReplaceAll(string(d.Status), "_", " "))
	}
	return &txn{p: p, now: s.now(), old: d, d: cloneDeclaration(d)}, nil
}

// commit writes the transition, guarded by the version it started from.
func (s *Service) commit(ctx context.Context, t *txn) (Declaration, error) {
	t.d.Version = t.old.Version + 1
	t.d.UpdatedAt = t.now
	t.ch.Declaration = t.d
	t.ch.BaseVersion = t.old.Version
	t.ch.Audit = auditOne(t)
	if err := s.store.ApplyDeclarationChange(ctx, t.ch); err != nil {
		return Declaration{}, err
	}
	if fn := s.committed.Load(); fn != nil {
		// The action is the last step the caller asked for (a lodgement's
		// submit, not its create); what the rules did in consequence
		// (assign_lane, by "system") is carried in the state.
		action := Action("update")
		for i := len(t.ch.Events) - 1; i >= 0; i-- {
			if t.ch.Events[i].ActorUser != "system" {
				action = t.ch.Events[i].Action
				break
			}
		}
		(*fn)(context.WithoutCancel(ctx), action, t.d)
	}
	return view(t.p, t.d), nil
}

// commitRefunding commits a change that may make a refund due and then,
// the change committed, pays the refund back (transfer, then record, like
// Pay): a refund the ledger refuses leaves the change standing and the
// refund due for a customs officer (PayRefund).
func (s *Service) commitRefunding(ctx context.Context, t *txn) (Declaration, error) {
	d, err := s.commit(ctx, t)
	if err != nil {
		return d, err
	}
	return s.autoRefund(ctx, t.p, d), nil
}

// Create stores a new draft for the principal's organisation, which becomes
// the declarant, with its documents: the draft and every document are
// validated together and stored in one transaction, so bad input stores
// nothing, not even a draft. The content is validated in full: a draft
// that is stored is one that can be submitted once its documents are
// attached.
func (s *Service) Create(ctx context.Context, p *identity.Principal, c Content, docs ...NewDocument) (Declaration, error) {
	t, err := s.newFiling(p, c, docs)
	if err != nil {
		return Declaration{}, err
	}
	return s.commit(ctx, t)
}

// validate checks content and binds the declarant party to the org that
// lodges it: an org declares only in its own name.
func (s *Service) validate(p *identity.Principal, c *Content, now time.Time) error {
	f := problem.Fields{}
	if c.Declarant.OrgID = strings.TrimSpace(c.Declarant.OrgID); c.Declarant.OrgID != "" && c.Declarant.OrgID != p.OrgID {
		f.Add("declarant.org_id", "you can declare only for your own organisation; leave it empty")
	}
	s.rules.validate(c, now, f)
	c.Declarant.OrgID = p.OrgID
	return f.Err("the declaration is not valid")
}

// Amend replaces the content of a draft, or of a submitted declaration
// customs has not yet assessed, and keeps the previous version with a
// field-by-field diff. baseVersion is the version the trader edited (0 to
// skip the check); if someone changed the declaration since, the amendment
// is refused rather than silently overwriting their change. An amendment
// that changes nothing is not stored.
func (s *Service) Amend(ctx context.Context, p *identity.Principal, id string, baseVersion int64, c Content, note string) (Declaration, error) {
	t, err := s.begin(ctx, p, id, ActAmend)
	if err != nil {
		return Declaration{}, err
	}
	if baseVersion != 0 && baseVersion != t.old.Version {
		return Declaration{}, problem.New(problem.Conflict, "the declaration is at version %d, not %d: reload it and amend again", t.old.Version, baseVersion)
	}
	f := problem.Fields{}
	note = text(f, "note", note, 500, false)
	if err := f.Err("the amendment is not valid"); err != nil {
		return Declaration{}, err
	}
	c = cloneContent(c)
	if err := s.validate(p, &c, t.now); err != nil {
		return Declaration{}, err
	}
	changes := Diff(&t.old.Content, &c)
	if len(changes) == 0 {
		return view(p, t.old), nil
	}
	t.d.Content = c
	if t.d.Status == StatusSubmitted {
		// The goods changed, so quarantine's requirements may have too; a
		// hold quarantine placed stays.
		sps := s.rules.SPSFor(t.d.ID, &t.d.Content)
		if msg := missingCertificates(sps, t.d.Documents); msg != "" {
			return Declaration{}, &problem.Error{Code: problem.Invalid, Message: "the amended goods need SPS certificates",
				Fields: map[string]string{"documents": msg}}
		}
		if t.d.SPS.Status == SPSHeld {
			sps.Status = SPSHeld
		}
		t.d.SPS = sps
	}
	summary := summarize(changes)
	u, o := p.Actor()
	t.ch.Amendment = &Amendment{DeclarationID: t.d.ID, Version: t.old.Version + 1, At: t.now, ActorUser: u, ActorOrg: o,
		Note: note, Summary: summary, Changes: changes, Before: t.old.Content}
	fields := make([]string, 0, len(changes))
	for _, c := range changes {
		fields = append(fields, c.Field)
	}
	t.event(ActAmend, t.d.Status, EvAmended, EventParams{Fields: fields, Note: summary})
	return s.commit(ctx, t)
}

// AttachDocument stores a document with the declaration. The checksum is
// computed here from the bytes.
func (s *Service) AttachDocument(ctx context.Context, p *identity.Principal, id string, in NewDocument) (Document, error) {
	t, err := s.begin(ctx, p, id, ActAttach)
	if err != nil {
		return Document{}, err
	}
	doc, err := checkDocument(in)
	if err != nil {
		return Document{}, err
	}
	if len(t.d.Documents) >= maxDocuments {
		return Document{}, problem.New(problem.TooLarge, "a declaration can carry at most %d documents", maxDocuments)
	}
	doc.ID, doc.At, doc.By = newID(), t.now, p.UserID
	t.d.Documents = append(t.d.Documents, doc)
	t.ch.Attachments = []Attachment{{Document: doc, Content: in.Content}}
	t.event(ActAttach, t.d.Status, EvAttached, EventParams{DocumentKind: doc.Kind, Filename: doc.Filename, Size: doc.Size, SHA256: doc.SHA256})
	if _, err := s.commit(ctx, t); err != nil {
		return Document{}, err
	}
	return doc, nil
}

const maxDocuments = 100

// Document returns an attachment's metadata and bytes to anyone who may see
// the declaration.
func (s *Service) Document(ctx context.Context, p *identity.Principal, id, documentID string) (Document, []byte, error) {
	d, err := s.load(ctx, p, id)
	if err != nil {
		return Document{}, nil, err
	}
	i := slices.IndexFunc(d.Documents, func(x Document) bool { return x.ID == documentID })
	if i < 0 {
		return Document{}, nil, problem.New(problem.NotFound, "no such document")
	}
	b, err := s.store.DeclarationDocument(ctx, id, documentID)
	if err != nil {
		return Document{}, nil, err
	}
	return d.Documents[i], b, nil
}

// Submit lodges a draft. Quarantine's requirements are fixed now and the
// certificates they call for must be attached. A declaration whose goods
// are expected later (arrival_expected_at in the future) is pre-lodged: it
// waits, still amendable, until customs records the goods presented.
// Otherwise it is assessed at once: duties, lane, and, on the green lane
// with nothing to pay and nothing for quarantine, release.
func (s *Service) Submit(ctx context.Context, p *identity.Principal, id string) (Declaration, error) {
	t, err := s.begin(ctx, p, id, ActSubmit)
	if err != nil {
		return Declaration{}, err
	}
	if err := s.validate(p, &t.d.Content, t.now); err != nil {
		return Declaration{}, err
	}
	if err := s.submit(ctx, t); err != nil {
		return Declaration{}, err
	}
	return s.commit(ctx, t)
}

// submit lodges t's declaration: SPS requirements (refusing it when
// certificates are missing), the submission event, and unless the goods
// are still on their way, assessment and the lane.
func (s *Service) submit(ctx context.Context, t *txn) error {
	t.d.SPS = s.rules.SPSFor(t.d.ID, &t.d.Content)
	if msg := missingCertificates(t.d.SPS, t.d.Documents); msg != "" {
		return &problem.Error{Code: problem.Invalid, Message: "the goods need SPS certificates",
			Fields: map[string]string{"documents": msg}}
	}
	t.d.SubmittedAt = t.now
	preLodged := t.d.ArrivalExpectedAt.After(t.now)
	if preLodged {
		t.event(ActSubmit, StatusSubmitted, EvPreLodged, EventParams{ExpectedAt: t.d.ArrivalExpectedAt})
	} else {
		t.event(ActSubmit, StatusSubmitted, EvLodged, EventParams{})
	}
	if !preLodged {
		return s.assess(ctx, t)
	}
	return nil
}

// Lodge is the trader's whole filing in one change: the declaration, its
// documents and its submission are validated together and stored in one
// write, so a filing is never half-lodged and costs one (shared) fsync
// instead of one per step. Nothing is stored when anything is wrong.
func (s *Service) Lodge(ctx context.Context, p *identity.Principal, c Content, docs []NewDocument) (Declaration, error) {
	t, err := s.newFiling(p, c, docs)
	if err != nil {
		return Declaration{}, err
	}
	if err := s.submit(ctx, t); err != nil {
		return Declaration{}, err
	}
	return s.commit(ctx, t)
}

// newFiling validates a new declaration with its documents, collecting
// every bad field (a document's as documents[i].field), and returns the
// change that stores them as a draft.
func (s *Service) newFiling(p *identity.Principal, c Content, docs []NewDocument) (*txn, error) {
	if err := signedIn(p); err != nil {
		return nil, err
	}
	if AuthorityOf(p) != ByDeclarant {
		return nil, forbidden(ActCreate)
	}
	now := s.now()
	c = cloneContent(c)
	f := problem.Fields{}
	if err := s.validate(p, &c, now); err != nil {
		var pe *problem.Error
		if !errors.As(err, &pe) || pe.Code != problem.Invalid {
			return nil, err
		}
		for k, v := range pe.Fields {
			f.Add(k, v)
		}
	}
	if len(docs) > maxDocuments {
		return nil, problem.New(problem.TooLarge, "a declaration can carry at most %d documents", maxDocuments)
	}
	t := &txn{p: p, now: now, d: Declaration{ID: newID(), DeclarantOrg: p.OrgID, Content: c, CreatedAt: now}}
	t.event(ActCreate, StatusDraft, EvCreated, EventParams{Procedure: c.Procedure, Items: len(c.Items), BorderPost: c.Transport.BorderPost})
	for i, in := range docs {
		doc, err := checkDocument(in)
		if err != nil {
			var pe *problem.Error
			if errors.As(err, &pe) {
				for k, v := range pe.Fields {
					f.Add(fmt.Sprintf("documents[%d].%s", i, k), v)
				}
				if len(pe.Fields) == 0 {
					f.Add(fmt.Sprintf("documents[%d]", i), pe.Message)
				}
				continue
			}
			return nil, err
		}
		doc.ID, doc.At, doc.By = newID(), now, p.UserID
		t.d.Documents = append(t.d.Documents, doc)
		t.ch.Attachments = append(t.ch.Attachments, Attachment{Document: doc, Content: in.Content})
		t.event(ActAttach, StatusDraft, EvAttached, EventParams{DocumentKind: doc.Kind, Filename: doc.Filename, Size: doc.Size, SHA256: doc.SHA256})
	}
	if err := f.Err("the declaration is not valid"); err != nil {
		return nil, err
	}
	return t, nil
}

// PresentGoods records that pre-lodged goods have arrived at the border
// post, which starts assessment.
func (s *Service) PresentGoods(ctx context.Context, p *identity.Principal, id string) (Declaration, error) {
	t, err := s.begin(ctx, p, id, ActPresent)
	if err != nil {
		return Declaration{}, err
	}
	t.event(ActPresent, StatusSubmitted, EvPresented, EventParams{BorderPost: t.d.Transport.BorderPost})
	if err := s.assess(ctx, t); err != nil {
		return Declaration{}, err
	}
	return s.commit(ctx, t)
}

// assess computes duties, runs the risk engine and assigns the lane. The
// valuation date is the registration (submission) date.
func (s *Service) assess(ctx context.Context, t *txn) error {
	prof, err := s.traderProfile(ctx, t.d.DeclarantOrg, t.now)
	if err != nil {
		return err
	}
	ev, err := s.rules.Evaluate(t.d.ID, &t.d.Content, t.d.Documents, prof, t.d.SubmittedAt, s.ratesFor(ctx))
	if err != nil {
		return err
	}
	t.d.Assessment = &ev.Assessment
	t.d.AssessedAt = t.now
	a := t.d.Assessment
	t.system(ActAssess, StatusAssessed, EvAssessed, EventParams{DutyKZT: a.DutyKZT, VATKZT: a.VATKZT, FeeKZT: a.FeeKZT, TotalKZT: a.TotalKZT})
	for _, r := range ev.Risk.Reasons {
		t.reason(r.RuleID, r.Description, r.Weight, "", r.Params)
	}
	t.d.Lane, t.d.LaneAssignedAt = ev.Risk.Lane, t.now
	t.system(ActAssignLane, laneStatus(ev.Risk.Lane), EvLaneAssigned, EventParams{Lane: ev.Risk.Lane})
	s.autoRelease(t)
	return nil
}

// autoRelease releases goods that need nobody's further decision: green or
// blue lane, duties paid or guaranteed (or none due), quarantine clear.
// This is the "release is automatic where risk allows" of the one-stop
// centre.
func (s *Service) autoRelease(t *txn) {
	d := &t.d
	if d.ReleasesAutomatically() && d.Releasable() {
		d.ReleasedAt = t.now
		t.system(ActAutoRelease, StatusReleased, EvAutoReleased, EventParams{Lane: d.Lane, PostAudit: d.Lane == LaneBlue})
	}
}

// releaseBlockers lists why goods cannot be released yet, by field.
func releaseBlockers(d *Declaration) problem.Fields {
	f := problem.Fields{}
	switch d.SPS.Status {
	case SPSHeld:
		f.Add("sps", "quarantine holds the goods")
	case SPSAwaitingInspection:
		f.Add("sps", "the goods await an SPS inspection")
	case SPSAwaitingLab:
		f.Add("sps", "the goods await SPS laboratory results")
	}
	if !d.Paid() {
		f.Addf("payment", "duties of %s KZT are neither paid nor guaranteed", money.FormatAmount(d.Assessment.TotalKZT, 2))
	}
	return f
}

// Cancel withdraws a declaration before release. Duties already paid
// become due for refund.
func (s *Service) Cancel(ctx context.Context, p *identity.Principal, id, reason string) (Declaration, error) {
	t, err := s.begin(ctx, p, id, ActCancel)
	if err != nil {
		return Declaration{}, err
	}
	f := problem.Fields{}
	reason = text(f, "reason", reason, 500, false)
	if err := f.Err("the cancellation is not valid"); err != nil {
		return Declaration{}, err
	}
	t.d.CancelledAt = t.now
	refund := t.d.Payment != nil || t.d.Guarantee.Drawn()
	if refund {
		t.d.RefundDue = true
	}
	t.event(ActCancel, StatusCancelled, EvCancelled, EventParams{Note: reason, Refund: refund})
	return s.commitRefunding(ctx, t)
}

// Pay pays the assessed duties from the trader's account through the
// Payments port and records the payment; on the green or blue lane with
// quarantine clear, the goods are released in the same step.
func (s *Service) Pay(ctx context.Context, p *identity.Principal, id, fromAccountID string) (Declaration, error) {
	t, err := s.begin(ctx, p, id, ActPay)
	if err != nil {
		return Declaration{}, err
	}
	if fromAccountID = strings.TrimSpace(fromAccountID); fromAccountID == "" {
		return Declaration{}, &problem.Error{Code: problem.Invalid, Message: "name the account to pay from",
			Fields: map[string]string{"from_account_id": "required"}}
	}
	if t.d.Payment != nil {
		return Declaration{}, problem.New(problem.Conflict, "the duties are already paid (reference %s)", t.d.Payment.Reference)
	}
	if t.d.Guarantee.Drawn() {
		return Declaration{}, problem.New(problem.Conflict, "the duties were drawn from guarantee %s", t.d.Guarantee.Reference)
	}
	amount := t.d.Assessment.TotalKZT
	if amount == 0 {
		return Declaration{}, problem.New(problem.Conflict, "nothing is due on this declaration")
	}
	if s.cfg.Payments == nil {
		return Declaration{}, problem.New(problem.Unavailable, "duty payments are not available")
	}
	ref, err := s.cfg.Payments.PayDuties(ctx, p, id, amount, fromAccountID)
	if err != nil {
		return Declaration{}, err
	}
	// The money has moved; record it whatever happened to the declaration
	// meanwhile, retrying if someone else changed it first.
	for attempt := 0; ; attempt++ {
		d, err := s.recordPayment(ctx, p, id, Payment{Reference: ref, AmountKZT: amount, FromAccountID: fromAccountID, By: p.UserID})
		if !problem.Is(err, problem.Conflict) || attempt == 4 {
			return d, err
		}
	}
}

func (s *Service) recordPayment(ctx context.Context, p *identity.Principal, id string, pay Payment) (Declaration, error) {
	d, err := s.load(ctx, p, id)
	if err != nil {
		return Declaration{}, err
	}
	if d.Payment != nil {
		if d.Payment.Reference == pay.Reference {
			return view(p, d), nil // recorded by a concurrent call
		}
		return Declaration{}, problem.New(problem.Conflict, "the duties were already paid (reference %s)", d.Payment.Reference)
	}
	t := &txn{p: p, now: s.now(), old: d, d: cloneDeclaration(d)}
	pay.At = t.now
	t.d.Payment = &pay
	params := EventParams{AmountKZT: pay.AmountKZT, Reference: pay.Reference}
	if t.d.Status.Final() || t.d.Guarantee.Drawn() {
		t.d.RefundDue = t.d.Status != StatusReleased || t.d.Guarantee.Drawn()
		params.Late = true
		t.system(ActPaymentLate, t.d.Status, EvPaid, params)
	} else {
		t.event(ActPay, t.d.Status, EvPaid, params)
		s.autoRelease(t)
	}
	return s.commitRefunding(ctx, t)
}

// ProvideGuarantee covers the assessed duties from a bank guarantee issued
// to the declarant: the duties are drawn from the bank's reservation in the
// ledger (through the Guarantees port) and only then recorded; on the green
// or blue lane with quarantine clear, the goods are released in the same
// step. A guarantee id the declarant does not hold answers not_found.
func (s *Service) ProvideGuarantee(ctx context.Context, p *identity.Principal, id, guaranteeID string) (Declaration, error) {
	t, err := s.begin(ctx, p, id, ActGuarantee)
	if err != nil {
		return Declaration{}, err
	}
	if guaranteeID = strings.TrimSpace(guaranteeID); guaranteeID == "" {
		return Declaration{}, &problem.Error{Code: problem.Invalid, Message: "name the guarantee to draw on",
			Fields: map[string]string{"guarantee_id": "required: the id of a guarantee a bank issued to your organisation"}}
	}
	if t.d.Payment != nil || t.d.Guarantee.Drawn() {
		return Declaration{}, problem.New(problem.Conflict, "the duties are already paid or guaranteed")
	}
	amount := t.d.Assessment.TotalKZT
	if amount == 0 {
		return Declaration{}, problem.New(problem.Conflict, "nothing is due on this declaration")
	}
	if s.cfg.Guarantees == nil {
		return Declaration{}, problem.New(problem.Unavailable, "guarantees are not available")
	}
	gid, gref, transfer, err := s.cfg.Guarantees.DrawDuties(ctx, p, id, amount, guaranteeID)
	if err != nil {
		return Declaration{}, err
	}
	// The money has moved; record it whatever happened to the declaration
	// meanwhile, retrying if someone else changed it first.
	g := Guarantee{GuaranteeID: gid, Reference: gref, AmountKZT: amount, DrawTransferID: transfer, By: p.UserID}
	for attempt := 0; ; attempt++ {
		d, err := s.recordGuarantee(ctx, p, id, g)
		if !problem.Is(err, problem.Conflict) || attempt == 4 {
			return d, err
		}
	}
}

func (s *Service) recordGuarantee(ctx context.Context, p *identity.Principal, id string, g Guarantee) (Declaration, error) {
	d, err := s.load(ctx, p, id)
	if err != nil {
		return Declaration{}, err
	}
	if d.Guarantee.Drawn() {
		if d.Guarantee.DrawTransferID == g.DrawTransferID {
			return view(p, d), nil // recorded by a concurrent call
		}
		return Declaration{}, problem.New(problem.Conflict, "the duties were already drawn from guarantee %s", d.Guarantee.Reference)
	}
	t := &txn{p: p, now: s.now(), old: d, d: cloneDeclaration(d)}
	g.At = t.now
	t.d.Guarantee = &g
	params := EventParams{AmountKZT: g.AmountKZT, Guarantee: g.Reference, Transfer: g.DrawTransferID}
	if t.d.Status.Final() || t.d.Payment != nil {
		t.d.RefundDue = t.d.Status != StatusReleased || t.d.Payment != nil
		params.Late = true
		t.system(ActPaymentLate, t.d.Status, EvGuaranteeDrawn, params)
	} else {
		t.event(ActGuarantee, t.d.Status, EvGuaranteeDrawn, params)
		s.autoRelease(t)
	}
	return s.commitRefunding(ctx, t)
}

// DecideChecks is a customs officer's decision on the checks: move the
// declaration to another lane (order a documentary check or a physical
// inspection, or clear it to green or blue), with the reason on record.
// Of two officers deciding at once, one wins and the other gets Conflict.
func (s *Service) DecideChecks(ctx context.Context, p *identity.Principal, id string, lane Lane, reason string) (Declaration, error) {
	t, err := s.begin(ctx, p, id, ActDecide)
	if err != nil {
		return Declaration{}, err
	}
	f := problem.Fields{}
	if !slices.Contains(Lanes, lane) {
		f.Add("lane", "must be green, yellow, red or blue")
	}
	reason = text(f, "reason", reason, 500, true)
	if err := f.Err("the decision is not valid"); err != nil {
		return Declaration{}, err
	}
	// The reason goes with the risk reasons, which only the authorities
	// read; the history, which the trader reads, says what changed.
	t.reason(RuleOfficer, "Officer's decision: "+reason, 0, p.UserID, &FindingParams{Note: reason})
	from := t.d.Lane
	t.d.Lane = lane
	t.event(ActDecide, laneStatus(lane), EvLaneChanged, EventParams{FromLane: from, Lane: lane})
	s.autoRelease(t)
	return s.commit(ctx, t)
}

// Release lets the goods go: the officer's conclusion of any check. It is
// refused while quarantine holds the goods or awaits an inspection or a
// laboratory, and while the duties are neither paid nor guaranteed.
func (s *Service) Release(ctx context.Context, p *identity.Principal, id, note string) (Declaration, error) {
	t, err := s.begin(ctx, p, id, ActRelease)
	if err != nil {
		return Declaration{}, err
	}
	f := problem.Fields{}
	note = text(f, "note", note, 500, false)
	if err := f.Err("the release is not valid"); err != nil {
		return Declaration{}, err
	}
	if b := releaseBlockers(&t.d); len(b) > 0 {
		return Declaration{}, &problem.Error{Code: problem.Conflict, Message: "the goods cannot be released yet", Fields: b}
	}
	t.d.ReleasedAt = t.now
	t.event(ActRelease, StatusReleased, EvReleased, EventParams{Note: note})
	return s.commit(ctx, t)
}

// Refuse refuses release on customs' grounds.
func (s *Service) Refuse(ctx context.Context, p *identity.Principal, id, reason string) (Declaration, error) {
	return s.refuse(ctx, p, id, ActRefuse, ByCustoms, reason)
}

// RefuseSPS refuses entry on sanitary or phytosanitary grounds.
func (s *Service) RefuseSPS(ctx context.Context, p *identity.Principal, id, reason string) (Declaration, error) {
	return s.refuse(ctx, p, id, ActSPSRefuse, ByQuarantine, reason)
}

func (s *Service) refuse(ctx context.Context, p *identity.Principal, id string, a Action, by Authority, reason string) (Declaration, error) {
	t, err := s.begin(ctx, p, id, a)
	if err != nil {
		return Declaration{}, err
	}
	f := problem.Fields{}
	reason = text(f, "reason", reason, 500, true)
	if err := f.Err("the refusal is not valid"); err != nil {
		return Declaration{}, err
	}
	t.d.RefusedAt = t.now
	t.d.Refusal = &Refusal{By: by, Reason: reason, At: t.now, ActorUser: p.UserID}
	if t.d.Payment != nil || t.d.Guarantee.Drawn() {
		t.d.RefundDue = true
	}
	t.event(a, StatusRefused, EvRefused, EventParams{Note: reason})
	d, err := s.commitRefunding(ctx, t)
	if err == nil {
		s.forgetProfile(d.DeclarantOrg)
	}
	return d, err
}

// InspectionInput is what a quarantine inspector records.
type InspectionInput struct {
	Result       InspectionResult `json:"result"`
	SamplesTaken bool             `json:"samples_taken"`
	LabOutcome   LabOutcome       `json:"lab_outcome,omitempty"`
	Notes        string           `json:"notes,omitempty"`
}

// RecordInspection records a quarantine inspection or a laboratory result.
// A failure (on the spot or in the laboratory) puts the goods on hold; a
// pass clears them unless samples are still at the laboratory. A passing
// inspection never lifts a hold: that takes ReleaseSPSHold, a decision of
// its own.
func (s *Service) RecordInspection(ctx context.Context, p *identity.Principal, id string, in InspectionInput) (Declaration, error) {
	t, err := s.begin(ctx, p, id, ActSPSInspect)
	if err != nil {
		return Declaration{}, err
	}
	f := problem.Fields{}
	if in.Result != InspectionPass && in.Result != InspectionFail {
		f.Add("result", "must be pass or fail")
	}
	switch {
	case !in.SamplesTaken && in.LabOutcome != LabNone:
		f.Add("lab_outcome", "leave empty when no samples were taken")
	case in.SamplesTaken && in.LabOutcome != LabPending && in.LabOutcome != LabPass && in.LabOutcome != LabFail:
		f.Add("lab_outcome", "must be pending, pass or fail when samples were taken")
	}
	in.Notes = text(f, "notes", in.Notes, 2000, false)
	if err := f.Err("the inspection record is not valid"); err != nil {
		return Declaration{}, err
	}
	u, o := p.Actor()
	insp := Inspection{ID: newID(), DeclarationID: id, At: t.now, InspectorUser: u, InspectorOrg: o, Result: in.Result,
		SamplesTaken: in.SamplesTaken, LabOutcome: in.LabOutcome, Notes: in.Notes}
	t.ch.Inspection = &insp
	sps := &t.d.SPS
	failed := in.Result == InspectionFail || in.LabOutcome == LabFail
	sps.LabPending = !failed && in.LabOutcome == LabPending
	sps.Inspected = !failed && !sps.LabPending
	params := EventParams{Result: in.Result, Samples: in.SamplesTaken, Lab: in.LabOutcome}
	switch {
	case failed:
		sps.Status = SPSHeld
		params.Held = true
	case sps.Status == SPSHeld:
		params.HoldStays = true
	case sps.LabPending:
		sps.Status = SPSAwaitingLab
	default:
		sps.Status = SPSCleared
	}
	t.event(ActSPSInspect, t.d.Status, EvInspected, params)
	s.autoRelease(t)
	return s.commit(ctx, t)
}

// HoldSPS puts the goods on quarantine hold; customs cannot release them
// until quarantine lifts it.
func (s *Service) HoldSPS(ctx context.Context, p *identity.Principal, id, reason string) (Declaration, error) {
	t, err := s.begin(ctx, p, id, ActSPSHold)
	if err != nil {
		return Declaration{}, err
	}
	f := problem.Fields{}
	reason = text(f, "reason", reason, 500, true)
	if err := f.Err("the hold is not valid"); err != nil {
		return Declaration{}, err
	}
	if t.d.SPS.Status == SPSHeld {
		return Declaration{}, problem.New(problem.Conflict, "the goods are already on quarantine hold")
	}
	t.d.SPS.Status = SPSHeld
	t.event(ActSPSHold, t.d.Status, EvSPSHeld, EventParams{Note: reason})
	return s.commit(ctx, t)
}

// ReleaseSPSHold lifts a quarantine hold. Goods that still need a passing
// inspection (or laboratory result) go back to waiting for it.
func (s *Service) ReleaseSPSHold(ctx context.Context, p *identity.Principal, id, note string) (Declaration, error) {
	t, err := s.begin(ctx, p, id, ActSPSRelease)
	if err != nil {
		return Declaration{}, err
	}
	f := problem.Fields{}
	note = text(f, "note", note, 500, false)
	if err := f.Err("the release is not valid"); err != nil {
		return Declaration{}, err
	}
	sps := &t.d.SPS
	if sps.Status != SPSHeld {
		return Declaration{}, problem.New(problem.Conflict, "the goods are not on quarantine hold")
	}
	switch {
	case sps.LabPending:
		sps.Status = SPSAwaitingLab
	case sps.InspectionRequired && !sps.Inspected:
		sps.Status = SPSAwaitingInspection
	default:
		sps.Status = SPSCleared
	}
	t.event(ActSPSRelease, t.d.Status, EvSPSReleased, EventParams{SPSStatus: sps.Status, Note: note})
	s.autoRelease(t)
	return s.commit(ctx, t)
}

// Get returns a declaration the principal may see.
func (s *Service) Get(ctx context.Context, p *identity.Principal, id string) (Declaration, error) {
	d, err := s.load(ctx, p, id)
	if err != nil {
		return Declaration{}, err
	}
	return view(p, d), nil
}

// History is a declaration's status history, amendments and inspections.
type History struct {
	Events      []Event      `json:"events"`
	Amendments  []Amendment  `json:"amendments"`
	Inspections []Inspection `json:"inspections"`
}

// History returns the full record of a declaration the principal may see.
func (s *Service) History(ctx context.Context, p *identity.Principal, id string) (History, error) {
	if _, err := s.load(ctx, p, id); err != nil {
		return History{}, err
	}
	var h History
	var err error
	if h.Events, err = s.store.DeclarationEvents(ctx, id); err != nil {
		return History{}, err
	}
	// Events stored before kinds existed get theirs from their English
	// line, so every client reads one shape whatever the event's age.
	for i := range h.Events {
		if e := &h.Events[i]; e.Kind == "" {
			k, params := e.Structured()
			e.Kind, e.Params = k, &params
		}
	}
	if h.Amendments, err = s.store.DeclarationAmendments(ctx, id); err != nil {
		return History{}, err
	}
	if h.Inspections, err = s.store.DeclarationInspections(ctx, id); err != nil {
		return History{}, err
	}
	return h, nil
}

// Page limits of List.
const (
	DefaultListLimit = 50
	MaxListLimit     = 500
)

// List returns the declarations the principal may see that match q. The
// visibility rule is applied to the query, never left to the caller: a
// declarant's query is pinned to its org, quarantine's to SPS goods.
func (s *Service) List(ctx context.Context, p *identity.Principal, q Query) ([]Summary, error) {
	if err := signedIn(p); err != nil {
		return nil, err
	}
	switch AuthorityOf(p) {
	case ByDeclarant:
		q.DeclarantOrg = p.OrgID
	case ByCustoms:
		q.ExcludeDrafts = true
	case ByQuarantine:
		q.ExcludeDrafts, q.SPSOnly = true, true
	default:
		return nil, problem.New(problem.Forbidden, "only traders and customs and quarantine officers see declarations")
	}
	if err := q.check(); err != nil {
		return nil, err
	}
	if q.Limit <= 0 {
		q.Limit = DefaultListLimit
	}
	q.Limit = min(q.Limit, MaxListLimit)
	return s.store.ListDeclarations(ctx, q)
}

// MaxSearch bounds a list search's text, in characters.
const MaxSearch = 100

// check refuses a query no list can answer, with the API's field names: the
// pages and the API read lists through List, so the rule is here once.
func (q *Query) check() error {
	f := problem.Fields{}
	q.Search = strings.TrimSpace(q.Search)
	if utf8.RuneCountInString(q.Search) > MaxSearch {
		f.Add("q", fmt.Sprintf("at most %d characters", MaxSearch))
	}
	q.BorderPost = strings.ToUpper(strings.TrimSpace(q.BorderPost))
	if q.BorderPost != "" && !locodeShape(q.BorderPost) {
		f.Add("border_post", fmt.Sprintf("unknown UN/LOCODE %q", q.BorderPost))
	}
	for _, st := range q.Statuses {
		if !slices.Contains(Statuses, st) {
			f.Add("status", "must be one of draft, submitted, assessed, documentary_check, physical_inspection, released, refused, cancelled")
			break
		}
	}
	if q.Lane != LaneNone && !slices.Contains(Lanes, q.Lane) {
		f.Add("lane", "must be green, yellow, red or blue")
	}
	if q.Procedure != "" && !slices.Contains(Procedures, q.Procedure) {
		f.Add("procedure", "must be import, export or transit")
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.From.Before(q.To) {
		f.Add("to", "must be after from")
	}
	if q.After != "" {
		if _, err := uuid.Parse(q.After); err != nil {
			f.Add("cursor", "not a cursor from this listing")
		}
	}
	return f.Err("bad declaration query")
}

// locodeShape is a UN/LOCODE's form: a country code and three letters or
// digits (which codes exist is the reference data's business; an unknown
// one finds nothing).
func locodeShape(s string) bool {
	if len(s) != 5 {
		return false
	}
	for i, c := range s {
		letter := c >= 'A' && c <= 'Z'
		if !letter && (i < 2 || c < '2' || c > '9') {
			return false
		}
	}
	return true
}

// CustomsQueue is the officers' work list for a lane, oldest first: yellow
// awaits documentary checks, red physical inspections, green and blue
// release (payment or quarantine). LaneNone lists every declaration under
// control.
func (s *Service) CustomsQueue(ctx context.Context, p *identity.Principal, lane Lane, after string, limit int) ([]Summary, error) {
	return s.SearchCustomsQueue(ctx, p, lane, Query{After: after, Limit: limit})
}

// SearchCustomsQueue is CustomsQueue narrowed by find's search, border post
// and dates (its other fields are the queue's own).
func (s *Service) SearchCustomsQueue(ctx context.Context, p *identity.Principal, lane Lane, find Query) ([]Summary, error) {
	after, limit := find.After, find.Limit
	if AuthorityOf(p) != ByCustoms {
		if err := signedIn(p); err != nil {
			return nil, err
		}
		return nil, problem.New(problem.Forbidden, "only customs officers have a customs queue")
	}
	q := Query{Lane: lane, Statuses: underControl, After: after, Limit: limit, Search: find.Search, BorderPost: find.BorderPost,
		From: find.From, To: find.To, Procedure: find.Procedure}
	if lane != LaneNone {
		if !slices.Contains(Lanes, lane) {
			return nil, &problem.Error{Code: problem.Invalid, Message: "unknown lane", Fields: map[string]string{"lane": "must be green, yellow, red or blue"}}
		}
		q.Statuses = []Status{laneStatus(lane)}
	}
	return s.List(ctx, p, q)
}

// QuarantineQueue is the quarantine authority's work list, oldest first:
// lodged declarations awaiting an inspection or a laboratory, or on hold.
func (s *Service) QuarantineQueue(ctx context.Context, p *identity.Principal, after string, limit int) ([]Summary, error) {
	return s.SearchQuarantineQueue(ctx, p, Query{After: after, Limit: limit})
}

// SearchQuarantineQueue is QuarantineQueue narrowed by find's search,
// border post and dates.
func (s *Service) SearchQuarantineQueue(ctx context.Context, p *identity.Principal, find Query) ([]Summary, error) {
	if AuthorityOf(p) != ByQuarantine {
		if err := signedIn(p); err != nil {
			return nil, err
		}
		return nil, problem.New(problem.Forbidden, "only quarantine officers have a quarantine queue")
	}
	return s.List(ctx, p, Query{Statuses: lodged, SPSStatuses: []SPSStatus{SPSAwaitingInspection, SPSAwaitingLab, SPSHeld}, After: find.After, Limit: find.Limit,
		Search: find.Search, BorderPost: find.BorderPost, From: find.From, To: find.To, Procedure: find.Procedure})
}

// LaneStats is the lane dashboard: shares of the lanes among declarations
// assigned one in [from, to), and the average time from lane assignment to
// release. Customs officers and the platform administrator see it; it
// names no trader.
func (s *Service) LaneStats(ctx context.Context, p *identity.Principal, from, to time.Time) (LaneStats, error) {
	if err := signedIn(p); err != nil {
		return LaneStats{}, err
	}
	if AuthorityOf(p) != ByCustoms && !p.Has(identity.PlatformAdmin) {
		return LaneStats{}, problem.New(problem.Forbidden, "only customs officers and the platform administrator see lane statistics")
	}
	if !to.After(from) {
		return LaneStats{}, &problem.Error{Code: problem.Invalid, Message: "the period is empty", Fields: map[string]string{"to": "must be after from"}}
	}
	return s.store.CustomsLaneStats(ctx, from.UTC(), to.UTC())
}

// SetTrustedTrader grants or withdraws authorised-economic-operator status,
// which the risk engine reads at every assessment (this process's next
// assessment sees the change at once; see ProfileCacheTTL).
func (s *Service) SetTrustedTrader(ctx context.Context, p *identity.Principal, orgID string, aeo bool, note string) (TrustedTrader, error) {
	if err := signedIn(p); err != nil {
		return TrustedTrader{}, err
	}
	if AuthorityOf(p) != ByCustoms {
		return TrustedTrader{}, problem.New(problem.Forbidden, "only customs officers grant AEO status")
	}
	f := problem.Fields{}
	if orgID = strings.TrimSpace(orgID); orgID == "" {
		f.Add("org_id", "required")
	}
	note = text(f, "note", note, 500, false)
	if err := f.Err("the AEO decision is not valid"); err != nil {
		return TrustedTrader{}, err
	}
	tt := TrustedTrader{OrgID: orgID, AEO: aeo, Note: note, UpdatedAt: s.now(), UpdatedBy: p.UserID}
	u, o := p.Actor()
	action := "customs.aeo.grant"
	if !aeo {
		action = "customs.aeo.withdraw"
	}
	rec := audit.Record{ActorUser: u, ActorOrg: o, Action: action, SubjectType: "org", SubjectID: orgID, OrgID: orgID,
		After: fmt.Sprintf("aeo=%t", aeo), Detail: note}
	if err := s.store.SetTrustedTrader(ctx, tt, rec); err != nil {
		return TrustedTrader{}, err
	}
	s.forgetProfile(orgID)
	return tt, nil
}

// EstimateDuties assesses content without storing anything, at today's
// rates, so that a trader sees what a declaration will cost before lodging
// it. The lane is not estimated: selectivity is customs' secret.
func (s *Service) EstimateDuties(ctx context.Context, p *identity.Principal, c Content) (Assessment, error) {
	if err := signedIn(p); err != nil {
		return Assessment{}, err
	}
	if AuthorityOf(p) != ByDeclarant {
		return Assessment{}, forbidden(ActCreate)
	}
	now := s.now()
	c = cloneContent(c)
	if err := s.validate(p, &c, now); err != nil {
		return Assessment{}, err
	}
	return s.rules.Assess(&c, now, s.ratesFor(ctx))
}

// ratesFor binds the request's context to the rate source for the pure
// rules, which see only a function of currency and date.
func (s *Service) ratesFor(ctx context.Context) RateFunc {
	if s.cfg.Rates == nil {
		return nil
	}
	return func(ccy string, date time.Time) (money.Rate, error) { return s.cfg.Rates(ctx, ccy, date) }
}

func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

func cloneContent(c Content) Content {
	c.Items = slices.Clone(c.Items)
	c.Transport.TransportEquipmentIDs = slices.Clone(c.Transport.TransportEquipmentIDs)
	return c
}

// cloneDeclaration copies everything a transition may change in place, so
// that the declaration it started from stays intact.
func cloneDeclaration(d Declaration) Declaration {
	d.Content = cloneContent(d.Content)
	d.RiskReasons = slices.Clone(d.RiskReasons)
	d.Documents = slices.Clone(d.Documents)
	d.SPS.Certificates = slices.Clone(d.SPS.Certificates)
	d.SPS.Items = slices.Clone(d.SPS.Items)
	if d.Assessment != nil {
		a := *d.Assessment
		a.Lines = slices.Clone(a.Lines)
		a.Rates = slices.Clone(a.Rates)
		d.Assessment = &a
	}
	return d
}
