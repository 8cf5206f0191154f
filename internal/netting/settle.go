package netting

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"bricstown/internal/problem"
)

// Settle nets the cycle and, when some participant cannot fund its net
// debit in some currency, defers just enough instructions for the rest of
// the cycle to settle instead of failing everyone (algorithm in the package
// doc). The Result is always feasible: every participant position is at
// least -(Available + CreditLine). Settle is a pure function of its input
// as a set: permuting ins does not change the Result.
func Settle(cfg Config, ins []Instruction) (*Result, error) {
	s, err := newNetState(&cfg)
	if err != nil {
		return nil, err
	}
	capacity, err := capacities(&cfg)
	if err != nil {
		return nil, err
	}
	if err := s.add(ins); err != nil {
		return nil, err
	}

	var deferred []Deferral
	var short []int32
	for k := range capacity {
		if s.shortfall(k, capacity[k]) > 0 {
			short = append(short, int32(k))
		}
	}
	if len(short) > 0 {
		g := newGridlock(s, ins, capacity, short)
		if err := g.resolve(); err != nil {
			return nil, err
		}
		g.readmit()
		deferred = g.deferrals()
	}

	r, err := s.finalize()
	if err != nil {
		return nil, err
	}
	r.Deferred = deferred
	r.Settled = len(ins) - len(deferred)
	return r, nil
}

// Shortfalls is the liquidity check on its own: the (participant, currency)
// cells of r whose net debit exceeds balance plus credit line, in cell
// order. Use it on a Net result to see why a cycle would need deferrals;
// on a Settle result it is always empty.
func Shortfalls(cfg Config, r *Result) ([]Shortfall, error) {
	if err := validateConfig(&cfg); err != nil {
		return nil, err
	}
	if r.Participants != cfg.Participants || r.Currencies != cfg.Currencies {
		return nil, invalidField("result", "result is %dx%d, config %dx%d",
			r.Participants, r.Currencies, cfg.Participants, cfg.Currencies)
	}
	capacity, err := capacities(&cfg)
	if err != nil {
		return nil, err
	}
	var out []Shortfall
	for k, pos := range r.Position {
		// -pos cannot overflow: positions are differences of non-negative
		// int64, so pos >= -MaxInt64.
		if need := -pos; need > capacity[k] {
			out = append(out, Shortfall{
				Participant: int32(k / cfg.Currencies), Currency: int32(k % cfg.Currencies),
				Amount: need - capacity[k],
			})
		}
	}
	return out, nil
}

// capacities is Available + CreditLine per cell, saturating: a capacity
// beyond int64 cannot be exhausted by int64 debits anyway.
func capacities(cfg *Config) ([]int64, error) {
	cells := cfg.Participants * cfg.Currencies
	if len(cfg.Available) != cells {
		return nil, invalidField("available", "need %d entries (participants*currencies), got %d",
			cells, len(cfg.Available))
	}
	if cfg.CreditLine != nil && len(cfg.CreditLine) != cells {
		return nil, invalidField("credit_line", "need %d entries or none, got %d",
			cells, len(cfg.CreditLine))
	}
	out := make([]int64, cells)
	for k, a := range cfg.Available {
		if a < 0 {
			return nil, invalidField(fmt.Sprintf("available[%d]", k), "must not be negative, got %d", a)
		}
		out[k] = a
	}
	for k, l := range cfg.CreditLine {
		if l < 0 {
			return nil, invalidField(fmt.Sprintf("credit_line[%d]", k), "must not be negative, got %d", l)
		}
		out[k] = satAddNonNeg(out[k], l)
	}
	return out, nil
}

// shortfall is how far cell k's net debit exceeds capacity, or 0.
func (s *netState) shortfall(k int, capacity int64) int64 {
	x := s.debit[k] - s.credit[k] // no overflow: both non-negative
	if x <= capacity {
		return 0
	}
	return x - capacity
}

// headroom is how much more cell k could pay without a shortfall.
func (s *netState) headroom(k int, capacity int64) int64 {
	y := s.credit[k] - s.debit[k]
	if y >= 0 {
		return satAddNonNeg(capacity, y)
	}
	return capacity + y
}

// remove takes an instruction out of the accumulators. Amounts removed
// were added before, so every accumulator stays within [0, MaxInt64].
func (s *netState) remove(in *Instruction) {
	k := s.payeeCredit(in)
	s.debit[int(in.Payer)*s.c+int(in.Currency)] -= in.Amount
	s.credit[int(in.Payee)*s.c+int(in.PayeeCurrency)] -= k
	if in.Currency != in.PayeeCurrency {
		pr := int(in.Currency)*s.c + int(in.PayeeCurrency)
		s.pairG[pr] -= in.Amount
		s.pairK[pr] -= k
	}
}

// restore puts a removed instruction back; the sums return to values they
// held before, so they cannot overflow.
func (s *netState) restore(in *Instruction) {
	k := s.payeeCredit(in)
	s.debit[int(in.Payer)*s.c+int(in.Currency)] += in.Amount
	s.credit[int(in.Payee)*s.c+int(in.PayeeCurrency)] += k
	if in.Currency != in.PayeeCurrency {
		pr := int(in.Currency)*s.c + int(in.PayeeCurrency)
		s.pairG[pr] += in.Amount
		s.pairK[pr] += k
	}
}

// gridlock holds the state of one resolution. Outgoing instructions are
// grouped by payer cell (payer*C + currency) in a CSR layout: order holds
// instruction indices, cell k's run is order[start[k]:start[k+1]], sorted by
// (Priority, ID) the first time the cell is picked.
type gridlock struct {
	s        *netState
	ins      []Instruction
	capacity []int64

	start  []int32
	order  []int32
	sorted []bool

	// prev is a union-find "nearest active position at or before i" over
	// CSR positions, so scanning a cell from its low-priority end skips
	// already deferred instructions in amortised constant time.
	prev []int32

	// stepAt[pos] is 0 while the instruction at CSR position pos settles,
	// otherwise the pick that deferred it; picks[step-1] records the pick.
	// Keeping the reason per pick rather than per instruction keeps the
	// bookkeeping at four bytes per instruction.
	stepAt []int32
	picks  []pick

	wasShort     []bool // cell was short in the full netting
	touched      []bool // cell has had a deferral
	touchedCells []int32
	heap         cellHeap
	chosen       []int32
	taken        []int64 // per payee cell: credit this pick already took from its headroom
	takenAt      []int32 // per payee cell: the stamp taken[] belongs to
	stamp        int32   // one per choose call
	sortBuf      []sortKey
	outstanding  int
}

// sortKey orders a cell's instructions: Priority, then ID. IDs and
// instruction indices are below 2^31, so (ID, index) packs into one word.
type sortKey struct {
	prio  int64
	idIdx uint64
}

// pick is one iteration of the deferral phase; the Reason is derived from
// it only for instructions that stay deferred.
type pick struct {
	cell      int32
	shortfall int64
}

func (g *gridlock) reason(step int32) Reason {
	p, c := g.picks[step-1], int32(g.s.c)
	code := ReasonCascade
	if g.wasShort[p.cell] {
		code = ReasonShortfall
	}
	return Reason{Code: code, Participant: p.cell / c, Currency: p.cell % c, Shortfall: p.shortfall, Step: int(step)}
}

func newGridlock(s *netState, ins []Instruction, capacity []int64, short []int32) *gridlock {
	cells := s.p * s.c
	n := len(ins)
	idx := make([]int32, 3*n) // order, prev, stepAt in one allocation
	flags := make([]bool, 3*cells)
	g := &gridlock{
		s: s, ins: ins, capacity: capacity,
		start:    make([]int32, cells+1),
		order:    idx[:n:n],
		prev:     idx[n : 2*n : 2*n],
		stepAt:   idx[2*n:],
		sorted:   flags[:cells:cells],
		wasShort: flags[cells : 2*cells : 2*cells],
		touched:  flags[2*cells:],
		heap:     newCellHeap(cells),
		taken:    make([]int64, cells),
		takenAt:  make([]int32, cells),
	}
	c := s.c
	for i := range ins {
		g.start[int(ins[i].Payer)*c+int(ins[i].Currency)+1]++
	}
	for k := 1; k <= cells; k++ {
		g.start[k] += g.start[k-1]
	}
	next := slices.Clone(g.start[:cells])
	for i := range ins {
		k := int(ins[i].Payer)*c + int(ins[i].Currency)
		g.order[next[k]] = int32(i)
		next[k]++
	}
	for i := range g.prev {
		g.prev[i] = int32(i)
	}
	for _, k := range short {
		g.wasShort[k] = true
		g.heap.set(int(k), s.shortfall(int(k), capacity[k]))
	}
	return g
}

func (g *gridlock) ensureSorted(k int) {
	if g.sorted[k] {
		return
	}
	g.sorted[k] = true
	run := g.order[g.start[k]:g.start[k+1]]
	// Sort copies of the keys rather than indices into ins: the comparator
	// then reads 16 contiguous bytes instead of two random instructions.
	keys := g.sortBuf[:0]
	for _, i := range run {
		keys = append(keys, sortKey{g.ins[i].Priority, uint64(g.ins[i].ID)<<32 | uint64(i)})
	}
	slices.SortFunc(keys, func(a, b sortKey) int {
		if c := cmp.Compare(a.prio, b.prio); c != 0 {
			return c
		}
		return cmp.Compare(a.idIdx, b.idIdx)
	})
	for j, kk := range keys {
		run[j] = int32(uint32(kk.idIdx))
	}
	g.sortBuf = keys
}

// find returns the nearest active CSR position <= i, or -1.
func (g *gridlock) find(i int32) int32 {
	r := i
	for r >= 0 && g.prev[r] != r {
		r = g.prev[r]
	}
	for i >= 0 && g.prev[i] != i { // path compression
		next := g.prev[i]
		g.prev[i] = r
		i = next
	}
	return r
}

// resolve is the deferral phase, in two rounds. The first covers each
// initially short cell, largest shortfall first, as far as possible with
// deferrals whose payee can absorb the lost credit: they fix the payer and
// hurt nobody, so this round cascades nowhere and scans each queue at most
// once. The second round resolves what is left, and every cascade, with
// plain lowest-priority-first deferrals (see choose).
func (g *gridlock) resolve() error {
	var rest []int32
	for g.heap.len() > 0 {
		k, sf := g.heap.pop()
		if err := g.deferFrom(k, sf, true); err != nil {
			return err
		}
		if g.s.shortfall(k, g.capacity[k]) > 0 {
			rest = append(rest, int32(k))
		}
	}
	for _, k := range rest {
		g.heap.set(int(k), g.s.shortfall(int(k), g.capacity[k]))
	}
	for g.heap.len() > 0 {
		k, sf := g.heap.pop()
		if err := g.deferFrom(k, sf, false); err != nil {
			return err
		}
	}
	return nil
}

// deferFrom defers what choose selects from cell k and records the pick
// when it deferred anything.
func (g *gridlock) deferFrom(k int, sf int64, absorbedOnly bool) error {
	c := g.s.c
	g.ensureSorted(k)
	g.stamp++
	chosen, err := g.choose(k, sf, absorbedOnly)
	if err != nil {
		return err
	}
	var step int32
	for _, j := range chosen {
		if j < 0 {
			continue
		}
		if step == 0 {
			g.picks = append(g.picks, pick{cell: int32(k), shortfall: sf})
			step = int32(len(g.picks))
			if !g.touched[k] {
				g.touched[k] = true
				g.touchedCells = append(g.touchedCells, int32(k))
			}
		}
		g.prev[j] = j - 1
		g.stepAt[j] = step
		g.outstanding++
		in := &g.ins[g.order[j]]
		g.s.remove(in)
		q := int(in.Payee)*c + int(in.PayeeCurrency)
		g.heap.set(q, g.s.shortfall(q, g.capacity[q]))
	}
	return nil
}

// choose picks which active outgoing instructions of cell k to defer
// against shortfall sf; the returned CSR positions are in priority order,
// with -1 for entries put back.
//
// Plain: walking from the low-priority end, take the shortest run whose
// amounts reach sf.
//
// absorbedOnly: walking the whole queue from the low-priority end, take
// only instructions whose payee cell's headroom (less what this pick
// already took from it) covers their credit, until they reach sf. They may
// not reach it; the second round then finishes the cell.
//
// Either way, every taken instruction that sf does not need is then put
// back, highest priority first, so what stays deferred is just enough.
func (g *gridlock) choose(k int, sf int64, absorbedOnly bool) ([]int32, error) {
	s := g.s
	lo := g.start[k]
	chosen := g.chosen[:0]
	var sum int64 // <= debit[k]: cannot overflow
	for j := g.find(g.start[k+1] - 1); j >= lo && sum < sf; j = g.find(j - 1) {
		in := &g.ins[g.order[j]]
		if absorbedOnly {
			q := int(in.Payee)*s.c + int(in.PayeeCurrency)
			if g.takenAt[q] != g.stamp {
				g.takenAt[q], g.taken[q] = g.stamp, 0
			}
			// headroom - taken cannot overflow: taken only grows while it
			// stays within a non-negative headroom.
			cr := s.payeeCredit(in)
			if cr != 0 && cr > s.headroom(q, g.capacity[q])-g.taken[q] {
				continue
			}
			g.taken[q] += cr
		}
		chosen = append(chosen, j)
		sum += in.Amount
	}
	g.chosen = chosen
	if sum < sf && !absorbedOnly {
		// Impossible: sf <= debit[k], which is exactly the sum of the
		// cell's active outgoing instructions.
		return nil, problem.New(problem.Internal, "cell %d: shortfall %d exceeds outgoing %d", k, sf, sum)
	}
	slices.Reverse(chosen) // priority order
	if excess := sum - sf; excess > 0 {
		for x, j := range chosen {
			if a := g.ins[g.order[j]].Amount; a <= excess {
				excess -= a
				chosen[x] = -1
			}
		}
	}
	return chosen, nil
}

// readmit is the second phase: the deferral phase decides greedily and
// cascades, so some deferred instructions may fit again once everything
// has settled down. Each payer cell with deferrals is visited (again
// whenever a re-admission credits it) and re-admits, in priority order,
// every deferred instruction that fits its remaining headroom. Admitting
// only ever debits the payer cell and credits another cell, so the result
// stays feasible, and at the end no single deferred instruction fits.
func (g *gridlock) readmit() {
	if g.outstanding == 0 {
		return
	}
	s, c := g.s, g.s.c
	slices.Sort(g.touchedCells)

	type group struct {
		cell   int
		pos    []int32 // deferred CSR positions in priority order
		tree   minTree
		queued bool
	}
	groups := make([]group, len(g.touchedCells))
	groupOf := make([]int32, s.p*s.c)
	for i := range groupOf {
		groupOf[i] = -1
	}
	pos := make([]int32, 0, g.outstanding)
	amounts := make([]int64, 0, g.outstanding)
	queue := make([]int32, 0, len(groups))
	for gi, k := range g.touchedCells {
		from := len(pos)
		for j := g.start[k]; j < g.start[k+1]; j++ {
			if g.stepAt[j] != 0 {
				pos = append(pos, j)
				amounts = append(amounts, g.ins[g.order[j]].Amount)
			}
		}
		groups[gi] = group{cell: int(k), pos: pos[from:], tree: newMinTree(amounts[from:]), queued: true}
		groupOf[k] = int32(gi)
		queue = append(queue, int32(gi))
	}

	for head := 0; head < len(queue); head++ {
		gr := &groups[queue[head]]
		gr.queued = false
		h := s.headroom(gr.cell, g.capacity[gr.cell])
		for j := 0; ; j++ {
			if j = gr.tree.firstLE(j, h); j < 0 {
				break
			}
			gr.tree.set(j, math.MaxInt64)
			g.stepAt[gr.pos[j]] = 0
			g.outstanding--
			in := &g.ins[g.order[gr.pos[j]]]
			h -= in.Amount
			s.restore(in)
			q := int(in.Payee)*c + int(in.PayeeCurrency)
			if gq := groupOf[q]; gq >= 0 && !groups[gq].queued {
				groups[gq].queued = true
				queue = append(queue, gq)
			}
		}
	}
}

// deferrals lists what is still deferred in ID order. Few deferrals are
// packed as ID<<32|step (IDs are below 2^31) and sorted as plain integers;
// many are placed straight into a dense by-ID array, since IDs are 0..n-1.
func (g *gridlock) deferrals() []Deferral {
	if g.outstanding == 0 {
		return nil
	}
	out := make([]Deferral, 0, g.outstanding)
	if g.outstanding < len(g.ins)/32 {
		keys := make([]uint64, 0, g.outstanding)
		for _, k := range g.touchedCells {
			for j := g.start[k]; j < g.start[k+1]; j++ {
				if st := g.stepAt[j]; st != 0 {
					keys = append(keys, uint64(g.ins[g.order[j]].ID)<<32|uint64(st))
				}
			}
		}
		slices.Sort(keys)
		for _, key := range keys {
			out = append(out, Deferral{ID: int64(key >> 32), Reason: g.reason(int32(uint32(key)))})
		}
		return out
	}
	byID := make([]int32, len(g.ins))
	for _, k := range g.touchedCells {
		for j := g.start[k]; j < g.start[k+1]; j++ {
			if st := g.stepAt[j]; st != 0 {
				byID[g.ins[g.order[j]].ID] = st
			}
		}
	}
	for id, st := range byID {
		if st != 0 {
			out = append(out, Deferral{ID: int64(id), Reason: g.reason(st)})
		}
	}
	return out
}

// cellHeap is a max-heap of cells by shortfall (ties: lower cell first, for
// determinism) that supports changing a cell's key in place, since every
// deferral changes the payee cell's shortfall.
type cellHeap struct {
	h  []int32
	at []int32 // index in h, -1 when absent
	sf []int64
}

func newCellHeap(cells int) cellHeap {
	at := make([]int32, cells)
	for i := range at {
		at[i] = -1
	}
	return cellHeap{at: at, sf: make([]int64, cells)}
}

func (q *cellHeap) len() int { return len(q.h) }

func (q *cellHeap) less(i, j int) bool {
	a, b := q.h[i], q.h[j]
	if q.sf[a] != q.sf[b] {
		return q.sf[a] > q.sf[b]
	}
	return a < b
}

func (q *cellHeap) swap(i, j int) {
	q.h[i], q.h[j] = q.h[j], q.h[i]
	q.at[q.h[i]], q.at[q.h[j]] = int32(i), int32(j)
}

func (q *cellHeap) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !q.less(i, p) {
			return
		}
		q.swap(i, p)
		i = p
	}
}

func (q *cellHeap) down(i int) bool {
	i0 := i
	for {
		l := 2*i + 1
		if l >= len(q.h) {
			break
		}
		m := l
		if r := l + 1; r < len(q.h) && q.less(r, l) {
			m = r
		}
		if !q.less(m, i) {
			break
		}
		q.swap(i, m)
		i = m
	}
	return i > i0
}

func (q *cellHeap) fix(i int) {
	if !q.down(i) {
		q.up(i)
	}
}

// set gives cell k shortfall sf, inserting, moving or removing it.
func (q *cellHeap) set(k int, sf int64) {
	i := int(q.at[k])
	if sf <= 0 {
		if i >= 0 {
			q.removeAt(i)
		}
		return
	}
	q.sf[k] = sf
	if i >= 0 {
		q.fix(i)
		return
	}
	q.h = append(q.h, int32(k))
	q.at[k] = int32(len(q.h) - 1)
	q.up(len(q.h) - 1)
}

func (q *cellHeap) removeAt(i int) {
	last := len(q.h) - 1
	q.swap(i, last)
	q.at[q.h[last]] = -1
	q.h = q.h[:last]
	if i < last {
		q.fix(i)
	}
}

func (q *cellHeap) pop() (int, int64) {
	k := q.h[0]
	q.removeAt(0)
	return int(k), q.sf[k]
}

// minTree is a segment tree of minima over one cell's deferred amounts in
// priority order; re-admission asks "first deferred instruction from here
// on that fits in h", which it answers in O(log n) instead of rescanning
// the cell every time the cell's headroom grows.
type minTree struct {
	size int
	v    []int64
}

func newMinTree(vals []int64) minTree {
	size := 1
	for size < len(vals) {
		size <<= 1
	}
	v := make([]int64, 2*size)
	for i := range v[size:] {
		v[size+i] = math.MaxInt64
	}
	copy(v[size:], vals)
	for i := size - 1; i >= 1; i-- {
		v[i] = min(v[2*i], v[2*i+1])
	}
	return minTree{size: size, v: v}
}

func (t *minTree) set(i int, x int64) {
	i += t.size
	t.v[i] = x
	for i > 1 {
		i >>= 1
		t.v[i] = min(t.v[2*i], t.v[2*i+1])
	}
}

// firstLE returns the smallest index >= from whose value is <= h, or -1.
func (t *minTree) firstLE(from int, h int64) int {
	return t.find(1, 0, t.size, from, h)
}

func (t *minTree) find(node, lo, hi, from int, h int64) int {
	if hi <= from || t.v[node] > h {
		return -1
	}
	if hi-lo == 1 {
		return lo
	}
	mid := (lo + hi) / 2
	if r := t.find(2*node, lo, mid, from, h); r >= 0 {
		return r
	}
	return t.find(2*node+1, mid, hi, from, h)
}
