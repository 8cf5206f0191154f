package identity

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// TrustedProxies are the reverse proxies whose forwarding headers are
// believed. Behind a proxy every request comes from the proxy's address,
// so limits per client need the address the proxy saw; but a header sent
// by anyone else is the client's own claim and is ignored.
type TrustedProxies []netip.Prefix

// ParseTrustedProxies reads a comma- or space-separated list of CIDR blocks
// or single addresses ("10.0.0.0/8, 192.0.2.7"). Empty means none.
func ParseTrustedProxies(s string) (TrustedProxies, error) {
	var out TrustedProxies
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q: not an address or CIDR block", f)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

func (t TrustedProxies) trusts(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range t {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// ClientAddr is the one answer to "who is the client" for limits, logs and
// audit. It is the peer's address unless the peer is a trusted proxy; then
// the forwarding chain is read from the right (the entries proxies appended)
// and the first address that is not itself a trusted proxy is the client.
// X-Forwarded-For is read when present, else Forwarded (RFC 7239); the
// proxy must write (or overwrite) the one it uses, since anything to the
// left of its own entry came from the client. A malformed entry stops the
// walk at the last address a trusted proxy vouched for.
func (t TrustedProxies) ClientAddr(r *http.Request) string {
	peer := peerAddr(r.RemoteAddr)
	if !peer.IsValid() {
		return r.RemoteAddr
	}
	if len(t) == 0 || !t.trusts(peer) {
		return peer.String()
	}
	chain := forwardedChain(r.Header)
	client := peer
	for i := len(chain) - 1; i >= 0; i-- {
		a, ok := parseForwardedAddr(chain[i])
		if !ok {
			break
		}
		client = a
		if !t.trusts(a) {
			break
		}
	}
	return client.String()
}

// ClientAddr is the request's client address under the service's trusted
// proxies; the API, the pages and the access log all ask here.
func (s *Service) ClientAddr(r *http.Request) string { return s.cfg.TrustedProxies.ClientAddr(r) }

func peerAddr(remote string) netip.Addr {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap()
}

// forwardedChain lists the forwarded-for entries, oldest first.
func forwardedChain(h http.Header) []string {
	var out []string
	if xff := h.Values("X-Forwarded-For"); len(xff) > 0 {
		for _, v := range xff {
			for _, e := range strings.Split(v, ",") {
				out = append(out, strings.TrimSpace(e))
			}
		}
		return out
	}
	for _, v := range h.Values("Forwarded") {
		for _, elem := range strings.Split(v, ",") {
			for _, pair := range strings.Split(elem, ";") {
				k, val, ok := strings.Cut(strings.TrimSpace(pair), "=")
				if ok && strings.EqualFold(k, "for") {
					out = append(out, strings.Trim(val, `"`))
				}
			}
		}
	}
	return out
}

// parseForwardedAddr accepts "192.0.2.1", "192.0.2.1:443", "2001:db8::1"
// and "[2001:db8::1]:443"; obfuscated identifiers ("unknown", "_x") fail.
func parseForwardedAddr(s string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap(), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		if a, err := netip.ParseAddr(s[1 : len(s)-1]); err == nil {
			return a.Unmap(), true
		}
	}
	return netip.Addr{}, false
}
