package ledger

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/uuid"
)

func id(n int) ID {
	var u ID
	u[15] = byte(n)
	u[14] = byte(n >> 8)
	u[0] = 0x01
	return u
}

var t0 = time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)

func newBatch(accts ...*Account) *Batch {
	b := &Batch{Now: t0, Accounts: map[ID]*Account{}, Existing: map[ID]*Transfer{}, Pendings: map[ID]*PendingRecord{}}
	for i, a := range accts {
		a.Row = int64(i + 1)
		b.Accounts[a.ID] = a
	}
	return b
}

// acct opens a test account; flags 0 makes it a funding source, which
// only an issuer account may be.
func acct(n int, ccy string, flags AccountFlags) *Account {
	if flags == 0 {
		return &Account{ID: id(n), Currency: ccy, Kind: Liability, Flags: Issuer | System, Limit: Unlimited}
	}
	return &Account{ID: id(n), Currency: ccy, Kind: Liability, Flags: flags}
}

func codes(o *Outcome) []Code {
	out := make([]Code, len(o.Results))
	for i, r := range o.Results {
		out[i] = r.Code
	}
	return out
}

func wantCodes(t *testing.T, o *Outcome, want ...Code) {
	t.Helper()
	got := codes(o)
	if len(got) != len(want) {
		t.Fatalf("codes %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("codes %v, want %v", got, want)
		}
	}
}

func final(o *Outcome, b *Batch, n int) *Account {
	for _, a := range o.Accounts {
		if a.ID == id(n) {
			return a
		}
	}
	return b.Accounts[id(n)]
}

func TestSimpleTransfersAndHistory(t *testing.T) {
	b := newBatch(acct(1, "KZT", 0), acct(2, "KZT", 0))
	b.LastSeq, b.LastTimestamp = 41, t0.Add(time.Hour) // the clock went back: timestamps still rise
	o := Apply(b, []Transfer{
		{ID: id(100), DebitAccount: id(1), CreditAccount: id(2), Amount: 500, Currency: "KZT"},
		{ID: id(101), DebitAccount: id(2), CreditAccount: id(1), Amount: 200},
	})
	wantCodes(t, o, OK, OK)
	a1, a2 := final(o, b, 1), final(o, b, 2)
	if a1.DebitsPosted != 500 || a1.CreditsPosted != 200 || a2.CreditsPosted != 500 || a2.DebitsPosted != 200 {
		t.Fatalf("balances %+v %+v", a1, a2)
	}
	t1, t2 := o.Created[0], o.Created[1]
	if t1.Seq != 42 || t2.Seq != 43 || o.LastSeq != 43 {
		t.Fatalf("seqs %d %d", t1.Seq, t2.Seq)
	}
	if !t1.Timestamp.After(b.LastTimestamp) || !t2.Timestamp.After(t1.Timestamp) {
		t.Fatalf("timestamps %v %v after %v", t1.Timestamp, t2.Timestamp, b.LastTimestamp)
	}
	if t2.DebitPrev != 42 || t2.CreditPrev != 42 || a1.LastSeq != 43 {
		t.Fatalf("history chain: %+v, last %d", t2, a1.LastSeq)
	}
	if t2.CreditBalanceAfter != 200-500 || t2.DebitBalanceAfter != 500-200 {
		t.Fatalf("running balance of account 1 after t2: %+v", t2)
	}
	if b.Accounts[id(1)].DebitsPosted != 0 {
		t.Fatal("Apply changed its input")
	}
}

func TestBalanceLimits(t *testing.T) {
	b := newBatch(acct(1, "KZT", DebitsMustNotExceedCredits), acct(2, "KZT", 0), acct(3, "KZT", CreditsMustNotExceedDebits))
	b.Accounts[id(1)].CreditsPosted = 1000
	o := Apply(b, []Transfer{
		{ID: id(10), DebitAccount: id(1), CreditAccount: id(2), Amount: 600},
		{ID: id(11), DebitAccount: id(1), CreditAccount: id(2), Amount: 401}, // would leave -1
		{ID: id(12), DebitAccount: id(1), CreditAccount: id(2), Amount: 400, Flags: Pending},
		{ID: id(13), DebitAccount: id(1), CreditAccount: id(2), Amount: 1}, // pending holds the rest
		{ID: id(14), DebitAccount: id(2), CreditAccount: id(3), Amount: 1},
	})
	wantCodes(t, o, OK, ExceedsCredits, OK, ExceedsCredits, ExceedsDebits)
}

func TestLinkedChainsAllOrNothing(t *testing.T) {
	b := newBatch(acct(1, "KZT", DebitsMustNotExceedCredits), acct(2, "KZT", 0), acct(3, "CNY", 0))
	b.Accounts[id(1)].CreditsPosted = 100
	o := Apply(b, []Transfer{
		{ID: id(10), DebitAccount: id(1), CreditAccount: id(2), Amount: 60, Flags: Linked},
		{ID: id(11), DebitAccount: id(1), CreditAccount: id(2), Amount: 60}, // breaks the limit: chain fails
		{ID: id(12), DebitAccount: id(1), CreditAccount: id(2), Amount: 70, Flags: Linked},
		{ID: id(13), DebitAccount: id(2), CreditAccount: id(1), Amount: 5}, // chain succeeds
		{ID: id(14), DebitAccount: id(2), CreditAccount: id(3), Amount: 1, Flags: Linked},
		{ID: id(15), DebitAccount: id(2), CreditAccount: id(1), Amount: 1},
		{ID: id(16), DebitAccount: id(2), CreditAccount: id(1), Amount: 1, Flags: Linked}, // open at the end
	})
	wantCodes(t, o, LinkedEventFailed, ExceedsCredits, OK, OK, CurrencyMismatch, LinkedEventFailed, LinkedEventChainOpen)
	a1 := final(o, b, 1)
	if a1.DebitsPosted != 70 || a1.CreditsPosted != 105 {
		t.Fatalf("account 1 %+v", a1)
	}
	if len(o.Created) != 2 || o.Created[0].ID != id(12) || o.Created[0].Seq != 1 || o.Created[1].Seq != 2 {
		t.Fatalf("created %+v", o.Created)
	}
}

func TestIdempotency(t *testing.T) {
	b := newBatch(acct(1, "KZT", 0), acct(2, "KZT", 0))
	stored := &Transfer{ID: id(10), DebitAccount: id(1), CreditAccount: id(2), Amount: 5, Currency: "KZT", Reference: "inv-1", Seq: 7}
	b.Existing[id(10)] = stored
	o := Apply(b, []Transfer{
		{ID: id(10), DebitAccount: id(1), CreditAccount: id(2), Amount: 5, Currency: "KZT", Reference: "inv-1"},
		{ID: id(10), DebitAccount: id(1), CreditAccount: id(2), Amount: 6, Currency: "KZT", Reference: "inv-1"},
		{ID: id(10), DebitAccount: id(2), CreditAccount: id(1), Amount: 5, Currency: "KZT", Reference: "inv-1"},
		{ID: id(11), DebitAccount: id(1), CreditAccount: id(2), Amount: 9},
		{ID: id(11), DebitAccount: id(1), CreditAccount: id(2), Amount: 9},
		{ID: id(11), DebitAccount: id(1), CreditAccount: id(2), Amount: 9, Reference: "x"},
		{ID: Zero, DebitAccount: id(1), CreditAccount: id(2), Amount: 9},
	})
	wantCodes(t, o, Exists, ExistsWithDifferentAmount, ExistsWithDifferentDebitAccount, OK, Exists, ExistsWithDifferentReference, IDMustNotBeZero)
	if o.Results[0].Transfer != stored || len(o.Created) != 1 {
		t.Fatalf("exists must return the original and create nothing: %+v", o.Created)
	}
	if final(o, b, 1).DebitsPosted != 9 {
		t.Fatal("a repeated transfer moved money twice")
	}
}

func TestTwoPhase(t *testing.T) {
	b := newBatch(acct(1, "KZT", DebitsMustNotExceedCredits), acct(2, "KZT", 0))
	b.Accounts[id(1)].CreditsPosted = 1000
	o := Apply(b, []Transfer{
		{ID: id(10), DebitAccount: id(1), CreditAccount: id(2), Amount: 700, Flags: Pending, Timeout: 60},
		{ID: id(11), PendingID: id(10), Amount: 800, Flags: PostPending},
		{ID: id(12), PendingID: id(10), Amount: 300, Flags: PostPending}, // partial: the other 400 return
		{ID: id(13), PendingID: id(10), Flags: VoidPending},
		{ID: id(14), PendingID: id(99), Flags: PostPending},
		{ID: id(15), DebitAccount: id(1), CreditAccount: id(2), Amount: 5, Flags: Pending | PostPending},
		{ID: id(16), DebitAccount: id(1), CreditAccount: id(2), Amount: 5, Timeout: 3},
		{ID: id(17), DebitAccount: id(1), CreditAccount: id(2), Amount: 5, PendingID: id(10), Flags: VoidPending, Timeout: 0},
	})
	wantCodes(t, o, OK, ExceedsPendingTransferAmount, OK, PendingTransferAlreadyPosted, PendingTransferNotFound,
		FlagsAreMutuallyExclusive, TimeoutReservedForPending, PendingTransferAlreadyPosted)
	a1, a2 := final(o, b, 1), final(o, b, 2)
	if a1.DebitsPending != 0 || a1.DebitsPosted != 300 || a2.CreditsPending != 0 || a2.CreditsPosted != 300 {
		t.Fatalf("after partial post: %+v %+v", a1, a2)
	}
	if len(o.NewPendings) != 1 || o.NewPendings[0].State != PendingPosted || !o.NewPendings[0].ExpiresAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("pending record %+v", o.NewPendings)
	}
	// A stored pending transfer past its timeout can no longer be posted;
	// only the system's expiry may release it.
	b2 := newBatch(acct(1, "KZT", 0), acct(2, "KZT", 0))
	b2.Accounts[id(1)].DebitsPending, b2.Accounts[id(2)].CreditsPending = 50, 50
	pt := Transfer{ID: id(20), DebitAccount: id(1), CreditAccount: id(2), Amount: 50, Currency: "KZT", Flags: Pending, Timeout: 10}
	b2.Pendings[id(20)] = &PendingRecord{Transfer: pt, State: PendingOpen, ExpiresAt: t0}
	o = Apply(b2, []Transfer{{ID: id(21), PendingID: id(20), Flags: PostPending}, {ID: id(22), PendingID: id(20), Flags: VoidPending | Expired}})
	wantCodes(t, o, PendingTransferExpired, ExpiredFlagReserved)
	b2.System = true
	o = Apply(b2, []Transfer{{ID: id(22), PendingID: id(20), Flags: VoidPending | Expired}})
	wantCodes(t, o, OK)
	if a := final(o, b2, 1); a.DebitsPending != 0 || a.DebitsPosted != 0 || o.Resolved[0].State != PendingExpired {
		t.Fatalf("expiry: %+v %+v", a, o.Resolved)
	}
}

func TestRejections(t *testing.T) {
	b := newBatch(acct(1, "KZT", 0), acct(2, "KZT", 0), acct(3, "CNY", 0))
	b.Accounts[id(2)].Closed = true
	b.Accounts[id(1)].DebitsPosted = math.MaxInt64 - 5
	o := Apply(b, []Transfer{
		{ID: id(10), DebitAccount: id(1), CreditAccount: id(9), Amount: 1},
		{ID: id(11), DebitAccount: id(9), CreditAccount: id(1), Amount: 1},
		{ID: id(12), DebitAccount: id(1), CreditAccount: id(2), Amount: 1},
		{ID: id(13), DebitAccount: id(1), CreditAccount: id(3), Amount: 1},
		{ID: id(14), DebitAccount: id(1), CreditAccount: id(1), Amount: 1},
		{ID: id(15), DebitAccount: id(1), CreditAccount: id(3), Amount: 0},
		{ID: id(16), DebitAccount: id(1), CreditAccount: id(3), Amount: -4},
		{ID: id(17), DebitAccount: id(3), CreditAccount: id(1), Amount: 1, Currency: "KZT"},
	})
	wantCodes(t, o, CreditAccountNotFound, DebitAccountNotFound, CreditAccountClosed, CurrencyMismatch,
		AccountsMustBeDifferent, AmountMustNotBeZero, AmountMustBePositive, CurrencyMismatch)
	b.Accounts[id(3)].Currency = "KZT"
	o = Apply(b, []Transfer{{ID: id(18), DebitAccount: id(1), CreditAccount: id(3), Amount: 6}, {ID: id(19), DebitAccount: id(1), CreditAccount: id(3), Amount: 5}})
	wantCodes(t, o, OverflowsDebits, OK)
	b.Authorise = func(_ int, dr, cr *Account) bool { return dr.ID != id(1) }
	o = Apply(b, []Transfer{{ID: id(20), DebitAccount: id(1), CreditAccount: id(3), Amount: 1}})
	wantCodes(t, o, DebitAccountNotFound)
}

// TestRandomBatchesKeepInvariants throws random batches (plain, pending,
// posts, voids, linked chains, repeats) at a small set of accounts and
// checks after each batch that debits equal credits, no limit is breached,
// and every refused transfer changed nothing.
func TestRandomBatchesKeepInvariants(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 8
	accts := map[ID]*Account{}
	for i := 1; i <= n; i++ {
		f := AccountFlags(0)
		if i%2 == 0 {
			f = DebitsMustNotExceedCredits
		}
		a := acct(i, "KZT", f)
		a.Row = int64(i)
		accts[a.ID] = a
	}
	accts[id(1)].CreditsPosted = 1_000_000 // an issuer: funds enter here
	accts[id(9)] = &Account{ID: id(9), Currency: "KZT", Kind: Asset, Row: 9, DebitsPosted: 1_000_000}
	existing := map[ID]*Transfer{}
	pendings := map[ID]*PendingRecord{}
	var seq int64
	var last time.Time
	var pendingIDs []ID
	for round := 0; round < 300; round++ {
		var reqs []Transfer
		for k := 0; k < 1+rng.IntN(40); k++ {
			tid := uuid.Must(uuid.NewV7())
			dr, cr := id(1+rng.IntN(n)), id(1+rng.IntN(n))
			r := Transfer{ID: tid, DebitAccount: dr, CreditAccount: cr, Amount: int64(rng.IntN(50000))}
			switch rng.IntN(10) {
			case 0:
				r.Flags = Pending
				r.Timeout = int64(rng.IntN(3))
			case 1:
				if len(pendingIDs) > 0 {
					r = Transfer{ID: tid, PendingID: pendingIDs[rng.IntN(len(pendingIDs))], Flags: PostPending, Amount: int64(rng.IntN(30000))}
				}
			case 2:
				if len(pendingIDs) > 0 {
					r = Transfer{ID: tid, PendingID: pendingIDs[rng.IntN(len(pendingIDs))], Flags: VoidPending}
				}
			case 3:
				if len(existing) > 0 {
					for _, e := range existing {
						r = *e
						break
					}
				}
			}
			if rng.IntN(4) == 0 {
				r.Flags |= Linked
			}
			reqs = append(reqs, r)
		}
		b := &Batch{Now: t0.Add(time.Duration(round) * time.Second), LastSeq: seq, LastTimestamp: last, Accounts: accts, Existing: existing, Pendings: pendings}
		o := Apply(b, reqs)
		for _, a := range o.Accounts {
			cp := *a
			accts[a.ID] = &cp
		}
		for _, c := range o.Created {
			existing[c.ID] = c
			if c.Seq != seq+1 || !c.Timestamp.After(last) {
				t.Fatalf("round %d: seq %d after %d, ts %v after %v", round, c.Seq, seq, c.Timestamp, last)
			}
			seq, last = c.Seq, c.Timestamp
		}
		for _, p := range o.NewPendings {
			cp := *p
			pendings[p.Transfer.ID] = &cp
			pendingIDs = append(pendingIDs, p.Transfer.ID)
		}
		for _, p := range o.Resolved {
			cp := *p
			pendings[p.Transfer.ID] = &cp
		}
		var dp, dpo, cp, cpo int64
		for _, a := range accts {
			dp += a.DebitsPending
			dpo += a.DebitsPosted
			cp += a.CreditsPending
			cpo += a.CreditsPosted
			if a.Flags&DebitsMustNotExceedCredits != 0 && a.DebitsPosted+a.DebitsPending > a.CreditsPosted {
				t.Fatalf("round %d: limit breached on %v: %+v", round, a.ID, a)
			}
			if a.DebitsPending < 0 || a.CreditsPending < 0 {
				t.Fatalf("round %d: negative pending %+v", round, a)
			}
		}
		if dp != cp || dpo != cpo {
			t.Fatalf("round %d: debits %d/%d != credits %d/%d", round, dp, dpo, cp, cpo)
		}
		var open int64
		for _, p := range pendings {
			if p.State == PendingOpen {
				open += p.Transfer.Amount
			}
		}
		if open != dp {
			t.Fatalf("round %d: open pendings %d, pending debits %d", round, open, dp)
		}
	}
}

// The trust model's rules in the pure core: whatever flags an account
// carries, only an issuer's debits may exceed its credits, and only up to
// its limit; a reservation credited to another org ends by itself; a debit
// account the submitter may not use answers like an unknown one.
func TestOnlyIssuersCreateMoney(t *testing.T) {
	for _, flags := range []AccountFlags{DebitsMustNotExceedCredits, CreditsMustNotExceedDebits, System, 1 << 9} {
		plain := &Account{ID: id(1), OrgID: "trader", Currency: "KZT", Kind: Asset, Flags: flags}
		b := newBatch(plain, acct(2, "KZT", DebitsMustNotExceedCredits))
		o := Apply(b, []Transfer{
			{ID: id(10), DebitAccount: id(1), CreditAccount: id(2), Amount: 1},
			{ID: id(11), DebitAccount: id(1), CreditAccount: id(2), Amount: 1, Flags: Pending, Timeout: 60},
		})
		wantCodes(t, o, ExceedsCredits, ExceedsCredits)
		if len(o.Created) != 0 || len(o.Accounts) != 0 {
			t.Fatalf("flags %b: something moved: %+v", flags, o.Accounts)
		}
	}
	bank := &Account{ID: id(1), OrgID: "bank", Currency: "KZT", Kind: Liability, Flags: Issuer | System, Limit: 1000}
	b := newBatch(bank, acct(2, "KZT", DebitsMustNotExceedCredits))
	o := Apply(b, []Transfer{
		{ID: id(10), DebitAccount: id(1), CreditAccount: id(2), Amount: 600},
		{ID: id(11), DebitAccount: id(1), CreditAccount: id(2), Amount: 300, Flags: Pending, Timeout: 60},
		{ID: id(12), DebitAccount: id(1), CreditAccount: id(2), Amount: 101},
		{ID: id(13), DebitAccount: id(1), CreditAccount: id(2), Amount: 100},
	})
	wantCodes(t, o, OK, OK, ExceedsLimit, OK)
	if a := final(o, b, 1); a.DebitsPosted+a.DebitsPending-a.CreditsPosted != 1000 {
		t.Fatalf("issued %d, want the whole limit 1000", a.DebitsPosted+a.DebitsPending-a.CreditsPosted)
	}
}

func TestForeignReservationsEnd(t *testing.T) {
	payer := &Account{ID: id(1), OrgID: "a", Currency: "KZT", Kind: Liability, Flags: DebitsMustNotExceedCredits, CreditsPosted: 1000}
	own := &Account{ID: id(2), OrgID: "a", Currency: "KZT", Kind: Liability, Flags: DebitsMustNotExceedCredits}
	foreign := &Account{ID: id(3), OrgID: "b", Currency: "KZT", Kind: Liability, Flags: DebitsMustNotExceedCredits}
	b := newBatch(payer, own, foreign)
	o := Apply(b, []Transfer{
		{ID: id(10), DebitAccount: id(1), CreditAccount: id(3), Amount: 10, Flags: Pending},
		{ID: id(11), DebitAccount: id(1), CreditAccount: id(3), Amount: 10, Flags: Pending, Timeout: MaxForeignPendingTimeout + 1},
		{ID: id(12), DebitAccount: id(1), CreditAccount: id(3), Amount: 10, Flags: Pending, Timeout: MaxForeignPendingTimeout},
		{ID: id(13), DebitAccount: id(1), CreditAccount: id(2), Amount: 10, Flags: Pending}, // own account: no limit
	})
	wantCodes(t, o, ForeignPendingNeedsTimeout, ForeignPendingNeedsTimeout, OK, OK)
	// The platform's own reservations (a guarantee, an escrow) set their
	// own timeouts.
	b = newBatch(payer, own, foreign)
	b.System = true
	wantCodes(t, Apply(b, []Transfer{{ID: id(10), DebitAccount: id(1), CreditAccount: id(3), Amount: 10, Flags: Pending}}), OK)
}

func TestUnauthorisedDebitLooksUnknown(t *testing.T) {
	b := newBatch(acct(1, "KZT", 0), acct(2, "KZT", DebitsMustNotExceedCredits))
	b.Authorise = func(int, *Account, *Account) bool { return false }
	wantCodes(t, Apply(b, []Transfer{
		{ID: id(10), DebitAccount: id(1), CreditAccount: id(2), Amount: 1},
		{ID: id(11), DebitAccount: id(77), CreditAccount: id(2), Amount: 1},
	}), DebitAccountNotFound, DebitAccountNotFound)
}

func TestScopedIDs(t *testing.T) {
	c := uuid.Must(uuid.NewV7())
	a, b := ScopedID("org-a", c), ScopedID("org-b", c)
	if a == b || a == c {
		t.Fatal("two orgs' ids collide")
	}
	if a != ScopedID("org-a", c) {
		t.Fatal("not deterministic: retries would not be idempotent")
	}
	if !IsClientScoped(a) || IsClientScoped(c) || IsClientScoped(uuid.NewSHA1(uuid.NameSpaceURL, []byte("x"))) {
		t.Fatal("client and platform ids are not told apart")
	}
	if string(a[:6]) != string(c[:6]) || a[6]&0x0f != c[6]&0x0f || a[7] != c[7] {
		t.Fatal("the UUIDv7 time prefix and sequence are lost: inserts would scatter")
	}
	// Ids a process makes in order stay in order once scoped.
	prev := ScopedID("org-a", uuid.Must(uuid.NewV7()))
	for i := 0; i < 1000; i++ {
		next := ScopedID("org-a", uuid.Must(uuid.NewV7()))
		if string(next[:8]) <= string(prev[:8]) {
			t.Fatalf("scoped ids out of order at %d", i)
		}
		prev = next
	}
	if ScopedID("org-a", a).Version() != 8 || a.Variant() != uuid.RFC4122 {
		t.Fatal("not an RFC 9562 version-8 UUID")
	}
}

// TestCycleBooksOnlyInSystemBatches: the centre's clearing, FX and
// rounding accounts move only in system batches (the cycles). Its own
// operators' transfer of the largest amount from clearing to FX once left
// both at the counters' limit, and every later cycle failed on them.
func TestCycleBooksOnlyInSystemBatches(t *testing.T) {
	for _, code := range []string{CentreClearing, CentreFX, CentreRounding} {
		book := acct(1, "CNY", 0)
		book.Code, book.OrgID = code, "centre"
		funding := acct(2, "CNY", 0)
		funding.Code, funding.OrgID = CentreFunding, "centre"
		own := acct(3, "CNY", DebitsMustNotExceedCredits)
		own.OrgID = "centre"
		b := newBatch(book, funding, own)
		b.Authorise = func(int, *Account, *Account) bool { return true } // the centre's operator owns all three
		o := Apply(b, []Transfer{
			{ID: id(10), DebitAccount: book.ID, CreditAccount: own.ID, Amount: math.MaxInt64},
			{ID: id(11), DebitAccount: funding.ID, CreditAccount: book.ID, Amount: 1},
			{ID: id(12), DebitAccount: funding.ID, CreditAccount: own.ID, Amount: 5},
		})
		wantCodes(t, o, NotAuthorised, NotAuthorised, OK)
		if book.DebitsPosted != 0 || book.CreditsPosted != 0 {
			t.Fatalf("%s moved: %+v", code, *book)
		}
		sys := newBatch(book, funding, own)
		sys.System = true
		wantCodes(t, Apply(sys, []Transfer{{ID: id(20), DebitAccount: book.ID, CreditAccount: own.ID, Amount: 7}}), OK)
	}
}
