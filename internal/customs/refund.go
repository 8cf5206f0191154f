package customs

import (
	"context"
	"log/slog"
	"slices"
	"time"

	"bricstown/internal/identity"
	"bricstown/internal/problem"
)

// RefundSource says which movement a refund transfer pays back.
type RefundSource string

// Refund sources.
const (
	// RefundOfPayment pays duties back to the account they were paid from.
	RefundOfPayment RefundSource = "payment"
	// RefundOfGuarantee pays a guarantee's draw back to the bank account it
	// was drawn from (docs/MONEY.md says why not to the declarant).
	RefundOfGuarantee RefundSource = "guarantee"
)

// RefundLeg is one movement into the revenue account the declaration no
// longer owes: the duty payment (its reference and the account recorded)
// or the guarantee's draw (its ledger transfer).
type RefundLeg struct {
	Source RefundSource
	// Reference is the payment's reference or the draw's transfer id.
	Reference     string
	FromAccountID string // the payment's account; empty for a draw
	AmountKZT     int64
}

// RefundTransfer is one ledger transfer that paid a leg back.
type RefundTransfer struct {
	Source      RefundSource `json:"source"`
	TransferID  string       `json:"transfer_id"`
	ToAccountID string       `json:"to_account_id"`
	AmountKZT   int64        `json:"amount_kzt"`
}

// Refund records the duties a declaration paid back through the ledger.
// Reference is the first transfer's id; AmountKZT the sum of Transfers.
type Refund struct {
	Reference string           `json:"reference"`
	AmountKZT int64            `json:"amount_kzt"`
	Transfers []RefundTransfer `json:"transfers"`
	At        time.Time        `json:"at"`
	// By is the customs officer who paid it, or "system" when the platform
	// paid it right after the change that made it due.
	By string `json:"by"`
}

// Refunds is the port through which duties go back from the customs
// revenue account; the ledger implements it (internal/dutyledger).
//
// RefundDuties pays every leg back to the account its money came from (read
// from the ledger's own transfer, never from a request) in one atomic
// batch, with transfer ids derived from the declaration and the leg, so a
// retried or concurrent call answers the refund already made and nothing
// is ever paid back twice.
type Refunds interface {
	RefundDuties(ctx context.Context, declarationID, declarantOrg string, legs []RefundLeg) ([]RefundTransfer, error)
}

// RefundLegs lists what the declaration owes back and has not yet paid
// back. Cancelled or refused: everything that came in (payment and draw).
// Released with both a payment and a draw (they raced): the one recorded
// last, since the first already covered the duties.
func (d *Declaration) RefundLegs() []RefundLeg {
	var legs []RefundLeg
	pay := func() {
		legs = append(legs, RefundLeg{Source: RefundOfPayment, Reference: d.Payment.Reference, FromAccountID: d.Payment.FromAccountID,
			AmountKZT: d.Payment.AmountKZT})
	}
	draw := func() {
		legs = append(legs, RefundLeg{Source: RefundOfGuarantee, Reference: d.Guarantee.DrawTransferID, AmountKZT: d.Guarantee.AmountKZT})
	}
	switch {
	case d.Status == StatusCancelled || d.Status == StatusRefused:
		if d.Payment != nil {
			pay()
		}
		if d.Guarantee.Drawn() {
			draw()
		}
	case d.Status == StatusReleased && d.Payment != nil && d.Guarantee.Drawn():
		if d.Payment.At.After(d.Guarantee.At) {
			pay()
		} else {
			draw()
		}
	}
	if d.Refund != nil {
		legs = slices.DeleteFunc(legs, func(l RefundLeg) bool {
			return slices.ContainsFunc(d.Refund.Transfers, func(t RefundTransfer) bool { return t.Source == l.Source })
		})
	}
	return legs
}

// PayRefund is a customs officer's "pay refund": it pays back what the
// declaration owes and has not yet paid back, typically a refund the
// platform could not pay at once (the payer's account was closed, or the
// process stopped between the ledger transfer and its record: the retry
// finds the transfer by its id and records it). Only the authority's
// officers may; nobody chooses where the money goes.
func (s *Service) PayRefund(ctx context.Context, p *identity.Principal, id string) (Declaration, error) {
	d, err := s.load(ctx, p, id)
	if err != nil {
		return Declaration{}, err
	}
	if AuthorityOf(p) != ByCustoms {
		return Declaration{}, problem.New(problem.Forbidden, "only customs officers may pay a refund")
	}
	if !d.RefundDue || len(d.RefundLegs()) == 0 {
		return Declaration{}, problem.New(problem.Conflict, "no refund is due on this declaration")
	}
	u, _ := p.Actor()
	return s.payRefund(ctx, p, d, u)
}

// SetLog names where the service reports what it cannot tell its caller
// (a refund left due after the change that made it due committed).
func (s *Service) SetLog(l *slog.Logger) { s.cfg.Log = l }

// autoRefund pays the refund a committed change made due, as the platform:
// the change stands whatever happens here, and a refund the ledger refuses
// stays due for an officer to complete.
func (s *Service) autoRefund(ctx context.Context, p *identity.Principal, d Declaration) Declaration {
	if !d.RefundDue || s.cfg.Refunds == nil || len(d.RefundLegs()) == 0 {
		return d
	}
	out, err := s.payRefund(ctx, p, d, "system")
	if err != nil {
		if s.cfg.Log != nil {
			s.cfg.Log.WarnContext(ctx, "customs refund left due", "declaration", d.ID, "err", err)
		}
		return d
	}
	return out
}

// payRefund moves the money first, then records it, retrying the record if
// someone changed the declaration meanwhile (as Pay does).
func (s *Service) payRefund(ctx context.Context, p *identity.Principal, d Declaration, by string) (Declaration, error) {
	if s.cfg.Refunds == nil {
		return Declaration{}, problem.New(problem.Unavailable, "refunds are not available")
	}
	legs := d.RefundLegs()
	transfers, err := s.cfg.Refunds.RefundDuties(ctx, d.ID, d.DeclarantOrg, legs)
	if err != nil {
		return Declaration{}, err
	}
	for attempt := 0; ; attempt++ {
		out, err := s.recordRefund(ctx, p, d.ID, transfers, by)
		if !problem.Is(err, problem.Conflict) || attempt == 4 {
			return out, err
		}
	}
}

// recordRefund adds the refund transfers not yet on the declaration and
// clears RefundDue when nothing more is owed. The declaration is read from
// the store: the caller has already been allowed to act on it.
func (s *Service) recordRefund(ctx context.Context, p *identity.Principal, id string, transfers []RefundTransfer, by string) (Declaration, error) {
	d, err := s.store.GetDeclaration(ctx, id)
	if err != nil {
		return Declaration{}, err
	}
	var rf Refund
	if d.Refund != nil {
		rf = *d.Refund
		rf.Transfers = slices.Clone(rf.Transfers)
	}
	var added int64
	first := ""
	for _, tr := range transfers {
		if slices.ContainsFunc(rf.Transfers, func(x RefundTransfer) bool { return x.TransferID == tr.TransferID }) {
			continue
		}
		rf.Transfers = append(rf.Transfers, tr)
		added += tr.AmountKZT
		if first == "" {
			first = tr.TransferID
		}
	}
	if added == 0 {
		return view(p, d), nil // recorded by a concurrent call
	}
	t := &txn{p: p, now: s.now(), old: d, d: cloneDeclaration(d)}
	if rf.Reference == "" {
		rf.Reference = first
	}
	rf.AmountKZT += added
	rf.At, rf.By = t.now, by
	t.d.Refund = &rf
	t.d.RefundDue = len(t.d.RefundLegs()) > 0
	params := EventParams{AmountKZT: added, Reference: first}
	if by == "system" {
		t.system(ActRefund, t.d.Status, EvRefunded, params)
	} else {
		t.event(ActRefund, t.d.Status, EvRefunded, params)
	}
	return s.commit(ctx, t)
}
