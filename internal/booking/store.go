package booking

import (
	"context"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/problem"
)

// ResourceQuery selects resources; zero fields do not filter. Ordered by
// name, then id.
type ResourceQuery struct {
	OwnerOrg   string
	PublicOnly bool
	Kind       string
	// ManagedBy: only the resources this service manages (empty: only
	// the engine's own). Withdrawn resources are never listed.
	ManagedBy string
	After     string // id cursor
	Limit     int
}

// BookingQuery selects bookings; zero fields do not filter. Ordered by
// start, then id.
type BookingQuery struct {
	Party      string
	ResourceID string
	OwnerOrg   string
	From, To   time.Time // bookings overlapping [From, To)
	Limit      int
}

// Take is one attempt to take a place: the booking to write and the
// window whose live bookings compete with it (Resource.Window).
type Take struct {
	Booking      Booking
	Capacity     int
	WindowFrom   time.Time
	WindowTo     time.Time
	OfferMinutes int
	Now          time.Time
	// ResourceAt is the resource's UpdatedAt as the service read it (its
	// capacity, hours, price and account decided this take): if the
	// resource was updated since, the store refuses the take with
	// ErrResourceChanged and writes nothing, and the service reads the
	// resource again. It lets the service keep resources in memory
	// between bookings (see resourceCache).
	ResourceAt time.Time
}

// ErrResourceChanged is the store's refusal of a take whose resource was
// updated after the service read it.
// (A problem.Error, so that the store's batch takes it for a refusal
// before any write, not a failure to write again without it.)
var ErrResourceChanged = &problem.Error{Code: problem.Conflict, Message: "the resource changed since it was read"}

// Store is the booking engine's storage. Lookups answer problem.NotFound
// when nothing matches; every write appends its audit record in the same
// transaction.
type Store interface {
	CreateResource(ctx context.Context, r Resource, rec audit.Record) error
	// UpdateResource replaces a resource's settings (not its owner).
	UpdateResource(ctx context.Context, r Resource, rec audit.Record) error
	GetResource(ctx context.Context, id string) (Resource, error)
	ListResources(ctx context.Context, q ResourceQuery) ([]Resource, error)

	// BookSlot takes one place in one transaction as exact as a
	// serializable one (no other take on the resource runs meanwhile): a
	// booking with the same Key answers that booking (created false); it
	// refuses with ErrResourceChanged a take decided on an older resource
	// (Take.ResourceAt); otherwise
	// the waiting list's first parties are offered the places that are
	// free, and the booking is written only when a place is left for its
	// party (its own live offer counts as one). It answers
	// problem.Conflict with field "start" = "full" when none is.
	BookSlot(ctx context.Context, t Take, rec audit.Record) (b Booking, created bool, err error)
	GetBooking(ctx context.Context, id string) (Booking, error)
	BookingByKey(ctx context.Context, key string) (Booking, error)
	ListBookings(ctx context.Context, q BookingQuery) ([]Booking, error)
	// StaleConfirmations lists bookings left confirming since before
	// before (a process stopped between the ledger's post and the
	// booking's last move), oldest first, at most limit.
	StaleConfirmations(ctx context.Context, before time.Time, limit int) ([]Booking, error)
	// MoveBooking changes a booking's status from one of from to to, as
	// one guarded statement: problem.Conflict when its status is none of
	// them (someone else moved it first). When liveUntil is set the hold
	// must still be live then (confirmation). refund, when set, records
	// the amount due back. Leaving a live status offers the freed place
	// to the waiting list in the same transaction.
	MoveBooking(ctx context.Context, m Move, rec audit.Record) (Booking, error)
	// DropBooking deletes a held booking the ledger refused to reserve.
	DropBooking(ctx context.Context, id string, rec audit.Record) error
	// WithdrawnBookings lists the bookings on withdrawn resources that
	// are still live or owe a refund, oldest first, at most limit (what
	// the sweeper finishes).
	WithdrawnBookings(ctx context.Context, limit int) ([]Booking, error)
	// RefundPaid clears a booking's refund due.
	RefundPaid(ctx context.Context, id string, at time.Time, rec audit.Record) error

	// JoinWait puts a party in the queue of a slot that is full (t's
	// window and capacity, as for BookSlot): problem.Conflict with field
	// "start" = "places are free" otherwise. A party already queued gets
	// its entry back.
	JoinWait(ctx context.Context, w Wait, t Take, rec audit.Record) (Wait, error)
	ListWaits(ctx context.Context, party string, now time.Time) ([]Wait, error)
}

// Move is a guarded status change of a booking.
type Move struct {
	ID           string
	From         []Status
	To           Status
	LiveAt       time.Time // zero: no check of the hold
	Refund       int64
	At           time.Time
	OfferMinutes int // how long the freed place is offered to the queue (never on a withdrawn resource)
	// Own, when set, moves the booking only if it is this party's, free
	// (no price) and on a resource managed by Own.Via; otherwise nothing
	// moves and the store answers ErrNotMoved without saying why (the
	// caller reads the booking to find out). It lets the usual
	// confirmation go without a read first. The audit record's
	// organisation, when empty, is the booking's owner.
	Own *MoveOwn
}

// MoveOwn is Move.Own's condition.
type MoveOwn struct {
	Party string
	Via   string
}

// ErrNotMoved is the store's answer to a Move with Own whose booking did
// not match: nothing was written.
// (A problem.Error, so that the store's batch takes it for a refusal
// before any write.)
var ErrNotMoved = &problem.Error{Code: problem.Conflict, Message: "the booking did not match the move's conditions"}
