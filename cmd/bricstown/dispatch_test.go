package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// bricstown dispatch solves a network given as files: the answer file
// holds every shipment, the JSON line the figures, and a bad line in an
// input file is named by its number.
func TestDispatchCommand(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	deps := write("d.csv", "id,from,to,depart_at,arrive_at,capacity_teu,capacity_kg,price_per_teu,price_per_kg\n"+
		"T1,KZHOR,RUMOW,2026-03-02T08:00:00Z,2026-03-06T20:00:00Z,1,30000,800,0.01\n"+
		"T2,KZHOR,RUMOW,2026-03-03T08:00:00Z,2026-03-07T20:00:00Z,2,30000,950.5,0.02\n"+
		"T3,RUMOW,BYMSQ,2026-03-08T08:00:00Z,2026-03-09T08:00:00Z,5,100000,150,0\n")
	ships := write("s.csv", "id,origin,destination,ready_at,deadline,teu,kg,penalty\n"+
		"S1,KZHOR,BYMSQ,2026-03-01T00:00:00Z,2026-03-12T00:00:00Z,1,12000,3000\n"+
		"S2,KZHOR,RUMOW,2026-03-01T00:00:00Z,2026-03-12T00:00:00Z,1,20000,2000\n"+
		"S3,KZHOR,BYMSQ,2026-03-01T00:00:00Z,2026-03-05T00:00:00Z,1,12000,1000\n")
	nodes := write("n.csv", "locode,min_connection_minutes\nKZHOR,720\nRUMOW,360\nBYMSQ,360\n")
	out := filepath.Join(dir, "a.csv")
	reasons := filepath.Join(dir, "r.csv")
	got, err := runCmd(t, "dispatch", "--departures", deps, "--shipments", ships, "--nodes", nodes, "--out", out, "--reasons", reasons, "--json")
	if err != nil {
		t.Fatalf("%v\n%s", err, got)
	}
	var res map[string]any
	if err := json.Unmarshal([]byte(strings.TrimSpace(got)), &res); err != nil {
		t.Fatalf("%v: %s", err, got)
	}
	for _, k := range []string{"shipments", "departures", "assigned", "cost", "lower_bound", "gap", "seconds"} {
		if _, ok := res[k]; !ok {
			t.Errorf("JSON has no %q: %s", k, got)
		}
	}
	// T1 has room for one: S1 on T1 and T3 (1070) with S2 on T2 (1350.5)
	// costs more than S1 on T2 and T3 (1340.5) with S2 on T1 (1000); S3
	// cannot arrive by its deadline (penalty 1000).
	if res["assigned"] != 2.0 || res["cost"] != 1340.5+1000+1000 || res["lower_bound"] != res["cost"] {
		t.Fatalf("result %s", got)
	}
	answer, _ := os.ReadFile(out)
	if want := "shipment_id,departure_ids\nS1,T2;T3\nS2,T1\nS3,\n"; string(answer) != want {
		t.Fatalf("answer %q, want %q", answer, want)
	}
	why, _ := os.ReadFile(reasons)
	if want := "shipment_id,reason\nS3,no_route_within_deadline\n"; string(why) != want {
		t.Fatalf("reasons %q, want %q", why, want)
	}
	// Re-optimising with S1 already confirmed on T1 keeps it there: S2 moves to T2.
	conf := write("c.csv", "shipment_id,departure_ids\nS1,T1;T3\n")
	got, err = runCmd(t, "dispatch", "--departures", deps, "--shipments", ships, "--nodes", nodes, "--confirmed", conf, "--out", out)
	if err != nil || !strings.Contains(got, "2 assigned") {
		t.Fatalf("%v\n%s", err, got)
	}
	answer, _ = os.ReadFile(out)
	if want := "shipment_id,departure_ids\nS1,T1;T3\nS2,T2\nS3,\n"; string(answer) != want {
		t.Fatalf("answer %q, want %q", answer, want)
	}

	bad := write("bad.csv", "id,origin,destination,ready_at,deadline,teu,kg,penalty\n"+
		"S1,KZHOR,BYMSQ,2026-03-01T00:00:00Z,2026-03-12T00:00:00Z,1,12000,3000\n"+
		"S2,KZHOR,PLMAL,2026-03-01T00:00:00Z,2026-03-12T00:00:00Z,1,12000,1000\n")
	got, err = runCmd(t, "dispatch", "--departures", deps, "--shipments", bad, "--nodes", nodes, "--out", out)
	if err == nil || !strings.Contains(err.Error(), "shipments line 3: destination: unknown location PLMAL") {
		t.Fatalf("err %v\n%s", err, got)
	}
	if _, err := runCmd(t, "dispatch", "--departures", deps); err == nil || exitCode(err) != 2 {
		t.Fatalf("missing flags: %v", err)
	}
}

// The optional handling column: S2 needs reefer, only T2 takes it, so S2
// goes on T2 although T1 is cheaper and has room for both; S1 (no
// handling) takes T1.
func TestDispatchCommandHandling(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	deps := write("d.csv", "id,from,to,depart_at,arrive_at,capacity_teu,capacity_kg,price_per_teu,price_per_kg,handling\n"+
		"T1,KZHOR,RUMOW,2026-03-02T08:00:00Z,2026-03-06T20:00:00Z,2,30000,800,0,\n"+
		"T2,KZHOR,RUMOW,2026-03-03T08:00:00Z,2026-03-07T20:00:00Z,1,30000,950,0,reefer\n")
	ships := write("s.csv", "id,origin,destination,ready_at,deadline,teu,kg,penalty,handling\n"+
		"S2,KZHOR,RUMOW,2026-03-01T00:00:00Z,2026-03-12T00:00:00Z,1,1000,5000,reefer\n"+
		"S1,KZHOR,RUMOW,2026-03-01T00:00:00Z,2026-03-12T00:00:00Z,1,1000,5000,\n")
	out := filepath.Join(dir, "a.csv")
	if got, err := runCmd(t, "dispatch", "--departures", deps, "--shipments", ships, "--out", out); err != nil {
		t.Fatalf("%v\n%s", err, got)
	}
	answer, _ := os.ReadFile(out)
	if want := "shipment_id,departure_ids\nS2,T2\nS1,T1\n"; string(answer) != want {
		t.Fatalf("answer %q, want %q", answer, want)
	}
}
