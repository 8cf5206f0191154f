package sqlstore

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/ledger"
	"bricstown/internal/problem"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"
)

// cutProxy forwards TCP connections to a PostgreSQL server and, when armed,
// cuts the one connection whose client sends a chunk holding the trigger
// bytes: either before forwarding that chunk (the server never sees it) or
// right after (the server gets it, acts on it, and its answer is thrown
// away). It is how a test loses a COMMIT's answer deterministically.
type cutProxy struct {
	ln     net.Listener
	target string

	mu      sync.Mutex
	trigger []byte
	after   bool // forward the triggering chunk, then cut
	fired   chan struct{}
	conns   []net.Conn
}

func newCutProxy(t *testing.T, target string) *cutProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{ln: ln, target: target}
	go p.accept()
	t.Cleanup(p.close)
	return p
}

// arm makes the next chunk that holds trigger cut its connection.
func (p *cutProxy) arm(trigger string, after bool) <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.trigger, p.after, p.fired = []byte(trigger), after, make(chan struct{})
	return p.fired
}

// close stops accepting and drops every connection: the database is
// unreachable through the proxy from then on.
func (p *cutProxy) close() {
	p.ln.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
}

func (p *cutProxy) accept() {
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		server, err := net.Dial("tcp", p.target)
		if err != nil {
			client.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, client, server)
		p.mu.Unlock()
		serverDone := make(chan struct{})
		go func() {
			// Read the server to its end even when the client is gone, so
			// that the end says the server has finished with the stream.
			defer close(serverDone)
			buf := make([]byte, 64<<10)
			for {
				n, err := server.Read(buf)
				if n > 0 {
					client.Write(buf[:n])
				}
				if err != nil {
					return
				}
			}
		}()
		go p.forward(client, server.(*net.TCPConn), serverDone)
	}
}

func (p *cutProxy) forward(client net.Conn, server *net.TCPConn, serverDone <-chan struct{}) {
	buf := make([]byte, 64<<10)
	for {
		n, err := client.Read(buf)
		if err != nil {
			server.CloseWrite()
			return
		}
		chunk := buf[:n]
		p.mu.Lock()
		hit := p.trigger != nil && bytes.Contains(chunk, p.trigger)
		after, fired := p.after, p.fired
		if hit {
			p.trigger = nil // one shot: reconnections pass
		}
		p.mu.Unlock()
		if hit && !after {
			client.Close()
			server.Close()
			close(fired)
			return
		}
		if hit {
			client.Close() // before the server can answer: the answer is lost
		}
		if _, err := server.Write(chunk); err != nil {
			client.Close()
			return
		}
		if hit {
			// The server has the COMMIT and the client has lost the
			// connection. The server commits, answers into the proxy
			// (which drops the answer), reads the end of the stream and
			// closes: only then has the test something to look at.
			server.CloseWrite()
			<-serverDone
			server.Close()
			close(fired)
			return
		}
	}
}

// proxied opens a second handle on the PostgreSQL test database db that
// goes through a cutProxy.
func proxied(t *testing.T, db *DB) (*DB, *cutProxy) {
	t.Helper()
	u, err := url.Parse(db.dsnForTest(t))
	if err != nil {
		t.Fatal(err)
	}
	p := newCutProxy(t, u.Host)
	u.Host = p.ln.Addr().String()
	pdb, err := Open(context.Background(), u.String(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pdb.Close() })
	return pdb, p
}

func probeRows(t *testing.T, db *DB, id int) int {
	t.Helper()
	var n int
	if err := db.SQL.QueryRow(`SELECT COUNT(*) FROM classify_probe WHERE id = $1`, id).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func insertProbe(id int) func(tx *sql.Tx) error {
	return func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO classify_probe (id) VALUES ($1)`, id)
		return err
	}
}

func wantCode(t *testing.T, err error, code problem.Code) {
	t.Helper()
	if !problem.Is(err, code) {
		t.Fatalf("error %v: code %q, want %q", err, problem.CodeOf(err), code)
	}
	var pe *problem.Error
	errors.As(err, &pe)
	if pe.RetryAfter <= 0 {
		t.Fatalf("%s without RetryAfter", code)
	}
}

// TestOutageCodes proves on a real PostgreSQL that a lost connection is
// told apart by when it was lost: before COMMIT reached the server nothing
// was applied (unavailable), after it the change may exist (outcome_unknown,
// and here it does), and an unreachable database is unavailable for writes
// and reads alike, never an internal error.
func TestOutageCodes(t *testing.T) {
	db := OpenTest(t, Postgres)
	ctx := context.Background()
	if _, err := db.SQL.Exec(`CREATE TABLE classify_probe (id INT PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	pdb, proxy := proxied(t, db)

	t.Run("commit answer lost", func(t *testing.T) {
		fired := proxy.arm("commit\x00", true)
		err := pdb.Tx(ctx, insertProbe(1))
		<-fired
		wantCode(t, err, problem.OutcomeUnknown)
		if n := probeRows(t, db, 1); n != 1 {
			t.Fatalf("the commit whose answer was lost applied %d rows; this test needs it applied", n)
		}
		// The retry with the same key finds the row: a store's unique
		// constraint is what turns it into an idempotent "exists".
		if err := pdb.Tx(ctx, insertProbe(1)); !IsUniqueViolation(err) {
			t.Fatalf("retry after outcome_unknown: %v, want a unique violation", err)
		}
	})
	t.Run("connection lost before commit", func(t *testing.T) {
		fired := proxy.arm("INSERT INTO classify_probe", false)
		err := pdb.Tx(ctx, insertProbe(2))
		<-fired
		wantCode(t, err, problem.Unavailable)
		if n := probeRows(t, db, 2); n != 0 {
			t.Fatalf("a transaction cut before its COMMIT applied %d rows", n)
		}
	})
	t.Run("backend terminated", func(t *testing.T) {
		err := pdb.Tx(ctx, func(tx *sql.Tx) error {
			var pid int
			if err := tx.QueryRow(`SELECT pg_backend_pid()`).Scan(&pid); err != nil {
				return err
			}
			if _, err := db.SQL.Exec(`SELECT pg_terminate_backend($1, 5000)`, pid); err != nil {
				t.Fatal(err)
			}
			return insertProbe(3)(tx)
		})
		wantCode(t, err, problem.Unavailable)
		if n := probeRows(t, db, 3); n != 0 {
			t.Fatalf("a terminated transaction applied %d rows", n)
		}
	})
	t.Run("ledger batch: answer to the pipeline's COMMIT lost", func(t *testing.T) {
		// The batcher's batch ends its write pipeline with COMMIT (the head
		// is released one round trip sooner), so the answer can be lost
		// with the transfers committed: that must be outcome_unknown, and
		// the retry with the same id must find the transfer, not pay twice.
		issuer := ledger.Account{ID: uuid.Must(uuid.NewV7()), OrgID: "bank", Currency: "KZT", Kind: ledger.Asset, Code: "issuer", Flags: ledger.Issuer | ledger.System, Limit: ledger.Unlimited}
		to := ledger.Account{ID: uuid.Must(uuid.NewV7()), OrgID: "o", Currency: "KZT", Kind: ledger.Liability, Code: "ops"}
		if err := pdb.CreateAccounts(ctx, []ledger.Account{issuer, to}, audit.Record{ActorUser: "t"}); err != nil {
			t.Fatal(err)
		}
		tr := ledger.Transfer{ID: uuid.Must(uuid.NewV7()), DebitAccount: issuer.ID, CreditAccount: to.ID, Amount: 700, Currency: "KZT"}
		gather := func() ([]ledger.Transfer, ledger.BatchOptions) {
			return []ledger.Transfer{tr}, ledger.BatchOptions{System: true}
		}
		// The cut comes after the chunk that carries the transfer's id as a
		// bound parameter (the pipeline's executions and its Sync; the
		// statements' texts went out earlier, when pgx prepared them).
		fired := proxy.arm(string(tr.ID[:]), true)
		_, err := pdb.CreateTransfersGathered(ctx, gather)
		<-fired
		t.Logf("err: %v", err)
		wantCode(t, err, problem.OutcomeUnknown)
		// Whether the server got to the COMMIT before it saw the client go
		// is its business (it usually has, a moment later): the retry with
		// the same id waits behind that batch on the head and either finds
		// the transfer or, if it rolled back, creates it. Paid once either way.
		res, err := pdb.CreateTransfersGathered(ctx, gather)
		if err != nil || len(res) != 1 || res[0].Code != ledger.Exists && res[0].Code != ledger.OK {
			t.Fatalf("retry with the same id: %+v %v, want exists (or created, had the first rolled back)", res, err)
		}
		a, err := db.GetAccount(ctx, to.ID)
		if err != nil || a.CreditsPosted != 700 {
			t.Fatalf("credited %d (%v), want 700 once", a.CreditsPosted, err)
		}
	})
	t.Run("database unreachable", func(t *testing.T) {
		proxy.close()
		wantCode(t, pdb.Tx(ctx, insertProbe(4)), problem.Unavailable)
		// A read goes to the driver directly; its raw error is classified
		// by the adapter that reports it, with the same function.
		tctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		var n int
		err := pdb.SQL.QueryRowContext(tctx, `SELECT 1`).Scan(&n)
		if err == nil {
			t.Fatal("a read through a closed proxy succeeded")
		}
		if problem.CodeOf(err) != problem.Internal {
			t.Fatalf("raw driver error already has a code: %v", err)
		}
		wantCode(t, Classify(err), problem.Unavailable)
	})
}

// TestClassifyLeavesOtherErrors: only outages change code; a bug in SQL, a
// constraint failure and an error that already has a code keep theirs.
func TestClassifyLeavesOtherErrors(t *testing.T) {
	for _, err := range []error{
		&pgconn.PgError{Severity: "ERROR", Code: "42601", Message: "syntax error"},
		&pgconn.PgError{Severity: "ERROR", Code: "23505", Message: "duplicate key"},
		problem.New(problem.Conflict, "no"),
		errors.New("something else"),
	} {
		if got := Classify(err); got != err {
			t.Errorf("Classify(%v) = %v, want it unchanged", err, got)
		}
	}
	for _, err := range []error{
		&pgconn.PgError{Severity: "FATAL", Code: "57P01", Message: "terminating connection due to administrator command"},
		&pgconn.PgError{Severity: "FATAL", Code: "57P03", Message: "the database system is starting up"},
		&pgconn.PgError{Severity: "FATAL", Code: "08006", Message: "connection failure"},
		&pgconn.PgError{Severity: "ERROR", Code: "25006", Message: "cannot execute INSERT in a read-only transaction"},
		io.ErrUnexpectedEOF,
		context.DeadlineExceeded,
	} {
		wantCode(t, Classify(err), problem.Unavailable)
	}
}
