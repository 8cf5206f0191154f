// Package clinic is the town's medical and wellness zone (issue 12): a
// clinic's doctors and wellness packages are resources of the booking
// engine (internal/booking), so a doctor's slot is never double-booked and
// a paid consultation is paid through the ledger exactly like any other
// booking. On top of the engine it keeps what is medical: who the patient
// and the treating doctor of each consultation are, the doctor's notes and
// prescriptions, and the consultation room, a browser-to-browser WebRTC
// call whose offer, answer and ICE candidates travel through the platform
// itself (POST in, server-sent events out), no third-party service.
//
// Medical records are visible only to the patient, the treating doctor and
// the clinic's administrators (its org_admin users); anyone else is told
// the consultation does not exist. The room is open only to the patient
// and the treating doctor, and only from RoomOpensBefore the start to the
// end of the booked slot. Audit entries carry references, never medical
// content.
//
// Roles: a clinic's doctors are its users with the clinician role, its
// administrators its org_admin users; both are granted downward by the
// identity rules (internal/identity/grant.go), so nobody grants what it
// does not hold.
package clinic

import (
	"strings"
	"time"
	"unicode/utf8"

	"bricstown/internal/problem"
)

// RoomOpensBefore is how long before a consultation's start its room
// opens, so both sides can check camera and microphone.
const RoomOpensBefore = 10 * time.Minute

// Limits on what people type.
const (
	MaxNote       = 10_000
	MaxField      = 200
	MaxSignal     = 64 << 10 // an SDP offer with many candidates stays far below
	MaxSignalsOut = 200
	// MaxSignalsPerRoom bounds what one consultation's room keeps: a call
	// needs a few dozen (hello, offer, answer, candidates, a renegotiation
	// or two), and without a bound a participant could fill the database
	// at MaxSignal a message for as long as the slot lasts.
	MaxSignalsPerRoom = 2000
)

// Modes of a consultation.
const (
	Telemedicine = "telemedicine"
	InPerson     = "in_person"
)

// Specialties a doctor may have.
var Specialties = []string{"general", "cardiology", "traditional_medicine", "paediatrics", "dermatology", "neurology", "rehabilitation"}

// PackageKinds are the wellness packages the zone offers.
var PackageKinds = []string{"hot_springs", "traditional_medicine"}

// Doctor is a clinician of a clinic with a bookable calendar: its ID is the
// booking resource's.
type Doctor struct {
	ID           string    `json:"id"`
	ClinicOrg    string    `json:"clinic_org"`
	UserID       string    `json:"user_id"`
	Name         string    `json:"name"`
	Specialty    string    `json:"specialty"`
	Telemedicine bool      `json:"telemedicine"`
	InPerson     bool      `json:"in_person"`
	CreatedAt    time.Time `json:"created_at"`
}

// Package is a wellness package: its ID is the booking resource's, whose
// capacity is the places per session.
type Package struct {
	ID          string    `json:"id"`
	ClinicOrg   string    `json:"clinic_org"`
	Kind        string    `json:"kind"`
	Description string    `json:"description"`
	CreatedAt   time.Time `json:"created_at"`
}

// Consultation statuses.
const (
	Booked    = "booked"
	Cancelled = "cancelled"
)

// Consultation is one booked slot of a doctor: its ID is the booking's.
type Consultation struct {
	ID          string    `json:"id"`
	ClinicOrg   string    `json:"clinic_org"`
	DoctorID    string    `json:"doctor_id"`
	DoctorUser  string    `json:"doctor_user"`
	PatientOrg  string    `json:"patient_org"`
	PatientUser string    `json:"patient_user"`
	Mode        string    `json:"mode"`
	Start       time.Time `json:"start"`
	End         time.Time `json:"end"`
	Status      string    `json:"status"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// Note is a doctor's clinical note on a consultation.
type Note struct {
	ID             string    `json:"id"`
	ConsultationID string    `json:"consultation_id"`
	AuthorUser     string    `json:"author_user"`
	Text           string    `json:"text"`
	CreatedAt      time.Time `json:"created_at"`
}

// Prescription is a medicine the doctor prescribed.
type Prescription struct {
	ID             string    `json:"id"`
	ConsultationID string    `json:"consultation_id"`
	AuthorUser     string    `json:"author_user"`
	Medicine       string    `json:"medicine"`
	Dose           string    `json:"dose"`
	Duration       string    `json:"duration"`
	CreatedAt      time.Time `json:"created_at"`
}

// Signal kinds a room relays.
var SignalKinds = []string{"hello", "offer", "answer", "candidate", "bye"}

// Signal is one WebRTC signalling message of a room, from one side to the
// other; Seq orders a room's signals.
type Signal struct {
	ConsultationID string    `json:"consultation_id"`
	Seq            int64     `json:"seq"`
	From           string    `json:"from"`
	Kind           string    `json:"kind"`
	Data           string    `json:"data"`
	CreatedAt      time.Time `json:"created_at"`
}

// text checks a typed field: trimmed, present when required, not too
// long, no control characters other than line breaks when multiline.
func text(f problem.Fields, field, s string, max int, required, multiline bool) string {
	s = strings.TrimSpace(s)
	switch {
	case s == "" && required:
		f.Add(field, "required")
	case !utf8.ValidString(s):
		f.Add(field, "must be valid UTF-8")
	case utf8.RuneCountInString(s) > max:
		f.Addf(field, "at most %d characters", max)
	case strings.ContainsFunc(s, func(c rune) bool {
		return (c < 0x20 && !(multiline && (c == '\n' || c == '\r' || c == '\t'))) || c == 0x7f
	}):
		f.Add(field, "must not contain control characters")
	}
	return s
}

// RoomState says whether a consultation's room is open at now: "" when it
// is, "not yet open" before RoomOpensBefore the start, "closed" from the
// end on or once cancelled.
func (c *Consultation) RoomState(now time.Time) string {
	switch {
	case c.Status != Booked:
		return "closed"
	case now.Before(c.Start.Add(-RoomOpensBefore)):
		return "not yet open"
	case !now.Before(c.End):
		return "closed"
	}
	return ""
}
