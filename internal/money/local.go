package money

import (
	"errors"
	"strings"
	"unicode/utf8"

	"bricstown/internal/problem"
)

// Locale is how a language writes numbers for people: its decimal mark and
// the separator it puts between groups of three digits. The pages show
// amounts this way, so a person copies "12,500,000.00" (English) or
// "12 500 000,00" (Russian) back into a form, and ParseLocal must read it.
type Locale struct {
	// Decimal is '.' or ','.
	Decimal rune
	// Group is ',', '.' or a space (U+202F, the narrow no-break space the
	// pages print); any kind of space is read as a group separator.
	Group rune
}

// LocaleOf is the number style of a UI language (CLDR's: English and
// Chinese 1,234.56; Russian and Kazakh 1 234,56; Portuguese 1.234,56).
// An unknown language writes numbers as English does.
func LocaleOf(lang string) Locale {
	switch lang {
	case "ru", "kk":
		return Locale{Decimal: ',', Group: '\u202f'}
	case "pt":
		return Locale{Decimal: ',', Group: '.'}
	}
	return Locale{Decimal: '.', Group: ','}
}

// LocalReason says why typed text is not an amount, so that a page can
// word the refusal in the user's language; the *problem.Error's message
// says the same in English for logs and the API.
type LocalReason string

// The reasons ParseLocal and Delocalize give.
const (
	ReasonEmpty     LocalReason = "empty"     // nothing typed
	ReasonChars     LocalReason = "chars"     // a letter, another script's digit, a stray symbol
	ReasonSign      LocalReason = "sign"      // + or -: the direction comes from the form, not the amount
	ReasonAmbiguous LocalReason = "ambiguous" // separators that could mean a decimal mark or a digit group
	ReasonGrouping  LocalReason = "grouping"  // digit groups that are not of three
	ReasonForm      LocalReason = "form"      // ",5", "5,", leading zeros
	ReasonDecimals  LocalReason = "decimals"  // more decimals than the currency has
	ReasonTooLarge  LocalReason = "too_large" // does not fit in an int64 of minor units
	ReasonZero      LocalReason = "zero"      // zero where an amount must be positive
)

// LocalError is the cause inside the *problem.Error ParseLocal returns.
type LocalError struct {
	Reason LocalReason
	// Max is the currency's exponent for ReasonDecimals.
	Max int
}

func (e *LocalError) Error() string { return "money: " + string(e.Reason) }

// ReasonOf finds the LocalError in err's chain.
func ReasonOf(err error) (*LocalError, bool) {
	var le *LocalError
	ok := errors.As(err, &le)
	return le, ok
}

func localErr(r LocalReason, max int, format string, args ...any) error {
	if r == ReasonTooLarge {
		return problem.Wrap(problem.Invalid, errors.Join(&LocalError{Reason: r, Max: max}, ErrOverflow), format, args...)
	}
	return problem.Wrap(problem.Invalid, &LocalError{Reason: r, Max: max}, format, args...)
}

// isGroupSpace reports the spaces people and formatters put between digit
// groups: the ordinary space, the no-break space, the narrow no-break space
// (CLDR's for Russian and Kazakh), the thin space and the figure space.
func isGroupSpace(r rune) bool {
	return r == ' ' || r == '\u00a0' || r == '\u202f' || r == '\u2009' || r == '\u2007'
}

// Delocalize reads a number as loc writes it and returns it in the API's
// decimal grammar ("12 500 000,00" in Russian is "12500000.00"), without
// any limit on decimals (rates use it too). The rules:
//
//   - spaces of any kind group digits in every language; so does loc's own
//     group mark (',' in English, '.' in Portuguese);
//   - groups are of three digits after a first group of one to three;
//   - the decimal mark appears at most once, after the last group; in
//     Russian and Kazakh a lone '.' is also read as the decimal mark,
//     unless exactly three digits follow it;
//   - anything that two readers could read two ways is refused, not
//     guessed at: "12,50" in English (a decimal comma, or a badly grouped
//     1250?), "1.234.567" in English, "1,234.56" in Russian, "12.500" in
//     Russian;
//   - no signs, letters, other scripts' digits, exponents, leading zeros,
//     ",5" or "5,".
func Delocalize(s string, loc Locale) (string, error) {
	s = strings.TrimFunc(s, func(r rune) bool { return isGroupSpace(r) || r == '\t' || r == '\n' || r == '\r' })
	if s == "" {
		return "", localErr(ReasonEmpty, 0, "amount is empty")
	}
	if !utf8.ValidString(s) {
		return "", localErr(ReasonChars, 0, "amount must contain only digits and separators")
	}
	dots, commas := 0, 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9', isGroupSpace(r):
		case r == '.':
			dots++
		case r == ',':
			commas++
		case r == '-' || r == '+' || r == '\u2212':
			return "", localErr(ReasonSign, 0, "amount must not carry a sign")
		default:
			return "", localErr(ReasonChars, 0, "amount must contain only digits and separators")
		}
	}
	group := rune(0) // loc's group mark when it is not a space
	if loc.Group == '.' || loc.Group == ',' {
		group = loc.Group
	}
	dec := rune(0) // the decimal mark this input uses, if any
	ambiguous := func() (string, error) {
		return "", localErr(ReasonAmbiguous, 0, "amount %q could be read two ways; write it as %s", s, example(loc))
	}
	switch {
	case dots > 0 && commas > 0:
		// Both marks: only loc's pair, decimal once and last.
		other := '.'
		if loc.Decimal == '.' {
			other = ','
		}
		if group != other || strings.Count(s, string(loc.Decimal)) != 1 || strings.LastIndex(s, string(other)) > strings.Index(s, string(loc.Decimal)) {
			return ambiguous()
		}
		dec = loc.Decimal
	case dots+commas > 0:
		c, n := '.', dots
		if commas > 0 {
			c, n = ',', commas
		}
		switch {
		case c == loc.Decimal:
			if n > 1 {
				return ambiguous()
			}
			dec = c
		case c == group:
			// Read as grouping; a single mark not followed by exactly
			// three digits is a decimal mark of another language.
			if n == 1 && digitsAfter(s, c) != 3 {
				return ambiguous()
			}
		default:
			// A mark loc uses for neither (a '.' in Russian): a decimal
			// point, unless it could be a thousands mark.
			if n > 1 || digitsAfter(s, c) == 3 {
				return ambiguous()
			}
			dec = c
		}
	}
	intPart, frac := s, ""
	if dec != 0 {
		i := strings.IndexRune(s, dec)
		intPart, frac = s[:i], s[i+utf8.RuneLen(dec):]
		if strings.TrimFunc(intPart, isGroupSpace) == "" {
			return "", localErr(ReasonForm, 0, "amount needs a digit before the decimal mark (write 0%c5)", dec)
		}
		if frac == "" {
			return "", localErr(ReasonForm, 0, "amount needs a digit after the decimal mark")
		}
		for _, r := range frac {
			if r < '0' || r > '9' {
				return "", localErr(ReasonGrouping, 0, "decimals must not be grouped")
			}
		}
	}
	digits, err := ungroup(intPart, group)
	if err != nil {
		return "", err
	}
	if len(digits) > 1 && digits[0] == '0' {
		return "", localErr(ReasonForm, 0, "amount must not have leading zeros")
	}
	if frac != "" {
		return digits + "." + frac, nil
	}
	return digits, nil
}

// ungroup checks the integer part's digit groups and returns its digits.
// One kind of separator throughout: spaces, or group.
func ungroup(s string, group rune) (string, error) {
	bad := func() (string, error) {
		return "", localErr(ReasonGrouping, 0, "digits must be grouped in threes, as in 12 500 000")
	}
	var groups []string
	var sep rune
	start := 0
	for i, r := range s {
		if r >= '0' && r <= '9' {
			continue
		}
		kind := r
		if isGroupSpace(r) {
			kind = ' '
		} else if r != group {
			return bad()
		}
		if sep != 0 && kind != sep {
			return bad()
		}
		sep = kind
		groups = append(groups, s[start:i])
		start = i + utf8.RuneLen(r)
	}
	groups = append(groups, s[start:])
	if len(groups) == 1 {
		return groups[0], nil
	}
	for i, g := range groups {
		if i == 0 && (len(g) < 1 || len(g) > 3) || i > 0 && len(g) != 3 {
			return bad()
		}
	}
	return strings.Join(groups, ""), nil
}

// digitsAfter counts the digits after the last c in s.
func digitsAfter(s string, c rune) int {
	tail := s[strings.LastIndex(s, string(c))+1:]
	n := 0
	for _, r := range tail {
		if r < '0' || r > '9' {
			break
		}
		n++
	}
	return n
}

// example writes 12500000.50 as loc does, for messages.
func example(loc Locale) string {
	g := string(loc.Group)
	if isGroupSpace(loc.Group) {
		g = " "
	}
	return "12" + g + "500" + g + "000" + string(loc.Decimal) + "50"
}

// ParseLocal reads an amount as a person types it in loc (see Delocalize)
// into minor units of a currency with the given exponent. The result is
// exact; more decimals than the currency has and amounts beyond an int64
// are refused, never rounded or wrapped. Zero is accepted.
func ParseLocal(s string, loc Locale, exponent int) (Amount, error) {
	if err := checkExponent(exponent); err != nil {
		return 0, err
	}
	canon, err := Delocalize(s, loc)
	if err != nil {
		return 0, err
	}
	if _, frac, ok := strings.Cut(canon, "."); ok && len(frac) > exponent {
		return 0, localErr(ReasonDecimals, exponent, "%s", decimalsError(exponent).(*problem.Error).Message)
	}
	v, err := parseAmount(canon, exponent, false)
	if errors.Is(err, ErrOverflow) {
		return 0, localErr(ReasonTooLarge, exponent, "amount is too large; the maximum is %s", FormatAmount(1<<63-1, exponent))
	}
	return v, err
}

// ParseLocalPositive is ParseLocal for amounts that must be above zero.
func ParseLocalPositive(s string, loc Locale, exponent int) (Amount, error) {
	v, err := ParseLocal(s, loc, exponent)
	if err == nil && v == 0 {
		return 0, localErr(ReasonZero, exponent, "amount must be greater than zero")
	}
	return v, err
}
