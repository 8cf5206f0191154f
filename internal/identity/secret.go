package identity

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strings"
)

// NewSecret returns 32 random bytes, URL-safe encoded: the secret part of
// session cookies, API tokens and CSRF tokens.
func NewSecret() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("identity: crypto/rand failed: " + err.Error()) // the OS RNG never fails on supported systems
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// HashSecret is how secrets are stored: a plain SHA-256 is enough because
// the secrets have 256 bits of entropy (unlike passwords, nothing to brute force).
func HashSecret(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// TokenPrefix marks platform API tokens so that secret scanners can find
// leaked ones.
const TokenPrefix = "bt_"

// NewAPITokenSecret returns a new token string: prefix plus secret.
func NewAPITokenSecret() string { return TokenPrefix + NewSecret() }

// LooksLikeAPIToken is a cheap check before hashing and a database look-up.
func LooksLikeAPIToken(s string) bool {
	return strings.HasPrefix(s, TokenPrefix) && len(s) > len(TokenPrefix)+20
}
