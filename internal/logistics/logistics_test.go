package logistics

import (
	"context"
	"slices"
	"testing"
	"time"

	"bricstown/internal/dispatch"
	"bricstown/internal/identity"
	"bricstown/internal/problem"
)

var t0 = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

func h(n int) time.Time { return t0.Add(time.Duration(n) * time.Hour) }

// chain is Urumqi -> Khorgos (a border leg) -> Almaty.
func chain() []Departure {
	return []Departure{
		{ID: "a", From: "CNURC", To: "KZHOR", BorderPost: "KZHOR", DepartAt: h(10), ArriveAt: h(30)},
		{ID: "b", From: "KZHOR", To: "KZALA", DepartAt: h(40), ArriveAt: h(60)},
	}
}

func TestEventOrder(t *testing.T) {
	legs := chain()
	var evs []Event
	step := func(leg int, k EventKind, ok bool) {
		t.Helper()
		e := Event{Leg: leg, Kind: k, At: h(len(evs))}
		err := CheckOrder(legs, evs, e)
		if (err == nil) != ok {
			t.Fatalf("%s on leg %d after %d events: %v, want ok=%v", k, leg, len(evs), err, ok)
		}
		if err == nil {
			evs = append(evs, e)
		}
	}
	step(0, EvArrived, false)
	step(1, EvDeparted, false) // the second leg cannot leave before the first arrived
	step(0, EvDeparted, true)
	step(0, EvArrived, false) // a border leg crosses first
	step(0, EvBorderCrossed, false)
	step(0, EvAtBorder, true)
	step(0, EvCustomsHold, true)
	step(0, EvBorderCrossed, false) // held
	step(0, EvCustomsReleased, true)
	step(0, EvBorderCrossed, true)
	step(0, EvArrived, true)
	step(0, EvDelivered, false) // not the last leg
	step(1, EvAtBorder, false)  // no border on this leg
	step(1, EvDeparted, true)
	step(1, EvArrived, true)
	step(1, EvDelivered, true)
	step(1, EvDelivered, false)
	if got := Expected(legs, evs, 0); got != nil {
		t.Fatalf("after delivery: %v", got)
	}
	if StatusAfter(Booked, Event{Kind: EvDeparted}) != InTransit || StatusAfter(InTransit, Event{Kind: EvDelivered}) != Delivered {
		t.Fatal("status after events")
	}
}

func TestTrackShiftsLaterLegs(t *testing.T) {
	legs := chain()
	six := func(string) time.Duration { return dispatch.DefaultMinConnection }
	if tr := Track(legs, nil, six); !tr.ETA.Equal(h(60)) || tr.DelayMinutes != 0 {
		t.Fatalf("on schedule: %+v", tr)
	}
	// Left 3 hours late: arrives at +33, connects at +39, before the
	// second leg's +40: the slack absorbs it.
	late := []Event{{Leg: 0, Kind: EvDeparted, At: h(13)}}
	if tr := Track(legs, late, six); !tr.Legs[0].ExpectedArrive.Equal(h(33)) || !tr.ETA.Equal(h(60)) {
		t.Fatalf("absorbed: %+v", tr)
	}
	// Left 8 hours late: arrives at +38, the second leg leaves at +44 at
	// the earliest and arrives 4 hours late.
	late = []Event{{Leg: 0, Kind: EvDeparted, At: h(18)}}
	tr := Track(legs, late, six)
	if !tr.Legs[1].ExpectedDepart.Equal(h(44)) || !tr.ETA.Equal(h(64)) || tr.DelayMinutes != 240 {
		t.Fatalf("shifted: %+v", tr)
	}
	// A reported arrival wins over the estimate.
	late = append(late, Event{Leg: 0, Kind: EvAtBorder, At: h(30)}, Event{Leg: 0, Kind: EvBorderCrossed, At: h(31)},
		Event{Leg: 0, Kind: EvArrived, At: h(32)})
	if tr := Track(legs, late, six); !tr.ETA.Equal(h(60)) || !tr.Legs[0].Arrived {
		t.Fatalf("arrived early: %+v", tr)
	}
}

type noCustoms struct{}

func (noCustoms) Declarant(context.Context, *identity.Principal, string) (string, error) {
	return "", problem.New(problem.NotFound, "no such declaration")
}
func (noCustoms) Held(context.Context, string) (bool, string, error) { return false, "", nil }
func (noCustoms) Declared(context.Context, *identity.Principal, string) (Declared, error) {
	return Declared{}, problem.New(problem.NotFound, "no such declaration")
}
func (noCustoms) Presented(context.Context, *identity.Principal, string, string, time.Time) error {
	return nil
}
func (noCustoms) Exited(context.Context, *identity.Principal, string, string, time.Time) error {
	return nil
}

// The service refuses before it reaches its store: wrong roles, and bad
// input with every field named and coded.
func TestServiceRules(t *testing.T) {
	svc, err := NewService(nil, Config{Customs: noCustoms{}, Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewService(nil, Config{Currency: "XAU"}); err == nil {
		t.Fatal("gold accepted as the network's currency")
	}
	ctx := context.Background()
	carrier := &identity.Principal{OrgID: "c", OrgKind: identity.KindLogisticsOperator, Roles: []identity.Role{identity.Carrier}}
	trader := &identity.Principal{OrgID: "t", OrgKind: identity.KindCompany, Roles: []identity.Role{identity.Trader}}
	bank := &identity.Principal{OrgID: "b", OrgKind: identity.KindBank, Roles: []identity.Role{identity.BankOperator}}
	good := DepartureInput{Mode: "rail", From: "CNURC", To: "KZHOR", BorderPost: "KZHOR", DepartAt: h(10).Format(time.RFC3339),
		ArriveAt: h(30).Format(time.RFC3339), CapacityTEU: 10, Currency: "USD", PricePerTEU: 1000_00}
	for _, p := range []*identity.Principal{trader, bank, nil} {
		if _, err := svc.PublishDeparture(ctx, p, good); !problem.Is(err, problem.Forbidden) {
			t.Fatalf("publish by %v: %v", p, err)
		}
	}
	if _, err := svc.CreateShipment(ctx, carrier, ShipmentInput{}); !problem.Is(err, problem.Forbidden) {
		t.Fatalf("carrier enters a shipment: %v", err)
	}
	if _, err := svc.Plan(ctx, trader); !problem.Is(err, problem.Forbidden) {
		t.Fatalf("trader plans: %v", err)
	}
	bad := good
	bad.Mode, bad.To, bad.ArriveAt, bad.Currency, bad.PricePerKg, bad.BorderPost = "boat", "KZALA", h(5).Format(time.RFC3339), "XAU", 1<<50, "RUMOW"
	_, err = svc.PublishDeparture(ctx, carrier, bad)
	pe, _ := err.(*problem.Error)
	if pe == nil || pe.Code != problem.Invalid {
		t.Fatalf("bad departure: %v", err)
	}
	want := map[string]string{"mode": "logistics_mode", "arrive_at": "after_depart", "currency": "money_currency",
		"price_per_kg": "too_large", "border_post": "border_post_country"}
	codes := problem.FieldCodesOf(pe)
	for f, c := range want {
		if codes[f] != c {
			t.Errorf("%s: %q (%q), want %s", f, codes[f], pe.Fields[f], c)
		}
	}
	// Inside the EAEU customs union a leg crosses no customs border and
	// needs no post; from China into Kazakhstan it does.
	eaeu := good
	eaeu.From, eaeu.To, eaeu.BorderPost, eaeu.CapacityTEU = "KZHOR", "RUMOW", "", 0
	_, err = svc.PublishDeparture(ctx, carrier, eaeu)
	if pe, _ := err.(*problem.Error); pe == nil || pe.Fields["capacity_teu"] == "" || pe.Fields["border_post"] != "" {
		t.Fatalf("EAEU leg without a post: %v", err)
	}
	eaeu.From, eaeu.To = "CNURC", "KZHOR"
	_, err = svc.PublishDeparture(ctx, carrier, eaeu)
	if pe, _ := err.(*problem.Error); pe == nil || problem.FieldCodesOf(pe)["border_post"] != "required_border_post" {
		t.Fatalf("CN-KZ leg without a post: %v", err)
	}
	// A domestic leg has no border post.
	dom := good
	dom.From, dom.To = "KZHOR", "KZALA"
	if _, err := svc.PublishDeparture(ctx, carrier, dom); err == nil || problem.FieldCodesOf(err.(*problem.Error))["border_post"] != "no_border" {
		t.Fatalf("domestic leg with a post: %v", err)
	}
	// A shipment naming a declaration that is not the trader's.
	_, err = svc.CreateShipment(ctx, trader, ShipmentInput{Origin: "CNURC", Destination: "CNURC", ReadyAt: h(1).Format(time.RFC3339),
		Deadline: h(0).Format(time.RFC3339), DeclarationID: "x"})
	pe, _ = err.(*problem.Error)
	if pe == nil {
		t.Fatalf("bad shipment: %v", err)
	}
	got := problem.FieldCodesOf(pe)
	for f, c := range map[string]string{"destination": "same_node", "deadline": "must_be_future", "declaration_id": "own_declaration", "teu": "positive_whole"} {
		if got[f] != c {
			t.Errorf("shipment %s: %q (%q), want %s", f, got[f], pe.Fields[f], c)
		}
	}
	if !slices.Contains(EventKinds, EvDelivered) || slices.Contains(EventKinds, EvBooked) {
		t.Fatal("event kinds a carrier reports")
	}
}
