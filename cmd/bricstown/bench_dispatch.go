package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"bricstown/internal/dispatch"
)

// benchDispatch times the dispatch optimiser on a generated corridor
// network (internal/dispatch.Generate; its transit times are marked as
// assumptions there) and checks the answer against the capacities.
func benchDispatch(ctx context.Context, e *env, args []string) error {
	f := newFlags(e, "bench dispatch", "bench dispatch [flags]")
	shipments := f.int("shipments", "BRICSTOWN_BENCH_SHIPMENTS", 10000, "shipments to assign")
	departures := f.int("departures", "BRICSTOWN_BENCH_DEPARTURES", 2000, "departures in the network")
	seed := f.int("seed", "BRICSTOWN_BENCH_SEED", 1, "generator seed")
	asJSON := f.bool("json", "BRICSTOWN_BENCH_JSON", false, "print one JSON object")
	writeDir := f.string("write-csv", "BRICSTOWN_BENCH_WRITE_CSV", "", "also write the generated network as nodes.csv, departures.csv, shipments.csv in this directory (for bricstown dispatch)")
	if err := f.parse(args); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "bench dispatch: generating %d shipments on %d departures…\n", *shipments, *departures)
	p := dispatch.Generate(uint64(*seed), *shipments, *departures)
	if *writeDir != "" {
		if err := writeDispatchCSV(*writeDir, p); err != nil {
			return fmt.Errorf("bench dispatch: %w", err)
		}
	}
	res, took, err := solveWithProgress(ctx, e, p, dispatch.Options{}, 60*time.Second)
	if err != nil {
		return fmt.Errorf("bench dispatch: %w", err)
	}
	if err := dispatch.Check(p, res); err != nil {
		return fmt.Errorf("bench dispatch: the answer fails its check: %w", err)
	}
	out := newDispatchResult(p, res, took)
	out.Scenario = "dispatch"
	if *asJSON {
		return json.NewEncoder(e.stdout).Encode(out)
	}
	fmt.Fprintf(e.stdout, "dispatch %d shipments on %d departures: %d assigned, cost %s, lower bound %s, gap %.2f%%, in %.3fs (%d iterations)\n",
		out.Shipments, out.Departures, out.Assigned, out.Cost, out.LowerBound, out.Gap*100, out.Seconds, out.Iterations)
	return nil
}

func writeDispatchCSV(dir string, p *dispatch.Problem) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var files [3]*os.File
	var bufs [3]*bufio.Writer
	for i, name := range []string{"nodes.csv", "departures.csv", "shipments.csv"} {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		defer f.Close()
		files[i], bufs[i] = f, bufio.NewWriter(f)
	}
	if err := dispatch.WriteProblem(bufs[0], bufs[1], bufs[2], p); err != nil {
		return err
	}
	for i := range bufs {
		if err := bufs[i].Flush(); err != nil {
			return err
		}
		if err := files[i].Close(); err != nil {
			return err
		}
	}
	return nil
}
