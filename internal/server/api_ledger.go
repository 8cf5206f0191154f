package server

import (
	"net/http"
	"strconv"
	"time"

	"bricstown/internal/ledger"
	"bricstown/internal/money"
	"bricstown/internal/problem"
)

// The ledger's JSON shapes: amounts are decimal strings in the currency's
// units, never floats.

type accountOut struct {
	ID                         string `json:"id"`
	OrgID                      string `json:"org_id"`
	Currency                   string `json:"currency"`
	Kind                       string `json:"kind"`
	Code                       string `json:"code"`
	Name                       string `json:"name"`
	DebitsMustNotExceedCredits bool   `json:"debits_must_not_exceed_credits"`
	CreditsMustNotExceedDebits bool   `json:"credits_must_not_exceed_debits"`
	// System accounts are opened by the platform for a purpose; issuer
	// accounts may create money up to their limit (docs/MONEY.md).
	System         bool      `json:"system"`
	Issuer         bool      `json:"issuer"`
	Limit          string    `json:"limit,omitempty"`
	Closed         bool      `json:"closed"`
	Balance        string    `json:"balance"`
	Available      string    `json:"available"`
	DebitsPending  string    `json:"debits_pending"`
	DebitsPosted   string    `json:"debits_posted"`
	CreditsPending string    `json:"credits_pending"`
	CreditsPosted  string    `json:"credits_posted"`
	CreatedAt      time.Time `json:"created_at"`
}

func (s *Server) exponent(ccy string) int {
	if c, ok := s.Ref.Currency(ccy); ok && c.IsMoney() {
		return c.MinorUnits
	}
	return 0
}

func (s *Server) amount(v int64, ccy string) string { return money.FormatAmount(v, s.exponent(ccy)) }

func (s *Server) accountJSON(a ledger.Account) accountOut {
	out := s.accountFields(a)
	if a.Flags&ledger.Issuer != 0 {
		out.Limit = "unlimited"
		if a.Limit != ledger.Unlimited {
			out.Limit = s.amount(a.Limit, a.Currency)
		}
	}
	return out
}

func (s *Server) accountFields(a ledger.Account) accountOut {
	return accountOut{ID: a.ID.String(), OrgID: a.OrgID, Currency: a.Currency, Kind: string(a.Kind), Code: a.Code, Name: a.Name,
		DebitsMustNotExceedCredits: a.Flags&ledger.DebitsMustNotExceedCredits != 0, CreditsMustNotExceedDebits: a.Flags&ledger.CreditsMustNotExceedDebits != 0,
		System: a.Flags&ledger.System != 0, Issuer: a.Flags&ledger.Issuer != 0,
		Closed: a.Closed, Balance: s.amount(a.Balance(), a.Currency), Available: s.amount(a.Available(), a.Currency),
		DebitsPending: s.amount(a.DebitsPending, a.Currency), DebitsPosted: s.amount(a.DebitsPosted, a.Currency),
		CreditsPending: s.amount(a.CreditsPending, a.Currency), CreditsPosted: s.amount(a.CreditsPosted, a.Currency), CreatedAt: a.CreatedAt}
}

type transferOut struct {
	ID              string    `json:"id"`
	Seq             int64     `json:"seq"`
	DebitAccountID  string    `json:"debit_account_id"`
	CreditAccountID string    `json:"credit_account_id"`
	Amount          string    `json:"amount"`
	Currency        string    `json:"currency"`
	PendingID       string    `json:"pending_id,omitempty"`
	TimeoutSeconds  int64     `json:"timeout_seconds,omitempty"`
	Code            string    `json:"code,omitempty"`
	Reference       string    `json:"reference,omitempty"`
	Flags           []string  `json:"flags"`
	Timestamp       time.Time `json:"timestamp"`
	// BalanceAfter is the listed account's balance after this transfer, in
	// the account's natural sign (history listings only).
	BalanceAfter string `json:"balance_after,omitempty"`
	// Counterparty is the other side of the transfer as the reader may know
	// it (history listings only).
	Counterparty *counterpartyRef `json:"counterparty,omitempty"`
}

// counterpartyRef names the other account of a statement line: the
// organisation's public name always, the account's code and name only
// when it is the reader's own.
type counterpartyRef struct {
	AccountID string `json:"account_id"`
	OrgName   string `json:"org_name,omitempty"`
	Own       bool   `json:"own"`
	Code      string `json:"code,omitempty"`
	Name      string `json:"name,omitempty"`
}

func (s *Server) transferJSON(t *ledger.Transfer) transferOut {
	out := transferOut{ID: t.ID.String(), Seq: t.Seq, DebitAccountID: t.DebitAccount.String(), CreditAccountID: t.CreditAccount.String(),
		Amount: s.amount(t.Amount, t.Currency), Currency: t.Currency, TimeoutSeconds: t.Timeout, Code: t.Code, Reference: t.Reference,
		Flags: transferFlags(t.Flags), Timestamp: t.Timestamp}
	if t.PendingID != ledger.Zero {
		out.PendingID = t.PendingID.String()
	}
	return out
}

func transferFlags(f ledger.TransferFlags) []string {
	out := []string{}
	for _, x := range []struct {
		f    ledger.TransferFlags
		name string
	}{{ledger.Linked, "linked"}, {ledger.Pending, "pending"}, {ledger.PostPending, "post_pending"}, {ledger.VoidPending, "void_pending"}, {ledger.Expired, "expired"}} {
		if f&x.f != 0 {
			out = append(out, x.name)
		}
	}
	return out
}

func (s *Server) createAccount(w http.ResponseWriter, r *http.Request) {
	var in ledger.NewAccount
	if err := decodeJSON(r, &in); err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	a, err := s.Ledger.CreateAccount(r.Context(), principal(r), in)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	w.Header().Set("Location", "/api/v1/ledger/accounts/"+a.ID.String())
	writeJSON(w, http.StatusCreated, s.accountJSON(a))
}

func (s *Server) listAccounts(w http.ResponseWriter, r *http.Request) {
	limit, cursor, err := pageParams(r)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	after, _ := strconv.ParseInt(cursor, 10, 64)
	q := r.URL.Query()
	accts, err := s.Ledger.SearchAccounts(r.Context(), principal(r), ledger.AccountQuery{OrgID: q.Get("org"), Search: q.Get("q"),
		Currency: q.Get("currency"), Kind: ledger.Kind(q.Get("kind")), AfterRow: after, Limit: limit + 1})
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	out := make([]accountOut, len(accts))
	rows := make(map[string]int64, len(accts))
	for i, a := range accts {
		out[i] = s.accountJSON(a)
		rows[out[i].ID] = a.Row
	}
	writeJSON(w, http.StatusOK, pageOf(out, limit, func(a accountOut) string { return strconv.FormatInt(rows[a.ID], 10) }))
}

func (s *Server) getAccount(w http.ResponseWriter, r *http.Request) {
	a, err := s.Ledger.Account(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, s.accountJSON(a))
}

func (s *Server) closeAccount(w http.ResponseWriter, r *http.Request) {
	a, err := s.Ledger.CloseAccount(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, s.accountJSON(a))
}

// accountHistory is the account's statement with running balances; the
// cursor is the sequence number to continue from.
func (s *Server) accountHistory(w http.ResponseWriter, r *http.Request) {
	limit, cursor, err := pageParams(r)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	var from int64
	if cursor != "" {
		if from, err = strconv.ParseInt(cursor, 10, 64); err != nil || from <= 0 {
			writeProblem(w, r, s.log, &problem.Error{Code: problem.Invalid, Message: "bad cursor", Fields: map[string]string{"cursor": "not a cursor from this listing"}})
			return
		}
	}
	var until time.Time
	if v := r.URL.Query().Get("until"); v != "" && from == 0 {
		t, ok := parseTimeOrDate(v)
		if !ok {
			writeProblem(w, r, s.log, &problem.Error{Code: problem.Invalid, Message: "bad time", Fields: map[string]string{"until": "an RFC 3339 time or a date (2006-01-02)"}})
			return
		}
		until = t
	}
	a, h, parties, err := s.Ledger.Statement(r.Context(), principal(r), r.PathValue("id"), from, until, limit+1)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	names := s.Identity.OrgNames(r.Context(), nil)
	out := make([]transferOut, 0, len(h))
	next := ""
	for i := range h {
		if i == limit {
			next = strconv.FormatInt(h[i].Seq, 10)
			break
		}
		t := s.transferJSON(&h[i])
		bal := h[i].CreditBalanceAfter
		if h[i].DebitAccount == a.ID {
			bal = h[i].DebitBalanceAfter
		}
		t.BalanceAfter = s.amount(a.Kind.Natural(bal), a.Currency)
		other := h[i].CreditAccount
		if other == a.ID {
			other = h[i].DebitAccount
		}
		pt := parties[other]
		t.Counterparty = &counterpartyRef{AccountID: other.String(), Own: pt.Own, Code: pt.Code, Name: pt.Name}
		if pt.OrgID != "" {
			t.Counterparty.OrgName = names.Name(pt.OrgID)
		}
		out = append(out, t)
	}
	writeJSON(w, http.StatusOK, PageOf[transferOut]{Items: out, NextCursor: next})
}

func (s *Server) accountBalance(w http.ResponseWriter, r *http.Request) {
	at := time.Now()
	if v := r.URL.Query().Get("at"); v != "" {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			writeProblem(w, r, s.log, &problem.Error{Code: problem.Invalid, Message: "bad time", Fields: map[string]string{"at": "must be an RFC 3339 time, e.g. 2026-03-14T09:00:00Z"}})
			return
		}
		at = t
	}
	a, bal, err := s.Ledger.BalanceAt(r.Context(), principal(r), r.PathValue("id"), at)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"account_id": a.ID.String(), "currency": a.Currency, "at": at.UTC(), "balance": s.amount(bal, a.Currency)})
}

type transfersIn struct {
	Transfers []ledger.TransferInput `json:"transfers"`
}

type transferResultOut struct {
	Index    int          `json:"index"`
	ID       string       `json:"id"`
	Result   ledger.Code  `json:"result"`
	Transfer *transferOut `json:"transfer,omitempty"`
}

// createTransfers takes 1 to 8,000 transfers. The HTTP status is 200 when
// the batch was evaluated: each transfer's own outcome is in its result
// code, as a batch may partly succeed.
func (s *Server) createTransfers(w http.ResponseWriter, r *http.Request) {
	var in transfersIn
	if err := decodeJSON(r, &in); err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	reqs, err := s.Ledger.Decode(in.Transfers)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	res, err := s.Ledger.Submit(r.Context(), principal(r), reqs)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	out := make([]transferResultOut, len(res))
	for i, x := range res {
		out[i] = transferResultOut{Index: i, ID: reqs[i].ID.String(), Result: x.Code}
		if x.Transfer != nil {
			t := s.transferJSON(x.Transfer)
			out[i].Transfer = &t
		}
		s.ledgerResults.Inc(string(x.Code))
	}
	writeJSON(w, http.StatusOK, map[string]any{"results": out})
}

func (s *Server) getTransfer(w http.ResponseWriter, r *http.Request) {
	t, err := s.Ledger.Transfer(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, s.transferJSON(&t))
}

// issuanceOut is one line of the issuance report.
type issuanceOut struct {
	Account  accountOut `json:"account"`
	OrgID    string     `json:"org_id"`
	Currency string     `json:"currency"`
	Issued   string     `json:"issued"`
	Limit    string     `json:"limit"`
	Position string     `json:"position,omitempty"`
}

// setIssuance grants a bank an issuance limit (the centre's operators).
func (s *Server) setIssuance(w http.ResponseWriter, r *http.Request) {
	var in ledger.IssuanceInput
	if err := decodeJSON(r, &in); err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	a, err := s.Ledger.SetIssuance(r.Context(), principal(r), in)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, s.accountJSON(a))
}

// listIssuance reports issued money against limits and positions.
func (s *Server) listIssuance(w http.ResponseWriter, r *http.Request) {
	lines, err := s.Ledger.Issuance(r.Context(), principal(r))
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	out := make([]issuanceOut, len(lines))
	for i, l := range lines {
		a := s.accountJSON(l.Account)
		out[i] = issuanceOut{Account: a, OrgID: l.Account.OrgID, Currency: l.Account.Currency, Issued: s.amount(l.Issued, l.Account.Currency), Limit: a.Limit}
		if l.HasPos {
			out[i].Position = s.amount(l.Position, l.Account.Currency)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": out})
}
