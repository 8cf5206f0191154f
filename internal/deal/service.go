package deal

import (
	"context"
	"encoding/base64"
	"log/slog"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"bricstown/internal/audit"
	"bricstown/internal/identity"
	"bricstown/internal/problem"

	"github.com/google/uuid"
)

// Config wires the service to the rest of the platform.
type Config struct {
	Log *slog.Logger
	// OrgExists tells whether an organisation id is registered (parties must be).
	OrgExists func(ctx context.Context, orgID string) (bool, error)
	Now       func() time.Time
}

// Service applies the rules: only parties see an agreement; an organisation's administrator
// registers its keys and signs for it, with a key of its own organisation, over the document
// the platform holds; a trader or administrator of a party drafts an agreement.
type Service struct {
	store Store
	cfg   Config
}

// NewService returns a service on store.
func NewService(store Store, cfg Config) *Service {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Service{store: store, cfg: cfg}
}

func (s *Service) now() time.Time { return s.cfg.Now().UTC().Truncate(time.Microsecond) }

func notFound() error { return problem.New(problem.NotFound, "no such agreement") }

// MayDraft: traders and administrators of an organisation draft agreements for it.
func MayDraft(p *identity.Principal) bool {
	return p != nil && p.OrgID != "" && p.HasAny(identity.OrgAdmin, identity.Trader)
}

// MaySign: an organisation's administrators are its authorised signatories (they also manage
// who works for it); traders prepare deals but do not bind the organisation.
func MaySign(p *identity.Principal) bool {
	return p != nil && p.OrgID != "" && p.Has(identity.OrgAdmin)
}

func text(f problem.Fields, field, s string, max int) string {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		f.Add(field, "required")
	case !utf8.ValidString(s):
		f.Add(field, "must be valid UTF-8")
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		f.Add(field, "must not contain control characters")
	case utf8.RuneCountInString(s) > max:
		f.Addf(field, "at most %d characters", max)
	}
	return s
}

func (s *Service) record(p *identity.Principal, action, subjectType, id, org, detail string) audit.Record {
	u, o := p.Actor()
	return audit.Record{ActorUser: u, ActorOrg: o, Action: action, SubjectType: subjectType, SubjectID: id, OrgID: org, Detail: detail}
}

// NewKey is a public key to register.
type NewKey struct {
	Label     string `json:"label"`
	PublicKey string `json:"public_key"` // base64 of 32 bytes, or a PEM PUBLIC KEY
}

// RegisterKey records a public key of the caller's organisation.
func (s *Service) RegisterKey(ctx context.Context, p *identity.Principal, in NewKey) (Key, error) {
	if !MaySign(p) {
		return Key{}, problem.New(problem.Forbidden, "only an organisation's administrators register its signing keys")
	}
	f := problem.Fields{}
	k := Key{ID: uuid.Must(uuid.NewV7()).String(), OrgID: p.OrgID, CreatedBy: p.UserID, CreatedAt: s.now()}
	k.Label = text(f, "label", in.Label, 100)
	if strings.TrimSpace(in.PublicKey) == "" {
		f.Add("public_key", "required")
	} else if pub, err := ParsePublicKey(in.PublicKey); err != nil {
		f.Add("public_key", "must be an Ed25519 public key: base64 of 32 bytes or PEM")
	} else {
		k.PublicKey = EncodePublicKey(pub)
	}
	if err := f.Err("the key is not valid"); err != nil {
		return Key{}, err
	}
	if err := s.store.CreateDealKey(ctx, k, s.record(p, "deal.key.register", "deal_key", k.ID, k.OrgID, k.Label)); err != nil {
		return Key{}, err
	}
	return k, nil
}

// Keys lists the caller's organisation's keys.
func (s *Service) Keys(ctx context.Context, p *identity.Principal) ([]Key, error) {
	if !MayDraft(p) {
		return nil, problem.New(problem.Forbidden, "only an organisation's traders and administrators see its signing keys")
	}
	return s.store.ListDealKeys(ctx, p.OrgID)
}

// NewAgreement is what a party drafts. The document is given once: as base64 (a file) or as
// text (stored as its UTF-8 bytes).
type NewAgreement struct {
	Title          string   `json:"title"`
	Parties        []string `json:"parties"` // the other organisations; the caller's is added
	DocumentName   string   `json:"document_name"`
	DocumentBase64 string   `json:"document_base64,omitempty"`
	DocumentText   string   `json:"document_text,omitempty"`
}

// Create drafts an agreement between the caller's organisation and the named ones; the digest
// is computed here, from the bytes stored, never taken from the client.
func (s *Service) Create(ctx context.Context, p *identity.Principal, in NewAgreement) (Agreement, error) {
	if !MayDraft(p) {
		return Agreement{}, problem.New(problem.Forbidden, "only an organisation's traders and administrators draft agreements")
	}
	f := problem.Fields{}
	now := s.now()
	a := Agreement{ID: uuid.Must(uuid.NewV7()).String(), CreatorOrg: p.OrgID, CreatedBy: p.UserID, Status: Open, CreatedAt: now}
	a.Title = text(f, "title", in.Title, MaxTitle)
	a.DocName = text(f, "document_name", in.DocumentName, 200)
	if strings.ContainsAny(a.DocName, `/\`) {
		f.Add("document_name", "must be a file name without a path")
	}
	var doc []byte
	switch {
	case in.DocumentBase64 != "" && in.DocumentText != "":
		f.Add("document_base64", "give the document once: as a file or as text")
	case in.DocumentBase64 != "":
		b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(in.DocumentBase64))
		if err != nil {
			f.Add("document_base64", "must be standard base64")
		}
		doc = b
	default:
		doc = []byte(in.DocumentText)
	}
	switch {
	case len(doc) == 0 && f["document_base64"] == "":
		f.Add("document", "the document is empty")
	case len(doc) > MaxDocument:
		f.Add("document", "the document is larger than 2 MiB")
	}
	a.Parties = []Party{{OrgID: p.OrgID}}
	for _, o := range in.Parties {
		o = strings.TrimSpace(o)
		if o == "" || slices.ContainsFunc(a.Parties, func(q Party) bool { return q.OrgID == o }) {
			continue
		}
		ok, err := s.cfg.OrgExists(ctx, o)
		if err != nil {
			return Agreement{}, err
		}
		if !ok {
			f.Add("parties", "must be registered organisations")
			continue
		}
		a.Parties = append(a.Parties, Party{OrgID: o})
	}
	switch {
	case len(a.Parties) < 2 && f["parties"] == "":
		f.Add("parties", "name at least one other organisation")
	case len(a.Parties) > MaxParties:
		f.Addf("parties", "at most %d parties", MaxParties)
	}
	if err := f.Err("the agreement is not valid"); err != nil {
		return Agreement{}, err
	}
	a.DocSHA256, a.DocSize = DigestHex(doc), len(doc)
	if err := s.store.CreateAgreement(ctx, a, doc, s.record(p, "deal.agreement.create", "agreement", a.ID, a.CreatorOrg, a.Title+" · SHA-256 "+a.DocSHA256)); err != nil {
		return Agreement{}, err
	}
	return a, nil
}

func party(p *identity.Principal, a *Agreement) int {
	if p == nil {
		return -1
	}
	return slices.IndexFunc(a.Parties, func(q Party) bool { return q.OrgID == p.OrgID })
}

// load reads an agreement the caller's organisation is a party to; anything else (unknown id,
// someone else's deal, even for the platform administrator: the terms are the parties' private
// business) is not found.
func (s *Service) load(ctx context.Context, p *identity.Principal, id string) (Agreement, error) {
	if !MayDraft(p) {
		return Agreement{}, notFound()
	}
	if _, err := uuid.Parse(id); err != nil {
		return Agreement{}, notFound()
	}
	a, err := s.store.GetAgreement(ctx, id)
	if problem.Is(err, problem.NotFound) {
		return Agreement{}, notFound()
	}
	if err != nil {
		return Agreement{}, err
	}
	if party(p, &a) < 0 {
		return Agreement{}, notFound()
	}
	return a, nil
}

// Get reads an agreement the caller's organisation is a party to.
func (s *Service) Get(ctx context.Context, p *identity.Principal, id string) (Agreement, error) {
	return s.load(ctx, p, id)
}

// Document returns an agreement's document to a party.
func (s *Service) Document(ctx context.Context, p *identity.Principal, id string) (Agreement, []byte, error) {
	a, err := s.load(ctx, p, id)
	if err != nil {
		return Agreement{}, nil, err
	}
	doc, err := s.store.AgreementDocument(ctx, id)
	return a, doc, err
}

// List lists the caller's organisation's agreements, newest first.
func (s *Service) List(ctx context.Context, p *identity.Principal, limit int) ([]Agreement, error) {
	if !MayDraft(p) {
		return nil, problem.New(problem.Forbidden, "only an organisation's traders and administrators see its agreements")
	}
	if limit <= 0 || limit > 500 {
		limit = 500
	}
	return s.store.ListAgreements(ctx, p.OrgID, limit)
}

// SignIn is a signature for the caller's organisation, made offline with one of its keys.
type SignIn struct {
	KeyID     string `json:"key_id"`
	Signature string `json:"signature"` // base64 Ed25519 signature of the document's SHA-256
}

// Sign accepts the caller's organisation's signature once it verifies against the stored
// document's digest and the named key, which must be the organisation's own: a signature over
// another document, or by another organisation's key, is refused and nothing is written.
func (s *Service) Sign(ctx context.Context, p *identity.Principal, id string, in SignIn) (Agreement, error) {
	a, err := s.load(ctx, p, id)
	if err != nil {
		return Agreement{}, err
	}
	if !MaySign(p) {
		return Agreement{}, problem.New(problem.Forbidden, "only an organisation's administrators sign for it")
	}
	i := party(p, &a)
	if a.Parties[i].Signed() {
		return Agreement{}, problem.New(problem.Conflict, "your organisation has already signed this agreement")
	}
	f := problem.Fields{}
	var key Key
	if _, err := uuid.Parse(strings.TrimSpace(in.KeyID)); err != nil {
		f.Add("key_id", "must be a signing key of your organisation")
	} else if key, err = s.store.GetDealKey(ctx, strings.TrimSpace(in.KeyID)); problem.Is(err, problem.NotFound) || (err == nil && key.OrgID != p.OrgID) {
		f.Add("key_id", "must be a signing key of your organisation")
	} else if err != nil {
		return Agreement{}, err
	}
	sig := strings.TrimSpace(in.Signature)
	if sig == "" {
		f.Add("signature", "required")
	} else if f["key_id"] == "" && !VerifyDigest(key.PublicKey, a.DocSHA256, sig) {
		f.Add("signature", "does not verify: not this document's SHA-256 signed with this key")
	}
	if err := f.Err("the signature is refused"); err != nil {
		return Agreement{}, err
	}
	now := s.now()
	pt := Party{OrgID: p.OrgID, Signature: sig, KeyID: key.ID, PublicKey: key.PublicKey, SignedBy: p.UserID, SignedAt: now}
	done, err := s.store.SignAgreement(ctx, a.ID, pt, s.record(p, "deal.agreement.sign", "agreement", a.ID, p.OrgID, a.Title),
		s.record(p, "deal.agreement.signed", "agreement", a.ID, a.CreatorOrg, a.Title))
	if err != nil {
		return Agreement{}, err
	}
	a.Parties[i] = pt
	if done {
		a.Status, a.SignedAt = Signed, now
	}
	return a, nil
}

// Bundle is the agreement's verification bundle for a party to hand to anyone.
func (s *Service) Bundle(ctx context.Context, p *identity.Principal, id string, orgName func(string) string) (Bundle, error) {
	a, err := s.load(ctx, p, id)
	if err != nil {
		return Bundle{}, err
	}
	return BundleOf(a, orgName), nil
}

// BundleOf builds an agreement's bundle (orgName may be nil).
func BundleOf(a Agreement, orgName func(string) string) Bundle {
	b := Bundle{AgreementID: a.ID, Title: a.Title, DocSHA256: a.DocSHA256, Status: a.Status}
	for _, q := range a.Parties {
		e := BundleEntry{OrgID: q.OrgID, PublicKey: q.PublicKey, Signature: q.Signature, SignedAt: q.SignedAt}
		if orgName != nil {
			e.OrgName = orgName(q.OrgID)
		}
		b.Signatures = append(b.Signatures, e)
	}
	return b
}

// VerifyIn is a public check: a document (base64) or its digest, and signatures with their
// public keys. Nothing is looked up: the verdict is what anyone would compute offline.
type VerifyIn struct {
	DocumentBase64 string        `json:"document_base64,omitempty"`
	DocSHA256      string        `json:"document_sha256,omitempty"`
	Signatures     []BundleEntry `json:"signatures"`
}

// Verify checks signatures for anyone, signed in or not.
func (s *Service) Verify(in VerifyIn) (Check, error) {
	f := problem.Fields{}
	var digest string
	switch {
	case in.DocumentBase64 != "":
		doc, err := base64.StdEncoding.DecodeString(strings.TrimSpace(in.DocumentBase64))
		if err != nil {
			f.Add("document_base64", "must be standard base64")
		}
		digest = DigestHex(doc)
		if in.DocSHA256 != "" && !strings.EqualFold(strings.TrimSpace(in.DocSHA256), digest) {
			return Check{DocSHA256: digest, Results: checks(in.Signatures, digest)}, nil
		}
	case len(strings.TrimSpace(in.DocSHA256)) == 64:
		digest = strings.ToLower(strings.TrimSpace(in.DocSHA256))
	default:
		f.Add("document_sha256", "give the document or its SHA-256 (64 hex digits)")
	}
	switch {
	case len(in.Signatures) == 0:
		f.Add("signatures", "required")
	case len(in.Signatures) > MaxParties:
		f.Addf("signatures", "at most %d parties", MaxParties)
	}
	if err := f.Err("nothing to verify"); err != nil {
		return Check{}, err
	}
	c := Check{DocSHA256: digest, DigestMatches: true, Results: checks(in.Signatures, digest), Valid: true}
	for _, r := range c.Results {
		c.Valid = c.Valid && r.Valid
	}
	return c, nil
}

func checks(es []BundleEntry, digest string) []CheckEntry {
	out := make([]CheckEntry, 0, len(es))
	for _, e := range es {
		out = append(out, CheckEntry{OrgID: e.OrgID, PublicKey: e.PublicKey, Valid: VerifyDigest(e.PublicKey, digest, e.Signature)})
	}
	return out
}

// VerifyBundle checks a document against a bundle for anyone (see the package function).
func (s *Service) VerifyBundle(doc []byte, b Bundle) Check { return VerifyBundle(doc, b) }
