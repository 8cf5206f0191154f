package settlement

import (
	"math"
	"testing"
	"time"

	"bricstown/internal/ledger"
	"bricstown/internal/money"

	"github.com/google/uuid"
)

// planBooks: banks 1..3 active (row 4 suspended) with KZT and CNY
// settlement accounts (and RUB, INR) of 1,000.00 each; bank 3 has no CNY
// account; the centre has accounts in KZT, CNY, USD and RUB but not INR;
// KZT/CNY has a rate, KZT/RUB one too precise for an int64 fraction,
// CNY/RUB none.
func planBooks(t *testing.T) Books {
	t.Helper()
	exp := func(c string) (int, bool) {
		switch c {
		case "KZT", "CNY", "USD", "RUB", "INR":
			return 2, true
		}
		return 0, false
	}
	b := Books{Accounts: map[int64]map[string]ledger.Account{}, Clearing: map[string]ledger.ID{}, FX: map[string]ledger.ID{}, Rounding: map[string]ledger.ID{},
		Exponent: exp, Cost: DefaultCostModel(), Today: time.Date(2026, 3, 16, 10, 0, 0, 0, time.UTC)}
	for row := int64(1); row <= 4; row++ {
		b.Participants = append(b.Participants, Participant{Row: row, OrgID: "org" + string(rune('0'+row)), BIC: "BANK" + string(rune('A'+row)) + "KZK",
			Active: row != 4, CreditLines: map[string]int64{"KZT": -5}}) // a negative line must not fail the cycle
		b.Accounts[row] = map[string]ledger.Account{}
		for _, c := range []string{"KZT", "CNY", "RUB", "INR"} {
			if row == 3 && c == "CNY" {
				continue
			}
			b.Accounts[row][c] = ledger.Account{ID: uuid.New(), Currency: c, Kind: ledger.Liability, CreditsPosted: 1000_00}
		}
	}
	b.Accounts[2]["KZT"] = ledger.Account{ID: uuid.New(), Currency: "KZT", Kind: ledger.Liability, DebitsPosted: 5} // overdrawn
	for _, c := range []string{"KZT", "CNY", "USD", "RUB"} {
		b.Clearing[c], b.FX[c], b.Rounding[c] = uuid.New(), uuid.New(), uuid.New()
	}
	b.Rate = func(x, y string) (money.Rate, bool) {
		s := map[string]string{"CNYKZT": "70", "KZTCNY": "0.0142857", "KZTUSD": "0.002", "USDKZT": "500", "CNYUSD": "0.14", "USDCNY": "7",
			"KZTRUB": "0.123456789012345678", "RUBKZT": "8.100000000000000001"}[x+y]
		if s == "" {
			return money.Rate{}, false
		}
		r, err := money.ParseRate(s)
		return r, err == nil
	}
	return b
}

// Every instruction netting would refuse, and every book a cycle could
// lack, excludes one instruction with its reason; the others settle.
func TestMakePlanExcludesInsteadOfFailing(t *testing.T) {
	b := planBooks(t)
	today := b.Today.UTC().Truncate(24 * time.Hour)
	seq := int64(0)
	in := func(payer, payee int64, amount int64, ccy, payeeCcy string) *Instruction {
		seq++
		return &Instruction{Seq: seq, EndToEndID: "E" + string(rune('A'+seq)), PayerRow: payer, PayeeRow: payee, Amount: amount, Currency: ccy,
			PayeeCurrency: payeeCcy, ValueDate: today}
	}
	var queue []*Instruction
	q := func(x *Instruction) *Instruction { queue = append(queue, x); return x }
	q(in(1, 2, 100_00, "KZT", "KZT")) // 1 settles
	q(in(2, 1, 10_00, "CNY", "KZT"))  // 2 settles (cross-currency)
	q(in(1, 2, 1_00, "KZT", "KZT")).Held = true
	q(in(1, 2, 1_00, "KZT", "KZT")).ValueDate = today.AddDate(0, 0, 1)
	q(in(1, 1, 5_00, "KZT", "KZT"))               // 5 self_payment
	q(in(1, 4, 5_00, "KZT", "KZT"))               // 6 participant_inactive
	q(in(1, 9, 5_00, "KZT", "KZT"))               // 7 participant_inactive (no participant at all)
	q(in(1, 3, 5_00, "KZT", "CNY"))               // 8 no_settlement_account
	q(in(1, 2, 5_00, "INR", "INR"))               // 9 no_centre_account
	q(in(1, 2, 5_00, "CNY", "RUB"))               // 10 no_rate (no price)
	q(in(1, 2, 5_00, "KZT", "RUB"))               // 11 no_rate (too precise)
	q(in(1, 2, 0, "KZT", "KZT"))                  // 12 invalid_amount
	q(in(3, 1, math.MaxInt64, "KZT", "KZT"))      // 13 amount_overflow alone
	q(in(2, 1, math.MaxInt64/3, "CNY", "KZT"))    // 14 amount_overflow: its credit does not fit
	q(in(3, 2, math.MaxInt64/10, "KZT", "KZT"))   // 15 amount_overflow: with 16, the currency's sum
	q(in(2, 3, math.MaxInt64/10-1, "KZT", "KZT")) // 16 fits once 15 is out (then deferred: unfunded)
	want := map[int64]string{3: ReasonHeld, 4: ReasonFutureValueDate, 5: ReasonSelfPayment, 6: ReasonParticipantInactive, 7: ReasonParticipantInactive,
		8: ReasonNoSettlementAccount, 9: ReasonNoCentreAccount, 10: ReasonNoRate, 11: ReasonNoRate, 12: ReasonInvalidAmount,
		13: ReasonAmountOverflow, 14: ReasonAmountOverflow, 15: ReasonAmountOverflow}
	plan, err := MakePlan(1, Queue{LastSeq: seq}, b, queue)
	if err != nil {
		t.Fatalf("one instruction failed the cycle: %v", err)
	}
	got := map[int64]string{}
	for _, c := range plan.Commit.Carried {
		if c.Reason == "payer_shortfall" || c.Reason == "cascade_shortfall" {
			if c.Seq != 16 {
				t.Errorf("instruction %d deferred (%s)", c.Seq, c.Reason)
			}
			continue // 16 is unfundable: deferred, the normal course
		}
		got[c.Seq] = c.Reason
	}
	for s, r := range want {
		if got[s] != r {
			t.Errorf("instruction %d: carried as %q, want %q", s, got[s], r)
		}
		delete(got, s)
	}
	if len(got) > 0 {
		t.Errorf("carried besides: %v", got)
	}
	rep := plan.Commit.Cycle.Report
	if rep.Settled != 2 || rep.Excluded != len(want)-1 || len(rep.Exclusions) != rep.Excluded {
		t.Fatalf("report: settled %d excluded %d exclusions %d deferred %d", rep.Settled, rep.Excluded, len(rep.Exclusions), rep.Deferred)
	}
	for _, x := range rep.Exclusions {
		if x.Payer == "" || x.EndToEndID == "" {
			t.Errorf("exclusion without its instruction: %+v", x)
		}
	}
}

// No active participant at all (every bank suspended) is a cycle that
// excludes everything, not an error.
func TestMakePlanWithNoActiveParticipant(t *testing.T) {
	b := planBooks(t)
	for i := range b.Participants {
		b.Participants[i].Active = false
	}
	plan, err := MakePlan(1, Queue{LastSeq: 1}, b, []*Instruction{{Seq: 1, PayerRow: 1, PayeeRow: 2, Amount: 1, Currency: "KZT", PayeeCurrency: "KZT",
		ValueDate: b.Today.Truncate(24 * time.Hour)}})
	if err != nil || plan.Commit.Cycle.Report.Settled != 0 || plan.Commit.Carried[0].Reason != ReasonParticipantInactive {
		t.Fatalf("%+v %v", plan, err)
	}
}

// A settlement account filled close to the ledger's largest amount (on
// either side) takes no part: its instructions wait as account_at_limit,
// and the cycle settles the others instead of failing on its transfer.
func TestMakePlanExcludesAccountsAtTheLimit(t *testing.T) {
	b := planBooks(t)
	today := b.Today.UTC().Truncate(24 * time.Hour)
	full := b.Accounts[1]["RUB"]
	full.CreditsPosted = math.MaxInt64 - 5 // funded with the largest amount there is
	b.Accounts[1]["RUB"] = full
	spent := b.Accounts[3]["RUB"]
	spent.CreditsPosted, spent.DebitsPosted = math.MaxInt64, math.MaxInt64-1_00 // 1.00 left, debits at the brim
	b.Accounts[3]["RUB"] = spent
	queue := []*Instruction{
		{Seq: 1, EndToEndID: "A", PayerRow: 2, PayeeRow: 1, Amount: 10_00, Currency: "RUB", PayeeCurrency: "RUB", ValueDate: today},
		{Seq: 2, EndToEndID: "B", PayerRow: 3, PayeeRow: 2, Amount: 50, Currency: "RUB", PayeeCurrency: "RUB", ValueDate: today},
		{Seq: 3, EndToEndID: "C", PayerRow: 1, PayeeRow: 3, Amount: 1_00, Currency: "KZT", PayeeCurrency: "KZT", ValueDate: today},
		{Seq: 4, EndToEndID: "D", PayerRow: 1, PayeeRow: 2, Amount: 20_00, Currency: "RUB", PayeeCurrency: "RUB", ValueDate: today},
	}
	plan, err := MakePlan(1, Queue{LastSeq: 4}, b, queue)
	if err != nil {
		t.Fatalf("an account at the limit failed the cycle: %v", err)
	}
	got := map[int64]string{}
	for _, c := range plan.Commit.Carried {
		got[c.Seq] = c.Reason
	}
	want := map[int64]string{1: ReasonAccountAtLimit, 2: ReasonAccountAtLimit, 4: ReasonAccountAtLimit}
	for s, r := range want {
		if got[s] != r {
			t.Errorf("instruction %d: carried as %q, want %q", s, got[s], r)
		}
	}
	if _, ok := got[3]; ok || plan.Commit.Cycle.Report.Settled != 1 {
		t.Fatalf("the ordinary payment did not settle: carried %v, report %+v", got, plan.Commit.Cycle.Report)
	}
	for _, tr := range plan.Commit.Transfers {
		if tr.DebitAccount == full.ID || tr.CreditAccount == full.ID || tr.DebitAccount == spent.ID || tr.CreditAccount == spent.ID {
			t.Fatalf("a transfer touches an account at the limit: %+v", tr)
		}
	}
}
