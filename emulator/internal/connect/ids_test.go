package connect

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdemu/pdemu/emulator/clock"
	"github.com/pdemu/pdemu/emulator/internal/ids"
	"github.com/pdemu/pdemu/emulator/internal/scope"
)

func TestWithIDsMakesIDsReproducible(t *testing.T) {
	run := func(opts ...StoreOption) []string {
		s := NewStore(clock.NewFake(time.Time{}), opts...)
		w, err := s.AddWorkspace(Workspace{Name: "w"})
		require.NoError(t, err)
		name := "p"
		p, err := s.CreateProject(w.ID, ProjectSpec{Name: &name})
		require.NoError(t, err)
		a := Access{WorkspaceID: w.ID}
		u, err := s.EnsureUser(a, p.ID, Development, "alice")
		require.NoError(t, err)
		ct, err := s.CreateToken(a, p.ID, Development, scope.Set{scope.All}, TokenSpec{ExternalUserID: "alice"})
		require.NoError(t, err)
		h, _, err := s.SetProjectWebhook(a, p.ID, Development, "https://example.com/h")
		require.NoError(t, err)
		return []string{w.ID, p.ID, u.ID, ct.Token, h.ID, h.SigningKey}
	}
	a := run(WithIDs(ids.NewSeeded(1)))
	assert.Equal(t, a, run(WithIDs(ids.NewSeeded(1))))
	b := run(WithIDs(ids.NewSeeded(2)))
	for i := range a {
		assert.NotEqual(t, a[i], b[i])
	}
	assert.NotEqual(t, run(), run(), "the default is crypto/rand")
}
