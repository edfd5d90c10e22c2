package emulator

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/pdemu/pdemu/emulator/apperr"
	"github.com/pdemu/pdemu/emulator/internal/connect"
	"github.com/pdemu/pdemu/emulator/internal/wire"
)

// Deployed triggers (…/deployed-triggers/…): every call acts for one
// external user, named by the query's external_user_id (required of OAuth
// callers) or implied by a Connect token. Another user's trigger is a 404.
// Times of deployed components and events are epoch milliseconds, those of
// trigger webhooks epoch seconds, as the SDK's types document.

// deployedJSON is the SDK's DeployedComponent (an Emitter of type
// "DeployedComponent").
type deployedJSON struct {
	ID                   string         `json:"id"`
	OwnerID              string         `json:"owner_id"`
	ComponentID          string         `json:"component_id"`
	ComponentKey         string         `json:"component_key"`
	ConfigurableProps    []wire.Prop    `json:"configurable_props"`
	ConfiguredProps      map[string]any `json:"configured_props"`
	Active               bool           `json:"active"`
	CreatedAt            int64          `json:"created_at"`
	UpdatedAt            int64          `json:"updated_at"`
	Name                 string         `json:"name"`
	NameSlug             string         `json:"name_slug"`
	CallbackObservations any            `json:"callback_observations"`
	EmitOnDeploy         bool           `json:"emit_on_deploy"`
	Type                 string         `json:"type"`
	WebhookSigningKey    string         `json:"webhook_signing_key,omitempty"`
}

func toDeployedJSON(t connect.DeployedTrigger) deployedJSON {
	configured := t.ConfiguredProps
	if configured == nil {
		configured = map[string]any{}
	}
	return deployedJSON{
		ID: t.ID, OwnerID: t.OwnerID, ComponentID: t.ComponentID, ComponentKey: t.ComponentKey,
		ConfigurableProps: toPropsJSON(t.Props), ConfiguredProps: configured, Active: t.Active,
		CreatedAt: t.CreatedAt.UnixMilli(), UpdatedAt: t.UpdatedAt.UnixMilli(),
		Name: t.Name, NameSlug: t.NameSlug, EmitOnDeploy: t.EmitOnDeploy, Type: "DeployedComponent",
	}
}

// eventJSON is the SDK's EmittedEvent.
type eventJSON struct {
	E   any    `json:"e"`
	K   string `json:"k"`
	TS  int64  `json:"ts"`
	ID  string `json:"id"`
	Sum string `json:"sum,omitempty"`
}

func toEventJSON(ev connect.EmittedEvent) eventJSON {
	return eventJSON{E: ev.Payload, K: "emit", TS: ev.Time.UnixMilli(), ID: ev.ID, Sum: ev.Summary}
}

// triggerWebhookJSON is the SDK's TriggerWebhook: the signing key only for
// OAuth callers.
type triggerWebhookJSON struct {
	ID            string `json:"id"`
	URL           string `json:"url"`
	SigningKey    string `json:"signing_key,omitempty"`
	SigningKeySet bool   `json:"signing_key_set"`
}

// webhookWithKeyJSON is the SDK's WebhookWithSigningKey (OAuth-only routes).
type webhookWithKeyJSON struct {
	ID            string `json:"id"`
	URL           string `json:"url"`
	SigningKey    string `json:"signing_key"`
	SigningKeySet bool   `json:"signing_key_set"`
	CreatedAt     int64  `json:"created_at"`
	UpdatedAt     int64  `json:"updated_at"`
}

func toWebhookWithKeyJSON(h connect.TriggerWebhook) map[string]any {
	return map[string]any{"data": webhookWithKeyJSON{ID: h.ID, URL: h.URL, SigningKey: h.SigningKey,
		SigningKeySet: h.SigningKey != "", CreatedAt: h.CreatedAt.Unix(), UpdatedAt: h.UpdatedAt.Unix()}}
}

// triggerOwner resolves whose triggers a call acts on: the external user
// (required) in the call's project and environment.
func (c *call) triggerOwner(r *http.Request) (connect.TriggerOwner, error) {
	user, err := c.actingFor(r, true)
	if err != nil {
		return connect.TriggerOwner{}, err
	}
	return connect.TriggerOwner{ProjectID: c.projectID, Environment: c.env, ExternalUserID: user}, nil
}

func (e *Emulator) listDeployedTriggers(r *http.Request, c *call) (response, error) {
	o, err := c.triggerOwner(r)
	if err != nil {
		return response{}, err
	}
	typ, err := connect.ParseEmitterType(r.URL.Query().Get("emitter_type"))
	if err != nil {
		return response{}, err
	}
	req, err := pageRequest(r)
	if err != nil {
		return response{}, err
	}
	page, err := e.connect.ListDeployedTriggers(c.access(), o, typ, req)
	if err != nil {
		return response{}, err
	}
	return ok(toPageJSON(page, toDeployedJSON))
}

func (e *Emulator) getDeployedTrigger(r *http.Request, c *call) (response, error) {
	o, err := c.triggerOwner(r)
	if err != nil {
		return response{}, err
	}
	t, err := e.connect.DeployedTrigger(c.access(), o, c.vars["trigger_id"])
	if err != nil {
		return response{}, err
	}
	return ok(map[string]any{"data": toDeployedJSON(t)})
}

func (e *Emulator) updateDeployedTrigger(r *http.Request, c *call) (response, error) {
	o, err := c.triggerOwner(r)
	if err != nil {
		return response{}, err
	}
	var body struct {
		Active          *bool          `json:"active"`
		ConfiguredProps map[string]any `json:"configured_props"`
		Name            *string        `json:"name"`
		EmitOnDeploy    *bool          `json:"emit_on_deploy"`
	}
	if err := decodeJSON(r, &body); err != nil {
		return response{}, err
	}
	t, err := e.connect.UpdateDeployedTrigger(c.access(), o, c.vars["trigger_id"], connect.TriggerUpdate{
		Active: body.Active, ConfiguredProps: body.ConfiguredProps, Name: body.Name, EmitOnDeploy: body.EmitOnDeploy,
	})
	if err != nil {
		return response{}, err
	}
	return ok(map[string]any{"data": toDeployedJSON(t)})
}

// deleteDeployedTrigger serves DELETE: 204. ignore_hook_errors is checked
// and otherwise moot: pdemu runs no deactivate hook that could fail.
func (e *Emulator) deleteDeployedTrigger(r *http.Request, c *call) (response, error) {
	o, err := c.triggerOwner(r)
	if err != nil {
		return response{}, err
	}
	if v := r.URL.Query().Get("ignore_hook_errors"); v != "" {
		if _, err := strconv.ParseBool(v); err != nil {
			return response{}, apperr.ErrInvalid.WithMessage("ignore_hook_errors must be true or false")
		}
	}
	if err := e.connect.DeleteDeployedTrigger(c.access(), o, c.vars["trigger_id"]); err != nil {
		return response{}, err
	}
	return noContent()
}

// listTriggerEvents serves GET …/events: {data: EmittedEvent[]}, newest
// first, n of them (default 20, 1..100).
func (e *Emulator) listTriggerEvents(r *http.Request, c *call) (response, error) {
	o, err := c.triggerOwner(r)
	if err != nil {
		return response{}, err
	}
	n := connect.DefaultTriggerEvents
	if v := r.URL.Query().Get("n"); v != "" {
		if n, err = strconv.Atoi(v); err != nil {
			return response{}, apperr.ErrInvalid.WithMessage("n must be an integer from 1 to %d", connect.MaxTriggerEvents)
		}
	}
	evs, err := e.connect.TriggerEvents(c.access(), o, c.vars["trigger_id"], n)
	if err != nil {
		return response{}, err
	}
	out := make([]eventJSON, len(evs))
	for i, ev := range evs {
		out[i] = toEventJSON(ev)
	}
	return ok(map[string]any{"data": out})
}

func workflowsJSON(t connect.DeployedTrigger) map[string]any {
	ids := t.WorkflowIDs
	if ids == nil {
		ids = []string{}
	}
	return map[string]any{"workflow_ids": ids}
}

func (e *Emulator) listTriggerWorkflows(r *http.Request, c *call) (response, error) {
	o, err := c.triggerOwner(r)
	if err != nil {
		return response{}, err
	}
	t, err := e.connect.DeployedTrigger(c.access(), o, c.vars["trigger_id"])
	if err != nil {
		return response{}, err
	}
	return ok(workflowsJSON(t))
}

func (e *Emulator) updateTriggerWorkflows(r *http.Request, c *call) (response, error) {
	o, err := c.triggerOwner(r)
	if err != nil {
		return response{}, err
	}
	var body struct {
		WorkflowIDs *[]string `json:"workflow_ids"`
	}
	if err := decodeJSON(r, &body); err != nil {
		return response{}, err
	}
	if body.WorkflowIDs == nil {
		return response{}, apperr.ErrInvalid.WithMessage("workflow_ids is required: an array of workflow ids (p_…), [] for none")
	}
	t, err := e.connect.SetTriggerWorkflows(c.access(), o, c.vars["trigger_id"], *body.WorkflowIDs)
	if err != nil {
		return response{}, err
	}
	return ok(workflowsJSON(t))
}

// webhooksJSON is the SDK's GetTriggerWebhooksResponse; signing keys go
// to OAuth callers only.
func webhooksJSON(t connect.DeployedTrigger, withKeys bool) map[string]any {
	urls := make([]string, len(t.Webhooks))
	hooks := make([]triggerWebhookJSON, len(t.Webhooks))
	for i, h := range t.Webhooks {
		urls[i] = h.URL
		hooks[i] = triggerWebhookJSON{ID: h.ID, URL: h.URL, SigningKeySet: h.SigningKey != ""}
		if withKeys {
			hooks[i].SigningKey = h.SigningKey
		}
	}
	return map[string]any{"webhook_urls": urls, "webhooks": hooks}
}

func (e *Emulator) listTriggerWebhooks(r *http.Request, c *call) (response, error) {
	o, err := c.triggerOwner(r)
	if err != nil {
		return response{}, err
	}
	t, err := e.connect.DeployedTrigger(c.access(), o, c.vars["trigger_id"])
	if err != nil {
		return response{}, err
	}
	return ok(webhooksJSON(t, c.isOAuth()))
}

func (e *Emulator) updateTriggerWebhooks(r *http.Request, c *call) (response, error) {
	o, err := c.triggerOwner(r)
	if err != nil {
		return response{}, err
	}
	var body struct {
		WebhookURLs *[]string `json:"webhook_urls"`
	}
	if err := decodeJSON(r, &body); err != nil {
		return response{}, err
	}
	if body.WebhookURLs == nil {
		return response{}, apperr.ErrInvalid.WithMessage("webhook_urls is required: an array of absolute URLs, [] for none")
	}
	t, err := e.connect.SetTriggerWebhooks(c.access(), o, c.vars["trigger_id"], *body.WebhookURLs)
	if err != nil {
		return response{}, err
	}
	return ok(webhooksJSON(t, c.isOAuth()))
}

// getTriggerWebhook serves GET …/webhooks/{webhook_id} (OAuth only, the
// route table says): the webhook with its signing key.
func (e *Emulator) getTriggerWebhook(r *http.Request, c *call) (response, error) {
	o, err := c.triggerOwner(r)
	if err != nil {
		return response{}, err
	}
	h, err := e.connect.TriggerWebhook(c.access(), o, c.vars["trigger_id"], c.vars["webhook_id"])
	if err != nil {
		return response{}, err
	}
	return ok(toWebhookWithKeyJSON(h))
}

// regenerateTriggerWebhookKey serves POST
// …/webhooks/{webhook_id}/regenerate_signing_key (OAuth only).
func (e *Emulator) regenerateTriggerWebhookKey(r *http.Request, c *call) (response, error) {
	o, err := c.triggerOwner(r)
	if err != nil {
		return response{}, err
	}
	h, err := e.connect.RegenerateTriggerWebhookKey(c.access(), o, c.vars["trigger_id"], c.vars["webhook_id"])
	if err != nil {
		return response{}, err
	}
	return ok(toWebhookWithKeyJSON(h))
}

// emitEvent serves POST /_emulator/deployed-triggers/{trigger_id}/events
// (strict JSON {event, summary?, id?}): 201 with the EmittedEvent.
func (e *Emulator) emitEvent(r *http.Request, c *call) (response, error) {
	var body struct {
		Event   json.RawMessage `json:"event"`
		Summary string          `json:"summary"`
		ID      string          `json:"id"`
	}
	if err := decodeStrictJSON(r, &body); err != nil {
		return response{}, err
	}
	var event any
	if len(body.Event) > 0 {
		if err := json.Unmarshal(body.Event, &event); err != nil {
			return response{}, apperr.ErrInvalid.WithMessage("event is not valid JSON")
		}
	}
	ev, err := e.connect.EmitEvent(c.vars["trigger_id"], connect.EmitSpec{Event: event, Summary: body.Summary, ID: body.ID})
	if err != nil {
		return response{}, err
	}
	return created(toEventJSON(ev))
}
