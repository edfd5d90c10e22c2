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

// Minimal images of each accepted type.
var (
	pngBytes  = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
	jpegBytes = []byte{0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, 'J', 'F', 'I', 'F'}
	gifBytes  = []byte("GIF89a\x01\x00\x01\x00")
	webpBytes = []byte("RIFF\x1a\x00\x00\x00WEBPVP8 ")
	svgBytes  = []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>`)
)

func dataURI(mediaType string, b []byte) string {
	return "data:" + mediaType + ";base64," + base64.StdEncoding.EncodeToString(b)
}

// pngOfSize is a PNG signature padded to n bytes.
func pngOfSize(n int) []byte {
	b := make([]byte, n)
	copy(b, pngBytes)
	return b
}

func TestParseLogo(t *testing.T) {
	tests := []struct {
		name     string
		uri      string
		wantType string
		wantLen  int
		wantErr  string
	}{
		{name: "png", uri: dataURI("image/png", pngBytes), wantType: "image/png", wantLen: len(pngBytes)},
		{name: "jpeg", uri: dataURI("image/jpeg", jpegBytes), wantType: "image/jpeg", wantLen: len(jpegBytes)},
		{name: "gif", uri: dataURI("image/gif", gifBytes), wantType: "image/gif", wantLen: len(gifBytes)},
		{name: "webp", uri: dataURI("image/webp", webpBytes), wantType: "image/webp", wantLen: len(webpBytes)},
		{name: "svg", uri: dataURI("image/svg+xml", svgBytes), wantType: "image/svg+xml", wantLen: len(svgBytes)},
		{name: "upper-case scheme and type", uri: "DATA:IMAGE/PNG;BASE64," + base64.StdEncoding.EncodeToString(pngBytes), wantType: "image/png", wantLen: len(pngBytes)},
		{name: "parameter before base64", uri: "data:image/svg+xml;charset=utf-8;base64," + base64.StdEncoding.EncodeToString(svgBytes), wantType: "image/svg+xml", wantLen: len(svgBytes)},
		{name: "unpadded base64", uri: "data:image/png;base64," + base64.RawStdEncoding.EncodeToString(pngOfSize(17)), wantType: "image/png", wantLen: 17},
		{name: "exactly the limit", uri: dataURI("image/png", pngOfSize(MaxLogoBytes)), wantType: "image/png", wantLen: MaxLogoBytes},
		{name: "one byte over the limit", uri: dataURI("image/png", pngOfSize(MaxLogoBytes+1)), wantErr: "larger than"},
		{name: "empty", uri: "", wantErr: "data URI"},
		{name: "plain base64", uri: base64.StdEncoding.EncodeToString(pngBytes), wantErr: "data URI"},
		{name: "URL", uri: "https://example.com/logo.png", wantErr: "data URI"},
		{name: "no comma", uri: "data:image/png;base64", wantErr: "comma"},
		{name: "no data", uri: "data:image/png;base64,", wantErr: "empty"},
		{name: "not base64-encoded", uri: "data:image/svg+xml,<svg/>", wantErr: "base64"},
		{name: "not an image type", uri: dataURI("text/html", []byte("<svg>")), wantErr: "not one of"},
		{name: "no type", uri: "data:;base64," + base64.StdEncoding.EncodeToString(pngBytes), wantErr: "not one of"},
		{name: "bmp", uri: dataURI("image/bmp", []byte("BM")), wantErr: "not one of"},
		{name: "bad base64", uri: "data:image/png;base64,AAAAAA...", wantErr: "base64"},
		{name: "URL-safe alphabet", uri: "data:image/png;base64,iVBORw0KGgo_-A", wantErr: "base64"},
		{name: "white space in base64", uri: "data:image/png;base64,iVBO Rw0KGgo=", wantErr: "base64"},
		{name: "type says png, bytes are gif", uri: dataURI("image/png", gifBytes), wantErr: "not a image/png"},
		{name: "SDK example", uri: "data:image/png;base64,AAAAAA", wantErr: "not a image/png"},
		{name: "svg without svg", uri: dataURI("image/svg+xml", []byte("<html/>")), wantErr: "not a image/svg+xml"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mt, data, err := ParseLogo(tc.uri)
			if tc.wantErr != "" {
				require.ErrorIs(t, err, apperr.ErrInvalid)
				assert.Contains(t, err.Error(), "invalid logo data")
				assert.Contains(t, err.Error(), tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.wantType, mt)
			assert.Len(t, data, tc.wantLen)
		})
	}
}

func TestProjectLogo(t *testing.T) {
	s, c, a, pid := newProject(t)
	_, found, err := s.ProjectLogo(a, pid)
	require.NoError(t, err)
	assert.False(t, found)

	l, err := s.SetProjectLogo(a, pid, dataURI("image/png", pngBytes))
	require.NoError(t, err)
	assert.Equal(t, "image/png", l.MediaType)
	assert.Equal(t, pngBytes, l.Data)
	l.Data[0] = 'X' // the store keeps its own copy

	c.Set(clock.DefaultStart.Add(time.Hour))
	_, err = s.SetProjectLogo(a, pid, "data:image/png;base64,bad!")
	require.ErrorIs(t, err, apperr.ErrInvalid)
	got, found, err := s.ProjectLogo(a, pid)
	require.NoError(t, err)
	require.True(t, found)
	assert.Equal(t, pngBytes, got.Data, "a refused logo changes nothing")
	assert.Equal(t, clock.DefaultStart, got.UpdatedAt)

	_, err = s.SetProjectLogo(a, pid, dataURI("image/svg+xml", svgBytes))
	require.NoError(t, err)
	got, _, _ = s.ProjectLogo(a, pid)
	assert.Equal(t, "image/svg+xml", got.MediaType, "a new logo replaces the old")
	assert.Equal(t, clock.DefaultStart.Add(time.Hour), got.UpdatedAt)

	_, err = s.SetProjectLogo(Access{WorkspaceID: "o_b"}, pid, dataURI("image/png", pngBytes))
	assert.ErrorIs(t, err, apperr.ErrNotFound)
	_, _, err = s.ProjectLogo(Access{WorkspaceID: "o_b"}, pid)
	assert.ErrorIs(t, err, apperr.ErrNotFound)

	require.NoError(t, s.DeleteProject(a, pid))
	_, _, err = s.ProjectLogo(a, pid)
	assert.ErrorIs(t, err, apperr.ErrNotFound, "a project's logo goes with it")
}

func TestProjectApps(t *testing.T) {
	s, _, a, pid := newProject(t)
	addTestApps(t, s)
	apps, err := s.ProjectApps(a, pid, Production)
	require.NoError(t, err)
	assert.Empty(t, apps)
	assert.NotNil(t, apps, "an empty list, not null")

	other, err := s.CreateProject("o_a", ProjectSpec{Name: ptr("other")})
	require.NoError(t, err)
	connectAcc := func(project string, env Environment, app string) string {
		acc, err := s.ConnectAccount(AccountScope{Access: a, ProjectID: project, Environment: env},
			AccountSpec{ExternalUserID: "u", App: app})
		require.NoError(t, err)
		return acc.ID
	}
	connectAcc(pid, Production, "zz_keys")
	connectAcc(pid, Production, "zz_keys")
	connectAcc(pid, Development, "zz_oauth2")
	connectAcc(other.ID, Production, "zz_oauth2")
	// An account whose app the catalog no longer has keeps the slug it
	// was connected with.
	s.accounts.byKey[connectAcc(pid, Production, "zz_keys")].AppSlug = "gone_from_catalog"
	_, err = s.CreateOAuthApp(a, pid, OAuthAppSpec{App: "zz_oauth", ClientID: ptr("c"), ClientSecret: ptr("s")})
	require.NoError(t, err)
	_, err = s.CreateAppOverride(a, pid, AppOverrideSpec{App: "zz_oauth", Name: ptr("o")})
	require.NoError(t, err)

	apps, err = s.ProjectApps(a, pid, Production)
	require.NoError(t, err)
	assert.Equal(t, []ProjectAppRef{
		{NameSlug: "gone_from_catalog"},
		{ID: "app_zzkeys", NameSlug: "zz_keys"},
		{ID: "app_zzoauth", NameSlug: "zz_oauth"},
	}, apps, "each app once, by slug; development accounts and other projects left out")

	apps, err = s.ProjectApps(a, pid, Development)
	require.NoError(t, err)
	assert.Equal(t, []ProjectAppRef{
		{ID: "app_zzoauth", NameSlug: "zz_oauth"},
		{ID: "app_zzoauth2", NameSlug: "zz_oauth2"},
	}, apps)

	_, err = s.ProjectApps(Access{WorkspaceID: "o_b"}, pid, Production)
	assert.ErrorIs(t, err, apperr.ErrNotFound)
}
