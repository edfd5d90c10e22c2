package connect

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/pdemu/pdemu/emulator/apperr"
	"github.com/pdemu/pdemu/emulator/internal/names"
	"github.com/pdemu/pdemu/emulator/internal/paging"
	"github.com/pdemu/pdemu/emulator/internal/wire"
)

// The auth types an app may have (the SDK's AppAuthType).
const (
	AuthOAuth = "oauth" // the user goes through the provider's OAuth flow
	AuthKeys  = "keys"  // the user types keys into the fields of custom_fields_json
	AuthNone  = "none"  // nothing to connect (HTTP, Schedule)
)

// The scope profile names the SDK's AppScopeProfilesItemName allows.
var scopeProfileNames = []string{"read_only", "read_write", "admin"}

// App is an integration in the catalog (Slack, GitHub, …).
type App struct {
	ID             string
	NameSlug       string
	Name           string
	AuthType       string // oauth, keys or none
	Description    string
	ImgSrc         string
	Categories     []string
	FeaturedWeight float64
	ScopeProfiles  []ScopeProfile
	// HasActions and HasTriggers say whether the app has action and
	// trigger components. The catalog declares them (the apps.list filters
	// has_actions, has_triggers and has_components read them), so the
	// filters do not depend on which components another family registered.
	HasActions  bool
	HasTriggers bool

	// fields are the app's custom fields: the keys a keys-app account holds.
	fields []CustomField
}

// ScopeProfile is a named set of OAuth scopes an app offers.
type ScopeProfile struct {
	Name   string
	Scopes []string
}

// CustomField is one field of a keys app (an entry of custom_fields_json):
// what the user types when they connect an account.
type CustomField struct {
	Name        string
	Label       string
	Description *string
	Default     any
	Optional    *bool
	Type        string
}

// required reports whether an account must give the field a value.
func (f CustomField) required() bool { return f.Optional == nil || !*f.Optional }

// AppCategory is a category of the catalog (appcat_…).
type AppCategory struct {
	ID          string
	Name        string
	Description string
}

// clone returns a copy of a that shares no slice with it, so callers can't
// change the catalog through what they are handed.
func (a App) clone() App {
	a.Categories = slices.Clone(a.Categories)
	a.ScopeProfiles = slices.Clone(a.ScopeProfiles)
	for i, p := range a.ScopeProfiles {
		a.ScopeProfiles[i].Scopes = slices.Clone(p.Scopes)
	}
	a.fields = slices.Clone(a.fields)
	return a
}

// Fields returns the app's custom fields (custom_fields_json).
func (a App) Fields() []CustomField { return slices.Clone(a.fields) }

// appCatalog is shared by every workspace: the built-in apps plus those
// added through the control plane. Reset brings back the built-in set.
type appCatalog struct {
	bySlug     map[string]*App
	byID       map[string]*App
	categories map[string]*AppCategory // by id
}

//go:embed apps_catalog.json
var builtinCatalogJSON []byte

// builtinApps and builtinCategories are the embedded catalog, parsed and
// checked once; every reset copies them.
var builtinApps, builtinCategories = mustParseBuiltinCatalog()

func mustParseBuiltinCatalog() ([]App, []AppCategory) {
	var f wire.AppCatalog
	dec := json.NewDecoder(bytes.NewReader(builtinCatalogJSON))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		panic("connect: embedded app catalog: " + err.Error())
	}
	c := &appCatalog{}
	c.clear()
	for _, cat := range f.Categories {
		if !strings.HasPrefix(cat.ID, "appcat_") || c.categories[cat.ID] != nil || c.categoryByName(cat.Name) != nil {
			panic(fmt.Sprintf("connect: embedded app catalog: bad or duplicate category %q", cat.ID))
		}
		c.categories[cat.ID] = &AppCategory{ID: cat.ID, Name: cat.Name, Description: cat.Description}
	}
	var apps []App
	for _, doc := range f.Apps {
		spec := AppSpecFrom(doc)
		a, err := c.add(spec)
		if err != nil {
			panic(fmt.Sprintf("connect: embedded app catalog: app %q: %v", spec.NameSlug, err))
		}
		apps = append(apps, a)
	}
	cats := make([]AppCategory, 0, len(c.categories))
	for _, cat := range c.categories {
		cats = append(cats, *cat)
	}
	return apps, cats
}

func (c *appCatalog) clear() {
	c.bySlug = make(map[string]*App)
	c.byID = make(map[string]*App)
	c.categories = make(map[string]*AppCategory)
}

func (c *appCatalog) reset() {
	c.clear()
	for _, cat := range builtinCategories {
		c.categories[cat.ID] = &cat
	}
	for _, a := range builtinApps {
		a = a.clone()
		c.bySlug[a.NameSlug] = &a
		c.byID[a.ID] = &a
	}
}

// lookup finds an app by id or name slug.
func (c *appCatalog) lookup(idOrSlug string) (App, bool) {
	a, ok := c.bySlug[idOrSlug]
	if !ok {
		a, ok = c.byID[idOrSlug]
	}
	if !ok {
		return App{}, false
	}
	return a.clone(), true
}

func (c *appCatalog) categoryByName(name string) *AppCategory {
	for _, cat := range c.categories {
		if cat.Name == name {
			return cat
		}
	}
	return nil
}

// AppSpec describes an app to add to the catalog: the wire's App fields.
type AppSpec struct {
	// ID is the app's id (app_…); empty makes one up.
	ID          string
	NameSlug    string
	Name        string
	AuthType    string
	Description string
	ImgSrc      string
	// CustomFields are a keys app's fields (custom_fields_json).
	CustomFields []CustomField
	// Categories are category names (as App.categories shows them) or
	// appcat_ ids; each must exist.
	Categories     []string
	FeaturedWeight *float64
	ScopeProfiles  []ScopeProfile
	HasActions     bool
	HasTriggers    bool
}

// AppSpecFrom reads an app document (a catalog entry, a control-plane
// body) into a spec.
func AppSpecFrom(w wire.AppSpec) AppSpec {
	spec := AppSpec{
		ID: w.ID, NameSlug: w.NameSlug, Name: w.Name, AuthType: w.AuthType, Description: w.Description,
		ImgSrc: w.ImgSrc, Categories: w.Categories, FeaturedWeight: w.FeaturedWeight,
		HasActions: w.HasActions, HasTriggers: w.HasTriggers,
	}
	for _, f := range w.CustomFields {
		spec.CustomFields = append(spec.CustomFields, CustomField(f))
	}
	for _, p := range w.ScopeProfiles {
		spec.ScopeProfiles = append(spec.ScopeProfiles, ScopeProfile(p))
	}
	return spec
}

// validSlug: lower-case letters, digits and underscores, as Pipedream's
// name slugs are (slack_bot, google_sheets, salesforce_rest_api).
func validSlug(s string) bool {
	if s == "" || len(s) > 100 || s[0] == '_' {
		return false
	}
	for _, r := range s {
		if !('a' <= r && r <= 'z' || '0' <= r && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}

// validAppID: app_ and letters or digits.
func validAppID(s string) bool {
	rest, ok := strings.CutPrefix(s, "app_")
	if !ok || rest == "" || len(rest) > 64 {
		return false
	}
	return strings.IndexFunc(rest, func(r rune) bool {
		return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9')
	}) < 0
}

// noControl rejects control characters in names shown to people; they also
// keep the sort keys of apps.list well-formed.
func noControl(field, s string) error {
	if !utf8.ValidString(s) || strings.IndexFunc(s, unicode.IsControl) >= 0 {
		return apperr.ErrInvalid.WithMessage("%s must be valid UTF-8 without control characters", field)
	}
	return nil
}

// add validates spec and puts the app in the catalog. Errors:
// invalid_request, conflict (slug or id taken).
func (c *appCatalog) add(spec AppSpec) (App, error) {
	if !validSlug(spec.NameSlug) {
		return App{}, apperr.ErrInvalid.WithMessage("name_slug is required: 1..100 lower-case letters, digits and underscores, such as google_sheets")
	}
	if err := names.Validate("app", spec.Name); err != nil {
		return App{}, err
	}
	if err := noControl("name", spec.Name); err != nil {
		return App{}, err
	}
	if len(spec.Description) > 2000 {
		return App{}, apperr.ErrInvalid.WithMessage("description is longer than 2000 characters")
	}
	switch spec.AuthType {
	case AuthOAuth, AuthKeys, AuthNone:
	default:
		return App{}, apperr.ErrInvalid.WithMessage("auth_type must be %q, %q or %q", AuthOAuth, AuthKeys, AuthNone)
	}
	if spec.ID == "" {
		// AddApp draws one first; the built-in catalog carries its own.
		return App{}, apperr.ErrInvalid.WithMessage("id is required")
	} else if !validAppID(spec.ID) {
		return App{}, apperr.ErrInvalid.WithMessage("id %q must look like app_ followed by letters or digits", spec.ID)
	}
	if spec.ImgSrc == "" {
		spec.ImgSrc = "https://assets.pipedream.net/s.v0/" + spec.ID + "/logo/orig"
	} else if err := validateURI("img_src", spec.ImgSrc); err != nil {
		return App{}, err
	}
	weight := 0.0
	if spec.FeaturedWeight != nil {
		weight = *spec.FeaturedWeight
		if math.IsNaN(weight) || math.IsInf(weight, 0) {
			return App{}, apperr.ErrInvalid.WithMessage("featured_weight must be a finite number")
		}
	}
	fields, err := normalizeFields(spec.AuthType, spec.CustomFields)
	if err != nil {
		return App{}, err
	}
	categories := []string{}
	for _, name := range spec.Categories {
		cat := c.categories[name]
		if cat == nil {
			cat = c.categoryByName(name)
		}
		if cat == nil {
			return App{}, apperr.ErrInvalid.WithMessage("unknown app category %q: name one of GET /v1/connect/app_categories (by name or id)", name)
		}
		if !slices.Contains(categories, cat.Name) {
			categories = append(categories, cat.Name)
		}
	}
	profiles := []ScopeProfile{}
	for _, p := range spec.ScopeProfiles {
		if spec.AuthType != AuthOAuth {
			return App{}, apperr.ErrInvalid.WithMessage("scope_profiles apply to OAuth apps only")
		}
		if !slices.Contains(scopeProfileNames, p.Name) {
			return App{}, apperr.ErrInvalid.WithMessage("scope profile name must be one of %s", strings.Join(scopeProfileNames, ", "))
		}
		if slices.ContainsFunc(profiles, func(q ScopeProfile) bool { return q.Name == p.Name }) {
			return App{}, apperr.ErrInvalid.WithMessage("scope profile %q is given twice", p.Name)
		}
		profiles = append(profiles, ScopeProfile{Name: p.Name, Scopes: append([]string{}, p.Scopes...)})
	}
	if _, ok := c.bySlug[spec.NameSlug]; ok {
		return App{}, apperr.ErrConflict.WithMessage("an app with name_slug %q already exists", spec.NameSlug)
	}
	if _, ok := c.byID[spec.ID]; ok {
		return App{}, apperr.ErrConflict.WithMessage("an app with id %q already exists", spec.ID)
	}
	a := &App{
		ID: spec.ID, NameSlug: spec.NameSlug, Name: spec.Name, AuthType: spec.AuthType,
		Description: spec.Description, ImgSrc: spec.ImgSrc,
		Categories: categories, FeaturedWeight: weight, ScopeProfiles: profiles,
		HasActions: spec.HasActions, HasTriggers: spec.HasTriggers, fields: fields,
	}
	c.bySlug[a.NameSlug] = a
	c.byID[a.ID] = a
	return a.clone(), nil
}

// normalizeFields checks custom fields and fills their defaults (label =
// name, type = string), so custom_fields_json always has Pipedream's shape.
func normalizeFields(authType string, in []CustomField) ([]CustomField, error) {
	out := []CustomField{}
	for _, f := range in {
		if !validSlug(f.Name) && !validCamel(f.Name) {
			return nil, apperr.ErrInvalid.WithMessage("custom field name %q must be letters, digits and underscores", f.Name)
		}
		if slices.ContainsFunc(out, func(g CustomField) bool { return g.Name == f.Name }) {
			return nil, apperr.ErrInvalid.WithMessage("custom field %q is given twice", f.Name)
		}
		if f.Label == "" {
			f.Label = f.Name
		}
		if f.Type == "" {
			f.Type = "string"
		}
		out = append(out, f)
	}
	if authType == AuthNone && len(out) > 0 {
		return nil, apperr.ErrInvalid.WithMessage("an app with auth_type none has no custom fields")
	}
	return out, nil
}

// validCamel allows field names such as accountSid that some apps use.
func validCamel(s string) bool {
	if s == "" || len(s) > 100 {
		return false
	}
	for i, r := range s {
		ok := 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || r == '_' || i > 0 && '0' <= r && r <= '9'
		if !ok {
			return false
		}
	}
	return true
}

// AddApp adds an app to the catalog every workspace shares, until the next
// reset. Errors: invalid_request, conflict (slug or id taken),
// limit_exceeded.
func (s *Store) AddApp(spec AppSpec) (App, error) {
	s.lock()
	defer s.mu.Unlock()
	if err := s.limits.check(LimitApps, len(s.apps.bySlug)-len(builtinApps)); err != nil {
		return App{}, err
	}
	if spec.ID == "" {
		spec.ID = s.gen.New("app_", 6)
	}
	return s.apps.add(spec)
}

// App returns an app by id or name slug. Errors: not_found.
func (s *Store) App(idOrSlug string) (App, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	a, ok := s.apps.lookup(idOrSlug)
	if !ok {
		return App{}, apperr.ErrNotFound.WithMessage("no app %q", clipID(idOrSlug, 100))
	}
	return a, nil
}

// AppCategories returns every app category, sorted by name.
func (s *Store) AppCategories() []AppCategory {
	s.mu.RLock()
	out := make([]AppCategory, 0, len(s.apps.categories))
	for _, c := range s.apps.categories {
		out = append(out, *c)
	}
	s.mu.RUnlock()
	slices.SortFunc(out, func(x, y AppCategory) int { return strings.Compare(x.Name, y.Name) })
	return out
}

// AppCategory returns a category by id. Errors: not_found.
func (s *Store) AppCategory(id string) (AppCategory, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c, ok := s.apps.categories[id]
	if !ok {
		return AppCategory{}, apperr.ErrNotFound.WithMessage("no app category %q", clipID(id, 100))
	}
	return *c, nil
}

// The sort keys and directions apps.list takes.
const (
	SortByName           = "name"
	SortByNameSlug       = "name_slug"
	SortByFeaturedWeight = "featured_weight"
	SortAsc              = "asc"
	SortDesc             = "desc"
)

// AppQuery is what apps.list filters and sorts by.
type AppQuery struct {
	// Q keeps apps whose name, slug or description contains it,
	// case-insensitively.
	Q string
	// SortKey is name, name_slug or featured_weight; empty means
	// name_slug, the order of Pipedream's own examples.
	SortKey string
	// SortDirection is asc or desc; empty means asc.
	SortDirection string
	// CategoryIDs keeps apps in any of these categories (appcat_ ids).
	CategoryIDs []string
	// Nil flags don't filter; has_components means actions or triggers.
	HasComponents, HasActions, HasTriggers *bool
}

// ListApps pages through the catalog. Cursors carry the sort they were made
// for: one used with another sort is refused. Errors: invalid_request (sort
// key, direction, cursor), not_found (category).
func (s *Store) ListApps(q AppQuery, req PageRequest) (Page[App], error) {
	if q.SortKey == "" {
		q.SortKey = SortByNameSlug
	}
	if q.SortDirection == "" {
		q.SortDirection = SortAsc
	}
	if !slices.Contains([]string{SortByName, SortByNameSlug, SortByFeaturedWeight}, q.SortKey) {
		return Page[App]{}, apperr.ErrInvalid.WithMessage("sort_key must be %s, %s or %s", SortByName, SortByNameSlug, SortByFeaturedWeight)
	}
	if q.SortDirection != SortAsc && q.SortDirection != SortDesc {
		return Page[App]{}, apperr.ErrInvalid.WithMessage("sort_direction must be %s or %s", SortAsc, SortDesc)
	}
	prefix := q.SortKey + ":" + q.SortDirection + ":"
	for _, c := range [...]struct{ name, cursor string }{{"after", req.After}, {"before", req.Before}} {
		if c.cursor != "" && !strings.HasPrefix(c.cursor, prefix) {
			return Page[App]{}, apperr.ErrInvalid.WithMessage("%s is a cursor of another sort order; page with the sort_key and sort_direction it was made with", c.name)
		}
	}
	needle := strings.ToLower(q.Q)

	s.mu.RLock()
	defer s.mu.RUnlock()
	var wanted []string // category names
	for _, id := range q.CategoryIDs {
		c, ok := s.apps.categories[id]
		if !ok {
			return Page[App]{}, apperr.ErrNotFound.WithMessage("no app category %q", clipID(id, 100))
		}
		wanted = append(wanted, c.Name)
	}
	var all []*App
	for _, a := range s.apps.bySlug {
		if a.matches(needle, wanted, q) {
			all = append(all, a)
		}
	}
	keys := make(map[*App]string, len(all))
	for _, a := range all {
		keys[a] = prefix + appSortKey(*a, q.SortKey, q.SortDirection == SortDesc)
	}
	slices.SortFunc(all, func(x, y *App) int { return strings.Compare(keys[x], keys[y]) })
	page := paging.Slice(all, func(a *App) string { return keys[a] }, req)
	out := Page[App]{Data: make([]App, len(page.Data)), PageInfo: page.PageInfo}
	for i, a := range page.Data {
		out.Data[i] = a.clone()
	}
	return out, nil
}

func (a *App) matches(needle string, categories []string, q AppQuery) bool {
	if needle != "" && !strings.Contains(strings.ToLower(a.Name), needle) &&
		!strings.Contains(a.NameSlug, needle) && !strings.Contains(strings.ToLower(a.Description), needle) {
		return false
	}
	if len(categories) > 0 && !slices.ContainsFunc(a.Categories, func(c string) bool { return slices.Contains(categories, c) }) {
		return false
	}
	for _, f := range []struct {
		want *bool
		has  bool
	}{{q.HasActions, a.HasActions}, {q.HasTriggers, a.HasTriggers}, {q.HasComponents, a.HasActions || a.HasTriggers}} {
		if f.want != nil && *f.want != f.has {
			return false
		}
	}
	return true
}

// appSortKey makes a string that sorts apps by field, ties broken by id.
// Descending order complements the bytes of the primary part and ends it
// with 0xff, which reverses byte-wise order (a prefix then sorts after the
// longer string, as it must when descending).
func appSortKey(a App, field string, desc bool) string {
	var primary string
	switch field {
	case SortByName:
		primary = strings.ToLower(a.Name)
	case SortByNameSlug:
		primary = a.NameSlug
	default:
		primary = orderedFloat(a.FeaturedWeight)
	}
	if desc {
		b := []byte(primary)
		for i := range b {
			b[i] = ^b[i]
		}
		primary = string(append(b, 0xff))
	}
	return primary + "\x00" + a.ID
}

// orderedFloat encodes f as 16 hex digits whose string order is f's
// numeric order: the IEEE 754 bits with the sign bit flipped for positive
// numbers and every bit flipped for negative ones.
func orderedFloat(f float64) string {
	if f == 0 {
		f = 0 // -0 sorts with +0
	}
	bits := math.Float64bits(f)
	if bits>>63 == 1 {
		bits = ^bits
	} else {
		bits |= 1 << 63
	}
	return fmt.Sprintf("%016x", bits)
}
