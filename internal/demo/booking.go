package demo

import (
	"context"
	"fmt"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/booking"
	"bricstown/internal/identity"
	"bricstown/internal/ledger"
	"bricstown/internal/problem"
)

// bookingOwner is the demo organisation whose halls and rooms are booked:
// the town's conference and exhibition centre.
const bookingOwner = "BRICS Town Expo Centre"

// demoResources are the centre's halls and rooms. Prices are KZT in tiyn
// per slot, of the order of Almaty's and Astana's congress venues.
var demoResources = []booking.ResourceInput{
	{Name: "Plenary Hall «Silk Road»", Kind: "hall", Capacity: 1, SlotMinutes: 240, HorizonDays: 180, HoldMinutes: 60, RefundHours: 14 * 24,
		MinNoticeMin: 24 * 60, PriceKZT: 1_500_000_00},
	{Name: "Exhibition Hall B", Kind: "hall", Capacity: 1, SlotMinutes: 480, HorizonDays: 365, HoldMinutes: 60, RefundHours: 30 * 24,
		MinNoticeMin: 48 * 60, PriceKZT: 3_200_000_00},
	{Name: "Meeting Room Shanghai", Kind: "room", Capacity: 1, SlotMinutes: 60, HorizonDays: 60, HoldMinutes: 15, RefundHours: 24,
		MinNoticeMin: 60, PriceKZT: 18_000_00},
	{Name: "Meeting Room Kazan", Kind: "room", Capacity: 1, SlotMinutes: 60, HorizonDays: 60, HoldMinutes: 15, RefundHours: 24,
		MinNoticeMin: 60, PriceKZT: 15_000_00},
	{Name: "Business Lounge", Kind: "venue", Capacity: 24, SlotMinutes: 120, HorizonDays: 30, HoldMinutes: 15, RefundHours: 0,
		MinNoticeMin: 30, Public: true},
}

// SeedBooking opens the conference centre's halls and rooms for booking
// and has a few organisations and a resident book them over the coming
// two weeks. It is idempotent: resources are found by name, and each demo
// booking carries a derived idempotency key, so seeding again finds them.
func SeedBooking(ctx context.Context, ids *identity.Service, led *ledger.Service, bs *booking.Service, now time.Time) error {
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
	// The centre is paid into its own KZT account.
	acc := ledger.Account{ID: demoID("account", expo.Name, "KZT", "bookings"), OrgID: expo.ID, Currency: "KZT", Kind: ledger.Liability,
		Code: "bookings", Name: "Venue bookings (KZT)", Flags: ledger.DebitsMustNotExceedCredits, CreatedAt: now}
	if _, err := led.AccountByID(ctx, acc.ID); problem.Is(err, problem.NotFound) {
		if err := led.OpenAccounts(ctx, []ledger.Account{acc}, audit.Record{ActorUser: "system", Action: "ledger.account.create", Detail: "demo town: venue bookings"}); err != nil {
			return fmt.Errorf("demo: bookings account: %w", err)
		}
	} else if err != nil {
		return err
	}
	have, err := bs.Resources(ctx, owner, true, "", 500)
	if err != nil {
		return err
	}
	byName := map[string]booking.Resource{}
	for _, r := range have {
		byName[r.Name] = r
	}
	for _, in := range demoResources {
		if _, ok := byName[in.Name]; ok {
			continue
		}
		in.TimeZone = booking.DefaultTimeZone
		for d := 1; d <= 5; d++ {
			in.Hours = append(in.Hours, booking.Hours{Day: d, From: "09:00", To: "17:00"})
		}
		if in.Kind == "venue" {
			in.Hours = append(in.Hours, booking.Hours{Day: 6, From: "10:00", To: "16:00"})
		}
		if in.PriceKZT > 0 {
			in.AccountID = acc.ID.String()
		}
		r, err := bs.CreateResource(ctx, owner, in)
		if err != nil {
			return fmt.Errorf("demo: resource %s: %w", in.Name, err)
		}
		byName[r.Name] = r
	}
	type who struct {
		org  string
		role identity.Role
	}
	bookers := []who{{"Kazakh Grain Export", identity.Trader}, {"Siberian Energy Trading", identity.Trader}, {"Khorgos Gateway Logistics", identity.OrgAdmin}}
	book := func(p *identity.Principal, pay string, r booking.Resource, start time.Time, n int, confirm bool) error {
		key := demoID("booking", r.Name, p.OrgID, n)
		b, _, err := bs.Book(ctx, p, booking.BookInput{ResourceID: r.ID, Start: start.Format(time.RFC3339), Key: key.String(), PayFrom: pay})
		if problem.Is(err, problem.Conflict) || problem.Is(err, problem.Invalid) {
			return nil // taken or out of the window on this run: the demo goes on
		}
		if err != nil {
			return err
		}
		if confirm && b.Status == booking.Held {
			if _, err := bs.Confirm(ctx, p, b.ID); err != nil && !problem.Is(err, problem.Conflict) {
				return err
			}
		}
		return nil
	}
	almaty, _ := booking.Location(booking.DefaultTimeZone)
	local := now.In(almaty)
	day := func(d, hour int) time.Time {
		t := time.Date(local.Year(), local.Month(), local.Day()+d, hour, 0, 0, 0, almaty)
		return t
	}
	weekday := func(t time.Time) bool { return t.Weekday() != time.Saturday && t.Weekday() != time.Sunday }
	n := 0
	for i, b := range bookers {
		org, ok := orgs[b.org]
		if !ok {
			continue
		}
		p, err := demoPrincipal(ctx, ids, org, b.role)
		if err != nil {
			return err
		}
		if b.role == identity.OrgAdmin {
			p.Roles = append(p.Roles, identity.Trader)
		}
		pay := ""
		if a, err := led.AccountByCode(ctx, org.ID, "KZT", "operating"); err == nil {
			pay = a.ID.String()
		}
		for d := 1; d <= 13; d++ {
			t := day(d, 9+(i*2+d)%7)
			if !weekday(t) {
				continue
			}
			n++
			room := byName["Meeting Room Shanghai"]
			if (d+i)%3 == 0 {
				room = byName["Meeting Room Kazan"]
			}
			if pay != "" {
				if err := book(p, pay, room, t, n, d%5 != 4); err != nil {
					return fmt.Errorf("demo: booking for %s: %w", b.org, err)
				}
			}
			if err := book(p, "", byName["Business Lounge"], day(d, 9+2*((d+i)%4)), n, true); err != nil {
				return fmt.Errorf("demo: lounge for %s: %w", b.org, err)
			}
		}
		if i == 0 && pay != "" {
			// The grain exporter's annual buyers' conference.
			for d := 15; d <= 25; d++ {
				if t := day(d, 9); weekday(t) {
					if err := book(p, pay, byName["Plenary Hall «Silk Road»"], t, 1000+d, true); err != nil {
						return fmt.Errorf("demo: conference: %w", err)
					}
					break
				}
			}
		}
	}
	if res, ok := orgs["Town Residents"]; ok {
		p, err := demoPrincipal(ctx, ids, res, identity.Resident)
		if err != nil {
			return err
		}
		for d := 1; d <= 6; d++ {
			if t := day(d, 13); weekday(t) {
				if err := book(p, "", byName["Business Lounge"], t, 2000+d, true); err != nil {
					return fmt.Errorf("demo: resident's lounge: %w", err)
				}
			}
		}
	}
	return nil
}
