package ui

import (
	"net/http"
	"slices"
	"strings"

	"bricstown/internal/market"
	"bricstown/internal/problem"
)

// The seller's buyer groups: named sets of buyer organisations that a
// contract price may name instead of one buyer (market.BuyerGroup). Only
// the seller's own traders and administrators reach the page.

type groupMemberView struct{ ID, Name string }

type groupView struct {
	ID, Name string
	Members  []groupMemberView
	Buyers   []optionView // organisations not yet in the group
}

// MarketGroups lists the seller's groups with their members and the forms
// to create, rename, fill and delete them.
func (p *Pages) MarketGroups(w http.ResponseWriter, r *http.Request) {
	if p.marketOff(w, r) {
		return
	}
	p.renderGroups(w, r, p.view(w, r, "market_grp.title", nil), http.StatusOK, "")
}

func (p *Pages) renderGroups(w http.ResponseWriter, r *http.Request, v *View, status int, which string) {
	gs, err := p.Market.BuyerGroups(r.Context(), v.Principal)
	if err != nil {
		p.Error(w, r, statusOfErr(p.classify(err)), err)
		return
	}
	names := p.orgNames(r)
	var orgs []optionView
	for _, o := range p.declarantOptions(r) {
		if o.ID != v.Principal.OrgID {
			orgs = append(orgs, o)
		}
	}
	views := make([]groupView, len(gs))
	for i, g := range gs {
		gv := groupView{ID: g.ID, Name: g.Name}
		for _, m := range g.Members {
			gv.Members = append(gv.Members, groupMemberView{ID: m, Name: names.Name(m)})
		}
		for _, o := range orgs {
			if !slices.Contains(g.Members, o.ID) {
				gv.Buyers = append(gv.Buyers, o)
			}
		}
		views[i] = gv
	}
	v.Data = map[string]any{"Groups": views, "Which": which, "Max": market.MaxGroups}
	p.render(w, r, status, "marketgroups", v)
}

// groupFail re-shows the page with the error at the form that failed; a
// group that is not the caller's is a 404 page.
func (p *Pages) groupFail(w http.ResponseWriter, r *http.Request, v *View, err error, which string) {
	if problem.Is(err, problem.NotFound) && which != "create" {
		p.Error(w, r, http.StatusNotFound, err)
		return
	}
	status := p.formFail(v, err, "market_grp.field.", nil)
	v.Here = "/market/groups"
	p.renderGroups(w, r, v, status, which)
}

// MarketGroupCreate creates a group from the form.
func (p *Pages) MarketGroupCreate(w http.ResponseWriter, r *http.Request) {
	if p.marketOff(w, r) {
		return
	}
	v := p.view(w, r, "market_grp.title", nil)
	if _, err := p.Market.CreateBuyerGroup(r.Context(), v.Principal, market.NewBuyerGroup{Name: r.PostFormValue("name")}); err != nil {
		p.groupFail(w, r, v, err, "create")
		return
	}
	p.redirectDone(w, r, "/market/groups", "market_grp.done_created")
}

// MarketGroupRename renames a group from its form.
func (p *Pages) MarketGroupRename(w http.ResponseWriter, r *http.Request) {
	if p.marketOff(w, r) {
		return
	}
	v := p.view(w, r, "market_grp.title", nil)
	id := r.PathValue("id")
	if _, err := p.Market.RenameBuyerGroup(r.Context(), v.Principal, id, market.NewBuyerGroup{Name: r.PostFormValue("name")}); err != nil {
		p.groupFail(w, r, v, err, "rename:"+id)
		return
	}
	p.redirectDone(w, r, "/market/groups", "market_grp.done_renamed")
}

// MarketGroupDelete deletes a group and its prices.
func (p *Pages) MarketGroupDelete(w http.ResponseWriter, r *http.Request) {
	if p.marketOff(w, r) {
		return
	}
	v := p.view(w, r, "market_grp.title", nil)
	if err := p.Market.DeleteBuyerGroup(r.Context(), v.Principal, r.PathValue("id")); err != nil {
		p.groupFail(w, r, v, err, "")
		return
	}
	p.redirectDone(w, r, "/market/groups", "market_grp.done_deleted")
}

// MarketGroupAdd adds the chosen buyer to a group.
func (p *Pages) MarketGroupAdd(w http.ResponseWriter, r *http.Request) {
	if p.marketOff(w, r) {
		return
	}
	v := p.view(w, r, "market_grp.title", nil)
	id := r.PathValue("id")
	if _, err := p.Market.AddGroupMember(r.Context(), v.Principal, id, market.NewGroupMember{BuyerOrg: r.PostFormValue("buyer_org")}); err != nil {
		p.groupFail(w, r, v, err, "add:"+id)
		return
	}
	p.redirectDone(w, r, "/market/groups", "market_grp.done_added")
}

// MarketGroupRemove takes a buyer out of a group.
func (p *Pages) MarketGroupRemove(w http.ResponseWriter, r *http.Request) {
	if p.marketOff(w, r) {
		return
	}
	v := p.view(w, r, "market_grp.title", nil)
	if err := p.Market.RemoveGroupMember(r.Context(), v.Principal, r.PathValue("id"), r.PathValue("org")); err != nil {
		p.groupFail(w, r, v, err, "")
		return
	}
	p.redirectDone(w, r, "/market/groups", "market_grp.done_removed")
}

// contractTarget reads the contract-price form's one choice, a buyer or
// (value "group:<id>") one of the seller's groups.
func contractTarget(v string) (buyer, group string) {
	if g, ok := strings.CutPrefix(v, "group:"); ok {
		return "", g
	}
	return v, ""
}
