package connect

import (
	"cmp"
	"encoding/hex"
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// State is everything a Store holds, as JSON: what pdemu's state documents
// (GET and PUT /_emulator/state, snapshots, the state file) carry for the
// Connect API. It has no version of its own; the emulator wraps it in a
// versioned document. Field names are stable and snake_case.
//
// Families are listed in the order they depend on each other (a record
// names only records of earlier lists), and each list is sorted by
// creation seq, or by key where a family has no seq, so that exporting
// the same store twice gives the same bytes.
//
// The built-in app and component catalogs come from the binary, so Apps
// and Components hold only what was added to them. Records that copy a
// catalog app (accounts, OAuth clients, app overrides) name it by its
// slug: apps are never changed or removed while such records live, so the
// catalog's entry is the copy.
//
// Free-form JSON values (credentials, configured props, event payloads,
// prop defaults) are kept as raw JSON. A number in them comes back as a
// float64, which is how the store holds numbers it decoded itself, unless
// its record's exact_numbers lists it: then it comes back as a
// json.Number with the same text, which is how the store holds numbers it
// was asked to keep as written (app override values) and numbers of other
// Go types. Either way it prints as it did.
type State struct {
	// Seq is the creation sequence counter: every record's seq is at most
	// Seq, and the next record created gets Seq+1, so records created
	// after an import list after the imported ones, and paging cursors
	// (which are seqs) issued before the export still page the same.
	Seq uint64 `json:"seq"`
	// Limits is every limit in force, by name (see Limits).
	Limits              map[string]int      `json:"limits"`
	Apps                []StateApp          `json:"apps"`
	Components          []StateComponent    `json:"components"`
	Workspaces          []StateWorkspace    `json:"workspaces"`
	Projects            []StateProject      `json:"projects"`
	Users               []StateUser         `json:"users"`
	OAuthApps           []StateOAuthApp     `json:"oauth_apps"`
	AppOverrides        []StateAppOverride  `json:"app_overrides"`
	Accounts            []StateAccount      `json:"accounts"`
	Tokens              []StateToken        `json:"tokens"`
	DeployedTriggers    []StateTrigger      `json:"deployed_triggers"`
	DynamicProps        []StateDynamicProps `json:"dynamic_props"`
	Files               []StateFile         `json:"files"`
	Usage               []StateUsage        `json:"usage"`
	Workflows           []StateWorkflow     `json:"workflows"`
	WorkflowInvocations []StateInvocation   `json:"workflow_invocations"`
	Proxy               StateProxy          `json:"proxy"`
}

// StateApp is an app added to the catalog beyond the built-in ones.
type StateApp struct {
	ID             string              `json:"id"`
	NameSlug       string              `json:"name_slug"`
	Name           string              `json:"name"`
	AuthType       string              `json:"auth_type"`
	Description    string              `json:"description"`
	ImgSrc         string              `json:"img_src"`
	Categories     []string            `json:"categories"`
	FeaturedWeight float64             `json:"featured_weight"`
	ScopeProfiles  []StateScopeProfile `json:"scope_profiles"`
	HasActions     bool                `json:"has_actions"`
	HasTriggers    bool                `json:"has_triggers"`
	CustomFields   []StateCustomField  `json:"custom_fields"`
	// ExactNumbers lists the numbers of the record's free-form values to
	// keep as written (JSON Pointers into this object); see State.
	ExactNumbers []string `json:"exact_numbers,omitempty"`
}

// StateScopeProfile is a named set of OAuth scopes an app offers.
type StateScopeProfile struct {
	Name   string   `json:"name"`
	Scopes []string `json:"scopes"`
}

// StateCustomField is a field of a keys app.
type StateCustomField struct {
	Name        string          `json:"name"`
	Label       string          `json:"label"`
	Description *string         `json:"description,omitempty"`
	Default     json.RawMessage `json:"default,omitempty"`
	Optional    *bool           `json:"optional,omitempty"`
	Type        string          `json:"type"`
}

// StateComponent is a component version registered beyond the built-in
// catalog (or replacing one of its versions).
type StateComponent struct {
	ID               string            `json:"id"`
	Key              string            `json:"key"`
	Name             string            `json:"name"`
	Version          string            `json:"version"`
	Type             ComponentKind     `json:"type"`
	App              string            `json:"app"`
	Description      string            `json:"description"`
	Registry         string            `json:"registry"`
	Stash            string            `json:"stash,omitempty"`
	Annotations      *StateAnnotations `json:"annotations,omitempty"`
	Props            []StateProp       `json:"props"`
	DynamicProps     []StateProp       `json:"dynamic_props"`
	ConfigureOptions json.RawMessage   `json:"configure_options,omitempty"`
	Run              *StateRunResult   `json:"run,omitempty"`
	// ExactNumbers: see StateApp.
	ExactNumbers []string `json:"exact_numbers,omitempty"`
}

// StateAnnotations are a component's hints for tool-calling agents.
type StateAnnotations struct {
	DestructiveHint *bool  `json:"destructive_hint,omitempty"`
	IdempotentHint  *bool  `json:"idempotent_hint,omitempty"`
	OpenWorldHint   *bool  `json:"open_world_hint,omitempty"`
	ReadOnlyHint    *bool  `json:"read_only_hint,omitempty"`
	Title           string `json:"title,omitempty"`
}

// StateRunResult is what running an action returns.
type StateRunResult struct {
	Exports json.RawMessage `json:"exports,omitempty"`
	Os      json.RawMessage `json:"os,omitempty"`
	Ret     json.RawMessage `json:"ret,omitempty"`
}

// StateProp is a configurable prop of a component.
type StateProp struct {
	Name           string          `json:"name"`
	Type           string          `json:"type"`
	App            string          `json:"app,omitempty"`
	Label          string          `json:"label,omitempty"`
	Description    string          `json:"description,omitempty"`
	Optional       bool            `json:"optional,omitempty"`
	Disabled       bool            `json:"disabled,omitempty"`
	ReadOnly       bool            `json:"read_only,omitempty"`
	Hidden         bool            `json:"hidden,omitempty"`
	RemoteOptions  bool            `json:"remote_options,omitempty"`
	UseQuery       bool            `json:"use_query,omitempty"`
	ReloadProps    bool            `json:"reload_props,omitempty"`
	WithLabel      bool            `json:"with_label,omitempty"`
	Secret         bool            `json:"secret,omitempty"`
	Format         string          `json:"format,omitempty"`
	Min            *float64        `json:"min,omitempty"`
	Max            *float64        `json:"max,omitempty"`
	Default        json.RawMessage `json:"default,omitempty"`
	Options        json.RawMessage `json:"options,omitempty"`
	Static         json.RawMessage `json:"static,omitempty"`
	Content        string          `json:"content,omitempty"`
	AlertType      string          `json:"alert_type,omitempty"`
	CustomResponse bool            `json:"custom_response,omitempty"`
}

// StateWorkspace is a workspace.
type StateWorkspace struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// StateProject is a project with its environments' webhooks and its logo.
type StateProject struct {
	ID                        string    `json:"id"`
	Seq                       uint64    `json:"seq"`
	WorkspaceID               string    `json:"workspace_id"`
	Name                      string    `json:"name"`
	AppName                   string    `json:"app_name"`
	SupportEmail              string    `json:"support_email"`
	ConnectRequireKeyAuthTest bool      `json:"connect_require_key_auth_test"`
	CreatedAt                 time.Time `json:"created_at"`
	UpdatedAt                 time.Time `json:"updated_at"`
	// Webhooks are the environments' webhooks, production first; an
	// environment without one is left out.
	Webhooks []StateProjectWebhook `json:"webhooks,omitempty"`
	Logo     *StateLogo            `json:"logo,omitempty"`
}

// StateProjectWebhook is the webhook of one project environment.
type StateProjectWebhook struct {
	Environment Environment `json:"environment"`
	ID          string      `json:"id"`
	URL         string      `json:"url"`
	SigningKey  string      `json:"signing_key"`
	CreatedAt   time.Time   `json:"created_at"`
	UpdatedAt   time.Time   `json:"updated_at"`
}

// StateLogo is a project's logo; Data is base64 in JSON.
type StateLogo struct {
	MediaType string    `json:"media_type"`
	Data      []byte    `json:"data"`
	UpdatedAt time.Time `json:"updated_at"`
}

// StateUser is an external user of a project environment.
type StateUser struct {
	ID          string      `json:"id"`
	Seq         uint64      `json:"seq"`
	ProjectID   string      `json:"project_id"`
	Environment Environment `json:"environment"`
	ExternalID  string      `json:"external_id"`
	CreatedAt   time.Time   `json:"created_at"`
	UpdatedAt   time.Time   `json:"updated_at"`
	// TriggerSlugHints is, per base name slug, the next numeric suffix the
	// user's next deployed trigger of that name tries: freed suffixes are
	// not handed out again, so it cannot be derived from the triggers.
	TriggerSlugHints map[string]int `json:"trigger_slug_hints,omitempty"`
}

// StateOAuthApp is a custom OAuth client. Only the secret's SHA-256 is
// kept, as the store keeps it.
type StateOAuthApp struct {
	ID      string `json:"id"`
	Seq     uint64 `json:"seq"`
	OwnerID string `json:"owner_id"`
	// App is the catalog app's name slug.
	App                string    `json:"app"`
	Name               string    `json:"name"`
	Description        string    `json:"description"`
	ClientID           string    `json:"client_id"`
	ClientSecretSHA256 string    `json:"client_secret_sha256"`
	Scopes             []string  `json:"scopes"`
	AdditionalScopes   []string  `json:"additional_scopes"`
	CreatedAt          time.Time `json:"created_at"`
	UpdatedAt          time.Time `json:"updated_at"`
}

// StateAppOverride is an app override.
type StateAppOverride struct {
	ID      string `json:"id"`
	Seq     uint64 `json:"seq"`
	OwnerID string `json:"owner_id"`
	// App is the catalog app's name slug.
	App        string          `json:"app"`
	Name       string          `json:"name"`
	OAuthAppID string          `json:"oauth_app_id"`
	Cfmap      json.RawMessage `json:"cfmap,omitempty"`
	CreatedAt  time.Time       `json:"created_at"`
	UpdatedAt  time.Time       `json:"updated_at"`
	// ExactNumbers: see StateApp.
	ExactNumbers []string `json:"exact_numbers,omitempty"`
}

// StateAccount is a connected account. Its catalog app is the one AppSlug
// names.
type StateAccount struct {
	ID               string          `json:"id"`
	Seq              uint64          `json:"seq"`
	ProjectID        string          `json:"project_id"`
	Environment      Environment     `json:"environment"`
	ExternalUserID   string          `json:"external_user_id"`
	AppSlug          string          `json:"app_slug"`
	Name             string          `json:"name"`
	Healthy          bool            `json:"healthy"`
	Dead             bool            `json:"dead"`
	Error            string          `json:"error"`
	Credentials      json.RawMessage `json:"credentials,omitempty"`
	AuthorizedScopes []string        `json:"authorized_scopes"`
	OAuthAppID       string          `json:"oauth_app_id"`
	AppOverrideID    string          `json:"app_override_id"`
	CreatedAt        time.Time       `json:"created_at"`
	UpdatedAt        time.Time       `json:"updated_at"`
	// RefreshedAt is when the credentials were last replaced: the OAuth
	// refresh timing accounts show counts from there.
	RefreshedAt time.Time `json:"refreshed_at"`
	// ExactNumbers: see StateApp.
	ExactNumbers []string `json:"exact_numbers,omitempty"`
}

// StateToken is a Connect token; Token is the bearer secret itself.
type StateToken struct {
	Token                  string      `json:"token"`
	Seq                    uint64      `json:"seq"`
	WorkspaceID            string      `json:"workspace_id"`
	ProjectID              string      `json:"project_id"`
	Environment            Environment `json:"environment"`
	ExternalUserID         string      `json:"external_user_id"`
	Scopes                 []string    `json:"scopes"`
	CreatedAt              time.Time   `json:"created_at"`
	ExpiresAt              time.Time   `json:"expires_at"`
	AllowedOrigins         []string    `json:"allowed_origins"`
	SuccessRedirectURI     string      `json:"success_redirect_uri"`
	ErrorRedirectURI       string      `json:"error_redirect_uri"`
	WebhookURI             string      `json:"webhook_uri"`
	AllowProgressiveScopes bool        `json:"allow_progressive_scopes"`
	AppID                  string      `json:"app_id"`
	OAuthAppID             string      `json:"oauth_app_id"`
	Used                   bool        `json:"used"`
}

// StateTrigger is a deployed trigger with its webhooks and kept events.
type StateTrigger struct {
	ID               string                `json:"id"`
	Seq              uint64                `json:"seq"`
	ProjectID        string                `json:"project_id"`
	Environment      Environment           `json:"environment"`
	ExternalUserID   string                `json:"external_user_id"`
	OwnerID          string                `json:"owner_id"`
	ComponentID      string                `json:"component_id"`
	ComponentKey     string                `json:"component_key"`
	ComponentVersion string                `json:"component_version"`
	Props            []StateProp           `json:"props"`
	ConfiguredProps  json.RawMessage       `json:"configured_props,omitempty"`
	Active           bool                  `json:"active"`
	Name             string                `json:"name"`
	NameSlug         string                `json:"name_slug"`
	EmitOnDeploy     bool                  `json:"emit_on_deploy"`
	WorkflowIDs      []string              `json:"workflow_ids"`
	Webhooks         []StateTriggerWebhook `json:"webhooks"`
	// Events are the kept events, oldest first.
	Events    []StateEvent `json:"events"`
	CreatedAt time.Time    `json:"created_at"`
	UpdatedAt time.Time    `json:"updated_at"`
	// ExactNumbers: see StateApp.
	ExactNumbers []string `json:"exact_numbers,omitempty"`
}

// StateTriggerWebhook is a URL a deployed trigger delivers to.
type StateTriggerWebhook struct {
	ID         string    `json:"id"`
	URL        string    `json:"url"`
	SigningKey string    `json:"signing_key"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// StateEvent is an event a deployed trigger emitted.
type StateEvent struct {
	ID      string          `json:"id"`
	Payload json.RawMessage `json:"payload,omitempty"`
	Summary string          `json:"summary"`
	Time    time.Time       `json:"time"`
}

// StateDynamicProps is a reloadProps result, filed under the external user
// it was computed for (who need not exist: reloadProps makes no users).
type StateDynamicProps struct {
	ID             string      `json:"id"`
	Seq            uint64      `json:"seq"`
	ProjectID      string      `json:"project_id"`
	Environment    Environment `json:"environment"`
	ExternalUserID string      `json:"external_user_id"`
	ComponentID    string      `json:"component_id"`
	Props          []StateProp `json:"props"`
	// ExactNumbers: see StateApp.
	ExactNumbers []string `json:"exact_numbers,omitempty"`
}

// StateFile is a File Stash file; Content is base64 in JSON.
type StateFile struct {
	Seq         uint64      `json:"seq"`
	ProjectID   string      `json:"project_id"`
	Environment Environment `json:"environment"`
	S3Key       string      `json:"s3_key"`
	Content     []byte      `json:"content"`
	ContentType string      `json:"content_type"`
	CreatedAt   time.Time   `json:"created_at"`
	ExpiresAt   time.Time   `json:"expires_at"`
}

// StateUsage is what one project of a workspace had metered in one second
// (Sec, Unix seconds): counts of operations, not credits.
type StateUsage struct {
	Sec         int64  `json:"sec"`
	WorkspaceID string `json:"workspace_id"`
	ProjectID   string `json:"project_id"`
	ActionRuns  int64  `json:"action_runs"`
	ProxyCalls  int64  `json:"proxy_calls"`
	SourceEmits int64  `json:"source_emits"`
}

// StateWorkflow is a registered workflow endpoint. Body is the canned
// answer's JSON text exactly as registered; empty means pdemu's default.
type StateWorkflow struct {
	EndpointID string            `json:"endpoint_id"`
	Status     int               `json:"status"`
	Headers    map[string]string `json:"headers"`
	Body       string            `json:"body,omitempty"`
	Auth       WorkflowAuth      `json:"auth,omitempty"`
	Token      string            `json:"token,omitempty"`
	CreatedAt  time.Time         `json:"created_at"`
}

// StateInvocation is a request a workflow endpoint received. The list in
// State holds each endpoint's invocations oldest first.
type StateInvocation struct {
	ID             string            `json:"id"`
	EndpointID     string            `json:"endpoint_id"`
	Method         string            `json:"method"`
	Path           string            `json:"path"`
	Query          string            `json:"query"`
	Headers        map[string]string `json:"headers"`
	Body           []byte            `json:"body"`
	ExternalUserID string            `json:"external_user_id"`
	Auth           string            `json:"auth"`
	WorkspaceID    string            `json:"workspace_id"`
	ReceivedAt     time.Time         `json:"received_at"`
}

// StateProxy is the Connect proxy's allow-list: Hosts is the one in force,
// BaseHosts the configured one Reset restores (null: the default,
// DefaultProxyHosts). Null Hosts means the base.
type StateProxy struct {
	Hosts     []string `json:"hosts"`
	BaseHosts []string `json:"base_hosts"`
}

// environments lists the environments by their index.
var environments = [numEnvironments]Environment{Production, Development}

// builtinAppSlugs and builtinComponentSet tell the built-in catalog
// entries from added ones: apps are never replaced, so a built-in slug is
// the built-in app; components may be, so they are told apart by record.
var (
	builtinAppSlugs = func() map[string]bool {
		m := make(map[string]bool, len(builtinApps))
		for _, a := range builtinApps {
			m[a.NameSlug] = true
		}
		return m
	}()
	builtinComponentSet = func() map[*Component]bool {
		m := make(map[*Component]bool, len(builtinComponents))
		for _, c := range builtinComponents {
			m[c] = true
		}
		return m
	}()
)

// Export returns everything the store holds (see State), as deep copies:
// nothing in the result shares memory with the store. It takes the read
// lock, so it sees one instant of the store; expired records that no write
// has pruned yet are included, as the store still holds them.
func (s *Store) Export() State {
	s.mu.RLock()
	defer s.mu.RUnlock()
	st := State{
		Seq:    s.seq,
		Limits: maps.Clone(map[string]int(s.limits)),
	}
	st.Apps = s.exportApps()
	st.Components = s.exportComponents()

	st.Workspaces = make([]StateWorkspace, 0, len(s.workspaces))
	for _, w := range s.workspaces {
		st.Workspaces = append(st.Workspaces, StateWorkspace{ID: w.ID, Name: w.Name})
	}
	slices.SortFunc(st.Workspaces, func(a, b StateWorkspace) int { return cmp.Compare(a.ID, b.ID) })

	projects := sortedBySeq(s.projects, func(p *projectRecord) uint64 { return p.seq })
	st.Projects = make([]StateProject, len(projects))
	for i, p := range projects {
		st.Projects[i] = exportProject(p)
	}
	users := sortedBySeq(s.users, func(u *userRecord) uint64 { return u.seq })
	st.Users = make([]StateUser, len(users))
	for i, u := range users {
		st.Users[i] = StateUser{ID: u.ID, Seq: u.seq, ProjectID: u.ProjectID, Environment: u.Environment,
			ExternalID: u.ExternalID, CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt}
		if len(u.slugs.next) > 0 {
			st.Users[i].TriggerSlugHints = maps.Clone(u.slugs.next)
		}
	}
	st.OAuthApps = exportFamily(&s.oauthApps, exportOAuthApp)
	st.AppOverrides = exportFamily(&s.overrides, exportOverride)
	st.Accounts = exportFamily(&s.accounts, exportAccount)
	st.Tokens = exportFamily(&s.tokens, exportToken)
	st.DeployedTriggers = exportFamily(&s.deployed, exportTrigger)
	dynamic := sortedBySeq(s.dynamic.byID, func(d *dynamicProps) uint64 { return d.seq })
	st.DynamicProps = make([]StateDynamicProps, len(dynamic))
	for i, d := range dynamic {
		var w valueWriter
		st.DynamicProps[i] = StateDynamicProps{ID: d.ID, Seq: d.seq, ProjectID: d.user.project,
			Environment: d.user.env, ExternalUserID: d.user.externalID, ComponentID: d.ComponentID,
			Props: w.props("/props", d.Props)}
		st.DynamicProps[i].ExactNumbers = w.exactNumbers()
	}
	st.Files = exportFamily(&s.files, func(f *StashFile) StateFile {
		return StateFile{Seq: f.seq, ProjectID: f.ProjectID, Environment: f.Environment, S3Key: f.S3Key,
			Content: slices.Clone(f.Content), ContentType: f.ContentType, CreatedAt: f.CreatedAt, ExpiresAt: f.ExpiresAt}
	})

	st.Usage = make([]StateUsage, 0, s.usage.buckets.Len())
	s.usage.buckets.Ascend(func(b *usageBucket) bool {
		st.Usage = append(st.Usage, StateUsage{Sec: b.sec, WorkspaceID: b.workspace, ProjectID: b.project,
			ActionRuns: b.actionRuns, ProxyCalls: b.proxyCalls, SourceEmits: b.sourceEmits})
		return true
	})
	st.Workflows = make([]StateWorkflow, 0, len(s.workflows.registered))
	for _, id := range slices.Sorted(maps.Keys(s.workflows.registered)) {
		w := s.workflows.registered[id]
		st.Workflows = append(st.Workflows, StateWorkflow{EndpointID: w.EndpointID, Status: w.Status,
			Headers: maps.Clone(w.Headers), Body: string(w.Body), Auth: w.Auth, Token: w.Token, CreatedAt: w.CreatedAt})
	}
	st.WorkflowInvocations = []StateInvocation{}
	for _, id := range slices.Sorted(maps.Keys(s.workflows.invocations)) {
		for _, inv := range s.workflows.invocations[id] {
			st.WorkflowInvocations = append(st.WorkflowInvocations, StateInvocation{ID: inv.ID,
				EndpointID: inv.EndpointID, Method: inv.Method, Path: inv.Path, Query: inv.Query,
				Headers: maps.Clone(inv.Headers), Body: slices.Clone(inv.Body), ExternalUserID: inv.ExternalUserID,
				Auth: inv.Auth, WorkspaceID: inv.WorkspaceID, ReceivedAt: inv.ReceivedAt})
		}
	}
	st.Proxy = StateProxy{Hosts: s.proxy.current.Hosts()}
	if s.proxy.base != nil {
		st.Proxy.BaseHosts = s.proxy.base.Hosts()
	}
	return st
}

// sortedBySeq returns a map's records in creation order.
func sortedBySeq[K comparable, T any](m map[K]*T, seq func(*T) uint64) []*T {
	out := make([]*T, 0, len(m))
	for _, t := range m {
		out = append(out, t)
	}
	slices.SortFunc(out, func(a, b *T) int { return cmp.Compare(seq(a), seq(b)) })
	return out
}

// exportFamily exports an owned family in creation order.
func exportFamily[T, S any](c *owned[T], export func(*T) S) []S {
	records := sortedBySeq(c.byKey, c.kind.seq)
	out := make([]S, len(records))
	for i, t := range records {
		out[i] = export(t)
	}
	return out
}

func (s *Store) exportApps() []StateApp {
	out := []StateApp{}
	for _, slug := range slices.Sorted(maps.Keys(s.apps.bySlug)) {
		if builtinAppSlugs[slug] {
			continue
		}
		a := s.apps.bySlug[slug]
		var w valueWriter
		sa := StateApp{ID: a.ID, NameSlug: a.NameSlug, Name: a.Name, AuthType: a.AuthType,
			Description: a.Description, ImgSrc: a.ImgSrc, Categories: slices.Clone(a.Categories),
			FeaturedWeight: a.FeaturedWeight, HasActions: a.HasActions, HasTriggers: a.HasTriggers}
		if a.ScopeProfiles != nil {
			sa.ScopeProfiles = make([]StateScopeProfile, len(a.ScopeProfiles))
			for i, p := range a.ScopeProfiles {
				sa.ScopeProfiles[i] = StateScopeProfile{Name: p.Name, Scopes: slices.Clone(p.Scopes)}
			}
		}
		if a.fields != nil {
			sa.CustomFields = make([]StateCustomField, len(a.fields))
			for i, f := range a.fields {
				sa.CustomFields[i] = StateCustomField{Name: f.Name, Label: f.Label, Description: clonePtr(f.Description),
					Default: w.value("/custom_fields/"+strconv.Itoa(i)+"/default", f.Default), Optional: clonePtr(f.Optional), Type: f.Type}
			}
		}
		sa.ExactNumbers = w.exactNumbers()
		out = append(out, sa)
	}
	return out
}

func (s *Store) exportComponents() []StateComponent {
	out := []StateComponent{}
	for _, key := range slices.Sorted(maps.Keys(s.components.byKey)) {
		for _, c := range s.components.byKey[key] { // ascending by version
			if builtinComponentSet[c] {
				continue
			}
			var w valueWriter
			sc := StateComponent{ID: c.ID, Key: c.Key, Name: c.Name, Version: c.Version, Type: c.Type, App: c.App,
				Description: c.Description, Registry: c.Registry, Stash: c.Stash,
				Props: w.props("/props", c.Props), DynamicProps: w.props("/dynamic_props", c.DynamicProps),
				ConfigureOptions: w.value("/configure_options", c.ConfigureOptions)}
			if c.Annotations != nil {
				a := StateAnnotations(*c.Annotations)
				a.DestructiveHint, a.IdempotentHint = clonePtr(a.DestructiveHint), clonePtr(a.IdempotentHint)
				a.OpenWorldHint, a.ReadOnlyHint = clonePtr(a.OpenWorldHint), clonePtr(a.ReadOnlyHint)
				sc.Annotations = &a
			}
			if c.Run != nil {
				sc.Run = &StateRunResult{Exports: w.value("/run/exports", c.Run.Exports),
					Os: w.value("/run/os", c.Run.Os), Ret: w.value("/run/ret", c.Run.Ret)}
			}
			sc.ExactNumbers = w.exactNumbers()
			out = append(out, sc)
		}
	}
	return out
}

func exportProject(p *projectRecord) StateProject {
	sp := StateProject{ID: p.ID, Seq: p.seq, WorkspaceID: p.WorkspaceID, Name: p.Name, AppName: p.AppName,
		SupportEmail: p.SupportEmail, ConnectRequireKeyAuthTest: p.ConnectRequireKeyAuthTest,
		CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
	for _, h := range p.webhooks {
		if h != nil {
			sp.Webhooks = append(sp.Webhooks, StateProjectWebhook{Environment: h.Environment, ID: h.ID, URL: h.URL,
				SigningKey: h.SigningKey, CreatedAt: h.CreatedAt, UpdatedAt: h.UpdatedAt})
		}
	}
	if p.logo != nil {
		sp.Logo = &StateLogo{MediaType: p.logo.MediaType, Data: slices.Clone(p.logo.Data), UpdatedAt: p.logo.UpdatedAt}
	}
	return sp
}

func exportOAuthApp(o *oauthAppRecord) StateOAuthApp {
	return StateOAuthApp{ID: o.ID, Seq: o.seq, OwnerID: o.OwnerID, App: o.App.NameSlug, Name: o.Name,
		Description: o.Description, ClientID: o.ClientID, ClientSecretSHA256: hex.EncodeToString(o.secretHash[:]),
		Scopes: slices.Clone(o.Scopes), AdditionalScopes: slices.Clone(o.AdditionalScopes),
		CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt}
}

func exportOverride(o *overrideRecord) StateAppOverride {
	var w valueWriter
	so := StateAppOverride{ID: o.ID, Seq: o.seq, OwnerID: o.OwnerID, App: o.App.NameSlug, Name: o.Name,
		OAuthAppID: o.OAuthAppID, Cfmap: w.value("/cfmap", o.Cfmap), CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt}
	so.ExactNumbers = w.exactNumbers()
	return so
}

func exportAccount(a *Account) StateAccount {
	var w valueWriter
	sa := StateAccount{ID: a.ID, Seq: a.seq, ProjectID: a.ProjectID, Environment: a.Environment,
		ExternalUserID: a.ExternalUserID, AppSlug: a.AppSlug, Name: a.Name, Healthy: a.Healthy, Dead: a.Dead,
		Error: a.Error, Credentials: w.value("/credentials", a.Credentials),
		AuthorizedScopes: slices.Clone(a.AuthorizedScopes), OAuthAppID: a.OAuthAppID, AppOverrideID: a.AppOverrideID,
		CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt, RefreshedAt: a.refreshedAt}
	sa.ExactNumbers = w.exactNumbers()
	return sa
}

func exportToken(t *ConnectToken) StateToken {
	return StateToken{Token: t.Token, Seq: t.seq, WorkspaceID: t.WorkspaceID, ProjectID: t.ProjectID,
		Environment: t.Environment, ExternalUserID: t.ExternalUserID, Scopes: slices.Clone(t.Scopes),
		CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt, AllowedOrigins: slices.Clone(t.AllowedOrigins),
		SuccessRedirectURI: t.SuccessRedirectURI, ErrorRedirectURI: t.ErrorRedirectURI, WebhookURI: t.WebhookURI,
		AllowProgressiveScopes: t.AllowProgressiveScopes, AppID: t.AppID, OAuthAppID: t.OAuthAppID, Used: t.Used}
}

func exportTrigger(t *DeployedTrigger) StateTrigger {
	var w valueWriter
	st := StateTrigger{ID: t.ID, Seq: t.seq, ProjectID: t.ProjectID, Environment: t.Environment,
		ExternalUserID: t.ExternalUserID, OwnerID: t.OwnerID, ComponentID: t.ComponentID,
		ComponentKey: t.ComponentKey, ComponentVersion: t.ComponentVersion, Props: w.props("/props", t.Props),
		ConfiguredProps: w.value("/configured_props", t.ConfiguredProps), Active: t.Active, Name: t.Name,
		NameSlug: t.NameSlug, EmitOnDeploy: t.EmitOnDeploy, WorkflowIDs: slices.Clone(t.WorkflowIDs),
		CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt}
	if t.Webhooks != nil {
		st.Webhooks = make([]StateTriggerWebhook, len(t.Webhooks))
		for i, h := range t.Webhooks {
			st.Webhooks[i] = StateTriggerWebhook(h)
		}
	}
	if t.events != nil {
		st.Events = make([]StateEvent, len(t.events))
		for i, ev := range t.events {
			st.Events[i] = StateEvent{ID: ev.ID, Payload: w.value("/events/"+strconv.Itoa(i)+"/payload", ev.Payload),
				Summary: ev.Summary, Time: ev.Time}
		}
	}
	st.ExactNumbers = w.exactNumbers()
	return st
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

// pointerToken escapes a JSON Pointer reference token (RFC 6901).
func pointerToken(s string) string {
	if !strings.ContainsAny(s, "~/") {
		return s
	}
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}
