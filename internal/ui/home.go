package ui

import (
	"fmt"
	"math/big"
	"net/http"
	"strings"

	"bricstown/internal/customs"
	"bricstown/internal/home"
	"bricstown/internal/identity"
	"bricstown/internal/settlement"
)

// homeCount is one figure on a home: a count or an amount, what it counts,
// and the page that lists what it counts (empty when the user may not open
// it, so a home never links to a 403).
type homeCount struct {
	ID, Label, Value, Href string
	// Text, when set, is the whole figure as a sentence with its count
	// (plural forms from the catalogue) and replaces Value and Label.
	Text string
	// Attention marks work waiting for this user.
	Attention bool
}

// homeBalance is one account line on a home.
type homeBalance struct {
	Name, Code, Currency, Balance, PendingOut, PendingIn, Href string
}

// homeFlow is a bank's position in one currency before the next cycle.
type homeFlow struct {
	Currency, Out, In, Net string
	Short                  bool
}

// homeIssuance is one issuance line on a bank's home.
type homeIssuance struct {
	Currency, Limit, Issued, Position, Used string
}

// homeView is what home.html renders.
type homeView struct {
	Trader, Bank, Centre, Customs, Quarantine, Admin bool
	// Carrier is a logistics operator's carrier: its departures and the
	// shipments waiting for its tracking events (CarrierWork).
	Carrier     bool
	CarrierWork []homeCount
	// Clinic is a doctor's consultations today and a patient's to come.
	Clinic     bool
	ClinicWork []homeCount
	// Organiser is an expo organiser's queue (expo.Work).
	Organiser     bool
	OrganiserWork []homeCount

	Declarations, Settlement, Directory, Queue []homeCount
	Balances                                   []homeBalance
	Flows                                      []homeFlow
	Converting                                 int
	Issuance                                   []homeIssuance
	NotParticipant                             bool

	// The centre's cycle control: the run form is offered only when
	// something can be settled; otherwise RunBlocked says why not.
	CanRun      bool
	RunBlocked  string
	LatestCycle string
	LatestHref  string

	Town map[string]any
	// Art is the art zone's part: a buyer's coming tickets, the
	// organiser's door (festival.go).
	Art []homeCount
	// Education is the education zone's part: a student's courses and
	// offered seats, an educator's exchange decisions (education.go).
	Education []homeCount
}

// Home answers "what needs me now" for the signed-in user's roles: the
// queues and deadlines they work on, their balances and positions, the
// next settlement cycle, with every count from the same service read as
// the page it links to. Roles with no work queue see the town.
func (p *Pages) Home(w http.ResponseWriter, r *http.Request) {
	pr := identity.FromContext(r.Context())
	v := p.view(w, r, "home.title", nil)
	var sum home.Summary
	if p.Deps.Home != nil {
		var err error
		if sum, err = p.Deps.Home.For(r.Context(), pr); err != nil {
			p.Error(w, r, statusOfErr(err), err)
			return
		}
	}
	hv := p.homeView(v, pr, sum)
	hv.Art = p.festivalHome(r, v, pr)
	hv.Education = p.educationHome(r, v, pr)
	if !hv.Trader && !hv.Bank && !hv.Centre && !hv.Customs && !hv.Quarantine && !hv.Admin && !hv.Carrier && !hv.Organiser {
		town, err := p.townView(r, v)
		if err != nil {
			p.Error(w, r, statusOfErr(err), err)
			return
		}
		hv.Town = town
	}
	v.Data = hv
	p.render(w, r, http.StatusOK, "home", v)
}

// href returns path when pr may open the page at check (the route table's
// answer), else "".
func (p *Pages) href(pr *identity.Principal, check, path string) string {
	if p.CanVisit != nil && !p.CanVisit(pr, check) {
		return ""
	}
	return path
}

// counted is a figure whose label is a plural message: n in the language's
// form, and a note when the page's list stops at its limit.
func counted(v *View, id, key string, n int, more bool, href string, attention bool) homeCount {
	text := v.TN(key, n)
	if more {
		text += " " + v.T("home.more", n)
	}
	return homeCount{ID: id, Text: text, Href: href, Attention: attention}
}

func countText(c customs.Count) string {
	if c.More {
		return fmt.Sprintf("%d+", c.N)
	}
	return fmt.Sprint(c.N)
}

func (p *Pages) homeView(v *View, pr *identity.Principal, s home.Summary) homeView {
	var hv homeView
	if t := s.Trader; t != nil {
		hv.Trader = true
		if d := t.Declarations; d != nil {
			hv.Declarations = []homeCount{
				counted(v, "h-drafts", "home.drafts", d.Drafts, false, p.href(pr, "/customs", "/customs?show=drafts"), d.Drafts > 0),
				counted(v, "h-assessed", "home.assessed", d.Assessed, false, p.href(pr, "/customs", "/customs?show=progress"), d.Assessed > 0),
				counted(v, "h-progress", "home.in_progress", d.InHand, false, p.href(pr, "/customs", "/customs?show=progress"), false),
				counted(v, "h-released", "home.released", d.Released, false, p.href(pr, "/customs", "/customs?show=released"), false),
			}
		}
		hv.Declarations = append(hv.Declarations, counted(v, "h-invoices", "home.invoices_to_confirm", t.InvoicesToConfirm, t.InvoicesMore,
			p.href(pr, "/obligations", "/obligations"), t.InvoicesToConfirm > 0))
		if sh := t.Shipping; sh != nil && v.CanOpen("/logistics") {
			hv.Declarations = append(hv.Declarations, homeIDs(p.shippingCounts(v, sh))...)
		}
		if b := t.Buying; b != nil && v.CanOpen("/market/rfqs") {
			hv.Declarations = append(hv.Declarations, p.orderCounts(v, b)...)
		}
		hv.Balances = p.homeBalances(v, pr, t.Accounts)
	}
	if o := s.Organiser; o != nil && o.Expos > 0 && v.CanOpen("/expo") {
		link := p.href(pr, "/expo", "/expo/"+o.First+"/manage")
		hv.Organiser, hv.OrganiserWork = true, []homeCount{
			counted(v, "h-expo-pending", "expo_home_pending", o.Pending, false, link, o.Pending > 0),
			counted(v, "h-expo-fees", "expo_home_fees_due", o.FeesDue, false, link, false),
			counted(v, "h-expo-meetings", "expo_home_accepted", o.AcceptedMeeting, false, link, false),
		}
	}
	if t := s.Trader; t != nil && t.MeetingRequests > 0 && v.CanOpen("/expo") {
		hv.Declarations = append(hv.Declarations, counted(v, "h-expo-requests", "expo_home_requests", t.MeetingRequests, false,
			p.href(pr, "/expo", "/expo/"+t.MeetingsExpo+"/meetings"), true))
	}
	if c := s.Carrier; c != nil && v.CanOpen("/logistics") {
		hv.Carrier, hv.CarrierWork = true, homeIDs(p.carrierCounts(v, c))
	}
	if c := s.Clinic; c != nil {
		hv.Clinic = true
		if pr.Has(identity.Clinician) {
			hv.ClinicWork = append(hv.ClinicWork, counted(v, "h-clinic-today", "clinic.home.today", len(c.Today), false, p.href(pr, "/clinic/day", "/clinic/day"), len(c.Today) > 0))
		}
		if len(c.Upcoming) > 0 {
			hv.ClinicWork = append(hv.ClinicWork, counted(v, "h-clinic-upcoming", "clinic.home.upcoming", len(c.Upcoming), false, p.href(pr, "/clinic", "/clinic"), true))
		}
	}
	if b := s.Bank; b != nil {
		hv.Bank = true
		if w := b.Settlement; w != nil {
			hv.NotParticipant = !w.Participant
			if w.Participant {
				hv.Settlement = p.settleCounts(v, pr, w)
				for _, f := range w.Flows {
					hv.Flows = append(hv.Flows, homeFlow{Currency: f.Currency, Out: p.amount(v.Lang, f.Currency, f.Out),
						In: p.amount(v.Lang, f.Currency, f.In), Net: p.amount(v.Lang, f.Currency, f.Net), Short: f.Net < 0})
				}
				hv.Converting = w.Converting
			}
		}
		for _, l := range b.Issuance {
			is := homeIssuance{Currency: l.Currency, Limit: p.amount(v.Lang, l.Currency, l.Limit), Issued: p.amount(v.Lang, l.Currency, l.Issued)}
			if l.Limit > 0 {
				is.Used = bpsPercent(v.Lang, usedBps(l.Issued, l.Limit))
			}
			if l.Position != nil {
				is.Position = p.amount(v.Lang, l.Currency, *l.Position)
			}
			hv.Issuance = append(hv.Issuance, is)
		}
		hv.Balances = p.homeBalances(v, pr, b.Accounts)
	}
	if w := s.Centre; w != nil {
		hv.Centre = true
		hv.Settlement = p.settleCounts(v, pr, w)
		runnable := w.Queued + w.Deferred + w.Excluded
		hv.CanRun = runnable > 0 && p.href(pr, "/settlement", "/settlement") != ""
		switch {
		case w.Unsettled == 0:
			hv.RunBlocked = v.T("home.run_nothing")
		case runnable == 0:
			hv.RunBlocked = v.T("home.run_all_held")
		}
		if w.LatestCycle > 0 {
			hv.LatestCycle = fmt.Sprintf("#%d", w.LatestCycle)
			hv.LatestHref = p.href(pr, "/settlement", fmt.Sprintf("/settlement/cycles/%d", w.LatestCycle))
		}
	}
	if c := s.Customs; c != nil {
		hv.Customs = true
		console := func(tab string) string { return p.href(pr, "/customs/console", "/customs/console?tab="+tab) }
		hv.Queue = append(hv.Queue, homeCount{ID: "h-customs-all", Label: v.T("customs.tab.all"), Value: countText(c.All), Href: console("all"), Attention: c.All.N > 0})
		for _, l := range customs.Lanes {
			n := c.Lanes[l]
			hv.Queue = append(hv.Queue, homeCount{ID: "h-customs-" + string(l), Label: v.T("customs.tab." + string(l)), Value: countText(n), Href: console(string(l))})
		}
		hv.Queue = append(hv.Queue, homeCount{ID: "h-customs-prelodged", Label: v.T("customs.tab.prelodged"), Value: countText(c.Prelodged), Href: console("prelodged")})
	}
	if q := s.Quarantine; q != nil {
		hv.Quarantine = true
		link := p.href(pr, "/customs/quarantine", "/customs/quarantine")
		hv.Queue = append(hv.Queue,
			counted(v, "h-sps-all", "home.sps_queue", q.All.N, q.All.More, link, q.All.N > 0),
			counted(v, "h-sps-inspection", "home.sps_inspection", q.AwaitingInspection, false, link, false),
			counted(v, "h-sps-lab", "home.sps_lab", q.AwaitingLab, false, link, false),
			counted(v, "h-sps-held", "home.sps_held", q.Held, false, link, false))
	}
	if a := s.Admin; a != nil {
		hv.Admin = true
		hv.Directory = []homeCount{
			counted(v, "h-orgs", "home.orgs", a.Orgs, false, p.href(pr, "/admin/orgs", "/admin/orgs"), false),
			counted(v, "h-users", "home.users", a.Users, false, "", false),
		}
		for _, k := range identity.OrgKinds {
			if n := a.OrgsByKind[string(k)]; n > 0 {
				hv.Directory = append(hv.Directory, homeCount{ID: "h-kind-" + string(k), Text: v.T("kind."+string(k)) + ": " + fmt.Sprint(n)})
			}
		}
	}
	return hv
}

// settleCounts is the settlement queue's figures as the settlement page
// lists them (its queue shows every unsettled instruction).
func (p *Pages) settleCounts(v *View, pr *identity.Principal, w *settlement.Work) []homeCount {
	link := p.href(pr, "/settlement", "/settlement#queue-h")
	return []homeCount{
		counted(v, "h-settle-unsettled", "home.settle_unsettled", w.Unsettled, w.More, link, w.Unsettled > 0),
		counted(v, "h-settle-queued", "home.settle_queued", w.Queued, false, link, false),
		counted(v, "h-settle-held", "home.settle_held", w.Held, false, link, w.Held > 0 && w.Centre),
		counted(v, "h-settle-deferred", "home.settle_deferred", w.Deferred, false, link, false),
		counted(v, "h-settle-excluded", "home.settle_excluded", w.Excluded, false, link, w.Excluded > 0),
	}
}

func (p *Pages) homeBalances(v *View, pr *identity.Principal, accts []home.Balance) []homeBalance {
	var out []homeBalance
	for _, a := range accts {
		name := a.Name
		if name == "" {
			name = a.Code
		}
		b := homeBalance{Name: name, Code: a.Code, Currency: a.Currency, Balance: p.amount(v.Lang, a.Currency, a.Balance),
			Href: p.href(pr, "/accounts", "/accounts/"+a.ID)}
		if a.PendingOut != 0 {
			b.PendingOut = p.amount(v.Lang, a.Currency, a.PendingOut)
		}
		if a.PendingIn != 0 {
			b.PendingIn = p.amount(v.Lang, a.Currency, a.PendingIn)
		}
		out = append(out, b)
	}
	return out
}

// usedBps is issued/limit in basis points, rounded down, computed without
// overflow for any pair of int64 amounts.
func usedBps(issued, limit int64) int64 {
	q := new(big.Int).Mul(big.NewInt(issued), big.NewInt(10000))
	return q.Quo(q, big.NewInt(limit)).Int64()
}

// homeIDs gives the logistics page's counts the home's ids (h-…).
func homeIDs(cs []homeCount) []homeCount {
	out := make([]homeCount, len(cs))
	for i, c := range cs {
		c.ID = "h-" + strings.TrimPrefix(c.ID, "lw-")
		out[i] = c
	}
	return out
}
