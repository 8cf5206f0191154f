// Package home answers "what needs me now" for the signed-in user: one
// summary per role the user holds, gathered from the domain services that
// own each figure (customs' queues, settlement's queue, the ledger's
// accounts and issuance lines, invoices, the directory). It decides
// nothing itself: every count comes from the same service read as the page
// it links to, so the home and the page cannot disagree.
package home

import (
	"context"
	"slices"
	"time"

	"bricstown/internal/clinic"
	"bricstown/internal/customs"
	"bricstown/internal/expo"
	"bricstown/internal/fx"
	"bricstown/internal/identity"
	"bricstown/internal/ledger"
	"bricstown/internal/logistics"
	"bricstown/internal/obligations"
	"bricstown/internal/order"
	"bricstown/internal/settlement"
)

// Services are the domains a home reads; a nil one is left out (a server
// run without settlement shows homes without it).
type Services struct {
	Identity    *identity.Service
	Ledger      *ledger.Service
	Settlement  *settlement.Service
	Customs     *customs.Service
	Obligations *obligations.Service
	Logistics   *logistics.Service
	Clinic      *clinic.Service
	Expo        *expo.Service
	Order       *order.Service
}

// Service builds homes.
type Service struct{ s Services }

// New returns a home service over the given domains.
func New(s Services) *Service { return &Service{s: s} }

// Summary is one user's home: a part per role, nil when it does not apply.
type Summary struct {
	Trader     *Trader                   `json:"trader,omitempty"`
	Bank       *Bank                     `json:"bank,omitempty"`
	Centre     *settlement.Work          `json:"centre,omitempty"`
	Customs    *customs.OfficerCounts    `json:"customs,omitempty"`
	Quarantine *customs.QuarantineCounts `json:"quarantine,omitempty"`
	Admin      *Admin                    `json:"admin,omitempty"`
	Carrier    *Carrier                  `json:"carrier,omitempty"`
	Clinic     *Clinic                   `json:"clinic,omitempty"`
	Organiser  *expo.Work                `json:"organiser,omitempty"`
}

// Trader is a trading firm's work: declarations by what they need,
// invoices its debtors side must confirm, and its money.
type Trader struct {
	Declarations      *customs.DeclarantCounts `json:"declarations,omitempty"`
	InvoicesToConfirm int                      `json:"invoices_to_confirm"`
	InvoicesMore      bool                     `json:"invoices_more,omitempty"`
	Accounts          []Balance                `json:"accounts"`
	Shipping          *Shipping                `json:"shipping,omitempty"`
	// MeetingRequests are expo meeting requests waiting for its answer, at
	// the expo MeetingsExpo.
	MeetingRequests int    `json:"meeting_requests,omitempty"`
	MeetingsExpo    string `json:"meetings_expo,omitempty"`
	// Buying is the company's marketplace work (internal/order).
	Buying *order.Work `json:"buying,omitempty"`
}

// Balance is one open account as its owner sees it: posted balance and
// what pending transfers hold in either direction.
type Balance struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Code       string `json:"code"`
	Currency   string `json:"currency"`
	Balance    int64  `json:"balance"`
	PendingOut int64  `json:"pending_out"`
	PendingIn  int64  `json:"pending_in"`
}

// Bank is a bank treasury's work before the next cycle: its settlement
// queue and position, and how much of its issuance lines it has used.
type Bank struct {
	Settlement *settlement.Work `json:"settlement,omitempty"`
	Issuance   []Issuance       `json:"issuance"`
	Accounts   []Balance        `json:"accounts"`
}

// Issuance is one issuance line: the limit the centre granted, what is
// issued against it, and the bank's settlement position in the currency.
type Issuance struct {
	Currency string `json:"currency"`
	Limit    int64  `json:"limit"`
	Issued   int64  `json:"issued"`
	Position *int64 `json:"position,omitempty"`
}

// Admin is the platform administrator's overview of the directory.
type Admin struct {
	Orgs       int            `json:"orgs"`
	Users      int            `json:"users"`
	OrgsByKind map[string]int `json:"orgs_by_kind"`
}

// accountsShown caps the accounts a home lists; the accounts page has all.
const accountsShown = 500

// For builds p's home. Each part is read only for a role that has it, with
// the principal's own rights, so a home never shows what its pages would
// refuse.
func (h *Service) For(ctx context.Context, p *identity.Principal) (Summary, error) {
	var out Summary
	if p == nil {
		return out, nil
	}
	s := h.s
	if s.Customs != nil {
		switch customs.AuthorityOf(p) {
		case customs.ByCustoms:
			c, err := s.Customs.OfficerWork(ctx, p)
			if err != nil {
				return Summary{}, err
			}
			out.Customs = &c
		case customs.ByQuarantine:
			q, err := s.Customs.QuarantineWork(ctx, p)
			if err != nil {
				return Summary{}, err
			}
			out.Quarantine = &q
		case customs.ByDeclarant:
			d, err := s.Customs.DeclarantWork(ctx, p)
			if err != nil {
				return Summary{}, err
			}
			out.Trader = &Trader{Declarations: &d}
		}
	}
	if p.Has(identity.Trader) || out.Trader != nil {
		if out.Trader == nil {
			out.Trader = &Trader{}
		}
		if err := h.trader(ctx, p, out.Trader); err != nil {
			return Summary{}, err
		}
	}
	if s.Settlement != nil && s.Settlement.IsCentre(ctx, p) {
		// The centre's operators and the platform administrator control
		// cycles; the centre settles nothing of its own.
		w, err := s.Settlement.WorkOf(ctx, p)
		if err != nil {
			return Summary{}, err
		}
		out.Centre = &w
	} else if fx.IsLiquidityProvider(p) {
		b, err := h.bank(ctx, p)
		if err != nil {
			return Summary{}, err
		}
		out.Bank = b
	}
	if s.Logistics != nil && p.OrgKind == identity.KindLogisticsOperator && p.Has(identity.Carrier) {
		c, err := CarrierWork(ctx, s.Logistics, p, time.Now())
		if err != nil {
			return Summary{}, err
		}
		out.Carrier = &c
	}
	if s.Clinic != nil {
		c, err := ClinicWork(ctx, s.Clinic, p, time.Now())
		if err != nil {
			return Summary{}, err
		}
		out.Clinic = c
	}
	if s.Expo != nil {
		w, err := s.Expo.OrganiserWork(ctx, p)
		if err != nil {
			return Summary{}, err
		}
		out.Organiser = w
	}
	if p.Has(identity.PlatformAdmin) && s.Identity != nil {
		a, err := h.admin(ctx)
		if err != nil {
			return Summary{}, err
		}
		out.Admin = a
	}
	return out, nil
}

func (h *Service) trader(ctx context.Context, p *identity.Principal, t *Trader) error {
	if h.s.Obligations != nil {
		no := false
		inv, err := h.s.Obligations.Invoices(ctx, p, obligations.Filter{OrgID: p.OrgID, Side: obligations.Payable, Confirmed: &no, Limit: accountsShown})
		if err != nil {
			return err
		}
		for _, i := range inv {
			if i.Status() != obligations.Cleared {
				t.InvoicesToConfirm++
			}
		}
		t.InvoicesMore = len(inv) >= accountsShown
	}
	if h.s.Logistics != nil && p.Has(identity.Trader) {
		sh, err := ShipmentsWork(ctx, h.s.Logistics, p)
		if err != nil {
			return err
		}
		t.Shipping = &sh
	}
	if h.s.Expo != nil {
		n, first, err := h.s.Expo.RequestsToAnswer(ctx, p)
		if err != nil {
			return err
		}
		t.MeetingRequests, t.MeetingsExpo = n, first
	}
	if h.s.Order != nil && order.CanTrade(p) {
		w, err := h.s.Order.Work(ctx, p)
		if err != nil {
			return err
		}
		t.Buying = &w
	}
	accts, err := h.balances(ctx, p)
	t.Accounts = accts
	return err
}

func (h *Service) balances(ctx context.Context, p *identity.Principal) ([]Balance, error) {
	if h.s.Ledger == nil {
		return nil, nil
	}
	accts, err := h.s.Ledger.Accounts(ctx, p, p.OrgID, 0, accountsShown)
	if err != nil {
		return nil, err
	}
	var out []Balance
	for i := range accts {
		a := &accts[i]
		if a.Closed || a.Flags&ledger.Issuer != 0 {
			continue
		}
		out = append(out, Balance{ID: a.ID.String(), Name: a.Name, Code: a.Code, Currency: a.Currency, Balance: a.Balance(),
			PendingOut: a.DebitsPending, PendingIn: a.CreditsPending})
	}
	slices.SortStableFunc(out, func(a, b Balance) int {
		if a.Currency != b.Currency {
			if a.Currency < b.Currency {
				return -1
			}
			return 1
		}
		return 0
	})
	return out, nil
}

func (h *Service) bank(ctx context.Context, p *identity.Principal) (*Bank, error) {
	b := &Bank{Issuance: []Issuance{}}
	if h.s.Settlement != nil {
		w, err := h.s.Settlement.WorkOf(ctx, p)
		if err != nil {
			return nil, err
		}
		b.Settlement = &w
	}
	if h.s.Ledger != nil {
		lines, err := h.s.Ledger.Issuance(ctx, p)
		if err != nil {
			return nil, err
		}
		for _, l := range lines {
			if l.Account.OrgID != p.OrgID {
				continue
			}
			is := Issuance{Currency: l.Account.Currency, Limit: l.Account.Limit, Issued: l.Issued}
			if l.HasPos {
				pos := l.Position
				is.Position = &pos
			}
			b.Issuance = append(b.Issuance, is)
		}
	}
	var err error
	b.Accounts, err = h.balances(ctx, p)
	return b, err
}

func (h *Service) admin(ctx context.Context) (*Admin, error) {
	a := &Admin{OrgsByKind: map[string]int{}}
	after := ""
	for {
		orgs, err := h.s.Identity.Orgs(ctx, identity.Page{After: after, Limit: 500})
		if err != nil {
			return nil, err
		}
		for _, o := range orgs {
			a.Orgs++
			a.OrgsByKind[string(o.Kind)]++
			uafter := ""
			for {
				users, err := h.s.Identity.OrgUsers(ctx, o.ID, identity.Page{After: uafter, Limit: 500})
				if err != nil {
					return nil, err
				}
				a.Users += len(users)
				if len(users) < 500 {
					break
				}
				uafter = users[len(users)-1].ID
			}
		}
		if len(orgs) < 500 {
			return a, nil
		}
		after = orgs[len(orgs)-1].ID
	}
}
