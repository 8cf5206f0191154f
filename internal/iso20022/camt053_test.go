package iso20022

import (
	"bytes"
	"encoding/xml"
	"testing"
	"time"

	"bricstown/internal/problem"
)

func sampleStatements(t *testing.T) *StatementMessage {
	d := day(2025, 3, 14)
	return &StatementMessage{
		MsgID:     "BTST-20250314-0001",
		CreatedAt: time.Date(2025, 3, 14, 18, 0, 0, 0, time.UTC),
		Statements: []Statement{
			{
				ID:             "BTST-20250314-KZ1",
				SequenceNumber: 73,
				From:           time.Date(2025, 3, 14, 0, 0, 0, 0, time.UTC),
				To:             time.Date(2025, 3, 14, 23, 59, 59, 0, time.UTC),
				Account: StatementAccount{
					ID:          Account{IBAN: withIBANCheck(t, "KZ", "125KZT5004100100")},
					Currency:    "KZT",
					Exponent:    2,
					OwnerName:   "BT Kazakhstan Bank JSC",
					ServicerBIC: "BTSTKZKA",
				},
				Opening: Balance{AmountMinor: 100000000, Date: d},
				Closing: Balance{AmountMinor: 114739951, Date: d},
				Entries: []Entry{
					{AmountMinor: 15000000, Direction: Credit, BookingDate: d, ValueDate: d,
						AcctSvcrRef: "L-000981", MessageID: "BTKZ-20250314-0001", InstrID: "INSTR-1",
						EndToEndID: "E2E-0001", TxID: "TX-0001", UETR: "3f2b8c1e-9a4d-4e6f-8b1a-2c3d4e5f6a7b",
						CounterpartBIC: "BTRURUMM", RemittanceInfo: []string{"Invoice 2025/117"}},
					{AmountMinor: 250050, Direction: Debit, BookingDate: d, ValueDate: day(2025, 3, 15),
						AcctSvcrRef: "L-000982", EndToEndID: "E2E-0002", CounterpartBIC: "BTCNCNBJ"},
					{AmountMinor: 9999, Direction: Debit, BookingDate: d, ValueDate: d,
						AcctSvcrRef: "L-000983", BankTxCode: BankTransactionCode{"ACMT", "MDOP", "CHRG"}},
				},
			},
			{
				// An overdrawn account that ends the day in credit.
				ID: "BTST-20250314-RU1",
				Account: StatementAccount{
					ID:        Account{Other: "30109810000000000001"},
					Currency:  "RUB",
					Exponent:  2,
					OwnerName: "BT Russia Bank",
				},
				Opening: Balance{AmountMinor: -50000, Date: d},
				Closing: Balance{AmountMinor: 30000, Date: d},
				Entries: []Entry{
					{AmountMinor: 80000, Direction: Credit, BookingDate: d, ValueDate: d, AcctSvcrRef: "L-000984",
						EndToEndID: "BTS-20250314-C003-1"},
				},
			},
			{
				// A quiet day: no entries, zero balance.
				ID: "BTST-20250314-CN1",
				Account: StatementAccount{
					ID: Account{Other: "CN-0001"}, Currency: "CNY", Exponent: 2, OwnerName: "BT China Bank",
				},
				Opening: Balance{Date: d},
				Closing: Balance{Date: d},
			},
		},
	}
}

func TestWriteCamt053(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteCamt053(&buf, sampleStatements(t)); err != nil {
		t.Fatal(err)
	}
	validateXSD(t, "camt.053.001.08.xsd", buf.Bytes())

	var doc camt053Document
	if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Msg.Stmt) != 3 {
		t.Fatalf("%d statements", len(doc.Msg.Stmt))
	}
	s := doc.Msg.Stmt[0]
	if s.ElctrncSeqNb != "73" || s.Acct.Ccy != "KZT" || s.Acct.Ownr.Nm != "BT Kazakhstan Bank JSC" {
		t.Errorf("statement header %+v", s)
	}
	wantBal := []struct {
		code, amt string
		ind       CreditDebit
	}{
		{"OPBD", "1000000.00", Credit}, {"CLBD", "1147399.51", Credit},
	}
	for i, w := range wantBal {
		b := s.Bal[i]
		if b.Tp.CdOrPrtry.Cd != w.code || b.Amt.Value != w.amt || b.Amt.Ccy != "KZT" || b.CdtDbtInd != w.ind || b.Dt.Dt != "2025-03-14" {
			t.Errorf("balance %d = %+v", i, b)
		}
	}
	e := s.Ntry[0]
	if e.Amt.Value != "150000.00" || e.CdtDbtInd != Credit || e.Sts.Cd != "BOOK" || e.AcctSvcrRef != "L-000981" ||
		e.BkTxCd.Domn.Cd != "PMNT" || e.BkTxCd.Domn.Fmly.Cd != "RCDT" ||
		e.NtryDtls == nil || e.NtryDtls.TxDtls.Refs.EndToEndID != "E2E-0001" ||
		e.NtryDtls.TxDtls.RltdPties.Dbtr.Agt.FinInstnID.BICFI != "BTRURUMM" {
		t.Errorf("entry 1 = %+v", e)
	}
	if e := s.Ntry[1]; e.BkTxCd.Domn.Fmly.Cd != "ICDT" || e.ValDt.Dt != "2025-03-15" ||
		e.NtryDtls.TxDtls.RltdPties.Cdtr.Agt.FinInstnID.BICFI != "BTCNCNBJ" {
		t.Errorf("entry 2 = %+v", e)
	}
	if e := s.Ntry[2]; e.NtryDtls != nil || e.BkTxCd.Domn.Cd != "ACMT" {
		t.Errorf("entry 3 = %+v", e)
	}
	sum := s.TxsSummry
	if sum.TtlNtries.NbOfNtries != "3" || sum.TtlNtries.Sum != "152600.49" ||
		sum.TtlNtries.TtlNetNtry.Amt != "147399.51" || sum.TtlNtries.TtlNetNtry.CdtDbtInd != Credit ||
		sum.TtlCdtNtries.Sum != "150000.00" || sum.TtlDbtNtries.NbOfNtries != "2" {
		t.Errorf("summary %+v", sum)
	}
	ru := doc.Msg.Stmt[1]
	if ru.Bal[0].CdtDbtInd != Debit || ru.Bal[0].Amt.Value != "500.00" || ru.Bal[1].CdtDbtInd != Credit {
		t.Errorf("overdrawn balances %+v", ru.Bal)
	}
	if cn := doc.Msg.Stmt[2]; cn.Bal[0].Amt.Value != "0.00" || cn.Bal[0].CdtDbtInd != Credit || len(cn.Ntry) != 0 {
		t.Errorf("quiet statement %+v", cn)
	}
}

func TestWriteCamt053Refusals(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edit  func(m *StatementMessage)
		field string
	}{
		{"no statements", func(m *StatementMessage) { m.Statements = nil }, "Stmt"},
		{"closing does not add up", func(m *StatementMessage) { m.Statements[0].Closing.AmountMinor++ }, "Stmt[1]/Bal[2]/Amt"},
		{"entry of zero", func(m *StatementMessage) { m.Statements[1].Entries[0].AmountMinor = 0 }, "Stmt[2]/Ntry[1]/Amt"},
		{"unknown direction", func(m *StatementMessage) { m.Statements[0].Entries[1].Direction = "DR" }, "Stmt[1]/Ntry[2]/CdtDbtInd"},
		{"bad servicer reference", func(m *StatementMessage) { m.Statements[0].Entries[1].AcctSvcrRef = "L 1" }, "Stmt[1]/Ntry[2]/AcctSvcrRef"},
		{"missing booking date", func(m *StatementMessage) { m.Statements[0].Entries[0].BookingDate = time.Time{} }, "Stmt[1]/Ntry[1]/BookgDt/Dt"},
		{"missing owner", func(m *StatementMessage) { m.Statements[1].Account.OwnerName = " " }, "Stmt[2]/Acct/Ownr/Nm"},
		{"both account ids", func(m *StatementMessage) { m.Statements[1].Account.ID.IBAN = "KZ86125KZT5004100100" }, "Stmt[2]/Acct/Id"},
		{"no account id", func(m *StatementMessage) { m.Statements[1].Account.ID = Account{} }, "Stmt[2]/Acct/Id"},
		{"bad currency", func(m *StatementMessage) { m.Statements[1].Account.Currency = "RUR1" }, "Stmt[2]/Acct/Ccy"},
		{"bad UETR", func(m *StatementMessage) { m.Statements[0].Entries[0].UETR = "3F2B8C1E-9A4D-4E6F-8B1A-2C3D4E5F6A7B" }, "Stmt[1]/Ntry[1]/NtryDtls/TxDtls/Refs/UETR"},
		{"bad transaction code", func(m *StatementMessage) { m.Statements[0].Entries[2].BankTxCode.SubFamily = "charges" }, "Stmt[1]/Ntry[3]/BkTxCd/Domn"},
		{"period ends before it starts", func(m *StatementMessage) {
			s := &m.Statements[0]
			s.From, s.To = s.To, s.From
		}, "Stmt[1]/FrToDt/ToDtTm"},
		{"period without end", func(m *StatementMessage) { m.Statements[0].To = time.Time{} }, "Stmt[1]/FrToDt/ToDtTm"},
		{"missing statement id", func(m *StatementMessage) { m.Statements[2].ID = "" }, "Stmt[3]/Id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := sampleStatements(t)
			tc.edit(m)
			var buf bytes.Buffer
			pe := problemOf(t, WriteCamt053(&buf, m), problem.Invalid)
			if _, ok := pe.Fields[tc.field]; !ok {
				t.Fatalf("no fault at %q: %v", tc.field, pe.Fields)
			}
			if buf.Len() != 0 {
				t.Fatal("refused statement was partly written")
			}
		})
	}
}
