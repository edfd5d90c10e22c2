package connect

import (
	"cmp"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/pdemu/pdemu/emulator/apperr"
	"github.com/pdemu/pdemu/emulator/internal/names"
	"github.com/pdemu/pdemu/emulator/internal/paging"
	"github.com/pdemu/pdemu/emulator/internal/seqset"
)

// Bounds on an app override's custom field values (Pipedream documents
// none).
const (
	MaxCfmapEntries = 100
	MaxCfmapKeyLen  = 200
)

// AppOverride is a named set of pre-defined custom field values for an app
// (an "app override"); for an OAuth app it may also select which custom
// OAuth client users connect through. Names are unique per owner.
type AppOverride struct {
	ID   string
	Name string
	// App is the catalog app the override is for.
	App App
	// OAuthAppID is the project's custom OAuth client the override
	// selects; empty for none.
	OAuthAppID string
	// Cfmap holds the pre-defined custom field values, keyed by the app's
	// custom field names.
	Cfmap map[string]any
	// OwnerID is the project that made the override (across both of its
	// environments).
	OwnerID   string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// AppOverrideSpec is what a create or update may set; nil fields are left
// as they are on update. On create App and Name are required.
type AppOverrideSpec struct {
	// App is the catalog app's id or name slug; read on create only.
	App  string
	Name *string
	// OAuthAppID selects a custom OAuth client of the same project and app;
	// empty clears the selection.
	OAuthAppID *string
	// Cfmap replaces the custom field values as a whole; an empty map
	// clears them.
	Cfmap *map[string]any
}

type overrideRecord struct {
	AppOverride
	seq uint64
}

// overrideKind files app overrides by id, in their project's index.
var overrideKind = ownedKind[overrideRecord]{
	limit: LimitAppOverrides,
	key:   func(o *overrideRecord) string { return o.ID },
	seq:   func(o *overrideRecord) uint64 { return o.seq },
	indexes: func(s *Store, o *overrideRecord) []*seqset.Set[*overrideRecord] {
		return projectIndex(s, o.OwnerID, func(p *projectRecord) *seqset.Set[*overrideRecord] { return &p.overrides })
	},
	ofProject: func(p *projectRecord) *seqset.Set[*overrideRecord] { return &p.overrides },
}

// override returns a project's app override; callers hold mu.
func (s *Store) override(projectID, id string) (*overrideRecord, bool) {
	o, ok := s.overrides.get(id)
	if !ok || o.OwnerID != projectID {
		return nil, false
	}
	return o, true
}

// overrideView is the override as shown: a deep copy, with its app as the
// catalog has it now. Callers hold mu.
func (s *Store) overrideView(o *overrideRecord) AppOverride {
	v := o.AppOverride
	if app, ok := s.apps.lookup(o.App.NameSlug); ok {
		v.App = app
	}
	v.Cfmap = cloneMap(o.Cfmap)
	if v.Cfmap == nil {
		v.Cfmap = map[string]any{} // the wire shows {} for no fields
	}
	return v
}

// appOverrideOf returns a project's app override, for the families that
// take an app_override_id (accounts, tokens); callers hold mu.
func (s *Store) appOverrideOf(projectID, id string) (AppOverride, bool) {
	o, ok := s.override(projectID, id)
	if !ok {
		return AppOverride{}, false
	}
	return s.overrideView(o), true
}

func errNoOverride(id string) error {
	return apperr.ErrNotFound.WithMessage("no app override %q in this project", truncateString(id, 100))
}

// sensitive reports whether a custom field holds a secret, which an
// override may not pre-define.
func (f CustomField) sensitive() bool {
	return strings.EqualFold(f.Type, "password") || strings.EqualFold(f.Type, "secret")
}

// validateCfmap checks custom field values against the app's custom
// fields: a key must name one of them, and not a sensitive one.
func validateCfmap(app App, cfmap map[string]any) error {
	if len(cfmap) > MaxCfmapEntries {
		return apperr.ErrInvalid.WithMessage("cfmap has more than %d entries", MaxCfmapEntries)
	}
	fields := app.fields
	for _, k := range slices.Sorted(maps.Keys(cfmap)) {
		if strings.TrimSpace(k) == "" || len(k) > MaxCfmapKeyLen {
			return apperr.ErrInvalid.WithMessage("cfmap keys must be custom field names of 1..%d bytes", MaxCfmapKeyLen)
		}
		i := slices.IndexFunc(fields, func(f CustomField) bool { return f.Name == k })
		switch {
		case i < 0:
			allowed := make([]string, 0, len(fields))
			for _, f := range fields {
				if !f.sensitive() {
					allowed = append(allowed, f.Name)
				}
			}
			return apperr.ErrInvalid.WithMessage("cfmap key %q is not a custom field of app %q (it has: %s)",
				truncateString(k, 100), app.NameSlug, cmp.Or(strings.Join(allowed, ", "), "none"))
		case fields[i].sensitive():
			return apperr.ErrInvalid.WithMessage("cfmap key %q is a sensitive field of app %q; sensitive fields cannot be pre-defined", k, app.NameSlug)
		}
	}
	return nil
}

// validateOverride checks a spec against the project's state; callers
// hold mu. self is the override being updated (nil on create).
func (s *Store) validateOverride(projectID string, app App, spec AppOverrideSpec, self *overrideRecord) error {
	if spec.Name != nil {
		if err := names.Validate("app override", *spec.Name); err != nil {
			return err
		}
		siblings := &seqset.Set[*overrideRecord]{}
		if p, ok := s.projects[projectID]; ok {
			siblings = &p.overrides
		}
		for _, o := range siblings.All() {
			if o != self && o.Name == *spec.Name {
				return apperr.ErrInvalid.WithMessage("this project already has an app override named %q; names are unique per owner", *spec.Name)
			}
		}
	}
	if spec.OAuthAppID != nil && *spec.OAuthAppID != "" {
		oa, ok := s.oauthApp(projectID, *spec.OAuthAppID)
		if !ok {
			return apperr.ErrInvalid.WithMessage("oauth_app_id %q is not an OAuth client of this project", truncateString(*spec.OAuthAppID, 100))
		}
		if oa.App.NameSlug != app.NameSlug {
			return apperr.ErrInvalid.WithMessage("OAuth client %s is for app %q, not %q", oa.ID, oa.App.NameSlug, app.NameSlug)
		}
	}
	if spec.Cfmap != nil {
		return validateCfmap(app, *spec.Cfmap)
	}
	return nil
}

// CreateAppOverride makes an app override in a project. Errors:
// invalid_request (unknown app, missing or taken name, an OAuth client not
// of this project and app, bad custom fields), not_found (project).
func (s *Store) CreateAppOverride(a Access, projectID string, spec AppOverrideSpec) (AppOverride, error) {
	if spec.Name == nil {
		return AppOverride{}, apperr.ErrInvalid.WithMessage("name is required")
	}
	now := s.clock.Now()
	s.lock()
	defer s.mu.Unlock()
	if _, err := s.project(a, projectID); err != nil {
		return AppOverride{}, err
	}
	if strings.TrimSpace(spec.App) == "" {
		return AppOverride{}, apperr.ErrInvalid.WithMessage("app is required (an app id or name slug)")
	}
	app, ok := s.apps.lookup(spec.App)
	if !ok {
		return AppOverride{}, apperr.ErrInvalid.WithMessage("unknown app %q", truncateString(spec.App, 100))
	}
	if err := s.validateOverride(projectID, app, spec, nil); err != nil {
		return AppOverride{}, err
	}
	if err := s.overrides.room(s); err != nil {
		return AppOverride{}, err
	}
	o := &overrideRecord{
		AppOverride: AppOverride{ID: s.gen.New("ao_", 7), App: app, OwnerID: projectID, Cfmap: map[string]any{}, CreatedAt: now},
		seq:         s.nextSeq(),
	}
	o.apply(spec, now)
	s.overrides.add(s, o)
	return s.overrideView(o), nil
}

func (o *overrideRecord) apply(spec AppOverrideSpec, now time.Time) {
	if spec.Name != nil {
		o.Name = *spec.Name
	}
	if spec.OAuthAppID != nil {
		o.OAuthAppID = *spec.OAuthAppID
	}
	if spec.Cfmap != nil {
		o.Cfmap = cloneMap(*spec.Cfmap)
	}
	o.UpdatedAt = now
}

// AppOverride returns one of a project's app overrides.
// Errors: not_found (project or override).
func (s *Store) AppOverride(a Access, projectID, id string) (AppOverride, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if _, err := s.project(a, projectID); err != nil {
		return AppOverride{}, err
	}
	o, ok := s.override(projectID, id)
	if !ok {
		return AppOverride{}, errNoOverride(id)
	}
	return s.overrideView(o), nil
}

// ListAppOverrides pages through a project's app overrides, oldest first;
// app, when set, keeps those of that app (id or name slug).
// Errors: not_found (project).
func (s *Store) ListAppOverrides(a Access, projectID, app string, req PageRequest) (Page[AppOverride], error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	p, err := s.project(a, projectID)
	if err != nil {
		return Page[AppOverride]{}, err
	}
	var keep func(*overrideRecord) bool
	if app != "" {
		match := s.appMatcher(app)
		keep = func(o *overrideRecord) bool { return match(o.App) }
	}
	page, err := seqset.Page(&p.overrides, req, keep)
	return paging.Map(page, s.overrideView), err
}

// UpdateAppOverride changes the fields spec sets (spec.App is ignored).
// Errors: invalid_request, not_found (project or override).
func (s *Store) UpdateAppOverride(a Access, projectID, id string, spec AppOverrideSpec) (AppOverride, error) {
	now := s.clock.Now()
	s.lock()
	defer s.mu.Unlock()
	if _, err := s.project(a, projectID); err != nil {
		return AppOverride{}, err
	}
	o, ok := s.override(projectID, id)
	if !ok {
		return AppOverride{}, errNoOverride(id)
	}
	if err := s.validateOverride(projectID, s.overrideView(o).App, spec, o); err != nil {
		return AppOverride{}, err
	}
	o.apply(spec, now)
	return s.overrideView(o), nil
}

// DeleteAppOverride removes an app override; accounts already connected
// with it keep working, as Pipedream documents. Errors: not_found.
func (s *Store) DeleteAppOverride(a Access, projectID, id string) error {
	s.lock()
	defer s.mu.Unlock()
	if _, err := s.project(a, projectID); err != nil {
		return err
	}
	o, ok := s.override(projectID, id)
	if !ok {
		return errNoOverride(id)
	}
	s.overrides.remove(s, o)
	return nil
}
