package connect

import (
	"cmp"
	"slices"
)

// ProjectAppRef names an app a project uses, as the deprecated project info
// endpoint lists it. ID is empty for an app the catalog no longer has.
type ProjectAppRef struct {
	ID       string
	NameSlug string
}

// ProjectApps lists the apps a project environment uses, each once, sorted
// by name slug: the apps of the environment's connected accounts, and those
// of the project's custom OAuth clients and app overrides (which serve both
// environments). Errors: not_found (project).
func (s *Store) ProjectApps(a Access, projectID string, env Environment) ([]ProjectAppRef, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	p, err := s.project(a, projectID)
	if err != nil {
		return nil, err
	}
	seen := make(map[string]ProjectAppRef)
	add := func(slug, id string) {
		if app, ok := s.apps.lookup(slug); ok {
			slug, id = app.NameSlug, app.ID
		}
		if slug == "" {
			return
		}
		if _, dup := seen[slug]; !dup {
			seen[slug] = ProjectAppRef{ID: id, NameSlug: slug}
		}
	}
	for _, acc := range p.accounts[env.index()].All() {
		add(acc.AppSlug, "")
	}
	for _, o := range p.oauthApps.All() {
		add(o.App.NameSlug, o.App.ID)
	}
	for _, o := range p.overrides.All() {
		add(o.App.NameSlug, o.App.ID)
	}
	out := make([]ProjectAppRef, 0, len(seen))
	for _, r := range seen {
		out = append(out, r)
	}
	slices.SortFunc(out, func(x, y ProjectAppRef) int { return cmp.Compare(x.NameSlug, y.NameSlug) })
	return out, nil
}
