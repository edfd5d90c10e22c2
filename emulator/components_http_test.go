package emulator_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdemu/pdemu/emulator"
	"github.com/pdemu/pdemu/testutil"
)

// compClient calls the Connect API as one caller in the development
// environment: with an OAuth token through /v1/connect/{project_id}/…, or
// with a Connect token through /v1/connect/… (as the SDK does).
type compClient struct {
	t      *testing.T
	srv    *testutil.Server
	tok    string
	prefix string
}

func oauthCaller(t *testing.T, srv *testutil.Server) compClient {
	return compClient{t: t, srv: srv, tok: srv.Token(), prefix: "/v1/connect/" + srv.Credentials.ProjectID}
}

func connectCaller(t *testing.T, srv *testutil.Server, user string, scopes ...string) compClient {
	return compClient{t: t, srv: srv, tok: srv.ConnectToken(user, scopes...), prefix: "/v1/connect"}
}

func (c compClient) do(method, path string, body any) testutil.Response {
	c.t.Helper()
	return c.srv.Do(method, c.prefix+path, c.tok, body, "X-PD-Environment", "development")
}

func (c compClient) ok(method, path string, body any) map[string]any {
	c.t.Helper()
	r := c.do(method, path, body)
	require.Equal(c.t, 200, r.Status, "%s %s: %s", method, path, r.Body)
	return r.JSON(c.t)
}

// compAccount connects an account of app for a user (development).
func compAccount(t *testing.T, srv *testutil.Server, user, app string) string {
	t.Helper()
	id, err := srv.Emulator.ConnectAccount(srv.Credentials.ProjectID, "development", user, app, nil)
	require.NoError(t, err)
	return id
}

func keysOf(t *testing.T, body map[string]any) []string {
	t.Helper()
	var out []string
	for _, c := range body["data"].([]any) {
		out = append(out, c.(map[string]any)["key"].(string))
	}
	return out
}

func TestComponentCatalogOverHTTP(t *testing.T) {
	srv := testutil.NewServer(t)
	c := oauthCaller(t, srv)

	all := c.ok("GET", "/components?limit=100", nil)
	info := all["page_info"].(map[string]any)
	assert.Nil(t, info["end_cursor"])
	components := all["data"].([]any)
	require.NotEmpty(t, components)
	assert.EqualValues(t, len(components), info["total_count"])

	actions := keysOf(t, c.ok("GET", "/actions?limit=100", nil))
	triggers := keysOf(t, c.ok("GET", "/triggers?limit=100", nil))
	assert.Contains(t, actions, "slack-send-message")
	assert.NotContains(t, actions, "slack-new-message-in-channels")
	assert.Contains(t, triggers, "slack-new-message-in-channels")
	assert.Equal(t, len(components), len(actions)+len(triggers))
	assert.Equal(t, triggers, keysOf(t, c.ok("GET", "/components?limit=100&component_type=trigger", nil)))
	assert.Equal(t, []string{"slack-send-message"}, keysOf(t, c.ok("GET", "/actions?app=slack", nil)))
	assert.Equal(t, []string{"http-new-requests"}, keysOf(t, c.ok("GET", "/triggers?q=http+event", nil)))
	assert.Empty(t, c.ok("GET", "/components?registry=private", nil)["data"])
	assert.Len(t, c.ok("GET", "/components?registry=public&limit=100", nil)["data"], len(components))

	got := c.ok("GET", "/actions/slack-send-message", nil)["data"].(map[string]any)
	assert.Equal(t, "slack-send-message", got["key"])
	assert.Equal(t, "Send Message", got["name"])
	assert.Equal(t, "0.1.3", got["version"])
	assert.Equal(t, "action", got["component_type"])
	assert.Equal(t, map[string]any{"destructiveHint": false, "idempotentHint": false, "openWorldHint": true, "readOnlyHint": false, "title": "Send Message"}, got["annotations"])
	props := got["configurable_props"].([]any)
	assert.Equal(t, map[string]any{"name": "slack", "type": "app", "app": "slack"}, props[0], "app props as Pipedream sends them")
	assert.Equal(t, true, props[1].(map[string]any)["remoteOptions"], "prop fields are camelCase on the wire")
	assert.Equal(t, "optional", c.ok("GET", "/components/gmail-send-email", nil)["data"].(map[string]any)["stash"])
	assert.Equal(t, "0.1.3", c.ok("GET", "/components/slack-send-message?version=0.1.3", nil)["data"].(map[string]any)["version"])

	t.Run("pages by key", func(t *testing.T) {
		var seen []string
		after := ""
		for pages := 0; ; pages++ {
			require.Less(t, pages, 10)
			body := c.ok("GET", "/components?limit=3&after="+url.QueryEscape(after), nil)
			seen = append(seen, keysOf(t, body)...)
			end := body["page_info"].(map[string]any)["end_cursor"]
			if end == nil {
				break
			}
			after = end.(string)
		}
		assert.Equal(t, keysOf(t, all), seen)
	})

	t.Run("with a Connect token, without the project in the path", func(t *testing.T) {
		ct := connectCaller(t, srv, "u1")
		assert.Equal(t, actions, keysOf(t, ct.ok("GET", "/actions?limit=100", nil)))
		assert.Equal(t, "slack-send-message", ct.ok("GET", "/actions/slack-send-message", nil)["data"].(map[string]any)["key"])
	})

	bad := []struct {
		name, path string
		status     int
	}{
		{"invalid registry", "/components?registry=everything", 400},
		{"invalid registry on actions", "/actions?registry=Public", 400},
		{"invalid registry on triggers", "/triggers?registry=", 200},
		{"invalid component_type", "/components?component_type=source", 400},
		{"limit 0", "/actions?limit=0", 400},
		{"limit 101", "/actions?limit=101", 400},
		{"limit 100", "/actions?limit=100", 200},
		{"junk cursor", "/actions?after=%25%25", 400},
		{"unknown component", "/components/nope-nothing", 404},
		{"an action as a trigger", "/triggers/slack-send-message", 404},
		{"a trigger as an action", "/actions/slack-new-message-in-channels", 404},
		{"unknown version", "/actions/slack-send-message?version=9.9.9", 404},
		{"malformed version", "/actions/slack-send-message?version=latest", 400},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			r := c.do("GET", tc.path, nil)
			assert.Equal(t, tc.status, r.Status, string(r.Body))
			if tc.status != 200 {
				assert.NotEmpty(t, r.JSON(t)["error"])
			}
		})
	}
}

func TestConfigureAndReloadPropsOverHTTP(t *testing.T) {
	srv := testutil.NewServer(t)
	c := oauthCaller(t, srv)
	slack := compAccount(t, srv, "u1", "slack")

	body := map[string]any{"id": "slack-send-message", "external_user_id": "u1", "prop_name": "channel",
		"configured_props": map[string]any{"slack": map[string]any{"authProvisionId": slack}}}
	res := c.ok("POST", "/actions/configure", body)
	opts := res["options"].([]any)
	require.Len(t, opts, 4)
	assert.Equal(t, map[string]any{"label": "#general", "value": "C01GENERAL0"}, opts[0])
	assert.Equal(t, []any{}, res["errors"])
	assert.NotContains(t, res, "stringOptions")

	res = c.ok("POST", "/components/configure", map[string]any{"id": "github-create-issue", "external_user_id": "u1", "prop_name": "repoFullname", "query": "octo"})
	assert.Equal(t, []any{"octocat/hello-world", "octocat/spoon-knife"}, res["stringOptions"], "plain-string options, camelCase key as the SDK reads it")

	ct := connectCaller(t, srv, "u1")
	res = ct.ok("POST", "/triggers/configure", map[string]any{"id": "slack-new-message-in-channels", "prop_name": "conversations", "page": 1})
	assert.Equal(t, []any{}, res["options"], "a Connect token implies the user; options after page 0 are empty")

	reload := c.ok("POST", "/actions/props", map[string]any{"id": "google_sheets-add-single-row", "external_user_id": "u1",
		"configured_props": map[string]any{"worksheetId": 0}})
	dyn := reload["dynamicProps"].(map[string]any)
	assert.Regexp(t, `^dyp_`, dyn["id"])
	assert.Len(t, dyn["configurableProps"], 6)
	assert.Equal(t, []any{}, reload["observations"])

	bad := []struct {
		name   string
		caller compClient
		path   string
		body   any
		status int
	}{
		{"malformed JSON", c, "/actions/configure", `{"id":`, 400},
		{"not an object", c, "/actions/configure", `[1]`, 400},
		{"wrong field type", c, "/actions/configure", `{"id":"slack-send-message","external_user_id":"u1","prop_name":"channel","page":"two"}`, 400},
		{"fractional page", c, "/actions/configure", map[string]any{"id": "slack-send-message", "external_user_id": "u1", "prop_name": "channel", "page": 1.5}, 400},
		{"negative page", c, "/actions/configure", map[string]any{"id": "slack-send-message", "external_user_id": "u1", "prop_name": "channel", "page": -1}, 400},
		{"OAuth without external_user_id", c, "/actions/configure", map[string]any{"id": "slack-send-message", "prop_name": "channel"}, 400},
		{"Connect token for another user", ct, "/actions/configure", map[string]any{"id": "slack-send-message", "external_user_id": "u2", "prop_name": "channel"}, 400},
		{"missing prop_name", c, "/actions/configure", map[string]any{"id": "slack-send-message", "external_user_id": "u1"}, 400},
		{"missing id", c, "/actions/configure", map[string]any{"external_user_id": "u1", "prop_name": "channel"}, 400},
		{"unknown prop", c, "/actions/configure", map[string]any{"id": "slack-send-message", "external_user_id": "u1", "prop_name": "nope"}, 400},
		{"unknown component", c, "/actions/configure", map[string]any{"id": "nope", "external_user_id": "u1", "prop_name": "x"}, 404},
		{"trigger on actions endpoint", c, "/actions/configure", map[string]any{"id": "slack-new-message-in-channels", "external_user_id": "u1", "prop_name": "conversations"}, 404},
		{"another user's account", c, "/actions/configure", map[string]any{"id": "slack-send-message", "external_user_id": "u2", "prop_name": "channel",
			"configured_props": map[string]any{"slack": map[string]any{"authProvisionId": slack}}}, 400},
		{"reload for an unknown component", c, "/triggers/props", map[string]any{"id": "nope", "external_user_id": "u1"}, 404},
		{"reload without a user", c, "/components/props", map[string]any{"id": "openai-chat"}, 400},
		{"text body", c, "/components/props", "id=openai-chat", 400},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.caller.do("POST", tc.path, tc.body)
			assert.Equal(t, tc.status, r.Status, string(r.Body))
			assert.NotEmpty(t, r.JSON(t)["error"])
		})
	}
}

func TestRunActionOverHTTP(t *testing.T) {
	srv := testutil.NewServer(t)
	c := oauthCaller(t, srv)
	openai := compAccount(t, srv, "u1", "openai")
	configured := map[string]any{"openai": map[string]any{"authProvisionId": openai}, "userMessage": "Hello"}

	res := c.ok("POST", "/actions/run", map[string]any{"id": "openai-chat", "external_user_id": "u1", "configured_props": configured})
	assert.Equal(t, map[string]any{
		"component": "openai-chat", "version": "0.3.0", "external_user_id": "u1", "configured_props": configured,
	}, res["ret"], "the default result echoes the input")
	assert.Equal(t, map[string]any{"$summary": "Ran Chat"}, res["exports"])
	assert.Equal(t, []any{}, res["os"])
	assert.NotContains(t, res, "stash_id")

	t.Run("a registered result", func(t *testing.T) {
		r := srv.Do("POST", "/_emulator/components", "", map[string]any{
			"key": "openai-chat", "name": "Chat", "version": "0.3.0", "component_type": "action",
			"configurable_props": []any{map[string]any{"name": "openai", "type": "app", "app": "openai"}},
			"run": map[string]any{"exports": map[string]any{"$summary": "Replied"}, "ret": map[string]any{"reply": "Hi!"},
				"os": []any{map[string]any{"k": "console.log", "msg": "calling the model"}}},
		})
		require.Equal(t, 201, r.Status, string(r.Body))
		assert.Equal(t, "public", r.JSON(t)["registry"], "a built-in key stays public")
		res := c.ok("POST", "/actions/run", map[string]any{"id": "openai-chat", "external_user_id": "u1", "configured_props": configured})
		assert.Equal(t, map[string]any{"reply": "Hi!"}, res["ret"])
		assert.Equal(t, map[string]any{"$summary": "Replied"}, res["exports"])
		assert.Equal(t, []any{map[string]any{"k": "console.log", "msg": "calling the model", "ts": float64(srv.Now().UnixMilli())}}, res["os"])
		srv.Reset()
	})

	t.Run("stash ids", func(t *testing.T) {
		c := oauthCaller(t, srv) // the reset made new tokens necessary
		gmail := compAccount(t, srv, "u1", "gmail")
		base := map[string]any{"id": "gmail-send-email", "external_user_id": "u1", "configured_props": map[string]any{
			"gmail": map[string]any{"authProvisionId": gmail}, "to": []string{"a@example.com"}, "subject": "s", "body": "b"}}
		for _, tc := range []struct {
			name  string
			stash any
			want  string // regexp; "" means absent
		}{
			{"absent", nil, ""},
			{"false", false, ""},
			{"true", true, `^[0-9a-f]{32}$`},
			{"NEW", "NEW", `^[0-9a-f]{32}$`},
			{"empty string", "", `^[0-9a-f]{32}$`},
			{"existing", "d4ffb5b1081d3aacd2929f23f270237d", `^d4ffb5b1081d3aacd2929f23f270237d$`},
		} {
			t.Run(tc.name, func(t *testing.T) {
				b := map[string]any{}
				for k, v := range base {
					b[k] = v
				}
				if tc.stash != nil {
					b["stash_id"] = tc.stash
				}
				res := c.ok("POST", "/actions/run", b)
				if tc.want == "" {
					assert.NotContains(t, res, "stash_id")
				} else {
					assert.Regexp(t, tc.want, res["stash_id"])
				}
			})
		}
		r := c.do("POST", "/actions/run", map[string]any{"id": "gmail-send-email", "external_user_id": "u1", "stash_id": 5})
		assert.Equal(t, 400, r.Status, "a number is no stash id")
	})

	c = oauthCaller(t, srv)
	openai = compAccount(t, srv, "u1", "openai")
	ct := connectCaller(t, srv, "u1")
	bad := []struct {
		name   string
		caller compClient
		body   any
		status int
	}{
		{"missing required props", c, map[string]any{"id": "openai-chat", "external_user_id": "u1"}, 400},
		{"unknown account", c, map[string]any{"id": "openai-chat", "external_user_id": "u1",
			"configured_props": map[string]any{"openai": map[string]any{"authProvisionId": "apn_nope"}, "userMessage": "x"}}, 400},
		{"another user's account", c, map[string]any{"id": "openai-chat", "external_user_id": "u2",
			"configured_props": map[string]any{"openai": map[string]any{"authProvisionId": openai}, "userMessage": "x"}}, 400},
		{"a trigger", c, map[string]any{"id": "github-new-issue", "external_user_id": "u1"}, 404},
		{"unknown action", c, map[string]any{"id": "nope", "external_user_id": "u1"}, 404},
		{"unknown dynamic props id", c, map[string]any{"id": "openai-chat", "external_user_id": "u1", "dynamic_props_id": "dyp_nope"}, 400},
		{"configured_props not an object", c, map[string]any{"id": "openai-chat", "external_user_id": "u1", "configured_props": []any{}}, 400},
		{"Connect token for another user", ct, map[string]any{"id": "openai-chat", "external_user_id": "u2"}, 400},
		{"empty body", c, "", 400},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.caller.do("POST", "/actions/run", tc.body)
			assert.Equal(t, tc.status, r.Status, string(r.Body))
			assert.NotEmpty(t, r.JSON(t)["error"])
		})
	}
	t.Run("Connect token runs for its own user", func(t *testing.T) {
		res := ct.ok("POST", "/actions/run", map[string]any{"id": "openai-chat", "external_user_id": "u1",
			"configured_props": map[string]any{"openai": map[string]any{"authProvisionId": openai}, "userMessage": "x"}})
		assert.Equal(t, "u1", res["ret"].(map[string]any)["external_user_id"])
	})
	t.Run("accounts are per environment", func(t *testing.T) {
		r := srv.Do("POST", "/v1/connect/"+srv.Credentials.ProjectID+"/actions/run", c.tok, map[string]any{"id": "openai-chat", "external_user_id": "u1",
			"configured_props": map[string]any{"openai": map[string]any{"authProvisionId": openai}, "userMessage": "x"}}, "X-PD-Environment", "production")
		assert.Equal(t, 400, r.Status, string(r.Body))
	})
}

func TestRegisterComponentControlPlane(t *testing.T) {
	srv := testutil.NewServer(t)
	c := oauthCaller(t, srv)
	spec := map[string]any{
		"key": "github-list-stars", "name": "List Stars", "version": "1.2.0", "component_type": "action",
		"description": "List a user's starred repositories",
		"configurable_props": []any{
			map[string]any{"name": "github", "type": "app", "app": "github"},
			map[string]any{"name": "user", "type": "string", "label": "User", "remoteOptions": true},
		},
		"configure_options": map[string]any{"user": []any{"octocat", "torvalds"}},
		"annotations":       map[string]any{"readOnlyHint": true},
	}
	r := srv.Do("POST", "/_emulator/components", "", spec)
	require.Equal(t, 201, r.Status, string(r.Body))
	got := r.JSON(t)
	assert.Regexp(t, `^sc_`, got["id"])
	assert.Equal(t, "private", got["registry"])
	assert.Equal(t, "github", got["app"])

	assert.Equal(t, []string{"github-list-stars"}, keysOf(t, c.ok("GET", "/actions?registry=private", nil)))
	assert.Equal(t, []any{"octocat", "torvalds"}, c.ok("POST", "/actions/configure", map[string]any{
		"id": "github-list-stars", "external_user_id": "u1", "prop_name": "user"})["stringOptions"])

	bad := []struct {
		name string
		body any
	}{
		{"unknown field", map[string]any{"key": "a-b", "name": "x", "version": "1.0.0", "component_type": "action", "typo": 1}},
		{"unknown prop field", map[string]any{"key": "a-b", "name": "x", "version": "1.0.0", "component_type": "action",
			"configurable_props": []any{map[string]any{"name": "p", "type": "string", "remote_options": true}}}},
		{"bad version", map[string]any{"key": "a-b", "name": "x", "version": "v1", "component_type": "action"}},
		{"bad type", map[string]any{"key": "a-b", "name": "x", "version": "1.0.0", "component_type": "source"}},
		{"unknown app", map[string]any{"key": "a-b", "name": "x", "version": "1.0.0", "component_type": "action",
			"configurable_props": []any{map[string]any{"name": "p", "type": "app", "app": "not-an-app"}}}},
		{"malformed", `{"key":`},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			r := srv.Do("POST", "/_emulator/components", "", tc.body)
			assert.Equal(t, 400, r.Status, string(r.Body))
		})
	}
	r = srv.Do("POST", "/_emulator/components", "", map[string]any{"key": "github-list-stars", "name": "x", "version": "2.0.0", "component_type": "trigger"})
	assert.Equal(t, 409, r.Status, "a key keeps its component type")

	t.Run("Go API", func(t *testing.T) {
		comp, err := srv.Emulator.RegisterComponent(emulator.ComponentSpec{
			Key: "schedule-every-minute", Name: "Every Minute", Version: "0.0.1", ComponentType: "trigger", Registry: "public",
		})
		require.NoError(t, err)
		assert.Equal(t, "schedule", comp.App)
		_, err = srv.Emulator.RegisterComponent(emulator.ComponentSpec{Key: "bad key", Name: "x", Version: "1.0.0", ComponentType: "action"})
		assert.Error(t, err)
		assert.Contains(t, keysOf(t, c.ok("GET", "/triggers?app=schedule", nil)), "schedule-every-minute")
	})

	srv.Reset()
	c = oauthCaller(t, srv)
	assert.Equal(t, 404, c.do("GET", "/actions/github-list-stars", nil).Status, "reset restores the built-in catalog")
}

// FuzzComponentBodies throws arbitrary bodies and queries at the component
// and deployed-trigger endpoints, with a deployed trigger and an account in
// place so that deep paths (prop checks, merges) see the junk.
func FuzzComponentBodies(f *testing.F) {
	emu := emulator.MustNew()
	c := emu.Credentials()
	tok, err := emu.IssueToken(emulator.TokenRequest{GrantType: "client_credentials", ClientID: c.ClientID, ClientSecret: c.ClientSecret})
	if err != nil {
		f.Fatal(err)
	}
	apn, err := emu.ConnectAccount(c.ProjectID, "development", "u1", "slack", nil)
	if err != nil {
		f.Fatal(err)
	}
	deploy := `{"id":"slack-new-message-in-channels","external_user_id":"u1","configured_props":{"slack":{"authProvisionId":"` + apn + `"},"conversations":["C1"]}}`
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("POST", "/v1/connect/"+c.ProjectID+"/triggers/deploy", strings.NewReader(deploy))
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	req.Header.Set("X-PD-Environment", "development")
	emu.ServeHTTP(rec, req)
	var dep struct {
		Data struct{ ID string } `json:"data"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &dep); err != nil || dep.Data.ID == "" {
		f.Fatalf("deploy: %d %s", rec.Code, rec.Body)
	}
	p := "/v1/connect/" + c.ProjectID
	dt := p + "/deployed-triggers/" + dep.Data.ID
	for _, s := range []struct{ method, path, body string }{
		{"POST", p + "/actions/run", `{"id":"slack-send-message","external_user_id":"u1","configured_props":{"slack":{"authProvisionId":"` + apn + `"},"channel":{"__lv":[{"value":1}]},"text":"x"},"stash_id":true}`},
		{"POST", p + "/actions/configure", `{"id":"openai-chat","external_user_id":"u1","prop_name":"modelId","page":1e300,"query":"\u0000"}`},
		{"POST", p + "/components/props", `{"id":"google_sheets-add-single-row","external_user_id":"u1","configured_props":{"worksheetId":1e308}}`},
		{"POST", p + "/triggers/deploy", deploy},
		{"PUT", dt + "?external_user_id=u1", `{"configured_props":{"conversations":null,"ignoreBot":{}},"name":"` + strings.Repeat("x", 300) + `"}`},
		{"PUT", dt + "/webhooks?external_user_id=u1", `{"webhook_urls":["http://[::1]:namedport","https://a.example/"]}`},
		{"PUT", dt + "/pipelines?external_user_id=u1", `{"workflow_ids":["p_\u00e9"]}`},
		{"GET", dt + "/events?external_user_id=u1&n=99999999999999999999", ""},
		{"POST", "/_emulator/deployed-triggers/" + dep.Data.ID + "/events", `{"event":{"a":[1,2,{"b":null}]},"summary":"s"}`},
		{"POST", "/_emulator/components", `{"key":"a-b","name":"x","version":"1.0.0-0.0.0+x","component_type":"action","configurable_props":[{"name":"n","type":"integer","min":1e308,"max":-1e308}],"run":{"os":[{"k":null}]}}`},
	} {
		f.Add(s.method, s.path, s.body)
	}
	f.Fuzz(func(t *testing.T, method, target, body string) {
		if !strings.HasPrefix(target, "/") {
			target = "/" + target
		}
		req, err := fuzzRequest(method, target, body)
		if err != nil {
			return
		}
		if strings.HasPrefix(req.URL.Path, "/_emulator/") && (method == http.MethodDelete || strings.Contains(req.URL.Path, "reset") ||
			strings.Contains(req.URL.Path, "oauth-clients")) {
			return // would revoke the token every later input relies on
		}
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		req.Header.Set("X-PD-Environment", "development")
		rec := httptest.NewRecorder()
		emu.ServeHTTP(rec, req)
		checkAnswer(t, rec)
	})
}
