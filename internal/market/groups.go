package market

import (
	"context"
	"strings"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/identity"
	"bricstown/internal/problem"

	"github.com/google/uuid"
)

// BuyerGroup is a seller's named set of buyer organisations ("Wholesale
// partners Brazil"), so that one contract price reaches every member. It
// is the seller's private data: nobody else lists it, not even its
// members, who only ever see the price it gives them.
type BuyerGroup struct {
	ID        string    `json:"id"`
	SellerOrg string    `json:"seller_org"`
	Name      string    `json:"name"`
	Members   []string  `json:"members"` // buyer organisation ids, in the order added
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by"`
}

// Limits of buyer groups: enough for any price list, small enough that a
// seller's whole set of groups is one page.
const (
	MaxGroupNameLen = 100
	MaxGroups       = 100 // per seller
	MaxGroupMembers = 500 // per group
)

// NewBuyerGroup is what a seller types to create or rename a group.
type NewBuyerGroup struct {
	Name string `json:"name"`
}

// NewGroupMember names the buyer organisation to add to a group.
type NewGroupMember struct {
	BuyerOrg string `json:"buyer_org"`
}

// AppliedPrice is a contract price in force that names a buyer, directly
// (ViaGroup false) or through one of the seller's groups it is a member of.
type AppliedPrice struct {
	ProductID string
	UnitPrice int64
	ViaGroup  bool
}

// EffectivePrices is the one rule for which contract price a buyer pays
// when several are in force on the same day: the buyer's own contract
// price wins over any group price (the seller negotiated it with that
// buyer); among group prices the lowest unit price wins (a buyer in two
// groups is not charged more for being in the second). Products absent
// from the result are at their list price.
func EffectivePrices(list []AppliedPrice) map[string]int64 {
	out := make(map[string]int64, len(list))
	own := map[string]bool{}
	for _, a := range list {
		switch cur, seen := out[a.ProductID]; {
		case !a.ViaGroup:
			out[a.ProductID], own[a.ProductID] = a.UnitPrice, true
		case own[a.ProductID]:
		case !seen || a.UnitPrice < cur:
			out[a.ProductID] = a.UnitPrice
		}
	}
	return out
}

func groupNotFound() error { return problem.New(problem.NotFound, "no such buyer group") }

func (s *Service) groupName(f problem.Fields, in NewBuyerGroup) string {
	name := checkText(f, "name", in.Name, MaxGroupNameLen)
	if name == "" && f["name"] == "" {
		f.Add("name", "required")
	}
	if strings.ContainsAny(name, "\r\n\t") {
		f.Add("name", "must be one line")
	}
	return name
}

// CreateBuyerGroup creates a named, empty group of the caller's company;
// names are unique per seller (409).
func (s *Service) CreateBuyerGroup(ctx context.Context, p *identity.Principal, in NewBuyerGroup) (BuyerGroup, error) {
	if err := s.mustSell(p); err != nil {
		return BuyerGroup{}, err
	}
	f := problem.Fields{}
	name := s.groupName(f, in)
	if err := f.Err("invalid buyer group"); err != nil {
		return BuyerGroup{}, err
	}
	g := BuyerGroup{ID: uuid.Must(uuid.NewV7()).String(), SellerOrg: p.OrgID, Name: name, Members: []string{}, CreatedAt: s.now(), CreatedBy: p.UserID}
	rec := audit.Record{ActorUser: p.UserID, ActorOrg: p.OrgID, OrgID: p.OrgID, Action: "market.buyer_group.create", SubjectType: "buyer_group",
		SubjectID: g.ID, Detail: name}
	if err := s.store.CreateBuyerGroup(ctx, g, MaxGroups, rec); err != nil {
		return BuyerGroup{}, err
	}
	return g, nil
}

// ownGroup is a group of the caller's company; another seller's group
// answers not_found like an unknown id, so ids cannot be probed.
func (s *Service) ownGroup(ctx context.Context, p *identity.Principal, id string) (BuyerGroup, error) {
	if err := s.mustSell(p); err != nil {
		return BuyerGroup{}, err
	}
	if _, err := uuid.Parse(id); err != nil {
		return BuyerGroup{}, groupNotFound()
	}
	g, err := s.store.GetBuyerGroup(ctx, p.OrgID, id)
	if problem.Is(err, problem.NotFound) {
		return BuyerGroup{}, groupNotFound()
	}
	return g, err
}

// BuyerGroup shows one of the caller's groups with its members.
func (s *Service) BuyerGroup(ctx context.Context, p *identity.Principal, id string) (BuyerGroup, error) {
	return s.ownGroup(ctx, p, id)
}

// BuyerGroups lists the caller's company's groups by name.
func (s *Service) BuyerGroups(ctx context.Context, p *identity.Principal) ([]BuyerGroup, error) {
	if err := s.mustSell(p); err != nil {
		return nil, err
	}
	return s.store.BuyerGroups(ctx, p.OrgID)
}

// RenameBuyerGroup renames one of the caller's groups.
func (s *Service) RenameBuyerGroup(ctx context.Context, p *identity.Principal, id string, in NewBuyerGroup) (BuyerGroup, error) {
	g, err := s.ownGroup(ctx, p, id)
	if err != nil {
		return BuyerGroup{}, err
	}
	f := problem.Fields{}
	name := s.groupName(f, in)
	if err := f.Err("invalid buyer group"); err != nil {
		return BuyerGroup{}, err
	}
	rec := audit.Record{ActorUser: p.UserID, ActorOrg: p.OrgID, OrgID: p.OrgID, Action: "market.buyer_group.rename", SubjectType: "buyer_group",
		SubjectID: g.ID, Detail: name}
	if err := s.store.RenameBuyerGroup(ctx, p.OrgID, g.ID, name, s.now(), rec); err != nil {
		return BuyerGroup{}, err
	}
	g.Name = name
	return g, nil
}

// DeleteBuyerGroup deletes one of the caller's groups with its
// memberships and its contract prices, which stop applying at once.
func (s *Service) DeleteBuyerGroup(ctx context.Context, p *identity.Principal, id string) error {
	g, err := s.ownGroup(ctx, p, id)
	if err != nil {
		return err
	}
	rec := audit.Record{ActorUser: p.UserID, ActorOrg: p.OrgID, OrgID: p.OrgID, Action: "market.buyer_group.delete", SubjectType: "buyer_group",
		SubjectID: g.ID, Detail: g.Name}
	return s.store.DeleteBuyerGroup(ctx, p.OrgID, g.ID, s.now(), rec)
}

// AddGroupMember adds a buyer organisation to one of the caller's groups:
// from then on the group's contract prices apply to it.
func (s *Service) AddGroupMember(ctx context.Context, p *identity.Principal, id string, in NewGroupMember) (BuyerGroup, error) {
	g, err := s.ownGroup(ctx, p, id)
	if err != nil {
		return BuyerGroup{}, err
	}
	f := problem.Fields{}
	buyer, err := s.checkBuyer(ctx, p, f, "buyer_org", in.BuyerOrg)
	if err != nil {
		return BuyerGroup{}, err
	}
	if f["buyer_org"] == "" && buyer != "" {
		for _, m := range g.Members {
			if m == buyer {
				f.Add("buyer_org", "already in the group")
			}
		}
	}
	if err := f.Err("invalid member"); err != nil {
		return BuyerGroup{}, err
	}
	rec := audit.Record{ActorUser: p.UserID, ActorOrg: p.OrgID, OrgID: p.OrgID, Action: "market.buyer_group.add", SubjectType: "buyer_group",
		SubjectID: g.ID, Detail: "buyer " + buyer}
	if err := s.store.AddGroupMember(ctx, p.OrgID, g.ID, buyer, s.now(), p.UserID, MaxGroupMembers, rec); err != nil {
		return BuyerGroup{}, err
	}
	g.Members = append(g.Members, buyer)
	return g, nil
}

// RemoveGroupMember takes a buyer out of one of the caller's groups; the
// group's prices stop applying to it at once (prices are resolved from the
// memberships on every read, never cached).
func (s *Service) RemoveGroupMember(ctx context.Context, p *identity.Principal, id, buyer string) error {
	g, err := s.ownGroup(ctx, p, id)
	if err != nil {
		return err
	}
	rec := audit.Record{ActorUser: p.UserID, ActorOrg: p.OrgID, OrgID: p.OrgID, Action: "market.buyer_group.remove", SubjectType: "buyer_group",
		SubjectID: g.ID, Detail: "buyer " + buyer}
	if err := s.store.RemoveGroupMember(ctx, p.OrgID, g.ID, buyer, s.now(), rec); problem.Is(err, problem.NotFound) {
		return problem.New(problem.NotFound, "no such member of the group")
	} else if err != nil {
		return err
	}
	return nil
}

// checkBuyer reads a buyer organisation id of a form field: another,
// existing organisation.
func (s *Service) checkBuyer(ctx context.Context, p *identity.Principal, f problem.Fields, field, id string) (string, error) {
	buyer := strings.TrimSpace(id)
	switch {
	case buyer == "":
		f.Add(field, "required")
	case buyer == p.OrgID:
		f.Add(field, "must be another organisation")
	default:
		if _, err := s.cfg.Org(ctx, buyer); problem.Is(err, problem.NotFound) {
			f.Add(field, "no such organisation")
		} else if err != nil {
			return "", err
		}
	}
	return buyer, nil
}

// BuyerPrice is the contract price buyer pays for a product at a time
// under EffectivePrices' rule, 0 when none is in force: what a direct
// order is priced at.
func (s *Service) BuyerPrice(ctx context.Context, buyer, productID string, at time.Time) (int64, error) {
	if buyer == "" {
		return 0, nil
	}
	list, err := s.store.BuyerContractPrices(ctx, buyer, productID, at)
	if err != nil {
		return 0, err
	}
	return EffectivePrices(list)[productID], nil
}
