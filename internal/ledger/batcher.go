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
		// Take whatever else is already waiting, up to one batch.
		n := 0
		for _, s := range pending {
			n += len(s.reqs)
		}
	gather:
		for n < MaxBatch {
			select {
			case s := <-b.queue:
				pending = append(pending, s)
				n += len(s.reqs)
			default:
				break gather
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
		b.write(take, total)
		pending = rest
	}
}

func (b *batcher) write(subs []*submission, total int) {
	reqs := make([]Transfer, 0, total)
	owner := make([]*submission, 0, total)
	var included []*submission
	opts := BatchOptions{Now: b.now(), System: subs[0].system}
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
	if len(reqs) == 0 {
		return
	}
	if !opts.System {
		opts.Authorise = func(i int, dr, cr *Account) bool { return owner[i].authorise == nil || owner[i].authorise(dr, cr) }
	}
	// The batch runs on its own context: one caller giving up must not
	// abort the others' transaction.
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	began := time.Now()
	results, err := b.store.CreateTransfers(ctx, reqs, opts)
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
