package identity

import (
	"net/http"
	"strings"
)

// TLS reports whether the client's request reached the platform over TLS:
// directly (r.TLS), or through a trusted proxy that says so in
// X-Forwarded-Proto, or else in Forwarded's proto= (RFC 7239). The proxy
// must write (or overwrite) the header; the value it appended last, the
// rightmost, is read, since anything to its left came from further away.
// A header from a peer that is not a trusted proxy is the client's own
// claim and is ignored.
//
// Cookies are marked Secure exactly when this holds: a browser never
// sends a Secure cookie back over plain HTTP (except to localhost), so
// marking them Secure on a plain-HTTP LAN address would break sign-in,
// while leaving Secure off behind a TLS proxy would let the cookie travel
// unencrypted if a page were ever opened over http://.
func (t TrustedProxies) TLS(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	peer := peerAddr(r.RemoteAddr)
	if !peer.IsValid() || !t.trusts(peer) {
		return false
	}
	if v := r.Header.Values("X-Forwarded-Proto"); len(v) > 0 {
		return strings.EqualFold(lastListItem(v), "https")
	}
	proto := ""
	for _, v := range r.Header.Values("Forwarded") {
		for _, elem := range strings.Split(v, ",") {
			for _, pair := range strings.Split(elem, ";") {
				k, val, ok := strings.Cut(strings.TrimSpace(pair), "=")
				if ok && strings.EqualFold(k, "proto") {
					proto = strings.Trim(val, `"`)
				}
			}
		}
	}
	return strings.EqualFold(proto, "https")
}

// lastListItem is the rightmost entry of a comma-separated header.
func lastListItem(vs []string) string {
	last := vs[len(vs)-1]
	if i := strings.LastIndexByte(last, ','); i >= 0 {
		last = last[i+1:]
	}
	return strings.TrimSpace(last)
}

// RequestTLS is TLS under the service's trusted proxies; the pages ask it
// before setting a cookie.
func (s *Service) RequestTLS(r *http.Request) bool { return s.cfg.TrustedProxies.TLS(r) }
