package sqlstore

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"bricstown/internal/fx"
	"bricstown/internal/identity"
	"bricstown/internal/market"
	"bricstown/internal/problem"
)

// second is another market.Service on the same database, with its own
// search index: what a second serve process is.
// Its rates are those of newMarketWorld.
func (w *marketWorld) second(t *testing.T) *market.Service {
	refs := fx.ReferenceSet{
		"BRL": {Date: "2026-05-04", Currency: "BRL", Units: 1, KZT: fxMustRate(t, "92.5")},
		"CNY": {Date: "2026-05-04", Currency: "CNY", Units: 1, KZT: fxMustRate(t, "70.12")},
		"USD": {Date: "2026-05-04", Currency: "USD", Units: 1, KZT: fxMustRate(t, "505.3")},
	}
	return market.NewService(w.db, market.Config{Now: func() time.Time { return w.now },
		Rates: func(context.Context, time.Time) (fx.ReferenceSet, error) { return refs, nil },
		Org:   func(ctx context.Context, id string) (identity.Org, error) { return w.db.GetOrg(ctx, id) }})
}

func ids(os []market.Offer) []string {
	out := make([]string, len(os))
	for i, o := range os {
		out[i] = o.ID
	}
	return out
}

// Two services on one database (two serve processes) each see what the
// other published or changed once it committed, although each built its
// index before: every search first applies the changes it has not seen.
func TestMarketTwoServicesSeeEachOthersWrites(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		w := newMarketWorld(t, db)
		ctx := context.Background()
		a, b := w.svc, w.second(t)
		for _, s := range []*market.Service{a, b} {
			if err := s.BuildSearchIndex(ctx); err != nil {
				t.Fatal(err)
			}
		}
		c, err := a.Publish(ctx, w.br, coffee())
		if err != nil {
			t.Fatal(err)
		}
		r, err := b.Search(ctx, w.buyerB, market.Query{Text: "咖啡"})
		if err != nil || r.Facets.Total != 1 || len(r.Items) != 1 || r.Items[0].ID != c.ID {
			t.Fatalf("b after a's publish: %+v %v", r, err)
		}
		// b changes it; a stops finding the old words and finds the new.
		changed := coffee()
		changed.Names = map[string]string{"en": "Robusta beans"}
		if _, err := b.Update(ctx, w.br, c.ID, changed); err != nil {
			t.Fatal(err)
		}
		if r, _ := a.Search(ctx, w.buyerB, market.Query{Text: "arabica"}); r.Facets.Total != 0 || len(r.Items) != 0 {
			t.Fatalf("a still finds the old words: %+v", r)
		}
		if r, _ := a.Search(ctx, w.buyerB, market.Query{Text: "robusta"}); r.Facets.Total != 1 || r.Items[0].Name("en") != "Robusta beans" {
			t.Fatalf("a does not find the new words: %+v", r)
		}
		// A batch published through b is seen by a, whole.
		batch := []market.NewProduct{excavator(), excavator(), tea()}
		if _, err := b.PublishBatch(ctx, w.cn, batch); err != nil {
			t.Fatal(err)
		}
		if r, _ := a.Search(ctx, w.buyerB, market.Query{Origin: "CN"}); r.Facets.Total != 3 {
			t.Fatalf("a sees %d of b's batch of 3", r.Facets.Total)
		}
	})
}

// Writers racing while another service searches: products commit in the
// order of their change numbers, so the searching service, which only ever
// asks for numbers above the last it applied, misses none of them.
func TestMarketIndexMissesNoConcurrentWrite(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		w := newMarketWorld(t, db)
		ctx := context.Background()
		reader := w.second(t)
		const writers, each = 4, 10
		var wg sync.WaitGroup
		errs := make(chan error, writers+1)
		done := make(chan struct{})
		for i := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := range each {
					in := wheat()
					in.Names = map[string]string{"en": fmt.Sprintf("Wheat lot w%dx%d", i, j)}
					if _, err := w.svc.Publish(ctx, w.br, in); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		var rg sync.WaitGroup
		rg.Add(1)
		go func() {
			defer rg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				if _, err := reader.Search(ctx, w.buyerC, market.Query{Text: "wheat"}); err != nil {
					errs <- err
					return
				}
			}
		}()
		wg.Wait()
		close(done)
		rg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		r, err := reader.Search(ctx, w.buyerC, market.Query{Text: "wheat"})
		if err != nil || r.Facets.Total != writers*each {
			t.Fatalf("the reader sees %d of %d: %v", r.Facets.Total, writers*each, err)
		}
	})
}

// Updated products (strays: their new version's id is below the newest)
// keep their place in the newest-first order and in cursor paging.
func TestMarketIndexOrderAfterUpdates(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		w := newMarketWorld(t, db)
		ctx := context.Background()
		var ps []market.Product
		for range 7 {
			ps = append(ps, w.publish(t, w.br, coffee()))
		}
		if err := w.svc.BuildSearchIndex(ctx); err != nil {
			t.Fatal(err)
		}
		for _, i := range []int{1, 4, 6, 4} {
			if _, err := w.svc.Update(ctx, w.br, ps[i].ID, coffee()); err != nil {
				t.Fatal(err)
			}
		}
		want := make([]string, len(ps))
		for i, p := range ps {
			want[len(ps)-1-i] = p.ID
		}
		for _, limit := range []int{1, 2, 3, 50} {
			for _, s := range []*market.Service{w.svc, w.second(t)} {
				if got := ids(w.allOn(t, s, market.Query{Text: "coffee", Limit: limit})); !slices.Equal(got, want) {
					t.Fatalf("limit %d: %v, want %v", limit, got, want)
				}
			}
		}
		if r := w.search(t, w.buyerB, market.Query{Text: "coffee"}); r.Facets.Total != 7 {
			t.Fatalf("an updated product counted twice: %d", r.Facets.Total)
		}
	})
}

func (w *marketWorld) allOn(t *testing.T, s *market.Service, q market.Query) []market.Offer {
	t.Helper()
	var out []market.Offer
	for {
		r, err := s.Search(context.Background(), w.buyerB, q)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, r.Items...)
		if r.NextCursor == "" || len(out) > 100 {
			return out
		}
		q.Cursor = r.NextCursor
	}
}

// A batch is validated like single products, all or nothing, and only a
// seller publishes one.
func TestMarketPublishBatch(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		w := newMarketWorld(t, db)
		ctx := context.Background()
		if _, err := w.svc.PublishBatch(ctx, w.bank, []market.NewProduct{coffee()}); !problem.Is(err, problem.Forbidden) {
			t.Fatalf("a bank's batch: %v", err)
		}
		bad := coffee()
		bad.HS = "0901.99"
		_, err := w.svc.PublishBatch(ctx, w.br, []market.NewProduct{coffee(), bad})
		var pe *problem.Error
		if !problem.Is(err, problem.Invalid) || !asProblem(err, &pe) || pe.Fields["products[1].hs"] == "" || len(pe.Fields) != 1 {
			t.Fatalf("bad batch: %v", err)
		}
		if r := w.search(t, w.buyerB, market.Query{}); r.Facets.Total != 0 {
			t.Fatalf("half a batch stored: %d", r.Facets.Total)
		}
		got, err := w.svc.PublishBatch(ctx, w.br, []market.NewProduct{coffee(), wheat()})
		if err != nil || len(got) != 2 || got[0].SellerOrg != "m-br" || got[0].Section != "II" {
			t.Fatalf("batch: %+v %v", got, err)
		}
		if r := w.search(t, w.buyerB, market.Query{Text: "trigo"}); r.Facets.Total != 1 || !strings.Contains(r.Items[0].Name("pt"), "Trigo") {
			t.Fatalf("batch not searchable: %+v", r)
		}
	})
}
