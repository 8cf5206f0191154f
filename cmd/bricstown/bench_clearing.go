package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"bricstown/internal/clearing"
)

// benchClearing times reading and solving generated networks of the
// target size, one JSON line per network shape.
func benchClearing(ctx context.Context, e *env, args []string) error {
	f := newFlags(e, "bench clearing", "bench clearing [flags]")
	firms := f.int("firms", "BRICSTOWN_BENCH_FIRMS", 41000, "firms in the network")
	obligations := f.int("obligations", "BRICSTOWN_BENCH_OBLIGATIONS", 285000, "obligations in the network")
	rounds := f.int("rounds", "BRICSTOWN_BENCH_ROUNDS", 3, "runs per shape (the best is reported with the median)")
	asJSON := f.bool("json", "BRICSTOWN_BENCH_JSON", false, "print one JSON object per shape")
	if err := f.parse(args); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "bricstown-clear-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	for _, shape := range []struct {
		name  string
		shape clearing.Shape
	}{{"realistic", clearing.ShapeRealistic}, {"random", clearing.ShapeRandom}, {"longcycles", clearing.ShapeLongCycles}} {
		fmt.Fprintf(e.stderr, "bench clearing: generating %s network (%d obligations, %d firms)…\n", shape.name, *obligations, *firms)
		obs := clearing.GenerateShape(1, *firms, *obligations, shape.shape)
		path := filepath.Join(dir, shape.name+".csv")
		file, err := os.Create(path)
		if err != nil {
			return err
		}
		w := bufio.NewWriter(file)
		if err := clearing.WriteCSV(w, obs, nil); err != nil {
			return err
		}
		w.Flush()
		file.Close()
		var times []time.Duration
		var out clearResult
		for r := 0; r < *rounds; r++ {
			start := time.Now()
			file, err := os.Open(path)
			if err != nil {
				return err
			}
			n, read, _, err := clearing.ReadCSV(bufio.NewReaderSize(file, 1<<20))
			file.Close()
			if err != nil {
				return err
			}
			res, err := clearing.Solve(n, read)
			if err != nil {
				return err
			}
			times = append(times, time.Since(start))
			if err := clearing.Certify(n, read, res); err != nil {
				return fmt.Errorf("bench clearing: %s: %w", shape.name, err)
			}
			out = clearResult{Obligations: len(read), Firms: n, TotalDebt: res.TotalDebt, Cleared: res.Cleared, Remaining: res.TotalDebt - res.Cleared, Certified: true}
			fmt.Fprintf(e.stderr, "  %s run %d/%d: %.3fs\n", shape.name, r+1, *rounds, times[r].Seconds())
		}
		best, median := percentileDur(times, 0), percentileDur(times, 0.5)
		out.Seconds = round3(median.Seconds())
		line := map[string]any{"scenario": "clearing", "shape": shape.name, "obligations": out.Obligations, "firms": out.Firms,
			"total_debt": out.TotalDebt, "cleared": out.Cleared, "remaining": out.Remaining, "seconds": out.Seconds,
			"best_seconds": round3(best.Seconds()), "certified": out.Certified}
		if *asJSON {
			json.NewEncoder(e.stdout).Encode(line)
		} else {
			fmt.Fprintf(e.stdout, "clearing %-10s %d obligations, %d firms: read+solve median %.3fs (best %.3fs), cleared %d of %d, certified\n",
				shape.name, out.Obligations, out.Firms, out.Seconds, best.Seconds(), out.Cleared, out.TotalDebt)
		}
	}
	return nil
}

func percentileDur(ds []time.Duration, p float64) time.Duration {
	s := append([]time.Duration(nil), ds...)
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
	return s[int(p*float64(len(s)-1))]
}
