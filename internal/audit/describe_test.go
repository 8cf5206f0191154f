package audit

import (
	"testing"
)

// Every form the services write is read back; a line no form matches is
// not described, so the page shows it as stored English.
func TestDescribe(t *testing.T) {
	cases := []struct {
		r    Record
		kind string
		args int
	}{
		{Record{Action: "org.create", After: "x", Detail: "Firm"}, "", 0},
		{Record{Action: "market.rfq.post", Detail: "100199 40 t"}, "order_rfq", 2},
		{Record{Action: "market.order.create", Detail: "100199 3800.00 KZT"}, "order_created", 2},
		{Record{Action: "market.order.paid", Detail: "0190f0c8-0000-5000-8000-000000000000"}, "order_transfer", 1},
		{Record{Action: "market.order.confirmed", Detail: "d1 s1"}, "order_confirmed", 2},
		{Record{Action: "market.order.disputed", Detail: "Half the jars broken"}, "order_reason", 1},
		{Record{Action: "market.order.ruled", Detail: "buyer"}, "order_ruled_buyer", 0},
		{Record{Action: "market.order.review", Detail: "4"}, "order_stars", 1},
		{Record{Action: "market.order.release", Detail: "3743.00 KZT"}, "amount", 1},
		{Record{Action: "user.create", After: "trader org_admin", Detail: "a@b.kz"}, "user_created", 2},
		{Record{Action: "user.disable", Before: "false", After: "true", Detail: "a@b.kz"}, "user_disabled", 1},
		{Record{Action: "settlement.instructions", Detail: "3 submitted (pacs.008)"}, "instructions_submitted", 1},
		{Record{Action: "settlement.instruction.hold", Before: "queued", Detail: "E2E-1 sanctions check pending"}, "instruction_reason", 2},
		{Record{Action: "settlement.cycle", After: "cycle 4: 10 settled, 2 deferred, 12 transfers"}, "cycle", 4},
		{Record{Action: "guarantee.issue", Detail: "1250.00 KZT to 0190f0c8-0000-7000-8000-000000000000 until 2027-01-01T00:00:00Z"}, "guarantee_issued", 3},
		{Record{Action: "guarantee.draw", Detail: "10.00 KZT, transfer abc"}, "guarantee_move", 2},
		{Record{Action: "fx.rate.publish", Detail: "CNY/KZT bid 70.1 ask 70.5 until 2026-03-01T10:00:00Z flag wide"}, "rate_until", 4},
		{Record{Action: "fx.fee.set", Detail: "bps 25 fixed KZT 50000 fixed CNY 700"}, "fee_fixed", 1},
		{Record{Action: "fx.quote.claim", Detail: "KZT 200000 -> CNY 2812"}, "quote", 2},
		{Record{Action: "fx.reference.publish", Detail: `2 rate(s) on 1 date(s) via csv from "NBK": 2026-03-01 1 USD=500 KZT`}, "reference", 2},
		{Record{Action: "ledger.transfers", After: "2 created", Detail: `{"submitted":2,"created":2,"totals_minor":{"KZT":100,"CNY":5},"moves":[]}`}, "transfers_total", 0},
		{Record{Action: "ledger.account.create", After: "KZT liability", Detail: "OPS-1"}, "account", 3},
		{Record{Action: "ledger.issuance.limit", After: "1000000.00", Detail: "KZT"}, "limit", 1},
		{Record{Action: "obligations.invoice.create", Detail: "2 invoice(s) via csv"}, "invoices", 1},
		{Record{Action: "obligations.run", After: "run 3: 7 set-offs", Detail: "KZT: ..."}, "run", 1},
		{Record{Action: "market.product.publish", Detail: "170114 BR"}, "product", 2},
		{Record{Action: "booking.resource.create", Detail: "Meeting Room Kazan"}, "named", 1},
		{Record{Action: "booking.hold", Detail: "Meeting Room Kazan 2026-12-10T09:00:00Z"}, "booking_hold", 2},
		{Record{Action: "booking.reserve", Detail: "15000.00 KZT"}, "amount", 1},
		{Record{Action: "booking.cancel", Detail: "hold released"}, "booking_hold_released", 0},
		{Record{Action: "booking.cancel", Detail: "15000.00 KZT refund"}, "booking_refund_due", 1},
		{Record{Action: "booking.drop", Detail: "not enough funds"}, "booking_dropped", 0},
		{Record{Action: "booking.confirm"}, "", 0},
		{Record{Action: "booking.expire", Detail: "exceeds_credits"}, "refused", 1},
		{Record{Action: "booking.refunded", Detail: "0190f0c8-0000-7000-8000-000000000000"}, "booking_transfer", 1},
		{Record{Action: "booking.wait", Detail: "2026-12-10T09:00:00Z"}, "booking_wait", 1},
		{Record{Action: "market.contract_price.set", Detail: "buyer 0190f0c8-0000-7000-8000-000000000000"}, "contract_price", 1},
		{Record{Action: "market.group_price.set", Detail: "group 0190f0c8-0000-7000-8000-000000000000"}, "group_price", 1},
		{Record{Action: "market.buyer_group.rename", Detail: "Wholesale partners"}, "buyer_group_rename", 1},
		{Record{Action: "market.buyer_group.remove", Detail: "buyer o-1"}, "buyer_group_remove", 1},
		{Record{Action: "logistics.departure.publish", Detail: "rail KZDOS-KZALA 2026-12-07T03:57:00Z, 4 TEU 0 kg"}, "departure_published", 6},
		{Record{Action: "logistics.departure.update", Detail: "v2: KZDOS-KZALA 2026-12-07T03:57:00Z, 4 TEU 90000 kg"}, "departure_updated", 6},
		{Record{Action: "logistics.shipment.create", Detail: "KZDOS-KZALA, 1 TEU 0 kg, by 2026-12-08T21:57:00Z"}, "shipment_created", 5},
		{Record{Action: "logistics.book", Detail: "booking b1 on d1;d2, 1250.00 USD"}, "booked", 1},
		{Record{Action: "logistics.booking.cancel", Detail: "booking b1"}, "booking_cancelled", 1},
		{Record{Action: "logistics.event.departed", Detail: "leg 1 (d1) at 2026-12-07T04:00:00Z"}, "leg_event", 2},
		{Record{Action: "logistics.plan", Detail: "10 shipments, 8 booked, 2 left, cost 100.50 USD, bound 99.00"}, "dispatch_plan", 5},
	}
	for _, c := range cases {
		ev, ok := Describe(c.r)
		if !ok || ev.Kind != c.kind || len(ev.Args) != c.args {
			t.Errorf("Describe(%s %q) = %+v %v, want %s with %d args", c.r.Action, c.r.Detail, ev, ok, c.kind, c.args)
		}
	}
	if ev, _ := Describe(Record{Action: "logistics.book", Detail: "booking b1 on d1;d2, 1250.00 USD"}); *ev.Count != 2 || ev.Args[0].Minor != 125000 {
		t.Errorf("a booking on two departures: %+v", ev)
	}
	if _, ok := Describe(Record{Action: "logistics.book", Detail: "booked somehow"}); ok {
		t.Error("an unknown logistics line is described")
	}
	ev, _ := Describe(Record{Action: "ledger.transfers", Detail: `{"submitted":2,"created":2,"totals_minor":{"KZT":100,"CNY":5}}`})
	if *ev.Count != 2 || len(ev.List) != 2 || ev.List[0].Currency != "CNY" || ev.List[1].Minor != 100 || ev.List[1].Exp != -1 {
		t.Errorf("transfers: %+v", ev)
	}
	ev, _ = Describe(Record{Action: "guarantee.reserve", Detail: "1250.50 KZT"})
	if a := ev.Args[0]; a.Minor != 125050 || a.Exp != 2 || a.Currency != "KZT" {
		t.Errorf("reserve: %+v", ev)
	}
	for _, r := range []Record{{Action: "settlement.instructions", Detail: "something else"}, {Action: "fx.fee.set", Detail: "bps many"},
		{Action: "unknown.action", Detail: "free text"}, {Action: "ledger.account.create", After: "mystery", Detail: "x"}} {
		if ev, ok := Describe(r); ok {
			t.Errorf("Describe(%+v) = %+v, want not described", r, ev)
		}
	}
}
