package oauth

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdemu/pdemu/emulator/apperr"
	"github.com/pdemu/pdemu/emulator/clock"
	"github.com/pdemu/pdemu/emulator/internal/scope"
	"github.com/pdemu/pdemu/emulator/internal/token"
)

var start = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

type fixture struct {
	clock *clock.Fake
	keys  *token.Keys
	srv   *Server
	creds Credentials
}

func newFixture(t *testing.T, revokeOnRotate bool) *fixture {
	t.Helper()
	keys, err := token.NewKeys("https://api.pipedream.com", 0)
	require.NoError(t, err)
	f := &fixture{clock: clock.NewFake(start), keys: keys}
	f.srv = NewServer(Config{Clock: f.clock, Keys: keys, RevokeOnRotate: revokeOnRotate})
	_, f.creds, err = f.srv.Create(ClientSpec{Name: "ci", WorkspaceID: "o_ws"})
	require.NoError(t, err)
	return f
}

func (f *fixture) request(scopes string) TokenRequest {
	return TokenRequest{GrantType: GrantClientCredentials, ClientID: f.creds.ClientID, ClientSecret: f.creds.ClientSecret, Scope: scopes}
}

func TestIssue(t *testing.T) {
	f := newFixture(t, false)
	_, limited, err := f.srv.Create(ClientSpec{Name: "limited", WorkspaceID: "o_ws", Scopes: "connect:users:read connect:actions:*"})
	require.NoError(t, err)
	limitedReq := func(scopes string) TokenRequest {
		return TokenRequest{GrantType: GrantClientCredentials, ClientID: limited.ClientID, ClientSecret: limited.ClientSecret, Scope: scopes}
	}
	tests := []struct {
		name       string
		req        TokenRequest
		wantErr    error
		wantScopes scope.Set
	}{
		{name: "no scope means full access", req: f.request(""), wantScopes: scope.Set{"*"}},
		{name: "blank scope means full access", req: f.request("  "), wantScopes: scope.Set{"*"}},
		{name: "one scope", req: f.request("connect:users:read"), wantScopes: scope.Set{"connect:users:read"}},
		{name: "duplicates collapse", req: f.request("connect:proxy connect:proxy"), wantScopes: scope.Set{"connect:proxy"}},
		{name: "missing grant type", req: TokenRequest{ClientID: "x", ClientSecret: "y"}, wantErr: ErrInvalidRequest},
		{name: "wrong grant type", req: TokenRequest{GrantType: "password", ClientID: "x", ClientSecret: "y"}, wantErr: ErrUnsupportedGrantType},
		{name: "grant type is case-sensitive", req: TokenRequest{GrantType: "Client_Credentials", ClientID: "x", ClientSecret: "y"}, wantErr: ErrUnsupportedGrantType},
		{name: "missing client id", req: TokenRequest{GrantType: GrantClientCredentials, ClientSecret: "y"}, wantErr: ErrInvalidRequest},
		{name: "missing secret", req: TokenRequest{GrantType: GrantClientCredentials, ClientID: f.creds.ClientID}, wantErr: ErrInvalidRequest},
		{name: "unknown client", req: TokenRequest{GrantType: GrantClientCredentials, ClientID: "oc_nobody", ClientSecret: f.creds.ClientSecret}, wantErr: ErrInvalidClient},
		{name: "wrong secret", req: TokenRequest{GrantType: GrantClientCredentials, ClientID: f.creds.ClientID, ClientSecret: f.creds.ClientSecret + "x"}, wantErr: ErrInvalidClient},
		{name: "secret of another client", req: TokenRequest{GrantType: GrantClientCredentials, ClientID: f.creds.ClientID, ClientSecret: limited.ClientSecret}, wantErr: ErrInvalidClient},
		{name: "unknown scope", req: f.request("connect:users:read admin"), wantErr: ErrInvalidScope},
		{name: "malformed scope", req: f.request("connect:users:read\tconnect:proxy"), wantErr: ErrInvalidScope},
		{name: "limited client default is its allowance", req: limitedReq(""), wantScopes: scope.Set{"connect:users:read", "connect:actions:*"}},
		{name: "limited client may narrow", req: limitedReq("connect:users:read"), wantScopes: scope.Set{"connect:users:read"}},
		{name: "limited client may not widen", req: limitedReq("connect:users:write"), wantErr: ErrInvalidScope},
		{name: "limited client may not ask for *", req: limitedReq("*"), wantErr: ErrInvalidScope},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tok, err := f.srv.Issue(tc.req)
			if !checkGrant(t, tok, err, tc.wantErr, start, tc.wantScopes) {
				return
			}
			c, err := f.keys.Verify(tok.AccessToken)
			require.NoError(t, err)
			assert.Equal(t, start.Unix(), c.IssuedAt)
			assert.Equal(t, start.Unix()-5, c.NotBefore)
			assert.Equal(t, start.Unix()+3600, c.Expiry)
			assert.Equal(t, "o_ws", c.Subject)
			assert.Equal(t, []string(tc.wantScopes), c.Scopes)
			assert.Len(t, c.ID, 36, "jti is a UUID")
		})
	}
}

func TestEveryTokenIsDistinct(t *testing.T) {
	f := newFixture(t, false)
	a, err := f.srv.Issue(f.request(""))
	require.NoError(t, err)
	b, err := f.srv.Issue(f.request(""))
	require.NoError(t, err)
	assert.NotEqual(t, a.AccessToken, b.AccessToken, "same client, same second: distinct jti")
}

func TestAuthenticateAtTheExpiryBoundary(t *testing.T) {
	tests := []struct {
		name    string
		at      time.Duration // since issuance
		wantErr error
	}{
		{name: "at issuance", at: 0},
		{name: "nbf is iat-5", at: -5 * time.Second},
		{name: "before nbf", at: -5*time.Second - time.Nanosecond, wantErr: ErrInvalidToken},
		{name: "one second before exp", at: time.Hour - time.Second},
		{name: "one nanosecond before exp", at: time.Hour - time.Nanosecond},
		{name: "at exp", at: time.Hour, wantErr: ErrInvalidToken},
		{name: "after exp", at: 2 * time.Hour, wantErr: ErrInvalidToken},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, false)
			tok, err := f.srv.Issue(f.request("connect:users:read"))
			require.NoError(t, err)
			f.clock.Set(start.Add(tc.at))
			p, err := f.srv.Authenticate(tok.AccessToken)
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, f.creds.ClientID, p.ClientID)
			assert.Equal(t, "o_ws", p.WorkspaceID)
			assert.Equal(t, scope.Set{"connect:users:read"}, p.Scopes)
			assert.Equal(t, start.Add(time.Hour), p.ExpiresAt)
		})
	}
}

func TestAuthenticateRejectsJunk(t *testing.T) {
	f := newFixture(t, false)
	_, err := f.srv.Authenticate("")
	assert.ErrorIs(t, err, ErrMissingToken)
	for _, raw := range []string{"junk", "a.b.c", strings.Repeat("x", 5000)} {
		_, err := f.srv.Authenticate(raw)
		assert.ErrorIs(t, err, ErrInvalidToken, raw)
	}
}

func TestRotateSecret(t *testing.T) {
	for _, revoke := range []bool{false, true} {
		name := map[bool]string{false: "tokens survive by default", true: "tokens revoked when configured"}[revoke]
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, revoke)
			before, err := f.srv.Issue(f.request(""))
			require.NoError(t, err)

			f.clock.Set(start.Add(time.Minute))
			c, rotated, err := f.srv.RotateSecret(f.creds.ClientID)
			require.NoError(t, err)
			assert.Equal(t, f.creds.ClientID, rotated.ClientID)
			assert.NotEqual(t, f.creds.ClientSecret, rotated.ClientSecret)
			assert.Equal(t, start.Add(time.Minute), c.SecretRotatedAt)

			_, err = f.srv.Issue(f.request(""))
			assert.ErrorIs(t, err, ErrInvalidClient, "the old secret fails at once")

			after, err := f.srv.Issue(TokenRequest{GrantType: GrantClientCredentials, ClientID: rotated.ClientID, ClientSecret: rotated.ClientSecret})
			require.NoError(t, err, "the new secret works")
			_, err = f.srv.Authenticate(after.AccessToken)
			assert.NoError(t, err, "a token issued after the rotation, in the same second, is valid")

			_, err = f.srv.Authenticate(before.AccessToken)
			if revoke {
				assert.ErrorIs(t, err, ErrInvalidToken)
			} else {
				assert.NoError(t, err)
			}
		})
	}
}

func TestDeleteRevokesAndRecreatingDoesNotRevive(t *testing.T) {
	f := newFixture(t, false)
	tok, err := f.srv.Issue(f.request(""))
	require.NoError(t, err)
	_, err = f.srv.Authenticate(tok.AccessToken) // cache the verification
	require.NoError(t, err)

	require.NoError(t, f.srv.Delete(f.creds.ClientID))
	_, err = f.srv.Authenticate(tok.AccessToken)
	assert.ErrorIs(t, err, ErrInvalidToken, "a deleted client's tokens fail at once")
	_, err = f.srv.Issue(f.request(""))
	assert.ErrorIs(t, err, ErrInvalidClient)
	assert.ErrorIs(t, f.srv.Delete(f.creds.ClientID), apperr.ErrNotFound)

	_, _, err = f.srv.Create(ClientSpec{ID: f.creds.ClientID, Secret: f.creds.ClientSecret, Name: "again", WorkspaceID: "o_ws"})
	require.NoError(t, err)
	_, err = f.srv.Authenticate(tok.AccessToken)
	assert.ErrorIs(t, err, ErrInvalidToken, "a new client under the old id does not revive old tokens")
}

func TestCreateValidation(t *testing.T) {
	f := newFixture(t, false)
	tests := []struct {
		name    string
		spec    ClientSpec
		wantErr error
	}{
		{name: "no name", spec: ClientSpec{WorkspaceID: "o_ws"}, wantErr: apperr.ErrInvalid},
		{name: "long name", spec: ClientSpec{Name: strings.Repeat("n", 201), WorkspaceID: "o_ws"}, wantErr: apperr.ErrInvalid},
		{name: "no workspace", spec: ClientSpec{Name: "x"}, wantErr: apperr.ErrInvalid},
		{name: "bad scopes", spec: ClientSpec{Name: "x", WorkspaceID: "o_ws", Scopes: "root"}, wantErr: apperr.ErrInvalid},
		{name: "id with space", spec: ClientSpec{ID: "a b", Name: "x", WorkspaceID: "o_ws"}, wantErr: apperr.ErrInvalid},
		{name: "secret with newline", spec: ClientSpec{Secret: "a\nb", Name: "x", WorkspaceID: "o_ws"}, wantErr: apperr.ErrInvalid},
		{name: "taken id", spec: ClientSpec{ID: f.creds.ClientID, Name: "x", WorkspaceID: "o_ws"}, wantErr: apperr.ErrConflict},
		{name: "fixed credentials", spec: ClientSpec{ID: "my-client", Secret: "s3cr:t/+&=%?", Name: "x", WorkspaceID: "o_ws"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := len(f.srv.List(""))
			_, creds, err := f.srv.Create(tc.spec)
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				assert.Len(t, f.srv.List(""), before, "nothing is created")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.spec.ID, creds.ClientID)
			assert.Equal(t, tc.spec.Secret, creds.ClientSecret)
			_, err = f.srv.Issue(TokenRequest{GrantType: GrantClientCredentials, ClientID: creds.ClientID, ClientSecret: creds.ClientSecret})
			assert.NoError(t, err)
		})
	}
}

func TestListAndGetNeverShowSecrets(t *testing.T) {
	f := newFixture(t, false)
	_, _, err := f.srv.Create(ClientSpec{Name: "other", WorkspaceID: "o_other"})
	require.NoError(t, err)
	assert.Len(t, f.srv.List(""), 2)
	mine := f.srv.List("o_ws")
	require.Len(t, mine, 1)
	assert.Equal(t, "ci", mine[0].Name)
	hash := hashSecret(f.creds.ClientSecret)
	shown := fmt.Sprintf("%+v %#v", mine[0], mine[0])
	assert.NotContains(t, shown, f.creds.ClientSecret)
	assert.NotContains(t, shown, fmt.Sprintf("%v", hash[:4]), "not even the hash")

	got, err := f.srv.Get(f.creds.ClientID)
	require.NoError(t, err)
	assert.Equal(t, mine[0], got)
	_, err = f.srv.Get("oc_missing")
	assert.ErrorIs(t, err, apperr.ErrNotFound)
	_, _, err = f.srv.RotateSecret("oc_missing")
	assert.ErrorIs(t, err, apperr.ErrNotFound)
}

// checkGrant checks what Issue or Mint returned: wantErr with a message
// and no token, or a one-hour Bearer token made at start with wantScopes.
// It reports whether there is a token to look into further.
func checkGrant(t *testing.T, tok Token, err, wantErr error, start time.Time, wantScopes scope.Set) bool {
	t.Helper()
	if wantErr != nil {
		require.ErrorIs(t, err, wantErr)
		assert.NotEmpty(t, apperr.As(err).Message, "errors say what is wrong")
		assert.Empty(t, tok.AccessToken)
		return false
	}
	require.NoError(t, err)
	assert.Equal(t, "Bearer", tok.TokenType)
	assert.Equal(t, 3600, tok.ExpiresIn)
	assert.Equal(t, start, tok.CreatedAt)
	assert.Equal(t, start.Add(time.Hour), tok.ExpiresAt)
	assert.Equal(t, wantScopes, tok.Scopes)
	return true
}
