package clearing

import (
	"math"
	"math/rand/v2"
	"sort"
)

// Shape selects the structure of a generated network. Different shapes
// stress different parts of the solver: hubs make relabels expensive, a
// structureless expander leaves more flow to route, and ring-shaped
// long-cycle networks need hundreds of distinct price levels, which costs
// extra refines.
type Shape uint8

const (
	// ShapeRealistic mixes heavy-tailed trade between firms of very unequal
	// size, tiered supply chains that close into long loops, and short
	// explicit cycles of matching invoices.
	ShapeRealistic Shape = iota
	// ShapeRandom draws debtor and creditor uniformly: an expander with
	// few structural cycles of matching amounts.
	ShapeRandom
	// ShapeLongCycles lays firms on a ring and adds laps around it with
	// small forward steps and noisy amounts, so imbalances must travel far.
	ShapeLongCycles
)

// String names the shape for benchmark labels.
func (s Shape) String() string {
	switch s {
	case ShapeRealistic:
		return "realistic"
	case ShapeRandom:
		return "random"
	case ShapeLongCycles:
		return "longcycles"
	}
	return "unknown"
}

// Generate returns a reproducible realistic obligation network for
// benchmarks, demos and load tests; the same seed always yields the same
// network so results can be compared across runs and machines.
func Generate(seed int64, firms, obligations int) []Obligation {
	return GenerateShape(seed, firms, obligations, ShapeRealistic)
}

// GenerateShape is Generate with an explicit structure. It never returns
// self-loops; amounts are positive minor units drawn from a log-normal-like
// distribution (typical invoice ~1,000.00, heavy right tail). Floats are used
// here only to shape test data; the solver is integer-only.
func GenerateShape(seed int64, firms, obligations int, shape Shape) []Obligation {
	if firms < 2 || obligations <= 0 {
		return nil
	}
	g := &gen{rng: rand.New(rand.NewPCG(uint64(seed), 0x9e3779b97f4a7c15)), n: firms}
	out := make([]Obligation, 0, obligations)
	switch shape {
	case ShapeRandom:
		for len(out) < obligations {
			u := int32(g.rng.IntN(firms))
			v := int32(g.rng.IntN(firms - 1))
			if v >= u {
				v++
			}
			out = append(out, Obligation{u, v, g.amount()})
		}
	case ShapeLongCycles:
		out = g.longCycles(out, obligations)
	default:
		out = g.realistic(out, obligations)
	}
	return out
}

type gen struct {
	rng *rand.Rand
	n   int
}

// amount draws exp(N(ln 100000, 1.6)) minor units, clamped to a sane range.
func (g *gen) amount() int64 {
	x := math.Exp(math.Log(100000) + 1.6*g.rng.NormFloat64())
	return int64(min(max(x, 100), 5e11))
}

// pick samples an index in [lo, hi) with probability proportional to the
// weights whose running sums are cum.
func pick(rng *rand.Rand, cum []float64, lo, hi int) int {
	base := 0.0
	if lo > 0 {
		base = cum[lo-1]
	}
	x := base + rng.Float64()*(cum[hi-1]-base)
	i := lo + sort.SearchFloat64s(cum[lo:hi], x)
	if i >= hi {
		i = hi - 1
	}
	return i
}

func (g *gen) realistic(out []Obligation, m int) []Obligation {
	n := g.n
	rng := g.rng
	const tiers = 6
	// Firm sizes are Pareto(1.3): a few hubs trade with very many firms.
	cumOut := make([]float64, n)
	cumIn := make([]float64, n)
	var so, si float64
	for i := 0; i < n; i++ {
		size := math.Min(math.Pow(1-rng.Float64(), -1/1.3), 1e4)
		so += size * math.Exp(0.5*rng.NormFloat64())
		si += size * math.Exp(0.5*rng.NormFloat64())
		cumOut[i], cumIn[i] = so, si
	}
	// Tier t holds firms [t*n/tiers, (t+1)*n/tiers); customers in tier t
	// buy from suppliers in tier t-1, and tier 0 buys from the last tier.
	tierLo := func(t int) int { return t * n / tiers }
	distinct := func(u int, cum []float64, lo, hi int) int {
		for try := 0; try < 8; try++ {
			if v := pick(rng, cum, lo, hi); v != u {
				return v
			}
		}
		return (u + 1) % n
	}
	for len(out) < m {
		switch r := rng.IntN(100); {
		case r < 55: // trade across the whole economy
			u := pick(rng, cumOut, 0, n)
			v := distinct(u, cumIn, 0, n)
			out = append(out, Obligation{int32(u), int32(v), g.amount()})
		case r < 85: // supply chain: owe a supplier one tier upstream
			u := pick(rng, cumOut, 0, n)
			t := u * tiers / n
			for tierLo(t) > u {
				t--
			}
			for t+1 < tiers && tierLo(t+1) <= u {
				t++
			}
			up := (t + tiers - 1) % tiers
			lo, hi := tierLo(up), tierLo(up+1)
			if hi <= lo {
				continue
			}
			v := distinct(u, cumIn, lo, hi)
			out = append(out, Obligation{int32(u), int32(v), g.amount()})
		default: // a short loop of roughly matching invoices
			l := 3 + rng.IntN(6)
			if l > m-len(out) {
				l = m - len(out)
			}
			if l < 2 {
				l = 2
			}
			base := float64(g.amount())
			first := pick(rng, cumOut, 0, n)
			u := first
			for j := 0; j < l; j++ {
				var v int
				if j == l-1 {
					v = first
				} else {
					v = distinct(u, cumIn, 0, n)
				}
				if v == u {
					break
				}
				a := int64(base * (0.7 + 0.6*rng.Float64()))
				out = append(out, Obligation{int32(u), int32(v), max(a, 1)})
				if len(out) == m {
					break
				}
				u = v
			}
		}
	}
	return out
}

func (g *gen) longCycles(out []Obligation, m int) []Obligation {
	n := g.n
	rng := g.rng
	ring := rng.Perm(n) // position -> firm
	const maxStep = 8
	for len(out) < m {
		start := rng.IntN(n)
		base := float64(g.amount())
		pos, walked := start, 0
		for len(out) < m {
			step := 1 + rng.IntN(maxStep)
			if walked+step >= n {
				if pos != start {
					a := int64(base * (0.5 + rng.Float64()))
					out = append(out, Obligation{int32(ring[pos]), int32(ring[start]), max(a, 1)})
				}
				break
			}
			next := (pos + step) % n
			a := int64(base * (0.5 + rng.Float64()))
			out = append(out, Obligation{int32(ring[pos]), int32(ring[next]), max(a, 1)})
			pos, walked = next, walked+step
		}
	}
	return out
}
