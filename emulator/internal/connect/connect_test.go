package connect

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdemu/pdemu/emulator/apperr"
	"github.com/pdemu/pdemu/emulator/clock"
)

func TestParseEnvironment(t *testing.T) {
	for in, want := range map[string]Environment{"": Production, "production": Production, "development": Development} {
		got, err := ParseEnvironment(in)
		require.NoError(t, err)
		assert.Equal(t, want, got)
	}
	for _, bad := range []string{"Production", "dev", "staging", " production"} {
		_, err := ParseEnvironment(bad)
		assert.ErrorIs(t, err, apperr.ErrInvalid, bad)
	}
}

func newStore(t *testing.T) (*Store, *clock.Fake) {
	t.Helper()
	c := clock.NewFake(time.Time{})
	s := NewStore(c)
	_, err := s.AddWorkspace(Workspace{ID: "o_a", Name: "A"})
	require.NoError(t, err)
	_, err = s.AddWorkspace(Workspace{ID: "o_b", Name: "B"})
	require.NoError(t, err)
	return s, c
}

func ptr[T any](v T) *T { return &v }

// decodeCursor reads a cursor as a list request's after or before would.
func decodeCursor(name, c string) (string, error) {
	if name == "before" {
		r, err := ParsePageRequest("", "", c)
		return r.Before, err
	}
	r, err := ParsePageRequest("", c, "")
	return r.After, err
}
