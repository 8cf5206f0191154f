package logistics

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"bricstown/internal/dispatch"
	"bricstown/internal/problem"
	"bricstown/internal/refdata"
)

// The optimiser holds numbers at fixed scales (dispatch.QtyExp,
// dispatch.PriceExp) and refuses prices that, times the largest shipment,
// could overflow. TEU go to it in thousandths; kilograms go whole, with the
// price per kg scaled up by 10^QtyExp instead, so that the largest size it
// sees is MaxShipmentTEU thousandths (10^6) and every price below
// solverPriceCap is accepted.
const (
	qtyScale       = 1000                        // 10^dispatch.QtyExp
	solverPriceCap = (1 << 62) / 256 / 1_000_000 // dispatch's priceLimit for sizes up to 10^6
	// solverPenalty is the largest penalty of one shipment in 10^-7 units
	// (10^7 currency units: ten million tenge in the platform's network).
	// maxPlan of them stay below what dispatch.Solve sums exactly (2^60).
	solverPenalty = 100_000_000_000_000
	// bestRoutePenalty is the one shipment's penalty of a best-route
	// search: above any route the price caps allow (MaxLegs legs of
	// solverPriceCap per TEU and per kg for the largest shipment), below
	// dispatch.Solve's limit on penalties (2^60).
	bestRoutePenalty = 1 << 59
	maxPlan          = 10_000          // shipments one dispatch run takes
	maxNetwork       = 20_000          // departures one dispatch run reads
	futureSlack      = 5 * time.Minute // clock skew allowed on an event's time
)

func pow10(n int) int64 {
	v := int64(1)
	for range n {
		v *= 10
	}
	return v
}

// network is the one currency departures are priced in and its exponent.
type network struct {
	currency string
	exp      int
}

// penaltyScale converts minor units to the optimiser's 10^-7 units.
func (n network) penaltyScale() int64 { return pow10(dispatch.CostExp - n.exp) }

// Field messages. Each has a code in internal/problem, so pages say them in
// the reader's language.
const (
	msgFuture      = "must be in the future"
	msgAfterDepart = "must be after depart_at"
	msgAfterReady  = "must be after ready_at"
	msgMode        = "must be rail, road, sea or air"
	msgBorderPost  = "must be a border post in the country of departure or arrival"
	msgNoBorder    = "leave empty: the leg does not cross a border"
	msgOwnDecl     = "must be one of your organisation's declarations"
	msgSameNode    = "must differ from the origin"
	msgHandling    = "a departure does not take this shipment's handling"
	msgBooked      = "the shipment already has a booking"
	msgDeparted    = "a departure has already left"
)

func validText(f problem.Fields, field, s string, max int, required bool) string {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		if required {
			f.Add(field, "required")
		}
	case !utf8.ValidString(s) || strings.IndexFunc(s, unicode.IsControl) >= 0:
		f.Add(field, "must not contain control characters")
	case utf8.RuneCountInString(s) > max:
		f.Addf(field, "at most %d characters", max)
	}
	return s
}

// node checks a UN/LOCODE against the embedded list.
func node(ref *refdata.Data, f problem.Fields, field, code string) (refdata.Location, string) {
	c := strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(code), " ", ""))
	if c == "" {
		f.Add(field, "required")
		return refdata.Location{}, ""
	}
	l, ok := ref.Location(c)
	if !ok {
		f.Addf(field, "unknown UN/LOCODE %q", clip(code, 16))
		return refdata.Location{}, c
	}
	return l, l.Code
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// instant reads an RFC 3339 time.
func instant(f problem.Fields, field, s string) time.Time {
	s = strings.TrimSpace(s)
	if s == "" {
		f.Add(field, "required")
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		f.Add(field, "not a date and time")
		return time.Time{}
	}
	return t.UTC().Truncate(time.Second)
}

func quantity(f problem.Fields, field string, v, max int64, required bool) {
	switch {
	case v < 0 || v == 0 && required:
		f.Add(field, "must be a positive whole number")
	case v > max:
		f.Add(field, "too large")
	}
}
