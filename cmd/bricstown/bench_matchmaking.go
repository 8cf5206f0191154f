package main

import (
	"encoding/json"
	"fmt"
	"time"

	"bricstown/internal/matchmaking"
)

// matchmakingBenchResult is the line of `bench market --scenario matchmaking --json`.
type matchmakingBenchResult struct {
	Scenario       string  `json:"scenario"`
	Participants   int     `json:"participants"`
	Requests       int     `json:"requests"`
	Slots          int     `json:"slots"`
	Tables         int     `json:"tables"`
	Meetings       int     `json:"meetings"`
	GreedyMeetings int     `json:"greedy_meetings"`
	UpperBound     int     `json:"upper_bound"`
	Seconds        float64 `json:"seconds"`
	GreedySeconds  float64 `json:"greedy_seconds"`
	LoadAverage    string  `json:"load_average"`
}

// matchmakingSize is the expo the scenario generates (defaults: matchmaking.BenchExpo).
type matchmakingSize struct{ exhibitors, buyers, requests, tables *int }

func matchmakingFlags(f *flags) matchmakingSize {
	d := matchmaking.BenchExpo
	return matchmakingSize{
		exhibitors: f.int("exhibitors", "BRICSTOWN_BENCH_EXHIBITORS", d.Exhibitors, "matchmaking: exhibitors"),
		buyers:     f.int("buyers", "BRICSTOWN_BENCH_BUYERS", d.Buyers, "matchmaking: buyers"),
		requests:   f.int("requests", "BRICSTOWN_BENCH_REQUESTS", d.Requests, "matchmaking: meeting requests"),
		tables:     f.int("tables", "BRICSTOWN_BENCH_TABLES", d.Tables, "matchmaking: tables per slot"),
	}
}

// benchMatchmaking times the scheduler on a generated expo (two days of sixteen slots, requests
// skewed towards popular exhibitors, some busy slots) and reports it beside the greedy baseline
// and the upper bound, so the gap to the optimum is stated, not guessed. Pure CPU: no database.
func benchMatchmaking(e *env, size matchmakingSize, seed uint64, asJSON bool) error {
	x := matchmaking.BenchExpo
	x.Exhibitors, x.Buyers, x.Requests, x.Tables, x.Seed = *size.exhibitors, *size.buyers, *size.requests, *size.tables, seed
	if x.Exhibitors <= 0 || x.Buyers <= 0 || x.Requests <= 0 || x.Tables <= 0 {
		return usageError{"bench market: exhibitors, buyers, requests and tables must be positive"}
	}
	p := x.Generate()
	fmt.Fprintf(e.stderr, "bench market: matchmaking %d participants, %d requests, %d slots × %d tables…", p.Participants, len(p.Requests), p.Slots, p.Tables)
	t0 := time.Now()
	greedy := matchmaking.Greedy(p)
	greedySecs := time.Since(t0).Seconds()
	t0 = time.Now()
	ms := matchmaking.Schedule(p)
	secs := time.Since(t0).Seconds()
	fmt.Fprintln(e.stderr)
	if !matchmaking.Valid(p, ms) {
		return fmt.Errorf("bench market: matchmaking produced a timetable with a clash")
	}
	r := matchmakingBenchResult{Scenario: "matchmaking", Participants: p.Participants, Requests: len(p.Requests), Slots: p.Slots, Tables: p.Tables,
		Meetings: len(ms), GreedyMeetings: len(greedy), UpperBound: matchmaking.UpperBound(p), Seconds: secs, GreedySeconds: greedySecs, LoadAverage: loadAverage()}
	if asJSON {
		return json.NewEncoder(e.stdout).Encode(r)
	}
	fmt.Fprintf(e.stdout, "market matchmaking %d participants, %d requests, %d slots × %d tables: %d meetings in %.2fs (greedy %d in %.3fs, upper bound %d); load %s\n",
		r.Participants, r.Requests, r.Slots, r.Tables, r.Meetings, r.Seconds, r.GreedyMeetings, r.GreedySeconds, r.UpperBound, r.LoadAverage)
	return nil
}
