package expo

import (
	"context"
	"time"

	"bricstown/internal/audit"
)

// Store is the expos' storage. Lookups answer problem.NotFound when nothing
// matches; every write appends its audit record in the same transaction.
type Store interface {
	CreateExpo(ctx context.Context, e Expo, rec audit.Record) error
	GetExpo(ctx context.Context, id string) (Expo, error)
	ListExpos(ctx context.Context, limit int) ([]Expo, error)
	// CreateHall and CreateBooth answer problem.Conflict when the name, the
	// code or the position is taken in the expo or hall.
	CreateExpoHall(ctx context.Context, h Hall, at time.Time, rec audit.Record) error
	ListExpoHalls(ctx context.Context, expoID string) ([]Hall, error)
	CreateExpoBooth(ctx context.Context, b Booth, at time.Time, rec audit.Record) error
	GetExpoBooth(ctx context.Context, id string) (Booth, error)
	// ListBooths answers the booths with their derived status.
	ListExpoBooths(ctx context.Context, expoID string) ([]Booth, error)

	// Apply writes an application: problem.Conflict when the organisation
	// has already applied for the expo.
	ApplyExpo(ctx context.Context, a Application, rec audit.Record) error
	GetExpoApplication(ctx context.Context, id string) (Application, error)
	// ListApplications lists an expo's applications (org: only its own).
	ListExpoApplications(ctx context.Context, expoID, org string) ([]Application, error)
	// Decide moves a pending application to approved or rejected, guarded:
	// problem.Conflict when it is no longer pending.
	DecideApplication(ctx context.Context, id string, to AppStatus, at time.Time, rec audit.Record) (Application, error)
	// Allocate gives a free booth of the expo to an approved application
	// without a booth, in one serializable transaction of guarded updates:
	// problem.Conflict (field booth_id) when the booth is taken, (field
	// status) when the application is not approved or has a booth.
	AllocateBooth(ctx context.Context, expoID, applicationID, boothID string, at time.Time, rec audit.Record) (Application, error)
	// MarkPaid records a fee paid (once: a paid application is left as it
	// is and no audit entry is written).
	MarkFeePaid(ctx context.Context, id, payFrom, transfer string, at time.Time, rec audit.Record) (Application, error)

	AddExpoShowcase(ctx context.Context, s ShowcaseItem, rec audit.Record) error
	ListExpoShowcase(ctx context.Context, expoID string) ([]ShowcaseItem, error)
	// RegisterBuyer registers a buyer (again: the first registration).
	RegisterExpoBuyer(ctx context.Context, b Buyer, rec audit.Record) (Buyer, bool, error)
	ListExpoBuyers(ctx context.Context, expoID string) ([]Buyer, error)

	// RequestMeeting writes a request: problem.Conflict when the two
	// organisations already have one, in either direction.
	RequestMeeting(ctx context.Context, m MeetingRequest, rec audit.Record) error
	GetMeetingRequest(ctx context.Context, id string) (MeetingRequest, error)
	// ListRequests lists an expo's requests (org: those it sent or got).
	ListMeetingRequests(ctx context.Context, expoID, org string) ([]MeetingRequest, error)
	// Answer moves a requested request to accepted or declined, guarded.
	AnswerMeetingRequest(ctx context.Context, id string, to RequestStatus, at time.Time, rec audit.Record) (MeetingRequest, error)

	// SaveSchedule replaces an expo's timetable and its run in one
	// transaction.
	SaveExpoSchedule(ctx context.Context, r Run, ms []Meeting, rec audit.Record) error
	ExpoRun(ctx context.Context, expoID string) (Run, error)
	// ListMeetings lists an expo's placed meetings (org: its own), in time
	// order.
	ListExpoMeetings(ctx context.Context, expoID, org string) ([]Meeting, error)
}
