package emulator_test

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdemu/pdemu/emulator"
	"github.com/pdemu/pdemu/testutil"
)

func basic(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(secret)))
}

func TestTokenEndpoint(t *testing.T) {
	srv := testutil.NewServer(t, emulator.WithMaxBodyBytes(1024))
	id, secret := srv.Credentials.ClientID, srv.Credentials.ClientSecret
	jsonBody := func(fields map[string]any) string {
		b, err := json.Marshal(fields)
		require.NoError(t, err)
		return string(b)
	}
	good := map[string]any{"grant_type": "client_credentials", "client_id": id, "client_secret": secret}
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for kk, vv := range good {
			m[kk] = vv
		}
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	const (
		ctJSON = "application/json"
		ctForm = "application/x-www-form-urlencoded"
	)
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}}.Encode()

	tests := []struct {
		name        string
		contentType string
		auth        string
		body        string
		wantStatus  int
		wantError   string // "" for success
		wantBasic   bool   // WWW-Authenticate: Basic expected
	}{
		{name: "json (the SDKs)", contentType: ctJSON, body: jsonBody(good), wantStatus: 200},
		{name: "json with charset", contentType: ctJSON + "; charset=utf-8", body: jsonBody(good), wantStatus: 200},
		{name: "json with scope", contentType: ctJSON, body: jsonBody(with("scope", "connect:users:read connect:proxy")), wantStatus: 200},
		{name: "json with unknown extra field", contentType: ctJSON, body: jsonBody(with("audience", "x")), wantStatus: 200},
		{name: "form body", contentType: ctForm, body: form, wantStatus: 200},
		{name: "basic + form", contentType: ctForm, auth: basic(id, secret), body: "grant_type=client_credentials", wantStatus: 200},
		{name: "basic + json", contentType: ctJSON, auth: basic(id, secret), body: `{"grant_type":"client_credentials"}`, wantStatus: 200},
		{name: "basic + same client_id in body", contentType: ctForm, auth: basic(id, secret), body: "grant_type=client_credentials&client_id=" + id, wantStatus: 200},
		{name: "basic scheme is case-insensitive", contentType: ctForm, auth: strings.Replace(basic(id, secret), "Basic", "basic", 1), body: "grant_type=client_credentials", wantStatus: 200},

		{name: "wrong secret", contentType: ctJSON, body: jsonBody(with("client_secret", "nope")), wantStatus: 401, wantError: "invalid_client"},
		{name: "unknown client", contentType: ctJSON, body: jsonBody(with("client_id", "oc_unknown")), wantStatus: 401, wantError: "invalid_client"},
		{name: "wrong secret via basic", contentType: ctForm, auth: basic(id, "nope"), body: "grant_type=client_credentials", wantStatus: 401, wantError: "invalid_client", wantBasic: true},
		{name: "unsupported grant", contentType: ctJSON, body: jsonBody(with("grant_type", "authorization_code")), wantStatus: 400, wantError: "unsupported_grant_type"},
		{name: "missing grant", contentType: ctJSON, body: jsonBody(with("grant_type", nil)), wantStatus: 400, wantError: "invalid_request"},
		{name: "missing client id", contentType: ctJSON, body: jsonBody(with("client_id", nil)), wantStatus: 400, wantError: "invalid_request"},
		{name: "missing secret", contentType: ctJSON, body: jsonBody(with("client_secret", nil)), wantStatus: 400, wantError: "invalid_request"},
		{name: "empty json object", contentType: ctJSON, body: `{}`, wantStatus: 400, wantError: "invalid_request"},
		{name: "json null", contentType: ctJSON, body: `null`, wantStatus: 400, wantError: "invalid_request"},
		{name: "json array", contentType: ctJSON, body: `[1,2]`, wantStatus: 400, wantError: "invalid_request"},
		{name: "malformed json", contentType: ctJSON, body: `{"grant_type":`, wantStatus: 400, wantError: "invalid_request"},
		{name: "trailing garbage", contentType: ctJSON, body: jsonBody(good) + "x", wantStatus: 400, wantError: "invalid_request"},
		{name: "field of wrong type", contentType: ctJSON, body: jsonBody(with("client_secret", 42)), wantStatus: 400, wantError: "invalid_request"},
		{name: "unknown scope", contentType: ctJSON, body: jsonBody(with("scope", "connect:users:read root")), wantStatus: 400, wantError: "invalid_scope"},
		{name: "malformed scope", contentType: ctJSON, body: jsonBody(with("scope", "connect:users:read\nroot")), wantStatus: 400, wantError: "invalid_scope"},
		{name: "scope of wrong type", contentType: ctJSON, body: jsonBody(with("scope", []string{"*"})), wantStatus: 400, wantError: "invalid_request"},
		{name: "repeated form parameter", contentType: ctForm, body: form + "&grant_type=client_credentials", wantStatus: 400, wantError: "invalid_request"},
		{name: "malformed form", contentType: ctForm, body: "grant_type=%zz", wantStatus: 400, wantError: "invalid_request"},
		{name: "basic and body secret", contentType: ctForm, auth: basic(id, secret), body: form, wantStatus: 400, wantError: "invalid_request"},
		{name: "basic and other client id", contentType: ctForm, auth: basic(id, secret), body: "grant_type=client_credentials&client_id=other", wantStatus: 400, wantError: "invalid_request"},
		{name: "basic not base64", contentType: ctForm, auth: "Basic !!!notbase64", body: "grant_type=client_credentials", wantStatus: 400, wantError: "invalid_request"},
		{name: "basic without colon", contentType: ctForm, auth: "Basic " + base64.StdEncoding.EncodeToString([]byte(id)), body: "grant_type=client_credentials", wantStatus: 400, wantError: "invalid_request"},
		{name: "basic with bad escape", contentType: ctForm, auth: "Basic " + base64.StdEncoding.EncodeToString([]byte("a%zz:b")), body: "grant_type=client_credentials", wantStatus: 400, wantError: "invalid_request"},
		{name: "text/plain", contentType: "text/plain", body: jsonBody(good), wantStatus: 415, wantError: "invalid_request"},
		{name: "no content type with body", body: jsonBody(good), wantStatus: 415, wantError: "invalid_request"},
		{name: "unparseable content type", contentType: "application/json; =", body: jsonBody(good), wantStatus: 415, wantError: "invalid_request"},
		{name: "no content type, no body", wantStatus: 400, wantError: "invalid_request"},
		{name: "body over the limit", contentType: ctJSON, body: `{"scope":"` + strings.Repeat("a", 2048) + `"}`, wantStatus: 413, wantError: "invalid_request"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clientsBefore := srv.Emulator.Clients()
			req, err := http.NewRequest(http.MethodPost, srv.URL+"/v1/oauth/token", strings.NewReader(tc.body))
			require.NoError(t, err)
			if tc.contentType != "" {
				req.Header.Set("Content-Type", tc.contentType)
			}
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			resp, err := srv.Client().Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			var body map[string]any
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&body), "every answer is JSON")

			assert.Equal(t, tc.wantStatus, resp.StatusCode, "body: %v", body)
			assert.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
			assert.Equal(t, "no-cache", resp.Header.Get("Pragma"))
			assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
			if tc.wantError == "" {
				assert.Equal(t, "Bearer", body["token_type"])
				assert.EqualValues(t, 3600, body["expires_in"])
				assert.NotEmpty(t, body["access_token"])
				assert.NotContains(t, body, "scope", "Pipedream's token response has no scope")
				return
			}
			assert.Equal(t, tc.wantError, body["error"])
			assert.NotEmpty(t, body["error_description"])
			assert.NotContains(t, body, "access_token")
			if tc.wantBasic {
				assert.Equal(t, `Basic realm="api.pipedream.com"`, resp.Header.Get("WWW-Authenticate"))
			} else {
				assert.Empty(t, resp.Header.Get("WWW-Authenticate"))
			}
			assert.Equal(t, clientsBefore, srv.Emulator.Clients(), "a refused request changes nothing")
		})
	}
	// The server keeps serving after all that.
	assert.Equal(t, 200, srv.Do("GET", "/v1/connect/projects", srv.Token(), nil).Status)
}

func TestTokenResponseAgreesWithTheClockAndJWKS(t *testing.T) {
	srv := testutil.NewServer(t)
	srv.SetNow(time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC))
	r := srv.Do("POST", "/v1/oauth/token", "", map[string]string{
		"grant_type": "client_credentials", "client_id": srv.Credentials.ClientID, "client_secret": srv.Credentials.ClientSecret,
		"scope": "connect:users:read connect:users:read connect:proxy",
	})
	require.Equal(t, 200, r.Status, string(r.Body))
	var tok struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int64  `json:"expires_in"`
		CreatedAt   int64  `json:"created_at"`
	}
	require.NoError(t, json.Unmarshal(r.Body, &tok))
	now := srv.Now().Unix()
	assert.Equal(t, now, tok.CreatedAt)
	assert.EqualValues(t, 3600, tok.ExpiresIn)

	// Verify the signature with the published key, as a resource server would.
	var set struct {
		Keys []struct{ Kty, Crv, X, Alg string } `json:"keys"`
	}
	jr := srv.Do("GET", "/.well-known/jwks.json", "", nil)
	require.Equal(t, 200, jr.Status)
	require.NoError(t, json.Unmarshal(jr.Body, &set))
	require.Len(t, set.Keys, 1)
	assert.Equal(t, "OKP", set.Keys[0].Kty)
	assert.Equal(t, "Ed25519", set.Keys[0].Crv)
	x, err := base64.RawURLEncoding.DecodeString(set.Keys[0].X)
	require.NoError(t, err)

	claims := jwt.MapClaims{}
	parsed, err := jwt.ParseWithClaims(tok.AccessToken, claims, func(*jwt.Token) (any, error) { return ed25519.PublicKey(x), nil },
		jwt.WithValidMethods([]string{"EdDSA"}), jwt.WithTimeFunc(srv.Now), jwt.WithIssuer("https://api.pipedream.com"), jwt.WithAudience("api"))
	require.NoError(t, err)
	assert.Equal(t, "JWT", parsed.Header["typ"])
	assert.EqualValues(t, now, claims["iat"])
	assert.EqualValues(t, now-5, claims["nbf"])
	assert.EqualValues(t, now+tok.ExpiresIn, claims["exp"], "exp - iat == expires_in")
	assert.Equal(t, "oauth_access_token", claims["token_type"])
	assert.Equal(t, []any{"api", "catcher"}, claims["aud"])
	assert.Equal(t, srv.Credentials.WorkspaceID, claims["sub"])
	assert.Equal(t, []any{"connect:users:read", "connect:proxy"}, claims["scopes"], "duplicates collapsed")
	assert.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, claims["jti"])
}

func TestExpiryThroughTheControlPlane(t *testing.T) {
	tests := []struct {
		name    string
		advance string
		want    int
	}{
		{name: "one second before exp", advance: "3599", want: 200},
		{name: "half a second before exp", advance: "3599.5", want: 200},
		{name: "at exp", advance: "3600", want: 401},
		{name: "a day later", advance: "86400", want: 401},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := testutil.NewServer(t)
			tok := srv.Token()
			require.Equal(t, 200, srv.Do("GET", "/v1/connect/projects", tok, nil).Status)
			adv := srv.Do("POST", "/_emulator/clock/advance", "", `{"seconds":`+tc.advance+`}`)
			require.Equal(t, 200, adv.Status, string(adv.Body))

			r := srv.Do("GET", "/v1/connect/projects", tok, nil)
			assert.Equal(t, tc.want, r.Status, string(r.Body))
			if tc.want == 401 {
				assert.Equal(t, "invalid_token", r.JSON(t)["error"])
				assert.Contains(t, r.Header.Get("WWW-Authenticate"), `error="invalid_token"`)
				assert.Contains(t, r.JSON(t)["error_description"], "expired")
			}
		})
	}
}

func TestRotationAndDeletionOverHTTP(t *testing.T) {
	for _, revoke := range []bool{false, true} {
		t.Run(map[bool]string{false: "default policy", true: "rotation revokes"}[revoke], func(t *testing.T) {
			var opts []emulator.Option
			if revoke {
				opts = append(opts, emulator.WithRotationRevokesTokens())
			}
			srv := testutil.NewServer(t, opts...)
			cr := srv.Do("POST", "/_emulator/oauth-clients", "", map[string]any{"name": "rotating"})
			require.Equal(t, 201, cr.Status, string(cr.Body))
			created := cr.JSON(t)
			id, secret := created["client_id"].(string), created["client_secret"].(string)
			old := srv.TokenFor(emulator.ClientCredentials{ClientID: id, ClientSecret: secret})

			rot := srv.Do("POST", "/_emulator/oauth-clients/"+id+"/rotate-secret", "", nil)
			require.Equal(t, 200, rot.Status, string(rot.Body))
			newSecret := rot.JSON(t)["client_secret"].(string)
			assert.NotEqual(t, secret, newSecret)

			issue := func(s string) int {
				return srv.Do("POST", "/v1/oauth/token", "", map[string]string{"grant_type": "client_credentials", "client_id": id, "client_secret": s}).Status
			}
			assert.Equal(t, 401, issue(secret), "old secret fails at once")
			assert.Equal(t, 200, issue(newSecret))
			wantOld := map[bool]int{false: 200, true: 401}[revoke]
			assert.Equal(t, wantOld, srv.Do("GET", "/v1/connect/projects", old, nil).Status)

			fresh := srv.TokenFor(emulator.ClientCredentials{ClientID: id, ClientSecret: newSecret})
			assert.Equal(t, 204, srv.Do("DELETE", "/_emulator/oauth-clients/"+id, "", nil).Status)
			assert.Equal(t, 401, srv.Do("GET", "/v1/connect/projects", fresh, nil).Status, "deletion revokes at once")
			assert.Equal(t, 401, issue(newSecret))
			assert.Equal(t, 404, srv.Do("DELETE", "/_emulator/oauth-clients/"+id, "", nil).Status)
		})
	}
}

// TestWithTokenTTLAndIssuer: the token lifetime and issuer options reach
// the token endpoint's answer, the JWT's claims and the bearer check, at
// the exact boundary.
func TestWithTokenTTLAndIssuer(t *testing.T) {
	tests := []struct {
		after time.Duration
		want  int
	}{
		{10*time.Minute - time.Second, 200}, // valid at exp-1s
		{10 * time.Minute, 401},             // invalid at exp
	}
	for _, tc := range tests {
		t.Run(tc.after.String(), func(t *testing.T) {
			srv := testutil.NewServer(t, emulator.WithTokenTTL(10*time.Minute), emulator.WithIssuer("https://issuer.example"))
			r := srv.Do("POST", "/v1/oauth/token", "", map[string]string{
				"grant_type": "client_credentials", "client_id": srv.Credentials.ClientID, "client_secret": srv.Credentials.ClientSecret,
			})
			require.Equal(t, 200, r.Status, string(r.Body))
			body := r.JSON(t)
			assert.Equal(t, 600.0, body["expires_in"])
			tok := body["access_token"].(string)
			claims := jwt.MapClaims{}
			_, _, err := jwt.NewParser().ParseUnverified(tok, claims)
			require.NoError(t, err)
			assert.Equal(t, "https://issuer.example", claims["iss"])
			assert.EqualValues(t, srv.Now().Unix()+600, claims["exp"])

			srv.Advance(tc.after)
			assert.Equal(t, tc.want, srv.Do("GET", "/v1/connect/projects", tok, nil).Status)
		})
	}
}

func TestControlPlaneClients(t *testing.T) {
	srv := testutil.NewServer(t)
	r := srv.Do("POST", "/_emulator/oauth-clients", "", map[string]any{"name": "ci", "scopes": "connect:users:read connect:projects:read"})
	require.Equal(t, 201, r.Status, string(r.Body))
	created := r.JSON(t)
	id, secret := created["client_id"].(string), created["client_secret"].(string)
	assert.NotEmpty(t, id)
	assert.GreaterOrEqual(t, len(secret), 32)
	assert.Equal(t, "ci", created["name"])
	assert.Equal(t, srv.Credentials.WorkspaceID, created["workspace_id"])
	assert.Equal(t, []any{"connect:users:read", "connect:projects:read"}, created["scopes"])
	assert.Equal(t, "2030-01-01T00:00:00Z", created["created_at"])

	list := srv.Do("GET", "/_emulator/oauth-clients", "", nil)
	require.Equal(t, 200, list.Status)
	assert.NotContains(t, string(list.Body), secret, "a list never shows a secret")
	assert.NotContains(t, string(list.Body), srv.Credentials.ClientSecret)
	assert.NotContains(t, string(list.Body), "client_secret")
	data := list.JSON(t)["data"].([]any)
	require.Len(t, data, 2)
	assert.Equal(t, id, data[1].(map[string]any)["client_id"])

	one := srv.Do("GET", "/_emulator/oauth-clients/"+id, "", nil)
	require.Equal(t, 200, one.Status)
	assert.NotContains(t, string(one.Body), secret)
	assert.Equal(t, "ci", one.JSON(t)["name"])

	// The client's scope allowance limits what it can be granted.
	issue := func(scopeParam string) int {
		return srv.Do("POST", "/v1/oauth/token", "", map[string]string{"grant_type": "client_credentials", "client_id": id, "client_secret": secret, "scope": scopeParam}).Status
	}
	assert.Equal(t, 200, issue(""))
	assert.Equal(t, 200, issue("connect:users:read"))
	assert.Equal(t, 400, issue("connect:users:write"))

	// Scopes may also be given as an array.
	arr := srv.Do("POST", "/_emulator/oauth-clients", "", map[string]any{"name": "arr", "scopes": []string{"connect:proxy"}})
	require.Equal(t, 201, arr.Status, string(arr.Body))
	assert.Equal(t, []any{"connect:proxy"}, arr.JSON(t)["scopes"])

	// Project restriction.
	pr := srv.Do("POST", "/_emulator/oauth-clients", "", map[string]any{"name": "one project", "project_ids": []string{srv.Credentials.ProjectID}})
	require.Equal(t, 201, pr.Status, string(pr.Body))
	assert.Equal(t, []any{srv.Credentials.ProjectID}, pr.JSON(t)["project_ids"])
}
