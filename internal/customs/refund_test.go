package customs

import (
	"context"
	"sync"
	"testing"
	"time"

	"bricstown/internal/problem"
)

// fakeRefunds pays each leg once per declaration, like the ledger with its
// derived ids: asked again it answers the transfer already made.
type fakeRefunds struct {
	mu    sync.Mutex
	paid  map[string]RefundTransfer // declaration/source -> transfer
	calls int
	fail  error
}

func (f *fakeRefunds) RefundDuties(_ context.Context, decl, _ string, legs []RefundLeg) ([]RefundTransfer, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.fail != nil {
		return nil, f.fail
	}
	if f.paid == nil {
		f.paid = map[string]RefundTransfer{}
	}
	var out []RefundTransfer
	for _, l := range legs {
		key := decl + "/" + string(l.Source)
		tr, ok := f.paid[key]
		if !ok {
			to := l.FromAccountID
			if l.Source == RefundOfGuarantee {
				to = "bank-of-" + l.Reference
			}
			tr = RefundTransfer{Source: l.Source, TransferID: "R-" + key, ToAccountID: to, AmountKZT: l.AmountKZT}
			f.paid[key] = tr
		}
		out = append(out, tr)
	}
	return out, nil
}

func (f *fakeRefunds) total() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	var n int64
	for _, t := range f.paid {
		n += t.AmountKZT
	}
	return n
}

func TestRefundLegs(t *testing.T) {
	t1 := t0.Add(time.Hour)
	pay := &Payment{Reference: "P", AmountKZT: 100, FromAccountID: "acct", At: t0}
	draw := &Guarantee{GuaranteeID: "G", Reference: "BG", AmountKZT: 100, DrawTransferID: "T", At: t1}
	for _, c := range []struct {
		name string
		d    Declaration
		want []RefundSource
	}{
		{"cancelled after payment", Declaration{Status: StatusCancelled, Payment: pay}, []RefundSource{RefundOfPayment}},
		{"refused after a draw", Declaration{Status: StatusRefused, Guarantee: draw}, []RefundSource{RefundOfGuarantee}},
		{"refused with both", Declaration{Status: StatusRefused, Payment: pay, Guarantee: draw}, []RefundSource{RefundOfPayment, RefundOfGuarantee}},
		{"released, draw came last", Declaration{Status: StatusReleased, Payment: pay, Guarantee: draw}, []RefundSource{RefundOfGuarantee}},
		{"released, payment came last", Declaration{Status: StatusReleased, Payment: &Payment{Reference: "P", AmountKZT: 100, At: t1.Add(time.Second)}, Guarantee: draw},
			[]RefundSource{RefundOfPayment}},
		{"released after payment", Declaration{Status: StatusReleased, Payment: pay}, nil},
		{"under check, paid", Declaration{Status: StatusDocumentaryCheck, Payment: pay}, nil},
		{"cancelled unpaid", Declaration{Status: StatusCancelled}, nil},
		{"a draw without its transfer", Declaration{Status: StatusCancelled, Guarantee: &Guarantee{Reference: "BG-FAKE", AmountKZT: 1 << 62}}, nil},
		{"payment already refunded", Declaration{Status: StatusRefused, Payment: pay, Guarantee: draw,
			Refund: &Refund{Transfers: []RefundTransfer{{Source: RefundOfPayment, TransferID: "R", AmountKZT: 100}}}}, []RefundSource{RefundOfGuarantee}},
	} {
		var got []RefundSource
		for _, l := range c.d.RefundLegs() {
			got = append(got, l.Source)
			if l.AmountKZT != 100 {
				t.Errorf("%s: leg %+v", c.name, l)
			}
		}
		if len(got) != len(c.want) || len(got) > 0 && got[0] != c.want[0] || len(got) > 1 && got[1] != c.want[1] {
			t.Errorf("%s: legs %v, want %v", c.name, got, c.want)
		}
	}
}

func newRefundService(t *testing.T) (*Service, *fakeRefunds) {
	t.Helper()
	refunds := &fakeRefunds{}
	s, err := NewService(newMemStore(), Config{Rules: quietRules(t), Rates: rateSource(nil), Payments: &fakePayments{}, Guarantees: &fakeGuarantees{},
		Refunds: refunds, Now: (&clock{now: t0}).Now})
	if err != nil {
		t.Fatal(err)
	}
	return s, refunds
}

// A cancellation after payment pays the refund at once, as the platform,
// to the account the duties came from; an officer's request afterwards
// finds nothing due.
func TestRefundPaidWithTheCancellation(t *testing.T) {
	s, refunds := newRefundService(t)
	ctx := context.Background()
	p := trader("acme")
	id := reach(t, s, "acme", StatusDocumentaryCheck)
	d, err := s.Pay(ctx, p, id, "acct-1")
	if err != nil {
		t.Fatal(err)
	}
	amount := d.Payment.AmountKZT
	if d, err = s.Cancel(ctx, p, id, "buyer withdrew"); err != nil {
		t.Fatal(err)
	}
	if d.RefundDue || d.Refund == nil || d.Refund.AmountKZT != amount || d.Refund.By != "system" || d.Refund.Reference != "R-"+id+"/payment" ||
		len(d.Refund.Transfers) != 1 || d.Refund.Transfers[0].ToAccountID != "acct-1" {
		t.Fatalf("after cancel: due %v refund %+v", d.RefundDue, d.Refund)
	}
	h, err := s.History(ctx, p, id)
	if err != nil {
		t.Fatal(err)
	}
	last := h.Events[len(h.Events)-1]
	if k, x := last.Structured(); k != EvRefunded || x.AmountKZT != amount || last.ActorUser != "system" || last.To != StatusCancelled {
		t.Fatalf("last event %+v", last)
	}
	_, err = s.PayRefund(ctx, officer, id)
	mustCode(t, err, problem.Conflict)
	if refunds.total() != amount {
		t.Fatalf("refunded %d, want %d", refunds.total(), amount)
	}
}

// A refund the port refuses leaves the refusal standing and the refund
// due; only a customs officer completes it; a trader cannot, and another
// org's trader does not even see the declaration.
func TestRefundLeftDueCompletedByOfficer(t *testing.T) {
	s, refunds := newRefundService(t)
	ctx := context.Background()
	p := trader("acme")
	id := reach(t, s, "acme", StatusDocumentaryCheck)
	if _, err := s.Pay(ctx, p, id, "acct-1"); err != nil {
		t.Fatal(err)
	}
	refunds.fail = &problem.Error{Code: problem.Conflict, Message: "closed", Fields: map[string]string{"refund": "credit_account_closed"}}
	d, err := s.Refuse(ctx, officer, id, "goods not as declared")
	if err != nil || d.Status != StatusRefused || !d.RefundDue || d.Refund != nil {
		t.Fatalf("refuse with the refund refused: %s due=%v %+v %v", d.Status, d.RefundDue, d.Refund, err)
	}
	_, err = s.PayRefund(ctx, officer, id)
	mustCode(t, err, problem.Conflict)
	if d, _ = s.Get(ctx, officer, id); !d.RefundDue || d.Refund != nil {
		t.Fatal("a refused refund was recorded")
	}
	refunds.fail = nil
	_, err = s.PayRefund(ctx, p, id)
	mustCode(t, err, problem.Forbidden)
	_, err = s.PayRefund(ctx, trader("other"), id)
	mustCode(t, err, problem.NotFound)
	_, err = s.PayRefund(ctx, inspector, id)
	mustCode(t, err, problem.Forbidden) // beef is under SPS control: quarantine sees it, may not refund
	_, err = s.PayRefund(ctx, nil, id)
	mustCode(t, err, problem.Unauthenticated)
	if refunds.total() != 0 {
		t.Fatal("a refused caller moved money")
	}
	if d, err = s.PayRefund(ctx, officer, id); err != nil || d.RefundDue || d.Refund == nil || d.Refund.By != officer.UserID {
		t.Fatalf("officer's refund: %+v %v", d.Refund, err)
	}
}

// Twenty officers at once: one refund recorded, one event.
func TestRefundConcurrentOfficers(t *testing.T) {
	s, refunds := newRefundService(t)
	ctx := context.Background()
	p := trader("acme")
	id := reach(t, s, "acme", StatusDocumentaryCheck)
	if _, err := s.Pay(ctx, p, id, "acct-1"); err != nil {
		t.Fatal(err)
	}
	refunds.fail = problem.New(problem.Unavailable, "ledger down")
	if _, err := s.Cancel(ctx, p, id, "withdrawn"); err != nil {
		t.Fatal(err)
	}
	refunds.fail = nil
	var wg sync.WaitGroup
	errs := make([]error, 20)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = s.PayRefund(ctx, officer, id)
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		} else if !problem.Is(err, problem.Conflict) {
			t.Errorf("concurrent refund: %v", err)
		}
	}
	h, _ := s.History(ctx, officer, id)
	n := 0
	for _, e := range h.Events {
		if k, _ := e.Structured(); k == EvRefunded {
			n++
		}
	}
	d, _ := s.Get(ctx, officer, id)
	if ok == 0 || n != 1 || d.RefundDue || d.Refund.AmountKZT != d.Payment.AmountKZT {
		t.Fatalf("ok %d, %d refunded events, due %v, refund %+v", ok, n, d.RefundDue, d.Refund)
	}
}

// A guarantee drawn and then the declaration refused: the draw goes back
// (to its bank, the port decides) and is recorded as such.
func TestRefundOfADraw(t *testing.T) {
	s, refunds := newRefundService(t)
	ctx := context.Background()
	p := trader("acme")
	id := reach(t, s, "acme", StatusDocumentaryCheck)
	d, err := s.ProvideGuarantee(ctx, p, id, "G-acme")
	if err != nil {
		t.Fatal(err)
	}
	if d, err = s.Refuse(ctx, officer, id, "forged invoice"); err != nil {
		t.Fatal(err)
	}
	if d.RefundDue || d.Refund == nil || len(d.Refund.Transfers) != 1 || d.Refund.Transfers[0].Source != RefundOfGuarantee ||
		d.Refund.Transfers[0].ToAccountID != "bank-of-"+d.Guarantee.DrawTransferID || refunds.total() != d.Guarantee.AmountKZT {
		t.Fatalf("draw refund: %+v", d.Refund)
	}
}
