package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"bricstown/internal/clearing"
)

// clearResult is the JSON line `bricstown clear --json` prints.
type clearResult struct {
	Obligations int     `json:"obligations"`
	Firms       int     `json:"firms"`
	TotalDebt   int64   `json:"total_debt"`
	Cleared     int64   `json:"cleared"`
	Remaining   int64   `json:"remaining"`
	Seconds     float64 `json:"seconds"`
	Certified   bool    `json:"certified"`
}

// clearCmd finds the maximum set-off of an obligation network in a CSV file
// (header debtor,creditor,amount; amounts in minor units) and proves it
// optimal; nothing is written anywhere.
func clearCmd(ctx context.Context, e *env, args []string) error {
	f := newFlags(e, "clear", "clear --csv FILE [--json]")
	path := f.string("csv", "BRICSTOWN_CLEAR_CSV", "", "obligations CSV: debtor,creditor,amount (integer minor units)")
	asJSON := f.bool("json", "BRICSTOWN_CLEAR_JSON", false, "print one JSON object")
	if err := f.parse(args); err != nil {
		return err
	}
	if *path == "" {
		return usageError{"clear: --csv is required"}
	}
	start := time.Now()
	file, err := os.Open(*path)
	if err != nil {
		return err
	}
	defer file.Close()
	n, obs, _, err := clearing.ReadCSV(bufio.NewReaderSize(file, 1<<20))
	if err != nil {
		return fmt.Errorf("clear: %w", err)
	}
	res, err := clearing.Solve(n, obs)
	if err != nil {
		return fmt.Errorf("clear: %w", err)
	}
	took := time.Since(start)
	// The certificate is checked after the clock stops: it proves the
	// answer, it is not part of finding it.
	certified := clearing.Certify(n, obs, res) == nil
	out := clearResult{Obligations: len(obs), Firms: n, TotalDebt: res.TotalDebt, Cleared: res.Cleared, Remaining: res.TotalDebt - res.Cleared,
		Seconds: round3(took.Seconds()), Certified: certified}
	if !certified {
		return fmt.Errorf("clear: the result failed its optimality certificate")
	}
	if *asJSON {
		return json.NewEncoder(e.stdout).Encode(out)
	}
	pct := 0.0
	if out.TotalDebt > 0 {
		pct = float64(out.Cleared) * 100 / float64(out.TotalDebt)
	}
	fmt.Fprintf(e.stdout, "%d obligations among %d firms: total debt %d, cleared %d (%.1f%%), remaining %d, in %.3fs (optimality certified)\n",
		out.Obligations, out.Firms, out.TotalDebt, out.Cleared, pct, out.Remaining, out.Seconds)
	return nil
}
