package sqlstore

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/customs"
	"bricstown/internal/identity"
	"bricstown/internal/ledger"
	"bricstown/internal/logistics"
	"bricstown/internal/market"
	"bricstown/internal/order"
	"bricstown/internal/problem"

	"github.com/google/uuid"
)

// orderWorld: a buyer (KZ) with 10 000.00 KZT, a seller with an account to
// be paid into, a third company, the town administration running the
// marketplace, on one ledger and one clock. Declarations and shipments
// are counted by recording ports (the real ones are driven end to end in
// internal/server).
type orderWorld struct {
	db                   *DB
	svc                  *order.Service
	led                  *ledger.Service
	mu                   sync.Mutex
	now                  time.Time
	buyer, seller, other *identity.Principal
	admin                *identity.Principal
	buyerAcc, sellerAcc  ledger.ID
	otherAcc             ledger.ID
	decls, ships         atomic.Int64
	lastDecl             customs.Content
}

func (w *orderWorld) clock() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.now
}

func (w *orderWorld) advance(d time.Duration) {
	w.mu.Lock()
	w.now = w.now.Add(d)
	w.mu.Unlock()
}

func (w *orderWorld) Create(_ context.Context, p *identity.Principal, c customs.Content, _ ...customs.NewDocument) (customs.Declaration, error) {
	w.decls.Add(1)
	w.mu.Lock()
	w.lastDecl = c
	w.mu.Unlock()
	return customs.Declaration{ID: uuid.NewString(), DeclarantOrg: p.OrgID, Content: c}, nil
}

func (w *orderWorld) CreateShipmentForOrder(_ context.Context, p *identity.Principal, in logistics.OrderShipment) (logistics.Shipment, error) {
	w.ships.Add(1)
	return logistics.Shipment{ID: uuid.NewString(), OwnerOrg: p.OrgID, DeclarationID: in.DeclarationID}, nil
}

func newOrderWorld(t testing.TB, db *DB) *orderWorld {
	ctx := context.Background()
	w := &orderWorld{db: db, now: time.Date(2030, 3, 4, 9, 0, 0, 0, time.UTC)}
	for id, k := range map[string]identity.OrgKind{"o-buyer": identity.KindCompany, "o-seller": identity.KindCompany, "o-other": identity.KindCompany,
		"o-town": identity.KindTownAdministration, "o-bank": identity.KindBank} {
		o := identity.Org{ID: id, Name: id, Kind: k, Country: "KZ", RegScheme: "REG", RegID: id, CreatedAt: w.now}
		if err := db.CreateOrg(ctx, o, audit.Record{ActorUser: "test", Action: "org.create"}); err != nil {
			t.Fatal(err)
		}
	}
	w.led = ledger.NewService(db, ledger.Config{Exponent: exp, Now: w.clock, SweepEvery: time.Hour})
	lctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go w.led.Run(lctx)
	issuer := newID()
	w.buyerAcc, w.sellerAcc, w.otherAcc = newID(), newID(), newID()
	funds := func(id ledger.ID, org string) ledger.Account {
		return ledger.Account{ID: id, OrgID: org, Currency: "KZT", Kind: ledger.Liability, Code: "funds", Flags: ledger.DebitsMustNotExceedCredits}
	}
	if err := db.CreateAccounts(ctx, []ledger.Account{
		{ID: issuer, OrgID: "o-bank", Currency: "KZT", Kind: ledger.Asset, Code: "issuance", Flags: ledger.Issuer | ledger.System, Limit: ledger.Unlimited},
		funds(w.buyerAcc, "o-buyer"), funds(w.sellerAcc, "o-seller"), funds(w.otherAcc, "o-other"),
	}, audit.Record{ActorUser: "test"}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateTransfers(ctx, []ledger.Transfer{
		{ID: newID(), DebitAccount: issuer, CreditAccount: w.buyerAcc, Amount: 10_000_00, Currency: "KZT"},
		{ID: newID(), DebitAccount: issuer, CreditAccount: w.otherAcc, Amount: 10_000_00, Currency: "KZT"},
	}, ledger.BatchOptions{Now: w.now}); err != nil {
		t.Fatal(err)
	}
	w.svc = order.NewService(db, order.Config{Ledger: w.led, Now: w.clock, Org: db.GetOrg,
		Product: db.GetProduct, ContractPrice: market.NewService(db, market.Config{}).BuyerPrice,
		Operator: func(context.Context) (string, error) { return "o-town", nil }, Declarations: w, Shipments: w})
	pr := func(org string, r ...identity.Role) *identity.Principal {
		return &identity.Principal{UserID: "u-" + org, OrgID: org, OrgKind: identity.KindCompany, Roles: r}
	}
	w.buyer, w.seller, w.other = pr("o-buyer", identity.Trader), pr("o-seller", identity.Trader), pr("o-other", identity.Trader)
	w.admin = &identity.Principal{UserID: "u-admin", OrgID: "o-town", OrgKind: identity.KindTownAdministration, Roles: []identity.Role{identity.PlatformAdmin}}
	return w
}

func (w *orderWorld) balance(t *testing.T, id ledger.ID) (posted, pendingOut int64) {
	t.Helper()
	a, err := w.db.GetAccount(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return a.Balance(), a.DebitsPending
}

// rfq posts an RFQ of 100 kg of coffee and the seller's quote at 12.50 KZT.
func (w *orderWorld) rfq(t *testing.T) (order.RFQ, order.Quote) {
	t.Helper()
	ctx := context.Background()
	r, err := w.svc.PostRFQ(ctx, w.buyer, order.RFQInput{Goods: "Arabica green coffee", HS: "0901.11", Quantity: 100, Unit: "kg",
		Destination: "KZALA", Incoterm: "FCA", Deadline: w.now.Add(72 * time.Hour).Format(time.RFC3339)})
	if err != nil {
		t.Fatal(err)
	}
	q, err := w.svc.SubmitQuote(ctx, w.seller, r.ID, order.QuoteInput{UnitPrice: "12.50", Currency: "KZT", MOQ: 50, Incoterm: "FCA", Origin: "KZ",
		ValidUntil: w.now.Add(48 * time.Hour).Format(time.RFC3339)})
	if err != nil {
		t.Fatal(err)
	}
	return r, q
}

func wantOrderCode(t *testing.T, err error, code problem.Code, field string) {
	t.Helper()
	if !problem.Is(err, code) {
		t.Fatalf("want %s, got %v", code, err)
	}
	if field != "" {
		if pe, ok := err.(*problem.Error); !ok || pe.Fields[field] == "" {
			t.Fatalf("want a message on field %s, got %#v", field, err)
		}
	}
}

func TestOrderRefusals(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		w := newOrderWorld(t, db)
		r, q := w.rfq(t)
		// Too many decimals, MOQ above the quantity, a quote on one's own RFQ.
		_, err := w.svc.SubmitQuote(ctx, w.seller, r.ID, order.QuoteInput{UnitPrice: "12.505", Currency: "KZT", MOQ: 1, Incoterm: "FCA", Origin: "KZ",
			ValidUntil: "2030-03-05"})
		wantOrderCode(t, err, problem.Invalid, "unit_price")
		_, err = w.svc.SubmitQuote(ctx, w.seller, r.ID, order.QuoteInput{UnitPrice: "12.50", Currency: "KZT", MOQ: 101, Incoterm: "FCA", Origin: "KZ",
			ValidUntil: "2030-03-05"})
		wantOrderCode(t, err, problem.Invalid, "moq")
		_, err = w.svc.SubmitQuote(ctx, w.buyer, r.ID, order.QuoteInput{UnitPrice: "1", Currency: "KZT", MOQ: 1, Incoterm: "FCA", Origin: "KZ", ValidUntil: "2030-03-05"})
		wantOrderCode(t, err, problem.Forbidden, "")
		_, err = w.svc.PostRFQ(ctx, w.buyer, order.RFQInput{Goods: "x", HS: "999999", Quantity: 1, Unit: "kg", Destination: "KZALA", Incoterm: "FCA", Deadline: "2030-03-05"})
		wantOrderCode(t, err, problem.Invalid, "hs")
		// Another company sees the quote of nobody, the seller cannot accept its own quote.
		_, _, err = w.svc.RFQ(ctx, w.other, r.ID)
		if err != nil {
			t.Fatalf("an open RFQ is seen by sellers: %v", err)
		}
		if _, qs, _ := w.svc.RFQ(ctx, w.other, r.ID); len(qs) != 0 {
			t.Fatalf("another seller sees %d quotes", len(qs))
		}
		_, err = w.svc.AcceptQuote(ctx, w.other, q.ID)
		wantOrderCode(t, err, problem.NotFound, "")
		_, err = w.svc.AcceptQuote(ctx, w.seller, q.ID)
		wantOrderCode(t, err, problem.Forbidden, "")
		// Expired quote: refused, nothing written.
		w.advance(49 * time.Hour)
		_, err = w.svc.AcceptQuote(ctx, w.buyer, q.ID)
		wantOrderCode(t, err, problem.Conflict, "quote_id")
		if got, _ := db.GetRFQ(ctx, r.ID); got.Status != order.RFQOpen {
			t.Fatalf("rfq %s after a refused acceptance", got.Status)
		}
		// After the deadline no more quotes.
		w.advance(24 * time.Hour)
		_, err = w.svc.SubmitQuote(ctx, w.other, r.ID, order.QuoteInput{UnitPrice: "1", Currency: "KZT", MOQ: 1, Incoterm: "FCA", Origin: "KZ", ValidUntil: "2030-04-01"})
		if err == nil {
			t.Fatal("a quote after the deadline was taken")
		}
	})
}

func TestOrderEscrowLifecycle(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		w := newOrderWorld(t, db)
		r, q := w.rfq(t)
		// Twenty acceptances at once: exactly one order.
		var wg sync.WaitGroup
		var won atomic.Int64
		var orderID atomic.Value
		for range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				o, err := w.svc.AcceptQuote(ctx, w.buyer, q.ID)
				if err == nil {
					won.Add(1)
					orderID.Store(o.ID)
				} else if !problem.Is(err, problem.Conflict) {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if won.Load() != 1 {
			t.Fatalf("%d acceptances won", won.Load())
		}
		id := orderID.Load().(string)
		o, err := w.svc.Get(ctx, w.buyer, id)
		if err != nil || o.Amount != 1250_00 || o.Fee != 18_75 {
			t.Fatalf("order %+v %v", o.Order, err)
		}
		if got, _ := db.GetRFQ(ctx, r.ID); got.Status != order.RFQAwarded || got.OrderID != id {
			t.Fatalf("rfq %+v", got)
		}
		// Paying from another company's account is refused like an unknown one.
		_, err = w.svc.Pay(ctx, w.buyer, id, order.PayInput{PayFrom: w.otherAcc.String()})
		wantOrderCode(t, err, problem.Invalid, "pay_from")
		_, err = w.svc.Pay(ctx, w.other, id, order.PayInput{PayFrom: w.otherAcc.String()})
		wantOrderCode(t, err, problem.NotFound, "")
		// Twenty payments at once: charged once.
		for range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := w.svc.Pay(ctx, w.buyer, id, order.PayInput{PayFrom: w.buyerAcc.String()}); err != nil && !problem.Is(err, problem.Conflict) {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if bal, pend := w.balance(t, w.buyerAcc); bal != 10_000_00 || pend != 1250_00 {
			t.Fatalf("buyer %d pending %d", bal, pend)
		}
		v, err := w.svc.Get(ctx, w.seller, id)
		if err != nil || v.Status != order.Paid || v.Escrow.State != "held" {
			t.Fatalf("after pay %s %s %v", v.Status, v.Escrow.State, err)
		}
		// The seller confirms: a declaration from the order, a shipment.
		_, err = w.svc.Confirm(ctx, w.seller, id, order.ConfirmInput{PayTo: w.buyerAcc.String(), ShipFrom: "KZALA", BorderPost: "KZHOR", Mode: "road", GrossKg: 110, NetKg: 100})
		wantOrderCode(t, err, problem.Invalid, "pay_to")
		if _, err := w.svc.Confirm(ctx, w.seller, id, order.ConfirmInput{PayTo: w.sellerAcc.String(), ShipFrom: "KZALA", BorderPost: "KZHOR",
			Mode: "road", GrossKg: 110, NetKg: 100}); err != nil {
			t.Fatal(err)
		}
		if w.decls.Load() != 1 || w.ships.Load() != 1 {
			t.Fatalf("%d declarations, %d shipments", w.decls.Load(), w.ships.Load())
		}
		if it := w.lastDecl.Items[0]; it.ClassificationID != "090111" || it.CustomsValueAmount != 1250_00 || w.lastDecl.TradeTermsConditionCode != "FCA" {
			t.Fatalf("declaration drafted %+v", w.lastDecl)
		}
		if _, err := w.svc.Ship(ctx, w.seller, id); err != nil {
			t.Fatal(err)
		}
		// Twenty delivery confirmations at once: posted once.
		for range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := w.svc.ConfirmDelivery(ctx, w.buyer, id); err != nil && !problem.Is(err, problem.Conflict) {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		v, err = w.svc.Get(ctx, w.buyer, id)
		if err != nil || v.Status != order.Released || v.Escrow.State != "released" {
			t.Fatalf("after delivery %s %s %v", v.Status, v.Escrow.State, err)
		}
		if bal, pend := w.balance(t, w.buyerAcc); bal != 8_750_00 || pend != 0 {
			t.Fatalf("buyer %d pending %d", bal, pend)
		}
		if bal, _ := w.balance(t, w.sellerAcc); bal != 1250_00-18_75 {
			t.Fatalf("seller %d", bal)
		}
		fee, err := w.led.SystemAccount(ctx, "o-town", "KZT", order.FeeAccount)
		if err != nil || fee.Balance() != 18_75 {
			t.Fatalf("fee account %d %v", fee.Balance(), err)
		}
		escrow, _ := w.led.SystemAccount(ctx, "o-town", "KZT", order.EscrowAccount)
		if escrow.Balance() != 0 || escrow.DebitsPending != 0 || escrow.CreditsPending != 0 {
			t.Fatalf("escrow left %+v", escrow)
		}
		// One review per order, by the buyer only.
		_, err = w.svc.AddReview(ctx, w.seller, id, order.ReviewInput{Stars: 5})
		wantOrderCode(t, err, problem.Forbidden, "")
		if _, err := w.svc.AddReview(ctx, w.buyer, id, order.ReviewInput{Stars: 4, Text: "On time"}); err != nil {
			t.Fatal(err)
		}
		_, err = w.svc.AddReview(ctx, w.buyer, id, order.ReviewInput{Stars: 1})
		wantOrderCode(t, err, problem.Conflict, "")
		if rs, _ := w.svc.SellerReviews(ctx, w.other, "o-seller"); len(rs) != 1 || rs[0].Stars != 4 {
			t.Fatalf("reviews %+v", rs)
		}
	})
}

// TestOrderCancelRacesDelivery: the seller cancelling while the buyer
// confirms delivery ends in exactly one outcome, and the money agrees.
func TestOrderCancelRacesDelivery(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		w := newOrderWorld(t, db)
		for round := range 3 {
			_, q := w.rfq(t)
			o, err := w.svc.AcceptQuote(ctx, w.buyer, q.ID)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := w.svc.Pay(ctx, w.buyer, o.ID, order.PayInput{PayFrom: w.buyerAcc.String()}); err != nil {
				t.Fatal(err)
			}
			if _, err := w.svc.Confirm(ctx, w.seller, o.ID, order.ConfirmInput{PayTo: w.sellerAcc.String(), ShipFrom: "KZALA", BorderPost: "KZHOR",
				Mode: "road", GrossKg: 110, NetKg: 100}); err != nil {
				t.Fatal(err)
			}
			if _, err := w.svc.Ship(ctx, w.seller, o.ID); err != nil {
				t.Fatal(err)
			}
			sellerBefore, _ := w.balance(t, w.sellerAcc)
			buyerBefore, _ := w.balance(t, w.buyerAcc)
			var wg sync.WaitGroup
			wg.Add(2)
			go func() {
				defer wg.Done()
				_, _ = w.svc.Cancel(ctx, w.seller, o.ID, order.CancelInput{Reason: fmt.Sprint("round ", round)})
			}()
			go func() { defer wg.Done(); _, _ = w.svc.ConfirmDelivery(ctx, w.buyer, o.ID) }()
			wg.Wait()
			got, err := db.GetOrder(ctx, o.ID)
			if err != nil {
				t.Fatal(err)
			}
			sellerAfter, _ := w.balance(t, w.sellerAcc)
			buyerAfter, pend := w.balance(t, w.buyerAcc)
			switch got.Status {
			case order.Released:
				if sellerAfter-sellerBefore != 1250_00-18_75 || buyerBefore-buyerAfter != 1250_00 || pend != 0 {
					t.Fatalf("released but seller +%d buyer -%d", sellerAfter-sellerBefore, buyerBefore-buyerAfter)
				}
			case order.Cancelled:
				if sellerAfter != sellerBefore || buyerAfter != buyerBefore || pend != 0 {
					t.Fatalf("cancelled but money moved")
				}
			default:
				t.Fatalf("status %s", got.Status)
			}
		}
	})
}

// TestOrderDisputeAndDirect: a direct order from the catalogue below its
// MOQ is refused; a dispute ruled for the buyer voids the escrow.
func TestOrderDisputeAndDirect(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		w := newOrderWorld(t, db)
		mkt := market.NewService(db, market.Config{Org: db.GetOrg, Now: w.clock})
		prod, err := mkt.Publish(ctx, w.seller, market.NewProduct{Names: map[string]string{"en": "Steppe honey"}, HS: "040900", Origin: "KZ", Unit: "kg",
			MOQ: 10, Currency: "KZT", Tiers: []market.NewTier{{MinQty: 10, UnitPrice: "30.00"}, {MinQty: 50, UnitPrice: "25.00"}}, Incoterms: []string{"EXW", "FCA"}})
		if err != nil {
			t.Fatal(err)
		}
		_, err = w.svc.OrderDirect(ctx, w.buyer, order.DirectInput{ProductID: prod.ID, Quantity: 5, Incoterm: "FCA", Destination: "KZALA"})
		wantOrderCode(t, err, problem.Invalid, "quantity")
		_, err = w.svc.OrderDirect(ctx, w.seller, order.DirectInput{ProductID: prod.ID, Quantity: 50, Incoterm: "FCA", Destination: "KZALA"})
		wantOrderCode(t, err, problem.Invalid, "product_id")
		o, err := w.svc.OrderDirect(ctx, w.buyer, order.DirectInput{ProductID: prod.ID, Quantity: 50, Incoterm: "FCA", Destination: "KZALA"})
		if err != nil || o.UnitPrice != 25_00 || o.Amount != 1250_00 {
			t.Fatalf("direct order %+v %v", o, err)
		}
		if _, err := w.svc.Pay(ctx, w.buyer, o.ID, order.PayInput{PayFrom: w.buyerAcc.String()}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.Confirm(ctx, w.seller, o.ID, order.ConfirmInput{PayTo: w.sellerAcc.String(), ShipFrom: "KZALA", BorderPost: "KZHOR",
			Mode: "road", GrossKg: 60, NetKg: 50}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.Ship(ctx, w.seller, o.ID); err != nil {
			t.Fatal(err)
		}
		_, err = w.svc.SellerRelease(ctx, w.seller, o.ID)
		wantOrderCode(t, err, problem.Conflict, "status")
		if _, err := w.svc.OpenDispute(ctx, w.buyer, o.ID, order.DisputeInput{Reason: "Half the jars broken"}); err != nil {
			t.Fatal(err)
		}
		_, err = w.svc.Rule(ctx, w.seller, o.ID, order.RuleInput{For: "seller"})
		wantOrderCode(t, err, problem.Forbidden, "")
		if ds, _ := w.svc.Disputes(ctx, w.admin); len(ds) != 1 {
			t.Fatalf("%d disputes", len(ds))
		}
		v, err := w.svc.Rule(ctx, w.admin, o.ID, order.RuleInput{For: "buyer", Note: "photos show breakage"})
		if err != nil || v.Status != order.Cancelled || v.Escrow.State != "voided" {
			t.Fatalf("ruled %s %s %v", v.Status, v.Escrow.State, err)
		}
		if bal, pend := w.balance(t, w.buyerAcc); bal != 10_000_00 || pend != 0 {
			t.Fatalf("buyer %d pending %d", bal, pend)
		}
	})
}
