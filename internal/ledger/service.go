package ledger

import (
	"context"
	"errors"
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
	// CentreOrg finds the settlement centre's organisation: its operators
	// grant banks their issuance limits and it holds the centre's books.
	CentreOrg func(ctx context.Context) (string, error)
	// OrgKind says what kind of organisation an org is (only banks receive
	// issuance limits).
	OrgKind func(ctx context.Context, orgID string) (identity.OrgKind, error)
}

// Service applies the ledger's API rules: who may open accounts and move
// money, decimal amounts per currency, and group commit of concurrent
// requests.
type Service struct {
	store Store
	cfg   Config
	batch *batcher
}

// NewService returns a service; call Run to start its expiry sweeper.
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

// ObserveCommits sets a function told the latency and size of every group
// commit (the server's metrics); it may be set while the batcher runs.
func (s *Service) ObserveCommits(fn func(took time.Duration, transfers int)) {
	s.batch.observe.Store(&fn)
}

// Run releases expired pending transfers until ctx ends.
func (s *Service) Run(ctx context.Context) {
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
// pending transfer's (version 5, which no client id can reach), so two
// sweepers (two processes) release it once. The sweep walks the expired
// transfers in (expiry, id) order with a cursor, so a release that fails
// for any reason is logged and passed, never reread forever.
func (s *Service) ExpirePending(ctx context.Context) (int, error) {
	released := 0
	var after ExpiryCursor
	now := s.cfg.Now()
	for {
		due, err := s.store.ExpiredPendings(ctx, now, after, MaxBatch)
		if err != nil || len(due) == 0 {
			return released, err
		}
		reqs := make([]Transfer, len(due))
		for i, d := range due {
			reqs[i] = Transfer{ID: uuid.NewSHA1(d.ID, []byte("expire")), PendingID: d.ID, Flags: VoidPending | Expired}
		}
		res, err := s.batch.submit(ctx, &submission{reqs: reqs, system: true, rec: audit.Record{ActorUser: "system", Action: "ledger.pending.expire"}})
		if err != nil {
			return released, err
		}
		for i, r := range res {
			switch r.Code {
			case OK:
				released++
			case Exists, PendingTransferExpired, PendingTransferAlreadyPosted, PendingTransferAlreadyVoided:
			default:
				s.cfg.Log.Warn("pending transfer not released", "pending_id", due[i].ID, "result", r.Code)
			}
		}
		if len(due) < MaxBatch {
			return released, nil
		}
		after = due[len(due)-1]
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
// administrator may open one for any org. The id a client sends is its
// idempotency key (see ScopedID); the account's ledger id is returned. A
// client-opened account can never go below zero: the flag is always set,
// and Apply enforces the rule for every account that is not an issuer.
func (s *Service) CreateAccount(ctx context.Context, p *identity.Principal, in NewAccount) (Account, error) {
	f := problem.Fields{}
	a := Account{OrgID: p.OrgID, Kind: in.Kind, Code: strings.TrimSpace(in.Code), Name: strings.TrimSpace(in.Name), CreatedAt: s.cfg.Now()}
	if in.ID != "" {
		a.ID = ScopedID(p.OrgID, parseID("id", in.ID, f))
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
	if in.CreditsMustNotExceedDebits {
		f.Add("credits_must_not_exceed_debits", "cannot be combined with debits_must_not_exceed_credits, which every account has")
	}
	a.Flags = DebitsMustNotExceedCredits
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

// SystemAccountSpec describes an account the platform opens for a purpose.
type SystemAccountSpec struct {
	OrgID    string
	Currency string
	Code     string // the purpose: clearing, fx, funding, issuance, customs_revenue, ...
	Name     string
	Kind     Kind
	Issuer   bool
	Limit    int64 // for issuers; Unlimited for the centre's own books
}

var systemNS = uuid.MustParse("6f1d7c52-3b0e-4f53-9a4e-0c1d5b7e2a90")

// OpenSystemAccount returns the system account of spec's org, currency and
// purpose, opening it first if it does not exist. Its id derives from the
// three (version 5, out of every client's reach), so two processes opening
// it at once open one. Only the platform's own code calls this; no request
// reaches it with its own flags.
func (s *Service) OpenSystemAccount(ctx context.Context, spec SystemAccountSpec) (Account, error) {
	if a, err := s.store.SystemAccount(ctx, spec.OrgID, spec.Currency, spec.Code); err == nil {
		return a, nil
	} else if !problem.Is(err, problem.NotFound) {
		return Account{}, err
	}
	if _, ok := s.cfg.Exponent(spec.Currency); !ok {
		return Account{}, problem.New(problem.Invalid, "%s is not a currency that holds money", spec.Currency)
	}
	if spec.Kind == "" {
		spec.Kind = Liability
	}
	a := Account{ID: uuid.NewSHA1(systemNS, []byte(spec.OrgID+"/"+spec.Currency+"/"+spec.Code)), OrgID: spec.OrgID, Currency: spec.Currency,
		Kind: spec.Kind, Code: spec.Code, Name: spec.Name, Flags: System | DebitsMustNotExceedCredits, CreatedAt: s.cfg.Now()}
	if spec.Issuer {
		a.Flags, a.Limit = System|Issuer, spec.Limit
	}
	err := s.store.CreateAccounts(ctx, []Account{a}, audit.Record{ActorUser: "system", Action: "ledger.account.create", SubjectType: "ledger_account",
		SubjectID: a.ID.String(), OrgID: a.OrgID, After: a.Currency + " " + a.Code, Detail: "system account"})
	if err != nil && !problem.Is(err, problem.Conflict) {
		return Account{}, fmt.Errorf("ledger: open %s %s account of %s: %w", spec.Currency, spec.Code, spec.OrgID, err)
	}
	return s.store.SystemAccount(ctx, spec.OrgID, spec.Currency, spec.Code)
}

// SystemAccount finds an org's system account of a purpose in a currency.
// Accounts that clients opened are never returned, whatever their code.
func (s *Service) SystemAccount(ctx context.Context, orgID, currency, code string) (Account, error) {
	return s.store.SystemAccount(ctx, orgID, currency, code)
}

// The settlement centre's system accounts, per currency.
const (
	CentreFunding  = "funding"  // issues the money the centre funds banks' settlement accounts with
	CentreClearing = "clearing" // every cycle's net positions settle against it
	CentreFX       = "fx"       // converts each pair's net residual in a cycle
	CentreRounding = "rounding" // receives what cycle rounding leaves
	// BankIssuance is a bank's issuance account: it credits the bank's
	// customers, within the limit the centre granted.
	BankIssuance = "issuance"
)

// cycleBook reports whether a is one of the centre's books that only the
// settlement cycles move (clearing, FX, rounding); the funding account is
// the centre operators' to fund banks with.
func (a *Account) cycleBook() bool {
	return a.Flags&System != 0 && (a.Code == CentreClearing || a.Code == CentreFX || a.Code == CentreRounding)
}

// CentreBooks are the centre's accounts in one currency.
type CentreBooks struct {
	Funding, Clearing, FX, Rounding Account
}

// CentreAccounts opens (or finds) the centre's books in a currency. The
// centre's funding, clearing and FX accounts are issuers without a ceiling:
// the centre is the town's settlement institution and creates the money its
// cycles and funding need (docs/MONEY.md).
func (s *Service) CentreAccounts(ctx context.Context, currency string) (CentreBooks, error) {
	if s.cfg.CentreOrg == nil {
		return CentreBooks{}, errors.New("ledger: no settlement centre configured")
	}
	centre, err := s.cfg.CentreOrg(ctx)
	if err != nil {
		return CentreBooks{}, fmt.Errorf("ledger: settlement centre: %w", err)
	}
	var b CentreBooks
	for _, x := range []struct {
		code   string
		issuer bool
		into   *Account
	}{{CentreFunding, true, &b.Funding}, {CentreClearing, true, &b.Clearing}, {CentreFX, true, &b.FX}, {CentreRounding, false, &b.Rounding}} {
		a, err := s.OpenSystemAccount(ctx, SystemAccountSpec{OrgID: centre, Currency: currency, Code: x.code,
			Name: "Settlement " + x.code + " " + currency, Kind: Liability, Issuer: x.issuer, Limit: Unlimited})
		if err != nil {
			return CentreBooks{}, err
		}
		*x.into = a
	}
	return b, nil
}

// IsCentreOperator reports whether p runs the settlement centre (grants
// issuance limits, sees every issuer).
func (s *Service) IsCentreOperator(ctx context.Context, p *identity.Principal) bool {
	ok, err := s.isCentreOperator(ctx, p)
	return err == nil && ok
}

// isCentreOperator reports whether p runs the settlement centre.
func (s *Service) isCentreOperator(ctx context.Context, p *identity.Principal) (bool, error) {
	if p.Has(identity.PlatformAdmin) {
		return true, nil
	}
	if s.cfg.CentreOrg == nil || !p.HasAny(identity.BankOperator, identity.OrgAdmin) {
		return false, nil
	}
	centre, err := s.cfg.CentreOrg(ctx)
	if err != nil {
		return false, err
	}
	return p.OrgID == centre, nil
}

// IssuanceInput grants a bank an issuance limit in a currency.
type IssuanceInput struct {
	OrgID    string `json:"org_id"`
	Currency string `json:"currency"`
	Limit    string `json:"limit"` // decimal amount in the currency's units
}

// SetIssuance opens a bank's issuance account in a currency, or changes its
// limit. Only the settlement centre's operators (and the platform
// administrator) grant it, and only to banks. Lowering a limit below what
// is already issued stops further issuance; it takes nothing back.
func (s *Service) SetIssuance(ctx context.Context, p *identity.Principal, in IssuanceInput) (Account, error) {
	ok, err := s.isCentreOperator(ctx, p)
	if err != nil {
		return Account{}, err
	}
	if !ok {
		return Account{}, problem.New(problem.Forbidden, "only the settlement centre grants issuance limits")
	}
	f := problem.Fields{}
	ccy := strings.ToUpper(strings.TrimSpace(in.Currency))
	exp, okc := s.cfg.Exponent(ccy)
	if !okc {
		f.Add("currency", "must be an ISO 4217 currency that holds money")
	}
	var limit int64
	if okc {
		if limit, err = money.ParseAmount(in.Limit, exp); err != nil {
			f.Addf("limit", "%s (%s has %d decimals)", problem.MessageOf(err), ccy, exp)
		} else if limit < 0 {
			f.Add("limit", "must not be negative")
		}
	}
	if in.OrgID == "" {
		f.Add("org_id", "required: the bank's organisation")
	} else if s.cfg.OrgKind != nil {
		kind, err := s.cfg.OrgKind(ctx, in.OrgID)
		switch {
		case problem.Is(err, problem.NotFound):
			f.Add("org_id", "no such organisation")
		case err != nil:
			return Account{}, err
		case kind != identity.KindBank:
			f.Add("org_id", "must be a bank: only banks create money for their customers")
		}
	}
	if err := f.Err("the issuance limit is not valid"); err != nil {
		return Account{}, err
	}
	// The centre's own books in the currency open with the first line
	// granted in it, so the centre can fund banks' settlement accounts
	// before any cycle has run.
	if s.cfg.CentreOrg != nil {
		if _, err := s.CentreAccounts(ctx, ccy); err != nil {
			return Account{}, err
		}
	}
	a, err := s.OpenSystemAccount(ctx, SystemAccountSpec{OrgID: in.OrgID, Currency: ccy, Code: BankIssuance, Name: "Issuance " + ccy,
		Kind: Liability, Issuer: true, Limit: 0})
	if err != nil {
		return Account{}, err
	}
	u, o := p.Actor()
	if err := s.store.SetAccountLimit(ctx, a.ID, limit, audit.Record{ActorUser: u, ActorOrg: o, Action: "ledger.issuance.limit",
		SubjectType: "ledger_account", SubjectID: a.ID.String(), OrgID: a.OrgID, Before: money.FormatAmount(a.Limit, exp),
		After: money.FormatAmount(limit, exp), Detail: ccy}); err != nil {
		return Account{}, err
	}
	return s.store.GetAccount(ctx, a.ID)
}

// IssuanceLine is one issuer account in the issuance report: what the
// account's owner has created against what the centre allows and against
// the owner's position at the centre.
type IssuanceLine struct {
	Account  Account
	Issued   int64 // debits posted and pending beyond credits posted
	Position int64 // the owner's settlement account balance in the currency (banks)
	HasPos   bool
}

// Issuance lists every issuer account the caller may see: the centre's
// operators and the platform administrator see all, a bank its own.
func (s *Service) Issuance(ctx context.Context, p *identity.Principal) ([]IssuanceLine, error) {
	all, err := s.isCentreOperator(ctx, p)
	if err != nil {
		return nil, err
	}
	org := p.OrgID
	if all {
		org = ""
	}
	accts, err := s.store.IssuerAccounts(ctx, org)
	if err != nil {
		return nil, err
	}
	out := make([]IssuanceLine, 0, len(accts))
	for _, a := range accts {
		l := IssuanceLine{Account: a, Issued: max(0, a.DebitsPosted+a.DebitsPending-a.CreditsPosted)}
		if a.Code == BankIssuance {
			if pos, err := s.store.AccountByCode(ctx, a.OrgID, a.Currency, "settlement"); err == nil {
				l.Position, l.HasPos = pos.Balance(), true
			}
		}
		out = append(out, l)
	}
	return out, nil
}

// AccountsOf lists an org's accounts for the platform's own code (a
// settlement cycle reading participants' settlement accounts).
func (s *Service) AccountsOf(ctx context.Context, orgID string, afterRow int64, limit int) ([]Account, error) {
	return s.store.ListAccounts(ctx, orgID, afterRow, limit)
}

// OpenAccounts creates accounts the platform's own code defines whole,
// ids included (the demo seeder's books, derived from names so a seeding
// can be repeated); people open accounts through CreateAccount.
func (s *Service) OpenAccounts(ctx context.Context, accounts []Account, rec audit.Record) error {
	return s.store.CreateAccounts(ctx, accounts, rec)
}

// SeedHistory writes system transfers as made at at, outside the group
// commit, so that the demo seeder can give an empty ledger a past. The
// ledger accepts only timestamps after its newest transfer; nothing but
// the seeder should call it.
func (s *Service) SeedHistory(ctx context.Context, reqs []Transfer, at time.Time) ([]Result, error) {
	return s.store.CreateTransfers(ctx, reqs, BatchOptions{Now: at, System: true})
}

// Empty reports whether the ledger holds no transfer yet (the demo seeder
// writes its past-dated history only into an empty ledger).
func (s *Service) Empty(ctx context.Context) (bool, error) {
	r, err := s.store.Verify(ctx)
	if err != nil {
		return false, err
	}
	return r.Transfers == 0, nil
}

// AccountByCode finds an org's account of a purpose in a currency (a
// bank's settlement account, its FX inventory) for the platform's own code,
// which has decided already that the caller may use it; the oldest open
// one if there are several.
func (s *Service) AccountByCode(ctx context.Context, orgID, currency, code string) (Account, error) {
	return s.store.AccountByCode(ctx, orgID, currency, code)
}

// AccountByID reads an account for the platform's own code (a guarantee
// checking the account it will hold money on); people reach accounts
// through Account, which checks the principal.
func (s *Service) AccountByID(ctx context.Context, id ID) (Account, error) {
	return s.store.GetAccount(ctx, id)
}

// TransferByID reads a transfer for the platform's own code; people reach
// transfers through Transfer, which checks the principal.
func (s *Service) TransferByID(ctx context.Context, id ID) (Transfer, error) {
	return s.store.GetTransfer(ctx, id)
}

// HistoryOf returns an account's transfers newest first from sequence
// number from (0: the newest), for the platform's own code (a settlement
// statement of an account whose owner the caller has checked).
func (s *Service) HistoryOf(ctx context.Context, account ID, from int64, limit int) ([]Transfer, error) {
	return s.store.History(ctx, account, from, limit)
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

// CloseAccount stops an account from taking new transfers. System
// accounts are the platform's to close: closing the customs revenue or a
// centre account would stop everyone else's payments.
func (s *Service) CloseAccount(ctx context.Context, p *identity.Principal, id string) (Account, error) {
	a, err := s.Account(ctx, p, id)
	if err != nil {
		return Account{}, err
	}
	if a.Flags&System != 0 {
		return Account{}, problem.New(problem.Conflict, "a system account cannot be closed through the API")
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
	// Every id the client sent is its own key: scoped to its org, it can
	// neither collide with another org's nor reach a platform id.
	scoped := make([]Transfer, end)
	copy(scoped, reqs[:end])
	for i := range scoped {
		scoped[i].ID = ScopedID(p.OrgID, scoped[i].ID)
		if scoped[i].PendingID != Zero {
			scoped[i].PendingID = ScopedID(p.OrgID, scoped[i].PendingID)
		}
	}
	// Money leaves only accounts of the submitter's own organisation; not
	// even the platform administrator moves another org's money.
	authorise := func(dr, cr *Account) bool { return dr.OrgID == p.OrgID }
	u, o := p.Actor()
	res, err := s.batch.submit(ctx, &submission{reqs: scoped, authorise: authorise,
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
	for i, t := range reqs {
		if IsClientScoped(t.ID) || IsClientScoped(t.PendingID) {
			return nil, fmt.Errorf("ledger: system transfer %d uses a client-scoped id", i)
		}
	}
	// A system batch: the platform's own reservations (guarantees, escrow)
	// choose their timeouts, which a client's may not.
	return s.batch.submit(ctx, &submission{reqs: reqs, rec: rec, system: true})
}

// Transfer returns a transfer to the orgs of either account. id is the
// caller's own id (as sent when creating it) or the ledger's id (as
// statements show it); an unknown and a foreign transfer answer the same.
func (s *Service) Transfer(ctx context.Context, p *identity.Principal, id string) (Transfer, error) {
	u, err := uuid.Parse(id)
	if err != nil {
		return Transfer{}, problem.New(problem.NotFound, "no such transfer")
	}
	t, err := s.store.GetTransfer(ctx, ScopedID(p.OrgID, u))
	if problem.Is(err, problem.NotFound) {
		t, err = s.store.GetTransfer(ctx, u)
	}
	if problem.Is(err, problem.NotFound) {
		return Transfer{}, problem.New(problem.NotFound, "no such transfer")
	}
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
