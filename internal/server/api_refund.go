package server

import (
	"context"
	"net/http"

	"bricstown/internal/customs"
	"bricstown/internal/identity"
)

// refundIn is the refund request's body: nothing. Where the money goes and
// how much is the ledger's own record of the payment, so a body naming an
// account or an amount is refused as unknown fields.
type refundIn struct{}

// payRefund is a customs officer's "pay refund" (customs.Service.PayRefund).
func (s *Server) payRefund() http.HandlerFunc {
	return act(s, customs.ActRefund, true, func(ctx context.Context, p *identity.Principal, id string, _ refundIn) (customs.Declaration, error) {
		return s.Customs.PayRefund(ctx, p, id)
	})
}
