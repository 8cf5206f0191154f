package chart

import (
	"html/template"
	"io"
	"math"
)

// Bar compares values across categories, such as liquidity saved per
// clearing cycle. With several series the bars are grouped side by side
// (gross next to net) or, with Stacked, piled into one bar per category.
type Bar struct {
	Options
	// Categories label the bars in order; they may be user text.
	Categories []string
	// Series hold one value per category, aligned by index. Missing
	// trailing values count as zero and extra values are ignored.
	Series []BarSeries

	// Stacked piles series on top of each other, positives upwards and
	// negatives downwards from zero, for parts that add up to a whole.
	Stacked bool
	// ShowValues prints each value (or, stacked, the category total) at the
	// end of its bar, where it fits.
	ShowValues bool
	// FormatValue renders values from minor units. Default FormatInt.
	FormatValue func(int64) string
}

// BarSeries is one set of bars sharing a colour and a legend entry.
type BarSeries struct {
	Name   string
	Values []int64
}

// Render writes the chart as an HTML fragment; see Line.Render.
func (c Bar) Render(w io.Writer) error { return write(w, c.bytes()) }

// HTML returns the chart for direct use in an html/template.
func (c Bar) HTML() template.HTML { return html(c.bytes()) }

func (c Bar) value(si, ci int) int64 {
	if v := c.Series[si].Values; ci < len(v) {
		return v[ci]
	}
	return 0
}

func (c Bar) bytes() []byte {
	W, H := c.size(640, 320)
	fw, fh := float64(W), float64(H)
	fv := valueFormatter(c.FormatValue)
	n, k := len(c.Categories), len(c.Series)
	if n == 0 || k == 0 {
		return noDataDoc("bar", c.Options, W, H)
	}

	// Bars grow from zero, so zero is always inside the domain. Stacks are
	// summed with saturation: a pile beyond the int64 range is drawn to the
	// edge instead of wrapping round to the other sign.
	var lo, hi int64
	hasNeg := false
	totals := make([]int64, n)
	for ci := range n {
		var pos, neg, all int64
		for si := range k {
			v := c.value(si, ci)
			all = satAdd(all, v)
			if v < 0 {
				hasNeg = true
				neg = satAdd(neg, v)
			} else {
				pos = satAdd(pos, v)
			}
			if !c.Stacked {
				lo, hi = min(lo, v), max(hi, v)
			}
		}
		totals[ci] = all
		if c.Stacked {
			lo, hi = min(lo, neg), max(hi, pos)
		}
	}
	if lo == 0 && hi == 0 {
		hi = 1 // all zero: keep the baseline at the bottom, not mid-plot
	}

	var s svg
	top := drawTitle(&s, c.Options, fw)
	if k > 1 {
		names := make([]string, k)
		for i, ser := range c.Series {
			names[i] = seriesName(ser.Name, i)
		}
		items, h := layoutLegend(names, pad, top, fw-2*pad)
		drawLegend(&s, c.Options, items, false)
		top += h + 4
	}
	top += fontSize / 2
	if c.ShowValues {
		top += fontSize + 2
	}
	labelsY := fh - pad - 2 // category label baseline
	bottom := labelsY - fontSize - 6
	if c.ShowValues && hasNeg {
		bottom -= fontSize + 2
	}

	ys := niceScale(lo, hi, tickCount(bottom-top))
	ys.p0, ys.p1 = bottom, top
	ylabels := make([]string, len(ys.ticks))
	labelW := 0.0
	for i, v := range ys.ticks {
		ylabels[i] = fv(v)
		labelW = max(labelW, textWidth(ylabels[i], fontSize))
	}
	left := pad + min(labelW, fw/3) + 8
	right := fw - pad
	band := (right - left) / float64(n)

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

	// Category labels: wide bars get every label, shortened if need be.
	// Narrow bars get every k-th label in full, since cutting each one down
	// to a few letters would leave the same useless prefix everywhere. All
	// names remain in the tooltips and the table.
	maxLabel := 0.0
	for _, cat := range c.Categories {
		maxLabel = max(maxLabel, textWidth(cat, fontSize))
	}
	every := 1
	if band < 56 {
		every = min(max(int(math.Ceil(min(maxLabel+10, 110)/band)), 1), n)
	}
	s.start("g", "class", "chart-axis chart-axis-x", "text-anchor", "middle", "fill-opacity", "0.75")
	for ci := 0; ci < n; ci += every {
		x := left + band*(float64(ci)+0.5)
		label := truncate(c.Categories[ci], float64(every)*band-4, fontSize)
		w := textWidth(label, fontSize)
		x = min(max(x, w/2+2), fw-w/2-2)
		s.elem("text", label, "x", num(x), "y", num(labelsY))
	}
	s.end("g")

	inner := band * 0.72
	if band < 8 {
		inner = band * 0.9
	}
	gap := 0.0
	if !c.Stacked && k > 1 {
		gap = min(2, inner*0.06)
	}
	barW := inner
	if !c.Stacked {
		barW = (inner - gap*float64(k-1)) / float64(k)
	}
	zero := ys.pos(0)

	for si, ser := range c.Series {
		s.start("g", "class", "chart-series "+seriesClass(si), "color", c.color(si), "fill", "currentColor")
		for ci := range n {
			v := c.value(si, ci)
			if v == 0 {
				continue // nothing to draw; the table and axis still show it
			}
			x := left + band*float64(ci) + (band-inner)/2
			from := int64(0)
			if c.Stacked {
				from = c.stackBase(si, ci)
			} else {
				x += float64(si) * (barW + gap)
			}
			y0, y1 := ys.pos(from), ys.pos(satAdd(from, v))
			if v != 0 && math.Abs(y1-y0) < 1 {
				// Keep tiny non-zero values visible as a hairline.
				if v > 0 {
					y1 = y0 - 1
				} else {
					y1 = y0 + 1
				}
			}
			rx := ""
			if !c.Stacked && barW >= 6 {
				rx = "1.5"
			}
			s.start("rect", "class", "chart-bar",
				"x", num(x), "y", num(min(y0, y1)), "width", num(max(barW, 0.5)),
				"height", num(math.Abs(y1-y0)), "rx", rx)
			tip := c.Categories[ci] + ": " + fv(v)
			if k > 1 {
				tip = c.Categories[ci] + " · " + seriesName(ser.Name, si) + ": " + fv(v)
			}
			s.elem("title", tip)
			s.end("rect")
		}
		s.end("g")
	}

	// The zero line is drawn over the bars so it reads as the baseline.
	s.empty("line", "class", "chart-zero", "x1", num(left), "x2", num(right),
		"y1", num(crisp(zero)), "y2", num(crisp(zero)), "stroke", "currentColor", "stroke-opacity", "0.45")

	if c.ShowValues {
		c.drawValues(&s, fv, ys, totals, left, band, inner, barW, gap)
	}

	var table []byte
	if c.Table != nil {
		table = c.table(fv)
	}
	return document("bar", c.Options, W, H, s.Bytes(), table)
}

// stackBase is where series si starts in category ci's stack: the sum of
// the earlier series of the same sign.
func (c Bar) stackBase(si, ci int) int64 {
	v := c.value(si, ci)
	var base int64
	for j := range si {
		w := c.value(j, ci)
		if (w < 0) == (v < 0) {
			base = satAdd(base, w)
		}
	}
	return base
}

func (c Bar) drawValues(s *svg, fv func(int64) string, ys scale, totals []int64,
	left, band, inner, barW, gap float64) {
	s.start("g", "class", "chart-values", "text-anchor", "middle", "font-size", "11", "fill-opacity", "0.85")
	label := func(x float64, v, end int64, room float64) {
		t := fv(v)
		if textWidth(t, 11) > room {
			return // would collide with its neighbour; the tooltip has it
		}
		y := ys.pos(end) - 4
		if v < 0 {
			y = ys.pos(end) + 11 + 2
		}
		s.elem("text", t, "x", num(x), "y", num(y))
	}
	for ci := range c.Categories {
		x0 := left + band*float64(ci) + (band-inner)/2
		if c.Stacked {
			// The label sits at the end of the stack the total points to.
			var pos, neg int64
			for si := range c.Series {
				if v := c.value(si, ci); v < 0 {
					neg = satAdd(neg, v)
				} else {
					pos = satAdd(pos, v)
				}
			}
			end := pos
			if totals[ci] < 0 {
				end = neg
			}
			label(x0+inner/2, totals[ci], end, band-2)
			continue
		}
		for si := range c.Series {
			v := c.value(si, ci)
			x := x0 + float64(si)*(barW+gap) + barW/2
			label(x, v, v, band/float64(len(c.Series))-2)
		}
	}
	s.end("g")
}

func (c Bar) table(fv func(int64) string) []byte {
	var s svg
	cols := []string{c.Table.Key}
	for i, ser := range c.Series {
		cols = append(cols, seriesName(ser.Name, i))
	}
	tableStart(&s, c.Options, cols)
	for ci, cat := range c.Categories {
		cells := make([]string, len(c.Series))
		for si := range c.Series {
			cells[si] = fv(c.value(si, ci))
		}
		tableRow(&s, cat, cells)
	}
	tableEnd(&s)
	return s.Bytes()
}
