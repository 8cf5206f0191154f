package clearing

import (
	"errors"
	"fmt"
	"math"
)

// ErrNotCertified wraps every reason a result fails verification, so callers
// can distinguish "the answer is wrong" from "the input is invalid".
var ErrNotCertified = errors.New("clearing: result not certified")

// Certify proves that res is a feasible and optimal set-off for the given
// obligations, independently of how it was computed. It exists so that a
// clearing run can be audited (and the solver trusted) without re-solving.
//
// Feasibility: 0 <= Remaining[i] <= Amount[i], and for every firm the
// set-off on its debts equals the set-off on its receivables, i.e. every net
// position is unchanged.
//
// Optimality is LP duality for "minimise total remaining debt subject to
// fixed net positions": with prices p, an obligation u->v may be
//   - partly cleared (0 < r < a) only if p[v] - p[u] == 1,
//   - left fully owed (r == a) only if p[v] - p[u] >= 1,
//   - fully cleared (r == 0) only if p[v] - p[u] <= 1.
//
// Such prices exist exactly when the residual graph has no negative cycle,
// i.e. no circulation could clear more. If res.Potentials is nil they are
// derived here by Bellman-Ford on the residual graph (slower, but does not
// rely on anything the solver produced besides Remaining).
func Certify(n int, obligations []Obligation, res Result) error {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrNotCertified, fmt.Sprintf(format, args...))
	}
	m := len(obligations)
	if n < 0 {
		return fail("negative firm count")
	}
	if len(res.Remaining) != m {
		return fail("len(Remaining)=%d, want %d", len(res.Remaining), m)
	}
	if res.ClearedPerFirm != nil && len(res.ClearedPerFirm) != n {
		return fail("len(ClearedPerFirm)=%d, want %d", len(res.ClearedPerFirm), n)
	}
	if res.Potentials != nil && len(res.Potentials) != n {
		return fail("len(Potentials)=%d, want %d", len(res.Potentials), n)
	}
	var total, cleared int64
	debit := make([]int64, n)  // set-off on each firm's debts
	credit := make([]int64, n) // set-off on each firm's receivables
	for i := range obligations {
		o := &obligations[i]
		if uint32(o.Debtor) >= uint32(n) || uint32(o.Creditor) >= uint32(n) {
			return fail("obligation %d: firm out of range", i)
		}
		if o.Amount < 0 {
			return fail("obligation %d: negative amount", i)
		}
		if o.Amount > math.MaxInt64-total {
			return fail("total debt overflows int64")
		}
		total += o.Amount
		r := res.Remaining[i]
		if r < 0 || r > o.Amount {
			return fail("obligation %d: remaining %d outside [0, %d]", i, r, o.Amount)
		}
		x := o.Amount - r
		cleared += x
		debit[o.Debtor] += x
		credit[o.Creditor] += x
	}
	if total != res.TotalDebt {
		return fail("TotalDebt=%d, want %d", res.TotalDebt, total)
	}
	if cleared != res.Cleared {
		return fail("Cleared=%d, but remaining amounts imply %d", res.Cleared, cleared)
	}
	for f := 0; f < n; f++ {
		if debit[f] != credit[f] {
			return fail("firm %d: net position changed (debts cleared %d, receivables cleared %d)", f, debit[f], credit[f])
		}
		if res.ClearedPerFirm != nil && res.ClearedPerFirm[f] != debit[f] {
			return fail("firm %d: ClearedPerFirm=%d, want %d", f, res.ClearedPerFirm[f], debit[f])
		}
	}

	p := res.Potentials
	if p == nil {
		var err error
		if p, err = residualPotentials(n, obligations, res.Remaining); err != nil {
			return fail("%v", err)
		}
	}
	const bound = 1 << 61 // keeps p[v]-p[u] free of overflow
	for f, x := range p {
		if x > bound || x < -bound {
			return fail("firm %d: potential %d out of range", f, x)
		}
	}
	for i := range obligations {
		o := &obligations[i]
		a, r := o.Amount, res.Remaining[i]
		d := p[o.Creditor] - p[o.Debtor]
		if r < a && d > 1 {
			return fail("obligation %d (%d->%d): remaining %d of %d could grow but price gap is %d > 1", i, o.Debtor, o.Creditor, r, a, d)
		}
		if r > 0 && d < 1 {
			return fail("obligation %d (%d->%d): remaining %d could be cleared further, price gap %d < 1", i, o.Debtor, o.Creditor, r, d)
		}
	}
	return nil
}

// residualPotentials finds prices p with cost + p[u] - p[v] >= 0 on every
// residual arc (increase remaining: u->v cost +1; decrease remaining: v->u
// cost -1) by queue-based Bellman-Ford from a virtual source. A path of n or
// more arcs means a negative cycle: more debt could be cleared.
func residualPotentials(n int, obligations []Obligation, remaining []int64) ([]int64, error) {
	start := make([]int32, n+1)
	for i := range obligations {
		o := &obligations[i]
		if o.Amount == 0 {
			continue
		}
		if o.Debtor == o.Creditor {
			if remaining[i] > 0 {
				return nil, fmt.Errorf("obligation %d: self-loop left with %d owed", i, remaining[i])
			}
			continue
		}
		if remaining[i] < o.Amount {
			start[o.Debtor+1]++
		}
		if remaining[i] > 0 {
			start[o.Creditor+1]++
		}
	}
	for v := 0; v < n; v++ {
		start[v+1] += start[v]
	}
	to := make([]int32, start[n])
	cost := make([]int8, start[n])
	fill := make([]int32, n)
	copy(fill, start[:n])
	for i := range obligations {
		o := &obligations[i]
		if o.Amount == 0 || o.Debtor == o.Creditor {
			continue
		}
		if remaining[i] < o.Amount {
			to[fill[o.Debtor]], cost[fill[o.Debtor]] = o.Creditor, 1
			fill[o.Debtor]++
		}
		if remaining[i] > 0 {
			to[fill[o.Creditor]], cost[fill[o.Creditor]] = o.Debtor, -1
			fill[o.Creditor]++
		}
	}
	p := make([]int64, n)
	hops := make([]int32, n)
	inQ := make([]bool, n)
	q := make([]int32, 0, n)
	for v := 0; v < n; v++ {
		q = append(q, int32(v))
		inQ[v] = true
	}
	for h := 0; h < len(q); h++ {
		u := q[h]
		inQ[u] = false
		for e := start[u]; e < start[u+1]; e++ {
			v := to[e]
			if nd := p[u] + int64(cost[e]); nd < p[v] {
				p[v] = nd
				hops[v] = hops[u] + 1
				if int(hops[v]) >= n {
					return nil, fmt.Errorf("negative cycle in residual graph through firm %d: more debt can be cleared", v)
				}
				if !inQ[v] {
					inQ[v] = true
					q = append(q, v)
				}
			}
		}
		if h > 1<<20 && h > len(q)/2 { // compact the consumed prefix
			q = append(q[:0], q[h+1:]...)
			h = -1
		}
	}
	return p, nil
}
