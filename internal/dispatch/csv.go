package dispatch

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"bricstown/internal/money"
)

// LineError is a problem with one line of an input file, so that the person
// who wrote the file can go straight to it.
type LineError struct {
	File  string // "departures", "shipments", "nodes"
	Line  int
	Field string // column name, empty for the whole line
	Msg   string
}

func (e *LineError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("%s line %d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s line %d: %s: %s", e.File, e.Line, e.Field, e.Msg)
}

var (
	departureHeader = []string{"id", "from", "to", "depart_at", "arrive_at", "capacity_teu", "capacity_kg", "price_per_teu", "price_per_kg"}
	shipmentHeader  = []string{"id", "origin", "destination", "ready_at", "deadline", "teu", "kg", "penalty"}
	nodeHeader      = []string{"locode", "min_connection_minutes"}
)

// handlingColumn is the optional last column of the departures and
// shipments files: what a departure takes, what a shipment needs (names
// separated by ';', see ParseHandling); a file without it has no handling.
const handlingColumn = "handling"

// readRows reads a CSV file with exactly the given header, or (when
// optional is not empty) the header followed by the column optional, and
// calls row for each record with its line number; rec then has the
// optional column's value at len(header) ("" when the file lacks it).
func readRows(r io.Reader, file string, header []string, optional string, row func(line int, rec []string) error) error {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = 0 // the header's width, checked below
	cr.ReuseRecord = true
	extra := false
	want := strings.Join(header, ",")
	if optional != "" {
		want += "[," + optional + "]"
	}
	first := true
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			if first {
				return &LineError{File: file, Line: 1, Msg: "empty file: want header " + want}
			}
			return nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return &LineError{File: file, Line: pe.Line, Msg: pe.Err.Error()}
			}
			return err
		}
		line, _ := cr.FieldPos(0) // only valid after a successful Read

		if first {
			first = false
			cols := append(slices.Clone(header), optional)
			extra = optional != "" && len(rec) == len(cols)
			if !extra && len(rec) != len(header) {
				return &LineError{File: file, Line: line, Msg: fmt.Sprintf("header has %d columns, want %s", len(rec), want)}
			}
			for i := range rec {
				got := strings.TrimSpace(rec[i])
				if i == 0 {
					got = strings.TrimSpace(strings.TrimPrefix(rec[i], "\xef\xbb\xbf"))
				}
				if !strings.EqualFold(got, cols[i]) {
					return &LineError{File: file, Line: line, Msg: fmt.Sprintf("header column %d is %q, want %s", i+1, got, want)}
				}
			}
			continue
		}
		for i := range rec {
			rec[i] = strings.TrimSpace(rec[i])
		}
		if !extra && optional != "" {
			rec = append(rec, "")
		}
		if err := row(line, rec); err != nil {
			return err
		}
	}
}

type fieldReader struct {
	file string
	line int
	err  *LineError
}

func (f *fieldReader) fail(field, format string, args ...any) {
	if f.err == nil {
		f.err = &LineError{File: f.file, Line: f.line, Field: field, Msg: fmt.Sprintf(format, args...)}
	}
}

func (f *fieldReader) id(field, s string) string {
	if s == "" {
		f.fail(field, "must not be empty")
	}
	return s
}

func (f *fieldReader) locode(field, s string) string {
	if !ValidLocode(s) {
		f.fail(field, "%q is not a UN/LOCODE (two letters of country, three of place, e.g. KZHOR)", s)
	}
	return s
}

func (f *fieldReader) handling(field, s string) Handling {
	h, err := ParseHandling(s)
	if err != nil {
		f.fail(field, "%v", err)
	}
	return h
}

func (f *fieldReader) time(field, s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		f.fail(field, "%q is not an RFC 3339 time (e.g. 2026-03-01T08:00:00Z)", s)
	}
	return t
}

// decimal reads a non-negative exact decimal with at most exp decimals.
func (f *fieldReader) decimal(field, s string, exp int) int64 {
	if strings.HasPrefix(s, "-") {
		f.fail(field, "%q must not be negative", s)
		return 0
	}
	v, err := money.ParseAmount(s, exp)
	if err != nil {
		msg := err.Error()
		if i := strings.LastIndex(msg, ": "); i >= 0 && strings.HasPrefix(msg, "invalid") {
			msg = msg[i+2:]
		}
		if !strings.Contains(msg, "decimal places") {
			msg += fmt.Sprintf(" (a decimal with at most %d places)", exp)
		}
		f.fail(field, "%q: %s", s, msg)
	}
	return v
}

// ReadNodes reads `locode,min_connection_minutes`.
func ReadNodes(r io.Reader) ([]Node, error) {
	var out []Node
	seen := map[string]int{}
	err := readRows(r, "nodes", nodeHeader, "", func(line int, rec []string) error {
		f := fieldReader{file: "nodes", line: line}
		code := f.locode("locode", rec[0])
		m, err := strconv.ParseInt(rec[1], 10, 32)
		if err != nil || m < 0 {
			f.fail("min_connection_minutes", "%q is not a whole number of minutes ≥ 0", rec[1])
		}
		if prev, ok := seen[code]; ok && f.err == nil {
			f.fail("locode", "%s already given on line %d", code, prev)
		}
		if f.err != nil {
			return f.err
		}
		seen[code] = line
		out = append(out, Node{Locode: code, MinConnection: time.Duration(m) * time.Minute})
		return nil
	})
	return out, err
}

// ReadDepartures reads the departures file. When nodes is not nil, a
// locode it does not list is refused as unknown.
func ReadDepartures(r io.Reader, nodes []Node) ([]Departure, error) {
	known := nodeSet(nodes)
	var out []Departure
	seen := map[string]int{}
	err := readRows(r, "departures", departureHeader, handlingColumn, func(line int, rec []string) error {
		f := fieldReader{file: "departures", line: line}
		d := Departure{ID: f.id("id", rec[0]), From: f.locode("from", rec[1]), To: f.locode("to", rec[2]),
			DepartAt: f.time("depart_at", rec[3]), ArriveAt: f.time("arrive_at", rec[4]),
			CapacityTEU: f.decimal("capacity_teu", rec[5], QtyExp), CapacityKg: f.decimal("capacity_kg", rec[6], QtyExp),
			PricePerTEU: f.decimal("price_per_teu", rec[7], PriceExp), PricePerKg: f.decimal("price_per_kg", rec[8], PriceExp),
			Handling: f.handling(handlingColumn, rec[9])}
		if f.err == nil {
			if known != nil && !known[d.From] {
				f.fail("from", "unknown location %s (not in the nodes file)", d.From)
			}
			if known != nil && !known[d.To] {
				f.fail("to", "unknown location %s (not in the nodes file)", d.To)
			}
			if d.From == d.To {
				f.fail("to", "a departure must go somewhere else than %s", d.From)
			}
			if !d.ArriveAt.After(d.DepartAt) {
				f.fail("arrive_at", "must be after depart_at")
			}
			if prev, ok := seen[d.ID]; ok {
				f.fail("id", "%q already used on line %d", d.ID, prev)
			}
		}
		if f.err != nil {
			return f.err
		}
		seen[d.ID] = line
		out = append(out, d)
		return nil
	})
	return out, err
}

// ReadShipments reads the shipments file; known is as in ReadDepartures
// (nil accepts any well-formed locode).
func ReadShipments(r io.Reader, nodes []Node) ([]Shipment, error) {
	known := nodeSet(nodes)
	var out []Shipment
	seen := map[string]int{}
	err := readRows(r, "shipments", shipmentHeader, handlingColumn, func(line int, rec []string) error {
		f := fieldReader{file: "shipments", line: line}
		s := Shipment{ID: f.id("id", rec[0]), Origin: f.locode("origin", rec[1]), Destination: f.locode("destination", rec[2]),
			ReadyAt: f.time("ready_at", rec[3]), Deadline: f.time("deadline", rec[4]),
			TEU: f.decimal("teu", rec[5], QtyExp), Kg: f.decimal("kg", rec[6], QtyExp), Penalty: f.decimal("penalty", rec[7], CostExp),
			Handling: f.handling(handlingColumn, rec[8])}
		if f.err == nil {
			if known != nil && !known[s.Origin] {
				f.fail("origin", "unknown location %s", s.Origin)
			}
			if known != nil && !known[s.Destination] {
				f.fail("destination", "unknown location %s", s.Destination)
			}
			if s.Deadline.Before(s.ReadyAt) {
				f.fail("deadline", "is before ready_at")
			}
			if s.TEU == 0 && s.Kg == 0 {
				f.fail("teu", "a shipment needs a size in TEU or kg")
			}
			if prev, ok := seen[s.ID]; ok {
				f.fail("id", "%q already used on line %d", s.ID, prev)
			}
		}
		if f.err != nil {
			return f.err
		}
		seen[s.ID] = line
		out = append(out, s)
		return nil
	})
	return out, err
}

func nodeSet(nodes []Node) map[string]bool {
	if nodes == nil {
		return nil
	}
	m := make(map[string]bool, len(nodes))
	for _, n := range nodes {
		m[n.Locode] = true
	}
	return m
}

// WriteAssignments writes `shipment_id,departure_ids`, departures in
// travel order separated by ';', empty for an unassigned shipment.
func WriteAssignments(w io.Writer, as []Assignment) error {
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"shipment_id", "departure_ids"}); err != nil {
		return err
	}
	for _, a := range as {
		if err := cw.Write([]string{a.ShipmentID, strings.Join(a.DepartureIDs, ";")}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// ReadAssignments reads the answer format back (for confirmed bookings).
func ReadAssignments(r io.Reader) ([]Assignment, error) {
	var out []Assignment
	err := readRows(r, "assignments", []string{"shipment_id", "departure_ids"}, "", func(line int, rec []string) error {
		if rec[0] == "" {
			return &LineError{File: "assignments", Line: line, Field: "shipment_id", Msg: "must not be empty"}
		}
		a := Assignment{ShipmentID: rec[0]}
		if rec[1] != "" {
			for _, id := range strings.Split(rec[1], ";") {
				a.DepartureIDs = append(a.DepartureIDs, strings.TrimSpace(id))
			}
		}
		out = append(out, a)
		return nil
	})
	return out, err
}

// WriteProblem writes the three input files (nodes, departures,
// shipments) in the formats the readers accept, so that a generated
// network can be solved again with `bricstown dispatch`.
func WriteProblem(nodes, departures, shipments io.Writer, p *Problem) error {
	cw := csv.NewWriter(nodes)
	cw.Write(nodeHeader)
	for _, n := range p.Nodes {
		cw.Write([]string{n.Locode, strconv.FormatInt(int64(n.MinConnection/time.Minute), 10)})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	// The handling column only when something has handling, so that a
	// network without it is written exactly as before the column existed.
	withHandling := slices.ContainsFunc(p.Departures, func(d Departure) bool { return d.Handling != 0 }) ||
		slices.ContainsFunc(p.Shipments, func(s Shipment) bool { return s.Handling != 0 })
	head := func(h []string) []string {
		if withHandling {
			return append(slices.Clone(h), handlingColumn)
		}
		return h
	}
	row := func(rec []string, h Handling) []string {
		if withHandling {
			return append(rec, h.String())
		}
		return rec
	}
	cw = csv.NewWriter(departures)
	cw.Write(head(departureHeader))
	for _, d := range p.Departures {
		cw.Write(row([]string{d.ID, d.From, d.To, d.DepartAt.UTC().Format(time.RFC3339), d.ArriveAt.UTC().Format(time.RFC3339),
			money.FormatAmount(d.CapacityTEU, QtyExp), money.FormatAmount(d.CapacityKg, QtyExp),
			money.FormatAmount(d.PricePerTEU, PriceExp), money.FormatAmount(d.PricePerKg, PriceExp)}, d.Handling))
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	cw = csv.NewWriter(shipments)
	cw.Write(head(shipmentHeader))
	for _, s := range p.Shipments {
		cw.Write(row([]string{s.ID, s.Origin, s.Destination, s.ReadyAt.UTC().Format(time.RFC3339), s.Deadline.UTC().Format(time.RFC3339),
			money.FormatAmount(s.TEU, QtyExp), money.FormatAmount(s.Kg, QtyExp), money.FormatAmount(s.Penalty, CostExp)}, s.Handling))
	}
	cw.Flush()
	return cw.Error()
}
