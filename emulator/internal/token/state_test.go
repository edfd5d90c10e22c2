package token

import (
	"encoding/base64"
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdemu/pdemu/emulator/apperr"
)

// roundTrip exports k, sends the State through JSON as a state document
// would, and imports it into fresh Keys of the same issuer.
func roundTrip(t *testing.T, k *Keys) (*Keys, []byte) {
	t.Helper()
	doc, err := json.Marshal(k.Export())
	require.NoError(t, err)
	var st State
	require.NoError(t, json.Unmarshal(doc, &st))
	fresh, err := NewKeys(k.Issuer(), 0)
	require.NoError(t, err)
	require.NoError(t, fresh.Import(st))
	return fresh, doc
}

func TestStateRoundTrip(t *testing.T) {
	k, err := NewKeys(iss, 0)
	require.NoError(t, err)
	raw := k.Sign(sample())

	fresh, doc := roundTrip(t, k)
	again, err := json.Marshal(fresh.Export())
	require.NoError(t, err)
	assert.Equal(t, string(doc), string(again), "export, import, export is byte-identical")

	got, err := fresh.Verify(raw)
	require.NoError(t, err, "a token signed before the export verifies after the import")
	assert.Equal(t, sample(), got)
	assert.Equal(t, k.PublicJWKS(), fresh.PublicJWKS(), "the JWKS is the exporter's, kid included")
	assert.Equal(t, raw, fresh.Sign(sample()), "Ed25519 is deterministic: the same key signs the same bytes")

	var m map[string]any
	require.NoError(t, json.Unmarshal(doc, &m))
	assert.Equal(t, []string{"ed25519_seed", "issuer", "kid"}, sortedKeys(m), "the JSON shape")
}

func sortedKeys(m map[string]any) []string { return slices.Sorted(maps.Keys(m)) }

func TestImportClearsTheVerifiedCache(t *testing.T) {
	exporter, err := NewKeys(iss, 0)
	require.NoError(t, err)
	importer, err := NewKeys(iss, 0)
	require.NoError(t, err)
	own := importer.Sign(sample())
	_, err = importer.Verify(own) // cached from here on
	require.NoError(t, err)

	require.NoError(t, importer.Import(exporter.Export()))
	_, err = importer.Verify(own)
	assert.ErrorIs(t, err, ErrInvalid, "a token of the replaced key is not served from a stale cache")
	assert.Empty(t, importer.state.Load().verified)
}

func TestRotateAfterImportDropsTheImportedKey(t *testing.T) {
	k, err := NewKeys(iss, 0)
	require.NoError(t, err)
	raw := k.Sign(sample())
	fresh, _ := roundTrip(t, k)
	require.NoError(t, fresh.Rotate())
	_, err = fresh.Verify(raw)
	assert.ErrorIs(t, err, ErrInvalid, "Rotate keeps no previous key, imported or not")
}

func TestValidateStateRefuses(t *testing.T) {
	k, err := NewKeys(iss, 0)
	require.NoError(t, err)
	good := k.Export()
	padded := base64.URLEncoding.EncodeToString(make([]byte, 32))
	tests := []struct {
		name   string
		edit   func(*State)
		prefix string
	}{
		{"no issuer", func(s *State) { s.Issuer = "" }, "issuer: "},
		{"no kid", func(s *State) { s.KeyID = "" }, "kid: "},
		{"long kid", func(s *State) { s.KeyID = strings.Repeat("k", maxKeyIDLen+1) }, "kid: "},
		{"kid with a space", func(s *State) { s.KeyID = "a b" }, "kid: "},
		{"kid with a control character", func(s *State) { s.KeyID = "a\nb" }, "kid: "},
		{"no seed", func(s *State) { s.Seed = "" }, "ed25519_seed: "},
		{"seed not base64url", func(s *State) { s.Seed = "+/+/" }, "ed25519_seed: "},
		{"seed padded", func(s *State) { s.Seed = padded }, "ed25519_seed: "},
		{"seed too short", func(s *State) { s.Seed = base64.RawURLEncoding.EncodeToString(make([]byte, 31)) }, "ed25519_seed: "},
		{"seed the full private key", func(s *State) { s.Seed = base64.RawURLEncoding.EncodeToString(make([]byte, 64)) }, "ed25519_seed: "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := good
			tc.edit(&st)
			assertRefused(t, k, st, tc.prefix, true)
		})
	}

	t.Run("another issuer", func(t *testing.T) {
		st := good
		st.Issuer = "https://elsewhere.example"
		assert.NoError(t, ValidateState(st), "valid on its own")
		assertRefused(t, k, st, "issuer: ", false)
	})
}

// assertRefused checks that Import (and ValidateState, when pure says st
// is bad on its own) refuses st with an invalid_request whose message
// starts with prefix, and that k signs and verifies as before.
func assertRefused(t *testing.T, k *Keys, st State, prefix string, pure bool) {
	t.Helper()
	before := k.Export()
	raw := k.Sign(sample())
	if pure {
		err := ValidateState(st)
		require.Error(t, err)
		assert.True(t, strings.HasPrefix(apperr.As(err).Message, prefix), "ValidateState: %q should start with %q", apperr.As(err).Message, prefix)
	}
	err := k.Import(st)
	require.Error(t, err)
	e := apperr.As(err)
	assert.Equal(t, apperr.Invalid, e.Kind)
	assert.True(t, strings.HasPrefix(e.Message, prefix), "%q should start with %q", e.Message, prefix)
	assert.Equal(t, before, k.Export(), "a refused import changes nothing")
	_, err = k.Verify(raw)
	assert.NoError(t, err)
}

// TestStateCoversEveryField fails when a field is added to Keys or
// keyState without deciding whether it is state: export it (and extend
// this table and the round trip), or say here why it is not.
func TestStateCoversEveryField(t *testing.T) {
	decided := map[string]string{
		"Keys.issuer":       "state: issuer",
		"Keys.rand":         "configuration: the emulator's id generator",
		"Keys.cacheSize":    "not state: configuration of the importing Keys",
		"Keys.state":        "state: the fields of keyState",
		"keyState.kid":      "state: kid",
		"keyState.priv":     "state: ed25519_seed",
		"keyState.pub":      "derived from ed25519_seed",
		"keyState.mu":       "not state: a lock",
		"keyState.verified": "not state: a cache, emptied by Import",
	}
	for _, typ := range []reflect.Type{reflect.TypeFor[Keys](), reflect.TypeFor[keyState]()} {
		for f := range typ.Fields() {
			name := typ.Name() + "." + f.Name
			assert.Contains(t, decided, name, "%s is new: export it in State or record why it is not state", name)
		}
	}

	// And what is exported comes back: the imported key state equals the
	// exporter's in every field that is state.
	k, err := NewKeys(iss, 0)
	require.NoError(t, err)
	fresh, _ := roundTrip(t, k)
	want, got := k.state.Load(), fresh.state.Load()
	assert.Equal(t, want.kid, got.kid)
	assert.Equal(t, want.priv, got.priv)
	assert.Equal(t, want.pub, got.pub)
	assert.Equal(t, k.issuer, fresh.issuer)
}
