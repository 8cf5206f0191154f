package server

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"bricstown/internal/identity"
	"bricstown/internal/iso20022"
	"bricstown/internal/period"
	"bricstown/internal/problem"
	"bricstown/internal/settlement"
)

// Who may call the settlement routes. Banks submit and cancel their own
// payment instructions and read their statements; the platform
// administrator admits banks; the settlement centre (its own bank operators
// and organisation administrators, and the platform administrator) runs
// cycles and may hold, release or cancel any queued instruction. The route
// table lets bank operators and organisation administrators through to the
// centre's routes; settlement.Service refuses anyone outside the centre's
// organisation (403), before it looks up any instruction.
//
// Visibility: a bank sees only the instructions it pays or receives. A
// cycle's report (figures, pairs and every participant's net position, and
// its pacs.009) is the cycle's public result: every bank operator and the
// platform administrator may read it, as participants of a CLS-style
// system see the cycle's pay-ins and pay-outs. A deferral names an
// instruction and its payer's shortfall, so a bank sees only the deferrals
// of its own instructions; the count of deferrals is public.
var (
	settleRead  = roles(admin, identity.BankOperator)
	settleBank  = roles(identity.BankOperator)
	settleAdmin = roles(admin)
	// settleCentre reaches the centre's routes; the service checks the org.
	settleCentre = roles(admin, identity.BankOperator, orgAdmin)
)

// CentreBIC is the settlement centre's BIC in the messages the platform
// writes (settlement.CentreBIC).
const CentreBIC = settlement.CentreBIC

// settlementReady answers 503 when the server runs without settlement.
func (s *Server) settlementReady(w http.ResponseWriter, r *http.Request) bool {
	if s.Settlement == nil {
		writeProblem(w, r, s.log, problem.New(problem.Unavailable, "settlement is not enabled on this server"))
		return false
	}
	return true
}

// The settlement JSON shapes: amounts are decimal strings in the currency's
// units, never floats.

type participantOut struct {
	OrgID       string            `json:"org_id"`
	OrgName     string            `json:"org_name,omitempty"`
	BIC         string            `json:"bic"`
	CreditLines map[string]string `json:"credit_lines"`
	Active      bool              `json:"active"`
	CreatedAt   time.Time         `json:"created_at"`
}

func (s *Server) participantJSON(p settlement.Participant, names *identity.OrgNames) participantOut {
	out := participantOut{OrgID: p.OrgID, OrgName: names.Name(p.OrgID), BIC: p.BIC, CreditLines: map[string]string{}, Active: p.Active, CreatedAt: p.CreatedAt}
	for c, v := range p.CreditLines {
		out.CreditLines[c] = s.amount(v, c)
	}
	return out
}

func (s *Server) registerParticipant(w http.ResponseWriter, r *http.Request) {
	if !s.settlementReady(w, r) {
		return
	}
	var in settlement.ParticipantInput
	if err := decodeJSON(r, &in); err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	p, err := s.Settlement.RegisterParticipant(r.Context(), principal(r), in)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusCreated, s.participantJSON(p, s.orgNames(r)))
}

func (s *Server) listParticipants(w http.ResponseWriter, r *http.Request) {
	if !s.settlementReady(w, r) {
		return
	}
	ps, err := s.Settlement.Participants(r.Context())
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	names := s.orgNames(r)
	out := make([]participantOut, len(ps))
	for i, p := range ps {
		out[i] = s.participantJSON(p, names)
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": out})
}

type instructionOut struct {
	Seq           int64     `json:"seq"`
	EndToEndID    string    `json:"end_to_end_id"`
	Direction     string    `json:"direction,omitempty"` // out: the caller's bank pays; in: it receives
	Payer         string    `json:"payer"`
	PayerBIC      string    `json:"payer_bic"`
	Payee         string    `json:"payee"`
	PayeeBIC      string    `json:"payee_bic"`
	Amount        string    `json:"amount"`
	Currency      string    `json:"currency"`
	PayeeCurrency string    `json:"payee_currency"`
	ValueDate     string    `json:"value_date"`
	Urgent        bool      `json:"urgent"`
	Remittance    string    `json:"remittance,omitempty"`
	Source        string    `json:"source"`
	CreatedAt     time.Time `json:"created_at"`
	Status        string    `json:"status"` // queued, deferred, excluded, held, settled, cancelled
	Cycle         int64     `json:"cycle,omitempty"`
	Reason        string    `json:"reason,omitempty"`
	HoldReason    string    `json:"hold_reason,omitempty"`
	CancelReason  string    `json:"cancel_reason,omitempty"`
}

// bics maps participant org ids to their BICs for one request.
func (s *Server) bics(r *http.Request) (map[string]string, error) {
	ps, err := s.Settlement.Participants(r.Context())
	if err != nil {
		return nil, err
	}
	m := make(map[string]string, len(ps))
	for _, p := range ps {
		m[p.OrgID] = p.BIC
	}
	return m, nil
}

func (s *Server) instructionJSON(in settlement.Instruction, bics map[string]string, viewer *identity.Principal) instructionOut {
	out := instructionOut{Seq: in.Seq, EndToEndID: in.EndToEndID, Payer: in.Payer, PayerBIC: bics[in.Payer], Payee: in.Payee, PayeeBIC: bics[in.Payee],
		Amount: s.amount(in.Amount, in.Currency), Currency: in.Currency, PayeeCurrency: in.PayeeCurrency, ValueDate: in.ValueDate.UTC().Format("2006-01-02"),
		Urgent: in.Urgent, Remittance: in.Remittance, Source: in.Source, CreatedAt: in.CreatedAt, Status: string(in.Status), Cycle: in.CycleNumber, Reason: in.Reason,
		HoldReason: in.HoldReason, CancelReason: in.CancelReason}
	if viewer != nil && !viewer.Has(identity.PlatformAdmin) {
		switch viewer.OrgID {
		case in.Payer:
			out.Direction = "out"
		case in.Payee:
			out.Direction = "in"
		}
	}
	return out
}

type instructionsIn struct {
	Instructions []settlement.InstructionInput `json:"instructions"`
}

type submitResultOut struct {
	Index      int    `json:"index"`
	EndToEndID string `json:"end_to_end_id"`
	Seq        int64  `json:"seq"`
	Result     string `json:"result"`
}

func submitJSON(res []settlement.SubmitResult, e2e func(i int) string) map[string]any {
	out := make([]submitResultOut, len(res))
	for i, x := range res {
		out[i] = submitResultOut{Index: i, EndToEndID: e2e(i), Seq: x.Seq, Result: x.Result}
	}
	return map[string]any{"results": out}
}

// submitInstructions queues 1 to 8,000 instructions of the caller's bank.
// A bad instruction anywhere refuses the whole call; a repeated end-to-end
// id is answered (exists, or exists_with_different_fields), not queued
// twice.
func (s *Server) submitInstructions(w http.ResponseWriter, r *http.Request) {
	if !s.settlementReady(w, r) {
		return
	}
	var in instructionsIn
	if err := decodeJSON(r, &in); err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	res, err := s.Settlement.Submit(r.Context(), principal(r), in.Instructions, "api")
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, submitJSON(res, func(i int) string { return strings.TrimSpace(in.Instructions[i].EndToEndID) }))
}

// importPacs008 queues the transactions of a pacs.008 file (the body):
// every one, or none.
func (s *Server) importPacs008(w http.ResponseWriter, r *http.Request) {
	if !s.settlementReady(w, r) {
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/xml" && mt != "text/xml" {
			writeProblem(w, r, s.log, problem.New(problem.Malformed, "Content-Type must be application/xml: the body is the pacs.008 file"))
			return
		}
	}
	// The route's body limit lets through one byte more than a document
	// may have, so the importer itself reports a file that is too large.
	data, err := io.ReadAll(io.LimitReader(r.Body, iso20022.MaxDocumentSize+1))
	if err != nil {
		writeProblem(w, r, s.log, jsonProblem(err))
		return
	}
	res, err := s.Settlement.ImportPacs008(r.Context(), principal(r), bytes.NewReader(data))
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	// The file's end-to-end ids, in order, say which result is which.
	msg, perr := iso20022.ParsePacs008(bytes.NewReader(data), s.Ref.MoneyExponent)
	writeJSON(w, http.StatusOK, submitJSON(res, func(i int) string {
		if perr == nil && i < len(msg.Instructions) {
			return msg.Instructions[i].EndToEndID
		}
		return ""
	}))
}

// seqPage reads the page size and the cursor of a listing paged by
// sequence number (newest first): before is 0 for the first page.
func seqPage(r *http.Request) (limit int, before int64, err error) {
	limit, cursor, err := pageParams(r)
	if err != nil || cursor == "" {
		return limit, 0, err
	}
	before, err = strconv.ParseInt(cursor, 10, 64)
	if err != nil || before <= 0 {
		return 0, 0, &problem.Error{Code: problem.Invalid, Message: "bad cursor", Fields: map[string]string{"cursor": "not a cursor from this listing"}}
	}
	return limit, before, nil
}

// listInstructions lists the caller's bank's instructions (paid or
// received), newest first; the platform administrator sees every bank's.
func (s *Server) listInstructions(w http.ResponseWriter, r *http.Request) {
	s.writeInstructionPage(w, r, s.Settlement.SearchInstructions)
}

// writeInstructionPage answers one sequence-paged listing of instructions
// read by list (a bank's own, or the centre's queue), with the search and
// filters every instruction list takes (q, currency, from, to, unsettled);
// the service checks them.
func (s *Server) writeInstructionPage(w http.ResponseWriter, r *http.Request,
	list func(ctx context.Context, p *identity.Principal, q settlement.InstructionQuery) ([]settlement.Instruction, error)) {
	if !s.settlementReady(w, r) {
		return
	}
	limit, before, err := seqPage(r)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	unsettled, err := boolParam(r, "unsettled")
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	q := r.URL.Query()
	f := problem.Fields{}
	find := settlement.InstructionQuery{Search: q.Get("q"), Currency: q.Get("currency"), Unsettled: unsettled, Before: before, Limit: limit + 1,
		From: period.Bound(f, "from", q.Get("from"), false, time.Time{}), To: period.Bound(f, "to", q.Get("to"), true, time.Time{})}
	if err := f.Err("bad instruction query"); err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	p := principal(r)
	items, err := list(r.Context(), p, find)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	bics, err := s.bics(r)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	out := make([]instructionOut, len(items))
	for i, in := range items {
		out[i] = s.instructionJSON(in, bics, p)
	}
	writeJSON(w, http.StatusOK, pageOf(out, limit, func(x instructionOut) string { return strconv.FormatInt(x.Seq, 10) }))
}

// instructionOf finds an instruction by its end-to-end id, which is unique
// per paying bank: a bank reads its own; the settlement centre names the
// payer with ?payer=.
func (s *Server) instructionOf(r *http.Request, e2e string) (settlement.Instruction, error) {
	return s.Settlement.InstructionFor(r.Context(), principal(r), r.URL.Query().Get("payer"), e2e)
}

func (s *Server) getInstruction(w http.ResponseWriter, r *http.Request) {
	if !s.settlementReady(w, r) {
		return
	}
	in, err := s.instructionOf(r, r.PathValue("e2e"))
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	bics, err := s.bics(r)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, s.instructionJSON(in, bics, principal(r)))
}

// cancelInstruction withdraws one of the caller's bank's instructions that
// no cycle has settled. Another bank's id answers 404.
func (s *Server) cancelInstruction(w http.ResponseWriter, r *http.Request) {
	if !s.settlementReady(w, r) {
		return
	}
	p := principal(r)
	e2e := r.PathValue("e2e")
	if err := s.Settlement.Cancel(r.Context(), p, e2e); err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	in, err := s.Settlement.Instruction(r.Context(), p, e2e)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	bics, err := s.bics(r)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, s.instructionJSON(in, bics, p))
}

// ---------------------------------------------------------------------------
// The settlement centre's queue.

// listQueue lists every bank's unsettled instructions (queued, deferred,
// excluded, held), newest first: the settlement centre's view.
func (s *Server) listQueue(w http.ResponseWriter, r *http.Request) {
	s.writeInstructionPage(w, r, s.Settlement.SearchQueue)
}

// queueDecisionIn is the body of a hold or a cancellation by the centre.
type queueDecisionIn struct {
	Reason string `json:"reason"`
}

// queueSeq reads the instruction's sequence number from the path; a value
// that is not one answers 404 like an unknown instruction.
func queueSeq(r *http.Request) (int64, error) {
	n, err := strconv.ParseInt(r.PathValue("seq"), 10, 64)
	if err != nil || n <= 0 {
		return 0, problem.New(problem.NotFound, "no such instruction")
	}
	return n, nil
}

// queueDecision runs one of the centre's decisions on an instruction and
// answers the instruction after it.
func (s *Server) queueDecision(w http.ResponseWriter, r *http.Request, withReason bool,
	act func(p *identity.Principal, seq int64, reason string) (settlement.Instruction, error)) {
	if !s.settlementReady(w, r) {
		return
	}
	var in queueDecisionIn
	if withReason {
		if err := decodeJSON(r, &in); err != nil {
			writeProblem(w, r, s.log, err)
			return
		}
	}
	seq, err := queueSeq(r)
	p := principal(r)
	if err != nil && s.Settlement.IsCentre(r.Context(), p) {
		writeProblem(w, r, s.log, err)
		return
	}
	res, err := act(p, seq, in.Reason)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	bics, err := s.bics(r)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, s.instructionJSON(res, bics, p))
}

// holdInstruction makes every cycle skip an instruction until released.
func (s *Server) holdInstruction(w http.ResponseWriter, r *http.Request) {
	s.queueDecision(w, r, true, func(p *identity.Principal, seq int64, reason string) (settlement.Instruction, error) {
		return s.Settlement.Hold(r.Context(), p, seq, reason)
	})
}

// releaseInstruction lifts the centre's hold.
func (s *Server) releaseInstruction(w http.ResponseWriter, r *http.Request) {
	s.queueDecision(w, r, false, func(p *identity.Principal, seq int64, _ string) (settlement.Instruction, error) {
		return s.Settlement.Release(r.Context(), p, seq)
	})
}

// cancelQueued withdraws any bank's unsettled instruction, with a reason.
func (s *Server) cancelQueued(w http.ResponseWriter, r *http.Request) {
	s.queueDecision(w, r, true, func(p *identity.Principal, seq int64, reason string) (settlement.Instruction, error) {
		return s.Settlement.CancelQueued(r.Context(), p, seq, reason)
	})
}

// ---------------------------------------------------------------------------
// Cycles.

type currencyFiguresOut struct {
	Currency  string `json:"currency"`
	Gross     string `json:"gross"`
	Net       string `json:"net"`
	SavingBps int64  `json:"saving_bps"`
}

type pairFiguresOut struct {
	A          string `json:"a"`
	B          string `json:"b"`
	GrossAB    string `json:"gross_a_to_b"`
	GrossBA    string `json:"gross_b_to_a"`
	Sell       string `json:"net_sold_currency"`
	SellAmount string `json:"net_sold"`
	Buy        string `json:"net_bought_currency"`
	BuyAmount  string `json:"net_bought"`
	SavingBps  int64  `json:"saving_bps"`
}

type positionOut struct {
	OrgID    string `json:"org_id"`
	OrgName  string `json:"org_name,omitempty"`
	BIC      string `json:"bic"`
	Currency string `json:"currency"`
	Net      string `json:"net"`
}

type deferralOut struct {
	Seq        int64  `json:"seq"`
	EndToEndID string `json:"end_to_end_id"`
	Payer      string `json:"payer"`
	Currency   string `json:"currency"`
	Reason     string `json:"reason"`
	Shortfall  string `json:"shortfall"`
}

type costOut struct {
	Currency  string `json:"currency"`
	USDRoute  string `json:"usd_route"`
	Local     string `json:"local"`
	Saving    string `json:"saving"`
	SavingBps int64  `json:"saving_bps"`
	// Model and Range say which sourced model priced the figures and
	// their low-high spread over its scenarios (absent for cycles priced
	// before the model was sourced).
	Model string        `json:"model,omitempty"`
	Range *costRangeOut `json:"range,omitempty"`
}

type costRangeOut struct {
	USDRoute  [2]string `json:"usd_route"`
	Local     [2]string `json:"local"`
	Saving    [2]string `json:"saving"`
	SavingBps [2]int64  `json:"saving_bps"`
}

type reportOut struct {
	Instructions        int                  `json:"instructions"`
	Settled             int                  `json:"settled"`
	Deferred            int                  `json:"deferred"`
	Excluded            int                  `json:"excluded"`
	SettlementTransfers int                  `json:"settlement_transfers"`
	LiquiditySavingBps  int64                `json:"liquidity_saving_bps"`
	Currencies          []currencyFiguresOut `json:"currencies"`
	Pairs               []pairFiguresOut     `json:"pairs"`
	Positions           []positionOut        `json:"positions"`
	Deferrals           []deferralOut        `json:"deferrals"`
	Exclusions          []deferralOut        `json:"exclusions"`
	Cost                costOut              `json:"cost"`
	NettingMillis       float64              `json:"netting_ms"`
	CycleMillis         float64              `json:"cycle_ms"`
}

type cycleOut struct {
	ID        string    `json:"id"`
	Number    int64     `json:"number"`
	FromSeq   int64     `json:"from_seq"`
	ToSeq     int64     `json:"to_seq"`
	StartedAt time.Time `json:"started_at"`
	SettledAt time.Time `json:"settled_at"`
	Report    reportOut `json:"report"`
}

// cycleSummaryOut is a cycle in a listing: the headline figures only.
type cycleSummaryOut struct {
	ID                  string    `json:"id"`
	Number              int64     `json:"number"`
	FromSeq             int64     `json:"from_seq"`
	ToSeq               int64     `json:"to_seq"`
	StartedAt           time.Time `json:"started_at"`
	SettledAt           time.Time `json:"settled_at"`
	Instructions        int       `json:"instructions"`
	Settled             int       `json:"settled"`
	Deferred            int       `json:"deferred"`
	Excluded            int       `json:"excluded"`
	SettlementTransfers int       `json:"settlement_transfers"`
	LiquiditySavingBps  int64     `json:"liquidity_saving_bps"`
	Cost                costOut   `json:"cost"`
}

func (s *Server) costJSON(c settlement.CostFigures) costOut {
	out := costOut{Currency: c.Currency, USDRoute: s.amount(c.USDRoute, c.Currency), Local: s.amount(c.Local, c.Currency),
		Saving: s.amount(c.Saving, c.Currency), SavingBps: c.SavingBps, Model: c.Model}
	if rg := c.Range; rg != nil {
		pair := func(x [2]int64) [2]string { return [2]string{s.amount(x[0], c.Currency), s.amount(x[1], c.Currency)} }
		out.Range = &costRangeOut{USDRoute: pair(rg.USDRoute), Local: pair(rg.Local), Saving: pair(rg.Saving), SavingBps: rg.SavingBps}
	}
	return out
}

// costModel answers the cost model the cycle reports are priced with:
// every parameter with its default, low and high value and the public
// source it was taken from (or assumed: true where none was found).
func (s *Server) costModel(w http.ResponseWriter, r *http.Request) {
	if !s.settlementReady(w, r) {
		return
	}
	writeJSON(w, http.StatusOK, s.Settlement.CostModel())
}

func (s *Server) cycleJSON(c settlement.Cycle, names *identity.OrgNames) cycleOut {
	rep := c.Report
	out := reportOut{Instructions: rep.Instructions, Settled: rep.Settled, Deferred: rep.Deferred, Excluded: rep.Excluded, SettlementTransfers: rep.SettlementTransfers,
		LiquiditySavingBps: rep.LiquiditySavingBps, Currencies: []currencyFiguresOut{}, Pairs: []pairFiguresOut{}, Positions: []positionOut{},
		Deferrals: []deferralOut{}, Exclusions: []deferralOut{}, Cost: s.costJSON(rep.Cost), NettingMillis: rep.NettingMillis, CycleMillis: rep.CycleMillis}
	for _, x := range rep.Currencies {
		out.Currencies = append(out.Currencies, currencyFiguresOut{Currency: x.Currency, Gross: s.amount(x.Gross, x.Currency),
			Net: s.amount(x.Net, x.Currency), SavingBps: x.SavingBps})
	}
	for _, x := range rep.Pairs {
		buy := x.B
		if x.Sell == x.B {
			buy = x.A
		}
		out.Pairs = append(out.Pairs, pairFiguresOut{A: x.A, B: x.B, GrossAB: s.amount(x.GrossAB, x.A), GrossBA: s.amount(x.GrossBA, x.B),
			Sell: x.Sell, SellAmount: s.amount(x.SellAmount, x.Sell), Buy: buy, BuyAmount: s.amount(x.BuyAmount, buy), SavingBps: x.SavingBps})
	}
	for _, x := range rep.Positions {
		out.Positions = append(out.Positions, positionOut{OrgID: x.OrgID, OrgName: names.Name(x.OrgID), BIC: x.BIC, Currency: x.Currency,
			Net: s.amount(x.Net, x.Currency)})
	}
	// c comes from settlement.Service (Cycle, Visible): its deferrals and
	// exclusions are already the ones viewer may see.
	for _, d := range rep.Deferrals {
		out.Deferrals = append(out.Deferrals, deferralOut{Seq: d.Seq, EndToEndID: d.EndToEndID, Payer: d.Payer, Currency: d.Currency,
			Reason: d.Reason, Shortfall: s.amount(d.Shortfall, d.Currency)})
	}
	for _, d := range rep.Exclusions {
		out.Exclusions = append(out.Exclusions, deferralOut{Seq: d.Seq, EndToEndID: d.EndToEndID, Payer: d.Payer, Currency: d.Currency,
			Reason: d.Reason, Shortfall: s.amount(d.Shortfall, d.Currency)})
	}
	return cycleOut{ID: c.ID, Number: c.Number, FromSeq: c.FromSeq, ToSeq: c.ToSeq, StartedAt: c.StartedAt, SettledAt: c.SettledAt, Report: out}
}

// runCycle nets everything queued and settles it through the ledger now;
// only the settlement centre runs cycles.
func (s *Server) runCycle(w http.ResponseWriter, r *http.Request) {
	if !s.settlementReady(w, r) {
		return
	}
	p := principal(r)
	c, err := s.Settlement.RunCycleAs(r.Context(), p)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	out := s.cycleJSON(c, s.orgNames(r))
	w.Header().Set("Location", fmt.Sprintf("/api/v1/settlement/cycles/%d", c.Number))
	writeJSON(w, http.StatusCreated, out)
}

func (s *Server) listCycles(w http.ResponseWriter, r *http.Request) {
	if !s.settlementReady(w, r) {
		return
	}
	limit, before, err := seqPage(r)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	q := r.URL.Query()
	f := problem.Fields{}
	find := settlement.CycleQuery{Before: before, Limit: limit + 1,
		From: period.Bound(f, "from", q.Get("from"), false, time.Time{}), To: period.Bound(f, "to", q.Get("to"), true, time.Time{})}
	if err := f.Err("bad cycle query"); err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	cs, err := s.Settlement.SearchCycles(r.Context(), find)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	out := make([]cycleSummaryOut, len(cs))
	for i, c := range cs {
		out[i] = cycleSummaryOut{ID: c.ID, Number: c.Number, FromSeq: c.FromSeq, ToSeq: c.ToSeq, StartedAt: c.StartedAt, SettledAt: c.SettledAt,
			Instructions: c.Report.Instructions, Settled: c.Report.Settled, Deferred: c.Report.Deferred, Excluded: c.Report.Excluded, SettlementTransfers: c.Report.SettlementTransfers,
			LiquiditySavingBps: c.Report.LiquiditySavingBps, Cost: s.costJSON(c.Report.Cost)}
	}
	writeJSON(w, http.StatusOK, pageOf(out, limit, func(x cycleSummaryOut) string { return strconv.FormatInt(x.Number, 10) }))
}

// cycleOf reads the cycle named by the path; a number that is not one
// answers 404 like a cycle that does not exist.
func (s *Server) cycleOf(r *http.Request) (settlement.Cycle, error) {
	n, err := strconv.ParseInt(r.PathValue("n"), 10, 64)
	if err != nil || n <= 0 {
		return settlement.Cycle{}, problem.New(problem.NotFound, "no such cycle: %s", r.PathValue("n"))
	}
	return s.Settlement.Cycle(r.Context(), principal(r), n)
}

func (s *Server) getCycle(w http.ResponseWriter, r *http.Request) {
	if !s.settlementReady(w, r) {
		return
	}
	c, err := s.cycleOf(r)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	out := s.cycleJSON(c, s.orgNames(r))
	writeJSON(w, http.StatusOK, out)
}

// csvText keeps a spreadsheet from reading a text cell as a formula.
func csvText(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

// cycleCSV is the cycle report as CSV, one section per table: each starts
// with a row naming it, then its header row and its rows; a blank row
// separates sections.
func (s *Server) cycleCSV(w http.ResponseWriter, r *http.Request) {
	if !s.settlementReady(w, r) {
		return
	}
	c, err := s.cycleOf(r)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	out := s.cycleJSON(c, s.orgNames(r))
	rep := out.Report
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	itoa := func(v int64) string { return strconv.FormatInt(v, 10) }
	section := func(name string, header []string, rows [][]string) {
		if buf.Len() > 0 {
			_ = cw.Write([]string{})
		}
		_ = cw.Write([]string{"section", name})
		_ = cw.Write(header)
		for _, row := range rows {
			_ = cw.Write(row)
		}
	}
	section("cycle", []string{"number", "id", "from_seq", "to_seq", "started_at", "settled_at", "instructions", "settled", "deferred",
		"settlement_transfers", "liquidity_saving_bps", "netting_ms", "cycle_ms"},
		[][]string{{itoa(out.Number), out.ID, itoa(out.FromSeq), itoa(out.ToSeq), out.StartedAt.UTC().Format(time.RFC3339Nano), out.SettledAt.UTC().Format(time.RFC3339Nano),
			strconv.Itoa(rep.Instructions), strconv.Itoa(rep.Settled), strconv.Itoa(rep.Deferred), strconv.Itoa(rep.SettlementTransfers),
			itoa(rep.LiquiditySavingBps), strconv.FormatFloat(rep.NettingMillis, 'f', 3, 64), strconv.FormatFloat(rep.CycleMillis, 'f', 3, 64)}})
	var rows [][]string
	for _, x := range rep.Currencies {
		rows = append(rows, []string{x.Currency, x.Gross, x.Net, itoa(x.SavingBps)})
	}
	section("currencies", []string{"currency", "gross", "net", "saving_bps"}, rows)
	rows = nil
	for _, x := range rep.Pairs {
		rows = append(rows, []string{x.A, x.B, x.GrossAB, x.GrossBA, x.Sell, x.SellAmount, x.Buy, x.BuyAmount, itoa(x.SavingBps)})
	}
	section("pairs", []string{"a", "b", "gross_a_to_b", "gross_b_to_a", "net_sold_currency", "net_sold", "net_bought_currency", "net_bought", "saving_bps"}, rows)
	rows = nil
	for _, x := range rep.Positions {
		rows = append(rows, []string{x.BIC, x.OrgID, csvText(x.OrgName), x.Currency, x.Net})
	}
	section("positions", []string{"bic", "org_id", "org_name", "currency", "net"}, rows)
	rows = nil
	for _, x := range rep.Deferrals {
		rows = append(rows, []string{itoa(x.Seq), csvText(x.EndToEndID), x.Payer, x.Currency, x.Reason, x.Shortfall})
	}
	section("deferrals", []string{"seq", "end_to_end_id", "payer", "currency", "reason", "shortfall"}, rows)
	rows = nil
	for _, x := range rep.Exclusions {
		rows = append(rows, []string{itoa(x.Seq), csvText(x.EndToEndID), x.Payer, x.Currency, x.Reason})
	}
	section("exclusions", []string{"seq", "end_to_end_id", "payer", "currency", "reason"}, rows)
	section("cost", []string{"currency", "usd_route", "local", "saving", "saving_bps"},
		[][]string{{rep.Cost.Currency, rep.Cost.USDRoute, rep.Cost.Local, rep.Cost.Saving, itoa(rep.Cost.SavingBps)}})
	cw.Flush()
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="settlement-cycle-%d.csv"`, c.Number))
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(buf.Bytes())
}

// cyclePacs009 is the cycle's settlement as an ISO 20022 pacs.009: one
// transfer per net position between the participant and the centre.
func (s *Server) cyclePacs009(w http.ResponseWriter, r *http.Request) {
	if !s.settlementReady(w, r) {
		return
	}
	c, err := s.cycleOf(r)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	b, err := s.Settlement.Pacs009(r.Context(), c.Number, settlement.CentreBIC)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="pacs009-cycle-%d.xml"`, c.Number))
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(b)
}

// ---------------------------------------------------------------------------
// Statements.

// settlementStatement is the camt.053 statement of the caller's bank's
// settlement account in one currency over a period.
func (s *Server) settlementStatement(w http.ResponseWriter, r *http.Request) {
	if !s.settlementReady(w, r) {
		return
	}
	q := r.URL.Query()
	doc, err := s.Settlement.Statement(r.Context(), principal(r), settlement.StatementRequest{Currency: q.Get("currency"), From: q.Get("from"), To: q.Get("to")})
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="camt053-%s-%s.xml"`, doc.Currency, doc.To.UTC().Format("20060102")))
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(doc.XML)
}
