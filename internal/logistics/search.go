package logistics

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"bricstown/internal/identity"
	"bricstown/internal/problem"
)

// MaxSearch bounds the shipments list's search text, in characters.
const MaxSearch = 100

// ShipmentFind is what a shipments list asks for: a status, a text to
// search for, and the page (After: the id of the last shipment of the
// previous page; Limit at most 500, 100 when not set).
type ShipmentFind struct {
	Status ShipmentStatus
	// Q is searched, in any case, in the shipment's reference and id, its
	// origin and destination (UN/LOCODE and place name), and its
	// declaration's reference and goods descriptions.
	Q     string
	After string
	Limit int
}

// SearchText is the lower-cased text a shipment is found by: its
// reference, id, origin and destination as codes and as place names, and
// what its declaration says (its reference, its goods descriptions), when
// it has one. Kept with the shipment when it is entered, so a search is one
// LIKE on one column (and written by whoever enters shipments through the
// service, from a declaration, an order or by hand).
func (s *Service) SearchText(sh *Shipment, declRef string, goods ...string) string {
	parts := []string{sh.Reference, sh.ID, sh.Origin, sh.Destination}
	for _, code := range []string{sh.Origin, sh.Destination} {
		if l, ok := s.cfg.Ref.Location(code); ok {
			parts = append(parts, l.Name, l.NameASCII)
		}
	}
	parts = append(parts, declRef)
	parts = append(parts, goods...)
	// strings.ToLower folds every script, which SQLite's LOWER does not.
	return strings.ToLower(strings.Join(parts, "\n"))
}

// SearchShipments lists the caller's shipments: a trader's organisation's
// own, a carrier's those booked on its departures (both, for a logistics
// operator that also trades); the platform administrator sees all. Newest
// first, narrowed by status and search text. A search never widens what
// the caller may see: it only narrows the same lists.
func (s *Service) SearchShipments(ctx context.Context, p *identity.Principal, find ShipmentFind) ([]Shipment, error) {
	if p == nil {
		return nil, problem.New(problem.Unauthenticated, "sign in")
	}
	find.Q = strings.TrimSpace(find.Q)
	if utf8.RuneCountInString(find.Q) > MaxSearch {
		return nil, &problem.Error{Code: problem.Invalid, Message: "the search is not valid",
			Fields: map[string]string{"q": fmt.Sprintf("at most %d characters", MaxSearch)}}
	}
	q := ShipmentQuery{Status: find.Status, Search: find.Q, After: find.After, Limit: find.Limit}
	if q.Limit <= 0 || q.Limit > 500 {
		q.Limit = 100
	}
	switch {
	case p.Has(identity.PlatformAdmin):
	case p.Has(identity.Trader):
		q.OwnerOrg = p.OrgID
		if !isCarrier(p) {
			break
		}
		own, err := s.store.ListShipments(ctx, q)
		if err != nil {
			return nil, err
		}
		q.OwnerOrg, q.CarrierOrg = "", p.OrgID
		carried, err := s.store.ListShipments(ctx, q)
		if err != nil {
			return nil, err
		}
		return mergeNewest(own, carried, q.Limit), nil
	case isCarrier(p):
		q.CarrierOrg = p.OrgID
	default:
		return nil, problem.New(problem.Forbidden, "shipments are for traders and carriers")
	}
	return s.store.ListShipments(ctx, q)
}
