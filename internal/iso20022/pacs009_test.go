package iso20022

import (
	"bytes"
	"encoding/xml"
	"testing"
	"time"

	"bricstown/internal/problem"
)

func sampleCycle() *SettlementCycle {
	d := day(2025, 3, 14)
	return &SettlementCycle{
		MsgID:     "BTS-20250314-C003",
		CreatedAt: time.Date(2025, 3, 14, 12, 0, 0, 0, time.FixedZone("ALMT", 5*3600)),
		Transfers: []SettlementTransfer{
			{FromBIC: "BTKZKZKAXXX", ToBIC: "BTRURUMM", AmountMinor: 150000000, Currency: "KZT", Exponent: 2,
				SettlementDate: d, EndToEndID: "BTS-20250314-C003-1", TxID: "C003-1"},
			{FromBIC: "BTRURUMM", ToBIC: "BTCNCNBJ", AmountMinor: 5, Currency: "KZT", Exponent: 2,
				SettlementDate: d, EndToEndID: "BTS-20250314-C003-2", TxID: "C003-2"},
			{FromBIC: "BTCNCNBJ", ToBIC: "BTJPJPJT", AmountMinor: 1250000, Currency: "JPY", Exponent: 0,
				SettlementDate: d, EndToEndID: "BTS-20250314-C003-3", TxID: "C003-3"},
		},
	}
}

func TestWritePacs009(t *testing.T) {
	var buf bytes.Buffer
	if err := WritePacs009(&buf, sampleCycle()); err != nil {
		t.Fatal(err)
	}
	validateXSD(t, "pacs.009.001.09.xsd", buf.Bytes())

	var doc pacs009Document
	if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.XMLName.Space != NamespacePacs009 {
		t.Errorf("namespace %q", doc.XMLName.Space)
	}
	gh := doc.Msg.GrpHdr
	if gh.MsgID != "BTS-20250314-C003" || gh.NbOfTxs != "3" || gh.CreDtTm != "2025-03-14T07:00:00Z" {
		t.Errorf("group header %+v", gh)
	}
	// 1500000.00 + 0.05 + 1250000 irrespective of currency.
	if gh.CtrlSum == nil || *gh.CtrlSum != "2750000.05" {
		t.Errorf("CtrlSum = %v, want 2750000.05", gh.CtrlSum)
	}
	if gh.SttlmInf.SttlmMtd != "CLRG" || gh.SttlmInf.ClrSys == nil || gh.SttlmInf.ClrSys.Prtry != DefaultClearingSystem {
		t.Errorf("settlement info %+v", gh.SttlmInf)
	}
	want := []struct{ ccy, amt, from, to, e2e string }{
		{"KZT", "1500000.00", "BTKZKZKAXXX", "BTRURUMM", "BTS-20250314-C003-1"},
		{"KZT", "0.05", "BTRURUMM", "BTCNCNBJ", "BTS-20250314-C003-2"},
		{"JPY", "1250000", "BTCNCNBJ", "BTJPJPJT", "BTS-20250314-C003-3"},
	}
	for i, w := range want {
		tx := doc.Msg.CdtTrfTxInf[i]
		if tx.IntrBkSttlmAmt.Ccy != w.ccy || tx.IntrBkSttlmAmt.Value != w.amt ||
			tx.Dbtr.FinInstnID.BICFI != w.from || tx.Cdtr.FinInstnID.BICFI != w.to ||
			tx.PmtID.EndToEndID != w.e2e || *tx.IntrBkSttlmDt != "2025-03-14" {
			t.Errorf("transaction %d: %+v %+v", i+1, tx.IntrBkSttlmAmt, tx.PmtID)
		}
	}
}

func TestWritePacs009ClearingSystemOverride(t *testing.T) {
	c := sampleCycle()
	c.ClearingSystem = "BRICSTOWN-KZT"
	var buf bytes.Buffer
	if err := WritePacs009(&buf, c); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(buf.Bytes(), []byte("<Prtry>BRICSTOWN-KZT</Prtry>")) {
		t.Fatalf("clearing system not written:\n%s", buf.Bytes())
	}
}

func TestWritePacs009Refusals(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edit  func(c *SettlementCycle)
		field string
	}{
		{"no transfers", func(c *SettlementCycle) { c.Transfers = nil }, "CdtTrfTxInf"},
		{"message id with space", func(c *SettlementCycle) { c.MsgID = "BTS 1" }, "GrpHdr/MsgId"},
		{"message id too long", func(c *SettlementCycle) { c.MsgID = "BTS-0123456789-0123456789-0123456789" }, "GrpHdr/MsgId"},
		{"no creation time", func(c *SettlementCycle) { c.CreatedAt = time.Time{} }, "GrpHdr/CreDtTm"},
		{"bad from BIC", func(c *SettlementCycle) { c.Transfers[1].FromBIC = "BTRU" }, "CdtTrfTxInf[2]/Dbtr/FinInstnId/BICFI"},
		{"self transfer", func(c *SettlementCycle) { c.Transfers[1].ToBIC = c.Transfers[1].FromBIC }, "CdtTrfTxInf[2]/Cdtr/FinInstnId/BICFI"},
		{"zero amount", func(c *SettlementCycle) { c.Transfers[2].AmountMinor = 0 }, "CdtTrfTxInf[3]/IntrBkSttlmAmt"},
		{"negative amount", func(c *SettlementCycle) { c.Transfers[2].AmountMinor = -1 }, "CdtTrfTxInf[3]/IntrBkSttlmAmt"},
		{"exponent too large", func(c *SettlementCycle) { c.Transfers[2].Exponent = 6 }, "CdtTrfTxInf[3]/IntrBkSttlmAmt"},
		{"lower-case currency", func(c *SettlementCycle) { c.Transfers[2].Currency = "jpy" }, "CdtTrfTxInf[3]/IntrBkSttlmAmt"},
		{"amount over 18 digits", func(c *SettlementCycle) {
			c.Transfers[0].AmountMinor = 1234567890123456789
		}, "CdtTrfTxInf[1]/IntrBkSttlmAmt"},
		{"control sum over 18 digits", func(c *SettlementCycle) {
			c.Transfers[0].AmountMinor = 999999999999999999
			c.Transfers[1].AmountMinor = 999999999999999999
		}, "GrpHdr/CtrlSum"},
		{"duplicate end-to-end id", func(c *SettlementCycle) { c.Transfers[2].EndToEndID = c.Transfers[0].EndToEndID }, "CdtTrfTxInf[3]/PmtId/EndToEndId"},
		{"duplicate tx id", func(c *SettlementCycle) { c.Transfers[2].TxID = c.Transfers[1].TxID }, "CdtTrfTxInf[3]/PmtId/TxId"},
		{"missing tx id", func(c *SettlementCycle) { c.Transfers[0].TxID = "" }, "CdtTrfTxInf[1]/PmtId/TxId"},
		{"tx id with double slash", func(c *SettlementCycle) { c.Transfers[0].TxID = "C003//1" }, "CdtTrfTxInf[1]/PmtId/TxId"},
		{"no settlement date", func(c *SettlementCycle) { c.Transfers[0].SettlementDate = time.Time{} }, "CdtTrfTxInf[1]/IntrBkSttlmDt"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := sampleCycle()
			tc.edit(c)
			var buf bytes.Buffer
			err := WritePacs009(&buf, c)
			pe := problemOf(t, err, problem.Invalid)
			if _, ok := pe.Fields[tc.field]; !ok {
				t.Fatalf("no fault at %q: %v", tc.field, pe.Fields)
			}
			if buf.Len() != 0 {
				t.Fatal("refused cycle was partly written")
			}
		})
	}
	problemOf(t, WritePacs009(&bytes.Buffer{}, nil), problem.Invalid)
}
