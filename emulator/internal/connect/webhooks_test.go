package connect

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdemu/pdemu/emulator/apperr"
	"github.com/pdemu/pdemu/emulator/clock"
)

// newProject returns a store with a project in workspace o_a, and the
// access of that workspace.
func newProject(t *testing.T) (*Store, *clock.Fake, Access, string) {
	t.Helper()
	s, c := newStore(t)
	p, err := s.CreateProject("o_a", ProjectSpec{Name: ptr("P")})
	require.NoError(t, err)
	return s, c, Access{WorkspaceID: "o_a"}, p.ID
}

func TestValidateWebhookURL(t *testing.T) {
	long := "https://example.com/" + strings.Repeat("a", MaxWebhookURLLen-len("https://example.com/"))
	tests := []struct {
		url string
		ok  bool
	}{
		{"https://example.com/hook", true},
		{"http://localhost:8080/x?y=1", true},
		{"HTTPS://Example.com", true},
		{long, true},
		{long + "a", false},
		{"", false},
		{"example.com/hook", false},
		{"/relative", false},
		{"ftp://example.com", false},
		{"mailto:a@example.com", false},
		{"https://", false},
		{"https:example.com", false},
		{"https://exa mple.com", false},
		{"https://example.com/a b", false},
		{"javascript:alert(1)", false},
		{"://nope", false},
	}
	for _, tc := range tests {
		err := ValidateWebhookURL("url", tc.url)
		if tc.ok {
			assert.NoError(t, err, tc.url)
		} else {
			assert.ErrorIs(t, err, apperr.ErrInvalid, tc.url)
		}
	}
}

func TestProjectWebhookLifecycle(t *testing.T) {
	s, c, a, pid := newProject(t)

	_, found, err := s.ProjectWebhook(a, pid, Production)
	require.NoError(t, err)
	assert.False(t, found, "no webhook at first")
	assert.ErrorIs(t, s.DeleteProjectWebhook(a, pid, Production), apperr.ErrNotFound)
	_, err = s.RegenerateProjectWebhookKey(a, pid, Production)
	assert.ErrorIs(t, err, apperr.ErrNotFound)

	h, created, err := s.SetProjectWebhook(a, pid, Production, "https://example.com/one")
	require.NoError(t, err)
	assert.True(t, created)
	assert.Regexp(t, `^wh_[A-Za-z0-9]{7}$`, h.ID)
	key, err := base64.RawURLEncoding.DecodeString(h.SigningKey)
	require.NoError(t, err)
	assert.Len(t, key, 32, "256-bit signing key")
	assert.Equal(t, clock.DefaultStart, h.CreatedAt)

	c.Set(clock.DefaultStart.Add(time.Minute))
	h2, created, err := s.SetProjectWebhook(a, pid, Production, "https://example.com/two")
	require.NoError(t, err)
	assert.False(t, created, "a second PUT updates")
	assert.Equal(t, h.ID, h2.ID)
	assert.Equal(t, h.SigningKey, h2.SigningKey, "updating keeps the key")
	assert.Equal(t, "https://example.com/two", h2.URL)
	assert.Equal(t, clock.DefaultStart, h2.CreatedAt)
	assert.Equal(t, clock.DefaultStart.Add(time.Minute), h2.UpdatedAt)

	c.Set(clock.DefaultStart.Add(2 * time.Minute))
	h3, _, err := s.SetProjectWebhook(a, pid, Production, "https://example.com/two")
	require.NoError(t, err)
	assert.Equal(t, h2.UpdatedAt, h3.UpdatedAt, "the same URL again changes nothing")

	_, _, err = s.SetProjectWebhook(a, pid, Production, "not a url")
	assert.ErrorIs(t, err, apperr.ErrInvalid)
	got, _, _ := s.ProjectWebhook(a, pid, Production)
	assert.Equal(t, h3, got, "a refused update changes nothing")

	dev, found, err := s.ProjectWebhook(a, pid, Development)
	require.NoError(t, err)
	assert.False(t, found, "environments are separate: %+v", dev)

	r, err := s.RegenerateProjectWebhookKey(a, pid, Production)
	require.NoError(t, err)
	assert.NotEqual(t, h.SigningKey, r.SigningKey)
	assert.Equal(t, clock.DefaultStart.Add(2*time.Minute), r.UpdatedAt)
	got, _, _ = s.ProjectWebhook(a, pid, Production)
	assert.Equal(t, r.SigningKey, got.SigningKey)

	require.NoError(t, s.DeleteProjectWebhook(a, pid, Production))
	_, found, _ = s.ProjectWebhook(a, pid, Production)
	assert.False(t, found)
	h4, created, err := s.SetProjectWebhook(a, pid, Production, "https://example.com/three")
	require.NoError(t, err)
	assert.True(t, created, "after a delete a PUT creates again")
	assert.NotEqual(t, h.ID, h4.ID)
	assert.NotEqual(t, r.SigningKey, h4.SigningKey)
}

func TestProjectWebhookVisibilityAndCascade(t *testing.T) {
	s, _, a, pid := newProject(t)
	other := Access{WorkspaceID: "o_b"}
	_, _, err := s.SetProjectWebhook(a, pid, Development, "https://example.com/h")
	require.NoError(t, err)

	_, _, err = s.ProjectWebhook(other, pid, Development)
	assert.ErrorIs(t, err, apperr.ErrNotFound)
	_, _, err = s.SetProjectWebhook(other, pid, Development, "https://evil.example.com")
	assert.ErrorIs(t, err, apperr.ErrNotFound)
	assert.ErrorIs(t, s.DeleteProjectWebhook(other, pid, Development), apperr.ErrNotFound)
	_, err = s.RegenerateProjectWebhookKey(other, pid, Development)
	assert.ErrorIs(t, err, apperr.ErrNotFound)
	_, _, err = s.SetProjectWebhook(a, "proj_none", Development, "https://example.com/h")
	assert.ErrorIs(t, err, apperr.ErrNotFound)

	_, err = s.EnsureUser(a, pid, Development, "u1")
	require.NoError(t, err)
	require.NoError(t, s.DeleteUser(a, pid, Development, "u1"))
	_, found, _ := s.ProjectWebhook(a, pid, Development)
	assert.True(t, found, "deleting a user leaves the project's webhook")

	p2, err := s.CreateProject("o_a", ProjectSpec{Name: ptr("P2")})
	require.NoError(t, err)
	_, _, err = s.SetProjectWebhook(a, p2.ID, Production, "https://example.com/p2")
	require.NoError(t, err)
	require.NoError(t, s.DeleteProject(a, pid))
	_, _, err = s.ProjectWebhook(a, pid, Development)
	assert.ErrorIs(t, err, apperr.ErrNotFound, "a project's webhooks go with it")
	_, found, err = s.ProjectWebhook(a, p2.ID, Production)
	require.NoError(t, err)
	assert.True(t, found, "and only its")

	_, err = s.SetProjectLogo(a, p2.ID, dataURI("image/png", pngBytes))
	require.NoError(t, err)
	s.Reset()
	assert.Empty(t, s.projects, "reset empties the projects, their webhooks and logos with them")
}
