package connect

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pdemu/pdemu/emulator/apperr"
	"github.com/pdemu/pdemu/emulator/clock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

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

func TestProjectsLifecycle(t *testing.T) {
	s, c := newStore(t)
	a := Access{WorkspaceID: "o_a"}

	p, err := s.CreateProject("o_a", ProjectSpec{Name: ptr("First"), SupportEmail: ptr("help@example.com")})
	require.NoError(t, err)
	assert.Regexp(t, `^proj_[a-zA-Z0-9]+$`, p.ID)
	assert.Equal(t, clock.DefaultStart, p.CreatedAt)

	c.Set(clock.DefaultStart.Add(time.Minute))
	up, err := s.UpdateProject(a, p.ID, ProjectSpec{AppName: ptr("My App")})
	require.NoError(t, err)
	assert.Equal(t, "First", up.Name, "absent fields stay")
	assert.Equal(t, "My App", up.AppName)
	assert.Equal(t, "help@example.com", up.SupportEmail)
	assert.Equal(t, clock.DefaultStart.Add(time.Minute), up.UpdatedAt)

	got, err := s.Project(a, p.ID)
	require.NoError(t, err)
	assert.Equal(t, up, got)

	_, err = s.Project(Access{WorkspaceID: "o_b"}, p.ID)
	assert.ErrorIs(t, err, apperr.ErrNotFound, "another workspace sees nothing")
	_, err = s.Project(Access{WorkspaceID: "o_a", ProjectIDs: []string{"proj_other"}}, p.ID)
	assert.ErrorIs(t, err, apperr.ErrNotFound, "a project-restricted caller sees only its projects")

	_, err = s.EnsureUser(a, p.ID, Production, "u1")
	require.NoError(t, err)
	require.NoError(t, s.DeleteProject(a, p.ID))
	_, err = s.Project(a, p.ID)
	assert.ErrorIs(t, err, apperr.ErrNotFound)
	assert.ErrorIs(t, s.DeleteProject(a, p.ID), apperr.ErrNotFound)
	assert.Empty(t, s.users, "a project's users go with it")
}

func TestProjectValidation(t *testing.T) {
	s, _ := newStore(t)
	tests := []struct {
		name    string
		ws      string
		spec    ProjectSpec
		wantErr error
	}{
		{name: "no name", ws: "o_a", spec: ProjectSpec{}, wantErr: apperr.ErrInvalid},
		{name: "blank name", ws: "o_a", spec: ProjectSpec{Name: ptr("  ")}, wantErr: apperr.ErrInvalid},
		{name: "201 chars", ws: "o_a", spec: ProjectSpec{Name: ptr(strings.Repeat("x", 201))}, wantErr: apperr.ErrInvalid},
		{name: "bad fixed id", ws: "o_a", spec: ProjectSpec{ID: "project-1", Name: ptr("x")}, wantErr: apperr.ErrInvalid},
		{name: "unknown workspace", ws: "o_zz", spec: ProjectSpec{Name: ptr("x")}, wantErr: apperr.ErrNotFound},
		{name: "200 chars", ws: "o_a", spec: ProjectSpec{Name: ptr(strings.Repeat("x", 200))}},
		{name: "fixed id", ws: "o_a", spec: ProjectSpec{ID: "proj_fixed1", Name: ptr("x")}},
		{name: "taken id", ws: "o_b", spec: ProjectSpec{ID: "proj_fixed1", Name: ptr("x")}, wantErr: apperr.ErrConflict},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := len(s.projects)
			_, err := s.CreateProject(tc.ws, tc.spec)
			if tc.wantErr != nil {
				assert.ErrorIs(t, err, tc.wantErr)
				assert.Len(t, s.projects, before)
				return
			}
			assert.NoError(t, err)
		})
	}
	p, err := s.CreateProject("o_a", ProjectSpec{Name: ptr("keep")})
	require.NoError(t, err)
	_, err = s.UpdateProject(Access{WorkspaceID: "o_a"}, p.ID, ProjectSpec{Name: ptr("")})
	assert.ErrorIs(t, err, apperr.ErrInvalid)
	got, err := s.Project(Access{WorkspaceID: "o_a"}, p.ID)
	require.NoError(t, err)
	assert.Equal(t, "keep", got.Name, "a refused update changes nothing")
}

func TestListProjectsIsScopedAndFiltered(t *testing.T) {
	s, _ := newStore(t)
	var mine []string
	for i := 0; i < 12; i++ {
		p, err := s.CreateProject("o_a", ProjectSpec{Name: ptr(fmt.Sprintf("Alpha %d", i))})
		require.NoError(t, err)
		mine = append(mine, p.ID)
	}
	_, err := s.CreateProject("o_b", ProjectSpec{Name: ptr("Alpha elsewhere")})
	require.NoError(t, err)

	page, err := s.ListProjects(Access{WorkspaceID: "o_a"}, "", PageRequest{Limit: 100})
	require.NoError(t, err)
	require.Len(t, page.Data, 12)
	for i, p := range page.Data {
		assert.Equal(t, mine[i], p.ID, "oldest first")
	}
	page, err = s.ListProjects(Access{WorkspaceID: "o_a"}, "alpha 1", PageRequest{Limit: 100})
	require.NoError(t, err)
	assert.Len(t, page.Data, 3, "q matches names case-insensitively: 1, 10, 11")
	page, err = s.ListProjects(Access{WorkspaceID: "o_a", ProjectIDs: mine[:2]}, "", PageRequest{Limit: 100})
	require.NoError(t, err)
	assert.Len(t, page.Data, 2)
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
