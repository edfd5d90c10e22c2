package connect

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/pdemu/pdemu/emulator/apperr"
)

// Using components: configuring a prop's options, reloading props, running
// actions (deploying triggers is in deployed.go). pdemu runs no component
// code; what each call returns is derived from the catalog, the request and
// the store's state, deterministically.

// PropsRequest is what configure, reload, run and deploy requests share:
// which component, for which external user, configured how.
type PropsRequest struct {
	// ID is the component's key (or its sc_ id).
	ID string
	// Version is a SemVer; empty means the newest.
	Version        string
	ExternalUserID string
	// ConfiguredProps maps prop names to values; an app prop's value is
	// {"authProvisionId": "apn_…"}, and a value may come wrapped as
	// {"__lv": {label, value}} (props with withLabel).
	ConfiguredProps map[string]any
	// DynamicPropsID names a reloadProps result (dyp_…) whose prop list
	// replaces the component's own.
	DynamicPropsID string
}

// resolve finds the component and the prop list a request works with;
// callers hold the lock. Errors: invalid_request, not_found.
func (s *Store) resolve(a Access, projectID string, env Environment, kind ComponentKind, req PropsRequest) (*projectRecord, *Component, []Prop, error) {
	if req.ID == "" {
		return nil, nil, nil, apperr.ErrInvalid.WithMessage("id is required: the component's key, e.g. slack-send-message")
	}
	if err := ValidateExternalID(req.ExternalUserID); err != nil {
		return nil, nil, nil, err
	}
	p, err := s.project(a, projectID)
	if err != nil {
		return nil, nil, nil, err
	}
	comp, err := s.components.find(kind, req.ID, req.Version)
	if err != nil {
		return nil, nil, nil, err
	}
	props := comp.Props
	if req.DynamicPropsID != "" {
		d, ok := s.dynamic.byID[req.DynamicPropsID]
		if !ok || d.user != (userKey{projectID, env, req.ExternalUserID}) || d.ComponentID != comp.ID {
			return nil, nil, nil, apperr.ErrInvalid.WithMessage("dynamic_props_id %q is not a reloadProps result of %s@%s for this external user", req.DynamicPropsID, comp.Key, comp.Version)
		}
		props = d.Props
	}
	return p, comp, props, nil
}

// checkConfigured checks configured values against props: each value's
// type, and that every app prop names an account of this user for the
// prop's app. With full set, every required prop must have a value (run,
// deploy); configure and reload take partial configurations. Values of
// props the component does not have are ignored, as Pipedream ignores
// them. Callers hold the lock. Errors: invalid_request.
func (s *Store) checkConfigured(props []Prop, configured map[string]any, user userKey, full bool) error {
	var missing []string
	for _, p := range props {
		v := configured[p.Name]
		if v == nil {
			if full && p.required() {
				missing = append(missing, p.Name)
			}
			continue
		}
		if p.Type == "app" {
			if err := s.checkAccount(p, v, user); err != nil {
				return err
			}
			continue
		}
		if err := checkPropValue(p, unwrapLabel(v)); err != nil {
			return err
		}
	}
	if len(missing) > 0 {
		return apperr.ErrInvalid.WithMessage("configured_props is missing required props: %s", strings.Join(missing, ", ")).
			WithDetails(map[string]any{"missing_props": missing})
	}
	return nil
}

// checkAccount checks an app prop's value: {"authProvisionId": "apn_…"}
// naming an account of this user, in this project and environment, for
// the prop's app.
func (s *Store) checkAccount(p Prop, v any, user userKey) error {
	m, _ := v.(map[string]any)
	apn, _ := m["authProvisionId"].(string)
	if apn == "" {
		return apperr.ErrInvalid.WithMessage(`prop %q is an app prop: its value must be {"authProvisionId": "apn_…"}`, p.Name)
	}
	acc, ok := s.accounts.byKey[apn]
	if !ok || acc.ProjectID != user.project || acc.Environment != user.env || acc.ExternalUserID != user.externalID {
		return apperr.ErrInvalid.WithMessage("prop %q: external user %q has no account %q in %s", p.Name, user.externalID, apn, user.env)
	}
	if acc.AppSlug != p.App {
		return apperr.ErrInvalid.WithMessage("prop %q needs a %s account; %s is a %s account", p.Name, p.App, apn, acc.AppSlug)
	}
	return nil
}

// unwrapLabel returns the value of a {"__lv": {label, value}} wrapper (or
// the values of a {"__lv": [{label, value}, …]} one), or v itself.
func unwrapLabel(v any) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	switch lv := m["__lv"].(type) {
	case map[string]any:
		return lv["value"]
	case []any:
		out := make([]any, len(lv))
		for i, e := range lv {
			if em, ok := e.(map[string]any); ok {
				out[i] = em["value"]
			} else {
				out[i] = e
			}
		}
		return out
	}
	return v
}

// checkPropValue checks that v has the JSON type p's type needs.
func checkPropValue(p Prop, v any) error {
	bad := func(want string) error {
		return apperr.ErrInvalid.WithMessage("prop %q (%s) must be %s", p.Name, p.Type, want)
	}
	switch p.Type {
	case "string":
		if _, ok := v.(string); !ok {
			return bad("a string")
		}
	case "string[]":
		if _, ok := v.(string); ok {
			return nil // Pipedream takes a lone string for a one-element array
		}
		list, ok := v.([]any)
		if !ok {
			return bad("an array of strings")
		}
		for _, e := range list {
			if _, ok := unwrapLabel(e).(string); !ok {
				return bad("an array of strings")
			}
		}
	case "integer":
		return checkInteger(p, v, bad)
	case "integer[]":
		list, ok := v.([]any)
		if !ok {
			return bad("an array of integers")
		}
		for _, e := range list {
			if err := checkInteger(p, unwrapLabel(e), bad); err != nil {
				return err
			}
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			return bad("true or false")
		}
	case "object", "$.interface.timer":
		if _, ok := v.(map[string]any); !ok {
			return bad("an object")
		}
	}
	return nil
}

func checkInteger(p Prop, v any, bad func(string) error) error {
	var f float64
	switch n := v.(type) {
	case float64:
		f = n
	case json.Number:
		var err error
		if f, err = n.Float64(); err != nil {
			return bad("an integer")
		}
	default:
		return bad("an integer")
	}
	if f != math.Trunc(f) || math.IsInf(f, 0) {
		return bad("an integer")
	}
	if (p.Min != nil && f < *p.Min) || (p.Max != nil && f > *p.Max) {
		lo, hi := "-∞", "∞"
		if p.Min != nil {
			lo = fmt.Sprint(*p.Min)
		}
		if p.Max != nil {
			hi = fmt.Sprint(*p.Max)
		}
		return bad(fmt.Sprintf("an integer from %s to %s", lo, hi))
	}
	return nil
}

// ConfigureRequest asks for a prop's options.
type ConfigureRequest struct {
	PropsRequest
	PropName string
	// Query filters options by label (props with useQuery).
	Query string
	// Page is the page of options; pdemu serves every option on page 0.
	Page        int
	PrevContext map[string]any
}

// ConfigureResult is a prop's options (the SDK's ConfigurePropResponse).
type ConfigureResult struct {
	// Options are {label, value} (or {"__lv": …}) objects.
	Options []any
	// StringOptions is set when every option is a plain string.
	StringOptions []string
}

// ConfigureProp returns the options of a prop: those registered for it
// (configure_options), else its static options, else (for remoteOptions
// props) three made-up ones. Errors: invalid_request (missing fields, an
// unknown prop, an app prop, a prop without options, bad configured
// values), not_found (project, component).
func (s *Store) ConfigureProp(a Access, projectID string, env Environment, kind ComponentKind, req ConfigureRequest) (ConfigureResult, error) {
	if req.PropName == "" {
		return ConfigureResult{}, apperr.ErrInvalid.WithMessage("prop_name is required")
	}
	if req.Page < 0 {
		return ConfigureResult{}, apperr.ErrInvalid.WithMessage("page must be a whole number >= 0")
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	_, comp, props, err := s.resolve(a, projectID, env, kind, req.PropsRequest)
	if err != nil {
		return ConfigureResult{}, err
	}
	prop, ok := findProp(props, req.PropName)
	if !ok {
		return ConfigureResult{}, apperr.ErrInvalid.WithMessage("%s has no prop %q", comp.Key, req.PropName)
	}
	if prop.Type == "app" {
		return ConfigureResult{}, apperr.ErrInvalid.WithMessage("prop %q is an app prop: its value is a connected account, {\"authProvisionId\": \"apn_…\"}", prop.Name)
	}
	if err := s.checkConfigured(props, req.ConfiguredProps, userKey{projectID, env, req.ExternalUserID}, false); err != nil {
		return ConfigureResult{}, err
	}
	opts, ok := comp.ConfigureOptions[prop.Name]
	switch {
	case ok:
	case len(prop.Options) > 0:
		opts = prop.Options
	case prop.RemoteOptions:
		label := cmpOr(prop.Label, prop.Name)
		for i := 1; i <= 3; i++ {
			opts = append(opts, map[string]any{"label": fmt.Sprintf("%s %d", label, i), "value": fmt.Sprintf("%s-%d", prop.Name, i)})
		}
	default:
		return ConfigureResult{}, apperr.ErrInvalid.WithMessage("prop %q has no options to configure: its value is typed in", prop.Name)
	}
	if req.Page > 0 {
		opts = nil // every option is on page 0
	}
	return optionsResult(opts, req.Query), nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// optionsResult filters options by query (a case-insensitive substring of
// the label) and shapes them as the SDK reads them.
func optionsResult(opts []any, query string) ConfigureResult {
	needle := strings.ToLower(query)
	res := ConfigureResult{Options: []any{}}
	allStrings := len(opts) > 0
	var strs []string
	for _, o := range opts {
		label, obj := "", o
		switch v := o.(type) {
		case map[string]any:
			inner := v
			if lv, ok := v["__lv"].(map[string]any); ok {
				inner = lv
			}
			label, _ = inner["label"].(string)
			allStrings = false
		case string:
			label, obj = v, map[string]any{"label": v, "value": v}
			strs = append(strs, v)
		default:
			label = fmt.Sprint(v)
			obj = map[string]any{"label": label, "value": v}
			allStrings = false
		}
		if needle != "" && !strings.Contains(strings.ToLower(label), needle) {
			continue
		}
		res.Options = append(res.Options, obj)
	}
	if allStrings {
		res.StringOptions = []string{}
		for _, v := range strs {
			if needle == "" || strings.Contains(strings.ToLower(v), needle) {
				res.StringOptions = append(res.StringOptions, v)
			}
		}
	}
	return res
}

// DynamicProps is a reloadProps result: the component's prop list for one
// configuration, under an id (dyp_…) that configure, run and deploy take.
type DynamicProps struct {
	ID    string
	Props []Prop
}

// ReloadProps computes a component's props for a configuration: its own
// props, plus its dynamic props once one of its reloadProps props has a
// value (or always, when it has none). The result is kept under a new
// dyp_ id for this user (the newest 100 per user are kept). Errors:
// invalid_request, not_found, limit_exceeded.
func (s *Store) ReloadProps(a Access, projectID string, env Environment, kind ComponentKind, req PropsRequest) (DynamicProps, error) {
	s.lock()
	defer s.mu.Unlock()
	_, comp, props, err := s.resolve(a, projectID, env, kind, req)
	if err != nil {
		return DynamicProps{}, err
	}
	user := userKey{projectID, env, req.ExternalUserID}
	if err := s.checkConfigured(props, req.ConfiguredProps, user, false); err != nil {
		return DynamicProps{}, err
	}
	out := slices.Clone(comp.Props)
	reloaders := 0
	reload := false
	for _, p := range comp.Props {
		if p.ReloadProps {
			reloaders++
			reload = reload || req.ConfiguredProps[p.Name] != nil
		}
	}
	if reload || reloaders == 0 {
		out = append(out, comp.DynamicProps...)
	}
	if s.dynamic.count(user) < maxDynamicPerUser { // else the user's oldest makes room
		if err := s.limits.check(LimitDynamicProps, s.dynamic.size()); err != nil {
			return DynamicProps{}, err
		}
	}
	d := &dynamicProps{ID: s.gen.New("dyp_", 7), ComponentID: comp.ID, user: user, Props: out, seq: s.nextSeq()}
	s.dynamic.add(d)
	return DynamicProps{ID: d.ID, Props: slices.Clone(out)}, nil
}

// RunRequest asks to run an action.
type RunRequest struct {
	PropsRequest
	// StashID reuses a File Stash; NewStash asks for a new one (the wire's
	// "", "NEW" or true). A component whose stash is required gets a new
	// one when neither is given.
	StashID  string
	NewStash bool
}

// RunOutput is an action's result (the SDK's RunActionResponse).
type RunOutput struct {
	RunResult
	StashID string
}

// RunAction runs an action: it checks the configuration as Pipedream would
// before running (required props, app props naming the user's own accounts
// of the right app, value types) and returns the result registered for the
// component, or by default an echo of the input: ret {component, version,
// external_user_id, configured_props (secret props left out)} and the
// export $summary. It counts one action run of usage. Errors:
// invalid_request, not_found.
func (s *Store) RunAction(a Access, projectID string, env Environment, req RunRequest) (RunOutput, error) {
	now := s.clock.Now()
	s.lock()
	defer s.mu.Unlock()
	p, comp, props, err := s.resolve(a, projectID, env, KindAction, req.PropsRequest)
	if err != nil {
		return RunOutput{}, err
	}
	if err := s.checkConfigured(props, req.ConfiguredProps, userKey{projectID, env, req.ExternalUserID}, true); err != nil {
		return RunOutput{}, err
	}
	var out RunOutput
	if r := comp.Run; r != nil {
		out.Exports, out.Ret = r.Exports, r.Ret
		out.Os = make([]map[string]any, len(r.Os))
		for i, o := range r.Os {
			o = maps.Clone(o)
			if _, ok := o["ts"]; !ok {
				o["ts"] = now.UnixMilli()
			}
			if _, ok := o["k"]; !ok {
				o["k"] = "console.log"
			}
			out.Os[i] = o
		}
	} else {
		echo := map[string]any{}
		for k, v := range req.ConfiguredProps {
			if prop, ok := findProp(props, k); ok && prop.Secret {
				continue
			}
			echo[k] = v
		}
		out.Ret = map[string]any{
			"component": comp.Key, "version": comp.Version,
			"external_user_id": req.ExternalUserID, "configured_props": echo,
		}
		out.Exports = map[string]any{"$summary": "Ran " + comp.Name}
		out.Os = []map[string]any{}
	}
	switch {
	case req.NewStash, req.StashID == "" && comp.Stash == StashRequired:
		out.StashID = s.newStashID()
	default:
		out.StashID = req.StashID
	}
	s.usage.record(p.WorkspaceID, projectID, env, usageActionRun, now, s.limits[LimitUsageSeconds])
	return out, nil
}

// newStashID makes a File Stash id: 32 hex digits, as Pipedream's are.
func (s *Store) newStashID() string {
	var b [16]byte
	_, _ = s.gen.Read(b[:]) // never fails
	return hex.EncodeToString(b[:])
}
