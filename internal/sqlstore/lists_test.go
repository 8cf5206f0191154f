package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/customs"
	"bricstown/internal/identity"
	"bricstown/internal/problem"
	"bricstown/internal/settlement"
)

// Declaration lists are searched inside the store on both engines: by
// reference, id, names, HS code and goods description, case-insensitively
// in every script, with LIKE's wildcards taken literally, and never across
// organisations for a trader.
func TestCustomsListSearch(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		s, clk := customsTown(t, db, nil)
		ctx := context.Background()
		beef := customsBeef()
		beef.FunctionalReferenceID = "ACME-REF-0001"
		beef.Items[0].Description = "ГОВЯДИНА охлаждённая, Beef"
		acme := customsLodge(t, s, "acme", beef, customs.DocCommercialInvoice, customs.DocVeterinary)
		clk.add(48 * time.Hour)
		phones := customsPhones()
		phones.FunctionalReferenceID = "RIVAL_50%"
		rival := customsLodge(t, s, "rival", phones)

		ids := func(l []customs.Summary, err error) []string {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
			out := []string{}
			for _, x := range l {
				out = append(out, x.ID)
			}
			return out
		}
		check := func(name string, got []string, want ...string) {
			t.Helper()
			if want == nil {
				want = []string{}
			}
			if !slices.Equal(got, want) {
				t.Errorf("%s: got %v, want %v", name, got, want)
			}
		}
		list := func(p any, q customs.Query) []string {
			t.Helper()
			switch p {
			case "acme":
				return ids(s.List(ctx, customsTrader("acme"), q))
			case "rival":
				return ids(s.List(ctx, customsTrader("rival"), q))
			}
			return ids(s.List(ctx, customsOfficer, q))
		}
		check("own reference", list("acme", customs.Query{Search: "acme-ref"}), acme.ID)
		check("another org's reference", list("rival", customs.Query{Search: "ACME-REF-0001"}))
		check("another org's goods", list("rival", customs.Query{Search: "beef"}))
		check("another org's party", list("rival", customs.Query{Search: "cerrado"}))
		check("own goods", list("rival", customs.Query{Search: "SMARTPHONES"}), rival.ID)
		check("HS code", list("officer", customs.Query{Search: "0201"}), acme.ID)
		check("Cyrillic folded", list("officer", customs.Query{Search: "говядина"}), acme.ID)
		check("party name", list("officer", customs.Query{Search: "shenzhen"}), rival.ID)
		check("declarant org name", list("officer", customs.Query{Search: "rival"}), rival.ID)
		check("id", list("officer", customs.Query{Search: acme.ID[len(acme.ID)-10:]}), acme.ID)
		check("percent literal", list("officer", customs.Query{Search: "50%"}), rival.ID)
		check("underscore literal", list("officer", customs.Query{Search: "l_5"}), rival.ID)
		check("wildcards are not wild", list("officer", customs.Query{Search: "%"}), rival.ID)
		check("nothing", list("officer", customs.Query{Search: "no such goods"}))
		day := customsT0.Truncate(24 * time.Hour)
		check("from", list("officer", customs.Query{From: day.Add(24 * time.Hour)}), rival.ID)
		check("to", list("officer", customs.Query{To: day.Add(24 * time.Hour)}), acme.ID)
		check("newest first, paged", list("officer", customs.Query{Newest: true, Limit: 1}), rival.ID)
		check("next page", list("officer", customs.Query{Newest: true, Limit: 1, After: rival.ID}), acme.ID)
		check("queue search", ids(s.SearchCustomsQueue(ctx, customsOfficer, customs.LaneNone, customs.Query{Search: "smart"})), rival.ID)
		check("queue border post", ids(s.SearchCustomsQueue(ctx, customsOfficer, customs.LaneNone, customs.Query{BorderPost: "kzhor", Search: "beef"})), acme.ID)
		check("quarantine search", ids(s.SearchQuarantineQueue(ctx, customsSPS, customs.Query{Search: "acme-ref"})), acme.ID)
		check("quarantine misses", ids(s.SearchQuarantineQueue(ctx, customsSPS, customs.Query{Search: "smart"})))

		for name, c := range map[string]struct {
			q     customs.Query
			field string
		}{
			"long search":   {customs.Query{Search: strings.Repeat("я", customs.MaxSearch+1)}, "q"},
			"empty period":  {customs.Query{From: day, To: day}, "to"},
			"border post":   {customs.Query{BorderPost: "HORGOS"}, "border_post"},
			"procedure":     {customs.Query{Procedure: "smuggling"}, "procedure"},
			"unknown lane":  {customs.Query{Lane: "purple"}, "lane"},
			"unknown state": {customs.Query{Statuses: []customs.Status{"lost"}}, "status"},
		} {
			_, err := s.List(ctx, customsOfficer, c.q)
			var pe *problem.Error
			if !problem.Is(err, problem.Invalid) || !errors.As(err, &pe) || pe.Fields[c.field] == "" {
				t.Errorf("%s: %v, want invalid %s", name, err, c.field)
			}
		}
	})
}

// Instruction lists are searched inside the store on both engines: a bank
// finds only instructions it pays or receives, whatever it types; the
// centre's queue search reads exactly what the queue holds.
func TestSettlementInstructionSearch(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		w := newSettlementWorld(t, db)
		centre := &identity.Principal{UserID: "op", OrgID: w.centre.ID, OrgKind: identity.KindBank, Roles: []identity.Role{identity.BankOperator}}
		pay := func(from, to int, e2e, amount, ccy, remittance string) {
			t.Helper()
			res, err := w.svc.Submit(ctx, w.bank(from), []settlement.InstructionInput{{EndToEndID: e2e, PayeeBIC: fmt.Sprintf("BANK%cKZK", 'A'+to),
				Amount: amount, Currency: ccy, Remittance: remittance}}, "api")
			if err != nil || res[0].Result != "ok" {
				t.Fatalf("submit %s: %v %v", e2e, res, err)
			}
		}
		pay(0, 1, "INV-ALPHA-1", "10.00", "KZT", "Invoice 2026/77 пшеница")
		pay(1, 2, "E-BETA", "1.00", "CNY", "")
		pay(2, 0, "E_GAMMA%", "5.00", "KZT", "")
		pay(2, 1, "G2", "3.00", "KZT", "")

		e2es := func(l []settlement.Instruction, err error) []string {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
			out := []string{}
			for _, in := range l {
				out = append(out, in.EndToEndID)
			}
			return out
		}
		check := func(name string, got []string, want ...string) {
			t.Helper()
			if want == nil {
				want = []string{}
			}
			if !slices.Equal(got, want) {
				t.Errorf("%s: got %v, want %v", name, got, want)
			}
		}
		alpha := w.bank(0)
		find := func(p *identity.Principal, q settlement.InstructionQuery) []string {
			t.Helper()
			return e2es(w.svc.SearchInstructions(ctx, p, q))
		}
		check("own e2e", find(alpha, settlement.InstructionQuery{Search: "inv-alpha"}), "INV-ALPHA-1")
		check("remittance, Cyrillic", find(alpha, settlement.InstructionQuery{Search: "ПШЕНИЦА"}), "INV-ALPHA-1")
		check("another bank's e2e", find(alpha, settlement.InstructionQuery{Search: "E-BETA"}))
		check("another bank's pair", find(alpha, settlement.InstructionQuery{Search: "G2"}))
		check("counterparty name", find(alpha, settlement.InstructionQuery{Search: "gamma"}), "E_GAMMA%")
		check("wildcards literal", find(alpha, settlement.InstructionQuery{Search: "_gamma%"}), "E_GAMMA%")
		check("underscore is not any", find(alpha, settlement.InstructionQuery{Search: "inv_alpha"}))
		check("currency", find(alpha, settlement.InstructionQuery{Currency: "cny"}))
		check("payee's currency list", find(w.bank(1), settlement.InstructionQuery{Currency: "CNY"}), "E-BETA")
		check("received later", find(alpha, settlement.InstructionQuery{From: time.Now().Add(24 * time.Hour)}))
		check("newest first", find(alpha, settlement.InstructionQuery{}), "E_GAMMA%", "INV-ALPHA-1")
		all, _ := w.svc.SearchQueue(ctx, centre, settlement.InstructionQuery{})
		check("centre: beta's", e2es(w.svc.SearchQueue(ctx, centre, settlement.InstructionQuery{Search: "beta"})), "G2", "E-BETA", "INV-ALPHA-1")
		check("centre: page 2", e2es(w.svc.SearchQueue(ctx, centre, settlement.InstructionQuery{Search: "beta", Before: all[0].Seq, Limit: 1})), "E-BETA")
		if _, err := w.svc.SearchQueue(ctx, alpha, settlement.InstructionQuery{}); !problem.Is(err, problem.Forbidden) {
			t.Errorf("a bank searched the whole queue: %v", err)
		}

		// The queue search is the queue, before and after a cycle (which
		// defers nothing here but leaves what it cannot fund).
		same := func(when string) {
			t.Helper()
			q, err := db.ListQueue(ctx, 0, 100)
			got := e2es(w.svc.SearchQueue(ctx, centre, settlement.InstructionQuery{}))
			check(when, got, e2es(q, err)...)
		}
		same("queue before the cycle")
		pay(1, 0, "HUGE", "90000.00", "KZT", "")
		ran, err := w.svc.RunCycle(ctx, audit.Record{ActorUser: "test"})
		if err != nil {
			t.Fatal(err)
		}
		same("queue after the cycle")
		check("unsettled after the cycle", find(w.bank(1), settlement.InstructionQuery{Unsettled: true}), "HUGE")
		// Cycles by when they settled.
		cycles := func(q settlement.CycleQuery) int {
			t.Helper()
			cs, err := w.svc.SearchCycles(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			return len(cs)
		}
		if n := cycles(settlement.CycleQuery{}); n != 1 {
			t.Errorf("cycles: %d", n)
		}
		if n := cycles(settlement.CycleQuery{From: ran.SettledAt.Add(time.Second)}); n != 0 {
			t.Errorf("cycles settled later than the only one: %d", n)
		}
		if n := cycles(settlement.CycleQuery{From: ran.SettledAt, To: ran.SettledAt.Add(time.Second)}); n != 1 {
			t.Errorf("cycles around the only one: %d", n)
		}
		if n := cycles(settlement.CycleQuery{Before: 1}); n != 0 {
			t.Errorf("cycles before the first: %d", n)
		}
		if _, err := w.svc.SearchCycles(ctx, settlement.CycleQuery{From: w.clockAt, To: w.clockAt}); !problem.Is(err, problem.Invalid) {
			t.Errorf("an empty period: %v", err)
		}
		check("settled ones stay listed", find(alpha, settlement.InstructionQuery{Search: "inv-alpha"}), "INV-ALPHA-1")

		for name, c := range map[string]struct {
			q     settlement.InstructionQuery
			field string
		}{
			"long search":  {settlement.InstructionQuery{Search: strings.Repeat("ж", settlement.MaxSearch+1)}, "q"},
			"currency":     {settlement.InstructionQuery{Currency: "KZ1"}, "currency"},
			"empty period": {settlement.InstructionQuery{From: w.clockAt, To: w.clockAt}, "to"},
			"cursor":       {settlement.InstructionQuery{Before: -1}, "cursor"},
		} {
			_, err := w.svc.SearchInstructions(ctx, alpha, c.q)
			var pe *problem.Error
			if !problem.Is(err, problem.Invalid) || !errors.As(err, &pe) || pe.Fields[c.field] == "" {
				t.Errorf("%s: %v, want invalid %s", name, err, c.field)
			}
		}
	})
}
