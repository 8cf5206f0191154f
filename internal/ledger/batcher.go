package ledger

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"bricstown/internal/audit"
)

// batcher is the ledger's group commit: requests from many callers queue
// here and one goroutine writes them in as few transactions as possible.
// While a transaction commits (and fsyncs), the next requests gather, so
// under load every fsync is shared by hundreds of transfers, and when the
// load is light a lone request is written at once with no added wait.
type batcher struct {
	store Store
	log   *slog.Logger
	queue chan *submission
	now   func() time.Time
	// observe, when set, is told each commit's latency and size.
	observe atomic.Pointer[func(time.Duration, int)]
}

type submission struct {
	ctx       context.Context
	reqs      []Transfer
	authorise func(debit, credit *Account) bool
	system    bool
	rec       audit.Record
	done      chan submitted
}

type submitted struct {
	results []Result
	err     error
}

func newBatcher(store Store, log *slog.Logger, now func() time.Time) *batcher {
	return &batcher{store: store, log: log, queue: make(chan *submission, 4096), now: now}
}

// submit queues reqs and waits for their results.
func (b *batcher) submit(ctx context.Context, s *submission) ([]Result, error) {
	s.ctx = ctx
	s.done = make(chan submitted, 1)
	select {
	case b.queue <- s:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	select {
	case r := <-s.done:
		return r.results, r.err
	case <-ctx.Done():
		// The batch may still commit; the client retries with the same ids
		// and learns the outcome from the idempotent answer.
		return nil, ctx.Err()
	}
}

// run writes queued submissions until ctx ends.
func (b *batcher) run(ctx context.Context) {
	var pending []*submission
	for {
		if len(pending) == 0 {
			select {
			case <-ctx.Done():
				return
			case s := <-b.queue:
				pending = append(pending, s)
			}
		}
		// The batch is whatever is waiting when gather runs, up to one
		// batch; write calls it once.
		gather := func() []*submission {
			n := 0
			for _, s := range pending {
				n += len(s.reqs)
			}
		drain:
			for n < MaxBatch {
				select {
				case s := <-b.queue:
					pending = append(pending, s)
					n += len(s.reqs)
				default:
					break drain
				}
			}
			// System and client work are not mixed: system batches skip the
			// authorisation that client transfers need.
			var take, rest []*submission
			total := 0
			for _, s := range pending {
				if len(take) > 0 && (s.system != take[0].system || total+len(s.reqs) > MaxBatch) {
					rest = append(rest, s)
					continue
				}
				take = append(take, s)
				total += len(s.reqs)
			}
			pending = rest
			return take
		}
		b.write(gather)
	}
}

// gatheringStore is a Store that takes its turn among the writers first
// and asks for the batch after (sqlstore: the turn is the head row's
// lock, which writers in other processes hold too). Requests that arrive
// during the wait then join this turn instead of waiting for the next.
type gatheringStore interface {
	CreateTransfersGathered(ctx context.Context, gather func() ([]Transfer, BatchOptions)) ([]Result, error)
}

func (b *batcher) write(gather func() []*submission) {
	var included []*submission
	var reqs []Transfer
	var opts BatchOptions
	prepared := false
	prepare := func() ([]Transfer, BatchOptions) {
		prepared = true
		subs := gather()
		owner := make([]*submission, 0, len(subs))
		opts = BatchOptions{Now: b.now(), System: len(subs) > 0 && subs[0].system}
		for _, s := range subs {
			if err := s.ctx.Err(); err != nil {
				s.done <- submitted{err: err} // the caller left before its turn
				continue
			}
			included = append(included, s)
			opts.Audit = append(opts.Audit, BatchAudit{From: len(reqs), To: len(reqs) + len(s.reqs), Record: s.rec})
			reqs = append(reqs, s.reqs...)
			for range s.reqs {
				owner = append(owner, s)
			}
		}
		if !opts.System {
			opts.Authorise = func(i int, dr, cr *Account) bool { return owner[i].authorise == nil || owner[i].authorise(dr, cr) }
		}
		return reqs, opts
	}
	// The batch runs on its own context: one caller giving up must not
	// abort the others' transaction.
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	began := time.Now()
	var results []Result
	var err error
	if gs, ok := b.store.(gatheringStore); ok {
		results, err = gs.CreateTransfersGathered(ctx, prepare)
		if err != nil && !prepared {
			prepare() // failed before its turn: these requests get the error
		}
	} else {
		prepare()
		if len(reqs) > 0 {
			results, err = b.store.CreateTransfers(ctx, reqs, opts)
		}
	}
	if len(reqs) == 0 {
		return
	}
	if fn := b.observe.Load(); fn != nil && err == nil {
		(*fn)(time.Since(began), len(reqs))
	}
	if err != nil {
		b.log.Error("ledger batch failed", "transfers", len(reqs), "err", err)
	}
	at := 0
	for _, s := range included {
		if err != nil {
			s.done <- submitted{err: err}
			continue
		}
		res := make([]Result, len(s.reqs))
		for i := range s.reqs {
			res[i] = results[at+i]
			res[i].Index = i
		}
		at += len(s.reqs)
		s.done <- submitted{results: res}
	}
}
