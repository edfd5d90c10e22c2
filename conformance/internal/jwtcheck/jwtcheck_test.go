package jwtcheck

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// signedToken makes an EdDSA JWT as pdemu does.
func signedToken(t *testing.T, claims jwt.MapClaims, kid string) (string, ed25519.PublicKey) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(priv)
	require.NoError(t, err)
	return s, pub
}

func jwksOf(keys map[string]ed25519.PublicKey) []byte {
	type jwk struct {
		Kty string `json:"kty"`
		Crv string `json:"crv"`
		X   string `json:"x"`
		Kid string `json:"kid,omitempty"`
		Use string `json:"use"`
	}
	var set struct {
		Keys []jwk `json:"keys"`
	}
	for kid, k := range keys {
		set.Keys = append(set.Keys, jwk{Kty: "OKP", Crv: "Ed25519", X: base64.RawURLEncoding.EncodeToString(k), Kid: kid, Use: "sig"})
	}
	b, _ := json.Marshal(set)
	return b
}

func TestDecodeAndIntClaim(t *testing.T) {
	tok, _ := signedToken(t, jwt.MapClaims{"iat": 1893456000, "exp": 1893459600.5, "sub": "o_x"}, "k1")
	header, claims, err := Decode(tok)
	require.NoError(t, err)
	assert.Equal(t, "EdDSA", header["alg"])
	assert.Equal(t, "k1", header["kid"])

	for _, tc := range []struct {
		name string
		want int64
		err  string
	}{
		{"iat", 1893456000, ""},
		{"exp", 0, "not a whole number"},
		{"sub", 0, `"o_x", not a number`},
		{"missing", 0, "no claim missing"},
	} {
		got, err := IntClaim(claims, tc.name)
		if tc.err == "" {
			require.NoError(t, err, tc.name)
			assert.Equal(t, tc.want, got, tc.name)
		} else if assert.Error(t, err, tc.name) {
			assert.Contains(t, err.Error(), tc.err, tc.name)
		}
	}

	for _, bad := range []string{"", "a.b", "a.b.c", "e30.!!!.c", "W10.e30.c", "e30.e30e30.c"} {
		_, _, err := Decode(bad)
		assert.Error(t, err, bad)
	}
}

func TestVerifyWithJWKS(t *testing.T) {
	tok, pub := signedToken(t, jwt.MapClaims{"iat": 1893456000, "scopes": []string{"*"}}, "k1")
	_, other, _ := ed25519.GenerateKey(rand.Reader)
	otherPub := other.Public().(ed25519.PublicKey)
	noKid, noKidPub := signedToken(t, jwt.MapClaims{"iat": 1}, "")

	for _, tc := range []struct {
		name string
		tok  string
		set  []byte
		ok   bool
	}{
		{"the key its kid names", tok, jwksOf(map[string]ed25519.PublicKey{"k1": pub, "k2": otherPub}), true},
		{"a wrong key under its kid", tok, jwksOf(map[string]ed25519.PublicKey{"k1": otherPub}), false},
		{"no key with its kid", tok, jwksOf(map[string]ed25519.PublicKey{"k2": pub}), false},
		{"no kid: any key of the set", noKid, jwksOf(map[string]ed25519.PublicKey{"a": otherPub, "b": noKidPub}), true},
		{"only RSA keys", tok, []byte(`{"keys":[{"kty":"RSA","n":"x","e":"AQAB"}]}`), false},
		{"a key with a bad x", tok, []byte(`{"keys":[{"kty":"OKP","crv":"Ed25519","x":"!!","kid":"k1"}]}`), false},
		{"not JSON", tok, []byte(`not json`), false},
		{"not a token", "a.b", jwksOf(map[string]ed25519.PublicKey{"k1": pub}), false},
	} {
		err := VerifyWithJWKS(tc.tok, tc.set)
		if tc.ok {
			assert.NoError(t, err, tc.name)
		} else {
			assert.Error(t, err, tc.name)
		}
	}
}

func TestForge(t *testing.T) {
	tok, pub := signedToken(t, jwt.MapClaims{"iat": 1893456000, "scopes": []string{"*"}}, "k1")
	forged, err := Forge(tok, "scopes", `["connect:*"]`)
	require.NoError(t, err)
	_, claims, err := Decode(forged)
	require.NoError(t, err)
	assert.Equal(t, []any{"connect:*"}, claims["scopes"])
	assert.Equal(t, json.Number("1893456000"), claims["iat"], "the other claims are kept, exactly")
	assert.Equal(t, strings.Split(tok, ".")[2], strings.Split(forged, ".")[2], "the signature is kept")
	assert.Error(t, VerifyWithJWKS(forged, jwksOf(map[string]ed25519.PublicKey{"k1": pub})), "and no longer matches")

	_, err = Forge("a.b", "x", "1")
	assert.Error(t, err)
	_, err = Forge(tok, "x", "{")
	assert.Error(t, err)
}

// TestVerifyWithJWKSOfOtherKeyTypes: a server that signs with RSA or ECDSA
// keys (oauth2-mock-server signs RS256) is judged by its key set too.
func TestVerifyWithJWKSOfOtherKeyTypes(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	sign := func(m jwt.SigningMethod, key any, kid string) string {
		tok := jwt.NewWithClaims(m, jwt.MapClaims{"iat": 1})
		tok.Header["kid"] = kid
		s, err := tok.SignedString(key)
		require.NoError(t, err)
		return s
	}
	set := func(keys ...jose.JSONWebKey) []byte {
		b, err := json.Marshal(jose.JSONWebKeySet{Keys: keys})
		require.NoError(t, err)
		return b
	}
	rsaJWK := jose.JSONWebKey{Key: &rsaKey.PublicKey, KeyID: "r", Use: "sig"}
	ecJWK := jose.JSONWebKey{Key: &ecKey.PublicKey, KeyID: "e"}
	for _, tc := range []struct {
		name string
		tok  string
		set  []byte
		ok   bool
	}{
		{"RS256 with its RSA key", sign(jwt.SigningMethodRS256, rsaKey, "r"), set(rsaJWK, ecJWK), true},
		{"ES256 with its P-256 key", sign(jwt.SigningMethodES256, ecKey, "e"), set(rsaJWK, ecJWK), true},
		{"RS256 under the EC key's kid", sign(jwt.SigningMethodRS256, rsaKey, "e"), set(rsaJWK, ecJWK), false},
		{"an RSA key for encryption only", sign(jwt.SigningMethodRS256, rsaKey, "r"), set(jose.JSONWebKey{Key: &rsaKey.PublicKey, KeyID: "r", Use: "enc"}), false},
		{"HS256 against an RSA key (alg confusion)", sign(jwt.SigningMethodHS256, []byte("secret"), "r"), set(rsaJWK), false},
		{"an empty set", sign(jwt.SigningMethodES256, ecKey, "e"), []byte(`{"keys":[]}`), false},
	} {
		err := VerifyWithJWKS(tc.tok, tc.set)
		if tc.ok {
			assert.NoError(t, err, tc.name)
		} else {
			assert.Error(t, err, tc.name)
		}
	}
}
