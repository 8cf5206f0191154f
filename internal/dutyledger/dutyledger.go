// Package dutyledger pays customs duties through the ledger: it is the
// customs service's Payments port, kept apart so that the customs domain
// does not depend on how money moves.
package dutyledger

import (
	"context"
	"fmt"

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

// Revenue is the customs authority's KZT revenue account: duties are paid
// into it and bank guarantees are reserved for it.
