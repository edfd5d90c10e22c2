package token

import (
	"crypto/ed25519"
	"encoding/base64"
	"fmt"

	"github.com/pdemu/pdemu/emulator/apperr"
)

// State is what Keys must carry across an export and an import so that
// every token signed before the export still verifies after the import:
// the issuer and the one signing key. Rotate keeps no previous key (a
// rotation invalidates every token signed before it), so there is nothing
// else to carry.
//
// State holds the PRIVATE signing key. Whoever reads it can mint tokens
// this emulator accepts, so any document that embeds it is a secret: keep
// it out of logs, journals and shared fixtures as one would a client
// secret.
//
// The verified-token cache is not part of it: it only remembers work
// already done, and Import empties it.
type State struct {
	// Issuer is the iss every token names. It is configuration (the
	// emulator serves it in its discovery document too), so Import refuses
	// a State of another issuer rather than adopt it; see CheckImport.
	Issuer string `json:"issuer"`
	// KeyID is the kid the JWKS publishes for the key.
	KeyID string `json:"kid"`
	// Seed is the Ed25519 private key as its 32-byte seed (RFC 8032 §5.1.5;
	// the "d" of an RFC 8037 JWK), base64url without padding. The public
	// key is derived from it, so it is not stored twice.
	Seed string `json:"ed25519_seed"`
}

// maxKeyIDLen bounds a kid; the ones Rotate makes are 12 characters.
const maxKeyIDLen = 128

// Export returns the issuer and the current signing key.
func (k *Keys) Export() State {
	st := k.state.Load()
	return State{
		Issuer: k.issuer,
		KeyID:  st.kid,
		Seed:   base64.RawURLEncoding.EncodeToString(st.priv.Seed()),
	}
}

// ValidateState checks st on its own, without a Keys: an issuer, a kid of
// printable ASCII and a seed of 32 bytes. Errors: apperr invalid_request
// whose message starts with the JSON path of the first bad value, e.g.
// "ed25519_seed: must be 32 bytes".
func ValidateState(st State) error {
	if st.Issuer == "" {
		return invalidAt("issuer", "is required")
	}
	if st.KeyID == "" || len(st.KeyID) > maxKeyIDLen {
		return invalidAt("kid", "must be 1..%d bytes", maxKeyIDLen)
	}
	for i := 0; i < len(st.KeyID); i++ {
		if c := st.KeyID[i]; c <= ' ' || c > '~' {
			return invalidAt("kid", "must be printable ASCII without spaces")
		}
	}
	if _, err := decodeSeed(st.Seed); err != nil {
		return invalidAt("ed25519_seed", "%v", err)
	}
	return nil
}

// CheckImport reports whether Import would accept st, changing nothing:
// ValidateState, and the issuer must be k's. A caller that imports several
// families at once checks them all first, so that none is half imported.
func (k *Keys) CheckImport(st State) error {
	if err := ValidateState(st); err != nil {
		return err
	}
	if st.Issuer != k.issuer {
		// Tokens carry the exporter's iss; adopting it here alone would
		// leave this emulator's discovery document naming another issuer,
		// and ignoring it would make every imported token fail to verify.
		return invalidAt("issuer", "is %q, but this emulator's issuer is %q; start it with that issuer to import this state", st.Issuer, k.issuer)
	}
	return nil
}

// Import makes st's key the signing key, after CheckImport; on error
// nothing changes. The verified-token cache starts empty, so a token
// verified under the previous key must verify again under the new one.
func (k *Keys) Import(st State) error {
	if err := k.CheckImport(st); err != nil {
		return err
	}
	seed, _ := decodeSeed(st.Seed) // checked by ValidateState
	priv := ed25519.NewKeyFromSeed(seed)
	k.state.Store(&keyState{
		kid:      st.KeyID,
		priv:     priv,
		pub:      priv.Public().(ed25519.PublicKey),
		verified: make(map[string]*Claims),
	})
	return nil
}

// decodeSeed decodes a seed: base64url without padding, as JWKs encode
// keys, of exactly ed25519.SeedSize bytes.
func decodeSeed(s string) ([]byte, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("must be base64url without padding")
	}
	if len(b) != ed25519.SeedSize {
		return nil, fmt.Errorf("must be %d bytes, not %d", ed25519.SeedSize, len(b))
	}
	return b, nil
}

// invalidAt is an invalid_request error about the value at a JSON path of
// a State: the path comes first, so a caller who nests the State can put
// its own path before it.
func invalidAt(path, format string, args ...any) error {
	return apperr.ErrInvalid.WithMessage(path+": "+format, args...)
}
