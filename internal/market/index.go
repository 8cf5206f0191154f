package market

import (
	"bytes"
	"context"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
)

// The search index: why catalogue search runs in the serve process.
//
// A search answers one page of results and facet counts over every
// matching product. In SQL the counts were one GROUP BY over all matches
// (a country pavilion is a tenth of the catalogue), so a search cost grew
// with the catalogue: 34 ms at p99 with 50,000 products. Here each process
// keeps, per product, a few bytes of facet attributes in one array and,
// per term, the sorted list of products that have it. A search intersects
// the lists of its terms and counts facets over the matches in Go (a few
// nanoseconds a match); only the page of results is read from the
// database, by id.
//
// The database stays the source of truth. Every product write takes the
// next number of a change sequence in its transaction (market_change_seq,
// whose row stays locked until commit, so products commit in sequence
// order). Each search first asks the store for the products with a number
// above the last one the index applied: an empty answer from an index
// lookup when nothing changed. So any number of serve processes on one
// database each answer with every product committed before the search
// began, whoever wrote it. Contract prices are not in the index: the prices
// in force for a buyer, its own and its buyer groups' (few, and most
// buyers have none), are read per search, resolved by EffectivePrices and
// replace the list price for that buyer's filter, buckets and results; so
// a membership change is seen by the next search of every process.
//
// Products are numbered (ordinals) in the order the index learns of them.
// The build reads the catalogue in id order, and new products get uuid v7
// ids that grow with time, so ordinal order is id order, which is the
// result order (newest first) and the cursor's. A product written with an
// id below the highest one (an update: the old ordinal is marked dead and
// the new one appended; or a clock behind another process's) is a stray:
// strays are kept in a list and merged into the page by id. Dead ordinals
// and strays stay until the process restarts (or the index is rebuilt);
// updates are rare next to searches.
//
// Cost: per product 16 bytes of id, 16 bytes of attributes and 4 bytes per
// distinct term (about 25 for a product named in three languages), so
// about 130 MB for 1,000,000 products; building it reads the catalogue
// once (about 10 s for 1,000,000 products).

const (
	flagDead uint8 = 1 << iota
	flagStray
)

// attrs are the facet attributes of one product ordinal.
type attrs struct {
	price     int64 // list price, minor units of currency
	incoterms uint16
	origin    uint16 // index into index.origins
	section   uint8  // index into index.sections
	currency  uint8  // index into index.currencies
	moq       uint8  // MOQ bucket
	flags     uint8
}

// index is one build of the search index; mu guards everything.
type index struct {
	mu       sync.RWMutex
	seq      int64 // every change up to seq is applied
	ids      [][16]byte
	at       []attrs
	postings map[string][]uint32
	strays   []uint32
	maxID    [16]byte
	live     int

	origins, sections, currencies []string
	originIdx, sectionIdx         map[string]uint16
	currencyIdx                   map[string]uint8
}

func newIndex() *index {
	return &index{seq: -1, postings: map[string][]uint32{}, originIdx: map[string]uint16{}, sectionIdx: map[string]uint16{},
		currencyIdx: map[string]uint8{}}
}

func (x *index) originOf(s string) uint16 {
	if i, ok := x.originIdx[s]; ok {
		return i
	}
	x.origins = append(x.origins, s)
	x.originIdx[s] = uint16(len(x.origins) - 1)
	return uint16(len(x.origins) - 1)
}

func (x *index) sectionOf(s string) uint8 {
	if i, ok := x.sectionIdx[s]; ok {
		return uint8(i)
	}
	x.sections = append(x.sections, s)
	x.sectionIdx[s] = uint16(len(x.sections) - 1)
	return uint8(len(x.sections) - 1)
}

func (x *index) currencyOf(s string) uint8 {
	if i, ok := x.currencyIdx[s]; ok {
		return i
	}
	x.currencies = append(x.currencies, s)
	x.currencyIdx[s] = uint8(len(x.currencies) - 1)
	return uint8(len(x.currencies) - 1)
}

// nonStrayAtOrBefore is the last ordinal ≤ i that is not a stray, -1 when
// none: ids of non-strays ascend with their ordinals.
func (x *index) nonStrayAtOrBefore(i int) int {
	for i >= 0 && x.at[i].flags&flagStray != 0 {
		i--
	}
	return i
}

// boundary is the first ordinal whose nearest non-stray at or before it
// has an id ≥ id: the non-strays below it are exactly those with a smaller
// id.
func (x *index) boundary(id [16]byte) int {
	lo, hi := 0, len(x.ids)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if j := x.nonStrayAtOrBefore(mid); j >= 0 && bytes.Compare(x.ids[j][:], id[:]) >= 0 {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}

// find is the live ordinal of a product id.
func (x *index) find(id [16]byte) (uint32, bool) {
	for _, o := range x.strays {
		if x.ids[o] == id && x.at[o].flags&flagDead == 0 {
			return o, true
		}
	}
	if b := x.boundary(id); b < len(x.ids) && x.ids[b] == id && x.at[b].flags&flagDead == 0 {
		return uint32(b), true
	}
	return 0, false
}

// add applies one written product: its previous version, if any, dies and
// the new one gets the next ordinal. fresh skips the lookup (a build reads
// each product once).
func (x *index) add(p *IndexEntry, fresh bool) {
	u, err := uuid.Parse(p.ID)
	if err != nil {
		return // every product id is a uuid (Publish makes them)
	}
	id := [16]byte(u)
	if !fresh {
		if o, ok := x.find(id); ok {
			x.at[o].flags |= flagDead
			x.live--
		}
	}
	o := uint32(len(x.ids))
	a := attrs{price: p.ListPrice, incoterms: uint16(p.Incoterms), origin: x.originOf(p.Origin), section: x.sectionOf(p.Section),
		currency: x.currencyOf(p.Currency), moq: uint8(MOQBucket(p.MOQ))}
	if len(x.ids) > 0 && bytes.Compare(id[:], x.maxID[:]) <= 0 {
		a.flags |= flagStray
		x.strays = append(x.strays, o)
	} else {
		x.maxID = id
	}
	x.ids = append(x.ids, id)
	x.at = append(x.at, a)
	x.live++
	for _, t := range IndexTerms(&Product{Names: p.Names, Descriptions: p.Descriptions, HS: p.HS}) {
		x.postings[t] = append(x.postings[t], o)
	}
	for _, t := range []string{originKey + p.Origin, sectionKey + p.Section} {
		x.postings[t] = append(x.postings[t], o)
	}
}

// A country's and an HS section's products are lists too, under keys no
// search text can produce (a term is letters and digits), so that a
// country pavilion walks its tenth of the catalogue, not all of it.
const (
	originKey  = "\x00origin:"
	sectionKey = "\x00section:"
)

// compact copies every posting list into one shared array with no spare
// capacity: appending to a list later copies that list alone.
func (x *index) compact() {
	n := 0
	for _, l := range x.postings {
		n += len(l)
	}
	arena := make([]uint32, 0, n)
	for t, l := range x.postings {
		start := len(arena)
		arena = append(arena, l...)
		x.postings[t] = arena[start:len(arena):len(arena)]
	}
	x.ids = slices.Clip(x.ids)
	x.at = slices.Clip(x.at)
}

// buildIndex reads the whole catalogue in id order.
func buildIndex(ctx context.Context, st Store) (*index, error) {
	x := newIndex()
	x.seq = 0
	err := st.ProductChanges(ctx, -1, true, func(e *IndexEntry) error {
		x.add(e, true)
		x.seq = max(x.seq, e.Seq)
		return nil
	})
	if err != nil {
		return nil, err
	}
	x.compact()
	return x, nil
}

// refresh applies every change committed since the last one applied.
func (x *index) refresh(ctx context.Context, st Store) error {
	x.mu.RLock()
	last := x.seq
	x.mu.RUnlock()
	var changes []IndexEntry
	if err := st.ProductChanges(ctx, last, false, func(e *IndexEntry) error {
		changes = append(changes, *e)
		return nil
	}); err != nil {
		return err
	}
	if len(changes) == 0 {
		return nil
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	for i := range changes {
		if changes[i].Seq > x.seq { // another search may have applied it
			x.add(&changes[i], false)
			x.seq = changes[i].Seq
		}
	}
	return nil
}

// indexQuery is a search as the index runs it.
type indexQuery struct {
	terms           []string
	origin, section string
	incoterm        int64
	moq, price      int // bucket + 1, 0 for any
	bounds          map[string][PriceBuckets - 1]int64
	contracts       map[string]int64 // those in force for the buyer, by product id
	cursor          [16]byte
	hasCursor       bool
	limit           int // results wanted (a page plus one)
}

// indexResult is the ids of a page, newest first, and the facet counts.
type indexResult struct {
	ids       []string
	contract  map[string]int64
	total     int
	origins   map[string]int
	sections  map[string]int
	prices    [PriceBuckets]int
	moq       [MOQBuckets]int
	incoterms []int
}

// currencyList is the currencies products are priced in.
func (x *index) currencyList() []string {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return slices.Clone(x.currencies)
}

// search runs q over the index.
func (x *index) search(q *indexQuery) indexResult {
	x.mu.RLock()
	defer x.mu.RUnlock()
	res := indexResult{origins: map[string]int{}, sections: map[string]int{}, incoterms: make([]int, len(Incoterms))}

	// Filters as indexes into the attribute tables; a value no product has
	// matches nothing.
	origin, section := -1, -1
	if q.origin != "" {
		i, ok := x.originIdx[q.origin]
		if !ok {
			return res
		}
		origin = int(i)
	}
	if q.section != "" {
		i, ok := x.sectionIdx[q.section]
		if !ok {
			return res
		}
		section = int(i)
	}
	bounds := make([]*[PriceBuckets - 1]int64, len(x.currencies))
	for i, c := range x.currencies {
		if b, ok := q.bounds[c]; ok {
			bounds[i] = &b
		}
	}
	var contract map[uint32]int64
	if len(q.contracts) > 0 {
		contract = map[uint32]int64{}
		res.contract = map[string]int64{}
		for id, price := range q.contracts {
			if u, err := uuid.Parse(id); err == nil {
				if o, ok := x.find([16]byte(u)); ok {
					contract[o] = price
				}
			}
		}
	}

	// Candidates: the intersection of the lists of the terms, the country
	// and the section, or every product.
	keys := q.terms
	if q.origin != "" {
		keys = append(slices.Clip(keys), originKey+q.origin)
	}
	if q.section != "" {
		keys = append(slices.Clip(keys), sectionKey+q.section)
	}
	var cands []uint32
	all := len(keys) == 0
	if !all {
		lists := make([][]uint32, 0, len(keys))
		for _, t := range keys {
			l := x.postings[t]
			if len(l) == 0 {
				return res
			}
			lists = append(lists, l)
		}
		cands = intersect(lists)
	}
	n := len(x.ids)
	below := n // non-strays below this ordinal have an id before the cursor
	if q.hasCursor {
		below = x.boundary(q.cursor)
	}

	originCnt := make([]int, len(x.origins))
	sectionCnt := make([]int, len(x.sections))
	var maskCnt [1 << 11]int
	ring := make([]uint32, q.limit)
	ringN, ri := 0, 0 // matches put in the ring, the next slot
	var strays []uint32
	m := len(cands)
	if all {
		m = n
	}
	incoterm, moq, price := uint16(q.incoterm), q.moq-1, q.price-1
	for k := range m {
		o := uint32(k)
		if !all {
			o = cands[k]
		}
		a := &x.at[o]
		if a.flags&flagDead != 0 || origin >= 0 && int(a.origin) != origin || section >= 0 && int(a.section) != section ||
			incoterm != 0 && a.incoterms&incoterm == 0 || moq >= 0 && int(a.moq) != moq {
			continue
		}
		bucket := -1
		if b := bounds[a.currency]; b != nil {
			p := a.price
			if contract != nil {
				if c, ok := contract[o]; ok {
					p = c
				}
			}
			bucket = 0
			for bucket < PriceBuckets-1 && p >= b[bucket] {
				bucket++
			}
		}
		if price >= 0 && bucket != price {
			continue
		}
		res.total++
		originCnt[a.origin]++
		sectionCnt[a.section]++
		res.moq[a.moq]++
		maskCnt[a.incoterms&(1<<11-1)]++
		if bucket >= 0 {
			res.prices[bucket]++
		}
		switch {
		case a.flags&flagStray != 0:
			if !q.hasCursor || bytes.Compare(x.ids[o][:], q.cursor[:]) < 0 {
				strays = append(strays, o)
			}
		case int(o) < below && q.limit > 0:
			ring[ri] = o
			if ri++; ri == len(ring) {
				ri = 0
			}
			ringN++
		}
	}

	for i, c := range originCnt {
		if c > 0 {
			res.origins[x.origins[i]] = c
		}
	}
	for i, c := range sectionCnt {
		if c > 0 {
			res.sections[x.sections[i]] = c
		}
	}
	for m, c := range maskCnt {
		if c == 0 {
			continue
		}
		for i := range Incoterms {
			if m&(1<<i) != 0 {
				res.incoterms[i] += c
			}
		}
	}

	// The page: the newest non-strays (the ring, oldest first) merged with
	// the strays by id, newest first.
	page := make([]uint32, 0, q.limit+len(strays))
	for range min(ringN, len(ring)) {
		if ri--; ri < 0 {
			ri = len(ring) - 1
		}
		page = append(page, ring[ri])
	}
	if len(strays) > 0 {
		page = append(page, strays...)
		slices.SortFunc(page, func(a, b uint32) int { return bytes.Compare(x.ids[b][:], x.ids[a][:]) })
	}
	if len(page) > q.limit {
		page = page[:q.limit]
	}
	res.ids = make([]string, len(page))
	for i, o := range page {
		res.ids[i] = uuid.UUID(x.ids[o]).String()
		if c, ok := contract[o]; ok {
			res.contract[res.ids[i]] = c
		}
	}
	return res
}

// intersect is the sorted intersection of sorted lists: the smallest
// list filtered by each other one, searched by galloping from the last
// position (a short list against a long one costs its length times a
// logarithm, not the long one's length).
func intersect(lists [][]uint32) []uint32 {
	slices.SortFunc(lists, func(a, b []uint32) int { return len(a) - len(b) })
	if len(lists) == 1 {
		return lists[0]
	}
	out := slices.Clone(lists[0])
	for _, l := range lists[1:] {
		k, j := 0, 0
		for _, v := range out {
			if j < len(l) && l[j] < v {
				// l[j] < v: double the step until l[j+step] >= v, then
				// search between.
				step := 1
				for j+step < len(l) && l[j+step] < v {
					j += step
					step <<= 1
				}
				hi := min(j+step, len(l))
				j += sort.Search(hi-j, func(i int) bool { return l[j+i] >= v })
			}
			if j == len(l) {
				break
			}
			if l[j] == v {
				out[k] = v
				k++
			}
		}
		out = out[:k]
		if k == 0 {
			break
		}
	}
	return out
}

// searchState is a service's index, built on first use (or by
// BuildSearchIndex) and refreshed by every search.
type searchState struct {
	mu  sync.Mutex
	idx atomic.Pointer[index]
}

// searchIndex is the index with every change committed before the call.
func (s *Service) searchIndex(ctx context.Context) (*index, error) {
	x := s.search.idx.Load()
	if x == nil {
		s.search.mu.Lock()
		if x = s.search.idx.Load(); x == nil {
			started := time.Now()
			built, err := buildIndex(ctx, s.store)
			if err != nil {
				s.search.mu.Unlock()
				return nil, err
			}
			s.cfg.Log.Info("market search index built", "products", built.live, "terms", len(built.postings), "seq", built.seq,
				"took", time.Since(started).Round(time.Millisecond))
			s.search.idx.Store(built)
			s.search.mu.Unlock()
			return built, nil
		}
		s.search.mu.Unlock()
	}
	return x, x.refresh(ctx, s.store)
}

// BuildSearchIndex builds the search index now rather than on the first
// search (serve and the benchmark call it at start; it reads the whole
// catalogue once).
func (s *Service) BuildSearchIndex(ctx context.Context) error {
	_, err := s.searchIndex(ctx)
	return err
}
