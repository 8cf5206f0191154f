package chart

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestNiceScaleKnown(t *testing.T) {
	tests := []struct {
		lo, hi   int64
		max      int
		wantLo   int64
		wantHi   int64
		wantStep uint64
		ticks    []int64
	}{
		{0, 95, 6, 0, 100, 20, []int64{0, 20, 40, 60, 80, 100}},
		{0, 100, 6, 0, 100, 20, []int64{0, 20, 40, 60, 80, 100}},
		{-1000, 1000, 5, -1000, 1000, 500, []int64{-1000, -500, 0, 500, 1000}},
		{-1, 3, 5, -1, 3, 1, []int64{-1, 0, 1, 2, 3}},
		{123_456, 987_654, 6, 0, 1_000_000, 200_000, []int64{0, 200_000, 400_000, 600_000, 800_000, 1_000_000}},
		{7, 8, 3, 7, 8, 1, []int64{7, 8}},
		// Flat data is widened by an order of magnitude around the value.
		{500, 500, 5, 400, 600, 50, []int64{400, 450, 500, 550, 600}},
		{0, 0, 5, -1, 1, 1, []int64{-1, 0, 1}},
	}
	for _, tt := range tests {
		s := niceScale(tt.lo, tt.hi, tt.max)
		if s.lo != tt.wantLo || s.hi != tt.wantHi || s.step != tt.wantStep || !slices.Equal(s.ticks, tt.ticks) {
			t.Errorf("niceScale(%d, %d, %d) = [%d, %d] step %d ticks %v; want [%d, %d] step %d ticks %v",
				tt.lo, tt.hi, tt.max, s.lo, s.hi, s.step, s.ticks, tt.wantLo, tt.wantHi, tt.wantStep, tt.ticks)
		}
	}
}

func TestNiceScaleExtremes(t *testing.T) {
	s := niceScale(math.MinInt64, math.MaxInt64, 5)
	if s.lo != math.MinInt64 || s.hi != math.MaxInt64 {
		t.Fatalf("domain [%d, %d], want the full int64 range", s.lo, s.hi)
	}
	want := []int64{-5e18, 0, 5e18}
	if !slices.Equal(s.ticks, want) {
		t.Fatalf("ticks %v, want %v", s.ticks, want)
	}
	// Even the tightest tick budget terminates with a valid scale.
	s = niceScale(math.MinInt64, math.MaxInt64, 2)
	if len(s.ticks) == 0 || s.step == 0 {
		t.Fatalf("no ticks for full range with 2 ticks: %+v", s)
	}
	s = niceScale(math.MaxInt64, math.MaxInt64, 5)
	if s.hi != math.MaxInt64 || s.lo >= math.MaxInt64 || len(s.ticks) == 0 {
		t.Fatalf("flat MaxInt64: %+v", s)
	}
	s = niceScale(math.MinInt64, math.MinInt64, 5)
	if s.lo != math.MinInt64 || s.hi <= math.MinInt64 || len(s.ticks) == 0 {
		t.Fatalf("flat MinInt64: %+v", s)
	}
}

// The invariants every scale must keep, checked on random ranges of every
// magnitude, including ones touching the int64 limits.
func TestNiceScaleProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	randVal := func() int64 {
		switch r.IntN(6) {
		case 0:
			return math.MaxInt64 - r.Int64N(1000)
		case 1:
			return math.MinInt64 + r.Int64N(1000)
		case 2:
			return r.Int64N(1000) - 500
		default:
			v := r.Int64() >> r.IntN(63)
			if r.IntN(2) == 0 {
				v = -v
			}
			return v
		}
	}
	steps := niceSteps()
	for i := 0; i < 20000; i++ {
		lo, hi := randVal(), randVal()
		if lo > hi {
			lo, hi = hi, lo
		}
		maxTicks := 2 + r.IntN(10)
		s := niceScale(lo, hi, maxTicks)
		if s.lo > lo || s.hi < hi || s.lo >= s.hi {
			t.Fatalf("[%d,%d]: domain [%d,%d] does not cover data", lo, hi, s.lo, s.hi)
		}
		if !slices.Contains(steps, s.step) {
			t.Fatalf("[%d,%d]: step %d is not 1/2/5×10^k", lo, hi, s.step)
		}
		if len(s.ticks) == 0 {
			t.Fatalf("[%d,%d] max %d: no ticks", lo, hi, maxTicks)
		}
		if len(s.ticks) > max(maxTicks, 3) {
			t.Fatalf("[%d,%d]: %d ticks, max %d", lo, hi, len(s.ticks), maxTicks)
		}
		for j, v := range s.ticks {
			if v < s.lo || v > s.hi {
				t.Fatalf("[%d,%d]: tick %d outside domain [%d,%d]", lo, hi, v, s.lo, s.hi)
			}
			if s.step <= math.MaxInt64 && v%int64(s.step) != 0 {
				t.Fatalf("[%d,%d]: tick %d not a multiple of %d", lo, hi, v, s.step)
			}
			if j > 0 && v <= s.ticks[j-1] {
				t.Fatalf("[%d,%d]: ticks not ascending: %v", lo, hi, s.ticks)
			}
		}
		s.p0, s.p1 = 100, 0
		for _, v := range []int64{lo, hi, s.lo, s.hi} {
			if p := s.pos(v); p < 0 || p > 100 || math.IsNaN(p) {
				t.Fatalf("[%d,%d]: pos(%d) = %v outside pixel range", lo, hi, v, p)
			}
		}
		if s.pos(s.lo) != 100 || s.pos(s.hi) != 0 {
			t.Fatalf("[%d,%d]: ends map to %v, %v", lo, hi, s.pos(s.lo), s.pos(s.hi))
		}
	}
}

func TestIntegerHelpers(t *testing.T) {
	if got := floorDiv(-7, 2); got != -4 {
		t.Errorf("floorDiv(-7,2) = %d", got)
	}
	if got := ceilDiv(7, 2); got != 4 {
		t.Errorf("ceilDiv(7,2) = %d", got)
	}
	if got := floorDiv(math.MinInt64, 1); got != math.MinInt64 {
		t.Errorf("floorDiv(MinInt64,1) = %d", got)
	}
	if got := floorDiv(-1, 1e19); got != -1 {
		t.Errorf("floorDiv(-1,1e19) = %d", got)
	}
	if got := ceilDiv(1, 1e19); got != 1 {
		t.Errorf("ceilDiv(1,1e19) = %d", got)
	}
	if v, ok := mulInt(-1, 1<<63); !ok || v != math.MinInt64 {
		t.Errorf("mulInt(-1, 2^63) = %d, %v", v, ok)
	}
	if _, ok := mulInt(1, 1<<63); ok {
		t.Error("mulInt(1, 2^63) should overflow")
	}
	if _, ok := mulInt(2, 5e18); ok {
		t.Error("mulInt(2, 5e18) should overflow")
	}
	if v, ok := mulInt(-3, 3e18); !ok || v != -9e18 {
		t.Errorf("mulInt(-3, 3e18) = %d, %v", v, ok)
	}
	if satAdd(math.MaxInt64, 1) != math.MaxInt64 || satAdd(math.MinInt64, -1) != math.MinInt64 {
		t.Error("satAdd does not saturate")
	}
	if satAdd(math.MaxInt64, math.MinInt64) != -1 {
		t.Error("satAdd of opposite signs must be exact")
	}
	if absU(math.MinInt64) != 1<<63 {
		t.Error("absU(MinInt64)")
	}
}

func TestFormatInt(t *testing.T) {
	tests := map[int64]string{
		0:             "0",
		999:           "999",
		1000:          "1\u202f000",
		-1234567:      "−1\u202f234\u202f567",
		math.MinInt64: "−9\u202f223\u202f372\u202f036\u202f854\u202f775\u202f808",
		math.MaxInt64: "9\u202f223\u202f372\u202f036\u202f854\u202f775\u202f807",
	}
	for v, want := range tests {
		if got := FormatInt(v); got != want {
			t.Errorf("FormatInt(%d) = %q, want %q", v, got, want)
		}
	}
	if got := FormatPermille(625); got != "62.5%" {
		t.Errorf("FormatPermille(625) = %q", got)
	}
	if got := FormatPermille(1000); got != "100.0%" {
		t.Errorf("FormatPermille(1000) = %q", got)
	}
}

func TestShares(t *testing.T) {
	tests := []struct {
		in, want []int64
	}{
		{[]int64{1, 1, 1}, []int64{334, 333, 333}},
		{[]int64{1873, 412, 96}, []int64{787, 173, 40}},
		{[]int64{5, 0, -3}, []int64{1000, 0, 0}},
		{[]int64{math.MaxInt64, math.MaxInt64, math.MaxInt64, 1}, []int64{334, 333, 333, 0}},
		{[]int64{1, 1_000_000}, []int64{0, 1000}},
		{[]int64{0, 0}, nil},
		{nil, nil},
	}
	for _, tt := range tests {
		got := Shares(tt.in)
		if !slices.Equal(got, tt.want) {
			t.Errorf("Shares(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
	r := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 2000; i++ {
		vals := make([]int64, 1+r.IntN(12))
		for j := range vals {
			vals[j] = r.Int64() >> r.IntN(63)
		}
		var sum int64
		for _, p := range Shares(vals) {
			sum += p
		}
		if sum != 1000 && Shares(vals) != nil {
			t.Fatalf("Shares(%v) sums to %d", vals, sum)
		}
	}
}
