package emulator_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
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

// journalPage is GET /_emulator/requests as a test reads it.
type journalPage struct {
	Data []struct {
		ID             string   `json:"id"`
		At             string   `json:"at"`
		Method         string   `json:"method"`
		Path           string   `json:"path"`
		Query          string   `json:"query"`
		Route          string   `json:"route"`
		Status         int      `json:"status"`
		Error          string   `json:"error"`
		DurationMS     *float64 `json:"duration_ms"`
		ClientID       string   `json:"client_id"`
		TokenKind      string   `json:"token_kind"`
		ExternalUserID string   `json:"external_user_id"`
		FaultID        string   `json:"fault_id"`
		NearMisses     []string `json:"near_misses"`
		Request        struct {
			Headers      map[string]string `json:"headers"`
			Body         json.RawMessage   `json:"body"`
			BodyEncoding string            `json:"body_encoding"`
			BodySize     int64             `json:"body_size"`
			Truncated    bool              `json:"truncated"`
		} `json:"request"`
		Response struct {
			Headers      map[string]string `json:"headers"`
			Body         json.RawMessage   `json:"body"`
			BodyEncoding string            `json:"body_encoding"`
			BodySize     int64             `json:"body_size"`
			Truncated    bool              `json:"truncated"`
		} `json:"response"`
	} `json:"data"`
	PageInfo struct {
		Count      int     `json:"count"`
		TotalCount int     `json:"total_count"`
		EndCursor  *string `json:"end_cursor"`
	} `json:"page_info"`
	Dropped uint64 `json:"dropped"`
	Size    int    `json:"size"`
}

func readJournal(t *testing.T, srv *testutil.Server, query string) journalPage {
	t.Helper()
	resp := srv.Do("GET", "/_emulator/requests?"+query, "", nil)
	require.Equal(t, http.StatusOK, resp.Status, "%s", resp.Body)
	var p journalPage
	require.NoError(t, json.Unmarshal(resp.Body, &p), "%s", resp.Body)
	return p
}

func tokenBody(id, secret string) map[string]string {
	return map[string]string{"grant_type": "client_credentials", "client_id": id, "client_secret": secret}
}

func TestJournalRecordsAndRedacts(t *testing.T) {
	srv := testutil.NewServer(t)
	creds := srv.Credentials
	resp := srv.Do("POST", "/v1/oauth/token", "", tokenBody(creds.ClientID, creds.ClientSecret))
	require.Equal(t, http.StatusOK, resp.Status)
	tok := resp.JSON(t)["access_token"].(string)
	require.Equal(t, http.StatusOK, srv.Do("GET", "/v1/connect/projects?limit=5", tok, nil).Status)

	p := readJournal(t, srv, "")
	require.Len(t, p.Data, 2, "the journal's own read is not recorded")
	get, post := p.Data[0], p.Data[1]

	assert.Equal(t, "GET", get.Method)
	assert.Equal(t, "/v1/connect/projects", get.Path)
	assert.Equal(t, "limit=5", get.Query)
	assert.Equal(t, "projects.list", get.Route)
	assert.Equal(t, 200, get.Status)
	assert.Equal(t, "", get.Error)
	assert.Equal(t, creds.ClientID, get.ClientID)
	assert.Equal(t, "oauth", get.TokenKind)
	assert.Equal(t, "Bearer "+srv.Emulator.Fingerprint(tok), get.Request.Headers["Authorization"], "the access token is shown by its fingerprint")
	assert.Equal(t, "json", get.Response.BodyEncoding)
	require.NotNil(t, get.DurationMS)
	at, err := time.Parse(time.RFC3339Nano, get.At)
	require.NoError(t, err)
	assert.Equal(t, srv.Now(), at, "at is the emulator clock")
	assert.Regexp(t, `^req_\d+$`, get.ID)

	assert.Equal(t, "oauthTokens.create", post.Route)
	assert.Equal(t, creds.ClientID, post.ClientID, "the token endpoint's client is the one the request named")
	assert.Equal(t, "none", post.TokenKind)
	var sent, answered map[string]any
	require.NoError(t, json.Unmarshal(post.Request.Body, &sent))
	require.NoError(t, json.Unmarshal(post.Response.Body, &answered))
	assert.Equal(t, srv.Emulator.Fingerprint(creds.ClientSecret), sent["client_secret"])
	assert.Equal(t, creds.ClientID, sent["client_id"])
	assert.Equal(t, srv.Emulator.Fingerprint(tok), answered["access_token"])
	assert.Equal(t, "Bearer", answered["token_type"])
	assert.Equal(t, "no-store", post.Response.Headers["Cache-Control"])

	raw := srv.Do("GET", "/_emulator/requests", "", nil).Body
	for _, secret := range []string{creds.ClientSecret, tok} {
		assert.NotContains(t, string(raw), secret)
	}
	// Go API: the same entries.
	got, err := srv.Emulator.Requests(emulator.RequestFilter{})
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.Equal(t, "projects.list", got[0].Route)
	assert.Equal(t, "Bearer "+srv.Emulator.Fingerprint(tok), got[0].Request.Header.Get("Authorization"))
	assert.NotContains(t, string(got[1].Request.Body), creds.ClientSecret)
}

func TestJournalRedactsEverySecret(t *testing.T) {
	srv := testutil.NewServer(t)
	ctok := srv.ConnectToken("alice")
	created := srv.Do("POST", "/_emulator/oauth-clients", "", map[string]any{"name": "redacted"}).JSON(t)
	rotated := srv.Do("POST", "/_emulator/oauth-clients/"+created["client_id"].(string)+"/rotate-secret", "", nil).JSON(t)
	srv.Do("GET", "/v1/connect/tokens/"+ctok+"/validate", "", nil)
	srv.Do("GET", "/v1/connect/accounts", ctok, nil)
	form := "grant_type=client_credentials&client_id=" + srv.Credentials.ClientID + "&client_secret=" + url.QueryEscape(srv.Credentials.ClientSecret)
	srv.Do("POST", "/v1/oauth/token", "", form, "Content-Type", "application/x-www-form-urlencoded")
	acct := srv.ConnectAccount("alice", "slack", map[string]any{"oauth_access_token": "xoxb-very-secret"})
	srv.Do("GET", "/v1/connect/"+srv.Credentials.ProjectID+"/accounts/"+acct+"?include_credentials=true", srv.Token(), nil)

	raw := string(srv.Do("GET", "/_emulator/requests?limit=100", "", nil).Body)
	for name, secret := range map[string]string{
		"connect token": ctok, "created secret": created["client_secret"].(string), "rotated secret": rotated["client_secret"].(string),
		"seed secret": srv.Credentials.ClientSecret, "form-encoded secret": url.QueryEscape(srv.Credentials.ClientSecret),
		"account credential": "xoxb-very-secret",
	} {
		assert.NotContains(t, raw, secret, name)
	}
	assert.Contains(t, raw, "/v1/connect/tokens/"+srv.Emulator.Fingerprint(ctok)+"/validate")
	list, err := srv.Emulator.Requests(emulator.RequestFilter{Route: "accounts.list"})
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, "connect", list[0].TokenKind)
	assert.Equal(t, "alice", list[0].ExternalUserID, "a Connect token names its external user")
}

func TestJournalFilters(t *testing.T) {
	srv := testutil.NewServer(t)
	tok := srv.Token()
	srv.Do("GET", "/v1/connect/projects", tok, nil)
	srv.Advance(time.Minute)
	since := srv.Now()
	srv.Do("POST", "/v1/connect/"+srv.Credentials.ProjectID+"/tokens", tok, map[string]any{"external_user_id": "bob"}, "X-PD-Environment", "development")
	srv.Do("GET", "/v1/connect/projects", "bad-token", nil)
	srv.Do("GET", "/v1/connect/"+srv.Credentials.ProjectID+"/users/carol/accounts", tok, nil, "X-PD-Environment", "development")
	srv.Do("DELETE", "/_emulator/oauth-clients/oc_missing", "", nil)

	for _, tc := range []struct {
		query string
		want  int
	}{
		{"", 5}, // srv.Token() uses the Go API: it is not a request
		{"method=get", 3},
		{"route=projects.list", 2},
		{"route=tokens.create|users.*", 1},
		{"route=accounts.*", 1},
		{"path=/v1/connect/", 4},
		{"path=/_emulator/", 1},
		{"status=401", 1},
		{"status=4xx", 3},
		{"status=200", 2},
		{"client_id=" + srv.Credentials.ClientID, 3},
		{"external_user_id=bob", 1},
		{"external_user_id=carol", 1},
		{"since=" + url.QueryEscape(since.Format(time.RFC3339Nano)), 4},
		{"method=GET&status=200", 1},
		{"faults_only=true", 0},
		{"unmatched=true", 0},
	} {
		t.Run(tc.query, func(t *testing.T) {
			p := readJournal(t, srv, tc.query+"&limit=100")
			assert.Len(t, p.Data, tc.want)
			assert.Equal(t, tc.want, p.PageInfo.TotalCount)
			count := srv.Do("GET", "/_emulator/requests/count?"+tc.query, "", nil)
			require.Equal(t, http.StatusOK, count.Status)
			assert.JSONEq(t, fmt.Sprintf(`{"count":%d}`, tc.want), string(count.Body))
		})
	}
	for _, bad := range []string{"status=abc", "status=600", "since=yesterday", "route=a||b", "limit=0", "after=%25%25", "faults_only=maybe"} {
		for _, path := range []string{"/_emulator/requests?", "/_emulator/requests/count?"} {
			if strings.Contains(path, "count") && (strings.HasPrefix(bad, "limit") || strings.HasPrefix(bad, "after")) {
				continue
			}
			resp := srv.Do("GET", path+bad, "", nil)
			assert.Equal(t, http.StatusBadRequest, resp.Status, "%s%s: %s", path, bad, resp.Body)
			assert.Equal(t, "invalid_request", resp.JSON(t)["error"])
		}
	}
	_, err := srv.Emulator.Requests(emulator.RequestFilter{Route: "a||b"})
	require.Error(t, err)
}

func TestJournalPagingAndOverflow(t *testing.T) {
	srv := testutil.NewServer(t, emulator.WithJournalSize(5))
	for i := range 8 {
		srv.Do("GET", fmt.Sprintf("/_emulator/clock?i=%d", i), "", nil)
	}
	p := readJournal(t, srv, "limit=2")
	assert.Equal(t, uint64(3), p.Dropped, "three entries made room")
	assert.Equal(t, 5, p.Size)
	assert.Equal(t, 5, p.PageInfo.TotalCount)
	var queries []string
	for {
		for _, d := range p.Data {
			queries = append(queries, d.Query)
		}
		if p.PageInfo.EndCursor == nil {
			break
		}
		p = readJournal(t, srv, "limit=2&after="+url.QueryEscape(*p.PageInfo.EndCursor))
	}
	assert.Equal(t, []string{"i=7", "i=6", "i=5", "i=4", "i=3"}, queries, "newest first, the oldest dropped")

	require.Equal(t, http.StatusNoContent, srv.Do("DELETE", "/_emulator/requests", "", nil).Status)
	p = readJournal(t, srv, "")
	require.Len(t, p.Data, 1, "only the DELETE itself, recorded after it emptied the journal")
	assert.Equal(t, "requests.clear", p.Data[0].Route)
	st := srv.Emulator.JournalStats()
	assert.Equal(t, 5, st.Size)
	assert.Equal(t, uint64(3), st.Dropped, "clearing drops nothing")
}

func TestJournalBodiesAreBounded(t *testing.T) {
	srv := testutil.NewServer(t)
	big := `{"name":"` + strings.Repeat("x", 20_000) + `","client_secret":"cut-secret"}`
	srv.Do("POST", "/_emulator/oauth-clients", "", big)
	p := readJournal(t, srv, "")
	require.Len(t, p.Data, 1)
	req := p.Data[0].Request
	assert.True(t, req.Truncated)
	assert.Equal(t, int64(len(big)), req.BodySize)
	assert.Equal(t, "text", req.BodyEncoding, "a cut JSON body is shown as text")
	var s string
	require.NoError(t, json.Unmarshal(req.Body, &s))
	assert.Len(t, s, emulator.DefaultJournalBodyBytes)
}

func TestJournalOff(t *testing.T) {
	srv := testutil.NewServer(t, emulator.WithJournalSize(0))
	srv.Do("GET", "/v1/connect/projects", srv.Token(), nil)
	p := readJournal(t, srv, "")
	assert.Empty(t, p.Data)
	assert.Equal(t, 0, p.Size)
	assert.NotContains(t, srv.Emulator.Capabilities(), "journal")
	assert.Contains(t, testutil.NewServer(t).Emulator.Capabilities(), "journal")
	_, err := emulator.New(emulator.WithJournalSize(-1))
	require.Error(t, err)
}

func TestNearMisses(t *testing.T) {
	srv := testutil.NewServer(t)
	tok := srv.Token()
	for _, tc := range []struct {
		method, path string
		status       int
		want         string // a near miss that must be named first
	}{
		{"GET", "/v1/connect/projcts", 404, "GET /v1/connect/projects (projects.list)"},
		{"GET", "/v1/connect/" + srv.Credentials.ProjectID + "/user", 404, "GET /v1/connect/{project_id}/users (users.list)"},
		{"GET", "/v1/connect/" + srv.Credentials.ProjectID + "/users/extra/x/y", 404, ""},
		{"POST", "/v1/oauth/tokens", 404, "POST /v1/oauth/token (oauthTokens.create)"},
		{"GET", "/v1/connect/" + srv.Credentials.ProjectID + "/deployed-triggers/dc_1/events/x", 404, "GET /v1/connect/{project_id}/deployed-triggers/{trigger_id}/events (deployedTriggers.listEvents)"},
		{"GET", "/v1/oauth/token", 405, "POST /v1/oauth/token (oauthTokens.create)"},
		{"GET", "/totally/elsewhere", 404, ""},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			srv.Emulator.ClearRequests()
			resp := srv.Do(tc.method, tc.path, tok, nil)
			require.Equal(t, tc.status, resp.Status, "%s", resp.Body)
			body := resp.JSON(t)
			got, err := srv.Emulator.Requests(emulator.RequestFilter{Unmatched: true, ClientID: srv.Credentials.ClientID})
			require.NoError(t, err)
			require.Len(t, got, 1, "a mistyped call is filed under the client its token speaks for")
			assert.Equal(t, "", got[0].Route, "nothing matched")
			if tc.want == "" {
				assert.Empty(t, got[0].NearMisses)
				return
			}
			require.NotEmpty(t, got[0].NearMisses)
			assert.Equal(t, tc.want, got[0].NearMisses[0])
			details := body["details"].(map[string]any)
			assert.Equal(t, tc.want, details["near_misses"].([]any)[0])
			if tc.status == 404 {
				assert.Contains(t, body["error_description"], "did you mean "+tc.want)
			} else {
				assert.Equal(t, "POST", resp.Header.Get("Allow"))
			}
		})
	}
}

func TestRequestLogLine(t *testing.T) {
	var info, debug bytes.Buffer
	srv := testutil.NewServer(t, emulator.WithLogger(slog.New(slog.NewJSONHandler(&info, nil))))
	tok := srv.Token()
	srv.Do("GET", "/v1/connect/projects", "expired-or-wrong", nil)
	srv.Do("GET", "/v1/connect/projcts", tok, nil)
	srv.Do("GET", "/v1/connect/projects", tok, nil)
	logs := info.String()
	assert.Contains(t, logs, `"path":"/v1/connect/projects"`)
	assert.Contains(t, logs, `"error":"invalid_token"`)
	assert.Contains(t, logs, `"path":"/v1/connect/projcts","route":"","status":404`)
	assert.Contains(t, logs, `"client_id":"`+srv.Credentials.ClientID+`"`)
	assert.Contains(t, logs, `"duration_ms":`)
	assert.NotContains(t, logs, `"request":`, "bodies only at debug level")

	dsrv := testutil.NewServer(t, emulator.WithLogger(slog.New(slog.NewJSONHandler(&debug, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	dtok := dsrv.Token()
	dsrv.Do("GET", "/v1/connect/projects", dtok, nil)
	dlogs := debug.String()
	assert.Contains(t, dlogs, `"request":{"headers":{`)
	assert.Contains(t, dlogs, dsrv.Emulator.Fingerprint(dtok))
	for _, secret := range []string{dtok, dsrv.Credentials.ClientSecret} {
		assert.NotContains(t, dlogs, secret)
	}
}

// A body cut at the journal's bound is not JSON any more; its secrets,
// account credentials under any name among them, are hidden all the same.
func TestJournalRedactsCutBodies(t *testing.T) {
	srv := testutil.NewServer(t)
	for i := range 30 {
		srv.ConnectAccount("alice", "slack", map[string]any{"custom_field": fmt.Sprintf("LEAKME-%02d", i), "oauth_access_token": "xoxb-x"})
	}
	resp := srv.Do("GET", "/v1/connect/"+srv.Credentials.ProjectID+"/accounts?external_user_id=alice&include_credentials=true&limit=30", srv.Token(), nil, "X-PD-Environment", "development")
	require.Equal(t, http.StatusOK, resp.Status)
	require.Greater(t, len(resp.Body), emulator.DefaultJournalBodyBytes)
	got := srv.Requests(emulator.RequestFilter{Route: "accounts.list"})
	require.Len(t, got, 1)
	assert.True(t, got[0].Response.Truncated)
	assert.NotContains(t, string(got[0].Response.Body), "LEAKME")
	assert.NotContains(t, string(got[0].Response.Body), "xoxb-x")
	assert.Contains(t, string(got[0].Response.Body), `"app"`, "what is not secret stays readable")
}
