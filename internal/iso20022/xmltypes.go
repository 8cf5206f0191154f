package iso20022

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
)

// XML namespaces of the supported message versions. A document in any other
// version is refused rather than guessed at: field meanings move between
// versions.
const (
	NamespacePacs008 = "urn:iso:std:iso:20022:tech:xsd:pacs.008.001.09"
	NamespacePacs009 = "urn:iso:std:iso:20022:tech:xsd:pacs.009.001.09"
	NamespaceCamt053 = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"
)

// The structs below mirror the schema types the platform uses, in schema
// element order (encoding/xml writes fields in declaration order and the
// schemas are sequences). Optional values whose presence matters are
// pointers so that an empty element can be told from a missing one.

type xmlAmount struct {
	Ccy   string `xml:"Ccy,attr"`
	Value string `xml:",chardata"`
}

type groupHeader93 struct {
	MsgID             string                  `xml:"MsgId"`
	CreDtTm           string                  `xml:"CreDtTm"`
	NbOfTxs           string                  `xml:"NbOfTxs"`
	CtrlSum           *string                 `xml:"CtrlSum,omitempty"`
	TtlIntrBkSttlmAmt *xmlAmount              `xml:"TtlIntrBkSttlmAmt,omitempty"`
	IntrBkSttlmDt     *string                 `xml:"IntrBkSttlmDt,omitempty"`
	SttlmInf          *settlementInstruction7 `xml:"SttlmInf"`
}

type settlementInstruction7 struct {
	SttlmMtd string                `xml:"SttlmMtd"`
	ClrSys   *clearingSystemChoice `xml:"ClrSys,omitempty"`
}

type clearingSystemChoice struct {
	Prtry string `xml:"Prtry"`
}

type paymentID13 struct {
	InstrID    *string `xml:"InstrId,omitempty"`
	EndToEndID string  `xml:"EndToEndId"`
	TxID       *string `xml:"TxId,omitempty"`
	UETR       *string `xml:"UETR,omitempty"`
}

type finInstnID18 struct {
	BICFI string `xml:"BICFI,omitempty"`
}

type branchAndFinInstnID6 struct {
	FinInstnID finInstnID18 `xml:"FinInstnId"`
}

func agent(bic string) *branchAndFinInstnID6 {
	return &branchAndFinInstnID6{FinInstnID: finInstnID18{BICFI: bic}}
}

type partyID135 struct {
	Nm string `xml:"Nm,omitempty"`
}

type genericAccountID1 struct {
	ID string `xml:"Id"`
}

type accountID4Choice struct {
	IBAN *string            `xml:"IBAN,omitempty"`
	Othr *genericAccountID1 `xml:"Othr,omitempty"`
}

type cashAccount38 struct {
	ID *accountID4Choice `xml:"Id"`
}

type remittanceInfo struct {
	Ustrd []string `xml:"Ustrd"`
}

func accountXML(a Account) *accountID4Choice {
	if a.IBAN != "" {
		return &accountID4Choice{IBAN: &a.IBAN}
	}
	return &accountID4Choice{Othr: &genericAccountID1{ID: a.Other}}
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// writeDocument renders doc completely before touching w, so a failure
// never leaves half a message behind.
func writeDocument(w io.Writer, doc any) error {
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("iso20022: encode: %w", err)
	}
	buf.WriteByte('\n')
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("iso20022: write: %w", err)
	}
	return nil
}
