package iso20022

import (
	"encoding/xml"
	"fmt"
	"io"
	"math/big"
	"strconv"
	"time"

	"bricstown/internal/problem"
)

// CreditDebit says which way an entry or balance goes, from the account
// owner's point of view (CdtDbtInd).
type CreditDebit string

const (
	Credit CreditDebit = "CRDT"
	Debit  CreditDebit = "DBIT"
)

// StatementMessage is one camt.053 file; it may carry statements for
// several accounts of the same owner so a bank gets its day in one file.
type StatementMessage struct {
	MsgID      string // platform reference, reused if the same statement is re-sent
	CreatedAt  time.Time
	Statements []Statement
}

// Statement reports one account over one period. Opening and closing are
// signed minor units (negative means overdrawn, written as DBIT) so the
// caller passes ledger balances unchanged; WriteCamt053 refuses a statement
// whose entries do not lead from opening to closing, because a statement that
// does not add up is worse than none.
type Statement struct {
	ID             string // Stmt/Id, platform reference
	SequenceNumber int64  // ElctrncSeqNb; 0 omits it
	From, To       time.Time
	Account        StatementAccount
	Opening        Balance // OPBD
	Closing        Balance // CLBD
	Entries        []Entry
}

// StatementAccount is the account a statement is about. Currency and
// Exponent apply to every amount in the statement.
type StatementAccount struct {
	ID          Account
	Currency    string
	Exponent    int
	OwnerName   string // Acct/Ownr/Nm
	ServicerBIC string // Acct/Svcr/FinInstnId/BICFI, optional: who keeps the account
}

// Balance is a booked balance at the start or end of a day.
type Balance struct {
	AmountMinor int64 // signed: negative is a debit balance
	Date        time.Time
}

// BankTransactionCode classifies an entry for the receiver's automatic
// reconciliation. The zero value means PMNT / RCDT (credits) or ICDT
// (debits) / OTHR.
type BankTransactionCode struct {
	Domain, Family, SubFamily string
}

// Entry is one booked movement on the account. References are those of the
// payment that caused it, so the account owner can match the entry against
// what it sent or expects.
type Entry struct {
	AmountMinor    int64 // positive; Direction gives the sign
	Direction      CreditDebit
	BookingDate    time.Time
	ValueDate      time.Time
	AcctSvcrRef    string // the platform's ledger reference, platform reference format
	BankTxCode     BankTransactionCode
	MessageID      string // Refs/MsgId of the originating message, optional
	InstrID        string // Refs/InstrId, optional
	EndToEndID     string // Refs/EndToEndId, optional
	TxID           string // Refs/TxId, optional
	UETR           string // Refs/UETR, optional
	CounterpartBIC string // the other bank: RltdPties/Dbtr (credits) or Cdtr (debits), optional
	RemittanceInfo []string
}

type camt053Document struct {
	XMLName xml.Name    `xml:"urn:iso:std:iso:20022:tech:xsd:camt.053.001.08 Document"`
	Msg     camt053Body `xml:"BkToCstmrStmt"`
}

type camt053Body struct {
	GrpHdr camtGroupHeader `xml:"GrpHdr"`
	Stmt   []camtStatement `xml:"Stmt"`
}

type camtGroupHeader struct {
	MsgID   string `xml:"MsgId"`
	CreDtTm string `xml:"CreDtTm"`
}

type camtStatement struct {
	ID           string        `xml:"Id"`
	ElctrncSeqNb string        `xml:"ElctrncSeqNb,omitempty"`
	CreDtTm      string        `xml:"CreDtTm"`
	FrToDt       *camtPeriod   `xml:"FrToDt,omitempty"`
	Acct         camtAccount   `xml:"Acct"`
	Bal          []camtBalance `xml:"Bal"`
	TxsSummry    *camtTotals   `xml:"TxsSummry,omitempty"`
	Ntry         []camtEntry   `xml:"Ntry"`
}

type camtPeriod struct {
	FrDtTm string `xml:"FrDtTm"`
	ToDtTm string `xml:"ToDtTm"`
}

type camtAccount struct {
	ID   *accountID4Choice     `xml:"Id"`
	Ccy  string                `xml:"Ccy"`
	Ownr *partyID135           `xml:"Ownr,omitempty"`
	Svcr *branchAndFinInstnID6 `xml:"Svcr,omitempty"`
}

type camtCode struct {
	Cd string `xml:"Cd"`
}

type camtBalanceType struct {
	CdOrPrtry camtCode `xml:"CdOrPrtry"`
}

type camtDate struct {
	Dt string `xml:"Dt"`
}

type camtBalance struct {
	Tp        camtBalanceType `xml:"Tp"`
	Amt       xmlAmount       `xml:"Amt"`
	CdtDbtInd CreditDebit     `xml:"CdtDbtInd"`
	Dt        camtDate        `xml:"Dt"`
}

type camtNumberAndSum struct {
	NbOfNtries string `xml:"NbOfNtries"`
	Sum        string `xml:"Sum"`
}

type camtNetEntry struct {
	Amt       string      `xml:"Amt"`
	CdtDbtInd CreditDebit `xml:"CdtDbtInd"`
}

type camtTotalEntries struct {
	NbOfNtries string       `xml:"NbOfNtries"`
	Sum        string       `xml:"Sum"`
	TtlNetNtry camtNetEntry `xml:"TtlNetNtry"`
}

type camtTotals struct {
	TtlNtries    camtTotalEntries `xml:"TtlNtries"`
	TtlCdtNtries camtNumberAndSum `xml:"TtlCdtNtries"`
	TtlDbtNtries camtNumberAndSum `xml:"TtlDbtNtries"`
}

type camtFamily struct {
	Cd        string `xml:"Cd"`
	SubFmlyCd string `xml:"SubFmlyCd"`
}

type camtDomain struct {
	Cd   string     `xml:"Cd"`
	Fmly camtFamily `xml:"Fmly"`
}

type camtBankTxCode struct {
	Domn camtDomain `xml:"Domn"`
}

type camtEntry struct {
	Amt         xmlAmount        `xml:"Amt"`
	CdtDbtInd   CreditDebit      `xml:"CdtDbtInd"`
	Sts         camtCode         `xml:"Sts"`
	BookgDt     camtDate         `xml:"BookgDt"`
	ValDt       camtDate         `xml:"ValDt"`
	AcctSvcrRef string           `xml:"AcctSvcrRef"`
	BkTxCd      camtBankTxCode   `xml:"BkTxCd"`
	NtryDtls    *camtEntryDetail `xml:"NtryDtls,omitempty"`
}

type camtEntryDetail struct {
	TxDtls camtTxDetail `xml:"TxDtls"`
}

type camtRefs struct {
	MsgID      string `xml:"MsgId,omitempty"`
	InstrID    string `xml:"InstrId,omitempty"`
	EndToEndID string `xml:"EndToEndId,omitempty"`
	UETR       string `xml:"UETR,omitempty"`
	TxID       string `xml:"TxId,omitempty"`
}

type camtPartyAgent struct {
	Agt *branchAndFinInstnID6 `xml:"Agt"`
}

type camtParties struct {
	Dbtr *camtPartyAgent `xml:"Dbtr,omitempty"`
	Cdtr *camtPartyAgent `xml:"Cdtr,omitempty"`
}

type camtTxDetail struct {
	Refs      *camtRefs       `xml:"Refs,omitempty"`
	Amt       xmlAmount       `xml:"Amt"`
	CdtDbtInd CreditDebit     `xml:"CdtDbtInd"`
	RltdPties *camtParties    `xml:"RltdPties,omitempty"`
	RmtInf    *remittanceInfo `xml:"RmtInf,omitempty"`
}

// WriteCamt053 renders account statements as one camt.053.001.08 message.
// Every entry is written as booked (Sts BOOK) with booking and value date,
// the platform's AcctSvcrRef, a bank transaction code and, when the entry
// has payment references or a counterpart, one TxDtls carrying them. Each
// statement has an OPBD and a CLBD balance and a transaction summary.
//
// Nothing is written unless every statement is valid and balances.
func WriteCamt053(w io.Writer, m *StatementMessage) error {
	if m == nil {
		return problem.New(problem.Invalid, "no statement message to write")
	}
	errs := newFieldErrs()
	if msg := checkPlatformRef(m.MsgID); msg != "" {
		errs.add("GrpHdr/MsgId", msg)
	}
	if msg := checkDateTime(m.CreatedAt); msg != "" {
		errs.add("GrpHdr/CreDtTm", msg)
	}
	if len(m.Statements) == 0 {
		errs.add("Stmt", "at least one statement is required")
	}
	for i := range m.Statements {
		checkStatement(fmt.Sprintf("Stmt[%d]", i+1), &m.Statements[i], errs)
	}
	if err := errs.err("camt.053 not written"); err != nil {
		return err
	}

	doc := camt053Document{Msg: camt053Body{
		GrpHdr: camtGroupHeader{MsgID: m.MsgID, CreDtTm: formatDateTime(m.CreatedAt)},
	}}
	for i := range m.Statements {
		doc.Msg.Stmt = append(doc.Msg.Stmt, statementXML(&m.Statements[i], m.CreatedAt))
	}
	return writeDocument(w, doc)
}

func checkStatement(p string, s *Statement, errs *fieldErrs) {
	if msg := checkPlatformRef(s.ID); msg != "" {
		errs.add(p+"/Id", msg)
	}
	if s.SequenceNumber < 0 || s.SequenceNumber >= 1e18 {
		errs.addf(p+"/ElctrncSeqNb", "%d is outside 0..999999999999999999", s.SequenceNumber)
	}
	if !s.From.IsZero() || !s.To.IsZero() {
		if msg := checkDateTime(s.From); msg != "" {
			errs.add(p+"/FrToDt/FrDtTm", msg)
		}
		if msg := checkDateTime(s.To); msg != "" {
			errs.add(p+"/FrToDt/ToDtTm", msg)
		} else if s.To.Before(s.From) {
			errs.add(p+"/FrToDt/ToDtTm", "before FrDtTm")
		}
	}
	a := s.Account
	if msg := checkAccount(a.ID); msg != "" {
		errs.add(p+"/Acct/Id", msg)
	}
	if !reCcy.MatchString(a.Currency) {
		errs.addf(p+"/Acct/Ccy", "currency %q is not a 3-letter ISO 4217 code", a.Currency)
	}
	if a.Exponent < 0 || a.Exponent > maxExponent {
		errs.addf(p+"/Acct/Ccy", "currency exponent %d is outside 0..%d", a.Exponent, maxExponent)
	}
	if msg := checkText(a.OwnerName, 140); msg != "" {
		errs.add(p+"/Acct/Ownr/Nm", msg)
	}
	if a.ServicerBIC != "" {
		if msg := checkBIC(a.ServicerBIC); msg != "" {
			errs.add(p+"/Acct/Svcr/FinInstnId/BICFI", msg)
		}
	}
	checkBalance(p+"/Bal[1]", s.Opening, a.Exponent, errs)
	checkBalance(p+"/Bal[2]", s.Closing, a.Exponent, errs)

	running := big.NewInt(s.Opening.AmountMinor)
	credits, debits := new(big.Int), new(big.Int)
	for j, e := range s.Entries {
		q := fmt.Sprintf("%s/Ntry[%d]", p, j+1)
		if msg := checkMinor(e.AmountMinor, a.Exponent); msg != "" {
			errs.add(q+"/Amt", msg)
		}
		switch e.Direction {
		case Credit:
			running.Add(running, big.NewInt(e.AmountMinor))
			credits.Add(credits, big.NewInt(e.AmountMinor))
		case Debit:
			running.Sub(running, big.NewInt(e.AmountMinor))
			debits.Add(debits, big.NewInt(e.AmountMinor))
		default:
			errs.addf(q+"/CdtDbtInd", "%q is neither CRDT nor DBIT", e.Direction)
		}
		if msg := checkDate(e.BookingDate); msg != "" {
			errs.add(q+"/BookgDt/Dt", msg)
		}
		if msg := checkDate(e.ValueDate); msg != "" {
			errs.add(q+"/ValDt/Dt", msg)
		}
		if msg := checkPlatformRef(e.AcctSvcrRef); msg != "" {
			errs.add(q+"/AcctSvcrRef", msg)
		}
		if c := e.BankTxCode; c != (BankTransactionCode{}) {
			if !reBTC.MatchString(c.Domain) || !reBTC.MatchString(c.Family) || !reBTC.MatchString(c.SubFamily) {
				errs.add(q+"/BkTxCd/Domn", "domain, family and sub-family codes must each be 1-4 upper-case letters or digits")
			}
		}
		d := q + "/NtryDtls/TxDtls"
		optionalID(d+"/Refs/MsgId", e.MessageID, errs)
		optionalID(d+"/Refs/InstrId", e.InstrID, errs)
		optionalID(d+"/Refs/EndToEndId", e.EndToEndID, errs)
		optionalID(d+"/Refs/TxId", e.TxID, errs)
		if e.UETR != "" {
			if msg := checkUETR(e.UETR); msg != "" {
				errs.add(d+"/Refs/UETR", msg)
			}
		}
		if e.CounterpartBIC != "" {
			if msg := checkBIC(e.CounterpartBIC); msg != "" {
				errs.add(d+"/RltdPties", msg)
			}
		}
		for k, line := range e.RemittanceInfo {
			if msg := checkText(line, 140); msg != "" {
				errs.add(fmt.Sprintf("%s/RmtInf/Ustrd[%d]", d, k+1), msg)
			}
		}
	}
	if running.Cmp(big.NewInt(s.Closing.AmountMinor)) != 0 {
		errs.addf(p+"/Bal[2]/Amt", "closing balance %s does not equal opening %s plus entries (%s)",
			formatScaled(big.NewInt(s.Closing.AmountMinor), a.Exponent),
			formatScaled(big.NewInt(s.Opening.AmountMinor), a.Exponent),
			formatScaled(running, a.Exponent))
	}
	for _, v := range []*big.Int{credits, debits, new(big.Int).Add(credits, debits)} {
		if scaledTotalDigits(v, a.Exponent) > maxTotalDigits {
			errs.addf(p+"/TxsSummry", "entry totals need more than %d digits; split the statement", maxTotalDigits)
			break
		}
	}
}

func checkBalance(p string, b Balance, exp int, errs *fieldErrs) {
	if msg := checkDate(b.Date); msg != "" {
		errs.add(p+"/Dt/Dt", msg)
	}
	if exp >= 0 && exp <= maxExponent {
		if scaledTotalDigits(new(big.Int).Abs(big.NewInt(b.AmountMinor)), exp) > maxTotalDigits {
			errs.addf(p+"/Amt", "balance has more than %d digits", maxTotalDigits)
		}
	}
}

// signedAmount splits a signed minor amount into the unsigned ISO 20022
// amount and its indicator. Zero is a credit balance by convention.
func signedAmount(minor *big.Int, exp int) (string, CreditDebit) {
	ind := Credit
	if minor.Sign() < 0 {
		ind = Debit
	}
	return formatScaled(new(big.Int).Abs(minor), exp), ind
}

func balanceXML(code string, b Balance, ccy string, exp int) camtBalance {
	amt, ind := signedAmount(big.NewInt(b.AmountMinor), exp)
	return camtBalance{
		Tp:        camtBalanceType{CdOrPrtry: camtCode{Cd: code}},
		Amt:       xmlAmount{Ccy: ccy, Value: amt},
		CdtDbtInd: ind,
		Dt:        camtDate{Dt: formatDate(b.Date)},
	}
}

func statementXML(s *Statement, created time.Time) camtStatement {
	a := s.Account
	out := camtStatement{
		ID:      s.ID,
		CreDtTm: formatDateTime(created),
		Acct: camtAccount{
			ID:   accountXML(a.ID),
			Ccy:  a.Currency,
			Ownr: &partyID135{Nm: a.OwnerName},
		},
		Bal: []camtBalance{
			balanceXML("OPBD", s.Opening, a.Currency, a.Exponent),
			balanceXML("CLBD", s.Closing, a.Currency, a.Exponent),
		},
	}
	if s.SequenceNumber > 0 {
		out.ElctrncSeqNb = strconv.FormatInt(s.SequenceNumber, 10)
	}
	if !s.From.IsZero() {
		out.FrToDt = &camtPeriod{FrDtTm: formatDateTime(s.From), ToDtTm: formatDateTime(s.To)}
	}
	if a.ServicerBIC != "" {
		out.Acct.Svcr = agent(a.ServicerBIC)
	}

	credits, debits := new(big.Int), new(big.Int)
	var nCredits, nDebits int
	for _, e := range s.Entries {
		amt := xmlAmount{Ccy: a.Currency, Value: formatMinor(e.AmountMinor, a.Exponent)}
		code := e.BankTxCode
		if code == (BankTransactionCode{}) {
			code = BankTransactionCode{Domain: "PMNT", Family: "RCDT", SubFamily: "OTHR"}
			if e.Direction == Debit {
				code.Family = "ICDT"
			}
		}
		if e.Direction == Credit {
			credits.Add(credits, big.NewInt(e.AmountMinor))
			nCredits++
		} else {
			debits.Add(debits, big.NewInt(e.AmountMinor))
			nDebits++
		}
		ne := camtEntry{
			Amt:         amt,
			CdtDbtInd:   e.Direction,
			Sts:         camtCode{Cd: "BOOK"},
			BookgDt:     camtDate{Dt: formatDate(e.BookingDate)},
			ValDt:       camtDate{Dt: formatDate(e.ValueDate)},
			AcctSvcrRef: e.AcctSvcrRef,
			BkTxCd: camtBankTxCode{Domn: camtDomain{Cd: code.Domain,
				Fmly: camtFamily{Cd: code.Family, SubFmlyCd: code.SubFamily}}},
		}
		refs := camtRefs{MsgID: e.MessageID, InstrID: e.InstrID, EndToEndID: e.EndToEndID, UETR: e.UETR, TxID: e.TxID}
		if refs != (camtRefs{}) || e.CounterpartBIC != "" || len(e.RemittanceInfo) > 0 {
			td := camtTxDetail{Amt: amt, CdtDbtInd: e.Direction}
			if refs != (camtRefs{}) {
				td.Refs = &refs
			}
			if e.CounterpartBIC != "" {
				cp := &camtPartyAgent{Agt: agent(e.CounterpartBIC)}
				if e.Direction == Credit {
					td.RltdPties = &camtParties{Dbtr: cp}
				} else {
					td.RltdPties = &camtParties{Cdtr: cp}
				}
			}
			if len(e.RemittanceInfo) > 0 {
				td.RmtInf = &remittanceInfo{Ustrd: e.RemittanceInfo}
			}
			ne.NtryDtls = &camtEntryDetail{TxDtls: td}
		}
		out.Ntry = append(out.Ntry, ne)
	}
	net, netInd := signedAmount(new(big.Int).Sub(credits, debits), a.Exponent)
	out.TxsSummry = &camtTotals{
		TtlNtries: camtTotalEntries{
			NbOfNtries: strconv.Itoa(nCredits + nDebits),
			Sum:        formatScaled(new(big.Int).Add(credits, debits), a.Exponent),
			TtlNetNtry: camtNetEntry{Amt: net, CdtDbtInd: netInd},
		},
		TtlCdtNtries: camtNumberAndSum{NbOfNtries: strconv.Itoa(nCredits), Sum: formatScaled(credits, a.Exponent)},
		TtlDbtNtries: camtNumberAndSum{NbOfNtries: strconv.Itoa(nDebits), Sum: formatScaled(debits, a.Exponent)},
	}
	return out
}
