package server

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"bricstown/internal/identity"
	"bricstown/internal/ledger"
	"bricstown/internal/pgtest"
)

// The adversarial suite of issue 8 runs every attack through the HTTP API,
// as a client would, on both storage engines. Each engine gets a fixture of
// its own (a fresh demo town), so a test can assert that a refused attack
// changed nothing anywhere: no balance, no status, no cycle.

// onBothEngines runs fn on a fresh demo town over SQLite and over
// PostgreSQL.
func onBothEngines(t *testing.T, fn func(t *testing.T, f *fixture)) {
	t.Run("sqlite", func(t *testing.T) {
		fn(t, ownFixture(t, filepath.Join(t.TempDir(), "attack.db")))
	})
	t.Run("postgres", func(t *testing.T) {
		fn(t, ownFixture(t, pgtest.URL(t)))
	})
}

// ownFixture builds a fixture that lives as long as t.
func ownFixture(t *testing.T, dsn string) *fixture {
	t.Helper()
	f, err := newFixture(dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		f.stop()
		f.ts.Close()
		f.db.Close()
	})
	return f
}

// attackWorld is the town an attacker meets: three banks admitted to
// settlement with funded settlement accounts, and two traders with funded
// KZT accounts (the attacker and its victim).
type attackWorld struct {
	f                     *fixture
	admin, centre         string // tokens: platform administrator, the centre's operator
	centreOrg             string
	banks                 []*testBank
	trader, victim        string // tokens (traders of Kazakh Grain Export and Shenzhen Smart Devices)
	traderAcct, victimAcc string // their funded KZT accounts
	traderCNY             string // the attacker's funded CNY account
}

const (
	attacker     = "Kazakh Grain Export"
	victimOrg    = "Shenzhen Smart Devices"
	attackerBank = "Steppe Commercial Bank"
)

func newAttackWorld(t *testing.T, f *fixture) *attackWorld {
	t.Helper()
	w := &attackWorld{f: f, admin: f.token(t, townAdmin, identity.PlatformAdmin), centre: f.token(t, demoCentre, identity.BankOperator),
		centreOrg: f.orgs[demoCentre].ID, trader: f.token(t, attacker, identity.Trader), victim: f.token(t, victimOrg, identity.Trader)}
	for _, b := range []struct{ name, bic string }{{"Steppe Commercial Bank", "STPBKZKA"}, {"Volga Trade Bank", "VOLGRUMM"}, {"Yangtze Settlement Bank", "YNGZCNSH"}} {
		sb := &testBank{name: b.name, bic: b.bic, tok: f.token(t, b.name, identity.BankOperator), acct: map[string]string{}}
		r := f.call(t, "POST", "/api/v1/settlement/participants", w.admin, map[string]any{"org_id": f.orgs[b.name].ID, "bic": b.bic,
			"credit_lines": map[string]string{"KZT": "100000.00"}})
		if r.status != 201 {
			t.Fatalf("admit %s: %d %s", b.name, r.status, r.body)
		}
		for _, c := range []struct{ ccy, amount string }{{"KZT", "1000000.00"}, {"CNY", "10000.00"}} {
			sb.acct[c.ccy] = w.ownAccount(t, sb.tok, c.ccy, "settlement")
			w.issue(t, sb.tok, sb.acct[c.ccy], c.ccy, c.amount)
		}
		w.banks = append(w.banks, sb)
	}
	steppe := w.banks[0].tok
	w.traderAcct = w.ownAccount(t, w.trader, "KZT", "operating")
	w.issue(t, steppe, w.traderAcct, "KZT", "1000000.00")
	w.traderCNY = w.ownAccount(t, w.trader, "CNY", "operating")
	w.issue(t, steppe, w.traderCNY, "CNY", "5000.00")
	w.victimAcc = w.ownAccount(t, w.victim, "KZT", "operating")
	w.issue(t, steppe, w.victimAcc, "KZT", "1000000.00")
	return w
}

// ownAccount opens a plain account of tok's organisation.
func (w *attackWorld) ownAccount(t *testing.T, tok, ccy, code string) string {
	t.Helper()
	r := w.f.call(t, "POST", "/api/v1/ledger/accounts", tok, map[string]any{"currency": ccy, "kind": "liability", "code": code, "name": code + " " + ccy})
	if r.status != 201 {
		t.Fatalf("open %s %s: %d %s", code, ccy, r.status, r.body)
	}
	return r.json(t)["id"].(string)
}

// issue credits to with amount created by bankTok's bank from its issuance
// account (granted by the centre on first use).
func (w *attackWorld) issue(t *testing.T, bankTok, to, ccy, amount string) {
	t.Helper()
	vault := w.f.openAccount(t, bankTok, ccy, false)
	if got := w.transfer(t, bankTok, map[string]any{"debit_account_id": vault, "credit_account_id": to, "amount": amount, "currency": ccy}); got != "ok" {
		t.Fatalf("issuing %s %s: %s", amount, ccy, got)
	}
}

// transfer submits one transfer (an id is added when tr has none) and
// returns its result code.
func (w *attackWorld) transfer(t *testing.T, tok string, tr map[string]any) string {
	t.Helper()
	if _, ok := tr["id"]; !ok {
		tr["id"] = v7()
	}
	return results(t, w.f.call(t, "POST", "/api/v1/ledger/transfers", tok, map[string]any{"transfers": []map[string]any{tr}}))[0]
}

// worldState is everything an attack must leave as it was: every
// account's four counters and state, how many transfers, pending
// reservations, instructions, cancellations, deferrals, holds and cycles
// exist, and every declaration's status.
type worldState struct {
	accounts map[ledger.ID]string
	rows     map[string]string
}

var stateQueries = []string{
	`SELECT count(*) FROM ledger_transfers`,
	`SELECT count(*) FROM ledger_pending`,
	`SELECT count(*) FROM settlement_instructions`,
	`SELECT count(*) FROM settlement_instructions WHERE cancelled_at <> 0`,
	`SELECT count(*) FROM settlement_carry`,
	`SELECT count(*) FROM settlement_holds`,
	`SELECT count(*) FROM settlement_cycles`,
	`SELECT count(*) FROM settlement_participants`,
	`SELECT count(*) FROM fx_rates`,
	`SELECT count(*) FROM fx_reference_rates`,
	`SELECT count(*) FROM guarantees`,
	`SELECT count(*) FROM guarantee_moves`,
	`SELECT count(*) FROM users`,
	`SELECT count(*) FROM api_tokens`,
	`SELECT id || ':' || status FROM customs_declarations ORDER BY id`,
}

func (f *fixture) state(t *testing.T) worldState {
	t.Helper()
	ctx := context.Background()
	s := worldState{accounts: map[ledger.ID]string{}, rows: map[string]string{}}
	var after int64
	for {
		as, err := f.db.ListAccounts(ctx, "", after, 500)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range as {
			s.accounts[a.ID] = fmt.Sprintf("dp=%d dP=%d cp=%d cP=%d closed=%v limit=%d flags=%d", a.DebitsPending, a.DebitsPosted,
				a.CreditsPending, a.CreditsPosted, a.Closed, a.Limit, a.Flags)
			after = a.Row
		}
		if len(as) < 500 {
			break
		}
	}
	for _, q := range stateQueries {
		rows, err := f.db.SQL.QueryContext(ctx, q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		var out []string
		for rows.Next() {
			var v string
			if err := rows.Scan(&v); err != nil {
				t.Fatal(err)
			}
			out = append(out, v)
		}
		rows.Close()
		s.rows[q] = strings.Join(out, ",")
	}
	return s
}

// unchanged fails t when anything in before changed. Accounts the attack
// opened for itself may exist now, but hold nothing.
func (f *fixture) unchanged(t *testing.T, what string, before worldState) {
	t.Helper()
	now := f.state(t)
	if len(before.accounts) == 0 || before.rows[stateQueries[0]] == "0" {
		t.Fatalf("%s: the state read nothing", what)
	}
	for q, v := range before.rows {
		if now.rows[q] != v {
			t.Errorf("%s changed %q: %.200s -> %.200s", what, q, v, now.rows[q])
		}
	}
	for id, v := range before.accounts {
		if now.accounts[id] != v {
			t.Errorf("%s changed account %s: %s -> %s", what, id, v, now.accounts[id])
		}
	}
	empty := fmt.Sprintf("dp=0 dP=0 cp=0 cP=0 closed=false limit=0 flags=%d", ledger.DebitsMustNotExceedCredits)
	for id, v := range now.accounts {
		if _, old := before.accounts[id]; !old && v != empty {
			t.Errorf("%s left a new account %s that is not empty: %s", what, id, v)
		}
	}
}

// problemCode returns a problem answer's machine code.
func problemCode(t *testing.T, r response) string {
	t.Helper()
	c, _ := r.json(t)["code"].(string)
	return c
}

// lastCycle is the number of the newest settlement cycle (0 before the
// first).
func (f *fixture) lastCycle(t *testing.T) int64 {
	t.Helper()
	cs, err := f.db.Cycles(context.Background(), 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) == 0 {
		return 0
	}
	return cs[0].Number
}

// participantRows lists the settlement participants' row numbers, which
// name their keys in cycle transfer ids.
func (f *fixture) participantRows(t *testing.T) []int64 {
	t.Helper()
	rows, err := f.db.SQL.QueryContext(context.Background(), `SELECT row_id FROM settlement_participants`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var r int64
		if err := rows.Scan(&r); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	slices.Sort(out)
	return out
}
