package sqlstore

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"sync"
	"testing"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/deal"
	"bricstown/internal/identity"
	"bricstown/internal/problem"
)

type dealWorld struct {
	svc                 *deal.Service
	a, b, c             *identity.Principal // administrators of three companies
	aTrader             *identity.Principal
	aKey, bKey, cKey    deal.Key
	aPriv, bPriv, cPriv ed25519.PrivateKey
}

func newDealWorld(t *testing.T, db *DB) *dealWorld {
	ctx := context.Background()
	now := time.Date(2030, 3, 2, 9, 0, 0, 0, time.UTC)
	svc := deal.NewService(db, deal.Config{Now: func() time.Time { return now }, OrgExists: func(ctx context.Context, id string) (bool, error) {
		_, err := db.GetOrg(ctx, id)
		if problem.Is(err, problem.NotFound) {
			return false, nil
		}
		return err == nil, err
	}})
	w := &dealWorld{svc: svc}
	admin := func(org string) *identity.Principal {
		mkOrg(t, db, org, org)
		return &identity.Principal{UserID: "u-" + org, OrgID: "org-" + org, OrgKind: identity.KindCompany, Roles: []identity.Role{identity.OrgAdmin}}
	}
	w.a, w.b, w.c = admin("investor"), admin("plant"), admin("stranger")
	w.aTrader = &identity.Principal{UserID: "t-investor", OrgID: w.a.OrgID, OrgKind: identity.KindCompany, Roles: []identity.Role{identity.Trader}}
	reg := func(p *identity.Principal) (deal.Key, ed25519.PrivateKey) {
		pub, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		k, err := svc.RegisterKey(ctx, p, deal.NewKey{Label: "board", PublicKey: deal.EncodePublicKey(pub)})
		if err != nil {
			t.Fatal(err)
		}
		return k, priv
	}
	w.aKey, w.aPriv = reg(w.a)
	w.bKey, w.bPriv = reg(w.b)
	w.cKey, w.cPriv = reg(w.c)
	return w
}

var dealDoc = []byte("Investment agreement: Investor buys 25% of Plant for KZT 1,000,000,000.\n")

// The whole life on both engines: draft, refusals that write nothing, both signatures, the
// bundle verifies offline and a changed document does not.
func TestDealAgreementSigning(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		w := newDealWorld(t, db)
		a, err := w.svc.Create(ctx, w.aTrader, deal.NewAgreement{Title: "Plant equity", Parties: []string{w.b.OrgID}, DocumentName: "sha.txt", DocumentText: string(dealDoc)})
		if err != nil {
			t.Fatal(err)
		}
		if a.DocSHA256 != deal.DigestHex(dealDoc) || len(a.Parties) != 2 || a.Status != deal.Open {
			t.Fatalf("agreement %+v", a)
		}
		// The stranger sees nothing and cannot sign; the trader cannot sign.
		if _, err := w.svc.Get(ctx, w.c, a.ID); !problem.Is(err, problem.NotFound) {
			t.Fatalf("stranger reads: %v", err)
		}
		if _, err := w.svc.Sign(ctx, w.c, a.ID, deal.SignIn{KeyID: w.cKey.ID, Signature: deal.Sign(w.cPriv, dealDoc)}); !problem.Is(err, problem.NotFound) {
			t.Fatalf("stranger signs: %v", err)
		}
		if _, err := w.svc.Sign(ctx, w.aTrader, a.ID, deal.SignIn{KeyID: w.aKey.ID, Signature: deal.Sign(w.aPriv, dealDoc)}); !problem.Is(err, problem.Forbidden) {
			t.Fatalf("trader signs: %v", err)
		}
		// A signature over another document, with another org's key, or naming another org's key.
		for name, in := range map[string]deal.SignIn{
			"other document":          {KeyID: w.aKey.ID, Signature: deal.Sign(w.aPriv, []byte("another text"))},
			"other org's private key": {KeyID: w.aKey.ID, Signature: deal.Sign(w.bPriv, dealDoc)},
			"other org's key id":      {KeyID: w.bKey.ID, Signature: deal.Sign(w.bPriv, dealDoc)},
			"garbage":                 {KeyID: w.aKey.ID, Signature: "not base64!"},
		} {
			_, err := w.svc.Sign(ctx, w.a, a.ID, in)
			if !problem.Is(err, problem.Invalid) {
				t.Fatalf("%s: %v", name, err)
			}
		}
		if got, _ := w.svc.Get(ctx, w.a, a.ID); got.Parties[0].Signed() {
			t.Fatal("a refused signature was stored")
		}
		// Investor signs; twice at once, only one lands.
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = w.svc.Sign(ctx, w.a, a.ID, deal.SignIn{KeyID: w.aKey.ID, Signature: deal.Sign(w.aPriv, dealDoc)})
			}()
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case !problem.Is(err, problem.Conflict):
				t.Fatalf("concurrent sign: %v", err)
			}
		}
		if ok != 1 {
			t.Fatalf("%d concurrent signatures landed", ok)
		}
		got, err := w.svc.Get(ctx, w.b, a.ID)
		if err != nil || got.Status != deal.Open || !got.Parties[0].Signed() || got.Parties[1].Signed() {
			t.Fatalf("after one signature: %+v %v", got, err)
		}
		got, err = w.svc.Sign(ctx, w.b, a.ID, deal.SignIn{KeyID: w.bKey.ID, Signature: deal.Sign(w.bPriv, dealDoc)})
		if err != nil || got.Status != deal.Signed {
			t.Fatalf("second signature: %+v %v", got, err)
		}
		stored, _ := w.svc.Get(ctx, w.a, a.ID)
		if stored.Status != deal.Signed || stored.SignedAt.IsZero() {
			t.Fatalf("stored %+v", stored)
		}
		_, doc, err := w.svc.Document(ctx, w.b, a.ID)
		if err != nil || string(doc) != string(dealDoc) {
			t.Fatalf("document %q %v", doc, err)
		}
		b, err := w.svc.Bundle(ctx, w.b, a.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		if c := deal.VerifyBundle(doc, b); !c.Valid || len(c.Results) != 2 {
			t.Fatalf("bundle check %+v", c)
		}
		tampered := append([]byte(nil), doc...)
		tampered[len(tampered)-2] = '!'
		if c := deal.VerifyBundle(tampered, b); c.Valid || c.DigestMatches {
			t.Fatalf("tampered document verifies: %+v", c)
		}
		// Lists: each party sees it, the stranger does not.
		for p, want := range map[*identity.Principal]int{w.a: 1, w.b: 1, w.c: 0} {
			if l, err := w.svc.List(ctx, p, 0); err != nil || len(l) != want {
				t.Fatalf("%s lists %d (%v), want %d", p.OrgID, len(l), err, want)
			}
		}
		// The audit log holds the creation, both signatures and the completion.
		es, err := db.ListAudit(ctx, audit.Filter{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]int{}
		for _, e := range es {
			seen[e.Action]++
		}
		if seen["deal.agreement.create"] != 1 || seen["deal.agreement.sign"] != 2 || seen["deal.agreement.signed"] != 1 || seen["deal.key.register"] != 3 {
			t.Fatalf("audit %v", seen)
		}
	})
}

// Bad drafts write nothing: unknown party, no other party, empty document, two documents.
func TestDealAgreementRefusals(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		w := newDealWorld(t, db)
		for name, in := range map[string]deal.NewAgreement{
			"unknown party": {Title: "x", Parties: []string{"org-nobody"}, DocumentName: "a.txt", DocumentText: "terms"},
			"alone":         {Title: "x", Parties: []string{w.a.OrgID}, DocumentName: "a.txt", DocumentText: "terms"},
			"empty":         {Title: "x", Parties: []string{w.b.OrgID}, DocumentName: "a.txt"},
			"twice":         {Title: "x", Parties: []string{w.b.OrgID}, DocumentName: "a.txt", DocumentText: "t", DocumentBase64: "dA=="},
			"path":          {Title: "x", Parties: []string{w.b.OrgID}, DocumentName: "../a.txt", DocumentText: "t"},
		} {
			if _, err := w.svc.Create(ctx, w.a, in); !problem.Is(err, problem.Invalid) {
				t.Fatalf("%s: %v", name, err)
			}
		}
		if l, _ := w.svc.List(ctx, w.a, 0); len(l) != 0 {
			t.Fatalf("refused drafts stored: %d", len(l))
		}
		if _, err := w.svc.RegisterKey(ctx, w.aTrader, deal.NewKey{Label: "x", PublicKey: w.aKey.PublicKey}); !problem.Is(err, problem.Forbidden) {
			t.Fatalf("trader registers a key: %v", err)
		}
		if _, err := w.svc.RegisterKey(ctx, w.a, deal.NewKey{Label: "again", PublicKey: w.aKey.PublicKey}); !problem.Is(err, problem.Conflict) {
			t.Fatalf("same key twice: %v", err)
		}
		if _, err := w.svc.RegisterKey(ctx, w.a, deal.NewKey{Label: "bad", PublicKey: "AAAA"}); !problem.Is(err, problem.Invalid) {
			t.Fatalf("short key: %v", err)
		}
	})
}
