package connect

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdemu/pdemu/emulator/apperr"
)

func TestValidateS3Key(t *testing.T) {
	long := "1day/a/b/c/u/" + strings.Repeat("x", MaxS3KeyLen-len("1day/a/b/c/u/"))
	tests := []struct {
		key     string
		wantErr string
	}{
		{key: "1day/a/b/c/u/report.pdf"},
		{key: "1day/a/b/c/u/"},
		{key: "1day/a/b/c/u/dir/sub/file name.txt"},
		{key: long},
		{key: long + "x", wantErr: "longer than 1024"},
		{key: "", wantErr: "required"},
		{key: "report.pdf", wantErr: "must look like"},
		{key: "2day/a/b/c/u/x", wantErr: "must look like"},
		{key: "1day/a/b/u/x", wantErr: "must look like"},
		{key: "1day//b/c/u/x", wantErr: "must look like"},
		{key: "1day/a/b/c/u/x\ny", wantErr: "control characters"},
		{key: "1day/a/b/c/u/\xff", wantErr: "UTF-8"},
	}
	for _, tc := range tests {
		err := ValidateS3Key(tc.key)
		if tc.wantErr == "" {
			assert.NoError(t, err, tc.key)
			continue
		}
		if assert.ErrorIs(t, err, apperr.ErrInvalid, tc.key) {
			assert.Contains(t, err.Error(), tc.wantErr)
		}
	}
}

func TestFileStash(t *testing.T) {
	s, clk := newStore(t)
	p, err := s.CreateProject("o_a", ProjectSpec{Name: ptr("P")})
	require.NoError(t, err)
	a := Access{WorkspaceID: "o_a"}
	const key = "1day/p/q/r/u/out.bin"

	f, err := s.PutFile(p.ID, Development, key, []byte{0, 1, 2, 255}, "")
	require.NoError(t, err)
	assert.Equal(t, "application/octet-stream", f.ContentType)
	assert.Equal(t, clk.Now().Add(FileStashTTL), f.ExpiresAt)

	got, err := s.File(a, p.ID, Development, key)
	require.NoError(t, err)
	assert.Equal(t, []byte{0, 1, 2, 255}, got.Content)

	_, err = s.File(a, p.ID, Production, key)
	assert.ErrorIs(t, err, apperr.ErrNotFound, "environments are separate")
	_, err = s.File(Access{WorkspaceID: "o_b"}, p.ID, Development, key)
	assert.ErrorIs(t, err, apperr.ErrNotFound, "another workspace's project")
	_, err = s.File(a, p.ID, Development, "1day/p/q/r/u/other")
	assert.ErrorIs(t, err, apperr.ErrNotFound)
	_, err = s.File(a, p.ID, Development, "nope")
	assert.ErrorIs(t, err, apperr.ErrInvalid)

	_, err = s.PutFile(p.ID, Development, key, []byte("v2"), "text/plain; charset=utf-8")
	require.NoError(t, err)
	got, err = s.File(a, p.ID, Development, key)
	require.NoError(t, err)
	assert.Equal(t, "v2", string(got.Content), "a put replaces")
	assert.Equal(t, "text/plain; charset=utf-8", got.ContentType)

	_, err = s.PutFile(p.ID, Development, key, nil, "not a type")
	assert.ErrorIs(t, err, apperr.ErrInvalid)
	_, err = s.PutFile("proj_none", Development, key, nil, "")
	assert.ErrorIs(t, err, apperr.ErrNotFound)
	_, err = s.PutFile(p.ID, Development, key, make([]byte, MaxStashBytes+1), "")
	assert.ErrorIs(t, err, apperr.ErrInvalid)

	empty, err := s.PutFile(p.ID, Development, "1day/p/q/r/u/empty", nil, "")
	require.NoError(t, err)
	assert.NotNil(t, empty.Content, "an empty file is empty, not absent")

	// Expiry: there at TTL-1ns, gone at TTL.
	clk.Advance(FileStashTTL - time.Nanosecond)
	_, err = s.File(a, p.ID, Development, key)
	require.NoError(t, err)
	clk.Advance(time.Nanosecond)
	_, err = s.File(a, p.ID, Development, key)
	assert.ErrorIs(t, err, apperr.ErrNotFound)

	// Expired files are swept on the next put; deleting the project removes the rest.
	_, err = s.PutFile(p.ID, Development, "1day/p/q/r/u/new", []byte("n"), "")
	require.NoError(t, err)
	s.mu.RLock()
	assert.Len(t, s.files.byKey, 1)
	s.mu.RUnlock()
	require.NoError(t, s.DeleteProject(a, p.ID))
	s.mu.RLock()
	assert.Empty(t, s.files.byKey)
	s.mu.RUnlock()
}
