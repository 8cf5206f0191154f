package clearing

// Independent exact solver used only to cross-check Solve: negative-cycle
// cancelling with Bellman-Ford on the circulation formulation (maximise the
// set-off x, i.e. cost -1 per unit on every obligation). It shares no code
// with the production path: no SCC decomposition, no pooling of parallel
// obligations, no scaling, no potentials.

// refSolve returns the maximum set-off and the set-off per obligation.
func refSolve(n int, obs []Obligation) (int64, []int64) {
	x := make([]int64, len(obs))
	type arc struct {
		from, to int
		ob       int
		fwd      bool // true: increase x (cost -1); false: decrease x (cost +1)
	}
	for {
		// Residual arcs of the current circulation.
		var arcs []arc
		for i, o := range obs {
			if o.Debtor == o.Creditor {
				x[i] = o.Amount // a self-loop is a circulation on its own
				continue
			}
			if x[i] < o.Amount {
				arcs = append(arcs, arc{int(o.Debtor), int(o.Creditor), i, true})
			}
			if x[i] > 0 {
				arcs = append(arcs, arc{int(o.Creditor), int(o.Debtor), i, false})
			}
		}
		// Karp's minimum mean cycle: dk[k][v] is the cheapest walk of
		// exactly k arcs ending at v (starting anywhere). Cancelling
		// minimum-mean cycles terminates in polynomially many steps, unlike
		// arbitrary negative cycles (which can take astronomically many
		// cancellations with large amounts).
		const inf = int64(1) << 60
		dk := make([][]int64, n+1)
		pk := make([][]int, n+1)
		for k := range dk {
			dk[k] = make([]int64, n)
			pk[k] = make([]int, n)
			for v := range dk[k] {
				if k > 0 {
					dk[k][v] = inf
				}
				pk[k][v] = -1
			}
		}
		for k := 1; k <= n; k++ {
			for ai, a := range arcs {
				if dk[k-1][a.from] == inf {
					continue
				}
				c := int64(1)
				if a.fwd {
					c = -1
				}
				if d := dk[k-1][a.from] + c; d < dk[k][a.to] {
					dk[k][a.to] = d
					pk[k][a.to] = ai
				}
			}
		}
		// min over v of max over k of (dn(v)-dk(v))/(n-k), as a fraction.
		bestV, bestNum, bestDen := -1, int64(0), int64(1)
		for v := 0; v < n; v++ {
			if dk[n][v] == inf {
				continue
			}
			num, den := int64(0), int64(0)
			for k := 0; k < n; k++ {
				if dk[k][v] == inf {
					continue
				}
				nn, dd := dk[n][v]-dk[k][v], int64(n-k)
				if den == 0 || nn*den > num*dd {
					num, den = nn, dd
				}
			}
			if den > 0 && (bestV < 0 || num*bestDen < bestNum*den) {
				bestV, bestNum, bestDen = v, num, den
			}
		}
		if bestV < 0 || bestNum >= 0 {
			break // no negative cycle: optimal
		}
		// The critical walk of n arcs into bestV repeats a vertex; the arcs
		// between the repetitions form a cycle.
		walk := make([]int, n+1) // vertices, walk[k] after k arcs from the end
		warc := make([]int, n)
		walk[0] = bestV
		for k := 0; k < n; k++ {
			ai := pk[n-k][walk[k]]
			warc[k] = ai
			walk[k+1] = arcs[ai].from
		}
		var cyc []int
		seen := make(map[int]int)
		for k, v := range walk {
			if j, ok := seen[v]; ok {
				cyc = warc[j:k]
				break
			}
			seen[v] = k
		}
		var cost int64
		for _, ai := range cyc {
			if arcs[ai].fwd {
				cost--
			} else {
				cost++
			}
		}
		if cost >= 0 {
			panic("reference: extracted cycle is not negative")
		}
		delta := int64(-1)
		for _, ai := range cyc {
			a := arcs[ai]
			r := x[a.ob]
			if a.fwd {
				r = obs[a.ob].Amount - x[a.ob]
			}
			if delta < 0 || r < delta {
				delta = r
			}
		}
		for _, ai := range cyc {
			a := arcs[ai]
			if a.fwd {
				x[a.ob] += delta
			} else {
				x[a.ob] -= delta
			}
		}
	}
	var total int64
	for _, v := range x {
		total += v
	}
	return total, x
}

// greedyShortestCycles is the naive heuristic MTCS improves on: repeatedly
// find a shortest cycle of still-owed obligations and clear its minimum.
func greedyShortestCycles(n int, obs []Obligation) int64 {
	rem := make([]int64, len(obs))
	for i, o := range obs {
		rem[i] = o.Amount
	}
	var cleared int64
	for {
		var best []int
		for s := 0; s < n; s++ {
			// BFS from s over obligations with something left, back to s.
			prev := make([]int, n)
			for i := range prev {
				prev[i] = -2
			}
			queue := []int{s}
			prev[s] = -1
			found := -1
			for h := 0; h < len(queue) && found < 0; h++ {
				u := queue[h]
				for i, o := range obs {
					if rem[i] == 0 || int(o.Debtor) != u || o.Debtor == o.Creditor {
						continue
					}
					v := int(o.Creditor)
					if v == s {
						found = i
						break
					}
					if prev[v] == -2 {
						prev[v] = i
						queue = append(queue, v)
					}
				}
			}
			if found < 0 {
				continue
			}
			cyc := []int{found}
			for u := int(obs[found].Debtor); u != s; u = int(obs[prev[u]].Debtor) {
				cyc = append(cyc, prev[u])
			}
			if best == nil || len(cyc) < len(best) {
				best = cyc
			}
		}
		if best == nil {
			return cleared
		}
		m := rem[best[0]]
		for _, i := range best {
			m = min(m, rem[i])
		}
		for _, i := range best {
			rem[i] -= m
			cleared += m
		}
	}
}
