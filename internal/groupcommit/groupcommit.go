// Package groupcommit shares one commit among concurrent callers: the
// ledger's transfer batches and customs' declaration changes both use it,
// so that one transaction (and one fsync) serves every request that
// arrived while the previous one was being written.
//
// There is no background goroutine to start or stop. The first caller to
// arrive while nothing is being written becomes the leader and writes;
// callers that arrive meanwhile queue, and when the leader is done it hands
// the lead to the first of them, which writes everything queued by then. A
// lone caller therefore waits for nothing, and under load every write takes
// as much as one batch may hold.
package groupcommit

import (
	"context"
	"sync"
)

// Queue group-commits items of type T, which are usually pointers: the
// write function records each item's outcome in the item itself.
type Queue[T any] struct {
	write  func(take func() []T) error
	max    int
	weight func(T) int
	joins  func(first, next T) bool
	// writers bounds how many batches are written at once.
	writers int

	mu      sync.Mutex
	waiting []*waiter[T]
	running int // leaders writing or designated to
}

// Options shape the batches; the zero value takes every queued item.
type Options[T any] struct {
	// Max bounds the weight of one batch (0: unbounded), so that a burst
	// cannot make one transaction, and its leader's wait, arbitrarily long.
	// The first item of a batch is always taken, whatever its weight.
	Max int
	// Weight is an item's share of Max (nil: 1 each).
	Weight func(T) int
	// Joins reports whether next may share a batch with first (nil: all
	// may). An item that may not waits for a later batch; items behind it
	// that may are not held up by it.
	Joins func(first, next T) bool
	// Writers is how many batches may be written at the same time (0 or
	// 1: one). A second writer helps where writes of different items can
	// proceed in parallel in the database (rows locked, not one whole-
	// database lock) and a batch spends much of its time waiting for round
	// trips and its commit's flush: the next batch's statements run
	// meanwhile. Write must then be safe to run concurrently with itself.
	Writers int
}

// New returns a queue whose leaders call write. Write calls take once,
// when it is ready to write (after taking its turn among writers, say), and
// writes the items take returns; the later take is called, the more
// arrivals join the batch. If write returns an error, that error is the
// outcome of every item of the batch, taken by write or, if write failed
// before it called take, by the queue after it. Write runs on the leader's
// goroutine but for everyone: it must not depend on the leader's context.
func New[T any](write func(take func() []T) error, opts Options[T]) *Queue[T] {
	return &Queue[T]{write: write, max: opts.Max, weight: opts.Weight, joins: opts.Joins, writers: max(1, opts.Writers)}
}

type state int

const (
	queued  state = iota
	leading       // this caller is to write the next batch
	taken         // in a batch being written
	done          // written (err holds the batch's error)
	left          // its context ended before it was taken: not written
)

type waiter[T any] struct {
	item  T
	ctx   context.Context
	wake  chan struct{} // 1-buffered: the state changed
	state state         // guarded by Queue.mu
	// inLead: this caller's goroutine is writing a batch (guarded by
	// Queue.mu), so it cannot be handed another lead meanwhile.
	inLead bool
	err    error
}

// Do queues item and returns when a batch holding it has been written,
// with that batch's error (nil: the outcome is in item). If ctx ends
// before the item is taken into a batch, the item is never written and Do
// returns ctx.Err(). If ctx ends while its batch is being written, Do
// returns ctx.Err() at once and the batch may still commit: callers
// retry with the same idempotency keys to learn the outcome.
func (q *Queue[T]) Do(ctx context.Context, item T) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	w := &waiter[T]{item: item, ctx: ctx, wake: make(chan struct{}, 1)}
	q.mu.Lock()
	q.waiting = append(q.waiting, w)
	if q.running < q.writers {
		q.running++
		w.state = leading
	}
	st := w.state
	q.mu.Unlock()
	for {
		switch st {
		case leading:
			q.lead(w)
		case done:
			return w.err
		case left:
			return ctx.Err()
		}
		select {
		case <-w.wake:
		case <-ctx.Done():
			q.mu.Lock()
			switch w.state {
			case queued:
				q.remove(w)
				w.state = left
			case taken:
				q.mu.Unlock()
				return ctx.Err()
			}
			// leading must lead (others wait on it); done and left are
			// outcomes: all three are handled at the top of the loop.
			q.mu.Unlock()
		}
		q.mu.Lock()
		st = w.state
		q.mu.Unlock()
	}
}

// lead writes one batch, then hands the lead to the first caller still
// queued (perhaps the leader itself, if its item did not fit) or stops.
func (q *Queue[T]) lead(me *waiter[T]) {
	q.mu.Lock()
	me.state = queued // until take: its item may not fit this batch
	me.inLead = true
	q.mu.Unlock()
	var batch []*waiter[T]
	called := false
	take := func() []T {
		if called {
			panic("groupcommit: take called twice")
		}
		called = true
		batch = q.takeBatch()
		items := make([]T, len(batch))
		for i, w := range batch {
			items[i] = w.item
		}
		return items
	}
	err := q.write(take)
	if !called {
		take()
	}
	q.mu.Lock()
	me.inLead = false
	for _, w := range batch {
		w.state, w.err = done, err
		w.signal()
	}
	handed := false
	for _, next := range q.waiting {
		// Neither one already designated nor one whose goroutine is
		// writing another batch (its item was not taken by it).
		if next.state == queued && !next.inLead {
			next.state = leading
			next.signal()
			handed = true
			break
		}
	}
	if !handed {
		q.running--
	}
	q.mu.Unlock()
}

// takeBatch takes the queued items that make one batch, marking them taken;
// callers whose context has ended are told so and left out.
func (q *Queue[T]) takeBatch() []*waiter[T] {
	q.mu.Lock()
	defer q.mu.Unlock()
	var batch []*waiter[T]
	rest := q.waiting[:0:0]
	total := 0
	for _, w := range q.waiting {
		if w.state == leading {
			// Designated to lead (with several writers): it writes its
			// own batch, and must not be taken into this one, or the
			// lead it holds would be lost.
			rest = append(rest, w)
			continue
		}
		if w.ctx.Err() != nil {
			w.state = left
			w.signal()
			continue
		}
		if len(batch) > 0 {
			fits := q.max <= 0 || total+q.weightOf(w.item) <= q.max
			if !fits || (q.joins != nil && !q.joins(batch[0].item, w.item)) {
				rest = append(rest, w)
				continue
			}
		}
		w.state = taken
		batch = append(batch, w)
		total += q.weightOf(w.item)
	}
	q.waiting = rest
	return batch
}

func (q *Queue[T]) weightOf(item T) int {
	if q.weight == nil {
		return 1
	}
	return q.weight(item)
}

// remove drops w from the waiting list; q.mu is held.
func (q *Queue[T]) remove(w *waiter[T]) {
	for i, x := range q.waiting {
		if x == w {
			q.waiting = append(q.waiting[:i:i], q.waiting[i+1:]...)
			return
		}
	}
}

func (w *waiter[T]) signal() {
	select {
	case w.wake <- struct{}{}:
	default: // a wake-up is already pending; the state is read after it
	}
}

// queued reports how many callers wait for a batch (for tests).
func (q *Queue[T]) queued() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.waiting)
}
