package emulator

import (
	"net/http"

	"github.com/pdemu/pdemu/emulator/internal/connect"
)

// Project-environment webhook adapters (OAuth only). Times are epoch
// seconds, as the SDK's Webhook types declare them.

// projectWebhookJSON is the SDK's Webhook / WebhookWithOptionalSigningKey /
// WebhookWithSigningKey: signing_key is present only where the API shows it.
type projectWebhookJSON struct {
	ID            string `json:"id"`
	URL           string `json:"url"`
	SigningKey    string `json:"signing_key,omitempty"`
	SigningKeySet bool   `json:"signing_key_set"`
	CreatedAt     int64  `json:"created_at"`
	UpdatedAt     int64  `json:"updated_at"`
}

// projectWebhookResponse is the {data: …} wrapper of every webhook
// response; Data is nil (null) when the environment has no webhook.
type projectWebhookResponse struct {
	Data *projectWebhookJSON `json:"data"`
}

func toProjectWebhookResponse(h connect.ProjectWebhook, withKey bool) projectWebhookResponse {
	out := &projectWebhookJSON{ID: h.ID, URL: h.URL, SigningKeySet: h.SigningKey != "",
		CreatedAt: h.CreatedAt.Unix(), UpdatedAt: h.UpdatedAt.Unix()}
	if withKey {
		out.SigningKey = h.SigningKey
	}
	return projectWebhookResponse{Data: out}
}

// getProjectWebhook serves GET …/webhook: {data: Webhook}, or {data: null}
// when the environment has no webhook (the SDK's GetWebhookResponse.data is
// optional), never a 404: "no webhook" is a state, not a missing resource.
func (e *Emulator) getProjectWebhook(r *http.Request, c *call) (response, error) {
	h, found, err := e.connect.ProjectWebhook(c.access(), c.projectID, c.env)
	if err != nil {
		return response{}, err
	}
	if !found {
		return ok(projectWebhookResponse{})
	}
	return ok(toProjectWebhookResponse(h, false))
}

// updateProjectWebhook serves PUT …/webhook {url}: creates the webhook
// (showing its signing key, the only time besides a regeneration) or
// changes its URL (key not shown).
func (e *Emulator) updateProjectWebhook(r *http.Request, c *call) (response, error) {
	var body struct {
		URL *string `json:"url"`
	}
	if err := decodeJSON(r, &body); err != nil {
		return response{}, err
	}
	if body.URL == nil {
		body.URL = new(string) // the domain reports "url is required"
	}
	h, created, err := e.connect.SetProjectWebhook(c.access(), c.projectID, c.env, *body.URL)
	if err != nil {
		return response{}, err
	}
	return ok(toProjectWebhookResponse(h, created))
}

// deleteProjectWebhook serves DELETE …/webhook: 204, or 404 when the
// environment has no webhook.
func (e *Emulator) deleteProjectWebhook(r *http.Request, c *call) (response, error) {
	if err := e.connect.DeleteProjectWebhook(c.access(), c.projectID, c.env); err != nil {
		return response{}, err
	}
	return noContent()
}

// regenerateProjectWebhookKey serves POST …/webhook/regenerate_signing_key:
// {data: WebhookWithSigningKey} with the new key; 404 without a webhook.
func (e *Emulator) regenerateProjectWebhookKey(r *http.Request, c *call) (response, error) {
	h, err := e.connect.RegenerateProjectWebhookKey(c.access(), c.projectID, c.env)
	if err != nil {
		return response{}, err
	}
	return ok(toProjectWebhookResponse(h, true))
}
