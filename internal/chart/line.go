package chart

import (
	"html/template"
	"io"
	"math"
	"slices"
	"strings"
	"time"
)

// Line is a time-series chart, such as an account balance over time.
// Several series share one value axis and one time axis.
type Line struct {
	Options
	Series []Series

	// FormatValue renders axis labels and tooltip values from minor units,
	// so the caller decides currency, decimals and locale. Default FormatInt.
	FormatValue func(int64) string
	// FormatTime renders dates; see TimeUnit for what precision each call
	// needs. Default FormatTime.
	FormatTime func(time.Time, TimeUnit) string
	// Location aligns date ticks to local midnight, Monday, month start.
	// Defaults to the location of the first point.
	Location *time.Location

	// IncludeZero stretches the value axis to zero. Without it the axis
	// hugs the data, which shows movement better; with it, magnitudes.
	IncludeZero bool
	// Step draws each value as holding until the next point, which is how
	// a balance really behaves between postings.
	Step bool
	// Area shades below each line down to zero (or the axis edge).
	Area bool
}

// Render writes the chart as an HTML fragment: a standalone-valid <svg>, or,
// when Options.Table is set, a <div class="chart-figure"> holding the SVG and
// the data table. The only possible error is the writer's own.
func (c Line) Render(w io.Writer) error { return write(w, c.bytes()) }

// HTML returns the chart for direct use in an html/template.
func (c Line) HTML() template.HTML { return html(c.bytes()) }

func (c Line) bytes() []byte {
	W, H := c.size(640, 320)
	fw, fh := float64(W), float64(H)
	fv := valueFormatter(c.FormatValue)
	ft := c.FormatTime
	if ft == nil {
		ft = FormatTime
	}

	// Sorted copies: callers may pass points in any order, and sorting in
	// place would surprise them.
	series := make([][]Point, len(c.Series))
	var first *Point
	var tmin, tmax time.Time
	var vmin, vmax int64
	for i, s := range c.Series {
		pts := slices.Clone(s.Points)
		slices.SortStableFunc(pts, func(a, b Point) int { return a.At.Compare(b.At) })
		series[i] = pts
		for j := range pts {
			p := pts[j]
			if first == nil {
				first = &pts[j]
				tmin, tmax, vmin, vmax = p.At, p.At, p.Value, p.Value
				continue
			}
			if p.At.Before(tmin) {
				tmin = p.At
			}
			if p.At.After(tmax) {
				tmax = p.At
			}
			vmin, vmax = min(vmin, p.Value), max(vmax, p.Value)
		}
	}
	if first == nil {
		return noDataDoc("line", c.Options, W, H)
	}
	loc := c.Location
	if loc == nil {
		loc = first.At.Location()
	}
	if c.IncludeZero {
		vmin, vmax = min(vmin, 0), max(vmax, 0)
	}
	if tmin.Equal(tmax) {
		// One instant: centre it in a two-day window so the date axis
		// still has context on both sides.
		tmin, tmax = tmin.Add(-24*time.Hour), tmax.Add(24*time.Hour)
	}

	var s svg
	top := drawTitle(&s, c.Options, fw)
	if len(c.Series) > 1 {
		names := make([]string, len(c.Series))
		for i, ser := range c.Series {
			names[i] = seriesName(ser.Name, i)
		}
		items, h := layoutLegend(names, pad, top, fw-2*pad)
		drawLegend(&s, c.Options, items, true)
		top += h + 4
	}
	top += fontSize / 2 // room for the top tick label, centred on its line
	// Two label rows under the plot: ticks, then the date/year context.
	bottom := fh - pad - 2*fontSize - 12

	ys := niceScale(vmin, vmax, tickCount(bottom-top))
	ys.p0, ys.p1 = bottom, top
	ylabels := make([]string, len(ys.ticks))
	labelW := 0.0
	for i, v := range ys.ticks {
		ylabels[i] = fv(v)
		labelW = max(labelW, textWidth(ylabels[i], fontSize))
	}
	left := pad + min(labelW, fw/3) + 8
	right := fw - pad
	xa := newTimeAxis(tmin, tmax, loc, left, right, 2, fw-2, ft)
	if len(xa.context) == 0 {
		// No second row (year ticks): give its space back to the plot.
		bottom += fontSize + 4
	}

	// Grid and value labels.
	s.start("g", "class", "chart-grid", "stroke", "currentColor", "stroke-opacity", "0.12")
	for _, v := range ys.ticks {
		y := crisp(ys.pos(v))
		s.empty("line", "x1", num(left), "x2", num(right), "y1", num(y), "y2", num(y))
	}
	s.end("g")
	s.start("g", "class", "chart-axis chart-axis-y", "text-anchor", "end", "fill-opacity", "0.75")
	for i, v := range ys.ticks {
		s.elem("text", truncate(ylabels[i], fw/3, fontSize),
			"x", num(left-8), "y", num(ys.pos(v)+fontSize*0.35))
	}
	s.end("g")

	// Time axis: baseline, tick marks and labels. Labels near the edges are
	// nudged inwards rather than clipped.
	s.start("g", "class", "chart-axis chart-axis-x", "text-anchor", "middle", "fill-opacity", "0.75")
	s.empty("line", "class", "chart-baseline", "x1", num(left), "x2", num(right),
		"y1", num(crisp(bottom)), "y2", num(crisp(bottom)), "stroke", "currentColor", "stroke-opacity", "0.35")
	for i, t := range xa.ticks {
		x := crisp(xa.pos(t))
		s.empty("line", "x1", num(x), "x2", num(x), "y1", num(bottom), "y2", num(bottom+4),
			"stroke", "currentColor", "stroke-opacity", "0.35")
		s.elem("text", xa.labels[i], "x", num(xa.labelX(x, xa.labels[i])), "y", num(bottom+fontSize+6))
	}
	for _, c := range xa.context {
		s.elem("text", c.text, "class", "chart-axis-context", "x", num(c.x),
			"y", num(bottom+2*fontSize+10), "fill-opacity", "0.6")
	}
	s.end("g")

	// A zero line inside the plot tells gains from losses at a glance.
	zero := ys.pos(0)
	if ys.lo < 0 && ys.hi > 0 {
		s.empty("line", "class", "chart-zero", "x1", num(left), "x2", num(right),
			"y1", num(crisp(zero)), "y2", num(crisp(zero)), "stroke", "currentColor", "stroke-opacity", "0.45")
	}

	for i, pts := range series {
		if len(pts) == 0 {
			continue
		}
		name := seriesName(c.Series[i].Name, i)
		s.start("g", "class", "chart-series "+seriesClass(i), "color", c.color(i))
		xs := make([]float64, len(pts))
		yv := make([]float64, len(pts))
		for j, p := range pts {
			xs[j], yv[j] = xa.pos(p.At), ys.pos(p.Value)
		}
		path := linePath(xs, yv, c.Step)
		if c.Area && len(pts) > 1 {
			area := path + " V" + num(zero) + " H" + num(xs[0]) + " Z"
			s.empty("path", "class", "chart-area", "d", area, "fill", "currentColor", "fill-opacity", "0.12")
		}
		if len(pts) > 1 {
			s.empty("path", "class", "chart-line", "d", path, "fill", "none", "stroke", "currentColor",
				"stroke-width", "2", "stroke-linejoin", "round", "stroke-linecap", "round")
		}
		// Markers make sparse data readable and carry a native tooltip;
		// dense series would only turn into a smudge.
		if len(pts) == 1 || (len(pts) <= 40 && (right-left)/float64(len(pts)) >= 10) {
			r := "3"
			if len(pts) == 1 {
				r = "4"
			}
			for j, p := range pts {
				s.start("circle", "class", "chart-point", "cx", num(xs[j]), "cy", num(yv[j]), "r", r,
					"fill", "currentColor")
				s.elem("title", name+" · "+ft(p.At.In(loc), Exact)+": "+fv(p.Value))
				s.end("circle")
			}
		}
		s.end("g")
	}

	var table []byte
	if c.Table != nil {
		table = c.table(series, loc, fv, ft)
	}
	return document("line", c.Options, W, H, s.Bytes(), table)
}

func linePath(xs, ys []float64, step bool) string {
	var b strings.Builder
	for i := range xs {
		switch {
		case i == 0:
			b.WriteString("M" + num(xs[0]) + " " + num(ys[0]))
		case step:
			b.WriteString(" H" + num(xs[i]) + " V" + num(ys[i]))
		default:
			b.WriteString(" L" + num(xs[i]) + " " + num(ys[i]))
		}
	}
	return b.String()
}

// crisp snaps a horizontal or vertical 1px line to the pixel grid so it is
// drawn sharp rather than as a blurred 2px band.
func crisp(v float64) float64 { return math.Floor(v) + 0.5 }

func (c Line) table(series [][]Point, loc *time.Location, fv func(int64) string,
	ft func(time.Time, TimeUnit) string) []byte {
	var instants []time.Time
	for _, pts := range series {
		for _, p := range pts {
			instants = append(instants, p.At)
		}
	}
	slices.SortFunc(instants, func(a, b time.Time) int { return a.Compare(b) })
	instants = slices.CompactFunc(instants, func(a, b time.Time) bool { return a.Equal(b) })

	var s svg
	cols := []string{c.Table.Key}
	for i, ser := range c.Series {
		cols = append(cols, seriesName(ser.Name, i))
	}
	tableStart(&s, c.Options, cols)
	idx := make([]int, len(series)) // per-series cursor; points are sorted
	for _, t := range instants {
		cells := make([]string, len(series))
		for i, pts := range series {
			// Several points at one instant: the last one is the value
			// that stands, as with postings on a balance.
			for idx[i] < len(pts) && !pts[idx[i]].At.After(t) {
				if pts[idx[i]].At.Equal(t) {
					cells[i] = fv(pts[idx[i]].Value)
				}
				idx[i]++
			}
		}
		tableRow(&s, ft(t.In(loc), Exact), cells)
	}
	tableEnd(&s)
	return s.Bytes()
}
