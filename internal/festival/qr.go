package festival

import (
	"bytes"
	"fmt"

	"rsc.io/qr"
)

// QRText is what a ticket's QR code carries: the token with a prefix that
// says what it is, so a phone's camera app shows it as a ticket, and the
// door page reads either (NormalToken drops the prefix).
func QRText(token string) string { return "BRICSTOWN-TICKET:" + token }

// QRSVG draws text as a QR code (error correction level M, byte mode,
// rsc.io/qr's encoder) in SVG: one path of unit squares with a quiet zone
// of four modules, scaled by the viewer, crisp at any size and printable.
func QRSVG(text, title string) ([]byte, error) {
	c, err := qr.Encode(text, qr.M)
	if err != nil {
		return nil, fmt.Errorf("festival: qr: %w", err)
	}
	n := c.Size + 8
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" shape-rendering="crispEdges" role="img" aria-label="%s" class="qr">`, n, n, escape(title))
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="`, n, n)
	for y := 0; y < c.Size; y++ {
		for x := 0; x < c.Size; x++ {
			if c.Black(x, y) {
				fmt.Fprintf(&b, "M%d %dh1v1h-1z", x+4, y+4)
			}
		}
	}
	b.WriteString(`"/></svg>`)
	return b.Bytes(), nil
}

// QRMatrix is the code's modules (true is dark), for tests and for
// anything that draws it another way.
func QRMatrix(text string) ([][]bool, error) {
	c, err := qr.Encode(text, qr.M)
	if err != nil {
		return nil, err
	}
	m := make([][]bool, c.Size)
	for y := range m {
		m[y] = make([]bool, c.Size)
		for x := range m[y] {
			m[y][x] = c.Black(x, y)
		}
	}
	return m, nil
}

func escape(s string) string {
	var b bytes.Buffer
	for _, r := range s {
		switch r {
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		case '"':
			b.WriteString("&#34;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
