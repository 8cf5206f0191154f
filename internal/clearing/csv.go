package clearing

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
)

// CSVError reports a bad input row with its 1-based line number so that a
// firm uploading a ledger extract can find and fix the row.
type CSVError struct {
	Line int
	Msg  string
}

func (e *CSVError) Error() string { return fmt.Sprintf("clearing: csv line %d: %s", e.Line, e.Msg) }

// csvHeader is the only accepted header (case-insensitive, spaces trimmed).
var csvHeader = [3]string{"debtor", "creditor", "amount"}

// maxLine bounds a single row; longer lines are rejected rather than
// buffered without limit.
const maxLine = 1 << 20

// ReadCSV parses "debtor,creditor,amount" rows. It is a hand-rolled byte
// scanner because encoding/csv allocates a string per field, which would
// cost a sizeable share of the 0.5 s budget for a 285k-row network; this one
// allocates a few dozen times regardless of input size.
//
// Firm identifiers are arbitrary strings (RFC 4180 quoting allowed, no
// embedded newlines), mapped to dense indices in order of first
// appearance: names[i] is firm i's identifier. Amounts are non-negative
// integers in minor units, optionally with a leading '+'. Blank lines are
// skipped, a UTF-8 BOM and CRLF line ends are accepted.
func ReadCSV(r io.Reader) (n int, obligations []Obligation, names []string, err error) {
	br := bufio.NewReaderSize(r, maxLine)
	var ids interner
	var scratch [3][]byte // unescaped quoted fields
	line := 0
	sawHeader := false
	for {
		raw, rerr := br.ReadSlice('\n')
		if rerr == bufio.ErrBufferFull {
			return 0, nil, nil, &CSVError{line + 1, "line longer than 1 MiB"}
		}
		if rerr != nil && rerr != io.EOF {
			return 0, nil, nil, rerr
		}
		if len(raw) == 0 && rerr == io.EOF {
			break
		}
		line++
		b := raw
		b = bytes.TrimSuffix(b, []byte{'\n'})
		b = bytes.TrimSuffix(b, []byte{'\r'})
		if line == 1 {
			b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
		}
		if len(trimSpace(b)) == 0 {
			if rerr == io.EOF {
				break
			}
			continue
		}
		var f [3][]byte
		nf := 0
		for pos := 0; ; {
			if nf == 3 {
				return 0, nil, nil, &CSVError{line, "more than 3 fields"}
			}
			var field []byte
			var next int
			var ferr string
			field, next, scratch[nf], ferr = csvField(b, pos, scratch[nf][:0])
			if ferr != "" {
				return 0, nil, nil, &CSVError{line, ferr}
			}
			f[nf] = field
			nf++
			if next >= len(b) {
				break
			}
			pos = next + 1 // skip the comma
		}
		if !sawHeader {
			sawHeader = true
			obligations = make([]Obligation, 0, estimateRows(r, br))
			if nf != 3 {
				return 0, nil, nil, &CSVError{line, `header must be "debtor,creditor,amount"`}
			}
			for i := range f {
				if !bytes.EqualFold(f[i], []byte(csvHeader[i])) {
					return 0, nil, nil, &CSVError{line, fmt.Sprintf(`header must be "debtor,creditor,amount", got field %q`, f[i])}
				}
			}
			if rerr == io.EOF {
				break
			}
			continue
		}
		if nf != 3 {
			return 0, nil, nil, &CSVError{line, fmt.Sprintf("expected 3 fields (debtor,creditor,amount), got %d", nf)}
		}
		if len(f[0]) == 0 {
			return 0, nil, nil, &CSVError{line, "missing debtor"}
		}
		if len(f[1]) == 0 {
			return 0, nil, nil, &CSVError{line, "missing creditor"}
		}
		amt, msg := parseAmount(f[2])
		if msg != "" {
			return 0, nil, nil, &CSVError{line, msg}
		}
		d, ok1 := ids.intern(f[0])
		c, ok2 := ids.intern(f[1])
		if !ok1 || !ok2 || len(obligations) >= maxIndex {
			return 0, nil, nil, &CSVError{line, "too many firms or rows"}
		}
		obligations = append(obligations, Obligation{d, c, amt})
		if rerr == io.EOF {
			break
		}
	}
	if !sawHeader {
		return 0, nil, nil, &CSVError{max(line, 1), `empty input: missing header "debtor,creditor,amount"`}
	}
	names = ids.strings()
	return len(names), obligations, names, nil
}

// interner maps firm identifiers to dense indices. It is an open-addressing
// table over a byte arena rather than a map[string]int32 because the map
// lookup dominated parsing time and cost one allocation per firm; the
// hash is the runtime's seeded hash (hash/maphash), so crafted identifiers
// cannot force collisions.
type interner struct {
	seed  maphash.Seed
	slots []int32  // id+1, 0 = empty; len is a power of two
	tags  []uint32 // high hash bits per slot, to skip most byte compares
	arena []byte   // all identifiers back to back
	ends  []int    // ends[id] = end offset of identifier id in arena
}

func (t *interner) intern(b []byte) (int32, bool) {
	if t.slots == nil {
		t.seed = maphash.MakeSeed()
		t.slots = make([]int32, 1<<12)
		t.tags = make([]uint32, 1<<12)
	}
	h := maphash.Bytes(t.seed, b)
	tag := uint32(h >> 32)
	mask := uint64(len(t.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		s := t.slots[i]
		if s == 0 {
			if len(t.ends) >= maxIndex {
				return 0, false
			}
			id := int32(len(t.ends))
			t.arena = append(t.arena, b...)
			t.ends = append(t.ends, len(t.arena))
			t.slots[i], t.tags[i] = id+1, tag
			if 2*len(t.ends) > len(t.slots) {
				t.grow()
			}
			return id, true
		}
		if t.tags[i] == tag && bytes.Equal(t.name(s-1), b) {
			return s - 1, true
		}
	}
}

func (t *interner) name(id int32) []byte {
	start := 0
	if id > 0 {
		start = t.ends[id-1]
	}
	return t.arena[start:t.ends[id]]
}

func (t *interner) grow() {
	n := 2 * len(t.slots)
	slots, tags := make([]int32, n), make([]uint32, n)
	mask := uint64(n - 1)
	for id := range t.ends {
		h := maphash.Bytes(t.seed, t.name(int32(id)))
		i := h & mask
		for slots[i] != 0 {
			i = (i + 1) & mask
		}
		slots[i], tags[i] = int32(id)+1, uint32(h>>32)
	}
	t.slots, t.tags = slots, tags
}

// strings returns the identifiers in id order as substrings of a single
// allocation.
func (t *interner) strings() []string {
	all := string(t.arena)
	out := make([]string, len(t.ends))
	start := 0
	for i, end := range t.ends {
		out[i] = all[start:end]
		start = end
	}
	return out
}

// estimateRows sizes the obligation slice up front when the input size is
// known, because growing a multi-megabyte slice by doubling costs more than
// the parsing itself (copies plus fresh page faults). The estimate uses the
// average length of the lines already buffered.
func estimateRows(r io.Reader, br *bufio.Reader) int {
	var size int64
	switch x := r.(type) {
	case interface{ Size() int64 }: // bytes.Reader, strings.Reader
		size = x.Size()
	case interface{ Stat() (os.FileInfo, error) }: // *os.File
		if fi, err := x.Stat(); err == nil && fi.Mode().IsRegular() {
			size = fi.Size()
		}
	}
	if size <= 0 {
		return 0
	}
	buf, _ := br.Peek(min(br.Buffered(), 1<<16))
	lines := bytes.Count(buf, []byte{'\n'})
	if lines < 16 {
		return 0
	}
	est := size / int64(len(buf)/lines) * 21 / 20
	return int(min(est, maxIndex, size/6+1)) // a row needs at least 6 bytes
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' }

func trimSpace(b []byte) []byte {
	i, j := 0, len(b)
	for i < j && isSpace(b[i]) {
		i++
	}
	for j > i && isSpace(b[j-1]) {
		j--
	}
	return b[i:j]
}

// csvField parses the field starting at pos and returns it, the index of
// the terminating comma (or len(b)), and the scratch buffer (which holds
// the field when it was quoted and contained "" escapes).
func csvField(b []byte, pos int, scratch []byte) (field []byte, next int, _ []byte, msg string) {
	i := pos
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	if i < len(b) && b[i] == '"' {
		i++
		start := i
		escaped := false
		for {
			q := bytes.IndexByte(b[i:], '"')
			if q < 0 {
				return nil, 0, scratch, "unterminated quoted field"
			}
			i += q
			if i+1 < len(b) && b[i+1] == '"' { // "" escape
				if !escaped {
					scratch = append(scratch[:0], b[start:i+1]...)
					escaped = true
				} else {
					scratch = append(scratch, b[start:i+1]...)
				}
				i += 2
				start = i
				continue
			}
			break
		}
		if escaped {
			scratch = append(scratch, b[start:i]...)
			field = scratch
		} else {
			field = b[start:i]
		}
		i++ // closing quote
		for i < len(b) && isSpace(b[i]) {
			i++
		}
		if i < len(b) && b[i] != ',' {
			return nil, 0, scratch, "unexpected character after closing quote"
		}
		return field, i, scratch, ""
	}
	j := i
	for j < len(b) && b[j] != ',' {
		if b[j] == '"' {
			return nil, 0, scratch, "quote inside unquoted field"
		}
		j++
	}
	return trimSpace(b[i:j]), j, scratch, ""
}

// parseAmount accepts [+]digits and rejects everything else with a message
// that says what is wrong, because "invalid amount" alone does not tell a
// user that 12.50 must be written as 1250.
func parseAmount(b []byte) (int64, string) {
	if len(b) == 0 {
		return 0, "missing amount"
	}
	s := b
	if s[0] == '+' {
		s = s[1:]
	} else if s[0] == '-' {
		return 0, fmt.Sprintf("negative amount %q", b)
	}
	if len(s) == 0 {
		return 0, fmt.Sprintf("amount %q is not an integer", b)
	}
	var v int64
	for _, c := range s {
		if c < '0' || c > '9' {
			if c == '.' || c == ',' {
				return 0, fmt.Sprintf("amount %q is not an integer number of minor units", b)
			}
			return 0, fmt.Sprintf("amount %q is not an integer", b)
		}
		d := int64(c - '0')
		if v > (math.MaxInt64-d)/10 {
			return 0, fmt.Sprintf("amount %q overflows int64", b)
		}
		v = v*10 + d
	}
	return v, ""
}

// WriteCSV writes obligations in the format ReadCSV accepts, so generated
// networks can be stored, shared and replayed through the same reader the
// production path uses. If names is nil firm i is written as "F<i>".
func WriteCSV(w io.Writer, obligations []Obligation, names []string) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	bw.WriteString("debtor,creditor,amount\n")
	var buf []byte
	name := func(i int32) error {
		if names == nil {
			buf = append(buf, 'F')
			buf = strconv.AppendInt(buf, int64(i), 10)
			return nil
		}
		if int(i) >= len(names) || i < 0 {
			return fmt.Errorf("%w: firm %d has no name", ErrFirmRange, i)
		}
		s := names[i]
		if s == "" || strings.ContainsAny(s, "\r\n") {
			return fmt.Errorf("%w: %q", ErrBadName, s)
		}
		buf = appendCSVField(buf, s)
		return nil
	}
	for i := range obligations {
		o := &obligations[i]
		buf = buf[:0]
		if err := name(o.Debtor); err != nil {
			return err
		}
		buf = append(buf, ',')
		if err := name(o.Creditor); err != nil {
			return err
		}
		buf = append(buf, ',')
		buf = strconv.AppendInt(buf, o.Amount, 10)
		buf = append(buf, '\n')
		if _, err := bw.Write(buf); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// ErrBadName is returned by WriteCSV for names ReadCSV could not read back
// (empty, or containing a line break).
var ErrBadName = errors.New("clearing: firm name is empty or contains a line break")

func appendCSVField(buf []byte, s string) []byte {
	needQuote := isSpace(s[0]) || isSpace(s[len(s)-1]) || strings.ContainsAny(s, ",\"")
	if !needQuote {
		return append(buf, s...)
	}
	buf = append(buf, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			buf = append(buf, '"')
		}
		buf = append(buf, s[i])
	}
	return append(buf, '"')
}
