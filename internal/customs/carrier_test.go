package customs

import (
	"context"
	"testing"
	"time"

	"bricstown/internal/identity"
	"bricstown/internal/problem"
)

var carrierKGL = &identity.Principal{UserID: "u-kgl", OrgID: "kgl", OrgKind: identity.KindLogisticsOperator, Roles: []identity.Role{identity.Carrier}}

// A carrier's border reports move a declaration only as far as the
// carrier path may: presentation of goods customs waits for at that post
// (once), and the exit of released goods (once per post), never while
// customs holds them; nobody but a carrier uses the path.
func TestCarrierBorderReports(t *testing.T) {
	s, st, clk, _ := newService(t, quietRules(t))
	ctx := context.Background()
	p := trader("acme")
	c := smartphones()
	c.ArrivalExpectedAt = t0.Add(24 * time.Hour)
	d, err := s.Create(ctx, p, c)
	if err != nil {
		t.Fatal(err)
	}
	attach(t, s, "acme", d.ID, DocCommercialInvoice)
	if d, err = s.Submit(ctx, p, d.ID); err != nil || d.Status != StatusSubmitted {
		t.Fatalf("pre-lodged: %s %v", d.Status, err)
	}
	events := func() int { return len(st.events[d.ID]) }

	// Forbidden first: a trader, a customs officer, a carrier's token
	// without the carrier role, nobody: refused, nothing written.
	clerk := &identity.Principal{UserID: "u-x", OrgID: "kgl", OrgKind: identity.KindLogisticsOperator, Roles: []identity.Role{identity.Trader}}
	for _, who := range []*identity.Principal{p, officer, clerk, nil} {
		if _, err := s.PresentedByCarrier(ctx, who, d.ID, "KZHOR", clk.now); !problem.Is(err, problem.Forbidden) {
			t.Fatalf("presented by %v: %v", who, err)
		}
		if _, err := s.ExitedByCarrier(ctx, who, d.ID, "KZHOR", clk.now); !problem.Is(err, problem.Forbidden) {
			t.Fatalf("exited by %v: %v", who, err)
		}
	}
	if _, err := s.PresentedByCarrier(ctx, carrierKGL, "0190f000-0000-7000-8000-000000000000", "KZHOR", clk.now); !problem.Is(err, problem.NotFound) {
		t.Fatalf("unknown declaration: %v", err)
	}
	n := events()

	// At another post, nothing happens.
	clk.now = clk.now.Add(20 * time.Hour)
	if moved, err := s.PresentedByCarrier(ctx, carrierKGL, d.ID, "KZDOS", clk.now); err != nil || moved || events() != n {
		t.Fatalf("another post: %v %v", moved, err)
	}
	// Released goods only leave: not yet.
	if _, err := s.ExitedByCarrier(ctx, carrierKGL, d.ID, "KZHOR", clk.now); !problem.Is(err, problem.Conflict) || events() != n {
		t.Fatalf("exit before release: %v", err)
	}
	// At its post: presented and assessed, in the carrier's name, at the
	// reported time.
	at := clk.now.Add(-time.Hour)
	moved, err := s.PresentedByCarrier(ctx, carrierKGL, d.ID, "kz hor", at)
	if err != nil || !moved {
		t.Fatalf("presented: %v %v", moved, err)
	}
	d, _ = s.Get(ctx, officer, d.ID)
	if d.Status != StatusAssessed || d.Lane != LaneGreen {
		t.Fatalf("after the carrier's report: %s %s", d.Status, d.Lane)
	}
	var pres *Event
	for i, e := range st.events[d.ID] {
		if e.Kind == EvPresented {
			pres = &st.events[d.ID][i]
		}
	}
	if pres == nil || pres.ActorOrg != "kgl" || pres.ActorUser != "u-kgl" || !pres.At.Equal(at) || pres.Params.BorderPost != "KZHOR" {
		t.Fatalf("presented event %+v", pres)
	}
	// Twice: once.
	n = events()
	if moved, err := s.PresentedByCarrier(ctx, carrierKGL, d.ID, "KZHOR", clk.now); err != nil || moved || events() != n {
		t.Fatalf("presented twice: %v %v", moved, err)
	}
	// Assessed but unpaid: customs holds the goods.
	if _, err := s.ExitedByCarrier(ctx, carrierKGL, d.ID, "KZHOR", clk.now); !problem.Is(err, problem.Conflict) || events() != n {
		t.Fatalf("exit while held: %v", err)
	}
	if d, err = s.Pay(ctx, p, d.ID, "acct-acme-kzt"); err != nil || d.Status != StatusReleased {
		t.Fatalf("pay: %s %v", d.Status, err)
	}
	n = events()
	clk.now = clk.now.Add(time.Hour)
	if rec, err := s.ExitedByCarrier(ctx, carrierKGL, d.ID, "KZHOR", clk.now); err != nil || !rec || events() != n+1 {
		t.Fatalf("exit: %v %v", rec, err)
	}
	if rec, err := s.ExitedByCarrier(ctx, carrierKGL, d.ID, "KZHOR", clk.now); err != nil || rec || events() != n+1 {
		t.Fatalf("exit twice: %v %v", rec, err)
	}
	h, err := s.History(ctx, p, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	last := h.Events[len(h.Events)-1]
	if k, x := last.Structured(); k != EvBorderExited || x.BorderPost != "KZHOR" || last.Action != ActBorderExit || last.To != StatusReleased ||
		last.ActorOrg != "kgl" {
		t.Fatalf("exit event %+v", last)
	}
	if got := EnglishEvent(EvBorderExited, EventParams{BorderPost: "KZHOR"}); got != "goods crossed the border at KZHOR" {
		t.Fatal(got)
	}
}
