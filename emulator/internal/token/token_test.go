package token

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const iss = "https://api.pipedream.com"

func sample() *Claims {
	iat := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	return &Claims{
		ID: "5f0c7a3e-0000-4000-8000-000000000000", Issuer: iss,
		IssuedAt: iat, NotBefore: iat - 5, Expiry: iat + 3600,
		TokenType: TypeAccess, Audience: Audience, Subject: "o_abc",
		Scopes: []string{"*"}, ClientID: "oc_1", Generation: 2,
	}
}

func TestSignVerifyRoundTrip(t *testing.T) {
	k, err := NewKeys(iss, 0)
	require.NoError(t, err)
	raw := k.Sign(sample())

	parts := strings.Split(raw, ".")
	require.Len(t, parts, 3)
	header, err := base64.RawURLEncoding.DecodeString(parts[0])
	require.NoError(t, err)
	assert.JSONEq(t, `{"alg":"EdDSA","typ":"JWT"}`, string(header))

	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(payload, &m))
	for _, claim := range []string{"jti", "iss", "iat", "nbf", "exp", "token_type", "aud", "sub", "scopes"} {
		assert.Contains(t, m, claim)
	}
	assert.Equal(t, []any{"api", "catcher"}, m["aud"])

	got, err := k.Verify(raw)
	require.NoError(t, err)
	assert.Equal(t, sample(), got)

	again, err := k.Verify(raw)
	require.NoError(t, err)
	assert.Same(t, got, again, "second check is served from the cache")
}

func TestVerifyRejects(t *testing.T) {
	k, err := NewKeys(iss, 0)
	require.NoError(t, err)
	other, err := NewKeys(iss, 0)
	require.NoError(t, err)
	good := k.Sign(sample())

	withClaims := func(mut func(*Claims)) string {
		c := sample()
		mut(c)
		return k.Sign(c)
	}
	fromOther := other.Sign(sample())
	hs, err := jwt.NewWithClaims(jwt.SigningMethodHS256, sample()).SignedString([]byte("secret"))
	require.NoError(t, err)
	none, err := jwt.NewWithClaims(jwt.SigningMethodNone, sample()).SignedString(jwt.UnsafeAllowNoneSignatureType)
	require.NoError(t, err)
	parts := strings.Split(good, ".")
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"o_evil"}`)) + "." + parts[2]

	tests := map[string]string{
		"empty":            "",
		"junk":             "not-a-jwt",
		"two parts":        parts[0] + "." + parts[1],
		"bad base64":       "!!!.???.###",
		"tampered payload": tampered,
		"truncated sig":    good[:len(good)-4],
		"other key":        fromOther,
		"hs256":            hs,
		"alg none":         none,
		"wrong issuer":     withClaims(func(c *Claims) { c.Issuer = "https://evil" }),
		"wrong token type": withClaims(func(c *Claims) { c.TokenType = "connect_token" }),
		"no api audience":  withClaims(func(c *Claims) { c.Audience = []string{"catcher"} }),
		"no client":        withClaims(func(c *Claims) { c.ClientID = "" }),
		"no subject":       withClaims(func(c *Claims) { c.Subject = "" }),
		"no expiry":        withClaims(func(c *Claims) { c.Expiry = 0 }),
	}
	for name, raw := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := k.Verify(raw)
			assert.ErrorIs(t, err, ErrInvalid)
		})
	}
}

func TestRotateInvalidatesEarlierTokens(t *testing.T) {
	k, err := NewKeys(iss, 0)
	require.NoError(t, err)
	raw := k.Sign(sample())
	_, err = k.Verify(raw) // now cached
	require.NoError(t, err)
	before := k.PublicJWKS().Keys[0]

	require.NoError(t, k.Rotate())
	_, err = k.Verify(raw)
	assert.ErrorIs(t, err, ErrInvalid, "a cached token must not outlive its key")
	assert.NotEqual(t, before.X, k.PublicJWKS().Keys[0].X)
}

func TestCacheIsBounded(t *testing.T) {
	k, err := NewKeys(iss, 64)
	require.NoError(t, err)
	for i := 0; i < 1000; i++ {
		c := sample()
		c.IssuedAt += int64(i)
		raw := k.Sign(c)
		_, err = k.Verify(raw)
		require.NoError(t, err)
	}
	st := k.state.Load()
	assert.LessOrEqual(t, len(st.verified), 64)
}

func TestJWKSVerifiesSignature(t *testing.T) {
	k, err := NewKeys(iss, 0)
	require.NoError(t, err)
	raw := k.Sign(sample())
	set := k.PublicJWKS()
	require.Len(t, set.Keys, 1)
	jwk := set.Keys[0]
	assert.Equal(t, "OKP", jwk.KeyType)
	assert.Equal(t, "Ed25519", jwk.Curve)
	assert.Equal(t, "EdDSA", jwk.Algorithm)
	x, err := base64.RawURLEncoding.DecodeString(jwk.X)
	require.NoError(t, err)
	require.Len(t, x, ed25519.PublicKeySize)

	i := strings.LastIndexByte(raw, '.')
	sig, err := base64.RawURLEncoding.DecodeString(raw[i+1:])
	require.NoError(t, err)
	assert.True(t, ed25519.Verify(ed25519.PublicKey(x), []byte(raw[:i]), sig))
}

func BenchmarkSign(b *testing.B) {
	k, err := NewKeys(iss, 0)
	require.NoError(b, err)
	c := sample()
	b.ReportAllocs()
	for b.Loop() {
		if raw := k.Sign(c); raw == "" {
			b.Fatal("empty token")
		}
	}
}

// BenchmarkVerify is the bearer check's token work: a hit in the cache of
// verified tokens, and a full Ed25519 verification (a cache of one entry,
// alternating between two tokens, never hits).
func BenchmarkVerify(b *testing.B) {
	for _, tc := range []struct {
		name      string
		cacheSize int
	}{{"cached", 0}, {"uncached", 1}} {
		b.Run(tc.name, func(b *testing.B) {
			k, err := NewKeys(iss, tc.cacheSize)
			require.NoError(b, err)
			var toks [2]string
			for i := range toks {
				c := sample()
				c.ID = string(rune('a' + i))
				toks[i] = k.Sign(c)
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, err := k.Verify(toks[i&1]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

// TestSignMatchesJSONMarshal pins the hand-written claim encoder to
// encoding/json, so that the fast path can never produce other bytes.
func TestSignMatchesJSONMarshal(t *testing.T) {
	tests := map[string]*Claims{
		"sample":         sample(),
		"no scopes":      {ID: "x", Issuer: iss, TokenType: TypeAccess, Subject: "o_1", ClientID: "c"},
		"empty scopes":   {ID: "x", Scopes: []string{}, Audience: []string{}},
		"negative times": {IssuedAt: -1, NotBefore: -6, Expiry: 3599},
		"escapes":        {ID: "a\"b\\c\n\u0001", Issuer: "<&>", Subject: "ünïcödé", ClientID: "\u2028", Scopes: []string{"\t", "é"}},
		"max generation": {Generation: ^uint64(0)},
		"invalid utf-8":  {Subject: "a\xffb"},
	}
	for name, c := range tests {
		t.Run(name, func(t *testing.T) {
			want, err := json.Marshal(c)
			require.NoError(t, err)
			assert.Equal(t, string(want), string(appendClaims(nil, c)))
		})
	}
}

func FuzzAppendClaims(f *testing.F) {
	f.Add("jti", "iss", "sub", "client", "scope", int64(1), uint64(2))
	f.Add("\x00<\"", "\xff\xfe", "\u2028", "é", "", int64(-1), uint64(0))
	f.Fuzz(func(t *testing.T, id, issuer, sub, client, scope string, iat int64, gen uint64) {
		c := &Claims{ID: id, Issuer: issuer, IssuedAt: iat, NotBefore: iat - 5, Expiry: iat + 3600, TokenType: TypeAccess,
			Audience: Audience, Subject: sub, Scopes: []string{scope, scope + "x"}, ClientID: client, Generation: gen}
		want, err := json.Marshal(c)
		require.NoError(t, err)
		require.Equal(t, string(want), string(appendClaims(nil, c)))
	})
}
