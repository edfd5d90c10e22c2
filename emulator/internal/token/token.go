// Package token mints and verifies the emulator's access tokens: EdDSA
// (Ed25519) JWTs with the claim set seen on real Pipedream tokens.
//
// Signing costs tens of microseconds and a bearer check must be far cheaper,
// so a Keys value remembers the tokens whose signature it already verified.
// The cache holds only claims; expiry and revocation are decided by the
// caller on every request, so a cached token still fails the instant it
// expires or its client is deleted.
package token

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/pdemu/pdemu/emulator/internal/ids"
)

// TypeAccess is the token_type claim of an OAuth access token.
const TypeAccess = "oauth_access_token"

// Audience is the aud claim real tokens carry.
var Audience = []string{"api", "catcher"}

// Claims is the payload of an access token. The first nine claims are those
// of real Pipedream tokens; ClientID (RFC 9068 §2.2) and Generation are
// pdemu's, so that deleting a client or rotating its secret can revoke its
// tokens without keeping a record per token.
type Claims struct {
	ID         string   `json:"jti"`
	Issuer     string   `json:"iss"`
	IssuedAt   int64    `json:"iat"`
	NotBefore  int64    `json:"nbf"`
	Expiry     int64    `json:"exp"`
	TokenType  string   `json:"token_type"`
	Audience   []string `json:"aud"`
	Subject    string   `json:"sub"`
	Scopes     []string `json:"scopes"`
	ClientID   string   `json:"client_id"`
	Generation uint64   `json:"cgen"`
}

// The jwt.Claims methods below let golang-jwt parse Claims directly; the
// emulator validates times itself, against its own clock.

// GetExpirationTime implements jwt.Claims.
func (c *Claims) GetExpirationTime() (*jwt.NumericDate, error) { return numeric(c.Expiry), nil }

// GetIssuedAt implements jwt.Claims.
func (c *Claims) GetIssuedAt() (*jwt.NumericDate, error) { return numeric(c.IssuedAt), nil }

// GetNotBefore implements jwt.Claims.
func (c *Claims) GetNotBefore() (*jwt.NumericDate, error) { return numeric(c.NotBefore), nil }

// GetIssuer implements jwt.Claims.
func (c *Claims) GetIssuer() (string, error) { return c.Issuer, nil }

// GetSubject implements jwt.Claims.
func (c *Claims) GetSubject() (string, error) { return c.Subject, nil }

// GetAudience implements jwt.Claims.
func (c *Claims) GetAudience() (jwt.ClaimStrings, error) { return c.Audience, nil }

func numeric(s int64) *jwt.NumericDate { return jwt.NewNumericDate(time.Unix(s, 0)) }

// ErrInvalid reports a token that is not one this emulator signed with its
// current key, or whose claims are not those of an access token.
var ErrInvalid = errors.New("token: invalid")

// DefaultCacheSize bounds how many verified tokens are remembered. Beyond it
// entries are dropped at random: a dropped token is simply verified again.
const DefaultCacheSize = 4096

// Keys signs and verifies tokens with one Ed25519 key pair at a time. It is
// safe for concurrent use.
type Keys struct {
	issuer    string
	cacheSize int
	// rand is where key pairs and key ids come from.
	rand  io.Reader
	state atomic.Pointer[keyState]
}

// keyState is one key pair and the cache of tokens it verified. Rotating
// swaps the whole state, so no token verified by an old key survives.
type keyState struct {
	kid  string
	priv ed25519.PrivateKey
	pub  ed25519.PublicKey

	mu       sync.RWMutex
	verified map[string]*Claims
}

// Option configures Keys.
type Option func(*Keys)

// WithRand makes every key pair and key id come from r (default:
// crypto/rand). The key is derived from r's bytes alone (Ed25519's
// NewKeyFromSeed), so a deterministic r gives a deterministic key: for
// tests only, since anyone who can reproduce r can sign tokens.
func WithRand(r io.Reader) Option { return func(k *Keys) { k.rand = r } }

// NewKeys returns Keys with a fresh key pair. Tokens name issuer in iss and
// must name it to verify. cacheSize <= 0 selects DefaultCacheSize.
func NewKeys(issuer string, cacheSize int, opts ...Option) (*Keys, error) {
	if cacheSize <= 0 {
		cacheSize = DefaultCacheSize
	}
	k := &Keys{issuer: issuer, cacheSize: cacheSize, rand: ids.NewRandom()}
	for _, opt := range opts {
		opt(k)
	}
	if k.rand == nil {
		k.rand = ids.NewRandom()
	}
	if err := k.Rotate(); err != nil {
		return nil, err
	}
	return k, nil
}

// Issuer returns the iss value of the tokens k signs.
func (k *Keys) Issuer() string { return k.issuer }

// Rotate replaces the key pair with one drawn from the Keys' source of
// randomness. Every token signed before stops verifying, unless that
// source draws the same key again (a rewound seeded generator).
func (k *Keys) Rotate() error {
	// ed25519.GenerateKey ignores its reader since Go 1.26; the key
	// derived from a seed read here is what it would make of that reader.
	var seed [ed25519.SeedSize]byte
	if _, err := io.ReadFull(k.rand, seed[:]); err != nil {
		return fmt.Errorf("token: generate key: %w", err)
	}
	priv := ed25519.NewKeyFromSeed(seed[:])
	pub := priv.Public().(ed25519.PublicKey)
	var kid [9]byte
	if _, err := io.ReadFull(k.rand, kid[:]); err != nil {
		return fmt.Errorf("token: generate key id: %w", err)
	}
	k.state.Store(&keyState{
		kid:      base64.RawURLEncoding.EncodeToString(kid[:]),
		priv:     priv,
		pub:      pub,
		verified: make(map[string]*Claims),
	})
	return nil
}

// Sign returns the compact JWT for c. The header is {"alg":"EdDSA","typ":"JWT"}
// with no kid, as on real tokens; the JWKS holds a single key.
//
// This is the token endpoint's hot path, so it builds the JWT by appending
// into one buffer rather than through golang-jwt's reflection-based
// encoder: the Ed25519 signature (~36 µs) must be nearly all it costs.
// TestSignMatchesJSONMarshal keeps the bytes equal to json.Marshal's.
func (k *Keys) Sign(c *Claims) string {
	st := k.state.Load()
	var payload [512]byte
	claims := appendClaims(payload[:0], c)
	buf := make([]byte, 0, len(jwtHeader)+2+base64.RawURLEncoding.EncodedLen(len(claims))+base64.RawURLEncoding.EncodedLen(ed25519.SignatureSize))
	buf = append(buf, jwtHeader...)
	buf = append(buf, '.')
	buf = base64.RawURLEncoding.AppendEncode(buf, claims)
	sig := ed25519.Sign(st.priv, buf)
	buf = append(buf, '.')
	buf = base64.RawURLEncoding.AppendEncode(buf, sig)
	return string(buf)
}

// jwtHeader is the encoded JOSE header of every token.
var jwtHeader = base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"EdDSA","typ":"JWT"}`))

// appendClaims appends c as JSON, in the field order and form json.Marshal
// gives.
func appendClaims(b []byte, c *Claims) []byte {
	b = append(b, `{"jti":`...)
	b = appendString(b, c.ID)
	b = append(b, `,"iss":`...)
	b = appendString(b, c.Issuer)
	b = append(b, `,"iat":`...)
	b = strconv.AppendInt(b, c.IssuedAt, 10)
	b = append(b, `,"nbf":`...)
	b = strconv.AppendInt(b, c.NotBefore, 10)
	b = append(b, `,"exp":`...)
	b = strconv.AppendInt(b, c.Expiry, 10)
	b = append(b, `,"token_type":`...)
	b = appendString(b, c.TokenType)
	b = append(b, `,"aud":`...)
	b = appendStrings(b, c.Audience)
	b = append(b, `,"sub":`...)
	b = appendString(b, c.Subject)
	b = append(b, `,"scopes":`...)
	b = appendStrings(b, c.Scopes)
	b = append(b, `,"client_id":`...)
	b = appendString(b, c.ClientID)
	b = append(b, `,"cgen":`...)
	b = strconv.AppendUint(b, c.Generation, 10)
	return append(b, '}')
}

func appendStrings(b []byte, ss []string) []byte {
	if ss == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	return append(b, ']')
}

// appendString quotes s. Ids, scopes and URLs are plain ASCII; anything
// that JSON must escape (or json.Marshal escapes for HTML) goes through
// json.Marshal, so the output never differs from it.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always marshals
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

var parser = jwt.NewParser(jwt.WithValidMethods([]string{jwt.SigningMethodEdDSA.Alg()}), jwt.WithoutClaimsValidation())

// Verify checks raw's signature and shape and returns its claims. It does not
// judge time or revocation: callers decide those against their clock and
// state on every use. The returned Claims are shared and must not be changed.
func (k *Keys) Verify(raw string) (*Claims, error) {
	st := k.state.Load()
	st.mu.RLock()
	c, ok := st.verified[raw]
	st.mu.RUnlock()
	if ok {
		return c, nil
	}
	c = new(Claims)
	if _, err := parser.ParseWithClaims(raw, c, func(*jwt.Token) (any, error) { return st.pub, nil }); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if c.Issuer != k.issuer || c.TokenType != TypeAccess || !slices.Contains(c.Audience, "api") ||
		c.ClientID == "" || c.Subject == "" || c.Expiry == 0 {
		return nil, fmt.Errorf("%w: not an access token of this issuer", ErrInvalid)
	}
	st.mu.Lock()
	if len(st.verified) >= k.cacheSize {
		// Go randomises map iteration, so this drops an arbitrary eighth.
		n := k.cacheSize/8 + 1
		for key := range st.verified {
			delete(st.verified, key)
			if n--; n == 0 {
				break
			}
		}
	}
	st.verified[raw] = c
	st.mu.Unlock()
	return c, nil
}

// JWK is one public key in a JSON Web Key Set (RFC 8037 for Ed25519).
type JWK struct {
	KeyType   string `json:"kty"`
	Curve     string `json:"crv"`
	X         string `json:"x"`
	KeyID     string `json:"kid"`
	Use       string `json:"use"`
	Algorithm string `json:"alg"`
}

// JWKS is the document served at /.well-known/jwks.json.
type JWKS struct {
	Keys []JWK `json:"keys"`
}

// PublicJWKS returns the current public key as a key set.
func (k *Keys) PublicJWKS() JWKS {
	st := k.state.Load()
	return JWKS{Keys: []JWK{{
		KeyType:   "OKP",
		Curve:     "Ed25519",
		X:         base64.RawURLEncoding.EncodeToString(st.pub),
		KeyID:     st.kid,
		Use:       "sig",
		Algorithm: "EdDSA",
	}}}
}
