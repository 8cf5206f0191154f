// Package guarantee is the bank guarantee for customs duties: a bank
// (the guarantor) promises the customs authority (the beneficiary) to pay
// a declarant's (the principal's) duties up to an amount until a date.
//
// A guarantee is not a promise on paper: it is held in the ledger as a
// pending transfer of the whole amount from one of the bank's own funded
// KZT accounts to the customs revenue account, so the bank's money is
// reserved and cannot be spent twice. Customs draws duties by posting part
// of that reservation and reserving the rest again in the same linked
// chain; the bank may release what is unused (void); the ledger's timeout
// releases it at the end of validity. A declaration's duties count as
// guaranteed only when a draw succeeded in the ledger.
package guarantee

import (
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Status is a guarantee's life.
type Status string

// Statuses. Expired is never stored: an active guarantee whose validity
// ended is expired (the ledger releases its reservation by timeout).
const (
	Active    Status = "active"
	Exhausted Status = "exhausted" // fully drawn
	Cancelled Status = "cancelled" // the bank released the unused remainder
	Expired   Status = "expired"
)

// MaxAmountKZT bounds one guarantee (10 trillion KZT in tiyn): far above any
// real duty, far below where sums of amounts could overflow.
const MaxAmountKZT int64 = 1_000_000_000_000_000

// MaxValidity is the longest validity: the ledger's limit on how long a
// pending transfer may stay open.
const MaxValidity = 366 * 24 * time.Hour

// Guarantee is one bank guarantee. Amounts are KZT in tiyn.
type Guarantee struct {
	ID             string `json:"id"`
	Reference      string `json:"reference"` // the bank's own number
	BankOrg        string `json:"bank_org"`
	PrincipalOrg   string `json:"principal_org"`
	BeneficiaryOrg string `json:"beneficiary_org"`
	// BackingAccount is the bank's account the money is reserved on;
	// RevenueAccount the customs account it is reserved for.
	BackingAccount string    `json:"backing_account_id"`
	RevenueAccount string    `json:"revenue_account_id"`
	AmountKZT      int64     `json:"amount_kzt"`
	RemainingKZT   int64     `json:"remaining_kzt"`
	ValidUntil     time.Time `json:"valid_until"`
	Status         Status    `json:"status"`
	// HoldSeq numbers the current reservation: the is 0, each draw
	// replaces it with the next. It orders moves and guards their writes.
	HoldSeq   int64     `json:"hold_seq"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by"`
	UpdatedAt time.Time `json:"updated_at"`
}

// StatusAt is the status as the world sees it at now: an active guarantee
// past its validity is expired.
func (g *Guarantee) StatusAt(now time.Time) Status {
	if g.Status == Active && !now.Before(g.ValidUntil) {
		return Expired
	}
	return g.Status
}

// MoveKind is what a move does to the reservation.
type MoveKind string

// Move kinds.
const (
	Draw MoveKind = "draw" // post part of the reservation, reserve the rest
	Void MoveKind = "void" // release the whole reservation
)

// Move is a change of a guarantee's reservation. It is written as an intent
// (Done false) before the ledger is asked and completed after, so that a
// crash in between is finished by whoever touches the guarantee next: the
// ledger transfers have ids derived from (guarantee, HoldSeq), so
// submitting them again is harmless.
type Move struct {
	GuaranteeID   string    `json:"guarantee_id"`
	Seq           int64     `json:"seq"` // the HoldSeq the move resolves
	Kind          MoveKind  `json:"kind"`
	DeclarationID string    `json:"declaration_id,omitempty"`
	AmountKZT     int64     `json:"amount_kzt"`
	TransferID    string    `json:"transfer_id"`
	Done          bool      `json:"done"`
	At            time.Time `json:"at"`
	By            string    `json:"by"`
}

var ns = uuid.MustParse("8f0d6a52-3b1e-4c7a-9e25-6d4b0c2f7a91")

// holdID is the ledger id of reservation seq of guarantee g.
func holdID(g string, seq int64) uuid.UUID {
	return uuid.NewSHA1(ns, fmt.Appendf(nil, "%s/hold/%d", g, seq))
}

// drawID is the ledger id of the post that draws on reservation seq.
func drawID(g string, seq int64) uuid.UUID {
	return uuid.NewSHA1(ns, fmt.Appendf(nil, "%s/draw/%d", g, seq))
}

// voidID is the ledger id of the void that releases reservation seq.
func voidID(g string, seq int64) uuid.UUID {
	return uuid.NewSHA1(ns, fmt.Appendf(nil, "%s/void/%d", g, seq))
}

// HoldID is the ledger id of the guarantee's current reservation.
func (g *Guarantee) HoldID() string { return holdID(g.ID, g.HoldSeq).String() }

// timeoutSeconds is how long a reservation made at now must stay open to
// last until the end of validity, rounded up so the ledger never releases
// it before; 0 when the validity has ended.
func timeoutSeconds(until, now time.Time) int64 {
	d := until.Sub(now)
	if d <= 0 {
		return 0
	}
	return int64((d + time.Second - 1) / time.Second)
}
