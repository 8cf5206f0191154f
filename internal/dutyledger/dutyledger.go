// Package dutyledger pays customs duties through the ledger: it is the
// customs service's Payments port, kept apart so that the customs domain
// does not depend on how money moves.
package dutyledger

import (
	"context"
	"fmt"

	"bricstown/internal/audit"
	"bricstown/internal/customs"
	"bricstown/internal/identity"
	"bricstown/internal/ledger"
	"bricstown/internal/problem"

	"github.com/google/uuid"
)

// RevenueCode is the ledger code of the customs authority's KZT account
// that duties are paid into.
const RevenueCode = "customs_revenue"

var ns = uuid.MustParse("5d3f0b7a-9c61-4e28-8b54-1a7e2c9f6d03")

// Payments moves duties from a trader's KZT account to the revenue
// account of the customs authority.
type Payments struct {
	Ledger *ledger.Service
	// Authority finds the customs authority's organisation id.
	Authority func(ctx context.Context) (string, error)
}

// Revenue returns the customs authority's KZT revenue account: a system
// account, opened by the platform, that no client can occupy or close.
func (p Payments) Revenue(ctx context.Context) (ledger.Account, error) {
	org, err := p.Authority(ctx)
	if err != nil {
		return ledger.Account{}, err
	}
	return p.Ledger.OpenSystemAccount(ctx, ledger.SystemAccountSpec{OrgID: org, Currency: "KZT", Code: RevenueCode,
		Name: "Customs duties and taxes (KZT)", Kind: ledger.Revenue})
}

// PayDuties implements customs.Payments. The transfer's id derives from the
// declaration and the amount, so a retried payment is answered by the
// ledger as the payment already made, never taken twice. The payer must own
// the account (the ledger refuses otherwise).
func (p Payments) PayDuties(ctx context.Context, pr *identity.Principal, declarationID string, amountKZT int64, fromAccountID string) (string, error) {
	from, err := uuid.Parse(fromAccountID)
	if err != nil {
		return "", &problem.Error{Code: problem.Invalid, Message: "bad account", Fields: map[string]string{"from_account_id": "must be an account id"}}
	}
	rev, err := p.Revenue(ctx)
	if err != nil {
		return "", err
	}
	id := uuid.NewSHA1(ns, []byte(fmt.Sprintf("%s/%d", declarationID, amountKZT)))
	res, err := p.Ledger.Submit(ctx, pr, []ledger.Transfer{{ID: id, DebitAccount: from, CreditAccount: rev.ID, Amount: amountKZT,
		Currency: "KZT", Code: "customs_duties", Reference: declarationID}})
	if err != nil {
		return "", err
	}
	switch res[0].Code {
	case ledger.OK, ledger.Exists:
		return id.String(), nil
	case ledger.ExceedsCredits:
		return "", &problem.Error{Code: problem.Conflict, Message: "the account does not hold enough money for the duties",
			Fields: map[string]string{"from_account_id": string(res[0].Code)}}
	case ledger.NotAuthorised, ledger.DebitAccountNotFound:
		return "", &problem.Error{Code: problem.Invalid, Message: "you cannot pay from that account", Fields: map[string]string{"from_account_id": string(res[0].Code)}}
	case ledger.CurrencyMismatch:
		return "", &problem.Error{Code: problem.Invalid, Message: "duties are paid in KZT", Fields: map[string]string{"from_account_id": "must be a KZT account"}}
	default:
		return "", &problem.Error{Code: problem.Conflict, Message: "the ledger refused the payment: " + string(res[0].Code),
			Fields: map[string]string{"from_account_id": string(res[0].Code)}}
	}
}

// RefundCode is the ledger code of a refund transfer.
const RefundCode = "customs_refund"

// RefundID is the ledger id of the transfer that pays a declaration's leg
// back: a version-5 UUID of the declaration and "refund" (the payment) or
// "refund/guarantee" (a draw). No client id can become one (client ids are
// scoped, version 8), and the same declaration always gets the same id, so
// whatever is retried or raced the ledger makes the transfer once.
func RefundID(declarationID string, src customs.RefundSource) uuid.UUID {
	name := declarationID + "/refund"
	if src == customs.RefundOfGuarantee {
		name += "/guarantee"
	}
	return uuid.NewSHA1(ns, []byte(name))
}

// RefundDuties implements customs.Refunds. Each leg goes back to the
// account the ledger's own transfer took it from (the payment's debit
// account, which must be the one the declaration recorded; a draw's, the
// issuing bank's backing account), for exactly the amount that transfer
// moved; nothing in a request can name another account or amount. The
// legs are one linked batch: all are paid back or none.
func (p Payments) RefundDuties(ctx context.Context, declarationID, declarantOrg string, legs []customs.RefundLeg) ([]customs.RefundTransfer, error) {
	if len(legs) == 0 {
		return nil, nil
	}
	rev, err := p.Revenue(ctx)
	if err != nil {
		return nil, err
	}
	reqs := make([]ledger.Transfer, len(legs))
	out := make([]customs.RefundTransfer, len(legs))
	for i, l := range legs {
		orig, err := p.paidIn(ctx, declarantOrg, l)
		if err != nil {
			return nil, err
		}
		if orig.CreditAccount != rev.ID || orig.Amount != l.AmountKZT || orig.Currency != "KZT" ||
			l.Source == customs.RefundOfPayment && orig.DebitAccount.String() != l.FromAccountID {
			return nil, problem.New(problem.Conflict, "the %s of declaration %s does not match its ledger transfer %s", l.Source, declarationID, orig.ID)
		}
		id := RefundID(declarationID, l.Source)
		reqs[i] = ledger.Transfer{ID: id, DebitAccount: rev.ID, CreditAccount: orig.DebitAccount, Amount: orig.Amount, Currency: "KZT",
			Code: RefundCode, Reference: declarationID}
		if i < len(legs)-1 {
			reqs[i].Flags = ledger.Linked
		}
		out[i] = customs.RefundTransfer{Source: l.Source, TransferID: id.String(), ToAccountID: orig.DebitAccount.String(), AmountKZT: orig.Amount}
	}
	res, err := p.Ledger.SubmitSystem(ctx, reqs, audit.Record{ActorUser: "system", Action: "customs.refund",
		SubjectType: "customs_declaration", SubjectID: declarationID, OrgID: declarantOrg})
	if err != nil {
		return nil, err
	}
	for _, r := range res {
		switch r.Code {
		case ledger.OK, ledger.Exists, ledger.LinkedEventFailed:
			continue
		case ledger.CreditAccountClosed, ledger.CreditAccountNotFound:
			return nil, &problem.Error{Code: problem.Conflict, Message: "the account the duties came from is closed: the refund cannot be paid into it",
				Fields: map[string]string{"refund": string(ledger.CreditAccountClosed)}}
		default:
			return nil, &problem.Error{Code: problem.Conflict, Message: "the ledger refused the refund: " + string(r.Code),
				Fields: map[string]string{"refund": string(r.Code)}}
		}
	}
	for _, r := range res {
		if !r.Code.Created() {
			return nil, &problem.Error{Code: problem.Conflict, Message: "the ledger refused the refund: " + string(r.Code),
				Fields: map[string]string{"refund": string(r.Code)}}
		}
	}
	return out, nil
}

// paidIn reads the ledger transfer that brought a leg's money in. A
// payment's id is the one PayDuties derived, scoped to the declarant who
// submitted it; a draw's is the guarantee's platform id.
func (p Payments) paidIn(ctx context.Context, declarantOrg string, l customs.RefundLeg) (ledger.Transfer, error) {
	id, err := uuid.Parse(l.Reference)
	if err != nil {
		return ledger.Transfer{}, problem.New(problem.Conflict, "the %s reference %q is not a ledger transfer", l.Source, l.Reference)
	}
	if l.Source == customs.RefundOfPayment {
		id = ledger.ScopedID(declarantOrg, id)
	}
	t, err := p.Ledger.TransferByID(ctx, id)
	if problem.Is(err, problem.NotFound) {
		return ledger.Transfer{}, problem.New(problem.Conflict, "the %s %s is not in the ledger", l.Source, l.Reference)
	}
	return t, err
}
