package iso20022

import (
	"encoding/xml"
	"fmt"
	"io"
	"math/big"
	"reflect"
	"strconv"
	"strings"
	"time"

	"bricstown/internal/problem"
)

// ExponentFunc reports how many decimals a currency has (KZT 2, JPY 0,
// KWD 3). The platform's currency table is the authority, not this package;
// ok=false means the currency is not accepted at all.
type ExponentFunc func(ccy string) (exp int, ok bool)

// Settlement methods (SttlmInf/SttlmMtd). The platform emits CLRG in pacs.009
// because it is itself the clearing system that settles the cycle; pacs.008
// from banks may carry any of them.
const (
	SettlementMethodCLRG = "CLRG" // through a payment clearing system
	SettlementMethodINDA = "INDA" // by the instructed agent
	SettlementMethodINGA = "INGA" // by the instructing agent
	SettlementMethodCOVE = "COVE" // through a cover payment
)

// Charge bearer codes (ChrgBr), required in every pacs.008 transaction.
const (
	ChargeBearerDEBT = "DEBT"
	ChargeBearerCRED = "CRED"
	ChargeBearerSHAR = "SHAR"
	ChargeBearerSLEV = "SLEV"
)

// Amount keeps both forms of a money amount: Value is the decimal text as the
// sender wrote it, for audit and for echoing back in reports; Minor and
// Exponent are what the ledger books. Writers only use Minor, Exponent and
// Currency, so a caller never has to keep two representations in sync.
type Amount struct {
	Value    string // decimal text as in the message, e.g. "1500.50"; ignored by writers
	Currency string // ISO 4217 code as in the message
	Minor    int64  // Value × 10^Exponent, exact
	Exponent int    // decimals of Currency, from the ExponentFunc
}

// Account identifies an account by IBAN or, where the country has no IBANs
// (most BRICS members), by the servicing bank's own account number. Exactly
// one is set; the zero Account means "not given".
type Account struct {
	IBAN  string
	Other string
}

// Party is a debtor or creditor as far as the platform screens and reports
// it: a name and, if the message gave one, an account.
type Party struct {
	Name    string
	Account Account
}

// PaymentInstruction is one customer credit transfer (CdtTrfTxInf) flattened
// to what the platform books, screens and reconciles on. Elements of the
// message not listed here are read past, not kept.
type PaymentInstruction struct {
	InstrID    string // PmtId/InstrId, optional
	EndToEndID string // PmtId/EndToEndId, unique within the file
	TxID       string // PmtId/TxId, optional, unique within the file
	UETR       string // PmtId/UETR, optional, unique within the file

	Amount         Amount    // IntrBkSttlmAmt
	SettlementDate time.Time // IntrBkSttlmDt (transaction, else group header), midnight UTC

	InstructedAmount *Amount // InstdAmt, when the debtor instructed another amount or currency
	ExchangeRate     string  // XchgRate as written; required when InstdAmt is in another currency

	ChargeBearer string // ChrgBr: DEBT, CRED, SHAR or SLEV

	Debtor           Party  // Dbtr/Nm and DbtrAcct/Id
	DebtorAgentBIC   string // DbtrAgt/FinInstnId/BICFI
	CreditorAgentBIC string // CdtrAgt/FinInstnId/BICFI
	Creditor         Party  // Cdtr/Nm and CdtrAcct/Id

	RemittanceInfo []string // RmtInf/Ustrd lines; structured remittance is not kept
}

// Pacs008Message is an imported (or to-be-generated) pacs.008 file. MsgID is
// kept because it is how a bank's resend of the same file is recognised.
type Pacs008Message struct {
	MsgID            string    // GrpHdr/MsgId
	CreatedAt        time.Time // GrpHdr/CreDtTm, in UTC
	SettlementMethod string    // GrpHdr/SttlmInf/SttlmMtd
	Instructions     []PaymentInstruction
}

type pacs008Document struct {
	XMLName xml.Name    `xml:"urn:iso:std:iso:20022:tech:xsd:pacs.008.001.09 Document"`
	Msg     pacs008Body `xml:"FIToFICstmrCdtTrf"`
}

type pacs008Body struct {
	GrpHdr      *groupHeader93       `xml:"GrpHdr"`
	CdtTrfTxInf []creditTransferTx43 `xml:"CdtTrfTxInf"`
}

type creditTransferTx43 struct {
	PmtID          *paymentID13          `xml:"PmtId"`
	IntrBkSttlmAmt *xmlAmount            `xml:"IntrBkSttlmAmt"`
	IntrBkSttlmDt  *string               `xml:"IntrBkSttlmDt,omitempty"`
	InstdAmt       *xmlAmount            `xml:"InstdAmt,omitempty"`
	XchgRate       *string               `xml:"XchgRate,omitempty"`
	ChrgBr         string                `xml:"ChrgBr"`
	Dbtr           *partyID135           `xml:"Dbtr"`
	DbtrAcct       *cashAccount38        `xml:"DbtrAcct,omitempty"`
	DbtrAgt        *branchAndFinInstnID6 `xml:"DbtrAgt"`
	CdtrAgt        *branchAndFinInstnID6 `xml:"CdtrAgt"`
	Cdtr           *partyID135           `xml:"Cdtr"`
	CdtrAcct       *cashAccount38        `xml:"CdtrAcct,omitempty"`
	RmtInf         *remittanceInfo       `xml:"RmtInf,omitempty"`
}

var pacs008Spec = newDocSpec(NamespacePacs008, "FIToFICstmrCdtTrf", reflect.TypeOf(pacs008Body{}))

// xmlSpace is what XSD whitespace collapsing strips from decimals and dates.
const xmlSpace = " \t\r\n"

// ParsePacs008 imports a pacs.008.001.09 file from a bank. It reads at most
// MaxDocumentSize bytes and returns either every instruction or none: any
// fault refuses the whole file with a *problem.Error listing all faults by
// element path (see the package comment for codes).
//
// Beyond well-formedness and the namespace it enforces what settlement
// relies on: GrpHdr/NbOfTxs equals the number of transactions; GrpHdr/CtrlSum
// and GrpHdr/TtlIntrBkSttlmAmt, when present, equal the sum of the
// amounts exactly; every currency is known to exponent and no amount has
// more decimals than its currency; amounts are positive; each transaction
// has an EndToEndId, a settlement date (its own or the group's), a charge
// bearer, debtor and creditor names and agent BICs; EndToEndId, TxId and
// UETR do not repeat within the file; IBANs carry valid check digits.
func ParsePacs008(r io.Reader, exponent ExponentFunc) (*Pacs008Message, error) {
	if exponent == nil {
		return nil, problem.New(problem.Internal, "iso20022: ParsePacs008 called without a currency exponent function")
	}
	data, err := readLimited(r, MaxDocumentSize)
	if err != nil {
		return nil, err
	}
	errs := newFieldErrs()
	var doc pacs008Document
	if err := newChecker(pacs008Spec, data, errs).decode(&doc); err != nil {
		return nil, err
	}
	m := buildPacs008(&doc.Msg, exponent, errs)
	validatePacs008(m, errs)
	if err := errs.err("pacs.008 document refused"); err != nil {
		return nil, err
	}
	return m, nil
}

// buildPacs008 turns the decoded XML into the flat form, reporting what only
// the XML shows (missing elements, lexical amounts and dates, header
// totals). Rules that can be checked on the flat form are left to
// validatePacs008, which the writer shares.
func buildPacs008(body *pacs008Body, exponent ExponentFunc, errs *fieldErrs) *Pacs008Message {
	m := &Pacs008Message{}
	gh := body.GrpHdr
	if gh == nil {
		errs.add("GrpHdr", "required")
		gh = &groupHeader93{}
	}
	m.MsgID = gh.MsgID
	if t, msg := parseISODateTime(gh.CreDtTm); msg != "" {
		errs.add("GrpHdr/CreDtTm", msg)
	} else {
		m.CreatedAt = t
	}
	if gh.SttlmInf == nil {
		errs.add("GrpHdr/SttlmInf", "required")
	} else {
		m.SettlementMethod = gh.SttlmInf.SttlmMtd
	}
	var groupDate time.Time
	if gh.IntrBkSttlmDt != nil {
		t, msg := parseISODate(*gh.IntrBkSttlmDt)
		if msg != "" {
			errs.add("GrpHdr/IntrBkSttlmDt", msg)
		}
		groupDate = t
	}

	amountsOK := true
	for i, tx := range body.CdtTrfTxInf {
		p := fmt.Sprintf("CdtTrfTxInf[%d]", i+1)
		var pi PaymentInstruction
		if tx.PmtID == nil {
			errs.add(p+"/PmtId", "required")
		} else {
			pi.InstrID = presentID(p+"/PmtId/InstrId", tx.PmtID.InstrID, errs)
			pi.EndToEndID = tx.PmtID.EndToEndID
			pi.TxID = presentID(p+"/PmtId/TxId", tx.PmtID.TxID, errs)
			pi.UETR = presentID(p+"/PmtId/UETR", tx.PmtID.UETR, errs)
		}
		a, ok := parseAmount(p+"/IntrBkSttlmAmt", tx.IntrBkSttlmAmt, exponent, errs)
		pi.Amount = a
		amountsOK = amountsOK && ok

		switch {
		case tx.IntrBkSttlmDt != nil:
			t, msg := parseISODate(*tx.IntrBkSttlmDt)
			if msg != "" {
				errs.add(p+"/IntrBkSttlmDt", msg)
			} else if !groupDate.IsZero() && !t.Equal(groupDate) {
				errs.addf(p+"/IntrBkSttlmDt", "%s contradicts GrpHdr/IntrBkSttlmDt %s", formatDate(t), formatDate(groupDate))
			}
			pi.SettlementDate = t
		case gh.IntrBkSttlmDt != nil:
			pi.SettlementDate = groupDate
		default:
			errs.add(p+"/IntrBkSttlmDt", "required here or in GrpHdr/IntrBkSttlmDt")
		}

		if tx.InstdAmt != nil {
			ia, _ := parseAmount(p+"/InstdAmt", tx.InstdAmt, exponent, errs)
			pi.InstructedAmount = &ia
		}
		if tx.XchgRate != nil {
			pi.ExchangeRate = strings.Trim(*tx.XchgRate, xmlSpace)
			if pi.ExchangeRate == "" {
				errs.add(p+"/XchgRate", "empty")
			}
		}
		pi.ChargeBearer = tx.ChrgBr

		pi.Debtor = parseParty(p, "Dbtr", tx.Dbtr, tx.DbtrAcct, errs)
		pi.Creditor = parseParty(p, "Cdtr", tx.Cdtr, tx.CdtrAcct, errs)
		if tx.DbtrAgt == nil {
			errs.add(p+"/DbtrAgt", "required")
		} else {
			pi.DebtorAgentBIC = tx.DbtrAgt.FinInstnID.BICFI
		}
		if tx.CdtrAgt == nil {
			errs.add(p+"/CdtrAgt", "required")
		} else {
			pi.CreditorAgentBIC = tx.CdtrAgt.FinInstnID.BICFI
		}
		if tx.RmtInf != nil && len(tx.RmtInf.Ustrd) > 0 {
			pi.RemittanceInfo = tx.RmtInf.Ustrd
		}
		m.Instructions = append(m.Instructions, pi)
	}

	if !reNumeric.MatchString(gh.NbOfTxs) {
		errs.addf("GrpHdr/NbOfTxs", "%q is not a number of 1-15 digits", gh.NbOfTxs)
	} else if n, _ := strconv.ParseInt(gh.NbOfTxs, 10, 64); n != int64(len(body.CdtTrfTxInf)) {
		errs.addf("GrpHdr/NbOfTxs", "says %d transactions, the file has %d", n, len(body.CdtTrfTxInf))
	}

	var sum amountSum
	for _, pi := range m.Instructions {
		sum.add(pi.Amount.Minor, pi.Amount.Exponent)
	}
	total, scale := sum.total()
	if gh.CtrlSum != nil {
		s := strings.Trim(*gh.CtrlSum, xmlSpace)
		d, ok := parseDecimal(s)
		switch {
		case !ok:
			errs.addf("GrpHdr/CtrlSum", "%q is not a decimal number", s)
		case len(d.frac) > 17 || d.totalDigits() > maxTotalDigits:
			errs.addf("GrpHdr/CtrlSum", "%q has more than 18 digits or 17 decimals", s)
		case amountsOK && !equalScaled(d.unscaled(len(d.frac)), len(d.frac), total, scale):
			errs.addf("GrpHdr/CtrlSum", "control sum %s does not match the sum of the transaction amounts %s",
				s, formatScaled(total, scale))
		}
	}
	if gh.TtlIntrBkSttlmAmt != nil {
		ttl, ok := parseAmount("GrpHdr/TtlIntrBkSttlmAmt", gh.TtlIntrBkSttlmAmt, exponent, errs)
		if ok && amountsOK {
			sameCcy := true
			for i, pi := range m.Instructions {
				if pi.Amount.Currency != ttl.Currency {
					sameCcy = false
					errs.addf(fmt.Sprintf("CdtTrfTxInf[%d]/IntrBkSttlmAmt", i+1),
						"currency %s differs from GrpHdr/TtlIntrBkSttlmAmt currency %s", pi.Amount.Currency, ttl.Currency)
				}
			}
			if sameCcy && !equalScaled(total, scale, big.NewInt(ttl.Minor), ttl.Exponent) {
				errs.addf("GrpHdr/TtlIntrBkSttlmAmt", "total %s %s does not match the sum of the transaction amounts %s",
					ttl.Value, ttl.Currency, formatScaled(total, scale))
			}
		}
	}
	return m
}

// presentID returns an optional identifier, flagging one that is present but
// empty (the flat form cannot tell that from absent).
func presentID(path string, v *string, errs *fieldErrs) string {
	if v == nil {
		return ""
	}
	if *v == "" {
		errs.add(path, "empty")
	}
	return *v
}

func parseParty(p, role string, party *partyID135, acct *cashAccount38, errs *fieldErrs) Party {
	var out Party
	if party == nil {
		errs.add(p+"/"+role, "required")
	} else {
		out.Name = party.Nm
	}
	if acct == nil {
		return out
	}
	path := p + "/" + role + "Acct/Id"
	switch {
	case acct.ID == nil || acct.ID.IBAN == nil && acct.ID.Othr == nil:
		errs.add(path, "required: IBAN or Othr/Id")
	default:
		if acct.ID.IBAN != nil {
			out.Account.IBAN = *acct.ID.IBAN
			if *acct.ID.IBAN == "" {
				errs.add(path, "empty IBAN")
			}
		}
		if acct.ID.Othr != nil {
			out.Account.Other = acct.ID.Othr.ID
			if acct.ID.Othr.ID == "" {
				errs.add(path, "Othr/Id required")
			}
		}
	}
	return out
}

// parseAmount reads an ActiveCurrencyAndAmount. ok is false when the amount
// cannot be used in totals.
func parseAmount(path string, x *xmlAmount, exponent ExponentFunc, errs *fieldErrs) (Amount, bool) {
	if x == nil {
		errs.add(path, "required")
		return Amount{}, false
	}
	a := Amount{Value: strings.Trim(x.Value, xmlSpace), Currency: x.Ccy}
	if !reCcy.MatchString(x.Ccy) {
		errs.addf(path, "currency %q is not a 3-letter ISO 4217 code", x.Ccy)
		return a, false
	}
	exp, known := exponent(x.Ccy)
	if !known {
		errs.addf(path, "currency %s is not known", x.Ccy)
		return a, false
	}
	if exp < 0 || exp > maxExponent {
		errs.addf(path, "currency %s has %d decimals; ISO 20022 amounts carry at most %d", x.Ccy, exp, maxExponent)
		return a, false
	}
	a.Exponent = exp
	d, ok := parseDecimal(a.Value)
	switch {
	case !ok:
		errs.addf(path, "%q is not a decimal amount", a.Value)
		return a, false
	case d.neg && !d.isZero():
		errs.addf(path, "amount must be positive, got %s", a.Value)
		return a, false
	case d.isZero():
		errs.addf(path, "amount must be positive, got %s", a.Value)
		return a, false
	case len(d.frac) > exp:
		errs.addf(path, "amount has %d decimals, %s allows %d", len(d.frac), x.Ccy, exp)
		return a, false
	case d.totalDigits() > maxTotalDigits:
		errs.addf(path, "amount has more than %d digits", maxTotalDigits)
		return a, false
	}
	minor, ok := d.minorUnits(exp)
	if !ok {
		errs.add(path, "amount too large")
		return a, false
	}
	a.Minor = minor
	return a, true
}

// validatePacs008 holds the rules that apply to the flat form. The parser
// and WritePacs008 both run it, so whatever is imported can be written back
// and whatever is written can be imported.
func validatePacs008(m *Pacs008Message, errs *fieldErrs) {
	if msg := checkID(m.MsgID, 35); msg != "" {
		errs.add("GrpHdr/MsgId", msg)
	}
	if msg := checkDateTime(m.CreatedAt); msg != "" {
		errs.add("GrpHdr/CreDtTm", msg)
	}
	switch m.SettlementMethod {
	case SettlementMethodCLRG, SettlementMethodINDA, SettlementMethodINGA, SettlementMethodCOVE:
	case "":
		errs.add("GrpHdr/SttlmInf/SttlmMtd", "required")
	default:
		errs.addf("GrpHdr/SttlmInf/SttlmMtd", "%q is not one of CLRG, INDA, INGA, COVE", m.SettlementMethod)
	}
	if len(m.Instructions) == 0 {
		errs.add("CdtTrfTxInf", "at least one transaction is required")
	}
	e2e, txids, uetrs := map[string]int{}, map[string]int{}, map[string]int{}
	var sum amountSum
	sumOK := true
	for i := range m.Instructions {
		pi := &m.Instructions[i]
		p := fmt.Sprintf("CdtTrfTxInf[%d]", i+1)
		optionalID(p+"/PmtId/InstrId", pi.InstrID, errs)
		if msg := checkID(pi.EndToEndID, 35); msg != "" {
			errs.add(p+"/PmtId/EndToEndId", msg)
		} else {
			unique(p+"/PmtId/EndToEndId", "EndToEndId", pi.EndToEndID, i, e2e, errs)
		}
		if optionalID(p+"/PmtId/TxId", pi.TxID, errs) {
			unique(p+"/PmtId/TxId", "TxId", pi.TxID, i, txids, errs)
		}
		if pi.UETR != "" {
			if msg := checkUETR(pi.UETR); msg != "" {
				errs.add(p+"/PmtId/UETR", msg)
			} else {
				unique(p+"/PmtId/UETR", "UETR", pi.UETR, i, uetrs, errs)
			}
		}
		if msg := checkAmount(pi.Amount); msg != "" {
			errs.add(p+"/IntrBkSttlmAmt", msg)
			sumOK = false
		} else {
			sum.add(pi.Amount.Minor, pi.Amount.Exponent)
		}
		if msg := checkDate(pi.SettlementDate); msg != "" {
			errs.add(p+"/IntrBkSttlmDt", msg)
		}
		if pi.InstructedAmount != nil {
			if msg := checkAmount(*pi.InstructedAmount); msg != "" {
				errs.add(p+"/InstdAmt", msg)
			}
		}
		if pi.ExchangeRate != "" {
			if msg := checkRate(pi.ExchangeRate); msg != "" {
				errs.add(p+"/XchgRate", msg)
			}
		} else if pi.InstructedAmount != nil && pi.InstructedAmount.Currency != pi.Amount.Currency {
			errs.add(p+"/XchgRate", "required when InstdAmt is in another currency than IntrBkSttlmAmt")
		}
		switch pi.ChargeBearer {
		case ChargeBearerDEBT, ChargeBearerCRED, ChargeBearerSHAR, ChargeBearerSLEV:
		case "":
			errs.add(p+"/ChrgBr", "required")
		default:
			errs.addf(p+"/ChrgBr", "%q is not one of DEBT, CRED, SHAR, SLEV", pi.ChargeBearer)
		}
		checkParty(p, "Dbtr", pi.Debtor, errs)
		checkParty(p, "Cdtr", pi.Creditor, errs)
		if msg := checkBIC(pi.DebtorAgentBIC); msg != "" {
			errs.add(p+"/DbtrAgt/FinInstnId/BICFI", msg)
		}
		if msg := checkBIC(pi.CreditorAgentBIC); msg != "" {
			errs.add(p+"/CdtrAgt/FinInstnId/BICFI", msg)
		}
		for j, line := range pi.RemittanceInfo {
			if msg := checkText(line, 140); msg != "" {
				errs.add(fmt.Sprintf("%s/RmtInf/Ustrd[%d]", p, j+1), msg)
			}
		}
	}
	if sumOK && len(m.Instructions) > 0 {
		if total, scale := sum.total(); scaledTotalDigits(total, scale) > maxTotalDigits {
			errs.addf("GrpHdr/CtrlSum", "the sum of all amounts needs more than %d digits; split the file", maxTotalDigits)
		}
	}
}

func checkParty(p, role string, party Party, errs *fieldErrs) {
	if msg := checkText(party.Name, 140); msg != "" {
		errs.add(p+"/"+role+"/Nm", msg)
	}
	if party.Account != (Account{}) {
		if msg := checkAccount(party.Account); msg != "" {
			errs.add(p+"/"+role+"Acct/Id", msg)
		}
	}
}

// optionalID checks an identifier that may be absent and reports whether it
// is present and valid.
func optionalID(path, v string, errs *fieldErrs) bool {
	if v == "" {
		return false
	}
	if msg := checkID(v, 35); msg != "" {
		errs.add(path, msg)
		return false
	}
	return true
}

func unique(path, what, v string, i int, seen map[string]int, errs *fieldErrs) {
	if first, dup := seen[v]; dup {
		errs.addf(path, "%s %q already used by CdtTrfTxInf[%d]", what, v, first+1)
		return
	}
	seen[v] = i
}

// checkRate enforces BaseOneRate: positive, at most 10 decimals and 11 digits.
func checkRate(s string) string {
	d, ok := parseDecimal(s)
	switch {
	case !ok:
		return fmt.Sprintf("%q is not a decimal number", s)
	case d.neg || d.isZero():
		return "exchange rate must be positive"
	case len(d.frac) > 10 || d.totalDigits() > 11:
		return "exchange rate has more than 11 digits or 10 decimals"
	}
	return ""
}

// WritePacs008 renders m as a pacs.008.001.09 document. The platform itself
// only receives pacs.008; this exists so tests and demo data exercise the
// importer with the same shape banks send. It applies the importer's rules,
// so anything it writes ParsePacs008 accepts (given the same exponents).
// Amounts are written from Minor and Exponent; Amount.Value is ignored.
// CtrlSum is computed; TtlIntrBkSttlmAmt is not written; each transaction
// carries its own IntrBkSttlmDt.
func WritePacs008(w io.Writer, m *Pacs008Message) error {
	if m == nil {
		return problem.New(problem.Invalid, "no pacs.008 message to write")
	}
	errs := newFieldErrs()
	validatePacs008(m, errs)
	if err := errs.err("pacs.008 not written"); err != nil {
		return err
	}
	var sum amountSum
	for _, pi := range m.Instructions {
		sum.add(pi.Amount.Minor, pi.Amount.Exponent)
	}
	ctrl := formatScaled(sum.total())
	doc := pacs008Document{Msg: pacs008Body{
		GrpHdr: &groupHeader93{
			MsgID:    m.MsgID,
			CreDtTm:  formatDateTime(m.CreatedAt),
			NbOfTxs:  strconv.Itoa(len(m.Instructions)),
			CtrlSum:  &ctrl,
			SttlmInf: &settlementInstruction7{SttlmMtd: m.SettlementMethod},
		},
	}}
	for _, pi := range m.Instructions {
		tx := creditTransferTx43{
			PmtID: &paymentID13{
				InstrID:    optional(pi.InstrID),
				EndToEndID: pi.EndToEndID,
				TxID:       optional(pi.TxID),
				UETR:       optional(pi.UETR),
			},
			IntrBkSttlmAmt: amountXML(pi.Amount),
			IntrBkSttlmDt:  optional(formatDate(pi.SettlementDate)),
			XchgRate:       optional(pi.ExchangeRate),
			ChrgBr:         pi.ChargeBearer,
			Dbtr:           &partyID135{Nm: pi.Debtor.Name},
			DbtrAgt:        agent(pi.DebtorAgentBIC),
			CdtrAgt:        agent(pi.CreditorAgentBIC),
			Cdtr:           &partyID135{Nm: pi.Creditor.Name},
		}
		if pi.InstructedAmount != nil {
			tx.InstdAmt = amountXML(*pi.InstructedAmount)
		}
		if pi.Debtor.Account != (Account{}) {
			tx.DbtrAcct = &cashAccount38{ID: accountXML(pi.Debtor.Account)}
		}
		if pi.Creditor.Account != (Account{}) {
			tx.CdtrAcct = &cashAccount38{ID: accountXML(pi.Creditor.Account)}
		}
		if len(pi.RemittanceInfo) > 0 {
			tx.RmtInf = &remittanceInfo{Ustrd: pi.RemittanceInfo}
		}
		doc.Msg.CdtTrfTxInf = append(doc.Msg.CdtTrfTxInf, tx)
	}
	return writeDocument(w, doc)
}

func amountXML(a Amount) *xmlAmount {
	return &xmlAmount{Ccy: a.Currency, Value: formatMinor(a.Minor, a.Exponent)}
}
