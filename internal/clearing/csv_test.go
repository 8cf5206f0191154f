package clearing

import (
	"bytes"
	"errors"
	"io"
	"math"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
)

func TestReadCSVBasics(t *testing.T) {
	in := "\xef\xbb\xbfDebtor, Creditor ,AMOUNT\r\n" +
		"acme,globex,1250\r\n" +
		"\n" +
		"  globex , \"Initech, Inc.\" , +300\r\n" +
		"\"Initech, Inc.\",acme,0\n" +
		"\"say \"\"hi\"\"\",acme,7" // no trailing newline
	n, obs, names, err := ReadCSV(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	wantNames := []string{"acme", "globex", "Initech, Inc.", `say "hi"`}
	if n != 4 || !slices.Equal(names, wantNames) {
		t.Fatalf("n=%d names=%q", n, names)
	}
	want := []Obligation{{0, 1, 1250}, {1, 2, 300}, {2, 0, 0}, {3, 0, 7}}
	if !slices.Equal(obs, want) {
		t.Fatalf("obligations %v, want %v", obs, want)
	}
}

func TestReadCSVHeaderOnlyAndEmpty(t *testing.T) {
	n, obs, _, err := ReadCSV(strings.NewReader("debtor,creditor,amount\n"))
	if err != nil || n != 0 || len(obs) != 0 {
		t.Fatalf("header only: %d %v %v", n, obs, err)
	}
	if _, _, _, err := ReadCSV(strings.NewReader("")); err == nil {
		t.Fatal("empty input accepted")
	}
}

func TestReadCSVErrorsCarryLineNumbers(t *testing.T) {
	cases := []struct {
		in   string
		line int
		msg  string
	}{
		{"from,to,amount\na,b,1\n", 1, "header"},
		{"debtor,creditor\n", 1, "header"},
		{"debtor,creditor,amount\na,b,1\nc,d,-5\n", 3, "negative"},
		{"debtor,creditor,amount\na,b,12.50\n", 2, "not an integer number of minor units"},
		{"debtor,creditor,amount\na,b,1e5\n", 2, "not an integer"},
		{"debtor,creditor,amount\na,b,\n", 2, "missing amount"},
		{"debtor,creditor,amount\na,b\n", 2, "expected 3 fields"},
		{"debtor,creditor,amount\n\n\na,b,1,2\n", 4, "more than 3 fields"},
		{"debtor,creditor,amount\n,b,1\n", 2, "missing debtor"},
		{"debtor,creditor,amount\na, ,1\n", 2, "missing creditor"},
		{"debtor,creditor,amount\na,b,99999999999999999999\n", 2, "overflows"},
		{"debtor,creditor,amount\n\"a,b,1\n", 2, "unterminated"},
		{"debtor,creditor,amount\n\"a\"x,b,1\n", 2, "after closing quote"},
		{"debtor,creditor,amount\na\"x,b,1\n", 2, "quote inside"},
		{"debtor,creditor,amount\na,b,+\n", 2, "not an integer"},
	}
	for _, c := range cases {
		_, _, _, err := ReadCSV(strings.NewReader(c.in))
		var ce *CSVError
		if !errors.As(err, &ce) {
			t.Errorf("%q: error %v is not a *CSVError", c.in, err)
			continue
		}
		if ce.Line != c.line || !strings.Contains(ce.Msg, c.msg) {
			t.Errorf("%q: got line %d %q, want line %d containing %q", c.in, ce.Line, ce.Msg, c.line, c.msg)
		}
	}
}

func TestReadCSVMaxAmount(t *testing.T) {
	_, obs, _, err := ReadCSV(strings.NewReader("debtor,creditor,amount\na,b,9223372036854775807\n"))
	if err != nil || obs[0].Amount != math.MaxInt64 {
		t.Fatalf("%v %v", obs, err)
	}
}

func TestReadCSVLongLine(t *testing.T) {
	in := "debtor,creditor,amount\n" + strings.Repeat("x", maxLine+10) + ",b,1\n"
	_, _, _, err := ReadCSV(strings.NewReader(in))
	var ce *CSVError
	if !errors.As(err, &ce) || ce.Line != 2 {
		t.Fatalf("got %v", err)
	}
}

// Reads must not depend on how the reader splits its data.
func TestReadCSVOneByteReader(t *testing.T) {
	obs := GenerateShape(7, 60, 400, ShapeRealistic)
	var buf bytes.Buffer
	if err := WriteCSV(&buf, obs, nil); err != nil {
		t.Fatal(err)
	}
	_, got, _, err := ReadCSV(iotest.OneByteReader(bytes.NewReader(buf.Bytes())))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(obs) {
		t.Fatalf("%d rows, want %d", len(got), len(obs))
	}
}

func TestReadCSVPropagatesReadErrors(t *testing.T) {
	r := io.MultiReader(strings.NewReader("debtor,creditor,amount\na,b,1\n"), iotest.ErrReader(io.ErrUnexpectedEOF))
	if _, _, _, err := ReadCSV(r); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("got %v", err)
	}
}

func TestWriteReadRoundTrip(t *testing.T) {
	names := []string{"acme", "Initech, Inc.", `say "hi"`, " padded ", "ünïcode"}
	obs := []Obligation{{0, 1, 5}, {1, 2, 0}, {2, 3, math.MaxInt64}, {3, 4, 17}, {4, 0, 1}}
	var buf bytes.Buffer
	if err := WriteCSV(&buf, obs, names); err != nil {
		t.Fatal(err)
	}
	n, got, gotNames, err := ReadCSV(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if n != 5 || !slices.Equal(gotNames, names) || !slices.Equal(got, obs) {
		t.Fatalf("round trip: %d %q %v", n, gotNames, got)
	}
	for _, bad := range []string{"", "two\nlines"} {
		err := WriteCSV(io.Discard, []Obligation{{0, 1, 1}}, []string{bad, "x"})
		if !errors.Is(err, ErrBadName) {
			t.Errorf("name %q: %v", bad, err)
		}
	}
}

// Generated networks round-trip exactly when firm i is named F<i> and
// every firm appears in order of first use.
func TestGeneratedRoundTripSolvesIdentically(t *testing.T) {
	obs := GenerateShape(11, 2000, 14000, ShapeRealistic)
	var buf bytes.Buffer
	if err := WriteCSV(&buf, obs, nil); err != nil {
		t.Fatal(err)
	}
	n, got, _, err := ReadCSV(&buf)
	if err != nil {
		t.Fatal(err)
	}
	a := solveCertified(t, 2000, obs)
	b, err := Solve(n, got)
	if err != nil {
		t.Fatal(err)
	}
	if a.Cleared != b.Cleared || a.TotalDebt != b.TotalDebt {
		t.Fatalf("cleared %d vs %d", a.Cleared, b.Cleared)
	}
	if err := Certify(n, got, b); err != nil {
		t.Fatal(err)
	}
}

func TestGenerateDeterministicAndValid(t *testing.T) {
	for _, sh := range []Shape{ShapeRealistic, ShapeRandom, ShapeLongCycles} {
		a := GenerateShape(5, 1000, 7000, sh)
		b := GenerateShape(5, 1000, 7000, sh)
		if !slices.Equal(a, b) {
			t.Fatalf("%v: not deterministic", sh)
		}
		if len(a) != 7000 {
			t.Fatalf("%v: %d obligations", sh, len(a))
		}
		for _, o := range a {
			if o.Debtor == o.Creditor || o.Amount <= 0 || o.Debtor < 0 || o.Debtor >= 1000 || o.Creditor < 0 || o.Creditor >= 1000 {
				t.Fatalf("%v: bad obligation %v", sh, o)
			}
		}
	}
	if GenerateShape(1, 1, 10, ShapeRandom) != nil {
		t.Fatal("one firm cannot owe anyone")
	}
}
