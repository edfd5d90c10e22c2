package conformance

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCleanupsRunNewestFirstOnceAndReportFailures(t *testing.T) {
	var c cleanups
	var order []string
	undo := func(name string, err error) func(context.Context) error {
		return func(context.Context) error { order = append(order, name); return err }
	}
	c.add("a", "thing a", undo("a", nil))
	c.add("b", "thing b", undo("b", errors.New("refused")))
	c.add("a", "thing a again", undo("a2", nil))
	c.add("c", "thing c", undo("c", nil))
	assert.True(t, c.has("b"))
	failed := c.run(t.Context())
	assert.Equal(t, []string{"c", "b", "a"}, order, "newest first, a key once")
	assert.Equal(t, []CleanupFailure{{What: "thing b", Error: "refused"}}, failed)
	assert.Empty(t, c.run(t.Context()), "run empties the registry")
}

// TestDeleteAfterwards: a cleanup deletes with a token of its own, in the
// environment the thing was made in; 404 means already gone; any other
// refusal is reported with the server's answer; a token refused as
// expired is fetched again once.
func TestDeleteAfterwards(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	tokens := 0
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if r.URL.Path == "/v1/oauth/token" {
			tokens++
			rw.Header().Set("Content-Type", "application/json")
			_, _ = rw.Write([]byte(`{"access_token":"tok` + strings.Repeat("+", tokens) + `"}`))
			return
		}
		seen = append(seen, r.Method+" "+r.URL.Path+" "+r.Header.Get("X-PD-Environment")+" "+r.Header.Get("Authorization"))
		switch {
		case strings.HasSuffix(r.URL.Path, "/gone"):
			rw.WriteHeader(http.StatusNotFound)
		case strings.HasSuffix(r.URL.Path, "/stuck"):
			rw.WriteHeader(http.StatusInternalServerError)
			_, _ = rw.Write([]byte(`{"error":"internal"}`))
		case strings.HasSuffix(r.URL.Path, "/expired") && r.Header.Get("Authorization") == "Bearer tok+":
			rw.WriteHeader(http.StatusUnauthorized)
		default:
			rw.WriteHeader(http.StatusNoContent)
		}
	}))
	t.Cleanup(srv.Close)
	cfg, err := Config{BaseURL: srv.URL, Client: Credentials{ClientID: "c", ClientSecret: "s"}, ProjectID: "proj_x"}.withDefaults()
	require.NoError(t, err)
	w := newWorld(cfg, nil, Scenario{})
	w.token = "ctok_scenario"

	w.deleteAfterwards("/things/ok", "the thing ok")
	w.env = "production"
	w.deleteUserAfterwards("u-1")
	w.deleteAfterwards("/v1/connect/proj_x/users/u-1", "the same user, by its path") // one DELETE
	w.deleteAfterwards("/things/gone", "the thing gone")
	w.deleteAfterwards("/things/stuck", "the thing stuck")
	w.deleteAfterwards("/things/expired", "the thing expired")
	failed := w.cleanups.run(t.Context())

	assert.Equal(t, []string{
		"DELETE /things/expired production Bearer tok+",
		"DELETE /things/expired production Bearer tok++",
		"DELETE /things/stuck production Bearer tok++",
		"DELETE /things/gone production Bearer tok++",
		"DELETE /v1/connect/proj_x/users/u-1 production Bearer tok++",
		"DELETE /things/ok development Bearer tok++",
	}, seen)
	require.Len(t, failed, 1)
	assert.Equal(t, "the thing stuck (production)", failed[0].What)
	assert.Contains(t, failed[0].Error, `DELETE /things/stuck answered 500: {"error":"internal"}`)
	assert.Nil(t, w.last, "cleanups are side requests")
}
