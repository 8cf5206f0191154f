package logistics

import (
	"context"

	"bricstown/internal/identity"
)

// OrderShipment is a marketplace order's goods to move: entered for the
// seller when it confirms the order (internal/order), from the order and
// the export declaration drafted from it, so nothing is typed again.
type OrderShipment struct {
	OrderID       string
	DeclarationID string
	// Origin is where the seller dispatches from, Destination the order's
	// destination (UN/LOCODEs).
	Origin, Destination string
	Kg                  int64
}

// CreateShipmentForOrder enters the shipment of a confirmed order in the
// seller's name, prefilled from its declaration like any declared
// shipment (ready now, deadline from the declaration or the default
// window); the order reference is the shipment's reference.
func (s *Service) CreateShipmentForOrder(ctx context.Context, p *identity.Principal, in OrderShipment) (Shipment, error) {
	ref := "ORDER-" + in.OrderID
	if len(in.OrderID) > 8 {
		ref = "ORDER-" + in.OrderID[:8]
	}
	return s.CreateShipment(ctx, p, ShipmentInput{Reference: ref, Origin: in.Origin, Destination: in.Destination, Kg: in.Kg,
		DeclarationID: in.DeclarationID})
}
