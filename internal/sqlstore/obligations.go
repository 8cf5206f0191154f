package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/identity"
	"bricstown/internal/obligations"
	"bricstown/internal/problem"
)

// PartyByID implements obligations.Store.
func (db *DB) PartyByID(ctx context.Context, id string) (obligations.Party, error) {
	var p obligations.Party
	var kind string
	err := db.SQL.QueryRowContext(ctx, `SELECT id, name, kind, country, reg_id FROM orgs WHERE id = $1`, id).
		Scan(&p.ID, &p.Name, &kind, &p.Country, &p.RegID)
	p.Kind = identity.OrgKind(kind)
	return p, notFound(err, "organisation")
}

// PartiesByRegID implements obligations.Store.
func (db *DB) PartiesByRegID(ctx context.Context, country, regID string) ([]obligations.Party, error) {
	rows, err := db.SQL.QueryContext(ctx, `SELECT id, name, kind, country, reg_id FROM orgs WHERE reg_id = $1 AND ($2 = '' OR country = $2)
		ORDER BY country, id LIMIT 10`, regID, country)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: parties: %w", err)
	}
	return collect(rows, func(sc interface{ Scan(...any) error }) (obligations.Party, error) {
		var p obligations.Party
		var kind string
		err := sc.Scan(&p.ID, &p.Name, &kind, &p.Country, &p.RegID)
		p.Kind = identity.OrgKind(kind)
		return p, err
	})
}

const (
	obligationInvoiceCols = `i.id, i.number, i.creditor_org, i.debtor_org, c.name, d.name, i.currency, i.amount, i.outstanding, i.issue_date,
	i.due_date, i.source, i.created_by, i.created_at, i.confirmed_by, i.confirmed_at, i.last_run`
	obligationInvoiceFrom = ` FROM obligation_invoices i JOIN orgs c ON c.id = i.creditor_org JOIN orgs d ON d.id = i.debtor_org`
)

// The multi-row statements of invoices and clearing runs (see bulkSpec).
var (
	obligationBulk = bulkSpec{"obligation_invoices", `INSERT INTO obligation_invoices (id, creditor_org, debtor_org, number, currency, amount, outstanding,
	issue_date, due_date, source, created_by, created_at, confirmed_by, confirmed_at, last_run) VALUES `, "", 15, []int{500, 100, 20, 5, 1}}
	obligationFirmBulk = bulkSpec{"obligation_firms", `INSERT INTO obligation_run_firms (run_number, org_id, currency, payable_before, receivable_before,
	cleared, potential) VALUES `, "", 7, []int{500, 100, 20, 5, 1}}
	obligationSetOffBulk = bulkSpec{"obligation_setoffs", `INSERT INTO obligation_setoffs (run_number, invoice_id, outstanding_before, amount) VALUES `,
		"", 4, []int{1000, 200, 40, 8, 1}}
)

func scanObligation(sc interface{ Scan(...any) error }) (obligations.Invoice, error) {
	var v obligations.Invoice
	var issue, due, created, confirmed int64
	err := sc.Scan(&v.ID, &v.Number, &v.CreditorOrg, &v.DebtorOrg, &v.CreditorName, &v.DebtorName, &v.Currency, &v.Amount, &v.Outstanding,
		&issue, &due, &v.Source, &v.CreatedBy, &created, &v.ConfirmedBy, &confirmed, &v.LastRun)
	v.IssueDate, v.DueDate, v.CreatedAt, v.ConfirmedAt = fromMicros(issue), fromMicros(due), fromMicros(created), fromMicros(confirmed)
	return v, err
}

func sameInvoice(a, b *obligations.Invoice) bool {
	return a.DebtorOrg == b.DebtorOrg && a.Currency == b.Currency && a.Amount == b.Amount &&
		a.IssueDate.Equal(b.IssueDate) && a.DueDate.Equal(b.DueDate)
}

// CreateInvoices implements obligations.Store: the batch's numbers already
// on record are read in chunks, the new invoices are written with
// multi-row inserts, all in one transaction with one audit record.
func (db *DB) CreateInvoices(ctx context.Context, ins []obligations.Invoice, rec audit.Record) ([]obligations.Created, error) {
	var out []obligations.Created
	if len(ins) == 0 {
		return nil, nil
	}
	creditor := ins[0].CreditorOrg
	for i := range ins {
		if ins[i].CreditorOrg != creditor {
			return nil, fmt.Errorf("sqlstore: a batch of invoices must have one creditor")
		}
	}
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		out = make([]obligations.Created, len(ins))
		var creditorName string
		if err := tx.QueryRowContext(ctx, `SELECT name FROM orgs WHERE id = $1`, creditor).Scan(&creditorName); err != nil {
			return notFound(err, "organisation")
		}
		existing := map[string]obligations.Invoice{}
		for start := 0; start < len(ins); start += 500 {
			chunk := ins[start:min(start+500, len(ins))]
			var q strings.Builder
			q.WriteString(`SELECT ` + obligationInvoiceCols + obligationInvoiceFrom + ` WHERE i.creditor_org = $1 AND i.number IN (`)
			args := make([]any, 0, len(chunk)+1)
			args = append(args, creditor)
			for j := range chunk {
				if j > 0 {
					q.WriteByte(',')
				}
				fmt.Fprintf(&q, "$%d", j+2)
				args = append(args, chunk[j].Number)
			}
			q.WriteByte(')')
			rows, err := tx.QueryContext(ctx, q.String(), args...)
			if err != nil {
				return err
			}
			found, err := collect(rows, scanObligation)
			if err != nil {
				return err
			}
			for _, v := range found {
				existing[v.Number] = v
			}
		}
		conflicts := problem.Fields{}
		fresh := make([]*obligations.Invoice, 0, len(ins))
		for i := range ins {
			in := &ins[i]
			if e, ok := existing[in.Number]; ok {
				if sameInvoice(&e, in) {
					out[i] = obligations.Created{Invoice: e}
				} else {
					conflicts.Add(fmt.Sprintf("invoices[%d].number", i), "is already used for a different invoice of your organisation")
				}
				continue
			}
			in.CreditorName = creditorName
			fresh = append(fresh, in)
			out[i] = obligations.Created{Invoice: *in, Created: true}
		}
		if len(conflicts) > 0 {
			return &problem.Error{Code: problem.Conflict, Message: "invoice numbers are reused for different invoices; nothing was recorded", Fields: conflicts}
		}
		if err := bulkWrite(ctx, db, tx, obligationBulk, fresh, func(args []any, v *obligations.Invoice) []any {
			return append(args, v.ID, v.CreditorOrg, v.DebtorOrg, v.Number, v.Currency, v.Amount, v.Outstanding, micros(v.IssueDate),
				micros(v.DueDate), v.Source, v.CreatedBy, micros(v.CreatedAt), v.ConfirmedBy, micros(v.ConfirmedAt), v.LastRun)
		}); err != nil {
			return err
		}
		if len(fresh) == 0 {
			return nil
		}
		rec.After = fmt.Sprintf("%d new, %d existing", len(fresh), len(ins)-len(fresh))
		return appendAudit(ctx, tx, time.Now(), rec)
	})
	if IsUniqueViolation(err) {
		return nil, problem.Wrap(problem.Conflict, err, "an invoice with one of these numbers was recorded meanwhile; send the batch again")
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// GetInvoice implements obligations.Store.
func (db *DB) GetInvoice(ctx context.Context, id string) (obligations.Invoice, error) {
	v, err := scanObligation(db.SQL.QueryRowContext(ctx, `SELECT `+obligationInvoiceCols+obligationInvoiceFrom+` WHERE i.id = $1`, id))
	return v, notFound(err, "invoice")
}

// ListInvoices implements obligations.Store, newest first.
func (db *DB) ListInvoices(ctx context.Context, f obligations.Filter) ([]obligations.Invoice, error) {
	confirmed := 0
	if f.Confirmed != nil {
		confirmed = 2
		if *f.Confirmed {
			confirmed = 1
		}
	}
	// The search finds an invoice by its number or by the counterparty's
	// name (the other party's, not the caller's own).
	search := ""
	if f.Search != "" {
		search = likePattern(f.Search)
	}
	rows, err := db.SQL.QueryContext(ctx, `SELECT `+obligationInvoiceCols+obligationInvoiceFrom+`
		WHERE ($1 = '' OR ($2 <> 'payable' AND i.creditor_org = $1) OR ($2 <> 'receivable' AND i.debtor_org = $1))
		AND ($3 = '' OR i.currency = $3)
		AND ($4 = '' OR ($4 = 'open' AND i.outstanding = i.amount) OR ($4 = 'partly_cleared' AND i.outstanding > 0 AND i.outstanding < i.amount)
			OR ($4 = 'cleared' AND i.outstanding = 0))
		AND ($5 = 0 OR ($5 = 1 AND i.confirmed_at > 0) OR ($5 = 2 AND i.confirmed_at = 0))
		AND ($6 = '' OR i.id < $6)
		AND ($8 = '' OR LOWER(i.number) LIKE $8 ESCAPE '\'
			OR ($1 = '' OR i.debtor_org = $1) AND LOWER(c.name) LIKE $8 ESCAPE '\'
			OR ($1 = '' OR i.creditor_org = $1) AND LOWER(d.name) LIKE $8 ESCAPE '\')
		ORDER BY i.id DESC LIMIT $7`, f.OrgID, string(f.Side), f.Currency, string(f.Status), confirmed, f.Before, f.Limit, search)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list invoices: %w", err)
	}
	return collect(rows, scanObligation)
}

// Summary implements obligations.Store.
func (db *DB) Summary(ctx context.Context, orgID string) ([]obligations.SummaryRow, error) {
	q := `SELECT currency, CASE WHEN creditor_org = $1 THEN 'receivable' ELSE 'payable' END, CASE WHEN confirmed_at > 0 THEN 1 ELSE 0 END,
		COUNT(*), CAST(SUM(amount) AS BIGINT), CAST(SUM(outstanding) AS BIGINT)
		FROM obligation_invoices WHERE creditor_org = $1 OR debtor_org = $1 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`
	args := []any{orgID}
	if orgID == "" {
		q = `SELECT currency, '', CASE WHEN confirmed_at > 0 THEN 1 ELSE 0 END,
		COUNT(*), CAST(SUM(amount) AS BIGINT), CAST(SUM(outstanding) AS BIGINT)
		FROM obligation_invoices GROUP BY 1, 3 ORDER BY 1, 3`
		args = nil
	}
	rows, err := db.SQL.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: invoice summary: %w", err)
	}
	return collect(rows, func(sc interface{ Scan(...any) error }) (obligations.SummaryRow, error) {
		var r obligations.SummaryRow
		var side string
		var confirmed int
		err := sc.Scan(&r.Currency, &side, &confirmed, &r.Count, &r.Amount, &r.Outstanding)
		r.Side, r.Confirmed = obligations.Side(side), confirmed == 1
		return r, err
	})
}

// ConfirmInvoice implements obligations.Store.
func (db *DB) ConfirmInvoice(ctx context.Context, id, userID string, at time.Time, rec audit.Record) (obligations.Invoice, bool, error) {
	changed := false
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE obligation_invoices SET confirmed_by = $1, confirmed_at = $2 WHERE id = $3 AND confirmed_at = 0`,
			userID, micros(at), id)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		changed = n == 1
		if !changed {
			return nil
		}
		return appendAudit(ctx, tx, at, rec)
	})
	if err != nil {
		return obligations.Invoice{}, false, err
	}
	v, err := db.GetInvoice(ctx, id)
	return v, changed, err
}

// Snapshot implements obligations.Store in one read transaction.
func (db *DB) Snapshot(ctx context.Context) (obligations.Snapshot, error) {
	var s obligations.Snapshot
	tx, err := db.SQL.BeginTx(ctx, &sql.TxOptions{ReadOnly: db.Engine == Postgres, Isolation: isoFor(db)})
	if err != nil {
		return s, err
	}
	defer tx.Rollback()
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(number), 0) FROM obligation_runs`).Scan(&s.LastRun); err != nil {
		return s, fmt.Errorf("sqlstore: clearing snapshot: %w", err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+obligationInvoiceCols+obligationInvoiceFrom+` WHERE i.confirmed_at > 0 AND i.outstanding > 0 ORDER BY i.id`)
	if err != nil {
		return s, fmt.Errorf("sqlstore: clearing snapshot: %w", err)
	}
	s.Invoices, err = collect(rows, scanObligation)
	if err != nil {
		return s, fmt.Errorf("sqlstore: clearing snapshot: %w", err)
	}
	return s, tx.Commit()
}

// CommitRun implements obligations.Store: the run, its figures and lines
// and set-offs are inserted, then one UPDATE applies every set-off, only
// to invoices still confirmed and still at the outstanding amount the run
// read; if any is not, or another run took this number, nothing commits.
func (db *DB) CommitRun(ctx context.Context, r obligations.Run, setoffs []obligations.SetOff, rec audit.Record) error {
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		var last int64
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(number), 0) FROM obligation_runs`).Scan(&last); err != nil {
			return err
		}
		if last+1 != r.Number {
			return problem.New(problem.Conflict, "another clearing run finished while this one was computed; run it again")
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO obligation_runs (number, id, trigger_kind, run_by, started_at, finished_at, invoices_touched)
			VALUES ($1,$2,$3,$4,$5,$6,$7)`, r.Number, r.ID, r.Trigger, r.RunBy, micros(r.StartedAt), micros(r.FinishedAt), r.InvoicesTouched); err != nil {
			return err
		}
		for _, c := range r.Currencies {
			cert, err := json.Marshal(c.Certificate)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO obligation_run_currencies (run_number, currency, invoices, firms, total_debt, cleared,
				invoices_touched, net_debit, certificate) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)`,
				r.Number, c.Currency, c.Invoices, c.Firms, c.TotalDebt, c.Cleared, c.InvoicesTouched, c.NetDebit, string(cert)); err != nil {
				return err
			}
		}
		if err := bulkWrite(ctx, db, tx, obligationFirmBulk, r.Firms, func(args []any, f obligations.FirmResult) []any {
			return append(args, r.Number, f.OrgID, f.Currency, f.PayableBefore, f.ReceivableBefore, f.Cleared, f.Potential)
		}); err != nil {
			return err
		}
		if err := bulkWrite(ctx, db, tx, obligationSetOffBulk, setoffs, func(args []any, s obligations.SetOff) []any {
			return append(args, r.Number, s.InvoiceID, s.Before, s.Amount)
		}); err != nil {
			return err
		}
		if len(setoffs) > 0 {
			res, err := tx.ExecContext(ctx, `UPDATE obligation_invoices SET outstanding = obligation_invoices.outstanding - s.amount, last_run = s.run_number
				FROM obligation_setoffs s
				WHERE s.run_number = $1 AND s.invoice_id = obligation_invoices.id
				AND obligation_invoices.outstanding = s.outstanding_before AND obligation_invoices.confirmed_at > 0`, r.Number)
			if err != nil {
				return err
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			if n != int64(len(setoffs)) {
				return problem.New(problem.Conflict, "invoices changed while the clearing run was computed; run it again")
			}
		}
		return appendAudit(ctx, tx, r.FinishedAt, rec)
	})
	if IsUniqueViolation(err) {
		return problem.Wrap(problem.Conflict, err, "another clearing run finished while this one was computed; run it again")
	}
	return err
}

func scanRun(sc interface{ Scan(...any) error }) (obligations.Run, error) {
	var r obligations.Run
	var started, finished int64
	err := sc.Scan(&r.Number, &r.ID, &r.Trigger, &r.RunBy, &started, &finished, &r.InvoicesTouched)
	r.StartedAt, r.FinishedAt = fromMicros(started), fromMicros(finished)
	return r, err
}

const obligationRunCols = `number, id, trigger_kind, run_by, started_at, finished_at, invoices_touched`

func (db *DB) runCurrencies(ctx context.Context, from, to int64) (map[int64][]obligations.CurrencyResult, error) {
	rows, err := db.SQL.QueryContext(ctx, `SELECT run_number, currency, invoices, firms, total_debt, cleared, invoices_touched, net_debit, certificate
		FROM obligation_run_currencies WHERE run_number >= $1 AND run_number <= $2 ORDER BY run_number, currency`, from, to)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64][]obligations.CurrencyResult{}
	for rows.Next() {
		var n int64
		var c obligations.CurrencyResult
		var cert string
		if err := rows.Scan(&n, &c.Currency, &c.Invoices, &c.Firms, &c.TotalDebt, &c.Cleared, &c.InvoicesTouched, &c.NetDebit, &cert); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(cert), &c.Certificate); err != nil {
			return nil, err
		}
		c.Remaining = c.TotalDebt - c.Cleared
		out[n] = append(out[n], c)
	}
	return out, rows.Err()
}

// GetRun implements obligations.Store.
func (db *DB) GetRun(ctx context.Context, id, orgID string) (obligations.Run, error) {
	r, err := scanRun(db.SQL.QueryRowContext(ctx, `SELECT `+obligationRunCols+` FROM obligation_runs WHERE id = $1`, id))
	if err != nil {
		return r, notFound(err, "clearing run")
	}
	cs, err := db.runCurrencies(ctx, r.Number, r.Number)
	if err != nil {
		return r, fmt.Errorf("sqlstore: run currencies: %w", err)
	}
	r.Currencies = cs[r.Number]
	rows, err := db.SQL.QueryContext(ctx, `SELECT f.org_id, o.name, f.currency, f.payable_before, f.receivable_before, f.cleared, f.potential
		FROM obligation_run_firms f JOIN orgs o ON o.id = f.org_id
		WHERE f.run_number = $1 AND ($2 = '' OR f.org_id = $2) ORDER BY f.currency, f.cleared DESC, o.name`, r.Number, orgID)
	if err != nil {
		return r, fmt.Errorf("sqlstore: run firms: %w", err)
	}
	r.Firms, err = collect(rows, func(sc interface{ Scan(...any) error }) (obligations.FirmResult, error) {
		var f obligations.FirmResult
		err := sc.Scan(&f.OrgID, &f.OrgName, &f.Currency, &f.PayableBefore, &f.ReceivableBefore, &f.Cleared, &f.Potential)
		return f, err
	})
	return r, err
}

// ListRuns implements obligations.Store.
func (db *DB) ListRuns(ctx context.Context, beforeNumber int64, limit int) ([]obligations.Run, error) {
	if beforeNumber <= 0 {
		beforeNumber = 1 << 62
	}
	rows, err := db.SQL.QueryContext(ctx, `SELECT `+obligationRunCols+` FROM obligation_runs WHERE number < $1 ORDER BY number DESC LIMIT $2`, beforeNumber, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list runs: %w", err)
	}
	runs, err := collect(rows, func(sc interface{ Scan(...any) error }) (obligations.Run, error) { return scanRun(sc) })
	if err != nil || len(runs) == 0 {
		return runs, err
	}
	cs, err := db.runCurrencies(ctx, runs[len(runs)-1].Number, runs[0].Number)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: run currencies: %w", err)
	}
	for i := range runs {
		runs[i].Currencies = cs[runs[i].Number]
	}
	return runs, nil
}

const setOffLineCols = `s.run_number, r.id, r.finished_at, s.outstanding_before, s.amount, ` + obligationInvoiceCols

func scanSetOffLine(sc interface{ Scan(...any) error }) (obligations.SetOffLine, error) {
	var l obligations.SetOffLine
	var at int64
	var v obligations.Invoice
	var issue, due, created, confirmed int64
	err := sc.Scan(&l.RunNumber, &l.RunID, &at, &l.Before, &l.Amount,
		&v.ID, &v.Number, &v.CreditorOrg, &v.DebtorOrg, &v.CreditorName, &v.DebtorName, &v.Currency, &v.Amount, &v.Outstanding,
		&issue, &due, &v.Source, &v.CreatedBy, &created, &v.ConfirmedBy, &confirmed, &v.LastRun)
	v.IssueDate, v.DueDate, v.CreatedAt, v.ConfirmedAt = fromMicros(issue), fromMicros(due), fromMicros(created), fromMicros(confirmed)
	l.At, l.Invoice = fromMicros(at), v
	return l, err
}

// RunSetOffs implements obligations.Store.
func (db *DB) RunSetOffs(ctx context.Context, runNumber int64, orgID string, limit int) ([]obligations.SetOffLine, error) {
	rows, err := db.SQL.QueryContext(ctx, `SELECT `+setOffLineCols+`
		FROM obligation_setoffs s JOIN obligation_runs r ON r.number = s.run_number
		JOIN obligation_invoices i ON i.id = s.invoice_id JOIN orgs c ON c.id = i.creditor_org JOIN orgs d ON d.id = i.debtor_org
		WHERE s.run_number = $1 AND ($2 = '' OR i.creditor_org = $2 OR i.debtor_org = $2)
		ORDER BY i.currency, s.amount DESC, i.id LIMIT $3`, runNumber, orgID, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: run set-offs: %w", err)
	}
	return collect(rows, scanSetOffLine)
}

// InvoiceSetOffs implements obligations.Store.
func (db *DB) InvoiceSetOffs(ctx context.Context, invoiceID string) ([]obligations.SetOffLine, error) {
	rows, err := db.SQL.QueryContext(ctx, `SELECT `+setOffLineCols+`
		FROM obligation_setoffs s JOIN obligation_runs r ON r.number = s.run_number
		JOIN obligation_invoices i ON i.id = s.invoice_id JOIN orgs c ON c.id = i.creditor_org JOIN orgs d ON d.id = i.debtor_org
		WHERE s.invoice_id = $1 ORDER BY s.run_number`, invoiceID)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: invoice set-offs: %w", err)
	}
	return collect(rows, scanSetOffLine)
}

var _ obligations.Store = (*DB)(nil)
