package matchmaking

import (
	"math/rand/v2"
	"sort"
	"time"
)

// Options bound the optimiser. The work budget, not the clock, decides the result, so the same
// problem and seed give the same timetable on any machine; the time limit only guards against a
// slow machine running past what the caller can wait for.
type Options struct {
	// Seed drives the order in which slots are tried between rounds.
	Seed uint64
	// MaxWork caps the search steps (slot examinations) over the whole run; 0 means DefaultMaxWork.
	MaxWork int
	// TimeLimit stops the search early on a slow machine; 0 means DefaultTimeLimit.
	TimeLimit time.Duration
	// Depth is the longest chain of moved meetings one augmentation may use; 0 means DefaultDepth.
	Depth int
}

// Defaults: the work budget lets the benchmark's 20,000 requests finish in a couple of seconds on
// one core, the time limit keeps within the 5 s target on a busy machine.
const (
	DefaultMaxWork   = 60_000_000
	DefaultTimeLimit = 4 * time.Second
	DefaultDepth     = 6
)

// Schedule returns a conflict-free timetable with as many meetings as the optimiser finds (never
// fewer than Greedy), preferring higher priority requests when it must leave some out.
func Schedule(p Problem) []Meeting { return Optimise(p, Options{Seed: 1}) }

// Optimise starts from the greedy timetable and improves it with augmenting chains: an unplaced
// request takes a slot in which it clashes with exactly one meeting (one of its parties is busy,
// or the slot's tables are full), that meeting moves to another slot the same way, and so on until
// a meeting lands in a slot without a clash. Each successful chain adds one meeting and moves
// others, like an alternating path in edge colouring (a Kempe-chain move bounded by the tables).
// A failed chain is undone, so the timetable is valid after every step.
func Optimise(p Problem, o Options) []Meeting {
	if o.MaxWork <= 0 {
		o.MaxWork = DefaultMaxWork
	}
	if o.TimeLimit <= 0 {
		o.TimeLimit = DefaultTimeLimit
	}
	if o.Depth <= 0 {
		o.Depth = DefaultDepth
	}
	if p.Slots <= 0 || p.Tables <= 0 || p.Participants <= 0 {
		return nil
	}
	s := newSearch(p, o)
	g := Greedy(p)
	for _, m := range g {
		s.put(m.Request, m.Slot)
	}
	s.placed, s.bound = len(g), UpperBound(p)
	if s.placed < s.bound {
		s.improve()
	}
	return s.meetings()
}

// search is the mutable timetable the chains work on.
type search struct {
	p        Problem
	o        Options
	rng      *rand.Rand
	deadline time.Time
	work     int
	// at[v*Slots+s] is the request participant v meets in slot s, -1 when free, -2 when busy.
	at      []int32
	slotOf  []int32   // request → slot, -1 when unplaced
	members [][]int32 // slot → requests placed in it
	pos     []int32   // request → index in members[slotOf]
	mark    []int32   // request → last search stamp it joined a chain in
	stamp   int32
	slots   []int // slot order tried, reshuffled between rounds
	order   []int // unplaced requests by priority, then fewest free slots
	valid   []bool
	reqsOf  [][]int // participant → its requests
	placed  int     // meetings in the timetable
	weight  int     // sum of the placed requests' priorities
	bound   int     // UpperBound: the search stops on reaching it
}

func newSearch(p Problem, o Options) *search {
	s := &search{p: p, o: o, rng: rand.New(rand.NewPCG(o.Seed, 0x6d61746368)), deadline: time.Now().Add(o.TimeLimit),
		at: make([]int32, p.Participants*p.Slots), slotOf: make([]int32, len(p.Requests)), members: make([][]int32, p.Slots),
		pos: make([]int32, len(p.Requests)), mark: make([]int32, len(p.Requests)), valid: make([]bool, len(p.Requests))}
	for i := range s.at {
		s.at[i] = -1
	}
	for who, slots := range p.Busy {
		if who < 0 || who >= p.Participants {
			continue
		}
		for _, sl := range slots {
			if sl >= 0 && sl < p.Slots {
				s.at[who*p.Slots+sl] = -2
			}
		}
	}
	s.reqsOf = make([][]int, p.Participants)
	for i, q := range p.Requests {
		s.slotOf[i] = -1
		s.valid[i] = q.A != q.B && q.A >= 0 && q.B >= 0 && q.A < p.Participants && q.B < p.Participants
		if s.valid[i] {
			s.reqsOf[q.A] = append(s.reqsOf[q.A], i)
			s.reqsOf[q.B] = append(s.reqsOf[q.B], i)
		}
	}
	s.slots = make([]int, p.Slots)
	for i := range s.slots {
		s.slots[i] = i
	}
	return s
}

func (s *search) put(r int, sl int) {
	q := s.p.Requests[r]
	s.at[q.A*s.p.Slots+sl], s.at[q.B*s.p.Slots+sl] = int32(r), int32(r)
	s.slotOf[r] = int32(sl)
	s.weight += q.Priority
	s.pos[r] = int32(len(s.members[sl]))
	s.members[sl] = append(s.members[sl], int32(r))
}

func (s *search) take(r int) {
	sl := int(s.slotOf[r])
	q := s.p.Requests[r]
	s.at[q.A*s.p.Slots+sl], s.at[q.B*s.p.Slots+sl] = -1, -1
	ms := s.members[sl]
	i := s.pos[r]
	last := ms[len(ms)-1]
	ms[i] = last
	s.pos[last] = i
	s.members[sl] = ms[:len(ms)-1]
	s.slotOf[r] = -1
	s.weight -= q.Priority
}

// out reports whether the budget is spent; the clock is read only every few thousand steps.
func (s *search) out() bool {
	if s.work >= s.o.MaxWork {
		return true
	}
	return s.work&4095 == 0 && time.Now().After(s.deadline)
}

// improve runs rounds of augmentation over the unplaced requests until a round adds nothing or
// the budget is spent. Later rounds reshuffle the slot order so chains explore other paths.
func (s *search) improve() {
	free := make([]int, s.p.Participants)
	for v := range s.p.Participants {
		for sl := range s.p.Slots {
			if s.at[v*s.p.Slots+sl] != -2 {
				free[v]++
			}
		}
	}
	for r := range s.p.Requests {
		if s.valid[r] && s.slotOf[r] < 0 {
			s.order = append(s.order, r)
		}
	}
	sort.SliceStable(s.order, func(i, j int) bool {
		a, b := s.p.Requests[s.order[i]], s.p.Requests[s.order[j]]
		if a.Priority != b.Priority {
			return a.Priority > b.Priority
		}
		return min(free[a.A], free[a.B]) < min(free[b.A], free[b.B])
	})
	for round := 0; ; round++ {
		if round > 0 {
			s.rng.Shuffle(len(s.slots), func(i, j int) { s.slots[i], s.slots[j] = s.slots[j], s.slots[i] })
		}
		gained := false
		rest := s.order[:0]
		for _, r := range s.order {
			if !s.out() && s.placed < s.bound {
				s.stamp++
				if s.augment(r, s.o.Depth) {
					gained = true
					s.placed++
					continue
				}
			}
			rest = append(rest, r)
		}
		s.order = rest
		if len(s.order) == 0 || s.out() || s.placed >= s.bound {
			return
		}
		if !gained && !s.kicks() && !s.perturb() {
			return
		}
	}
}

// MaxStall is how many perturbations in a row may fail to add a meeting before the search ends.
const MaxStall = 300

// perturb is the last resort when chains and kicks stall below the bound: an unplaced request
// takes a random slot by force (evicting whoever clashes, up to two meetings), then the evicted
// meetings and the unplaced requests of the parties involved try augmenting chains. A step that
// loses meetings (or priority) is undone; one that keeps them is kept (a walk on the plateau opens other
// chains). It reports whether a meeting was gained.
func (s *search) perturb() bool {
	snap := make([]int32, len(s.slotOf))
	for stall := 0; stall < MaxStall && !s.out() && s.placed < s.bound && len(s.order) > 0; stall++ {
		copy(snap, s.slotOf)
		before, weight := s.placed, s.weight
		r := s.order[s.rng.IntN(len(s.order))]
		sl := s.rng.IntN(s.p.Slots)
		q := s.p.Requests[r]
		ca, cb := s.at[q.A*s.p.Slots+sl], s.at[q.B*s.p.Slots+sl]
		s.work++
		if ca == -2 || cb == -2 {
			continue
		}
		var out []int
		for _, y := range [2]int32{ca, cb} {
			if y >= 0 && (len(out) == 0 || out[0] != int(y)) {
				out = append(out, int(y))
			}
		}
		if len(out) == 0 && len(s.members[sl]) >= s.p.Tables {
			out = append(out, int(s.members[sl][s.rng.IntN(len(s.members[sl]))]))
		}
		for _, y := range out {
			s.take(y)
			s.placed--
		}
		s.put(r, sl)
		s.placed++
		try := append([]int(nil), out...)
		for _, y := range append(out, r) {
			yq := s.p.Requests[y]
			try = append(try, s.reqsOf[yq.A]...)
			try = append(try, s.reqsOf[yq.B]...)
		}
		for _, z := range try {
			if s.slotOf[z] >= 0 || !s.valid[z] {
				continue
			}
			s.stamp++
			if s.augment(z, s.o.Depth) {
				s.placed++
			}
		}
		switch {
		case s.placed < before || (s.placed == before && s.weight < weight):
			s.restore(snap)
			s.placed = before
		case s.placed > before:
			stall = -1
			s.order = s.order[:0]
			for z := range s.p.Requests {
				if s.valid[z] && s.slotOf[z] < 0 {
					s.order = append(s.order, z)
				}
			}
			return true
		default:
			s.order = s.order[:0]
			for z := range s.p.Requests {
				if s.valid[z] && s.slotOf[z] < 0 {
					s.order = append(s.order, z)
				}
			}
		}
	}
	return false
}

// restore puts the timetable back to a snapshot of slotOf.
func (s *search) restore(snap []int32) {
	for r, sl := range s.slotOf {
		if sl >= 0 && snap[r] != sl {
			s.take(r)
		}
	}
	for r, sl := range snap {
		if sl >= 0 && s.slotOf[r] < 0 {
			s.put(r, int(sl))
		}
	}
}

// kicks tries, for each unplaced request, a swap that keeps the count (it takes the place of one
// meeting, which leaves the timetable) and pays off only if it opens an augmenting chain for
// another unplaced request of the evicted meeting's parties. Augmenting chains alone stall on
// such exchanges (two meetings out, three in). It reports whether any kick gained a meeting.
func (s *search) kicks() bool {
	gained := false
	for i := 0; i < len(s.order); i++ {
		if s.out() || s.placed >= s.bound {
			break
		}
		r := s.order[i]
		if s.slotOf[r] >= 0 {
			continue
		}
		if y, ok := s.kick(r); ok {
			gained = true
			s.placed++
			s.order[i] = y // r is placed, y waits its turn again
		}
	}
	kept := s.order[:0]
	for _, r := range s.order {
		if s.slotOf[r] < 0 {
			kept = append(kept, r)
		}
	}
	s.order = kept
	return gained
}

func (s *search) kick(r int) (int, bool) {
	q := s.p.Requests[r]
	a, b := q.A*s.p.Slots, q.B*s.p.Slots
	for _, sl := range s.slots {
		s.work++
		ca, cb := s.at[a+sl], s.at[b+sl]
		if ca == -2 || cb == -2 || (ca >= 0 && cb >= 0) {
			continue
		}
		var ys []int32
		if ca >= 0 || cb >= 0 {
			ys = []int32{max(ca, cb)}
		} else {
			ys = s.members[sl][:min(len(s.members[sl]), 4)]
			ys = append([]int32(nil), ys...)
		}
		for _, y32 := range ys {
			y := int(y32)
			s.take(y)
			s.put(r, sl)
			yq := s.p.Requests[y]
			for _, v := range [2]int{yq.A, yq.B} {
				for _, z := range s.reqsOf[v] {
					if z == y || s.slotOf[z] >= 0 || !s.valid[z] {
						continue
					}
					s.stamp++
					s.mark[r] = s.stamp
					if s.augment(z, s.o.Depth) {
						return y, true
					}
				}
			}
			s.take(r)
			s.put(y, sl)
		}
	}
	return 0, false
}

// augment places request r, moving at most depth other meetings along one chain. On failure the
// timetable is as it was.
func (s *search) augment(r int, depth int) bool {
	s.mark[r] = s.stamp
	q := s.p.Requests[r]
	a, b := q.A*s.p.Slots, q.B*s.p.Slots
	for _, sl := range s.slots {
		s.work++
		if s.at[a+sl] == -1 && s.at[b+sl] == -1 && len(s.members[sl]) < s.p.Tables {
			s.put(r, sl)
			return true
		}
	}
	if depth == 0 {
		return false
	}
	for _, sl := range s.slots {
		if s.out() {
			return false
		}
		s.work++
		ca, cb := s.at[a+sl], s.at[b+sl]
		if ca == -2 || cb == -2 || (ca >= 0 && cb >= 0) {
			continue // a busy party, or two clashes: not one chain
		}
		if ca >= 0 || cb >= 0 {
			y := int(max(ca, cb))
			if s.mark[y] == s.stamp {
				continue
			}
			if s.eject(r, y, sl, depth) {
				return true
			}
			continue
		}
		// Both free, the slot's tables full: any meeting of the slot may give up its table.
		ms := s.members[sl]
		n := len(ms)
		tries := min(n, 4)
		off := 0
		if n > 0 {
			off = int(s.work % n)
		}
		for k := 0; k < tries; k++ {
			y := int(s.members[sl][(off+k)%n])
			if s.mark[y] == s.stamp {
				continue
			}
			if s.eject(r, y, sl, depth) {
				return true
			}
		}
	}
	return false
}

// eject moves meeting y out of slot sl to make room for r, then re-places y; undone on failure.
func (s *search) eject(r, y, sl, depth int) bool {
	s.take(y)
	s.put(r, sl)
	if s.augment(y, depth-1) {
		return true
	}
	s.take(r)
	s.put(y, sl)
	return false
}

// meetings numbers the tables of each slot in order.
func (s *search) meetings() []Meeting {
	var out []Meeting
	for sl, ms := range s.members {
		sorted := append([]int32(nil), ms...)
		sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
		for t, r := range sorted {
			out = append(out, Meeting{Request: int(r), Slot: sl, Table: t})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Request < out[j].Request })
	return out
}
