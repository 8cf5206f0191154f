package fx

import (
	"time"

	"bricstown/internal/money"
	"bricstown/internal/problem"
)

// Rate is one price publication by a liquidity provider. The bid and ask are
// kept exactly as the bank wrote them, in the listing it used, because
// inverting a decimal is lossy and the price a customer is quoted must be
// the bank's own, digit for digit.
type Rate struct {
	ID       string `json:"id"`
	Provider string `json:"provider"` // org id of the bank
	Pair     Pair   `json:"pair"`     // as published; prices are of 1 Pair.Base in Pair.Quote
	// Bid is what the provider pays in Quote for one Base: the price a payer
	// SELLING Base gets. Ask is what it charges for one Base: the price a
	// payer BUYING Base pays. Bid < Ask, the difference being its margin.
	Bid         money.Rate `json:"bid"`
	Ask         money.Rate `json:"ask"`
	PublishedAt time.Time  `json:"published_at"`
	// ValidUntil bounds how long a bank stands behind a price it may not be
	// around to withdraw; zero means until the bank publishes again.
	ValidUntil time.Time `json:"valid_until,omitzero"`
	// Flag is "no_reference" when no official reference rate existed for
	// the pair at publication, so the price could not be checked against
	// one; a settlement cycle does not trust it on its own.
	Flag string `json:"flag,omitempty"`
}

// FlagNoReference marks a price published without a reference to check it.
const FlagNoReference = "no_reference"

// Live reports whether the price may still be dealt on at now. A rate that
// has been replaced is never live, but that is the store's to know; this
// only checks the bank's own time limit.
func (r Rate) Live(now time.Time) bool { return r.ValidUntil.IsZero() || now.Before(r.ValidUntil) }

// NewRate is a bank's publication as it arrives. Prices are strings so that
// a bad one is reported against its field, with the others, rather than
// failing the whole request in the JSON decoder.
type NewRate struct {
	Pair       string    `json:"pair"`
	Bid        string    `json:"bid"`
	Ask        string    `json:"ask"`
	ValidUntil time.Time `json:"valid_until,omitzero"`
}

// Validate checks a publication at now and returns the rate without its id
// and provider. Every bad field is reported at once.
func (in NewRate) Validate(now time.Time) (Rate, error) {
	f := problem.Fields{}
	var r Rate
	var err error
	if r.Pair, err = ParsePair(in.Pair); err != nil {
		f.Add("pair", messageOf(err))
	}
	if r.Bid, err = money.ParseRate(in.Bid); err != nil {
		f.Add("bid", messageOf(err))
	}
	if r.Ask, err = money.ParseRate(in.Ask); err != nil {
		f.Add("ask", messageOf(err))
	}
	if !r.Bid.IsZero() && !r.Ask.IsZero() && cmpRate(r.Bid, r.Ask) >= 0 {
		f.Add("ask", "must be greater than bid (the bank buys the base currency at the bid and sells it at the ask)")
	}
	if !in.ValidUntil.IsZero() && !in.ValidUntil.After(now) {
		f.Add("valid_until", "must be in the future")
	}
	if err := f.Err("the rate is not valid"); err != nil {
		return Rate{}, err
	}
	r.PublishedAt = now
	r.ValidUntil = in.ValidUntil.UTC().Truncate(time.Microsecond)
	return r, nil
}

// messageOf is the client-facing text of an error from money or refdata.
func messageOf(err error) string {
	if pe, ok := err.(*problem.Error); ok {
		return pe.Message
	}
	return "is not valid"
}
