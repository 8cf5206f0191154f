package ledger

// Code is the outcome of one transfer in a batch. Every code except OK and
// Exists means the transfer was not created.
type Code string

// Result codes; stable, documented in docs/API.md.
const (
	OK     Code = "ok"
	Exists Code = "exists" // same id, same body: the original transfer is returned

	LinkedEventFailed    Code = "linked_event_failed"
	LinkedEventChainOpen Code = "linked_event_chain_open"

	IDMustNotBeZero           Code = "id_must_not_be_zero"
	AccountsMustBeDifferent   Code = "accounts_must_be_different"
	AmountMustNotBeZero       Code = "amount_must_not_be_zero"
	AmountMustBePositive      Code = "amount_must_be_positive"
	FlagsAreMutuallyExclusive Code = "flags_are_mutually_exclusive"
	TimeoutReservedForPending Code = "timeout_reserved_for_pending_transfer"
	PendingIDMustBeZero       Code = "pending_id_must_be_zero"
	PendingIDRequired         Code = "pending_id_required"
	ExpiredFlagReserved       Code = "expired_flag_reserved"

	DebitAccountNotFound  Code = "debit_account_not_found"
	CreditAccountNotFound Code = "credit_account_not_found"
	DebitAccountClosed    Code = "debit_account_closed"
	CreditAccountClosed   Code = "credit_account_closed"
	CurrencyMismatch      Code = "currency_mismatch"
	NotAuthorised         Code = "not_authorised"

	ExceedsCredits Code = "exceeds_credits"
	ExceedsLimit   Code = "exceeds_issuance_limit"

	ForeignPendingNeedsTimeout Code = "foreign_pending_needs_timeout"
	ExceedsDebits              Code = "exceeds_debits"
	OverflowsDebits            Code = "overflows_debits"
	OverflowsCredits           Code = "overflows_credits"

	PendingTransferNotFound            Code = "pending_transfer_not_found"
	PendingTransferNotPending          Code = "pending_transfer_not_pending"
	PendingTransferAlreadyPosted       Code = "pending_transfer_already_posted"
	PendingTransferAlreadyVoided       Code = "pending_transfer_already_voided"
	PendingTransferExpired             Code = "pending_transfer_expired"
	PendingTransferHasDifferentAccount Code = "pending_transfer_has_different_account"
	ExceedsPendingTransferAmount       Code = "exceeds_pending_transfer_amount"

	ExistsWithDifferentFlags         Code = "exists_with_different_flags"
	ExistsWithDifferentDebitAccount  Code = "exists_with_different_debit_account"
	ExistsWithDifferentCreditAccount Code = "exists_with_different_credit_account"
	ExistsWithDifferentAmount        Code = "exists_with_different_amount"
	ExistsWithDifferentCurrency      Code = "exists_with_different_currency"
	ExistsWithDifferentPendingID     Code = "exists_with_different_pending_id"
	ExistsWithDifferentTimeout       Code = "exists_with_different_timeout"
	ExistsWithDifferentCode          Code = "exists_with_different_code"
	ExistsWithDifferentReference     Code = "exists_with_different_reference"
)

// Created reports whether the code means the transfer exists after the batch.
func (c Code) Created() bool { return c == OK || c == Exists }

// Result is the outcome of the transfer at Index of a batch.
type Result struct {
	Index    int
	Code     Code
	Transfer *Transfer // the created or existing transfer, for OK and Exists
}
