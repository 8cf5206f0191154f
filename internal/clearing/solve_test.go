package clearing

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// solveCertified solves and certifies twice: with the solver's potentials
// and with potentials re-derived by the certifier's own Bellman-Ford.
func solveCertified(t *testing.T, n int, obs []Obligation) Result {
	t.Helper()
	in := slices.Clone(obs)
	res, err := Solve(n, obs)
	if err != nil {
		t.Fatalf("Solve: %v", err)
	}
	if !slices.Equal(in, obs) {
		t.Fatal("Solve modified its input")
	}
	if err := Certify(n, obs, res); err != nil {
		t.Fatalf("Certify (solver potentials): %v\nobligations %v\nresult %+v", err, obs, res)
	}
	noPot := res
	noPot.Potentials = nil
	if err := Certify(n, obs, noPot); err != nil {
		t.Fatalf("Certify (Bellman-Ford potentials): %v", err)
	}
	return res
}

func TestThreeCycleClearsMinimum(t *testing.T) {
	obs := []Obligation{{0, 1, 500}, {1, 2, 700}, {2, 0, 300}}
	res := solveCertified(t, 3, obs)
	if res.Cleared != 900 || res.TotalDebt != 1500 {
		t.Fatalf("cleared %d of %d, want 900 of 1500", res.Cleared, res.TotalDebt)
	}
	if want := []int64{200, 400, 0}; !slices.Equal(res.Remaining, want) {
		t.Fatalf("remaining %v, want %v", res.Remaining, want)
	}
	if want := []int64{300, 300, 300}; !slices.Equal(res.ClearedPerFirm, want) {
		t.Fatalf("cleared per firm %v, want %v", res.ClearedPerFirm, want)
	}
}

// Two cycles share the obligation 0->1. Clearing the short one first (what
// a shortest-cycle greedy does) exhausts 0->1 and strands the long one.
func TestOverlappingCyclesBeatGreedy(t *testing.T) {
	obs := []Obligation{
		{0, 1, 100},                           // shared
		{1, 0, 100},                           // closes the 2-cycle
		{1, 2, 100}, {2, 3, 100}, {3, 0, 100}, // close the 4-cycle
	}
	greedy := greedyShortestCycles(4, obs)
	res := solveCertified(t, 4, obs)
	if greedy != 200 {
		t.Fatalf("greedy cleared %d, want 200 (test premise)", greedy)
	}
	if res.Cleared != 400 {
		t.Fatalf("Solve cleared %d, want optimum 400", res.Cleared)
	}
	if ref, _ := refSolve(4, obs); ref != 400 {
		t.Fatalf("reference %d", ref)
	}
}

// A subtler case: greedy picks a triangle whose amounts block two longer
// cycles that together clear more.
func TestGreedyTriangleTrap(t *testing.T) {
	obs := []Obligation{
		{0, 1, 10}, {1, 2, 10}, {2, 0, 10}, // triangle
		{0, 1, 0},                          // zero amount, ignored
		{1, 3, 10}, {3, 4, 10}, {4, 0, 10}, // 0->1->3->4->0 needs 0->1
		{2, 5, 10}, {5, 6, 10}, {6, 1, 10}, // 1->2->5->6->1 needs 1->2
	}
	greedy := greedyShortestCycles(7, obs)
	res := solveCertified(t, 7, obs)
	ref, _ := refSolve(7, obs)
	if res.Cleared != ref {
		t.Fatalf("Solve %d, reference %d", res.Cleared, ref)
	}
	if greedy >= res.Cleared {
		t.Fatalf("greedy %d should be below the optimum %d", greedy, res.Cleared)
	}
}

func TestDAGClearsNothing(t *testing.T) {
	obs := []Obligation{{0, 1, 5}, {0, 2, 7}, {1, 2, 3}, {2, 3, 9}, {1, 3, 1}}
	res := solveCertified(t, 4, obs)
	if res.Cleared != 0 {
		t.Fatalf("cleared %d on a DAG", res.Cleared)
	}
	for i, o := range obs {
		if res.Remaining[i] != o.Amount {
			t.Fatalf("obligation %d changed on a DAG", i)
		}
	}
}

func TestParallelObligationsPooledInInputOrder(t *testing.T) {
	obs := []Obligation{{0, 1, 3}, {0, 1, 4}, {1, 0, 5}}
	res := solveCertified(t, 2, obs)
	if res.Cleared != 10 {
		t.Fatalf("cleared %d, want 10", res.Cleared)
	}
	// The 5 set off on 0->1 goes to the earlier obligation first.
	if want := []int64{0, 2, 0}; !slices.Equal(res.Remaining, want) {
		t.Fatalf("remaining %v, want %v", res.Remaining, want)
	}
}

func TestZeroAmountsAndSelfLoops(t *testing.T) {
	obs := []Obligation{{0, 0, 42}, {0, 1, 0}, {1, 2, 5}, {2, 2, 0}}
	res := solveCertified(t, 3, obs)
	if want := []int64{0, 0, 5, 0}; !slices.Equal(res.Remaining, want) {
		t.Fatalf("remaining %v, want %v", res.Remaining, want)
	}
	if res.Cleared != 42 || res.ClearedPerFirm[0] != 42 {
		t.Fatalf("self-loop should clear fully: %+v", res)
	}
}

func TestEmptyAndTrivial(t *testing.T) {
	for _, n := range []int{0, 1, 5} {
		res := solveCertified(t, n, nil)
		if res.Cleared != 0 || len(res.ClearedPerFirm) != n {
			t.Fatalf("n=%d: %+v", n, res)
		}
	}
}

func TestInvalidInputRefused(t *testing.T) {
	cases := []struct {
		name string
		n    int
		obs  []Obligation
		want error
	}{
		{"negative", 2, []Obligation{{0, 1, -1}}, ErrNegative},
		{"debtor range", 2, []Obligation{{2, 1, 1}}, ErrFirmRange},
		{"creditor range", 2, []Obligation{{0, -1, 1}}, ErrFirmRange},
		{"overflow", 2, []Obligation{{0, 1, math.MaxInt64 / 2}, {1, 0, math.MaxInt64/2 + 2}}, ErrOverflow},
		{"negative n", -1, nil, ErrTooLarge},
	}
	for _, c := range cases {
		if _, err := Solve(c.n, c.obs); !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
	}
	// Exactly MaxInt64 in total is fine.
	obs := []Obligation{{0, 1, math.MaxInt64 - 5}, {1, 0, 5}}
	res := solveCertified(t, 2, obs)
	if res.TotalDebt != math.MaxInt64 || res.Cleared != 10 {
		t.Fatalf("%+v", res)
	}
}

// randomNetwork draws small networks that exercise everything at once:
// parallel and opposite obligations, self-loops, zeros, tiny and huge
// amounts.
func randomNetwork(rng *rand.Rand, n, m int) []Obligation {
	obs := make([]Obligation, m)
	for i := range obs {
		u := int32(rng.IntN(n))
		v := int32(rng.IntN(n))
		if rng.IntN(10) > 0 && u == v {
			v = int32((int(u) + 1 + rng.IntN(n-1)) % n)
		}
		var a int64
		switch rng.IntN(6) {
		case 0:
			a = 0
		case 1, 2:
			a = 1 + rng.Int64N(10)
		case 3:
			a = 1 + rng.Int64N(1000)
		case 4:
			a = 1 + rng.Int64N(1_000_000_000)
		default:
			a = 1 + rng.Int64N(math.MaxInt64/int64(max(m, 64))) // total stays below MaxInt64
		}
		obs[i] = Obligation{u, v, a}
	}
	return obs
}

func TestRandomSmallAgainstReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	count := 5000
	if testing.Short() {
		count = 500
	}
	for it := 0; it < count; it++ {
		n := 2 + rng.IntN(11)
		m := rng.IntN(4 * n)
		obs := randomNetwork(rng, n, m)
		res := solveCertified(t, n, obs)
		ref, x := refSolve(n, obs)
		if res.Cleared != ref {
			t.Fatalf("iteration %d: Solve cleared %d, reference %d\n%v", it, res.Cleared, ref, obs)
		}
		// The reference's own answer must pass the same certificate.
		rem := make([]int64, len(obs))
		for i := range obs {
			rem[i] = obs[i].Amount - x[i]
		}
		refRes := Result{TotalDebt: res.TotalDebt, Cleared: ref, Remaining: rem}
		if err := Certify(n, obs, refRes); err != nil {
			t.Fatalf("iteration %d: reference not certified: %v", it, err)
		}
	}
}

// Denser mid-sized networks where the reference is too slow: rely on the
// certificate, derived independently by Bellman-Ford inside Certify.
func TestRandomMediumCertified(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	count := 300
	if testing.Short() {
		count = 30
	}
	for it := 0; it < count; it++ {
		n := 20 + rng.IntN(200)
		m := rng.IntN(8 * n)
		solveCertified(t, n, randomNetwork(rng, n, m))
	}
}

func TestGeneratedShapesCertified(t *testing.T) {
	sizes := [][2]int{{50, 300}, {500, 3500}, {3000, 21000}}
	if !testing.Short() {
		sizes = append(sizes, [2]int{41000, 285000})
	}
	for _, sh := range []Shape{ShapeRealistic, ShapeRandom, ShapeLongCycles} {
		for _, sz := range sizes {
			for seed := int64(1); seed <= 3; seed++ {
				if sz[0] > 10000 && seed > 1 {
					continue
				}
				obs := GenerateShape(seed, sz[0], sz[1], sh)
				res, err := Solve(sz[0], obs)
				if err != nil {
					t.Fatal(err)
				}
				if err := Certify(sz[0], obs, res); err != nil {
					t.Fatalf("%v %v seed %d: %v", sh, sz, seed, err)
				}
				if sz[0] <= 3000 { // independent potentials too
					res.Potentials = nil
					if err := Certify(sz[0], obs, res); err != nil {
						t.Fatalf("%v %v seed %d (Bellman-Ford): %v", sh, sz, seed, err)
					}
				}
			}
		}
	}
}

func TestCertifyRejectsWrongResults(t *testing.T) {
	obs := []Obligation{{0, 1, 500}, {1, 2, 700}, {2, 0, 300}}
	good := solveCertified(t, 3, obs)
	mutate := func(f func(r *Result)) Result {
		r := good
		r.Remaining = slices.Clone(good.Remaining)
		r.ClearedPerFirm = slices.Clone(good.ClearedPerFirm)
		r.Potentials = slices.Clone(good.Potentials)
		f(&r)
		return r
	}
	bad := map[string]Result{
		"suboptimal (nothing cleared)": mutate(func(r *Result) {
			copy(r.Remaining, []int64{500, 700, 300})
			r.Cleared = 0
			r.ClearedPerFirm = []int64{0, 0, 0}
			r.Potentials = nil
		}),
		"suboptimal with claimed potentials": mutate(func(r *Result) {
			copy(r.Remaining, []int64{500, 700, 300})
			r.Cleared = 0
			r.ClearedPerFirm = []int64{0, 0, 0}
		}),
		"net position changed":   mutate(func(r *Result) { r.Remaining[0]--; r.Cleared++ }),
		"remaining above amount": mutate(func(r *Result) { r.Remaining[2] = 301 }),
		"negative remaining":     mutate(func(r *Result) { r.Remaining[2] = -1 }),
		"wrong total":            mutate(func(r *Result) { r.TotalDebt++ }),
		"wrong cleared":          mutate(func(r *Result) { r.Cleared++ }),
		"wrong per firm":         mutate(func(r *Result) { r.ClearedPerFirm[1]++ }),
		"bad potentials":         mutate(func(r *Result) { r.Potentials[0] += 5 }),
		"short remaining":        mutate(func(r *Result) { r.Remaining = r.Remaining[:2] }),
	}
	for name, r := range bad {
		if err := Certify(3, obs, r); !errors.Is(err, ErrNotCertified) {
			t.Errorf("%s: Certify returned %v", name, err)
		}
	}
	// A self-loop left owed is suboptimal.
	loop := []Obligation{{0, 0, 7}}
	r := Result{TotalDebt: 7, Remaining: []int64{7}}
	if err := Certify(1, loop, r); !errors.Is(err, ErrNotCertified) {
		t.Errorf("owed self-loop certified: %v", err)
	}
}
