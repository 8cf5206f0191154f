package ui

import (
	"context"
	"net/http"

	"bricstown/internal/customs"
	"bricstown/internal/identity"
)

// refundKeys are the catalogue keys of refunds (i18n/LANG.refund.json)
// that pages build from domain values; CustomsKeys lists them.
var refundKeys = []string{"customs.action." + string(customs.ActRefund), "customs.done.refunded", "customs.err.refund"}

// refundData adds what the declaration page shows of a refund: the refund
// paid (to everyone who sees the declaration) and, for a customs officer,
// the "pay refund" button while a refund is due and unpaid.
func (p *Pages) refundData(v *View, d *customs.Declaration, auth customs.Authority, data map[string]any) {
	if rf := d.Refund; rf != nil {
		data["Refund"] = map[string]string{"Reference": rf.Reference, "Amount": kzt(v.Lang, rf.AmountKZT), "At": when(rf.At)}
	}
	if d.RefundDue {
		var owed int64
		for _, l := range d.RefundLegs() {
			owed += l.AmountKZT
		}
		data["RefundOwed"] = kzt(v.Lang, owed)
		data["CanRefund"] = auth == customs.ByCustoms && owed > 0
	}
}

// CustomsRefund is a customs officer's "pay refund": it completes a refund
// the platform could not pay when the declaration ended. A refusal (the
// payer's account closed) is said on the page, and nothing is written.
func (p *Pages) CustomsRefund(w http.ResponseWriter, r *http.Request) {
	p.customsAct(w, r, "refund", "refunded", func(ctx context.Context, pr *identity.Principal, id string) error {
		_, err := p.Customs.PayRefund(ctx, pr, id)
		return err
	})
}
