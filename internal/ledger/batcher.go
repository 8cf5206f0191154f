package ledger

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/groupcommit"
)

// batcher is the ledger's group commit (internal/groupcommit): requests
// from many callers queue, and one transaction writes as many as one batch
// holds. While a transaction commits (and fsyncs), the next requests
// gather, so under load every fsync is shared by hundreds of transfers,
// and when the load is light a lone request is written at once with no
// added wait. System and client work are not mixed: system batches skip
// the authorisation that client transfers need.
type batcher struct {
	store Store
	log   *slog.Logger
	queue *groupcommit.Queue[*submission]
	now   func() time.Time
	// observe, when set, is told each commit's latency and size.
	observe atomic.Pointer[func(time.Duration, int)]
}

type submission struct {
	reqs      []Transfer
	authorise func(debit, credit *Account) bool
	system    bool
	rec       audit.Record
	results   []Result // the outcome, once written
}

func newBatcher(store Store, log *slog.Logger, now func() time.Time) *batcher {
	b := &batcher{store: store, log: log, now: now}
	b.queue = groupcommit.New(b.write, groupcommit.Options[*submission]{
		Max:    MaxBatch,
		Weight: func(s *submission) int { return len(s.reqs) },
		Joins:  func(first, next *submission) bool { return first.system == next.system },
	})
	return b
}

// submit queues reqs and waits for their results. If ctx ends while the
// batch commits, the batch may still commit; the client retries with the
// same ids and learns the outcome from the idempotent answer.
func (b *batcher) submit(ctx context.Context, s *submission) ([]Result, error) {
	if err := b.queue.Do(ctx, s); err != nil {
		return nil, err
	}
	return s.results, nil
}

// gatheringStore is a Store that takes its turn among the writers first
// and asks for the batch after (sqlstore: the turn is the head row's
// lock, which writers in other processes hold too). Requests that arrive
// during the wait then join this turn instead of waiting for the next.
type gatheringStore interface {
	CreateTransfersGathered(ctx context.Context, gather func() ([]Transfer, BatchOptions)) ([]Result, error)
}

func (b *batcher) write(take func() []*submission) error {
	var included []*submission
	var reqs []Transfer
	var opts BatchOptions
	prepare := func() ([]Transfer, BatchOptions) {
		included = take()
		owner := make([]*submission, 0, len(included))
		opts = BatchOptions{Now: b.now(), System: len(included) > 0 && included[0].system}
		for _, s := range included {
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
		// Failing before its turn, it never took: the queue gives this
		// error to the requests waiting.
		results, err = gs.CreateTransfersGathered(ctx, prepare)
	} else {
		prepare()
		if len(reqs) > 0 {
			results, err = b.store.CreateTransfers(ctx, reqs, opts)
		}
	}
	if err != nil {
		b.log.Error("ledger batch failed", "transfers", len(reqs), "err", err)
		return err
	}
	if len(reqs) == 0 {
		return nil
	}
	if fn := b.observe.Load(); fn != nil {
		(*fn)(time.Since(began), len(reqs))
	}
	at := 0
	for _, s := range included {
		s.results = make([]Result, len(s.reqs))
		for i := range s.reqs {
			s.results[i] = results[at+i]
			s.results[i].Index = i
		}
		at += len(s.reqs)
	}
	return nil
}
