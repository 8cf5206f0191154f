package iso20022

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"bricstown/internal/problem"
)

func readFixture(t testing.TB) string {
	t.Helper()
	b, err := os.ReadFile("testdata/pacs008/valid.xml")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestParsePacs008Fixture(t *testing.T) {
	fixture := readFixture(t)
	validateXSD(t, "pacs.008.001.09.xsd", []byte(fixture))

	m, err := ParsePacs008(strings.NewReader(fixture), testExponent)
	if err != nil {
		t.Fatal(err)
	}
	want := &Pacs008Message{
		MsgID:            "BTKZ-20250314-0001",
		CreatedAt:        time.Date(2025, 3, 14, 4, 30, 0, 0, time.UTC),
		SettlementMethod: "CLRG",
		Instructions: []PaymentInstruction{
			{
				InstrID: "INSTR-1", EndToEndID: "E2E-0001", TxID: "TX-0001",
				UETR:           "3f2b8c1e-9a4d-4e6f-8b1a-2c3d4e5f6a7b",
				Amount:         Amount{Value: "150000.00", Currency: "KZT", Minor: 15000000, Exponent: 2},
				SettlementDate: day(2025, 3, 14),
				ChargeBearer:   "SHAR",
				Debtor:         Party{Name: "Astana Grain LLP", Account: Account{IBAN: "KZ86125KZT5004100100"}},
				DebtorAgentBIC: "BTKZKZKAXXX", CreditorAgentBIC: "BTKAKZKA",
				Creditor:       Party{Name: "Almaty Logistics JSC", Account: Account{IBAN: "KZ90601A861000000123"}},
				RemittanceInfo: []string{"Invoice 2025/117", "Contract AG-44"},
			},
			{
				EndToEndID:       "E2E-0002",
				Amount:           Amount{Value: "2500.5", Currency: "KZT", Minor: 250050, Exponent: 2},
				SettlementDate:   day(2025, 3, 14),
				InstructedAmount: &Amount{Value: "480.00", Currency: "RUB", Minor: 48000, Exponent: 2},
				ExchangeRate:     "5.2094",
				ChargeBearer:     "DEBT",
				Debtor:           Party{Name: "Kostanay Agro", Account: Account{Other: "40702810900000001234"}},
				DebtorAgentBIC:   "BTKZKZKA", CreditorAgentBIC: "BTRURUMM",
				Creditor: Party{Name: "ООО Омск Трейд"},
			},
			{
				EndToEndID:     "E2E-0003",
				Amount:         Amount{Value: "99.99", Currency: "KZT", Minor: 9999, Exponent: 2},
				SettlementDate: day(2025, 3, 14),
				ChargeBearer:   "SLEV",
				Debtor:         Party{Name: "Shymkent Textiles"},
				DebtorAgentBIC: "BTKZKZKA", CreditorAgentBIC: "BTCNCNBJ",
				Creditor: Party{Name: "Urumqi Trading Co"},
			},
		},
	}
	if diff := diffPacs008(want, m, false); diff != "" {
		t.Fatal(diff)
	}
}

// sampleMessage mixes currencies with exponents 2, 0 and 3 and uses every
// optional field the flat form has.
func sampleMessage(t testing.TB) *Pacs008Message {
	return &Pacs008Message{
		MsgID:            "BTKZ-20250314-0002",
		CreatedAt:        time.Date(2025, 3, 14, 4, 30, 0, 123000000, time.UTC),
		SettlementMethod: SettlementMethodCLRG,
		Instructions: []PaymentInstruction{
			{
				InstrID: "I-1", EndToEndID: "E2E-1", TxID: "TX-1",
				UETR:           "0f8fad5b-d9cb-469f-a165-70867728950e",
				Amount:         Amount{Currency: "KZT", Minor: 15000000, Exponent: 2},
				SettlementDate: day(2025, 3, 14),
				ChargeBearer:   ChargeBearerSHAR,
				Debtor:         Party{Name: "Astana Grain LLP", Account: Account{IBAN: withIBANCheck(t, "KZ", "125KZT5004100100")}},
				DebtorAgentBIC: "BTKZKZKAXXX", CreditorAgentBIC: "BTRURUMM",
				Creditor:       Party{Name: "ООО Омск Трейд", Account: Account{Other: "40702810900000001234"}},
				RemittanceInfo: []string{"Invoice 2025/117 & <co> \"quoted\"", "second line"},
			},
			{
				EndToEndID:       "E2E-2",
				Amount:           Amount{Currency: "JPY", Minor: 1250000, Exponent: 0},
				SettlementDate:   day(2025, 3, 17),
				InstructedAmount: &Amount{Currency: "KZT", Minor: 4100000, Exponent: 2},
				ExchangeRate:     "0.0328",
				ChargeBearer:     ChargeBearerDEBT,
				Debtor:           Party{Name: "Shymkent Textiles"},
				DebtorAgentBIC:   "BTKZKZKA", CreditorAgentBIC: "BTJPJPJT",
				Creditor: Party{Name: "Osaka Machines KK"},
			},
			{
				EndToEndID:     "E2E-3",
				TxID:           "TX-3",
				Amount:         Amount{Currency: "KWD", Minor: 1005, Exponent: 3},
				SettlementDate: day(2025, 3, 14),
				ChargeBearer:   ChargeBearerSLEV,
				Debtor:         Party{Name: "Aktau Port"},
				DebtorAgentBIC: "BTKZKZKA", CreditorAgentBIC: "BTKWKWKW",
				Creditor: Party{Name: "Kuwait Shipping"},
			},
		},
	}
}

func TestPacs008RoundTrip(t *testing.T) {
	m := sampleMessage(t)
	var buf bytes.Buffer
	if err := WritePacs008(&buf, m); err != nil {
		t.Fatal(err)
	}
	first := append([]byte(nil), buf.Bytes()...)
	validateXSD(t, "pacs.008.001.09.xsd", first)
	if !bytes.Contains(first, []byte("<CtrlSum>1400001.005</CtrlSum>")) {
		t.Errorf("control sum not written exactly:\n%s", first)
	}
	if !bytes.Contains(first, []byte(`<IntrBkSttlmAmt Ccy="KWD">1.005</IntrBkSttlmAmt>`)) {
		t.Errorf("KWD amount not written with 3 decimals:\n%s", first)
	}

	got, err := ParsePacs008(&buf, testExponent)
	if err != nil {
		t.Fatal(err)
	}
	if diff := diffPacs008(m, got, true); diff != "" {
		t.Fatal(diff)
	}
	var again bytes.Buffer
	if err := WritePacs008(&again, got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first, again.Bytes()) {
		t.Fatalf("re-serialisation differs:\n%s\n---\n%s", first, again.Bytes())
	}
}

// diffPacs008 compares two messages. With canonicalValues, Amount.Value is
// compared in its canonical form (what the writer emits) because the writer
// works from minor units.
func diffPacs008(want, got *Pacs008Message, canonicalValues bool) string {
	w, g := clonePacs008(want), clonePacs008(got)
	if !w.CreatedAt.Equal(g.CreatedAt) {
		return "CreatedAt: got " + g.CreatedAt.String() + ", want " + w.CreatedAt.String()
	}
	w.CreatedAt, g.CreatedAt = time.Time{}, time.Time{}
	for _, m := range []*Pacs008Message{w, g} {
		for i := range m.Instructions {
			pi := &m.Instructions[i]
			if canonicalValues {
				pi.Amount.Value = formatMinor(pi.Amount.Minor, pi.Amount.Exponent)
				if pi.InstructedAmount != nil {
					pi.InstructedAmount.Value = formatMinor(pi.InstructedAmount.Minor, pi.InstructedAmount.Exponent)
				}
			}
		}
	}
	if len(w.Instructions) != len(g.Instructions) {
		return "number of instructions differs"
	}
	for i := range w.Instructions {
		if !reflect.DeepEqual(w.Instructions[i], g.Instructions[i]) {
			return fmt.Sprintf("instruction %d", i+1) + " differs:\n got  " + sprint(g.Instructions[i]) + "\n want " + sprint(w.Instructions[i])
		}
	}
	w.Instructions, g.Instructions = nil, nil
	if !reflect.DeepEqual(w, g) {
		return "header differs:\n got  " + sprint(*g) + "\n want " + sprint(*w)
	}
	return ""
}

func clonePacs008(m *Pacs008Message) *Pacs008Message {
	c := *m
	c.Instructions = make([]PaymentInstruction, len(m.Instructions))
	for i, pi := range m.Instructions {
		if pi.InstructedAmount != nil {
			ia := *pi.InstructedAmount
			pi.InstructedAmount = &ia
		}
		c.Instructions[i] = pi
	}
	return &c
}

func sprint(v any) string { return fmt.Sprintf("%+v", v) }

type refusal struct {
	name        string
	edit        func(t testing.TB, doc string) string
	code        problem.Code
	field       string
	msg         string // substring expected in the field's message
	schemaValid bool   // xmllint accepts it: the rule is the platform's, not the schema's
}

// replace edits the fixture and fails if the edit does not apply, so a
// fixture change cannot silently turn a refusal test into a no-op.
func replace(old, new string) func(t testing.TB, doc string) string {
	return func(t testing.TB, doc string) string {
		t.Helper()
		if !strings.Contains(doc, old) {
			t.Fatalf("fixture does not contain %q", old)
		}
		return strings.Replace(doc, old, new, 1)
	}
}

func refusals() []refusal {
	return []refusal{
		{name: "wrong namespace", edit: replace(`pacs.008.001.09">`, `pacs.008.001.08">`),
			code: problem.Invalid, field: "Document", msg: "expected Document in namespace urn:iso:std:iso:20022:tech:xsd:pacs.008.001.09"},
		{name: "wrong message element", edit: func(t testing.TB, doc string) string {
			return strings.ReplaceAll(doc, "FIToFICstmrCdtTrf>", "FICdtTrf>")
		}, code: problem.Invalid, field: "Document", msg: "exactly one FIToFICstmrCdtTrf"},
		{name: "bad control sum", edit: replace("<CtrlSum>152600.49</CtrlSum>", "<CtrlSum>152600.50</CtrlSum>"),
			code: problem.Invalid, field: "GrpHdr/CtrlSum", msg: "does not match the sum of the transaction amounts 152600.49", schemaValid: true},
		{name: "bad number of transactions", edit: replace("<NbOfTxs>3</NbOfTxs>", "<NbOfTxs>4</NbOfTxs>"),
			code: problem.Invalid, field: "GrpHdr/NbOfTxs", msg: "says 4 transactions, the file has 3", schemaValid: true},
		{name: "bad total amount", edit: replace(`<TtlIntrBkSttlmAmt Ccy="KZT">152600.49`, `<TtlIntrBkSttlmAmt Ccy="KZT">152600.48`),
			code: problem.Invalid, field: "GrpHdr/TtlIntrBkSttlmAmt", msg: "does not match", schemaValid: true},
		{name: "too many decimals", edit: replace(`Ccy="KZT">99.99<`, `Ccy="KZT">99.990<`),
			code: problem.Invalid, field: "CdtTrfTxInf[3]/IntrBkSttlmAmt", msg: "amount has 3 decimals, KZT allows 2", schemaValid: true},
		{name: "unknown currency", edit: replace(`Ccy="KZT">99.99<`, `Ccy="XYZ">99.99<`),
			code: problem.Invalid, field: "CdtTrfTxInf[3]/IntrBkSttlmAmt", msg: "currency XYZ is not known", schemaValid: true},
		{name: "zero amount", edit: replace(`Ccy="KZT">99.99<`, `Ccy="KZT">0.00<`),
			code: problem.Invalid, field: "CdtTrfTxInf[3]/IntrBkSttlmAmt", msg: "must be positive", schemaValid: true},
		{name: "negative amount", edit: replace(`Ccy="KZT">99.99<`, `Ccy="KZT">-99.99<`),
			code: problem.Invalid, field: "CdtTrfTxInf[3]/IntrBkSttlmAmt", msg: "must be positive"},
		{name: "amount not a number", edit: replace(`Ccy="KZT">99.99<`, `Ccy="KZT">99,99<`),
			code: problem.Invalid, field: "CdtTrfTxInf[3]/IntrBkSttlmAmt", msg: "not a decimal amount"},
		{name: "missing EndToEndId", edit: replace("<EndToEndId>E2E-0002</EndToEndId>", ""),
			code: problem.Invalid, field: "CdtTrfTxInf[2]/PmtId/EndToEndId", msg: "required"},
		{name: "duplicate EndToEndId", edit: replace("<EndToEndId>E2E-0003</EndToEndId>", "<EndToEndId>E2E-0001</EndToEndId>"),
			code: problem.Invalid, field: "CdtTrfTxInf[3]/PmtId/EndToEndId", msg: `"E2E-0001" already used by CdtTrfTxInf[1]`, schemaValid: true},
		{name: "duplicate TxId", edit: replace("<PmtId><EndToEndId>E2E-0003</EndToEndId></PmtId>",
			"<PmtId><EndToEndId>E2E-0003</EndToEndId><TxId>TX-0001</TxId></PmtId>"),
			code: problem.Invalid, field: "CdtTrfTxInf[3]/PmtId/TxId", msg: "already used by CdtTrfTxInf[1]", schemaValid: true},
		{name: "missing settlement date", edit: replace("<IntrBkSttlmDt>2025-03-14</IntrBkSttlmDt>\n      <SttlmInf>", "<SttlmInf>"),
			code: problem.Invalid, field: "CdtTrfTxInf[2]/IntrBkSttlmDt", msg: "required here or in GrpHdr/IntrBkSttlmDt"},
		{name: "contradicting settlement dates", edit: replace("<IntrBkSttlmDt>2025-03-14</IntrBkSttlmDt>\n      <ChrgBr>", "<IntrBkSttlmDt>2025-03-15</IntrBkSttlmDt>\n      <ChrgBr>"),
			code: problem.Invalid, field: "CdtTrfTxInf[1]/IntrBkSttlmDt", msg: "contradicts GrpHdr/IntrBkSttlmDt 2025-03-14", schemaValid: true},
		{name: "impossible date", edit: replace("<IntrBkSttlmDt>2025-03-14</IntrBkSttlmDt>\n      <ChrgBr>", "<IntrBkSttlmDt>2025-02-30</IntrBkSttlmDt>\n      <ChrgBr>"),
			code: problem.Invalid, field: "CdtTrfTxInf[1]/IntrBkSttlmDt", msg: "not a date"},
		{name: "bad BIC", edit: replace("<BICFI>BTCNCNBJ</BICFI>", "<BICFI>btcncnbj</BICFI>"),
			code: problem.Invalid, field: "CdtTrfTxInf[3]/CdtrAgt/FinInstnId/BICFI", msg: "not a BIC"},
		{name: "missing creditor agent", edit: replace("<CdtrAgt><FinInstnId><BICFI>BTCNCNBJ</BICFI></FinInstnId></CdtrAgt>", ""),
			code: problem.Invalid, field: "CdtTrfTxInf[3]/CdtrAgt", msg: "required"},
		{name: "IBAN check digits", edit: replace("KZ86125KZT5004100100", "KZ87125KZT5004100100"),
			code: problem.Invalid, field: "CdtTrfTxInf[1]/DbtrAcct/Id", msg: "fails the IBAN check digits", schemaValid: true},
		{name: "instructed amount in other currency without rate", edit: replace("<XchgRate>5.2094</XchgRate>", ""),
			code: problem.Invalid, field: "CdtTrfTxInf[2]/XchgRate", msg: "required", schemaValid: true},
		{name: "missing debtor name", edit: replace("<Nm>Shymkent Textiles</Nm>", ""),
			code: problem.Invalid, field: "CdtTrfTxInf[3]/Dbtr/Nm", msg: "required", schemaValid: true},
		{name: "bad charge bearer", edit: replace("<ChrgBr>SLEV</ChrgBr>", "<ChrgBr>OUR</ChrgBr>"),
			code: problem.Invalid, field: "CdtTrfTxInf[3]/ChrgBr", msg: "not one of"},
		{name: "repeated element", edit: replace("<ChrgBr>SLEV</ChrgBr>", "<ChrgBr>SLEV</ChrgBr><ChrgBr>DEBT</ChrgBr>"),
			code: problem.Invalid, field: "CdtTrfTxInf[3]/ChrgBr[2]", msg: "at most one"},
		{name: "element in foreign namespace", edit: replace("<Nm>Shymkent Textiles</Nm>", `<Nm xmlns="urn:example:other">Shymkent Textiles</Nm>`),
			code: problem.Invalid, field: "CdtTrfTxInf[3]/Dbtr/Nm", msg: "namespace"},
		{name: "missing group header", edit: func(t testing.TB, doc string) string {
			i, j := strings.Index(doc, "<GrpHdr>"), strings.Index(doc, "</GrpHdr>")
			return doc[:i] + doc[j+len("</GrpHdr>"):]
		}, code: problem.Invalid, field: "GrpHdr", msg: "required"},
		{name: "DOCTYPE with external entity", edit: func(t testing.TB, doc string) string {
			doc = replace("?>\n", "?>\n<!DOCTYPE Document [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\n")(t, doc)
			return replace("<Nm>Shymkent Textiles</Nm>", "<Nm>&xxe;</Nm>")(t, doc)
		}, code: problem.Malformed, field: "Document", msg: "DOCTYPE"},
		{name: "undeclared entity", edit: replace("<Nm>Shymkent Textiles</Nm>", "<Nm>Shymkent&nbsp;Textiles</Nm>"),
			code: problem.Malformed, field: "CdtTrfTxInf[3]/Dbtr/Nm", msg: "entity"},
		{name: "truncated", edit: func(t testing.TB, doc string) string {
			i := strings.Index(doc, "ООО Омск")
			return doc[:i+len("ООО Омск")]
		}, code: problem.Malformed, field: "CdtTrfTxInf[2]/Cdtr/Nm", msg: "unexpected EOF"},
		{name: "mismatched end tag", edit: replace("</Dbtr>\n      <DbtrAgt><FinInstnId><BICFI>BTKZKZKA</BICFI></FinInstnId></DbtrAgt>\n      <CdtrAgt><FinInstnId><BICFI>BTCNCNBJ",
			"</Debtor>\n      <DbtrAgt><FinInstnId><BICFI>BTKZKZKA</BICFI></FinInstnId></DbtrAgt>\n      <CdtrAgt><FinInstnId><BICFI>BTCNCNBJ"),
			code: problem.Malformed, field: "CdtTrfTxInf[3]/Dbtr", msg: "closed by"},
		{name: "text after root", edit: func(t testing.TB, doc string) string { return doc + "trailing" },
			code: problem.Malformed, field: "Document", msg: "outside the root"},
		{name: "second root", edit: func(t testing.TB, doc string) string { return doc + "<Document/>" },
			code: problem.Malformed, field: "Document", msg: "more than one root"},
		{name: "not UTF-8", edit: replace(`encoding="UTF-8"`, `encoding="ISO-8859-1"`),
			code: problem.Malformed, field: "Document", msg: "ISO-8859-1"},
		{name: "empty", edit: func(t testing.TB, doc string) string { return "" },
			code: problem.Malformed, field: "Document", msg: "no root element"},
		{name: "too deep", edit: replace("<ext:Batch>A7</ext:Batch>", strings.Repeat("<x>", 70)+strings.Repeat("</x>", 70)),
			code: problem.Invalid, field: "SplmtryData/Envlp/Note" + strings.Repeat("/x", 59), msg: "nested more than"},
	}
}

func TestParsePacs008Refusals(t *testing.T) {
	fixture := readFixture(t)
	for _, tc := range refusals() {
		t.Run(tc.name, func(t *testing.T) {
			doc := tc.edit(t, fixture)
			m, err := ParsePacs008(strings.NewReader(doc), testExponent)
			if err == nil {
				t.Fatalf("accepted: %+v", m)
			}
			if m != nil {
				t.Fatal("refused document returned instructions")
			}
			pe := problemOf(t, err, tc.code)
			msg, ok := pe.Fields[tc.field]
			if !ok {
				t.Fatalf("no fault at %q; faults: %v", tc.field, pe.Fields)
			}
			if !strings.Contains(msg, tc.msg) {
				t.Fatalf("fault at %q = %q, want it to mention %q", tc.field, msg, tc.msg)
			}
			if tc.schemaValid {
				// The platform rule goes beyond the schema: prove the
				// document would pass XSD validation alone.
				validateXSD(t, "pacs.008.001.09.xsd", []byte(doc))
			}
		})
	}
}

func TestParsePacs008ReportsEveryFault(t *testing.T) {
	doc := readFixture(t)
	for _, e := range [][2]string{
		{`Ccy="KZT">99.99<`, `Ccy="KZT">99.990<`},
		{"<EndToEndId>E2E-0002</EndToEndId>", "<EndToEndId>E2E-0001</EndToEndId>"},
		{"<CdtrAgt><FinInstnId><BICFI>BTKAKZKA</BICFI>", "<CdtrAgt><FinInstnId><BICFI>BTKA</BICFI>"},
		{"<NbOfTxs>3</NbOfTxs>", "<NbOfTxs>2</NbOfTxs>"},
	} {
		doc = replace(e[0], e[1])(t, doc)
	}
	_, err := ParsePacs008(strings.NewReader(doc), testExponent)
	pe := problemOf(t, err, problem.Invalid)
	for _, f := range []string{
		"CdtTrfTxInf[3]/IntrBkSttlmAmt",
		"CdtTrfTxInf[2]/PmtId/EndToEndId",
		"CdtTrfTxInf[1]/CdtrAgt/FinInstnId/BICFI",
		"GrpHdr/NbOfTxs",
	} {
		if _, ok := pe.Fields[f]; !ok {
			t.Errorf("missing fault at %s; got %v", f, pe.Fields)
		}
	}
}

func TestParsePacs008CapsFaultList(t *testing.T) {
	m := sampleMessage(t)
	for i := 0; i < 300; i++ {
		pi := m.Instructions[2]
		pi.EndToEndID = "E2E-X" + string(rune('A'+i%26)) + strings.Repeat("9", i/26)
		pi.TxID = ""
		m.Instructions = append(m.Instructions, pi)
	}
	var buf bytes.Buffer
	if err := WritePacs008(&buf, m); err != nil {
		t.Fatal(err)
	}
	doc := strings.ReplaceAll(buf.String(), "<BICFI>BTKWKWKW</BICFI>", "<BICFI>bad</BICFI>")
	_, err := ParsePacs008(strings.NewReader(doc), testExponent)
	pe := problemOf(t, err, problem.Invalid)
	if len(pe.Fields) > maxFieldErrors+1 {
		t.Fatalf("%d faults reported, want at most %d", len(pe.Fields), maxFieldErrors+1)
	}
	if !strings.Contains(pe.Fields["Document"], "not listed") {
		t.Fatalf("no truncation note: %v", pe.Fields["Document"])
	}
}

func TestParsePacs008AcceptsSchemaVariants(t *testing.T) {
	fixture := readFixture(t)
	for _, tc := range []struct {
		name  string
		edit  func(t testing.TB, doc string) string
		check func(t *testing.T, m *Pacs008Message)
	}{
		{"byte order mark", func(t testing.TB, doc string) string { return "\xEF\xBB\xBF" + doc }, nil},
		{"namespace prefix", func(t testing.TB, doc string) string {
			doc = strings.Replace(doc, `<Document xmlns="`, `<p:Document xmlns:p="`, 1)
			doc = strings.Replace(doc, `</Document>`, `</p:Document>`, 1)
			doc = strings.Replace(doc, "<FIToFICstmrCdtTrf>", `<FIToFICstmrCdtTrf xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.008.001.09">`, 1)
			return doc
		}, nil},
		{"date-time without zone is UTC", replace("2025-03-14T09:30:00+05:00", "2025-03-14T04:30:00.5"),
			func(t *testing.T, m *Pacs008Message) {
				if want := time.Date(2025, 3, 14, 4, 30, 0, 5e8, time.UTC); !m.CreatedAt.Equal(want) {
					t.Errorf("CreatedAt = %v, want %v", m.CreatedAt, want)
				}
			}},
		{"amount with whitespace and plus sign", replace(`Ccy="KZT">99.99<`, `Ccy="KZT"> +99.99
		<`), func(t *testing.T, m *Pacs008Message) {
			if a := m.Instructions[2].Amount; a.Minor != 9999 || a.Value != "+99.99" {
				t.Errorf("amount = %+v", a)
			}
		}},
		{"control sum with trailing zeros", replace("<CtrlSum>152600.49</CtrlSum>", "<CtrlSum>152600.4900</CtrlSum>"), nil},
		{"date with zone", replace("<IntrBkSttlmDt>2025-03-14</IntrBkSttlmDt>\n      <SttlmInf>", "<IntrBkSttlmDt>2025-03-14+05:00</IntrBkSttlmDt>\n      <SttlmInf>"),
			func(t *testing.T, m *Pacs008Message) {
				if !m.Instructions[2].SettlementDate.Equal(day(2025, 3, 14)) {
					t.Errorf("date = %v", m.Instructions[2].SettlementDate)
				}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := tc.edit(t, fixture)
			m, err := ParsePacs008(strings.NewReader(doc), testExponent)
			if err != nil {
				t.Fatal(err)
			}
			if len(m.Instructions) != 3 {
				t.Fatalf("%d instructions", len(m.Instructions))
			}
			if tc.check != nil {
				tc.check(t, m)
			}
		})
	}
}

type spaces struct{}

func (spaces) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = ' '
	}
	return len(p), nil
}

func TestParsePacs008SizeLimit(t *testing.T) {
	fixture := readFixture(t)
	// Exactly at the limit (trailing whitespace after the root is legal).
	atLimit := io.MultiReader(strings.NewReader(fixture), io.LimitReader(spaces{}, int64(MaxDocumentSize-len(fixture))))
	if _, err := ParsePacs008(atLimit, testExponent); err != nil {
		t.Fatalf("document of exactly MaxDocumentSize refused: %v", err)
	}
	over := io.MultiReader(strings.NewReader(fixture), io.LimitReader(spaces{}, int64(MaxDocumentSize-len(fixture)+1)))
	_, err := ParsePacs008(over, testExponent)
	pe := problemOf(t, err, problem.TooLarge)
	if _, ok := pe.Fields["Document"]; !ok {
		t.Fatalf("no Document fault: %v", pe.Fields)
	}
	// An endless stream is cut off rather than read to the end.
	_, err = ParsePacs008(spaces{}, testExponent)
	problemOf(t, err, problem.TooLarge)
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, io.ErrUnexpectedEOF }

func TestParsePacs008ReadError(t *testing.T) {
	_, err := ParsePacs008(failingReader{}, testExponent)
	problemOf(t, err, problem.Malformed)
}

func TestParsePacs008NeedsExponents(t *testing.T) {
	_, err := ParsePacs008(strings.NewReader(readFixture(t)), nil)
	problemOf(t, err, problem.Internal)
}

func TestWritePacs008RefusesInvalid(t *testing.T) {
	m := sampleMessage(t)
	m.MsgID = ""
	m.Instructions[0].Amount.Minor = 0
	m.Instructions[1].EndToEndID = "E2E-1"
	m.Instructions[2].Amount.Exponent = 6
	m.Instructions[2].CreditorAgentBIC = "NOTABIC"
	var buf bytes.Buffer
	err := WritePacs008(&buf, m)
	pe := problemOf(t, err, problem.Invalid)
	for _, f := range []string{
		"GrpHdr/MsgId",
		"CdtTrfTxInf[1]/IntrBkSttlmAmt",
		"CdtTrfTxInf[2]/PmtId/EndToEndId",
		"CdtTrfTxInf[3]/IntrBkSttlmAmt",
		"CdtTrfTxInf[3]/CdtrAgt/FinInstnId/BICFI",
	} {
		if _, ok := pe.Fields[f]; !ok {
			t.Errorf("missing fault at %s; got %v", f, pe.Fields)
		}
	}
	if buf.Len() != 0 {
		t.Fatal("refused message was partly written")
	}
}
