package home

import (
	"context"
	"time"

	"bricstown/internal/clinic"
	"bricstown/internal/identity"
)

// Clinic is the medical zone's work: a doctor's consultations still to
// come today, and a patient's booked consultations to come. Both lists are
// the rows the clinic pages show (DoctorDay, Mine).
type Clinic struct {
	Today    []string `json:"today"`    // consultation ids, as treating doctor
	Upcoming []string `json:"upcoming"` // consultation ids, as patient
}

// ClinicWork reads p's clinic work at now; nil when p has none.
func ClinicWork(ctx context.Context, cs *clinic.Service, p *identity.Principal, now time.Time) (*Clinic, error) {
	c := Clinic{Today: []string{}, Upcoming: []string{}}
	if p.Has(identity.Clinician) {
		_, list, err := cs.DoctorDay(ctx, p, "")
		if err != nil {
			return nil, err
		}
		for _, x := range list {
			if x.Status == clinic.Booked && x.End.After(now) {
				c.Today = append(c.Today, x.ID)
			}
		}
	}
	mine, err := cs.Mine(ctx, p)
	if err != nil {
		return nil, err
	}
	for _, x := range mine {
		if x.Status == clinic.Booked && x.End.After(now) {
			c.Upcoming = append(c.Upcoming, x.ID)
		}
	}
	if !p.Has(identity.Clinician) && len(c.Upcoming) == 0 {
		return nil, nil
	}
	return &c, nil
}
