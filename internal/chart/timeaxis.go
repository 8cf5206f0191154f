package chart

import (
	"time"
)

// timeStep is a calendar-aligned tick interval: "every n units".
type timeStep struct {
	unit TimeUnit
	n    int
	ms   int64 // nominal length, only for estimating tick counts
}

var timeSteps = func() []timeStep {
	const (
		sec  = int64(1000)
		mins = 60 * sec
		hour = 60 * mins
		day  = 24 * hour
	)
	var out []timeStep
	for _, n := range []int{1, 2, 5, 10, 15, 30} {
		out = append(out, timeStep{Second, n, int64(n) * sec})
	}
	for _, n := range []int{1, 2, 5, 10, 15, 30} {
		out = append(out, timeStep{Minute, n, int64(n) * mins})
	}
	for _, n := range []int{1, 2, 3, 6, 12} {
		out = append(out, timeStep{Hour, n, int64(n) * hour})
	}
	for _, n := range []int{1, 2, 7} {
		out = append(out, timeStep{Day, n, int64(n) * day})
	}
	for _, n := range []int{1, 2, 3, 6} {
		out = append(out, timeStep{Month, n, int64(n) * 30 * day})
	}
	for p := 1; p <= 100_000_000; p *= 10 {
		for _, m := range []int{1, 2, 5} {
			out = append(out, timeStep{Year, m * p, int64(m*p) * 365 * day})
		}
	}
	return out
}()

// floor returns the latest tick boundary at or before t, aligned to the
// calendar in loc (so daily ticks fall on local midnight, weekly ones on
// Mondays, quarterly ones on January, April, July and October).
func (st timeStep) floor(t time.Time, loc *time.Location) time.Time {
	t = t.In(loc)
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	switch st.unit {
	case Second:
		return time.Date(y, mo, d, h, mi, s-s%st.n, 0, loc)
	case Minute:
		return time.Date(y, mo, d, h, mi-mi%st.n, 0, 0, loc)
	case Hour:
		return time.Date(y, mo, d, h-h%st.n, 0, 0, 0, loc)
	case Day:
		if st.n == 7 {
			return time.Date(y, mo, d-(int(t.Weekday())+6)%7, 0, 0, 0, 0, loc)
		}
		return time.Date(y, mo, d-(d-1)%st.n, 0, 0, 0, 0, loc)
	case Month:
		return time.Date(y, mo-time.Month((int(mo)-1)%st.n), 1, 0, 0, 0, 0, loc)
	default:
		r := y % st.n
		if r < 0 {
			r += st.n
		}
		return time.Date(y-r, 1, 1, 0, 0, 0, 0, loc)
	}
}

// next advances one step by calendar arithmetic, which stays aligned
// across month lengths and daylight-saving changes.
func (st timeStep) next(t time.Time, loc *time.Location) time.Time {
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	switch st.unit {
	case Second:
		return time.Date(y, mo, d, h, mi, s+st.n, 0, loc)
	case Minute:
		return time.Date(y, mo, d, h, mi+st.n, 0, 0, loc)
	case Hour:
		return time.Date(y, mo, d, h+st.n, 0, 0, 0, loc)
	case Day:
		return time.Date(y, mo, d+st.n, 0, 0, 0, 0, loc)
	case Month:
		return time.Date(y, mo+time.Month(st.n), 1, 0, 0, 0, 0, loc)
	default:
		return time.Date(y+st.n, 1, 1, 0, 0, 0, 0, loc)
	}
}

// timeAxis maps instants onto a pixel interval.
type timeAxis struct {
	t0, t1     int64 // domain in Unix milliseconds
	p0, p1     float64
	minX, maxX float64 // labels are kept inside this span
	ticks      []time.Time
	labels     []string
	// context labels form a second row giving what the short tick labels
	// leave out: the date under times of day, the year under days/months.
	context []contextLabel
}

type contextLabel struct {
	x    float64 // centre, already kept inside [minX, maxX]
	text string
}

func (a timeAxis) pos(t time.Time) float64 {
	ms := min(max(t.UnixMilli(), a.t0), a.t1)
	den := uint64(a.t1) - uint64(a.t0)
	if den == 0 {
		return (a.p0 + a.p1) / 2
	}
	return a.p0 + (a.p1-a.p0)*float64(uint64(ms)-uint64(a.t0))/float64(den)
}

// labelX is where a label centred on x is drawn: nudged inwards near the
// edges so it is never clipped.
func (a timeAxis) labelX(x float64, text string) float64 {
	w := textWidth(text, fontSize)
	return max(min(x, a.maxX-w/2), a.minX+w/2)
}

// newTimeAxis chooses the finest calendar step whose labels do not collide
// at this width. If no calendar step produces a tick inside the domain (a
// sub-second span) the two ends are labelled exactly instead.
func newTimeAxis(from, to time.Time, loc *time.Location, p0, p1, minX, maxX float64,
	format func(time.Time, TimeUnit) string) timeAxis {
	a := timeAxis{t0: from.UnixMilli(), t1: to.UnixMilli(), p0: p0, p1: p1, minX: minX, maxX: maxX}
	span := a.t1 - a.t0
	maxTicks := int64(max((p1-p0)/30, 2))
	for _, st := range timeSteps {
		if span/st.ms > maxTicks {
			continue
		}
		var ticks []time.Time
		for t := st.floor(from, loc); !t.After(to) && len(ticks) <= int(maxTicks)+1; {
			if !t.Before(from) {
				ticks = append(ticks, t)
			}
			n := st.next(t, loc)
			if !n.After(t) { // defensive: calendar arithmetic must advance
				break
			}
			t = n
		}
		if len(ticks) == 0 || len(ticks) > int(maxTicks)+1 {
			continue
		}
		labels := make([]string, len(ticks))
		for i, t := range ticks {
			labels[i] = format(t, st.unit)
		}
		if a.fits(ticks, labels) {
			a.ticks, a.labels = ticks, labels
			a.context = a.contextRow(ticks, st.unit, loc, format)
			return a
		}
	}
	a.ticks = []time.Time{from.In(loc), to.In(loc)}
	a.labels = []string{format(a.ticks[0], Exact), format(a.ticks[1], Exact)}
	if a.labels[0] == a.labels[1] || !a.fits(a.ticks, a.labels) {
		a.ticks, a.labels = a.ticks[:1], a.labels[:1]
	}
	return a
}

// contextRow labels the first tick and every tick where the context
// changes. Where two would overlap the later one wins, since it marks a
// change (a new day or year) while the earlier one only restates the start.
func (a timeAxis) contextRow(ticks []time.Time, unit TimeUnit, loc *time.Location,
	format func(time.Time, TimeUnit) string) []contextLabel {
	ctx := func(t time.Time) string {
		switch unit {
		case Second, Minute, Hour:
			y, m, d := t.Date()
			return format(time.Date(y, m, d, 0, 0, 0, 0, loc), Exact)
		case Day, Month:
			return format(t, Year)
		}
		return ""
	}
	var all []contextLabel
	prev := ""
	for i, t := range ticks {
		c := ctx(t)
		if c != "" && (i == 0 || c != prev) {
			all = append(all, contextLabel{x: a.labelX(a.pos(t), c), text: c})
		}
		prev = c
	}
	var kept []contextLabel
	leftEdge := a.maxX + 1000
	for i := len(all) - 1; i >= 0; i-- {
		w := textWidth(all[i].text, fontSize)
		if all[i].x+w/2+12 <= leftEdge {
			kept = append(kept, all[i])
			leftEdge = all[i].x - w/2
		}
	}
	for i, j := 0, len(kept)-1; i < j; i, j = i+1, j-1 {
		kept[i], kept[j] = kept[j], kept[i]
	}
	return kept
}

// fits reports whether neighbouring labels keep a readable gap where they
// will actually be drawn.
func (a timeAxis) fits(ticks []time.Time, labels []string) bool {
	for i := 1; i < len(ticks); i++ {
		gap := a.labelX(a.pos(ticks[i]), labels[i]) - a.labelX(a.pos(ticks[i-1]), labels[i-1])
		need := (textWidth(labels[i-1], fontSize)+textWidth(labels[i], fontSize))/2 + 12
		if gap < need {
			return false
		}
	}
	return true
}
