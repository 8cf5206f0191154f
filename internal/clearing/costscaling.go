package clearing

import (
	"math"
	"math/bits"
)

// Tuning constants, chosen by measurement on the generated 41k-firm /
// 285k-obligation networks (see bench_test.go).
const (
	// firstLg: the first refine runs at ε = C/2^firstLg. With unit costs a
	// flow that is (1/64)-optimal is almost always already optimal, so one
	// refine usually suffices; coarser starts needed a second refine on the
	// random shape, finer ones only cost more relabels.
	firstLg = 6
	// stepLg: ε shrinks by 2^stepLg per further refine (Goldberg's α=16).
	stepLg = 4
	// pathLen: arcs walked per partial augment.
	pathLen = 3
	// updateEvery: a global price update after updateEvery*k relabels.
	updateEvery = 1.0
)

// Arc flags, one byte per arc, so that the scans (price updates, relabels,
// admissible-arc search) read 5 bytes per arc instead of the capacities and
// never touch the paired arc.
const (
	fRes    uint8 = 1 // rcap[e] > 0
	fRevRes uint8 = 2 // rcap[rev[e]] > 0
	fFwd    uint8 = 4 // arc in the debt direction (cost +1); else cost -1
)

// csNode packs the per-node fields that the arc scans read, 16 bytes so
// that the whole array of a 41k-firm network stays in a core's L2 cache.
// Excess lives apart: scans only need it for the node being processed.
type csNode struct {
	p     int64 // price; reduced cost of e=(v,w): cost*scale + p(v) - p(w)
	dist  int32 // price update: tentative distance, clamped (see priceUpdate)
	stamp int32 // price update: == sp tentative, == -sp settled
}

// csNet is the residual graph of "route every firm's net position through
// firm-to-firm arcs of cost 1 per unit of remaining debt" in CSR form,
// solved by Goldberg-Tarjan cost scaling (push-relabel on a pseudoflow with
// ε-optimal prices).
//
// All per-arc data lives in a few flat slices; the paired arc of e is
// rev[e]. Firm arc u->v has cost +1 (keeping a unit of debt), its reverse
// cost -1 (clearing it again).
type csNet struct {
	k      int32 // nodes
	scale  int64 // a unit cost in price units: k+1, so 1-optimal is optimal
	first  []int32
	head   []int32
	rev    []int32
	rcap   []int64
	flag   []uint8
	fwd    []int32 // pooled arc -> index of its forward arc
	nd     []csNode
	excess []int64
	cur    []int32 // current arc per node
	queue  []int32 // FIFO ring of active nodes (excess > 0)
	inQ    []bool
	qh     int
	qn     int
	path   []int32

	// Global price update scratch.
	stamp   int32
	settled []int32
	heap    radixHeap

	relabelsSinceUpdate int
	st                  *Stats
}

func newCSNet(k int, tail, head []int32, cap []int64) *csNet {
	deg := make([]int32, k+1)
	excess := make([]int64, k)
	for a := range cap {
		deg[tail[a]+1]++
		deg[head[a]+1]++
		// Starting from "nothing remains owed", a net debtor still has to
		// send its net debit through the network.
		excess[tail[a]] += cap[a]
		excess[head[a]] -= cap[a]
	}
	for v := 0; v < k; v++ {
		deg[v+1] += deg[v]
	}
	na := deg[k]
	g := &csNet{
		k:      int32(k),
		scale:  int64(k) + 1,
		first:  deg,
		head:   make([]int32, na),
		rev:    make([]int32, na),
		rcap:   make([]int64, na),
		flag:   make([]uint8, na),
		fwd:    make([]int32, len(cap)),
		nd:     make([]csNode, k),
		excess: excess,
		cur:    make([]int32, k),
		queue:  make([]int32, k),
		inQ:    make([]bool, k),
	}
	pos := make([]int32, k)
	copy(pos, deg[:k])
	for a := range cap {
		u, v := tail[a], head[a]
		i, j := pos[u], pos[v]
		pos[u]++
		pos[v]++
		g.head[i], g.head[j] = v, u
		g.rev[i], g.rev[j] = j, i
		g.rcap[i] = cap[a]
		g.flag[i], g.flag[j] = fFwd|fRes, fRevRes
		g.fwd[a] = i
	}
	return g
}

// costs returns the scaled arc cost indexed by (flag>>2)&1.
func (g *csNet) costs() [2]int64 { return [2]int64{-g.scale, g.scale} }

// pushArc moves d units along e, keeping the flags in step.
func (g *csNet) pushArc(e int32, d int64) {
	r := g.rev[e]
	g.rcap[e] -= d
	if g.rcap[e] == 0 {
		g.flag[e] &^= fRes
		g.flag[r] &^= fRevRes
	}
	g.rcap[r] += d
	g.flag[r] |= fRes
	g.flag[e] |= fRevRes
}

// run computes an optimal flow and returns exact integer potentials.
//
// Costs are scaled by C = k+1 so that an ε=1-optimal flow is optimal (every
// cycle has fewer than C arcs). ε starts at C/64 rather than C: with unit
// costs the coarse refines buy nothing. After each refine the scaled prices
// are rounded to unit potentials (exactPotentials); if that rounding proves
// optimality the remaining refines are skipped, which is the common case.
func (g *csNet) run(st *Stats) ([]int64, error) {
	g.st = st
	for v := range g.nd {
		if x := g.excess[v]; x > 0 {
			st.Supply += x
		}
	}
	// ε is a power of two so ε-rounded lengths are shifts, not divisions.
	lg := max(bits.Len64(uint64(g.scale))-1-firstLg, 0)
	for {
		g.refine(uint(lg))
		st.Refines++
		if q := g.exactPotentials(); q != nil {
			return q, nil
		}
		if lg == 0 {
			return nil, ErrInconsistency // 1-optimal always rounds exactly
		}
		lg = max(lg-stepLg, 0)
	}
}

func (g *csNet) enqueue(v int32) {
	if g.inQ[v] {
		return
	}
	g.inQ[v] = true
	i := g.qh + g.qn
	if i >= len(g.queue) {
		i -= len(g.queue)
	}
	g.queue[i] = v
	g.qn++
}

func (g *csNet) dequeue() int32 {
	v := g.queue[g.qh]
	g.qh++
	if g.qh == len(g.queue) {
		g.qh = 0
	}
	g.qn--
	g.inQ[v] = false
	return v
}

// refine turns a pseudoflow into an ε-optimal flow (ε = 2^lg): saturate
// every arc whose reduced cost is negative, then move the resulting
// excesses along admissible arcs (reduced cost < 0), relabelling when stuck.
func (g *csNet) refine(lg uint) {
	first, head, rcap, flag, nd, ex := g.first, g.head, g.rcap, g.flag, g.nd, g.excess
	ct := g.costs()
	for v := int32(0); v < g.k; v++ {
		pv := nd[v].p
		for e := first[v]; e < first[v+1]; e++ {
			f := flag[e]
			if f&fRes != 0 && ct[(f>>2)&1]+pv < nd[head[e]].p {
				c := rcap[e]
				ex[v] -= c
				ex[head[e]] += c
				g.pushArc(e, c)
			}
		}
	}
	g.qh, g.qn = 0, 0
	for v := int32(0); v < g.k; v++ {
		g.cur[v] = first[v]
		g.inQ[v] = false
		if ex[v] > 0 {
			g.enqueue(v)
		}
	}
	eps := int64(1) << lg
	g.priceUpdate(lg)
	limit := int(float64(g.k) * updateEvery)
	for g.qn > 0 {
		g.augmentFrom(g.dequeue(), eps)
		if g.relabelsSinceUpdate > limit && g.qn > 0 {
			g.priceUpdate(lg)
		}
	}
}

// augmentFrom is the partial augment-relabel discharge: it walks admissible
// arcs from s (depth-first along current arcs) until it meets a deficit or
// has gone pathLen arcs, then moves as much excess as possible along the
// whole path at once, so excess travels several arcs per queue visit
// instead of bouncing one arc at a time. Dead-end tips are relabelled and
// the walk backs up. The admissible graph stays acyclic, so s never
// reappears on its own path.
//
// Current arcs are sound because arcs before cur[v] cannot become
// admissible without a relabel of v: prices only fall, and flow only enters
// v along arcs whose reverse has positive reduced cost.
func (g *csNet) augmentFrom(s int32, eps int64) {
	first, head, rcap, flag, nd, ex, cur := g.first, g.head, g.rcap, g.flag, g.nd, g.excess, g.cur
	ct := g.costs()
	path := g.path[:0]
	for ex[s] > 0 {
		tip := s
		if len(path) > 0 {
			tip = head[path[len(path)-1]]
		}
		pt := nd[tip].p
		e, end := cur[tip], first[tip+1]
		e0 := e
		// While looking for an admissible arc, also track the cheapest
		// residual arc so a failed search leaves little for relabel.
		best := int64(math.MaxInt64)
		for ; e < end; e++ {
			f := flag[e]
			if f&fRes == 0 {
				continue
			}
			x := ct[(f>>2)&1] - nd[head[e]].p
			if x+pt < 0 {
				break
			}
			best = min(best, x)
		}
		if e == end {
			g.relabelFrom(tip, eps, best, e0)
			if len(path) > 0 {
				path = path[:len(path)-1]
			}
			continue
		}
		cur[tip] = e
		path = append(path, e)
		if len(path) < pathLen && ex[head[e]] >= 0 {
			continue
		}
		u := s
		for _, a := range path {
			v := head[a]
			d := min(rcap[a], ex[u])
			if d == 0 {
				break
			}
			ex[u] -= d
			if ex[v] <= 0 && ex[v]+d > 0 {
				g.enqueue(v)
			}
			ex[v] += d
			g.pushArc(a, d)
			g.st.Pushes++
			u = v
		}
		path = path[:0]
	}
	g.path = path
}

// relabelFrom lowers v's price just enough that its cheapest residual arc
// becomes admissible with reduced cost exactly -ε. The caller has already
// scanned the arcs from upto to the end (min of cost - p(w) over the
// residual ones is best), so only the prefix is rescanned.
func (g *csNet) relabelFrom(v int32, eps int64, best int64, upto int32) {
	first, head, flag, nd := g.first, g.head, g.flag, g.nd
	ct := g.costs()
	for e := first[v]; e < upto; e++ {
		f := flag[e]
		if f&fRes != 0 {
			best = min(best, ct[(f>>2)&1]-nd[head[e]].p)
		}
	}
	g.cur[v] = first[v]
	g.st.Relabels++
	g.relabelsSinceUpdate++
	if best == math.MaxInt64 {
		// No residual arc at all: the node can pass nothing on; lowering
		// its price by ε makes every arc into it inadmissible.
		nd[v].p -= eps
		return
	}
	nd[v].p = -best - eps
}

// priceUpdate is Goldberg's global price update: a backward Dijkstra from
// deficit nodes assigns every node the cheapest ε-rounded distance to a
// deficit (arc length floor(rc/ε)+1, 0 for admissible arcs) and lowers
// prices accordingly, so each active node gets an admissible path towards a
// deficit. It stops once all active nodes are reached; unreached nodes keep
// their prices (a uniform shift), so the work is proportional to the region
// explored. Distances can be huge multiples of ε late in the scaling, hence
// a radix heap rather than Dial's buckets.
func (g *csNet) priceUpdate(lg uint) {
	g.relabelsSinceUpdate = 0
	g.st.PriceUpdates++
	g.stamp++
	sp := g.stamp
	first, head, flag, nd, ex := g.first, g.head, g.flag, g.nd, g.excess
	ct := g.costs()
	h := &g.heap
	h.reset()
	active := 0
	for v := int32(0); v < g.k; v++ {
		switch {
		case ex[v] < 0:
			nd[v].dist, nd[v].stamp = 0, sp
			h.push(0, v)
		case ex[v] > 0:
			active++
		}
	}
	if active == 0 {
		return
	}
	// Distances are clamped at maxDist: min(d, L) still satisfies every
	// constraint d(u) <= d(v) + len(u,v) that d does, so clamped prices
	// stay ε-optimal, and int32 distances halve the node record.
	const maxDist = math.MaxInt32 - 1
	settled := g.settled[:0]
	stop := int64(-1)
	for h.size > 0 {
		b, v := h.pop()
		if int64(nd[v].dist) != b || nd[v].stamp != sp {
			continue
		}
		nd[v].stamp = -sp
		settled = append(settled, v)
		if ex[v] > 0 {
			active--
			if active == 0 {
				stop = b
				break
			}
		}
		pv := nd[v].p
		for e := first[v]; e < first[v+1]; e++ {
			// Residual arc u->v is the reverse of e = v->u.
			f := flag[e]
			if f&fRevRes == 0 {
				continue
			}
			u := head[e]
			nu := &nd[u]
			if nu.stamp == -sp {
				continue
			}
			// reduced cost of u->v is minus that of v->u
			rc := nu.p - pv - ct[(f>>2)&1]
			d := b
			if rc >= 0 {
				d = min(d+rc>>lg+1, maxDist)
			}
			if nu.stamp == sp && d >= int64(nu.dist) {
				continue
			}
			nu.dist, nu.stamp = int32(d), sp
			h.push(d, u)
		}
	}
	if stop < 0 { // cannot happen for a feasible problem; stay valid anyway
		for _, v := range settled {
			stop = max(stop, int64(nd[v].dist))
		}
	}
	for _, v := range settled {
		nd[v].p += (stop - int64(nd[v].dist)) << lg
		g.cur[v] = first[v]
	}
	g.settled = settled
}

// radixHeap is a monotone priority queue for Dijkstra with int64 keys: each
// item moves between at most 64 buckets, and the buckets are reused across
// calls so steady-state updates allocate nothing.
type radixHeap struct {
	last int64
	size int
	b    [65][]rhItem
}

type rhItem struct {
	key int64
	v   int32
}

func (h *radixHeap) reset() {
	for i := range h.b {
		h.b[i] = h.b[i][:0]
	}
	h.last, h.size = 0, 0
}

func (h *radixHeap) push(key int64, v int32) {
	i := bits.Len64(uint64(key ^ h.last))
	h.b[i] = append(h.b[i], rhItem{key, v})
	h.size++
}

func (h *radixHeap) pop() (int64, int32) {
	if len(h.b[0]) == 0 {
		i := 1
		for len(h.b[i]) == 0 {
			i++
		}
		items := h.b[i]
		mn := items[0].key
		for _, it := range items[1:] {
			if it.key < mn {
				mn = it.key
			}
		}
		h.last = mn
		for _, it := range items {
			j := bits.Len64(uint64(it.key ^ mn))
			h.b[j] = append(h.b[j], it)
		}
		h.b[i] = items[:0]
	}
	n := len(h.b[0]) - 1
	it := h.b[0][n]
	h.b[0] = h.b[0][:n]
	h.size--
	return it.key, it.v
}

// remaining writes, per pooled arc, the debt left on it: the flow on its
// forward arc, which sits as residual capacity on the paired reverse arc.
func (g *csNet) remaining(out []int64) {
	for a, i := range g.fwd {
		out[a] = g.rcap[g.rev[i]]
	}
}

// exactPotentials tries to turn the scaled ε-optimal prices into integer
// unit-cost potentials q with cost + q(u) - q(v) >= 0 on every residual
// arc, which proves the current flow optimal. It returns nil if no rounding
// offset achieves that (the flow may still be suboptimal).
//
// Write q = floor((p - θ)/C). An arc u->v with scaled reduced cost
// rc = C*c + p(u) - p(v) >= 0 is always fine; one with rc in (-C, 0) gets
// unit reduced cost -1 exactly when θ lies in [p(u)+1, p(u)+|rc|] (mod C),
// and one with rc <= -C always does. A difference array over the C
// residues finds a θ that no interval covers, if any. After a refine at
// ε = 1 every interval has length 1 and there are at most k of them among
// k+1 residues, so a free θ always exists: that is why C = k+1.
func (g *csNet) exactPotentials() []int64 {
	first, head, flag, nd := g.first, g.head, g.flag, g.nd
	C := g.scale
	ct := g.costs()
	diff := make([]int32, C+1)
	for u := int32(0); u < g.k; u++ {
		pu := nd[u].p
		for e := first[u]; e < first[u+1]; e++ {
			f := flag[e]
			if f&fRes == 0 {
				continue
			}
			rc := ct[(f>>2)&1] + pu - nd[head[e]].p
			if rc >= 0 {
				continue
			}
			if rc <= -C {
				return nil
			}
			lo := floorMod(pu+1, C)
			hi := lo - rc // exclusive
			diff[lo]++
			if hi <= C {
				diff[hi]--
			} else {
				diff[C]--
				diff[0]++
				diff[hi-C]--
			}
		}
	}
	theta, run := int64(-1), int32(0)
	for r := int64(0); r < C; r++ {
		run += diff[r]
		if run == 0 {
			theta = r
			break
		}
	}
	if theta < 0 {
		return nil
	}
	q := make([]int64, g.k)
	for v := range q {
		q[v] = floorDiv(nd[v].p-theta, C)
	}
	return q
}

func floorMod(a, b int64) int64 {
	m := a % b
	if m < 0 {
		m += b
	}
	return m
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}
