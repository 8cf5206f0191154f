package sqlstore

import (
	"context"
	"testing"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/ledger"
	"bricstown/internal/problem"
)

func TestSearchAccounts(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		mk := func(org, ccy string, kind ledger.Kind, code, name string) ledger.ID {
			a := ledger.Account{ID: newID(), OrgID: org, Currency: ccy, Kind: kind, Code: code, Name: name,
				Flags: ledger.DebitsMustNotExceedCredits, CreatedAt: time.Now()}
			if err := db.CreateAccounts(ctx, []ledger.Account{a}, audit.Record{ActorUser: "system", Action: "ledger.account.create"}); err != nil {
				t.Fatal(err)
			}
			return a.ID
		}
		ops := mk("org-a", "KZT", ledger.Liability, "operating", "Main Operating")
		mk("org-a", "CNY", ledger.Liability, "settlement", "Yuan settlement")
		pct := mk("org-a", "KZT", ledger.Asset, "fees", "100% fees_x")
		mk("org-b", "KZT", ledger.Liability, "operating", "Other org's operating")
		search := func(q ledger.AccountQuery) []ledger.ID {
			t.Helper()
			if q.Limit == 0 {
				q.Limit = 100
			}
			as, err := db.SearchAccounts(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			ids := make([]ledger.ID, len(as))
			for i, a := range as {
				if a.OrgID != q.OrgID {
					t.Fatalf("another org's account %s in %s's search", a.ID, q.OrgID)
				}
				ids[i] = a.ID
			}
			return ids
		}
		// Case does not matter on either engine; the other org's never shows.
		if got := search(ledger.AccountQuery{OrgID: "org-a", Search: "OPERAT"}); len(got) != 1 || got[0] != ops {
			t.Fatalf("search OPERAT: %v", got)
		}
		// LIKE's wildcards are literal: "%" and "_" match only themselves.
		if got := search(ledger.AccountQuery{OrgID: "org-a", Search: "0% fees_"}); len(got) != 1 || got[0] != pct {
			t.Fatalf("search with wildcards: %v", got)
		}
		if got := search(ledger.AccountQuery{OrgID: "org-a", Search: "%"}); len(got) != 1 {
			t.Fatalf("a bare %% matched %d accounts", len(got))
		}
		if got := search(ledger.AccountQuery{OrgID: "org-a", Currency: "KZT"}); len(got) != 2 {
			t.Fatalf("KZT: %v", got)
		}
		if got := search(ledger.AccountQuery{OrgID: "org-a", Kind: ledger.Asset}); len(got) != 1 || got[0] != pct {
			t.Fatalf("asset: %v", got)
		}
		// Paging: two pages of one and two, in opening order, nothing twice.
		first, err := db.SearchAccounts(ctx, ledger.AccountQuery{OrgID: "org-a", Limit: 1})
		if err != nil || len(first) != 1 {
			t.Fatalf("first page: %v %v", first, err)
		}
		rest := search(ledger.AccountQuery{OrgID: "org-a", AfterRow: first[0].Row})
		if len(rest) != 2 || rest[0] == first[0].ID || rest[1] == first[0].ID {
			t.Fatalf("second page: %v after %v", rest, first[0].ID)
		}
	})
}

func TestSavedCounterparties(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		acct, other := newID(), newID()
		rec := func(action string) audit.Record {
			return audit.Record{ActorUser: "u1", ActorOrg: "org-a", Action: action, SubjectType: "saved_counterparty", OrgID: "org-a"}
		}
		save := func(org, id string, a ledger.ID, label string) error {
			return db.SaveCounterparty(ctx, ledger.SavedCounterparty{ID: id, OrgID: org, Account: a, Currency: "KZT", Label: label,
				CreatedBy: "u1", CreatedAt: time.Now()}, rec("ledger.counterparty.save"))
		}
		if err := save("org-a", "c1", acct, "Supplier"); err != nil {
			t.Fatal(err)
		}
		// The same account or label again is a conflict with the field named.
		if err := save("org-a", "c2", acct, "Another"); problem.CodeOf(err) != problem.Conflict {
			t.Fatalf("same account twice: %v", err)
		}
		if err := save("org-a", "c3", other, "Supplier"); problem.CodeOf(err) != problem.Conflict {
			t.Fatalf("same label twice: %v", err)
		}
		// Another org may save the same account under the same label.
		if err := save("org-b", "c4", acct, "Supplier"); err != nil {
			t.Fatal(err)
		}
		list := func(org, ccy string) []ledger.SavedCounterparty {
			t.Helper()
			cs, err := db.ListCounterparties(ctx, org, ccy)
			if err != nil {
				t.Fatal(err)
			}
			return cs
		}
		if cs := list("org-a", ""); len(cs) != 1 || cs[0].ID != "c1" || cs[0].Account != acct || cs[0].Label != "Supplier" {
			t.Fatalf("org-a's list: %+v", cs)
		}
		if cs := list("org-a", "CNY"); len(cs) != 0 {
			t.Fatalf("CNY list: %+v", cs)
		}
		// One org cannot delete another's.
		if err := db.DeleteCounterparty(ctx, "org-b", "c1", rec("ledger.counterparty.delete")); problem.CodeOf(err) != problem.NotFound {
			t.Fatalf("org-b deleting org-a's: %v", err)
		}
		if err := db.DeleteCounterparty(ctx, "org-a", "c1", rec("ledger.counterparty.delete")); err != nil {
			t.Fatal(err)
		}
		if cs := list("org-a", ""); len(cs) != 0 {
			t.Fatalf("after delete: %+v", cs)
		}
		if cs := list("org-b", ""); len(cs) != 1 {
			t.Fatalf("org-b's list after org-a's delete: %+v", cs)
		}
		// Each change is audited, each refusal is not.
		es, err := db.ListAudit(ctx, audit.Filter{OrgID: "org-a", Action: "ledger.counterparty.", Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(es) != 3 || es[0].Action != "ledger.counterparty.delete" || es[0].Detail != "Supplier" {
			t.Fatalf("audit: %+v", es)
		}
	})
}

func TestAuditFilters(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		for _, r := range []audit.Record{
			{ActorUser: "alice", ActorOrg: "o1", Action: "ledger.account.create", SubjectType: "ledger_account", SubjectID: "a1", OrgID: "o1"},
			{ActorUser: "bob", ActorOrg: "o1", Action: "ledger.account.close", SubjectType: "ledger_account", SubjectID: "a1", OrgID: "o1"},
			{ActorUser: "alice", ActorOrg: "o1", Action: "fx.quote.create", SubjectType: "fx_quote", SubjectID: "q1", OrgID: "o1"},
			{ActorUser: "carol", ActorOrg: "o2", Action: "ledger.account.create", SubjectType: "ledger_account", SubjectID: "a2", OrgID: "o2"},
			// An action whose name has LIKE's wildcard must not match a prefix.
			{ActorUser: "alice", ActorOrg: "o1", Action: "apiXtoken.create", SubjectType: "thing", OrgID: "o1"},
			{ActorUser: "alice", ActorOrg: "o1", Action: "api_token.create", SubjectType: "api_token", OrgID: "o1"},
		} {
			if err := db.AppendAudit(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		count := func(f audit.Filter) int {
			t.Helper()
			f.Limit = 100
			es, err := db.ListAudit(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			return len(es)
		}
		for name, c := range map[string]struct {
			f    audit.Filter
			want int
		}{
			"org":            {audit.Filter{OrgID: "o1"}, 5},
			"actor":          {audit.Filter{OrgID: "o1", ActorUser: "alice"}, 4},
			"exact action":   {audit.Filter{Action: "ledger.account.create"}, 2},
			"prefix":         {audit.Filter{OrgID: "o1", Action: "ledger."}, 2},
			"prefix with _":  {audit.Filter{Action: "api_token."}, 1},
			"subject":        {audit.Filter{SubjectType: "ledger_account", SubjectID: "a1"}, 2},
			"future":         {audit.Filter{From: time.Now().Add(time.Hour)}, 0},
			"past":           {audit.Filter{To: time.Now().Add(-time.Hour)}, 0},
			"window":         {audit.Filter{OrgID: "o2", From: time.Now().Add(-time.Hour), To: time.Now().Add(time.Hour)}, 1},
			"other org's op": {audit.Filter{OrgID: "o2", ActorUser: "alice"}, 0},
		} {
			if got := count(c.f); got != c.want {
				t.Errorf("%s: %d entries, want %d", name, got, c.want)
			}
		}
	})
}
