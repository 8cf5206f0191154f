package chart

import (
	"bytes"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// escape writes t so that it is safe both as XML text/attribute content and
// inside HTML (inline SVG). Characters XML 1.0 forbids and invalid UTF-8
// become U+FFFD so the output always parses; line breaks and tabs become
// spaces because SVG text is single-line anyway.
func escape(b *bytes.Buffer, t string) {
	for i := 0; i < len(t); {
		r, size := utf8.DecodeRuneInString(t[i:])
		i += size
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteRune(unicode.ReplacementChar)
		case r == '&':
			b.WriteString("&amp;")
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '"':
			b.WriteString("&#34;")
		case r == '\'':
			b.WriteString("&#39;")
		case r == '\t' || r == '\n' || r == '\r':
			b.WriteByte(' ')
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == 0xfffe || r == 0xffff:
			b.WriteRune(unicode.ReplacementChar)
		default:
			b.WriteRune(r)
		}
	}
}

// num formats a pixel coordinate compactly: two decimals are well below
// what any display resolves and keep the markup small.
func num(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "0"
	}
	s := strconv.FormatFloat(math.Round(f*100)/100, 'f', 2, 64)
	s = strings.TrimRight(s, "0")
	s = strings.TrimSuffix(s, ".")
	if s == "-0" {
		return "0"
	}
	return s
}

// textWidth estimates rendered width. Server-side we cannot measure fonts,
// so this uses typical sans-serif advance widths (in em) and errs slightly
// on the wide side to keep labels from colliding.
func textWidth(s string, size float64) float64 {
	w := 0.0
	for _, r := range s {
		switch {
		case r >= 0x1100 && (unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hangul, r) ||
			unicode.Is(unicode.Hiragana, r) || unicode.Is(unicode.Katakana, r)) || r >= 0xff00 && r <= 0xffef:
			w += 1.0
		case strings.ContainsRune(" \u00a0\u202f.,:;'|!ijlIftr()[]", r):
			w += 0.3
		case r >= '0' && r <= '9' || r == '\u2212' || r == '-' || r == '+':
			w += 0.56
		case r == '…':
			// The ellipsis every shortened label ends with is a full em
			// in DejaVu Sans; counted as a letter it let labels run into
			// the figures beside them.
			w += 1.0
		case strings.ContainsRune("mwMWЖШЩЮжшщю%@", r):
			w += 0.86
		case unicode.Is(unicode.Cyrillic, r):
			// Cyrillic letters run wider than Latin ones in the common
			// sans-serif faces (DejaVu, Noto): measured as Latin, Russian
			// and Kazakh axis labels overlapped their neighbours.
			if unicode.IsUpper(r) {
				w += 0.74
			} else {
				w += 0.63
			}
		case unicode.IsUpper(r):
			w += 0.68
		default:
			w += 0.55
		}
	}
	return w * size * 1.04
}

// truncate shortens s with an ellipsis so it fits maxW; the full text is
// always available elsewhere (tooltip, <title>, data table).
func truncate(s string, maxW, size float64) string {
	if textWidth(s, size) <= maxW {
		return s
	}
	rs := []rune(s)
	for n := len(rs) - 1; n > 0; n-- {
		c := strings.TrimRightFunc(string(rs[:n]), unicode.IsSpace) + "…"
		if textWidth(c, size) <= maxW {
			return c
		}
	}
	return "…"
}

// FormatInt is the default value formatter: the integer with digits grouped
// by narrow no-break spaces, the grouping used in Kazakhstan and accepted
// internationally (SI). Callers showing money should pass their own
// formatter that knows the currency's minor-unit exponent.
func FormatInt(v int64) string {
	neg := v < 0
	u := uint64(v)
	if neg {
		u = -u // two's complement: correct even for math.MinInt64
	}
	d := strconv.FormatUint(u, 10)
	var b strings.Builder
	if neg {
		b.WriteString("−") // U+2212: typographic minus, same width as digits
	}
	for i, c := range d {
		if i > 0 && (len(d)-i)%3 == 0 {
			b.WriteRune('\u202f')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// FormatPermille is the default share formatter: one decimal and a percent
// sign, e.g. 625 → "62.5%".
func FormatPermille(p int64) string {
	neg := p < 0
	if neg {
		p = -p
	}
	s := strconv.FormatInt(p/10, 10) + "." + strconv.FormatInt(p%10, 10) + "%"
	if neg {
		s = "−" + s
	}
	return s
}

// FormatTime is the default time formatter: day-month order with English
// month abbreviations ("2 Mar 2025"), which no reader can misread as
// month-day. Pass a custom formatter for localised month names.
func FormatTime(t time.Time, unit TimeUnit) string {
	switch unit {
	case Second:
		return t.Format("15:04:05")
	case Minute, Hour:
		return t.Format("15:04")
	case Day:
		return t.Format("2 Jan")
	case Month:
		return t.Format("Jan")
	case Year:
		return t.Format("2006")
	default:
		switch {
		case t.Second() != 0 || t.Nanosecond() != 0:
			return t.Format("2 Jan 2006 15:04:05")
		case t.Hour() != 0 || t.Minute() != 0:
			return t.Format("2 Jan 2006 15:04")
		}
		return t.Format("2 Jan 2006")
	}
}
