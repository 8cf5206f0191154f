package identity

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"bricstown/internal/audit"
	"bricstown/internal/problem"

	"github.com/google/uuid"
)

// Page asks for one page of a keyset-paginated listing.
type Page struct {
	After string // the last id of the previous page; "" for the first
	Limit int
}

// Store is identity's storage. Mutations take the audit record to append in
// the same transaction. Lookups return a *problem.Error with NotFound when
// nothing matches.
type Store interface {
	CreateOrg(ctx context.Context, o Org, rec audit.Record) error
	GetOrg(ctx context.Context, id string) (Org, error)
	ListOrgs(ctx context.Context, p Page) ([]Org, error)

	CreateUser(ctx context.Context, u User, rec audit.Record) error
	GetUser(ctx context.Context, id string) (User, error)
	GetUserByEmail(ctx context.Context, email string) (User, error)
	ListUsers(ctx context.Context, orgID string, p Page) ([]User, error)
	SetUserDisabled(ctx context.Context, id string, disabled bool, rec audit.Record) error

	CreateSession(ctx context.Context, s Session, rec audit.Record) error
	GetSession(ctx context.Context, tokenHash []byte) (Session, error)
	TouchSession(ctx context.Context, tokenHash []byte, at time.Time) error
	DeleteSession(ctx context.Context, tokenHash []byte, rec audit.Record) error
	DeleteExpiredSessions(ctx context.Context, now time.Time) (int64, error)

	CreateAPIToken(ctx context.Context, t APIToken, rec audit.Record) error
	GetAPITokenByHash(ctx context.Context, hash []byte) (APIToken, error)
	ListAPITokens(ctx context.Context, orgID string, p Page) ([]APIToken, error)
	RevokeAPIToken(ctx context.Context, orgID, id string, at time.Time, rec audit.Record) error
	TouchAPIToken(ctx context.Context, id string, at time.Time) error

	// ListAudit reads the audit log, newest first (see AuditLog).
	ListAudit(ctx context.Context, f audit.Filter) ([]audit.Entry, error)
}

// Config holds the session policy.
type Config struct {
	SessionIdle     time.Duration // signed out after this long without a request
	SessionAbsolute time.Duration // signed out this long after sign-in, however active
	// KnownCountry validates ISO 3166 alpha-2 codes (from refdata).
	KnownCountry func(code string) bool
	Now          func() time.Time
	// TrustedProxies are the reverse proxies whose X-Forwarded-For or
	// Forwarded headers name the client (see ClientAddr); none by default.
	TrustedProxies TrustedProxies
	// HashConcurrency bounds the argon2id computations (19 MiB each) running
	// at once in this process; 2 by default. HashWait is how long a request
	// waits for a slot before it is refused with 503; 2 s by default.
	HashConcurrency int
	HashWait        time.Duration
}

// Service applies identity's rules on top of a Store.
type Service struct {
	store Store
	cfg   Config
	// tokens caches authenticated API tokens for TokenCacheTTL: machine
	// clients send thousands of requests a second with one token, and three
	// look-ups per request would cost more than the work they authorise.
	tokens sync.Map // [32]byte hash -> cachedToken
	// hashes bounds password hashing; logins limits sign-in attempts.
	hashes *hashGate
	logins *attempts
}

// TokenCacheTTL bounds how long a revocation made by another process may
// take to reach this one; revocations and disabled users in this process
// take effect at once.
const TokenCacheTTL = 2 * time.Second

type cachedToken struct {
	p     Principal
	until time.Time
}

// NewService returns a Service with defaults filled in.
func NewService(store Store, cfg Config) *Service {
	if cfg.SessionIdle == 0 {
		cfg.SessionIdle = 2 * time.Hour
	}
	if cfg.SessionAbsolute == 0 {
		cfg.SessionAbsolute = 12 * time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.KnownCountry == nil {
		cfg.KnownCountry = func(c string) bool { return len(c) == 2 }
	}
	if cfg.HashConcurrency <= 0 {
		cfg.HashConcurrency = 2
	}
	if cfg.HashWait <= 0 {
		cfg.HashWait = 2 * time.Second
	}
	return &Service{store: store, cfg: cfg, hashes: newHashGate(cfg.HashConcurrency, cfg.HashWait), logins: newAttempts()}
}

// Org reads one organisation of the town's directory. The directory
// (names, kinds, countries, registration numbers) is public to every
// signed-in member, as in a company register, so no principal is needed;
// an unknown id answers not_found.
func (s *Service) Org(ctx context.Context, id string) (Org, error) {
	if id == "" {
		return Org{}, problem.New(problem.NotFound, "no such organisation")
	}
	return s.store.GetOrg(ctx, id)
}

// Orgs lists the town's directory of organisations, in id order after
// page.After (see Org for why it is public).
func (s *Service) Orgs(ctx context.Context, page Page) ([]Org, error) {
	return s.store.ListOrgs(ctx, page)
}

// UserByID reads one user for a trusted caller that shows who did
// something (the name of the operator who ran a clearing run); callers
// decide whether the viewer may see it.
func (s *Service) UserByID(ctx context.Context, id string) (User, error) {
	return s.store.GetUser(ctx, id)
}

// UserByEmail reads one user by sign-in address for trusted callers (the
// demo seeder checks whether its users exist already).
func (s *Service) UserByEmail(ctx context.Context, email string) (User, error) {
	return s.store.GetUserByEmail(ctx, email)
}

// OrgUsers lists an organisation's users for trusted callers (the demo
// seeder); people-facing listings go through ListUsers, which checks the
// principal.
func (s *Service) OrgUsers(ctx context.Context, orgID string, page Page) ([]User, error) {
	return s.store.ListUsers(ctx, orgID, page)
}

// SweepSessions removes sessions past their idle or absolute expiry and
// reports how many went.
func (s *Service) SweepSessions(ctx context.Context, now time.Time) (int64, error) {
	return s.store.DeleteExpiredSessions(ctx, now)
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }

func (s *Service) now() time.Time { return s.cfg.Now().UTC().Truncate(time.Microsecond) }

func record(p *Principal, action, subjectType, subjectID, orgID, before, after, detail string) audit.Record {
	u, o := p.Actor()
	return audit.Record{ActorUser: u, ActorOrg: o, Action: action, SubjectType: subjectType, SubjectID: subjectID,
		OrgID: orgID, Before: before, After: after, Detail: detail}
}

// NewOrg is the input for registering an organisation.
type NewOrg struct {
	Name    string  `json:"name"`
	Kind    OrgKind `json:"kind"`
	Country string  `json:"country"`
	RegID   string  `json:"reg_id"`
}

// CreateOrg registers an organisation. Only the platform administrator
// admits organisations to the town (p == nil means the system itself, used
// by the demo seeder and bootstrap).
func (s *Service) CreateOrg(ctx context.Context, p *Principal, in NewOrg) (Org, error) {
	if p != nil && !p.Has(PlatformAdmin) {
		return Org{}, problem.New(problem.Forbidden, "only the platform administrator registers organisations")
	}
	f := problem.Fields{}
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" || utf8.RuneCountInString(in.Name) > 200 {
		f.Add("name", "must be 1 to 200 characters")
	}
	if _, ok := kindRoles[in.Kind]; !ok {
		f.Addf("kind", "must be one of %s", kindList())
	}
	in.Country = strings.ToUpper(strings.TrimSpace(in.Country))
	if !s.cfg.KnownCountry(in.Country) {
		f.Add("country", "must be an ISO 3166 alpha-2 country code")
	}
	regID := NormaliseRegID(in.RegID)
	scheme := ""
	if len(f) == 0 || f["country"] == "" {
		var err error
		scheme, err = CheckRegID(in.Country, regID)
		if err != nil {
			f.Addf("reg_id", "%s %s", scheme, err.Error())
		}
	}
	if err := f.Err("the organisation is not valid"); err != nil {
		return Org{}, err
	}
	o := Org{ID: newID(), Name: in.Name, Kind: in.Kind, Country: in.Country, RegScheme: scheme, RegID: regID, CreatedAt: s.now()}
	if err := s.store.CreateOrg(ctx, o, record(p, "org.create", "org", o.ID, o.ID, "", o.ID, o.Name)); err != nil {
		return Org{}, fmt.Errorf("identity: create org %q: %w", o.Name, err)
	}
	return o, nil
}

func kindList() string {
	s := make([]string, len(OrgKinds))
	for i, k := range OrgKinds {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

// NewUser is the input for adding a user to an organisation.
type NewUser struct {
	Email    string `json:"email"`
	Name     string `json:"name"`
	Password string `json:"password"`
	Roles    []Role `json:"roles"`
	Lang     string `json:"lang"`
}

// Languages the UI speaks; a user's preference must be one of them.
var Languages = []string{"en", "ru", "zh", "kk", "pt"}

// CreateUser adds a user to org orgID. The org's administrators add their
// own staff; the platform administrator may add anyone. Roles must suit the
// org's kind and be ones the caller may grant (see grantable: roles flow
// downward, and API tokens create no users).
func (s *Service) CreateUser(ctx context.Context, p *Principal, orgID string, in NewUser) (User, error) {
	if p != nil && !(p.Has(PlatformAdmin) || p.Has(OrgAdmin) && p.OrgID == orgID) {
		return User{}, problem.New(problem.NotFound, "no such organisation")
	}
	if p != nil && p.Via == "token" {
		return User{}, problem.New(problem.Forbidden, "API tokens cannot create users; sign in")
	}
	org, err := s.store.GetOrg(ctx, orgID)
	if err != nil {
		return User{}, err
	}
	f := problem.Fields{}
	email, err := normaliseEmail(in.Email)
	if err != nil {
		f.Add("email", err.Error())
	}
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" || utf8.RuneCountInString(in.Name) > 200 {
		f.Add("name", "must be 1 to 200 characters")
	}
	if n := utf8.RuneCountInString(in.Password); n < 10 || len(in.Password) > 256 {
		f.Add("password", "must be 10 to 256 characters")
	}
	forbidden := checkRoles(p, org, in.Roles, f)
	if in.Lang == "" {
		in.Lang = "en"
	}
	if !slices.Contains(Languages, in.Lang) {
		f.Addf("lang", "must be one of %s", strings.Join(Languages, ", "))
	}
	if err := f.Err("the user is not valid"); err != nil {
		return User{}, err
	}
	if len(forbidden) > 0 {
		return User{}, &problem.Error{Code: problem.Forbidden, Message: "you cannot grant these roles", Fields: forbidden}
	}
	hash, err := s.hashPassword(ctx, in.Password)
	if err != nil {
		return User{}, err
	}
	u := User{ID: newID(), OrgID: orgID, Email: email, Name: in.Name, Roles: slices.Compact(slices.Sorted(slices.Values(in.Roles))),
		Lang: in.Lang, CreatedAt: s.now(), PasswordHash: hash}
	if err := s.store.CreateUser(ctx, u, record(p, "user.create", "user", u.ID, orgID, "", RolesString(u.Roles), u.Email)); err != nil {
		if problem.Is(err, problem.Conflict) {
			return User{}, &problem.Error{Code: problem.Conflict, Message: "a user with this email exists", Fields: map[string]string{"email": "already registered"}}
		}
		return User{}, fmt.Errorf("identity: create user %s: %w", email, err)
	}
	return u, nil
}

func normaliseEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || len(s) > 254 || !strings.Contains(s[strings.LastIndexByte(s, '@'):], ".") {
		return "", errors.New("must be an email address such as name@example.kz")
	}
	return strings.ToLower(s), nil
}

// ListUsers lists an organisation's users to its own members and to the
// platform administrator; to anyone else the org's staff list does not exist.
func (s *Service) ListUsers(ctx context.Context, p *Principal, orgID string, page Page) ([]User, error) {
	if !p.CanSeeOrg(orgID) {
		return nil, problem.New(problem.NotFound, "no such organisation")
	}
	return s.store.ListUsers(ctx, orgID, page)
}

// SetUserDisabled signs a user out of the platform for good (or back in).
func (s *Service) SetUserDisabled(ctx context.Context, p *Principal, orgID, userID string, disabled bool) error {
	if !(p.Has(PlatformAdmin) || p.Has(OrgAdmin) && p.OrgID == orgID) {
		return problem.New(problem.NotFound, "no such user")
	}
	u, err := s.store.GetUser(ctx, userID)
	if err != nil || u.OrgID != orgID {
		return problem.New(problem.NotFound, "no such user")
	}
	// A token may take power away (disable a user within its scope) but not
	// give it back: re-enabling would outlive the token's revocation.
	actor := p
	if p.Via == "token" {
		if !disabled {
			return problem.New(problem.Forbidden, "API tokens cannot enable users; sign in")
		}
		q := *p
		q.Via = "session"
		actor = &q
	}
	if u.ID == p.UserID {
		return problem.New(problem.Conflict, "you cannot disable yourself")
	}
	org, err := s.store.GetOrg(ctx, orgID)
	if err != nil {
		return err
	}
	if !mayActOn(actor, org, u) {
		return problem.New(problem.Forbidden, "this user holds roles you cannot grant")
	}
	defer s.forgetTokens()
	return s.store.SetUserDisabled(ctx, userID, disabled, record(p, "user.disable", "user", userID, orgID,
		fmt.Sprint(u.Disabled), fmt.Sprint(disabled), u.Email))
}

// ErrBadLogin is the single answer to every failed login, so that a caller
// cannot learn which emails exist or which users are disabled.
var ErrBadLogin = problem.New(problem.Unauthenticated, "email or password is wrong")

// Login checks a password and opens a session; it returns the session's
// secret (for the cookie) and the session. from is the client's address
// (ClientAddr). The attempt is counted against the account and the address
// before the password is looked at, and given back only if it succeeds, so
// no burst evaluates more passwords than the limit; the check itself runs
// in a hashing slot. Refusals are RetryErrors (rate_limited, unavailable).
func (s *Service) Login(ctx context.Context, email, password, from string) (string, Session, *Principal, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if len(email) > 254 || len(password) > 256 {
		return "", Session{}, nil, ErrBadLogin
	}
	keys := []string{"email:" + email, addrKey(from)}
	if ok, retry := s.logins.reserve(s.cfg.Now(), keys...); !ok {
		return "", Session{}, nil, &RetryError{Err: problem.New(problem.RateLimited, "too many sign-in attempts; try again later"), After: retry}
	}
	u, err := s.store.GetUserByEmail(ctx, email)
	if err != nil && !problem.Is(err, problem.NotFound) {
		return "", Session{}, nil, err
	}
	hash := u.PasswordHash
	if err != nil {
		hash = dummyHash // spend the same time, so timing does not reveal which emails exist
	}
	good, herr := s.checkPassword(ctx, hash, password)
	if herr != nil {
		return "", Session{}, nil, herr
	}
	if err != nil || !good || u.Disabled {
		return "", Session{}, nil, ErrBadLogin
	}
	s.logins.refund(s.cfg.Now(), keys...)
	org, err := s.store.GetOrg(ctx, u.OrgID)
	if err != nil {
		return "", Session{}, nil, err
	}
	secret := NewSecret()
	now := s.now()
	sess := Session{TokenHash: HashSecret(secret), UserID: u.ID, CSRFToken: NewSecret(), CreatedAt: now, LastSeenAt: now,
		ExpiresAt: now.Add(s.cfg.SessionAbsolute)}
	p := principalOf(u, org, "session")
	p.CSRF = sess.CSRFToken
	if err := s.store.CreateSession(ctx, sess, record(p, "session.create", "user", u.ID, u.OrgID, "", "", "signed in")); err != nil {
		return "", Session{}, nil, fmt.Errorf("identity: login %s: %w", email, err)
	}
	return secret, sess, p, nil
}

func principalOf(u User, o Org, via string) *Principal {
	return &Principal{UserID: u.ID, OrgID: u.OrgID, OrgKind: o.Kind, Name: u.Name, Email: u.Email, Roles: u.Roles, Lang: u.Lang, Via: via}
}

// AuthenticateSession turns a session cookie into a Principal, enforcing
// idle and absolute expiry. Activity is written at most once a minute so
// that reading pages does not turn every request into a write.
func (s *Service) AuthenticateSession(ctx context.Context, secret string) (*Principal, error) {
	if secret == "" {
		return nil, problem.New(problem.Unauthenticated, "not signed in")
	}
	h := HashSecret(secret)
	sess, err := s.store.GetSession(ctx, h)
	if err != nil {
		if problem.Is(err, problem.NotFound) {
			return nil, problem.New(problem.Unauthenticated, "session expired, please sign in again")
		}
		return nil, err
	}
	now := s.now()
	if !now.Before(sess.ExpiresAt) || now.Sub(sess.LastSeenAt) >= s.cfg.SessionIdle {
		return nil, problem.New(problem.Unauthenticated, "session expired, please sign in again")
	}
	u, err := s.store.GetUser(ctx, sess.UserID)
	if err != nil {
		return nil, err
	}
	if u.Disabled {
		return nil, problem.New(problem.Unauthenticated, "session expired, please sign in again")
	}
	org, err := s.store.GetOrg(ctx, u.OrgID)
	if err != nil {
		return nil, err
	}
	if now.Sub(sess.LastSeenAt) > time.Minute {
		if err := s.store.TouchSession(ctx, h, now); err != nil {
			return nil, err
		}
	}
	p := principalOf(u, org, "session")
	p.CSRF = sess.CSRFToken
	return p, nil
}

// Logout ends the session.
func (s *Service) Logout(ctx context.Context, p *Principal, secret string) error {
	return s.store.DeleteSession(ctx, HashSecret(secret), record(p, "session.delete", "user", p.UserID, p.OrgID, "", "", "signed out"))
}

// AuthenticateToken turns a bearer token into a Principal with the token's
// roles (never more than its creator had when it was made).
func (s *Service) AuthenticateToken(ctx context.Context, secret string) (*Principal, error) {
	if !LooksLikeAPIToken(secret) {
		return nil, problem.New(problem.Unauthenticated, "invalid API token")
	}
	hash := HashSecret(secret)
	key := [32]byte(hash)
	now := s.now()
	if v, ok := s.tokens.Load(key); ok {
		if c := v.(cachedToken); now.Before(c.until) && (c.until.Sub(now) <= TokenCacheTTL) {
			p := c.p
			return &p, nil
		}
		s.tokens.Delete(key)
	}
	t, err := s.store.GetAPITokenByHash(ctx, hash)
	if err != nil {
		if problem.Is(err, problem.NotFound) {
			return nil, problem.New(problem.Unauthenticated, "invalid API token")
		}
		return nil, err
	}
	if !t.RevokedAt.IsZero() || !t.ExpiresAt.IsZero() && !now.Before(t.ExpiresAt) {
		return nil, problem.New(problem.Unauthenticated, "API token revoked or expired")
	}
	creator, err := s.store.GetUser(ctx, t.CreatedBy)
	if err != nil {
		return nil, err
	}
	if creator.Disabled {
		return nil, problem.New(problem.Unauthenticated, "API token revoked or expired")
	}
	org, err := s.store.GetOrg(ctx, t.OrgID)
	if err != nil {
		return nil, err
	}
	if now.Sub(t.LastUsedAt) > time.Minute {
		if err := s.store.TouchAPIToken(ctx, t.ID, now); err != nil {
			return nil, err
		}
	}
	p := Principal{UserID: t.CreatedBy, OrgID: t.OrgID, OrgKind: org.Kind, Name: t.Name, Email: creator.Email,
		Roles: t.Roles, Lang: creator.Lang, Via: "token", TokenID: t.ID}
	until := now.Add(TokenCacheTTL)
	if !t.ExpiresAt.IsZero() && t.ExpiresAt.Before(until) {
		until = t.ExpiresAt
	}
	s.tokens.Store(key, cachedToken{p: p, until: until})
	return &p, nil
}

// forgetTokens drops every cached token, after a revocation or a user's
// disabling, so they take effect in this process at once.
func (s *Service) forgetTokens() { s.tokens.Clear() }

// NewToken is the input for issuing an API token.
type NewToken struct {
	Name      string `json:"name"`
	Roles     []Role `json:"roles"`
	ExpiresIn int    `json:"expires_in_days"` // 0 = no expiry
}

// CreateToken issues a token for the caller's organisation. It returns the
// secret, which is shown once and never stored.
func (s *Service) CreateToken(ctx context.Context, p *Principal, orgID string, in NewToken) (APIToken, string, error) {
	if !(p.Has(OrgAdmin) && p.OrgID == orgID || p.Has(PlatformAdmin) && p.OrgID == orgID) {
		return APIToken{}, "", problem.New(problem.NotFound, "no such organisation")
	}
	if p.Via == "token" {
		return APIToken{}, "", problem.New(problem.Forbidden, "API tokens cannot create API tokens; sign in")
	}
	f := problem.Fields{}
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" || utf8.RuneCountInString(in.Name) > 100 {
		f.Add("name", "must be 1 to 100 characters")
	}
	if len(in.Roles) == 0 {
		f.Add("roles", "at least one role is required")
	}
	// A token carries only roles its creator holds itself, never more, so
	// that it can be no stronger than the person answerable for it.
	forbidden := problem.Fields{}
	for i, r := range in.Roles {
		if !p.Has(r) {
			forbidden.Addf(fmt.Sprintf("roles[%d]", i), "you do not hold role %q", r)
		}
	}
	if in.ExpiresIn < 0 || in.ExpiresIn > 730 {
		f.Add("expires_in_days", "must be 0 (never) to 730")
	}
	if err := f.Err("the token is not valid"); err != nil {
		return APIToken{}, "", err
	}
	if len(forbidden) > 0 {
		return APIToken{}, "", &problem.Error{Code: problem.Forbidden, Message: "a token cannot have roles you do not hold", Fields: forbidden}
	}
	secret := NewAPITokenSecret()
	now := s.now()
	t := APIToken{ID: newID(), OrgID: orgID, CreatedBy: p.UserID, Name: in.Name, Roles: slices.Compact(slices.Sorted(slices.Values(in.Roles))),
		CreatedAt: now, Hash: HashSecret(secret)}
	if in.ExpiresIn > 0 {
		t.ExpiresAt = now.AddDate(0, 0, in.ExpiresIn)
	}
	if err := s.store.CreateAPIToken(ctx, t, record(p, "api_token.create", "api_token", t.ID, orgID, "", RolesString(t.Roles), t.Name)); err != nil {
		return APIToken{}, "", fmt.Errorf("identity: create token: %w", err)
	}
	return t, secret, nil
}

// ListTokens lists an organisation's tokens (never their secrets).
func (s *Service) ListTokens(ctx context.Context, p *Principal, orgID string, page Page) ([]APIToken, error) {
	if !(p.OrgID == orgID && p.Has(OrgAdmin) || p.Has(PlatformAdmin)) {
		return nil, problem.New(problem.NotFound, "no such organisation")
	}
	return s.store.ListAPITokens(ctx, orgID, page)
}

// RevokeToken makes a token unusable at once; the record stays for audit.
func (s *Service) RevokeToken(ctx context.Context, p *Principal, orgID, tokenID string) error {
	if !(p.OrgID == orgID && p.Has(OrgAdmin) || p.Has(PlatformAdmin)) {
		return problem.New(problem.NotFound, "no such token")
	}
	defer s.forgetTokens()
	return s.store.RevokeAPIToken(ctx, orgID, tokenID, s.now(), record(p, "api_token.revoke", "api_token", tokenID, orgID, "active", "revoked", ""))
}

// OrgNames resolves organisation ids to names for one request or page,
// looking each id up once (a board lists a handful of banks many times
// over). An unknown id resolves to fallback(id).
type OrgNames struct {
	svc      *Service
	ctx      context.Context
	fallback func(id string) string
	names    map[string]string
}

// OrgNames returns a resolver bound to ctx; fallback names an id that is
// not an organisation ("" when nil).
func (s *Service) OrgNames(ctx context.Context, fallback func(id string) string) *OrgNames {
	return &OrgNames{svc: s, ctx: ctx, fallback: fallback, names: map[string]string{}}
}

// Name is the organisation's name.
func (n *OrgNames) Name(id string) string {
	if v, ok := n.names[id]; ok {
		return v
	}
	v := ""
	if n.fallback != nil {
		v = n.fallback(id)
	}
	if n.svc != nil {
		if o, err := n.svc.store.GetOrg(n.ctx, id); err == nil {
			v = o.Name
		}
	}
	n.names[id] = v
	return v
}
