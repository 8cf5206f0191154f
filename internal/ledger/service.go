package ledger

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"bricstown/internal/audit"
	"bricstown/internal/identity"
	"bricstown/internal/money"
	"bricstown/internal/problem"

	"github.com/google/uuid"
)

// Config wires the service to the rest of the platform.
type Config struct {
	Log *slog.Logger
	// Exponent returns the ISO 4217 minor-unit exponent of a currency that
	// can hold money; ok is false for unknown codes and for codes such as
	// XAU that have no minor unit.
	Exponent func(currency string) (exp int, ok bool)
	Now      func() time.Time
	// SweepEvery is how often expired pending transfers are released.
	SweepEvery time.Duration
}

// Service applies the ledger's API rules: who may open accounts and move
// money, decimal amounts per currency, and group commit of concurrent
// requests.
type Service struct {
	store Store
	cfg   Config
	batch *batcher
}

// NewService returns a service; call Run to start its batcher and sweeper.
func NewService(store Store, cfg Config) *Service {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.SweepEvery == 0 {
		cfg.SweepEvery = time.Second
	}
	return &Service{store: store, cfg: cfg, batch: newBatcher(store, cfg.Log, cfg.Now)}
}

// Store exposes the store for read-only tools (verify).
func (s *Service) Store() Store { return s.store }

// Run writes queued transfers and releases expired pending transfers until
// ctx ends.
func (s *Service) Run(ctx context.Context) {
	go s.batch.run(ctx)
	t := time.NewTicker(s.cfg.SweepEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n, err := s.ExpirePending(ctx); err != nil {
				s.cfg.Log.Warn("pending expiry", "err", err)
			} else if n > 0 {
				s.cfg.Log.Info("expired pending transfers released", "count", n)
			}
		}
	}
}

// ExpirePending releases every pending transfer whose timeout has passed,
// recording each release as a void with the Expired flag, so the release
// shows in both accounts' history. The void's id is derived from the
// pending transfer's, so two sweepers (two processes) release it once.
func (s *Service) ExpirePending(ctx context.Context) (int, error) {
	released := 0
	for {
		ids, err := s.store.ExpiredPendings(ctx, s.cfg.Now(), MaxBatch)
		if err != nil || len(ids) == 0 {
			return released, err
		}
		reqs := make([]Transfer, len(ids))
		for i, id := range ids {
			reqs[i] = Transfer{ID: uuid.NewSHA1(id, []byte("expire")), PendingID: id, Flags: VoidPending | Expired}
		}
		res, err := s.batch.submit(ctx, &submission{reqs: reqs, system: true, rec: audit.Record{ActorUser: "system", Action: "ledger.pending.expire"}})
		if err != nil {
			return released, err
		}
		for _, r := range res {
			if r.Code == OK {
				released++
			}
		}
		if len(ids) < MaxBatch {
			return released, nil
		}
	}
}

// NewAccount is the API input for opening an account.
type NewAccount struct {
	ID       string `json:"id,omitempty"` // optional client id (UUID); generated when empty
	OrgID    string `json:"org_id,omitempty"`
	Currency string `json:"currency"`
	Kind     Kind   `json:"kind"`
	Code     string `json:"code"`
	Name     string `json:"name"`
	// DebitsMustNotExceedCredits makes the account unable to go below zero
	// (the usual setting for a customer's funds).
	DebitsMustNotExceedCredits bool `json:"debits_must_not_exceed_credits,omitempty"`
	CreditsMustNotExceedDebits bool `json:"credits_must_not_exceed_debits,omitempty"`
}

func parseID(field, s string, f problem.Fields) ID {
	u, err := uuid.Parse(s)
	if err != nil || u == Zero {
		f.Add(field, "must be a UUID (UUIDv7 recommended)")
	}
	return u
}

// CreateAccount opens an account for the caller's org; the platform
// administrator may open one for any org.
func (s *Service) CreateAccount(ctx context.Context, p *identity.Principal, in NewAccount) (Account, error) {
	f := problem.Fields{}
	a := Account{OrgID: p.OrgID, Kind: in.Kind, Code: strings.TrimSpace(in.Code), Name: strings.TrimSpace(in.Name), CreatedAt: s.cfg.Now()}
	if in.ID != "" {
		a.ID = parseID("id", in.ID, f)
	} else {
		a.ID = uuid.Must(uuid.NewV7())
	}
	if in.OrgID != "" && in.OrgID != p.OrgID {
		if !p.Has(identity.PlatformAdmin) {
			f.Add("org_id", "you can open accounts only for your own organisation")
		}
		a.OrgID = in.OrgID
	}
	a.Currency = strings.ToUpper(strings.TrimSpace(in.Currency))
	if _, ok := s.cfg.Exponent(a.Currency); !ok {
		f.Add("currency", "must be an ISO 4217 currency that holds money")
	}
	if !slices.Contains(Kinds, a.Kind) {
		f.Add("kind", "must be one of asset, liability, equity, revenue, expense")
	}
	if a.Code == "" || len(a.Code) > 40 || strings.ContainsAny(a.Code, " \t\n") {
		f.Add("code", "must be 1 to 40 characters without spaces, e.g. operating, settlement")
	}
	if utf8.RuneCountInString(a.Name) > 200 {
		f.Add("name", "must be at most 200 characters")
	}
	if in.DebitsMustNotExceedCredits && in.CreditsMustNotExceedDebits {
		f.Add("credits_must_not_exceed_debits", "cannot be combined with debits_must_not_exceed_credits")
	}
	if in.DebitsMustNotExceedCredits {
		a.Flags |= DebitsMustNotExceedCredits
	}
	if in.CreditsMustNotExceedDebits {
		a.Flags |= CreditsMustNotExceedDebits
	}
	if err := f.Err("the account is not valid"); err != nil {
		return Account{}, err
	}
	u, o := p.Actor()
	rec := audit.Record{ActorUser: u, ActorOrg: o, Action: "ledger.account.create", SubjectType: "ledger_account", SubjectID: a.ID.String(),
		OrgID: a.OrgID, After: a.Currency + " " + string(a.Kind), Detail: a.Code}
	if err := s.store.CreateAccounts(ctx, []Account{a}, rec); err != nil {
		return Account{}, fmt.Errorf("ledger: open account: %w", err)
	}
	return s.store.GetAccount(ctx, a.ID)
}

// Account returns an account to its owner org and the platform administrator.
func (s *Service) Account(ctx context.Context, p *identity.Principal, id string) (Account, error) {
	u, err := uuid.Parse(id)
	if err != nil {
		return Account{}, problem.New(problem.NotFound, "no such account")
	}
	a, err := s.store.GetAccount(ctx, u)
	if err != nil {
		return Account{}, err
	}
	if !p.CanSeeOrg(a.OrgID) {
		return Account{}, problem.New(problem.NotFound, "no such account")
	}
	return a, nil
}

// Accounts lists the caller's org's accounts (any org's for the platform
// administrator when orgID names it).
func (s *Service) Accounts(ctx context.Context, p *identity.Principal, orgID string, afterRow int64, limit int) ([]Account, error) {
	if orgID == "" {
		orgID = p.OrgID
	}
	if !p.CanSeeOrg(orgID) {
		return nil, problem.New(problem.NotFound, "no such organisation")
	}
	return s.store.ListAccounts(ctx, orgID, afterRow, limit)
}

// CloseAccount stops an account from taking new transfers.
func (s *Service) CloseAccount(ctx context.Context, p *identity.Principal, id string) (Account, error) {
	a, err := s.Account(ctx, p, id)
	if err != nil {
		return Account{}, err
	}
	u, o := p.Actor()
	if err := s.store.CloseAccount(ctx, a.ID, audit.Record{ActorUser: u, ActorOrg: o, Action: "ledger.account.close",
		SubjectType: "ledger_account", SubjectID: a.ID.String(), OrgID: a.OrgID, Before: "open", After: "closed"}); err != nil {
		return Account{}, err
	}
	return s.store.GetAccount(ctx, a.ID)
}

// TransferInput is one transfer as the API receives it. Amounts are decimal
// strings in the currency's units ("1250.50"); the currency is required so
// that an amount can never be read in the wrong unit.
type TransferInput struct {
	ID              string `json:"id"`
	DebitAccountID  string `json:"debit_account_id,omitempty"`
	CreditAccountID string `json:"credit_account_id,omitempty"`
	Amount          string `json:"amount,omitempty"`
	Currency        string `json:"currency,omitempty"`
	PendingID       string `json:"pending_id,omitempty"`
	TimeoutSeconds  int64  `json:"timeout_seconds,omitempty"`
	Code            string `json:"code,omitempty"`
	Reference       string `json:"reference,omitempty"`
	Linked          bool   `json:"linked,omitempty"`
	Pending         bool   `json:"pending,omitempty"`
	PostPending     bool   `json:"post_pending,omitempty"`
	VoidPending     bool   `json:"void_pending,omitempty"`
}

// Decode turns API input into Transfers, collecting every field error (by
// index) so that a batch is refused whole, with all its mistakes at once,
// before anything is written.
func (s *Service) Decode(in []TransferInput) ([]Transfer, error) {
	if len(in) == 0 {
		return nil, &problem.Error{Code: problem.Invalid, Message: "no transfers", Fields: map[string]string{"transfers": "must hold 1 to 8000 transfers"}}
	}
	if len(in) > MaxBatch {
		return nil, &problem.Error{Code: problem.TooLarge, Message: "too many transfers", Fields: map[string]string{"transfers": fmt.Sprintf("at most %d per call", MaxBatch)}}
	}
	f := problem.Fields{}
	out := make([]Transfer, len(in))
	for i, t := range in {
		at := func(field string) string { return fmt.Sprintf("transfers[%d].%s", i, field) }
		o := &out[i]
		o.ID = parseID(at("id"), t.ID, f)
		resolving := t.PostPending || t.VoidPending
		if t.DebitAccountID != "" || !resolving {
			o.DebitAccount = parseID(at("debit_account_id"), t.DebitAccountID, f)
		}
		if t.CreditAccountID != "" || !resolving {
			o.CreditAccount = parseID(at("credit_account_id"), t.CreditAccountID, f)
		}
		if t.PendingID != "" {
			o.PendingID = parseID(at("pending_id"), t.PendingID, f)
		} else if resolving {
			f.Add(at("pending_id"), "required to post or void a pending transfer")
		}
		o.Currency = strings.ToUpper(t.Currency)
		exp, ok := s.cfg.Exponent(o.Currency)
		switch {
		case t.Currency == "" && (!resolving || t.Amount != ""):
			f.Add(at("currency"), "required: the ISO 4217 code the amount is in")
		case t.Currency != "" && !ok:
			f.Add(at("currency"), "must be an ISO 4217 currency that holds money")
		}
		if t.Amount != "" && ok {
			amt, err := money.ParsePositive(t.Amount, exp)
			if err != nil {
				f.Addf(at("amount"), "%s (%s has %d decimals)", problem.MessageOf(err), o.Currency, exp)
			}
			o.Amount = amt
		} else if t.Amount == "" && !resolving {
			f.Add(at("amount"), "required")
		}
		if t.TimeoutSeconds < 0 || t.TimeoutSeconds > 366*24*3600 {
			f.Add(at("timeout_seconds"), "must be 0 (none) to one year")
		}
		o.Timeout = t.TimeoutSeconds
		if len(t.Code) > 40 {
			f.Add(at("code"), "at most 40 characters")
		}
		if len(t.Reference) > 200 {
			f.Add(at("reference"), "at most 200 characters")
		}
		o.Code, o.Reference = t.Code, t.Reference
		n := 0
		for flag, on := range map[TransferFlags]bool{Pending: t.Pending, PostPending: t.PostPending, VoidPending: t.VoidPending} {
			if on {
				o.Flags |= flag
				n++
			}
		}
		if n > 1 {
			f.Add(at("pending"), "pending, post_pending and void_pending exclude each other")
		}
		if t.Linked {
			o.Flags |= Linked
		}
	}
	if err := f.Err("the transfers are not valid"); err != nil {
		return nil, err
	}
	return out, nil
}

// Submit creates transfers on behalf of p: p's organisation must own every
// account money leaves (the debit account, or the pending transfer's for
// posts and voids); the platform administrator may move any.
func (s *Service) Submit(ctx context.Context, p *identity.Principal, reqs []Transfer) ([]Result, error) {
	results := make([]Result, len(reqs))
	// A chain still open at the end of this request must not link into
	// another caller's transfers in the merged batch: it fails here.
	end := len(reqs)
	if end > 0 && reqs[end-1].Flags&Linked != 0 {
		start := end - 1
		for start > 0 && reqs[start-1].Flags&Linked != 0 {
			start--
		}
		for i := start; i < end; i++ {
			results[i] = Result{Index: i, Code: LinkedEventFailed}
		}
		results[end-1].Code = LinkedEventChainOpen
		end = start
	}
	if end == 0 {
		return results, nil
	}
	authorise := func(dr, cr *Account) bool { return dr.OrgID == p.OrgID || p.Has(identity.PlatformAdmin) }
	u, o := p.Actor()
	res, err := s.batch.submit(ctx, &submission{reqs: reqs[:end], authorise: authorise,
		rec: audit.Record{ActorUser: u, ActorOrg: o, OrgID: p.OrgID}})
	if err != nil {
		return nil, err
	}
	copy(results, res)
	return results, nil
}

// SubmitSystem creates transfers that the platform itself decided on (an
// FX conversion of a claimed quote, a settlement cycle) with no
// per-account authorisation: the caller has checked its own rules.
func (s *Service) SubmitSystem(ctx context.Context, reqs []Transfer, rec audit.Record) ([]Result, error) {
	return s.batch.submit(ctx, &submission{reqs: reqs, rec: rec})
}

// Transfer returns a transfer to the orgs of either account.
func (s *Service) Transfer(ctx context.Context, p *identity.Principal, id string) (Transfer, error) {
	u, err := uuid.Parse(id)
	if err != nil {
		return Transfer{}, problem.New(problem.NotFound, "no such transfer")
	}
	t, err := s.store.GetTransfer(ctx, u)
	if err != nil {
		return Transfer{}, err
	}
	dr, err1 := s.store.GetAccount(ctx, t.DebitAccount)
	cr, err2 := s.store.GetAccount(ctx, t.CreditAccount)
	if err1 != nil || err2 != nil || !(p.CanSeeOrg(dr.OrgID) || p.CanSeeOrg(cr.OrgID)) {
		return Transfer{}, problem.New(problem.NotFound, "no such transfer")
	}
	return t, nil
}

// History returns an account's statement, newest first, from sequence
// number from (0 = newest).
func (s *Service) History(ctx context.Context, p *identity.Principal, accountID string, from int64, limit int) (Account, []Transfer, error) {
	a, err := s.Account(ctx, p, accountID)
	if err != nil {
		return Account{}, nil, err
	}
	h, err := s.store.History(ctx, a.ID, from, limit)
	return a, h, err
}

// BalanceAt returns an account's posted balance as of t, in the account's
// natural sign.
func (s *Service) BalanceAt(ctx context.Context, p *identity.Principal, accountID string, t time.Time) (Account, int64, error) {
	a, err := s.Account(ctx, p, accountID)
	if err != nil {
		return Account{}, 0, err
	}
	b, err := s.store.BalanceAt(ctx, a.ID, t)
	return a, a.Kind.Natural(b), err
}
