// Package problem defines the one error type the platform returns to callers.
//
// Domain code says what went wrong with a stable machine code and, where a
// specific input field is at fault, a message per field. The HTTP layer maps
// codes to statuses in a single place (see internal/server), so a rule that
// refuses something never has to know about HTTP.
package problem

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Code is a stable, machine-readable error identifier. Clients switch on it;
// it never changes once published.
type Code string

// The codes shared by every domain. Domains may define narrower codes (for
// example ledger result codes) but each maps onto one of these kinds.
const (
	Invalid          Code = "invalid"              // input fails validation
	Malformed        Code = "malformed"            // input cannot be parsed
	TooLarge         Code = "too_large"            // body or collection over its limit
	NotFound         Code = "not_found"            // no such thing, or not visible to the caller
	MethodNotAllowed Code = "method_not_allowed"   // the path exists, the method does not
	Conflict         Code = "conflict"             // state forbids the change
	IdempotencyReuse Code = "idempotency_conflict" // client id reused with a different body
	Unauthenticated  Code = "unauthenticated"      // no valid credentials
	Forbidden        Code = "forbidden"            // credentials valid, permission missing
	CSRF             Code = "csrf"                 // web form without a valid anti-forgery token
	RateLimited      Code = "rate_limited"         // too many attempts
	Unavailable      Code = "unavailable"          // dependency down, nothing was applied: try again
	Internal         Code = "internal"             // a bug or an unexpected failure
)

// OutcomeUnknown: the change was sent to the database to commit and the
// answer was lost, so it may or may not have been applied. The caller must
// retry with the same ids: an applied change then answers as an idempotent
// repeat (the ledger's "exists"), an unapplied one is made then.
const OutcomeUnknown Code = "outcome_unknown"

// Error is a failure explained to the caller. Message is safe to show to the
// user; Fields maps an input field (JSON pointer-ish path such as
// "items[2].hs_code") to what is wrong with it. Err keeps the cause for logs
// and is never shown to clients.
type Error struct {
	Code    Code
	Message string
	Fields  map[string]string
	Err     error
	// RetryAfter, when positive, is how long the caller should wait before
	// trying again (HTTP sends it as Retry-After): set for a dependency that
	// is down for a moment, such as a database failing over.
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(string(e.Code))
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if len(e.Fields) > 0 {
		keys := make([]string, 0, len(e.Fields))
		for k := range e.Fields {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(&b, "; %s: %s", k, e.Fields[k])
		}
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// New returns an error with a code and a user-facing message.
func New(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap keeps cause for the logs while telling the caller only code and message.
func Wrap(code Code, cause error, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Err: cause}
}

// CodeOf finds the code of the first *Error in err's chain; anything else is
// Internal, because an error nobody classified is a bug until shown otherwise.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	var pe *Error
	if errors.As(err, &pe) {
		return pe.Code
	}
	return Internal
}

// Is reports whether err carries the given code.
func Is(err error, code Code) bool { return err != nil && CodeOf(err) == code }

// Fields collects field-level validation messages so that a validator can
// report every bad field at once instead of the first one only.
type Fields map[string]string

// Add records msg for field unless the field already has a message (the
// first complaint about a field is usually the most useful one).
func (f Fields) Add(field, msg string) {
	if _, ok := f[field]; !ok {
		f[field] = msg
	}
}

// Addf is Add with formatting.
func (f Fields) Addf(field, format string, args ...any) { f.Add(field, fmt.Sprintf(format, args...)) }

// Err returns nil when no field failed, else an Invalid error listing them.
func (f Fields) Err(message string) error {
	if len(f) == 0 {
		return nil
	}
	return &Error{Code: Invalid, Message: message, Fields: map[string]string(f)}
}

// MessageOf is the user-facing message of err: the Message of its
// *Error, or a generic text for anything unclassified.
func MessageOf(err error) string {
	var pe *Error
	if errors.As(err, &pe) && pe.Message != "" {
		return pe.Message
	}
	return "invalid value"
}

// HTTPStatus is the one place where an error code becomes an HTTP status,
// for the API and the pages alike.
func (c Code) HTTPStatus() int {
	switch c {
	case Invalid, Malformed:
		return 400
	case TooLarge:
		return 413
	case NotFound:
		return 404
	case MethodNotAllowed:
		return 405
	case Conflict, IdempotencyReuse:
		return 409
	case Unauthenticated:
		return 401
	case Forbidden, CSRF:
		return 403
	case RateLimited:
		return 429
	case Unavailable, OutcomeUnknown:
		// Both are 503 with Retry-After: retrying is right for both, and
		// with the same ids it is safe for both; the code tells a client
		// that outcome_unknown may have been applied.
		return 503
	default:
		return 500
	}
}
