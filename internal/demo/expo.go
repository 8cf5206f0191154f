package demo

import (
	"context"
	"fmt"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/expo"
	"bricstown/internal/identity"
	"bricstown/internal/ledger"
	"bricstown/internal/market"
	"bricstown/internal/problem"
)

// DemoExpoName is the demo town's commodity expo.
const DemoExpoName = "BRICS Town Commodity Expo 2027"

// expoHalls are the expo's halls: one per trade, booths of 9, 18 and 36 m²
// at 50 000 KZT per m², of the order of Astana's and Almaty's trade fairs.
var expoHalls = []struct {
	Name       string
	Prefix     string
	Rows, Cols int
}{
	{"Hall 1 · Agriculture and Food", "H1", 3, 5},
	{"Hall 2 · Energy and Resources", "H2", 2, 4},
	{"Hall 3 · Manufacturing and Technology", "H3", 2, 5},
}

// expoExhibitors apply; the first six are approved and given a booth in
// their hall (by index); those with enough tenge pay their fee.
var expoExhibitors = []struct {
	Org   string
	Hall  int
	Size  int
	Note  string
	Other bool // left pending, for the organiser's queue
}{
	{Org: "Kazakh Grain Export", Hall: 0, Size: 36, Note: "Milling wheat, durum and barley from the northern steppe"},
	{Org: "Cerrado Agro Exportadora", Hall: 0, Size: 18, Note: "Soybeans, coffee and beef from Mato Grosso"},
	{Org: "Cape Fruit Exporters", Hall: 0, Size: 9, Note: "Citrus and table grapes, cold chain to Khorgos"},
	{Org: "Siberian Energy Trading", Hall: 1, Size: 36, Note: "Pipeline gas, LNG and coal contracts"},
	{Org: "Shenzhen Smart Devices", Hall: 2, Size: 18, Note: "Smart meters, inverters and IoT modules"},
	{Org: "Gujarat Textile Mills", Hall: 2, Size: 9, Note: "Cotton yarn and technical fabrics"},
	{Org: "Sidamo Coffee Union", Size: 9, Note: "Washed Arabica, grade 1", Other: true},
	{Org: "Khorasan Saffron", Size: 9, Note: "Saffron and dried fruit", Other: true},
}

// expoBuyers register to meet the exhibitors.
var expoBuyers = []string{"Nile Cotton Company", "Gulf Dates Trading", "Nusantara Palm Industries", "Sidamo Coffee Union"}

// expoMeetings are the meeting requests (from, to, accepted by the other).
var expoMeetings = []struct {
	From, To, Message string
	Accept, Decline   bool
}{
	{"Gulf Dates Trading", "Kazakh Grain Export", "Milling wheat for our Jebel Ali mills, 40 000 t a year", true, false},
	{"Nile Cotton Company", "Gujarat Textile Mills", "Long-staple cotton against yarn", true, false},
	{"Nusantara Palm Industries", "Siberian Energy Trading", "LNG for our refinery in Dumai", true, false},
	{"Nusantara Palm Industries", "Shenzhen Smart Devices", "Smart meters for 12 plantations", true, false},
	{"Gulf Dates Trading", "Cerrado Agro Exportadora", "Brazilian beef, halal certified", true, false},
	{"Sidamo Coffee Union", "Cerrado Agro Exportadora", "Coffee roasting partnership", true, false},
	{"Nile Cotton Company", "Kazakh Grain Export", "Wheat for Egyptian bakeries", true, false},
	{"Gulf Dates Trading", "Cape Fruit Exporters", "Citrus for the Emirates, winter season", true, false},
	{"Kazakh Grain Export", "Shenzhen Smart Devices", "Grain silo sensors", true, false},
	{"Siberian Energy Trading", "Gujarat Textile Mills", "Energy supply for the mills", false, true},
	{"Nusantara Palm Industries", "Kazakh Grain Export", "Barley for feed", false, false},
}

// SeedExpo sets up the demo town's commodity expo: its halls and booths,
// exhibitors (six approved with booths, fees paid where the tenge is there, two applications
// waiting), products on their stands, buyers, meeting requests and a
// scheduled timetable. Idempotent: the expo is found by name, and each
// step accepts what an earlier run left.
func SeedExpo(ctx context.Context, ids *identity.Service, led *ledger.Service, mkt *market.Service, es *expo.Service, now time.Time) error {
	orgs := map[string]identity.Org{}
	list, err := ids.Orgs(ctx, identity.Page{Limit: 1000})
	if err != nil {
		return err
	}
	for _, o := range list {
		orgs[o.Name] = o
	}
	centre, ok := orgs[bookingOwner]
	if !ok {
		return fmt.Errorf("demo: run Seed first")
	}
	organiser, err := demoPrincipal(ctx, ids, centre, identity.Organiser)
	if err != nil {
		return err
	}
	acc := ledger.Account{ID: demoID("account", centre.Name, "KZT", "expo_fees"), OrgID: centre.ID, Currency: "KZT", Kind: ledger.Liability,
		Code: "expo_fees", Name: "Expo booth fees (KZT)", Flags: ledger.DebitsMustNotExceedCredits, CreatedAt: now}
	if _, err := led.AccountByID(ctx, acc.ID); problem.Is(err, problem.NotFound) {
		if err := led.OpenAccounts(ctx, []ledger.Account{acc}, audit.Record{ActorUser: "system", Action: "ledger.account.create", Detail: "demo town: expo booth fees"}); err != nil {
			return fmt.Errorf("demo: expo fees account: %w", err)
		}
	} else if err != nil {
		return err
	}
	expos, err := es.Expos(ctx, organiser)
	if err != nil {
		return err
	}
	var e expo.Expo
	for _, x := range expos {
		if x.Name == DemoExpoName && x.OrganiserOrg == centre.ID {
			e = x
		}
	}
	if e.ID == "" {
		if e, err = es.CreateExpo(ctx, organiser, expo.ExpoInput{Name: DemoExpoName, Venue: "BRICS Town Expo Centre, Khorgos", StartsOn: "2027-09-14",
			EndsOn: "2027-09-16", TimeZone: expo.DefaultTimeZone, MeetingFrom: "10:00", MeetingTo: "17:00", SlotMinutes: 30, Tables: 12, AccountID: acc.ID.String()}); err != nil {
			return fmt.Errorf("demo: expo: %w", err)
		}
	}
	d, err := es.Get(ctx, organiser, e.ID)
	if err != nil {
		return err
	}
	hallIDs := make([]string, len(expoHalls))
	for i, h := range expoHalls {
		for _, have := range d.Halls {
			if have.Name == h.Name {
				hallIDs[i] = have.ID
			}
		}
		if hallIDs[i] == "" {
			got, err := es.AddHall(ctx, organiser, e.ID, expo.HallInput{Name: h.Name, Rows: h.Rows, Cols: h.Cols})
			if err != nil {
				return fmt.Errorf("demo: hall %s: %w", h.Name, err)
			}
			hallIDs[i] = got.ID
		}
	}
	booths := map[string]expo.Booth{}
	for _, b := range d.Booths {
		booths[b.Code] = b
	}
	for i, h := range expoHalls {
		for r := 1; r <= h.Rows; r++ {
			for c := 1; c <= h.Cols; c++ {
				code := fmt.Sprintf("%s-%c%d", h.Prefix, 'A'+r-1, c)
				if _, ok := booths[code]; ok {
					continue
				}
				size := []int{9, 18, 9, 36, 9}[(c-1)%5]
				b, err := es.AddBooth(ctx, organiser, e.ID, expo.BoothInput{HallID: hallIDs[i], Code: code, SizeM2: size, PriceKZT: int64(size) * 50_000_00, Row: r, Col: c})
				if err != nil {
					return fmt.Errorf("demo: booth %s: %w", code, err)
				}
				booths[code] = b
			}
		}
	}
	// Exhibitors apply; the organiser approves and gives each a booth of
	// the size asked in its hall.
	apps, err := es.Applications(ctx, organiser, e.ID)
	if err != nil {
		return err
	}
	byOrg := map[string]expo.Application{}
	for _, a := range apps {
		byOrg[a.Org] = a
	}
	usedBooth := map[string]bool{}
	for _, b := range booths {
		if b.ApplicationID != "" {
			usedBooth[b.ID] = true
		}
	}
	for _, x := range expoExhibitors {
		org, ok := orgs[x.Org]
		if !ok {
			continue
		}
		p, err := demoPrincipal(ctx, ids, org, identity.Trader)
		if err != nil {
			return err
		}
		a, ok := byOrg[org.ID]
		if !ok {
			if a, err = es.Apply(ctx, p, e.ID, expo.ApplyInput{SizeM2: x.Size, Note: x.Note}); err != nil {
				return fmt.Errorf("demo: %s applies: %w", x.Org, err)
			}
		}
		if x.Other {
			continue
		}
		if a.Status == expo.Pending {
			if a, err = es.Decide(ctx, organiser, e.ID, a.ID, true); err != nil {
				return fmt.Errorf("demo: approve %s: %w", x.Org, err)
			}
		}
		if a.BoothID == "" {
			for r := 1; r <= expoHalls[x.Hall].Rows && a.BoothID == ""; r++ {
				for c := 1; c <= expoHalls[x.Hall].Cols && a.BoothID == ""; c++ {
					b := booths[fmt.Sprintf("%s-%c%d", expoHalls[x.Hall].Prefix, 'A'+r-1, c)]
					if usedBooth[b.ID] || b.SizeM2 != x.Size {
						continue
					}
					if a, err = es.Allocate(ctx, organiser, e.ID, a.ID, expo.AllocateInput{BoothID: b.ID}); err != nil {
						return fmt.Errorf("demo: booth for %s: %w", x.Org, err)
					}
					usedBooth[b.ID] = true
				}
			}
		}
		// Those with tenge pay their fee; the others still owe it.
		if a.BoothID != "" && !a.Paid {
			if kzt, err := led.AccountByCode(ctx, org.ID, "KZT", "operating"); err == nil && kzt.Available() >= a.FeeKZT {
				if _, err := es.PayFee(ctx, p, e.ID, a.ID, expo.PayInput{PayFrom: kzt.ID.String()}); err != nil && !problem.Is(err, problem.Conflict) {
					return fmt.Errorf("demo: %s pays its fee: %w", x.Org, err)
				}
			}
		}
		// Up to three of its own products on its stand.
		if mkt != nil {
			mine, err := mkt.Mine(ctx, p, "", 3)
			if err != nil {
				return err
			}
			for _, prod := range mine {
				if _, err := es.AddShowcase(ctx, p, e.ID, expo.ShowcaseInput{ProductID: prod.ID}); err != nil {
					return fmt.Errorf("demo: %s shows a product: %w", x.Org, err)
				}
			}
		}
	}
	for _, name := range expoBuyers {
		if org, ok := orgs[name]; ok {
			p, err := demoPrincipal(ctx, ids, org, identity.Trader)
			if err != nil {
				return err
			}
			if _, err := es.RegisterBuyer(ctx, p, e.ID); err != nil {
				return fmt.Errorf("demo: %s registers: %w", name, err)
			}
		}
	}
	// Meeting requests, answered; then the organiser runs the scheduler
	// (again only when this run asked something new).
	asked := false
	for _, m := range expoMeetings {
		from, ok1 := orgs[m.From]
		to, ok2 := orgs[m.To]
		if !ok1 || !ok2 {
			continue
		}
		pf, err := demoPrincipal(ctx, ids, from, identity.Trader)
		if err != nil {
			return err
		}
		r, err := es.RequestMeeting(ctx, pf, e.ID, expo.RequestInput{ToOrg: to.ID, Message: m.Message})
		if problem.Is(err, problem.Conflict) {
			continue // asked on an earlier run
		}
		if err != nil {
			return fmt.Errorf("demo: %s asks %s: %w", m.From, m.To, err)
		}
		asked = true
		if m.Accept || m.Decline {
			pt, err := demoPrincipal(ctx, ids, to, identity.Trader)
			if err != nil {
				return err
			}
			if _, err := es.AnswerRequest(ctx, pt, e.ID, r.ID, m.Accept); err != nil {
				return fmt.Errorf("demo: %s answers: %w", m.To, err)
			}
		}
	}
	if _, err := es.LastRun(ctx, organiser, e.ID); err == nil && !asked {
		return nil
	} else if err != nil && !problem.Is(err, problem.NotFound) {
		return err
	}
	if _, err := es.Schedule(ctx, organiser, e.ID); err != nil {
		return fmt.Errorf("demo: schedule: %w", err)
	}
	return nil
}
