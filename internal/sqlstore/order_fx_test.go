package sqlstore

import (
	"context"
	"sync"
	"testing"

	"bricstown/internal/audit"
	"bricstown/internal/fx"
	"bricstown/internal/ledger"
	"bricstown/internal/market"
	"bricstown/internal/order"
	"bricstown/internal/problem"
)

// fxOrderWorld adds to the order world a bank quoting CNY/KZT 70.00/72.00
// with FX inventories (100 000.00 KZT in stock, CNY empty), a buyer's CNY
// account holding 1 000.00 CNY and another company's CNY account, and
// rewires the order service to the FX desk.
type fxOrderWorld struct {
	*orderWorld
	buyerCNY, otherCNY ledger.ID
	invKZT, invCNY     ledger.ID
	fxs                *fx.Service
}

func newFXOrderWorld(t *testing.T, db *DB) *fxOrderWorld {
	ctx := context.Background()
	w := &fxOrderWorld{orderWorld: newOrderWorld(t, db)}
	issKZT, issCNY := newID(), newID()
	w.buyerCNY, w.otherCNY, w.invKZT, w.invCNY = newID(), newID(), newID(), newID()
	acc := func(id ledger.ID, org, ccy, code string) ledger.Account {
		return ledger.Account{ID: id, OrgID: org, Currency: ccy, Kind: ledger.Liability, Code: code, Flags: ledger.DebitsMustNotExceedCredits}
	}
	if err := db.CreateAccounts(ctx, []ledger.Account{
		{ID: issKZT, OrgID: "o-bank", Currency: "KZT", Kind: ledger.Asset, Code: "issuance2", Flags: ledger.Issuer | ledger.System, Limit: ledger.Unlimited},
		{ID: issCNY, OrgID: "o-bank", Currency: "CNY", Kind: ledger.Asset, Code: "issuance", Flags: ledger.Issuer | ledger.System, Limit: ledger.Unlimited},
		acc(w.buyerCNY, "o-buyer", "CNY", "funds"), acc(w.otherCNY, "o-other", "CNY", "funds"),
		acc(w.invKZT, "o-bank", "KZT", fx.InventoryCode), acc(w.invCNY, "o-bank", "CNY", fx.InventoryCode),
	}, audit.Record{ActorUser: "test"}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateTransfers(ctx, []ledger.Transfer{
		{ID: newID(), DebitAccount: issKZT, CreditAccount: w.invKZT, Amount: 100_000_00, Currency: "KZT"},
		{ID: newID(), DebitAccount: issCNY, CreditAccount: w.buyerCNY, Amount: 1_000_00, Currency: "CNY"},
		{ID: newID(), DebitAccount: issCNY, CreditAccount: w.otherCNY, Amount: 1_000_00, Currency: "CNY"},
	}, ledger.BatchOptions{Now: w.now}); err != nil {
		t.Fatal(err)
	}
	r := fxRate(t, newID().String(), "o-bank", "CNY/KZT", "70.00", "72.00", w.now)
	fxPublish(t, db, r)
	fxs, err := fx.NewService(db, fx.Config{Now: w.clock})
	if err != nil {
		t.Fatal(err)
	}
	fxs.UseLedger(fx.LedgerOf(w.led))
	w.fxs = fxs
	w.svc = order.NewService(db, order.Config{Ledger: w.led, Now: w.clock, Org: db.GetOrg,
		Product: db.GetProduct, ContractPrice: market.NewService(db, market.Config{}).BuyerPrice, FX: fxs,
		Operator: func(context.Context) (string, error) { return "o-town", nil }, Declarations: w, Shipments: w})
	return w
}

func (w *fxOrderWorld) accepted(t *testing.T) string {
	t.Helper()
	_, q := w.rfq(t)
	o, err := w.svc.AcceptQuote(context.Background(), w.buyer, q.ID)
	if err != nil {
		t.Fatal(err)
	}
	return o.ID
}

// TestOrderPayWithConversion: an order in KZT paid from a CNY account. The
// escrow holds 1 250.00 KZT from the bank's inventory, funded by the
// buyer's CNY, all pending in one linked chain with ids derived from the
// order: twenty payments at once convert once; another company's account
// cannot be used; release settles the conversion and pays the seller in
// KZT; cancelling another order gives the buyer back exactly its CNY.
func TestOrderPayWithConversion(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		w := newFXOrderWorld(t, db)
		id := w.accepted(t)
		// Another company's CNY account answers like an unknown one.
		_, err := w.svc.Pay(ctx, w.buyer, id, order.PayInput{PayFrom: w.otherCNY.String()})
		wantOrderCode(t, err, problem.Invalid, "pay_from")
		var wg sync.WaitGroup
		for range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := w.svc.Pay(ctx, w.buyer, id, order.PayInput{PayFrom: w.buyerCNY.String()}); err != nil && !problem.Is(err, problem.Conflict) {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		v, err := w.svc.Get(ctx, w.buyer, id)
		if err != nil || v.Status != order.Paid || v.Escrow.State != "held" || v.FX == nil {
			t.Fatalf("after pay %s %s %+v %v", v.Status, v.Escrow.State, v.FX, err)
		}
		// 1 250.00 KZT at the bank's bid of 70.00 KZT per CNY: 17.857… CNY,
		// which the quote rounds in the provider's favour to 17.86.
		sell := v.FX.SellAmount
		if v.FX.Sell != "CNY" || sell != 17_86 {
			t.Fatalf("conversion %+v", v.FX)
		}
		if bal, pend := w.balance(t, w.buyerCNY); bal != 1_000_00 || pend != sell {
			t.Fatalf("buyer CNY %d pending %d", bal, pend)
		}
		if bal, pend := w.balance(t, w.invKZT); bal != 100_000_00 || pend != 1250_00 {
			t.Fatalf("bank KZT %d pending %d", bal, pend)
		}
		// The quote is used: it cannot be executed again on the FX desk.
		if _, err := w.fxs.Claim(ctx, w.buyer, v.FX.QuoteID); !problem.Is(err, problem.Conflict) {
			t.Fatalf("quote claimed again: %v", err)
		}
		// Retried after it succeeded: nothing more moves.
		if _, err := w.svc.Pay(ctx, w.buyer, id, order.PayInput{PayFrom: w.buyerCNY.String()}); !problem.Is(err, problem.Conflict) {
			t.Fatalf("second pay: %v", err)
		}
		if _, pend := w.balance(t, w.buyerCNY); pend != sell {
			t.Fatalf("buyer CNY pending %d after retry", pend)
		}
		if _, err := w.svc.Confirm(ctx, w.seller, id, order.ConfirmInput{PayTo: w.sellerAcc.String(), ShipFrom: "KZALA", BorderPost: "KZHOR",
			Mode: "road", GrossKg: 110, NetKg: 100}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.Ship(ctx, w.seller, id); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.ConfirmDelivery(ctx, w.buyer, id); err != nil {
			t.Fatal(err)
		}
		if bal, pend := w.balance(t, w.buyerCNY); bal != 1_000_00-sell || pend != 0 {
			t.Fatalf("buyer CNY %d pending %d after release", bal, pend)
		}
		if bal, _ := w.balance(t, w.invCNY); bal != sell {
			t.Fatalf("bank CNY %d", bal)
		}
		if bal, pend := w.balance(t, w.invKZT); bal != 100_000_00-1250_00 || pend != 0 {
			t.Fatalf("bank KZT %d pending %d", bal, pend)
		}
		if bal, _ := w.balance(t, w.sellerAcc); bal != 1250_00-18_75 {
			t.Fatalf("seller %d", bal)
		}
		// A cancelled order paid the same way returns the buyer's CNY whole.
		id2 := w.accepted(t)
		if _, err := w.svc.Pay(ctx, w.buyer, id2, order.PayInput{PayFrom: w.buyerCNY.String()}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.Cancel(ctx, w.buyer, id2, order.CancelInput{Reason: "changed plans"}); err != nil {
			t.Fatal(err)
		}
		if bal, pend := w.balance(t, w.buyerCNY); bal != 1_000_00-sell || pend != 0 {
			t.Fatalf("buyer CNY %d pending %d after cancel", bal, pend)
		}
		if bal, pend := w.balance(t, w.invKZT); bal != 100_000_00-1250_00 || pend != 0 {
			t.Fatalf("bank KZT %d pending %d after cancel", bal, pend)
		}
		if rep, err := db.Verify(ctx); err != nil || len(rep.Problems) > 0 {
			t.Fatalf("ledger: %v %v", rep.Problems, err)
		}
	})
}

// TestOrderPayConversionRefused: a buyer short of CNY is refused with
// pay_from and nothing is held; the order can be paid again.
func TestOrderPayConversionRefused(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		w := newFXOrderWorld(t, db)
		ids := []string{}
		for range 60 { // 60 × 17.86 CNY > 1 000.00 CNY
			ids = append(ids, w.accepted(t))
		}
		var refused error
		for _, id := range ids {
			if _, err := w.svc.Pay(ctx, w.buyer, id, order.PayInput{PayFrom: w.buyerCNY.String()}); err != nil {
				refused = err
				if v, _ := w.svc.Get(ctx, w.buyer, id); v.Status != order.Accepted || v.FX != nil {
					t.Fatalf("refused order left %s %+v", v.Status, v.FX)
				}
				break
			}
		}
		wantOrderCode(t, refused, problem.Conflict, "pay_from")
		if bal, pend := w.balance(t, w.buyerCNY); bal != 1_000_00 || pend > bal {
			t.Fatalf("buyer CNY %d pending %d", bal, pend)
		}
		if rep, err := db.Verify(ctx); err != nil || len(rep.Problems) > 0 {
			t.Fatalf("ledger: %v %v", rep.Problems, err)
		}
	})
}
