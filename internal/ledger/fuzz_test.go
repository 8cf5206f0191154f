package ledger

import (
	"encoding/json"
	"testing"

	"bricstown/internal/problem"
)

func testExponent(c string) (int, bool) {
	switch c {
	case "KZT", "CNY", "RUB":
		return 2, true
	case "JPY":
		return 0, true
	case "KWD":
		return 3, true
	}
	return 0, false
}

// FuzzDecodeTransfers feeds arbitrary request bodies through the JSON
// decoding and validation the API applies. It must never panic; whatever it
// accepts must be a well-formed batch; whatever it refuses must be refused
// with a classified error that names fields.
func FuzzDecodeTransfers(f *testing.F) {
	f.Add([]byte(`{"transfers":[{"id":"019a0000-0000-7000-8000-000000000001","debit_account_id":"019a0000-0000-7000-8000-000000000002","credit_account_id":"019a0000-0000-7000-8000-000000000003","amount":"12.50","currency":"KZT"}]}`))
	f.Add([]byte(`{"transfers":[{"id":"019a0000-0000-7000-8000-000000000001","pending_id":"019a0000-0000-7000-8000-000000000009","post_pending":true}]}`))
	f.Add([]byte(`{"transfers":[{"id":"x","amount":"1.005","currency":"KZT","pending":true,"void_pending":true,"timeout_seconds":-1}]}`))
	f.Add([]byte(`{"transfers":[{"id":"019a0000-0000-7000-8000-000000000001","debit_account_id":"019a0000-0000-7000-8000-000000000002","credit_account_id":"019a0000-0000-7000-8000-000000000003","amount":"9223372036854775807","currency":"JPY","linked":true}]}`))
	f.Add([]byte(`{"transfers":[]}`))
	s := NewService(nil, Config{Exponent: testExponent})
	f.Fuzz(func(t *testing.T, body []byte) {
		var in struct {
			Transfers []TransferInput `json:"transfers"`
		}
		if json.Unmarshal(body, &in) != nil {
			return
		}
		out, err := s.Decode(in.Transfers)
		if err != nil {
			var pe *problem.Error
			if !asProblem(err, &pe) || (pe.Code != problem.Invalid && pe.Code != problem.TooLarge) || len(pe.Fields) == 0 {
				t.Fatalf("unclassified refusal: %v", err)
			}
			return
		}
		if len(out) != len(in.Transfers) || len(out) == 0 || len(out) > MaxBatch {
			t.Fatalf("accepted %d of %d", len(out), len(in.Transfers))
		}
		for i, tr := range out {
			if tr.ID == Zero {
				t.Fatalf("[%d] zero id accepted", i)
			}
			resolving := tr.Flags&(PostPending|VoidPending) != 0
			if !resolving && (tr.Amount <= 0 || tr.DebitAccount == Zero || tr.CreditAccount == Zero) {
				t.Fatalf("[%d] incomplete transfer accepted: %+v", i, tr)
			}
			if resolving && tr.PendingID == Zero {
				t.Fatalf("[%d] post/void without pending id", i)
			}
			if tr.Amount < 0 || tr.Timeout < 0 {
				t.Fatalf("[%d] negative amount or timeout: %+v", i, tr)
			}
			if _, ok := testExponent(tr.Currency); tr.Currency != "" && !ok {
				t.Fatalf("[%d] unknown currency %q accepted", i, tr.Currency)
			}
		}
	})
}

func asProblem(err error, pe **problem.Error) bool {
	e, ok := err.(*problem.Error)
	*pe = e
	return ok
}
