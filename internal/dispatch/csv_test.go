package dispatch

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"bricstown/internal/problem"
)

const depHeader = "id,from,to,depart_at,arrive_at,capacity_teu,capacity_kg,price_per_teu,price_per_kg\n"
const shipHeader = "id,origin,destination,ready_at,deadline,teu,kg,penalty\n"

func TestReadDepartures(t *testing.T) {
	in := depHeader + "D1,KZHOR,RUMOW,2026-03-02T08:00:00Z,2026-03-06T20:00:00+03:00,82,1722000.5,800.25,0.0042\n"
	ds, err := ReadDepartures(strings.NewReader(in), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := Departure{ID: "D1", From: "KZHOR", To: "RUMOW", DepartAt: time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC),
		ArriveAt: time.Date(2026, 3, 6, 17, 0, 0, 0, time.UTC), CapacityTEU: 82_000, CapacityKg: 1_722_000_500,
		PricePerTEU: 8_002_500, PricePerKg: 42}
	if len(ds) != 1 || !ds[0].ArriveAt.Equal(want.ArriveAt) {
		t.Fatalf("got %+v", ds)
	}
	ds[0].ArriveAt = want.ArriveAt
	if !reflect.DeepEqual(ds[0], want) {
		t.Fatalf("got %+v\nwant %+v", ds[0], want)
	}
}

func TestCSVErrorsNameTheLine(t *testing.T) {
	good := "D1,KZHOR,RUMOW,2026-03-02T08:00:00Z,2026-03-06T08:00:00Z,82,1722000,800,0.01\n"
	nodes := []Node{{"KZHOR", time.Hour}, {"RUMOW", time.Hour}}
	for _, c := range []struct {
		name, file    string
		line          int
		field, substr string
		withNodes     bool
	}{
		{"malformed locode", depHeader + good + "D2,KZH0R,RUMOW,2026-03-02T08:00:00Z,2026-03-06T08:00:00Z,1,1,1,1\n", 3, "from", "UN/LOCODE", false},
		{"lower case locode", depHeader + good + good[:3] + "kzhor" + good[8:], 3, "from", "UN/LOCODE", false},
		{"unknown locode", depHeader + "\n" + good + "D2,KZHOR,PLMAL,2026-03-02T08:00:00Z,2026-03-06T08:00:00Z,1,1,1,1\n", 4, "to", "unknown location PLMAL", true},
		{"time not RFC 3339", depHeader + good + "D2,KZHOR,RUMOW,2026-03-02 08:00,2026-03-06T08:00:00Z,1,1,1,1\n", 3, "depart_at", "RFC 3339", false},
		{"negative capacity", depHeader + good + "D2,KZHOR,RUMOW,2026-03-02T08:00:00Z,2026-03-06T08:00:00Z,-1,1,1,1\n", 3, "capacity_teu", "negative", false},
		{"too many decimals", depHeader + good + "D2,KZHOR,RUMOW,2026-03-02T08:00:00Z,2026-03-06T08:00:00Z,1,1,1.00001,1\n", 3, "price_per_teu", "at most 4 decimal places", false},
		{"not a number", depHeader + good + "D2,KZHOR,RUMOW,2026-03-02T08:00:00Z,2026-03-06T08:00:00Z,1,1e3,1,1\n", 3, "capacity_kg", "decimal", false},
		{"arrives before departs", depHeader + good + "D2,KZHOR,RUMOW,2026-03-06T08:00:00Z,2026-03-02T08:00:00Z,1,1,1,1\n", 3, "arrive_at", "after depart_at", false},
		{"duplicate id", depHeader + good + good, 3, "id", "line 2", false},
		{"field count", depHeader + good + "D2,KZHOR\n", 3, "", "fields", false},
		{"bad header", "id,from,to\n", 1, "", "", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			var known []Node
			if c.withNodes {
				known = nodes
			}
			_, err := ReadDepartures(strings.NewReader(c.file), known)
			var le *LineError
			if !errors.As(err, &le) {
				t.Fatalf("err %v, want a LineError", err)
			}
			if le.Line != c.line || le.Field != c.field || !strings.Contains(le.Error(), c.substr) {
				t.Fatalf("got %q (line %d field %q), want line %d field %q containing %q", le.Error(), le.Line, le.Field, c.line, c.field, c.substr)
			}
		})
	}
}

func TestShipmentAndNodeErrors(t *testing.T) {
	ok := "S1,CNXIY,PLMAL,2026-03-02T00:00:00Z,2026-03-20T00:00:00Z,1,18000,2500.5\n"
	ss, err := ReadShipments(strings.NewReader(shipHeader+ok), nil)
	if err != nil || len(ss) != 1 || ss[0].Penalty != 25_005_000_000 || ss[0].Kg != 18_000_000 {
		t.Fatalf("%v %+v", err, ss)
	}
	for name, c := range map[string]struct {
		file  string
		line  int
		field string
	}{
		"deadline before ready": {shipHeader + ok + "S2,CNXIY,PLMAL,2026-03-20T00:00:00Z,2026-03-02T00:00:00Z,1,1,1\n", 3, "deadline"},
		"no size":               {shipHeader + ok + "S2,CNXIY,PLMAL,2026-03-02T00:00:00Z,2026-03-20T00:00:00Z,0,0,1\n", 3, "teu"},
		"negative penalty":      {shipHeader + ok + "S3,CNXIY,PLMAL,2026-03-02T00:00:00Z,2026-03-20T00:00:00Z,1,1,-5\n", 3, "penalty"},
		"duplicate id":          {shipHeader + ok + ok, 3, "id"},
		"unknown place":         {shipHeader + "S2,CNXIY,ZZZZZ,2026-03-02T00:00:00Z,2026-03-20T00:00:00Z,1,1,1\n", 2, "destination"},
		"bad deadline":          {shipHeader + "S2,CNXIY,PLMAL,2026-03-02T00:00:00Z,tomorrow,1,1,1\n", 2, "deadline"},
	} {
		_, err := ReadShipments(strings.NewReader(c.file), []Node{{"CNXIY", 0}, {"PLMAL", 0}})
		var le *LineError
		if !errors.As(err, &le) || le.Line != c.line || le.Field != c.field {
			t.Errorf("%s: got %v, want line %d field %s", name, err, c.line, c.field)
		}
	}
	_, err = ReadNodes(strings.NewReader("locode,min_connection_minutes\nKZHOR,720\nKZHOR,60\n"))
	var le *LineError
	if !errors.As(err, &le) || le.Line != 3 || le.Field != "locode" {
		t.Fatalf("duplicate node: %v", err)
	}
	_, err = ReadNodes(strings.NewReader("locode,min_connection_minutes\nKZHOR,-1\n"))
	if !errors.As(err, &le) || le.Line != 2 || le.Field != "min_connection_minutes" {
		t.Fatalf("negative minutes: %v", err)
	}
}

func TestAssignmentsRoundTrip(t *testing.T) {
	as := []Assignment{{ShipmentID: "S1", DepartureIDs: []string{"D1", "D7"}}, {ShipmentID: "S2"}, {ShipmentID: "S,3", DepartureIDs: []string{"D2"}}}
	var buf bytes.Buffer
	if err := WriteAssignments(&buf, as); err != nil {
		t.Fatal(err)
	}
	if want := "shipment_id,departure_ids\nS1,D1;D7\nS2,\n\"S,3\",D2\n"; buf.String() != want {
		t.Fatalf("wrote %q, want %q", buf.String(), want)
	}
	back, err := ReadAssignments(&buf)
	if err != nil || !reflect.DeepEqual(back, as) {
		t.Fatalf("%v %+v", err, back)
	}
}

func TestLocodeShape(t *testing.T) {
	for s, ok := range map[string]bool{"KZHOR": true, "PLMAL": true, "US2NY": true, "USNY2": true, "KZ1AB": false, "KZHO": false, "kzhor": false, "KZHORX": false} {
		if ValidLocode(s) != ok {
			t.Errorf("%s: %v", s, !ok)
		}
	}
}

// A generated network written as files reads back as the same problem:
// times, capacities and prices survive exactly.
func TestWriteProblemRoundTrip(t *testing.T) {
	p := Generate(5, 300, 80)
	var nb, db, sb bytes.Buffer
	if err := WriteProblem(&nb, &db, &sb, p); err != nil {
		t.Fatal(err)
	}
	nodes, err := ReadNodes(&nb)
	if err != nil {
		t.Fatal(err)
	}
	deps, err := ReadDepartures(&db, nodes)
	if err != nil {
		t.Fatal(err)
	}
	ships, err := ReadShipments(&sb, nodes)
	if err != nil {
		t.Fatal(err)
	}
	back := &Problem{Nodes: nodes, Departures: deps, Shipments: ships}
	if !reflect.DeepEqual(back, p) {
		t.Fatalf("the problem changed on the way through CSV")
	}
}

// Whatever the bytes, the readers either accept the file or name a line;
// they never panic, and what they accept the solver accepts.
func FuzzReadFiles(f *testing.F) {
	f.Add(depHeader+"D1,KZHOR,RUMOW,2026-03-02T08:00:00Z,2026-03-06T20:00:00Z,82,1722000.5,800.25,0.0042\n",
		shipHeader+"S1,KZHOR,RUMOW,2026-03-01T00:00:00Z,2026-03-12T00:00:00Z,1,12000,3000\n")
	f.Add(depHeader+"\"D,1\",KZHOR,RUMOW,2026-03-02T08:00:00Z,2026-03-06T20:00:00Z,0,0,0,0\n", shipHeader)
	f.Fuzz(func(t *testing.T, deps, ships string) {
		ds, err := ReadDepartures(strings.NewReader(deps), nil)
		if err != nil {
			var le *LineError
			if !errors.As(err, &le) || le.Line < 1 {
				t.Fatalf("departures: %v is not a line error", err)
			}
			return
		}
		ss, err := ReadShipments(strings.NewReader(ships), nil)
		if err != nil {
			var le *LineError
			if !errors.As(err, &le) || le.Line < 1 {
				t.Fatalf("shipments: %v is not a line error", err)
			}
			return
		}
		p := &Problem{Departures: ds, Shipments: ss}
		res, err := Solve(context.Background(), p, Options{Iterations: 5})
		if err != nil {
			if _, ok := err.(*problem.Error); !ok {
				t.Fatalf("solve: %v", err)
			}
			return
		}
		if err := Check(p, res); err != nil {
			t.Fatal(err)
		}
	})
}
