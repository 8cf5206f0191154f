package iso20022

import (
	"fmt"
	"math/big"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"bricstown/internal/problem"
)

// maxFieldErrors bounds the error report: a 32 MiB file of bad transactions
// must not turn into a multi-megabyte error response.
const maxFieldErrors = 100

// docField keys faults that concern the document as a whole.
const docField = "Document"

// fieldErrs collects every fault in a document so it can be refused in one go.
type fieldErrs struct {
	f         problem.Fields
	truncated bool
}

func newFieldErrs() *fieldErrs { return &fieldErrs{f: problem.Fields{}} }

func (e *fieldErrs) add(path, msg string) { e.addf(path, "%s", msg) }

func (e *fieldErrs) addf(path, format string, args ...any) {
	if _, ok := e.f[path]; ok {
		return
	}
	if len(e.f) >= maxFieldErrors {
		if !e.truncated {
			e.truncated = true
			note := fmt.Sprintf("more than %d faults; the rest are not listed", maxFieldErrors)
			if prev, ok := e.f[docField]; ok {
				note = prev + "; " + note
			}
			e.f[docField] = note
		}
		return
	}
	e.f.Addf(path, format, args...)
}

func (e *fieldErrs) empty() bool { return len(e.f) == 0 }

func (e *fieldErrs) err(message string) error { return e.f.Err(message) }

var (
	reBIC      = regexp.MustCompile(`^[A-Z0-9]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$`)
	reUETR     = regexp.MustCompile(`^[a-f0-9]{8}-[a-f0-9]{4}-4[a-f0-9]{3}-[89ab][a-f0-9]{3}-[a-f0-9]{12}$`)
	reIBAN     = regexp.MustCompile(`^[A-Z]{2}[0-9]{2}[a-zA-Z0-9]{1,30}$`)
	reCcy      = regexp.MustCompile(`^[A-Z]{3}$`)
	reNumeric  = regexp.MustCompile(`^[0-9]{1,15}$`)
	rePlatform = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9./:-]{0,34}$`)
	reBTC      = regexp.MustCompile(`^[A-Z0-9]{1,4}$`)
)

func isXMLChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD ||
		r >= 0x10000 && r <= 0x10FFFF
}

// checkText enforces the MaxNNText types: 1..max characters that XML can
// carry. Blank text is refused because it satisfies the schema while
// telling the reader nothing.
func checkText(s string, maxLen int) string {
	if s == "" {
		return "required"
	}
	if !utf8.ValidString(s) {
		return "not valid UTF-8"
	}
	n := 0
	for _, r := range s {
		if !isXMLChar(r) {
			return fmt.Sprintf("character %U is not allowed in XML", r)
		}
		n++
	}
	if n > maxLen {
		return fmt.Sprintf("%d characters, at most %d allowed", n, maxLen)
	}
	if strings.TrimSpace(s) == "" {
		return "blank"
	}
	return ""
}

// checkID is checkText for identifiers that the platform matches on: edge
// whitespace and control characters would make two ids that look equal
// compare different.
func checkID(s string, maxLen int) string {
	if msg := checkText(s, maxLen); msg != "" {
		return msg
	}
	if strings.TrimSpace(s) != s {
		return "leading or trailing whitespace"
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return fmt.Sprintf("control character %U", r)
		}
	}
	return ""
}

// checkPlatformRef restricts identifiers the platform mints itself to a
// character set every SWIFT MT and MX channel carries unchanged, so a
// reference never gets mangled on its way to a correspondent.
func checkPlatformRef(s string) string {
	if s == "" {
		return "required"
	}
	if !rePlatform.MatchString(s) || strings.Contains(s, "//") || strings.HasSuffix(s, "/") {
		return "must be 1-35 characters of A-Z a-z 0-9 . / : -, start with a letter or digit, not end with / and not contain //"
	}
	return ""
}

func checkBIC(s string) string {
	if s == "" {
		return "required"
	}
	if !reBIC.MatchString(s) {
		return fmt.Sprintf("%q is not a BIC (8 or 11 upper-case letters and digits)", s)
	}
	return ""
}

func checkUETR(s string) string {
	if !reUETR.MatchString(s) {
		return fmt.Sprintf("%q is not a lower-case UUID v4", s)
	}
	return ""
}

// checkIBAN goes beyond the schema pattern and verifies the mod-97 check
// digits: a typo in an account number is caught here rather than by a
// returned payment days later.
func checkIBAN(s string) string {
	if !reIBAN.MatchString(s) {
		return fmt.Sprintf("%q is not an IBAN", s)
	}
	rearranged := strings.ToUpper(s[4:] + s[:4])
	var digits strings.Builder
	for _, c := range rearranged {
		if c >= 'A' && c <= 'Z' {
			fmt.Fprintf(&digits, "%d", c-'A'+10)
		} else {
			digits.WriteRune(c)
		}
	}
	n, _ := new(big.Int).SetString(digits.String(), 10)
	if new(big.Int).Mod(n, big.NewInt(97)).Int64() != 1 {
		return fmt.Sprintf("%q fails the IBAN check digits", s)
	}
	return ""
}

func checkAccount(a Account) string {
	switch {
	case a.IBAN != "" && a.Other != "":
		return "give either an IBAN or another identification, not both"
	case a.IBAN != "":
		return checkIBAN(a.IBAN)
	case a.Other != "":
		return checkID(a.Other, 34)
	}
	return "required"
}

// checkAmount verifies what the writers need to emit a schema-valid amount.
func checkAmount(a Amount) string {
	if !reCcy.MatchString(a.Currency) {
		return fmt.Sprintf("currency %q is not a 3-letter ISO 4217 code", a.Currency)
	}
	return checkMinor(a.Minor, a.Exponent)
}

func checkMinor(minor int64, exp int) string {
	if exp < 0 || exp > maxExponent {
		return fmt.Sprintf("currency exponent %d is outside 0..%d", exp, maxExponent)
	}
	if minor <= 0 {
		return "amount must be positive"
	}
	if scaledTotalDigits(big.NewInt(minor), exp) > maxTotalDigits {
		return fmt.Sprintf("amount has more than %d digits", maxTotalDigits)
	}
	return ""
}

// checkDate refuses dates that xs:date cannot express (year 0) or that no
// settlement can plausibly have.
func checkDate(t time.Time) string {
	if t.IsZero() {
		return "required"
	}
	if y := t.Year(); y < 1 || y > 9999 {
		return fmt.Sprintf("year %d is outside 1..9999", y)
	}
	return ""
}

const (
	dateLayout = "2006-01-02"
)

// parseISODate reads xs:date. A time-zone suffix is allowed by the schema;
// the platform settles on the calendar date as written, so it is ignored.
func parseISODate(s string) (time.Time, string) {
	s = strings.Trim(s, " \t\r\n")
	if s == "" {
		return time.Time{}, "required"
	}
	if len(s) < 10 {
		return time.Time{}, fmt.Sprintf("%q is not a date (YYYY-MM-DD)", s)
	}
	t, err := time.Parse(dateLayout, s[:10])
	if err != nil {
		return time.Time{}, fmt.Sprintf("%q is not a date (YYYY-MM-DD)", s)
	}
	if msg := checkZone(s[10:]); msg != "" {
		return time.Time{}, fmt.Sprintf("%q: %s", s, msg)
	}
	if msg := checkDate(t); msg != "" {
		return time.Time{}, msg
	}
	return t, ""
}

func checkZone(z string) string {
	if z == "" || z == "Z" {
		return ""
	}
	if len(z) != 6 || (z[0] != '+' && z[0] != '-') || z[3] != ':' || !allDigits(z[1:3]) || !allDigits(z[4:]) {
		return "bad time-zone suffix"
	}
	h, m := int(z[1]-'0')*10+int(z[2]-'0'), int(z[4]-'0')*10+int(z[5]-'0')
	if m > 59 || h*60+m > 14*60 {
		return "time-zone offset out of range"
	}
	return ""
}

// parseISODateTime reads xs:dateTime. A value without a zone is taken as
// UTC: ISO 20022 leaves it to bilateral agreement, and the platform's
// agreement with participants is UTC. The result is always in UTC so that
// equal instants compare equal.
func parseISODateTime(s string) (time.Time, string) {
	s = strings.Trim(s, " \t\r\n")
	if s == "" {
		return time.Time{}, "required"
	}
	bad := fmt.Sprintf("%q is not a date-time (YYYY-MM-DDThh:mm:ss with optional fraction and zone)", s)
	if len(s) < 19 || s[10] != 'T' {
		return time.Time{}, bad
	}
	// Split off the zone: everything after the seconds and optional fraction.
	i := 19
	if i < len(s) && s[i] == '.' {
		i++
		j := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == j {
			return time.Time{}, bad
		}
	}
	if msg := checkZone(s[i:]); msg != "" {
		return time.Time{}, bad
	}
	var t time.Time
	var err error
	if i == len(s) {
		t, err = time.Parse("2006-01-02T15:04:05", s)
	} else {
		t, err = time.Parse(time.RFC3339, s)
	}
	if err != nil {
		return time.Time{}, bad
	}
	t = t.UTC()
	if msg := checkDate(t); msg != "" {
		return time.Time{}, msg
	}
	return t, ""
}

func formatDate(t time.Time) string { return t.Format(dateLayout) }

func formatDateTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// checkDateTime refuses instants that would not survive a trip through
// xs:dateTime and back.
func checkDateTime(t time.Time) string {
	if t.IsZero() {
		return "required"
	}
	return checkDate(t.UTC())
}
