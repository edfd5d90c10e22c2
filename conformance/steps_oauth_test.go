package conformance

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseChallenge(t *testing.T) {
	for _, tc := range []struct {
		in     string
		scheme string
		params map[string]string
	}{
		{`Bearer`, "Bearer", map[string]string{}},
		{`Bearer realm="api.pipedream.com"`, "Bearer", map[string]string{"realm": "api.pipedream.com"}},
		{`Bearer realm="api", error="insufficient_scope", scope="connect:actions:* connect:triggers:*"`, "Bearer",
			map[string]string{"realm": "api", "error": "insufficient_scope", "scope": "connect:actions:* connect:triggers:*"}},
		{`bearer Error=invalid_token,error_description="a \"quoted\" word"`, "bearer",
			map[string]string{"error": "invalid_token", "error_description": `a "quoted" word`}},
		{`Basic realm="api.pipedream.com"`, "Basic", map[string]string{"realm": "api.pipedream.com"}},
	} {
		ch, err := parseChallenge(tc.in)
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.scheme, ch.scheme, tc.in)
		assert.Equal(t, tc.params, ch.params, tc.in)
	}
	for _, bad := range []string{``, `"Bearer"`, `Bearer,realm="x"`, `Bearer realm`, `Bearer realm="x`, `Bearer realm="x" error="y"`,
		`Bearer realm="x", realm="y"`, `Bearer realm=`} {
		_, err := parseChallenge(bad)
		assert.Error(t, err, "%q", bad)
	}
}

func TestCheckBearerParams(t *testing.T) {
	ok := authChallenge{params: map[string]string{"error": "invalid_token", "error_description": "the access token expired at 2030-01-01T01:00:00Z", "scope": "connect:* *"}}
	assert.NoError(t, checkBearerParams(ok))
	for name, ch := range map[string]authChallenge{
		"non-ASCII description": {params: map[string]string{"error_description": "takes a Connect token (ctok_…)"}},
		"quote in description":  {params: map[string]string{"error_description": `say "hi"`}},
		"newline in error":      {params: map[string]string{"error": "invalid\ntoken"}},
		"double space in scope": {params: map[string]string{"scope": "connect:*  *"}},
		"empty scope":           {params: map[string]string{"scope": ""}},
		"backslash in scope":    {params: map[string]string{"scope": `connect:\*`}},
	} {
		assert.Error(t, checkBearerParams(ch), name)
	}
}

func TestScopeImpliesAndUnrelatedScope(t *testing.T) {
	for _, tc := range []struct {
		granted, required string
		want              bool
	}{
		{"*", "connect:users:read", true},
		{"connect:*", "connect:users:read", true},
		{"connect:*", "connect:actions:*", true},
		{"connect:actions:*", "connect:actions:*", true},
		{"connect:users:*", "connect:users:read", true},
		{"connect:users:write", "connect:users:read", false},
		{"connect:triggers:*", "connect:deployed_triggers:read", false},
		{"conn*", "connect:users:read", false},
		{"connect:users:read", "connect:*", false},
	} {
		assert.Equal(t, tc.want, scopeImplies(tc.granted, tc.required), "%s grants %s", tc.granted, tc.required)
	}
	for _, required := range [][]string{{"connect:users:read"}, {"connect:*"}, {"connect:usage:read"}, {"connect:usage:read", "connect:proxy"}, {"connect:actions:*", "connect:triggers:*"}} {
		got, err := unrelatedScope(required)
		require.NoError(t, err)
		for _, r := range required {
			assert.False(t, scopeImplies(got, r), "%s must not grant %s", got, r)
		}
	}
	_, err := unrelatedScope(nil)
	assert.Error(t, err)
	_, err = unrelatedScope(probeScopes)
	assert.Error(t, err, "every probe scope is needed")
}

func TestConcretePath(t *testing.T) {
	assert.Equal(t, "/v1/connect/proj_abc/accounts/absent-u1", concretePath("GET", "/v1/connect/{project_id}/accounts/{account_id}", "proj_abc", "u1"))
	assert.Equal(t, "/v1/connect/proj_absentu1/accounts/absent-u1", concretePath("DELETE", "/v1/connect/{project_id}/accounts/{account_id}", "proj_abc", "u1"),
		"a call that could change something goes to a project that does not exist")
	assert.Equal(t, "/v1/connect/projects/proj_absentu1", concretePath("DELETE", "/v1/connect/projects/{project_id}", "proj_abc", "u1"),
		"never the configured project")
	assert.Equal(t, "/_workflows/absent-u1/absent-u1", concretePath("GET", "/_workflows/{endpoint_id}/{path:.*}", "proj_abc", "u1"))
	assert.Equal(t, "/v1/connect/usage", concretePath("GET", "/v1/connect/usage", "proj_abc", "u1"))
}

func TestBasicCredentialsAreFormEncoded(t *testing.T) {
	decode := func(h string) (string, string) {
		b, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(h, "Basic "))
		require.NoError(t, err)
		id, secret, found := strings.Cut(string(b), ":")
		require.True(t, found)
		id, err = url.QueryUnescape(id)
		require.NoError(t, err)
		secret, err = url.QueryUnescape(secret)
		require.NoError(t, err)
		return id, secret
	}
	for _, enc := range []func(string) string{url.QueryEscape, percentEncodeAll} {
		h := basicCredentials("oc_a:b", "s e+c%r/é", enc)
		require.True(t, strings.HasPrefix(h, "Basic "))
		id, secret := decode(h)
		assert.Equal(t, "oc_a:b", id)
		assert.Equal(t, "s e+c%r/é", secret)
	}
	assert.Equal(t, "%6F%63%5F", percentEncodeAll("oc_"))
}

// signedToken makes an EdDSA JWT as pdemu does, for the JWT helpers.
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

func TestJWTHelpers(t *testing.T) {
	tok, pub := signedToken(t, jwt.MapClaims{"iat": 1893456000, "nbf": 1893455995, "exp": 1893459600, "scopes": []string{"*"}, "sub": "o_x"}, "k1")

	header, claims, err := decodeJWT(tok)
	require.NoError(t, err)
	assert.Equal(t, "EdDSA", header["alg"])
	iat, err := intClaim(claims, "iat")
	require.NoError(t, err)
	assert.Equal(t, int64(1893456000), iat)
	_, err = intClaim(claims, "sub")
	assert.Error(t, err)
	_, err = intClaim(claims, "missing")
	assert.Error(t, err)

	// The key set verifies the token by its kid, and only the right key does.
	_, other, _ := ed25519.GenerateKey(rand.Reader)
	otherPub := other.Public().(ed25519.PublicKey)
	assert.NoError(t, verifyWithJWKS(tok, jwksOf(map[string]ed25519.PublicKey{"k1": pub, "k2": otherPub})))
	assert.Error(t, verifyWithJWKS(tok, jwksOf(map[string]ed25519.PublicKey{"k1": otherPub})))
	assert.Error(t, verifyWithJWKS(tok, jwksOf(map[string]ed25519.PublicKey{"k2": pub})), "no key has the token's kid")
	assert.Error(t, verifyWithJWKS(tok, []byte(`{"keys":[{"kty":"RSA","n":"x","e":"AQAB"}]}`)))
	assert.Error(t, verifyWithJWKS(tok, []byte(`not json`)))

	// A forged claim keeps the signature, which then fails.
	forged, err := forgeClaim(tok, "scopes", `["connect:*"]`)
	require.NoError(t, err)
	_, fc, err := decodeJWT(forged)
	require.NoError(t, err)
	assert.Equal(t, []any{"connect:*"}, fc["scopes"])
	assert.Equal(t, strings.Split(tok, ".")[2], strings.Split(forged, ".")[2])
	assert.Error(t, verifyWithJWKS(forged, jwksOf(map[string]ed25519.PublicKey{"k1": pub})))

	for _, bad := range []string{"", "a.b", "a.b.c", "e30.!!!.c"} {
		_, _, err := decodeJWT(bad)
		assert.Error(t, err, bad)
	}
}

func TestJSONTime(t *testing.T) {
	got, err := jsonTime(float64(1893456000))
	require.NoError(t, err)
	assert.Equal(t, time.Unix(1893456000, 0), got)
	got, err = jsonTime(json.Number("1893456000"))
	require.NoError(t, err)
	assert.True(t, got.Equal(time.Unix(1893456000, 0)))
	got, err = jsonTime("2030-01-01T04:00:00Z")
	require.NoError(t, err)
	assert.True(t, got.Equal(time.Date(2030, 1, 1, 4, 0, 0, 0, time.UTC)))
	for _, bad := range []any{"tomorrow", true, nil} {
		_, err := jsonTime(bad)
		assert.Error(t, err, "%v", bad)
	}
}

func TestPaddedClientName(t *testing.T) {
	for _, tc := range []struct {
		n   int
		pad string
	}{{0, "x"}, {1, "x"}, {7, "x"}, {8, "x"}, {200, "x"}, {200, "é"}, {201, "é"}} {
		name, err := paddedClientName("0123abcd", tc.n, tc.pad)
		require.NoError(t, err)
		assert.Equal(t, tc.n, utf8.RuneCountInString(name), "%d × %q", tc.n, tc.pad)
		if tc.n >= 8 {
			assert.True(t, strings.HasPrefix(name, "0123abcd"), "a long name carries the scenario's suffix")
		}
	}
	_, err := paddedClientName("0123abcd", 5, "ab")
	assert.Error(t, err)
}
