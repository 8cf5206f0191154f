package main

import (
	"context"
	"encoding/json"
	"fmt"
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
	if err := f.parse(args); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "bench dispatch: generating %d shipments on %d departures…\n", *shipments, *departures)
	p := dispatch.Generate(uint64(*seed), *shipments, *departures)
	res, took, err := solveWithProgress(ctx, e, p, 60*time.Second)
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
