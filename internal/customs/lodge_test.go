package customs

import (
	"context"
	"testing"

	"bricstown/internal/problem"
)

// Lodge stores the declaration, its documents and its submission as one
// change, or nothing at all.
func TestLodgeIsOneChangeOrNothing(t *testing.T) {
	s, st, _, _ := newService(t, quietRules(t))
	ctx := context.Background()
	p := trader("kge")
	invoice := NewDocument{Kind: DocCommercialInvoice, Filename: "inv.pdf", MediaType: "application/pdf", Content: pdf}
	d, err := s.Lodge(ctx, p, smartphones(), []NewDocument{invoice})
	if err != nil {
		t.Fatal(err)
	}
	if d.Version != 1 || len(d.Documents) != 1 || d.SubmittedAt.IsZero() || d.Lane == "" || d.Assessment == nil {
		t.Fatalf("lodged %+v", d)
	}
	evs, _ := st.DeclarationEvents(ctx, d.ID)
	if len(evs) < 3 || evs[0].Action != ActCreate || evs[1].Action != ActAttach || evs[2].Action != ActSubmit {
		t.Fatalf("events %+v", evs)
	}
	// A bad document refuses the whole filing, with the document's index.
	before := len(st.decls)
	bad := NewDocument{Kind: DocCommercialInvoice, Filename: "inv.exe", MediaType: "application/x-msdownload", Content: []byte("MZ")}
	_, err = s.Lodge(ctx, p, smartphones(), []NewDocument{invoice, bad})
	var pe *problem.Error
	if !problem.Is(err, problem.Invalid) || !asProblem(err, &pe) || !hasFieldPrefix(pe.Fields, "documents[1]") {
		t.Fatalf("bad document: %v", err)
	}
	// Beef without its veterinary certificate cannot be lodged.
	if _, err := s.Lodge(ctx, p, beef(), []NewDocument{invoice}); !problem.Is(err, problem.Invalid) {
		t.Fatalf("beef without certificate: %v", err)
	}
	if len(st.decls) != before {
		t.Fatal("a refused filing stored something")
	}
	if _, err := s.Lodge(ctx, inspector, smartphones(), nil); !problem.Is(err, problem.Forbidden) {
		t.Fatalf("an inspector lodging: %v", err)
	}
}

func hasFieldPrefix(fields map[string]string, prefix string) bool {
	for k := range fields {
		if len(k) >= len(prefix) && k[:len(prefix)] == prefix {
			return true
		}
	}
	return false
}

func asProblem(err error, pe **problem.Error) bool {
	e, ok := err.(*problem.Error)
	*pe = e
	return ok
}
