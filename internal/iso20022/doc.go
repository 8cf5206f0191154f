// Package iso20022 reads and writes the ISO 20022 messages the BRICS Town
// settlement platform exchanges with participant banks:
//
//   - pacs.008.001.09 (FIToFICstmrCdtTrf) is how banks hand customer credit
//     transfers to the platform; ParsePacs008 imports it, WritePacs008 exists
//     for tests and demo data.
//   - pacs.009.001.09 (FICdtTrf) is how the platform tells banks what moves
//     between them when a settlement cycle closes; WritePacs009.
//   - camt.053.001.08 (BkToCstmrStmt) is how participants reconcile their
//     settlement accounts; WriteCamt053.
//
// Only the standard library's encoding/xml is used. A document is imported
// all-or-nothing: either every transaction in it is acceptable or the whole
// file is refused with one *problem.Error that lists every fault, so a bank
// never has to guess which half of a file was booked.
//
// Error fields are keyed by element path relative to the message element
// (FIToFICstmrCdtTrf, FICdtTrf, BkToCstmrStmt), with 1-based XPath-style
// indexes on repeated elements: "CdtTrfTxInf[3]/IntrBkSttlmAmt",
// "GrpHdr/CtrlSum". Faults that concern the file as a whole (size, DOCTYPE,
// namespace, content outside the root) are keyed "Document"; a syntax error
// is keyed by the element that was open where reading stopped, so a
// truncated file points at where it was cut. Codes:
//
//   - problem.TooLarge: more than MaxDocumentSize bytes;
//   - problem.Malformed: not well-formed XML, a non-UTF-8 encoding, or a
//     DOCTYPE (refused outright so that no DTD or entity is ever processed);
//   - problem.Invalid: well-formed but wrong namespace, structure or
//     business content.
//
// Amounts are carried as int64 minor units plus the currency exponent and are
// converted to and from ISO 20022 decimal text with string and math/big
// arithmetic only; no float ever touches money.
//
// Identifiers come in two kinds. Those copied from a bank's message
// (EndToEndId, TxId, InstrId, MsgId of a pacs.008) are kept as sent: 1-35
// characters, no control characters, no edge whitespace. Those the platform
// mints itself (pacs.009 MsgId/EndToEndId/TxId, camt.053 MsgId, Stmt/Id,
// AcctSvcrRef) must be "platform references": 1-35 characters of
// A-Z a-z 0-9 . / : -, starting with a letter or digit, without "//" and
// without a trailing "/", so they pass unchanged through every SWIFT MT and
// MX channel.
//
// The parser checks what the platform relies on (see ParsePacs008). It is not
// a general XSD validator; the tests validate every generated message against
// the official schemas with xmllint.
package iso20022
