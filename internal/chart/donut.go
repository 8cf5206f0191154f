package chart

import (
	"html/template"
	"io"
	"math"
	"math/big"
	"strconv"
)

// Donut shows how a whole divides into parts, such as the share of customs
// declarations routed to the green, yellow and red lanes. The legend lists
// every part with its percentage and value, so the chart never relies on
// colour or on judging angles alone.
type Donut struct {
	Options
	// Slices are drawn clockwise from twelve o'clock in the given order.
	// Negative values cannot be a share of a whole and count as zero.
	Slices []Slice

	// FormatValue renders values and the total. Default FormatInt.
	FormatValue func(int64) string
	// FormatShare renders a share given in tenths of a percent, so callers
	// can choose the decimal separator. Default FormatPermille ("62.5%").
	FormatShare func(permille int64) string
	// CenterLabel is printed under the total in the hole, e.g. "declarations".
	CenterLabel string
	// Pie fills the centre instead of leaving a hole (and drops the total).
	Pie bool
}

// Slice is one part of the whole. The label may be user text; it is
// escaped wherever it appears (legend, tooltip, table).
type Slice struct {
	Label string
	Value int64
}

// Render writes the chart as an HTML fragment; see Line.Render.
func (c Donut) Render(w io.Writer) error { return write(w, c.bytes()) }

// HTML returns the chart for direct use in an html/template.
func (c Donut) HTML() template.HTML { return html(c.bytes()) }

// Shares splits 100% (1000‰) across values by the largest-remainder method,
// so the displayed percentages always add up to exactly 100.0% rather than
// 99.9% or 100.1%. Negative values count as zero. The arithmetic is exact
// for any int64 inputs; it returns nil when the total is zero.
func Shares(values []int64) []int64 {
	total, _ := sumNonNeg(values)
	if total.Sign() == 0 {
		return nil
	}
	out := make([]int64, len(values))
	rems := make([]*big.Int, len(values))
	thousand := big.NewInt(1000)
	var given int64
	for i, v := range values {
		q, r := new(big.Int), new(big.Int)
		q.QuoRem(new(big.Int).Mul(big.NewInt(max(v, 0)), thousand), total, r)
		out[i] = q.Int64()
		rems[i] = r
		given += out[i]
	}
	// Hand out the remaining permille to the largest remainders; ties go
	// to the earlier slice so the result is deterministic.
	for ; given < 1000; given++ {
		best := -1
		for i, r := range rems {
			if r.Sign() > 0 && (best < 0 || r.Cmp(rems[best]) > 0) {
				best = i
			}
		}
		if best < 0 {
			break
		}
		out[best]++
		rems[best].SetInt64(0)
	}
	return out
}

// sumNonNeg adds the non-negative values exactly; the second result tells
// whether the sum also fits an int64 (and so can be formatted).
func sumNonNeg(values []int64) (*big.Int, bool) {
	total := new(big.Int)
	for _, v := range values {
		if v > 0 {
			total.Add(total, big.NewInt(v))
		}
	}
	return total, total.IsInt64()
}

func (c Donut) bytes() []byte {
	W, H := c.size(480, 240)
	fw, fh := float64(W), float64(H)
	fv := valueFormatter(c.FormatValue)
	fs := c.FormatShare
	if fs == nil {
		fs = FormatPermille
	}
	values := make([]int64, len(c.Slices))
	nonZero := 0
	for i, sl := range c.Slices {
		values[i] = max(sl.Value, 0)
		if values[i] > 0 {
			nonZero++
		}
	}
	shares := Shares(values)
	if shares == nil {
		return noDataDoc("donut", c.Options, W, H)
	}
	total, totalFits := sumNonNeg(values)
	totalF, _ := new(big.Float).SetInt(total).Float64()

	var s svg
	top := drawTitle(&s, c.Options, fw)
	availH := fh - pad - top
	d := min(availH, fw*0.45)
	R := d / 2
	r := R * 0.6
	if c.Pie {
		r = 0
	}
	cx, cy := pad+R, top+availH/2

	// Slices, clockwise from the top. A hairline gap separates neighbours
	// without needing a stroke in the (unknown) page background colour.
	gapA := 0.0
	if nonZero > 1 {
		gapA = 1.5 / R
	}
	s.start("g", "class", "chart-slices")
	cum := new(big.Int)
	for i, sl := range c.Slices {
		v := values[i]
		cumF, _ := new(big.Float).SetInt(cum).Float64()
		cum.Add(cum, big.NewInt(v))
		if v == 0 {
			continue
		}
		a0 := 2 * math.Pi * cumF / totalF
		a1 := a0 + 2*math.Pi*float64(v)/totalF
		var d string
		if nonZero == 1 {
			d = ringPath(cx, cy, R, r)
		} else {
			if a1-a0 > 2*gapA {
				a0, a1 = a0+gapA/2, a1-gapA/2
			}
			d = sectorPath(cx, cy, R, r, a0, a1)
		}
		s.start("path", "class", "chart-slice "+seriesClass(i), "color", c.color(i),
			"d", d, "fill", "currentColor", "fill-rule", "evenodd")
		s.elem("title", sl.Label+": "+fs(shares[i])+" ("+fv(sl.Value)+")")
		s.end("path")
	}
	s.end("g")

	t, size := "", 18.0
	if !c.Pie && totalFits {
		t = fv(total.Int64())
		if w := textWidth(t, size); w > r*1.7 {
			size = max(size*r*1.7/w, 9)
		}
		if textWidth(t, size) > r*1.7 {
			// Even the smallest readable size would spill over the ring:
			// the total stays in the tooltips and the table.
			t = ""
		}
	}
	if t != "" {
		ty := cy + size*0.35
		if c.CenterLabel != "" {
			ty -= 6
		}
		s.elem("text", t, "class", "chart-total", "x", num(cx), "y", num(ty),
			"text-anchor", "middle", "font-size", num(size), "font-weight", "600")
		if c.CenterLabel != "" {
			s.elem("text", truncate(c.CenterLabel, r*1.5, 11), "class", "chart-total-label",
				"x", num(cx), "y", num(ty+14), "text-anchor", "middle", "font-size", "11",
				"fill-opacity", "0.7")
		}
	}

	c.drawLegend(&s, fv, fs, shares, pad+d+24, fw-pad, top, availH)

	var table []byte
	if c.Table != nil {
		table = c.table(fv, fs, shares)
	}
	return document("donut", c.Options, W, H, s.Bytes(), table)
}

// drawLegend lays out rows "■ label … share value" to the right of the
// donut, vertically centred on it.
func (c Donut) drawLegend(s *svg, fv func(int64) string, fs func(int64) string,
	shares []int64, x0, x1, top, availH float64) {
	n := len(c.Slices)
	rowH := min(max(availH/float64(n), 16), 24)
	rows := n
	if float64(n)*rowH > availH {
		rows = max(int(availH/rowH)-1, 1) // keep the last row for "+N"
	}
	shareW, valueW := 0.0, 0.0
	for i := range rows {
		shareW = max(shareW, textWidth(fs(shares[i]), fontSize)*1.05)
		valueW = max(valueW, textWidth(fv(c.Slices[i].Value), fontSize))
	}
	showValue := x1-x0-16-shareW-valueW-24 >= 48
	shareX := x1
	if showValue {
		shareX = x1 - valueW - 12
	}
	labelW := shareX - shareW - 16 - (x0 + 16) // a clear gap before the share

	shown := rows
	if rows < n {
		shown++
	}
	y := top + (availH-float64(shown)*rowH)/2
	s.start("g", "class", "chart-legend")
	for i := range rows {
		cy := y + rowH*(float64(i)+0.5)
		s.empty("rect", "class", seriesClass(i), "color", c.color(i),
			"x", num(x0), "y", num(cy-5), "width", "10", "height", "10", "rx", "2", "fill", "currentColor")
		s.elem("text", truncate(c.Slices[i].Label, max(labelW, 10), fontSize),
			"x", num(x0+16), "y", num(cy+fontSize*0.35))
		s.elem("text", fs(shares[i]), "x", num(shareX), "y", num(cy+fontSize*0.35),
			"text-anchor", "end", "font-weight", "600")
		if showValue {
			s.elem("text", fv(c.Slices[i].Value), "x", num(x1), "y", num(cy+fontSize*0.35),
				"text-anchor", "end", "fill-opacity", "0.7")
		}
	}
	if rows < n {
		cy := y + rowH*(float64(rows)+0.5)
		s.elem("text", "+"+strconv.Itoa(n-rows), "x", num(x0+16), "y", num(cy+fontSize*0.35),
			"fill-opacity", "0.7")
	}
	s.end("g")
}

func (c Donut) table(fv func(int64) string, fs func(int64) string, shares []int64) []byte {
	var s svg
	tableStart(&s, c.Options, []string{c.Table.Key, c.Table.Value, c.Table.Share})
	for i, sl := range c.Slices {
		tableRow(&s, sl.Label, []string{fv(sl.Value), fs(shares[i])})
	}
	tableEnd(&s)
	return s.Bytes()
}

// polar converts an angle measured clockwise from twelve o'clock.
func polar(cx, cy, r, a float64) (float64, float64) {
	return cx + r*math.Sin(a), cy - r*math.Cos(a)
}

// sectorPath outlines an annular sector (a pie wedge when r is zero).
func sectorPath(cx, cy, R, r, a0, a1 float64) string {
	large := "0"
	if a1-a0 > math.Pi {
		large = "1"
	}
	x0, y0 := polar(cx, cy, R, a0)
	x1, y1 := polar(cx, cy, R, a1)
	d := "M" + num(x0) + " " + num(y0) +
		" A" + num(R) + " " + num(R) + " 0 " + large + " 1 " + num(x1) + " " + num(y1)
	if r <= 0 {
		return d + " L" + num(cx) + " " + num(cy) + " Z"
	}
	x2, y2 := polar(cx, cy, r, a1)
	x3, y3 := polar(cx, cy, r, a0)
	return d + " L" + num(x2) + " " + num(y2) +
		" A" + num(r) + " " + num(r) + " 0 " + large + " 0 " + num(x3) + " " + num(y3) + " Z"
}

// ringPath draws a full ring (or disc). A single arc cannot describe a full
// circle, so each circle is two half arcs; the hole relies on evenodd.
func ringPath(cx, cy, R, r float64) string {
	circle := func(rad float64) string {
		return "M" + num(cx) + " " + num(cy-rad) +
			" A" + num(rad) + " " + num(rad) + " 0 1 1 " + num(cx) + " " + num(cy+rad) +
			" A" + num(rad) + " " + num(rad) + " 0 1 1 " + num(cx) + " " + num(cy-rad) + " Z"
	}
	if r <= 0 {
		return circle(R)
	}
	return circle(R) + " " + circle(r)
}
