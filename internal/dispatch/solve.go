package dispatch

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sort"
	"sync"

	"bricstown/internal/problem"
)

// inf stands for "no route" in path costs. Every real cost and penalty is
// below it (Solve refuses inputs whose penalties sum to more), and sums are
// clamped to it, so comparisons with penalties stay exact.
const inf = int64(1) << 62

// maxIterations is the default number of subgradient iterations.
const maxIterations = 120

// ship is a shipment the solver may route (confirmed ones are set aside).
type ship struct {
	idx             int // index in Problem.Shipments
	o, d            int32
	ready, deadline int64
	t, k, pen       int64
	r               *odRoutes
	lo, hi          int32 // window in r.list: departures leaving in [ready, deadline]
	loAll, hiAll    int32 // the same without the deadline (for explanations)
}

// odEntry is a departure that lies on some route of an origin–destination
// pair, with what the shortest-path loop needs next to each other.
type odEntry struct {
	j    int32 // sorted departure position
	from int32
	feed int32 // arrivals (of this pair's list) at from usable by this departure
	dest bool  // arrives at the destination
	ea   int64 // earliest arrival at the destination after boarding it
}

// odRoutes is the part of the network one origin–destination pair can use:
// departures reachable from the origin's component and from which the
// destination can be reached, in departure order, with the arrivals at
// each node sorted by when the goods can leave again.
type odRoutes struct {
	list     []odEntry
	arrPos   [][]int32 // per node: list positions arriving there, by availability
	arrAvail [][]int64
}

// inst is the problem in arrays, departures sorted by departure time.
type inst struct {
	nn         int
	conn       []int64
	from, to   []int32
	dep, arr   []int64
	capT, capK []int64 // residual after confirmed bookings
	pT, pK     []int64
	hd         []Handling // what each departure can carry
	orig       []int      // sorted position -> index in Problem.Departures
	// ea is per destination and handling need: the earliest arrival there
	// after boarding departure j, over departures that take the need (inf
	// for those that do not).
	ea         map[eaKey][]int64
	maxList    int
	ships      []ship
	cheapest   []int64 // per ship: min(penalty, cheapest route at true prices, capacity aside)
	maxT, maxK int64
}

// eaKey names a destination and a handling need.
type eaKey struct {
	d    int32
	need Handling
}

// work is one worker's scratch space for shortest paths.
type work struct {
	label  []int64
	pred   []int32
	gen    uint32
	p      []int32
	runmin []int64
	runarg []int32
	nstamp []uint32
}

func newWork(in *inst) *work {
	n := in.maxList
	return &work{label: make([]int64, n), pred: make([]int32, n),
		p: make([]int32, in.nn), runmin: make([]int64, in.nn), runarg: make([]int32, in.nn), nstamp: make([]uint32, in.nn)}
}

// shortest finds the cheapest chain of departures for s with per-unit
// prices pt, pk (price + multiplier), using only departures in dlist[s.d]
// positions [lo,hi) that arrive by deadline and, when resT is not nil, that
// have room for the shipment. It returns the cost (inf if none) and the
// last departure of the chain (-1 if none); the chain is read back with
// w.pred.
func (in *inst) shortest(w *work, s *ship, pt, pk, resT, resK []int64, lo, hi int32, deadline int64) (int64, int32) {
	w.gen++
	if w.gen == 0 {
		clear(w.nstamp)
		w.gen = 1
	}
	gen := w.gen
	best, end := inf, int32(-1)
	r := s.r
	list := r.list[:hi]
	label, pred := w.label, w.pred
	for q := lo; q < hi; q++ {
		e := &list[q]
		label[q] = inf
		if e.ea > deadline {
			continue
		}
		j := e.j
		if resT != nil && (resT[j] < s.t || resK[j] < s.k) {
			continue
		}
		n := e.from
		var b int64
		pr := int32(-1)
		if n != s.o {
			if w.nstamp[n] != gen {
				w.nstamp[n] = gen
				av := r.arrAvail[n]
				ready := s.ready
				w.p[n] = int32(sort.Search(len(av), func(i int) bool { return av[i] > ready }))
				w.runmin[n] = inf
				w.runarg[n] = -1
			}
			// Arrivals listed before lo left before ready_at: not usable.
			ap := r.arrPos[n][:e.feed]
			rm, ra := w.runmin[n], w.runarg[n]
			p := w.p[n]
			for ; p < e.feed; p++ {
				if a := ap[p]; a >= lo && label[a] < rm {
					rm, ra = label[a], a
				}
			}
			w.p[n], w.runmin[n], w.runarg[n] = p, rm, ra
			if rm >= inf {
				continue
			}
			b, pr = rm, ra
		}
		v := b + s.t*pt[j] + s.k*pk[j]
		if v > inf {
			v = inf
		}
		label[q], pred[q] = v, pr
		if e.dest && v < best {
			best, end = v, q
		}
	}
	return best, end
}

// chain reads back the departures (sorted positions) of the route of s
// ending at list position end.
func (w *work) chain(s *ship, end int32, buf []int32) []int32 {
	buf = buf[:0]
	for q := end; q >= 0; q = w.pred[q] {
		buf = append(buf, s.r.list[q].j)
	}
	for i, k := 0, len(buf)-1; i < k; i, k = i+1, k-1 {
		buf[i], buf[k] = buf[k], buf[i]
	}
	return buf
}

func (in *inst) trueCost(s *ship, path []int32) int64 {
	var c int64
	for _, j := range path {
		c += s.t*in.pT[j] + s.k*in.pK[j]
	}
	return c
}

func invalid(format string, args ...any) error {
	return problem.New(problem.Invalid, format, args...)
}

// build checks the problem and lays it out in arrays. It refuses what the
// CSV readers refuse (for callers that build a Problem in code) and
// confirmed bookings that are not a feasible chain or overbook.
func build(p *Problem) (*inst, []int64, int64, error) {
	in := &inst{}
	nodeIdx := map[string]int32{}
	var conn []int64
	add := func(code string, mc int64) int32 {
		if i, ok := nodeIdx[code]; ok {
			return i
		}
		i := int32(len(conn))
		nodeIdx[code] = i
		conn = append(conn, mc)
		return i
	}
	for _, n := range p.Nodes {
		if !ValidLocode(n.Locode) {
			return nil, nil, 0, invalid("node %q is not a UN/LOCODE", n.Locode)
		}
		if n.MinConnection < 0 {
			return nil, nil, 0, invalid("node %s: negative minimum connection", n.Locode)
		}
		add(n.Locode, int64(n.MinConnection.Seconds()))
	}
	known := func(code string) (int32, error) {
		if !ValidLocode(code) {
			return 0, invalid("%q is not a UN/LOCODE", code)
		}
		if i, ok := nodeIdx[code]; ok {
			return i, nil
		}
		if len(p.Nodes) > 0 {
			return 0, invalid("unknown location %s", code)
		}
		return add(code, int64(DefaultMinConnection.Seconds())), nil
	}
	D := len(p.Departures)
	order := make([]int, D)
	depID := make(map[string]int, D)
	var maxPT, maxPK int64
	for i, d := range p.Departures {
		order[i] = i
		if _, dup := depID[d.ID]; dup || d.ID == "" {
			return nil, nil, 0, invalid("departure id %q is empty or used twice", d.ID)
		}
		depID[d.ID] = i
		if d.CapacityTEU < 0 || d.CapacityKg < 0 || d.PricePerTEU < 0 || d.PricePerKg < 0 {
			return nil, nil, 0, invalid("departure %s: negative capacity or price", d.ID)
		}
		if !d.ArriveAt.After(d.DepartAt) {
			return nil, nil, 0, invalid("departure %s: arrives before it departs", d.ID)
		}
		if _, err := known(d.From); err != nil {
			return nil, nil, 0, err
		}
		if _, err := known(d.To); err != nil {
			return nil, nil, 0, err
		}
		maxPT, maxPK = max(maxPT, d.PricePerTEU), max(maxPK, d.PricePerKg)
	}
	sort.SliceStable(order, func(a, b int) bool {
		return p.Departures[order[a]].DepartAt.Before(p.Departures[order[b]].DepartAt)
	})
	in.orig = order
	pos := make([]int32, D) // original index -> sorted position
	in.from, in.to = make([]int32, D), make([]int32, D)
	in.dep, in.arr = make([]int64, D), make([]int64, D)
	in.capT, in.capK, in.pT, in.pK = make([]int64, D), make([]int64, D), make([]int64, D), make([]int64, D)
	in.hd = make([]Handling, D)
	for j, oi := range order {
		d := &p.Departures[oi]
		pos[oi] = int32(j)
		in.from[j], in.to[j] = nodeIdx[d.From], nodeIdx[d.To]
		in.dep[j], in.arr[j] = d.DepartAt.Unix(), d.ArriveAt.Unix()
		in.capT[j], in.capK[j], in.pT[j], in.pK[j] = d.CapacityTEU, d.CapacityKg, d.PricePerTEU, d.PricePerKg
		in.hd[j] = d.Handling
	}

	// Shipments and the overflow guard: every cost is then below inf.
	shipID := make(map[string]int, len(p.Shipments))
	var penSum int64
	for i, s := range p.Shipments {
		if _, dup := shipID[s.ID]; dup || s.ID == "" {
			return nil, nil, 0, invalid("shipment id %q is empty or used twice", s.ID)
		}
		shipID[s.ID] = i
		if s.TEU < 0 || s.Kg < 0 || s.Penalty < 0 || (s.TEU == 0 && s.Kg == 0) {
			return nil, nil, 0, invalid("shipment %s: size must be positive and penalty not negative", s.ID)
		}
		if s.Deadline.Before(s.ReadyAt) {
			return nil, nil, 0, invalid("shipment %s: deadline before ready_at", s.ID)
		}
		if _, err := known(s.Origin); err != nil {
			return nil, nil, 0, err
		}
		if _, err := known(s.Destination); err != nil {
			return nil, nil, 0, err
		}
		in.maxT, in.maxK = max(in.maxT, s.TEU), max(in.maxK, s.Kg)
		penSum += s.Penalty
		if penSum >= inf/4 || penSum < 0 {
			return nil, nil, 0, invalid("the penalties add up to more than this solver can hold exactly")
		}
	}
	if lim := priceLimit(in.maxT, in.maxK); maxPT > lim || maxPK > lim {
		return nil, nil, 0, invalid("prices times shipment sizes exceed what this solver can hold exactly")
	}
	in.nn, in.conn = len(conn), conn // known() may have added nodes

	// Confirmed bookings: checked as chains, their capacity taken.
	fixed := make([]int64, len(p.Shipments)) // 1 + index into Confirmed, 0 if free
	var fixedCost int64
	for ci, a := range p.Confirmed {
		si, ok := shipID[a.ShipmentID]
		if !ok {
			return nil, nil, 0, invalid("confirmed booking for unknown shipment %q", a.ShipmentID)
		}
		if fixed[si] != 0 {
			return nil, nil, 0, invalid("shipment %s is confirmed twice", a.ShipmentID)
		}
		fixed[si] = int64(ci + 1)
		s := &p.Shipments[si]
		if len(a.DepartureIDs) == 0 {
			fixedCost += s.Penalty
			continue
		}
		var path []int32
		for _, id := range a.DepartureIDs {
			oi, ok := depID[id]
			if !ok {
				return nil, nil, 0, invalid("confirmed booking of %s: unknown departure %q", s.ID, id)
			}
			path = append(path, pos[oi])
		}
		if err := in.checkChain(s, nodeIdx, path); err != nil {
			return nil, nil, 0, invalid("confirmed booking of %s: %v", s.ID, err)
		}
		for _, j := range path {
			in.capT[j] -= s.TEU
			in.capK[j] -= s.Kg
			if in.capT[j] < 0 || in.capK[j] < 0 {
				return nil, nil, 0, invalid("confirmed bookings overbook departure %s", p.Departures[in.orig[j]].ID)
			}
			fixedCost += s.TEU*in.pT[j] + s.Kg*in.pK[j]
		}
	}
	in.ea = map[eaKey][]int64{}
	// Eligibility is settled here, once per origin, destination and
	// handling need: a pair's list holds only departures that take the
	// need, so every path search, the bound and the repair phases see
	// eligible departures only, and shipments without handling share the
	// very lists they had before handling existed.
	type odKey struct {
		o, d int32
		need Handling
	}
	routes := map[odKey]*odRoutes{}
	for i, s := range p.Shipments {
		if fixed[i] != 0 {
			continue
		}
		sh := ship{idx: i, o: nodeIdx[s.Origin], d: nodeIdx[s.Destination], ready: s.ReadyAt.Unix(), deadline: s.Deadline.Unix(),
			t: s.TEU, k: s.Kg, pen: s.Penalty}
		key := odKey{sh.o, sh.d, s.Handling}
		r := routes[key]
		if r == nil {
			r = in.odRoutes(sh.o, sh.d, s.Handling)
			routes[key] = r
			in.maxList = max(in.maxList, len(r.list))
		}
		sh.r = r
		list := r.list
		sh.lo = int32(sort.Search(len(list), func(i int) bool { return in.dep[list[i].j] >= sh.ready }))
		sh.hi = int32(sort.Search(len(list), func(i int) bool { return in.dep[list[i].j] > sh.deadline }))
		sh.loAll, sh.hiAll = sh.lo, int32(len(list))
		in.ships = append(in.ships, sh)
	}
	return in, fixed, fixedCost, nil
}

// priceLimit is the largest price (or price plus multiplier) whose product
// with any shipment size stays below inf/256, so that a label plus one
// departure's cost never overflows before it is clamped to inf.
func priceLimit(maxT, maxK int64) int64 {
	m := max(maxT, maxK, 1)
	return inf / 256 / m
}

// checkChain verifies that path is a route the shipment could take.
func (in *inst) checkChain(s *Shipment, nodeIdx map[string]int32, path []int32) error {
	at, t := nodeIdx[s.Origin], s.ReadyAt.Unix()
	for i, j := range path {
		if !in.hd[j].Takes(s.Handling) {
			return fmt.Errorf("departure %d does not take the shipment's handling", i+1)
		}
		if in.from[j] != at {
			return fmt.Errorf("departure %d does not leave from where the previous arrived", i+1)
		}
		if i == 0 && in.dep[j] < t {
			return fmt.Errorf("the first departure leaves before ready_at")
		}
		if i > 0 && in.dep[j] < t+in.conn[at] {
			return fmt.Errorf("departure %d leaves before the minimum connection time", i+1)
		}
		at, t = in.to[j], in.arr[j]
	}
	if at != nodeIdx[s.Destination] {
		return fmt.Errorf("the route does not end at the destination")
	}
	if t > s.Deadline.Unix() {
		return fmt.Errorf("the route arrives after the deadline")
	}
	return nil
}

// Solve assigns the shipments. It returns an error only for invalid input;
// a cancelled context gives the best answer found so far.
func Solve(ctx context.Context, p *Problem, opt Options) (Result, error) {
	in, fixed, fixedCost, err := build(p)
	if err != nil {
		return Result{}, err
	}
	iters := opt.Iterations
	if iters <= 0 {
		iters = maxIterations
	}
	target := opt.TargetGap
	if target == 0 {
		target = 0.01
	}
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	S, D := len(in.ships), len(in.dep)
	ws := make([]*work, workers)
	for i := range ws {
		ws[i] = newWork(in)
	}
	lamT, lamK := make([]int64, D), make([]int64, D)
	pt, pk := make([]int64, D), make([]int64, D)
	copy(pt, in.pT)
	copy(pk, in.pK)
	lim := priceLimit(in.maxT, in.maxK)

	// Per-shipment results of the relaxation (uncapacitated shortest path
	// under the current multipliers), used for the bound and the subgradient.
	val := make([]int64, S)
	useT := make([][]int64, workers)
	useK := make([][]int64, workers)
	for i := range useT {
		useT[i], useK[i] = make([]int64, D), make([]int64, D)
	}
	relax := func() {
		var wg sync.WaitGroup
		for wi := 0; wi < workers; wi++ {
			wg.Add(1)
			go func(wi int) {
				defer wg.Done()
				w := ws[wi]
				uT, uK := useT[wi], useK[wi]
				clear(uT)
				clear(uK)
				var buf []int32
				for si := wi; si < S; si += workers {
					s := &in.ships[si]
					if in.cheapest != nil && in.cheapest[si] >= s.pen {
						// No route beat the penalty at λ=0; multipliers
						// only make routes dearer.
						val[si] = s.pen
						continue
					}
					v, end := in.shortest(w, s, pt, pk, nil, nil, s.lo, s.hi, s.deadline)
					if v < s.pen {
						val[si] = v
						buf = w.chain(s, end, buf)
						for _, j := range buf {
							uT[j] += s.t
							uK[j] += s.k
						}
					} else {
						val[si] = s.pen
					}
				}
			}(wi)
		}
		wg.Wait()
	}

	gT, gK := make([]float64, D), make([]float64, D)
	capNT, capNK := make([]float64, D), make([]float64, D)
	for j := 0; j < D; j++ {
		capNT[j], capNK[j] = float64(max(in.capT[j], 1)), float64(max(in.capK[j], 1))
	}
	best := primal{cost: inf}
	var lb int64
	regret := make([]int64, S) // penalty minus cheapest uncapacitated route, at λ=0
	theta, stall := tuneTheta, 0
	res := Result{}
	it := 0
	for ; it < iters; it++ {
		if it > 0 && ctx.Err() != nil {
			res.Stopped = true
			break
		}
		relax()
		// L(λ) = fixed + Σ min(pen, path under price+λ) − Σ λ·capacity.
		l := fixedCost
		for _, v := range val {
			l += v
		}
		for j := 0; j < D; j++ {
			// Each term is at most inf and l stays at least -inf: no overflow.
			l = max(l-mulSat(lamT[j], in.capT[j]), -inf)
			l = max(l-mulSat(lamK[j], in.capK[j]), -inf)
		}
		if l > lb {
			lb, stall = l, 0
		} else {
			stall++
		}
		if it == 0 {
			in.cheapest = slices.Clone(val)
			for si := range in.ships {
				regret[si] = in.ships[si].pen - val[si]
			}
		}
		if primalAt(it) || it == iters-1 {
			cand := in.greedy(ws[0], regret, pt, pk)
			in.improve(ws[0], &cand)
			in.swap(ws[0], &cand)
			in.improve(ws[0], &cand)
			if cand.cost+fixedCost < best.cost {
				cand.cost += fixedCost
				best = cand
			}
		}
		if opt.Progress != nil {
			opt.Progress(it, best.cost, lb)
		}
		if best.cost <= lb || (target > 0 && float64(best.cost-lb) <= target*float64(best.cost)) {
			it++
			break
		}
		if stall >= tuneStall {
			theta /= 2
			stall = 0
		}
		// Projected subgradient step with Polyak's step length, in
		// capacity-normalised coordinates (u = λ·capacity, so that TEU and
		// kg, and large and small departures, weigh alike). (A deflected
		// direction, Camerini–Fratta–Maffioli, was tried on the generated
		// networks and was not better across seeds.)
		var norm float64
		for j := 0; j < D; j++ {
			var uT, uK int64
			for wi := range useT {
				uT += useT[wi][j]
				uK += useK[wi][j]
			}
			g := float64(uT-in.capT[j]) / capNT[j]
			if g <= 0 && lamT[j] == 0 {
				g = 0
			}
			gT[j] = g
			g = float64(uK-in.capK[j]) / capNK[j]
			if g <= 0 && lamK[j] == 0 {
				g = 0
			}
			gK[j] = g
			norm += gT[j]*gT[j] + gK[j]*gK[j]
		}
		if norm == 0 {
			// No capacity binds in the relaxation and no multiplier is
			// left to lower: the bound cannot rise further.
			it++
			break
		}
		step := theta * float64(best.cost-l) / norm
		for j := 0; j < D; j++ {
			lamT[j] = clampLam(float64(lamT[j])+step*gT[j]/capNT[j], lim-in.pT[j])
			lamK[j] = clampLam(float64(lamK[j])+step*gK[j]/capNK[j], lim-in.pK[j])
			pt[j], pk[j] = in.pT[j]+lamT[j], in.pK[j]+lamK[j]
		}
	}
	res.Iterations = it
	if lb < 0 {
		lb = 0
	}
	if lb > best.cost { // cannot happen with exact arithmetic; kept as a guard
		return Result{}, fmt.Errorf("dispatch: internal error: bound %d above cost %d", lb, best.cost)
	}
	res.Cost, res.LowerBound = best.cost, lb

	// The answer in input order, with reasons for the unassigned.
	res.Assignments = make([]Assignment, len(p.Shipments))
	res.Reasons = map[string]Reason{}
	for i, s := range p.Shipments {
		res.Assignments[i].ShipmentID = s.ID
		if fixed[i] != 0 {
			res.Assignments[i].DepartureIDs = p.Confirmed[fixed[i]-1].DepartureIDs
			if len(res.Assignments[i].DepartureIDs) > 0 {
				res.Assigned++
			}
		}
	}
	w := ws[0]
	for si := range in.ships {
		s := &in.ships[si]
		a := &res.Assignments[s.idx]
		if path := best.paths[si]; len(path) > 0 {
			for _, j := range path {
				a.DepartureIDs = append(a.DepartureIDs, p.Departures[in.orig[j]].ID)
			}
			res.Assigned++
			continue
		}
		res.Reasons[a.ShipmentID] = in.explain(w, s)
	}
	return res, nil
}

// mulSat is a*b for a, b ≥ 0, or inf when that is larger.
func mulSat(a, b int64) int64 {
	if a == 0 || b == 0 {
		return 0
	}
	if a > inf/b {
		return inf
	}
	return min(a*b, inf)
}

// Step-size and primal schedule of the subgradient method, chosen on the
// generated corridor network (bench dispatch): the Polyak step starts at
// θ=1 and halves after 8 iterations without a better bound; a primal
// answer is built every 3rd iteration for the first 12, then every 10th.
const (
	tuneTheta = 1.0
	tuneStall = 8
	tuneEvery = 10
	tuneEarly = 12
)

// primalAt says at which iterations a primal answer is built from the
// current multipliers: often early (the bound's steps depend on a good
// upper bound), then every tuneEvery iterations.
func primalAt(it int) bool {
	if it < tuneEarly {
		return it%3 == 0
	}
	return it == 0 || it%tuneEvery == tuneEvery-1
}

func clampLam(v float64, hi int64) int64 {
	if v <= 0 || math.IsNaN(v) {
		return 0
	}
	if v >= float64(hi) {
		return hi
	}
	return int64(math.Round(v))
}

// explain says why s has no route in the answer.
func (in *inst) explain(w *work, s *ship) Reason {
	if _, end := in.shortest(w, s, in.pT, in.pK, nil, nil, s.loAll, s.hiAll, inf); end < 0 {
		return NoRoute
	}
	v, end := in.shortest(w, s, in.pT, in.pK, nil, nil, s.lo, s.hi, s.deadline)
	if end < 0 {
		return NoRouteInTime
	}
	if v >= s.pen {
		return PenaltyCheaper
	}
	return CapacityTaken
}

// primal is a feasible answer: a route (or none) per free shipment.
type primal struct {
	paths      [][]int32
	cost       int64
	resT, resK []int64
}

// greedy routes the shipments one by one, those that lose most per unit of
// size when left behind first, each on its cheapest route under the
// multiplier-adjusted prices among departures with room, and keeps the
// route when its true cost is below the penalty.
func (in *inst) greedy(w *work, regret, pt, pk []int64) primal {
	S := len(in.ships)
	var sumT, sumK int64
	for j := range in.capT {
		sumT += in.capT[j]
		sumK += in.capK[j]
	}
	avgT := float64(max(sumT, 1)) / float64(max(len(in.capT), 1))
	avgK := float64(max(sumK, 1)) / float64(max(len(in.capK), 1))
	key := make([]float64, S)
	order := make([]int, S)
	for i := range in.ships {
		s := &in.ships[i]
		order[i] = i
		key[i] = float64(regret[i]) / (float64(s.t)/avgT + float64(s.k)/avgK)
	}
	sort.SliceStable(order, func(a, b int) bool { return key[order[a]] > key[order[b]] })
	pr := primal{paths: make([][]int32, S), resT: append([]int64(nil), in.capT...), resK: append([]int64(nil), in.capK...)}
	var buf []int32
	for _, si := range order {
		s := &in.ships[si]
		if in.cheapest[si] >= s.pen {
			pr.cost += s.pen // not even its cheapest route beats the penalty
			continue
		}
		_, end := in.shortest(w, s, pt, pk, pr.resT, pr.resK, s.lo, s.hi, s.deadline)
		if end < 0 {
			pr.cost += s.pen
			continue
		}
		buf = w.chain(s, end, buf)
		c := in.trueCost(s, buf)
		if c >= s.pen {
			pr.cost += s.pen
			continue
		}
		pr.take(s, si, append([]int32(nil), buf...), c)
	}
	return pr
}

func (pr *primal) take(s *ship, si int, path []int32, c int64) {
	pr.paths[si] = path
	pr.cost += c
	for _, j := range path {
		pr.resT[j] -= s.t
		pr.resK[j] -= s.k
	}
}

func (pr *primal) release(s *ship, si int, c int64) {
	for _, j := range pr.paths[si] {
		pr.resT[j] += s.t
		pr.resK[j] += s.k
	}
	pr.paths[si] = nil
	pr.cost -= c
}

// improve makes passes over the answer at the true prices: each routed
// shipment is moved to its cheapest route with room if that is cheaper,
// and each unrouted one is routed if a route with room now beats its
// penalty. Every move lowers the cost, so it stops.
func (in *inst) improve(w *work, pr *primal) {
	var buf []int32
	for pass := 0; pass < 2; pass++ {
		moved := false
		for si := range in.ships {
			s := &in.ships[si]
			old := pr.paths[si]
			cur := s.pen
			if old != nil {
				cur = in.trueCost(s, old)
			}
			if cur <= in.cheapest[si] {
				continue // nothing cheaper exists, whatever the others do
			}
			if old != nil {
				pr.release(s, si, cur)
			} else {
				pr.cost -= s.pen
			}
			v, end := in.shortest(w, s, in.pT, in.pK, pr.resT, pr.resK, s.lo, s.hi, s.deadline)
			switch {
			case end >= 0 && v < cur:
				buf = w.chain(s, end, buf)
				pr.take(s, si, append([]int32(nil), buf...), v)
				moved = true
			case old != nil:
				pr.take(s, si, old, cur)
			default:
				pr.cost += s.pen
			}
		}
		if !moved {
			break
		}
	}
}

// earliest computes, once per destination and handling need, the
// earliest arrival at d after boarding each departure (inf when d cannot
// be reached from it, or the departure does not take the need).
func (in *inst) earliest(d int32, need Handling) []int64 {
	key := eaKey{d, need}
	if ea := in.ea[key]; ea != nil {
		return ea
	}
	D := len(in.dep)
	ea := make([]int64, D)
	type entry struct{ dep, min int64 }
	byNode := make([][]entry, in.nn) // appended in descending departure time, with running minimum
	for j := D - 1; j >= 0; j-- {
		v := inf
		if !in.hd[j].Takes(need) {
			ea[j] = inf // neither boarded nor a place to change
			continue
		}
		if in.to[j] == d {
			v = in.arr[j]
		} else {
			l := byNode[in.to[j]]
			thr := in.arr[j] + in.conn[in.to[j]]
			k := sort.Search(len(l), func(i int) bool { return l[i].dep < thr })
			if k > 0 {
				v = l[k-1].min
			}
		}
		ea[j] = v
		n := in.from[j]
		m := v
		if l := byNode[n]; len(l) > 0 && l[len(l)-1].min < m {
			m = l[len(l)-1].min
		}
		byNode[n] = append(byNode[n], entry{in.dep[j], m})
	}
	in.ea[key] = ea
	return ea
}

// odRoutes lays out the departures an origin–destination pair can use
// for a shipment needing need: only those that take it.
func (in *inst) odRoutes(o, d int32, need Handling) *odRoutes {
	ea := in.earliest(d, need)
	// Nodes reachable from the origin at all (time aside).
	reach := make([]bool, in.nn)
	reach[o] = true
	for changed := true; changed; {
		changed = false
		for j := range in.dep {
			if reach[in.from[j]] && !reach[in.to[j]] && ea[j] < inf {
				reach[in.to[j]] = true
				changed = true
			}
		}
	}
	r := &odRoutes{arrPos: make([][]int32, in.nn), arrAvail: make([][]int64, in.nn)}
	for j := range in.dep {
		if ea[j] < inf && reach[in.from[j]] {
			r.list = append(r.list, odEntry{j: int32(j), from: in.from[j], dest: in.to[j] == d, ea: ea[j]})
		}
	}
	for q, e := range r.list {
		n := in.to[e.j]
		r.arrPos[n] = append(r.arrPos[n], int32(q))
	}
	for n, l := range r.arrPos {
		sort.SliceStable(l, func(a, b int) bool { return in.arr[r.list[l[a]].j] < in.arr[r.list[l[b]].j] })
		r.arrAvail[n] = make([]int64, len(l))
		for i, q := range l {
			r.arrAvail[n][i] = in.arr[r.list[q].j] + in.conn[n]
		}
	}
	for q := range r.list {
		e := &r.list[q]
		av := r.arrAvail[e.from]
		t := in.dep[e.j]
		e.feed = int32(sort.Search(len(av), func(i int) bool { return av[i] > t }))
	}
	return r
}

// swap tries, for each shipment left behind although a route cheaper than
// its penalty exists, to make room by moving one shipment off the first
// full departure of that route: the newcomer takes a route with room, the
// one moved takes another route with room or is left behind, and the
// exchange is kept only when the total cost falls.
func (in *inst) swap(w *work, pr *primal) {
	users := map[int32][]int{}
	for si, path := range pr.paths {
		for _, j := range path {
			users[j] = append(users[j], si)
		}
	}
	var buf []int32
	for ui := range in.ships {
		u := &in.ships[ui]
		if pr.paths[ui] != nil {
			continue
		}
		v0, end := in.shortest(w, u, in.pT, in.pK, nil, nil, u.lo, u.hi, u.deadline)
		if end < 0 || v0 >= u.pen {
			continue
		}
		blocked := int32(-1)
		for _, j := range w.chain(u, end, buf) {
			if pr.resT[j] < u.t || pr.resK[j] < u.k {
				blocked = j
				break
			}
		}
		if blocked < 0 {
			continue
		}
		for _, vi := range users[blocked] {
			if vi == ui || !slices.Contains(pr.paths[vi], blocked) {
				continue
			}
			if in.tryExchange(w, pr, ui, vi) {
				break
			}
		}
	}
}

// tryExchange moves vi off its route to let ui in, keeping the change
// only if it lowers the cost.
func (in *inst) tryExchange(w *work, pr *primal, ui, vi int) bool {
	u, v := &in.ships[ui], &in.ships[vi]
	oldV := pr.paths[vi]
	cv := in.trueCost(v, oldV)
	pr.release(v, vi, cv)
	cu, endU := in.shortest(w, u, in.pT, in.pK, pr.resT, pr.resK, u.lo, u.hi, u.deadline)
	if endU < 0 || cu >= u.pen {
		pr.take(v, vi, oldV, cv)
		return false
	}
	pathU := slices.Clone(w.chain(u, endU, nil))
	pr.take(u, ui, pathU, cu)
	c, endV := in.shortest(w, v, in.pT, in.pK, pr.resT, pr.resK, v.lo, v.hi, v.deadline)
	cv2 := v.pen
	var pathV []int32
	if endV >= 0 && c < v.pen {
		cv2, pathV = c, slices.Clone(w.chain(v, endV, nil))
	}
	if cu-u.pen+cv2-cv >= 0 {
		pr.release(u, ui, cu)
		pr.take(v, vi, oldV, cv)
		return false
	}
	pr.cost -= u.pen // u no longer pays its penalty
	if pathV == nil {
		pr.cost += v.pen
		return true
	}
	pr.take(v, vi, pathV, cv2)
	return true
}
