package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// Every benchmark runs end to end on a small load, so a change that breaks
// one (as the trust model once broke bench settlement's centre) fails the
// suite instead of the next person measuring.
func TestBenchmarksRunSmall(t *testing.T) {
	for _, args := range [][]string{
		{"bench", "ledger", "--json", "--accounts", "200", "--transfers", "5000"},
		{"bench", "ledger", "--json", "--scenario", "http", "--accounts", "200", "--transfers", "2000"},
		{"bench", "settlement", "--json", "--instructions", "5000", "--participants", "10", "--currencies", "3"},
		{"bench", "clearing", "--json", "--obligations", "3000", "--firms", "500"},
		{"bench", "customs", "--json", "--scenario", "batch", "--declarations", "300"},
		{"bench", "dispatch", "--json", "--shipments", "500", "--departures", "120"},
		{"bench", "booking", "--json", "--scenario", "hot", "--clients", "8", "--attempts", "60", "--capacity", "20"},
		{"bench", "booking", "--json", "--scenario", "spread", "--clients", "8", "--resources", "20", "--attempts", "100"},
	} {
		t.Run(strings.Join(args[:2], " ")+" "+strings.Join(args[2:], " "), func(t *testing.T) {
			out, err := runCmd(t, args...)
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			// The result is the last line; progress on stderr ends with a
			// carriage return, not a newline, so it may share that line.
			line := out[strings.LastIndex(strings.TrimSpace(out), "\n")+1:]
			line = line[strings.LastIndex(line, "\r")+1:]
			var res map[string]any
			if err := json.Unmarshal([]byte(strings.TrimSpace(line)), &res); err != nil {
				t.Fatalf("no JSON result line: %v\n%s", err, out)
			}
			// The booking engine never sells a place twice, and the hot
			// slot of 20 places is sold out by 60 attempts.
			if args[1] == "booking" && (res["oversold"] != 0.0 || res["scenario"] == "hot" && res["confirmed"] != 20.0) {
				t.Fatalf("booking: %v", res)
			}
		})
	}
}
