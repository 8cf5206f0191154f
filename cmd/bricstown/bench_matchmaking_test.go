package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// A small expo: the scenario reports the fields the lead reads (docs/PERFORMANCE.md), and the
// optimiser's count sits between greedy's and the upper bound.
func TestBenchMatchmakingRunsSmall(t *testing.T) {
	out, err := runCmd(t, "bench", "market", "--scenario", "matchmaking", "--json", "--exhibitors", "100", "--buyers", "100", "--requests", "2000", "--tables", "50")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	line := strings.TrimSpace(out)
	line = line[strings.LastIndexAny(line, "\r\n")+1:]
	var res struct {
		Scenario       string  `json:"scenario"`
		Participants   int     `json:"participants"`
		Requests       int     `json:"requests"`
		Meetings       int     `json:"meetings"`
		GreedyMeetings int     `json:"greedy_meetings"`
		UpperBound     int     `json:"upper_bound"`
		Slots          int     `json:"slots"`
		Tables         int     `json:"tables"`
		Seconds        float64 `json:"seconds"`
	}
	if err := json.Unmarshal([]byte(line), &res); err != nil {
		t.Fatalf("no JSON result line: %v\n%s", err, out)
	}
	t.Logf("%s", line)
	if res.Scenario != "matchmaking" || res.Participants != 200 || res.Requests != 2000 || res.Slots != 32 || res.Tables != 50 ||
		res.Meetings < res.GreedyMeetings || res.Meetings > res.UpperBound || res.GreedyMeetings == 0 || res.Seconds <= 0 {
		t.Fatalf("result %+v", res)
	}
}
