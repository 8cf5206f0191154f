package iso20022

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"bricstown/internal/problem"
	"bricstown/internal/testenv"
)

// testExponent stands in for the platform's currency table.
func testExponent(ccy string) (int, bool) {
	exp, ok := map[string]int{
		"KZT": 2, "RUB": 2, "CNY": 2, "INR": 2, "BRL": 2, "ZAR": 2,
		"AED": 2, "USD": 2, "JPY": 0, "KWD": 3,
	}[ccy]
	return exp, ok
}

// xmllintPath finds xmllint. Schema validation is the point of several
// tests, so in CI a missing validator is a failure, not a skip.
func xmllintPath(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("xmllint")
	if err != nil {
		if testenv.CI() {
			t.Fatalf("xmllint not found but CI is set: install it (apt-get install -y libxml2-utils)")
		}
		t.Skip("xmllint not found; skipping XSD validation (apt-get install -y libxml2-utils to run it)")
	}
	return p
}

// validateXSD runs xmllint --schema on doc in a subtest, so that without
// xmllint only the schema check is skipped, not the caller's other
// assertions.
func validateXSD(t *testing.T, xsd string, doc []byte) {
	t.Helper()
	t.Run("xsd", func(t *testing.T) {
		bin := xmllintPath(t)
		f := filepath.Join(t.TempDir(), "doc.xml")
		if err := os.WriteFile(f, doc, 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(bin, "--noout", "--nonet", "--schema", filepath.Join("testdata", "xsd", xsd), f).CombinedOutput()
		if err != nil {
			t.Fatalf("xmllint rejects the document against %s: %v\n%s\n--- document ---\n%s", xsd, err, out, doc)
		}
	})
}

// withIBANCheck completes an IBAN from country code and BBAN.
func withIBANCheck(t testing.TB, cc, bban string) string {
	t.Helper()
	for d := 2; d <= 98; d++ {
		s := cc + string(rune('0'+d/10)) + string(rune('0'+d%10)) + bban
		if checkIBAN(s) == "" {
			return s
		}
	}
	t.Fatalf("no check digits for %s %s", cc, bban)
	return ""
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// problemOf asserts err is a *problem.Error with the given code.
func problemOf(t *testing.T, err error, code problem.Code) *problem.Error {
	t.Helper()
	var pe *problem.Error
	if !errors.As(err, &pe) {
		t.Fatalf("error %v (%T) is not a *problem.Error", err, err)
	}
	if pe.Code != code {
		t.Fatalf("code = %s, want %s (%v)", pe.Code, code, err)
	}
	return pe
}
