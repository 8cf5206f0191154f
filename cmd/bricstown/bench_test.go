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
		})
	}
}
