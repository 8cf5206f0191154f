package sqlstore

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/ledger"
	"bricstown/internal/problem"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// ledgerCache keeps the accounts this process has seen, valid while the
// head row's version is the one it was read at. Every ledger write bumps the
// version inside its transaction, so a write by anyone else (another
// process on the same database) empties the cache at the next batch.
type ledgerCache struct {
	mu       sync.Mutex // one ledger batch at a time in this process
	version  int64
	accounts map[ledger.ID]*ledger.Account
	writer   string // this process's row in ledger_flush
	async    int    // asynchronous commit: 0 not yet probed, 1 yes, -1 the engine refuses it
}

func (db *DB) lcache() *ledgerCache {
	db.ledgerOnce.Do(func() {
		db.ledger = &ledgerCache{version: -1, accounts: map[ledger.ID]*ledger.Account{}, writer: uuid.NewString()}
	})
	return db.ledger
}

type ledgerHead struct {
	version, lastSeq, lastTS, lastAccount int64
	maxID                                 []byte
}

// claimHead bumps the head's version first thing in every ledger write
// (see ledgerTx). The row lock it takes is the ledger's queue across
// processes: the next writer waits here, and under READ COMMITTED goes on
// reading everything its predecessor committed. A writer running at
// SERIALIZABLE (the settlement cycle) instead gets a serialization failure
// here, before it has read anything, and is retried.
func claimHead(ctx context.Context, tx *sql.Tx) (ledgerHead, error) {
	// RETURNING gives the columns of the row as updated, which under READ
	// COMMITTED is the newest committed version (re-read after the wait).
	var h ledgerHead
	err := tx.QueryRowContext(ctx, `UPDATE ledger_head SET version = version + 1 WHERE id = 1
		RETURNING version, last_seq, last_ts, last_account, max_transfer_id`).
		Scan(&h.version, &h.lastSeq, &h.lastTS, &h.lastAccount, &h.maxID)
	if err != nil {
		return h, fmt.Errorf("ledger head: %w", err)
	}
	return h, nil
}

func writeHead(ctx context.Context, tx *sql.Tx, h ledgerHead) error {
	_, err := tx.ExecContext(ctx, `UPDATE ledger_head SET version = $1, last_seq = $2, last_ts = $3, last_account = $4, max_transfer_id = $5 WHERE id = 1`,
		h.version, h.lastSeq, h.lastTS, h.lastAccount, h.maxID)
	return err
}

// idList passes a list of ids as one parameter: a JSON array of hex
// strings for SQLite (unpacked with json_each), a bytea[] for PostgreSQL.
func (db *DB) idList(ids [][]byte) (clause string, arg any) {
	if db.Engine == Postgres {
		return `= ANY($1)`, ids
	}
	var b strings.Builder
	b.Grow(len(ids) * 35)
	b.WriteByte('[')
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('"')
		b.WriteString(hex.EncodeToString(id))
		b.WriteByte('"')
	}
	b.WriteByte(']')
	return `IN (SELECT unhex(value) FROM json_each($1))`, b.String()
}

// textList is idList for text values, as parameter number n.
func (db *DB) textList(vals []string, n int) (clause string, arg any) {
	if db.Engine == Postgres {
		return fmt.Sprintf(`= ANY($%d)`, n), vals
	}
	b, _ := json.Marshal(vals)
	return fmt.Sprintf(`IN (SELECT value FROM json_each($%d))`, n), string(b)
}

const accountCols = `a.row_id, a.id, a.org_id, a.currency, a.kind, a.code, a.name, a.flags, a.closed, b.debits_pending, b.debits_posted,
	b.credits_pending, b.credits_posted, b.last_seq, a.created_at, a.debit_limit`

const accountFrom = ` FROM ledger_accounts a JOIN ledger_balances b ON b.row_id = a.row_id`

func scanAccount(sc interface{ Scan(...any) error }) (ledger.Account, error) {
	var a ledger.Account
	var id []byte
	var created int64
	var flags int64
	err := sc.Scan(&a.Row, &id, &a.OrgID, &a.Currency, &a.Kind, &a.Code, &a.Name, &flags, &a.Closed,
		&a.DebitsPending, &a.DebitsPosted, &a.CreditsPending, &a.CreditsPosted, &a.LastSeq, &created, &a.Limit)
	copy(a.ID[:], id)
	a.Flags = ledger.AccountFlags(flags)
	a.CreatedAt = fromMicros(created)
	return a, err
}

// CreateAccounts implements ledger.Store.
func (db *DB) CreateAccounts(ctx context.Context, accounts []ledger.Account, rec audit.Record) error {
	c := db.lcache()
	c.mu.Lock()
	defer c.mu.Unlock()
	err := db.ledgerTx(ctx, func(tx *sql.Tx, _ *sql.Conn) error {
		h, err := claimHead(ctx, tx)
		if err != nil {
			return err
		}
		for i := range accounts {
			a := &accounts[i]
			h.lastAccount++
			a.Row = h.lastAccount
			if _, err := tx.ExecContext(ctx, `INSERT INTO ledger_accounts (row_id, id, org_id, currency, kind, code, name, flags, closed, created_at, debit_limit)
				VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)`,
				a.Row, a.ID[:], a.OrgID, a.Currency, a.Kind, a.Code, a.Name, int64(a.Flags), a.Closed, micros(a.CreatedAt), a.Limit); err != nil {
				if IsUniqueViolation(err) {
					return problem.Wrap(problem.Conflict, err, "account %s exists", a.ID)
				}
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO ledger_balances (row_id, debits_pending, debits_posted, credits_pending, credits_posted, last_seq)
				VALUES ($1, 0, 0, 0, 0, 0)`, a.Row); err != nil {
				return err
			}
		}
		if err := writeHead(ctx, tx, h); err != nil {
			return err
		}
		return appendAudit(ctx, tx, time.Now(), rec)
	})
	c.version = -1 // re-read at the next batch
	return err
}

// GetAccount implements ledger.Store.
func (db *DB) GetAccount(ctx context.Context, id ledger.ID) (ledger.Account, error) {
	a, err := scanAccount(db.SQL.QueryRowContext(ctx, `SELECT `+accountCols+accountFrom+` WHERE a.id = $1`, id[:]))
	return a, notFound(err, "account")
}

// ListAccounts implements ledger.Store.
func (db *DB) ListAccounts(ctx context.Context, orgID string, afterRow int64, limit int) ([]ledger.Account, error) {
	rows, err := db.SQL.QueryContext(ctx, `SELECT `+accountCols+accountFrom+` WHERE ($1 = '' OR a.org_id = $1) AND a.row_id > $2 ORDER BY a.row_id LIMIT $3`, orgID, afterRow, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list accounts: %w", err)
	}
	return collect(rows, scanAccount)
}

// AccountByCode implements ledger.Store.
func (db *DB) AccountByCode(ctx context.Context, orgID, currency, code string) (ledger.Account, error) {
	a, err := scanAccount(db.SQL.QueryRowContext(ctx, `SELECT `+accountCols+accountFrom+
		` WHERE a.org_id = $1 AND a.currency = $2 AND a.code = $3 AND NOT a.closed ORDER BY a.row_id LIMIT 1`, orgID, currency, code))
	return a, notFound(err, "account")
}

// SystemAccount implements ledger.Store.
func (db *DB) SystemAccount(ctx context.Context, orgID, currency, code string) (ledger.Account, error) {
	a, err := scanAccount(db.SQL.QueryRowContext(ctx, `SELECT `+accountCols+accountFrom+
		` WHERE a.org_id = $1 AND a.currency = $2 AND a.code = $3 AND (a.flags & $4) <> 0 ORDER BY a.row_id LIMIT 1`, orgID, currency, code, int64(ledger.System)))
	return a, notFound(err, "account")
}

// IssuerAccounts implements ledger.Store.
func (db *DB) IssuerAccounts(ctx context.Context, orgID string) ([]ledger.Account, error) {
	rows, err := db.SQL.QueryContext(ctx, `SELECT `+accountCols+accountFrom+` WHERE ($1 = '' OR a.org_id = $1) AND (a.flags & $2) <> 0 ORDER BY a.org_id, a.currency, a.code`,
		orgID, int64(ledger.Issuer))
	if err != nil {
		return nil, fmt.Errorf("sqlstore: issuer accounts: %w", err)
	}
	return collect(rows, scanAccount)
}

// SetAccountLimit implements ledger.Store.
func (db *DB) SetAccountLimit(ctx context.Context, id ledger.ID, limit int64, rec audit.Record) error {
	return db.updateAccount(ctx, rec, problem.New(problem.NotFound, "no such issuer account"),
		`UPDATE ledger_accounts SET debit_limit = $1 WHERE id = $2 AND (flags & $3) <> 0`, limit, id[:], int64(ledger.Issuer))
}

// CloseAccount implements ledger.Store. A closed account keeps its history
// and balances; it only refuses new transfers.
func (db *DB) CloseAccount(ctx context.Context, id ledger.ID, rec audit.Record) error {
	return db.updateAccount(ctx, rec, problem.New(problem.Conflict, "account is closed already or does not exist"),
		`UPDATE ledger_accounts SET closed = $1 WHERE id = $2 AND NOT closed`, true, id[:])
}

// updateAccount changes one account's cold attributes. Like every ledger
// write it claims the head first, so other processes' account caches see
// the change at their next batch; an update of no row answers none.
func (db *DB) updateAccount(ctx context.Context, rec audit.Record, none error, query string, args ...any) error {
	c := db.lcache()
	c.mu.Lock()
	defer c.mu.Unlock()
	err := db.ledgerTx(ctx, func(tx *sql.Tx, _ *sql.Conn) error {
		h, err := claimHead(ctx, tx)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, query, args...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return none
		}
		if err := writeHead(ctx, tx, h); err != nil {
			return err
		}
		return appendAudit(ctx, tx, time.Now(), rec)
	})
	c.version = -1
	return err
}

// The transfer columns, read with the two accounts' ids joined in.
const transferSelect = `SELECT t.seq, t.id, d.id, c.id, t.debit_row, t.credit_row, t.amount, t.currency, t.pending_id, t.timeout, t.code, t.reference,
	t.flags, t.ts, t.debit_prev, t.credit_prev, t.dr_balance, t.cr_balance
	FROM ledger_transfers t JOIN ledger_accounts d ON d.row_id = t.debit_row JOIN ledger_accounts c ON c.row_id = t.credit_row`

func scanTransfer(sc interface{ Scan(...any) error }) (ledger.Transfer, error) {
	var t ledger.Transfer
	var id, dr, cr, pend []byte
	var flags, ts int64
	err := sc.Scan(&t.Seq, &id, &dr, &cr, &t.DebitAccountRow, &t.CreditAccountRow, &t.Amount, &t.Currency, &pend, &t.Timeout,
		&t.Code, &t.Reference, &flags, &ts, &t.DebitPrev, &t.CreditPrev, &t.DebitBalanceAfter, &t.CreditBalanceAfter)
	copy(t.ID[:], id)
	copy(t.DebitAccount[:], dr)
	copy(t.CreditAccount[:], cr)
	copy(t.PendingID[:], pend)
	t.Flags = ledger.TransferFlags(flags)
	t.Timestamp = fromMicros(ts)
	return t, err
}

// GetTransfer implements ledger.Store.
func (db *DB) GetTransfer(ctx context.Context, id ledger.ID) (ledger.Transfer, error) {
	t, err := scanTransfer(db.SQL.QueryRowContext(ctx, transferSelect+` WHERE t.id = $1`, id[:]))
	return t, notFound(err, "transfer")
}

// CreateTransfers implements ledger.Store.
func (db *DB) CreateTransfers(ctx context.Context, reqs []ledger.Transfer, opts ledger.BatchOptions) ([]ledger.Result, error) {
	if len(reqs) == 0 {
		return nil, nil
	}
	if len(reqs) > ledger.MaxBatch {
		return nil, problem.New(problem.TooLarge, "a batch holds at most %d transfers", ledger.MaxBatch)
	}
	if err := db.warmBulk(ctx); err != nil {
		return nil, fmt.Errorf("ledger: prepare: %w", err)
	}
	c := db.lcache()
	c.mu.Lock()
	defer c.mu.Unlock()
	var out *ledger.Outcome
	var newVersion int64
	err := db.ledgerTx(ctx, func(tx *sql.Tx, conn *sql.Conn) error {
		var err error
		out, newVersion, err = db.applyBatch(ctx, tx, conn, c, reqs, opts)
		return err
	})
	if err != nil {
		c.version = -1
		return nil, fmt.Errorf("ledger: batch of %d: %w", len(reqs), err)
	}
	db.committed(c, out, newVersion)
	return out.Results, nil
}

// errNothingToWrite rolls back a gathered batch whose callers all left.
var errNothingToWrite = errors.New("ledger: nothing to write")

// CreateTransfersGathered is CreateTransfers for the ledger's batcher,
// which passes gather instead of a batch: it is called once, after this
// process's turn in the queue on the head row has come, and returns the
// batch (whatever requests arrived meanwhile). With several processes the
// wait for the head is where requests pile up, so taking them after the
// wait rather than before makes each turn carry all of them instead of
// the few that had arrived when the previous turn ended.
func (db *DB) CreateTransfersGathered(ctx context.Context, gather func() ([]ledger.Transfer, ledger.BatchOptions)) ([]ledger.Result, error) {
	if err := db.warmBulk(ctx); err != nil {
		return nil, fmt.Errorf("ledger: prepare: %w", err)
	}
	c := db.lcache()
	c.mu.Lock()
	defer c.mu.Unlock()
	var out *ledger.Outcome
	var newVersion int64
	var reqs []ledger.Transfer
	var opts ledger.BatchOptions
	gathered := false
	// Probed before the batch takes its connection: the probe takes one
	// of its own.
	async := db.asyncCommit(ctx, c)
	var flushAs string
	if async {
		flushAs = c.writer
	}
	// write runs on SQLite in ledgerTx's transaction; on PostgreSQL tx is
	// nil and the claim pipeline begins the transaction on conn.
	write := func(tx *sql.Tx, conn *sql.Conn) error {
		var h ledgerHead
		var ac *auditClaim
		var err error
		if tx == nil {
			h, ac, err = claimPipeline(ctx, conn, async)
		} else {
			h, err = claimHead(ctx, tx)
		}
		if err != nil {
			return err
		}
		if !gathered { // a retried transaction writes the same batch
			reqs, opts = gather()
			gathered = true
		}
		if len(reqs) == 0 {
			return errNothingToWrite
		}
		if len(reqs) > ledger.MaxBatch {
			return problem.New(problem.TooLarge, "a batch holds at most %d transfers", ledger.MaxBatch)
		}
		out, newVersion, err = db.applyClaimed(ctx, tx, conn, c, h, ac, flushAs, reqs, opts)
		return err
	}
	var err error
	if db.Engine == Postgres {
		err = db.ledgerPipelineTx(ctx, func(conn *sql.Conn) error { return write(nil, conn) })
	} else {
		err = db.ledgerTx(ctx, write)
	}
	if errors.Is(err, errNothingToWrite) {
		return nil, nil
	}
	if err != nil {
		c.version = -1
		return nil, fmt.Errorf("ledger: batch of %d: %w", len(reqs), err)
	}
	db.committed(c, out, newVersion)
	return out.Results, nil
}

// committed makes the cache mirror the database at the batch's version.
func (db *DB) committed(c *ledgerCache, out *ledger.Outcome, newVersion int64) {
	for _, a := range out.Accounts {
		cp := *a
		c.accounts[a.ID] = &cp
	}
	c.version = newVersion
}

func (db *DB) applyBatch(ctx context.Context, tx *sql.Tx, conn *sql.Conn, c *ledgerCache, reqs []ledger.Transfer, opts ledger.BatchOptions) (*ledger.Outcome, int64, error) {
	h, err := claimHead(ctx, tx)
	if err != nil {
		return nil, 0, err
	}
	return db.applyClaimed(ctx, tx, conn, c, h, nil, "", reqs, opts)
}

// applyClaimed writes a batch once the head is claimed (and audit_head,
// when ac is not nil: then tx is nil on PostgreSQL, the transaction is
// conn's own, and the write pipeline commits it, followed by the
// durability flush of flushAs's row when flushAs is not empty; see
// pipelineWrites).
func (db *DB) applyClaimed(ctx context.Context, tx *sql.Tx, conn *sql.Conn, c *ledgerCache, h ledgerHead, ac *auditClaim, flushAs string, reqs []ledger.Transfer, opts ledger.BatchOptions) (*ledger.Outcome, int64, error) {
	if h.version-1 != c.version {
		clear(c.accounts) // someone else wrote since this process last did
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	b := &ledger.Batch{Now: now, LastSeq: h.lastSeq, LastTimestamp: fromMicros(h.lastTS), System: opts.System, Authorise: opts.Authorise,
		Existing: map[ledger.ID]*ledger.Transfer{}, Pendings: map[ledger.ID]*ledger.PendingRecord{}}

	// Idempotency: only ids not above the largest stored id can exist, so
	// with time-ordered ids almost nothing needs a look-up.
	var probe [][]byte
	var pendIDs [][]byte
	maxID := h.maxID
	for i := range reqs {
		id := reqs[i].ID[:]
		if h.maxID != nil && bytes.Compare(id, h.maxID) <= 0 {
			probe = append(probe, id)
		}
		if bytes.Compare(id, maxID) > 0 {
			maxID = id
		}
		if reqs[i].PendingID != ledger.Zero {
			pendIDs = append(pendIDs, reqs[i].PendingID[:])
		}
	}
	if db.Engine == Postgres && ac != nil {
		// The batcher's batch holds the head: one round trip for every read.
		if err := readPipeline(ctx, conn, c, b, reqs, probe, pendIDs); err != nil {
			return nil, 0, err
		}
	} else if err := db.readBatch(ctx, tx, c, b, reqs, probe, pendIDs); err != nil {
		return nil, 0, err
	}

	out := ledger.Apply(b, reqs)
	if len(out.Created) == 0 { // nothing else to write
		if db.Engine == Postgres && ac != nil {
			return out, h.version, commitPipeline(ctx, conn, flushAs)
		}
		return out, h.version, nil
	}
	recs := opts.Audit
	if len(recs) == 0 {
		recs = []ledger.BatchAudit{{From: 0, To: len(reqs), Record: audit.Record{ActorUser: "system", Action: "ledger.transfers"}}}
	}
	var entries []audit.Record
	for _, ba := range recs {
		created, first, last := 0, int64(0), int64(0)
		for _, r := range out.Results[ba.From:ba.To] {
			if r.Code == ledger.OK {
				created++
				if first == 0 {
					first = r.Transfer.Seq
				}
				last = r.Transfer.Seq
			}
		}
		if created == 0 {
			continue
		}
		rec := ba.Record
		if rec.Action == "" {
			rec.Action = "ledger.transfers"
		}
		rec.SubjectType, rec.SubjectID = "ledger_transfers", fmt.Sprintf("%d..%d", first, last)
		rec.After = fmt.Sprintf("%d created", created)
		rec.Detail = movedDetail(out.Results[ba.From:ba.To], ba.To-ba.From, created)
		entries = append(entries, rec)
	}
	h.lastSeq, h.lastTS, h.maxID = out.LastSeq, micros(out.LastTimestamp), maxID
	if db.Engine == Postgres && (ac != nil || len(out.Created) <= pipelineMax) {
		if ac == nil {
			if err := writePendings(ctx, tx, out); err != nil {
				return nil, 0, fmt.Errorf("write pendings: %w", err)
			}
		}
		seq, prev, err := pipelineWrites(ctx, conn, out, h, ac, flushAs, entries)
		if errors.Is(err, errCommitted) {
			return out, h.version, err
		}
		if err != nil {
			return nil, 0, err
		}
		if ac == nil {
			if err := insertAudits(ctx, tx, db.Engine, out.LastTimestamp, entries, seq, prev); err != nil {
				return nil, 0, err
			}
		}
		return out, h.version, nil
	}
	if err := db.writeTransfers(ctx, tx, conn, out.Created); err != nil {
		return nil, 0, fmt.Errorf("write transfers: %w", err)
	}
	if err := db.writeAccounts(ctx, tx, out.Accounts); err != nil {
		return nil, 0, fmt.Errorf("write accounts: %w", err)
	}
	if err := writePendings(ctx, tx, out); err != nil {
		return nil, 0, fmt.Errorf("write pendings: %w", err)
	}
	if err := writeHead(ctx, tx, h); err != nil {
		return nil, 0, err
	}
	if err := appendAudits(ctx, tx, db.Engine, out.LastTimestamp, entries); err != nil {
		return nil, 0, err
	}
	return out, h.version, nil
}

// readBatch reads what Apply needs besides the requests: the stored
// transfers whose ids the batch reuses, the pending transfers it resolves,
// and its accounts (from the cache when it is current), one query each.
func (db *DB) readBatch(ctx context.Context, tx *sql.Tx, c *ledgerCache, b *ledger.Batch, reqs []ledger.Transfer, probe, pendIDs [][]byte) error {
	if len(probe) > 0 {
		clause, arg := db.idList(probe)
		rows, err := tx.QueryContext(ctx, transferSelect+` WHERE t.id `+clause, arg)
		if err != nil {
			return fmt.Errorf("existing transfers: %w", err)
		}
		ts, err := collect(rows, scanTransfer)
		if err != nil {
			return err
		}
		for i := range ts {
			b.Existing[ts[i].ID] = &ts[i]
		}
	}
	if len(pendIDs) > 0 {
		clause, arg := db.idList(pendIDs)
		rows, err := tx.QueryContext(ctx, `SELECT p.state, p.expires_at, `+strings.TrimPrefix(transferSelect, "SELECT ")+
			` JOIN ledger_pending p ON p.seq = t.seq WHERE p.id `+clause, arg)
		if err != nil {
			return fmt.Errorf("pending transfers: %w", err)
		}
		for rows.Next() {
			p, err := scanPending(rows)
			if err != nil {
				rows.Close()
				return err
			}
			b.Pendings[p.Transfer.ID] = p
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	// Accounts: from the cache when it is current, else one query.
	b.Accounts = make(map[ledger.ID]*ledger.Account, 2*len(reqs))
	var missing [][]byte
	need := func(id ledger.ID) {
		if id == ledger.Zero {
			return
		}
		if _, ok := b.Accounts[id]; ok {
			return
		}
		if a, ok := c.accounts[id]; ok {
			b.Accounts[id] = a
			return
		}
		b.Accounts[id] = nil
		missing = append(missing, append([]byte(nil), id[:]...))
	}
	for i := range reqs {
		need(reqs[i].DebitAccount)
		need(reqs[i].CreditAccount)
	}
	for _, p := range b.Pendings {
		need(p.Transfer.DebitAccount)
		need(p.Transfer.CreditAccount)
	}
	if len(missing) > 0 {
		clause, arg := db.idList(missing)
		rows, err := tx.QueryContext(ctx, `SELECT `+accountCols+accountFrom+` WHERE a.id `+clause, arg)
		if err != nil {
			return fmt.Errorf("accounts: %w", err)
		}
		accts, err := collect(rows, scanAccount)
		if err != nil {
			return err
		}
		for i := range accts {
			a := &accts[i]
			b.Accounts[a.ID] = a
			c.accounts[a.ID] = a
		}
	}
	for id, a := range b.Accounts {
		if a == nil {
			delete(b.Accounts, id)
		}
	}

	return nil
}

// scanPending reads a pending record: its state and expiry, then the
// transfer's columns in transferSelect's order.
func scanPending(sc interface{ Scan(...any) error }) (*ledger.PendingRecord, error) {
	var p ledger.PendingRecord
	var state string
	var exp int64
	var id, dr, cr, pend []byte
	var flags, ts int64
	t := &p.Transfer
	if err := sc.Scan(&state, &exp, &t.Seq, &id, &dr, &cr, &t.DebitAccountRow, &t.CreditAccountRow, &t.Amount, &t.Currency, &pend, &t.Timeout,
		&t.Code, &t.Reference, &flags, &ts, &t.DebitPrev, &t.CreditPrev, &t.DebitBalanceAfter, &t.CreditBalanceAfter); err != nil {
		return nil, err
	}
	copy(t.ID[:], id)
	copy(t.DebitAccount[:], dr)
	copy(t.CreditAccount[:], cr)
	t.Flags, t.Timestamp = ledger.TransferFlags(flags), fromMicros(ts)
	p.State, p.ExpiresAt = ledger.PendingState(state), fromMicros(exp)
	return &p, nil
}

// auditMoves is how many transfers an audit entry lists one by one; the
// totals per currency always cover all of them.
const auditMoves = 16

// movedDetail says what a request moved, as JSON an auditor (or a page)
// can read: the totals per currency in minor units and, for the first
// auditMoves transfers, which account paid which, how much and how.
func movedDetail(results []ledger.Result, submitted, created int) string {
	type move struct {
		Seq      int64  `json:"seq"`
		ID       string `json:"id"`
		Debit    string `json:"debit"`
		Credit   string `json:"credit"`
		Amount   int64  `json:"amount"`
		Currency string `json:"currency"`
		Kind     string `json:"kind,omitempty"`
	}
	d := struct {
		Submitted int              `json:"submitted"`
		Created   int              `json:"created"`
		Totals    map[string]int64 `json:"totals_minor"`
		Moves     []move           `json:"moves"`
		More      int              `json:"more,omitempty"`
	}{Submitted: submitted, Created: created, Totals: map[string]int64{}}
	for _, r := range results {
		if r.Code != ledger.OK {
			continue
		}
		t := r.Transfer
		if t.Flags&(ledger.Pending|ledger.VoidPending) == 0 {
			d.Totals[t.Currency] += t.Amount // what was reserved or released moved nothing
		}
		if len(d.Moves) == auditMoves {
			d.More++
			continue
		}
		kind := ""
		switch {
		case t.Flags&ledger.Expired != 0:
			kind = "expired"
		case t.Flags&ledger.Pending != 0:
			kind = "pending"
		case t.Flags&ledger.PostPending != 0:
			kind = "post"
		case t.Flags&ledger.VoidPending != 0:
			kind = "void"
		}
		d.Moves = append(d.Moves, move{Seq: t.Seq, ID: t.ID.String(), Debit: t.DebitAccount.String(), Credit: t.CreditAccount.String(),
			Amount: t.Amount, Currency: t.Currency, Kind: kind})
	}
	b, _ := json.Marshal(d)
	return string(b)
}

const transferInsertCols = `seq, id, debit_row, credit_row, amount, currency, pending_id, timeout, code, reference, flags, ts, debit_prev, credit_prev, dr_balance, cr_balance`

// writeTransfers appends the batch: with COPY on PostgreSQL, with a few
// multi-row INSERTs on SQLite (instead of one statement per transfer).
func (db *DB) writeTransfers(ctx context.Context, tx *sql.Tx, conn *sql.Conn, ts []*ledger.Transfer) error {
	if db.Engine == Postgres {
		return conn.Raw(func(dc any) error {
			pc := dc.(*stdlib.Conn).Conn()
			_, err := pc.CopyFrom(ctx, pgx.Identifier{"ledger_transfers"}, strings.Split(strings.ReplaceAll(transferInsertCols, " ", ""), ","),
				pgx.CopyFromSlice(len(ts), func(i int) ([]any, error) { return transferRow(nil, ts[i]), nil }))
			return err
		})
	}
	return bulkWrite(ctx, db, tx, transferBulk, ts, transferRow)
}

// transferRow appends a transfer's values in transferInsertCols order.
func transferRow(args []any, t *ledger.Transfer) []any {
	var pend any // NULL unless the transfer resolves a pending one
	if t.PendingID != ledger.Zero {
		pend = t.PendingID[:]
	}
	return append(args, t.Seq, t.ID[:], t.DebitAccountRow, t.CreditAccountRow, t.Amount, t.Currency, pend, t.Timeout, t.Code,
		t.Reference, int64(t.Flags), micros(t.Timestamp), t.DebitPrev, t.CreditPrev, t.DebitBalanceAfter, t.CreditBalanceAfter)
}

// writeAccounts stores the new balances of every touched account with
// set-based statements: one UPDATE from unnest() arrays on PostgreSQL, a few
// multi-row upserts (each row found by its primary key) on SQLite.
func (db *DB) writeAccounts(ctx context.Context, tx *sql.Tx, accts []*ledger.Account) error {
	if db.Engine == Postgres {
		cols := make([][]int64, 6)
		for _, a := range accts {
			for i, v := range []int64{a.Row, a.DebitsPending, a.DebitsPosted, a.CreditsPending, a.CreditsPosted, a.LastSeq} {
				cols[i] = append(cols[i], v)
			}
		}
		res, err := tx.ExecContext(ctx, `UPDATE ledger_balances SET debits_pending = v.dp, debits_posted = v.dpo, credits_pending = v.cp,
				credits_posted = v.cpo, last_seq = v.ls
			FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[]) AS v(r, dp, dpo, cp, cpo, ls)
			WHERE row_id = v.r`, cols[0], cols[1], cols[2], cols[3], cols[4], cols[5])
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != int64(len(accts)) {
			return fmt.Errorf("updated %d of %d accounts", n, len(accts))
		}
		return nil
	}
	return bulkWrite(ctx, db, tx, balanceBulk, accts, func(args []any, a *ledger.Account) []any {
		return append(args, a.Row, a.DebitsPending, a.DebitsPosted, a.CreditsPending, a.CreditsPosted, a.LastSeq)
	})
}

func writePendings(ctx context.Context, tx *sql.Tx, out *ledger.Outcome) error {
	isNew := map[ledger.ID]bool{}
	for _, p := range out.NewPendings {
		isNew[p.Transfer.ID] = true
		if _, err := tx.ExecContext(ctx, `INSERT INTO ledger_pending (id, seq, state, expires_at) VALUES ($1,$2,$3,$4)`,
			p.Transfer.ID[:], p.Transfer.Seq, string(p.State), micros(p.ExpiresAt)); err != nil {
			return err
		}
	}
	for _, p := range out.Resolved {
		if isNew[p.Transfer.ID] {
			continue
		}
		if _, err := tx.ExecContext(ctx, `UPDATE ledger_pending SET state = $1 WHERE id = $2`, string(p.State), p.Transfer.ID[:]); err != nil {
			return err
		}
	}
	return nil
}

// History implements ledger.Store by walking the account's chain.
func (db *DB) History(ctx context.Context, account ledger.ID, from int64, limit int) ([]ledger.Transfer, error) {
	a, err := db.GetAccount(ctx, account)
	if err != nil {
		return nil, err
	}
	start := a.LastSeq
	if from > 0 {
		start = from
	}
	rows, err := db.SQL.QueryContext(ctx, `WITH RECURSIVE h(seq, n) AS (
			SELECT CAST($2 AS BIGINT), 1
			UNION ALL
			SELECT CASE WHEN t.debit_row = $1 THEN t.debit_prev ELSE t.credit_prev END, h.n + 1
			FROM ledger_transfers t JOIN h ON t.seq = h.seq WHERE h.n < $3)
		`+transferSelect+` JOIN h ON t.seq = h.seq WHERE t.debit_row = $1 OR t.credit_row = $1 ORDER BY t.seq DESC`, a.Row, start, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: history: %w", err)
	}
	return collect(rows, scanTransfer)
}

// BalanceAt implements ledger.Store: it walks back from the newest
// transfer to the last one at or before t.
func (db *DB) BalanceAt(ctx context.Context, account ledger.ID, t time.Time) (int64, error) {
	a, err := db.GetAccount(ctx, account)
	if err != nil {
		return 0, err
	}
	seq, err := db.lastSeqBefore(ctx, a, t, true)
	if err != nil {
		return 0, fmt.Errorf("sqlstore: balance at: %w", err)
	}
	if seq == 0 {
		return 0, nil
	}
	var dr, drBal, crBal int64
	if err := db.SQL.QueryRowContext(ctx, `SELECT debit_row, dr_balance, cr_balance FROM ledger_transfers WHERE seq = $1`, seq).
		Scan(&dr, &drBal, &crBal); err != nil {
		return 0, err
	}
	if dr == a.Row {
		return drBal, nil
	}
	return crBal, nil
}

// lastSeqBefore walks back along a's chain from its newest transfer to the
// last one before t (at or before t when inclusive); 0 if there is none.
// BalanceAt and the statement's "up to" bound both use it.
func (db *DB) lastSeqBefore(ctx context.Context, a ledger.Account, t time.Time, inclusive bool) (int64, error) {
	cmp := ">="
	if inclusive {
		cmp = ">"
	}
	var seq sql.NullInt64
	err := db.SQL.QueryRowContext(ctx, `WITH RECURSIVE h(seq) AS (
			SELECT CAST($2 AS BIGINT)
			UNION ALL
			SELECT CASE WHEN t.debit_row = $1 THEN t.debit_prev ELSE t.credit_prev END
			FROM ledger_transfers t JOIN h ON t.seq = h.seq WHERE t.ts `+cmp+` $3)
		SELECT MIN(seq) FROM h`, a.Row, a.LastSeq, micros(t)).Scan(&seq)
	return seq.Int64, err
}

// ExpiredPendings implements ledger.Store.
func (db *DB) ExpiredPendings(ctx context.Context, now time.Time, after ledger.ExpiryCursor, limit int) ([]ledger.ExpiryCursor, error) {
	var afterAt int64
	if !after.ExpiresAt.IsZero() {
		afterAt = micros(after.ExpiresAt)
	}
	rows, err := db.SQL.QueryContext(ctx, `SELECT id, expires_at FROM ledger_pending WHERE state = 'open' AND expires_at > 0 AND expires_at <= $1
		AND (expires_at > $2 OR (expires_at = $2 AND id > $3)) ORDER BY expires_at, id LIMIT $4`, micros(now), afterAt, after.ID[:], limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ledger.ExpiryCursor
	for rows.Next() {
		var b []byte
		var at int64
		if err := rows.Scan(&b, &at); err != nil {
			return nil, err
		}
		c := ledger.ExpiryCursor{ExpiresAt: fromMicros(at)}
		copy(c.ID[:], b)
		out = append(out, c)
	}
	return out, rows.Err()
}

// Verify implements ledger.Store: every balance is recomputed from the
// transfers and pending records and compared with the stored counters; per
// currency, debits must equal credits; limits must hold; each account's
// history head must be its newest transfer and carry its posted totals.
func (db *DB) Verify(ctx context.Context) (ledger.VerifyReport, error) {
	r := ledger.VerifyReport{Totals: map[string][2]int64{}}
	tx, err := db.SQL.BeginTx(ctx, &sql.TxOptions{ReadOnly: db.Engine == Postgres, Isolation: isoFor(db)})
	if err != nil {
		return r, err
	}
	defer tx.Rollback()
	type sums struct{ dp, dpo, cp, cpo, last int64 }
	calc := map[int64]*sums{}
	get := func(row int64) *sums {
		s := calc[row]
		if s == nil {
			s = &sums{}
			calc[row] = s
		}
		return s
	}
	posted := int64(ledger.Pending | ledger.VoidPending)
	rows, err := tx.QueryContext(ctx, `SELECT debit_row, SUM(amount), MAX(seq) FROM ledger_transfers WHERE (flags & $1) = 0 GROUP BY debit_row`, posted)
	if err != nil {
		return r, err
	}
	for rows.Next() {
		var row, sum, last int64
		if err := rows.Scan(&row, &sum, &last); err != nil {
			rows.Close()
			return r, err
		}
		get(row).dpo = sum
	}
	rows.Close()
	rows, err = tx.QueryContext(ctx, `SELECT credit_row, SUM(amount) FROM ledger_transfers WHERE (flags & $1) = 0 GROUP BY credit_row`, posted)
	if err != nil {
		return r, err
	}
	for rows.Next() {
		var row, sum int64
		if err := rows.Scan(&row, &sum); err != nil {
			rows.Close()
			return r, err
		}
		get(row).cpo = sum
	}
	rows.Close()
	rows, err = tx.QueryContext(ctx, `SELECT t.debit_row, t.credit_row, t.amount FROM ledger_pending p JOIN ledger_transfers t ON t.seq = p.seq WHERE p.state = 'open'`)
	if err != nil {
		return r, err
	}
	for rows.Next() {
		var dr, cr, amt int64
		if err := rows.Scan(&dr, &cr, &amt); err != nil {
			rows.Close()
			return r, err
		}
		get(dr).dp += amt
		get(cr).cp += amt
	}
	rows.Close()
	for _, q := range []string{`SELECT debit_row, MAX(seq) FROM ledger_transfers GROUP BY debit_row`, `SELECT credit_row, MAX(seq) FROM ledger_transfers GROUP BY credit_row`} {
		rows, err = tx.QueryContext(ctx, q)
		if err != nil {
			return r, err
		}
		for rows.Next() {
			var row, last int64
			if err := rows.Scan(&row, &last); err != nil {
				rows.Close()
				return r, err
			}
			if s := get(row); last > s.last {
				s.last = last
			}
		}
		rows.Close()
	}
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM ledger_transfers`).Scan(&r.Transfers); err != nil {
		return r, err
	}
	rows, err = tx.QueryContext(ctx, `SELECT `+accountCols+accountFrom+` ORDER BY a.row_id`)
	if err != nil {
		return r, err
	}
	accts, err := collect(rows, scanAccount)
	if err != nil {
		return r, err
	}
	r.Accounts = len(accts)
	pendTotals := map[string][2]int64{}
	for _, a := range accts {
		s := get(a.Row)
		if s.dp != a.DebitsPending || s.dpo != a.DebitsPosted || s.cp != a.CreditsPending || s.cpo != a.CreditsPosted {
			r.Problems = append(r.Problems, fmt.Sprintf("account %s: stored debits %d/%d credits %d/%d (pending/posted), recomputed %d/%d and %d/%d",
				a.ID, a.DebitsPending, a.DebitsPosted, a.CreditsPending, a.CreditsPosted, s.dp, s.dpo, s.cp, s.cpo))
		}
		if s.last != a.LastSeq {
			r.Problems = append(r.Problems, fmt.Sprintf("account %s: history head %d, newest transfer %d", a.ID, a.LastSeq, s.last))
		}
		if a.Flags&ledger.Issuer == 0 && a.DebitsPending+a.DebitsPosted > a.CreditsPosted {
			r.Problems = append(r.Problems, fmt.Sprintf("account %s: debits exceed credits (only issuer accounts may)", a.ID))
		}
		if a.Flags&ledger.Issuer != 0 && a.DebitsPending+a.DebitsPosted-a.CreditsPosted > a.Limit {
			r.Problems = append(r.Problems, fmt.Sprintf("account %s: issued beyond its limit", a.ID))
		}
		if a.Flags&ledger.CreditsMustNotExceedDebits != 0 && a.CreditsPending+a.CreditsPosted > a.DebitsPosted {
			r.Problems = append(r.Problems, fmt.Sprintf("account %s: credits exceed debits", a.ID))
		}
		t := r.Totals[a.Currency]
		t[0] += a.DebitsPosted
		t[1] += a.CreditsPosted
		r.Totals[a.Currency] = t
		p := pendTotals[a.Currency]
		p[0] += a.DebitsPending
		p[1] += a.CreditsPending
		pendTotals[a.Currency] = p
	}
	for ccy, t := range r.Totals {
		if t[0] != t[1] {
			r.Problems = append(r.Problems, fmt.Sprintf("%s: posted debits %d != credits %d", ccy, t[0], t[1]))
		}
		if p := pendTotals[ccy]; p[0] != p[1] {
			r.Problems = append(r.Problems, fmt.Sprintf("%s: pending debits %d != credits %d", ccy, p[0], p[1]))
		}
	}
	var headSeq int64
	if err := tx.QueryRowContext(ctx, `SELECT last_seq FROM ledger_head WHERE id = 1`).Scan(&headSeq); err != nil {
		return r, err
	}
	if headSeq != r.Transfers {
		r.Problems = append(r.Problems, fmt.Sprintf("head says %d transfers, %d stored (sequence numbers must have no gaps)", headSeq, r.Transfers))
	}
	return r, nil
}

func isoFor(db *DB) sql.IsolationLevel {
	if db.Engine == Postgres {
		return sql.LevelRepeatableRead // one snapshot for the whole check
	}
	return sql.LevelDefault
}

var _ ledger.Store = (*DB)(nil)
