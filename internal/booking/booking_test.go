package booking

import (
	"strings"
	"testing"
	"time"

	"bricstown/internal/problem"
)

func almatyRoom() Resource {
	r := Resource{Name: "Room", Kind: "room", Capacity: 1, SlotMinutes: 60, HorizonDays: 30, MinNoticeMin: 60,
		Hours: []Hours{{Day: 3, From: "13:00", To: "15:00"}, {Day: 3, From: "09:00", To: "11:30"}}}
	r.Check(problem.Fields{})
	return r
}

func TestDaySlotsInTheResourcesZone(t *testing.T) {
	r := almatyRoom()
	if r.TimeZone != "Asia/Almaty" {
		t.Fatalf("default zone %q", r.TimeZone)
	}
	got := r.DaySlots(2030, 1, 9) // a Wednesday
	var starts []string
	for _, s := range got {
		starts = append(starts, s.Start.Format("15:04"))
	}
	// 09:00 Almaty is 04:00 UTC; 11:30 leaves no room for a third slot.
	if strings.Join(starts, " ") != "04:00 05:00 08:00 09:00" {
		t.Fatalf("slots %v", starts)
	}
	if n := len(r.DaySlots(2030, 1, 10)); n != 0 {
		t.Fatalf("Thursday has %d slots", n)
	}
}

func TestDaySlotsAcrossDaylightSaving(t *testing.T) {
	r := Resource{Name: "Berlin", Kind: "room", Capacity: 1, SlotMinutes: 60, TimeZone: "Europe/Berlin", Hours: []Hours{{Day: 0, From: "01:00", To: "04:00"}}}
	f := problem.Fields{}
	r.Check(f)
	if len(f) != 0 {
		t.Fatal(f)
	}
	// 2030-03-31 is the Sunday clocks go forward at 02:00 local.
	slots := r.DaySlots(2030, 3, 31)
	// 02:00-03:00 does not exist that night: two slots, not three.
	if len(slots) != 2 {
		t.Fatalf("%d slots: %v", len(slots), slots)
	}
	for _, s := range slots {
		if !s.End.After(s.Start) {
			t.Fatalf("slot %v ends before it starts", s)
		}
	}
}

func TestBookableRules(t *testing.T) {
	r := almatyRoom()
	r.Closures = []Closure{{From: time.Date(2030, 1, 16, 0, 0, 0, 0, time.UTC), To: time.Date(2030, 1, 17, 0, 0, 0, 0, time.UTC)}}
	almaty, _ := time.LoadLocation("Asia/Almaty")
	now := time.Date(2030, 1, 9, 8, 30, 0, 0, almaty)
	at := func(y int, m time.Month, d, h, mi int) time.Time { return time.Date(y, m, d, h, mi, 0, 0, almaty) }
	for name, c := range map[string]struct {
		start time.Time
		want  string
	}{
		"past":        {at(2030, 1, 9, 8, 0), "is in the past"},
		"notice":      {at(2030, 1, 9, 9, 0), "needs at least 60 minutes' notice"},
		"horizon":     {at(2030, 3, 13, 9, 0), "at most 30 days ahead"},
		"off grid":    {at(2030, 1, 9, 10, 30), "not the start of an open slot"},
		"closed hour": {at(2030, 1, 9, 12, 0), "not the start of an open slot"},
		"closure":     {at(2030, 1, 16, 9, 0), "the resource is closed then"},
	} {
		_, err := r.Bookable(c.start.UTC(), now.UTC())
		var pe *problem.Error
		if err == nil || !errorsAs(err, &pe) || pe.Fields["start"] != c.want {
			t.Errorf("%s: %v, want %q", name, err, c.want)
		}
	}
	s, err := r.Bookable(at(2030, 1, 9, 10, 0).UTC(), now.UTC())
	if err != nil || s.End.Sub(s.Start) != time.Hour {
		t.Fatalf("10:00: %v %v", s, err)
	}
}

func errorsAs(err error, pe **problem.Error) bool {
	e, ok := err.(*problem.Error)
	*pe = e
	return ok
}

func TestResourceCheckRefusesNonsense(t *testing.T) {
	for field, r := range map[string]Resource{
		"time_zone":   {Name: "x", Kind: "room", Capacity: 1, TimeZone: "Local", Hours: []Hours{{Day: 1, From: "09:00", To: "10:00"}}},
		"capacity":    {Name: "x", Kind: "room", Capacity: 0, Hours: []Hours{{Day: 1, From: "09:00", To: "10:00"}}},
		"price_kzt":   {Name: "x", Kind: "room", Capacity: 1, PriceKZT: MaxPriceKZT + 1, Hours: []Hours{{Day: 1, From: "09:00", To: "10:00"}}},
		"hours[0]":    {Name: "x", Kind: "room", Capacity: 1, Hours: []Hours{{Day: 1, From: "25:00", To: "26:00"}}},
		"kind":        {Name: "x", Kind: "spaceship", Capacity: 1, Hours: []Hours{{Day: 1, From: "09:00", To: "10:00"}}},
		"name":        {Name: "  ", Kind: "room", Capacity: 1, Hours: []Hours{{Day: 1, From: "09:00", To: "10:00"}}},
		"closures[0]": {Name: "x", Kind: "room", Capacity: 1, Hours: []Hours{{Day: 1, From: "09:00", To: "10:00"}}, Closures: []Closure{{From: time.Unix(10, 0), To: time.Unix(5, 0)}}},
	} {
		f := problem.Fields{}
		r.Check(f)
		if f[field] == "" {
			t.Errorf("%s not refused: %v", field, f)
		}
	}
}

func TestWindowAndRefund(t *testing.T) {
	r := Resource{BufferBefore: 15, BufferAfter: 30, RefundHours: 24}
	s := Slot{Start: time.Date(2030, 1, 9, 5, 0, 0, 0, time.UTC), End: time.Date(2030, 1, 9, 6, 0, 0, 0, time.UTC)}
	from, to := r.Window(s)
	if s.Start.Sub(from) != 45*time.Minute || to.Sub(s.End) != 45*time.Minute {
		t.Fatalf("window %v %v", from, to)
	}
	// A booking ending at 4:15 with 30 min after buffer meets 5:00's 15 min before: overlap.
	b := Booking{Start: s.Start.Add(-105 * time.Minute), End: s.Start.Add(-45 * time.Minute)}
	if r.Overlaps(&b, s) {
		t.Fatal("a booking ending exactly at the window's start overlaps")
	}
	b.End = b.End.Add(time.Minute)
	if !r.Overlaps(&b, s) {
		t.Fatal("a booking a minute into the buffers does not overlap")
	}
	paid := Booking{Start: s.Start, PriceKZT: 500_00}
	if got := r.RefundAt(&paid, s.Start.Add(-25*time.Hour)); got != 500_00 {
		t.Fatalf("early refund %d", got)
	}
	if got := r.RefundAt(&paid, s.Start.Add(-23*time.Hour)); got != 0 {
		t.Fatalf("late refund %d", got)
	}
}

func TestHoldLife(t *testing.T) {
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	b := Booking{Status: Held, HoldUntil: now.Add(time.Minute)}
	if b.StatusAt(now) != Held || !b.LiveAt(now) {
		t.Fatal("a live hold")
	}
	if b.StatusAt(now.Add(time.Minute)) != Expired || !b.LiveAt(now.Add(time.Minute)) {
		t.Fatal("an expired hold keeps its place through the grace")
	}
	if b.LiveAt(now.Add(time.Minute + Grace)) {
		t.Fatal("an expired hold past its grace still takes a place")
	}
}

func TestICalendar(t *testing.T) {
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	list := []Booking{
		{ID: "b1", ResourceID: "r1", Status: Confirmed, Start: now.Add(time.Hour), End: now.Add(2 * time.Hour)},
		{ID: "b2", ResourceID: "r1", Status: Cancelled, Start: now, End: now.Add(time.Hour)},
	}
	long := "Зал; конференций, " + strings.Repeat("очень большой ", 8)
	out := ICalendar(list, func(string) string { return long }, now)
	if !strings.HasPrefix(out, "BEGIN:VCALENDAR\r\n") || !strings.HasSuffix(out, "END:VCALENDAR\r\n") {
		t.Fatalf("calendar %q", out)
	}
	if strings.Count(out, "BEGIN:VEVENT") != 1 || !strings.Contains(out, "DTSTART:20300101T010000Z\r\n") {
		t.Fatalf("events %q", out)
	}
	if !strings.Contains(out, `Зал\; конференций\,`) {
		t.Fatalf("not escaped %q", out)
	}
	for _, l := range strings.Split(strings.TrimSuffix(out, "\r\n"), "\r\n") {
		if len(l) > 75 {
			t.Fatalf("line of %d octets: %q", len(l), l)
		}
		if !strings.ContainsRune(l, 0xFFFD) && !utf8Valid(l) {
			t.Fatalf("folded inside a character: %q", l)
		}
	}
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }
