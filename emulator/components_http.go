package emulator

import (
	"encoding/json"
	"math"
	"net/http"

	"github.com/pdemu/pdemu/emulator/apperr"
	"github.com/pdemu/pdemu/emulator/internal/connect"
	"github.com/pdemu/pdemu/emulator/internal/wire"
)

// Components, actions and triggers: the catalog (list, retrieve), prop
// configuration (configure, props), actions.run and triggers.deploy.
// Wire shapes follow the SDK's serializers: snake_case fields, except the
// camelCase keys Pipedream sends as they are (prop fields, stringOptions,
// dynamicProps, configurableProps).

// componentKind narrows a component endpoint to actions or triggers; ""
// means either.
type componentKind = connect.ComponentKind

const (
	kindAction  = connect.KindAction
	kindTrigger = connect.KindTrigger
)

// componentJSON is the SDK's Component.
type componentJSON struct {
	Key               string            `json:"key"`
	Name              string            `json:"name"`
	Version           string            `json:"version"`
	ConfigurableProps []wire.Prop       `json:"configurable_props"`
	Description       string            `json:"description,omitempty"`
	ComponentType     string            `json:"component_type"`
	Stash             string            `json:"stash,omitempty"`
	Annotations       *wire.Annotations `json:"annotations,omitempty"`
}

func toComponentJSON(c connect.Component) componentJSON {
	out := componentJSON{Key: c.Key, Name: c.Name, Version: c.Version, ConfigurableProps: toPropsJSON(c.Props),
		Description: c.Description, ComponentType: string(c.Type), Stash: c.Stash}
	if c.Annotations != nil {
		a := wire.Annotations(*c.Annotations)
		out.Annotations = &a
	}
	return out
}

// toPropsJSON writes props as the wire's ConfigurableProp list ([] for
// none).
func toPropsJSON(props []connect.Prop) []wire.Prop {
	out := make([]wire.Prop, len(props))
	for i, p := range props {
		out[i] = wire.Prop(p)
	}
	return out
}

// listComponents serves GET …/components, …/actions and …/triggers.
func (e *Emulator) listComponents(kind componentKind) handlerFunc {
	return func(r *http.Request, c *call) (response, error) {
		q := r.URL.Query()
		registry, err := connect.ParseRegistry(q.Get("registry"))
		if err != nil {
			return response{}, err
		}
		// Only /components takes component_type; a local keeps the
		// closure's kind untouched across requests.
		only := kind
		if only == "" {
			if only, err = connect.ParseComponentKind(q.Get("component_type")); err != nil {
				return response{}, err
			}
		}
		req, err := pageRequest(r)
		if err != nil {
			return response{}, err
		}
		page := e.connect.ListComponents(connect.ComponentQuery{Kind: only, Q: q.Get("q"), App: q.Get("app"), Registry: registry}, req)
		return ok(toPageJSON(page, toComponentJSON))
	}
}

// getComponent serves GET …/{components|actions|triggers}/{component_id}.
func (e *Emulator) getComponent(kind componentKind) handlerFunc {
	return func(r *http.Request, c *call) (response, error) {
		comp, err := e.connect.Component(kind, c.vars["component_id"], r.URL.Query().Get("version"))
		if err != nil {
			return response{}, err
		}
		return ok(map[string]any{"data": toComponentJSON(comp)})
	}
}

// propsBody holds the fields configure, props, run and deploy bodies share.
type propsBody struct {
	ID              string         `json:"id"`
	Version         string         `json:"version"`
	ExternalUserID  string         `json:"external_user_id"`
	ConfiguredProps map[string]any `json:"configured_props"`
	DynamicPropsID  string         `json:"dynamic_props_id"`
	Blocking        *bool          `json:"blocking"`
}

// request resolves the external user: a Connect token's own, else the
// body's (required).
func (b propsBody) request(c *call) (connect.PropsRequest, error) {
	user, err := c.access().ActingFor(b.ExternalUserID, true)
	if err != nil {
		return connect.PropsRequest{}, err
	}
	return connect.PropsRequest{ID: b.ID, Version: b.Version, ExternalUserID: user,
		ConfiguredProps: b.ConfiguredProps, DynamicPropsID: b.DynamicPropsID}, nil
}

// configurePropJSON is the SDK's ConfigurePropResponse; its stringOptions
// key is camelCase on the wire (the SDK's serializer reads it so).
type configurePropJSON struct {
	Options       []any            `json:"options"`
	StringOptions []string         `json:"stringOptions,omitempty"`
	Observations  []map[string]any `json:"observations"`
	Errors        []string         `json:"errors"`
}

// configureProp serves POST …/{components|actions|triggers}/configure.
func (e *Emulator) configureProp(kind componentKind) handlerFunc {
	return func(r *http.Request, c *call) (response, error) {
		var body struct {
			propsBody
			PropName    string         `json:"prop_name"`
			Page        *float64       `json:"page"`
			PrevContext map[string]any `json:"prev_context"`
			Query       string         `json:"query"`
		}
		if err := decodeJSON(r, &body); err != nil {
			return response{}, err
		}
		req, err := body.request(c)
		if err != nil {
			return response{}, err
		}
		page := 0
		if p := body.Page; p != nil {
			if *p < 0 || *p != math.Trunc(*p) || *p > math.MaxInt32 {
				return response{}, apperr.ErrInvalid.WithMessage("page must be a whole number >= 0")
			}
			page = int(*p)
		}
		res, err := e.connect.ConfigureProp(c.access(), c.projectID, c.env, kind, connect.ConfigureRequest{
			PropsRequest: req, PropName: body.PropName, Query: body.Query, Page: page, PrevContext: body.PrevContext,
		})
		if err != nil {
			return response{}, err
		}
		return ok(configurePropJSON{Options: res.Options, StringOptions: res.StringOptions,
			Observations: []map[string]any{}, Errors: []string{}})
	}
}

// reloadPropsJSON is the SDK's ReloadPropsResponse (dynamicProps and
// configurableProps are camelCase on the wire).
type reloadPropsJSON struct {
	Observations []map[string]any `json:"observations"`
	Errors       []string         `json:"errors"`
	DynamicProps struct {
		ID                string      `json:"id"`
		ConfigurableProps []wire.Prop `json:"configurableProps"`
	} `json:"dynamicProps"`
}

// reloadProps serves POST …/{components|actions|triggers}/props.
func (e *Emulator) reloadProps(kind componentKind) handlerFunc {
	return func(r *http.Request, c *call) (response, error) {
		var body propsBody
		if err := decodeJSON(r, &body); err != nil {
			return response{}, err
		}
		req, err := body.request(c)
		if err != nil {
			return response{}, err
		}
		d, err := e.connect.ReloadProps(c.access(), c.projectID, c.env, kind, req)
		if err != nil {
			return response{}, err
		}
		out := reloadPropsJSON{Observations: []map[string]any{}, Errors: []string{}}
		out.DynamicProps.ID, out.DynamicProps.ConfigurableProps = d.ID, toPropsJSON(d.Props)
		return ok(out)
	}
}

// runActionJSON is the SDK's RunActionResponse.
type runActionJSON struct {
	Exports map[string]any   `json:"exports"`
	Os      []map[string]any `json:"os"`
	Ret     any              `json:"ret"`
	StashID string           `json:"stash_id,omitempty"`
}

// runAction serves POST …/actions/run.
func (e *Emulator) runAction(r *http.Request, c *call) (response, error) {
	var body struct {
		propsBody
		StashID json.RawMessage `json:"stash_id"`
	}
	if err := decodeJSON(r, &body); err != nil {
		return response{}, err
	}
	req, err := body.request(c)
	if err != nil {
		return response{}, err
	}
	run := connect.RunRequest{PropsRequest: req}
	if run.StashID, run.NewStash, err = parseStashID(body.StashID); err != nil {
		return response{}, err
	}
	out, err := e.connect.RunAction(c.access(), c.projectID, c.env, run)
	if err != nil {
		return response{}, err
	}
	exports := out.Exports
	if exports == nil {
		exports = map[string]any{}
	}
	os := out.Os
	if os == nil {
		os = []map[string]any{}
	}
	return ok(runActionJSON{Exports: exports, Os: os, Ret: out.Ret, StashID: out.StashID})
}

// parseStashID reads stash_id (string | "NEW" | boolean): absent, null or
// false ask for no stash; "", "NEW" or true for a new one (File Stash's
// documented values); any other string reuses that stash.
func parseStashID(raw json.RawMessage) (id string, isNew bool, err error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", false, nil
	}
	var b bool
	if json.Unmarshal(raw, &b) == nil {
		return "", b, nil
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return "", false, apperr.ErrInvalid.WithMessage(`stash_id must be a string, "NEW" or a boolean`)
	}
	if s == "" || s == "NEW" {
		return "", true, nil
	}
	if len(s) > 200 {
		return "", false, apperr.ErrInvalid.WithMessage("stash_id is longer than 200 bytes")
	}
	return s, false, nil
}

// deployTrigger serves POST …/triggers/deploy: 200 {data: DeployedComponent}.
// The new webhook's signing key (webhook_signing_key) is shown to OAuth
// callers only, as Pipedream documents.
func (e *Emulator) deployTrigger(r *http.Request, c *call) (response, error) {
	var body struct {
		propsBody
		WorkflowID   string `json:"workflow_id"`
		WebhookURL   string `json:"webhook_url"`
		EmitOnDeploy *bool  `json:"emit_on_deploy"`
	}
	if err := decodeJSON(r, &body); err != nil {
		return response{}, err
	}
	req, err := body.request(c)
	if err != nil {
		return response{}, err
	}
	t, err := e.connect.DeployTrigger(c.access(), c.projectID, c.env, connect.DeployRequest{
		PropsRequest: req, WorkflowID: body.WorkflowID, WebhookURL: body.WebhookURL, EmitOnDeploy: body.EmitOnDeploy,
	})
	if err != nil {
		return response{}, err
	}
	out := toDeployedJSON(t)
	if c.isOAuth() && body.WebhookURL != "" && len(t.Webhooks) > 0 {
		out.WebhookSigningKey = t.Webhooks[0].SigningKey
	}
	return ok(map[string]any{"data": out})
}

// registeredComponentJSON is the control plane's view of a component: the
// wire's Component plus what only the emulator knows.
type registeredComponentJSON struct {
	componentJSON
	ID       string `json:"id"`
	App      string `json:"app"`
	Registry string `json:"registry"`
}

// registerComponent serves POST /_emulator/components (strict JSON): add a
// component, or replace the same key and version.
func (e *Emulator) registerComponent(r *http.Request, _ *call) (response, error) {
	var doc wire.ComponentSpec
	if err := decodeStrictJSON(r, &doc); err != nil {
		return response{}, err
	}
	comp, err := e.connect.RegisterComponent(connect.ComponentSpecFrom(doc))
	if err != nil {
		return response{}, err
	}
	return created(registeredComponentJSON{componentJSON: toComponentJSON(comp), ID: comp.ID, App: comp.App, Registry: comp.Registry})
}
