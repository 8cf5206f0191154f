package customs

import (
	"context"
	"strings"
	"time"

	"bricstown/internal/identity"
	"bricstown/internal/problem"

	"github.com/google/uuid"
)

// ActBorderExit records that a carrier took the goods across the border
// post (system path: logistics reports it; its status does not change).
const ActBorderExit Action = "border_exit"

// The carrier path is the platform's own: logistics calls these methods
// after it has checked that the principal is a carrier of a departure of
// the shipment's active booking whose leg crosses borderPost, and that the
// shipment names the declaration. They are reachable through no route of
// their own, so no carrier reaches a declaration except through a shipment
// it carries.

// PresentedByCarrier records the goods presented at borderPost because
// the carrier reported them there: the same step a customs officer records
// (PresentGoods, then assessment and lane), made by the carrier's report.
// It moves only a declaration that waits for its goods (pre-lodged) at
// that very post; anything else (another post, goods already presented,
// a declaration that ended) is left as it is, and presented says whether
// this call moved it. Reporting twice presents once.
func (s *Service) PresentedByCarrier(ctx context.Context, carrier *identity.Principal, declarationID, borderPost string, at time.Time) (presented bool, err error) {
	t, err := s.carrierTxn(ctx, carrier, declarationID, at)
	if err != nil || t == nil {
		return false, err
	}
	if !t.d.PreLodged() || !samePost(t.d.Transport.BorderPost, borderPost) {
		return false, nil
	}
	t.event(ActPresent, StatusSubmitted, EvPresented, EventParams{BorderPost: t.d.Transport.BorderPost})
	if err := s.assess(ctx, t); err != nil {
		return false, err
	}
	if _, err := s.commit(ctx, t); err != nil {
		return false, err
	}
	return true, nil
}

// ExitedByCarrier records on the declaration's history that the carrier
// took its goods across borderPost. Goods customs (or quarantine) still
// holds cannot leave: the answer is a conflict and nothing is written.
// Only a released declaration's goods cross; reporting the same post twice
// records it once (recorded says whether this call wrote it).
func (s *Service) ExitedByCarrier(ctx context.Context, carrier *identity.Principal, declarationID, borderPost string, at time.Time) (recorded bool, err error) {
	t, err := s.carrierTxn(ctx, carrier, declarationID, at)
	if err != nil || t == nil {
		return false, err
	}
	if t.d.SPS.Status == SPSHeld || t.d.Status != StatusReleased {
		return false, problem.New(problem.Conflict, "customs holds the goods of the declaration (%s): they cannot cross the border", holdReason(&t.d))
	}
	post := strings.ToUpper(strings.TrimSpace(borderPost))
	evs, err := s.store.DeclarationEvents(ctx, t.d.ID)
	if err != nil {
		return false, err
	}
	for _, e := range evs {
		if k, x := e.Structured(); k == EvBorderExited && samePost(x.BorderPost, post) {
			return false, nil
		}
	}
	t.event(ActBorderExit, t.d.Status, EvBorderExited, EventParams{BorderPost: post})
	if _, err := s.commit(ctx, t); err != nil {
		return false, err
	}
	return true, nil
}

func holdReason(d *Declaration) string {
	if d.SPS.Status == SPSHeld {
		return string(SPSHeld)
	}
	return string(d.Status)
}

func samePost(a, b string) bool {
	norm := func(s string) string { return strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(s), " ", "")) }
	return a != "" && norm(a) == norm(b)
}

// carrierTxn opens a change on the declaration in the carrier's name
// (nil, nil when the declaration ended: cancelled or refused, nothing to
// record). The event time is the carrier's report, kept between the
// declaration's last change and now so that its history stays in order.
func (s *Service) carrierTxn(ctx context.Context, carrier *identity.Principal, id string, at time.Time) (*txn, error) {
	if carrier == nil || carrier.OrgKind != identity.KindLogisticsOperator || !carrier.Has(identity.Carrier) {
		return nil, problem.New(problem.Forbidden, "only a carrier reports goods at the border")
	}
	if _, err := uuid.Parse(id); err != nil {
		return nil, DeclarationNotFound()
	}
	d, err := s.store.GetDeclaration(ctx, id)
	if problem.Is(err, problem.NotFound) {
		return nil, DeclarationNotFound()
	}
	if err != nil {
		return nil, err
	}
	if d.Status == StatusCancelled || d.Status == StatusRefused || d.Status == StatusDraft {
		return nil, nil
	}
	now := s.now()
	when := at.UTC().Truncate(time.Microsecond)
	if when.IsZero() || when.After(now) {
		when = now
	}
	if when.Before(d.UpdatedAt) {
		when = d.UpdatedAt
	}
	return &txn{p: carrier, now: when, old: d, d: cloneDeclaration(d)}, nil
}
