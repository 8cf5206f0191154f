package obligations

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"bricstown/internal/identity"
	"bricstown/internal/problem"
)

// CSVColumns are the columns an invoice file must have (any order, names
// case-insensitive); issue_date may be added, and defaults to the upload day.
//
//	debtor,creditor,amount,currency,due_date,number
//	170440000549,KZ:540987654,1250.50,KZT,2026-04-30,INV-2026-0042
//
// debtor and creditor are organisation ids or registration numbers (see the
// package documentation); creditor must be the uploader's organisation.
// Amounts are decimals in the currency's units with '.' as the decimal
// point; dates are YYYY-MM-DD.
var CSVColumns = []string{"debtor", "creditor", "amount", "currency", "due_date", "number"}

// maxCSVErrors bounds how many faults one refusal lists.
const maxCSVErrors = 100

// CSVField is the key under which a refused file's faults are listed:
// "line 7: amount" (or "line 7" for the row as a whole).
func CSVField(line int, column string) string {
	if column == "" {
		return "line " + strconv.Itoa(line)
	}
	return fmt.Sprintf("line %d: %s", line, column)
}

// ParseCSV reads an invoice file into submissions and the line each came
// from. Faults of form (header, quoting, field counts) are reported per
// line, up to a hundred, in one Invalid error.
func ParseCSV(r io.Reader, maxRows int) ([]NewInvoice, []int, error) {
	out, lines, f, err := parseCSV(r, maxRows)
	if err != nil {
		return nil, nil, err
	}
	if err := f.Err("the file has faults; nothing was recorded"); err != nil {
		return nil, nil, err
	}
	return out, lines, nil
}

// parseCSV returns the rows that parsed and the faults of the others
// separately, so that an import can list form and content faults at once;
// err is a fault that stops reading (header, size, I/O).
func parseCSV(r io.Reader, maxRows int) ([]NewInvoice, []int, problem.Fields, error) {
	br := bufio.NewReader(r)
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte{0xEF, 0xBB, 0xBF}) {
		_, _ = br.Discard(3) // a byte-order mark, as spreadsheet programs write
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1 // checked here, to name the line
	cr.ReuseRecord = true
	f := problem.Fields{}
	head, err := cr.Read()
	if err == io.EOF {
		return nil, nil, nil, &problem.Error{Code: problem.Invalid, Message: "the file is empty; nothing was recorded",
			Fields: map[string]string{CSVField(1, ""): "expected the header " + strings.Join(CSVColumns, ",")}}
	}
	if err != nil {
		return nil, nil, nil, csvReadError(err)
	}
	head = append([]string(nil), head...) // the reader reuses its record
	col := map[string]int{}
	for i, h := range head {
		h = strings.ToLower(strings.TrimSpace(h))
		switch {
		case h == "issue_date" || contains(CSVColumns, h):
			if _, dup := col[h]; dup {
				f.Addf(CSVField(1, h), "the column appears twice")
			}
			col[h] = i
		default:
			f.Addf(CSVField(1, ""), "unknown column %q; the header is %s (issue_date optional)", h, strings.Join(CSVColumns, ","))
		}
	}
	for _, c := range CSVColumns {
		if _, ok := col[c]; !ok {
			f.Addf(CSVField(1, c), "the column is missing; the header is %s", strings.Join(CSVColumns, ","))
		}
	}
	if err := f.Err("the file's header is not valid; nothing was recorded"); err != nil {
		return nil, nil, nil, err
	}
	get := func(rec []string, name string) string {
		if i, ok := col[name]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	var out []NewInvoice
	var lines []int
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				f.Add(CSVField(pe.StartLine, ""), pe.Err.Error())
			} else {
				return nil, nil, nil, csvReadError(err)
			}
			break // after a quoting fault the rest of the file cannot be trusted
		}
		if len(rec) != len(head) {
			f.Addf(CSVField(line, ""), "has %d fields, the header has %d", len(rec), len(head))
		} else {
			out = append(out, NewInvoice{Debtor: get(rec, "debtor"), Creditor: get(rec, "creditor"), Amount: get(rec, "amount"),
				Currency: get(rec, "currency"), DueDate: get(rec, "due_date"), Number: get(rec, "number"), IssueDate: get(rec, "issue_date")})
			lines = append(lines, line)
		}
		if len(out) > maxRows {
			return nil, nil, nil, problem.New(problem.TooLarge, "at most %d invoices per file", maxRows)
		}
		if len(f) >= maxCSVErrors {
			break
		}
	}
	if len(out) == 0 && len(f) == 0 {
		return nil, nil, nil, &problem.Error{Code: problem.Invalid, Message: "the file holds no invoices; nothing was recorded",
			Fields: map[string]string{CSVField(2, ""): "expected at least one invoice after the header"}}
	}
	return out, lines, f, nil
}

func csvReadError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &problem.Error{Code: problem.Invalid, Message: "the file cannot be read as CSV; nothing was recorded",
			Fields: map[string]string{CSVField(pe.StartLine, ""): pe.Err.Error()}}
	}
	return problem.Wrap(problem.Malformed, err, "the file cannot be read")
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

// ImportCSV records the invoices of a CSV file (see CSVColumns) owed to the
// caller's organisation: all of them, or, if any line is at fault, none,
// with every fault listed by line number.
func (s *Service) ImportCSV(ctx context.Context, p *identity.Principal, r io.Reader) ([]Created, error) {
	if !CanEnter(p) {
		return nil, problem.New(problem.Forbidden, "invoices are entered by a company's traders or administrators")
	}
	in, lines, f, err := parseCSV(r, s.cfg.MaxBatch)
	if err != nil {
		return nil, err
	}
	// Validation names rows "line N"; a missing creditor column value is
	// an error in a file (the JSON API lets it default).
	for i, x := range in {
		if x.Creditor == "" {
			f.Add(CSVField(lines[i], "creditor"), "is required: your organisation's id or registration number")
		}
	}
	name := func(i int) string { return "line " + strconv.Itoa(lines[i]) }
	var ins []Invoice
	var verr error
	if len(in) > 0 {
		ins, verr = s.validate(ctx, p, in, SourceCSV, name)
	}
	if verr != nil || len(f) > 0 {
		var pe *problem.Error
		if verr != nil && !errors.As(verr, &pe) {
			return nil, verr
		}
		if pe != nil && pe.Code != problem.Invalid {
			return nil, verr
		}
		if pe != nil {
			for k, v := range pe.Fields {
				// "line 7.amount" -> "line 7: amount"
				if a, b, ok := strings.Cut(k, "."); ok {
					k = a + ": " + b
				}
				f.Add(k, v)
			}
		}
		return nil, &problem.Error{Code: problem.Invalid, Message: fmt.Sprintf("the file has faults on %d line(s); nothing was recorded", countLines(f)), Fields: f}
	}
	created, err := s.store.CreateInvoices(ctx, ins, s.createRecord(p, ins))
	if err != nil {
		return nil, renameBatchFields(err, lines)
	}
	return created, nil
}

func countLines(f problem.Fields) int {
	seen := map[string]bool{}
	for k := range f {
		l, _, _ := strings.Cut(k, ":")
		seen[l] = true
	}
	return len(seen)
}

// renameBatchFields turns the store's "invoices[i].number" into the file's
// "line N: number".
func renameBatchFields(err error, lines []int) error {
	var pe *problem.Error
	if !errors.As(err, &pe) || len(pe.Fields) == 0 {
		return err
	}
	out := *pe
	out.Fields = map[string]string{}
	for k, v := range pe.Fields {
		var i int
		var col string
		if n, _ := fmt.Sscanf(k, "invoices[%d]", &i); n == 1 && i >= 0 && i < len(lines) {
			_, col, _ = strings.Cut(k, ".")
			k = CSVField(lines[i], col)
		}
		out.Fields[k] = v
	}
	return &out
}
