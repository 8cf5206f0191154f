package customs

import (
	"context"
	"strings"
	"testing"
	"time"

	"bricstown/internal/identity"
	"bricstown/internal/problem"
)

// expectedFrom is the state machine written out independently of state.go.
var expectedFrom = map[Action]string{
	ActAmend:      "draft submitted",
	ActAttach:     "draft submitted assessed documentary_check physical_inspection",
	ActSubmit:     "draft",
	ActCancel:     "draft submitted assessed documentary_check physical_inspection",
	ActPay:        "assessed documentary_check physical_inspection",
	ActGuarantee:  "assessed documentary_check physical_inspection",
	ActPresent:    "submitted",
	ActDecide:     "assessed documentary_check physical_inspection",
	ActRelease:    "assessed documentary_check physical_inspection",
	ActRefuse:     "submitted assessed documentary_check physical_inspection",
	ActSPSInspect: "assessed documentary_check physical_inspection",
	ActSPSHold:    "submitted assessed documentary_check physical_inspection",
	ActSPSRelease: "submitted assessed documentary_check physical_inspection",
	ActSPSRefuse:  "submitted assessed documentary_check physical_inspection",
}

func TestTransitionTable(t *testing.T) {
	for _, a := range Actions {
		if a == ActCreate {
			continue
		}
		want := strings.Fields(expectedFrom[a])
		for _, s := range Statuses {
			if got := AllowedFrom(a, s); got != contains(want, string(s)) {
				t.Errorf("%s from %s: allowed %v", a, s, got)
			}
		}
		if AuthorityFor(a) == "" {
			t.Errorf("%s has no authority", a)
		}
	}
	for _, s := range []Status{StatusReleased, StatusRefused, StatusCancelled} {
		for _, a := range Actions {
			if AllowedFrom(a, s) {
				t.Errorf("%s allowed after the end (%s)", a, s)
			}
		}
	}
}

// reach makes a beef declaration (SPS: veterinary certificate, inspection)
// in the given status through the service.
func reach(t *testing.T, s *Service, org string, status Status) string {
	t.Helper()
	ctx := context.Background()
	p := trader(org)
	c := beef()
	if status == StatusSubmitted {
		c.ArrivalExpectedAt = t0.Add(48 * time.Hour)
	}
	d, err := s.Create(ctx, p, c)
	if err != nil {
		t.Fatal(err)
	}
	if status == StatusDraft {
		return d.ID
	}
	for _, k := range []DocumentKind{DocCommercialInvoice, DocVeterinary} {
		if _, err := s.AttachDocument(ctx, p, d.ID, NewDocument{Kind: k, Filename: string(k) + ".pdf", MediaType: "application/pdf", Content: pdf}); err != nil {
			t.Fatal(err)
		}
	}
	if d, err = s.Submit(ctx, p, d.ID); err != nil {
		t.Fatal(err)
	}
	switch status {
	case StatusSubmitted, StatusAssessed:
	case StatusDocumentaryCheck:
		d, err = s.DecideChecks(ctx, officer, d.ID, LaneYellow, "check the veterinary certificate")
	case StatusPhysicalInspection:
		d, err = s.DecideChecks(ctx, officer, d.ID, LaneRed, "open the container")
	case StatusReleased:
		if _, err = s.RecordInspection(ctx, inspector, d.ID, InspectionInput{Result: InspectionPass}); err == nil {
			d, err = s.ProvideGuarantee(ctx, p, d.ID, "G-"+p.OrgID)
		}
	case StatusRefused:
		d, err = s.Refuse(ctx, officer, d.ID, "misdeclared")
	case StatusCancelled:
		d, err = s.Cancel(ctx, p, d.ID, "order cancelled")
	}
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != status {
		t.Fatalf("reached %s, want %s", d.Status, status)
	}
	return d.ID
}

// act requests action a with valid input in the right capacity.
func act(s *Service, org string, a Action, id string) error {
	ctx := context.Background()
	p := trader(org)
	var err error
	switch a {
	case ActAmend:
		c := beef()
		c.Items[0].Description = "Beef, boneless, chilled, vacuum packed"
		_, err = s.Amend(ctx, p, id, 0, c, "")
	case ActAttach:
		_, err = s.AttachDocument(ctx, p, id, NewDocument{Kind: DocPackingList, Filename: "pl.pdf", MediaType: "application/pdf", Content: pdf})
	case ActSubmit:
		_, err = s.Submit(ctx, p, id)
	case ActCancel:
		_, err = s.Cancel(ctx, p, id, "")
	case ActPay:
		_, err = s.Pay(ctx, p, id, "acct-1")
	case ActGuarantee:
		_, err = s.ProvideGuarantee(ctx, p, id, "G-"+org)
	case ActPresent:
		_, err = s.PresentGoods(ctx, officer, id)
	case ActDecide:
		_, err = s.DecideChecks(ctx, officer, id, LaneRed, "x")
	case ActRelease:
		_, err = s.Release(ctx, officer, id, "")
	case ActRefuse:
		_, err = s.Refuse(ctx, officer, id, "x")
	case ActSPSInspect:
		_, err = s.RecordInspection(ctx, inspector, id, InspectionInput{Result: InspectionPass})
	case ActSPSHold:
		_, err = s.HoldSPS(ctx, inspector, id, "x")
	case ActSPSRelease:
		_, err = s.ReleaseSPSHold(ctx, inspector, id, "")
	case ActSPSRefuse:
		_, err = s.RefuseSPS(ctx, inspector, id, "x")
	default:
		panic(a)
	}
	return err
}

func refusedByStatus(err error) bool {
	return problem.Is(err, problem.Conflict) && strings.HasPrefix(problem.MessageOf(err), "cannot ")
}

// TestStateMachine tries every action on a declaration in every status:
// an illegal one is refused and changes nothing; a legal one is never
// refused for its status.
func TestStateMachine(t *testing.T) {
	s, st, _, _ := newService(t, quietRules(t))
	ctx := context.Background()
	n := 0
	for _, status := range Statuses {
		for _, a := range Actions {
			if a == ActCreate {
				continue
			}
			n++
			org := "org" + string(rune('A'+n%26)) + string(rune('a'+n/26))
			id := reach(t, s, org, status)
			before, _ := st.GetDeclaration(ctx, id)
			err := act(s, org, a, id)
			after, _ := st.GetDeclaration(ctx, id)
			if AllowedFrom(a, status) {
				if refusedByStatus(err) {
					t.Errorf("%s from %s refused: %v", a, status, err)
				}
				continue
			}
			if err == nil {
				t.Errorf("%s from %s allowed", a, status)
				continue
			}
			if after.Version != before.Version {
				t.Errorf("%s from %s: refused but stored (v%d → v%d)", a, status, before.Version, after.Version)
			}
			visible := AuthorityFor(a) == ByDeclarant || status != StatusDraft
			if visible && !refusedByStatus(err) {
				t.Errorf("%s from %s: want a Conflict about the status, got %v", a, status, err)
			}
			if !visible {
				mustCode(t, err, problem.NotFound)
			}
		}
	}
}

// TestWrongCapacity: each action is refused to every other capacity.
func TestWrongCapacity(t *testing.T) {
	s, _, _, _ := newService(t, quietRules(t))
	ctx := context.Background()
	id := reach(t, s, "acme", StatusAssessed)
	// A trader of the declarant org cannot act as customs or quarantine.
	p := trader("acme")
	for _, call := range []func() error{
		func() error { _, err := s.Release(ctx, p, id, ""); return err },
		func() error { _, err := s.DecideChecks(ctx, p, id, LaneGreen, "x"); return err },
		func() error { _, err := s.Refuse(ctx, p, id, "x"); return err },
		func() error { _, err := s.HoldSPS(ctx, p, id, "x"); return err },
		func() error {
			_, err := s.RecordInspection(ctx, p, id, InspectionInput{Result: InspectionPass})
			return err
		},
		func() error { _, err := s.PresentGoods(ctx, p, id); return err },
	} {
		mustCode(t, call(), problem.Forbidden)
	}
	// Customs cannot pay, amend or act for quarantine; quarantine cannot release.
	mustCode(t, func() error { _, err := s.Pay(ctx, officer, id, "a"); return err }(), problem.Forbidden)
	mustCode(t, func() error { _, err := s.Cancel(ctx, officer, id, ""); return err }(), problem.Forbidden)
	mustCode(t, func() error { _, err := s.HoldSPS(ctx, officer, id, "x"); return err }(), problem.Forbidden)
	mustCode(t, func() error { _, err := s.Release(ctx, inspector, id, ""); return err }(), problem.Forbidden)
	// The customs role outside a customs authority is no customs officer.
	fake := &identity.Principal{UserID: "u", OrgID: "acme", OrgKind: identity.KindCompany, Roles: []identity.Role{identity.CustomsOfficer, identity.Trader}}
	mustCode(t, func() error { _, err := s.Release(ctx, fake, id, ""); return err }(), problem.Forbidden)
}
