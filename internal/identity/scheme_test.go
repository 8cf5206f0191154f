package identity

import (
	"crypto/tls"
	"net/http/httptest"
	"testing"
)

// TestTLS: the scheme a trusted proxy reports is believed, anyone else's
// claim is not, and a direct TLS connection is TLS.
func TestTLS(t *testing.T) {
	proxies, err := ParseTrustedProxies("10.0.0.0/8")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name       string
		remote     string
		hdr, value string
		direct     bool
		want       bool
	}{
		{"plain", "192.0.2.1:5000", "", "", false, false},
		{"direct TLS", "192.0.2.1:5000", "", "", true, true},
		{"trusted proxy https", "10.1.2.3:5000", "X-Forwarded-Proto", "https", false, true},
		{"trusted proxy http", "10.1.2.3:5000", "X-Forwarded-Proto", "http", false, false},
		{"trusted proxy appended", "10.1.2.3:5000", "X-Forwarded-Proto", "https, http", false, false},
		{"trusted proxy Forwarded", "10.1.2.3:5000", "Forwarded", `for=192.0.2.1;proto=https`, false, true},
		{"untrusted peer claims https", "192.0.2.1:5000", "X-Forwarded-Proto", "https", false, false},
		{"untrusted peer Forwarded", "192.0.2.1:5000", "Forwarded", "proto=https", false, false},
	} {
		r := httptest.NewRequest("GET", "/login", nil)
		r.RemoteAddr = c.remote
		if c.hdr != "" {
			r.Header.Set(c.hdr, c.value)
		}
		if c.direct {
			r.TLS = &tls.ConnectionState{}
		}
		if got := proxies.TLS(r); got != c.want {
			t.Errorf("%s: TLS = %v, want %v", c.name, got, c.want)
		}
	}
	// With no trusted proxy configured, no header is believed.
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "10.1.2.3:5000"
	r.Header.Set("X-Forwarded-Proto", "https")
	if TrustedProxies(nil).TLS(r) {
		t.Error("header believed without a trusted proxy")
	}
}
