package customs

import "strings"

// ISO 6346 letter values: A=10 and on, skipping the multiples of 11 so that
// no letter weighs the same as another modulo 11.
var iso6346Letter = [26]int{10, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 34, 35, 36, 37, 38}

// NormalizeContainerNumber removes the spaces and hyphens printed on
// containers and papers ("CSQU 305438 3") and upper-cases the letters.
func NormalizeContainerNumber(s string) string {
	s = strings.ToUpper(strings.TrimSpace(s))
	if strings.ContainsAny(s, " -") {
		s = strings.NewReplacer(" ", "", "-", "").Replace(s)
	}
	return s
}

// ContainerCheckDigit computes the ISO 6346 check digit of the first ten
// characters of a container number (owner code, category identifier, serial
// number). ok is false when they are not shaped like one.
func ContainerCheckDigit(first10 string) (digit byte, ok bool) {
	if len(first10) != 10 {
		return 0, false
	}
	sum := 0
	for i := 0; i < 10; i++ {
		c := first10[i]
		var v int
		switch {
		case i < 4 && c >= 'A' && c <= 'Z':
			v = iso6346Letter[c-'A']
		case i >= 4 && c >= '0' && c <= '9':
			v = int(c - '0')
		default:
			return 0, false
		}
		sum += v << i
	}
	// The category identifier must be U (freight), J (detachable equipment)
	// or Z (trailer or chassis).
	if cat := first10[3]; cat != 'U' && cat != 'J' && cat != 'Z' {
		return 0, false
	}
	return byte('0' + sum%11%10), true
}

// ValidContainerNumber reports whether s (already normalised) is an ISO 6346
// container number with a correct check digit. A wrong digit is how a typo
// in a container number shows, and a container declared under the wrong
// number is a container nobody can find at the border.
func ValidContainerNumber(s string) bool {
	if len(s) != 11 {
		return false
	}
	d, ok := ContainerCheckDigit(s[:10])
	return ok && s[10] == d
}
