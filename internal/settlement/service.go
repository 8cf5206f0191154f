package settlement

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/identity"
	"bricstown/internal/iso20022"
	"bricstown/internal/ledger"
	"bricstown/internal/money"
	"bricstown/internal/problem"
)

// Config wires the service.
type Config struct {
	Log    *slog.Logger
	Ledger *ledger.Service
	// CentreOrg is the settlement centre's organisation: it holds the
	// clearing, FX and rounding accounts every cycle settles against.
	CentreOrg func(ctx context.Context) (string, error)
	// Rates prices a cycle (see CycleRates); it is asked once per cycle.
	Rates    func(ctx context.Context) (func(a, b string) (money.Rate, bool), error)
	Exponent func(string) (int, bool)
	// Cost prices the report's comparison with USD correspondent banking
	// (nil: DefaultCostModel, the cited defaults).
	Cost *CostModel
	Now  func() time.Time

	// RateBook, when set, prices the cycle instead of Rates and records in
	// the cycle report where each pair's rate came from (see NewRateBook).
	RateBook func(ctx context.Context) (*RateBook, error)

	// Orgs is the town's directory (identity.Service): participants are
	// registered by org id and statements carry their owner's name.
	Orgs Orgs
}

// OrgsFunc adapts a lookup function (a store's GetOrg in tests and tools)
// to Orgs.
type OrgsFunc func(ctx context.Context, id string) (identity.Org, error)

// Org implements Orgs.
func (f OrgsFunc) Org(ctx context.Context, id string) (identity.Org, error) { return f(ctx, id) }

// Orgs is what settlement needs of the town's directory.
type Orgs interface {
	// Org reads an organisation; an unknown id answers not_found.
	Org(ctx context.Context, id string) (identity.Org, error)
}

// Service applies settlement's rules and runs cycles.
type Service struct {
	store Store
	cfg   Config
}

// NewService returns a service.
func NewService(store Store, cfg Config) *Service {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Cost == nil {
		cfg.Cost = DefaultCostModel()
	}
	return &Service{store: store, cfg: cfg}
}

var bicPattern = regexp.MustCompile(`^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$`)

// ParticipantInput registers a bank (or changes its BIC and credit lines).
type ParticipantInput struct {
	OrgID       string            `json:"org_id"`
	BIC         string            `json:"bic"`
	CreditLines map[string]string `json:"credit_lines,omitempty"` // currency -> decimal amount
	Active      *bool             `json:"active,omitempty"`
}

// RegisterParticipant admits the bank in.OrgID to settlement (or changes
// its BIC and credit lines). Only the platform administrator (acting for
// the settlement centre) does; p == nil is the system itself (the demo
// seeder). The organisation is read from the town's directory (Config.Orgs):
// an unknown id and an organisation that is not a bank are both a field
// error on org_id, reported with whatever else is wrong.
func (s *Service) RegisterParticipant(ctx context.Context, p *identity.Principal, in ParticipantInput) (Participant, error) {
	if p != nil && !p.Has(identity.PlatformAdmin) {
		return Participant{}, problem.New(problem.Forbidden, "only the settlement centre admits participants")
	}
	f := problem.Fields{}
	var org identity.Org
	orgID := strings.TrimSpace(in.OrgID)
	switch {
	case orgID == "":
		f.Add("org_id", "required: the id of a bank")
	case s.cfg.Orgs == nil:
		return Participant{}, errors.New("settlement: no organisation directory configured")
	default:
		o, err := s.cfg.Orgs.Org(ctx, orgID)
		switch {
		case problem.Is(err, problem.NotFound):
			f.Add("org_id", "no such organisation: give the id of a bank")
		case err != nil:
			return Participant{}, err
		case o.Kind != identity.KindBank:
			f.Add("org_id", "must be a bank")
		default:
			org = o
		}
	}
	bic := strings.ToUpper(strings.TrimSpace(in.BIC))
	if !bicPattern.MatchString(bic) {
		f.Add("bic", "must be a BIC (ISO 9362): 8 or 11 characters, e.g. STPBKZKA")
	}
	lines := map[string]int64{}
	for ccy, v := range in.CreditLines {
		exp, ok := s.cfg.Exponent(ccy)
		if !ok {
			f.Addf("credit_lines."+ccy, "unknown currency")
			continue
		}
		amt, err := money.ParseAmount(v, exp)
		if err != nil {
			f.Addf("credit_lines."+ccy, "%s", problem.MessageOf(err))
		}
		lines[ccy] = amt
	}
	if err := f.Err("the participant is not valid"); err != nil {
		return Participant{}, err
	}
	active := in.Active == nil || *in.Active
	u, o := p.Actor()
	return s.store.UpsertParticipant(ctx, Participant{OrgID: org.ID, BIC: bic, CreditLines: lines, Active: active, CreatedAt: s.cfg.Now()},
		audit.Record{ActorUser: u, ActorOrg: o, Action: "settlement.participant", SubjectType: "org", SubjectID: org.ID, OrgID: org.ID, After: bic})
}

// Participants lists the settlement's participants (banks, their BICs and
// credit lines), active or not. The list is the settlement's public
// directory: every bank must know the BICs it may pay.
func (s *Service) Participants(ctx context.Context) ([]Participant, error) {
	return s.store.Participants(ctx)
}

func (s *Service) participants(ctx context.Context) (map[string]Participant, map[string]Participant, error) {
	ps, err := s.store.Participants(ctx)
	if err != nil {
		return nil, nil, err
	}
	byOrg, byBIC := map[string]Participant{}, map[string]Participant{}
	for _, p := range ps {
		byOrg[p.OrgID], byBIC[p.BIC] = p, p
	}
	return byOrg, byBIC, nil
}

// InstructionInput is one payment instruction as the API receives it.
type InstructionInput struct {
	EndToEndID    string `json:"end_to_end_id"`
	PayeeBIC      string `json:"payee_bic"`
	Amount        string `json:"amount"`
	Currency      string `json:"currency"`
	PayeeCurrency string `json:"payee_currency,omitempty"`
	ValueDate     string `json:"value_date,omitempty"` // YYYY-MM-DD; today when empty
	Urgent        bool   `json:"urgent,omitempty"`
	Remittance    string `json:"remittance,omitempty"`
}

// MaxInstructions is the most instructions one call may submit.
const MaxInstructions = 8000

// Submit queues instructions of p's bank for the next cycle. Every
// instruction is checked first; a bad one refuses the whole call.
func (s *Service) Submit(ctx context.Context, p *identity.Principal, in []InstructionInput, source string) ([]SubmitResult, error) {
	byOrg, byBIC, err := s.participants(ctx)
	if err != nil {
		return nil, err
	}
	payer, ok := byOrg[p.OrgID]
	if !ok || !payer.Active {
		return nil, problem.New(problem.Forbidden, "your bank is not a settlement participant")
	}
	if len(in) == 0 || len(in) > MaxInstructions {
		return nil, &problem.Error{Code: problem.Invalid, Message: "bad batch", Fields: map[string]string{"instructions": fmt.Sprintf("must hold 1 to %d instructions", MaxInstructions)}}
	}
	f := problem.Fields{}
	today := s.cfg.Now().UTC().Truncate(24 * time.Hour)
	out := make([]Instruction, len(in))
	for i, x := range in {
		at := func(field string) string { return fmt.Sprintf("instructions[%d].%s", i, field) }
		o := &out[i]
		o.EndToEndID = strings.TrimSpace(x.EndToEndID)
		if o.EndToEndID == "" || len(o.EndToEndID) > 35 {
			f.Add(at("end_to_end_id"), "must be 1 to 35 characters (ISO 20022 EndToEndId)")
		}
		payee, ok := byBIC[strings.ToUpper(strings.TrimSpace(x.PayeeBIC))]
		if !ok || !payee.Active {
			f.Add(at("payee_bic"), "is not an active settlement participant")
		}
		selfPay := ok && payee.OrgID == payer.OrgID
		o.Payer, o.PayerRow, o.Payee, o.PayeeRow = payer.OrgID, payer.Row, payee.OrgID, payee.Row
		o.Currency = strings.ToUpper(x.Currency)
		exp, okC := s.cfg.Exponent(o.Currency)
		if !okC {
			f.Add(at("currency"), "must be an ISO 4217 currency that holds money")
		} else if amt, err := money.ParsePositive(x.Amount, exp); err != nil {
			f.Addf(at("amount"), "%s (%s has %d decimals)", problem.MessageOf(err), o.Currency, exp)
		} else {
			o.Amount = amt
		}
		o.PayeeCurrency = o.Currency
		if x.PayeeCurrency != "" {
			o.PayeeCurrency = strings.ToUpper(x.PayeeCurrency)
			if _, ok := s.cfg.Exponent(o.PayeeCurrency); !ok {
				f.Add(at("payee_currency"), "must be an ISO 4217 currency that holds money")
			}
		}
		if selfPay && o.PayeeCurrency == o.Currency {
			// It would move nothing, and netting refuses it: a cycle
			// would exclude it (self_payment), so it is refused now.
			f.Add(at("payee_bic"), "is your own bank: a payment to yourself in the same currency moves nothing")
		}
		o.ValueDate = today
		if x.ValueDate != "" {
			d, err := time.Parse("2006-01-02", x.ValueDate)
			switch {
			case err != nil:
				f.Add(at("value_date"), "must be a date YYYY-MM-DD")
			case d.Before(today):
				f.Add(at("value_date"), "must not be in the past")
			default:
				o.ValueDate = d
			}
		}
		if len(x.Remittance) > 140 {
			f.Add(at("remittance"), "at most 140 characters")
		}
		o.Urgent, o.Remittance, o.Source, o.CreatedAt = x.Urgent, x.Remittance, source, s.cfg.Now()
	}
	if err := f.Err("the instructions are not valid"); err != nil {
		return nil, err
	}
	u, o := p.Actor()
	return s.store.SubmitInstructions(ctx, out, audit.Record{ActorUser: u, ActorOrg: o, Action: "settlement.instructions", SubjectType: "settlement_instructions",
		OrgID: p.OrgID, Detail: fmt.Sprintf("%d submitted (%s)", len(out), source)})
}

// ImportPacs008 queues the payments of an ISO 20022 FI-to-FI customer
// credit transfer file sent by p's bank: every transaction must be valid
// and name participants' BICs, or nothing is imported. Submit's checks
// apply to each (an unknown or inactive creditor agent, or the bank
// itself in the same currency, is refused as instructions[i].payee_bic).
func (s *Service) ImportPacs008(ctx context.Context, p *identity.Principal, r io.Reader) ([]SubmitResult, error) {
	msg, err := iso20022.ParsePacs008(r, s.cfg.Exponent)
	if err != nil {
		return nil, err
	}
	_, byBIC, err := s.participants(ctx)
	if err != nil {
		return nil, err
	}
	f := problem.Fields{}
	in := make([]InstructionInput, len(msg.Instructions))
	for i, t := range msg.Instructions {
		path := fmt.Sprintf("CdtTrfTxInf[%d]", i+1)
		if dp, ok := byBIC[t.DebtorAgentBIC]; !ok || dp.OrgID != p.OrgID {
			f.Add(path+"/DbtrAgt", "must be your own bank's BIC")
		}
		in[i] = InstructionInput{EndToEndID: t.EndToEndID, PayeeBIC: t.CreditorAgentBIC, Amount: t.Amount.Value, Currency: t.Amount.Currency,
			ValueDate: t.SettlementDate.Format("2006-01-02"), Remittance: strings.Join(t.RemittanceInfo, " ")}
		if t.InstructedAmount != nil && t.InstructedAmount.Currency != t.Amount.Currency {
			in[i].PayeeCurrency = t.InstructedAmount.Currency
		}
		if t.SettlementDate.Before(s.cfg.Now().UTC().Truncate(24 * time.Hour)) {
			in[i].ValueDate = ""
		}
	}
	if err := f.Err("the file names banks that are not yours or not participants"); err != nil {
		return nil, err
	}
	return s.Submit(ctx, p, in, "pacs.008")
}

// Cancel withdraws an instruction no cycle has settled.
func (s *Service) Cancel(ctx context.Context, p *identity.Principal, e2e string) error {
	u, o := p.Actor()
	return s.store.CancelInstruction(ctx, p.OrgID, e2e, audit.Record{ActorUser: u, ActorOrg: o, Action: "settlement.instruction.cancel",
		SubjectType: "settlement_instruction", OrgID: p.OrgID, Before: "queued", After: "cancelled", Detail: e2e})
}

// InstructionFor reads an instruction by its end-to-end id, which is
// unique per paying bank: a bank reads its own (payer is ignored); the
// settlement centre names the paying bank, which it must.
func (s *Service) InstructionFor(ctx context.Context, p *identity.Principal, payer, e2e string) (Instruction, error) {
	if !s.IsCentre(ctx, p) {
		return s.Instruction(ctx, p, e2e)
	}
	if payer = strings.TrimSpace(payer); payer == "" {
		return Instruction{}, &problem.Error{Code: problem.Invalid, Message: "which bank's instruction?",
			Fields: map[string]string{"payer": "required for the settlement centre: the paying bank's org id"}}
	}
	return s.store.GetInstruction(ctx, payer, e2e)
}

// Instruction returns one of p's bank's instructions.
func (s *Service) Instruction(ctx context.Context, p *identity.Principal, e2e string) (Instruction, error) {
	return s.store.GetInstruction(ctx, p.OrgID, e2e)
}

// Instructions lists p's bank's instructions (as payer or payee); the
// settlement centre (its operators and the platform administrator) sees
// every bank's.
func (s *Service) Instructions(ctx context.Context, p *identity.Principal, beforeSeq int64, limit int) ([]Instruction, error) {
	org := p.OrgID
	if s.IsCentre(ctx, p) {
		org = ""
	}
	return s.store.ListInstructions(ctx, org, beforeSeq, limit)
}

// IsCentre reports whether p acts for the settlement centre: the platform
// administrator, or a bank operator or organisation administrator of the
// centre's own organisation (Config.CentreOrg). The centre runs cycles and
// may hold, release and cancel any queued instruction; it settles nothing
// of its own, so it is no participant.
func (s *Service) IsCentre(ctx context.Context, p *identity.Principal) bool {
	if p == nil {
		return false
	}
	if p.Has(identity.PlatformAdmin) {
		return true
	}
	if !p.HasAny(identity.BankOperator, identity.OrgAdmin) || s.cfg.CentreOrg == nil {
		return false
	}
	centre, err := s.cfg.CentreOrg(ctx)
	if err != nil {
		s.cfg.Log.WarnContext(ctx, "settlement centre organisation", "err", err)
		return false
	}
	return centre != "" && p.OrgID == centre
}

func (s *Service) mustBeCentre(ctx context.Context, p *identity.Principal, what string) error {
	if !s.IsCentre(ctx, p) {
		return problem.New(problem.Forbidden, "only the settlement centre's operators %s", what)
	}
	return nil
}

// RunCycleAs runs a cycle for p, who must act for the settlement centre.
func (s *Service) RunCycleAs(ctx context.Context, p *identity.Principal) (Cycle, error) {
	if err := s.mustBeCentre(ctx, p, "run settlement cycles"); err != nil {
		return Cycle{}, err
	}
	u, o := p.Actor()
	return s.RunCycle(ctx, audit.Record{ActorUser: u, ActorOrg: o, Action: "settlement.cycle"})
}

// Queue lists every bank's unsettled instructions for the centre, newest first.
func (s *Service) Queue(ctx context.Context, p *identity.Principal, beforeSeq int64, limit int) ([]Instruction, error) {
	if err := s.mustBeCentre(ctx, p, "see the whole queue"); err != nil {
		return nil, err
	}
	return s.store.ListQueue(ctx, beforeSeq, limit)
}

// QueuedInstruction reads any instruction by sequence number for the centre.
func (s *Service) QueuedInstruction(ctx context.Context, p *identity.Principal, seq int64) (Instruction, error) {
	if err := s.mustBeCentre(ctx, p, "read any bank's instruction"); err != nil {
		return Instruction{}, err
	}
	return s.store.GetInstructionBySeq(ctx, seq)
}

// centreReason checks the reason an operator gives for a hold or a cancellation.
func centreReason(reason string) (string, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" || len([]rune(reason)) > 200 {
		return "", &problem.Error{Code: problem.Invalid, Message: "give a reason",
			Fields: map[string]string{"reason": "required: 1 to 200 characters, kept in the audit trail and shown to the bank"}}
	}
	return reason, nil
}

// centreAct applies one of the centre's queue decisions to instruction seq
// and returns the instruction after it. The audit entry belongs to the
// paying bank's log, so the bank sees who held or cancelled its payment.
func (s *Service) centreAct(ctx context.Context, p *identity.Principal, seq int64, what, action, reason string,
	apply func(rec audit.Record) error) (Instruction, error) {
	if err := s.mustBeCentre(ctx, p, what); err != nil {
		return Instruction{}, err
	}
	in, err := s.store.GetInstructionBySeq(ctx, seq)
	if err != nil {
		return Instruction{}, err
	}
	u, o := p.Actor()
	rec := audit.Record{ActorUser: u, ActorOrg: o, Action: action, SubjectType: "settlement_instruction", SubjectID: fmt.Sprint(seq),
		OrgID: in.Payer, Before: string(in.Status), Detail: strings.TrimSpace(in.EndToEndID + " " + reason)}
	if err := apply(rec); err != nil {
		return Instruction{}, err
	}
	return s.store.GetInstructionBySeq(ctx, seq)
}

// Hold makes cycles skip a queued instruction until the centre releases
// it; the reason is shown to the banks and kept in the audit trail.
func (s *Service) Hold(ctx context.Context, p *identity.Principal, seq int64, reason string) (Instruction, error) {
	if err := s.mustBeCentre(ctx, p, "hold instructions"); err != nil {
		return Instruction{}, err
	}
	reason, err := centreReason(reason)
	if err != nil {
		return Instruction{}, err
	}
	return s.centreAct(ctx, p, seq, "hold instructions", "settlement.instruction.hold", reason, func(rec audit.Record) error {
		rec.After = string(Held)
		return s.store.HoldInstruction(ctx, seq, reason, rec)
	})
}

// Release lifts the centre's hold: the next cycle considers the instruction again.
func (s *Service) Release(ctx context.Context, p *identity.Principal, seq int64) (Instruction, error) {
	return s.centreAct(ctx, p, seq, "release instructions", "settlement.instruction.release", "", func(rec audit.Record) error {
		rec.After = string(Queued)
		return s.store.ReleaseInstruction(ctx, seq, rec)
	})
}

// CancelQueued withdraws any bank's instruction that no cycle has settled,
// with a reason (the bank's own Cancel needs none).
func (s *Service) CancelQueued(ctx context.Context, p *identity.Principal, seq int64, reason string) (Instruction, error) {
	if err := s.mustBeCentre(ctx, p, "cancel another bank's instructions"); err != nil {
		return Instruction{}, err
	}
	reason, err := centreReason(reason)
	if err != nil {
		return Instruction{}, err
	}
	return s.centreAct(ctx, p, seq, "cancel another bank's instructions", "settlement.instruction.cancel", reason, func(rec audit.Record) error {
		rec.After = string(Cancelled)
		return s.store.CancelInstructionBySeq(ctx, seq, reason, rec)
	})
}

// ErrNothingToSettle is returned by RunCycle when nothing queued can
// settle (the queue is empty, or everything in it must wait).
var ErrNothingToSettle = problem.New(problem.Conflict, "nothing queued can settle now")

// RunCycle nets everything queued and settles it through the ledger in one
// transaction. A cancellation that lands while the cycle computes makes the
// commit fail; the cycle is then computed again.
func (s *Service) RunCycle(ctx context.Context, actor audit.Record) (Cycle, error) {
	for attempt := 1; ; attempt++ {
		c, err := s.runOnce(ctx, actor)
		if err == nil {
			// The timings are for operators (logs and the API report),
			// not for the pages' readers.
			s.cfg.Log.Info("settlement cycle committed", "number", c.Number, "settled", c.Report.Settled, "transfers", c.Report.SettlementTransfers,
				"netting_ms", c.Report.NettingMillis, "cycle_ms", c.Report.CycleMillis)
		}
		if err == nil || !problem.Is(err, problem.Conflict) || errors.Is(err, ErrNothingToSettle) || attempt == 5 {
			return c, err
		}
		s.cfg.Log.Info("settlement cycle re-run after a concurrent change", "attempt", attempt, "err", err)
	}
}

func (s *Service) runOnce(ctx context.Context, actor audit.Record) (Cycle, error) {
	var queue []*Instruction
	q, err := s.store.ReadQueue(ctx, func(in *Instruction) error { queue = append(queue, in); return nil })
	if err != nil {
		return Cycle{}, err
	}
	if len(queue) == 0 {
		return Cycle{}, ErrNothingToSettle
	}
	books, err := s.books(ctx, queue)
	if err != nil {
		return Cycle{}, err
	}
	plan, err := MakePlan(q.NextCycle, q, books, queue)
	if err != nil {
		return Cycle{}, err
	}
	if plan.Commit.Cycle.Report.Settled == 0 {
		// Nothing would move: recording the cycle would only repeat the
		// deferrals. The queue is looked at again next time.
		return Cycle{}, ErrNothingToSettle
	}
	plan.Commit.Audit = actor
	plan.Commit.Cycle.Report.Rates = rateSources(books.RateBook, plan.Commit.Cycle.Report.Pairs)
	return s.store.CommitCycle(ctx, plan.Commit)
}

// SettlementCode is the ledger code of a participant's settlement account.
const SettlementCode = "settlement"

// books gathers participants, their settlement accounts, the centre's
// accounts (opening the ones a new currency needs) and the cycle's rates.
func (s *Service) books(ctx context.Context, queue []*Instruction) (Books, error) {
	ps, err := s.store.Participants(ctx)
	if err != nil {
		return Books{}, err
	}
	ccys := map[string]bool{}
	for _, in := range queue {
		ccys[in.Currency], ccys[in.PayeeCurrency] = true, true
	}
	led := s.cfg.Ledger
	b := Books{Participants: ps, Accounts: map[int64]map[string]ledger.Account{}, Clearing: map[string]ledger.ID{}, FX: map[string]ledger.ID{},
		Rounding: map[string]ledger.ID{}, Exponent: s.cfg.Exponent, Cost: s.cfg.Cost, Today: s.cfg.Now()}
	for _, p := range ps {
		b.Accounts[p.Row] = map[string]ledger.Account{}
		var after int64
		for {
			accts, err := led.AccountsOf(ctx, p.OrgID, after, 500)
			if err != nil {
				return Books{}, err
			}
			for _, a := range accts {
				if a.Code == SettlementCode && !a.Closed {
					if _, dup := b.Accounts[p.Row][a.Currency]; !dup {
						b.Accounts[p.Row][a.Currency] = a
					}
				}
				after = a.Row
			}
			if len(accts) < 500 {
				break
			}
		}
	}
	// The centre's books are system accounts found by purpose (opened the
	// first time a currency is used, normally at start): no client can
	// open, occupy or close them.
	for ccy := range ccys {
		cb, err := led.CentreAccounts(ctx, ccy)
		if err != nil {
			return Books{}, err
		}
		b.Clearing[ccy], b.FX[ccy], b.Rounding[ccy] = cb.Clearing.ID, cb.FX.ID, cb.Rounding.ID
	}
	if s.cfg.RateBook != nil {
		if b.RateBook, err = s.cfg.RateBook(ctx); err != nil {
			return Books{}, err
		}
		b.Rate = b.RateBook.Rate
	} else if b.Rate, err = s.cfg.Rates(ctx); err != nil {
		return Books{}, err
	}
	return b, nil
}

// Schedule runs a cycle every interval until ctx ends (0 disables it).
func (s *Service) Schedule(ctx context.Context, every time.Duration) {
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
			c, err := s.RunCycle(ctx, audit.Record{ActorUser: "system", Action: "settlement.cycle"})
			switch {
			case errors.Is(err, ErrNothingToSettle):
			case err != nil:
				s.cfg.Log.Error("scheduled settlement cycle", "err", err)
			default:
				s.cfg.Log.Info("settlement cycle", "number", c.Number, "settled", c.Report.Settled, "deferred", c.Report.Deferred,
					"liquidity_saving_bps", c.Report.LiquiditySavingBps)
			}
		}
	}
}

// Pacs009 renders a cycle's settlement as an ISO 20022 FI credit transfer
// message: one transaction per settlement transfer between a participant
// and the centre.
func (s *Service) Pacs009(ctx context.Context, number int64, centreBIC string) ([]byte, error) {
	c, err := s.store.GetCycle(ctx, number)
	if err != nil {
		return nil, err
	}
	ps, err := s.store.Participants(ctx)
	if err != nil {
		return nil, err
	}
	bic := map[string]string{}
	for _, p := range ps {
		bic[p.OrgID] = p.BIC
	}
	m := &iso20022.SettlementCycle{MsgID: pacs009MsgID(c.Number), CreatedAt: c.SettledAt}
	for i, pos := range c.Report.Positions {
		exp, _ := s.cfg.Exponent(pos.Currency)
		t := iso20022.SettlementTransfer{Currency: pos.Currency, Exponent: exp, SettlementDate: c.SettledAt,
			EndToEndID: fmt.Sprintf("BTS-C%06d-%04d", c.Number, i+1), TxID: fmt.Sprintf("BTS-C%06d-T%04d", c.Number, i+1)}
		if pos.Net < 0 {
			t.FromBIC, t.ToBIC, t.AmountMinor = bic[pos.OrgID], centreBIC, -pos.Net
		} else {
			t.FromBIC, t.ToBIC, t.AmountMinor = centreBIC, bic[pos.OrgID], pos.Net
		}
		m.Transfers = append(m.Transfers, t)
	}
	if len(m.Transfers) == 0 {
		return nil, problem.New(problem.NotFound, "cycle %d moved no money", number)
	}
	var buf bytes.Buffer
	if err := iso20022.WritePacs009(&buf, m); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// BooksFor exposes the books a cycle over queue would use (for tests and
// the benchmark, which time the phases separately).
func BooksFor(ctx context.Context, s *Service, queue []*Instruction) (Books, error) {
	return s.books(ctx, queue)
}

// Cycle reads cycle number as viewer may see it (see Visible); an unknown
// number answers not_found.
func (s *Service) Cycle(ctx context.Context, viewer *identity.Principal, number int64) (Cycle, error) {
	if number <= 0 {
		return Cycle{}, problem.New(problem.NotFound, "no such cycle: %d", number)
	}
	c, err := s.store.GetCycle(ctx, number)
	if err != nil {
		return Cycle{}, err
	}
	return s.Visible(ctx, viewer, c)
}

// Cycles lists cycles numbered below beforeNumber (0: the newest), newest
// first. A listing carries the public figures; read one cycle through
// Cycle for its deferrals.
func (s *Service) Cycles(ctx context.Context, beforeNumber int64, limit int) ([]Cycle, error) {
	cs, err := s.store.Cycles(ctx, beforeNumber, limit)
	for i := range cs {
		cs[i].Report.Deferrals, cs[i].Report.Exclusions = nil, nil
	}
	return cs, err
}

// LatestCycle is the newest cycle's number, or 0 before the first.
func (s *Service) LatestCycle(ctx context.Context) (int64, error) {
	cs, err := s.store.Cycles(ctx, 0, 1)
	if err != nil || len(cs) == 0 {
		return 0, err
	}
	return cs[0].Number, nil
}

// Visible returns c with only the deferrals and exclusions viewer may see.
// A cycle's figures, pairs and net positions are its public result (every
// bank sees them, as participants of a CLS-style system see the cycle's
// pay-ins and pay-outs), but a deferral names an instruction and its
// payer's shortfall, which is the payer's business: the settlement centre
// (IsCentre) sees them all, a bank its own, anyone else none. The counts
// (Report.Deferred, Report.Excluded) stay public.
func (s *Service) Visible(ctx context.Context, viewer *identity.Principal, c Cycle) (Cycle, error) {
	seeAll := s.IsCentre(ctx, viewer)
	var err error
	if c.Report.Deferrals, err = s.visibleDeferrals(ctx, c.Report.Deferrals, viewer, seeAll); err != nil {
		return Cycle{}, err
	}
	if c.Report.Exclusions, err = s.visibleDeferrals(ctx, c.Report.Exclusions, viewer, seeAll); err != nil {
		return Cycle{}, err
	}
	return c, nil
}

// visibleDeferrals filters ds for viewer. A stored deferral may lack its
// payer (cycles read the queue by participant row); it is then found by
// the instruction's sequence number.
func (s *Service) visibleDeferrals(ctx context.Context, ds []Deferral, viewer *identity.Principal, seeAll bool) ([]Deferral, error) {
	if viewer == nil {
		return nil, nil
	}
	org := viewer.OrgID
	if seeAll {
		org = ""
	}
	var out []Deferral
	for _, d := range ds {
		if d.Payer == "" {
			list, err := s.store.ListInstructions(ctx, org, d.Seq+1, 1)
			if err != nil {
				return nil, err
			}
			if len(list) == 1 && list[0].Seq == d.Seq {
				d.Payer = list[0].Payer
			}
		}
		if seeAll || d.Payer == viewer.OrgID {
			out = append(out, d)
		}
	}
	return out, nil
}

// CostModel is the cost model the cycle reports are priced with.
func (s *Service) CostModel() *CostModel { return s.cfg.Cost }
