package clearing

import (
	"errors"
	"fmt"
	"math"
)

// Obligation is one invoice-like debt: Debtor owes Creditor Amount minor
// units. Firms are dense indices so the solver can use flat arrays instead of
// maps; ReadCSV produces this form from arbitrary firm identifiers.
type Obligation struct {
	Debtor   int32
	Creditor int32
	Amount   int64
}

// Result is an optimal set-off. Remaining is reported per obligation (not per
// firm pair) because settlement happens invoice by invoice downstream.
type Result struct {
	// TotalDebt is the sum of all amounts; it is returned so callers can show
	// the cleared share without re-summing (and re-checking overflow).
	TotalDebt int64
	// Cleared is the maximum amount that can be set off; TotalDebt-Cleared
	// still has to be paid with money.
	Cleared int64
	// Remaining[i] is what is still owed on obligations[i] after set-off.
	Remaining []int64
	// ClearedPerFirm[f] is how much of firm f's debts was set off. Because
	// the set-off is a circulation this is also how much of f's receivables
	// was set off, so one slice serves both sides.
	ClearedPerFirm []int64
	// Potentials are dual prices, one per firm, proving optimality: see
	// Certify. They are part of the result so that any consumer can
	// re-verify optimality in linear time without trusting the solver.
	Potentials []int64
	// Stats describes the work done, for benchmarks and capacity planning.
	Stats Stats
}

// Stats exposes the solver's effort so regressions in instance hardness
// (not just wall time) can be monitored.
type Stats struct {
	Components   int   // strongly connected components with at least 2 firms
	FlowNodes    int   // firms that can take part in any cycle
	FlowArcs     int   // distinct intra-component firm pairs after pooling
	Supply       int64 // total net debit routed by the min-cost flow
	Refines      int   // cost-scaling ε phases
	Relabels     int   // single-firm price decreases
	Pushes       int   // flow moves along one arc
	PriceUpdates int   // global price updates (backward Dijkstra)
}

// Errors returned by Solve. They are sentinel values so callers can map them
// to user-facing codes without string matching.
var (
	ErrOverflow      = errors.New("clearing: total debt overflows int64")
	ErrNegative      = errors.New("clearing: negative amount")
	ErrFirmRange     = errors.New("clearing: firm index out of range")
	ErrTooLarge      = errors.New("clearing: network too large for 32-bit indices")
	ErrInconsistency = errors.New("clearing: internal inconsistency")
)

// maxIndex bounds firm and obligation counts so that every index, including
// the two residual arcs per obligation, fits an int32.
const maxIndex = math.MaxInt32/2 - 4

// Solve computes the maximum multilateral set-off. It is exact (a min-cost
// flow, not greedy cycle search) because greedy cycle cancellation can
// strand liquidity in overlapping cycles.
//
// Conventions chosen so that every valid input has one well-defined answer:
//   - zero amounts are accepted and ignored (Remaining 0, no effect);
//   - a self-loop (a firm owing itself) is fully cleared, since clearing it
//     changes no net position;
//   - parallel obligations between the same pair are pooled; the pooled
//     set-off is attributed to them in input order (earlier ones first).
//
// The input slice is not modified.
func Solve(n int, obligations []Obligation) (Result, error) {
	total, err := validate(n, obligations)
	if err != nil {
		return Result{}, err
	}
	m := len(obligations)
	res := Result{
		TotalDebt:      total,
		Remaining:      make([]int64, m),
		ClearedPerFirm: make([]int64, n),
		Potentials:     make([]int64, n),
	}

	// Only obligations inside a strongly connected component can lie on a
	// cycle; everything else stays owed in full.
	start, adjTo, adjOb := outAdjacency(n, obligations)
	comp, ncomp := tarjanSCC(n, start, adjTo)
	local, k := flowNodes(comp, ncomp, &res.Stats)
	pool := poolArcs(obligations, start, adjTo, adjOb, comp, local)
	res.Stats.FlowArcs = len(pool.cap)
	start, adjTo, adjOb = nil, nil, nil // let the GC have them early

	var pot []int64 // exact potentials per flow node
	if k > 0 {
		g := newCSNet(k, pool.tail, pool.head, pool.cap)
		pool.tail, pool.head = nil, nil
		if pot, err = g.run(&res.Stats); err != nil {
			return Result{}, err
		}
		// From here on pool.cap holds the set-off per pooled arc.
		rem := make([]int64, len(pool.cap))
		g.remaining(rem)
		for a := range rem {
			if rem[a] < 0 || rem[a] > pool.cap[a] {
				return Result{}, ErrInconsistency
			}
			pool.cap[a] -= rem[a]
		}
	}

	var cleared int64
	for i := range obligations {
		o := &obligations[i]
		var x int64 // amount set off
		switch a := pool.ofOb[i]; {
		case a >= 0: // pooled: earlier obligations take the set-off first
			x = min(o.Amount, pool.cap[a])
			pool.cap[a] -= x
		case o.Debtor == o.Creditor:
			x = o.Amount
		}
		res.Remaining[i] = o.Amount - x
		res.ClearedPerFirm[o.Debtor] += x
		cleared += x
	}
	res.Cleared = cleared
	if !assignPotentials(res.Potentials, comp, ncomp, local, pot) {
		return Result{}, ErrTooLarge
	}
	return res, nil
}

// validate checks indices and signs and sums the debt, refusing totals
// beyond int64 so that no later sum can overflow.
func validate(n int, obligations []Obligation) (int64, error) {
	if n < 0 || n > maxIndex || len(obligations) > maxIndex {
		return 0, ErrTooLarge
	}
	var total int64
	for i := range obligations {
		o := &obligations[i]
		if uint32(o.Debtor) >= uint32(n) || uint32(o.Creditor) >= uint32(n) {
			return 0, fmt.Errorf("%w: obligation %d (%d -> %d, n=%d)", ErrFirmRange, i, o.Debtor, o.Creditor, n)
		}
		if o.Amount < 0 {
			return 0, fmt.Errorf("%w: obligation %d amount %d", ErrNegative, i, o.Amount)
		}
		if o.Amount > math.MaxInt64-total {
			return 0, fmt.Errorf("%w (at obligation %d)", ErrOverflow, i)
		}
		total += o.Amount
	}
	return total, nil
}

// outAdjacency builds CSR out-lists (head firm and obligation index) over
// the obligations that could lie on a cycle: no self-loops, no zeros.
func outAdjacency(n int, obligations []Obligation) (start, adjTo, adjOb []int32) {
	start = make([]int32, n+1)
	for i := range obligations {
		o := &obligations[i]
		if o.Debtor != o.Creditor && o.Amount > 0 {
			start[o.Debtor+1]++
		}
	}
	for v := 0; v < n; v++ {
		start[v+1] += start[v]
	}
	adjTo = make([]int32, start[n])
	adjOb = make([]int32, start[n])
	fill := make([]int32, n)
	copy(fill, start[:n])
	for i := range obligations {
		o := &obligations[i]
		if o.Debtor != o.Creditor && o.Amount > 0 {
			p := fill[o.Debtor]
			fill[o.Debtor]++
			adjTo[p] = o.Creditor
			adjOb[p] = int32(i)
		}
	}
	return start, adjTo, adjOb
}

// flowNodes numbers the firms in components of two or more firms densely;
// local[f] is -1 for firms that cannot be on any cycle.
func flowNodes(comp []int32, ncomp int, st *Stats) (local []int32, k int) {
	size := make([]int32, ncomp)
	for _, c := range comp {
		size[c]++
	}
	for _, s := range size {
		if s >= 2 {
			st.Components++
		}
	}
	local = make([]int32, len(comp))
	for v, c := range comp {
		local[v] = -1
		if size[c] >= 2 {
			local[v] = int32(k)
			k++
		}
	}
	st.FlowNodes = k
	return local, k
}

// pooled holds one arc per ordered firm pair inside a component: parallel
// obligations only matter through their sum, and pooling keeps the flow
// graph (and the solver's work) proportional to distinct trading pairs.
type pooled struct {
	tail, head []int32 // flow-node endpoints
	cap        []int64 // summed amount
	ofOb       []int32 // obligation -> pooled arc, -1 if not in the flow
}

func poolArcs(obligations []Obligation, start, adjTo, adjOb, comp, local []int32) pooled {
	n := len(comp)
	var pl pooled
	pl.ofOb = make([]int32, len(obligations))
	for i := range pl.ofOb {
		pl.ofOb[i] = -1
	}
	cnt := 0
	for u := 0; u < n; u++ {
		if local[u] < 0 {
			continue
		}
		for p := start[u]; p < start[u+1]; p++ {
			if comp[adjTo[p]] == comp[u] {
				cnt++
			}
		}
	}
	pl.tail = make([]int32, 0, cnt)
	pl.head = make([]int32, 0, cnt)
	pl.cap = make([]int64, 0, cnt)
	mark := make([]int32, n) // mark[v] == u+1: pair (u,v) has slot[v]
	slot := make([]int32, n)
	for u := 0; u < n; u++ {
		if local[u] < 0 {
			continue
		}
		for p := start[u]; p < start[u+1]; p++ {
			v := adjTo[p]
			if comp[v] != comp[u] {
				continue
			}
			if mark[v] != int32(u)+1 {
				mark[v] = int32(u) + 1
				slot[v] = int32(len(pl.cap))
				pl.tail = append(pl.tail, local[u])
				pl.head = append(pl.head, local[v])
				pl.cap = append(pl.cap, 0)
			}
			ob := adjOb[p]
			pl.cap[slot[v]] += obligations[ob].Amount
			pl.ofOb[ob] = slot[v]
		}
	}
	return pl
}

// assignPotentials lifts per-flow-node prices to all firms. Obligations
// between different components stay fully unpaid, which the certificate
// accepts only if the creditor's price is at least the debtor's plus one;
// offsetting each component by its topological rank times (price range + 1)
// guarantees that. It reports false if the prices would not fit an int64
// (not reachable for networks that fit in memory).
func assignPotentials(out []int64, comp []int32, ncomp int, local []int32, pot []int64) bool {
	n := len(out)
	if n == 0 {
		return true
	}
	lo := make([]int64, ncomp)
	for c := range lo {
		lo[c] = math.MaxInt64
	}
	for v := 0; v < n; v++ {
		var p int64
		if local[v] >= 0 {
			p = pot[local[v]]
		}
		out[v] = p
		if p < lo[comp[v]] {
			lo[comp[v]] = p
		}
	}
	var span int64
	for v := 0; v < n; v++ {
		out[v] -= lo[comp[v]]
		span = max(span, out[v])
	}
	// Tarjan numbers components in reverse topological order: every
	// inter-component obligation goes from a higher to a lower number.
	step := span + 1
	if step > math.MaxInt64/int64(ncomp+1) {
		return false
	}
	for v := 0; v < n; v++ {
		rank := int64(ncomp - 1 - int(comp[v]))
		out[v] += rank * step
	}
	return true
}
