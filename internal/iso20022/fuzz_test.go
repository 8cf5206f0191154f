package iso20022

import (
	"bytes"
	"errors"
	"testing"

	"bricstown/internal/problem"
)

// FuzzParsePacs008 holds the importer to two promises: it never panics and
// every refusal is a classified *problem.Error with at least one field; and
// whatever it accepts, WritePacs008 can write back, the result imports to
// the same instructions, and writing that again gives the same bytes.
func FuzzParsePacs008(f *testing.F) {
	fixture := readFixture(f)
	f.Add([]byte(fixture))
	var buf bytes.Buffer
	if err := WritePacs008(&buf, sampleMessage(f)); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	for _, tc := range refusals() {
		f.Add([]byte(tc.edit(f, fixture)))
	}
	// Compact valid documents: mutations of these stay accepted often
	// enough to exercise the write-back promise.
	f.Add([]byte(`<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.008.001.09"><FIToFICstmrCdtTrf>` +
		`<GrpHdr><MsgId>M</MsgId><CreDtTm>2025-03-14T00:00:00Z</CreDtTm><NbOfTxs>1</NbOfTxs><CtrlSum>1</CtrlSum>` +
		`<IntrBkSttlmDt>2025-03-14</IntrBkSttlmDt><SttlmInf><SttlmMtd>CLRG</SttlmMtd></SttlmInf></GrpHdr>` +
		`<CdtTrfTxInf><PmtId><EndToEndId>E</EndToEndId></PmtId><IntrBkSttlmAmt Ccy="KZT">1</IntrBkSttlmAmt>` +
		`<ChrgBr>SLEV</ChrgBr><Dbtr><Nm>D</Nm></Dbtr><DbtrAgt><FinInstnId><BICFI>AAAAKZKA</BICFI></FinInstnId></DbtrAgt>` +
		`<CdtrAgt><FinInstnId><BICFI>BBBBKZKA</BICFI></FinInstnId></CdtrAgt><Cdtr><Nm>C</Nm></Cdtr></CdtTrfTxInf>` +
		`</FIToFICstmrCdtTrf></Document>`))
	f.Add([]byte(`<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.008.001.09"><FIToFICstmrCdtTrf>` +
		`<GrpHdr><MsgId>M</MsgId><CreDtTm>2025-03-14T10:00:00.5+05:00</CreDtTm><NbOfTxs>2</NbOfTxs>` +
		`<TtlIntrBkSttlmAmt Ccy="KWD">1.5</TtlIntrBkSttlmAmt><SttlmInf><SttlmMtd>INDA</SttlmMtd></SttlmInf></GrpHdr>` +
		`<CdtTrfTxInf><PmtId><InstrId>I</InstrId><EndToEndId>E1</EndToEndId><TxId>T</TxId>` +
		`<UETR>0f8fad5b-d9cb-469f-a165-70867728950e</UETR></PmtId><IntrBkSttlmAmt Ccy="KWD">1.005</IntrBkSttlmAmt>` +
		`<IntrBkSttlmDt>2025-03-14</IntrBkSttlmDt><InstdAmt Ccy="JPY">1</InstdAmt><XchgRate>0.5</XchgRate><ChrgBr>DEBT</ChrgBr>` +
		`<Dbtr><Nm>D</Nm></Dbtr><DbtrAcct><Id><IBAN>KZ86125KZT5004100100</IBAN></Id></DbtrAcct>` +
		`<DbtrAgt><FinInstnId><BICFI>AAAAKZKA</BICFI></FinInstnId></DbtrAgt><CdtrAgt><FinInstnId><BICFI>BBBBKWKW</BICFI></FinInstnId></CdtrAgt>` +
		`<Cdtr><Nm>C</Nm></Cdtr><CdtrAcct><Id><Othr><Id>1</Id></Othr></Id></CdtrAcct><RmtInf><Ustrd>R</Ustrd></RmtInf></CdtTrfTxInf>` +
		`<CdtTrfTxInf><PmtId><EndToEndId>E2</EndToEndId></PmtId><IntrBkSttlmAmt Ccy="KWD">0.495</IntrBkSttlmAmt>` +
		`<IntrBkSttlmDt>2025-03-14</IntrBkSttlmDt><ChrgBr>CRED</ChrgBr><Dbtr><Nm>D</Nm></Dbtr>` +
		`<DbtrAgt><FinInstnId><BICFI>AAAAKZKA</BICFI></FinInstnId></DbtrAgt><CdtrAgt><FinInstnId><BICFI>BBBBKWKW</BICFI></FinInstnId></CdtrAgt>` +
		`<Cdtr><Nm>C</Nm></Cdtr></CdtTrfTxInf></FIToFICstmrCdtTrf></Document>`))
	f.Add([]byte(""))
	f.Add([]byte("<"))
	f.Add([]byte(`<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.008.001.09"/>`))

	f.Fuzz(checkImport)
}

// checkImport is the fuzz property, also run on hand-picked edge cases.
func checkImport(t *testing.T, data []byte) {
	m, err := ParsePacs008(bytes.NewReader(data), testExponent)
	if err != nil {
		var pe *problem.Error
		if !errors.As(err, &pe) || pe.Code == problem.Internal || len(pe.Fields) == 0 {
			t.Fatalf("refusal is not a classified problem with fields: %#v", err)
		}
		if m != nil {
			t.Fatal("refusal returned a message")
		}
		return
	}
	var out bytes.Buffer
	if err := WritePacs008(&out, m); err != nil {
		t.Fatalf("accepted message cannot be written back: %v", err)
	}
	m2, err := ParsePacs008(bytes.NewReader(out.Bytes()), testExponent)
	if err != nil {
		t.Fatalf("re-serialised message refused: %v\n%s", err, out.Bytes())
	}
	if diff := diffPacs008(m, m2, true); diff != "" {
		t.Fatalf("re-serialised message differs: %s\n%s", diff, out.Bytes())
	}
	var again bytes.Buffer
	if err := WritePacs008(&again, m2); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out.Bytes(), again.Bytes()) {
		t.Fatalf("serialisation is not stable:\n%s\n---\n%s", out.Bytes(), again.Bytes())
	}
}

// TestImportEdgeCasesRoundTrip feeds the fuzz property lexical corners the
// schema allows, which random mutation rarely reaches, and insists they are
// accepted.
func TestImportEdgeCasesRoundTrip(t *testing.T) {
	fixture := readFixture(t)
	for name, edit := range map[string]func(testing.TB, string) string{
		"escaped and odd text": replace("<Nm>Shymkent Textiles</Nm>",
			"<Nm>\tShymkent &amp; &lt;Sons&gt; &#13;&#x10FFFF; <![CDATA[<raw>]]><!-- c -->\n</Nm>"),
		"decimal with trailing point": replace(`Ccy="KZT">150000.00<`, `Ccy="KZT">150000.<`),
		"decimal leading zeros":       replace(`Ccy="KZT">99.99<`, `Ccy="KZT">00099.99<`),
		"rate with sign":              replace("<XchgRate>5.2094</XchgRate>", "<XchgRate> +5.2094 </XchgRate>"),
		"negative zone":               replace("2025-03-14T09:30:00+05:00", "2025-03-13T23:30:00.000000001-14:00"),
		"remittance with newline":     replace("<Ustrd>Contract AG-44</Ustrd>", "<Ustrd>Contract\r\nAG-44</Ustrd>"),
		"unicode name":                replace("<Nm>Urumqi Trading Co</Nm>", "<Nm>乌鲁木齐贸易有限公司 🚚</Nm>"),
	} {
		t.Run(name, func(t *testing.T) {
			doc := []byte(edit(t, fixture))
			if _, err := ParsePacs008(bytes.NewReader(doc), testExponent); err != nil {
				t.Fatalf("refused: %v", err)
			}
			checkImport(t, doc)
			validateXSD(t, "pacs.008.001.09.xsd", doc)
		})
	}
}
