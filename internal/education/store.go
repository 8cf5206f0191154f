package education

import (
	"context"
	"time"

	"bricstown/internal/audit"
)

// EnrolmentQuery selects enrolments; zero fields do not filter. Newest first.
type EnrolmentQuery struct {
	CourseID string
	Party    string
	OrgID    string
	Limit    int
}

// ExchangeQuery selects exchange applications: those of a party, or those
// naming an institution as home or host. Newest first.
type ExchangeQuery struct {
	Party       string
	Institution string
	Limit       int
}

// Store is the education zone's storage. Lookups answer problem.NotFound
// when nothing matches; every write appends its audit record in the same
// transaction. Seats, money and refunds are the booking engine's: this
// store keeps the catalogue, the enrolments' course life, certificates and
// exchange applications.
type Store interface {
	CreatePartner(ctx context.Context, p Partner, rec audit.Record) error
	ListPartners(ctx context.Context, org string) ([]Partner, error)
	CreateProgramme(ctx context.Context, p Programme, rec audit.Record) error
	GetProgramme(ctx context.Context, id string) (Programme, error)
	// ListProgrammes lists the programmes of org ("" for every provider).
	ListProgrammes(ctx context.Context, org string, limit int) ([]Programme, error)
	// CreateCourse writes a course whose booking resource exists already.
	CreateCourse(ctx context.Context, c Course, rec audit.Record) error
	GetCourse(ctx context.Context, id string) (Course, error)
	// ListCourses lists the courses of org ("" for every provider), soonest
	// first, with their enrolled counts.
	ListCourses(ctx context.Context, org string, limit int) ([]Course, error)

	// CreateEnrolment writes the enrolment of a booking, or, when that
	// booking has one already (a retry), answers it (created false). A
	// party already enrolled on the course (enrolled or completed) answers
	// problem.Conflict with field course_id.
	CreateEnrolment(ctx context.Context, e Enrolment, rec audit.Record) (Enrolment, bool, error)
	GetEnrolment(ctx context.Context, id string) (Enrolment, error)
	ListEnrolments(ctx context.Context, q EnrolmentQuery) ([]Enrolment, error)
	// MoveEnrolment changes an enrolment's status from from to to as one
	// guarded statement: problem.Conflict (field status) when it is not in
	// from. Moving to completed records when.
	MoveEnrolment(ctx context.Context, id string, from, to Status, at time.Time, rec audit.Record) (Enrolment, error)

	// IssueCertificate writes the certificate of a completed enrolment, or
	// answers the one it has (created false); an enrolment not completed
	// answers problem.Conflict (field status), checked in the same
	// transaction.
	IssueCertificate(ctx context.Context, c Certificate, rec audit.Record) (Certificate, bool, error)
	CertificateByCode(ctx context.Context, code string) (Certificate, error)
	// ListCertificates lists the certificates of a party or of a provider.
	ListCertificates(ctx context.Context, party, org string, limit int) ([]Certificate, error)

	CreateExchange(ctx context.Context, x Exchange, rec audit.Record) error
	GetExchange(ctx context.Context, id string) (Exchange, error)
	ListExchanges(ctx context.Context, q ExchangeQuery) ([]Exchange, error)
	// MoveExchange applies a guarded status change (the status must be
	// from): problem.Conflict (field status) otherwise.
	MoveExchange(ctx context.Context, m ExchangeMove, rec audit.Record) (Exchange, error)
}

// ExchangeMove is one step of an application's workflow.
type ExchangeMove struct {
	ID         string
	From       ExchangeStatus
	To         ExchangeStatus
	Step       string // home or host: sets its decision time; "" for the student's withdrawal
	RejectedBy string
	Reason     string
	At         time.Time
}
