// Package wire holds the JSON forms of the documents pdemu reads and
// writes that its domain types mirror field for field: components, their
// props, apps. The control plane takes the same documents the embedded
// catalogs hold, so one form serves the HTTP adapters and the catalog
// loader, and the domain types stay free of JSON.
//
// Each form lists the fields of its domain twin in the same order with the
// same types, so a Go conversion turns one into the other, and a field
// added to one and not the other fails to compile there.
package wire

import (
	"bytes"
	"encoding/json"
	"errors"
)

// Annotations is a component's hints for tool-calling agents (the SDK's
// ToolAnnotations); the names are the wire's, camelCase as sent.
type Annotations struct {
	DestructiveHint *bool  `json:"destructiveHint,omitempty"`
	IdempotentHint  *bool  `json:"idempotentHint,omitempty"`
	OpenWorldHint   *bool  `json:"openWorldHint,omitempty"`
	ReadOnlyHint    *bool  `json:"readOnlyHint,omitempty"`
	Title           string `json:"title,omitempty"`
}

// Prop is a configurable prop (the SDK's ConfigurableProp). Pipedream sends
// prop fields camelCase (remoteOptions, reloadProps, …), and the SDK passes
// them through as they are.
type Prop struct {
	Name           string   `json:"name"`
	Type           string   `json:"type"`
	App            string   `json:"app,omitempty"`
	Label          string   `json:"label,omitempty"`
	Description    string   `json:"description,omitempty"`
	Optional       bool     `json:"optional,omitempty"`
	Disabled       bool     `json:"disabled,omitempty"`
	ReadOnly       bool     `json:"readOnly,omitempty"`
	Hidden         bool     `json:"hidden,omitempty"`
	RemoteOptions  bool     `json:"remoteOptions,omitempty"`
	UseQuery       bool     `json:"useQuery,omitempty"`
	ReloadProps    bool     `json:"reloadProps,omitempty"`
	WithLabel      bool     `json:"withLabel,omitempty"`
	Secret         bool     `json:"secret,omitempty"`
	Format         string   `json:"format,omitempty"`
	Min            *float64 `json:"min,omitempty"`
	Max            *float64 `json:"max,omitempty"`
	Default        any      `json:"default,omitempty"`
	Options        []any    `json:"options,omitempty"`
	Static         any      `json:"static,omitempty"`
	Content        string   `json:"content,omitempty"`
	AlertType      string   `json:"alertType,omitempty"`
	CustomResponse bool     `json:"customResponse,omitempty"`
}

// RunResult is what running an action returns (the SDK's
// RunActionResponse without the stash id).
type RunResult struct {
	Exports map[string]any   `json:"exports,omitempty"`
	Os      []map[string]any `json:"os,omitempty"`
	Ret     any              `json:"ret,omitempty"`
}

// ComponentSpec is a component to register: the body of POST
// /_emulator/components and an entry of the embedded component catalog.
type ComponentSpec struct {
	ID                string           `json:"id,omitempty"`
	Key               string           `json:"key"`
	Name              string           `json:"name"`
	Version           string           `json:"version"`
	ComponentType     string           `json:"component_type"`
	App               string           `json:"app,omitempty"`
	Description       string           `json:"description,omitempty"`
	Registry          string           `json:"registry,omitempty"`
	Stash             string           `json:"stash,omitempty"`
	Annotations       *Annotations     `json:"annotations,omitempty"`
	ConfigurableProps []Prop           `json:"configurable_props,omitempty"`
	DynamicProps      []Prop           `json:"dynamic_props,omitempty"`
	ConfigureOptions  map[string][]any `json:"configure_options,omitempty"`
	Run               *RunResult       `json:"run,omitempty"`
}

// AppSpec is an app to add to the catalog: the body of POST
// /_emulator/apps and an entry of the embedded app catalog, in the wire's
// App fields.
type AppSpec struct {
	ID          string `json:"id"`
	NameSlug    string `json:"name_slug"`
	Name        string `json:"name"`
	AuthType    string `json:"auth_type"`
	Description string `json:"description"`
	ImgSrc      string `json:"img_src"`
	// CustomFields is custom_fields_json: a string holding a JSON array (as
	// on the wire) or the array itself.
	CustomFields   CustomFields   `json:"custom_fields_json"`
	Categories     []string       `json:"categories"`
	FeaturedWeight *float64       `json:"featured_weight"`
	ScopeProfiles  []ScopeProfile `json:"scope_profiles"`
	HasActions     bool           `json:"has_actions"`
	HasTriggers    bool           `json:"has_triggers"`
}

// ScopeProfile is a named set of OAuth scopes an app offers.
type ScopeProfile struct {
	Name   string   `json:"name"`
	Scopes []string `json:"scopes"`
}

// CustomField is an entry of an app's custom_fields_json: a field of a
// keys app, what a user types when connecting an account.
type CustomField struct {
	Name        string  `json:"name"`
	Label       string  `json:"label"`
	Description *string `json:"description"`
	Default     any     `json:"default"`
	Optional    *bool   `json:"optional"`
	Type        string  `json:"type"`
}

// CustomFields reads custom fields given either as a JSON array of field
// objects or as a string holding one (custom_fields_json on the wire), and
// writes them as the wire's string.
type CustomFields []CustomField

// UnmarshalJSON takes the array or a string holding it; a field the wire
// does not define is an error, so a typo is not silently dropped.
func (cf *CustomFields) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*cf = nil
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		b = []byte(s)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var fields []CustomField
	if err := dec.Decode(&fields); err != nil || dec.More() {
		return ErrCustomFields
	}
	*cf = fields
	return nil
}

// MarshalJSON writes the wire's custom_fields_json: a string holding the
// array ("[]" for none).
func (cf CustomFields) MarshalJSON() ([]byte, error) {
	fields := []CustomField(cf)
	if fields == nil {
		fields = []CustomField{}
	}
	b, err := json.Marshal(fields)
	if err != nil {
		return nil, err
	}
	return json.Marshal(string(b))
}

// ErrCustomFields is how custom fields that are neither form are refused.
var ErrCustomFields = errors.New(`custom fields must be a JSON array of {"name","label","type","optional"?,"description"?,"default"?} objects, or a string holding one`)

// AppCatalog is the embedded app catalog's file: its categories and apps.
type AppCatalog struct {
	Categories []AppCategory `json:"categories"`
	Apps       []AppSpec     `json:"apps"`
}

// AppCategory is a category of the catalog.
type AppCategory struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
}

// ComponentCatalog is the embedded component catalog's file.
type ComponentCatalog struct {
	Components []ComponentSpec `json:"components"`
}
