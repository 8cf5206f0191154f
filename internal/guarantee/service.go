package guarantee

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"bricstown/internal/audit"
	"bricstown/internal/identity"
	"bricstown/internal/ledger"
	"bricstown/internal/money"
	"bricstown/internal/problem"

	"github.com/google/uuid"
)

// Config wires the service to the rest of the platform.
type Config struct {
	Log    *slog.Logger
	Ledger *ledger.Service
	// Revenue finds the customs authority's KZT revenue account (see
	// dutyledger.Payments.Revenue): guarantees are reserved for it, and its
	// owner is every guarantee's beneficiary.
	Revenue func(ctx context.Context) (ledger.Account, error)
	// OrgKind tells what kind of organisation an id names (problem.NotFound
	// when none): only companies and logistics operators declare goods.
	OrgKind func(ctx context.Context, orgID string) (identity.OrgKind, error)
	Now     func() time.Time
}

// Service applies the rules of guarantees: only a bank issues, from its
// own funded account; only the principal draws, only for its declarations'
// duties; only the bank releases.
type Service struct {
	store Store
	cfg   Config
}

// NewService returns a service on store.
func NewService(store Store, cfg Config) *Service {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Service{store: store, cfg: cfg}
}

func (s *Service) now() time.Time { return s.cfg.Now().UTC().Truncate(time.Microsecond) }

// Ledger codes of the guarantee's transfers.
const (
	CodeReserve = "customs_guarantee"
	CodeDraw    = "customs_duties"
)

// NewGuarantee is what a bank fills in to issue a guarantee.
type NewGuarantee struct {
	Reference        string `json:"reference"`
	PrincipalOrg     string `json:"principal_org"`
	BackingAccountID string `json:"backing_account_id"`
	// AmountKZT is in tiyn, like every amount of a declaration.
	AmountKZT int64 `json:"amount_kzt"`
	// ValidUntil is an RFC 3339 time, or a date (YYYY-MM-DD: valid to the
	// end of that day, UTC).
	ValidUntil string `json:"valid_until"`
}

// parseUntil reads a validity end.
func parseUntil(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), true
	}
	if d, err := time.Parse(time.DateOnly, s); err == nil {
		return d.Add(24*time.Hour - time.Second), true
	}
	return time.Time{}, false
}

func notFound() error { return problem.New(problem.NotFound, "no such guarantee") }

func validText(f problem.Fields, field, s string, max int) string {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		f.Add(field, "required")
	case !utf8.ValidString(s) || strings.IndexFunc(s, unicode.IsControl) >= 0:
		f.Add(field, "must be printable text")
	case utf8.RuneCountInString(s) > max:
		f.Addf(field, "at most %d characters", max)
	}
	return s
}

// CheckAmount is the rule for an amount of KZT in tiyn.
func CheckAmount(f problem.Fields, field string, v int64) {
	switch {
	case v <= 0:
		f.Add(field, "must be positive (KZT in tiyn)")
	case v > MaxAmountKZT:
		f.Addf(field, "must be at most %s KZT", money.FormatAmount(MaxAmountKZT, 2))
	}
}

// revenue is the customs authority's KZT revenue account.
func (s *Service) revenue(ctx context.Context) (string, ledger.Account, error) {
	acc, err := s.cfg.Revenue(ctx)
	if err != nil {
		return "", ledger.Account{}, err
	}
	if acc.Currency != "KZT" || acc.Closed {
		return "", ledger.Account{}, problem.New(problem.Unavailable, "the customs revenue account cannot take guarantees")
	}
	return acc.OrgID, acc, nil
}

// Issue makes a guarantee of the caller's bank. The ledger reserves the
// amount first and the guarantee is recorded after: if the ledger refuses
// (not enough funds), nothing is recorded; if the process stops in
// between, the reservation has no guarantee, so nothing can draw on it and
// the ledger releases it at the end of validity.
func (s *Service) Issue(ctx context.Context, p *identity.Principal, in NewGuarantee) (Guarantee, error) {
	if p == nil || p.OrgKind != identity.KindBank || !p.Has(identity.BankOperator) {
		return Guarantee{}, problem.New(problem.Forbidden, "only a bank's operators issue guarantees")
	}
	now := s.now()
	f := problem.Fields{}
	g := Guarantee{ID: uuid.Must(uuid.NewV7()).String(), BankOrg: p.OrgID, Status: Active, CreatedAt: now, UpdatedAt: now, CreatedBy: p.UserID}
	g.Reference = validText(f, "reference", in.Reference, 64)
	g.PrincipalOrg = strings.TrimSpace(in.PrincipalOrg)
	switch kind, err := s.orgKind(ctx, g.PrincipalOrg); {
	case err != nil:
		return Guarantee{}, err
	case kind == "":
		f.Add("principal_org", "must be a registered organisation")
	case kind != identity.KindCompany && kind != identity.KindLogisticsOperator:
		f.Add("principal_org", "must be a company or logistics operator that declares goods")
	}
	CheckAmount(f, "amount_kzt", in.AmountKZT)
	g.AmountKZT, g.RemainingKZT = in.AmountKZT, in.AmountKZT
	until, ok := parseUntil(in.ValidUntil)
	g.ValidUntil = until.Truncate(time.Second)
	switch {
	case strings.TrimSpace(in.ValidUntil) == "":
		f.Add("valid_until", "required")
	case !ok:
		f.Add("valid_until", "must be a date (YYYY-MM-DD) or an RFC 3339 time")
	case g.ValidUntil.Sub(now) < time.Hour:
		f.Add("valid_until", "must be at least an hour from now")
	case g.ValidUntil.Sub(now) > MaxValidity:
		f.Add("valid_until", "must be within 366 days")
	}
	backing, err := s.backingAccount(ctx, p, in.BackingAccountID, f)
	if err != nil {
		return Guarantee{}, err
	}
	if err := f.Err("the guarantee is not valid"); err != nil {
		return Guarantee{}, err
	}
	bene, rev, err := s.revenue(ctx)
	if err != nil {
		return Guarantee{}, err
	}
	g.BeneficiaryOrg, g.BackingAccount, g.RevenueAccount = bene, backing.ID.String(), rev.ID.String()
	if g.PrincipalOrg == g.BankOrg || g.PrincipalOrg == bene {
		return Guarantee{}, &problem.Error{Code: problem.Invalid, Message: "the guarantee is not valid",
			Fields: map[string]string{"principal_org": "must be a declarant, not the bank or customs"}}
	}
	res, err := s.cfg.Ledger.SubmitSystem(ctx, []ledger.Transfer{{ID: holdID(g.ID, 0), DebitAccount: backing.ID, CreditAccount: rev.ID,
		Amount: g.AmountKZT, Currency: "KZT", Timeout: timeoutSeconds(g.ValidUntil, now), Code: CodeReserve, Reference: g.ID, Flags: ledger.Pending}},
		s.record(p, "guarantee.reserve", g.ID, g.BankOrg, money.FormatAmount(g.AmountKZT, 2)+" KZT"))
	if err != nil {
		return Guarantee{}, err
	}
	if c := res[0].Code; c != ledger.OK {
		return Guarantee{}, refusal(c, "backing_account_id")
	}
	if err := s.store.CreateGuarantee(ctx, g, s.record(p, "guarantee.issue", g.ID, g.BankOrg,
		fmt.Sprintf("%s KZT to %s until %s", money.FormatAmount(g.AmountKZT, 2), g.PrincipalOrg, g.ValidUntil.Format(time.RFC3339)))); err != nil {
		// Release the reservation now rather than at the end of validity.
		if _, verr := s.cfg.Ledger.SubmitSystem(context.WithoutCancel(ctx), []ledger.Transfer{{ID: voidID(g.ID, 0), PendingID: holdID(g.ID, 0),
			Flags: ledger.VoidPending, Code: CodeReserve, Reference: g.ID}}, s.record(p, "guarantee.unreserve", g.ID, g.BankOrg, "not recorded")); verr != nil {
			s.cfg.Log.Warn("guarantee reservation left to expire", "guarantee", g.ID, "err", verr)
		}
		return Guarantee{}, err
	}
	return g, nil
}

// refusal explains a ledger result code that stopped a guarantee's move.
func refusal(c ledger.Code, field string) error {
	switch c {
	case ledger.ExceedsCredits:
		return &problem.Error{Code: problem.Conflict, Message: "the backing account does not hold enough funds for the guarantee",
			Fields: map[string]string{field: "not enough funds"}}
	case ledger.PendingTransferExpired:
		return &problem.Error{Code: problem.Conflict, Message: "the guarantee has expired", Fields: map[string]string{field: "expired"}}
	case ledger.PendingTransferAlreadyVoided:
		return &problem.Error{Code: problem.Conflict, Message: "the guarantee was released", Fields: map[string]string{field: "released"}}
	default:
		return &problem.Error{Code: problem.Conflict, Message: "the ledger refused: " + string(c), Fields: map[string]string{field: string(c)}}
	}
}

func (s *Service) orgKind(ctx context.Context, org string) (identity.OrgKind, error) {
	if org == "" {
		return "", nil
	}
	k, err := s.cfg.OrgKind(ctx, org)
	if problem.Is(err, problem.NotFound) {
		return "", nil
	}
	return k, err
}

// backingAccount checks the account the bank reserves from: its own, open,
// in KZT, and one that cannot go below zero, so that the ledger refuses a
// reservation the bank cannot fund.
func (s *Service) backingAccount(ctx context.Context, p *identity.Principal, id string, f problem.Fields) (ledger.Account, error) {
	u, err := uuid.Parse(strings.TrimSpace(id))
	if err != nil {
		f.Add("backing_account_id", "must be the id of one of your KZT accounts")
		return ledger.Account{}, nil
	}
	a, err := s.cfg.Ledger.AccountByID(ctx, u)
	switch {
	case problem.Is(err, problem.NotFound) || err == nil && a.OrgID != p.OrgID:
		f.Add("backing_account_id", "must be the id of one of your KZT accounts")
	case err != nil:
		return ledger.Account{}, err
	case a.Currency != "KZT":
		f.Add("backing_account_id", "must be a KZT account")
	case a.Closed:
		f.Add("backing_account_id", "the account is closed")
	case a.Flags&ledger.DebitsMustNotExceedCredits == 0 || a.Kind.DebitNormal():
		f.Add("backing_account_id", "must be a funds account that cannot go below zero")
	}
	return a, nil
}

func (s *Service) record(p *identity.Principal, action, id, org, detail string) audit.Record {
	u, o := p.Actor()
	return audit.Record{ActorUser: u, ActorOrg: o, Action: action, SubjectType: "guarantee", SubjectID: id, OrgID: org, Detail: detail}
}

// canSee: the bank, the principal, the beneficiary and the platform
// administrator see a guarantee; anyone else is told it does not exist.
func canSee(p *identity.Principal, g *Guarantee) bool {
	return p.CanSeeOrg(g.BankOrg) || p.CanSeeOrg(g.PrincipalOrg) || p.CanSeeOrg(g.BeneficiaryOrg)
}

func (s *Service) load(ctx context.Context, id string) (Guarantee, error) {
	if _, err := uuid.Parse(id); err != nil {
		return Guarantee{}, notFound()
	}
	g, err := s.store.GetGuarantee(ctx, id)
	if problem.Is(err, problem.NotFound) {
		return Guarantee{}, notFound()
	}
	return g, err
}

// shown is g as the caller sees it: with its status at this moment.
func (s *Service) shown(g Guarantee) Guarantee {
	g.Status = g.StatusAt(s.now())
	return g
}

// Get returns a guarantee and its moves.
func (s *Service) Get(ctx context.Context, p *identity.Principal, id string) (Guarantee, []Move, error) {
	g, err := s.load(ctx, id)
	if err != nil {
		return Guarantee{}, nil, err
	}
	if !canSee(p, &g) {
		return Guarantee{}, nil, notFound()
	}
	moves, err := s.store.GuaranteeMoves(ctx, g.ID)
	return s.shown(g), moves, err
}

// List returns the guarantees the caller's organisation issued (a bank),
// holds (a declarant) or benefits from (customs); the platform
// administrator sees all.
func (s *Service) List(ctx context.Context, p *identity.Principal, after string, limit int) ([]Guarantee, error) {
	if p == nil {
		return nil, problem.New(problem.Unauthenticated, "sign in")
	}
	q := Query{After: after, Limit: limit}
	if q.Limit <= 0 || q.Limit > 500 {
		q.Limit = 100
	}
	switch {
	case p.Has(identity.PlatformAdmin):
	case p.OrgKind == identity.KindBank:
		q.BankOrg = p.OrgID
	case p.OrgKind == identity.KindCustomsAuthority:
		q.BeneficiaryOrg = p.OrgID
	default:
		q.PrincipalOrg = p.OrgID
	}
	list, err := s.store.ListGuarantees(ctx, q)
	for i := range list {
		list[i] = s.shown(list[i])
	}
	return list, err
}

// Cancel releases the unused remainder of a guarantee of the caller's bank.
func (s *Service) Cancel(ctx context.Context, p *identity.Principal, id string) (Guarantee, error) {
	g, err := s.load(ctx, id)
	if err != nil {
		return Guarantee{}, err
	}
	if !p.CanSeeOrg(g.BankOrg) {
		return Guarantee{}, notFound()
	}
	if p.OrgID != g.BankOrg || !p.Has(identity.BankOperator) {
		return Guarantee{}, problem.New(problem.Forbidden, "only the issuing bank's operators release a guarantee")
	}
	for attempt := 0; ; attempt++ {
		if g, err = s.settle(ctx, g); err != nil {
			return Guarantee{}, err
		}
		if st := g.StatusAt(s.now()); st != Active {
			return Guarantee{}, problem.New(problem.Conflict, "the guarantee is %s: nothing to release", st)
		}
		m := Move{GuaranteeID: g.ID, Seq: g.HoldSeq, Kind: Void, AmountKZT: g.RemainingKZT, TransferID: voidID(g.ID, g.HoldSeq).String(), At: s.now(), By: p.UserID}
		err = s.store.OpenGuaranteeMove(ctx, m, s.record(p, "guarantee.cancel", g.ID, g.BankOrg, money.FormatAmount(m.AmountKZT, 2)+" KZT to release"))
		if problem.Is(err, problem.Conflict) && attempt < 4 {
			if g, err = s.load(ctx, g.ID); err != nil {
				return Guarantee{}, err
			}
			continue
		}
		if err != nil {
			return Guarantee{}, err
		}
		g, err = s.finish(ctx, g, m)
		if err != nil {
			return Guarantee{}, err
		}
		return s.shown(g), nil
	}
}

// DrawDuties draws a declaration's duties from a guarantee held by the
// caller's organisation, and answers the guarantee drawn, its reference and
// the ledger transfer that moved the money. It implements the customs
// service's Guarantees port. A declaration is drawn for once: asked again
// (a retry, or a crash before customs recorded the draw), it answers the
// draw already made, whichever guarantee was named.
func (s *Service) DrawDuties(ctx context.Context, p *identity.Principal, declarationID string, amountKZT int64, guaranteeID string) (gid, reference, transferID string, err error) {
	f := problem.Fields{}
	CheckAmount(f, "amount_kzt", amountKZT)
	if strings.TrimSpace(guaranteeID) == "" {
		f.Add("guarantee_id", "required: the id of a guarantee a bank issued to your organisation")
	}
	if err := f.Err("the draw is not valid"); err != nil {
		return "", "", "", err
	}
	if p == nil {
		return "", "", "", problem.New(problem.Unauthenticated, "sign in")
	}
	if prev, err := s.store.GuaranteeDrawFor(ctx, declarationID); err == nil {
		g, err := s.load(ctx, prev.GuaranteeID)
		if err != nil {
			return "", "", "", err
		}
		if g.PrincipalOrg != p.OrgID {
			return "", "", "", problem.New(problem.Conflict, "the duties of this declaration were drawn by another organisation")
		}
		if !prev.Done {
			if _, err := s.settle(ctx, g); err != nil {
				return "", "", "", err
			}
			if prev, err = s.store.GuaranteeDrawFor(ctx, declarationID); err != nil {
				if problem.Is(err, problem.NotFound) {
					return s.DrawDuties(ctx, p, declarationID, amountKZT, guaranteeID)
				}
				return "", "", "", err
			}
		}
		if prev.AmountKZT != amountKZT {
			return "", "", "", problem.New(problem.Conflict, "%s KZT were already drawn for this declaration", money.FormatAmount(prev.AmountKZT, 2))
		}
		return g.ID, g.Reference, prev.TransferID, nil
	} else if !problem.Is(err, problem.NotFound) {
		return "", "", "", err
	}
	g, err := s.load(ctx, strings.TrimSpace(guaranteeID))
	if err == nil && g.PrincipalOrg != p.OrgID {
		err = notFound()
	}
	if err != nil {
		return "", "", "", fieldNotFound(err)
	}
	for attempt := 0; ; attempt++ {
		if g, err = s.settle(ctx, g); err != nil {
			return "", "", "", err
		}
		switch st := g.StatusAt(s.now()); {
		case st != Active:
			return "", "", "", &problem.Error{Code: problem.Conflict, Message: "the guarantee is " + string(st),
				Fields: map[string]string{"guarantee_id": "the guarantee is " + string(st)}}
		case g.RemainingKZT < amountKZT:
			return "", "", "", &problem.Error{Code: problem.Conflict, Message: "the guarantee does not cover the duties",
				Fields: map[string]string{"guarantee_id": fmt.Sprintf("%s KZT remain, %s KZT are due",
					money.FormatAmount(g.RemainingKZT, 2), money.FormatAmount(amountKZT, 2))}}
		}
		m := Move{GuaranteeID: g.ID, Seq: g.HoldSeq, Kind: Draw, DeclarationID: declarationID, AmountKZT: amountKZT,
			TransferID: drawID(g.ID, g.HoldSeq).String(), At: s.now(), By: p.UserID}
		err = s.store.OpenGuaranteeMove(ctx, m, s.record(p, "guarantee.draw", g.ID, g.PrincipalOrg,
			fmt.Sprintf("%s KZT for declaration %s", money.FormatAmount(amountKZT, 2), declarationID)))
		if problem.Is(err, problem.Conflict) && attempt < 4 {
			// Another draw took this reservation, or this declaration was
			// drawn for meanwhile: look again.
			if _, derr := s.store.GuaranteeDrawFor(ctx, declarationID); derr == nil {
				return s.DrawDuties(ctx, p, declarationID, amountKZT, guaranteeID)
			}
			if g, err = s.load(ctx, g.ID); err != nil {
				return "", "", "", err
			}
			continue
		}
		if err != nil {
			return "", "", "", err
		}
		if _, err = s.finish(ctx, g, m); err != nil {
			return "", "", "", err
		}
		return g.ID, g.Reference, m.TransferID, nil
	}
}

func fieldNotFound(err error) error {
	if problem.Is(err, problem.NotFound) {
		return &problem.Error{Code: problem.NotFound, Message: "no such guarantee", Fields: map[string]string{"guarantee_id": "no guarantee with this id was issued to your organisation"}}
	}
	return err
}

// settle finishes the move left open on g's current reservation, if any (a
// crash, or a concurrent request still running: finishing twice is
// harmless), and returns g as it is after.
func (s *Service) settle(ctx context.Context, g Guarantee) (Guarantee, error) {
	for range 3 {
		moves, err := s.store.GuaranteeMoves(ctx, g.ID)
		if err != nil {
			return Guarantee{}, err
		}
		var open *Move
		for i := range moves {
			if !moves[i].Done && moves[i].Seq == g.HoldSeq {
				open = &moves[i]
			}
		}
		if open == nil {
			return g, nil
		}
		if _, err := s.finish(ctx, g, *open); err != nil && !problem.Is(err, problem.Conflict) {
			return Guarantee{}, err
		}
		if g, err = s.load(ctx, g.ID); err != nil {
			return Guarantee{}, err
		}
	}
	return g, nil
}

// finish asks the ledger for move m and records the outcome. The ledger
// ids derive from (guarantee, seq), so a move submitted twice moves money
// once; whether it happened is read back from the ledger, not inferred
// from the answer, because a second submission of a chain that already
// committed is refused (its remainder's timeout differs).
func (s *Service) finish(ctx context.Context, g Guarantee, m Move) (Guarantee, error) {
	now := s.now()
	hold := holdID(g.ID, m.Seq)
	var reqs []ledger.Transfer
	var target ledger.ID
	switch m.Kind {
	case Draw:
		target = drawID(g.ID, m.Seq)
		post := ledger.Transfer{ID: target, PendingID: hold, Amount: m.AmountKZT, Currency: "KZT", Flags: ledger.PostPending,
			Code: CodeDraw, Reference: m.DeclarationID}
		rest := g.RemainingKZT - m.AmountKZT
		if rest > 0 {
			timeout := timeoutSeconds(g.ValidUntil, now)
			if timeout == 0 {
				return Guarantee{}, s.drop(ctx, g, m, ledger.PendingTransferExpired)
			}
			post.Flags |= ledger.Linked
			reqs = []ledger.Transfer{post, {ID: holdID(g.ID, m.Seq+1), DebitAccount: uuid.MustParse(g.BackingAccount),
				CreditAccount: uuid.MustParse(g.RevenueAccount), Amount: rest, Currency: "KZT", Timeout: timeout,
				Code: CodeReserve, Reference: g.ID, Flags: ledger.Pending}}
		} else {
			reqs = []ledger.Transfer{post}
		}
	case Void:
		target = voidID(g.ID, m.Seq)
		reqs = []ledger.Transfer{{ID: target, PendingID: hold, Flags: ledger.VoidPending, Code: CodeReserve, Reference: g.ID}}
	default:
		return Guarantee{}, fmt.Errorf("guarantee: unknown move %q", m.Kind)
	}
	rec := audit.Record{ActorUser: m.By, ActorOrg: "", Action: "guarantee." + string(m.Kind), SubjectType: "guarantee", SubjectID: g.ID, OrgID: g.BankOrg}
	res, err := s.cfg.Ledger.SubmitSystem(ctx, reqs, rec)
	if err != nil {
		return Guarantee{}, err
	}
	if !res[0].Code.Created() {
		if _, gerr := s.cfg.Ledger.TransferByID(ctx, target); problem.Is(gerr, problem.NotFound) {
			code := res[0].Code
			if code == ledger.LinkedEventFailed && len(res) > 1 {
				code = res[1].Code
			}
			return Guarantee{}, s.drop(ctx, g, m, code)
		} else if gerr != nil {
			return Guarantee{}, gerr
		}
	}
	rec.Action = "guarantee." + string(m.Kind) + ".done"
	rec.Detail = fmt.Sprintf("%s KZT, transfer %s", money.FormatAmount(m.AmountKZT, 2), target)
	if err := s.store.CompleteGuaranteeMove(ctx, m, now, rec); err != nil {
		return Guarantee{}, err
	}
	return s.load(ctx, g.ID)
}

// drop removes an intent the ledger refused and explains why.
func (s *Service) drop(ctx context.Context, g Guarantee, m Move, code ledger.Code) error {
	if err := s.store.DropGuaranteeMove(ctx, g.ID, m.Seq, s.now(), audit.Record{ActorUser: m.By, Action: "guarantee." + string(m.Kind) + ".refused",
		SubjectType: "guarantee", SubjectID: g.ID, OrgID: g.BankOrg, Detail: string(code)}); err != nil {
		return err
	}
	return refusal(code, "guarantee_id")
}
