package groupcommit

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

type item struct {
	n      int
	system bool
	size   int
	result int // written by write: the batch number
}

// recorder is a write function that remembers its batches; block, when
// set, holds the first write until it is closed.
type recorder struct {
	mu      sync.Mutex
	batches [][]int
	block   chan struct{}
	err     error
}

func (r *recorder) write(take func() []*item) error {
	if r.block != nil {
		<-r.block
		r.block = nil
	}
	items := take()
	r.mu.Lock()
	defer r.mu.Unlock()
	var ns []int
	for _, it := range items {
		it.result = len(r.batches) + 1
		ns = append(ns, it.n)
	}
	r.batches = append(r.batches, ns)
	return r.err
}

// waitQueued waits until n callers queue behind the leader.
func waitQueued[T any](t *testing.T, q *Queue[T], n int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); q.queued() < n; {
		if time.Now().After(deadline) {
			t.Fatalf("only %d callers queued, want %d", q.queued(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestLoneCallerWritesAtOnce(t *testing.T) {
	r := &recorder{}
	q := New(r.write, Options[*item]{})
	it := &item{n: 1}
	if err := q.Do(context.Background(), it); err != nil {
		t.Fatal(err)
	}
	if it.result != 1 || len(r.batches) != 1 {
		t.Fatalf("result %d, batches %v", it.result, r.batches)
	}
}

// While one batch is written, arrivals gather and the next leader writes
// them all in one batch: every item written exactly once.
func TestArrivalsShareTheNextWrite(t *testing.T) {
	r := &recorder{block: make(chan struct{})}
	q := New(r.write, Options[*item]{})
	const n = 50
	items := make([]*item, n)
	errs := make(chan error, n)
	for i := range items {
		items[i] = &item{n: i}
	}
	go func() { errs <- q.Do(context.Background(), items[0]) }()
	waitQueued(t, q, 1) // the leader is blocked in write, its item queued until take
	for i := 1; i < n; i++ {
		go func(i int) { errs <- q.Do(context.Background(), items[i]) }(i)
	}
	waitQueued(t, q, n)
	close(r.block)
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	// The blocked leader took everything queued when it was released.
	if len(r.batches) != 1 || len(r.batches[0]) != n {
		t.Fatalf("batches %v, want one of %d", r.batches, n)
	}
}

func TestMaxSplitsBatchesAndJoinsSeparatesKinds(t *testing.T) {
	r := &recorder{block: make(chan struct{})}
	q := New(r.write, Options[*item]{
		Max:    5,
		Weight: func(it *item) int { return it.size },
		Joins:  func(a, b *item) bool { return a.system == b.system },
	})
	// Queued in this order while the first write is held: sizes 3, 3 (does
	// not fit with the first), a system item, 2 (fits with the first).
	items := []*item{{n: 0, size: 3}, {n: 1, size: 3}, {n: 2, size: 1, system: true}, {n: 3, size: 2}, {n: 4, size: 9}}
	var wg sync.WaitGroup
	for i, it := range items {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := q.Do(context.Background(), it); err != nil {
				t.Error(err)
			}
		}()
		waitQueued(t, q, i+1)
	}
	close(r.block)
	wg.Wait()
	want := [][]int{{0, 3}, {1}, {2}, {4}} // an item heavier than Max goes alone
	if len(r.batches) != len(want) {
		t.Fatalf("batches %v, want %v", r.batches, want)
	}
	for i := range want {
		if len(r.batches[i]) != len(want[i]) {
			t.Fatalf("batches %v, want %v", r.batches, want)
		}
		for j := range want[i] {
			if r.batches[i][j] != want[i][j] {
				t.Fatalf("batches %v, want %v", r.batches, want)
			}
		}
	}
}

// A caller that gives up before its item is taken is not written.
func TestCallerLeavingBeforeItsTurnIsNotWritten(t *testing.T) {
	r := &recorder{block: make(chan struct{})}
	q := New(r.write, Options[*item]{})
	first := make(chan error, 1)
	go func() { first <- q.Do(context.Background(), &item{n: 0}) }()
	waitQueued(t, q, 1)
	ctx, cancel := context.WithCancel(context.Background())
	gone := &item{n: 1}
	left := make(chan error, 1)
	go func() { left <- q.Do(ctx, gone) }()
	waitQueued(t, q, 2)
	cancel()
	if err := <-left; !errors.Is(err, context.Canceled) {
		t.Fatalf("leaving caller: %v", err)
	}
	close(r.block)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if gone.result != 0 || len(r.batches) != 1 || len(r.batches[0]) != 1 {
		t.Fatalf("the leaving caller's item was written: batches %v", r.batches)
	}
	// The queue is idle again: the next caller leads at once.
	if err := q.Do(context.Background(), &item{n: 2}); err != nil || len(r.batches) != 2 {
		t.Fatalf("after: %v, batches %v", err, r.batches)
	}
}

// A write error is every batch member's outcome, also when write failed
// before it took the batch.
func TestWriteErrorReachesTheWholeBatch(t *testing.T) {
	boom := errors.New("database down")
	release := make(chan struct{})
	q := New(func(take func() []*item) error {
		<-release
		return boom // never took: the queue takes for it
	}, Options[*item]{})
	errs := make(chan error, 3)
	go func() { errs <- q.Do(context.Background(), &item{}) }()
	waitQueued(t, q, 1)
	go func() { errs <- q.Do(context.Background(), &item{}) }()
	go func() { errs <- q.Do(context.Background(), &item{}) }()
	waitQueued(t, q, 3)
	close(release)
	for range 3 {
		if err := <-errs; !errors.Is(err, boom) {
			t.Fatalf("got %v, want %v", err, boom)
		}
	}
}

// Many callers at once, under -race: each item is written exactly once.
func TestConcurrentCallersEachWrittenOnce(t *testing.T) {
	var mu sync.Mutex
	seen := map[int]int{}
	q := New(func(take func() []*item) error {
		for _, it := range take() {
			mu.Lock()
			seen[it.n]++
			mu.Unlock()
		}
		return nil
	}, Options[*item]{Max: 7})
	const n = 2000
	doAll(t, q, n)
	if len(seen) != n {
		t.Fatalf("%d items written, want %d", len(seen), n)
	}
	for k, c := range seen {
		if c != 1 {
			t.Fatalf("item %d written %d times", k, c)
		}
	}
}

// With Writers: 2 a second batch is written while the first still is:
// the first write waits for another to start, which only happens if they
// overlap (with one writer it times out and the test fails). No more than
// two ever write at once, every item is written once, and when the last
// caller is answered no lead is left held.
func TestTwoWritersOverlapAndNoMore(t *testing.T) {
	var mu sync.Mutex
	active, most, writes := 0, 0, 0
	both := make(chan struct{})
	seen := map[int]int{}
	q := New(func(take func() []*item) error {
		mu.Lock()
		active++
		writes++
		first := writes == 1
		most = max(most, active)
		if active == 2 && most == 2 && writes == 2 {
			close(both)
		}
		mu.Unlock()
		if first {
			select {
			case <-both:
			case <-time.After(5 * time.Second):
				t.Error("no second writer started while the first wrote")
			}
		}
		items := take()
		mu.Lock()
		for _, it := range items {
			seen[it.n]++
		}
		active--
		mu.Unlock()
		return nil
	}, Options[*item]{Max: 5, Writers: 2})
	const n = 2000
	doAll(t, q, n)
	if most != 2 {
		t.Fatalf("at most %d writers at once, want 2", most)
	}
	for i := range n {
		if c := seen[i]; c != 1 {
			t.Fatalf("item %d written %d times", i, c)
		}
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.running != 0 || len(q.waiting) != 0 {
		t.Fatalf("after the last caller: %d writers running, %d waiting", q.running, len(q.waiting))
	}
}

// doAll has n concurrent callers each queue one item (numbered 0…n-1)
// and waits for them all.
func doAll(t *testing.T, q *Queue[*item], n int) {
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := q.Do(context.Background(), &item{n: i}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
}
