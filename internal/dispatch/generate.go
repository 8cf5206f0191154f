package dispatch

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// corridorLeg is one leg of the generated corridor network.
//
// Transit times and prices are ASSUMPTIONS for a believable benchmark,
// rounded from published figures where there are any:
//   - Khorgos → Moscow by rail 4–5 days (the figure; 108 h here);
//   - Xi'an → Khorgos about 3,600 km by rail, ~3.5 days; Urumqi → Khorgos
//     ~670 km (rail 20 h, road 14 h); Urumqi → Dostyk via Alashankou ~1 day;
//   - Dostyk → Moscow ~5 days; Moscow → Minsk ~1 day; Minsk → Małaszewicze
//     (Brest border, gauge change) ~18 h;
//   - Khorgos → Aktau ~3,000 km by rail, ~4.5 days; the Aktau → Baku ferry
//     ~1 day at sea; Baku → Poti by rail ~2 days;
//   - Khorgos → Almaty ~350 km (road 8 h), Almaty → Tashkent ~800 km
//     (road 20 h, rail 30 h);
//   - minimum connections: 12 h at the gauge-change borders and ports
//     (Khorgos, Dostyk, Aktau, Baku, Małaszewicze), 6 h elsewhere;
//   - prices: rail ≈ 0.2 USD per TEU-km plus a small per-kg charge, road
//     about twice rail per TEU-km, the ferry a flat ≈ 900 USD per TEU;
//     each departure varies ±20 % (carriers differ).
//
// Capacities: a block train 60–100 TEU, a road convoy 4–10 TEU, a ferry
// 60–120 TEU; kg capacity about 21 t per TEU of space.
type corridorLeg struct {
	from, to string
	mode     string
	hours    int
	capLo    int // TEU
	capHi    int
	teuPrice int // USD per TEU
	kgPrice  int // ten-thousandths of a USD per kg
	weight   int // relative number of departures
}

var corridorLegs = []corridorLeg{
	{"CNXIY", "KZHOR", "rail", 84, 60, 100, 720, 40, 12},
	{"CNURC", "KZHOR", "rail", 20, 60, 100, 140, 20, 8},
	{"CNURC", "KZHOR", "road", 14, 4, 10, 300, 40, 10},
	{"CNURC", "KZDOS", "rail", 24, 60, 100, 180, 20, 8},
	{"CNXIY", "KZDOS", "rail", 76, 60, 100, 700, 40, 8},
	{"KZHOR", "RUMOW", "rail", 108, 60, 100, 800, 40, 14},
	{"KZDOS", "RUMOW", "rail", 120, 60, 100, 820, 40, 10},
	{"RUMOW", "BYMSQ", "rail", 24, 60, 100, 150, 20, 10},
	{"BYMSQ", "PLMAL", "rail", 18, 60, 100, 120, 20, 10},
	{"KZHOR", "KZAAU", "rail", 110, 60, 100, 600, 40, 8},
	{"KZAAU", "AZBAK", "sea", 24, 60, 120, 900, 10, 6},
	{"AZBAK", "GEPTI", "rail", 48, 60, 100, 380, 20, 6},
	{"KZHOR", "KZALA", "road", 8, 4, 10, 140, 20, 10},
	{"KZHOR", "KZALA", "rail", 10, 60, 100, 80, 10, 4},
	{"KZDOS", "KZALA", "rail", 20, 60, 100, 150, 10, 4},
	{"KZALA", "UZTAS", "road", 20, 4, 10, 320, 30, 8},
	{"KZALA", "UZTAS", "rail", 30, 60, 100, 170, 20, 4},
}

var corridorNodes = []Node{
	{"CNXIY", 6 * time.Hour}, {"CNURC", 6 * time.Hour}, {"KZHOR", 12 * time.Hour}, {"KZDOS", 12 * time.Hour},
	{"KZALA", 6 * time.Hour}, {"KZAAU", 12 * time.Hour}, {"AZBAK", 12 * time.Hour}, {"GEPTI", 12 * time.Hour},
	{"RUMOW", 6 * time.Hour}, {"BYMSQ", 6 * time.Hour}, {"PLMAL", 12 * time.Hour}, {"UZTAS", 6 * time.Hour},
}

// corridorFlow is an origin–destination pair of demand, with the legs of
// its usual route (to size deadlines and penalties).
type corridorFlow struct {
	o, d   string
	route  []int // indices into corridorLegs
	weight int
}

var corridorFlows = []corridorFlow{
	{"CNXIY", "PLMAL", []int{0, 5, 7, 8}, 14},
	{"CNXIY", "RUMOW", []int{0, 5}, 10},
	{"CNURC", "RUMOW", []int{1, 5}, 8},
	{"CNURC", "BYMSQ", []int{3, 6, 7}, 6},
	{"CNXIY", "BYMSQ", []int{4, 6, 7}, 5},
	{"CNXIY", "GEPTI", []int{0, 9, 10, 11}, 6},
	{"CNURC", "AZBAK", []int{1, 9, 10}, 5},
	{"CNXIY", "UZTAS", []int{0, 13, 16}, 6},
	{"CNURC", "UZTAS", []int{2, 12, 15}, 7},
	{"CNURC", "KZALA", []int{3, 14}, 5},
	{"KZHOR", "UZTAS", []int{13, 16}, 4},
	{"KZHOR", "PLMAL", []int{5, 7, 8}, 4},
}

// Generate builds a corridor network of about the given size: departures
// spread over 36 days on the legs above, shipments ready over the first 24
// days with deadlines 1.3–2.2 times their usual transit time and penalties
// 1.3–2.5 times their usual route's cost (the price of the next-best
// option: a later train, a truck, air). The same seed gives the same
// problem.
func Generate(seed uint64, nShipments, nDepartures int) *Problem {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	start := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	const horizonH = 36 * 24
	p := &Problem{Nodes: append([]Node(nil), corridorNodes...)}
	totalW := 0
	for _, l := range corridorLegs {
		totalW += l.weight
	}
	vary := func(v int) int64 { return int64(float64(v) * (0.8 + 0.4*rng.Float64())) }
	for i := 0; i < nDepartures; i++ {
		// Legs take departures in proportion to their weight, round robin.
		w := i % totalW
		li := 0
		for w >= corridorLegs[li].weight {
			w -= corridorLegs[li].weight
			li++
		}
		l := corridorLegs[li]
		dep := start.Add(time.Duration(rng.IntN(horizonH*60)) * time.Minute)
		hours := float64(l.hours) * (0.9 + 0.2*rng.Float64())
		capTEU := l.capLo + rng.IntN(l.capHi-l.capLo+1)
		p.Departures = append(p.Departures, Departure{
			ID: fmt.Sprintf("D%05d", i+1), From: l.from, To: l.to,
			DepartAt: dep, ArriveAt: dep.Add(time.Duration(hours * float64(time.Hour))).Truncate(time.Minute),
			CapacityTEU: int64(capTEU) * 1000, CapacityKg: int64(capTEU) * 21000 * 1000,
			PricePerTEU: vary(l.teuPrice) * 10000, PricePerKg: vary(l.kgPrice),
		})
	}
	flowW := 0
	for _, f := range corridorFlows {
		flowW += f.weight
	}
	for i := 0; i < nShipments; i++ {
		w := rng.IntN(flowW)
		fi := 0
		for w >= corridorFlows[fi].weight {
			w -= corridorFlows[fi].weight
			fi++
		}
		f := corridorFlows[fi]
		baseH, baseTEU, baseKg := 0, 0, 0
		for k, li := range f.route {
			baseH += corridorLegs[li].hours
			if k > 0 {
				baseH += 12
			}
			baseTEU += corridorLegs[li].teuPrice
			baseKg += corridorLegs[li].kgPrice
		}
		teu := int64(1 + rng.IntN(2))
		if rng.IntN(5) == 0 {
			teu = 0 // groupage: kg only, no container space of its own
		}
		kg := int64(2000 + rng.IntN(20000))
		if teu == 2 {
			kg += int64(rng.IntN(10000))
		}
		ready := start.Add(time.Duration(rng.IntN(24*24*60)) * time.Minute)
		slack := 1.3 + 0.9*rng.Float64()
		deadline := ready.Add(time.Duration(float64(baseH)*slack*60) * time.Minute)
		// Usual cost in 10^-7 USD: teu×price×10^7 + kg×kgPrice×10^3.
		usual := teu*int64(baseTEU)*10_000_000 + kg*int64(baseKg)*1000
		if teu == 0 {
			usual += kg * 500_000 // groupage handling, 0.05 USD per kg (assumption)
		}
		pen := int64(float64(usual) * (1.3 + 1.2*rng.Float64()))
		p.Shipments = append(p.Shipments, Shipment{
			ID: fmt.Sprintf("S%05d", i+1), Origin: f.o, Destination: f.d, ReadyAt: ready, Deadline: deadline,
			TEU: teu * 1000, Kg: kg * 1000, Penalty: pen - pen%100_000,
		})
	}
	return p
}
