package money

import (
	"math"
	"testing"
)

var (
	sinkInt  int64
	sinkStr  string
	sinkRate Rate
)

func BenchmarkParseAmount(b *testing.B) {
	for _, bc := range []struct{ name, in string }{
		{"typical", "1250.50"},
		{"max", "92233720368547758.07"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				v, err := ParseAmount(bc.in, 2)
				if err != nil {
					b.Fatal(err)
				}
				sinkInt = v
			}
		})
	}
}

func BenchmarkFormatAmount(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		sinkStr = FormatAmount(125050, 2)
	}
}

func BenchmarkParseRate(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		r, err := ParseRate("0.01523")
		if err != nil {
			b.Fatal(err)
		}
		sinkRate = r
	}
}

func BenchmarkConvert(b *testing.B) {
	for _, bc := range []struct {
		name     string
		amount   int64
		from     int
		rate     string
		to       int
		rounding Rounding
	}{
		{"KZT→CNY", 123456, 2, "0.01523", 2, RoundDown},
		{"KZT→JPY/halfeven", 123456, 2, "0.2987", 0, RoundHalfEven},
		{"overflow error", math.MaxInt64, 2, "999999.999999999999", 18, RoundUp}, // builds the *problem.Error
		{"two-word divisor", math.MaxInt64, 18, "999999.999999999999", 0, RoundUp},
	} {
		r := mustRate(b, bc.rate)
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				v, _ := Convert(bc.amount, bc.from, r, bc.to, bc.rounding)
				sinkInt = v
			}
		})
	}
}

func BenchmarkApplyBps(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		v, err := ApplyBps(12345, 25, RoundUp)
		if err != nil {
			b.Fatal(err)
		}
		sinkInt = v
	}
}

func BenchmarkRateMul(b *testing.B) {
	x, y := mustRate(b, "0.1768"), mustRate(b, "0.08612")
	b.ReportAllocs()
	for b.Loop() {
		r, err := x.Mul(y, 12, RoundDown)
		if err != nil {
			b.Fatal(err)
		}
		sinkRate = r
	}
}
