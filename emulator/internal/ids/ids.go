// Package ids makes the random identifiers and secrets the emulator hands
// out, in the formats Pipedream uses where they are known (o_, proj_, exu_).
package ids

import (
	"crypto/rand"
	"encoding/base64"
)

const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// New returns prefix followed by n random alphanumeric characters, e.g.
// New("proj_", 7) = "proj_Ab3dE9x". The modulo bias of 256 % 62 is
// irrelevant for identifiers; secrets come from Secret.
func New(prefix string, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("ids: crypto/rand failed: " + err.Error()) // unreachable since Go 1.24
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return prefix + string(b)
}

// Secret returns 256 random bits, base64url-encoded without padding.
func Secret() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("ids: crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
