package emulator_test

import (
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdemu/pdemu/testutil"
)

// deployBody is a valid deploy of the Slack trigger for user with account.
func deployBody(user, account string, extra map[string]any) map[string]any {
	b := map[string]any{"id": "slack-new-message-in-channels", "external_user_id": user, "configured_props": map[string]any{
		"slack": map[string]any{"authProvisionId": account}, "conversations": []string{"C01GENERAL0"}}}
	for k, v := range extra {
		b[k] = v
	}
	return b
}

func emit(t *testing.T, srv *testutil.Server, triggerID string, body any) testutil.Response {
	t.Helper()
	return srv.Do("POST", "/_emulator/deployed-triggers/"+url.PathEscape(triggerID)+"/events", "", body)
}

func TestDeployedTriggerLifecycleOverHTTP(t *testing.T) {
	srv := testutil.NewServer(t)
	c := oauthCaller(t, srv)
	slack := compAccount(t, srv, "u1", "slack")
	q := "?external_user_id=u1"

	// Deploy.
	res := c.ok("POST", "/triggers/deploy", deployBody("u1", slack, map[string]any{
		"webhook_url": "https://example.com/hook", "workflow_id": "p_abc123", "emit_on_deploy": false}))
	tr := res["data"].(map[string]any)
	id := tr["id"].(string)
	assert.Regexp(t, `^dc_`, id)
	assert.Regexp(t, `^exu_`, tr["owner_id"])
	assert.Equal(t, "sc_slkNwMs", tr["component_id"])
	assert.Equal(t, "slack-new-message-in-channels", tr["component_key"])
	assert.Equal(t, "DeployedComponent", tr["type"])
	assert.Equal(t, true, tr["active"])
	assert.Equal(t, false, tr["emit_on_deploy"])
	assert.Equal(t, "New Message In Channels", tr["name"])
	assert.Equal(t, "new-message-in-channels", tr["name_slug"])
	assert.Equal(t, float64(srv.Now().UnixMilli()), tr["created_at"], "epoch milliseconds")
	assert.Equal(t, tr["created_at"], tr["updated_at"])
	assert.Len(t, tr["configurable_props"], 4)
	assert.Contains(t, tr, "callback_observations")
	key := tr["webhook_signing_key"]
	assert.NotEmpty(t, key, "OAuth callers see the new webhook's signing key")

	// List and retrieve.
	list := c.ok("GET", "/deployed-triggers"+q, nil)
	require.Len(t, list["data"], 1)
	assert.Equal(t, id, list["data"].([]any)[0].(map[string]any)["id"])
	assert.Nil(t, list["page_info"].(map[string]any)["end_cursor"])
	assert.NotContains(t, list["data"].([]any)[0], "webhook_signing_key")
	got := c.ok("GET", "/deployed-triggers/"+id+q, nil)["data"].(map[string]any)
	assert.Equal(t, id, got["id"])
	assert.NotContains(t, got, "webhook_signing_key")
	assert.Empty(t, c.ok("GET", "/deployed-triggers"+q+"&emitter_type=http", nil)["data"])

	// Events.
	assert.Equal(t, []any{}, c.ok("GET", "/deployed-triggers/"+id+"/events"+q, nil)["data"])
	r := emit(t, srv, id, map[string]any{"event": map[string]any{"text": "hello"}, "summary": "New message: hello"})
	require.Equal(t, 201, r.Status, string(r.Body))
	first := r.JSON(t)
	assert.Equal(t, "emit", first["k"])
	assert.Equal(t, float64(srv.Now().UnixMilli()), first["ts"])
	srv.Advance(time.Second)
	require.NoError(t, srv.Emulator.EmitEvent(id, map[string]any{"text": "second"}))
	evs := c.ok("GET", "/deployed-triggers/"+id+"/events"+q, nil)["data"].([]any)
	require.Len(t, evs, 2)
	assert.Equal(t, map[string]any{"text": "second"}, evs[0].(map[string]any)["e"], "newest first")
	assert.NotContains(t, evs[0], "sum")
	assert.Equal(t, first, evs[1])
	assert.Equal(t, "New message: hello", evs[1].(map[string]any)["sum"])
	assert.Len(t, c.ok("GET", "/deployed-triggers/"+id+"/events"+q+"&n=1", nil)["data"], 1)

	// Update.
	up := c.ok("PUT", "/deployed-triggers/"+id+q, map[string]any{"active": false, "name": "Team chatter",
		"configured_props": map[string]any{"keyword": "deploy"}})["data"].(map[string]any)
	assert.Equal(t, false, up["active"])
	assert.Equal(t, "team-chatter", up["name_slug"])
	assert.Equal(t, "deploy", up["configured_props"].(map[string]any)["keyword"])
	assert.Equal(t, float64(srv.Now().UnixMilli()), up["updated_at"])
	assert.Equal(t, 409, emit(t, srv, id, map[string]any{"event": 1}).Status, "an inactive trigger emits nothing")
	c.ok("PUT", "/deployed-triggers/"+id+q, map[string]any{"active": true})

	// Workflows.
	assert.Equal(t, map[string]any{"workflow_ids": []any{"p_abc123"}}, c.ok("GET", "/deployed-triggers/"+id+"/pipelines"+q, nil))
	assert.Equal(t, map[string]any{"workflow_ids": []any{"p_x", "p_y"}},
		c.ok("PUT", "/deployed-triggers/"+id+"/pipelines"+q, map[string]any{"workflow_ids": []string{"p_x", "p_y", "p_x"}}))

	// Webhooks.
	hooks := c.ok("GET", "/deployed-triggers/"+id+"/webhooks"+q, nil)
	assert.Equal(t, []any{"https://example.com/hook"}, hooks["webhook_urls"])
	hook := hooks["webhooks"].([]any)[0].(map[string]any)
	assert.Equal(t, key, hook["signing_key"])
	assert.Equal(t, true, hook["signing_key_set"])
	hookID := hook["id"].(string)
	hooks = c.ok("PUT", "/deployed-triggers/"+id+"/webhooks"+q, map[string]any{"webhook_urls": []string{"https://example.com/hook", "https://other.example/x"}})
	assert.Equal(t, []any{"https://example.com/hook", "https://other.example/x"}, hooks["webhook_urls"])
	assert.Equal(t, hookID, hooks["webhooks"].([]any)[0].(map[string]any)["id"], "a kept URL keeps its webhook")
	assert.NotEmpty(t, hooks["webhooks"].([]any)[1].(map[string]any)["signing_key"])

	one := c.ok("GET", "/deployed-triggers/"+id+"/webhooks/"+hookID+q, nil)["data"].(map[string]any)
	assert.Equal(t, key, one["signing_key"])
	assert.Equal(t, float64(srv.Now().Add(-time.Second).Unix()), one["created_at"], "trigger webhooks use epoch seconds")
	srv.Advance(time.Minute)
	regen := c.ok("POST", "/deployed-triggers/"+id+"/webhooks/"+hookID+"/regenerate_signing_key"+q, nil)["data"].(map[string]any)
	assert.NotEqual(t, key, regen["signing_key"])
	assert.Equal(t, float64(srv.Now().Unix()), regen["updated_at"])
	assert.Equal(t, regen["signing_key"], c.ok("GET", "/deployed-triggers/"+id+"/webhooks/"+hookID+q, nil)["data"].(map[string]any)["signing_key"])

	// Delete.
	r = c.do("DELETE", "/deployed-triggers/"+id+q+"&ignore_hook_errors=true", nil)
	assert.Equal(t, 204, r.Status, string(r.Body))
	assert.Empty(t, r.Body)
	assert.Equal(t, 404, c.do("GET", "/deployed-triggers/"+id+q, nil).Status)
	assert.Equal(t, 404, emit(t, srv, id, map[string]any{"event": 1}).Status)
	assert.Equal(t, 404, c.do("DELETE", "/deployed-triggers/"+id+q, nil).Status)
}

func TestDeployedTriggersWithConnectToken(t *testing.T) {
	srv := testutil.NewServer(t)
	slack := compAccount(t, srv, "u1", "slack")
	ct := connectCaller(t, srv, "u1")

	tr := ct.ok("POST", "/triggers/deploy", deployBody("u1", slack, map[string]any{"webhook_url": "https://example.com/hook"}))["data"].(map[string]any)
	assert.NotContains(t, tr, "webhook_signing_key", "signing keys are for OAuth callers only")
	id := tr["id"].(string)

	list := ct.ok("GET", "/deployed-triggers", nil)
	require.Len(t, list["data"], 1, "the token implies the user")
	hooks := ct.ok("GET", "/deployed-triggers/"+id+"/webhooks", nil)
	hook := hooks["webhooks"].([]any)[0].(map[string]any)
	assert.NotContains(t, hook, "signing_key")
	assert.Equal(t, true, hook["signing_key_set"])
	hooks = ct.ok("PUT", "/deployed-triggers/"+id+"/webhooks", map[string]any{"webhook_urls": []string{"https://b.example/"}})
	assert.NotContains(t, hooks["webhooks"].([]any)[0], "signing_key")
	hookID := hooks["webhooks"].([]any)[0].(map[string]any)["id"].(string)

	for _, tc := range []struct{ method, path string }{
		{"GET", "/deployed-triggers/" + id + "/webhooks/" + hookID},
		{"POST", "/deployed-triggers/" + id + "/webhooks/" + hookID + "/regenerate_signing_key"},
	} {
		r := srv.Do(tc.method, "/v1/connect/"+srv.Credentials.ProjectID+tc.path, ct.tok, nil)
		assert.Equal(t, 401, r.Status, "%s is OAuth only: %s", tc.path, r.Body)
		assert.Equal(t, "invalid_token", r.JSON(t)["error"])
	}
	r := ct.do("GET", "/deployed-triggers?external_user_id=u2", nil)
	assert.Equal(t, 400, r.Status, "a Connect token cannot act for another user")

	// The OAuth view of the same trigger.
	c := oauthCaller(t, srv)
	got := c.ok("GET", "/deployed-triggers/"+id+"/webhooks/"+hookID+"?external_user_id=u1", nil)["data"].(map[string]any)
	assert.NotEmpty(t, got["signing_key"])
	assert.Equal(t, 204, ct.do("DELETE", "/deployed-triggers/"+id, nil).Status)
}

func TestDeployedTriggersAreIsolated(t *testing.T) {
	srv := testutil.NewServer(t)
	c := oauthCaller(t, srv)
	slack := compAccount(t, srv, "u1", "slack")
	id := c.ok("POST", "/triggers/deploy", deployBody("u1", slack, nil))["data"].(map[string]any)["id"].(string)
	other := srv.Do("POST", "/v1/connect/projects", c.tok, map[string]string{"name": "Other"}).JSON(t)["id"].(string)

	u2 := connectCaller(t, srv, "u2")
	cases := []struct {
		name, path, tok string
		headers         []string
	}{
		{"another user (OAuth)", "/v1/connect/" + srv.Credentials.ProjectID + "/deployed-triggers/" + id + "?external_user_id=u2", c.tok, []string{"X-PD-Environment", "development"}},
		{"another user (Connect token)", "/v1/connect/deployed-triggers/" + id, u2.tok, nil},
		{"another environment", "/v1/connect/" + srv.Credentials.ProjectID + "/deployed-triggers/" + id + "?external_user_id=u1", c.tok, []string{"X-PD-Environment", "production"}},
		{"another project", "/v1/connect/" + other + "/deployed-triggers/" + id + "?external_user_id=u1", c.tok, []string{"X-PD-Environment", "development"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, sub := range []string{"", "/events", "/pipelines", "/webhooks"} {
				r := srv.Do("GET", withSub(tc.path, sub), tc.tok, nil, tc.headers...)
				assert.Equal(t, 404, r.Status, "%s%s: %s", tc.path, sub, r.Body)
			}
			assert.Equal(t, 404, srv.Do("PUT", tc.path, tc.tok, map[string]any{"active": false}, tc.headers...).Status)
			assert.Equal(t, 404, srv.Do("DELETE", tc.path, tc.tok, nil, tc.headers...).Status)
		})
	}
	assert.Equal(t, true, c.ok("GET", "/deployed-triggers/"+id+"?external_user_id=u1", nil)["data"].(map[string]any)["active"], "nothing changed")
	assert.Empty(t, u2.ok("GET", "/deployed-triggers", nil)["data"])

	t.Run("deleting the user deletes their triggers", func(t *testing.T) {
		r := srv.Do("DELETE", "/v1/connect/"+srv.Credentials.ProjectID+"/users/u1", c.tok, nil, "X-PD-Environment", "development")
		require.Equal(t, 204, r.Status, string(r.Body))
		assert.Equal(t, 404, emit(t, srv, id, map[string]any{"event": 1}).Status)
	})
}

// withSub inserts a sub-resource path before the query string.
func withSub(path, sub string) string {
	u, _ := url.Parse(path)
	u.Path += sub
	return u.String()
}

func TestDeployedTriggersBadInput(t *testing.T) {
	srv := testutil.NewServer(t)
	c := oauthCaller(t, srv)
	slack := compAccount(t, srv, "u1", "slack")
	id := c.ok("POST", "/triggers/deploy", deployBody("u1", slack, map[string]any{"webhook_url": "https://example.com/h"}))["data"].(map[string]any)["id"].(string)
	hookID := c.ok("GET", "/deployed-triggers/"+id+"/webhooks?external_user_id=u1", nil)["webhooks"].([]any)[0].(map[string]any)["id"].(string)
	base := "/deployed-triggers/" + id
	q := "?external_user_id=u1"
	tests := []struct {
		name, method, path string
		body               any
		status             int
	}{
		{"list without external_user_id", "GET", "/deployed-triggers", nil, 400},
		{"retrieve without external_user_id", "GET", base, nil, 400},
		{"invalid emitter_type", "GET", "/deployed-triggers" + q + "&emitter_type=sources", nil, 400},
		{"emitter_type timer", "GET", "/deployed-triggers" + q + "&emitter_type=timer", nil, 200},
		{"limit 0", "GET", "/deployed-triggers" + q + "&limit=0", nil, 400},
		{"unknown trigger", "GET", "/deployed-triggers/dc_nope" + q, nil, 404},
		{"n 0", "GET", base + "/events" + q + "&n=0", nil, 400},
		{"n 1", "GET", base + "/events" + q + "&n=1", nil, 200},
		{"n 100", "GET", base + "/events" + q + "&n=100", nil, 200},
		{"n 101", "GET", base + "/events" + q + "&n=101", nil, 400},
		{"n not a number", "GET", base + "/events" + q + "&n=ten", nil, 400},
		{"update with malformed JSON", "PUT", base + q, `{"active":`, 400},
		{"update with wrong type", "PUT", base + q, `{"active":"yes"}`, 400},
		{"update removing a required prop", "PUT", base + q, map[string]any{"configured_props": map[string]any{"conversations": nil}}, 400},
		{"update with a blank name", "PUT", base + q, map[string]any{"name": " "}, 400},
		{"delete with bad ignore_hook_errors", "DELETE", base + q + "&ignore_hook_errors=maybe", nil, 400},
		{"workflows without workflow_ids", "PUT", base + "/pipelines" + q, map[string]any{}, 400},
		{"workflows with a bad id", "PUT", base + "/pipelines" + q, map[string]any{"workflow_ids": []string{"wf_1"}}, 400},
		{"workflows not an array", "PUT", base + "/pipelines" + q, map[string]any{"workflow_ids": "p_1"}, 400},
		{"webhooks without webhook_urls", "PUT", base + "/webhooks" + q, map[string]any{}, 400},
		{"webhooks with a relative URL", "PUT", base + "/webhooks" + q, map[string]any{"webhook_urls": []string{"/hook"}}, 400},
		{"unknown webhook", "GET", base + "/webhooks/wh_nope" + q, nil, 404},
		{"regenerate unknown webhook", "POST", base + "/webhooks/wh_nope/regenerate_signing_key" + q, nil, 404},
		{"webhook of an unknown trigger", "GET", "/deployed-triggers/dc_nope/webhooks/" + hookID + q, nil, 404},
		{"deploy an action", "POST", "/triggers/deploy", map[string]any{"id": "slack-send-message", "external_user_id": "u1"}, 404},
		{"deploy with missing props", "POST", "/triggers/deploy", map[string]any{"id": "slack-new-message-in-channels", "external_user_id": "u1"}, 400},
		{"deploy with a bad workflow_id", "POST", "/triggers/deploy", deployBody("u1", slack, map[string]any{"workflow_id": "123"}), 400},
		{"deploy with a bad webhook_url", "POST", "/triggers/deploy", deployBody("u1", slack, map[string]any{"webhook_url": "mailto:a@b.c"}), 400},
		{"deploy with an unknown account", "POST", "/triggers/deploy", deployBody("u1", "apn_nope", nil), 400},
		{"deploy without a user", "POST", "/triggers/deploy", deployBody("", slack, nil), 400},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := c.do(tc.method, tc.path, tc.body)
			assert.Equal(t, tc.status, r.Status, string(r.Body))
			if tc.status >= 400 {
				assert.NotEmpty(t, r.JSON(t)["error"])
			}
		})
	}
	for _, tc := range []struct {
		name   string
		id     string
		body   any
		status int
	}{
		{"no event", id, map[string]any{"summary": "x"}, 400},
		{"null event", id, map[string]any{"event": nil}, 400},
		{"unknown field", id, map[string]any{"event": 1, "typo": 1}, 400},
		{"malformed", id, `{"event":`, 400},
		{"unknown trigger", "dc_nope", map[string]any{"event": 1}, 404},
		{"a scalar event", id, map[string]any{"event": "ping", "id": "evt-1"}, 201},
	} {
		t.Run("emit: "+tc.name, func(t *testing.T) {
			r := emit(t, srv, tc.id, tc.body)
			assert.Equal(t, tc.status, r.Status, string(r.Body))
		})
	}
	// Only the scalar event got through.
	evs := c.ok("GET", base+"/events"+q, nil)["data"].([]any)
	require.Len(t, evs, 1)
	assert.Equal(t, "evt-1", evs[0].(map[string]any)["id"])
	tr := c.ok("GET", base+q, nil)["data"].(map[string]any)
	assert.Equal(t, true, tr["active"], "refused updates changed nothing")
	assert.Equal(t, []any{"C01GENERAL0"}, tr["configured_props"].(map[string]any)["conversations"])
}

func TestDeployedTriggersPagination(t *testing.T) {
	srv := testutil.NewServer(t)
	c := oauthCaller(t, srv)
	slack := compAccount(t, srv, "u1", "slack")
	var made []string
	for i := 0; i < 12; i++ {
		made = append(made, c.ok("POST", "/triggers/deploy", deployBody("u1", slack, nil))["data"].(map[string]any)["id"].(string))
	}
	var seen, slugs []string
	after := ""
	for pages := 1; ; pages++ {
		require.LessOrEqual(t, pages, 2)
		body := c.ok("GET", "/deployed-triggers?external_user_id=u1&limit=10&after="+url.QueryEscape(after), nil)
		for _, d := range body["data"].([]any) {
			seen = append(seen, d.(map[string]any)["id"].(string))
			slugs = append(slugs, d.(map[string]any)["name_slug"].(string))
		}
		end := body["page_info"].(map[string]any)["end_cursor"]
		if end == nil {
			break
		}
		after = end.(string)
	}
	assert.Equal(t, made, seen, "oldest first, each once")
	assert.Equal(t, "new-message-in-channels", slugs[0])
	assert.Equal(t, fmt.Sprintf("new-message-in-channels-%d", 12), slugs[11])
}

func TestRunsAndEmitsCountAsUsage(t *testing.T) {
	srv := testutil.NewServer(t)
	c := oauthCaller(t, srv)
	slack := compAccount(t, srv, "u1", "slack")
	run := map[string]any{"id": "slack-send-message", "external_user_id": "u1", "configured_props": map[string]any{
		"slack": map[string]any{"authProvisionId": slack}, "channel": "C01GENERAL0", "text": "hi"}}
	c.ok("POST", "/actions/run", run)
	c.ok("POST", "/actions/run", run)
	assert.Equal(t, 400, c.do("POST", "/actions/run", map[string]any{"id": "slack-send-message", "external_user_id": "u1"}).Status)
	id := c.ok("POST", "/triggers/deploy", deployBody("u1", slack, nil))["data"].(map[string]any)["id"].(string)
	require.Equal(t, 201, emit(t, srv, id, map[string]any{"event": map[string]any{"n": 1}}).Status)

	now := srv.Now().Unix()
	r := srv.Do("GET", fmt.Sprintf("/v1/connect/usage?start_ts=%d&end_ts=%d", now-60, now+60), c.tok, nil)
	require.Equal(t, 200, r.Status, string(r.Body))
	var runs, emits float64
	for _, rec := range r.JSON(t)["data"].([]any) {
		m := rec.(map[string]any)
		runs += m["action_run_credits_used"].(float64)
		emits += m["source_emit_credits_used"].(float64)
	}
	assert.Equal(t, 2.0, runs, "two runs; the refused one is not counted")
	assert.Equal(t, 1.0, emits)
}
