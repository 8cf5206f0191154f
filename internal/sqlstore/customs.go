package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/customs"
	"bricstown/internal/groupcommit"
	"bricstown/internal/problem"
)

var _ customs.Store = (*DB)(nil)

// ApplyDeclarationChange implements customs.Store. An update is conditional on the version
// the service computed the change from, so two transitions racing on one
// declaration cannot both commit: the second finds the version moved (on
// PostgreSQL after its serialization failure is retried) and gets Conflict,
// and nothing of its change is written.
//
// Changes are group-committed (internal/groupcommit): one transaction, one
// fsync, serves every change that arrived while the previous batch was
// written. A change refused as stale or duplicate gets its caller the
// error, and the rest of the batch is written without it.
func (db *DB) ApplyDeclarationChange(ctx context.Context, c customs.Change) error {
	d := &c.Declaration
	if d.Version != c.BaseVersion+1 {
		return fmt.Errorf("sqlstore: customs change of %s to version %d from %d", d.ID, d.Version, c.BaseVersion)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	w, err := encodeCustomsChange(c)
	if err != nil {
		return err
	}
	me := &customsPending{w: w}
	if err := db.customsQueue().Do(ctx, me); err != nil {
		return err
	}
	return me.err
}

// customsMaxBatch bounds one group commit, so that a burst cannot make one
// transaction (and its leader's wait) arbitrarily long.
const customsMaxBatch = 256

// customsPending is one caller's change in the group commit, and its
// outcome once written.
type customsPending struct {
	w   customsWrite
	err error
}

func (db *DB) customsQueue() *groupcommit.Queue[*customsPending] {
	db.customsOnce.Do(func() {
		db.customs = groupcommit.New(db.writeCustomsBatch, groupcommit.Options[*customsPending]{Max: customsMaxBatch})
	})
	return db.customs
}

// customsWrite is a change with its JSON encoded outside the transaction.
type customsWrite struct {
	c            customs.Change
	doc          string
	total        int64
	amendChanges string
	amendBefore  string
	search       string
}

func encodeCustomsChange(c customs.Change) (customsWrite, error) {
	w := customsWrite{c: c}
	d := &c.Declaration
	doc, err := json.Marshal(d)
	if err != nil {
		return w, fmt.Errorf("sqlstore: encode declaration %s: %w", d.ID, err)
	}
	w.doc = string(doc)
	w.search = customsSearchText(d)
	if d.Assessment != nil {
		w.total = d.Assessment.TotalKZT
	}
	if a := c.Amendment; a != nil {
		ch, err := json.Marshal(a.Changes)
		if err != nil {
			return w, err
		}
		before, err := json.Marshal(a.Before)
		if err != nil {
			return w, err
		}
		w.amendChanges, w.amendBefore = string(ch), string(before)
	}
	return w, nil
}

// writeCustomsBatch writes a batch in one transaction and records every
// change's outcome. It runs on its own context: one caller giving up must
// not abort the others' transaction. A change refused for a domain reason
// (stale version, duplicate) is dropped and the rest written again, which
// keeps the common case free of savepoints (whose sub-journal costs SQLite
// a write per page).
func (db *DB) writeCustomsBatch(take func() []*customsPending) error {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	db.prepareWanted(ctx)
	if err := db.warmBulk(ctx); err != nil {
		return err
	}
	batch := take()
	errs := make([]error, len(batch))
	todo := make([]int, len(batch))
	for i := range todo {
		todo[i] = i
	}
	for len(todo) > 0 {
		failed, ferr := -1, error(nil)
		err := db.Tx(ctx, func(tx *sql.Tx) error {
			failed = -1
			var recs []audit.Record
			var at time.Time
			for k, i := range todo {
				if cerr := db.writeCustomsChange(ctx, tx, &batch[i].w); cerr != nil {
					if db.retryable(cerr) {
						return cerr // the whole batch retries
					}
					failed, ferr = k, cerr
					return errCustomsDrop
				}
				c := &batch[i].w.c
				recs = append(recs, c.Audit...)
				if c.Declaration.UpdatedAt.After(at) {
					at = c.Declaration.UpdatedAt
				}
			}
			// One chain append for the batch, stamped with its latest change
			// (as the ledger's batches are); each change's own time is in
			// its events.
			return appendAudits(ctx, tx, db.Engine, at, recs)
		})
		if err == errCustomsDrop {
			errs[todo[failed]] = ferr
			todo = append(todo[:failed], todo[failed+1:]...)
			continue
		}
		for _, i := range todo {
			errs[i] = err
		}
		break
	}
	for i, p := range batch {
		p.err = errs[i]
	}
	return nil
}

// errCustomsDrop rolls a batch back to write it again without one change.
var errCustomsDrop = errors.New("sqlstore: drop one change from the customs batch")

func (db *DB) writeCustomsChange(ctx context.Context, tx *sql.Tx, w *customsWrite) error {
	c, d := &w.c, &w.c.Declaration
	cols := []any{d.Version, d.FunctionalReferenceID, string(d.Procedure), string(d.Status), string(d.Lane),
		d.Transport.BorderPost, d.SPS.Required, string(d.SPS.Status), w.total, micros(d.UpdatedAt),
		micros(d.SubmittedAt), micros(d.LaneAssignedAt), micros(d.ReleasedAt), micros(d.RefusedAt), w.doc, w.search}
	if c.BaseVersion == 0 {
		args := append([]any{d.ID, d.DeclarantOrg, micros(d.CreatedAt)}, cols...)
		if _, err := db.txExec(ctx, tx, `INSERT INTO customs_declarations (id, declarant_org, created_at,
			version, reference, procedure, status, lane, border_post, sps_required, sps_status, total_kzt, updated_at,
			submitted_at, lane_assigned_at, released_at, refused_at, doc, search_text)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19)`, args...); err != nil {
			if IsUniqueViolation(err) {
				return problem.Wrap(problem.Conflict, err, "a declaration with this id exists")
			}
			return err
		}
	} else {
		args := append(cols, d.ID, c.BaseVersion)
		res, err := db.txExec(ctx, tx, `UPDATE customs_declarations SET version = $1, reference = $2, procedure = $3,
			status = $4, lane = $5, border_post = $6, sps_required = $7, sps_status = $8, total_kzt = $9, updated_at = $10,
			submitted_at = $11, lane_assigned_at = $12, released_at = $13, refused_at = $14, doc = $15, search_text = $16
			WHERE id = $17 AND version = $18`, args...)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			var one int
			err := tx.QueryRowContext(ctx, `SELECT 1 FROM customs_declarations WHERE id = $1`, d.ID).Scan(&one)
			if err == sql.ErrNoRows {
				return customs.DeclarationNotFound()
			}
			if err != nil {
				return err
			}
			return customs.ErrStale()
		}
	}
	if err := bulkWrite(ctx, db, tx, customsEventBulk, c.Events, func(args []any, e customs.Event) []any {
		return append(args, d.ID, e.Seq, micros(e.At), e.ActorUser, e.ActorOrg, string(e.Action), string(e.From), string(e.To), e.Detail,
			string(e.Kind), eventParamsJSON(e.Params))
	}); err != nil {
		return customsStaleOnDuplicate(err)
	}
	if err := bulkWrite(ctx, db, tx, customsReasonBulk, c.Reasons, func(args []any, r customs.RiskReason) []any {
		return append(args, d.ID, r.Seq, r.RuleID, r.Description, r.Weight, micros(r.At), r.ActorUser)
	}); err != nil {
		return customsStaleOnDuplicate(err)
	}
	if a := c.Amendment; a != nil {
		if _, err := db.txExec(ctx, tx, `INSERT INTO customs_amendments (declaration_id, version, at, actor_user,
			actor_org, note, summary, changes, content_before) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)`,
			d.ID, a.Version, micros(a.At), a.ActorUser, a.ActorOrg, a.Note, a.Summary, w.amendChanges, w.amendBefore); err != nil {
			return customsStaleOnDuplicate(err)
		}
	}
	if in := c.Inspection; in != nil {
		if _, err := db.txExec(ctx, tx, `INSERT INTO customs_inspections (id, declaration_id, at, inspector_user,
			inspector_org, result, samples_taken, lab_outcome, notes) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)`,
			in.ID, d.ID, micros(in.At), in.InspectorUser, in.InspectorOrg, string(in.Result), in.SamplesTaken,
			string(in.LabOutcome), in.Notes); err != nil {
			return customsStaleOnDuplicate(err)
		}
	}
	for _, a := range c.Attachments {
		doc, content := a.Document, a.Content
		if content == nil {
			content = []byte{}
		}
		if _, err := db.txExec(ctx, tx, `INSERT INTO customs_documents (id, declaration_id, kind, reference, filename,
			media_type, size, sha256, uploaded_at, uploaded_by, content) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)`,
			doc.ID, d.ID, string(doc.Kind), doc.Reference, doc.Filename, doc.MediaType, doc.Size, doc.SHA256,
			micros(doc.At), doc.By, content); err != nil {
			return customsStaleOnDuplicate(err)
		}
	}
	return nil
}

// customsStaleOnDuplicate turns a repeated history number into the Conflict it
// means: someone else's change got there first.
func customsStaleOnDuplicate(err error) error {
	if IsUniqueViolation(err) {
		return &problem.Error{Code: problem.Conflict, Message: customs.ErrStale().(*problem.Error).Message, Err: err}
	}
	return err
}

// GetDeclaration implements customs.Store.
func (db *DB) GetDeclaration(ctx context.Context, id string) (customs.Declaration, error) {
	var doc string
	st, err := db.prepared(ctx, `SELECT doc FROM customs_declarations WHERE id = $1`)
	if err != nil {
		return customs.Declaration{}, fmt.Errorf("sqlstore: get declaration: %w", err)
	}
	err = st.QueryRowContext(ctx, id).Scan(&doc)
	if err == sql.ErrNoRows {
		return customs.Declaration{}, customs.DeclarationNotFound()
	}
	if err != nil {
		return customs.Declaration{}, fmt.Errorf("sqlstore: get declaration: %w", err)
	}
	var d customs.Declaration
	if err := json.Unmarshal([]byte(doc), &d); err != nil {
		return customs.Declaration{}, fmt.Errorf("sqlstore: declaration %s: stored document: %w", id, err)
	}
	return d, nil
}

const customsSummaryCols = `id, version, declarant_org, reference, procedure, status, lane, border_post, sps_required,
	sps_status, total_kzt, created_at, updated_at, submitted_at, released_at`

func scanCustomsSummary(sc interface{ Scan(...any) error }) (customs.Summary, error) {
	var s customs.Summary
	var proc, status, lane, sps string
	var created, updated, submitted, released int64
	err := sc.Scan(&s.ID, &s.Version, &s.DeclarantOrg, &s.FunctionalReferenceID, &proc, &status, &lane, &s.BorderPost,
		&s.SPSRequired, &sps, &s.TotalKZT, &created, &updated, &submitted, &released)
	s.Procedure, s.Status, s.Lane, s.SPSStatus = customs.Procedure(proc), customs.Status(status), customs.Lane(lane), customs.SPSStatus(sps)
	s.CreatedAt, s.UpdatedAt, s.SubmittedAt, s.ReleasedAt = fromMicros(created), fromMicros(updated), fromMicros(submitted), fromMicros(released)
	return s, err
}

// customsSearchText is what a declaration list's search looks in: the
// trader's reference, the id, the parties' names, and each goods item's HS
// code and description, lower-cased here (strings.ToLower folds every
// script, which SQLite's LOWER does not).
func customsSearchText(d *customs.Declaration) string {
	parts := []string{d.FunctionalReferenceID, d.ID, d.Exporter.Name, d.Importer.Name, d.Declarant.Name, d.Carrier.Name, d.Transport.BorderPost}
	for _, it := range d.Items {
		parts = append(parts, it.ClassificationID, it.Description)
	}
	return strings.ToLower(strings.Join(parts, "\n"))
}

// ListDeclarations implements customs.Store. The WHERE clause is built from
// the filters present, with numbered placeholders, so each combination is
// one plain statement on both engines.
func (db *DB) ListDeclarations(ctx context.Context, q customs.Query) ([]customs.Summary, error) {
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if q.DeclarantOrg != "" {
		where = append(where, "declarant_org = "+arg(q.DeclarantOrg))
	}
	if len(q.Statuses) > 0 {
		ps := make([]string, len(q.Statuses))
		for i, s := range q.Statuses {
			ps[i] = arg(string(s))
		}
		where = append(where, "status IN ("+strings.Join(ps, ",")+")")
	}
	if q.ExcludeDrafts {
		where = append(where, "status <> "+arg(string(customs.StatusDraft)))
	}
	if q.Lane != customs.LaneNone {
		where = append(where, "lane = "+arg(string(q.Lane)))
	}
	if q.Procedure != "" {
		where = append(where, "procedure = "+arg(string(q.Procedure)))
	}
	if q.BorderPost != "" {
		where = append(where, "border_post = "+arg(q.BorderPost))
	}
	if q.Search != "" {
		pat := arg(likePattern(q.Search))
		where = append(where, "(search_text LIKE "+pat+" ESCAPE '\\' OR declarant_org IN (SELECT id FROM orgs WHERE LOWER(name) LIKE "+pat+" ESCAPE '\\'))")
	}
	if !q.From.IsZero() {
		where = append(where, "created_at >= "+arg(micros(q.From)))
	}
	if !q.To.IsZero() {
		where = append(where, "created_at < "+arg(micros(q.To)))
	}
	if q.SPSOnly {
		where = append(where, "sps_required = "+arg(true))
	}
	if len(q.SPSStatuses) > 0 {
		ps := make([]string, len(q.SPSStatuses))
		for i, s := range q.SPSStatuses {
			ps[i] = arg(string(s))
		}
		where = append(where, "sps_status IN ("+strings.Join(ps, ",")+")")
	}
	order := "ASC"
	if q.After != "" {
		op := ">"
		if q.Newest {
			op = "<"
		}
		where = append(where, "id "+op+" "+arg(q.After))
	}
	if q.Newest {
		order = "DESC"
	}
	limit := q.Limit
	if limit <= 0 {
		limit = customs.DefaultListLimit
	}
	stmt := `SELECT ` + customsSummaryCols + ` FROM customs_declarations`
	if len(where) > 0 {
		stmt += ` WHERE ` + strings.Join(where, " AND ")
	}
	stmt += ` ORDER BY id ` + order + ` LIMIT ` + arg(limit)
	rows, err := db.SQL.QueryContext(ctx, stmt, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list declarations: %w", err)
	}
	return collect(rows, scanCustomsSummary)
}

// eventParamsJSON is an event's parameters as stored ("" for none).
func eventParamsJSON(p *customs.EventParams) string {
	if p == nil {
		return ""
	}
	b, err := json.Marshal(p)
	if err != nil {
		panic("sqlstore: event params do not marshal: " + err.Error()) // plain fields only
	}
	return string(b)
}

// DeclarationEvents implements customs.Store.
func (db *DB) DeclarationEvents(ctx context.Context, declarationID string) ([]customs.Event, error) {
	rows, err := db.SQL.QueryContext(ctx, `SELECT declaration_id, seq, at, actor_user, actor_org, action, from_status,
		to_status, detail, kind, params FROM customs_events WHERE declaration_id = $1 ORDER BY seq`, declarationID)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: declaration events: %w", err)
	}
	return collect(rows, func(sc interface{ Scan(...any) error }) (customs.Event, error) {
		var e customs.Event
		var at int64
		var action, from, to, kind, params string
		err := sc.Scan(&e.DeclarationID, &e.Seq, &at, &e.ActorUser, &e.ActorOrg, &action, &from, &to, &e.Detail, &kind, &params)
		e.At, e.Action, e.From, e.To, e.Kind = fromMicros(at), customs.Action(action), customs.Status(from), customs.Status(to), customs.EventKind(kind)
		if err == nil && params != "" {
			e.Params = new(customs.EventParams)
			if err = json.Unmarshal([]byte(params), e.Params); err != nil {
				err = fmt.Errorf("sqlstore: event %s/%d params: %w", e.DeclarationID, e.Seq, err)
			}
		}
		return e, err
	})
}

// DeclarationAmendments implements customs.Store.
func (db *DB) DeclarationAmendments(ctx context.Context, declarationID string) ([]customs.Amendment, error) {
	rows, err := db.SQL.QueryContext(ctx, `SELECT declaration_id, version, at, actor_user, actor_org, note, summary,
		changes, content_before FROM customs_amendments WHERE declaration_id = $1 ORDER BY version`, declarationID)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: declaration amendments: %w", err)
	}
	return collect(rows, func(sc interface{ Scan(...any) error }) (customs.Amendment, error) {
		var a customs.Amendment
		var at int64
		var changes, before string
		if err := sc.Scan(&a.DeclarationID, &a.Version, &at, &a.ActorUser, &a.ActorOrg, &a.Note, &a.Summary, &changes, &before); err != nil {
			return a, err
		}
		a.At = fromMicros(at)
		if err := json.Unmarshal([]byte(changes), &a.Changes); err != nil {
			return a, fmt.Errorf("sqlstore: amendment %s/%d: %w", a.DeclarationID, a.Version, err)
		}
		if err := json.Unmarshal([]byte(before), &a.Before); err != nil {
			return a, fmt.Errorf("sqlstore: amendment %s/%d: %w", a.DeclarationID, a.Version, err)
		}
		return a, nil
	})
}

// DeclarationInspections implements customs.Store.
func (db *DB) DeclarationInspections(ctx context.Context, declarationID string) ([]customs.Inspection, error) {
	rows, err := db.SQL.QueryContext(ctx, `SELECT id, declaration_id, at, inspector_user, inspector_org, result,
		samples_taken, lab_outcome, notes FROM customs_inspections WHERE declaration_id = $1 ORDER BY at, id`, declarationID)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: declaration inspections: %w", err)
	}
	return collect(rows, func(sc interface{ Scan(...any) error }) (customs.Inspection, error) {
		var in customs.Inspection
		var at int64
		var result, lab string
		err := sc.Scan(&in.ID, &in.DeclarationID, &at, &in.InspectorUser, &in.InspectorOrg, &result, &in.SamplesTaken, &lab, &in.Notes)
		in.At, in.Result, in.LabOutcome = fromMicros(at), customs.InspectionResult(result), customs.LabOutcome(lab)
		return in, err
	})
}

// DeclarationDocument implements customs.Store.
func (db *DB) DeclarationDocument(ctx context.Context, declarationID, documentID string) ([]byte, error) {
	var b []byte
	err := db.SQL.QueryRowContext(ctx, `SELECT content FROM customs_documents WHERE id = $1 AND declaration_id = $2`,
		documentID, declarationID).Scan(&b)
	if err == sql.ErrNoRows {
		return nil, problem.New(problem.NotFound, "no such document")
	}
	if err != nil {
		return nil, fmt.Errorf("sqlstore: document content: %w", err)
	}
	return b, nil
}

// CustomsTraderProfile implements customs.Store.
func (db *DB) CustomsTraderProfile(ctx context.Context, orgID string, since time.Time) (customs.TraderProfile, error) {
	p := customs.TraderProfile{OrgID: orgID}
	st, err := db.prepared(ctx, `SELECT COUNT(*) FROM customs_declarations
		WHERE declarant_org = $1 AND status = $2 AND refused_at >= $3`)
	if err == nil {
		err = st.QueryRowContext(ctx, orgID, string(customs.StatusRefused), micros(since)).Scan(&p.Refusals)
	}
	if err != nil {
		return p, fmt.Errorf("sqlstore: trader refusals: %w", err)
	}
	if st, err = db.prepared(ctx, `SELECT aeo FROM customs_trusted_traders WHERE org_id = $1`); err != nil {
		return p, fmt.Errorf("sqlstore: trusted trader: %w", err)
	}
	err = st.QueryRowContext(ctx, orgID).Scan(&p.AEO)
	if err != nil && err != sql.ErrNoRows {
		return p, fmt.Errorf("sqlstore: trusted trader: %w", err)
	}
	return p, nil
}

// SetTrustedTrader implements customs.Store.
func (db *DB) SetTrustedTrader(ctx context.Context, t customs.TrustedTrader, rec audit.Record) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM orgs WHERE id = $1`, t.OrgID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return problem.New(problem.NotFound, "no such organisation")
		}
		res, err := tx.ExecContext(ctx, `UPDATE customs_trusted_traders SET aeo = $1, note = $2, updated_at = $3, updated_by = $4
			WHERE org_id = $5`, t.AEO, t.Note, micros(t.UpdatedAt), t.UpdatedBy, t.OrgID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			if _, err := tx.ExecContext(ctx, `INSERT INTO customs_trusted_traders (org_id, aeo, note, updated_at, updated_by)
				VALUES ($1,$2,$3,$4,$5)`, t.OrgID, t.AEO, t.Note, micros(t.UpdatedAt), t.UpdatedBy); err != nil {
				return err
			}
		}
		return appendAudit(ctx, tx, t.UpdatedAt, rec)
	})
}

// CustomsLaneStats implements customs.Store: counts and release-time sums per
// lane in one indexed scan of the period; shares and averages are integer
// arithmetic in customs.FillStats, so both engines report the same numbers.
func (db *DB) CustomsLaneStats(ctx context.Context, from, to time.Time) (customs.LaneStats, error) {
	rows, err := db.SQL.QueryContext(ctx, `SELECT lane, COUNT(*),
		CAST(COALESCE(SUM(CASE WHEN released_at > 0 THEN 1 ELSE 0 END), 0) AS BIGINT),
		CAST(COALESCE(SUM(CASE WHEN released_at > 0 THEN released_at - lane_assigned_at ELSE 0 END), 0) AS BIGINT)
		FROM customs_declarations
		WHERE lane_assigned_at >= $1 AND lane_assigned_at < $2 AND lane <> ''
		GROUP BY lane`, micros(from), micros(to))
	if err != nil {
		return customs.LaneStats{}, fmt.Errorf("sqlstore: lane stats: %w", err)
	}
	defer rows.Close()
	counts, released, sums := map[customs.Lane]int64{}, map[customs.Lane]int64{}, map[customs.Lane]int64{}
	for rows.Next() {
		var lane string
		var n, r, s int64
		if err := rows.Scan(&lane, &n, &r, &s); err != nil {
			return customs.LaneStats{}, err
		}
		l := customs.Lane(lane)
		counts[l], released[l], sums[l] = n, r, s
	}
	if err := rows.Err(); err != nil {
		return customs.LaneStats{}, err
	}
	return customs.FillStats(from, to, counts, released, sums), nil
}
