package customs

import (
	"context"

	"bricstown/internal/identity"
)

// Count is how many declarations a work list holds. A list is read up to
// MaxListLimit, as the pages behind it read it, so a count and the page it
// links to always agree; More says the list goes on past that.
type Count struct {
	N    int  `json:"count"`
	More bool `json:"more,omitempty"`
}

func countOf(list []Summary) Count {
	return Count{N: len(list), More: len(list) >= MaxListLimit}
}

// OfficerCounts is the customs officers' queues: every declaration under
// control, each lane's queue and the pre-lodged declarations awaiting
// their goods (the customs console's tabs).
type OfficerCounts struct {
	All       Count          `json:"all"`
	Lanes     map[Lane]Count `json:"lanes"`
	Prelodged Count          `json:"prelodged"`
}

// OfficerWork counts the customs officers' queues with the queries the
// console lists them with.
func (s *Service) OfficerWork(ctx context.Context, p *identity.Principal) (OfficerCounts, error) {
	all, err := s.CustomsQueue(ctx, p, LaneNone, "", MaxListLimit)
	if err != nil {
		return OfficerCounts{}, err
	}
	out := OfficerCounts{All: countOf(all), Lanes: map[Lane]Count{}}
	for _, l := range Lanes {
		list, err := s.CustomsQueue(ctx, p, l, "", MaxListLimit)
		if err != nil {
			return OfficerCounts{}, err
		}
		out.Lanes[l] = countOf(list)
	}
	pre, err := s.List(ctx, p, Query{Statuses: []Status{StatusSubmitted}, Limit: MaxListLimit})
	if err != nil {
		return OfficerCounts{}, err
	}
	out.Prelodged = countOf(pre)
	return out, nil
}

// QuarantineCounts is the quarantine queue by what each declaration awaits.
type QuarantineCounts struct {
	All                Count `json:"all"`
	AwaitingInspection int   `json:"awaiting_inspection"`
	AwaitingLab        int   `json:"awaiting_lab"`
	Held               int   `json:"held"`
}

// QuarantineWork counts the quarantine queue as its page lists it.
func (s *Service) QuarantineWork(ctx context.Context, p *identity.Principal) (QuarantineCounts, error) {
	list, err := s.QuarantineQueue(ctx, p, "", MaxListLimit)
	if err != nil {
		return QuarantineCounts{}, err
	}
	out := QuarantineCounts{All: countOf(list)}
	for _, d := range list {
		switch d.SPSStatus {
		case SPSAwaitingInspection:
			out.AwaitingInspection++
		case SPSAwaitingLab:
			out.AwaitingLab++
		case SPSHeld:
			out.Held++
			// Goods held before their inspection still await it: the
			// card says "inspection required", so the counter does too.
			full, err := s.Get(ctx, p, d.ID)
			if err != nil {
				return QuarantineCounts{}, err
			}
			if full.SPS.InspectionRequired && !full.SPS.Inspected {
				out.AwaitingInspection++
			}
		}
	}
	return out, nil
}

// DeclarantCounts is what a declarant's declarations need of it: drafts to
// complete and lodge, assessed declarations whose duties await payment or
// a guarantee, and those the authorities are still handling.
type DeclarantCounts struct {
	Drafts   int   `json:"drafts"`
	Assessed int   `json:"assessed"`
	InHand   int   `json:"in_progress"`
	Listed   Count `json:"listed"`
	Released int   `json:"released"`
}

// DeclarantWork counts the declarant's newest declarations (as its
// declarations page lists them) by what they need.
func (s *Service) DeclarantWork(ctx context.Context, p *identity.Principal) (DeclarantCounts, error) {
	list, err := s.List(ctx, p, Query{Newest: true, Limit: MaxListLimit})
	if err != nil {
		return DeclarantCounts{}, err
	}
	out := DeclarantCounts{Listed: countOf(list)}
	for _, d := range list {
		switch d.Status {
		case StatusDraft:
			out.Drafts++
		case StatusAssessed:
			out.Assessed++
			out.InHand++
		case StatusSubmitted, StatusDocumentaryCheck, StatusPhysicalInspection:
			out.InHand++
		case StatusReleased:
			out.Released++
		}
	}
	return out, nil
}
