package logistics

import (
	"context"
	"slices"
	"strings"
	"time"
)

// Declared is what a customs declaration says about moving its goods, as
// the declarant's trader may read it: where they cross a customs border,
// between which countries, how heavy and in how many containers.
type Declared struct {
	DeclarantOrg string
	// Reference is the trader's own reference of the declaration (LRN).
	Reference string
	// BorderPost is the UN/LOCODE where the goods cross.
	BorderPost string
	// ExporterCountry and ImporterCountry are ISO 3166 alpha-2 codes.
	ExporterCountry, ImporterCountry string
	// GrossMassGrams is the goods items' gross mass summed.
	GrossMassGrams int64
	// Containers is the number of ISO 6346 containers declared.
	Containers int
	// ArrivalExpectedAt is when a pre-lodged declaration expects the goods
	// at the border post (zero otherwise).
	ArrivalExpectedAt time.Time
	// Goods are the goods items' descriptions, for the shipments list's
	// search (what the trader remembers a consignment by).
	Goods []string
}

// Prefill rules for a shipment entered from a declaration.
const (
	// TEUPerContainer: a declared container number says nothing of its
	// size, and China–Europe block trains carry mostly 40-foot boxes, so a
	// container counts as 2 TEU: never less room than the boxes take (a
	// trader with 20-foot boxes states teu).
	TEUPerContainer = 2
	// DefaultShipWindow is the deadline after ready_at when the declaration
	// gives none (an assumption: about a corridor's longest transit).
	DefaultShipWindow = 30 * 24 * time.Hour
)

// prefill completes a shipment input from its declaration; what the trader
// stated stays. Size (teu and kg) is taken from the declaration only when
// the trader gave neither.
func (s *Service) prefill(ctx context.Context, in *ShipmentInput, d Declared, now time.Time) error {
	if strings.TrimSpace(in.Reference) == "" {
		in.Reference = clip(d.Reference, 64)
	}
	if in.TEU == 0 && in.Kg == 0 {
		in.TEU = int64(d.Containers) * TEUPerContainer
		in.Kg = (d.GrossMassGrams + 999) / 1000
	}
	if strings.TrimSpace(in.Origin) == "" || strings.TrimSpace(in.Destination) == "" {
		from, to, err := s.crossing(ctx, d, now)
		if err != nil {
			return err
		}
		if strings.TrimSpace(in.Origin) == "" {
			in.Origin = from
		}
		if strings.TrimSpace(in.Destination) == "" {
			in.Destination = to
		}
	}
	if strings.TrimSpace(in.ReadyAt) == "" {
		in.ReadyAt = now.Truncate(time.Second).Format(time.RFC3339)
	}
	if strings.TrimSpace(in.Deadline) == "" {
		ready, err := time.Parse(time.RFC3339, strings.TrimSpace(in.ReadyAt))
		if err != nil {
			return nil // ready_at is refused on its own field
		}
		deadline := ready.Add(DefaultShipWindow)
		if post, ok := s.cfg.Ref.Location(d.BorderPost); ok && post.Code == strings.ToUpper(strings.TrimSpace(in.Destination)) &&
			d.ArrivalExpectedAt.After(ready) {
			deadline = d.ArrivalExpectedAt // pre-lodged: customs expects the goods at the post then
		}
		in.Deadline = deadline.UTC().Truncate(time.Second).Format(time.RFC3339)
	}
	return nil
}

// crossing picks the origin and destination of the declaration's border
// crossing: the nodes of the scheduled leg that crosses at its border post
// from the exporter's country into the importer's (the most frequent such
// leg, then the first by code), else the post itself on the side of the
// border it lies on ("" where nothing says).
func (s *Service) crossing(ctx context.Context, d Declared, now time.Time) (from, to string, err error) {
	post, ok := s.cfg.Ref.Location(d.BorderPost)
	if !ok {
		return "", "", nil
	}
	deps, err := s.openDepartures(ctx, now)
	if err != nil {
		return "", "", err
	}
	count := map[[2]string]int{}
	for _, dep := range deps {
		if dep.BorderPost != post.Code {
			continue
		}
		f, okF := s.cfg.Ref.Location(dep.From)
		t, okT := s.cfg.Ref.Location(dep.To)
		if okF && okT && f.Country == d.ExporterCountry && t.Country == d.ImporterCountry {
			count[[2]string{dep.From, dep.To}]++
		}
	}
	if len(count) > 0 {
		legs := make([][2]string, 0, len(count))
		for k := range count {
			legs = append(legs, k)
		}
		slices.SortFunc(legs, func(a, b [2]string) int {
			if count[a] != count[b] {
				return count[b] - count[a]
			}
			return strings.Compare(a[0]+a[1], b[0]+b[1])
		})
		return legs[0][0], legs[0][1], nil
	}
	switch post.Country {
	case d.ImporterCountry:
		return "", post.Code, nil
	case d.ExporterCountry:
		return post.Code, "", nil
	}
	return "", "", nil
}
