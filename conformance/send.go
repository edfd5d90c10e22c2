package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/pdemu/pdemu/conformance/internal/wire"
)

// request is one request of the kit, exactly as it is sent: ${name}s are
// expanded before, by whoever builds it.
type request struct {
	method string
	// path is under the base URL, query included.
	path        string
	contentType string
	// body is sent as is; "" sends none.
	body string
	// token is the bearer ("" sends none). On the control plane the
	// transport puts the control token in its place, if there is one.
	token string
	// env is sent as X-PD-Environment.
	env string
	// header holds more headers, set last (they win).
	header http.Header
}

// recording says what a request is to the scenario.
type recording bool

const (
	// record marks the scenario's own request: its answer becomes the last
	// response, the one the Then steps check.
	record recording = true
	// aside marks a side request (control-plane setup, a token for a
	// cleanup, the cleanup itself): the last response stays as it was.
	aside recording = false
)

// exchange is one request and its response.
type exchange struct {
	method, url string
	status      int
	header      http.Header
	body        []byte
	decoded     any // the body as JSON, nil when it is not JSON
}

// maxBody bounds what the kit reads of an answer.
const maxBody = 8 << 20

// send is how every request of a scenario reaches the target, its own and
// the side ones alike; rec says whether the answer becomes the last
// response. An error means no answer (the network, a body cut short); any
// status is an answer.
func (w *world) send(ctx context.Context, req request, rec recording) (*exchange, error) {
	var rd io.Reader
	if req.body != "" {
		rd = strings.NewReader(req.body)
	}
	r, err := http.NewRequestWithContext(ctx, req.method, w.cfg.BaseURL+req.path, rd)
	if err != nil {
		return nil, err
	}
	if req.contentType != "" {
		r.Header.Set("Content-Type", req.contentType)
	}
	if req.token != "" {
		r.Header.Set("Authorization", "Bearer "+req.token)
	}
	r.Header.Set("X-PD-Environment", req.env)
	for k, vs := range req.header {
		r.Header[k] = vs
	}
	resp, err := w.cfg.HTTPClient.Do(r)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", req.method, req.path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, fmt.Errorf("%s %s: reading the body: %w", req.method, req.path, err)
	}
	x := &exchange{method: req.method, url: req.path, status: resp.StatusCode, header: resp.Header, body: b}
	if len(bytes.TrimSpace(b)) > 0 {
		if v, err := wire.Decode(b); err == nil {
			x.decoded = v // numbers as written: 3600 and 3600.0 stay apart
		}
	}
	w.checkWire(ctx, req, x)
	if rec {
		w.last = x
	}
	return x, nil
}

// errNotEmulator is returned by steps that need the control plane when the
// target has none; the tags should have skipped the scenario already.
var errNotEmulator = errors.New("this step needs an emulator's control plane")

// control sends a side request to the target's control plane (path
// expanded already; body JSON or "") and fails unless it answers 2xx.
func (w *world) control(ctx context.Context, method, path, body string) (*exchange, error) {
	if !w.caps.IsEmulator() {
		return nil, errNotEmulator
	}
	req := request{method: method, path: path, body: body, env: w.env}
	if body != "" {
		req.contentType = "application/json"
	}
	x, err := w.send(ctx, req, aside)
	if err != nil {
		return nil, err
	}
	if !x.ok() {
		return x, fmt.Errorf("control plane: %s", x.describe())
	}
	return x, nil
}

// fetchAccessToken gets a token with the client credentials grant, as the
// SDKs do (a JSON body), with scope ("" for the default).
func (w *world) fetchAccessToken(ctx context.Context, c Credentials, scope string, rec recording) (string, error) {
	body := map[string]string{"grant_type": "client_credentials", "client_id": c.ClientID, "client_secret": c.ClientSecret}
	if scope != "" {
		body["scope"] = scope
	}
	b, _ := json.Marshal(body)
	x, err := w.send(ctx, request{method: http.MethodPost, path: "/v1/oauth/token", contentType: "application/json", body: string(b), env: w.env}, rec)
	if err != nil {
		return "", err
	}
	tok := x.str("access_token")
	if x.status != http.StatusOK || tok == "" {
		return "", fmt.Errorf("could not get an access token; %s", x.describe())
	}
	return tok, nil
}

// sideToken returns a full-scope access token for side requests, fetched
// once a scenario; fresh discards the one kept (it stopped working: the
// clock moved past it, say).
func (w *world) sideToken(ctx context.Context, fresh bool) (string, error) {
	if w.sideAccessToken == "" || fresh {
		tok, err := w.fetchAccessToken(ctx, w.cfg.Client, "", aside)
		if err != nil {
			return "", err
		}
		w.sideAccessToken = tok
	}
	return w.sideAccessToken, nil
}

// sendWithSideToken sends a side request to the API with the side token,
// in env, once more with a fresh token if the first is refused as expired
// or revoked.
func (w *world) sendWithSideToken(ctx context.Context, req request) (*exchange, error) {
	for fresh := false; ; fresh = true {
		tok, err := w.sideToken(ctx, fresh)
		if err != nil {
			return nil, err
		}
		req.token = tok
		x, err := w.send(ctx, req, aside)
		if err != nil || x.status != http.StatusUnauthorized || fresh {
			return x, err
		}
	}
}
