package chart

import (
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// tenge formats minor units (tiyn) as whole tenge with grouping, the way a
// real caller would for axis labels.
func tenge(v int64) string {
	return FormatInt(v/100) + " ₸"
}

func sampleCharts() map[string][]byte {
	loc := time.FixedZone("ALMT", 5*3600)
	day := func(d int) time.Time { return time.Date(2025, 3, 1, 0, 0, 0, 0, loc).AddDate(0, 0, d) }
	var bal, bal2 []Point
	v, w := int64(1_250_000_00), int64(800_000_00)
	for d := 0; d < 60; d++ {
		v += int64((d*7919)%23-10) * 4_500_00
		w += int64((d*104729)%17-8) * 3_000_00
		bal = append(bal, Point{day(d), v})
		bal2 = append(bal2, Point{day(d), w})
	}
	var neg []Point
	for h := 0; h < 12; h++ {
		neg = append(neg, Point{time.Date(2025, 5, 4, 8+h, 30, 0, 0, loc), int64((h-5)*(h-7)) * 1_000_00})
	}
	out := map[string][]byte{}
	out["line"] = Line{
		Options: Options{Title: "Settlement account balance", Desc: "Daily closing balance, March–April 2025",
			Table: &TableText{Key: "Date"}},
		Series:      []Series{{Name: "KZT operating", Points: bal}, {Name: "KZT escrow <script>", Points: bal2}},
		FormatValue: tenge,
	}.bytes()
	out["line-step"] = Line{
		Options:     Options{Title: "Intraday position", Width: 560, Height: 260},
		Series:      []Series{{Name: "Position", Points: neg}},
		FormatValue: tenge, Step: true, Area: true,
	}.bytes()
	out["line-single"] = Line{
		Options: Options{Title: "Single point"},
		Series:  []Series{{Name: "x", Points: []Point{{day(3), 42_000_00}}}},
	}.bytes()
	out["line-empty"] = Line{Options: Options{Title: "Balance", NoData: "Нет данных"}}.bytes()
	cats := []string{}
	gross, net := []int64{}, []int64{}
	for i := 1; i <= 12; i++ {
		cats = append(cats, "Cycle "+strconv.Itoa(i))
		g := int64(40_000_000_00 + (i*7919%13)*3_000_000_00)
		gross = append(gross, g)
		net = append(net, g*int64(20+i*3)/100)
	}
	out["bar"] = Bar{
		Options:    Options{Title: "Liquidity saving per clearing cycle"},
		Categories: cats,
		Series:     []BarSeries{{Name: "Gross", Values: gross}, {Name: "Net", Values: net}},
		FormatValue: func(v int64) string {
			return FormatInt(v/100_000_000) + "M"
		},
	}.bytes()
	out["bar-stacked"] = Bar{
		Options:    Options{Title: "Declarations by lane per week", Colors: []string{Green, Yellow, Red}},
		Categories: []string{"W1", "W2", "W3", "W4", "W5", "W6"},
		Series: []BarSeries{
			{Name: "Green", Values: []int64{120, 140, 135, 160, 150, 171}},
			{Name: "Yellow", Values: []int64{30, 25, 41, 22, 35, 28}},
			{Name: "Red", Values: []int64{8, 12, 6, 9, 14, 5}},
		},
		Stacked: true, ShowValues: true,
	}.bytes()
	out["bar-neg"] = Bar{
		Options:    Options{Title: "Net position by counterparty", Width: 560, Height: 280},
		Categories: []string{"Halyk", "Kaspi", "Bank of China (KZ)", "Sberbank", "ICBC"},
		Series:     []BarSeries{{Name: "Net", Values: []int64{5_400_00, -2_100_00, 3_300_00, -7_800_00, 900_00}}},
		ShowValues: true, FormatValue: tenge,
	}.bytes()
	out["donut"] = Donut{
		Options:     Options{Title: "Customs lane share, April", Colors: []string{Green, Yellow, Red}, Table: &TableText{Key: "Lane", Value: "Declarations", Share: "Share"}},
		Slices:      []Slice{{"Green lane", 1873}, {"Yellow lane", 412}, {"Red lane", 96}},
		CenterLabel: "declarations",
	}.bytes()
	out["pie"] = Donut{
		Options: Options{Title: "Payments by currency", Width: 420, Height: 220},
		Slices:  []Slice{{"KZT", 5}, {"CNY", 3}, {"RUB", 2}, {"INR", 1}, {"BRL", 1}, {"ZAR", 0}},
		Pie:     true,
	}.bytes()
	out["line-huge"] = Line{
		Options: Options{Title: "Extremes of int64"},
		Series: []Series{{Name: "x", Points: []Point{
			{day(0), math.MinInt64}, {day(1), math.MaxInt64}, {day(2), 0}, {day(3), math.MaxInt64 / 2},
		}}},
	}.bytes()
	var years []Point
	for m := 0; m < 12*6; m++ {
		years = append(years, Point{time.Date(2019, time.Month(1+m), 1, 0, 0, 0, 0, loc), int64(m*m%97) * 1_000_00})
	}
	out["line-narrow"] = Line{
		Options:     Options{Title: "Monthly turnover since 2019", Width: 340, Height: 220},
		Series:      []Series{{Name: "Turnover", Points: years}},
		FormatValue: tenge, IncludeZero: true, Area: true,
	}.bytes()
	var many []string
	var mv []int64
	for i := 0; i < 90; i++ {
		many = append(many, "Cycle "+strconv.Itoa(1000+i))
		mv = append(mv, int64((i*37)%50+10-(i%7)*9))
	}
	out["bar-many"] = Bar{
		Options:    Options{Title: "Net saving, last 90 cycles"},
		Categories: many,
		Series:     []BarSeries{{Name: "Saving", Values: mv}},
	}.bytes()
	var sl []Slice
	for i := 0; i < 14; i++ {
		sl = append(sl, Slice{"Counterparty with a rather long name #" + strconv.Itoa(i), int64(100 - i*7)})
	}
	out["donut-many"] = Donut{
		Options: Options{Title: "Exposure by counterparty"},
		Slices:  sl,
	}.bytes()
	return out
}

// TestWriteSamples renders the sample charts to CHART_SAMPLES (a directory)
// for eyeballing, e.g. CHART_SAMPLES=/tmp go test -run Samples ./internal/chart
func TestWriteSamples(t *testing.T) {
	dir := os.Getenv("CHART_SAMPLES")
	if dir == "" {
		t.Skip("set CHART_SAMPLES to a directory to write sample charts")
	}
	for name, b := range sampleCharts() {
		if err := os.WriteFile(filepath.Join(dir, "chart-"+name+".svg"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
