package matchmaking

// UpperBound is a number of meetings no timetable can exceed, so a report can state how far the
// optimiser may be from the optimum. It forgets which slot each meeting takes and keeps three
// limits: a request whose parties share no free slot never meets; all meetings fit in
// Slots×Tables; participant v meets at most cap(v) = min(its requests, its free slots) times.
// The last is a degree-bounded matching: exact by maximum flow when the requests join two sides
// (buyers and exhibitors), half the sum of the caps otherwise.
func UpperBound(p Problem) int {
	if p.Slots <= 0 || p.Tables <= 0 || p.Participants <= 0 {
		return 0
	}
	free := make([][]bool, p.Participants)
	nfree := make([]int, p.Participants)
	for v := range free {
		free[v] = make([]bool, p.Slots)
		for s := range free[v] {
			free[v][s] = true
		}
		nfree[v] = p.Slots
	}
	for v, slots := range p.Busy {
		if v < 0 || v >= p.Participants {
			continue
		}
		for _, s := range slots {
			if s >= 0 && s < p.Slots && free[v][s] {
				free[v][s] = false
				nfree[v]--
			}
		}
	}
	var usable []Request
	deg := make([]int, p.Participants)
	for _, q := range p.Requests {
		if q.A == q.B || q.A < 0 || q.B < 0 || q.A >= p.Participants || q.B >= p.Participants {
			continue
		}
		for s := 0; s < p.Slots; s++ {
			if free[q.A][s] && free[q.B][s] {
				usable = append(usable, q)
				deg[q.A]++
				deg[q.B]++
				break
			}
		}
	}
	capOf := make([]int, p.Participants)
	sum := 0
	for v := range capOf {
		capOf[v] = min(deg[v], nfree[v])
		sum += capOf[v]
	}
	best := min(len(usable), p.Slots*p.Tables, sum/2)
	if side, ok := twoSides(p.Participants, usable); ok {
		best = min(best, degreeMatching(p.Participants, usable, side, capOf))
	}
	return best
}

// twoSides colours participants so every request joins the two colours, if it can.
func twoSides(n int, rs []Request) ([]int8, bool) {
	adj := make([][]int, n)
	for _, q := range rs {
		adj[q.A] = append(adj[q.A], q.B)
		adj[q.B] = append(adj[q.B], q.A)
	}
	side := make([]int8, n)
	for i := range side {
		side[i] = -1
	}
	queue := make([]int, 0, n)
	for start := range n {
		if side[start] >= 0 {
			continue
		}
		side[start] = 0
		queue = append(queue[:0], start)
		for len(queue) > 0 {
			v := queue[0]
			queue = queue[1:]
			for _, w := range adj[v] {
				if side[w] < 0 {
					side[w] = 1 - side[v]
					queue = append(queue, w)
				} else if side[w] == side[v] {
					return nil, false
				}
			}
		}
	}
	return side, true
}

// degreeMatching is the largest set of requests with at most capOf[v] at each participant, by
// maximum flow (Dinic) from side 0 to side 1.
func degreeMatching(n int, rs []Request, side []int8, capOf []int) int {
	src, dst := n, n+1
	g := newFlow(n + 2)
	for v := range n {
		if side[v] == 0 {
			g.edge(src, v, capOf[v])
		} else {
			g.edge(v, dst, capOf[v])
		}
	}
	for _, q := range rs {
		a, b := q.A, q.B
		if side[a] != 0 {
			a, b = b, a
		}
		g.edge(a, b, 1)
	}
	return g.max(src, dst)
}

type flow struct {
	head, level, it []int
	to, next, cap   []int
}

func newFlow(n int) *flow {
	f := &flow{head: make([]int, n), level: make([]int, n), it: make([]int, n)}
	for i := range f.head {
		f.head[i] = -1
	}
	return f
}

func (f *flow) edge(a, b, c int) {
	f.to, f.cap, f.next = append(f.to, b), append(f.cap, c), append(f.next, f.head[a])
	f.head[a] = len(f.to) - 1
	f.to, f.cap, f.next = append(f.to, a), append(f.cap, 0), append(f.next, f.head[b])
	f.head[b] = len(f.to) - 1
}

func (f *flow) max(s, t int) int {
	total := 0
	for {
		for i := range f.level {
			f.level[i] = -1
		}
		f.level[s] = 0
		q := []int{s}
		for len(q) > 0 {
			v := q[0]
			q = q[1:]
			for e := f.head[v]; e >= 0; e = f.next[e] {
				if f.cap[e] > 0 && f.level[f.to[e]] < 0 {
					f.level[f.to[e]] = f.level[v] + 1
					q = append(q, f.to[e])
				}
			}
		}
		if f.level[t] < 0 {
			return total
		}
		copy(f.it, f.head)
		for {
			pushed := f.push(s, t, 1<<60)
			if pushed == 0 {
				break
			}
			total += pushed
		}
	}
}

func (f *flow) push(v, t, limit int) int {
	if v == t {
		return limit
	}
	for ; f.it[v] >= 0; f.it[v] = f.next[f.it[v]] {
		e := f.it[v]
		w := f.to[e]
		if f.cap[e] > 0 && f.level[w] == f.level[v]+1 {
			if d := f.push(w, t, min(limit, f.cap[e])); d > 0 {
				f.cap[e] -= d
				f.cap[e^1] += d
				return d
			}
		}
	}
	return 0
}
