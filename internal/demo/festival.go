package demo

import (
	"context"
	"fmt"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/booking"
	"bricstown/internal/festival"
	"bricstown/internal/identity"
	"bricstown/internal/ledger"
	"bricstown/internal/problem"
)

// DemoFestivalName is the demo town's music festival in the art zone.
const DemoFestivalName = "Astana–Shanghai–São Paulo Music Festival"

// demoShowName is the exhibition hall's long-running show.
const demoShowName = "Steppe to Sea: Contemporary Art of the BRICS"

type demoPerf struct {
	titles     map[string]string
	venue      string
	day, hour  int // days from today, local start hour (-1: later today)
	minutes    int
	categories []festival.CategoryInput
}

var demoConcerts = []demoPerf{
	{titles: map[string]string{"en": "Opening night: Kazakh State Symphony with Shanghai Chinese Orchestra", "ru": "Вечер открытия: Казахский государственный симфонический оркестр и Шанхайский оркестр китайских инструментов",
		"zh": "开幕之夜：哈萨克斯坦国家交响乐团与上海民族乐团", "kk": "Ашылу кеші: Қазақ мемлекеттік симфониялық оркестрі мен Шанхай ұлт-аспаптар оркестрі", "pt": "Noite de abertura: Sinfônica Estatal do Cazaquistão e Orquestra Chinesa de Xangai"},
		venue: "Art Zone Amphitheatre", day: 0, hour: -1, minutes: 150,
		categories: []festival.CategoryInput{{Name: "Stalls", Quota: 120, PriceKZT: 12_000_00}, {Name: "Balcony", Quota: 80, PriceKZT: 6_500_00}}},
	{titles: map[string]string{"en": "Samba meets Dombra: Bossa nova and Kazakh küi", "ru": "Самба встречает домбру: босса-нова и казахские кюи",
		"zh": "桑巴遇见冬不拉：波萨诺瓦与哈萨克奎依", "kk": "Самба мен домбыра: босса-нова және қазақ күйлері", "pt": "Samba encontra dombra: bossa nova e küi cazaque"},
		venue: "Silk Road Concert Hall", day: 2, hour: 19, minutes: 120,
		categories: []festival.CategoryInput{{Name: "Parterre", Quota: 200, PriceKZT: 9_000_00}, {Name: "Standing", Quota: 150, PriceKZT: 4_000_00}}},
	{titles: map[string]string{"en": "Jazz from São Paulo to Almaty", "ru": "Джаз от Сан-Паулу до Алматы", "zh": "从圣保罗到阿拉木图的爵士乐",
		"kk": "Сан-Паулудан Алматыға дейінгі джаз", "pt": "Jazz de São Paulo a Almaty"},
		venue: "Art Zone Amphitheatre", day: 4, hour: 20, minutes: 120,
		categories: []festival.CategoryInput{{Name: "Stalls", Quota: 120, PriceKZT: 10_000_00}, {Name: "Balcony", Quota: 80, PriceKZT: 5_000_00}}},
}

// demoRainedOut is the open-air concert its organiser cancelled: its
// tickets show as cancelled and were refunded in full.
var demoRainedOut = demoPerf{titles: map[string]string{"en": "Open-air evening on the Ili embankment", "ru": "Вечер под открытым небом на набережной Или",
	"zh": "伊犁河畔露天之夜", "kk": "Іле жағалауындағы ашық аспан астындағы кеш", "pt": "Noite ao ar livre na margem do Ili"},
	venue: "Ili Embankment Stage", day: 5, hour: 20, minutes: 120,
	categories: []festival.CategoryInput{{Name: "Lawn", Quota: 300, PriceKZT: 3_000_00}}}

var demoShowDays = demoPerf{titles: map[string]string{"en": "Exhibition day", "ru": "День выставки", "zh": "展览日", "kk": "Көрме күні", "pt": "Dia de exposição"},
	venue: "Exhibition Hall B", hour: 10, minutes: 480,
	categories: []festival.CategoryInput{{Name: "Day ticket", Quota: 300, PriceKZT: 2_000_00}, {Name: "Residents' free entry", Quota: 100}}}

// SeedFestival puts the art zone in the demo town: the expo centre's music
// festival with three concerts (the first tonight) and a cancelled
// open-air evening whose tickets were refunded and the exhibition
// hall's show with a week of days; companies and a resident have bought
// tickets, and one ticket of tonight's concert has been admitted at the
// door. It is idempotent: a festival found by name is left as it is.
func SeedFestival(ctx context.Context, ids *identity.Service, led *ledger.Service, fs *festival.Service, now time.Time) error {
	orgs := map[string]identity.Org{}
	list, err := ids.Orgs(ctx, identity.Page{Limit: 1000})
	if err != nil {
		return err
	}
	for _, o := range list {
		orgs[o.Name] = o
	}
	expo, ok := orgs[bookingOwner]
	if !ok {
		return fmt.Errorf("demo: run Seed first")
	}
	owner, err := demoPrincipal(ctx, ids, expo, identity.OrgAdmin)
	if err != nil {
		return err
	}
	door := *owner
	door.Roles = []identity.Role{identity.Organiser}
	have, err := fs.Festivals(ctx, owner)
	if err != nil {
		return err
	}
	for _, f := range have {
		if f.Name == DemoFestivalName {
			return nil
		}
	}
	acc := ledger.Account{ID: demoID("account", expo.Name, "KZT", "festival"), OrgID: expo.ID, Currency: "KZT", Kind: ledger.Liability,
		Code: "festival", Name: "Festival ticket sales (KZT)", Flags: ledger.DebitsMustNotExceedCredits, CreatedAt: now}
	if _, err := led.AccountByID(ctx, acc.ID); problem.Is(err, problem.NotFound) {
		if err := led.OpenAccounts(ctx, []ledger.Account{acc}, audit.Record{ActorUser: "system", Action: "ledger.account.create", Detail: "demo town: festival tickets"}); err != nil {
			return fmt.Errorf("demo: festival account: %w", err)
		}
	} else if err != nil {
		return err
	}
	almaty, _ := booking.Location(booking.DefaultTimeZone)
	local := now.In(almaty)
	at := func(d demoPerf, day int) (string, string) {
		start := time.Date(local.Year(), local.Month(), local.Day()+day, d.hour, 0, 0, 0, almaty)
		if d.hour < 0 {
			// Tonight: from the next full hour but one, or tomorrow
			// evening when the day is nearly over.
			start = local.Truncate(time.Hour).Add(2 * time.Hour)
			if start.Day() != local.Day() || start.Hour() > 21 || start.Hour() < 12 {
				start = time.Date(local.Year(), local.Month(), local.Day()+1, 19, 0, 0, 0, almaty)
				if local.Hour() < 12 {
					start = time.Date(local.Year(), local.Month(), local.Day(), 19, 0, 0, 0, almaty)
				}
			}
		}
		end := start.Add(time.Duration(d.minutes) * time.Minute)
		return start.Format("2006-01-02T15:04"), end.Format("2006-01-02T15:04")
	}
	fest, err := fs.CreateFestival(ctx, owner, festival.FestivalInput{Name: DemoFestivalName, Kind: "music", AccountID: acc.ID.String(), RefundHours: 48,
		Description: "Orchestras, jazz and song from Kazakhstan, China and Brazil in the art zone's amphitheatre and concert hall."})
	if err != nil {
		return fmt.Errorf("demo: festival: %w", err)
	}
	var perfs []festival.Performance
	for _, c := range demoConcerts {
		s, e := at(c, c.day)
		p, err := fs.AddPerformance(ctx, owner, fest.ID, festival.PerformanceInput{Titles: c.titles, Venue: c.venue, Start: s, End: e, Categories: c.categories})
		if err != nil {
			return fmt.Errorf("demo: concert: %w", err)
		}
		perfs = append(perfs, p)
	}
	show, err := fs.CreateFestival(ctx, owner, festival.FestivalInput{Name: demoShowName, Kind: "exhibition", AccountID: acc.ID.String(), RefundHours: 24,
		Description: "Painting, textile and video art from the five founding BRICS countries, in Exhibition Hall B for the season."})
	if err != nil {
		return fmt.Errorf("demo: show: %w", err)
	}
	var showDays []festival.Performance
	for d := 1; d <= 7; d++ {
		s, e := at(demoShowDays, d)
		p, err := fs.AddPerformance(ctx, owner, show.ID, festival.PerformanceInput{Titles: demoShowDays.titles, Venue: demoShowDays.venue, Start: s, End: e,
			Categories: demoShowDays.categories})
		if err != nil {
			return fmt.Errorf("demo: show day: %w", err)
		}
		showDays = append(showDays, p)
	}
	// Buyers: two companies' staff (paying from their operating accounts)
	// and a resident (free entry to the show).
	buy := func(p *identity.Principal, pay string, perf festival.Performance, cat, n int) (festival.Ticket, error) {
		t, _, err := fs.Buy(ctx, p, festival.BuyInput{PerformanceID: perf.ID, CategoryID: perf.Categories[cat].ID, Key: demoID("fest-ticket", perf.ID, p.OrgID, n).String(), PayFrom: pay})
		return t, err
	}
	var first festival.Ticket
	s, e := at(demoRainedOut, demoRainedOut.day)
	rained, err := fs.AddPerformance(ctx, owner, fest.ID, festival.PerformanceInput{Titles: demoRainedOut.titles, Venue: demoRainedOut.venue, Start: s, End: e,
		Categories: demoRainedOut.categories})
	if err != nil {
		return fmt.Errorf("demo: open-air concert: %w", err)
	}
	// (Khorgos Gateway Logistics buys as its administrator; the energy
	// trader's KZT is left to the booking demo and its tests.)
	for i, b := range []struct {
		name string
		role identity.Role
	}{{"Kazakh Grain Export", identity.Trader}, {"Khorgos Gateway Logistics", identity.OrgAdmin}} {
		name := b.name
		org, ok := orgs[name]
		if !ok {
			continue
		}
		p, err := demoPrincipal(ctx, ids, org, b.role)
		if err != nil {
			return err
		}
		a, err := led.AccountByCode(ctx, org.ID, "KZT", "operating")
		if err != nil {
			continue // no money in this demo: no tickets
		}
		for n := range 3 + i {
			t, err := buy(p, a.ID.String(), perfs[n%len(perfs)], n%2, n)
			if err != nil {
				return fmt.Errorf("demo: ticket for %s: %w", name, err)
			}
			if first.ID == "" {
				first = t
			}
		}
		if _, err := buy(p, a.ID.String(), showDays[i], 0, 100); err != nil {
			return fmt.Errorf("demo: show ticket for %s: %w", name, err)
		}
		if _, err := buy(p, a.ID.String(), rained, 0, 200); err != nil {
			return fmt.Errorf("demo: open-air ticket for %s: %w", name, err)
		}
	}
	if res, ok := orgs["Town Residents"]; ok {
		p, err := demoPrincipal(ctx, ids, res, identity.Resident)
		if err != nil {
			return err
		}
		if _, err := buy(p, "", showDays[0], 1, 1); err != nil {
			return fmt.Errorf("demo: resident's show ticket: %w", err)
		}
	}
	// The open-air evening is cancelled (a storm warning): every ticket
	// refunded in full.
	if _, err := fs.CancelPerformance(ctx, owner, rained.ID); err != nil {
		return fmt.Errorf("demo: cancel the open-air concert: %w", err)
	}
	// The first guest of the opening night is in.
	if first.Token != "" {
		if _, err := fs.CheckIn(ctx, &door, first.Token); err != nil {
			return fmt.Errorf("demo: check-in: %w", err)
		}
	}
	return nil
}
