package obligations

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"bricstown/internal/clearing"
	"bricstown/internal/identity"
	"bricstown/internal/money"
	"bricstown/internal/problem"
)

// ErrNotCertified is the cause of a run refused because the solver's
// result did not pass clearing.Certify; nothing is applied then.
var ErrNotCertified = errors.New("obligations: clearing result not certified")

// Plan is a computed, certified run that has not been applied.
type Plan struct {
	Run     Run
	SetOffs []SetOff
}

// Cleared reports whether the plan sets anything off.
func (p *Plan) Cleared() bool { return len(p.SetOffs) > 0 }

// MakePlan clears a snapshot: per currency it numbers the firms densely,
// solves the network of outstanding amounts, certifies the result (feasible,
// net positions unchanged, optimal) and turns it into per-invoice set-offs
// and the run report. It does no I/O.
func (s *Service) MakePlan(snap Snapshot, trigger, runBy string, started time.Time) (*Plan, error) {
	byCcy := map[string][]int{}
	var ccys []string
	for i := range snap.Invoices {
		c := snap.Invoices[i].Currency
		if _, ok := byCcy[c]; !ok {
			ccys = append(ccys, c)
		}
		byCcy[c] = append(byCcy[c], i)
	}
	slices.Sort(ccys)
	plan := &Plan{Run: Run{ID: newID(), Number: snap.LastRun + 1, Trigger: trigger, RunBy: runBy, StartedAt: started}}
	for _, ccy := range ccys {
		idx := byCcy[ccy]
		firm := map[string]int32{}
		var orgs []string
		var names []string
		num := func(org, name string) int32 {
			if f, ok := firm[org]; ok {
				return f
			}
			firm[org] = int32(len(orgs))
			orgs = append(orgs, org)
			names = append(names, name)
			return firm[org]
		}
		obs := make([]clearing.Obligation, len(idx))
		for k, i := range idx {
			inv := &snap.Invoices[i]
			if inv.Outstanding <= 0 || inv.CreditorOrg == inv.DebtorOrg {
				return nil, problem.New(problem.Internal, "invoice %s cannot take part in clearing", inv.ID)
			}
			obs[k] = clearing.Obligation{Debtor: num(inv.DebtorOrg, inv.DebtorName), Creditor: num(inv.CreditorOrg, inv.CreditorName), Amount: inv.Outstanding}
		}
		n := len(orgs)
		t0 := time.Now()
		res, err := s.cfg.Solve(n, obs)
		took := time.Since(t0)
		if errors.Is(err, clearing.ErrOverflow) {
			return nil, problem.Wrap(problem.Conflict, err, "the debt outstanding in %s exceeds what can be computed exactly; nothing was applied", ccy)
		}
		if err != nil {
			return nil, fmt.Errorf("obligations: solve %s: %w", ccy, err)
		}
		if err := clearing.Certify(n, obs, res); err != nil {
			s.cfg.Log.Error("clearing result refused: not certified", "currency", ccy, "err", err)
			return nil, problem.Wrap(problem.Internal, fmt.Errorf("%w: %s: %w", ErrNotCertified, ccy, err),
				"the clearing result for %s failed its optimality certificate; nothing was applied", ccy)
		}
		cr := CurrencyResult{Currency: ccy, Invoices: len(obs), Firms: n, TotalDebt: res.TotalDebt, Cleared: res.Cleared,
			Remaining: res.TotalDebt - res.Cleared,
			Certificate: Certificate{Certified: true, Components: res.Stats.Components, FlowNodes: res.Stats.FlowNodes,
				FlowArcs: res.Stats.FlowArcs, Refines: res.Stats.Refines, SolveMicros: took.Microseconds()}}
		payable := make([]int64, n)
		receivable := make([]int64, n)
		h := sha256.New()
		var buf [8]byte
		word := func(v int64) {
			binary.BigEndian.PutUint64(buf[:], uint64(v))
			h.Write(buf[:])
		}
		h.Write([]byte(ccy))
		for k, i := range idx {
			o := &obs[k]
			payable[o.Debtor] += o.Amount
			receivable[o.Creditor] += o.Amount
			inv := &snap.Invoices[i]
			h.Write([]byte(inv.ID))
			word(o.Amount)
			word(res.Remaining[k])
			if x := o.Amount - res.Remaining[k]; x > 0 {
				plan.SetOffs = append(plan.SetOffs, SetOff{InvoiceID: inv.ID, Before: o.Amount, Amount: x})
				cr.InvoicesTouched++
			}
		}
		for f := 0; f < n; f++ {
			if d := payable[f] - receivable[f]; d > 0 {
				cr.NetDebit += d
			}
			word(res.Potentials[f])
			plan.Run.Firms = append(plan.Run.Firms, FirmResult{OrgID: orgs[f], OrgName: names[f], Currency: ccy,
				PayableBefore: payable[f], ReceivableBefore: receivable[f], Cleared: res.ClearedPerFirm[f], Potential: res.Potentials[f]})
		}
		cr.Certificate.Digest = hex.EncodeToString(h.Sum(nil))
		plan.Run.InvoicesTouched += cr.InvoicesTouched
		plan.Run.Currencies = append(plan.Run.Currencies, cr)
	}
	return plan, nil
}

// certificateSummary is the audit record's account of what was proven.
func (s *Service) certificateSummary(r *Run) string {
	if len(r.Currencies) == 0 {
		return "no confirmed invoices outstanding"
	}
	var b strings.Builder
	for i, c := range r.Currencies {
		if i > 0 {
			b.WriteString("; ")
		}
		e := s.Exponent(c.Currency)
		fmt.Fprintf(&b, "%s: %d invoices, %d firms, debt %s, cleared %s (%d bps), net debit %s, %d invoices touched; certified optimal (%d components, %d flow nodes, %d arcs), digest %s",
			c.Currency, c.Invoices, c.Firms, money.FormatAmount(c.TotalDebt, e), money.FormatAmount(c.Cleared, e), c.SavingBps(),
			money.FormatAmount(c.NetDebit, e), c.InvoicesTouched, c.Certificate.Components, c.Certificate.FlowNodes, c.Certificate.FlowArcs,
			c.Certificate.Digest)
	}
	return b.String()
}

// Run clears every confirmed invoice with something outstanding, in every
// currency, and applies the result. Only the platform administrator (or
// the system, p == nil) runs clearing. The returned run carries every
// firm line.
func (s *Service) Run(ctx context.Context, p *identity.Principal) (Run, error) {
	if p != nil && !p.Has(identity.PlatformAdmin) {
		return Run{}, problem.New(problem.Forbidden, "only the platform administrator runs clearing")
	}
	r, _, err := s.run(ctx, p, TriggerManual, true)
	return r, err
}

func (s *Service) run(ctx context.Context, p *identity.Principal, trigger string, always bool) (Run, bool, error) {
	started := s.now()
	snap, err := s.store.Snapshot(ctx)
	if err != nil {
		return Run{}, false, err
	}
	runBy, _ := p.Actor()
	plan, err := s.MakePlan(snap, trigger, runBy, started)
	if err != nil {
		return Run{}, false, err
	}
	if !always && !plan.Cleared() {
		return plan.Run, false, nil
	}
	plan.Run.FinishedAt = s.now()
	rec := record(p, "obligations.run", "obligation_run", plan.Run.ID, "",
		fmt.Sprintf("run %d: %d set-offs", plan.Run.Number, len(plan.SetOffs)), s.certificateSummary(&plan.Run))
	if err := s.store.CommitRun(ctx, plan.Run, plan.SetOffs, rec); err != nil {
		return Run{}, false, err
	}
	s.cfg.Log.Info("clearing run applied", "run", plan.Run.Number, "trigger", trigger, "invoices_touched", plan.Run.InvoicesTouched,
		"currencies", len(plan.Run.Currencies))
	return plan.Run, true, nil
}

// RunEvery clears on a schedule until ctx ends. A scheduled run that would
// clear nothing is not recorded, so an idle town keeps a short history.
func (s *Service) RunEvery(ctx context.Context, every time.Duration) {
	if every <= 0 {
		return
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if r, applied, err := s.run(ctx, nil, TriggerScheduled, false); err != nil {
				s.cfg.Log.Warn("scheduled clearing run failed", "err", err)
			} else if applied {
				s.cfg.Log.Info("scheduled clearing run", "run", r.Number)
			}
		}
	}
}

// forViewer keeps the firm lines p may see: all for the platform
// administrator, the caller's own organisation's otherwise.
func forViewer(p *identity.Principal, r Run) Run {
	if p.Has(identity.PlatformAdmin) {
		return r
	}
	var own []FirmResult
	for _, f := range r.Firms {
		if f.OrgID == p.OrgID {
			own = append(own, f)
		}
	}
	r.Firms = own
	return r
}

// GetRun reads a run's report as p may see it.
func (s *Service) GetRun(ctx context.Context, p *identity.Principal, id string) (Run, error) {
	if p == nil {
		return Run{}, problem.New(problem.Unauthenticated, "sign in to see clearing runs")
	}
	org := p.OrgID
	if p.Has(identity.PlatformAdmin) {
		org = ""
	}
	r, err := s.store.GetRun(ctx, id, org)
	if err != nil {
		return Run{}, err
	}
	return forViewer(p, r), nil
}

// Runs lists runs, newest first: totals only (no firm lines).
func (s *Service) Runs(ctx context.Context, p *identity.Principal, beforeNumber int64, limit int) ([]Run, error) {
	if p == nil {
		return nil, problem.New(problem.Unauthenticated, "sign in to see clearing runs")
	}
	if limit <= 0 || limit > 1000 {
		limit = 50
	}
	return s.store.ListRuns(ctx, beforeNumber, limit)
}

// RunSetOffs lists the set-offs of a run on invoices p's organisation owes
// or is owed. The platform administrator, who sees no company's invoices,
// gets none: a run's figures and firm lines are its report.
func (s *Service) RunSetOffs(ctx context.Context, p *identity.Principal, r Run, limit int) ([]SetOffLine, error) {
	if p == nil {
		return nil, problem.New(problem.Unauthenticated, "sign in to see clearing runs")
	}
	if !HoldsInvoices(p) {
		return nil, nil
	}
	return s.store.RunSetOffs(ctx, r.Number, p.OrgID, limit)
}
