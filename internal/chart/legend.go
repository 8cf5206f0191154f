package chart

import "strconv"

type legendItem struct {
	x, y  float64 // top-left of the item
	label string  // already truncated to fit
	index int     // series index, for colour and class
}

const legendRow = 18.0

// layoutLegend flows items left to right, wrapping at maxW, and returns the
// items with positions and the total height used.
func layoutLegend(names []string, x0, y0, maxW float64) ([]legendItem, float64) {
	var items []legendItem
	x, y := x0, y0
	for i, name := range names {
		label := truncate(name, maxW-20, fontSize)
		w := 20 + textWidth(label, fontSize)
		if x > x0 && x+w > x0+maxW {
			x, y = x0, y+legendRow
		}
		items = append(items, legendItem{x: x, y: y, label: label, index: i})
		x += w + 16
	}
	if len(items) == 0 {
		return nil, 0
	}
	return items, y - y0 + legendRow
}

// drawLegend draws the items; lines get a short stroke swatch, bars and
// slices a square, so the key looks like what it explains.
func drawLegend(s *svg, o Options, items []legendItem, line bool) {
	s.start("g", "class", "chart-legend")
	for _, it := range items {
		cy := it.y + legendRow/2
		if line {
			s.empty("rect", "class", seriesClass(it.index), "color", o.color(it.index),
				"x", num(it.x), "y", num(cy-1.5), "width", "14", "height", "3", "rx", "1.5",
				"fill", "currentColor")
		} else {
			s.empty("rect", "class", seriesClass(it.index), "color", o.color(it.index),
				"x", num(it.x+2), "y", num(cy-5), "width", "10", "height", "10", "rx", "2",
				"fill", "currentColor")
		}
		s.elem("text", it.label, "x", num(it.x+20), "y", num(cy+fontSize*0.35))
	}
	s.end("g")
}

// tableStart opens the accessible data table with its caption and header.
func tableStart(s *svg, o Options, cols []string) {
	s.start("table", "class", "chart-sr-only")
	if o.Title != "" {
		s.elem("caption", o.Title)
	}
	s.start("thead")
	s.start("tr")
	for _, c := range cols {
		s.elem("th", c, "scope", "col")
	}
	s.end("tr")
	s.end("thead")
	s.start("tbody")
}

func tableRow(s *svg, head string, cells []string) {
	s.start("tr")
	s.elem("th", head, "scope", "row")
	for _, c := range cells {
		s.elem("td", c)
	}
	s.end("tr")
}

func tableEnd(s *svg) {
	s.end("tbody")
	s.end("table")
}

// seriesName gives unnamed series a stable label for tables and tooltips.
func seriesName(name string, i int) string {
	if name != "" {
		return name
	}
	return "#" + strconv.Itoa(i+1)
}

func valueFormatter(f func(int64) string) func(int64) string {
	if f == nil {
		return FormatInt
	}
	return f
}
