package emulator_test

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdemu/pdemu/emulator"
	"github.com/pdemu/pdemu/testutil"
)

const stashKey = "1day/ab12/cd34/ef56/u/report.pdf"

func putFile(srv *testutil.Server, body any) testutil.Response {
	return srv.Do("PUT", "/_emulator/projects/"+srv.Credentials.ProjectID+"/files", "", body)
}

func downloadPath(srv *testutil.Server, key string) string {
	return "/v1/connect/" + srv.Credentials.ProjectID + "/file_stash/download?s3_key=" + url.QueryEscape(key)
}

func TestFileStashDownload(t *testing.T) {
	srv := testutil.NewServer(t)
	content := []byte{'%', 'P', 'D', 'F', 0, 0xff, 0x10}
	r := putFile(srv, map[string]any{"s3_key": stashKey, "content_base64": base64.StdEncoding.EncodeToString(content), "environment": "development"})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	assert.JSONEq(t, `{"project_id":"`+srv.Credentials.ProjectID+`","environment":"development","s3_key":"`+stashKey+`","size":7,
		"content_type":"application/octet-stream","created_at":"2030-01-01T00:00:00Z","expires_at":"2030-01-02T00:00:00Z"}`, string(r.Body))

	tok := srv.Token("connect:*")
	r = srv.Do("GET", downloadPath(srv, stashKey), tok, nil, "x-pd-environment", "development")
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	assert.Equal(t, "application/octet-stream", r.Header.Get("Content-Type"))
	assert.Equal(t, content, r.Body)

	ctok := srv.ConnectToken("alice")
	r = srv.Do("GET", "/v1/connect/file_stash/download?s3_key="+url.QueryEscape(stashKey), ctok, nil)
	assert.Equal(t, http.StatusOK, r.Status, "a Connect token of the project, project-less path")
	assert.Equal(t, content, r.Body)

	r = srv.Do("GET", downloadPath(srv, stashKey), tok, nil, "x-pd-environment", "production")
	assert.Equal(t, http.StatusNotFound, r.Status, "environments are separate")
	assert.Equal(t, "not_found", r.JSON(t)["error"])

	for name, path := range map[string]string{
		"missing s3_key": "/v1/connect/" + srv.Credentials.ProjectID + "/file_stash/download",
		"empty s3_key":   "/v1/connect/" + srv.Credentials.ProjectID + "/file_stash/download?s3_key=",
		"bad shape":      downloadPath(srv, "report.pdf"),
		"too long":       downloadPath(srv, "1day/a/b/c/u/"+strings.Repeat("x", 1024)),
	} {
		r := srv.Do("GET", path, tok, nil, "x-pd-environment", "development")
		assert.Equal(t, http.StatusBadRequest, r.Status, name)
		assert.Equal(t, "invalid_request", r.JSON(t)["error"], name)
	}
	r = srv.Do("GET", downloadPath(srv, "1day/ab12/cd34/ef56/u/other.pdf"), tok, nil, "x-pd-environment", "development")
	assert.Equal(t, http.StatusNotFound, r.Status)

	r = srv.Do("GET", downloadPath(srv, stashKey), srv.Token("connect:actions:*"), nil, "x-pd-environment", "development")
	assert.Equal(t, http.StatusForbidden, r.Status, "no documented scope names the file stash: connect:* only")

	// A typed file, then expiry by the emulator's clock.
	r = putFile(srv, map[string]any{"s3_key": stashKey, "content_base64": base64.RawURLEncoding.EncodeToString([]byte("v2")), "environment": "development", "content_type": "text/csv"})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	r = srv.Do("GET", downloadPath(srv, stashKey), tok, nil, "x-pd-environment", "development")
	assert.Equal(t, "application/octet-stream", r.Header.Get("Content-Type"), "the document's one type, not the file's")
	assert.Equal(t, "v2", string(r.Body))
	srv.Advance(24*time.Hour - time.Second)
	tok = srv.Token("connect:*")
	r = srv.Do("GET", downloadPath(srv, stashKey), tok, nil, "x-pd-environment", "development")
	assert.Equal(t, http.StatusOK, r.Status, "there a second before a day has passed")
	srv.Advance(time.Second)
	r = srv.Do("GET", downloadPath(srv, stashKey), tok, nil, "x-pd-environment", "development")
	assert.Equal(t, http.StatusNotFound, r.Status, "gone after a day (the 1day/ bucket)")

	require.NoError(t, srv.Emulator.PutFile(srv.Credentials.ProjectID, "", stashKey, []byte("go"), ""))
	r = srv.Do("GET", downloadPath(srv, stashKey), tok, nil, "x-pd-environment", emulator.DefaultEnvironment)
	assert.Equal(t, "go", string(r.Body), "the Go API; no environment means the banner's, development")
	srv.Reset()
	r = srv.Do("GET", downloadPath(srv, stashKey), srv.Token(), nil)
	assert.Equal(t, http.StatusNotFound, r.Status, "reset empties the stash")
}

// TestFileStashDownloadContentType pins the download's Content-Type to
// application/octet-stream, the only content Pipedream's OpenAPI document
// gives the 200 (downloadFileStashFile), whatever type the file was put
// with; the put type stays in the control plane's answer, and the download
// carries no Content-Disposition.
func TestFileStashDownloadContentType(t *testing.T) {
	tests := []struct {
		name        string
		contentType string // as put; "" puts none
		recorded    string // the control plane's content_type
	}{
		{"none given", "", "application/octet-stream"},
		{"octet-stream", "application/octet-stream", "application/octet-stream"},
		{"text", "text/plain", "text/plain"},
		{"text with charset", "text/plain; charset=utf-8", "text/plain; charset=utf-8"},
		{"pdf", "application/pdf", "application/pdf"},
		{"json", "application/json", "application/json"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := testutil.NewServer(t)
			body := map[string]any{"s3_key": stashKey, "content_base64": base64.StdEncoding.EncodeToString([]byte("bytes")), "environment": "development"}
			if tc.contentType != "" {
				body["content_type"] = tc.contentType
			}
			r := putFile(srv, body)
			require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
			assert.Equal(t, tc.recorded, r.JSON(t)["content_type"])

			r = srv.Do("GET", downloadPath(srv, stashKey), srv.Token("connect:*"), nil, "x-pd-environment", "development")
			require.Equal(t, http.StatusOK, r.Status, string(r.Body))
			assert.Equal(t, []string{"application/octet-stream"}, r.Header.Values("Content-Type"))
			assert.Empty(t, r.Header.Values("Content-Disposition"))
			assert.Equal(t, "bytes", string(r.Body))
		})
	}
}

func TestPutFileValidation(t *testing.T) {
	srv := testutil.NewServer(t)
	for name, body := range map[string]string{
		"missing content":     `{"s3_key": "` + stashKey + `"}`,
		"missing key":         `{"content_base64": ""}`,
		"bad base64":          `{"s3_key": "` + stashKey + `", "content_base64": "***"}`,
		"bad key":             `{"s3_key": "x", "content_base64": ""}`,
		"bad environment":     `{"s3_key": "` + stashKey + `", "content_base64": "", "environment": "staging"}`,
		"bad content type":    `{"s3_key": "` + stashKey + `", "content_base64": "", "content_type": "not a type"}`,
		"unknown field":       `{"s3_key": "` + stashKey + `", "content_base64": "", "content": "x"}`,
		"content not string":  `{"s3_key": "` + stashKey + `", "content_base64": 5}`,
		"data after the body": `{"s3_key": "` + stashKey + `", "content_base64": ""} {}`,
	} {
		r := putFile(srv, body)
		assert.Equal(t, http.StatusBadRequest, r.Status, "%s: %s", name, r.Body)
	}
	r := srv.Do("PUT", "/_emulator/projects/proj_nope/files", "", map[string]any{"s3_key": stashKey, "content_base64": ""})
	assert.Equal(t, http.StatusNotFound, r.Status)

	r = putFile(srv, map[string]any{"s3_key": stashKey, "content_base64": ""})
	require.Equal(t, http.StatusCreated, r.Status, "an empty file is a file")
	r = srv.Do("GET", downloadPath(srv, stashKey), srv.Token(), nil, "x-pd-environment", "development")
	assert.Equal(t, http.StatusOK, r.Status)
	assert.Empty(t, r.Body)
}
