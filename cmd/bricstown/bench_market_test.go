package main

import (
	"encoding/json"
	"strings"
	"testing"

	"bricstown/internal/pgtest"
)

// A small catalogue: the benchmark loads, searches and reports the fields
// the lead reads (docs/PERFORMANCE.md), with every search matching
// something on average.
func TestBenchMarketRunsSmall(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) { benchMarketSmall(t, engine) })
	}
}

func benchMarketSmall(t *testing.T, engine string) {
	args := []string{"bench", "market", "--json", "--products", "3000", "--queries", "200"}
	if engine == "postgres" {
		args = append(args, "--db", pgtest.URL(t))
	}
	out, err := runCmd(t, args...)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	line := out[strings.LastIndex(strings.TrimSpace(out), "\n")+1:]
	line = line[strings.LastIndex(line, "\r")+1:]
	var res struct {
		Scenario    string  `json:"scenario"`
		Engine      string  `json:"engine"`
		Products    int     `json:"products"`
		Queries     int     `json:"queries"`
		P50ms       float64 `json:"p50_ms"`
		P99ms       float64 `json:"p99_ms"`
		MeanResults float64 `json:"mean_results"`
	}
	if err := json.Unmarshal([]byte(strings.TrimSpace(line)), &res); err != nil {
		t.Fatalf("no JSON result line: %v\n%s", err, out)
	}
	t.Logf("%s", line)
	if res.Scenario != "search" || res.Engine != engine || res.Products != 3000 || res.Queries != 200 || res.P99ms <= 0 || res.MeanResults < 1 {
		t.Fatalf("result %+v", res)
	}
}
