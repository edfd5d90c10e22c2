package emulator

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/gorilla/mux"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRouteCacheAnswersAsMux: a remembered match is what mux itself answers
// for the same method and path, for every row of the table, the first time
// (mux) and the second (the cache) alike; a path mux does not match is not
// remembered; and the cache stays bounded.
func TestRouteCacheAnswersAsMux(t *testing.T) {
	e := MustNew()
	eps := e.endpoints()
	ix := &routeIndex{buckets: map[int]*routeBucket{}}
	for i, ep := range eps {
		ix.add(strings.Replace(ep.Path, "{project_id}", projectIDPattern, 1), ep.Method, routeTarget(i))
	}
	fill := regexp.MustCompile(`\{[a-z_0-9]+(:[^}]*)?\}`)
	pid := e.Credentials().ProjectID
	uncached := func(r *http.Request) (routeTarget, map[string]string, bool) {
		b := ix.buckets[strings.Count(r.URL.EscapedPath(), "/")]
		if b == nil {
			return 0, nil, false
		}
		b.once.Do(b.compile)
		var m mux.RouteMatch
		if !b.router.Match(r, &m) {
			return 0, nil, false
		}
		return m.Handler.(routeTarget), m.Vars, true
	}
	for _, ep := range eps {
		if ep.Method == "" {
			continue
		}
		path := fill.ReplaceAllString(strings.ReplaceAll(ep.Path, "{project_id}", pid), "x1")
		for _, method := range []string{ep.Method, http.MethodPatch} {
			r := httptest.NewRequest(method, path, nil)
			wantTarget, wantVars, wantOK := uncached(r)
			for round := range 2 {
				var m mux.RouteMatch
				ok := ix.match(r, &m)
				require.Equal(t, wantOK, ok, "%s %s, round %d", method, path, round)
				if ok {
					assert.Equal(t, wantTarget, m.Handler.(routeTarget), "%s %s, round %d", method, path, round)
					assert.Equal(t, wantVars, m.Vars, "%s %s, round %d", method, path, round)
				}
			}
		}
	}
	_, known := ix.hits.Load(routeKey{http.MethodGet, "/v1/connect/" + pid + "/nothing/here"})
	assert.False(t, known)
	var m mux.RouteMatch
	assert.False(t, ix.match(httptest.NewRequest(http.MethodGet, "/v1/connect/"+pid+"/nothing/here", nil), &m))
	_, known = ix.hits.Load(routeKey{http.MethodGet, "/v1/connect/" + pid + "/nothing/here"})
	assert.False(t, known, "a miss is not remembered")

	for i := range maxRouteHits + 10 {
		var m mux.RouteMatch
		require.True(t, ix.match(httptest.NewRequest(http.MethodGet, fmt.Sprintf("/v1/connect/%s/accounts/apn_%d", pid, i), nil), &m))
	}
	n := 0
	ix.hits.Range(func(any, any) bool { n++; return true })
	assert.LessOrEqual(t, n, maxRouteHits, "bounded")
	assert.Positive(t, n)
}
