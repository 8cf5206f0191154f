// Package chart draws the platform's charts as finished SVG on the server.
//
// Pages are rendered with html/template and htmx and ship no charting
// JavaScript, so a chart has to arrive as markup that is safe to embed as
// is: every caller-supplied string (series names, category labels, titles)
// is escaped here, and the output is a template.HTML the page can drop into
// a template without further treatment.
//
// Money never passes through float64. Value ranges, tick steps and tick
// positions are computed on int64 minor units with overflow-checked integer
// arithmetic; a value becomes a float only when it is finally turned into a
// pixel coordinate. Labels are produced by caller-supplied formatters so that
// currency, locale and language stay the caller's concern.
//
// Colours are presentation attributes (never style attributes or <style>
// elements, which a strict Content-Security-Policy would block) and every
// coloured element carries a class, so a page stylesheet can re-theme charts;
// see [CSS] for the hooks. Text uses currentColor and follows the page's
// text colour, which keeps charts legible in dark themes.
package chart

import (
	"bytes"
	"hash/fnv"
	"html/template"
	"io"
	"strconv"
	"strings"
	"time"
)

// Point is one observation of a time series. The value is in minor units
// (or any integer quantity) so that the chart can never round money.
type Point struct {
	At    time.Time
	Value int64
}

// Series is a named line. Names reach the legend, tooltips and the data
// table, and are escaped, so they may come straight from user input.
type Series struct {
	Name   string
	Points []Point
}

// Options carries what every chart kind needs. The zero value is usable:
// sizes, palette and the placeholder text fall back to defaults.
type Options struct {
	// Width and Height set the viewBox in pixels. The SVG also carries them
	// as width/height attributes so it renders standalone; a stylesheet can
	// make it fluid (see CSS) because all geometry is relative to the viewBox.
	Width, Height int

	// Title is the accessible name of the chart and, unless HideTitle is
	// set, is also drawn at the top. A chart without a title is an image
	// without a name to screen readers, so callers should always set it.
	Title string
	// HideTitle keeps Title as the accessible name only, for pages whose
	// own heading already labels the chart visually.
	HideTitle bool
	// Desc is read by screen readers after the title; use it to summarise
	// what the chart shows (for example the trend) in the user's language.
	Desc string

	// NoData is shown instead of the chart when there is nothing to plot.
	// It is caller-supplied so it can be translated; defaults to "No data".
	NoData string

	// Colors overrides the palette per series (line, bar) or slice (donut),
	// by index; missing or unusable entries fall back to Palette. Values are
	// CSS colours such as "#0072B2" or "rgb(0 114 178)".
	Colors []string

	// Class is appended to the root element's class list so pages can
	// target one chart from their stylesheet.
	Class string
	// ID prefixes the ids used for aria references. When empty an id is
	// derived from the chart content, which keeps output deterministic
	// (cacheable, testable) and distinct for different charts on one page.
	ID string

	// Table, when set, adds a data table after the SVG, inside a wrapping
	// <div class="chart-figure">. The table carries class "chart-sr-only",
	// which the page must style as visually hidden (see CSS); it gives
	// screen-reader users the exact figures that the picture only implies.
	Table *TableText
}

// TableText holds the column headers of the accessible data table, which
// only the caller can supply in the user's language.
type TableText struct {
	// Key heads the first column: the date (line), category (bar) or
	// slice label (donut).
	Key string
	// Value and Share head the donut table's value and percentage columns.
	Value string
	Share string
}

// TimeUnit tells a time formatter which label it is producing, so callers
// can localise dates without re-deriving the tick spacing.
//
// Axis tick labels are short because the time axis prints the coarser part
// on a second row: under time-of-day ticks (Second, Minute, Hour) the row
// gives the date, formatted as Exact at local midnight; under Day and Month
// ticks it gives the year, formatted as Year. So a formatter should return
// only the time for Second/Minute/Hour, day and month for Day, the month for
// Month and the year for Year.
type TimeUnit int

// Label kinds passed to a FormatTime function. Exact names one instant on
// its own (tooltips, the data table, the date row) and must be unambiguous;
// it should omit the time of day when that is midnight.
const (
	Exact TimeUnit = iota
	Second
	Minute
	Hour
	Day
	Month
	Year
)

// Palette returns the default series colours: the Okabe–Ito set, chosen
// because its hues stay distinguishable under the common forms of colour
// blindness. Yellow comes last since it has little contrast on white.
func Palette() []string {
	return []string{
		"#0072B2", // blue
		"#E69F00", // orange
		"#009E73", // bluish green
		"#D55E00", // vermillion
		"#56B4E9", // sky blue
		"#CC79A7", // reddish purple
		"#7F7F7F", // grey
		"#F0E442", // yellow
	}
}

// Traffic-light colours for status shares such as customs lanes. Green and
// Red are the Okabe–Ito bluish green and vermillion rather than pure green
// and red, the pair most often confused by colour-blind users; Yellow is a
// deeper yellow than Okabe–Ito's so that it keeps some contrast on white.
const (
	Green  = "#009E73"
	Yellow = "#E6C300"
	Red    = "#D55E00"
)

// CSS is a suggested stylesheet fragment for pages that embed charts. The
// package cannot ship it inline (a strict CSP would block inline styles), so
// the UI should include it in its own stylesheet. It makes charts fluid,
// hides the data table visually while keeping it for screen readers, and
// shows the hooks for theming series colours through custom properties.
const CSS = `.chart { max-width: 100%; height: auto; }
.chart-figure { position: relative; }
.chart-sr-only {
  position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px;
  overflow: hidden; clip: rect(0 0 0 0); clip-path: inset(50%);
  white-space: nowrap; border: 0;
}
/* Series colours: every series/slice element has class chart-sN and draws
   with currentColor, so setting color is enough to re-theme it. */
.chart .chart-s0 { color: var(--chart-1, #0072B2); }
.chart .chart-s1 { color: var(--chart-2, #E69F00); }
.chart .chart-s2 { color: var(--chart-3, #009E73); }
.chart .chart-s3 { color: var(--chart-4, #D55E00); }
`

const (
	svgNS      = "http://www.w3.org/2000/svg"
	fontFamily = "system-ui, -apple-system, Segoe UI, Roboto, Helvetica Neue, Arial, sans-serif"
	fontSize   = 12.0
	titleSize  = 14.0
	pad        = 12.0
)

func (o Options) size(defW, defH int) (int, int) {
	w, h := o.Width, o.Height
	if w <= 0 {
		w = defW
	}
	if h <= 0 {
		h = defH
	}
	// Below this the plot area would vanish behind margins.
	w = max(w, 160)
	h = max(h, 100)
	return w, h
}

func (o Options) noData() string {
	if o.NoData == "" {
		return "No data"
	}
	return o.NoData
}

// color returns the colour of series i: the caller's override when it is a
// plausible CSS colour, else the palette entry.
func (o Options) color(i int) string {
	if i < len(o.Colors) && safeColor(o.Colors[i]) {
		return o.Colors[i]
	}
	p := Palette()
	return p[i%len(p)]
}

// safeColor rejects anything that is not shaped like a CSS colour. The value
// is escaped anyway; this only stops junk from producing a broken chart.
func safeColor(c string) bool {
	if c == "" || len(c) > 64 {
		return false
	}
	for _, r := range c {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case strings.ContainsRune("#(),.% -/", r):
		default:
			return false
		}
	}
	return true
}

func seriesClass(i int) string { return "chart-s" + strconv.Itoa(i) }

// idPrefix returns the prefix for element ids: the caller's, restricted to
// characters that are safe in ids and url() references, or a hash of body.
func (o Options) idPrefix(body []byte) string {
	if o.ID != "" {
		var b strings.Builder
		for _, r := range o.ID {
			if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
				b.WriteRune(r)
			} else {
				b.WriteByte('_')
			}
		}
		return b.String()
	}
	h := fnv.New64a()
	h.Write([]byte(o.Title))
	h.Write([]byte{0})
	h.Write([]byte(o.Desc))
	h.Write([]byte{0})
	h.Write(body)
	return "chart-" + strconv.FormatUint(h.Sum64(), 36)
}

// document wraps a rendered body in the root <svg> (and, with a table, the
// figure wrapper). Bodies are rendered first so their bytes can seed the id.
func document(kind string, o Options, w, h int, body, table []byte) []byte {
	id := o.idPrefix(body)
	var s svg
	if table != nil {
		s.start("div", "class", "chart-figure")
	}
	class := "chart chart--" + kind
	if o.Class != "" {
		class += " " + o.Class
	}
	var labelled, described string
	if o.Title != "" {
		labelled = id + "-title"
	}
	if o.Desc != "" {
		described = id + "-desc"
	}
	s.start("svg",
		"xmlns", svgNS,
		"class", class,
		"role", "img",
		"viewBox", "0 0 "+strconv.Itoa(w)+" "+strconv.Itoa(h),
		"width", strconv.Itoa(w),
		"height", strconv.Itoa(h),
		"aria-labelledby", labelled,
		"aria-describedby", described,
		"font-family", fontFamily,
		"font-size", num(fontSize),
		"fill", "currentColor",
	)
	if o.Title != "" {
		s.elem("title", o.Title, "id", labelled)
	}
	if o.Desc != "" {
		s.elem("desc", o.Desc, "id", described)
	}
	s.Write(body)
	s.end("svg")
	if table != nil {
		s.Write(table)
		s.end("div")
	}
	return s.Bytes()
}

// drawTitle draws the visible title and returns the y where content may
// start.
func drawTitle(s *svg, o Options, w float64) float64 {
	if o.Title == "" || o.HideTitle {
		return pad
	}
	s.elem("text", truncate(o.Title, w-2*pad, titleSize),
		"class", "chart-title",
		"x", num(pad), "y", num(pad+titleSize),
		"font-size", num(titleSize), "font-weight", "600")
	return pad + titleSize + 10
}

// noDataDoc renders the placeholder shown when there is nothing to plot,
// keeping the chart's footprint so the page layout does not jump.
func noDataDoc(kind string, o Options, w, h int) []byte {
	var s svg
	fw, fh := float64(w), float64(h)
	top := drawTitle(&s, o, fw)
	s.empty("rect", "class", "chart-nodata-frame",
		"x", num(pad+0.5), "y", num(top+0.5),
		"width", num(fw-2*pad-1), "height", num(max(fh-top-pad-1, 1)),
		"rx", "6", "fill", "none", "stroke", "currentColor",
		"stroke-opacity", "0.25", "stroke-dasharray", "4 4")
	s.elem("text", o.noData(), "class", "chart-nodata",
		"x", num(fw/2), "y", num((top+fh-pad)/2+fontSize*0.35),
		"text-anchor", "middle", "fill-opacity", "0.6")
	return document(kind, o, w, h, s.Bytes(), nil)
}

func write(w io.Writer, b []byte) error {
	_, err := w.Write(b)
	return err
}

func html(b []byte) template.HTML {
	// The markup is built exclusively by this package's svg writer, which
	// escapes every piece of caller text; that is what makes this safe.
	return template.HTML(b)
}

// svg accumulates markup. All attribute values and text go through escape,
// so callers of these methods never handle raw user text.
type svg struct{ bytes.Buffer }

func (s *svg) tag(name string, attrs []string) {
	s.WriteByte('<')
	s.WriteString(name)
	for i := 0; i+1 < len(attrs); i += 2 {
		if attrs[i+1] == "" {
			continue
		}
		s.WriteByte(' ')
		s.WriteString(attrs[i])
		s.WriteString(`="`)
		escape(&s.Buffer, attrs[i+1])
		s.WriteByte('"')
	}
}

func (s *svg) start(name string, attrs ...string) {
	s.tag(name, attrs)
	s.WriteByte('>')
}

func (s *svg) empty(name string, attrs ...string) {
	s.tag(name, attrs)
	s.WriteString("/>")
}

func (s *svg) end(name string) {
	s.WriteString("</")
	s.WriteString(name)
	s.WriteByte('>')
}

func (s *svg) text(t string) { escape(&s.Buffer, t) }

func (s *svg) elem(name, text string, attrs ...string) {
	s.start(name, attrs...)
	s.text(text)
	s.end(name)
}
