package server

import (
	"bytes"
	"net/http"
	"strconv"
	"time"

	"bricstown/internal/identity"
	"bricstown/internal/obligations"
	"bricstown/internal/problem"
)

// Obligation clearing (MTCS): the invoice register and clearing runs.
// Amounts are decimal strings in the currency's units; dates YYYY-MM-DD.

// obligationsBodyLimit caps invoice batches and CSV files (about 40 000
// lines of a typical export).
const obligationsBodyLimit = 4 << 20

type invoiceOut struct {
	ID            string      `json:"id"`
	Number        string      `json:"number"`
	CreditorOrgID string      `json:"creditor_org_id"`
	CreditorName  string      `json:"creditor_name"`
	DebtorOrgID   string      `json:"debtor_org_id"`
	DebtorName    string      `json:"debtor_name"`
	Side          string      `json:"side,omitempty"`
	Currency      string      `json:"currency"`
	Amount        string      `json:"amount"`
	Outstanding   string      `json:"outstanding"`
	Cleared       string      `json:"cleared"`
	Status        string      `json:"status"`
	Confirmed     bool        `json:"confirmed"`
	ConfirmedAt   *time.Time  `json:"confirmed_at,omitempty"`
	IssueDate     string      `json:"issue_date"`
	DueDate       string      `json:"due_date"`
	Source        string      `json:"source"`
	CreatedAt     time.Time   `json:"created_at"`
	LastRun       int64       `json:"last_run,omitempty"`
	Result        string      `json:"result,omitempty"`
	SetOffs       []setOffOut `json:"set_offs,omitempty"`
}

type setOffOut struct {
	RunID     string    `json:"run_id"`
	RunNumber int64     `json:"run_number"`
	At        time.Time `json:"at"`
	Before    string    `json:"outstanding_before"`
	Amount    string    `json:"amount"`
	InvoiceID string    `json:"invoice_id,omitempty"`
	Number    string    `json:"number,omitempty"`
	Currency  string    `json:"currency,omitempty"`
	Creditor  string    `json:"creditor_name,omitempty"`
	Debtor    string    `json:"debtor_name,omitempty"`
}

func (s *Server) invoiceJSON(p *identity.Principal, v *obligations.Invoice) invoiceOut {
	out := invoiceOut{ID: v.ID, Number: v.Number, CreditorOrgID: v.CreditorOrg, CreditorName: v.CreditorName, DebtorOrgID: v.DebtorOrg,
		DebtorName: v.DebtorName, Side: string(v.SideFor(p.OrgID)), Currency: v.Currency, Amount: s.amount(v.Amount, v.Currency),
		Outstanding: s.amount(v.Outstanding, v.Currency), Cleared: s.amount(v.Amount-v.Outstanding, v.Currency), Status: string(v.Status()),
		Confirmed: v.Confirmed(), IssueDate: v.IssueDate.Format(obligations.DateLayout), DueDate: v.DueDate.Format(obligations.DateLayout),
		Source: v.Source, CreatedAt: v.CreatedAt, LastRun: v.LastRun}
	if v.Confirmed() {
		at := v.ConfirmedAt
		out.ConfirmedAt = &at
	}
	return out
}

type invoiceBatchIn struct {
	Invoices []obligations.NewInvoice `json:"invoices"`
}

type invoiceBatchOut struct {
	Created  int          `json:"created"`
	Existing int          `json:"existing"`
	Items    []invoiceOut `json:"items"`
}

func (s *Server) batchResponse(w http.ResponseWriter, p *identity.Principal, res []obligations.Created) {
	out := invoiceBatchOut{Items: make([]invoiceOut, len(res))}
	for i := range res {
		out.Items[i] = s.invoiceJSON(p, &res[i].Invoice)
		out.Items[i].Result = "exists"
		if res[i].Created {
			out.Items[i].Result = "created"
			out.Created++
		} else {
			out.Existing++
		}
	}
	status := http.StatusOK
	if out.Created > 0 {
		status = http.StatusCreated
	}
	writeJSON(w, status, out)
}

func (s *Server) createInvoices(w http.ResponseWriter, r *http.Request) {
	var in invoiceBatchIn
	if err := decodeJSON(r, &in); err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	p := principal(r)
	res, err := s.Obligations.CreateInvoices(r.Context(), p, in.Invoices, obligations.SourceAPI)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	s.batchResponse(w, p, res)
}

// importInvoicesCSV takes a text/csv body (see obligations.CSVColumns).
func (s *Server) importInvoicesCSV(w http.ResponseWriter, r *http.Request) {
	body, err := readCSV(r)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	p := principal(r)
	res, err := s.Obligations.ImportCSV(r.Context(), p, bytes.NewReader(body))
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	s.batchResponse(w, p, res)
}

func (s *Server) listInvoices(w http.ResponseWriter, r *http.Request) {
	limit, cursor, err := pageParams(r)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	q := r.URL.Query()
	f := obligations.Filter{Side: obligations.Side(q.Get("side")), Status: obligations.Status(q.Get("status")),
		Currency: q.Get("currency"), Search: q.Get("q"), Before: cursor, Limit: limit + 1}
	switch q.Get("confirmed") {
	case "":
	case "true":
		t := true
		f.Confirmed = &t
	case "false":
		t := false
		f.Confirmed = &t
	default:
		writeProblem(w, r, s.log, &problem.Error{Code: problem.Invalid, Message: "bad filter", Fields: map[string]string{"confirmed": "must be true or false"}})
		return
	}
	p := principal(r)
	invs, err := s.Obligations.Invoices(r.Context(), p, f)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	out := make([]invoiceOut, len(invs))
	for i := range invs {
		out[i] = s.invoiceJSON(p, &invs[i])
	}
	writeJSON(w, http.StatusOK, pageOf(out, limit, func(v invoiceOut) string { return v.ID }))
}

func (s *Server) getInvoice(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	v, err := s.Obligations.Invoice(r.Context(), p, r.PathValue("id"))
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	lines, err := s.Obligations.InvoiceSetOffs(r.Context(), p, v.ID)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	out := s.invoiceJSON(p, &v)
	for _, l := range lines {
		out.SetOffs = append(out.SetOffs, setOffOut{RunID: l.RunID, RunNumber: l.RunNumber, At: l.At,
			Before: s.amount(l.Before, v.Currency), Amount: s.amount(l.Amount, v.Currency)})
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) confirmInvoice(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	v, _, err := s.Obligations.Confirm(r.Context(), p, r.PathValue("id"))
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, s.invoiceJSON(p, &v))
}

type runCurrencyOut struct {
	Currency        string                  `json:"currency"`
	Invoices        int                     `json:"invoices"`
	Firms           int                     `json:"firms"`
	TotalDebt       string                  `json:"total_debt"`
	Cleared         string                  `json:"cleared"`
	Remaining       string                  `json:"remaining"`
	LiquiditySaving string                  `json:"liquidity_saving"`
	SavingBps       int64                   `json:"saving_bps"`
	NetDebit        string                  `json:"net_debit"`
	InvoicesTouched int                     `json:"invoices_touched"`
	Certificate     obligations.Certificate `json:"certificate"`
}

type runFirmOut struct {
	OrgID            string `json:"org_id"`
	OrgName          string `json:"org_name"`
	Currency         string `json:"currency"`
	PayableBefore    string `json:"payable_before"`
	ReceivableBefore string `json:"receivable_before"`
	Cleared          string `json:"cleared"`
	PayableAfter     string `json:"payable_after"`
	ReceivableAfter  string `json:"receivable_after"`
}

type runOut struct {
	ID              string           `json:"id"`
	Number          int64            `json:"number"`
	Trigger         string           `json:"trigger"`
	RunBy           string           `json:"run_by"`
	StartedAt       time.Time        `json:"started_at"`
	FinishedAt      time.Time        `json:"finished_at"`
	InvoicesTouched int              `json:"invoices_touched"`
	Currencies      []runCurrencyOut `json:"currencies"`
	Firms           []runFirmOut     `json:"firms,omitempty"`
	SetOffs         []setOffOut      `json:"set_offs,omitempty"`
}

func (s *Server) runJSON(r *obligations.Run, firms bool) runOut {
	out := runOut{ID: r.ID, Number: r.Number, Trigger: r.Trigger, RunBy: r.RunBy, StartedAt: r.StartedAt, FinishedAt: r.FinishedAt,
		InvoicesTouched: r.InvoicesTouched, Currencies: []runCurrencyOut{}}
	for _, c := range r.Currencies {
		out.Currencies = append(out.Currencies, runCurrencyOut{Currency: c.Currency, Invoices: c.Invoices, Firms: c.Firms,
			TotalDebt: s.amount(c.TotalDebt, c.Currency), Cleared: s.amount(c.Cleared, c.Currency), Remaining: s.amount(c.Remaining, c.Currency),
			LiquiditySaving: s.amount(c.Cleared, c.Currency), SavingBps: c.SavingBps(), NetDebit: s.amount(c.NetDebit, c.Currency),
			InvoicesTouched: c.InvoicesTouched, Certificate: c.Certificate})
	}
	if firms {
		out.Firms = []runFirmOut{}
		for _, f := range r.Firms {
			out.Firms = append(out.Firms, runFirmOut{OrgID: f.OrgID, OrgName: f.OrgName, Currency: f.Currency,
				PayableBefore: s.amount(f.PayableBefore, f.Currency), ReceivableBefore: s.amount(f.ReceivableBefore, f.Currency),
				Cleared: s.amount(f.Cleared, f.Currency), PayableAfter: s.amount(f.PayableBefore-f.Cleared, f.Currency),
				ReceivableAfter: s.amount(f.ReceivableBefore-f.Cleared, f.Currency)})
		}
	}
	return out
}

func (s *Server) createRun(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	run, err := s.Obligations.Run(r.Context(), p)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	w.Header().Set("Location", "/api/v1/obligations/runs/"+run.ID)
	writeJSON(w, http.StatusCreated, s.runJSON(&run, true))
}

func (s *Server) listRuns(w http.ResponseWriter, r *http.Request) {
	limit, cursor, err := pageParams(r)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	var before int64
	if cursor != "" {
		if before, err = strconv.ParseInt(cursor, 10, 64); err != nil || before <= 0 {
			writeProblem(w, r, s.log, &problem.Error{Code: problem.Invalid, Message: "bad cursor", Fields: map[string]string{"cursor": "not a cursor from this listing"}})
			return
		}
	}
	runs, err := s.Obligations.Runs(r.Context(), principal(r), before, limit+1)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	out := make([]runOut, len(runs))
	for i := range runs {
		out[i] = s.runJSON(&runs[i], false)
	}
	writeJSON(w, http.StatusOK, pageOf(out, limit, func(v runOut) string { return strconv.FormatInt(v.Number, 10) }))
}

// maxRunSetOffs bounds the set-off lines one report lists.
const maxRunSetOffs = 1000

func (s *Server) getRun(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	run, err := s.Obligations.GetRun(r.Context(), p, r.PathValue("id"))
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	out := s.runJSON(&run, true)
	lines, err := s.Obligations.RunSetOffs(r.Context(), p, run, maxRunSetOffs)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	for _, l := range lines {
		ccy := l.Invoice.Currency
		out.SetOffs = append(out.SetOffs, setOffOut{RunID: l.RunID, RunNumber: l.RunNumber, At: l.At, Before: s.amount(l.Before, ccy),
			Amount: s.amount(l.Amount, ccy), InvoiceID: l.Invoice.ID, Number: l.Invoice.Number, Currency: ccy,
			Creditor: l.Invoice.CreditorName, Debtor: l.Invoice.DebtorName})
	}
	writeJSON(w, http.StatusOK, out)
}
