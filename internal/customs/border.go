package customs

import (
	"context"

	"bricstown/internal/problem"

	"github.com/google/uuid"
)

// BorderHold reports whether customs or quarantine still holds the goods
// of a declaration, so that a carrier may not report them across the
// border, and why: "sps_held" while quarantine holds them, otherwise the
// declaration's status until it is released. It is a read for the
// platform's own rules (logistics asks it when a carrier reports a border
// crossing, whoever's declaration it is) and is reachable through no route;
// it says nothing but the hold and the status.
func (s *Service) BorderHold(ctx context.Context, declarationID string) (held bool, reason string, err error) {
	if _, err := uuid.Parse(declarationID); err != nil {
		return false, "", DeclarationNotFound()
	}
	d, err := s.store.GetDeclaration(ctx, declarationID)
	if problem.Is(err, problem.NotFound) {
		return false, "", DeclarationNotFound()
	}
	if err != nil {
		return false, "", err
	}
	switch {
	case d.SPS.Status == SPSHeld:
		return true, string(SPSHeld), nil
	case d.Status != StatusReleased:
		return true, string(d.Status), nil
	}
	return false, "", nil
}
