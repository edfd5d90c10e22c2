package emulator

import (
	"encoding/base64"
	"encoding/json"
	"mime"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pdemu/pdemu/emulator/apperr"
	"github.com/pdemu/pdemu/emulator/internal/connect"
	"github.com/pdemu/pdemu/emulator/internal/oauth"
)

// Workflow invocation. Pipedream serves a workflow's HTTP trigger at
// https://{endpoint_id}.m.pipedream.net[/path]; pdemu serves it at
// {base}/_workflows/{endpoint_id}[/path], and the SDK reaches it with a full
// URL once its workflow domain names pdemu's host:
//
//	PIPEDREAM_WORKFLOW_DOMAIN=127.0.0.1   (or workflowDomain: "127.0.0.1")
//	client.workflows.invoke({urlOrEndpoint: "http://127.0.0.1:8787/_workflows/en123abc"})
//
// (The SDK accepts http:// and any host whose name ends with the workflow
// domain; a bare endpoint id always becomes https://{id}.{domain}, which a
// plain-HTTP pdemu cannot serve.)

// workflowCaller is how the caller of a workflow authenticated, as an
// invocation records it: none, oauth, connect_token or static_bearer.
func (c *call) workflowCaller() string {
	switch {
	case c.staticBearer:
		return "static_bearer"
	case c.connectToken != nil:
		return "connect_token"
	case c.principal.ClientID != "":
		return "oauth"
	}
	return "none"
}

// invokeWorkflow serves every method on /_workflows/{endpoint_id} and
// /_workflows/{endpoint_id}/{path}, once the authorizer has checked the
// caller as the endpoint's auth mode says: it records the invocation and
// answers with the registered answer, or 200 {"ok": true, "endpoint_id",
// "invocation_id", "received": <body>}.
func (e *Emulator) invokeWorkflow(r *http.Request, c *call) (response, error) {
	id := c.vars["endpoint_id"]
	if err := connect.ValidateEndpointID(id); err != nil {
		return response{}, apperr.ErrNotFound.WithMessage("no workflow endpoint %q: %s", truncate(id, 100), apperr.As(err).Message)
	}
	wf, registered := e.connect.Workflow(id)
	kind := c.workflowCaller()
	external := r.Header.Get("X-PD-External-User-ID")
	if external != "" {
		if err := connect.ValidateExternalID(external); err != nil {
			return response{}, apperr.ErrInvalid.WithMessage("X-PD-External-User-ID must be 1..%d characters", connect.MaxExternalIDLen)
		}
		if kind == "none" && wf.Auth == connect.WorkflowAuthAuto {
			return response{}, oauth.ErrMissingToken.WithMessage("invoking a workflow for an external user (X-PD-External-User-ID) needs an OAuth access token")
		}
	}
	if kind == "oauth" || kind == "connect_token" {
		var err error
		if external, err = c.access().ActingFor(external, false); err != nil {
			return response{}, err
		}
	}
	body, err := bodyBytes(r)
	if err != nil {
		return response{}, bodyError(err)
	}
	inv, err := e.connect.RecordInvocation(connect.WorkflowInvocation{
		EndpointID: id, Method: r.Method, Path: "/" + c.vars["path"], Query: r.URL.RawQuery,
		Headers: invocationHeaders(r), Body: body, ExternalUserID: external,
		Auth: kind, WorkspaceID: c.access().WorkspaceID,
	})
	if err != nil {
		return response{}, err
	}
	if !registered || wf.Body == nil {
		status := http.StatusOK
		if registered {
			status = wf.Status
			setWorkflowHeaders(c.header, wf.Headers)
		}
		return response{status: status, body: map[string]any{
			"ok": status < 400, "endpoint_id": id, "invocation_id": inv.ID, "received": bodyValue(body),
		}}, nil
	}
	setWorkflowHeaders(c.header, wf.Headers)
	ct := "application/json"
	for k, v := range wf.Headers {
		if strings.EqualFold(k, "Content-Type") {
			ct = v
		}
	}
	raw := []byte(wf.Body)
	// A JSON string answered with a non-JSON type is sent as its text, so
	// a workflow can answer text/plain or text/html.
	if mt, _, _ := mime.ParseMediaType(ct); mt != "application/json" && !strings.HasSuffix(mt, "+json") {
		var s string
		if json.Unmarshal(wf.Body, &s) == nil {
			raw = []byte(s)
		}
	}
	return response{status: wf.Status, raw: raw, contentType: ct}, nil
}

func setWorkflowHeaders(h http.Header, set map[string]string) {
	for k, v := range set {
		if !strings.EqualFold(k, "Content-Type") {
			h.Set(k, v)
		}
	}
}

// invocationHeaders is what an invocation records of the request's
// headers: names lower-cased, repeated values joined, never the
// credentials.
func invocationHeaders(r *http.Request) map[string]string {
	out := map[string]string{"host": r.Host}
	for k, vs := range r.Header {
		switch k = strings.ToLower(k); k {
		case "authorization", "proxy-authorization":
			continue
		}
		out[k] = strings.Join(vs, ", ")
	}
	return out
}

// bodyValue is a request body as JSON shows it: the parsed value when it
// is JSON, else its text; nil when it is empty or not UTF-8.
func bodyValue(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	if json.Valid(b) {
		return json.RawMessage(b)
	}
	if utf8.Valid(b) {
		return string(b)
	}
	return nil
}

// invocationJSON is an invocation as the control plane shows it.
type invocationJSON struct {
	ID             string            `json:"id"`
	EndpointID     string            `json:"endpoint_id"`
	Method         string            `json:"method"`
	Path           string            `json:"path"`
	Query          string            `json:"query"`
	Headers        map[string]string `json:"headers"`
	Body           any               `json:"body"`
	BodyBase64     string            `json:"body_base64,omitempty"`
	ExternalUserID *string           `json:"external_user_id"`
	Auth           string            `json:"auth"`
	WorkspaceID    *string           `json:"workspace_id"`
	ReceivedAt     string            `json:"received_at"`
}

func toInvocationJSON(inv connect.WorkflowInvocation) invocationJSON {
	out := invocationJSON{
		ID: inv.ID, EndpointID: inv.EndpointID, Method: inv.Method, Path: inv.Path, Query: inv.Query,
		Headers: inv.Headers, Body: bodyValue(inv.Body), Auth: inv.Auth,
		ReceivedAt: inv.ReceivedAt.Format(time.RFC3339Nano),
	}
	if len(inv.Body) > 0 && !utf8.Valid(inv.Body) {
		out.BodyBase64 = base64.StdEncoding.EncodeToString(inv.Body)
	}
	if inv.ExternalUserID != "" {
		out.ExternalUserID = &inv.ExternalUserID
	}
	if inv.WorkspaceID != "" {
		out.WorkspaceID = &inv.WorkspaceID
	}
	return out
}

// workflowJSON is a registration as the control plane shows it (never
// the static token).
type workflowJSON struct {
	EndpointID string            `json:"endpoint_id"`
	Path       string            `json:"path"`
	Status     int               `json:"status"`
	Headers    map[string]string `json:"headers"`
	Body       json.RawMessage   `json:"body"`
	Auth       string            `json:"auth"`
	CreatedAt  string            `json:"created_at"`
}

func toWorkflowJSON(w connect.Workflow) workflowJSON {
	auth := string(w.Auth)
	if auth == "" {
		auth = "auto"
	}
	headers := w.Headers
	if headers == nil {
		headers = map[string]string{}
	}
	return workflowJSON{
		EndpointID: w.EndpointID, Path: "/_workflows/" + w.EndpointID, Status: w.Status, Headers: headers,
		Body: w.Body, Auth: auth, CreatedAt: w.CreatedAt.Format(time.RFC3339),
	}
}

// registerWorkflow serves POST /_emulator/workflows {endpoint_id, status?,
// headers?, body?, auth?, token?}: what the endpoint answers from now on,
// and how it checks callers. Registering again replaces the answer.
func (e *Emulator) registerWorkflow(r *http.Request, _ *call) (response, error) {
	var body struct {
		EndpointID string            `json:"endpoint_id"`
		Status     int               `json:"status"`
		Headers    map[string]string `json:"headers"`
		Body       json.RawMessage   `json:"body"`
		Auth       string            `json:"auth"`
		Token      string            `json:"token"`
	}
	if err := decodeStrictJSON(r, &body); err != nil {
		return response{}, err
	}
	if body.EndpointID == "" {
		return response{}, apperr.ErrInvalid.WithMessage(`"endpoint_id" is required, e.g. "en123abc"`)
	}
	if body.Auth == "auto" {
		body.Auth = ""
	}
	w, err := e.connect.RegisterWorkflow(connect.WorkflowSpec{
		EndpointID: body.EndpointID, Status: body.Status, Headers: body.Headers, Body: body.Body,
		Auth: connect.WorkflowAuth(body.Auth), Token: body.Token,
	})
	if err != nil {
		return response{}, err
	}
	return created(toWorkflowJSON(w))
}

// listWorkflowInvocations serves GET
// /_emulator/workflows/{endpoint_id}/invocations: {"data": [...]}, oldest
// first, the last connect.MaxInvocationsKept.
func (e *Emulator) listWorkflowInvocations(r *http.Request, c *call) (response, error) {
	list, err := e.connect.WorkflowInvocations(c.vars["endpoint_id"])
	if err != nil {
		return response{}, err
	}
	out := make([]invocationJSON, len(list))
	for i, inv := range list {
		out[i] = toInvocationJSON(inv)
	}
	return ok(map[string]any{"data": out})
}
