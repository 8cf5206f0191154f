package fx

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/identity"
	"bricstown/internal/ledger"
	"bricstown/internal/money"
	"bricstown/internal/problem"

	"github.com/google/uuid"
)

// Ledger is what executing a quote needs from the ledger. It is a port, not
// *ledger.Service, so that FX states exactly which ledger powers it uses:
// reading the payer's accounts under the payer's visibility rules, finding
// a provider's inventory account, and submitting a chain that FX itself has
// authorised (the payer's money goes to banks the payer does not own).
type Ledger interface {
	Account(ctx context.Context, p *identity.Principal, id string) (ledger.Account, error)
	Accounts(ctx context.Context, p *identity.Principal, orgID string, afterRow int64, limit int) ([]ledger.Account, error)
	AccountByCode(ctx context.Context, orgID, currency, code string) (ledger.Account, error)
	SubmitSystem(ctx context.Context, reqs []ledger.Transfer, rec audit.Record) ([]ledger.Result, error)
}

// LedgerOf adapts the ledger service to the port.
func LedgerOf(svc *ledger.Service) Ledger { return svc }

// UseLedger connects the service to the ledger that conversions settle in.
// Pricing works without one, so the composition root wires it separately,
// once, before the service is used.
func (s *Service) UseLedger(l Ledger) { s.ledger = l }

func (s *Service) ledgerPort() (Ledger, error) {
	if s.ledger == nil {
		return nil, errors.New("fx: no ledger connected (call UseLedger)")
	}
	return s.ledger, nil
}

// InventoryCode is the ledger account code of a provider's FX inventory:
// the account per currency that a bank's conversions are paid into and
// delivered from. A bank funds it to make its prices executable.
const InventoryCode = "fx"

// ConversionCode is the ledger transfer code of every transfer of a
// conversion; the transfers' reference is the quote id.
const ConversionCode = "fx_conversion"

// ConvertRequest executes a quote between two of the payer's accounts.
type ConvertRequest struct {
	QuoteID       string `json:"quote_id"`
	FromAccountID string `json:"from_account_id"`
	ToAccountID   string `json:"to_account_id"`
}

// ConversionTransfer is one ledger transfer of a conversion. Leg is the
// quote leg it settles (0-based); the hand-over between two providers
// settles the first leg's output, so it carries leg 0.
type ConversionTransfer struct {
	Transfer ledger.Transfer
	Result   ledger.Code // ok: created by this call; exists: already there
	Leg      int
	Role     string // pay_in, hand_over or pay_out
}

// Conversion statuses.
const (
	// ConversionCompleted: every transfer exists and the quote is used.
	ConversionCompleted = "completed"
)

// Conversion is an executed quote: what moved, between which accounts.
type Conversion struct {
	QuoteID       string
	Status        string
	PayerOrg      string
	Sell, Buy     string
	SellAmount    money.Amount
	BuyAmount     money.Amount
	FromAccountID string
	ToAccountID   string
	Route         []Leg
	Transfers     []ConversionTransfer
	ExecutedAt    time.Time
}

// Convert executes a quote for its payer: the sell amount leaves the
// payer's account, goes through each provider's FX inventory and the buy
// amount arrives in the payer's other account, as one linked chain, so
// either every leg settles or none does (payment versus payment).
//
// The transfer ids are derived from the quote id, so however often the
// quote is executed (a retry after a timeout, two requests racing) the
// ledger creates the chain at most once and answers `exists` to the
// repeats. The quote is claimed only after the chain settled: a chain that
// the ledger refuses (say, the payer lacks funds) leaves the quote usable
// until it expires.
func (s *Service) Convert(ctx context.Context, p *identity.Principal, req ConvertRequest) (Conversion, error) {
	if err := signedIn(p); err != nil {
		return Conversion{}, err
	}
	led, err := s.ledgerPort()
	if err != nil {
		return Conversion{}, err
	}
	f := problem.Fields{}
	req.QuoteID = strings.TrimSpace(req.QuoteID)
	for field, v := range map[string]string{"quote_id": req.QuoteID, "from_account_id": req.FromAccountID, "to_account_id": req.ToAccountID} {
		if strings.TrimSpace(v) == "" {
			f.Add(field, "required")
		}
	}
	if err := f.Err("the conversion request is not valid"); err != nil {
		return Conversion{}, err
	}
	quoteUUID, err := uuid.Parse(req.QuoteID)
	if err != nil {
		return Conversion{}, QuoteNotFound()
	}
	q, err := s.store.GetQuote(ctx, req.QuoteID)
	if err != nil {
		return Conversion{}, err
	}
	// Only the payer executes its quote, the platform administrator
	// included: a conversion moves the payer's own money.
	if q.PayerOrg != p.OrgID {
		return Conversion{}, QuoteNotFound()
	}
	// The decision time: the claim below is made as of this instant, so a
	// quote live when its chain was submitted is not refused afterwards.
	now := s.now()
	switch {
	case !q.UsedAt.IsZero():
		return Conversion{}, QuoteUsed()
	case !now.Before(q.ExpiresAt):
		return Conversion{}, QuoteExpired(q.ExpiresAt)
	}
	if len(q.Legs) == 0 {
		return Conversion{}, fmt.Errorf("fx: quote %s has no legs", q.ID)
	}

	from, err := payerAccount(ctx, led, p, q, "from_account_id", req.FromAccountID, q.Sell, "sells", f)
	if err != nil {
		return Conversion{}, err
	}
	to, err := payerAccount(ctx, led, p, q, "to_account_id", req.ToAccountID, q.Buy, "buys", f)
	if err != nil {
		return Conversion{}, err
	}
	if err := f.Err("the accounts do not fit the quote"); err != nil {
		return Conversion{}, err
	}

	inventory := map[string]ledger.Account{}
	inv := func(provider, ccy string) (ledger.Account, error) {
		key := provider + "|" + ccy
		if a, ok := inventory[key]; ok {
			return a, nil
		}
		a, err := led.AccountByCode(ctx, provider, ccy, InventoryCode)
		if problem.Is(err, problem.NotFound) {
			return ledger.Account{}, &problem.Error{Code: problem.Conflict, Err: err,
				Message: fmt.Sprintf("provider %s has no open FX inventory account (code %q) in %s, so it cannot fill this quote",
					provider, InventoryCode, ccy),
				Fields: map[string]string{"quote_id": "provider " + provider + " has no " + ccy + " inventory"}}
		}
		if err != nil {
			return ledger.Account{}, fmt.Errorf("fx: inventory of %s in %s: %w", provider, ccy, err)
		}
		inventory[key] = a
		return a, nil
	}

	// The chain: payer → first provider (leg 0 In, fee included: the
	// provider keeps it); provider → next provider for each hand-over of an
	// intermediate currency (skipped when one bank fills both legs); last
	// provider → payer (last leg Out).
	type step struct {
		dr, cr ledger.Account
		amount money.Amount
		ccy    string
		leg    int
		role   string
	}
	first := q.Legs[0]
	in0, err := inv(first.Provider, first.InCurrency)
	if err != nil {
		return Conversion{}, err
	}
	steps := []step{{dr: from, cr: in0, amount: first.In, ccy: first.InCurrency, leg: 0, role: "pay_in"}}
	for i := 1; i < len(q.Legs); i++ {
		prev, l := q.Legs[i-1], q.Legs[i]
		if prev.OutCurrency != l.InCurrency || prev.Out != l.In {
			return Conversion{}, fmt.Errorf("fx: quote %s: legs %d and %d do not chain", q.ID, i-1, i)
		}
		if prev.Provider == l.Provider {
			continue
		}
		dr, err := inv(prev.Provider, prev.OutCurrency)
		if err != nil {
			return Conversion{}, err
		}
		cr, err := inv(l.Provider, l.InCurrency)
		if err != nil {
			return Conversion{}, err
		}
		steps = append(steps, step{dr: dr, cr: cr, amount: l.In, ccy: l.InCurrency, leg: i - 1, role: "hand_over"})
	}
	last := q.Legs[len(q.Legs)-1]
	outN, err := inv(last.Provider, last.OutCurrency)
	if err != nil {
		return Conversion{}, err
	}
	steps = append(steps, step{dr: outN, cr: to, amount: last.Out, ccy: last.OutCurrency, leg: len(q.Legs) - 1, role: "pay_out"})

	reqs := make([]ledger.Transfer, len(steps))
	for i, st := range steps {
		reqs[i] = ledger.Transfer{ID: TransferID(quoteUUID, i), DebitAccount: st.dr.ID, CreditAccount: st.cr.ID, Amount: st.amount,
			Currency: st.ccy, Code: ConversionCode, Reference: q.ID}
		if i < len(steps)-1 {
			reqs[i].Flags = ledger.Linked
		}
	}
	u, o := p.Actor()
	res, err := led.SubmitSystem(ctx, reqs, audit.Record{ActorUser: u, ActorOrg: o, Action: "fx.conversion", OrgID: q.PayerOrg,
		Before: "quote " + q.ID})
	if err != nil {
		return Conversion{}, fmt.Errorf("fx: submit conversion %s: %w", q.ID, err)
	}
	if len(res) != len(reqs) {
		return Conversion{}, fmt.Errorf("fx: conversion %s: %d results for %d transfers", q.ID, len(res), len(reqs))
	}
	for i, r := range res {
		if !r.Code.Created() && r.Code != ledger.LinkedEventFailed {
			return Conversion{}, refused(q, i, r.Code, from, to, reqs[i])
		}
	}
	for i, r := range res {
		if !r.Code.Created() { // only linked_event_failed is left: a chain without a cause is a ledger bug
			return Conversion{}, fmt.Errorf("fx: conversion %s: transfer %d failed as %s with no cause", q.ID, i, r.Code)
		}
	}

	// Every transfer exists. Claiming can only lose to a twin executing
	// the same quote, whose chain is this very chain (the ids are derived):
	// the conversion has happened exactly once either way.
	if _, err := s.store.ClaimQuote(ctx, q.ID, q.PayerOrg, now); err != nil && !errors.Is(err, ErrQuoteUsed) {
		return Conversion{}, fmt.Errorf("fx: claim quote %s after settling it: %w", q.ID, err)
	}

	c := Conversion{QuoteID: q.ID, Status: ConversionCompleted, PayerOrg: q.PayerOrg, Sell: q.Sell, Buy: q.Buy,
		SellAmount: q.SellAmount, BuyAmount: q.BuyAmount, FromAccountID: from.ID.String(), ToAccountID: to.ID.String(),
		Route: q.Legs, Transfers: make([]ConversionTransfer, len(res)), ExecutedAt: now}
	for i, r := range res {
		t := reqs[i]
		if r.Transfer != nil {
			t = *r.Transfer
		}
		c.Transfers[i] = ConversionTransfer{Transfer: t, Result: r.Code, Leg: steps[i].leg, Role: steps[i].role}
	}
	return c, nil
}

// TransferID is the id of the i-th transfer (0-based) of a quote's chain.
// Deriving it from the quote is what makes a conversion idempotent: the
// same quote always asks the ledger for the same transfers.
func TransferID(quote uuid.UUID, i int) ledger.ID {
	return uuid.NewSHA1(quote, []byte(fmt.Sprintf("leg-%d", i+1)))
}

// payerAccount loads one of the payer's two accounts and checks that it
// can take part: the payer's, open, in the quote's currency. Problems with
// the account go to f; only lookups that fail outright return an error.
func payerAccount(ctx context.Context, led Ledger, p *identity.Principal, q Quote, field, id, ccy, verb string, f problem.Fields) (ledger.Account, error) {
	if _, err := uuid.Parse(strings.TrimSpace(id)); err != nil {
		f.Add(field, "must be a ledger account id (UUID)")
		return ledger.Account{}, nil
	}
	a, err := led.Account(ctx, p, strings.TrimSpace(id))
	if problem.Is(err, problem.NotFound) {
		return ledger.Account{}, &problem.Error{Code: problem.NotFound, Message: "no such account", Err: err,
			Fields: map[string]string{field: "no such account"}}
	}
	if err != nil {
		return ledger.Account{}, err
	}
	switch {
	case a.OrgID != q.PayerOrg:
		f.Add(field, "must be an account of the quote's payer")
	case a.Currency != ccy:
		f.Addf(field, "must be a %s account (the quote %s %s); this account is in %s", ccy, verb, ccy, a.Currency)
	case a.Closed:
		f.Add(field, "the account is closed")
	}
	return a, nil
}

// refused explains a chain the ledger would not settle. Nothing moved
// (the chain is linked), so the quote stays usable until it expires. The
// field says whose side failed: the payer's accounts, or (quote_id) the
// providers', whose inventory the payer cannot fix.
func refused(q Quote, i int, code ledger.Code, from, to ledger.Account, t ledger.Transfer) error {
	field, what := "quote_id", "handing "+t.Currency+" between the providers' inventories"
	switch {
	case t.DebitAccount == from.ID:
		field, what = "from_account_id", "paying "+q.Sell+" from the payer's account"
	case t.CreditAccount == to.ID:
		// The debit side of this transfer is the provider's inventory.
		what = "delivering " + q.Buy + " from the provider's inventory"
		switch code {
		case ledger.ExceedsCredits, ledger.DebitAccountClosed, ledger.DebitAccountNotFound, ledger.OverflowsDebits:
		default:
			field, what = "to_account_id", "delivering "+q.Buy+" to the payer's account"
		}
	}
	return &problem.Error{Code: problem.Conflict,
		Message: fmt.Sprintf("the ledger refused the conversion: transfer %d (%s) failed with %s; nothing moved, and the quote stays usable until it expires",
			i+1, what, code),
		Fields: map[string]string{field: string(code)}}
}

// OrgExposure is the caller's organisation's open currency positions: per
// currency, the sum of its ledger accounts' balances (natural sign), valued
// in Home at the board's mid rates. It reads the books rather than taking
// positions from the caller, so a treasurer sees what the ledger holds.
func (s *Service) OrgExposure(ctx context.Context, p *identity.Principal) (Exposure, error) {
	if err := signedIn(p); err != nil {
		return Exposure{}, err
	}
	led, err := s.ledgerPort()
	if err != nil {
		return Exposure{}, err
	}
	const page = 500
	positions := map[string]money.Amount{}
	var after int64
	for {
		accts, err := led.Accounts(ctx, p, p.OrgID, after, page)
		if err != nil {
			return Exposure{}, err
		}
		for i := range accts {
			a := &accts[i]
			sum, ok := money.Add(positions[a.Currency], a.Balance())
			if !ok {
				return Exposure{}, overflowErr(a.Currency + " position")
			}
			positions[a.Currency] = sum
			after = max(after, a.Row)
		}
		if len(accts) < page {
			break
		}
	}
	return s.Exposure(ctx, p, positions)
}
