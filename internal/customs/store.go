package customs

import (
	"context"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/problem"
)

// Change is one transition of one declaration, written atomically: the new
// state, the history it adds and the audit records that explain it. The
// service computes it; the store only writes it, so every rule lives in one
// place and the store needs no knowledge of customs.
type Change struct {
	// Declaration is the state after the change. Its Version must be
	// BaseVersion+1.
	Declaration Declaration
	// BaseVersion is the version the change was computed from; 0 creates
	// the declaration. The store refuses the change with problem.Conflict if
	// the stored version is no longer BaseVersion, so of two officers
	// deciding at once exactly one wins.
	BaseVersion int64
	Events      []Event
	Reasons     []RiskReason // appended to the declaration's reasons
	Amendment   *Amendment
	Inspection  *Inspection
	// Attachments are documents added by the change, with their bytes.
	Attachments []Attachment
	Audit       []audit.Record
}

// Attachment is a document and its content, stored together.
type Attachment struct {
	Document Document
	Content  []byte
}

// Query selects declarations for lists and queues. Zero fields do not
// filter. Results are ordered by id (UUIDv7: creation order), ascending for
// queues (oldest first) or descending with Newest.
type Query struct {
	DeclarantOrg string
	Statuses     []Status
	Lane         Lane
	Procedure    Procedure
	BorderPost   string
	// Search is found case-insensitively inside the trader's reference, the
	// id, the declarant's name, the parties' names, HS codes and goods
	// descriptions (at most MaxSearch characters).
	Search string
	// From and To bound the creation time, [From, To); zero is open.
	From, To time.Time
	// ExcludeDrafts hides drafts, which only their declarant sees.
	ExcludeDrafts bool
	// SPSOnly keeps declarations under quarantine control.
	SPSOnly     bool
	SPSStatuses []SPSStatus
	Newest      bool
	After       string // id cursor: continue after this id
	Limit       int
}

// Store is customs' storage. Lookups answer problem.NotFound when nothing
// matches. Method names carry "Declaration" or "Customs" because every
// domain's store is implemented on the same sqlstore.DB.
type Store interface {
	// ApplyDeclarationChange writes a change atomically with its events,
	// reasons, amendment, inspection, document and audit records, or
	// nothing.
	ApplyDeclarationChange(ctx context.Context, c Change) error
	GetDeclaration(ctx context.Context, id string) (Declaration, error)
	ListDeclarations(ctx context.Context, q Query) ([]Summary, error)
	DeclarationEvents(ctx context.Context, declarationID string) ([]Event, error)
	DeclarationAmendments(ctx context.Context, declarationID string) ([]Amendment, error)
	DeclarationInspections(ctx context.Context, declarationID string) ([]Inspection, error)
	// DeclarationDocument reads an attachment's bytes.
	DeclarationDocument(ctx context.Context, declarationID, documentID string) ([]byte, error)
	// CustomsTraderProfile is the org's AEO status and its refusals since
	// since, what the risk engine weighs about a declarant.
	CustomsTraderProfile(ctx context.Context, orgID string, since time.Time) (TraderProfile, error)
	// SetTrustedTrader grants or withdraws AEO status; NotFound for an
	// unknown org.
	SetTrustedTrader(ctx context.Context, t TrustedTrader, rec audit.Record) error
	// CustomsLaneStats counts declarations by lane over those assigned a
	// lane in [from, to), with release times.
	CustomsLaneStats(ctx context.Context, from, to time.Time) (LaneStats, error)
}

// ErrStale is the Conflict a store returns when a change's BaseVersion is
// no longer the stored version.
func ErrStale() error {
	return problem.New(problem.Conflict, "the declaration was changed by someone else at the same time; reload it and try again")
}

// DeclarationNotFound is the answer for unknown and foreign declarations
// alike, so that ids cannot be probed.
func DeclarationNotFound() error { return problem.New(problem.NotFound, "no such declaration") }

// FillStats completes raw per-lane counts into shares and averages; stores
// share it so that every engine reports alike. sums are total microseconds
// from lane assignment to release per lane.
func FillStats(from, to time.Time, counts, released, sumMicros map[Lane]int64) LaneStats {
	st := LaneStats{From: from, To: to}
	for _, l := range Lanes {
		st.Total += counts[l]
	}
	for _, l := range Lanes {
		ls := LaneStat{Lane: l, Count: counts[l], Released: released[l]}
		if st.Total > 0 {
			ls.ShareBps = ls.Count * 10_000 / st.Total
		}
		if ls.Released > 0 {
			ls.AvgTimeToRelease = time.Duration(sumMicros[l]/ls.Released) * time.Microsecond
		}
		st.Lanes = append(st.Lanes, ls)
	}
	return st
}
