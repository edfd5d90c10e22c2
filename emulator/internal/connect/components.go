package connect

import (
	"cmp"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/pdemu/pdemu/emulator/apperr"
	"github.com/pdemu/pdemu/emulator/internal/names"
	"github.com/pdemu/pdemu/emulator/internal/paging"
	"github.com/pdemu/pdemu/emulator/internal/seqset"
)

// ComponentKind is what a component is: an action (run once, returns a
// value) or a trigger (deployed, emits events).
type ComponentKind string

// The two kinds of component (the SDK's ComponentType).
const (
	KindAction  ComponentKind = "action"
	KindTrigger ComponentKind = "trigger"
)

// The registries a component list may be narrowed to: Pipedream's public
// registry, or the workspace's own (private) components.
const (
	RegistryPublic  = "public"
	RegistryPrivate = "private"
	RegistryAll     = "all"
)

// The stash modes a component may declare (the SDK's ComponentStash): the
// component reads or writes files that File Stash syncs.
const (
	StashOptional = "optional"
	StashRequired = "required"
)

// Annotations are a component's hints for tool-calling agents (the SDK's
// ToolAnnotations).
type Annotations struct {
	DestructiveHint *bool
	IdempotentHint  *bool
	OpenWorldHint   *bool
	ReadOnlyHint    *bool
	Title           string
}

// Prop is one configurable prop of a component (the SDK's
// ConfigurableProp): the fields the SDK knows, no others.
type Prop struct {
	Name        string
	Type        string
	App         string // type "app" only: the app's name slug
	Label       string
	Description string
	Optional    bool
	Disabled    bool
	ReadOnly    bool
	Hidden      bool
	// RemoteOptions props get their options from configureProp.
	RemoteOptions bool
	UseQuery      bool
	// ReloadProps props change the component's other props when set:
	// reloadProps returns the new list (see ComponentSpec.DynamicProps).
	ReloadProps bool
	WithLabel   bool
	// Secret values are never echoed back by the default action result.
	Secret         bool
	Format         string
	Min            *float64
	Max            *float64
	Default        any
	Options        []any
	Static         any // $.interface.timer
	Content        string
	AlertType      string
	CustomResponse bool // $.interface.http
}

// propTypes are the prop types the SDK's ConfigurablePropBaseType lists.
var propTypes = []string{
	"$.airtable.baseId", "$.airtable.fieldId", "$.airtable.tableId", "$.airtable.viewId",
	"$.discord.channel", "$.discord.channel[]", "$.interface.apphook", "$.interface.http",
	"$.interface.timer", "$.service.db", "alert", "any", "app", "boolean", "data_store", "dir",
	"http_request", "integer", "integer[]", "object", "sql", "string", "string[]",
}

// alertTypes are the SDK's ConfigurablePropAlertType values.
var alertTypes = []string{"info", "neutral", "warning", "error"}

// platformProp reports whether Pipedream, not the user, supplies a prop's
// value (interfaces, services, display-only alerts): such props are never
// "missing".
func (p Prop) platformProp() bool {
	return p.Type == "alert" || strings.HasPrefix(p.Type, "$.interface.") || p.Type == "$.service.db"
}

// required reports whether configured_props must hold a value for p.
func (p Prop) required() bool {
	return !p.Optional && !p.Disabled && !p.Hidden && p.Default == nil && !p.platformProp()
}

// RunResult is what running an action returns (the SDK's
// RunActionResponse without the stash id): what a component registered
// through the control plane answers, or pdemu's default.
type RunResult struct {
	// Exports are the step's $.export(name, value) calls; "$summary" is
	// the one-line summary Pipedream shows.
	Exports map[string]any
	// Os are observations (logs): {k, msg?, err?, ts}. A registered
	// observation without ts gets the run's time; without k, "console.log".
	Os []map[string]any
	// Ret is the value the action returned.
	Ret any
}

// ComponentSpec describes a component to add to the catalog (its JSON form
// is that of POST /_emulator/components and of the embedded catalog).
type ComponentSpec struct {
	// ID fixes the saved-component id (sc_…); empty makes one up.
	ID            string
	Key           string
	Name          string
	Version       string
	ComponentType ComponentKind
	// App is the app the component belongs to, for the app filter; empty
	// means the app of its first app prop, else the key's prefix
	// ("slack" of "slack-send-message"), Pipedream's naming rule.
	App         string
	Description string
	// Registry is public or private; empty means private for a new key and
	// the replaced component's registry for a known one.
	Registry          string
	Stash             string
	Annotations       *Annotations
	ConfigurableProps []Prop
	// DynamicProps are the props reloadProps appends once a reloadProps
	// prop is configured (all of them at once: pdemu runs no component
	// code, so what they depend on is not modelled).
	DynamicProps []Prop
	// ConfigureOptions are the options configureProp returns, by prop
	// name: {label, value} objects, {"__lv": {…}} or plain values.
	ConfigureOptions map[string][]any
	// Run is what actions.run returns for this action; nil means pdemu's
	// default (an echo of the input).
	Run *RunResult
}

// Component is one version of a component in the catalog. Records are never
// changed once added (registering again replaces them), so copies may share
// their slices and maps; callers must not modify them.
type Component struct {
	ID               string // sc_…
	Key              string
	Name             string
	Version          string
	Type             ComponentKind
	App              string
	Description      string
	Registry         string
	Stash            string
	Annotations      *Annotations
	Props            []Prop
	DynamicProps     []Prop
	ConfigureOptions map[string][]any
	Run              *RunResult
}

// findProp returns the prop named name among props.
func findProp(props []Prop, name string) (Prop, bool) {
	i := slices.IndexFunc(props, func(p Prop) bool { return p.Name == name })
	if i < 0 {
		return Prop{}, false
	}
	return props[i], true
}

// componentCatalog is the component registry, shared by every workspace:
// the built-in components plus those registered through the control plane;
// Reset brings back the built-in set.
type componentCatalog struct {
	// byKey holds every version of a key, ascending by SemVer.
	byKey map[string][]*Component
	byID  map[string]*Component
}

// dynamicProps is a reloadProps result: the prop list one user's
// configuration of one component version produced.
type dynamicProps struct {
	ID          string
	ComponentID string
	user        userKey
	Props       []Prop
	seq         uint64
}

// dynamicState keeps reloadProps results by dyp_ id, and each external
// user's oldest first. reloadProps does not make users, so results are
// filed by the user's key, whether or not the user exists: a user keeps
// their newest maxDynamicPerUser and loses them all when deleted, and a
// project's go with it.
type dynamicState struct {
	byID map[string]*dynamicProps
	// byProject files each project's results by user.
	byProject map[string]map[userKey]*seqset.Set[*dynamicProps]
}

func (st *dynamicState) reset() {
	st.byID = make(map[string]*dynamicProps)
	st.byProject = make(map[string]map[userKey]*seqset.Set[*dynamicProps])
}

func (st *dynamicState) size() int { return len(st.byID) }

// count is how many results a user has.
func (st *dynamicState) count(k userKey) int {
	if set := st.byProject[k.project][k]; set != nil {
		return set.Len()
	}
	return 0
}

func (st *dynamicState) prune(*Store, time.Time) {}

// add files d, dropping its user's oldest beyond maxDynamicPerUser.
func (st *dynamicState) add(d *dynamicProps) {
	users := st.byProject[d.user.project]
	if users == nil {
		users = make(map[userKey]*seqset.Set[*dynamicProps])
		st.byProject[d.user.project] = users
	}
	set := users[d.user]
	if set == nil {
		set = &seqset.Set[*dynamicProps]{}
		users[d.user] = set
	}
	for set.Len() >= maxDynamicPerUser {
		for seq, oldest := range set.All() {
			set.Delete(seq)
			delete(st.byID, oldest.ID)
			break
		}
	}
	set.Add(d.seq, d)
	st.byID[d.ID] = d
}

func (st *dynamicState) dropUser(_ *Store, u *userRecord) {
	k := u.key()
	if set := st.byProject[k.project][k]; set != nil {
		for _, d := range set.All() {
			delete(st.byID, d.ID)
		}
		delete(st.byProject[k.project], k)
	}
}

func (st *dynamicState) dropProject(_ *Store, p *projectRecord) {
	for _, set := range st.byProject[p.ID] {
		for _, d := range set.All() {
			delete(st.byID, d.ID)
		}
	}
	delete(st.byProject, p.ID)
}

// maxDynamicPerUser bounds the reloadProps results kept per external user;
// older ones are forgotten (their dyp_ ids then fail as unknown).
const maxDynamicPerUser = 100

func (c *componentCatalog) reset() {
	c.byKey = make(map[string][]*Component)
	c.byID = make(map[string]*Component)
	for _, comp := range builtinComponents {
		c.put(comp)
	}
}

// put adds comp, replacing the same key and version if present.
func (c *componentCatalog) put(comp *Component) {
	versions := c.byKey[comp.Key]
	i := slices.IndexFunc(versions, func(v *Component) bool { return v.Version == comp.Version })
	if i >= 0 {
		delete(c.byID, versions[i].ID)
		versions = slices.Delete(slices.Clone(versions), i, i+1)
	}
	versions = append(slices.Clone(versions), comp)
	// Build metadata does not affect SemVer precedence; the text breaks the
	// tie so that "newest" is well defined.
	slices.SortFunc(versions, func(a, b *Component) int {
		return cmp.Or(compareSemVer(a.Version, b.Version), cmp.Compare(a.Version, b.Version))
	})
	c.byKey[comp.Key] = versions
	c.byID[comp.ID] = comp
}

// latest returns the newest version of a key.
func (c *componentCatalog) latest(key string) (*Component, bool) {
	versions := c.byKey[key]
	if len(versions) == 0 {
		return nil, false
	}
	return versions[len(versions)-1], true
}

// find returns a component by key (or sc_ id) and optional version, of the
// given kind ("" for any). Errors: invalid_request for a malformed version,
// not_found.
func (c *componentCatalog) find(kind ComponentKind, idOrKey, version string) (*Component, error) {
	if version != "" && !validSemVer(version) {
		return nil, apperr.ErrInvalid.WithMessage("version %q is not a semantic version (MAJOR.MINOR.PATCH)", version)
	}
	what := "component"
	if kind != "" {
		what = string(kind)
	}
	key := idOrKey
	if byID, ok := c.byID[idOrKey]; ok {
		key = byID.Key
		if version == "" {
			version = byID.Version
		}
	}
	comp, ok := c.latest(key)
	if !ok || (kind != "" && comp.Type != kind) {
		return nil, apperr.ErrNotFound.WithMessage("no %s %q", what, idOrKey)
	}
	if version != "" && version != comp.Version {
		i := slices.IndexFunc(c.byKey[key], func(v *Component) bool { return v.Version == version })
		if i < 0 {
			return nil, apperr.ErrNotFound.WithMessage("no version %s of %s %q", version, what, key)
		}
		comp = c.byKey[key][i]
	}
	return comp, nil
}

// validComponentKey checks a component key: 1..100 of [A-Za-z0-9_.-],
// starting with a letter or digit (Pipedream's keys: slack-send-message).
func validComponentKey(k string) bool {
	if k == "" || len(k) > 100 {
		return false
	}
	for i, r := range k {
		alnum := 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9'
		if !alnum && (i == 0 || !strings.ContainsRune("_.-", r)) {
			return false
		}
	}
	return true
}

// validSavedComponentID checks an sc_ id: sc_ and letters or digits.
func validSavedComponentID(id string) bool {
	rest, ok := strings.CutPrefix(id, "sc_")
	return ok && rest != "" && validComponentKey(rest) && !strings.ContainsAny(rest, "_.-")
}

// newComponent validates spec and builds the record. appKnown reports
// whether an app slug is in the app catalog; nil skips that check (the
// built-in catalog is checked against the app catalog by a test).
func newComponent(spec ComponentSpec, appKnown func(string) bool) (*Component, error) {
	switch {
	case !validComponentKey(spec.Key):
		return nil, apperr.ErrInvalid.WithMessage("key %q must be 1..100 letters, digits, '_', '.' or '-', like slack-send-message", spec.Key)
	case !validSemVer(spec.Version):
		return nil, apperr.ErrInvalid.WithMessage("version %q must be a semantic version (MAJOR.MINOR.PATCH)", spec.Version)
	case spec.ComponentType != KindAction && spec.ComponentType != KindTrigger:
		return nil, apperr.ErrInvalid.WithMessage("component_type must be %q or %q", KindAction, KindTrigger)
	case spec.ID != "" && !validSavedComponentID(spec.ID):
		return nil, apperr.ErrInvalid.WithMessage("id %q must look like sc_ followed by letters or digits", spec.ID)
	case spec.Registry != "" && spec.Registry != RegistryPublic && spec.Registry != RegistryPrivate:
		return nil, apperr.ErrInvalid.WithMessage("registry must be %q or %q", RegistryPublic, RegistryPrivate)
	case spec.Stash != "" && spec.Stash != StashOptional && spec.Stash != StashRequired:
		return nil, apperr.ErrInvalid.WithMessage("stash must be %q or %q", StashOptional, StashRequired)
	case len(spec.Description) > 10000:
		return nil, apperr.ErrInvalid.WithMessage("description is longer than 10000 characters")
	}
	if err := names.Validate("component", spec.Name); err != nil {
		return nil, err
	}
	if spec.Run != nil && spec.ComponentType != KindAction {
		return nil, apperr.ErrInvalid.WithMessage("run is only for actions: triggers emit events instead")
	}
	if err := validateProps("configurable_props", spec.ConfigurableProps, nil, appKnown); err != nil {
		return nil, err
	}
	if err := validateProps("dynamic_props", spec.DynamicProps, spec.ConfigurableProps, appKnown); err != nil {
		return nil, err
	}
	all := append(slices.Clone(spec.ConfigurableProps), spec.DynamicProps...)
	for name, opts := range spec.ConfigureOptions {
		if _, ok := findProp(all, name); !ok {
			return nil, apperr.ErrInvalid.WithMessage("configure_options names prop %q, which the component does not have", name)
		}
		if err := validateOptions("configure_options."+name, opts); err != nil {
			return nil, err
		}
	}
	if spec.Run != nil {
		for i, o := range spec.Run.Os {
			if k, ok := o["k"]; ok {
				if _, isStr := k.(string); !isStr {
					return nil, apperr.ErrInvalid.WithMessage("run.os[%d].k must be a string", i)
				}
			}
		}
	}
	app := spec.App
	if app == "" {
		if i := slices.IndexFunc(spec.ConfigurableProps, func(p Prop) bool { return p.Type == "app" }); i >= 0 {
			app = spec.ConfigurableProps[i].App
		} else {
			app, _, _ = strings.Cut(spec.Key, "-")
		}
	} else if appKnown != nil && !appKnown(app) {
		return nil, apperr.ErrInvalid.WithMessage("unknown app %q: add it with POST /_emulator/apps first", app)
	}
	id := spec.ID
	if id == "" {
		// RegisterComponent draws one first; the built-in catalog carries its own.
		return nil, apperr.ErrInvalid.WithMessage("id is required")
	}
	return &Component{
		ID: id, Key: spec.Key, Name: spec.Name, Version: spec.Version, Type: spec.ComponentType,
		App: app, Description: spec.Description, Registry: spec.Registry, Stash: spec.Stash,
		Annotations: spec.Annotations, Props: nonNilProps(spec.ConfigurableProps),
		DynamicProps: slices.Clone(spec.DynamicProps), ConfigureOptions: spec.ConfigureOptions, Run: spec.Run,
	}, nil
}

func nonNilProps(p []Prop) []Prop {
	if p == nil {
		return []Prop{}
	}
	return slices.Clone(p)
}

// validateProps checks a prop list; earlier props (the static ones, when
// checking dynamic props) must not share a name with it.
func validateProps(field string, props, earlier []Prop, appKnown func(string) bool) error {
	seen := map[string]bool{}
	for _, p := range earlier {
		seen[p.Name] = true
	}
	for i, p := range props {
		at := func(format string, args ...any) error {
			return apperr.ErrInvalid.WithMessage("%s[%d]: "+format, append([]any{field, i}, args...)...)
		}
		switch {
		case strings.TrimSpace(p.Name) == "" || len(p.Name) > 200:
			return at("name must be 1..200 characters")
		case seen[p.Name]:
			return at("a prop named %q comes earlier", p.Name)
		case !slices.Contains(propTypes, p.Type):
			return at("type %q is not one of %s", p.Type, strings.Join(propTypes, ", "))
		case p.Type == "app" && p.App == "":
			return at("an app prop needs app, the app's name slug")
		case p.Type != "app" && p.App != "":
			return at("only props of type app take app")
		case p.Type == "app" && appKnown != nil && !appKnown(p.App):
			return at("unknown app %q: add it with POST /_emulator/apps first", p.App)
		case p.Type == "alert" && p.Content == "":
			return at("an alert prop needs content")
		case p.AlertType != "" && !slices.Contains(alertTypes, p.AlertType):
			return at("alertType must be one of %s", strings.Join(alertTypes, ", "))
		case p.Format != "" && p.Format != "file-ref":
			return at(`format must be "file-ref"`)
		case p.Min != nil && p.Max != nil && *p.Min > *p.Max:
			return at("min is greater than max")
		}
		if err := validateOptions(field+"["+p.Name+"].options", p.Options); err != nil {
			return err
		}
		seen[p.Name] = true
	}
	return nil
}

// validateOptions checks prop options: {label, value?}, {"__lv": {label,
// value?}} (the SDK's PropOption and PropOptionNested), or a plain string,
// number or boolean.
func validateOptions(field string, opts []any) error {
	for i, o := range opts {
		switch v := o.(type) {
		case string, float64, bool, json.Number:
		case map[string]any:
			if lv, ok := v["__lv"].(map[string]any); ok {
				v = lv
			}
			if _, ok := v["label"].(string); !ok {
				return apperr.ErrInvalid.WithMessage("%s[%d] must have a string label", field, i)
			}
		default:
			return apperr.ErrInvalid.WithMessage("%s[%d] must be a {label, value} object, a string, a number or a boolean", field, i)
		}
	}
	return nil
}

// RegisterComponent adds a component to the catalog, or replaces the one
// with the same key and version (other versions stay; the highest is the
// one lists show). Errors: invalid_request, conflict (id taken by another
// component), limit_exceeded.
func (s *Store) RegisterComponent(spec ComponentSpec) (Component, error) {
	s.lock()
	defer s.mu.Unlock()
	drawn := spec.ID == ""
	if drawn {
		spec.ID = s.gen.New("sc_", 7)
	}
	comp, err := newComponent(spec, func(slug string) bool { _, ok := s.apps.lookup(slug); return ok })
	if err != nil {
		return Component{}, err
	}
	var same *Component
	for _, v := range s.components.byKey[comp.Key] {
		if v.Type != comp.Type {
			return Component{}, apperr.ErrConflict.WithMessage("%s is registered with component_type %s; register the %s under another key", comp.Key, v.Type, comp.Type)
		}
		if v.Version == comp.Version {
			same = v
		}
		if comp.Registry == "" {
			comp.Registry = v.Registry
		}
	}
	if comp.Registry == "" {
		comp.Registry = RegistryPrivate
	}
	if other, ok := s.components.byID[comp.ID]; ok && other != same {
		return Component{}, apperr.ErrConflict.WithMessage("id %s belongs to %s@%s", comp.ID, other.Key, other.Version)
	}
	if drawn && same != nil {
		comp.ID = same.ID // replacing a version keeps its id
	}
	if same == nil {
		if err := s.limits.check(LimitComponents, len(s.components.byID)-len(builtinComponents)); err != nil {
			return Component{}, err
		}
	}
	s.components.put(comp)
	return *comp, nil
}

// ComponentQuery narrows a component list.
type ComponentQuery struct {
	Kind     ComponentKind // "" for both
	Q        string        // case-insensitive substring of key, name or description
	App      string        // app name slug or id
	Registry string        // public, private, all ("" means all)
}

// ParseRegistry checks a registry filter value ("" means all). Errors:
// invalid_request.
func ParseRegistry(v string) (string, error) {
	switch v {
	case "":
		return RegistryAll, nil
	case RegistryPublic, RegistryPrivate, RegistryAll:
		return v, nil
	}
	return "", apperr.ErrInvalid.WithMessage("registry must be %q, %q or %q", RegistryPublic, RegistryPrivate, RegistryAll)
}

// ParseComponentKind checks a component_type filter value ("" means both).
// Errors: invalid_request.
func ParseComponentKind(v string) (ComponentKind, error) {
	switch ComponentKind(v) {
	case "", KindAction, KindTrigger:
		return ComponentKind(v), nil
	}
	return "", apperr.ErrInvalid.WithMessage("component_type must be %q or %q", KindTrigger, KindAction)
}

// ListComponents pages through the newest version of every component that
// matches q, ordered by key (the cursor is the key, as Pipedream's cursors
// are base64 of an id or slug).
func (s *Store) ListComponents(q ComponentQuery, req PageRequest) Page[Component] {
	needle := strings.ToLower(q.Q)
	s.mu.RLock()
	app := q.App
	if a, ok := s.apps.lookup(app); ok && app != "" {
		app = a.NameSlug
	}
	var all []Component
	for key := range s.components.byKey {
		comp, _ := s.components.latest(key)
		if (q.Kind != "" && comp.Type != q.Kind) ||
			(q.Registry != "" && q.Registry != RegistryAll && comp.Registry != q.Registry) ||
			(app != "" && !strings.EqualFold(comp.App, app)) ||
			(needle != "" && !strings.Contains(strings.ToLower(comp.Key+"\x00"+comp.Name+"\x00"+comp.Description), needle)) {
			continue
		}
		all = append(all, *comp)
	}
	s.mu.RUnlock()
	slices.SortFunc(all, func(a, b Component) int { return cmp.Compare(a.Key, b.Key) })
	return paging.Slice(all, func(c Component) string { return c.Key }, req)
}

// Component returns a component by key (or sc_ id), of the given kind (""
// for either), at a version ("" for the newest). Errors: invalid_request
// for a malformed version, not_found.
func (s *Store) Component(kind ComponentKind, idOrKey, version string) (Component, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	comp, err := s.components.find(kind, idOrKey, version)
	if err != nil {
		return Component{}, err
	}
	return *comp, nil
}
