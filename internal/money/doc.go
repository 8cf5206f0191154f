// Package money does exact arithmetic on currency amounts and FX rates.
//
// Binary floating point cannot hold 0.10 exactly, so a float pipeline drifts
// by fractions of a minor unit and the ledger stops balancing. Here an amount
// is an int64 count of the currency's minor unit (tiyn for KZT, fen for CNY,
// yen for JPY, fils for KWD) and a rate is a decimal mantissa with a scale.
// Every operation is exact up to one explicit rounding step at the end, and
// an overflow is reported, never wrapped.
//
// Rounding is never implicit. Each operation that can lose precision takes
// a Rounding, and the zero Rounding is refused, so the call site has to say
// which side of the transaction it is on (customer pays: RoundUp; customer
// receives: RoundDown; reporting: RoundHalfEven). ROUNDING.md in this
// directory explains the rule and works through examples.
//
// Every error is a *problem.Error with code problem.Invalid. Its message
// says what is wrong but leaves out the field name and currency code. The
// caller knows those and adds them (for example "KZT: at most 2 decimal
// places allowed").
package money
