package expo

import (
	"fmt"
	"strings"
	"time"
)

// ICalendar renders an organisation's meetings at an expo as an RFC 5545
// calendar: one VEVENT per meeting, times in UTC, text escaped, lines
// folded at 75 octets and ended by CRLF. (booking.ICalendar renders
// bookings; the two share the format, not the records.)
func ICalendar(e Expo, ms []Meeting, org string, name func(org string) string, now time.Time) string {
	var b strings.Builder
	line := func(s string) {
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
	line("PRODID:-//BRICS Town//Expo meetings//EN")
	line("CALSCALE:GREGORIAN")
	line("METHOD:PUBLISH")
	for _, m := range ms {
		other := m.OrgB
		if m.OrgB == org {
			other = m.OrgA
		}
		line("BEGIN:VEVENT")
		line("UID:" + m.RequestID + "@expo.bricstown")
		line("DTSTAMP:" + stamp(now))
		line("DTSTART:" + stamp(m.Start))
		line("DTEND:" + stamp(m.End))
		line("SUMMARY:" + icalText(e.Name+": "+name(other)))
		line("LOCATION:" + icalText(fmt.Sprintf("%s, table %d", e.Venue, m.Table)))
		line("STATUS:CONFIRMED")
		line("END:VEVENT")
	}
	line("END:VCALENDAR")
	return b.String()
}

func icalText(s string) string {
	return strings.NewReplacer(`\`, `\\`, ";", `\;`, ",", `\,`, "\r\n", `\n`, "\n", `\n`, "\r", `\n`).Replace(s)
}
