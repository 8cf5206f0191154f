package iso20022

import (
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"time"

	"bricstown/internal/problem"
)

// DefaultClearingSystem is the proprietary clearing-system name written in
// SttlmInf/ClrSys/Prtry when a cycle does not name one. There is no ISO
// external code for the BRICS Town platform, so a proprietary value is the
// honest choice.
const DefaultClearingSystem = "BRICSTOWN"

// SettlementCycle is everything one pacs.009 message reports: the transfers
// that settle a closed cycle between participant banks. One cycle, one
// message, so a bank reconciles a cycle by a single MsgId.
type SettlementCycle struct {
	// MsgID identifies the message for its whole life; re-exporting the same
	// cycle must reuse it so that receivers can discard the duplicate.
	// Platform reference format (package comment), e.g. "BTS-20250314-C003".
	MsgID     string
	CreatedAt time.Time
	// ClearingSystem names the clearing system in SttlmInf/ClrSys/Prtry;
	// empty means DefaultClearingSystem.
	ClearingSystem string
	Transfers      []SettlementTransfer
}

// SettlementTransfer moves AmountMinor of Currency from one participant to
// another on SettlementDate. Both banks are identified by BIC because that is
// what their back offices key settlement accounts on.
type SettlementTransfer struct {
	FromBIC        string // Dbtr: the bank whose settlement account is debited
	ToBIC          string // Cdtr: the bank whose settlement account is credited
	AmountMinor    int64
	Currency       string
	Exponent       int
	SettlementDate time.Time // calendar date in the value's own location
	EndToEndID     string    // platform reference, unique within the cycle
	TxID           string    // platform reference, unique within the cycle
}

type pacs009Document struct {
	XMLName xml.Name    `xml:"urn:iso:std:iso:20022:tech:xsd:pacs.009.001.09 Document"`
	Msg     pacs009Body `xml:"FICdtTrf"`
}

type pacs009Body struct {
	GrpHdr      *groupHeader93       `xml:"GrpHdr"`
	CdtTrfTxInf []creditTransferTx44 `xml:"CdtTrfTxInf"`
}

type creditTransferTx44 struct {
	PmtID          *paymentID13          `xml:"PmtId"`
	IntrBkSttlmAmt *xmlAmount            `xml:"IntrBkSttlmAmt"`
	IntrBkSttlmDt  *string               `xml:"IntrBkSttlmDt,omitempty"`
	Dbtr           *branchAndFinInstnID6 `xml:"Dbtr"`
	Cdtr           *branchAndFinInstnID6 `xml:"Cdtr"`
}

// WritePacs009 renders a settlement cycle as one pacs.009.001.09 message
// with one CdtTrfTxInf per transfer.
//
// Settlement method is CLRG with ClrSys/Prtry naming the platform: the
// platform is the clearing system and settles on its own books, so neither
// INDA (settlement by the instructed agent) nor INGA describes it, and with
// CLRG the schema rules forbid a SttlmAcct, which the platform does not
// need. GrpHdr carries NbOfTxs and an exact CtrlSum (sum of all amounts
// irrespective of currency, as ISO 20022 defines it); TtlIntrBkSttlmAmt is
// omitted so that a cycle may mix currencies. Each transaction carries its
// own IntrBkSttlmDt.
//
// Nothing is written unless every transfer is valid; the *problem.Error
// names faults by the element path they would have had.
func WritePacs009(w io.Writer, c *SettlementCycle) error {
	if c == nil {
		return problem.New(problem.Invalid, "no settlement cycle to write")
	}
	errs := newFieldErrs()
	if msg := checkPlatformRef(c.MsgID); msg != "" {
		errs.add("GrpHdr/MsgId", msg)
	}
	if msg := checkDateTime(c.CreatedAt); msg != "" {
		errs.add("GrpHdr/CreDtTm", msg)
	}
	clrSys := c.ClearingSystem
	if clrSys == "" {
		clrSys = DefaultClearingSystem
	}
	if msg := checkID(clrSys, 35); msg != "" {
		errs.add("GrpHdr/SttlmInf/ClrSys/Prtry", msg)
	}
	if len(c.Transfers) == 0 {
		errs.add("CdtTrfTxInf", "a cycle without transfers has no pacs.009")
	}
	e2e, txids := map[string]int{}, map[string]int{}
	var sum amountSum
	sumOK := true
	for i, t := range c.Transfers {
		p := fmt.Sprintf("CdtTrfTxInf[%d]", i+1)
		if msg := checkPlatformRef(t.EndToEndID); msg != "" {
			errs.add(p+"/PmtId/EndToEndId", msg)
		} else {
			unique(p+"/PmtId/EndToEndId", "EndToEndId", t.EndToEndID, i, e2e, errs)
		}
		if msg := checkPlatformRef(t.TxID); msg != "" {
			errs.add(p+"/PmtId/TxId", msg)
		} else {
			unique(p+"/PmtId/TxId", "TxId", t.TxID, i, txids, errs)
		}
		if msg := checkAmount(Amount{Currency: t.Currency, Minor: t.AmountMinor, Exponent: t.Exponent}); msg != "" {
			errs.add(p+"/IntrBkSttlmAmt", msg)
			sumOK = false
		} else {
			sum.add(t.AmountMinor, t.Exponent)
		}
		if msg := checkDate(t.SettlementDate); msg != "" {
			errs.add(p+"/IntrBkSttlmDt", msg)
		}
		if msg := checkBIC(t.FromBIC); msg != "" {
			errs.add(p+"/Dbtr/FinInstnId/BICFI", msg)
		}
		if msg := checkBIC(t.ToBIC); msg != "" {
			errs.add(p+"/Cdtr/FinInstnId/BICFI", msg)
		} else if t.ToBIC == t.FromBIC {
			errs.add(p+"/Cdtr/FinInstnId/BICFI", "a bank cannot settle with itself")
		}
	}
	total, scale := sum.total()
	if sumOK && scaledTotalDigits(total, scale) > maxTotalDigits {
		errs.addf("GrpHdr/CtrlSum", "the sum of all amounts needs more than %d digits", maxTotalDigits)
	}
	if err := errs.err("pacs.009 not written"); err != nil {
		return err
	}

	ctrl := formatScaled(total, scale)
	doc := pacs009Document{Msg: pacs009Body{
		GrpHdr: &groupHeader93{
			MsgID:   c.MsgID,
			CreDtTm: formatDateTime(c.CreatedAt),
			NbOfTxs: strconv.Itoa(len(c.Transfers)),
			CtrlSum: &ctrl,
			SttlmInf: &settlementInstruction7{
				SttlmMtd: SettlementMethodCLRG,
				ClrSys:   &clearingSystemChoice{Prtry: clrSys},
			},
		},
	}}
	for _, t := range c.Transfers {
		doc.Msg.CdtTrfTxInf = append(doc.Msg.CdtTrfTxInf, creditTransferTx44{
			PmtID:          &paymentID13{EndToEndID: t.EndToEndID, TxID: optional(t.TxID)},
			IntrBkSttlmAmt: &xmlAmount{Ccy: t.Currency, Value: formatMinor(t.AmountMinor, t.Exponent)},
			IntrBkSttlmDt:  optional(formatDate(t.SettlementDate)),
			Dbtr:           agent(t.FromBIC),
			Cdtr:           agent(t.ToBIC),
		})
	}
	return writeDocument(w, doc)
}
