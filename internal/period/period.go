// Package period reads the from/to bounds of every listing and report the
// platform serves, with one rule for all of them: a bound is an RFC 3339
// time or a date (YYYY-MM-DD, UTC); a date as `from` means the start of
// that day and a date as `to` means the whole day (its end, exclusive), so
// from=2026-03-02&to=2026-03-02 is that one day everywhere.
package period

import (
	"strings"
	"time"

	"bricstown/internal/problem"
)

// Bound reads one bound; end says whether it is the upper one. An empty
// text gives def. A bad text is reported in f under field and gives def.
func Bound(f problem.Fields, field, text string, end bool, def time.Time) time.Time {
	v := strings.TrimSpace(text)
	if v == "" {
		return def
	}
	if d, err := time.Parse(time.DateOnly, v); err == nil {
		if end {
			d = d.AddDate(0, 0, 1)
		}
		return d
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t.UTC()
	}
	f.Add(field, "must be a date YYYY-MM-DD or an RFC 3339 time, e.g. 2026-03-14T09:00:00Z")
	return def
}
