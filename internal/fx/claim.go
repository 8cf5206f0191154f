package fx

import (
	"context"
	"strings"

	"bricstown/internal/identity"

	"github.com/google/uuid"
)

// Claim marks the caller's own quote used without Convert's chain: for a
// service that settles the quote's legs in a chain of its own (the
// marketplace's escrow holds a converted amount as pending transfers
// through the same providers' inventories). Claiming first means the
// quote can never also be executed by Convert, so a bank's price is
// filled once. Unknown and foreign quotes: NotFound; used or expired:
// Conflict (QuoteUsed, QuoteExpired).
func (s *Service) Claim(ctx context.Context, p *identity.Principal, id string) (Quote, error) {
	if err := signedIn(p); err != nil {
		return Quote{}, err
	}
	id = strings.TrimSpace(id)
	if _, err := uuid.Parse(id); err != nil {
		return Quote{}, QuoteNotFound()
	}
	return s.store.ClaimQuote(ctx, id, p.OrgID, s.now())
}
