package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"os"

	"bricstown/internal/deal"
)

// dealCmd is the signatory's side of agreement signing (internal/deal): the private key lives
// only on the signatory's computer, so keys are made and documents signed here, and anyone
// checks a signed document against its bundle without the platform.
func dealCmd(_ context.Context, e *env, args []string) error {
	if len(args) == 0 {
		fmt.Fprintln(e.stderr, "Usage: bricstown deal <keygen|sign|verify> [flags]")
		return usageError{"deal: name a tool"}
	}
	switch args[0] {
	case "keygen":
		return dealKeygen(e, args[1:])
	case "sign":
		return dealSign(e, args[1:])
	case "verify":
		return dealVerify(e, args[1:])
	}
	return usageError{fmt.Sprintf("deal: unknown tool %q", args[0])}
}

// dealKeygen writes a new private key (PEM PKCS #8, mode 0600, never overwriting) and prints
// the public key to register on the platform.
func dealKeygen(e *env, args []string) error {
	f := newFlags(e, "deal keygen", "deal keygen --out FILE")
	out := f.string("out", "BRICSTOWN_DEAL_KEY", "", "file to write the private key to (PEM); it must not exist")
	if err := f.parse(args); err != nil {
		return err
	}
	if *out == "" {
		return usageError{"deal keygen: --out is required"}
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	pemBytes, err := deal.EncodePrivateKey(priv)
	if err != nil {
		return err
	}
	fh, err := os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("deal keygen: %w", err)
	}
	if _, err := fh.Write(pemBytes); err != nil {
		fh.Close()
		return err
	}
	if err := fh.Close(); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "private key written to %s: keep it secret; register the public key below on the platform\n", *out)
	fmt.Fprintln(e.stdout, deal.EncodePublicKey(pub))
	return nil
}

// dealSign prints the base64 signature of the document's SHA-256, to paste on the agreement's
// page or send to the API.
func dealSign(e *env, args []string) error {
	f := newFlags(e, "deal sign", "deal sign --key FILE --doc FILE")
	keyFile := f.string("key", "BRICSTOWN_DEAL_KEY", "", "the private key (PEM PKCS #8 Ed25519, as 'deal keygen' or 'openssl genpkey -algorithm ed25519' writes)")
	docFile := f.string("doc", "BRICSTOWN_DEAL_DOC", "", "the agreement's document, as downloaded from the platform")
	if err := f.parse(args); err != nil {
		return err
	}
	if *keyFile == "" || *docFile == "" {
		return usageError{"deal sign: --key and --doc are required"}
	}
	k, err := os.ReadFile(*keyFile)
	if err != nil {
		return fmt.Errorf("deal sign: %w", err)
	}
	priv, err := deal.ParsePrivateKey(k)
	if err != nil {
		return fmt.Errorf("deal sign: %s: %w", *keyFile, err)
	}
	doc, err := os.ReadFile(*docFile)
	if err != nil {
		return fmt.Errorf("deal sign: %w", err)
	}
	fmt.Fprintf(e.stderr, "document SHA-256 %s — check it is the one the agreement's page shows\n", deal.DigestHex(doc))
	fmt.Fprintln(e.stdout, deal.Sign(priv, doc))
	return nil
}

// errInvalid makes 'deal verify' exit non-zero on a document that does not verify.
type errInvalid struct{}

func (errInvalid) Error() string { return "deal verify: NOT VALID" }

// dealVerify checks a document against a bundle offline: the digest must match and every
// party's signature verify under its public key.
func dealVerify(e *env, args []string) error {
	f := newFlags(e, "deal verify", "deal verify --doc FILE --bundle FILE")
	docFile := f.string("doc", "BRICSTOWN_DEAL_DOC", "", "the document")
	bundleFile := f.string("bundle", "BRICSTOWN_DEAL_BUNDLE", "", "the agreement's bundle (JSON, from the platform's agreement page or API)")
	asJSON := f.bool("json", "BRICSTOWN_DEAL_JSON", false, "print the verdict as JSON")
	if err := f.parse(args); err != nil {
		return err
	}
	if *docFile == "" || *bundleFile == "" {
		return usageError{"deal verify: --doc and --bundle are required"}
	}
	doc, err := os.ReadFile(*docFile)
	if err != nil {
		return fmt.Errorf("deal verify: %w", err)
	}
	raw, err := os.ReadFile(*bundleFile)
	if err != nil {
		return fmt.Errorf("deal verify: %w", err)
	}
	var b deal.Bundle
	if err := json.Unmarshal(raw, &b); err != nil {
		return fmt.Errorf("deal verify: %s is not a bundle: %w", *bundleFile, err)
	}
	c := deal.VerifyBundle(doc, b)
	if *asJSON {
		if err := json.NewEncoder(e.stdout).Encode(c); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(e.stdout, "document SHA-256 %s", c.DocSHA256)
		if !c.DigestMatches {
			fmt.Fprintf(e.stdout, " — NOT the signed document (bundle says %s)", b.DocSHA256)
		}
		fmt.Fprintln(e.stdout)
		for i, r := range c.Results {
			name := b.Signatures[i].OrgName
			if name == "" {
				name = r.OrgID
			}
			verdict := "valid"
			if !r.Valid {
				verdict = "NOT VALID"
			}
			fmt.Fprintf(e.stdout, "  %-40s %s\n", name, verdict)
		}
	}
	if !c.Valid {
		return errInvalid{}
	}
	if !*asJSON {
		fmt.Fprintln(e.stdout, "VALID: every party signed this document")
	}
	return nil
}
