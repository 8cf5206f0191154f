package fx

import (
	"context"
	"errors"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/problem"
)

// Store is FX's storage. Mutations take the audit record to append in the
// same transaction, except ClaimQuote, which the ledger calls on the payer's
// behalf and which records the claim itself. Lookups answer problem.NotFound
// when nothing matches.
type Store interface {
	// PublishRate stores r as its provider's current price for r's market
	// (either listing) and keeps the one it replaces as history.
	PublishRate(ctx context.Context, r Rate, rec audit.Record) error
	// CurrentRates is the board: every provider's current price per market
	// that has not expired at now, ordered by market then provider.
	CurrentRates(ctx context.Context, now time.Time) ([]Rate, error)
	// RateHistory lists publications for a market in either listing, newest
	// first; provider "" means every provider.
	RateHistory(ctx context.Context, market Pair, provider string, limit int) ([]Rate, error)

	// ProviderFee is the provider's schedule; a provider that never set one
	// gets a zero Fee for its id, not an error, because zero is the default.
	ProviderFee(ctx context.Context, provider string) (Fee, error)
	// ProviderFees lists every schedule that has been set, for pricing.
	ProviderFees(ctx context.Context) ([]Fee, error)
	// SetProviderFee replaces the provider's schedule.
	SetProviderFee(ctx context.Context, f Fee, rec audit.Record) error

	SaveQuote(ctx context.Context, q Quote, rec audit.Record) error
	GetQuote(ctx context.Context, id string) (Quote, error)
	// ClaimQuote marks the payer's quote used, atomically: of any number of
	// concurrent claims, exactly one succeeds. It answers the quote as
	// claimed; NotFound for an unknown quote or another org's;
	// QuoteExpired or QuoteUsed (problem.Conflict) otherwise.
	ClaimQuote(ctx context.Context, quoteID, payerOrg string, now time.Time) (Quote, error)

	// PublishReference stores official reference rates (any dates, in one
	// transaction); a row for a date and currency already published
	// replaces it, and the audit record says so.
	PublishReference(ctx context.Context, rates []ReferenceRate, rec audit.Record) error
	// ReferenceRates is, for each currency, its newest reference rate
	// dated on or before date (YYYY-MM-DD), ordered by currency.
	ReferenceRates(ctx context.Context, date string) ([]ReferenceRate, error)
}

// Causes inside the Conflict errors ClaimQuote returns, so that the ledger
// can tell them apart with errors.Is. The client sees the same reason as
// the value of the "quote_id" field.
var (
	ErrQuoteExpired = errors.New("quote_expired")
	ErrQuoteUsed    = errors.New("quote_used")
)

// QuoteExpired is the error for a claim at or after the quote's expiry.
func QuoteExpired(expiresAt time.Time) error {
	return &problem.Error{Code: problem.Conflict, Err: ErrQuoteExpired,
		Message: "the quote expired at " + expiresAt.UTC().Format(time.RFC3339) + "; ask for a new one",
		Fields:  map[string]string{"quote_id": ErrQuoteExpired.Error()}}
}

// QuoteUsed is the error for a second claim of the same quote.
func QuoteUsed() error {
	return &problem.Error{Code: problem.Conflict, Err: ErrQuoteUsed,
		Message: "the quote has already been used; ask for a new one",
		Fields:  map[string]string{"quote_id": ErrQuoteUsed.Error()}}
}

// QuoteNotFound is the answer for unknown and foreign quotes alike, so that
// quote ids cannot be probed.
func QuoteNotFound() error { return problem.New(problem.NotFound, "no such quote") }
