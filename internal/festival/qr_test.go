package festival

import (
	"strings"
	"testing"
)

// TestQRStructure decodes what a reader reads first: the three finder
// patterns, the timing lines, the size for the version, and the format
// information, whose level bits must say M (both copies agree).
func TestQRStructure(t *testing.T) {
	text := QRText(newToken())
	m, err := QRMatrix(text)
	if err != nil {
		t.Fatal(err)
	}
	n := len(m)
	if (n-17)%4 != 0 || n < 21 || n > 57 {
		t.Fatalf("size %d is no version 1-10", n)
	}
	// Byte mode, level M: 17 prefix+32 token characters fit version 3
	// (42 bytes at M).
	if n != 29 {
		t.Fatalf("size %d, want 29 (version 3)", n)
	}
	finder := func(x0, y0 int) {
		for y := range 7 {
			for x := range 7 {
				ring := max(abs(x-3), abs(y-3))
				want := ring != 2
				if m[y0+y][x0+x] != want {
					t.Fatalf("finder at %d,%d wrong at %d,%d", x0, y0, x, y)
				}
			}
		}
	}
	finder(0, 0)
	finder(n-7, 0)
	finder(0, n-7)
	for i := 8; i < n-8; i++ {
		if m[6][i] != (i%2 == 0) || m[i][6] != (i%2 == 0) {
			t.Fatalf("timing pattern broken at %d", i)
		}
	}
	// Format information around the top-left finder (ISO/IEC 18004
	// 7.9): bits 14..0, masked with 101010000010010.
	var a, b uint16
	coords := [][2]int{{8, 0}, {8, 1}, {8, 2}, {8, 3}, {8, 4}, {8, 5}, {8, 7}, {8, 8}, {7, 8}, {5, 8}, {4, 8}, {3, 8}, {2, 8}, {1, 8}, {0, 8}}
	for i, c := range coords { // (x, y) = (8, i): bit i
		if m[c[1]][c[0]] {
			a |= 1 << i
		}
	}
	for i := range 8 { // the copy: bits 0..7 along the bottom of row 8 from the right, 8..14 down column 8
		if m[8][n-1-i] {
			b |= 1 << i
		}
	}
	for i := 8; i < 15; i++ {
		if m[n-15+i][8] {
			b |= 1 << i
		}
	}
	if a != b {
		t.Fatalf("format copies differ: %015b %015b", a, b)
	}
	f := a ^ 0b101010000010010
	// A valid BCH(15,5) codeword: divisible by x^10+x^8+x^5+x^4+x^2+x+1.
	r := uint32(f)
	for i := 14; i >= 10; i-- {
		if r&(1<<i) != 0 {
			r ^= 0b10100110111 << (i - 10)
		}
	}
	if r != 0 {
		t.Fatalf("format %015b is no BCH codeword", f)
	}
	if level := f >> 13; level != 0b00 {
		t.Fatalf("level bits %02b, want 00 (M)", level)
	}
	svg, err := QRSVG(text, `ticket <1> & "x"`)
	if err != nil || !strings.HasPrefix(string(svg), "<svg") || strings.Contains(string(svg), "<1>") || !strings.Contains(string(svg), "viewBox=\"0 0 37 37\"") {
		t.Fatalf("svg %s %v", svg, err)
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func TestNormalToken(t *testing.T) {
	for in, want := range map[string]string{" abcd-efgh ": "ABCDEFGH", "BRICSTOWN-TICKET:XYZ": "XYZ", "bricstown-ticket:x y": "XY"} {
		if got := NormalToken(in); got != want {
			t.Errorf("NormalToken(%q) = %q, want %q", in, got, want)
		}
	}
}
