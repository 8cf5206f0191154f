package dispatch

import (
	"context"
	"testing"
)

func BenchmarkSolveCorridor(b *testing.B) {
	p := Generate(1, 10000, 2000)
	for b.Loop() {
		res, err := Solve(context.Background(), p, Options{Iterations: 40})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(res.Gap(), "gap")
	}
}
