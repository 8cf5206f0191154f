package netting

import (
	"errors"
	"fmt"

	"bricstown/internal/problem"
)

// Sentinel causes. Every error the package returns wraps one of these (or
// the Rates implementation's own error), so callers can branch with
// errors.Is while the HTTP layer maps the problem.Code.
var (
	// ErrInvalid: the cycle's input breaks a documented precondition.
	ErrInvalid = errors.New("netting: invalid input")
	// ErrOverflow: a sum or conversion does not fit in int64 minor units.
	// The cycle is refused rather than settled with a wrapped amount.
	ErrOverflow = errors.New("netting: amount overflows int64")
	// ErrRate: the rate source returned something that is not a price.
	ErrRate = errors.New("netting: unusable exchange rate")
)

func invalidField(field, format string, args ...any) error {
	return &problem.Error{
		Code:    problem.Invalid,
		Message: "settlement cycle input is invalid",
		Fields:  map[string]string{field: fmt.Sprintf(format, args...)},
		Err:     ErrInvalid,
	}
}

func overflowField(field, format string, args ...any) error {
	return &problem.Error{
		Code:    problem.Invalid,
		Message: "amounts too large to settle exactly",
		Fields:  map[string]string{field: fmt.Sprintf(format, args...)},
		Err:     ErrOverflow,
	}
}

func overflowf(format string, args ...any) error {
	return problem.Wrap(problem.Invalid, ErrOverflow, format, args...)
}

// A bad price is the rate source's fault, not the submitter's, hence
// Internal rather than Invalid.
func badRate(base, quote int, r Rate) error {
	return problem.Wrap(problem.Internal, ErrRate,
		"rate %d/%d is %d/%d; numerator and denominator must be positive", base, quote, r.Num, r.Den)
}

func errRateMissing(base, quote int) error {
	return problem.Wrap(problem.Internal, ErrRate, "no rate for currency pair %d/%d", base, quote)
}
