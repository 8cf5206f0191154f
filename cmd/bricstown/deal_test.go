package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"bricstown/internal/deal"
)

// The signatory's tools end to end, offline: two keys made, one document signed by both, the
// bundle verifies; a changed document, a signature by the wrong key, and an unsigned party do not.
func TestDealKeygenSignVerify(t *testing.T) {
	dir := t.TempDir()
	doc := filepath.Join(dir, "agreement.txt")
	if err := os.WriteFile(doc, []byte("Investment agreement, version 3.\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	pubs, sigs := map[string]string{}, map[string]string{}
	for _, who := range []string{"a", "b"} {
		key := filepath.Join(dir, who+".pem")
		out, err := runCmd(t, "deal", "keygen", "--out", key)
		if err != nil {
			t.Fatalf("keygen: %v %s", err, out)
		}
		if fi, err := os.Stat(key); err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("key file %v %v", fi, err)
		}
		if _, err := runCmd(t, "deal", "keygen", "--out", key); err == nil {
			t.Fatal("keygen overwrote an existing key")
		}
		pubs[who] = lastLine(out)
		if _, err := deal.ParsePublicKey(pubs[who]); err != nil {
			t.Fatalf("printed public key %q: %v", pubs[who], err)
		}
		out, err = runCmd(t, "deal", "sign", "--key", key, "--doc", doc)
		if err != nil {
			t.Fatalf("sign: %v %s", err, out)
		}
		sigs[who] = lastLine(out)
	}
	body, _ := os.ReadFile(doc)
	writeBundle := func(entries []deal.BundleEntry) string {
		b := deal.Bundle{AgreementID: "x", Title: "t", DocSHA256: deal.DigestHex(body), Status: deal.Signed, Signatures: entries}
		j, _ := json.Marshal(b)
		p := filepath.Join(dir, "bundle.json")
		if err := os.WriteFile(p, j, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := []deal.BundleEntry{{OrgID: "a", OrgName: "Alpha", PublicKey: pubs["a"], Signature: sigs["a"]}, {OrgID: "b", OrgName: "Beta", PublicKey: pubs["b"], Signature: sigs["b"]}}
	out, err := runCmd(t, "deal", "verify", "--doc", doc, "--bundle", writeBundle(good))
	if err != nil || !strings.Contains(out, "VALID: every party signed") {
		t.Fatalf("verify: %v %s", err, out)
	}
	swapped := []deal.BundleEntry{good[0], {OrgID: "b", PublicKey: pubs["b"], Signature: sigs["a"]}}
	unsigned := []deal.BundleEntry{good[0], {OrgID: "b", PublicKey: pubs["b"]}}
	for name, entries := range map[string][]deal.BundleEntry{"wrong key": swapped, "unsigned party": unsigned} {
		if out, err := runCmd(t, "deal", "verify", "--doc", doc, "--bundle", writeBundle(entries)); err == nil || !strings.Contains(out, "NOT VALID") {
			t.Fatalf("%s verifies: %s", name, out)
		}
	}
	bundle := writeBundle(good)
	if err := os.WriteFile(doc, []byte("Investment agreement, version 4.\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := runCmd(t, "deal", "verify", "--doc", doc, "--bundle", bundle); err == nil || !strings.Contains(out, "NOT the signed document") {
		t.Fatalf("tampered document verifies: %s", out)
	}
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	return s[strings.LastIndex(s, "\n")+1:]
}
