package matchmaking

import (
	"math"
	"math/rand/v2"
	"sort"
)

// Expo describes a synthetic expo for the benchmark and the scale tests: exhibitors are
// participants 0..Exhibitors-1, buyers follow. Real matchmaking is lopsided (a few famous
// exhibitors get most requests), and people block out parts of the days, so the generator is too.
type Expo struct {
	Days, SlotsPerDay  int
	Exhibitors, Buyers int
	Requests           int
	Tables             int
	// Skew is the exponent of the exhibitors' popularity (weight 1/(rank+1)^Skew).
	Skew float64
	Seed uint64
}

// BenchExpo is the benchmark's expo: two days of sixteen half-hour slots, 1,000 exhibitors and
// 1,000 buyers asking for 20,000 meetings at 420 tables (the tables bind as much as the famous exhibitors do).
var BenchExpo = Expo{Days: 2, SlotsPerDay: 16, Exhibitors: 1000, Buyers: 1000, Requests: 20000, Tables: 420, Skew: 0.8, Seed: 1}

// Generate builds the problem. Buyers pick exhibitors by popularity (never the same one twice);
// a fifth of buyers is away for half a day, a tenth of exhibitors has two to four busy slots;
// priorities are 0–2 (a buyer's "must meet" list is the smallest).
func (e Expo) Generate() Problem {
	rng := rand.New(rand.NewPCG(e.Seed, 0x6578706f))
	slots := e.Days * e.SlotsPerDay
	p := Problem{Participants: e.Exhibitors + e.Buyers, Slots: slots, Tables: e.Tables, Busy: map[int][]int{}}
	cum := make([]float64, e.Exhibitors)
	total := 0.0
	for i := range cum {
		total += 1 / math.Pow(float64(i+1), e.Skew)
		cum[i] = total
	}
	maxPairs := e.Exhibitors * e.Buyers
	seen := make(map[[2]int]bool, e.Requests)
	for len(p.Requests) < min(e.Requests, maxPairs) {
		b := e.Exhibitors + rng.IntN(e.Buyers)
		x := sort.SearchFloat64s(cum, rng.Float64()*total)
		x = min(x, e.Exhibitors-1)
		if seen[[2]int{x, b}] {
			continue
		}
		seen[[2]int{x, b}] = true
		prio := 0
		switch r := rng.IntN(10); {
		case r == 0:
			prio = 2
		case r < 4:
			prio = 1
		}
		p.Requests = append(p.Requests, Request{A: b, B: x, Priority: prio})
	}
	for b := e.Exhibitors; b < p.Participants; b++ {
		if rng.IntN(5) == 0 && e.SlotsPerDay >= 2 {
			day := rng.IntN(max(e.Days, 1))
			half := e.SlotsPerDay / 2
			start := day*e.SlotsPerDay + rng.IntN(2)*half
			for s := start; s < start+half; s++ {
				p.Busy[b] = append(p.Busy[b], s)
			}
		}
	}
	for x := 0; x < e.Exhibitors; x++ {
		if rng.IntN(10) == 0 && slots > 0 {
			for k := 2 + rng.IntN(3); k > 0; k-- {
				p.Busy[x] = append(p.Busy[x], rng.IntN(slots))
			}
		}
	}
	return p
}
