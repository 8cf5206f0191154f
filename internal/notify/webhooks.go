package notify

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"bricstown/internal/audit"
	"bricstown/internal/identity"
	"bricstown/internal/problem"

	"github.com/google/uuid"
)

// SignatureHeader carries a delivery's signature.
const SignatureHeader = "X-Bricstown-Signature"

// Sign computes the signature header of a webhook body sent at t:
// "t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<unix seconds>." + body)>".
// Signing the timestamp with the body lets a receiver refuse replays of an
// old delivery; the secret is used as its UTF-8 bytes.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Verify checks a signature header against the body and the secret, and that
// its timestamp lies within tolerance of now: what a receiver does with every
// delivery. Any of several v1 values may match (secret rotation).
func Verify(secret, header string, body []byte, now time.Time, tolerance time.Duration) error {
	var ts string
	var sigs [][]byte
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		switch k {
		case "t":
			ts = v
		case "v1":
			if b, err := hex.DecodeString(v); err == nil {
				sigs = append(sigs, b)
			}
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return fmt.Errorf("notify: malformed signature header %q", header)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("notify: signature timestamp %d is outside the tolerance", sec)
	}
	want := mac(secret, ts, body)
	for _, s := range sigs {
		if hmac.Equal(s, want) {
			return nil
		}
	}
	return fmt.Errorf("notify: signature does not match")
}

// NewSecret makes a webhook signing secret: "whsec_" and 256 random bits.
func NewSecret() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return "whsec_" + base64.RawURLEncoding.EncodeToString(b)
}

// NewWebhook is what an organisation's administrator registers.
type NewWebhook struct {
	URL         string `json:"url"`
	Description string `json:"description,omitempty"`
}

const (
	maxURLLen         = 2000
	maxDescriptionLen = 200
)

// admin checks that p administers an organisation.
func (h *Hub) admin(p *identity.Principal) error {
	switch {
	case p == nil:
		return problem.New(problem.Unauthenticated, "sign in to manage webhooks")
	case !p.Has(identity.OrgAdmin):
		return problem.New(problem.Forbidden, "only an organisation's administrators manage its webhooks")
	case h.store == nil:
		return problem.Wrap(problem.Unavailable, errNoStore, "webhooks are not available on this server")
	}
	return nil
}

// CreateWebhook registers an endpoint for the principal's organisation and
// returns it with its signing secret, which is not shown again.
func (h *Hub) CreateWebhook(ctx context.Context, p *identity.Principal, in NewWebhook) (Webhook, string, error) {
	if err := h.admin(p); err != nil {
		return Webhook{}, "", err
	}
	f := problem.Fields{}
	u := h.checkURL(f, in.URL)
	desc := strings.TrimSpace(in.Description)
	switch {
	case !utf8.ValidString(desc):
		f.Add("description", "must be valid UTF-8")
	case utf8.RuneCountInString(desc) > maxDescriptionLen:
		f.Addf("description", "at most %d characters", maxDescriptionLen)
	case strings.IndexFunc(desc, unicode.IsControl) >= 0:
		f.Add("description", "must not contain control characters")
	}
	if err := f.Err("the webhook is not valid"); err != nil {
		return Webhook{}, "", err
	}
	w := Webhook{ID: uuid.Must(uuid.NewV7()).String(), OrgID: p.OrgID, URL: u, Description: desc, Secret: NewSecret(),
		CreatedAt: h.clock(), CreatedBy: p.UserID}
	user, org := p.Actor()
	rec := audit.Record{ActorUser: user, ActorOrg: org, Action: "notify.webhook.create", SubjectType: "webhook", SubjectID: w.ID,
		OrgID: p.OrgID, After: redactURL(u), Detail: desc}
	if err := h.store.CreateWebhook(ctx, w, h.Policy().MaxWebhooksPerOrg, rec); err != nil {
		return Webhook{}, "", err
	}
	return w, w.Secret, nil
}

// checkURL validates a webhook URL: absolute http or https, a host, no
// credentials or fragment; with private networks disallowed, a literal
// private address is refused here too (host names are checked when they are
// dialled, so that DNS cannot be used to get round the rule).
func (h *Hub) checkURL(f problem.Fields, raw string) string {
	raw = strings.TrimSpace(raw)
	switch {
	case raw == "":
		f.Add("url", "required: the http(s) address that receives the events")
		return ""
	case len(raw) > maxURLLen:
		f.Addf("url", "at most %d characters", maxURLLen)
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Opaque != "" {
		f.Add("url", "must be an absolute URL such as https://erp.example.kz/hooks/bricstown")
		return ""
	}
	u.Scheme = strings.ToLower(u.Scheme)
	switch {
	case u.Scheme != "https" && u.Scheme != "http":
		f.Add("url", "must use https (or http)")
	case u.Hostname() == "":
		f.Add("url", "must name a host")
	case u.User != nil:
		f.Add("url", "must not carry a user name or password: deliveries are authenticated by their signature")
	case u.Fragment != "" || strings.Contains(raw, "#"):
		f.Add("url", "must not have a #fragment")
	default:
		if ip := net.ParseIP(u.Hostname()); ip != nil && !h.Policy().AllowPrivateNetworks && !publicIP(ip) {
			f.Add("url", "must be a public address: loopback, private and link-local networks are not reachable from the platform")
		} else if strings.EqualFold(u.Hostname(), "localhost") && !h.Policy().AllowPrivateNetworks {
			f.Add("url", "must be a public address: localhost is not reachable from the platform")
		}
	}
	return u.String()
}

// redactURL keeps the scheme, host and path of a URL for the audit log: a
// query string may carry a receiver's token.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return ""
	}
	u.RawQuery, u.User = "", nil
	return u.String()
}

// ListWebhooks returns the principal's organisation's webhooks (without
// secrets).
func (h *Hub) ListWebhooks(ctx context.Context, p *identity.Principal) ([]Webhook, error) {
	if err := h.admin(p); err != nil {
		return nil, err
	}
	return h.store.ListWebhooks(ctx, p.OrgID)
}

// DeleteWebhook removes one of the principal's organisation's webhooks;
// its pending deliveries are cancelled. Another organisation's webhook is
// NotFound.
func (h *Hub) DeleteWebhook(ctx context.Context, p *identity.Principal, id string) error {
	if err := h.admin(p); err != nil {
		return err
	}
	if _, err := uuid.Parse(id); err != nil {
		return problem.New(problem.NotFound, "no such webhook")
	}
	user, org := p.Actor()
	rec := audit.Record{ActorUser: user, ActorOrg: org, Action: "notify.webhook.delete", SubjectType: "webhook", SubjectID: id, OrgID: p.OrgID}
	return h.store.DeleteWebhook(ctx, p.OrgID, id, h.clock(), rec)
}

// Deliveries is the principal's organisation's delivery log, newest first.
func (h *Hub) Deliveries(ctx context.Context, p *identity.Principal, webhookID, before string, limit int) ([]Delivery, error) {
	if err := h.admin(p); err != nil {
		return nil, err
	}
	f := problem.Fields{}
	if webhookID != "" {
		if _, err := uuid.Parse(webhookID); err != nil {
			f.Add("webhook_id", "must be a webhook id")
		}
	}
	if before != "" {
		if _, err := uuid.Parse(before); err != nil {
			f.Add("cursor", "not a cursor from this listing")
		}
	}
	if err := f.Err("bad delivery query"); err != nil {
		return nil, err
	}
	return h.store.ListDeliveries(ctx, p.OrgID, webhookID, before, limit)
}
