package chart

import (
	"math"
	"math/bits"
)

// scale maps int64 values onto a pixel interval. The domain [lo, hi] and
// the ticks are pure integers; only the final mapping produces a float.
type scale struct {
	lo, hi int64
	step   uint64
	ticks  []int64
	// pixel interval: value lo maps to p0, hi maps to p1
	p0, p1 float64
}

// pos maps v to a pixel coordinate. Differences are taken in uint64, which
// is exact for any pair of int64 values with hi >= v >= lo.
func (s scale) pos(v int64) float64 {
	v = min(max(v, s.lo), s.hi)
	den := uint64(s.hi) - uint64(s.lo)
	if den == 0 {
		return (s.p0 + s.p1) / 2
	}
	frac := float64(uint64(v)-uint64(s.lo)) / float64(den)
	return s.p0 + (s.p1-s.p0)*frac
}

// niceScale picks a domain covering [lo, hi] with at most maxTicks ticks at
// a step of 1, 2 or 5 × 10^k. Where the rounded-out bound would not fit in
// an int64, the data bound itself is used and simply carries no tick.
func niceScale(lo, hi int64, maxTicks int) scale {
	if lo > hi {
		lo, hi = hi, lo
	}
	if lo == hi {
		lo, hi = widen(lo)
	}
	maxTicks = max(maxTicks, 2)
	var step uint64
	var qlo, qhi int64
	steps := niceSteps()
	for i, s := range steps {
		qlo, qhi = floorDiv(lo, s), ceilDiv(hi, s)
		// qhi-qlo counts intervals; uint64 subtraction is exact here. The
		// largest step is taken regardless: it yields at most three ticks.
		if uint64(qhi)-uint64(qlo) <= uint64(maxTicks-1) || i == len(steps)-1 {
			step = s
			break
		}
	}
	sc := scale{lo: lo, hi: hi, step: step}
	if v, ok := mulInt(qlo, step); ok {
		sc.lo = v
	}
	if v, ok := mulInt(qhi, step); ok {
		sc.hi = v
	}
	for q := qlo; ; q++ {
		if v, ok := mulInt(q, step); ok && v >= sc.lo && v <= sc.hi {
			sc.ticks = append(sc.ticks, v)
		}
		if q == qhi {
			break
		}
	}
	return sc
}

// widen turns a single value into a range around it, one order of
// magnitude wide, so a flat series is drawn mid-height with sensible ticks.
func widen(v int64) (int64, int64) {
	m := int64(1)
	a := absU(v)
	for uint64(m) <= a/10 {
		m *= 10
	}
	return satAdd(v, -m), satAdd(v, m)
}

// niceSteps lists 1, 2, 5, 10, 20, 50, ... up to the largest that fits in
// a uint64 (10^19); spans of int64 values never need more.
func niceSteps() []uint64 {
	var out []uint64
	for p := uint64(1); ; p *= 10 {
		for _, m := range []uint64{1, 2, 5} {
			hi, lo := bits.Mul64(p, m)
			if hi != 0 {
				return out
			}
			out = append(out, lo)
		}
		if p > math.MaxUint64/10 {
			return out
		}
	}
}

func absU(v int64) uint64 {
	if v < 0 {
		return -uint64(v)
	}
	return uint64(v)
}

// floorDiv is ⌊v/s⌋ for a positive step that may exceed MaxInt64.
func floorDiv(v int64, s uint64) int64 {
	if s > math.MaxInt64 {
		if v >= 0 {
			return 0
		}
		return -1
	}
	d := int64(s)
	q := v / d
	if v%d != 0 && v < 0 {
		q--
	}
	return q
}

// ceilDiv is ⌈v/s⌉ for a positive step that may exceed MaxInt64.
func ceilDiv(v int64, s uint64) int64 {
	if s > math.MaxInt64 {
		if v > 0 {
			return 1
		}
		return 0
	}
	d := int64(s)
	q := v / d
	if v%d != 0 && v > 0 {
		q++
	}
	return q
}

// mulInt returns q·s and whether it fits in an int64.
func mulInt(q int64, s uint64) (int64, bool) {
	if q == 0 || s == 0 {
		return 0, true
	}
	hi, lo := bits.Mul64(absU(q), s)
	if hi != 0 {
		return 0, false
	}
	if q < 0 {
		if lo > 1<<63 {
			return 0, false
		}
		return int64(-lo), true // -(1<<63) wraps to MinInt64, which is exact
	}
	if lo > math.MaxInt64 {
		return 0, false
	}
	return int64(lo), true
}

// satAdd adds without wrapping: sums beyond the int64 range stick at the
// limit, which on a chart means "off the scale" rather than a sign flip.
func satAdd(a, b int64) int64 {
	s := a + b
	if (a >= 0) == (b >= 0) && (s >= 0) != (a >= 0) {
		if a >= 0 {
			return math.MaxInt64
		}
		return math.MinInt64
	}
	return s
}

// tickCount is how many value ticks suit a plot of the given pixel length:
// grid lines roughly every 34px or more, which keeps labels well apart.
func tickCount(length float64) int {
	return min(max(int(length/34)+1, 2), 11)
}
