package demo

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"time"

	"bricstown/internal/deal"
	"bricstown/internal/identity"
)

// demoAgreement is one investment agreement of the demo town.
type demoAgreement struct {
	title, docName, text string
	parties              []string // the first drafts it
	signers              []string // who has signed so far
}

var demoAgreements = []demoAgreement{
	{title: "Khorgos grain drying plant — investment agreement", docName: "khorgos-grain-plant-investment.txt",
		parties: []string{"Kazakh Grain Export", "Siberian Energy Trading"}, signers: []string{"Kazakh Grain Export", "Siberian Energy Trading"},
		text: `INVESTMENT AGREEMENT

Between Kazakh Grain Export (BIN 17044000054), Almaty, Kazakhstan, and
Siberian Energy Trading (INN 540987654), Novosibirsk, Russia.

1. Siberian Energy Trading invests KZT 1,850,000,000 in a grain drying and
   storage plant of 60,000 tonnes at the Khorgos dry port, in three tranches
   tied to construction milestones, against a 35% share of the project company.
2. Siberian Energy Trading supplies the plant's natural gas at the BRICS Town
   reference price for ten years.
3. Kazakh Grain Export operates the plant and offers the first 40,000 tonnes of
   each harvest for export through the BRICS Town marketplace.
4. Disputes go to the Astana International Financial Centre Court.

Signed electronically by both parties (Ed25519 over this document's SHA-256).
`},
	{title: "Cerrado soybean crushing line — term sheet", docName: "cerrado-crushing-term-sheet.txt",
		parties: []string{"Cerrado Agro Exportadora", "Kazakh Grain Export"}, signers: []string{"Cerrado Agro Exportadora"},
		text: `TERM SHEET — SOYBEAN CRUSHING LINE

Cerrado Agro Exportadora (Brazil) and Kazakh Grain Export (Kazakhstan) intend
to build a soybean crushing line of 300 tonnes a day in the BRICS Town
industrial zone. Cerrado Agro contributes USD 6,500,000 and the process
know-how for 51%; Kazakh Grain Export contributes the site and USD 6,250,000
for 49%. Binding only once both parties have signed.
`},
}

// demoSigningKey is an organisation's demo key pair, derived from its name so that seeding
// twice finds the same key. It is a demonstration key: anyone can derive it, which is why
// real organisations generate theirs with `bricstown deal keygen` and keep the private half.
func demoSigningKey(org string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("bricstown demo signing key/" + org))
	return ed25519.NewKeyFromSeed(seed[:])
}

// SeedDeal registers a signing key for the companies of the demo agreements and drafts them:
// an investment agreement signed by both parties and a term sheet awaiting its second
// signature. It is idempotent: a party's key and an agreement of the same title are reused.
func SeedDeal(ctx context.Context, ids *identity.Service, svc *deal.Service, now time.Time) error {
	list, err := ids.Orgs(ctx, identity.Page{Limit: 1000})
	if err != nil {
		return err
	}
	orgs := map[string]identity.Org{}
	for _, o := range list {
		orgs[o.Name] = o
	}
	admins := map[string]*identity.Principal{}
	keys := map[string]string{}
	for _, a := range demoAgreements {
		for _, name := range a.parties {
			if admins[name] != nil {
				continue
			}
			o, ok := orgs[name]
			if !ok {
				return fmt.Errorf("demo: run Seed first (no %s)", name)
			}
			p, err := demoPrincipal(ctx, ids, o, identity.OrgAdmin)
			if err != nil {
				return err
			}
			admins[name] = p
			pub := deal.EncodePublicKey(demoSigningKey(name).Public().(ed25519.PublicKey))
			have, err := svc.Keys(ctx, p)
			if err != nil {
				return err
			}
			for _, k := range have {
				if k.PublicKey == pub {
					keys[name] = k.ID
				}
			}
			if keys[name] == "" {
				k, err := svc.RegisterKey(ctx, p, deal.NewKey{Label: "Board signing key", PublicKey: pub})
				if err != nil {
					return fmt.Errorf("demo: %s signing key: %w", name, err)
				}
				keys[name] = k.ID
			}
		}
	}
	for _, a := range demoAgreements {
		drafter := admins[a.parties[0]]
		existing, err := svc.List(ctx, drafter, 0)
		if err != nil {
			return err
		}
		var ag deal.Agreement
		for _, e := range existing {
			if e.Title == a.title {
				ag = e
			}
		}
		if ag.ID == "" {
			var others []string
			for _, n := range a.parties[1:] {
				others = append(others, orgs[n].ID)
			}
			if ag, err = svc.Create(ctx, drafter, deal.NewAgreement{Title: a.title, Parties: others, DocumentName: a.docName, DocumentText: a.text}); err != nil {
				return fmt.Errorf("demo: agreement %q: %w", a.title, err)
			}
		}
		for _, name := range a.signers {
			signed := false
			for _, q := range ag.Parties {
				if q.OrgID == orgs[name].ID && q.Signed() {
					signed = true
				}
			}
			if signed {
				continue
			}
			if _, err := svc.Sign(ctx, admins[name], ag.ID, deal.SignIn{KeyID: keys[name], Signature: deal.Sign(demoSigningKey(name), []byte(a.text))}); err != nil {
				return fmt.Errorf("demo: %s signs %q: %w", name, a.title, err)
			}
		}
	}
	return nil
}
