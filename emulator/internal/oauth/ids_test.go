package oauth

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdemu/pdemu/emulator/clock"
	"github.com/pdemu/pdemu/emulator/internal/ids"
	"github.com/pdemu/pdemu/emulator/internal/token"
)

func TestConfigIDsMakesClientsAndTokensReproducible(t *testing.T) {
	run := func(g *ids.Generator) []string {
		keys, err := token.NewKeys("https://api.pipedream.com", 0, token.WithRand(g))
		require.NoError(t, err)
		s := NewServer(Config{Clock: clock.NewFake(start), Keys: keys, IDs: g})
		_, creds, err := s.Create(ClientSpec{Name: "ci", WorkspaceID: "o_ws"})
		require.NoError(t, err)
		tok, err := s.Issue(TokenRequest{GrantType: GrantClientCredentials, ClientID: creds.ClientID, ClientSecret: creds.ClientSecret})
		require.NoError(t, err)
		_, rotated, err := s.RotateSecret(creds.ClientID)
		require.NoError(t, err)
		return []string{creds.ClientID, creds.ClientSecret, tok.AccessToken, rotated.ClientSecret}
	}
	a := run(ids.NewSeeded(1))
	assert.Equal(t, a, run(ids.NewSeeded(1)))
	b := run(ids.NewSeeded(2))
	for i := range a {
		assert.NotEqual(t, a[i], b[i])
	}
	c := run(nil) // the default: crypto/rand
	assert.NotEqual(t, c, run(nil))
}
