package emulator_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdemu/pdemu/emulator"
	"github.com/pdemu/pdemu/testutil"
)

// workflowServer serves srv's emulator with the workflow-invocation routes.
type workflowServer struct {
	srv *testutil.Server
	url string
}

func newWorkflowServer(t *testing.T) *workflowServer {
	srv := testutil.NewServer(t)
	return &workflowServer{srv: srv, url: srv.URL}
}

type wfResponse struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r wfResponse) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(r.Body, &m), string(r.Body))
	return m
}

// invoke sends a request as the SDK's workflows.invoke does; headers come
// as name, value pairs.
func (w *workflowServer) invoke(t *testing.T, method, path string, body []byte, headers ...string) wfResponse {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, w.url+path, rd)
	require.NoError(t, err)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return wfResponse{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

func (w *workflowServer) invocations(t *testing.T, id string) []map[string]any {
	t.Helper()
	r := w.srv.Do("GET", "/_emulator/workflows/"+id+"/invocations", "", nil)
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	var out struct {
		Data []map[string]any `json:"data"`
	}
	require.NoError(t, json.Unmarshal(r.Body, &out))
	return out.Data
}

func TestWorkflowInvokeDefaults(t *testing.T) {
	w := newWorkflowServer(t)
	r := w.invoke(t, "POST", "/_workflows/en123abc", []byte(`{"foo":123,"bar":"abc","baz":null}`), "X-Trace", "t1")
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	body := r.json(t)
	assert.Equal(t, true, body["ok"])
	assert.Equal(t, "en123abc", body["endpoint_id"])
	assert.Equal(t, map[string]any{"foo": 123.0, "bar": "abc", "baz": nil}, body["received"])
	assert.True(t, strings.HasPrefix(body["invocation_id"].(string), "inv_"))

	r = w.invoke(t, "PUT", "/_workflows/en123abc/orders/42?expand=items", []byte("plain text"))
	require.Equal(t, http.StatusOK, r.Status)
	assert.Equal(t, "plain text", r.json(t)["received"])
	r = w.invoke(t, "GET", "/_workflows/en123abc/", nil)
	require.Equal(t, http.StatusOK, r.Status)
	assert.Nil(t, r.json(t)["received"])
	r = w.invoke(t, "DELETE", "/_workflows/en123abc", []byte{0xff, 0x00, 0xfe})
	require.Equal(t, http.StatusOK, r.Status)

	inv := w.invocations(t, "en123abc")
	require.Len(t, inv, 4)
	assert.Equal(t, "POST", inv[0]["method"])
	assert.Equal(t, "/", inv[0]["path"])
	assert.Equal(t, "none", inv[0]["auth"])
	assert.Nil(t, inv[0]["external_user_id"])
	assert.Equal(t, map[string]any{"foo": 123.0, "bar": "abc", "baz": nil}, inv[0]["body"])
	headers := inv[0]["headers"].(map[string]any)
	assert.Equal(t, "t1", headers["x-trace"])
	assert.Equal(t, "application/json", headers["content-type"])
	assert.NotEmpty(t, headers["host"])
	assert.Equal(t, "2030-01-01T00:00:00Z", inv[0]["received_at"], "the emulator's clock")

	assert.Equal(t, "/orders/42", inv[1]["path"])
	assert.Equal(t, "expand=items", inv[1]["query"])
	assert.Equal(t, "plain text", inv[1]["body"])
	assert.Equal(t, "/", inv[2]["path"])
	assert.Nil(t, inv[3]["body"], "binary bodies are shown in base64")
	assert.Equal(t, "/wD+", inv[3]["body_base64"])

	assert.Empty(t, w.invocations(t, "en-never-called"))
	r2 := w.srv.Do("GET", "/_emulator/workflows/p_123/invocations", "", nil)
	assert.Equal(t, http.StatusBadRequest, r2.Status)

	r = w.invoke(t, "POST", "/_workflows/not-an-endpoint", []byte(`{}`))
	assert.Equal(t, http.StatusNotFound, r.Status)
	assert.Equal(t, "not_found", r.json(t)["error"])

	r = w.invoke(t, "POST", "/_workflows/en123abc", bytes.Repeat([]byte("x"), 64<<10+1))
	assert.Equal(t, http.StatusRequestEntityTooLarge, r.Status)
	assert.Len(t, w.invocations(t, "en123abc"), 4, "refused invocations are not recorded")
}

func TestWorkflowInvokeAuth(t *testing.T) {
	w := newWorkflowServer(t)
	invokeScope := w.srv.Token("connect:workflow:invoke")
	tests := []struct {
		name      string
		headers   []string
		status    int
		code      string
		auth      string
		external  any
		challenge string
	}{
		{name: "no token", status: 200, auth: "none"},
		{name: "OAuth token with the scope", headers: []string{"Authorization", "Bearer " + invokeScope}, status: 200, auth: "oauth"},
		{name: "OAuth token with connect:*", headers: []string{"Authorization", "Bearer " + w.srv.Token("connect:*")}, status: 200, auth: "oauth"},
		{name: "for an external user", headers: []string{"Authorization", "Bearer " + invokeScope, "X-PD-External-User-ID", "alice"}, status: 200, auth: "oauth", external: "alice"},
		{name: "Connect token", headers: []string{"Authorization", "Bearer " + w.srv.ConnectToken("carol", "connect:workflow:invoke")}, status: 200, auth: "connect_token", external: "carol"},
		{name: "non-bearer scheme is not checked", headers: []string{"Authorization", "Basic dTpw"}, status: 200, auth: "none"},
		{name: "OAuth token without the scope", headers: []string{"Authorization", "Bearer " + w.srv.Token("connect:proxy")}, status: 403, code: "insufficient_scope", challenge: `scope="connect:workflow:invoke"`},
		{name: "Connect token without the scope", headers: []string{"Authorization", "Bearer " + w.srv.ConnectToken("carol", "connect:proxy")}, status: 403, code: "insufficient_scope"},
		{name: "junk token", headers: []string{"Authorization", "Bearer junk"}, status: 401, code: "invalid_token", challenge: `error="invalid_token"`},
		{name: "external user without a token", headers: []string{"X-PD-External-User-ID", "alice"}, status: 401, code: "unauthorized", challenge: `Bearer realm="api.pipedream.com"`},
		{name: "Connect token for another user", headers: []string{"Authorization", "Bearer " + w.srv.ConnectToken("carol", "connect:workflow:invoke"), "X-PD-External-User-ID", "dave"}, status: 400, code: "invalid_request"},
		{name: "external user id too long", headers: []string{"Authorization", "Bearer " + invokeScope, "X-PD-External-User-ID", strings.Repeat("u", 251)}, status: 400, code: "invalid_request"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := len(w.invocations(t, "en-auth"))
			r := w.invoke(t, "POST", "/_workflows/en-auth", []byte(`{}`), tc.headers...)
			require.Equal(t, tc.status, r.Status, string(r.Body))
			inv := w.invocations(t, "en-auth")
			if tc.status != 200 {
				assert.Equal(t, tc.code, r.json(t)["error"])
				assert.Len(t, inv, before, "a refused invocation is not recorded")
				if tc.challenge != "" {
					assert.Contains(t, r.Header.Get("WWW-Authenticate"), tc.challenge)
				}
				return
			}
			require.Len(t, inv, before+1)
			last := inv[len(inv)-1]
			assert.Equal(t, tc.auth, last["auth"])
			assert.Equal(t, tc.external, last["external_user_id"])
			assert.NotContains(t, last["headers"], "authorization", "credentials are never recorded")
			if tc.auth == "oauth" || tc.auth == "connect_token" {
				assert.Equal(t, w.srv.Credentials.WorkspaceID, last["workspace_id"])
			}
		})
	}
}

func TestWorkflowRegistration(t *testing.T) {
	w := newWorkflowServer(t)
	register := func(body any) testutil.Response { return w.srv.Do("POST", "/_emulator/workflows", "", body) }

	r := register(map[string]any{"endpoint_id": "en-json", "status": 202, "headers": map[string]string{"X-Workflow": "v1"}, "body": map[string]any{"accepted": true}})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	assert.JSONEq(t, `{"endpoint_id":"en-json","path":"/_workflows/en-json","status":202,"headers":{"X-Workflow":"v1"},"body":{"accepted":true},"auth":"auto","created_at":"2030-01-01T00:00:00Z"}`, string(r.Body))
	resp := w.invoke(t, "POST", "/_workflows/en-json", []byte(`{}`))
	assert.Equal(t, 202, resp.Status)
	assert.Equal(t, "v1", resp.Header.Get("X-Workflow"))
	assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	assert.JSONEq(t, `{"accepted":true}`, string(resp.Body))

	r = register(map[string]any{"endpoint_id": "en-text", "headers": map[string]string{"content-type": "text/plain"}, "body": "hello"})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	resp = w.invoke(t, "GET", "/_workflows/en-text", nil)
	assert.Equal(t, 200, resp.Status)
	assert.Equal(t, "text/plain", resp.Header.Get("Content-Type"))
	assert.Equal(t, "hello", string(resp.Body), "a JSON string with a non-JSON type is sent as text")

	r = register(map[string]any{"endpoint_id": "en-fail", "status": 500})
	require.Equal(t, http.StatusCreated, r.Status)
	resp = w.invoke(t, "POST", "/_workflows/en-fail", []byte(`{"x":1}`))
	assert.Equal(t, 500, resp.Status)
	assert.Equal(t, false, resp.json(t)["ok"], "no body registered: the default answer, with the status")
	assert.Len(t, w.invocations(t, "en-fail"), 1, "failed answers are still invocations")

	// Re-registering replaces the answer.
	r = register(map[string]any{"endpoint_id": "en-fail"})
	require.Equal(t, http.StatusCreated, r.Status)
	assert.Equal(t, 200, w.invoke(t, "POST", "/_workflows/en-fail", []byte(`{}`)).Status)

	for name, body := range map[string]any{
		"missing endpoint_id": `{}`,
		"bad endpoint_id":     `{"endpoint_id": "p_123"}`,
		"upper case":          `{"endpoint_id": "EN123"}`,
		"unknown field":       `{"endpoint_id": "en1", "stauts": 200}`,
		"status too low":      `{"endpoint_id": "en1", "status": 199}`,
		"status not a number": `{"endpoint_id": "en1", "status": "200"}`,
		"bad header":          `{"endpoint_id": "en1", "headers": {"Content-Length": "1"}}`,
		"bad auth":            `{"endpoint_id": "en1", "auth": "basic"}`,
		"not JSON":            `{"endpoint_id": `,
	} {
		r := register(body)
		assert.Equal(t, http.StatusBadRequest, r.Status, "%s: %s", name, r.Body)
	}
	assert.Equal(t, 200, w.invoke(t, "POST", "/_workflows/en1", []byte(`{}`)).Status, "refused registrations registered nothing")
}

func TestWorkflowAuthModes(t *testing.T) {
	w := newWorkflowServer(t)
	oauthToken := w.srv.Token("connect:workflow:invoke")
	for _, body := range []string{
		`{"endpoint_id": "en-static", "auth": "static_bearer", "token": "s3cret"}`,
		`{"endpoint_id": "en-oauth", "auth": "oauth"}`,
		`{"endpoint_id": "en-open", "auth": "none"}`,
	} {
		r := w.srv.Do("POST", "/_emulator/workflows", "", body)
		require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
		assert.NotContains(t, string(r.Body), "s3cret", "the static token is never shown")
	}
	tests := []struct {
		endpoint string
		auth     string
		status   int
		recorded string
	}{
		{"en-static", "Bearer s3cret", 200, "static_bearer"},
		{"en-static", "Bearer wrong", 401, ""},
		{"en-static", "", 401, ""},
		{"en-static", "Bearer " + oauthToken, 401, ""},
		{"en-oauth", "", 401, ""},
		{"en-oauth", "Bearer " + oauthToken, 200, "oauth"},
		{"en-oauth", "Bearer " + w.srv.Token("connect:proxy"), 403, ""},
		{"en-open", "Bearer junk", 200, "none"},
		{"en-open", "", 200, "none"},
	}
	for _, tc := range tests {
		var headers []string
		if tc.auth != "" {
			headers = []string{"Authorization", tc.auth}
		}
		r := w.invoke(t, "POST", "/_workflows/"+tc.endpoint, []byte(`{}`), headers...)
		require.Equal(t, tc.status, r.Status, "%s with %q: %s", tc.endpoint, tc.auth, r.Body)
		if tc.status == 200 {
			inv := w.invocations(t, tc.endpoint)
			assert.Equal(t, tc.recorded, inv[len(inv)-1]["auth"])
		} else {
			assert.NotEmpty(t, r.Header.Get("WWW-Authenticate"))
		}
	}
}

func TestWorkflowGoAPIAndReset(t *testing.T) {
	w := newWorkflowServer(t)
	require.NoError(t, w.srv.Emulator.RegisterWorkflow(emulator.WorkflowSpec{EndpointID: "en-go", Status: 201, Body: json.RawMessage(`[1,2]`)}))
	require.Error(t, w.srv.Emulator.RegisterWorkflow(emulator.WorkflowSpec{EndpointID: "nope"}))
	r := w.invoke(t, "PATCH", "/_workflows/en-go/x", []byte(`{"a":1}`), "X-PD-External-User-ID", "alice", "Authorization", "Bearer "+w.srv.Token())
	require.Equal(t, 201, r.Status, string(r.Body))
	assert.JSONEq(t, `[1,2]`, string(r.Body))
	inv, err := w.srv.Emulator.WorkflowInvocations("en-go")
	require.NoError(t, err)
	require.Len(t, inv, 1)
	assert.Equal(t, "PATCH", inv[0].Method)
	assert.Equal(t, "/x", inv[0].Path)
	assert.Equal(t, "alice", inv[0].ExternalUserID)
	assert.Equal(t, w.srv.Now(), inv[0].ReceivedAt)

	w.srv.Reset()
	inv, err = w.srv.Emulator.WorkflowInvocations("en-go")
	require.NoError(t, err)
	assert.Empty(t, inv, "reset forgets invocations")
	r = w.invoke(t, "PATCH", "/_workflows/en-go", []byte(`{}`))
	assert.Equal(t, 200, r.Status, "and registrations")
}
