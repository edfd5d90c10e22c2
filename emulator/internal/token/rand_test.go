package token

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdemu/pdemu/emulator/internal/ids"
)

func TestWithRandMakesTheKeyReproducible(t *testing.T) {
	a, err := NewKeys(iss, 0, WithRand(ids.NewSeeded(3)))
	require.NoError(t, err)
	b, err := NewKeys(iss, 0, WithRand(ids.NewSeeded(3)))
	require.NoError(t, err)
	assert.Equal(t, a.PublicJWKS(), b.PublicJWKS())
	assert.Equal(t, a.Sign(sample()), b.Sign(sample()), "Ed25519 signatures are deterministic")

	// The key is NewKeyFromSeed of the reader's first 32 bytes, the kid its
	// next 9: what GenerateKey made of a reader before Go 1.26.
	var seed [ed25519.SeedSize + 9]byte
	_, _ = ids.NewSeeded(3).Read(seed[:])
	pub := ed25519.NewKeyFromSeed(seed[:ed25519.SeedSize]).Public().(ed25519.PublicKey)
	jwk := a.PublicJWKS().Keys[0]
	assert.Equal(t, base64.RawURLEncoding.EncodeToString(pub), jwk.X)
	assert.Equal(t, base64.RawURLEncoding.EncodeToString(seed[ed25519.SeedSize:]), jwk.KeyID)

	c, err := NewKeys(iss, 0, WithRand(ids.NewSeeded(4)))
	require.NoError(t, err)
	assert.NotEqual(t, a.PublicJWKS(), c.PublicJWKS())

	// Rotating draws the next key of the stream.
	before := a.PublicJWKS()
	require.NoError(t, a.Rotate())
	require.NoError(t, b.Rotate())
	assert.NotEqual(t, before, a.PublicJWKS())
	assert.Equal(t, a.PublicJWKS(), b.PublicJWKS())
}

func TestRotateFromARewoundGeneratorKeepsTheKey(t *testing.T) {
	g := ids.NewSeeded(5)
	g.Mark()
	k, err := NewKeys(iss, 0, WithRand(g))
	require.NoError(t, err)
	raw := k.Sign(sample())
	before := k.PublicJWKS()
	g.Rewind()
	require.NoError(t, k.Rotate())
	assert.Equal(t, before, k.PublicJWKS())
	_, err = k.Verify(raw)
	assert.NoError(t, err, "the same key verifies what it signed")
}

func TestNewKeysDefaultsToCryptoRand(t *testing.T) {
	a, err := NewKeys(iss, 0, WithRand(nil))
	require.NoError(t, err)
	b, err := NewKeys(iss, 0)
	require.NoError(t, err)
	assert.NotEqual(t, a.PublicJWKS(), b.PublicJWKS())
}

func TestRotateReportsAFailingReader(t *testing.T) {
	_, err := NewKeys(iss, 0, WithRand(bytes.NewReader(make([]byte, 10))))
	assert.ErrorContains(t, err, "generate key")
	_, err = NewKeys(iss, 0, WithRand(bytes.NewReader(make([]byte, ed25519.SeedSize+3))))
	assert.ErrorContains(t, err, "generate key id")
}
