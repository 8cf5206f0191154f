package demo

import (
	"bufio"
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"bricstown/internal/customs"
	"bricstown/internal/identity"
	lg "bricstown/internal/logistics"
	"bricstown/internal/money"
)

// corridorsTSV is the demo's freight network: the legs through Kazakhstan,
// their carriers, schedules, capacities and prices, with the sources of
// the figures (and "assumed" where there is none). docs/LOGISTICS.md
// explains it.
//
//go:embed corridors.tsv
var corridorsTSV []byte

// CorridorLeg is one row of corridors.tsv: a leg a carrier runs on a
// schedule.
type CorridorLeg struct {
	Carrier      string
	Mode         string
	From, To     string
	Transit      time.Duration
	Every        time.Duration
	CapacityTEU  int64
	CapacityKg   int64
	PricePerTEU  string // decimal, in Currency
	PricePerKg   string
	Currency     string
	BorderPost   string
	Reefer, DG   bool
	Source       string
	Line         int
	departOffset time.Duration // first departure after midnight UTC of the seeding day
}

// DemoWindow is how far ahead the demo publishes departures.
const DemoWindow = 21 * 24 * time.Hour

// CorridorLegs reads the embedded network.
func CorridorLegs() ([]CorridorLeg, error) {
	var out []CorridorLeg
	sc := bufio.NewScanner(bytes.NewReader(corridorsTSV))
	header := true
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		if strings.HasPrefix(text, "#") || strings.TrimSpace(text) == "" {
			continue
		}
		f := strings.Split(text, "\t")
		if header {
			if len(f) != 14 || f[0] != "carrier" || f[13] != "source" {
				return nil, fmt.Errorf("demo: corridors.tsv line %d: unexpected header", line)
			}
			header = false
			continue
		}
		if len(f) != 14 {
			return nil, fmt.Errorf("demo: corridors.tsv line %d: %d fields, want 14", line, len(f))
		}
		num := func(i int) (int64, error) {
			v, err := strconv.ParseInt(f[i], 10, 64)
			if err != nil || v < 0 {
				return 0, fmt.Errorf("demo: corridors.tsv line %d field %d: %q is not a whole number", line, i+1, f[i])
			}
			return v, nil
		}
		var l CorridorLeg
		var vals [4]int64
		for k, i := range []int{4, 5, 6, 7} {
			v, err := num(i)
			if err != nil {
				return nil, err
			}
			vals[k] = v
		}
		if vals[0] == 0 || vals[1] == 0 {
			return nil, fmt.Errorf("demo: corridors.tsv line %d: transit and frequency must be positive", line)
		}
		l = CorridorLeg{Carrier: f[0], Mode: f[1], From: f[2], To: f[3], Transit: time.Duration(vals[0]) * time.Hour,
			Every: time.Duration(vals[1]) * time.Hour, CapacityTEU: vals[2], CapacityKg: vals[3], PricePerTEU: f[8], PricePerKg: f[9],
			Currency: f[10], BorderPost: f[11], Source: f[13], Line: line}
		for _, h := range strings.Split(f[12], ",") {
			switch strings.TrimSpace(h) {
			case "reefer":
				l.Reefer = true
			case "dg":
				l.DG = true
			case "":
			default:
				return nil, fmt.Errorf("demo: corridors.tsv line %d: unknown handling %q", line, h)
			}
		}
		// Legs leave at 06:00, 10:00, 14:00 or 18:00 UTC, so that the
		// demo's connections are not all at one hour.
		l.departOffset = time.Duration(6+4*(len(out)%4)) * time.Hour
		out = append(out, l)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if header || len(out) == 0 {
		return nil, fmt.Errorf("demo: corridors.tsv has no legs")
	}
	return out, nil
}

// departures are the leg's departures from the seeding day for
// DemoWindow, every Every, those not yet gone.
func (l CorridorLeg) departures(now time.Time) []time.Time {
	day := now.UTC().Truncate(24 * time.Hour)
	var out []time.Time
	for t := day.Add(l.departOffset); t.Before(day.Add(DemoWindow)); t = t.Add(l.Every) {
		if t.After(now.Add(10 * time.Minute)) {
			out = append(out, t)
		}
	}
	return out
}

// input is the departure the carrier publishes at t.
func (l CorridorLeg) input(t time.Time, exp func(string) (int, bool)) (lg.DepartureInput, error) {
	e, ok := exp(l.Currency)
	if !ok {
		return lg.DepartureInput{}, fmt.Errorf("demo: corridors.tsv line %d: unknown currency %s", l.Line, l.Currency)
	}
	teu, err := money.ParseAmount(l.PricePerTEU, e)
	if err != nil {
		return lg.DepartureInput{}, fmt.Errorf("demo: corridors.tsv line %d: price_per_teu: %w", l.Line, err)
	}
	kg, err := money.ParseAmount(l.PricePerKg, e)
	if err != nil {
		return lg.DepartureInput{}, fmt.Errorf("demo: corridors.tsv line %d: price_per_kg: %w", l.Line, err)
	}
	return lg.DepartureInput{Mode: l.Mode, From: l.From, To: l.To, DepartAt: t.Format(time.RFC3339),
		ArriveAt: t.Add(l.Transit).Format(time.RFC3339), BorderPost: l.BorderPost, CapacityTEU: l.CapacityTEU, CapacityKg: l.CapacityKg,
		Currency: l.Currency, PricePerTEU: teu, PricePerKg: kg, Reefer: l.Reefer, DangerousGoods: l.DG}, nil
}

// demoStep is a tracking event the carrier of leg reports.
type demoStep struct {
	leg  int
	kind lg.EventKind
}

// demoShipment is a trader's consignment in the demo. One entered from a
// declaration (decl, a functional reference) takes the rest from it.
type demoShipment struct {
	owner string
	decl  string
	in    lg.ShipmentInput
	book  bool       // the trader books the best route at once
	steps []demoStep // then its carriers report these
}

func demoShipments(now time.Time) []demoShipment {
	at := func(days int) string {
		return now.UTC().Add(time.Duration(days) * 24 * time.Hour).Truncate(time.Hour).Format(time.RFC3339)
	}
	ready := now.UTC().Truncate(time.Hour).Format(time.RFC3339)
	direct := func(ref, from, to string, teu, kg int64, days int) lg.ShipmentInput {
		return lg.ShipmentInput{Reference: ref, Origin: from, Destination: to, ReadyAt: ready, Deadline: at(days), TEU: teu, Kg: kg}
	}
	crossing := []demoStep{{0, lg.EvDeparted}, {0, lg.EvAtBorder}}
	return []demoShipment{
		// Smartphones from Urumqi, released by customs: the whole journey,
		// its border crossing recorded on the declaration.
		{owner: "Shenzhen Smart Devices", decl: "DEMO-SZD-0042", book: true, steps: append(slices.Clone(crossing),
			demoStep{0, lg.EvBorderCrossed}, demoStep{0, lg.EvArrived}, demoStep{0, lg.EvDelivered})},
		// Steel for Karaganda at Dostyk: the duties are not paid, customs
		// holds the goods, the carrier reports the hold.
		{owner: "Khorgos Gateway Logistics", decl: "DEMO-KGL-0303", book: true, steps: append(slices.Clone(crossing),
			demoStep{0, lg.EvCustomsHold})},
		// Auto parts in transit from Urumqi to Duisburg: across Dostyk and
		// on its way to Moscow.
		{owner: "Khorgos Gateway Logistics", decl: "DEMO-KGL-0302", in: lg.ShipmentInput{Origin: "CNULZ", Destination: "DEDUI"}, book: true,
			steps: append(slices.Clone(crossing), demoStep{0, lg.EvBorderCrossed})},
		// Open shipments for the dispatcher's run.
		{owner: "Kazakh Grain Export", in: direct("DEMO-SHP-KGE-1", "KZHOR", "RUMOW", 2, 48_000, 10)},
		{owner: "Kazakh Grain Export", in: direct("DEMO-SHP-KGE-2", "KZDOS", "AZALA", 3, 60_000, 16)},
		{owner: "Shenzhen Smart Devices", in: direct("DEMO-SHP-SZD-1", "CNXIA", "KZALA", 4, 28_000, 12)},
		{owner: "Shenzhen Smart Devices", in: direct("DEMO-SHP-SZD-2", "CNULZ", "PLMAA", 2, 18_000, 18)},
		// Chilled and hazardous at once to Tashkent: the road leg takes
		// reefers but no dangerous goods, so the dispatcher explains why it
		// is left.
		{owner: "Kazakh Grain Export", in: func() lg.ShipmentInput {
			in := direct("DEMO-SHP-KGE-3", "KZALA", "UZTAS", 1, 12_000, 7)
			in.Reefer, in.DangerousGoods = true, true
			return in
		}()},
	}
}

// SeedLogistics publishes the corridor network (corridors.tsv) for the
// next DemoWindow from the seeding day, enters the demo traders'
// shipments (some from the demo declarations: one delivered with its whole
// journey, one held at the border by customs, one in transit), and runs
// the dispatcher over the rest. Everything goes through the services, as
// the carriers, traders and the platform administrator. It is idempotent:
// a departure that is already published (same carrier, leg and time) and a
// shipment whose reference the owner already has are skipped, and the
// dispatcher runs only when shipments were added.
func SeedLogistics(ctx context.Context, ids *identity.Service, ls *lg.Service, cust *customs.Service, exp func(string) (int, bool), now time.Time) error {
	legs, err := CorridorLegs()
	if err != nil {
		return err
	}
	orgs := map[string]identity.Org{}
	list, err := ids.Orgs(ctx, identity.Page{Limit: 1000})
	if err != nil {
		return err
	}
	for _, o := range list {
		orgs[o.Name] = o
	}
	carriers := map[string]*identity.Principal{} // by org id
	for _, l := range legs {
		o, ok := orgs[l.Carrier]
		if !ok {
			return fmt.Errorf("demo: corridors.tsv line %d: no organisation %q (run Seed first)", l.Line, l.Carrier)
		}
		if carriers[o.ID] == nil {
			if carriers[o.ID], err = demoPrincipal(ctx, ids, o, identity.Carrier); err != nil {
				return err
			}
		}
	}
	published := map[string]bool{}
	for id, p := range carriers {
		after := ""
		for {
			page, err := ls.Departures(ctx, p, lg.DepartureFilter{CarrierOrg: id, All: true, After: after, Limit: 500})
			if err != nil {
				return err
			}
			for _, d := range page {
				published[d.CarrierOrg+"|"+d.From+"|"+d.To+"|"+d.DepartAt.UTC().Format(time.RFC3339)] = true
			}
			if len(page) < 500 {
				break
			}
			after = page[len(page)-1].ID
		}
	}
	for _, l := range legs {
		p := carriers[orgs[l.Carrier].ID]
		for _, t := range l.departures(now) {
			if published[p.OrgID+"|"+l.From+"|"+l.To+"|"+t.Format(time.RFC3339)] {
				continue
			}
			in, err := l.input(t, exp)
			if err != nil {
				return err
			}
			if _, err := ls.PublishDeparture(ctx, p, in); err != nil {
				return fmt.Errorf("demo: corridors.tsv line %d, departure %s: %w", l.Line, in.DepartAt, err)
			}
		}
	}

	added := 0
	traders := map[string]*identity.Principal{}
	have := map[string]bool{} // owner|reference
	for _, spec := range demoShipments(now) {
		o, ok := orgs[spec.owner]
		if !ok {
			return fmt.Errorf("demo: no organisation %q", spec.owner)
		}
		p := traders[spec.owner]
		if p == nil {
			if p, err = demoPrincipal(ctx, ids, o, identity.Trader); err != nil {
				return err
			}
			traders[spec.owner] = p
			after := ""
			for {
				page, err := ls.Shipments(ctx, p, "", after, 500)
				if err != nil {
					return err
				}
				for _, s := range page {
					have[spec.owner+"|"+s.Reference] = true
				}
				if len(page) < 500 {
					break
				}
				after = page[len(page)-1].ID
			}
		}
		ref := spec.in.Reference
		if spec.decl != "" {
			ref = spec.decl
		}
		if have[spec.owner+"|"+ref] {
			continue
		}
		in := spec.in
		if spec.decl != "" {
			id, err := declarationID(ctx, cust, p, spec.decl)
			if err != nil {
				return err
			}
			if id == "" {
				continue // the customs part of the demo was left out
			}
			in.DeclarationID = id
		}
		sh, err := ls.CreateShipment(ctx, p, in)
		if err != nil {
			return fmt.Errorf("demo: shipment %s: %w", ref, err)
		}
		added++
		if !spec.book {
			continue
		}
		b, err := ls.Book(ctx, p, sh.ID, lg.BookInput{})
		if err != nil {
			return fmt.Errorf("demo: booking %s: %w", ref, err)
		}
		for _, st := range spec.steps {
			v, err := ls.Shipment(ctx, p, sh.ID)
			if err != nil {
				return err
			}
			carrier := carriers[v.Tracking.Legs[st.leg].CarrierOrg]
			if carrier == nil {
				return fmt.Errorf("demo: shipment %s: leg %d has no demo carrier", ref, st.leg)
			}
			if _, err := ls.RecordEvent(ctx, carrier, sh.ID, lg.EventInput{DepartureID: b.Legs[st.leg].DepartureID, Kind: string(st.kind)}); err != nil {
				return fmt.Errorf("demo: shipment %s, %s: %w", ref, st.kind, err)
			}
		}
	}
	if added == 0 {
		return nil
	}
	admin, ok := orgs["BRICS Town Administration"]
	if !ok {
		return fmt.Errorf("demo: no town administration")
	}
	p, err := demoPrincipal(ctx, ids, admin, identity.PlatformAdmin)
	if err != nil {
		return err
	}
	if _, err := ls.Plan(ctx, p); err != nil {
		return fmt.Errorf("demo: dispatcher: %w", err)
	}
	return nil
}

// declarationID finds the owner's declaration with a functional reference
// ("" when it has none).
func declarationID(ctx context.Context, cust *customs.Service, p *identity.Principal, ref string) (string, error) {
	page, err := cust.List(ctx, p, customs.Query{Search: ref, Limit: customs.MaxListLimit})
	if err != nil {
		return "", err
	}
	for _, s := range page {
		if s.FunctionalReferenceID == ref {
			return s.ID, nil
		}
	}
	return "", nil
}
