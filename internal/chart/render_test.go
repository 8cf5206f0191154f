package chart

import (
	"bytes"
	"encoding/xml"
	"errors"
	"html/template"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
)

// node is a minimal DOM for structural assertions on rendered charts.
type node struct {
	name     string
	attrs    map[string]string
	text     string // direct character data
	children []*node
}

// parse checks the output is well-formed XML (which inline SVG and our
// HTML fragments must be) and returns its tree.
func parse(t *testing.T, b []byte) *node {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(b))
	dec.Strict = true
	root := &node{name: "#root"}
	stack := []*node{root}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("output is not well-formed XML: %v\n%s", err, b)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			n := &node{name: tok.Name.Local, attrs: map[string]string{}}
			for _, a := range tok.Attr {
				n.attrs[a.Name.Local] = a.Value
			}
			top := stack[len(stack)-1]
			top.children = append(top.children, n)
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			stack[len(stack)-1].text += string(tok)
		}
	}
	if len(stack) != 1 {
		t.Fatalf("unclosed elements in output")
	}
	return root
}

func (n *node) all(pred func(*node) bool) []*node {
	var out []*node
	var walk func(*node)
	walk = func(m *node) {
		if pred(m) {
			out = append(out, m)
		}
		for _, c := range m.children {
			walk(c)
		}
	}
	walk(n)
	return out
}

func (n *node) hasClass(c string) bool {
	return slices.Contains(strings.Fields(n.attrs["class"]), c)
}

func byName(name string) func(*node) bool { return func(n *node) bool { return n.name == name } }

func byClass(c string) func(*node) bool { return func(n *node) bool { return n.hasClass(c) } }

// texts returns the direct text of every <text> under the first element
// with class c.
func texts(t *testing.T, root *node, c string) []string {
	t.Helper()
	gs := root.all(byClass(c))
	if len(gs) == 0 {
		t.Fatalf("no element with class %q", c)
	}
	var out []string
	for _, n := range gs[0].all(byName("text")) {
		out = append(out, n.text)
	}
	return out
}

func num64(t *testing.T, s string) float64 {
	t.Helper()
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("bad number %q", s)
	}
	return f
}

var utc = time.UTC

func day(d int) time.Time { return time.Date(2025, 3, 3, 0, 0, 0, 0, utc).AddDate(0, 0, d) }

func plain(v int64) string { return strconv.FormatInt(v, 10) }

func TestLineStructure(t *testing.T) {
	var pts []Point
	for d := range 7 {
		pts = append(pts, Point{day(d), int64(d) * 150})
	}
	b := Line{
		Options:     Options{Title: "Balance", Desc: "Daily balance"},
		Series:      []Series{{Name: "Main", Points: pts}},
		FormatValue: plain,
	}.bytes()
	root := parse(t, b)

	svgs := root.all(byName("svg"))
	if len(svgs) != 1 {
		t.Fatalf("want one <svg>, got %d", len(svgs))
	}
	s := svgs[0]
	if s.attrs["role"] != "img" || s.attrs["viewBox"] != "0 0 640 320" {
		t.Errorf("root attrs: %v", s.attrs)
	}
	titles := s.all(byName("title"))
	if len(titles) == 0 || titles[0].text != "Balance" || s.children[0].name != "title" {
		t.Errorf("first child must be the <title>")
	}
	if id := s.attrs["aria-labelledby"]; id == "" || titles[0].attrs["id"] != id {
		t.Errorf("aria-labelledby %q does not point at the title", id)
	}
	if desc := s.all(byName("desc")); len(desc) != 1 || desc[0].attrs["id"] != s.attrs["aria-describedby"] {
		t.Errorf("desc missing or not referenced")
	}

	// 0..900 in 6px-per-unit: nice ticks are 0, 200, ..., 1000.
	if got, want := texts(t, root, "chart-axis-y"), []string{"0", "200", "400", "600", "800", "1000"}; !slices.Equal(got, want) {
		t.Errorf("y ticks %v, want %v", got, want)
	}
	x := texts(t, root, "chart-axis-x")
	if want := []string{"3 Mar", "4 Mar", "5 Mar", "6 Mar", "7 Mar", "8 Mar", "9 Mar", "2025"}; !slices.Equal(x, want) {
		t.Errorf("x labels %v, want %v", x, want)
	}
	if n := len(root.all(byClass("chart-line"))); n != 1 {
		t.Errorf("want 1 line path, got %d", n)
	}
	pts7 := root.all(byClass("chart-point"))
	if len(pts7) != 7 {
		t.Fatalf("want 7 markers, got %d", len(pts7))
	}
	if tip := pts7[0].all(byName("title"))[0].text; tip != "Main · 3 Mar 2025: 0" {
		t.Errorf("tooltip %q", tip)
	}
	// Markers rise left to right (y decreases as the value grows).
	for i := 1; i < len(pts7); i++ {
		if num64(t, pts7[i].attrs["cx"]) <= num64(t, pts7[i-1].attrs["cx"]) ||
			num64(t, pts7[i].attrs["cy"]) >= num64(t, pts7[i-1].attrs["cy"]) {
			t.Fatalf("marker %d out of order", i)
		}
	}
	// A single series gets no legend; zero is the axis edge, not a line.
	if len(root.all(byClass("chart-legend"))) != 0 || len(root.all(byClass("chart-zero"))) != 0 {
		t.Error("unexpected legend or zero line")
	}
}

func TestEscaping(t *testing.T) {
	evil := `<script>alert("x")</script> & 'q'`
	charts := map[string][]byte{
		"line": Line{Options: Options{Title: evil, Desc: evil, Table: &TableText{Key: evil}},
			Series:      []Series{{Name: evil, Points: []Point{{day(0), 1}, {day(1), 2}}}, {Name: evil, Points: []Point{{day(0), 3}}}},
			FormatValue: func(int64) string { return evil }}.bytes(),
		"bar": Bar{Options: Options{Title: evil, Table: &TableText{Key: evil}}, Categories: []string{evil, "b"},
			Series: []BarSeries{{Name: evil, Values: []int64{1, 2}}, {Name: "x", Values: []int64{3, 4}}}, ShowValues: true}.bytes(),
		"donut": Donut{Options: Options{Title: evil, Table: &TableText{evil, evil, evil}}, CenterLabel: evil,
			Slices: []Slice{{evil, 1}, {"b", 2}}}.bytes(),
		"nodata": Line{Options: Options{Title: evil, NoData: evil}}.bytes(),
	}
	for name, b := range charts {
		if bytes.Contains(b, []byte("<script")) || bytes.Contains(b, []byte(`"x"`)) {
			t.Errorf("%s: raw markup leaked: %s", name, b)
		}
		root := parse(t, b)
		found := false
		for _, n := range root.all(func(*node) bool { return true }) {
			if n.text == evil {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: label did not round-trip through escaping", name)
		}
	}
}

// Output goes into html/template as template.HTML and must not be escaped
// a second time.
func TestTemplateEmbedding(t *testing.T) {
	tpl := template.Must(template.New("").Parse(`<div>{{.}}</div>`))
	var buf bytes.Buffer
	c := Bar{Options: Options{Title: "a<b"}, Categories: []string{"x"}, Series: []BarSeries{{Values: []int64{1}}}}
	if err := tpl.Execute(&buf, c.HTML()); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(buf.String(), "<div><svg ") || !strings.Contains(buf.String(), "a&lt;b") {
		t.Errorf("unexpected embedding: %.200s", buf.String())
	}
}

func TestHostileText(t *testing.T) {
	junk := "a\x00b\x01c\x7f\xff\xfe\ufffe\u0085\u2028\r\n\tend"
	b := Donut{Options: Options{Title: junk}, Slices: []Slice{{junk, 1}}}.bytes()
	parse(t, b) // must still be well-formed
	b = Line{Options: Options{Title: junk}, Series: []Series{{Name: junk, Points: []Point{{day(0), 1}}}},
		FormatTime: func(time.Time, TimeUnit) string { return junk }}.bytes()
	parse(t, b)
}

func TestColorsAndIDs(t *testing.T) {
	bad := `red" onload="alert(1)`
	b := Bar{Options: Options{Colors: []string{bad, "#123456"}, ID: `my chart"<`},
		Categories: []string{"a"}, Series: []BarSeries{{Values: []int64{1}}, {Values: []int64{2}}}}.bytes()
	root := parse(t, b)
	series := root.all(byClass("chart-series"))
	if len(series) != 2 || series[0].attrs["color"] != Palette()[0] || series[1].attrs["color"] != "#123456" {
		t.Errorf("colours not sanitised: %v", series)
	}
	if bytes.Contains(b, []byte("onload")) {
		t.Error("attribute injection")
	}
	// Empty title: no dangling aria reference.
	if s := root.all(byName("svg"))[0]; s.attrs["aria-labelledby"] != "" {
		t.Errorf("aria-labelledby without a title")
	}
	ida := parse(t, Line{Options: Options{Title: "A", ID: "x y"}}.bytes()).all(byName("title"))[0].attrs["id"]
	if ida != "x_y-title" {
		t.Errorf("sanitised id %q", ida)
	}
	// Derived ids are deterministic and differ between different charts.
	one := Line{Options: Options{Title: "A"}, Series: []Series{{Points: []Point{{day(0), 1}}}}}
	two := Line{Options: Options{Title: "A"}, Series: []Series{{Points: []Point{{day(0), 2}}}}}
	if !bytes.Equal(one.bytes(), one.bytes()) {
		t.Error("output not deterministic")
	}
	id1 := parse(t, one.bytes()).all(byName("svg"))[0].attrs["aria-labelledby"]
	id2 := parse(t, two.bytes()).all(byName("svg"))[0].attrs["aria-labelledby"]
	if id1 == id2 {
		t.Error("different charts share an id")
	}
}

func TestNoData(t *testing.T) {
	cases := map[string][]byte{
		"line":         Line{Options: Options{NoData: "Нет данных"}}.bytes(),
		"line-empty":   Line{Options: Options{NoData: "Нет данных"}, Series: []Series{{Name: "a"}, {Name: "b"}}}.bytes(),
		"bar":          Bar{Options: Options{NoData: "Нет данных"}, Series: []BarSeries{{Values: []int64{1}}}}.bytes(),
		"bar-noseries": Bar{Options: Options{NoData: "Нет данных"}, Categories: []string{"a"}}.bytes(),
		"donut":        Donut{Options: Options{NoData: "Нет данных"}, Slices: []Slice{{"a", 0}, {"b", -5}}}.bytes(),
	}
	for name, b := range cases {
		root := parse(t, b)
		nd := root.all(byClass("chart-nodata"))
		if len(nd) != 1 || nd[0].text != "Нет данных" {
			t.Errorf("%s: placeholder missing", name)
		}
		if len(root.all(byName("path"))) != 0 || len(root.all(byClass("chart-bar"))) != 0 {
			t.Errorf("%s: drew data shapes", name)
		}
	}
	if root := parse(t, Line{}.bytes()); root.all(byClass("chart-nodata"))[0].text != "No data" {
		t.Error("default placeholder")
	}
}

func TestLineEdgeCases(t *testing.T) {
	t.Run("single point", func(t *testing.T) {
		root := parse(t, Line{Series: []Series{{Points: []Point{{day(0), 42}}}}}.bytes())
		if len(root.all(byClass("chart-line"))) != 0 || len(root.all(byClass("chart-point"))) != 1 {
			t.Error("single point should be a marker, not a line")
		}
		// The instant sits mid-axis within a two-day window.
		p := root.all(byClass("chart-point"))[0]
		cx := num64(t, p.attrs["cx"])
		if cx < 300 || cx > 380 {
			t.Errorf("single point at x=%v, want near the middle", cx)
		}
	})
	t.Run("flat", func(t *testing.T) {
		var pts []Point
		for d := range 5 {
			pts = append(pts, Point{day(d), 500})
		}
		root := parse(t, Line{Series: []Series{{Points: pts}}, FormatValue: plain}.bytes())
		ys := map[string]bool{}
		for _, p := range root.all(byClass("chart-point")) {
			ys[p.attrs["cy"]] = true
		}
		if len(ys) != 1 {
			t.Errorf("flat series not horizontal: %v", ys)
		}
		if got := texts(t, root, "chart-axis-y"); !slices.Contains(got, "500") {
			t.Errorf("ticks %v should include the value", got)
		}
	})
	t.Run("negative", func(t *testing.T) {
		pts := []Point{{day(0), -300}, {day(1), 200}, {day(2), -50}}
		root := parse(t, Line{Series: []Series{{Points: pts}}, Area: true, Step: true, FormatValue: plain}.bytes())
		if len(root.all(byClass("chart-zero"))) != 1 {
			t.Error("zero line missing for data crossing zero")
		}
		path := root.all(byClass("chart-line"))[0].attrs["d"]
		if !strings.Contains(path, "H") || !strings.Contains(path, "V") {
			t.Errorf("step path %q", path)
		}
		if len(root.all(byClass("chart-area"))) != 1 {
			t.Error("area missing")
		}
	})
	t.Run("huge", func(t *testing.T) {
		pts := []Point{{day(0), math.MinInt64}, {day(1), math.MaxInt64}, {day(2), 0}, {day(3), math.MaxInt64 - 1}}
		b := Line{Series: []Series{{Points: pts}}}.bytes()
		if bytes.Contains(b, []byte("NaN")) || bytes.Contains(b, []byte("Inf")) {
			t.Fatal("non-finite coordinates")
		}
		root := parse(t, b)
		for _, p := range root.all(byClass("chart-point")) {
			if y := num64(t, p.attrs["cy"]); y < 0 || y > 320 {
				t.Errorf("point outside the chart: %v", y)
			}
		}
		if got := texts(t, root, "chart-axis-y"); len(got) < 2 {
			t.Errorf("ticks %v", got)
		}
	})
	t.Run("unsorted input is not mutated", func(t *testing.T) {
		pts := []Point{{day(2), 3}, {day(0), 1}, {day(1), 2}}
		orig := slices.Clone(pts)
		root := parse(t, Line{Series: []Series{{Points: pts}}}.bytes())
		if !slices.Equal(pts, orig) {
			t.Error("caller's slice was reordered")
		}
		d := root.all(byClass("chart-line"))[0].attrs["d"]
		xs := []float64{}
		for _, f := range strings.FieldsFunc(d, func(r rune) bool { return r == 'M' || r == 'L' }) {
			xs = append(xs, num64(t, strings.Fields(f)[0]))
		}
		if !slices.IsSorted(xs) {
			t.Errorf("path not in time order: %s", d)
		}
	})
	t.Run("include zero", func(t *testing.T) {
		pts := []Point{{day(0), 900}, {day(1), 1000}}
		root := parse(t, Line{Series: []Series{{Points: pts}}, IncludeZero: true, FormatValue: plain}.bytes())
		if got := texts(t, root, "chart-axis-y"); got[0] != "0" {
			t.Errorf("axis should start at zero: %v", got)
		}
	})
}

func TestLineTable(t *testing.T) {
	a := []Point{{day(0), 1}, {day(1), 2}, {day(1), 5}}
	b := []Point{{day(1).Add(90 * time.Minute), 7}}
	out := Line{Options: Options{Title: "T", Table: &TableText{Key: "Date"}},
		Series: []Series{{Name: "A", Points: a}, {Name: "B", Points: b}}, FormatValue: plain}.bytes()
	root := parse(t, out)
	if root.children[0].name != "div" || !root.children[0].hasClass("chart-figure") {
		t.Fatal("table output must be wrapped in div.chart-figure")
	}
	tables := root.all(byName("table"))
	if len(tables) != 1 || !tables[0].hasClass("chart-sr-only") {
		t.Fatal("table missing")
	}
	var rows [][]string
	for _, tr := range tables[0].all(byName("tr")) {
		var cells []string
		for _, c := range tr.children {
			cells = append(cells, c.text)
		}
		rows = append(rows, cells)
	}
	want := [][]string{
		{"Date", "A", "B"},
		{"3 Mar 2025", "1", ""},
		{"4 Mar 2025", "5", ""}, // the last value at an instant stands
		{"4 Mar 2025 01:30", "", "7"},
	}
	if !slicesEqual2(rows, want) {
		t.Errorf("table rows %q, want %q", rows, want)
	}
	if c := tables[0].all(byName("caption")); len(c) != 1 || c[0].text != "T" {
		t.Error("caption")
	}
}

func slicesEqual2(a, b [][]string) bool {
	return slices.EqualFunc(a, b, func(x, y []string) bool { return slices.Equal(x, y) })
}

func TestBarGrouped(t *testing.T) {
	c := Bar{
		Categories:  []string{"C1", "C2", "C3"},
		Series:      []BarSeries{{Name: "Gross", Values: []int64{100, 200, 300}}, {Name: "Net", Values: []int64{40, 0}}},
		FormatValue: plain,
		ShowValues:  true,
	}
	root := parse(t, c.bytes())
	bars := root.all(byClass("chart-bar"))
	if len(bars) != 4 { // zero and missing values draw nothing
		t.Fatalf("want 4 bars, got %d", len(bars))
	}
	if got, want := texts(t, root, "chart-axis-y"), []string{"0", "50", "100", "150", "200", "250", "300"}; !slices.Equal(got, want) {
		t.Errorf("y ticks %v, want %v", got, want)
	}
	if got := texts(t, root, "chart-axis-x"); !slices.Equal(got, []string{"C1", "C2", "C3"}) {
		t.Errorf("categories %v", got)
	}
	if got := texts(t, root, "chart-legend"); !slices.Equal(got, []string{"Gross", "Net"}) {
		t.Errorf("legend %v", got)
	}
	// Heights are proportional to values: 100 vs 300 is 1:3.
	h := func(n *node) float64 { return num64(t, n.attrs["height"]) }
	if r := h(bars[2]) / h(bars[0]); math.Abs(r-3) > 0.05 {
		t.Errorf("height ratio %v, want 3", r)
	}
	if tip := bars[3].all(byName("title"))[0].text; tip != "C1 · Net: 40" {
		t.Errorf("tooltip %q", tip)
	}
	if got := texts(t, root, "chart-values"); !slices.Contains(got, "300") || !slices.Contains(got, "40") {
		t.Errorf("value labels %v", got)
	}
}

func TestBarStackedAndNegative(t *testing.T) {
	c := Bar{
		Categories: []string{"A", "B"},
		Series: []BarSeries{
			{Name: "x", Values: []int64{30, -20}},
			{Name: "y", Values: []int64{70, 50}},
			{Name: "z", Values: []int64{-10, -30}},
		},
		Stacked: true, ShowValues: true, FormatValue: plain,
	}
	root := parse(t, c.bytes())
	bars := root.all(byClass("chart-bar"))
	if len(bars) != 6 {
		t.Fatalf("want 6 segments, got %d", len(bars))
	}
	// Category A: 30 then 70 stack upwards, -10 hangs below zero.
	x0, x1 := bars[0], bars[2] // series x and y in category A
	top0 := num64(t, x0.attrs["y"])
	bottom1 := num64(t, x1.attrs["y"]) + num64(t, x1.attrs["height"])
	if math.Abs(top0-bottom1) > 0.02 {
		t.Errorf("y segment does not sit on x: %v vs %v", top0, bottom1)
	}
	zero := num64(t, root.all(byClass("chart-zero"))[0].attrs["y1"])
	z := bars[4]
	if num64(t, z.attrs["y"]) < zero-1 {
		t.Error("negative segment should hang below zero")
	}
	if got := texts(t, root, "chart-values"); !slices.Equal(got, []string{"90", "0"}) {
		t.Errorf("totals %v", got)
	}
	if got := texts(t, root, "chart-axis-y"); got[0] != "-60" && got[0] != "-50" {
		t.Errorf("negative stack not in domain: %v", got)
	}
}

func TestBarEdgeCases(t *testing.T) {
	t.Run("huge stacked", func(t *testing.T) {
		b := Bar{Categories: []string{"a", "b"}, Stacked: true,
			Series: []BarSeries{{Values: []int64{math.MaxInt64, math.MinInt64}}, {Values: []int64{math.MaxInt64, math.MinInt64}}}}.bytes()
		if bytes.Contains(b, []byte("NaN")) || bytes.Contains(b, []byte("Inf")) {
			t.Fatal("non-finite coordinates")
		}
		for _, r := range parse(t, b).all(byClass("chart-bar")) {
			if y, h := num64(t, r.attrs["y"]), num64(t, r.attrs["height"]); y < 0 || y+h > 320 {
				t.Errorf("bar outside chart: y=%v h=%v", y, h)
			}
		}
	})
	t.Run("all zero", func(t *testing.T) {
		root := parse(t, Bar{Categories: []string{"a"}, Series: []BarSeries{{Values: []int64{0}}}, FormatValue: plain}.bytes())
		if got := texts(t, root, "chart-axis-y"); got[0] != "0" {
			t.Errorf("zero should be the bottom tick: %v", got)
		}
	})
	t.Run("many categories", func(t *testing.T) {
		var cats []string
		var vals []int64
		for i := range 200 {
			cats = append(cats, "Category number "+strconv.Itoa(i))
			vals = append(vals, int64(i))
		}
		root := parse(t, Bar{Categories: cats, Series: []BarSeries{{Values: vals}}}.bytes())
		labels := texts(t, root, "chart-axis-x")
		if len(labels) >= 200 || len(labels) == 0 {
			t.Errorf("%d labels for 200 thin bars", len(labels))
		}
		if len(root.all(byClass("chart-bar"))) != 199 {
			t.Error("every non-zero value needs a bar")
		}
	})
	t.Run("tiny value stays visible", func(t *testing.T) {
		root := parse(t, Bar{Categories: []string{"a", "b"}, Series: []BarSeries{{Values: []int64{1, 1_000_000}}}}.bytes())
		if h := num64(t, root.all(byClass("chart-bar"))[0].attrs["height"]); h < 1 {
			t.Errorf("tiny bar height %v", h)
		}
	})
}

func TestDonut(t *testing.T) {
	c := Donut{
		Options:     Options{Title: "Lanes", Colors: []string{Green, Yellow, Red}, Table: &TableText{"Lane", "Count", "Share"}},
		Slices:      []Slice{{"Green", 1873}, {"Yellow", 412}, {"Red", 96}, {"None", 0}},
		CenterLabel: "declarations",
	}
	root := parse(t, c.bytes())
	slicesN := root.all(byClass("chart-slice"))
	if len(slicesN) != 3 {
		t.Fatalf("want 3 slices, got %d", len(slicesN))
	}
	if slicesN[0].attrs["color"] != Green || !slicesN[2].hasClass("chart-s2") {
		t.Error("slice colour/class")
	}
	if tip := slicesN[0].all(byName("title"))[0].text; tip != "Green: 78.7% (1\u202f873)" {
		t.Errorf("tooltip %q", tip)
	}
	legend := texts(t, root, "chart-legend")
	for _, want := range []string{"78.7%", "17.3%", "4.0%", "0.0%", "Yellow", "1\u202f873"} {
		if !slices.Contains(legend, want) {
			t.Errorf("legend %q lacks %q", legend, want)
		}
	}
	if tot := root.all(byClass("chart-total")); len(tot) != 1 || tot[0].text != "2\u202f381" {
		t.Error("centre total")
	}
	if len(root.all(byName("table"))[0].all(byName("tr"))) != 5 {
		t.Error("table rows")
	}
}

func TestDonutEdgeCases(t *testing.T) {
	t.Run("single slice is a full ring", func(t *testing.T) {
		root := parse(t, Donut{Slices: []Slice{{"only", 5}, {"empty", 0}}}.bytes())
		s := root.all(byClass("chart-slice"))
		if len(s) != 1 || strings.Count(s[0].attrs["d"], "A") != 4 || s[0].attrs["fill-rule"] != "evenodd" {
			t.Errorf("full ring: %v", s)
		}
		if !slices.Contains(texts(t, root, "chart-legend"), "100.0%") {
			t.Error("100% missing")
		}
	})
	t.Run("overflowing total", func(t *testing.T) {
		b := Donut{Slices: []Slice{{"a", math.MaxInt64}, {"b", math.MaxInt64}}}.bytes()
		root := parse(t, b)
		if len(root.all(byClass("chart-total"))) != 0 {
			t.Error("a total beyond int64 cannot be formatted and must be omitted")
		}
		if got := texts(t, root, "chart-legend"); !slices.Contains(got, "50.0%") {
			t.Errorf("legend %v", got)
		}
	})
	t.Run("a total too wide for the hole stays out of it", func(t *testing.T) {
		long := func(int64) string { return "12 345 678 901 234,56 KZT" }
		root := parse(t, Donut{Options: Options{Width: 200, Height: 100}, Slices: []Slice{{"a", 1}, {"b", 3}}, FormatValue: long}.bytes())
		if len(root.all(byClass("chart-total"))) != 0 {
			t.Error("a total wider than the hole at the smallest size spills over the ring")
		}
		root = parse(t, Donut{Slices: []Slice{{"a", 1}, {"b", 3}}}.bytes())
		if len(root.all(byClass("chart-total"))) != 1 {
			t.Error("a short total belongs in the hole")
		}
	})
	t.Run("pie has no hole", func(t *testing.T) {
		root := parse(t, Donut{Pie: true, Slices: []Slice{{"a", 1}, {"b", 3}}}.bytes())
		for _, s := range root.all(byClass("chart-slice")) {
			if strings.Count(s.attrs["d"], "A") != 1 {
				t.Errorf("pie wedge %q", s.attrs["d"])
			}
		}
		if len(root.all(byClass("chart-total"))) != 0 {
			t.Error("pie draws no total")
		}
	})
	t.Run("many slices collapse into +N", func(t *testing.T) {
		var sl []Slice
		for i := range 30 {
			sl = append(sl, Slice{"s" + strconv.Itoa(i), int64(i + 1)})
		}
		root := parse(t, Donut{Slices: sl}.bytes())
		legend := texts(t, root, "chart-legend")
		if last := legend[len(legend)-1]; !strings.HasPrefix(last, "+") {
			t.Errorf("last legend row %q", last)
		}
		if len(root.all(byClass("chart-slice"))) != 30 {
			t.Error("all slices are drawn even when the legend is cut")
		}
	})
}

func TestTimeAxis(t *testing.T) {
	tests := []struct {
		name     string
		from, to time.Time
		labels   []string
		context  []string
	}{
		{"hours", time.Date(2025, 3, 3, 9, 0, 0, 0, utc), time.Date(2025, 3, 3, 17, 0, 0, 0, utc),
			[]string{"09:00", "10:00", "11:00", "12:00", "13:00", "14:00", "15:00", "16:00", "17:00"}, []string{"3 Mar 2025"}},
		{"across midnight", time.Date(2025, 3, 3, 20, 0, 0, 0, utc), time.Date(2025, 3, 4, 4, 0, 0, 0, utc),
			[]string{"20:00", "21:00", "22:00", "23:00", "00:00", "01:00", "02:00", "03:00", "04:00"}, []string{"3 Mar 2025", "4 Mar 2025"}},
		{"months", time.Date(2023, 11, 20, 0, 0, 0, 0, utc), time.Date(2025, 8, 1, 0, 0, 0, 0, utc),
			[]string{"Jan", "Mar", "May", "Jul", "Sep", "Nov", "Jan", "Mar", "May", "Jul"}, []string{"2024", "2025"}},
		{"years", time.Date(1990, 1, 1, 0, 0, 0, 0, utc), time.Date(2025, 1, 1, 0, 0, 0, 0, utc),
			[]string{"1990", "1995", "2000", "2005", "2010", "2015", "2020", "2025"}, nil},
		{"sub-second", time.Date(2025, 3, 3, 9, 0, 0, 100e6, utc), time.Date(2025, 3, 3, 9, 0, 0, 900e6, utc),
			[]string{"3 Mar 2025 09:00:00"}, nil},
	}
	for _, tt := range tests {
		a := newTimeAxis(tt.from, tt.to, utc, 60, 628, 2, 638, FormatTime)
		var ctx []string
		for _, c := range a.context {
			ctx = append(ctx, c.text)
		}
		if !slices.Equal(a.labels, tt.labels) || !slices.Equal(ctx, tt.context) {
			t.Errorf("%s: labels %q context %q; want %q %q", tt.name, a.labels, ctx, tt.labels, tt.context)
		}
	}
}

func TestTimeAxisLocalCalendar(t *testing.T) {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no tzdata")
	}
	// Spans the spring DST change: daily ticks must stay on local midnight.
	from := time.Date(2025, 3, 27, 0, 0, 0, 0, loc)
	to := time.Date(2025, 4, 2, 0, 0, 0, 0, loc)
	a := newTimeAxis(from, to, loc, 60, 628, 2, 638, FormatTime)
	if len(a.ticks) != 7 {
		t.Fatalf("ticks %v", a.labels)
	}
	for _, tk := range a.ticks {
		if h, m, _ := tk.In(loc).Clock(); h != 0 || m != 0 {
			t.Errorf("tick %v not at local midnight", tk)
		}
	}
	// Weekly ticks fall on Mondays.
	a = newTimeAxis(time.Date(2025, 1, 1, 0, 0, 0, 0, utc), time.Date(2025, 3, 1, 0, 0, 0, 0, utc), utc, 60, 628, 2, 638, FormatTime)
	for _, tk := range a.ticks {
		if tk.Weekday() != time.Monday {
			t.Errorf("weekly tick on %v", tk.Weekday())
		}
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("boom") }

func TestRenderWriter(t *testing.T) {
	var buf bytes.Buffer
	c := Donut{Slices: []Slice{{"a", 1}}}
	if err := c.Render(&buf); err != nil || buf.String() != string(c.HTML()) {
		t.Errorf("Render/HTML mismatch: %v", err)
	}
	if err := (Line{}).Render(failWriter{}); err == nil {
		t.Error("write error swallowed")
	}
	if err := (Bar{}).Render(failWriter{}); err == nil {
		t.Error("write error swallowed")
	}
}

// Every sample renders to valid markup, and the sizes fall back sanely.
func TestSamplesWellFormed(t *testing.T) {
	for name, b := range sampleCharts() {
		t.Run(name, func(t *testing.T) { parse(t, b) })
	}
	root := parse(t, Line{Options: Options{Width: -5, Height: 1}}.bytes())
	if s := root.all(byName("svg"))[0]; s.attrs["width"] != "640" || s.attrs["height"] != "100" {
		t.Errorf("size fallback: %v", s.attrs)
	}
}

// Russian category labels must keep a readable gap between neighbours as
// Cyrillic is drawn in the usual sans-serif faces (about 0.62 em a
// lowercase letter in DejaVu Sans): measured like Latin, they nearly
// touched on a narrow chart.
func TestBarCyrillicLabelsDoNotOverlap(t *testing.T) {
	wide := func(s string) float64 { // a deliberately generous Cyrillic measure
		w := 0.0
		for _, r := range s {
			switch {
			case r == ' ' || r == '…':
				w += 0.32
			case unicode.IsUpper(r):
				w += 0.72
			default:
				w += 0.62
			}
		}
		return w * fontSize
	}
	cats := []string{"Зелёный коридор", "Жёлтый коридор", "Красный коридор", "Синий коридор"}
	root := parse(t, Bar{Options: Options{Width: 400, Height: 260}, Categories: cats,
		Series: []BarSeries{{Name: "Среднее время до выпуска", Values: []int64{60, 120, 600, 30}}}}.bytes())
	axis := root.all(byClass("chart-axis-x"))
	if len(axis) != 1 {
		t.Fatal("no category axis")
	}
	labels := axis[0].all(byName("text"))
	if len(labels) < 2 {
		t.Fatalf("labels %d", len(labels))
	}
	for i := 1; i < len(labels); i++ {
		a, b := labels[i-1], labels[i]
		gap := num64(t, b.attrs["x"]) - num64(t, a.attrs["x"]) - (wide(a.text)+wide(b.text))/2
		if gap < 6 {
			t.Errorf("%q and %q overlap (gap %.1f px)", a.text, b.text, gap)
		}
	}
}
