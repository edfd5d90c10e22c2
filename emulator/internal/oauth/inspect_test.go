package oauth

import (
	"encoding/base64"
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdemu/pdemu/emulator/apperr"
	"github.com/pdemu/pdemu/emulator/internal/scope"
	"github.com/pdemu/pdemu/emulator/internal/token"
)

// TestInspectAgreesWithAuthenticate judges tokens at the edges of every
// rule, and checks for each that Authenticate accepts the token exactly
// when Inspect calls it valid.
func TestInspectAgreesWithAuthenticate(t *testing.T) {
	exp := start.Add(DefaultTTL)
	nbf := start.Add(-5 * time.Second)
	b64 := base64.RawURLEncoding.EncodeToString
	tests := []struct {
		name string
		// setup issues (or makes) the token and moves the world; it runs
		// on a fresh fixture with the clock at start.
		setup       func(t *testing.T, f *fixture) string
		want        Status
		wantMessage string
		// decoded says the header and claims are shown.
		decoded bool
	}{
		{name: "valid at issuance", setup: issueAt(start), want: StatusValid, wantMessage: "valid until 2030-01-01T01:00:00Z", decoded: true},
		{name: "valid one second before exp", setup: issueAt(exp.Add(-time.Second)), want: StatusValid, decoded: true},
		{name: "valid one nanosecond before exp", setup: issueAt(exp.Add(-time.Nanosecond)), want: StatusValid, decoded: true},
		{name: "expired at exp", setup: issueAt(exp), want: StatusExpired, wantMessage: "the access token expired at 2030-01-01T01:00:00Z", decoded: true},
		{name: "expired after exp", setup: issueAt(exp.Add(time.Hour)), want: StatusExpired, decoded: true},
		{name: "not yet valid one second before nbf", setup: issueAt(nbf.Add(-time.Second)), want: StatusNotYetValid, wantMessage: "not valid until 2029-12-31T23:59:55Z", decoded: true},
		{name: "not yet valid one nanosecond before nbf", setup: issueAt(nbf.Add(-time.Nanosecond)), want: StatusNotYetValid, decoded: true},
		{name: "valid at nbf", setup: issueAt(nbf), want: StatusValid, decoded: true},
		{name: "client deleted", setup: func(t *testing.T, f *fixture) string {
			raw := f.issue(t)
			require.NoError(t, f.srv.Delete(f.creds.ClientID))
			return raw
		}, want: StatusClientDeleted, wantMessage: "no longer exists", decoded: true},
		{name: "client re-created under the same id", setup: func(t *testing.T, f *fixture) string {
			raw := f.issue(t)
			require.NoError(t, f.srv.Delete(f.creds.ClientID))
			_, _, err := f.srv.Create(ClientSpec{ID: f.creds.ClientID, Name: "again", WorkspaceID: "o_ws"})
			require.NoError(t, err)
			return raw
		}, want: StatusRevoked, wantMessage: "re-created", decoded: true},
		{name: "revoked by POST /v1/oauth/revoke", setup: func(t *testing.T, f *fixture) string {
			raw := f.issue(t)
			require.True(t, f.srv.RevokeAny(raw))
			return raw
		}, want: StatusRevoked, wantMessage: "POST /v1/oauth/revoke", decoded: true},
		{name: "expiry wins over revocation", setup: func(t *testing.T, f *fixture) string {
			raw := f.issue(t)
			require.True(t, f.srv.RevokeAny(raw))
			f.clock.Set(exp)
			return raw
		}, want: StatusExpired, decoded: true},
		{name: "expiry wins over a deleted client", setup: func(t *testing.T, f *fixture) string {
			raw := f.issue(t)
			require.NoError(t, f.srv.Delete(f.creds.ClientID))
			f.clock.Set(exp)
			return raw
		}, want: StatusExpired, decoded: true},
		{name: "secret rotated without revocation", setup: func(t *testing.T, f *fixture) string {
			raw := f.issue(t)
			_, _, err := f.srv.RotateSecret(f.creds.ClientID)
			require.NoError(t, err)
			return raw
		}, want: StatusValid, decoded: true},
		{name: "signing key replaced (a reset)", setup: func(t *testing.T, f *fixture) string {
			raw := f.issue(t)
			require.NoError(t, f.keys.Rotate())
			return raw
		}, want: StatusWrongKey, wantMessage: "current key", decoded: true},
		{name: "signature tampered", setup: func(t *testing.T, f *fixture) string {
			raw := f.issue(t)
			i := strings.LastIndexByte(raw, '.')
			return raw[:i+1] + b64(make([]byte, 64))
		}, want: StatusWrongKey, decoded: true},
		{name: "signed by this key but not an access token", setup: func(t *testing.T, f *fixture) string {
			return f.keys.Sign(&token.Claims{ID: "j", Issuer: f.keys.Issuer(), Expiry: start.Add(time.Hour).Unix(), TokenType: "id_token",
				Audience: token.Audience, Subject: "o_ws", ClientID: f.creds.ClientID})
		}, want: StatusWrongKey, decoded: true},
		{name: "unsigned JWT", setup: func(*testing.T, *fixture) string {
			return b64([]byte(`{"alg":"none"}`)) + "." + b64([]byte(`{"exp":1893459600,"client_id":"oc_x"}`)) + "."
		}, want: StatusWrongKey, decoded: true},
		{name: "empty", setup: raw(""), want: StatusMalformed, wantMessage: "not a JWT"},
		{name: "junk", setup: raw("junk"), want: StatusMalformed},
		{name: "three parts that are not base64url JSON", setup: raw("a.b.c"), want: StatusMalformed},
		{name: "two parts", setup: raw(b64([]byte(`{}`)) + "." + b64([]byte(`{}`))), want: StatusMalformed},
		{name: "four parts", setup: raw(b64([]byte(`{}`)) + "." + b64([]byte(`{}`)) + ".x.y"), want: StatusMalformed},
		{name: "header not an object", setup: raw(b64([]byte(`"x"`)) + "." + b64([]byte(`{}`)) + ".c2ln"), want: StatusMalformed},
		{name: "claims with trailing data", setup: raw(b64([]byte(`{}`)) + "." + b64([]byte(`{} {}`)) + ".c2ln"), want: StatusMalformed},
		{name: "padded base64", setup: raw(base64.URLEncoding.EncodeToString([]byte(`{"a":1}`)) + "." + b64([]byte(`{}`)) + ".c2ln"), want: StatusMalformed},
		{name: "signature not base64url", setup: raw(b64([]byte(`{}`)) + "." + b64([]byte(`{}`)) + ".!!"), want: StatusMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, false)
			tok := tc.setup(t, f)
			in := f.srv.Inspect(tok)
			assert.Equal(t, tc.want, in.Status)
			assert.NotEmpty(t, in.Message)
			assert.Contains(t, in.Message, tc.wantMessage)
			assert.Equal(t, f.clock.Now().UTC(), in.Now)
			_, err := f.srv.Authenticate(tok)
			assert.Equal(t, in.Status == StatusValid, err == nil, "Authenticate accepts exactly the valid tokens (error: %v)", err)
			if !tc.decoded {
				assert.Nil(t, in.Header)
				assert.Nil(t, in.Claims)
				return
			}
			require.NotNil(t, in.Header)
			require.NotNil(t, in.Claims)
		})
	}
}

func issueAt(at time.Time) func(*testing.T, *fixture) string {
	return func(t *testing.T, f *fixture) string {
		raw := f.issue(t)
		f.clock.Set(at)
		return raw
	}
}

func raw(s string) func(*testing.T, *fixture) string {
	return func(*testing.T, *fixture) string { return s }
}

func TestInspectShowsWhatTheTokenClaims(t *testing.T) {
	f := newFixture(t, false)
	tok, err := f.srv.Issue(f.request("connect:users:read"))
	require.NoError(t, err)
	f.clock.Set(start.Add(10 * time.Minute))

	in := f.srv.Inspect(tok.AccessToken)
	require.Equal(t, StatusValid, in.Status)
	assert.Equal(t, map[string]any{"alg": "EdDSA", "typ": "JWT"}, in.Header)
	assert.Equal(t, json.Number(strconv.FormatInt(start.Add(time.Hour).Unix(), 10)), in.Claims["exp"], "numbers as written")
	assert.Equal(t, []any{"connect:users:read"}, in.Claims["scopes"])
	assert.Equal(t, "o_ws", in.Claims["sub"])
	assert.Equal(t, start.Add(time.Hour), in.ExpiresAt)
	assert.Equal(t, f.creds.ClientID, in.ClientID)
	assert.Equal(t, "ci", in.ClientName)
	want := []string{"aud", "cgen", "client_id", "exp", "iat", "iss", "jti", "nbf", "scopes", "sub", "token_type"}
	assert.Equal(t, want, slices.Sorted(maps.Keys(in.Claims)))

	// A token of another key still shows its claims and its client.
	require.NoError(t, f.keys.Rotate())
	in = f.srv.Inspect(tok.AccessToken)
	assert.Equal(t, StatusWrongKey, in.Status)
	assert.Equal(t, start.Add(time.Hour), in.ExpiresAt, "read from the unverified claims")
	assert.Equal(t, f.creds.ClientID, in.ClientID)
	assert.Equal(t, "ci", in.ClientName)

	// A deleted client is named but has no name.
	require.NoError(t, f.srv.Delete(f.creds.ClientID))
	in = f.srv.Inspect(tok.AccessToken)
	assert.Equal(t, f.creds.ClientID, in.ClientID)
	assert.Empty(t, in.ClientName)

	// Unverified claims without exp or client_id leave them unknown.
	in = f.srv.Inspect(base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256"}`)) + "." +
		base64.RawURLEncoding.EncodeToString([]byte(`{"exp":"tomorrow","client_id":7}`)) + ".c2ln")
	assert.Equal(t, StatusWrongKey, in.Status)
	assert.True(t, in.ExpiresAt.IsZero())
	assert.Empty(t, in.ClientID)
}

func TestMint(t *testing.T) {
	f := newFixture(t, false)
	limited, _, err := f.srv.Create(ClientSpec{Name: "limited", WorkspaceID: "o_ws", Scopes: "connect:users:read connect:actions:*", ProjectIDs: []string{"proj_a"}})
	require.NoError(t, err)
	tests := []struct {
		name       string
		client     string
		scopes     string
		wantErr    error
		wantScopes scope.Set
	}{
		{name: "no scope means the client's own", client: limited.ID, wantScopes: scope.Set{"connect:users:read", "connect:actions:*"}},
		{name: "blank scope means the client's own", client: limited.ID, scopes: "   ", wantScopes: scope.Set{"connect:users:read", "connect:actions:*"}},
		{name: "narrower", client: limited.ID, scopes: "connect:users:read", wantScopes: scope.Set{"connect:users:read"}},
		{name: "implied by a wildcard", client: limited.ID, scopes: "connect:actions:*", wantScopes: scope.Set{"connect:actions:*"}},
		{name: "full client, default *", client: f.creds.ClientID, wantScopes: scope.Set{"*"}},
		{name: "wider than the client's", client: limited.ID, scopes: "connect:users:write", wantErr: ErrInvalidScope},
		{name: "* for a limited client", client: limited.ID, scopes: "*", wantErr: ErrInvalidScope},
		{name: "unknown scope", client: limited.ID, scopes: "admin", wantErr: ErrInvalidScope},
		{name: "unknown client", client: "oc_nobody", wantErr: apperr.ErrNotFound},
		{name: "empty client id", client: "", wantErr: apperr.ErrNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tok, err := f.srv.Mint(tc.client, tc.scopes)
			if !checkGrant(t, tok, err, tc.wantErr, start, tc.wantScopes) {
				return
			}
			p, err := f.srv.Authenticate(tok.AccessToken)
			require.NoError(t, err, "a minted token is a real access token")
			assert.Equal(t, tc.client, p.ClientID)
			assert.Equal(t, tc.wantScopes, p.Scopes)
		})
	}
}

// TestMintedTokenIsAnIssuedOne: the same claims, by name and by value but
// the jti, as the token endpoint's for the same client and scope.
func TestMintedTokenIsAnIssuedOne(t *testing.T) {
	f := newFixture(t, false)
	issued, err := f.srv.Issue(f.request("connect:proxy"))
	require.NoError(t, err)
	minted, err := f.srv.Mint(f.creds.ClientID, "connect:proxy")
	require.NoError(t, err)
	a, b := f.srv.Inspect(issued.AccessToken), f.srv.Inspect(minted.AccessToken)
	assert.NotEqual(t, a.Claims["jti"], b.Claims["jti"])
	delete(a.Claims, "jti")
	delete(b.Claims, "jti")
	assert.Equal(t, a.Claims, b.Claims)
	assert.Equal(t, a.Header, b.Header)

	// A deleted client's old tokens stay dead; a rotation changes nothing.
	_, _, err = f.srv.RotateSecret(f.creds.ClientID)
	require.NoError(t, err)
	_, err = f.srv.Mint(f.creds.ClientID, "")
	require.NoError(t, err, "no secret needed, old or new")
}
