package market

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
)

func TestMarketIntersect(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 300 {
		var lists [][]uint32
		for range rng.IntN(4) + 1 {
			var l []uint32
			for v := uint32(0); v < 3000; v += uint32(rng.IntN(1+rng.IntN(60))) + 1 {
				l = append(l, v)
			}
			lists = append(lists, l)
		}
		var want []uint32
		for _, v := range lists[0] {
			in := true
			for _, l := range lists[1:] {
				_, found := slices.BinarySearch(l, v)
				in = in && found
			}
			if in {
				want = append(want, v)
			}
		}
		if got := intersect(slices.Clone(lists)); !slices.Equal(got, want) {
			t.Fatalf("intersect: %d values, want %d", len(got), len(want))
		}
	}
}

// The index answers like a plain scan of the latest version of every
// product: same matches, same newest-first page after any cursor, same
// counts, with products added in and out of id order and updated.
func TestMarketIndexMatchesScan(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	words := []string{"coffee", "tea", "wheat", "premium", "bulk", "咖啡豆", "чай"}
	origins := []string{"BR", "CN", "KZ", "IN"}
	x := newIndex()
	latest := map[string]Product{}
	var order []string
	for i := range 600 {
		var id string
		switch {
		case i > 50 && rng.IntN(5) == 0: // an update
			id = order[rng.IntN(len(order))]
		case rng.IntN(10) == 0: // an id below the newest (another process's clock)
			u := uuid.Must(uuid.NewV7())
			u[0] = 0
			id = u.String()
		default:
			id = uuid.Must(uuid.NewV7()).String()
		}
		if _, ok := latest[id]; !ok {
			order = append(order, id)
		}
		p := Product{ID: id, Names: map[string]string{"en": words[rng.IntN(len(words))] + " " + words[rng.IntN(len(words))]}, HS: "090111",
			Section: []string{"II", "XVI"}[rng.IntN(2)], Origin: origins[rng.IntN(len(origins))], MOQ: int64(1 + rng.IntN(5000)), Currency: "KZT",
			Tiers: []Tier{{UnitPrice: int64(1 + rng.IntN(10_000_00))}}, Incoterms: IncotermsOf(rng.Int64N(1<<11-1) + 1)}
		latest[id] = p
		x.add(&IndexEntry{ID: p.ID, Names: p.Names, HS: p.HS, Section: p.Section, Origin: p.Origin, MOQ: p.MOQ, Currency: p.Currency,
			ListPrice: p.ListPrice(), Incoterms: p.IncotermMask()}, false)
	}
	bounds := map[string][PriceBuckets - 1]int64{"KZT": {1000, 10000, 100000, 1000000, 10000000}}
	for range 400 {
		q := &indexQuery{limit: 1 + rng.IntN(30), bounds: bounds}
		if rng.IntN(3) > 0 {
			q.terms = QueryTerms(words[rng.IntN(len(words))])
		}
		if rng.IntN(3) == 0 {
			q.origin = origins[rng.IntN(len(origins))]
		}
		if rng.IntN(4) == 0 {
			q.moq = 1 + rng.IntN(MOQBuckets)
		}
		if rng.IntN(4) == 0 {
			q.section = []string{"II", "XVI", "XXI"}[rng.IntN(3)]
		}
		if rng.IntN(4) == 0 {
			q.price = 1 + rng.IntN(PriceBuckets)
		}
		if rng.IntN(2) == 0 {
			q.cursor, q.hasCursor = [16]byte(uuid.MustParse(order[rng.IntN(len(order))])), true
		}
		var match []string
		origin := map[string]int{}
		for id, p := range latest {
			terms := IndexTerms(&p)
			ok := (q.origin == "" || p.Origin == q.origin) && (q.section == "" || p.Section == q.section) && (q.moq == 0 || MOQBucket(p.MOQ) == q.moq-1)
			for _, t := range q.terms {
				ok = ok && slices.Contains(terms, t)
			}
			b := 0
			for b < PriceBuckets-1 && p.ListPrice() >= bounds["KZT"][b] {
				b++
			}
			if !ok || q.price > 0 && b != q.price-1 {
				continue
			}
			origin[p.Origin]++
			if !q.hasCursor || id < uuid.UUID(q.cursor).String() {
				match = append(match, id)
			}
		}
		slices.SortFunc(match, func(a, b string) int { return strings.Compare(b, a) })
		r := x.search(q)
		if len(match) > q.limit {
			match = match[:q.limit]
		}
		total := 0
		for _, n := range origin {
			total += n
		}
		if !slices.Equal(r.ids, match) || r.total != total || len(r.origins) != len(origin) {
			t.Fatalf("%+v:\nindex %v (total %d)\nscan  %v (total %d)", q, r.ids, r.total, match, total)
		}
		for k, n := range origin {
			if r.origins[k] != n {
				t.Fatalf("origin %s: %d, want %d", k, r.origins[k], n)
			}
		}
	}
}
