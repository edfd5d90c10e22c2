package oauth

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdemu/pdemu/emulator/apperr"
	"github.com/pdemu/pdemu/emulator/internal/token"
)

func (f *fixture) revokeRequest(raw string) RevokeRequest {
	return RevokeRequest{Token: raw, ClientID: f.creds.ClientID, ClientSecret: f.creds.ClientSecret}
}

func (f *fixture) issue(t *testing.T) string {
	t.Helper()
	tok, err := f.srv.Issue(f.request(""))
	require.NoError(t, err)
	return tok.AccessToken
}

func TestRevokeRefusesTheTokenDespiteTheVerifiedCache(t *testing.T) {
	f := newFixture(t, false)
	tok, other := f.issue(t), f.issue(t)
	_, err := f.srv.Authenticate(tok) // the claims are cached from here on
	require.NoError(t, err)

	require.NoError(t, f.srv.Revoke(f.revokeRequest(tok)))
	_, err = f.srv.Authenticate(tok)
	require.ErrorIs(t, err, ErrInvalidToken)
	assert.Equal(t, "the access token was revoked", apperr.As(err).Message)
	_, err = f.srv.Authenticate(other)
	assert.NoError(t, err, "only the revoked token is refused")
	assert.Equal(t, 1, f.srv.RevokedCount())

	require.NoError(t, f.srv.Revoke(f.revokeRequest(tok)), "revoking again is no error")
	assert.Equal(t, 1, f.srv.RevokedCount(), "nor a second entry")
}

func TestRevokeRequestErrors(t *testing.T) {
	f := newFixture(t, false)
	tok := f.issue(t)
	tests := []struct {
		name    string
		req     RevokeRequest
		wantErr error
	}{
		{name: "missing token", req: RevokeRequest{ClientID: f.creds.ClientID, ClientSecret: f.creds.ClientSecret}, wantErr: ErrInvalidRequest},
		{name: "missing client id", req: RevokeRequest{Token: tok, ClientSecret: f.creds.ClientSecret}, wantErr: ErrInvalidRequest},
		{name: "missing secret", req: RevokeRequest{Token: tok, ClientID: f.creds.ClientID}, wantErr: ErrInvalidRequest},
		{name: "wrong secret", req: RevokeRequest{Token: tok, ClientID: f.creds.ClientID, ClientSecret: f.creds.ClientSecret + "x"}, wantErr: ErrInvalidClient},
		{name: "unknown client", req: RevokeRequest{Token: tok, ClientID: "oc_nobody", ClientSecret: f.creds.ClientSecret}, wantErr: ErrInvalidClient},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := f.srv.Revoke(tc.req)
			require.ErrorIs(t, err, tc.wantErr)
			assert.NotEmpty(t, apperr.As(err).Message)
			_, err = f.srv.Authenticate(tok)
			assert.NoError(t, err, "a refused revocation revokes nothing")
			assert.Zero(t, f.srv.RevokedCount())
		})
	}
}

// TestRevokeIgnoresWhatItCannotRevoke: RFC 7009 §2.2 answers success for a
// token there is nothing to revoke of, and a token of another client is
// answered the same and left alone.
func TestRevokeIgnoresWhatItCannotRevoke(t *testing.T) {
	f := newFixture(t, false)
	_, otherCreds, err := f.srv.Create(ClientSpec{Name: "other", WorkspaceID: "o_ws"})
	require.NoError(t, err)
	othersTok, err := f.srv.Issue(TokenRequest{GrantType: GrantClientCredentials, ClientID: otherCreds.ClientID, ClientSecret: otherCreds.ClientSecret})
	require.NoError(t, err)

	foreignKeys, err := token.NewKeys("https://api.pipedream.com", 0)
	require.NoError(t, err)
	forged := foreignKeys.Sign(&token.Claims{ID: "jti-forged", Issuer: "https://api.pipedream.com", Expiry: start.Add(time.Hour).Unix(),
		TokenType: token.TypeAccess, Audience: token.Audience, Subject: "o_ws", ClientID: f.creds.ClientID, Generation: 1})

	for name, raw := range map[string]string{
		"malformed":               "junk",
		"three junk segments":     "a.b.c",
		"forged":                  forged,
		"a Connect token":         "ctok_0123456789abcdef0123456789abcdef",
		"another client's token":  othersTok.AccessToken,
		"a very long token value": string(make([]byte, 10_000)),
	} {
		assert.NoError(t, f.srv.Revoke(f.revokeRequest(raw)), name)
	}
	assert.Zero(t, f.srv.RevokedCount())
	_, err = f.srv.Authenticate(othersTok.AccessToken)
	assert.NoError(t, err, "another client's token still works")
}

func TestRevokeAtTheExpiryBoundary(t *testing.T) {
	tests := []struct {
		name        string
		at          time.Duration // since issuance
		wantRevoked bool
	}{
		{name: "one second before exp", at: time.Hour - time.Second, wantRevoked: true},
		{name: "at exp", at: time.Hour},
		{name: "after exp", at: 2 * time.Hour},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, false)
			tok := f.issue(t)
			f.clock.Set(start.Add(tc.at))
			require.NoError(t, f.srv.Revoke(f.revokeRequest(tok)))
			want := 0
			if tc.wantRevoked {
				want = 1
			}
			assert.Equal(t, want, f.srv.RevokedCount(), "an expired token needs no entry")
			_, err := f.srv.Authenticate(tok)
			assert.ErrorIs(t, err, ErrInvalidToken)
		})
	}
}

// TestRevokedSetIsPruned: an entry lives until its token's exp; the next
// revocation after that drops it, so memory follows the live tokens.
func TestRevokedSetIsPruned(t *testing.T) {
	f := newFixture(t, false)
	early := f.issue(t)
	f.clock.Set(start.Add(30 * time.Minute))
	late := f.issue(t)
	require.NoError(t, f.srv.Revoke(f.revokeRequest(early)))
	require.NoError(t, f.srv.Revoke(f.revokeRequest(late)))
	require.Equal(t, 2, f.srv.RevokedCount())

	f.clock.Set(start.Add(time.Hour - time.Second))
	require.NoError(t, f.srv.Revoke(f.revokeRequest("unknown")))
	assert.Equal(t, 2, f.srv.RevokedCount(), "both tokens are live: both entries stay")
	_, err := f.srv.Authenticate(early)
	assert.ErrorIs(t, err, ErrInvalidToken)

	f.clock.Set(start.Add(time.Hour))
	assert.Equal(t, 2, f.srv.RevokedCount(), "pruning waits for a revocation")
	require.NoError(t, f.srv.Revoke(f.revokeRequest("unknown")))
	assert.Equal(t, 1, f.srv.RevokedCount(), "the early token expired: its entry is gone")
	_, err = f.srv.Authenticate(early)
	assert.ErrorIs(t, err, ErrInvalidToken, "and it is refused as expired")
	_, err = f.srv.Authenticate(late)
	assert.ErrorIs(t, err, ErrInvalidToken)

	f.clock.Set(start.Add(90 * time.Minute))
	require.NoError(t, f.srv.Revoke(f.revokeRequest("unknown")))
	assert.Zero(t, f.srv.RevokedCount(), "after every exp the set is empty")
	assert.Zero(t, f.srv.revokedByExpiry.Len())
}

func TestRevokeSkipsTokensAlreadyRevokedWithTheirClient(t *testing.T) {
	f := newFixture(t, true)
	tok := f.issue(t)
	_, rotated, err := f.srv.RotateSecret(f.creds.ClientID)
	require.NoError(t, err)
	require.NoError(t, f.srv.Revoke(RevokeRequest{Token: tok, ClientID: rotated.ClientID, ClientSecret: rotated.ClientSecret}))
	assert.Zero(t, f.srv.RevokedCount(), "the rotation revoked it already")
}

func TestRevokeAny(t *testing.T) {
	f := newFixture(t, false)
	tok := f.issue(t)
	assert.True(t, f.srv.RevokeAny(tok))
	assert.False(t, f.srv.RevokeAny(tok), "already revoked")
	assert.False(t, f.srv.RevokeAny("junk"))
	_, err := f.srv.Authenticate(tok)
	assert.ErrorIs(t, err, ErrInvalidToken)
}

func TestDeleteAllForgetsRevocations(t *testing.T) {
	f := newFixture(t, false)
	require.NoError(t, f.srv.Revoke(f.revokeRequest(f.issue(t))))
	require.Equal(t, 1, f.srv.RevokedCount())
	f.srv.DeleteAll()
	assert.Zero(t, f.srv.RevokedCount())
	assert.Zero(t, f.srv.revokedByExpiry.Len())
}

func TestPruneForgetsExpiredRevocations(t *testing.T) {
	f := newFixture(t, false)
	tok := f.issue(t)
	require.NoError(t, f.srv.Revoke(f.revokeRequest(tok)))
	f.clock.Set(start.Add(time.Hour - time.Second))
	f.srv.Prune()
	assert.Equal(t, 1, f.srv.RevokedCount(), "at exp-1s the token is live: its revocation stays")
	f.clock.Set(start.Add(time.Hour))
	f.srv.Prune()
	assert.Zero(t, f.srv.RevokedCount(), "at exp it goes, without waiting for a revocation")
}
