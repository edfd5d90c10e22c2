package emulator

import (
	"encoding/json"
	"math"
	"net/http"
	"time"

	"github.com/pdemu/pdemu/emulator/apperr"
	"github.com/pdemu/pdemu/emulator/internal/paging"
	"github.com/pdemu/pdemu/emulator/oauth"
)

// The control plane: /_emulator/ endpoints that drive the emulator. Bodies
// are decoded strictly, so a misspelt field is an error, not a no-op.

func (e *Emulator) health(*http.Request, *call) (response, error) {
	return ok(map[string]string{"status": "ok"})
}

// Capabilities lists what the control plane can do, for the conformance kit
// and scripts that must tell an emulator from a real server.
func (e *Emulator) Capabilities() []string {
	caps := []string{"admin_clients", "clock", "reset", "external_users", "connect_accounts", "apps",
		"components", "trigger_events", "workflows", "file_stash", "proxy_allowed_hosts", "limits"}
	if e.auth.RevokesOnRotate() {
		caps = append(caps, "rotation_revokes_tokens")
	}
	return caps
}

func (e *Emulator) capabilities(*http.Request, *call) (response, error) {
	return ok(map[string][]string{"capabilities": e.Capabilities()})
}

// scopeList accepts scopes as a space-separated string (as the token
// endpoint takes them) or as an array of names.
type scopeList string

func (s *scopeList) UnmarshalJSON(b []byte) error {
	var str string
	if err := json.Unmarshal(b, &str); err == nil {
		*s = scopeList(str)
		return nil
	}
	var list []string
	if err := json.Unmarshal(b, &list); err != nil {
		return apperr.ErrInvalid.WithMessage("scopes must be a space-separated string or an array of strings")
	}
	joined := ""
	for i, v := range list {
		if i > 0 {
			joined += " "
		}
		joined += v
	}
	*s = scopeList(joined)
	return nil
}

// clientJSON is a client as the control plane shows it: never a secret.
type clientJSON struct {
	ClientID        string   `json:"client_id"`
	Name            string   `json:"name"`
	WorkspaceID     string   `json:"workspace_id"`
	Scopes          []string `json:"scopes"`
	ProjectIDs      []string `json:"project_ids"`
	CreatedAt       string   `json:"created_at"`
	SecretRotatedAt string   `json:"secret_rotated_at"`
}

func toClientJSON(c oauth.Client) clientJSON {
	pids := c.ProjectIDs
	if pids == nil {
		pids = []string{}
	}
	return clientJSON{
		ClientID: c.ID, Name: c.Name, WorkspaceID: c.WorkspaceID, Scopes: c.Scopes, ProjectIDs: pids,
		CreatedAt: c.CreatedAt.Format(time.RFC3339), SecretRotatedAt: c.SecretRotatedAt.Format(time.RFC3339),
	}
}

// clientWithSecret is the one response that carries a secret: creation.
type clientWithSecret struct {
	clientJSON
	ClientSecret string `json:"client_secret"`
}

func (e *Emulator) createClient(r *http.Request, _ *call) (response, error) {
	var body struct {
		Name        string    `json:"name"`
		Scopes      scopeList `json:"scopes"`
		ProjectIDs  []string  `json:"project_ids"`
		WorkspaceID string    `json:"workspace_id"`
	}
	if err := decodeStrictJSON(r, &body); err != nil {
		return response{}, err
	}
	c, creds, err := e.newClient(ClientSpec{
		Name: body.Name, Scopes: string(body.Scopes), ProjectIDs: body.ProjectIDs, WorkspaceID: body.WorkspaceID,
	})
	if err != nil {
		return response{}, err
	}
	return created(clientWithSecret{clientJSON: toClientJSON(c), ClientSecret: creds.ClientSecret})
}

// listClients pages through the clients as the API's lists do (oldest
// first, limit, after, before): a page costs O(page) however many exist.
func (e *Emulator) listClients(r *http.Request, _ *call) (response, error) {
	req, err := pageRequest(r)
	if err != nil {
		return response{}, err
	}
	page, err := e.auth.Page(req)
	if err != nil {
		return response{}, err
	}
	return ok(paging.Map(page, toClientJSON))
}

func (e *Emulator) getClient(r *http.Request, c *call) (response, error) {
	client, err := e.auth.Get(c.vars["client_id"])
	if err != nil {
		return response{}, err
	}
	return ok(toClientJSON(client))
}

func (e *Emulator) rotateSecret(r *http.Request, c *call) (response, error) {
	client, creds, err := e.auth.RotateSecret(c.vars["client_id"])
	if err != nil {
		return response{}, err
	}
	return ok(map[string]string{
		"client_id": creds.ClientID, "client_secret": creds.ClientSecret,
		"secret_rotated_at": client.SecretRotatedAt.Format(time.RFC3339),
	})
}

func (e *Emulator) deleteClient(r *http.Request, c *call) (response, error) {
	if err := e.auth.Delete(c.vars["client_id"]); err != nil {
		return response{}, err
	}
	return noContent()
}

func (e *Emulator) clockJSON() map[string]string {
	return map[string]string{"now": e.clock.Now().Format(time.RFC3339Nano)}
}

func (e *Emulator) getClock(*http.Request, *call) (response, error) { return ok(e.clockJSON()) }

func (e *Emulator) setClock(r *http.Request, _ *call) (response, error) {
	var body struct {
		Now *string `json:"now"`
	}
	if err := decodeStrictJSON(r, &body); err != nil {
		return response{}, err
	}
	if body.Now == nil {
		return response{}, apperr.ErrInvalid.WithMessage(`"now" is required: an RFC 3339 time such as "2030-01-01T00:00:00Z"`)
	}
	t, err := time.Parse(time.RFC3339Nano, *body.Now)
	if err != nil {
		return response{}, apperr.ErrInvalid.WithMessage(`"now" must be an RFC 3339 time such as "2030-01-01T00:00:00Z"`)
	}
	e.clock.Set(t)
	e.connect.Prune() // what the new time expired goes now, not at the next write
	return ok(e.clockJSON())
}

// maxAdvance keeps seconds-to-Duration conversion far from overflow.
const maxAdvance = 100 * 365 * 24 * time.Hour

func (e *Emulator) advanceClock(r *http.Request, _ *call) (response, error) {
	var body struct {
		Seconds *float64 `json:"seconds"`
	}
	if err := decodeStrictJSON(r, &body); err != nil {
		return response{}, err
	}
	if body.Seconds == nil {
		return response{}, apperr.ErrInvalid.WithMessage(`"seconds" is required: a number of seconds >= 0`)
	}
	s := *body.Seconds
	if s < 0 || math.IsNaN(s) || s > maxAdvance.Seconds() {
		return response{}, apperr.ErrInvalid.WithMessage(`"seconds" must be a number from 0 to %d`, int64(maxAdvance.Seconds()))
	}
	if err := e.clock.Advance(time.Duration(s * float64(time.Second))); err != nil {
		return response{}, apperr.ErrInvalid.WithMessage("%v", err)
	}
	e.connect.Prune() // what the new time expired goes now, not at the next write
	return ok(e.clockJSON())
}

func (e *Emulator) reset(*http.Request, *call) (response, error) {
	if err := e.reseed(); err != nil {
		return response{}, err
	}
	return ok(map[string]string{"status": "ok"})
}

func (e *Emulator) addUser(r *http.Request, c *call) (response, error) {
	var body struct {
		ExternalID  string `json:"external_id"`
		Environment string `json:"environment"`
	}
	if err := decodeStrictJSON(r, &body); err != nil {
		return response{}, err
	}
	u, err := e.addExternalUser(c.vars["project_id"], body.Environment, body.ExternalID)
	if err != nil {
		return response{}, err
	}
	return created(toUserJSON(u))
}

// limitJSON is one limit as GET /_emulator/limits shows it.
type limitJSON struct {
	Name   string `json:"name"`
	Max    int    `json:"max"`
	Count  int    `json:"count"`
	Counts string `json:"counts"`
	Evicts bool   `json:"evicts_oldest"`
}

// listLimits serves GET /_emulator/limits: every limit with its value and
// how many records it counts now, so a script can see how close a run is
// to a cap (and that expired records were dropped).
func (e *Emulator) listLimits(*http.Request, *call) (response, error) {
	status := e.LimitStatus()
	out := make([]limitJSON, len(status))
	for i, l := range status {
		out[i] = limitJSON{Name: l.Name, Max: l.Max, Count: l.Count, Counts: l.Counts, Evicts: l.Evicts}
	}
	return ok(map[string]any{"data": out})
}
