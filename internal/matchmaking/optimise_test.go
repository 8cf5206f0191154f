package matchmaking

import (
	"math/rand/v2"
	"reflect"
	"testing"
)

// count checks validity and returns the number of meetings.
func count(t *testing.T, p Problem, ms []Meeting) int {
	t.Helper()
	if !Valid(p, ms) {
		t.Fatalf("invalid timetable %+v", ms)
	}
	return len(ms)
}

// Greedy puts the first request in the first slot, which is the only slot the second request's
// other party can attend: moving the first meeting frees it.
func TestScheduleRelocatesAMeetingGreedyBlocks(t *testing.T) {
	p := Problem{Participants: 3, Slots: 2, Tables: 5, Requests: []Request{{A: 0, B: 1}, {A: 0, B: 2}}, Busy: map[int][]int{2: {1}}}
	if g := count(t, p, Greedy(p)); g != 1 {
		t.Fatalf("greedy: want 1 (the instance is built to beat it), got %d", g)
	}
	if n := count(t, p, Schedule(p)); n != 2 {
		t.Fatalf("schedule: want the optimum 2, got %d", n)
	}
}

// One table: greedy fills slot 0 with a pair that could meet in slot 1, leaving no table for a
// pair that can only meet in slot 0.
func TestScheduleFreesATable(t *testing.T) {
	p := Problem{Participants: 4, Slots: 2, Tables: 1, Requests: []Request{{A: 0, B: 1}, {A: 2, B: 3}}, Busy: map[int][]int{2: {1}}}
	if g := count(t, p, Greedy(p)); g != 1 {
		t.Fatalf("greedy: want 1, got %d", g)
	}
	if n := count(t, p, Schedule(p)); n != 2 {
		t.Fatalf("schedule: want 2, got %d", n)
	}
}

// A path v0…vk alternates between two slots; a last request (v0, w) fits only in slot 0, which
// needs every meeting along the path to swap slots: a chain of k moves (a Kempe chain).
func TestScheduleSwapsAWholeChain(t *testing.T) {
	for k := 1; k <= 5; k++ {
		p := Problem{Participants: k + 2, Slots: 2, Tables: 10, Busy: map[int][]int{k + 1: {1}}}
		for i := 0; i < k; i++ {
			p.Requests = append(p.Requests, Request{A: i, B: i + 1})
		}
		p.Requests = append(p.Requests, Request{A: 0, B: k + 1})
		if g := count(t, p, Greedy(p)); g != k {
			t.Fatalf("k=%d greedy: want %d, got %d", k, k, g)
		}
		if n := count(t, p, Schedule(p)); n != k+1 {
			t.Fatalf("k=%d schedule: want all %d, got %d", k, k+1, n)
		}
		if ub := UpperBound(p); ub != k+1 {
			t.Fatalf("k=%d upper bound %d", k, ub)
		}
	}
}

// When not everything fits, the higher priority request is the one kept.
func TestSchedulePrefersPriority(t *testing.T) {
	p := Problem{Participants: 3, Slots: 1, Tables: 1, Requests: []Request{{A: 0, B: 1}, {A: 1, B: 2, Priority: 3}}}
	ms := Schedule(p)
	if count(t, p, ms) != 1 || ms[0].Request != 1 {
		t.Fatalf("want the priority-3 request, got %+v", ms)
	}
}

// exact is the optimum by exhaustive search with a simple bound (tiny problems only).
func exact(p Problem) int {
	o := newOccupancy(p)
	best := 0
	var rec func(i, n int)
	rec = func(i, n int) {
		if n+len(p.Requests)-i <= best {
			return
		}
		if i == len(p.Requests) {
			best = n
			return
		}
		q := p.Requests[i]
		if q.A != q.B {
			for s := 0; s < p.Slots; s++ {
				if o.used[s] < p.Tables && !o.person[q.A][s] && !o.person[q.B][s] {
					o.person[q.A][s], o.person[q.B][s] = true, true
					o.used[s]++
					rec(i+1, n+1)
					o.person[q.A][s], o.person[q.B][s] = false, false
					o.used[s]--
				}
			}
		}
		rec(i+1, n)
	}
	rec(0, 0)
	return best
}

func tiny(rng *rand.Rand) Problem {
	p := Problem{Participants: 3 + rng.IntN(4), Slots: 1 + rng.IntN(3), Tables: 1 + rng.IntN(3), Busy: map[int][]int{}}
	for n := 2 + rng.IntN(8); n > 0; n-- {
		a, b := rng.IntN(p.Participants), rng.IntN(p.Participants)
		if a != b {
			p.Requests = append(p.Requests, Request{A: a, B: b})
		}
	}
	for v := 0; v < p.Participants; v++ {
		if rng.IntN(3) == 0 {
			p.Busy[v] = []int{rng.IntN(p.Slots)}
		}
	}
	return p
}

// tinyRuns is how many random tiny problems the property test draws.
var tinyRuns = 2000

// On random tiny problems the optimiser is valid, never behind greedy, never beyond the
// exact optimum, reaches it, and the upper bound is never below it.
func TestScheduleMatchesExactOnTinyProblems(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 13))
	beatGreedy, short := 0, 0
	for i := 0; i < tinyRuns; i++ {
		p := tiny(rng)
		g, n, best, ub := count(t, p, Greedy(p)), count(t, p, Schedule(p)), exact(p), UpperBound(p)
		if n < g || n > best || ub < best {
			t.Fatalf("problem %+v: greedy %d, schedule %d, exact %d, bound %d", p, g, n, best, ub)
		}
		if n != best {
			short++
			t.Logf("problem %+v: schedule %d short of the optimum %d (greedy %d)", p, n, best, g)
		}
		if n > g {
			beatGreedy++
		}
	}
	if short > 0 {
		t.Fatalf("short of the optimum on %d of %d", short, tinyRuns)
	}
	if beatGreedy == 0 {
		t.Fatal("no random problem where greedy falls short: the test proves nothing")
	}
	t.Logf("optimiser beat greedy on %d of %d tiny problems", beatGreedy, tinyRuns)
}

// The benchmark's expo, smaller: valid, at least greedy, within the bound, and the same
// timetable on a second run (the work budget, not the clock, decides).
func TestScheduleScaleAndDeterminism(t *testing.T) {
	e := BenchExpo
	e.Exhibitors, e.Buyers, e.Requests, e.Tables = 200, 200, 4000, 100
	p := e.Generate()
	if len(p.Requests) != 4000 {
		t.Fatalf("generator made %d requests", len(p.Requests))
	}
	ms := Schedule(p)
	g, n, ub := count(t, p, Greedy(p)), count(t, p, ms), UpperBound(p)
	if n < g || n > ub {
		t.Fatalf("greedy %d, schedule %d, bound %d", g, n, ub)
	}
	t.Logf("greedy %d, schedule %d, bound %d", g, n, ub)
	if again := Schedule(p); !reflect.DeepEqual(ms, again) {
		t.Fatal("two runs on the same problem differ")
	}
}

// A spent budget stops the search with the greedy timetable or better, still valid.
func TestOptimiseStopsOnItsBudget(t *testing.T) {
	e := BenchExpo
	e.Exhibitors, e.Buyers, e.Requests, e.Tables = 100, 100, 2000, 30
	p := e.Generate()
	g := count(t, p, Greedy(p))
	for _, o := range []Options{{MaxWork: 1}, {MaxWork: 1000}, {TimeLimit: 1}} {
		if n := count(t, p, Optimise(p, o)); n < g {
			t.Fatalf("options %+v: %d meetings, greedy %d", o, n, g)
		}
	}
}
