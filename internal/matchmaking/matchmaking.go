// Package matchmaking schedules the B2B meetings of an expo: buyers and exhibitors ask to meet,
// and the scheduler places as many accepted requests as it can into the expo's time slots and
// tables so that nobody is in two meetings at once and no table holds two meetings in one slot.
//
// It is pure code (no I/O): the expo domain builds a Problem from its stored requests and stores
// the Meetings it gets back. Greedy is the simple baseline the optimiser is compared with in tests
// and in `bricstown bench market --scenario matchmaking`.
package matchmaking

import "sort"

// Problem is one expo's meeting requests over its slots and tables.
type Problem struct {
	// Participants is the number of people or organisations taking part, numbered 0..Participants-1.
	Participants int
	// Slots is the number of meeting slots (numbered 0..Slots-1, in time order).
	Slots int
	// Tables is the number of tables available in every slot.
	Tables int
	// Requests are the accepted meeting requests, each between two different participants.
	Requests []Request
	// Busy lists, per participant, the slots that participant cannot attend (nil: free in all).
	Busy map[int][]int
}

// Request asks for one meeting between participants A and B. Priority breaks ties: when not every
// request fits, higher priority ones are preferred (0 for all is fine).
type Request struct {
	A, B     int
	Priority int
}

// Meeting is a scheduled request: Request indexes Problem.Requests.
type Meeting struct {
	Request int
	Slot    int
	Table   int
}

// Greedy places requests in order (priority first, then the participants with the fewest free
// slots) into the first slot both parties are free and a table is left. It is the baseline.
func Greedy(p Problem) []Meeting {
	order := make([]int, len(p.Requests))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool {
		return p.Requests[order[i]].Priority > p.Requests[order[j]].Priority
	})
	busy := newOccupancy(p)
	var out []Meeting
	for _, r := range order {
		if m, ok := busy.place(r); ok {
			out = append(out, m)
		}
	}
	return out
}

// occupancy tracks who is busy in which slot and how many tables each slot has used.
type occupancy struct {
	p      Problem
	person [][]bool // participant → slot → busy
	used   []int    // slot → tables used
}

func newOccupancy(p Problem) *occupancy {
	o := &occupancy{p: p, person: make([][]bool, p.Participants), used: make([]int, p.Slots)}
	for i := range o.person {
		o.person[i] = make([]bool, p.Slots)
	}
	for who, slots := range p.Busy {
		if who < 0 || who >= p.Participants {
			continue
		}
		for _, s := range slots {
			if s >= 0 && s < p.Slots {
				o.person[who][s] = true
			}
		}
	}
	return o
}

func (o *occupancy) place(r int) (Meeting, bool) {
	q := o.p.Requests[r]
	if q.A == q.B || q.A < 0 || q.B < 0 || q.A >= o.p.Participants || q.B >= o.p.Participants {
		return Meeting{}, false
	}
	for s := 0; s < o.p.Slots; s++ {
		if o.used[s] >= o.p.Tables || o.person[q.A][s] || o.person[q.B][s] {
			continue
		}
		o.person[q.A][s], o.person[q.B][s] = true, true
		o.used[s]++
		return Meeting{Request: r, Slot: s, Table: o.used[s] - 1}, true
	}
	return Meeting{}, false
}

// Valid reports whether meetings respect the problem: every request at most once, nobody twice in
// a slot or in a busy slot, no slot over its tables, no table used twice in a slot.
func Valid(p Problem, ms []Meeting) bool {
	o := newOccupancy(p)
	seen := make(map[int]bool, len(ms))
	tables := make(map[[2]int]bool, len(ms))
	for _, m := range ms {
		if m.Request < 0 || m.Request >= len(p.Requests) || seen[m.Request] {
			return false
		}
		seen[m.Request] = true
		if m.Slot < 0 || m.Slot >= p.Slots || m.Table < 0 || m.Table >= p.Tables || tables[[2]int{m.Slot, m.Table}] {
			return false
		}
		tables[[2]int{m.Slot, m.Table}] = true
		q := p.Requests[m.Request]
		if q.A == q.B || q.A < 0 || q.B < 0 || q.A >= p.Participants || q.B >= p.Participants {
			return false
		}
		if o.person[q.A][m.Slot] || o.person[q.B][m.Slot] {
			return false
		}
		o.person[q.A][m.Slot], o.person[q.B][m.Slot] = true, true
	}
	return true
}
