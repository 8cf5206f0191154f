package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"time"

	"bricstown/internal/dispatch"
)

// dispatchResult is the JSON line `bricstown dispatch --json` and
// `bricstown bench dispatch --json` print. Cost and bound are exact decimals
// in the currency of the prices; gap is relative ((cost-bound)/cost).
type dispatchResult struct {
	Scenario   string            `json:"scenario,omitempty"`
	Shipments  int               `json:"shipments"`
	Departures int               `json:"departures"`
	Assigned   int               `json:"assigned"`
	Unassigned map[string]int    `json:"unassigned"`
	Cost       json.Number       `json:"cost"`
	LowerBound json.Number       `json:"lower_bound"`
	Gap        float64           `json:"gap"`
	Seconds    float64           `json:"seconds"`
	Iterations int               `json:"iterations"`
	Stopped    bool              `json:"stopped,omitempty"`
	Reasons    map[string]string `json:"-"`
}

func newDispatchResult(p *dispatch.Problem, res dispatch.Result, took time.Duration) dispatchResult {
	out := dispatchResult{Shipments: len(p.Shipments), Departures: len(p.Departures), Assigned: res.Assigned,
		Unassigned: map[string]int{}, Cost: json.Number(dispatch.FormatCost(res.Cost)),
		LowerBound: json.Number(dispatch.FormatCost(res.LowerBound)), Gap: float64(int64(res.Gap()*1e5+0.5)) / 1e5,
		Seconds: round3(took.Seconds()), Iterations: res.Iterations, Stopped: res.Stopped}
	for _, r := range res.Reasons {
		out.Unassigned[string(r)]++
	}
	return out
}

// dispatchCmd solves a network given as CSV files and writes the answer;
// nothing else is read or written.
func dispatchCmd(ctx context.Context, e *env, args []string) error {
	f := newFlags(e, "dispatch", "dispatch --departures D.csv --shipments S.csv [--nodes N.csv] [--confirmed C.csv] --out A.csv [--reasons R.csv] [--json]")
	depPath := f.string("departures", "BRICSTOWN_DISPATCH_DEPARTURES", "", "departures CSV: id,from,to,depart_at,arrive_at,capacity_teu,capacity_kg,price_per_teu,price_per_kg[,handling] (handling: what it takes, reefer;dg, empty for none)")
	shipPath := f.string("shipments", "BRICSTOWN_DISPATCH_SHIPMENTS", "", "shipments CSV: id,origin,destination,ready_at,deadline,teu,kg,penalty[,handling] (handling: what it needs, reefer;dg, empty for none)")
	nodePath := f.string("nodes", "BRICSTOWN_DISPATCH_NODES", "", "optional nodes CSV: locode,min_connection_minutes (default 360)")
	confPath := f.string("confirmed", "BRICSTOWN_DISPATCH_CONFIRMED", "", "optional confirmed bookings to keep, in the answer format shipment_id,departure_ids")
	outPath := f.string("out", "BRICSTOWN_DISPATCH_OUT", "", "answer CSV to write: shipment_id,departure_ids")
	reasonsPath := f.string("reasons", "BRICSTOWN_DISPATCH_REASONS", "", "optional CSV to write why each unassigned shipment is: shipment_id,reason")
	timeLimit := f.string("time-limit", "BRICSTOWN_DISPATCH_TIME_LIMIT", "60s", "stop improving after this long (the answer stays feasible and the bound true)")
	targetGap := f.string("target-gap", "BRICSTOWN_DISPATCH_TARGET_GAP", "0.01", "stop once (cost-bound)/cost is at most this (0 or less: run every iteration)")
	iterations := f.int("iterations", "BRICSTOWN_DISPATCH_ITERATIONS", 120, "subgradient iterations at most")
	asJSON := f.bool("json", "BRICSTOWN_DISPATCH_JSON", false, "print one JSON object")
	if err := f.parse(args); err != nil {
		return err
	}
	if *depPath == "" || *shipPath == "" || *outPath == "" {
		return usageError{"dispatch: --departures, --shipments and --out are required"}
	}
	limit, err := time.ParseDuration(*timeLimit)
	if err != nil || limit <= 0 {
		return usageError{fmt.Sprintf("dispatch: --time-limit %q is not a positive duration (e.g. 30s)", *timeLimit)}
	}
	gap, err := strconv.ParseFloat(*targetGap, 64)
	if err != nil || math.IsNaN(gap) {
		return usageError{fmt.Sprintf("dispatch: --target-gap %q is not a number", *targetGap)}
	}
	if gap <= 0 {
		gap = -1 // Options: negative runs every iteration
	}
	opt := dispatch.Options{TargetGap: gap, Iterations: *iterations}
	p := &dispatch.Problem{}
	if *nodePath != "" {
		if err = readFile(*nodePath, func(r io.Reader) (err error) { p.Nodes, err = dispatch.ReadNodes(r); return }); err != nil {
			return fmt.Errorf("dispatch: %w", err)
		}
		if p.Nodes == nil {
			p.Nodes = []dispatch.Node{}
		}
	}
	known := p.Nodes
	if err = readFile(*depPath, func(r io.Reader) (err error) { p.Departures, err = dispatch.ReadDepartures(r, known); return }); err != nil {
		return fmt.Errorf("dispatch: %w", err)
	}
	if known == nil {
		// Without a nodes file, the departures define the known places.
		seen := map[string]bool{}
		known = []dispatch.Node{}
		for _, d := range p.Departures {
			for _, c := range []string{d.From, d.To} {
				if !seen[c] {
					seen[c] = true
					known = append(known, dispatch.Node{Locode: c, MinConnection: dispatch.DefaultMinConnection})
				}
			}
		}
	}
	if err = readFile(*shipPath, func(r io.Reader) (err error) { p.Shipments, err = dispatch.ReadShipments(r, known); return }); err != nil {
		return fmt.Errorf("dispatch: %w", err)
	}
	if *confPath != "" {
		if err = readFile(*confPath, func(r io.Reader) (err error) { p.Confirmed, err = dispatch.ReadAssignments(r); return }); err != nil {
			return fmt.Errorf("dispatch: %w", err)
		}
	}
	res, took, err := solveWithProgress(ctx, e, p, opt, limit)
	if err != nil {
		return fmt.Errorf("dispatch: %w", err)
	}
	file, err := os.Create(*outPath)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(file)
	if err := dispatch.WriteAssignments(w, res.Assignments); err != nil {
		file.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		file.Close()
		return err
	}
	if err := file.Close(); err != nil {
		return err
	}
	if *reasonsPath != "" {
		if err := writeReasons(*reasonsPath, res); err != nil {
			return err
		}
	}
	out := newDispatchResult(p, res, took)
	if *asJSON {
		return json.NewEncoder(e.stdout).Encode(out)
	}
	fmt.Fprintf(e.stdout, "%d shipments on %d departures: %d assigned, cost %s, lower bound %s, gap %.2f%%, in %.3fs\n",
		out.Shipments, out.Departures, out.Assigned, out.Cost, out.LowerBound, out.Gap*100, out.Seconds)
	for _, r := range []dispatch.Reason{dispatch.NoRoute, dispatch.NoRouteInTime, dispatch.PenaltyCheaper, dispatch.CapacityTaken} {
		if n := out.Unassigned[string(r)]; n > 0 {
			fmt.Fprintf(e.stdout, "  unassigned, %s: %d\n", r, n)
		}
	}
	return nil
}

// writeReasons writes one line per unassigned shipment, in input order.
func writeReasons(path string, res dispatch.Result) error {
	file, err := os.Create(path)
	if err != nil {
		return err
	}
	w := csv.NewWriter(file)
	w.Write([]string{"shipment_id", "reason"})
	for _, a := range res.Assignments {
		if r, ok := res.Reasons[a.ShipmentID]; ok {
			w.Write([]string{a.ShipmentID, string(r)})
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		file.Close()
		return err
	}
	return file.Close()
}

func readFile(path string, read func(io.Reader) error) error {
	file, err := os.Open(path)
	if err != nil {
		return err
	}
	defer file.Close()
	return read(bufio.NewReaderSize(file, 1<<20))
}

// solveWithProgress runs the optimiser, reporting on stderr once a second
// for long runs.
func solveWithProgress(ctx context.Context, e *env, p *dispatch.Problem, opt dispatch.Options, limit time.Duration) (dispatch.Result, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	start := time.Now()
	last := start
	opt.Progress = func(it int, cost, lb int64) {
		if now := time.Now(); now.Sub(last) >= time.Second {
			last = now
			fmt.Fprintf(e.stderr, "dispatch: iteration %d, cost %s, lower bound %s (%.1fs)\n", it+1,
				dispatch.FormatCost(cost), dispatch.FormatCost(lb), now.Sub(start).Seconds())
		}
	}
	res, err := dispatch.Solve(ctx, p, opt)
	return res, time.Since(start), err
}
