package clinic

import (
	"context"
	"time"

	"bricstown/internal/audit"
)

// ConsultationQuery selects consultations; zero fields do not filter, but
// at least one of PatientUser, DoctorUser and ClinicOrg is always set by
// the service. Ordered by start, then id.
type ConsultationQuery struct {
	PatientUser string
	PatientOrg  string
	DoctorUser  string
	ClinicOrg   string
	From, To    time.Time // starting in [From, To); zero: unbounded
	Limit       int
}

// Store is the clinic's storage. Lookups answer problem.NotFound when
// nothing matches; every write of a record appends its audit record in the
// same transaction. Signals are transport, not records: they are not
// audited.
type Store interface {
	CreateDoctor(ctx context.Context, d Doctor, rec audit.Record) error
	GetDoctor(ctx context.Context, id string) (Doctor, error)
	ListDoctors(ctx context.Context, clinicOrg string) ([]Doctor, error)

	CreatePackage(ctx context.Context, p Package, rec audit.Record) error
	GetPackage(ctx context.Context, id string) (Package, error)
	ListPackages(ctx context.Context, clinicOrg string) ([]Package, error)

	// CreateConsultation writes c unless a consultation with its id (the
	// booking's) exists; either way it answers the stored one, so a
	// retried booking finds its consultation.
	CreateConsultation(ctx context.Context, c Consultation, rec audit.Record) (Consultation, error)
	GetConsultation(ctx context.Context, id string) (Consultation, error)
	ListConsultations(ctx context.Context, q ConsultationQuery) ([]Consultation, error)
	// CancelConsultation moves a booked consultation to cancelled.
	CancelConsultation(ctx context.Context, id string, at time.Time, rec audit.Record) (Consultation, error)

	AddNote(ctx context.Context, n Note, rec audit.Record) error
	AddPrescription(ctx context.Context, rx Prescription, rec audit.Record) error
	Notes(ctx context.Context, consultationID string) ([]Note, error)
	Prescriptions(ctx context.Context, consultationID string) ([]Prescription, error)

	// AddSignal appends a signal to its room with the next sequence
	// number, or refuses it (problem.TooLarge) when the room holds max
	// signals already.
	AddSignal(ctx context.Context, s Signal, max int) (Signal, error)
	// Signals lists a room's signals after seq that did not come from
	// notFrom, oldest first, at most limit.
	Signals(ctx context.Context, consultationID string, after int64, notFrom string, limit int) ([]Signal, error)
	// DeleteClosedRoomSignals deletes the signals of every room closed at
	// now (the consultation ended or is no longer booked; RoomState) and
	// says how many it deleted.
	DeleteClosedRoomSignals(ctx context.Context, now time.Time) (int64, error)
}
