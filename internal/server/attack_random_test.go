package server

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"strconv"
	"testing"
	"time"

	"bricstown/internal/identity"
	"bricstown/internal/ledger"

	"github.com/google/uuid"
)

// randomClient is one caller of the random test: an organisation with a
// role set, calling by token or by session.
type randomClient struct {
	name    string
	org     string // org id
	tok     string // bearer token, or "" with a session
	hdr     []string
	bank    *testBank // set for settlement participants
	pending []string  // client ids of its pending transfers
}

// TestAttackRandom lets many clients of many organisations and roles call
// the ledger, FX, customs and settlement APIs with random requests, valid
// and hostile, on both engines. Afterwards the ledger verifies, no account
// but an issuer's is below zero, each currency's money is what the issuers
// issued, every cycle the centre ran settled something and left nothing
// queued that was due. BRICSTOWN_ATTACK_SEED repeats a run.
func TestAttackRandom(t *testing.T) {
	seed := time.Now().UnixNano()
	if s := os.Getenv("BRICSTOWN_ATTACK_SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseInt(s, 10, 64); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("seed %d (BRICSTOWN_ATTACK_SEED=%d repeats this run)", seed, seed)
	onBothEngines(t, func(t *testing.T, f *fixture) {
		randomRun(t, f, rand.New(rand.NewSource(seed)), 1500)
	})
}

func randomRun(t *testing.T, f *fixture, rng *rand.Rand, steps int) {
	w := newAttackWorld(t, f)
	ctx := context.Background()
	today := time.Now().UTC().Format(time.DateOnly)
	f.apiPost(t, "/api/v1/fx/reference", w.centre, map[string]any{"date": today, "source": "NBK (random test)",
		"rates": []any{map[string]any{"currency": "CNY", "units": 1, "rate": "66.20"}}}, 201)
	f.apiPost(t, "/api/v1/fx/rates", w.banks[0].tok, map[string]any{"pair": "KZT/CNY", "bid": "0.0150", "ask": "0.0152"}, 201)
	f.fxInventory(t, attackerBank, "CNY", "500000.00")
	f.fxInventory(t, attackerBank, "KZT", "50000000.00")
	// Volga may publish a price in the run; its inventory makes it executable.
	f.fxInventory(t, "Volga Trade Bank", "CNY", "500000.00")
	f.fxInventory(t, "Volga Trade Bank", "KZT", "50000000.00")

	// The clients and every account they own.
	owner := map[string]string{} // account id -> org id
	ccyOf := map[string]string{}
	var accounts []string
	addAcct := func(id, org, ccy string) { owner[id], ccyOf[id] = org, ccy; accounts = append(accounts, id) }
	var clients []*randomClient
	add := func(c *randomClient) *randomClient { clients = append(clients, c); return c }
	cookie, csrf := f.session(t, "trader@kazgrain.kz")
	grainSession := add(&randomClient{name: "grain trader session", org: f.orgs[attacker].ID, hdr: []string{"Cookie", cookie, "X-CSRF-Token", csrf}})
	grainToken := add(&randomClient{name: "grain trader token", org: f.orgs[attacker].ID, tok: w.trader})
	szd := add(&randomClient{name: "shenzhen trader", org: f.orgs[victimOrg].ID, tok: w.victim})
	sib := add(&randomClient{name: "siberian admin+trader", org: f.orgs["Siberian Energy Trading"].ID,
		tok: f.token(t, "Siberian Energy Trading", identity.OrgAdmin, identity.Trader)})
	traders := []*randomClient{grainSession, grainToken, szd, sib}
	w.issue(t, w.banks[0].tok, w.traderAcct, "KZT", "50000000.00") // enough for duties
	w.issue(t, w.banks[0].tok, w.victimAcc, "KZT", "50000000.00")
	addAcct(w.traderAcct, grainToken.org, "KZT")
	addAcct(w.traderCNY, grainToken.org, "CNY")
	addAcct(w.victimAcc, szd.org, "KZT")
	for _, c := range []*randomClient{szd, sib} {
		for _, ccy := range []string{"KZT", "CNY"} {
			id := w.ownAccount(t, c.tok, ccy, "operating")
			w.issue(t, w.banks[0].tok, id, ccy, "200000.00")
			addAcct(id, c.org, ccy)
		}
	}
	var banks []*randomClient
	for _, b := range w.banks {
		c := add(&randomClient{name: b.name, org: f.orgs[b.name].ID, tok: b.tok, bank: b})
		banks = append(banks, c)
		for ccy, id := range b.acct {
			addAcct(id, c.org, ccy)
		}
	}
	deccan := add(&randomClient{name: "deccan (no participant)", org: f.orgs["Deccan Commerce Bank"].ID, tok: f.token(t, "Deccan Commerce Bank", identity.BankOperator)})
	centre := add(&randomClient{name: "centre", org: w.centreOrg, tok: w.centre})
	officer := add(&randomClient{name: "customs officer", org: f.orgs[apiCustomsPO].ID, tok: f.token(t, apiCustomsPO, identity.CustomsOfficer)})
	admin := add(&randomClient{name: "platform admin", org: f.orgs[townAdmin].ID, tok: w.admin})
	for _, code := range []string{ledger.CentreClearing, ledger.CentreFX} {
		for _, ccy := range []string{"KZT", "CNY"} {
			addAcct(uuid.NewSHA1(attackSystemNS, []byte(w.centreOrg+"/"+ccy+"/"+code)).String(), w.centreOrg, ccy)
		}
	}
	if rev, err := f.db.SystemAccount(ctx, f.orgs[apiCustomsPO].ID, "KZT", "customs_revenue"); err == nil {
		addAcct(rev.ID.String(), rev.OrgID, "KZT")
	}

	statuses := map[int]int{}
	ok := map[string]int{}
	call := func(c *randomClient, method, path string, body any) response {
		t.Helper()
		r := f.call(t, method, path, c.tok, body, c.hdr...)
		statuses[r.status]++
		if r.status >= 500 {
			t.Errorf("%s %s %s: %d %s", c.name, method, path, r.status, r.body)
		}
		return r
	}
	pick := func(cs []*randomClient) *randomClient { return cs[rng.Intn(len(cs))] }
	amount := func() string {
		switch rng.Intn(12) {
		case 0:
			return "92233720368547758.07"
		case 1:
			return []string{"0.001", "-5.00", "0", "1e6", "abc"}[rng.Intn(5)]
		case 2:
			return fmt.Sprintf("%d.%02d", rng.Intn(5_000_000), rng.Intn(100))
		default:
			return fmt.Sprintf("%d.%02d", rng.Intn(3000), 1+rng.Intn(99))
		}
	}
	ownedBy := func(org string) []string {
		var out []string
		for _, a := range accounts {
			if owner[a] == org {
				out = append(out, a)
			}
		}
		return out
	}
	anyAccount := func(c *randomClient) string {
		own := ownedBy(c.org)
		switch {
		case len(own) > 0 && rng.Intn(10) < 7:
			return own[rng.Intn(len(own))]
		case rng.Intn(10) == 0:
			return uuid.NewString()
		default:
			return accounts[rng.Intn(len(accounts))]
		}
	}
	transferBody := func(c *randomClient) (map[string]any, bool) {
		from, to := anyAccount(c), accounts[rng.Intn(len(accounts))]
		ccy := ccyOf[from]
		if ccy == "" || rng.Intn(15) == 0 {
			ccy = []string{"KZT", "CNY", "INR"}[rng.Intn(3)]
		}
		tr := map[string]any{"id": v7(), "debit_account_id": from, "credit_account_id": to, "amount": amount(), "currency": ccy}
		switch rng.Intn(6) {
		case 0:
			tr["pending"] = true
			tr["timeout_seconds"] = []int{0, 1, 2, 3600, ledger.MaxForeignPendingTimeout + 1}[rng.Intn(5)]
		case 1:
			// Occupy an id the platform derives (a cycle's or an expiry's).
			tr["id"] = []uuid.UUID{uuid.NewSHA1(attackCycleNS, []byte(fmt.Sprintf("cycle-%d-p%d-KZT", f.lastCycle(t)+1, 1+rng.Intn(3)))),
				uuid.NewSHA1(uuid.MustParse(v7()), []byte("expire"))}[rng.Intn(2)].String()
		}
		return tr, owner[from] == c.org
	}

	queuedSinceCycle := 0
	var cycleAnswers []int
	for step := 0; step < steps; step++ {
		switch op := rng.Intn(100); {
		case op < 40: // ledger transfers, in small batches
			c := pick(clients)
			n := 1 + rng.Intn(4)
			var batch []map[string]any
			var own []bool
			for i := 0; i < n; i++ {
				tr, mine := transferBody(c)
				if i < n-1 && rng.Intn(4) == 0 {
					tr["linked"] = true
				}
				batch = append(batch, tr)
				own = append(own, mine)
			}
			r := call(c, "POST", "/api/v1/ledger/transfers", map[string]any{"transfers": batch})
			if r.status != 200 {
				continue
			}
			for i, x := range r.json(t)["results"].([]any) {
				res := x.(map[string]any)["result"].(string)
				if res == "ok" || res == "exists" {
					ok["transfer"]++
					if !own[i] {
						t.Errorf("%s moved money out of an account it does not own: %v", c.name, batch[i])
					}
					if batch[i]["pending"] == true {
						c.pending = append(c.pending, batch[i]["id"].(string))
					}
				}
			}
		case op < 48: // post or void a reservation, its own or another's
			c := pick(clients)
			owner := c
			if rng.Intn(3) == 0 {
				owner = pick(clients)
			}
			if len(owner.pending) == 0 {
				continue
			}
			pid := owner.pending[rng.Intn(len(owner.pending))]
			tr := map[string]any{"id": v7(), "pending_id": pid}
			if rng.Intn(2) == 0 {
				tr["post_pending"] = true
			} else {
				tr["void_pending"] = true
			}
			r := call(c, "POST", "/api/v1/ledger/transfers", map[string]any{"transfers": []any{tr}})
			if r.status == 200 {
				if res := results(t, r)[0]; res == "ok" {
					ok["resolve"]++
					if owner.org != c.org {
						t.Errorf("%s resolved a reservation of another organisation", c.name)
					}
				}
			}
		case op < 56: // FX: quotes and conversions, from own or foreign accounts
			c := pick(traders)
			q := call(c, "POST", "/api/v1/fx/quotes", map[string]any{"sell": "KZT", "buy": "CNY", "sell_amount": fmt.Sprintf("%d.00", 1+rng.Intn(20000))})
			if q.status != 201 {
				continue
			}
			var from, to string
			for _, a := range ownedBy(c.org) {
				if ccyOf[a] == "KZT" && from == "" {
					from = a
				}
				if ccyOf[a] == "CNY" && to == "" {
					to = a
				}
			}
			foreign := rng.Intn(4) == 0
			if foreign {
				from = w.victimAcc
				if c.org == szd.org {
					from = w.traderAcct
				}
			}
			r := call(c, "POST", "/api/v1/fx/conversions", map[string]any{"quote_id": q.json(t)["id"], "from_account_id": from, "to_account_id": to})
			if r.status == 200 || r.status == 201 {
				ok["conversion"]++
				if foreign {
					t.Errorf("%s converted from another organisation's account", c.name)
				}
			}
		case op < 60: // FX: hostile prices
			c := pick([]*randomClient{deccan, grainToken, banks[1]})
			bid := []string{"0.000001", "0.0151", "1000"}[rng.Intn(3)]
			r := call(c, "POST", "/api/v1/fx/rates", map[string]any{"pair": "KZT/CNY", "bid": bid, "ask": "0.0152"})
			if r.status == 201 && bid != "0.0151" {
				t.Errorf("%s published KZT/CNY bid %s", c.name, bid)
			}
		case op < 78: // settlement instructions, valid and hostile
			c := pick(append(banks, deccan, grainToken))
			var payee string
			switch rng.Intn(8) {
			case 0:
				payee = "NOBKKZKA"
			case 1:
				if c.bank != nil {
					payee = c.bank.bic
				}
			}
			if payee == "" {
				payee = pick(banks).bank.bic
			}
			ccy := []string{"KZT", "CNY"}[rng.Intn(2)]
			amt := fmt.Sprintf("%d.%02d", 1+rng.Intn(60000), rng.Intn(100))
			extra := []any{}
			if rng.Intn(5) == 0 {
				extra = append(extra, "payee_currency", map[string]string{"KZT": "CNY", "CNY": "KZT"}[ccy])
			}
			r := call(c, "POST", "/api/v1/settlement/instructions", map[string]any{"instructions": []any{submitOne(e2eID("R-"), payee, amt, ccy, extra...)}})
			if r.status == 200 && results(t, r)[0] == "ok" {
				ok["instruction"]++
				queuedSinceCycle++
				if c.bank == nil || payee == c.bank.bic && len(extra) == 0 {
					t.Errorf("%s queued %s to %s", c.name, amt, payee)
				}
			}
		case op < 84: // cycles: the centre's, and everyone else's attempts
			c := pick([]*randomClient{centre, centre, admin, banks[0], grainToken, officer})
			r := call(c, "POST", "/api/v1/settlement/cycles", nil)
			if c != centre && c != admin && r.status != 403 {
				t.Errorf("%s ran a cycle: %d", c.name, r.status)
			}
			if r.status == 201 {
				ok["cycle"]++
				queuedSinceCycle = 0
			}
			if c == centre || c == admin {
				cycleAnswers = append(cycleAnswers, r.status)
			}
		case op < 90: // customs: declare and pay, from own, foreign or empty accounts
			c := pick([]*randomClient{grainToken, szd})
			d := call(c, "POST", apiDecls+"?submit=true", map[string]any{"functional_reference_id": e2eID("RND-"),
				"procedure": "import", "exporter": apiSteelImport("", "")["exporter"], "importer": map[string]any{"name": "Random Importer", "country_code": "KZ"},
				"trade_terms_condition_code": "FCA", "transport": apiSteelImport("", "")["transport"], "goods_items": apiSteelImport("", "")["goods_items"],
				"documents": []any{apiInlineDoc("commercial_invoice")}})
			if d.status != 201 || d.json(t)["status"] != "assessed" {
				continue
			}
			from := ownedBy(c.org)[0]
			foreign := rng.Intn(3) == 0
			if foreign {
				from = pick(banks).bank.acct["KZT"]
			}
			r := call(c, "POST", apiDecls+"/"+d.json(t)["id"].(string)+"/pay", map[string]any{"from_account_id": from})
			if r.status == 200 {
				ok["duties"]++
				if foreign {
					t.Errorf("%s paid duties from a bank's account", c.name)
				}
			}
		default: // identity: tokens create no users, roles flow downward
			c := pick([]*randomClient{grainToken, sib, banks[0], admin})
			body := fmt.Sprintf(`{"email":%q,"name":"R","password":"0123456789ab","roles":["platform_admin"]}`, uniqueEmail("rnd", "example.kz"))
			if r := call(c, "POST", "/api/v1/orgs/"+c.org+"/users", body); r.status < 400 {
				t.Errorf("%s created a platform_admin user by token: %d", c.name, r.status)
			}
		}
	}
	// A last, small payment that any participant can afford, so the last
	// cycle has something to settle whatever the random run queued (it may
	// all be short of funds).
	last := call(banks[0], "POST", "/api/v1/settlement/instructions", map[string]any{"instructions": []any{
		submitOne(e2eID("R-LAST-"), banks[1].bank.bic, "1.00", "KZT")}})
	if last.status != 200 || results(t, last)[0] != "ok" {
		t.Fatalf("the last small payment was refused: %d %s", last.status, last.body)
	}
	queuedSinceCycle++
	// A last cycle settles what is due.
	if queuedSinceCycle > 0 {
		r := f.call(t, "POST", "/api/v1/settlement/cycles", w.centre, nil)
		cycleAnswers = append(cycleAnswers, r.status)
		if r.status == 201 {
			ok["cycle"]++
		} else {
			// Why, for the record (seen once under the whole suite's
			// load, not again with its seed).
			q := f.call(t, "GET", "/api/v1/settlement/queue", w.centre, nil)
			t.Logf("the last cycle answered %d %s; the queue: %s", r.status, r.body, q.body)
		}
	}
	t.Logf("statuses %v; accepted %v", statuses, ok)
	for _, k := range []string{"transfer", "resolve", "conversion", "instruction", "cycle", "duties"} {
		if ok[k] == 0 {
			t.Errorf("no %s was accepted: the run tested only refusals", k)
		}
	}
	for _, s := range cycleAnswers {
		if s != 201 && s != 409 {
			t.Errorf("a cycle run by the centre answered %d", s)
		}
	}
	randomInvariants(t, f, w)
}

// randomInvariants checks the town after the run: the ledger verifies; no
// account but an issuer's has paid out (or reserved) more than it
// received; each issuer stays within its limit; per currency the money
// held equals what the issuers issued; cycles are numbered without gaps,
// each settled something, and nothing due is left queued.
func randomInvariants(t *testing.T, f *fixture, w *attackWorld) {
	ctx := context.Background()
	rep, err := f.db.Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Problems) > 0 {
		t.Errorf("ledger verify: %v", rep.Problems)
	}
	issued, held := map[string]int64{}, map[string]int64{}
	var after int64
	for {
		as, err := f.db.ListAccounts(ctx, "", after, 500)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range as {
			after = a.Row
			if a.Flags&ledger.Issuer != 0 {
				if out := a.DebitsPosted + a.DebitsPending - a.CreditsPosted; out > a.Limit {
					t.Errorf("issuer %s %s %s issued %d over its limit %d", a.OrgID, a.Currency, a.Code, out, a.Limit)
				}
				issued[a.Currency] += a.DebitsPosted - a.CreditsPosted
				continue
			}
			if a.DebitsPending+a.DebitsPosted > a.CreditsPosted {
				t.Errorf("account %s (%s %s %s) below zero: %+v", a.ID, a.OrgID, a.Currency, a.Code, a)
			}
			held[a.Currency] += a.CreditsPosted - a.DebitsPosted
		}
		if len(as) < 500 {
			break
		}
	}
	if len(held) < 2 || rep.Transfers == 0 {
		t.Fatalf("the invariants read nothing: %v, %d transfers", held, rep.Transfers)
	}
	for ccy := range held {
		if issued[ccy] != held[ccy] {
			t.Errorf("%s: issuers issued %d, accounts hold %d", ccy, issued[ccy], held[ccy])
		}
	}
	for ccy := range issued {
		if _, ok := held[ccy]; !ok && issued[ccy] != 0 {
			t.Errorf("%s: issued %d that nobody holds", ccy, issued[ccy])
		}
	}
	cycles, err := f.db.Cycles(ctx, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range cycles {
		if want := int64(len(cycles) - i); c.Number != want {
			t.Errorf("cycle numbers have a gap: %d at position %d", c.Number, i)
		}
		if c.Report.Settled == 0 {
			t.Errorf("cycle %d settled nothing", c.Number)
		}
	}
	// Every cycle that was due ran: whatever is still queued could not
	// settle (a shortfall), so another cycle finds nothing to do.
	if r := f.call(t, "POST", "/api/v1/settlement/cycles", w.centre, nil); r.status != 409 {
		t.Errorf("a cycle after the last one still settled something: %d %s", r.status, r.body)
	}
}
