package ledger

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"bricstown/internal/audit"
	"bricstown/internal/identity"
	"bricstown/internal/problem"

	"github.com/google/uuid"
)

// AccountQuery narrows a listing of an org's accounts: a search in code and
// name, a currency, a kind, and a page after a row.
type AccountQuery struct {
	OrgID    string
	Search   string // matched case-insensitively (ASCII) inside code or name
	Currency string
	Kind     Kind
	AfterRow int64
	Limit    int
}

// SearchAccounts lists the accounts of the caller's org (any org's for the
// platform administrator) that match q, in opening order.
func (s *Service) SearchAccounts(ctx context.Context, p *identity.Principal, q AccountQuery) ([]Account, error) {
	if q.OrgID == "" {
		q.OrgID = p.OrgID
	}
	if !p.CanSeeOrg(q.OrgID) {
		return nil, problem.New(problem.NotFound, "no such organisation")
	}
	f := problem.Fields{}
	q.Search = strings.TrimSpace(q.Search)
	if utf8.RuneCountInString(q.Search) > 100 {
		f.Add("q", "at most 100 characters")
	}
	if q.Kind != "" && !validKind(q.Kind) {
		f.Add("kind", "one of asset, liability, equity, revenue, expense")
	}
	if q.Currency != "" {
		if _, ok := s.exponent(q.Currency); !ok {
			f.Add("currency", "not a currency that holds money")
		}
	}
	if err := f.Err("bad account search"); err != nil {
		return nil, err
	}
	if q.Limit <= 0 || q.Limit > 500 {
		q.Limit = 500
	}
	return s.store.SearchAccounts(ctx, q)
}

func validKind(k Kind) bool {
	for _, x := range Kinds {
		if x == k {
			return true
		}
	}
	return false
}

func (s *Service) exponent(ccy string) (int, bool) {
	if s.cfg.Exponent == nil {
		return 0, ccy != ""
	}
	return s.cfg.Exponent(ccy)
}

// Party is what a statement may say about the other account of a transfer.
// For the caller's own accounts that is the account itself; for another
// organisation's only which organisation holds it (its public name is the
// page's to look up): the account's code, name, kind and balance are that
// organisation's private data.
type Party struct {
	Account ID
	OrgID   string
	Own     bool
	Code    string // own accounts only
	Name    string // own accounts only
}

// Statement is History with the other side of each transfer named as far
// as the caller may know it: a party appears only because a transfer the
// caller can see joins the two accounts, so nothing can be looked up that
// paying or being paid did not already tell.
//
// A statement starts at sequence number from, or when from is 0 and until
// is set, at the account's last transfer before until (a person jumps to a
// date; the walk back is the one BalanceAt makes), else at the newest.
func (s *Service) Statement(ctx context.Context, p *identity.Principal, accountID string, from int64, until time.Time, limit int) (Account, []Transfer, map[ID]Party, error) {
	a, err := s.Account(ctx, p, accountID)
	if err != nil {
		return Account{}, nil, nil, err
	}
	if from <= 0 && !until.IsZero() {
		if from, err = s.store.SeqBefore(ctx, a.ID, until); err != nil {
			return Account{}, nil, nil, err
		}
		if from == 0 {
			return a, nil, map[ID]Party{}, nil
		}
	}
	h, err := s.store.History(ctx, a.ID, from, limit)
	if err != nil {
		return Account{}, nil, nil, err
	}
	parties := map[ID]Party{}
	for i := range h {
		other := h[i].CreditAccount
		if other == a.ID {
			other = h[i].DebitAccount
		}
		if _, ok := parties[other]; ok {
			continue
		}
		o, err := s.store.GetAccount(ctx, other)
		if err != nil {
			if problem.Is(err, problem.NotFound) {
				continue
			}
			return Account{}, nil, nil, err
		}
		pt := Party{Account: o.ID, OrgID: o.OrgID}
		if o.OrgID == a.OrgID {
			pt.Own, pt.Code, pt.Name = true, o.Code, o.Name
		}
		parties[other] = pt
	}
	return a, h, parties, nil
}

// Parties names the accounts of transfers the caller was handed by a
// checked path (an FX conversion's legs, which run between the payer's and
// the providers' accounts): the caller's own accounts by code and name,
// every other by its organisation only, as Statement does.
func (s *Service) Parties(ctx context.Context, p *identity.Principal, ts []Transfer) (map[ID]Party, error) {
	out := map[ID]Party{}
	for i := range ts {
		for _, id := range []ID{ts[i].DebitAccount, ts[i].CreditAccount} {
			if _, ok := out[id]; ok {
				continue
			}
			a, err := s.store.GetAccount(ctx, id)
			if problem.Is(err, problem.NotFound) {
				continue
			}
			if err != nil {
				return nil, err
			}
			pt := Party{Account: a.ID, OrgID: a.OrgID}
			if p != nil && a.OrgID == p.OrgID {
				pt.Own, pt.Code, pt.Name = true, a.Code, a.Name
			}
			out[id] = pt
		}
	}
	return out, nil
}

// SavedCounterparty is an account an organisation pays, saved under its
// own label. It holds nothing about the account beyond its id and the
// currency it was found able to receive.
type SavedCounterparty struct {
	ID        string
	OrgID     string
	Account   ID
	Currency  string
	Label     string
	CreatedBy string
	CreatedAt time.Time
}

// NewCounterparty is the API input for saving a counterparty.
type NewCounterparty struct {
	AccountID string `json:"account_id"`
	Currency  string `json:"currency"`
	Label     string `json:"label"`
}

// cannotReceive is the one answer for every account that cannot take the
// currency: unknown, another currency, closed. Sending a transfer tells
// these cases apart (credit_account_not_found, currency_mismatch,
// credit_account_closed); saving tells less, so it adds nothing to what a
// prober could learn.
func cannotReceive(ccy string) error {
	return &problem.Error{Code: problem.NotFound, Message: "no account with this id can receive " + ccy,
		Fields: problem.Fields{"account_id": "no account with this id can receive " + ccy}}
}

// SaveCounterparty checks that an account can receive in a currency and
// saves it under a label for the caller's organisation.
func (s *Service) SaveCounterparty(ctx context.Context, p *identity.Principal, in NewCounterparty) (SavedCounterparty, error) {
	if p == nil || p.OrgID == "" {
		return SavedCounterparty{}, problem.New(problem.Forbidden, "no organisation")
	}
	f := problem.Fields{}
	label := strings.TrimSpace(in.Label)
	switch n := utf8.RuneCountInString(label); {
	case n == 0:
		f.Add("label", "required")
	case n > 80:
		f.Add("label", "at most 80 characters")
	}
	ccy := strings.ToUpper(strings.TrimSpace(in.Currency))
	if _, ok := s.exponent(ccy); !ok {
		f.Add("currency", "not a currency that holds money")
	}
	acct, err := uuid.Parse(strings.TrimSpace(in.AccountID))
	if err != nil || acct == Zero {
		f.Add("account_id", "not an account id (a UUID)")
	}
	if err := f.Err("bad counterparty"); err != nil {
		return SavedCounterparty{}, err
	}
	a, err := s.store.GetAccount(ctx, acct)
	if problem.Is(err, problem.NotFound) || err == nil && (a.Closed || a.Currency != ccy) {
		return SavedCounterparty{}, cannotReceive(ccy)
	}
	if err != nil {
		return SavedCounterparty{}, err
	}
	c := SavedCounterparty{ID: uuid.Must(uuid.NewV7()).String(), OrgID: p.OrgID, Account: a.ID, Currency: ccy, Label: label,
		CreatedBy: p.UserID, CreatedAt: s.cfg.Now().UTC()}
	u, o := p.Actor()
	rec := audit.Record{ActorUser: u, ActorOrg: o, Action: "ledger.counterparty.save", SubjectType: "saved_counterparty",
		SubjectID: c.ID, OrgID: p.OrgID, After: ccy, Detail: label}
	if err := s.store.SaveCounterparty(ctx, c, rec); err != nil {
		return SavedCounterparty{}, err
	}
	return c, nil
}

// Counterparties lists the caller's organisation's saved counterparties
// (of one currency, or all when currency is ""), by label.
func (s *Service) Counterparties(ctx context.Context, p *identity.Principal, currency string) ([]SavedCounterparty, error) {
	if p == nil || p.OrgID == "" {
		return nil, nil
	}
	return s.store.ListCounterparties(ctx, p.OrgID, strings.ToUpper(strings.TrimSpace(currency)))
}

// DeleteCounterparty forgets a saved counterparty of the caller's
// organisation; another org's and an unknown id both answer not_found.
func (s *Service) DeleteCounterparty(ctx context.Context, p *identity.Principal, id string) error {
	if p == nil || p.OrgID == "" {
		return problem.New(problem.NotFound, "no such counterparty")
	}
	u, o := p.Actor()
	rec := audit.Record{ActorUser: u, ActorOrg: o, Action: "ledger.counterparty.delete", SubjectType: "saved_counterparty",
		SubjectID: id, OrgID: p.OrgID}
	return s.store.DeleteCounterparty(ctx, p.OrgID, id, rec)
}
