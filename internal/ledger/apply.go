package ledger

import (
	"time"
)

// MaxBatch is the most transfers one batch may hold.
const MaxBatch = 8000

// MaxForeignPendingTimeout is the longest a client's pending transfer
// credited to another organisation's account may stay open (30 days).
const MaxForeignPendingTimeout = 30 * 24 * 3600

// Batch is the state a batch of transfers reads: everything Apply needs,
// loaded by the storage engine inside the transaction that will write the
// outcome. Apply never does I/O.
type Batch struct {
	Now           time.Time
	LastSeq       int64     // highest sequence number stored so far
	LastTimestamp time.Time // timestamp of that transfer

	Accounts map[ID]*Account       // every account the batch names; absent = not found
	Existing map[ID]*Transfer      // stored transfers whose ids the batch uses
	Pendings map[ID]*PendingRecord // stored pending transfers the batch posts or voids

	// System batches may set the Expired flag (the expiry sweeper).
	System bool
	// Authorise, when set, decides whether the submitter of transfer i may
	// move money out of debit (for posts and voids: the pending transfer's
	// debit account). Batches merge requests of several callers, hence i.
	Authorise func(i int, debit, credit *Account) bool
}

// Outcome is what a batch changes.
type Outcome struct {
	Results []Result
	// Created are the new transfers in sequence order, with Seq, Timestamp
	// and history fields set.
	Created []*Transfer
	// Accounts are the new states of every account whose balances changed.
	Accounts []*Account
	// NewPendings are pending transfers created by the batch; Resolved are
	// stored or new pending transfers whose state changed.
	NewPendings   []*PendingRecord
	Resolved      []*PendingRecord
	LastSeq       int64
	LastTimestamp time.Time
}

// applier carries one batch's working state: account copies, in-batch
// transfers and pendings, and the undo log of the open linked chain.
type applier struct {
	b         *Batch
	index     int             // of the transfer being applied
	accounts  map[ID]*Account // working copies, created on first touch
	changed   []*Account
	inChanged map[ID]struct{}
	created   map[ID]*Transfer // transfers created so far in this batch
	order     []*Transfer
	pendings  map[ID]*PendingRecord // working copies of touched pendings
	newPend   []*PendingRecord
	resolved  map[ID]*PendingRecord

	// undo log of the open chain
	chainStart   int
	chainAcct    map[ID]Account
	chainPend    map[ID]PendingRecord
	chainNewPend int
}

// Apply evaluates reqs in order against the batch state.
func Apply(b *Batch, reqs []Transfer) *Outcome {
	a := &applier{b: b, accounts: make(map[ID]*Account, len(b.Accounts)), created: make(map[ID]*Transfer, len(reqs)),
		inChanged: make(map[ID]struct{}, 2*len(reqs)), pendings: map[ID]*PendingRecord{}, resolved: map[ID]*PendingRecord{}, chainAcct: map[ID]Account{}, chainPend: map[ID]PendingRecord{}}
	out := &Outcome{Results: make([]Result, len(reqs))}
	for i := 0; i < len(reqs); {
		// A chain runs from i to the first transfer without Linked; a lone
		// transfer is a chain of one.
		j := i
		for j < len(reqs)-1 && reqs[j].Flags&Linked != 0 {
			j++
		}
		open := reqs[j].Flags&Linked != 0
		a.beginChain()
		failed := -1
		for k := i; k <= j; k++ {
			a.index = k
			code, tr := a.one(&reqs[k])
			out.Results[k] = Result{Index: k, Code: code, Transfer: tr}
			if !code.Created() {
				failed = k
				break
			}
		}
		if failed >= 0 || open {
			a.rollbackChain()
			for k := i; k <= j; k++ {
				switch {
				case k == failed:
				case open && k == j:
					out.Results[k] = Result{Index: k, Code: LinkedEventChainOpen}
				default:
					out.Results[k] = Result{Index: k, Code: LinkedEventFailed}
				}
			}
		}
		i = j + 1
	}
	// Sequence numbers, timestamps and history pointers are assigned only to
	// what survived, in batch order, so that they have no gaps.
	// Timestamps are unique and strictly increasing with the sequence, so
	// "as of T" questions can binary-search the sequence.
	seq, ts := b.LastSeq, b.LastTimestamp
	base := b.Now.UTC().Truncate(time.Microsecond)
	if !base.After(b.LastTimestamp) {
		base = b.LastTimestamp.Add(time.Microsecond)
	}
	for k, t := range a.order {
		seq++
		ts = base.Add(time.Duration(k) * time.Microsecond)
		t.Seq, t.Timestamp = seq, ts
		dr, cr := a.accounts[t.DebitAccount], a.accounts[t.CreditAccount]
		t.DebitAccountRow, t.CreditAccountRow = dr.Row, cr.Row
		t.DebitPrev, dr.LastSeq = dr.LastSeq, seq
		t.CreditPrev, cr.LastSeq = cr.LastSeq, seq
	}
	for _, p := range a.newPend {
		p.Transfer = *a.created[p.Transfer.ID] // now with its sequence number
	}
	out.Created = a.order
	out.Accounts = a.changed
	out.NewPendings = a.newPend
	for _, p := range a.resolved {
		out.Resolved = append(out.Resolved, p)
	}
	out.LastSeq, out.LastTimestamp = seq, ts
	if len(a.order) == 0 {
		out.LastTimestamp = b.LastTimestamp
	}
	return out
}

func (a *applier) beginChain() {
	a.chainStart = len(a.order)
	clear(a.chainAcct)
	clear(a.chainPend)
	a.chainNewPend = len(a.newPend)
}

func (a *applier) rollbackChain() {
	for id, saved := range a.chainAcct {
		*a.accounts[id] = saved
	}
	for id, saved := range a.chainPend {
		p := a.pendings[id]
		*p = saved
		if p.State == PendingOpen {
			delete(a.resolved, id)
		}
	}
	for _, t := range a.order[a.chainStart:] {
		delete(a.created, t.ID)
	}
	for _, p := range a.newPend[a.chainNewPend:] {
		delete(a.pendings, p.Transfer.ID)
	}
	a.order = a.order[:a.chainStart]
	a.newPend = a.newPend[:a.chainNewPend]
}

// account returns the working copy of id, saving its state for the chain's
// undo log on first touch.
func (a *applier) account(id ID) *Account {
	if acc, ok := a.accounts[id]; ok {
		return acc
	}
	src, ok := a.b.Accounts[id]
	if !ok {
		return nil
	}
	cp := *src
	a.accounts[id] = &cp
	return &cp
}

func (a *applier) touch(acc *Account) {
	if _, saved := a.chainAcct[acc.ID]; !saved {
		a.chainAcct[acc.ID] = *acc
	}
	if _, ok := a.inChanged[acc.ID]; !ok {
		a.inChanged[acc.ID] = struct{}{}
		a.changed = append(a.changed, acc)
	}
}

func (a *applier) pending(id ID) *PendingRecord {
	if p, ok := a.pendings[id]; ok {
		return p
	}
	src, ok := a.b.Pendings[id]
	if !ok {
		return nil
	}
	cp := *src
	a.pendings[id] = &cp
	return &cp
}

func (a *applier) one(req *Transfer) (Code, *Transfer) {
	if req.ID == Zero {
		return IDMustNotBeZero, nil
	}
	if prev, ok := a.created[req.ID]; ok {
		return compareExisting(req, prev)
	}
	if prev, ok := a.b.Existing[req.ID]; ok {
		return compareExisting(req, prev)
	}
	kind := req.Flags & (Pending | PostPending | VoidPending)
	if kind != 0 && kind&(kind-1) != 0 {
		return FlagsAreMutuallyExclusive, nil
	}
	if req.Flags&Expired != 0 && (!a.b.System || req.Flags&VoidPending == 0) {
		return ExpiredFlagReserved, nil
	}
	if req.Timeout != 0 && req.Flags&Pending == 0 {
		return TimeoutReservedForPending, nil
	}
	if req.Timeout < 0 {
		return TimeoutReservedForPending, nil
	}
	if kind == PostPending || kind == VoidPending {
		return a.resolve(req)
	}
	if req.PendingID != Zero {
		return PendingIDMustBeZero, nil
	}
	if req.Amount == 0 {
		return AmountMustNotBeZero, nil
	}
	if req.Amount < 0 {
		return AmountMustBePositive, nil
	}
	if req.DebitAccount == req.CreditAccount {
		return AccountsMustBeDifferent, nil
	}
	dr, cr := a.account(req.DebitAccount), a.account(req.CreditAccount)
	switch {
	case dr == nil:
		return DebitAccountNotFound, nil
	case cr == nil:
		return CreditAccountNotFound, nil
	case dr.Closed:
		return DebitAccountClosed, nil
	case cr.Closed:
		return CreditAccountClosed, nil
	case dr.Currency != cr.Currency || req.Currency != "" && req.Currency != dr.Currency:
		return CurrencyMismatch, nil
	case a.b.Authorise != nil && !a.b.Authorise(a.index, dr, cr):
		// A debit account the submitter may not use answers like an
		// unknown one, so account ids cannot be probed.
		return DebitAccountNotFound, nil
	case !a.b.System && (dr.cycleBook() || cr.cycleBook()):
		// Only the cycles move the centre's cycle books: a transfer of
		// its own operators that filled one to the brim (a debit of the
		// largest amount) made every later cycle overflow it, so nobody's
		// payments settled again.
		return NotAuthorised, nil
	case kind == Pending && !a.b.System && dr.OrgID != cr.OrgID && (req.Timeout == 0 || req.Timeout > MaxForeignPendingTimeout):
		// A reservation credited to another organisation's account must
		// end by itself, so nobody can hold someone else's account.
		return ForeignPendingNeedsTimeout, nil
	}
	amt := req.Amount
	drDebits, ok1 := add3(dr.DebitsPending, dr.DebitsPosted, amt)
	crCredits, ok2 := add3(cr.CreditsPending, cr.CreditsPosted, amt)
	switch {
	case !ok1:
		return OverflowsDebits, nil
	case !ok2:
		return OverflowsCredits, nil
	case dr.Flags&Issuer == 0 && drDebits > dr.CreditsPosted:
		// Not an issuer: only what was paid in can be paid out, whatever
		// the account's other flags say.
		return ExceedsCredits, nil
	case dr.Flags&Issuer != 0 && drDebits-dr.CreditsPosted > dr.Limit:
		return ExceedsLimit, nil
	case cr.Flags&CreditsMustNotExceedDebits != 0 && crCredits > cr.DebitsPosted:
		return ExceedsDebits, nil
	}
	a.touch(dr)
	a.touch(cr)
	t := &Transfer{ID: req.ID, DebitAccount: dr.ID, CreditAccount: cr.ID, Amount: amt, Currency: dr.Currency,
		Timeout: req.Timeout, Code: req.Code, Reference: req.Reference, Flags: req.Flags}
	if kind == Pending {
		dr.DebitsPending += amt
		cr.CreditsPending += amt
		p := &PendingRecord{Transfer: *t, State: PendingOpen}
		if req.Timeout > 0 {
			p.ExpiresAt = a.b.Now.UTC().Truncate(time.Microsecond).Add(time.Duration(req.Timeout) * time.Second)
		}
		a.pendings[t.ID] = p
		a.newPend = append(a.newPend, p)
	} else {
		dr.DebitsPosted += amt
		cr.CreditsPosted += amt
	}
	a.finish(t, dr, cr)
	return OK, t
}

// resolve posts or voids a pending transfer.
func (a *applier) resolve(req *Transfer) (Code, *Transfer) {
	if req.PendingID == Zero {
		return PendingIDRequired, nil
	}
	p := a.pending(req.PendingID)
	if p == nil {
		if _, ok := a.b.Existing[req.PendingID]; ok {
			return PendingTransferNotPending, nil
		}
		if t, ok := a.created[req.PendingID]; ok && t.Flags&Pending == 0 {
			return PendingTransferNotPending, nil
		}
		return PendingTransferNotFound, nil
	}
	pt := &p.Transfer
	switch p.State {
	case PendingPosted:
		return PendingTransferAlreadyPosted, nil
	case PendingVoided:
		return PendingTransferAlreadyVoided, nil
	case PendingExpired:
		return PendingTransferExpired, nil
	}
	if !p.ExpiresAt.IsZero() && !a.b.Now.Before(p.ExpiresAt) && req.Flags&Expired == 0 {
		return PendingTransferExpired, nil
	}
	if req.DebitAccount != Zero && req.DebitAccount != pt.DebitAccount || req.CreditAccount != Zero && req.CreditAccount != pt.CreditAccount {
		return PendingTransferHasDifferentAccount, nil
	}
	if req.Currency != "" && req.Currency != pt.Currency {
		return CurrencyMismatch, nil
	}
	amt := req.Amount
	if amt < 0 {
		return AmountMustBePositive, nil
	}
	if req.Flags&VoidPending != 0 {
		if amt != 0 && amt != pt.Amount {
			return ExceedsPendingTransferAmount, nil
		}
		amt = pt.Amount
	} else if amt == 0 {
		amt = pt.Amount
	} else if amt > pt.Amount {
		return ExceedsPendingTransferAmount, nil
	}
	dr, cr := a.account(pt.DebitAccount), a.account(pt.CreditAccount)
	if dr == nil || cr == nil {
		return PendingTransferNotFound, nil
	}
	if a.b.Authorise != nil && !a.b.System && !a.b.Authorise(a.index, dr, cr) {
		return NotAuthorised, nil
	}
	if _, saved := a.chainPend[p.Transfer.ID]; !saved {
		a.chainPend[p.Transfer.ID] = *p
	}
	a.touch(dr)
	a.touch(cr)
	// The whole reservation is released; a partial post releases the rest.
	dr.DebitsPending -= pt.Amount
	cr.CreditsPending -= pt.Amount
	switch {
	case req.Flags&Expired != 0:
		p.State = PendingExpired
	case req.Flags&VoidPending != 0:
		p.State = PendingVoided
	default:
		p.State = PendingPosted
		dr.DebitsPosted += amt
		cr.CreditsPosted += amt
	}
	a.resolved[p.Transfer.ID] = p
	t := &Transfer{ID: req.ID, DebitAccount: dr.ID, CreditAccount: cr.ID, Amount: amt, Currency: dr.Currency,
		PendingID: req.PendingID, Code: req.Code, Reference: req.Reference, Flags: req.Flags}
	a.finish(t, dr, cr)
	return OK, t
}

func (a *applier) finish(t *Transfer, dr, cr *Account) {
	t.DebitBalanceAfter = dr.CreditsPosted - dr.DebitsPosted
	t.CreditBalanceAfter = cr.CreditsPosted - cr.DebitsPosted
	a.created[t.ID] = t
	a.order = append(a.order, t)
}

func add3(a, b, c int64) (int64, bool) {
	s := a + b
	if (s > a) != (b > 0) {
		return 0, false
	}
	s2 := s + c
	if (s2 > s) != (c > 0) {
		return 0, false
	}
	return s2, true
}

// compareExisting answers a request whose id is taken: the original when
// the request is the same, else which field differs.
func compareExisting(req, prev *Transfer) (Code, *Transfer) {
	switch {
	case req.Flags&^Linked != prev.Flags&^Linked:
		return ExistsWithDifferentFlags, nil
	case req.PendingID != prev.PendingID:
		return ExistsWithDifferentPendingID, nil
	case req.DebitAccount != Zero && req.DebitAccount != prev.DebitAccount:
		return ExistsWithDifferentDebitAccount, nil
	case req.CreditAccount != Zero && req.CreditAccount != prev.CreditAccount:
		return ExistsWithDifferentCreditAccount, nil
	case req.Amount != prev.Amount && !(req.Amount == 0 && prev.Flags&(PostPending|VoidPending) != 0):
		return ExistsWithDifferentAmount, nil
	case req.Currency != "" && req.Currency != prev.Currency:
		return ExistsWithDifferentCurrency, nil
	case req.Timeout != prev.Timeout:
		return ExistsWithDifferentTimeout, nil
	case req.Code != prev.Code:
		return ExistsWithDifferentCode, nil
	case req.Reference != prev.Reference:
		return ExistsWithDifferentReference, nil
	}
	return Exists, prev
}
