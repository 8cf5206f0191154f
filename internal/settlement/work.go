package settlement

import (
	"context"
	"sort"

	"bricstown/internal/identity"
	"bricstown/internal/money"
	"bricstown/internal/problem"
)

// add sums two amounts, refusing an overflow instead of wrapping.
func add(a, b int64) (int64, bool) {
	c, ok := money.Add(money.Amount(a), money.Amount(b))
	return int64(c), ok
}

// QueueLimit is how many instructions a work summary reads, as the
// settlement page does, so that its counts match the page's queue.
const QueueLimit = 500

// Flow is what a bank's queued instructions would move in one currency if
// the next cycle settled them all: Out it pays, In it receives (payments
// credited in the currency they were sent in), Net = In - Out.
type Flow struct {
	Currency string `json:"currency"`
	Out      int64  `json:"out"`
	In       int64  `json:"in"`
	Net      int64  `json:"net"`
}

// Work is the settlement queue as its viewer sees it before the next
// cycle: the centre every bank's unsettled instructions, a participant
// its own (as payer or payee).
type Work struct {
	Centre      bool `json:"centre"`
	Participant bool `json:"participant"`
	// Unsettled counts what the settlement page lists in its queue.
	Unsettled int  `json:"unsettled"`
	Queued    int  `json:"queued"`
	Held      int  `json:"held"`
	Deferred  int  `json:"deferred"`
	Excluded  int  `json:"excluded"`
	More      bool `json:"more,omitempty"`
	// Converting counts incoming payments credited in another currency
	// than sent: their amount is known only at the cycle's rate.
	Converting  int    `json:"converting,omitempty"`
	Flows       []Flow `json:"flows,omitempty"`
	LatestCycle int64  `json:"latest_cycle"`
}

// WorkOf summarises the queue for p. Someone who is neither the centre
// nor a participant gets an empty summary (Participant false), not an
// error: a bank not yet admitted still has a home.
func (s *Service) WorkOf(ctx context.Context, p *identity.Principal) (Work, error) {
	w := Work{Centre: s.IsCentre(ctx, p)}
	var err error
	if w.LatestCycle, err = s.LatestCycle(ctx); err != nil {
		return Work{}, err
	}
	var list []Instruction
	if w.Centre {
		if list, err = s.Queue(ctx, p, 0, QueueLimit); err != nil {
			return Work{}, err
		}
	} else {
		byOrg, _, err := s.participants(ctx)
		if err != nil {
			return Work{}, err
		}
		own, ok := byOrg[p.OrgID]
		w.Participant = ok && own.Active
		if !ok {
			return w, nil
		}
		if list, err = s.Instructions(ctx, p, 0, QueueLimit); err != nil {
			return Work{}, err
		}
	}
	w.More = len(list) >= QueueLimit
	flows := map[string]*Flow{}
	flow := func(ccy string) *Flow {
		if flows[ccy] == nil {
			flows[ccy] = &Flow{Currency: ccy}
		}
		return flows[ccy]
	}
	for _, in := range list {
		switch in.Status {
		case Queued:
			w.Queued++
		case Held:
			w.Held++
		case Deferred:
			w.Deferred++
		case Excluded:
			w.Excluded++
		default:
			continue
		}
		w.Unsettled++
		if w.Centre || in.Status == Held {
			continue
		}
		ok := true
		if in.Payer == p.OrgID {
			f := flow(in.Currency)
			f.Out, ok = add(f.Out, in.Amount)
		}
		if in.Payee == p.OrgID && ok {
			if in.PayeeCurrency != in.Currency {
				w.Converting++
			} else {
				f := flow(in.Currency)
				f.In, ok = add(f.In, in.Amount)
			}
		}
		if !ok {
			return Work{}, problem.New(problem.Conflict, "the queued amounts in %s exceed what an amount can hold", in.Currency)
		}
	}
	for _, f := range flows {
		net, ok := add(f.In, -f.Out)
		if !ok {
			return Work{}, problem.New(problem.Conflict, "the net position in %s exceeds what an amount can hold", f.Currency)
		}
		f.Net = net
		w.Flows = append(w.Flows, *f)
	}
	sort.Slice(w.Flows, func(i, j int) bool { return w.Flows[i].Currency < w.Flows[j].Currency })
	return w, nil
}
