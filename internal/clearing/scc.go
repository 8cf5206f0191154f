package clearing

// tarjanSCC labels strongly connected components of the graph given in CSR
// form (start has n+1 entries, adj holds arc heads). It is iterative because
// supply chains can be tens of thousands of firms deep and recursion would
// grow the goroutine stack to match.
//
// Components are numbered in reverse topological order: an arc u->v between
// different components always has comp[u] > comp[v].
func tarjanSCC(n int, start, adj []int32) (comp []int32, ncomp int) {
	comp = make([]int32, n)
	index := make([]int32, n) // 0 = unvisited, else DFS order + 1
	low := make([]int32, n)
	it := make([]int32, n) // next arc to scan per node
	stack := make([]int32, 0, 64)
	call := make([]int32, 0, 64)
	for i := range comp {
		comp[i] = -1
	}
	next := int32(1)
	for r := 0; r < n; r++ {
		if index[r] != 0 {
			continue
		}
		index[r], low[r] = next, next
		next++
		it[r] = start[r]
		stack = append(stack, int32(r))
		call = append(call, int32(r))
		for len(call) > 0 {
			v := call[len(call)-1]
			if p := it[v]; p < start[v+1] {
				it[v] = p + 1
				w := adj[p]
				if index[w] == 0 {
					index[w], low[w] = next, next
					next++
					it[w] = start[w]
					stack = append(stack, w)
					call = append(call, w)
				} else if comp[w] < 0 && index[w] < low[v] {
					low[v] = index[w]
				}
				continue
			}
			call = call[:len(call)-1]
			if low[v] == index[v] {
				c := int32(ncomp)
				ncomp++
				for {
					w := stack[len(stack)-1]
					stack = stack[:len(stack)-1]
					comp[w] = c
					if w == v {
						break
					}
				}
			}
			if len(call) > 0 {
				u := call[len(call)-1]
				if low[v] < low[u] {
					low[u] = low[v]
				}
			}
		}
	}
	return comp, ncomp
}
