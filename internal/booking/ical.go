package booking

import (
	"fmt"
	"strings"
	"time"
)

// ICalendar renders bookings as an RFC 5545 calendar: one VEVENT per
// booking that is held or confirmed, times in UTC, text escaped, lines
// folded at 75 octets and ended by CRLF. name gives a resource's name.
func ICalendar(list []Booking, name func(resourceID string) string, now time.Time) string {
	var b strings.Builder
	line := func(s string) {
		// Fold at 75 octets without splitting a UTF-8 sequence.
		for len(s) > 75 {
			cut := 75
			for cut > 0 && s[cut]&0xC0 == 0x80 {
				cut--
			}
			b.WriteString(s[:cut] + "\r\n")
			s = " " + s[cut:]
		}
		b.WriteString(s + "\r\n")
	}
	stamp := func(t time.Time) string { return t.UTC().Format("20060102T150405Z") }
	line("BEGIN:VCALENDAR")
	line("VERSION:2.0")
	line("PRODID:-//BRICS Town//Bookings//EN")
	line("CALSCALE:GREGORIAN")
	line("METHOD:PUBLISH")
	for _, bk := range list {
		st := bk.StatusAt(now)
		if st != Held && st != Confirmed && st != Confirming {
			continue
		}
		line("BEGIN:VEVENT")
		line("UID:" + bk.ID + "@bookings.bricstown")
		line("DTSTAMP:" + stamp(now))
		line("DTSTART:" + stamp(bk.Start))
		line("DTEND:" + stamp(bk.End))
		line("SUMMARY:" + icalText(name(bk.ResourceID)))
		if st == Confirmed {
			line("STATUS:CONFIRMED")
		} else {
			line("STATUS:TENTATIVE")
		}
		line(fmt.Sprintf("DESCRIPTION:%s", icalText("booking "+bk.ID)))
		line("END:VEVENT")
	}
	line("END:VCALENDAR")
	return b.String()
}

// icalText escapes a TEXT value (RFC 5545 3.3.11).
func icalText(s string) string {
	r := strings.NewReplacer(`\`, `\\`, ";", `\;`, ",", `\,`, "\r\n", `\n`, "\n", `\n`, "\r", `\n`)
	return r.Replace(s)
}
