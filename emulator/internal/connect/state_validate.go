package connect

import (
	"cmp"
	"encoding/hex"
	"fmt"
	"maps"
	"mime"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pdemu/pdemu/emulator/apperr"
	"github.com/pdemu/pdemu/emulator/internal/names"
	"github.com/pdemu/pdemu/emulator/internal/scope"
)

// ValidateState checks a state as Import would, without touching any
// store: ids and formats, duplicates, references (a user's project, an
// account's user and OAuth client, a token's workspace), that seq values
// are unique and within the state's counter, that each family fits its
// limit, and that times are present. Counts are checked against the
// state's own limits, as a create is: a store whose limits were lowered
// below what it already holds (SetLimits keeps such records) exports a
// state this refuses until those limits are raised in it. Lists are
// checked in the order State declares them, each in its own order, so the
// first bad value is the one reported. Errors: apperr invalid_request whose message starts with the
// JSON path of that value, e.g. "projects[3].id: must match
// proj_[A-Za-z0-9]+" (for the checks shared with the API, such as an
// app's or a component's, the path of the record, followed by the API's
// own message).
func ValidateState(st State) error {
	_, err := buildState(st)
	return err
}

// Import replaces everything the store holds with st: after it the store
// behaves exactly as the store that exported st did (same records, same
// orderings and cursors, same expiry, same seq counter, limits and proxy
// allow-list). The state is checked first (see ValidateState); on error
// nothing changes. Nothing in st is shared with the store afterwards.
// Records that expired by the store's clock are kept until the next write
// prunes them, as in the exporting store.
func (s *Store) Import(st State) error {
	// Everything is built in a detached store, outside the lock, and
	// moved in at once: readers see the old state or the new one, never a
	// mix, and a refused state leaves nothing behind.
	n, err := buildState(st)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq, s.limits = n.seq, n.limits
	s.workspaces, s.projects, s.allProjects, s.users = n.workspaces, n.projects, n.allProjects, n.users
	s.accounts, s.deployed, s.tokens, s.dynamic = n.accounts, n.deployed, n.tokens, n.dynamic
	s.oauthApps, s.overrides, s.files = n.oauthApps, n.overrides, n.files
	s.apps, s.components, s.usage, s.workflows, s.proxy = n.apps, n.components, n.usage, n.workflows, n.proxy
	return nil
}

// stateErr is the error of a bad value of a state, at path.
func stateErr(path, format string, args ...any) error {
	return apperr.ErrInvalid.WithMessage("%s", path+": "+fmt.Sprintf(format, args...))
}

// stateWrap puts the path of a bad value before a validator's message.
func stateWrap(path string, err error) error {
	return stateErr(path, "%s", apperr.As(err).Message)
}

// stateBuilder builds a detached Store from a State, checking each value
// on the way: one pass both validates and builds, so the two can't
// disagree.
type stateBuilder struct {
	s   *Store
	top uint64
	// seqs maps each seq seen to the record that has it.
	seqs map[uint64]string
}

func buildState(st State) (*Store, error) {
	b := &stateBuilder{s: NewStore(nil), top: st.Seq, seqs: make(map[uint64]string)}
	for _, step := range []func(State) error{
		b.limits, b.apps, b.components, b.workspaces, b.projects, b.users, b.oauthApps, b.overrides,
		b.accounts, b.tokens, b.triggers, b.dynamicProps, b.files, b.usage, b.workflows, b.invocations, b.proxy,
	} {
		if err := step(st); err != nil {
			return nil, err
		}
	}
	b.s.seq = st.Seq
	return b.s, nil
}

func at(list string, i int) string { return list + "[" + strconv.Itoa(i) + "]" }

// seq checks a record's creation seq: unique among all records (one
// counter numbers every family) and within the state's counter, so the
// records created after the import sort after it.
func (b *stateBuilder) seq(path string, seq uint64) error {
	switch {
	case seq == 0:
		return stateErr(path+".seq", "must be at least 1")
	case seq > b.top:
		return stateErr(path+".seq", "%d is beyond the state's seq counter (%d)", seq, b.top)
	}
	if other, dup := b.seqs[seq]; dup {
		return stateErr(path+".seq", "%d is also the seq of %s", seq, other)
	}
	b.seqs[seq] = path
	return nil
}

// within checks that a family of n records fits its limit.
func (b *stateBuilder) within(path, limit string, n int) error {
	if max := b.s.limits[limit]; n > max {
		return stateErr(path, "holds %d, more than the limit %q allows (%d)", n, limit, max)
	}
	return nil
}

// requireTime checks that a record's time named name is set; cmp.Or of
// several calls reports the first one missing.
func requireTime(path, name string, t time.Time) error {
	if t.IsZero() {
		return stateErr(path+"."+name, "is required")
	}
	return nil
}

// checkID checks an id made by ids.New: prefix and letters or digits.
func checkID(path, id, prefix string) error {
	rest, ok := strings.CutPrefix(id, prefix)
	if !ok || rest == "" || len(rest) > 100 || strings.IndexFunc(rest, func(r rune) bool {
		return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9')
	}) >= 0 {
		return stateErr(path, "must match %s[A-Za-z0-9]+", prefix)
	}
	return nil
}

func checkEnv(path string, env Environment) error {
	if env != Production && env != Development {
		return stateErr(path, "must be %q or %q", Production, Development)
	}
	return nil
}

// project returns a project the state listed earlier.
func (b *stateBuilder) project(path, id string) (*projectRecord, error) {
	p, ok := b.s.projects[id]
	if !ok {
		return nil, stateErr(path, "no project %q", clipInput(id, 100))
	}
	return p, nil
}

// user returns the external user of a project environment.
func (b *stateBuilder) user(path, project string, env Environment, externalID string) (*userRecord, error) {
	u, ok := b.s.user(project, env, externalID)
	if !ok {
		return nil, stateErr(path, "no external user %q in %s of project %s", clipInput(externalID, 100), env, project)
	}
	return u, nil
}

// owner checks the project, environment and external user of a record
// an external user owns.
func (b *stateBuilder) owner(path, project string, env Environment, externalID string) (*userRecord, error) {
	if _, err := b.project(path+".project_id", project); err != nil {
		return nil, err
	}
	if err := checkEnv(path+".environment", env); err != nil {
		return nil, err
	}
	return b.user(path+".external_user_id", project, env, externalID)
}

// catalogApp returns the catalog app a record names by slug.
func (b *stateBuilder) catalogApp(path, slug string) (App, error) {
	app, ok := b.s.apps.lookup(slug)
	if !ok || app.NameSlug != slug {
		return App{}, stateErr(path, "no app with name slug %q in the catalog", clipInput(slug, 100))
	}
	return app, nil
}

func (b *stateBuilder) limits(st State) error {
	for _, name := range slices.Sorted(maps.Keys(st.Limits)) {
		n := st.Limits[name]
		if !slices.ContainsFunc(limitTable, func(l LimitInfo) bool { return l.Name == name }) {
			return stateErr("limits."+name, "is not a limit")
		}
		if n < 1 {
			return stateErr("limits."+name, "must be at least 1, not %d", n)
		}
	}
	l, err := Limits(st.Limits).resolve()
	if err != nil {
		return stateErr("limits", "%v", err) // unreachable: checked above
	}
	b.s.limits = l
	return nil
}

func (b *stateBuilder) apps(st State) error {
	if err := b.within("apps", LimitApps, len(st.Apps)); err != nil {
		return err
	}
	for i, a := range st.Apps {
		path := at("apps", i)
		switch {
		case !validAppID(a.ID):
			return stateErr(path+".id", "must match app_[A-Za-z0-9]+")
		case !validSlug(a.NameSlug):
			return stateErr(path+".name_slug", "must be 1..100 lower-case letters, digits and underscores")
		case builtinAppSlugs[a.NameSlug]:
			return stateErr(path+".name_slug", "%q is a built-in app; list only apps added to the catalog", a.NameSlug)
		}
		r, err := newValueReader(path, a.ExactNumbers)
		if err != nil {
			return err
		}
		weight := a.FeaturedWeight
		spec := AppSpec{ID: a.ID, NameSlug: a.NameSlug, Name: a.Name, AuthType: a.AuthType,
			Description: a.Description, ImgSrc: a.ImgSrc, Categories: slices.Clone(a.Categories),
			FeaturedWeight: &weight, HasActions: a.HasActions, HasTriggers: a.HasTriggers}
		for _, p := range a.ScopeProfiles {
			spec.ScopeProfiles = append(spec.ScopeProfiles, ScopeProfile{Name: p.Name, Scopes: slices.Clone(p.Scopes)})
		}
		for j, f := range a.CustomFields {
			def, err := r.value("/custom_fields/"+strconv.Itoa(j)+"/default", at(path+".custom_fields", j)+".default", f.Default)
			if err != nil {
				return err
			}
			spec.CustomFields = append(spec.CustomFields, CustomField{Name: f.Name, Label: f.Label,
				Description: clonePtr(f.Description), Default: def, Optional: clonePtr(f.Optional), Type: f.Type})
		}
		if err := r.done(); err != nil {
			return err
		}
		if _, err := b.s.apps.add(spec); err != nil {
			return stateWrap(path, err)
		}
	}
	return nil
}

func (b *stateBuilder) components(st State) error {
	appKnown := func(slug string) bool { _, ok := b.s.apps.lookup(slug); return ok }
	added := 0 // versions beyond the built-in ones, as the limit counts them
	for i, c := range st.Components {
		path := at("components", i)
		switch {
		case !validSavedComponentID(c.ID):
			return stateErr(path+".id", "must match sc_[A-Za-z0-9]+")
		case c.Registry != RegistryPublic && c.Registry != RegistryPrivate:
			return stateErr(path+".registry", "must be %q or %q", RegistryPublic, RegistryPrivate)
		case strings.TrimSpace(c.App) == "" || len(c.App) > 100:
			return stateErr(path+".app", "must be 1..100 characters: the app's name slug")
		}
		r, err := newValueReader(path, c.ExactNumbers)
		if err != nil {
			return err
		}
		spec := ComponentSpec{ID: c.ID, Key: c.Key, Name: c.Name, Version: c.Version, ComponentType: c.Type,
			Description: c.Description, Registry: c.Registry, Stash: c.Stash}
		if spec.ConfigurableProps, err = r.props("/props", path+".props", c.Props); err != nil {
			return err
		}
		if spec.DynamicProps, err = r.props("/dynamic_props", path+".dynamic_props", c.DynamicProps); err != nil {
			return err
		}
		opts, err := r.object("/configure_options", path+".configure_options", c.ConfigureOptions)
		if err != nil {
			return err
		}
		if opts != nil {
			spec.ConfigureOptions = make(map[string][]any, len(opts))
			for _, name := range slices.Sorted(maps.Keys(opts)) {
				list, ok := opts[name].([]any)
				if !ok && opts[name] != nil {
					return stateErr(path+".configure_options."+name, "must be a JSON array")
				}
				spec.ConfigureOptions[name] = list
			}
		}
		if c.Run != nil {
			run := &RunResult{}
			if run.Exports, err = r.object("/run/exports", path+".run.exports", c.Run.Exports); err != nil {
				return err
			}
			os, err := r.array("/run/os", path+".run.os", c.Run.Os)
			if err != nil {
				return err
			}
			if os != nil {
				run.Os = make([]map[string]any, len(os))
				for j, o := range os {
					m, ok := o.(map[string]any)
					if !ok && o != nil {
						return stateErr(at(path+".run.os", j), "must be a JSON object")
					}
					run.Os[j] = m
				}
			}
			if run.Ret, err = r.value("/run/ret", path+".run.ret", c.Run.Ret); err != nil {
				return err
			}
			spec.Run = run
		}
		if err := r.done(); err != nil {
			return err
		}
		if c.Annotations != nil {
			a := Annotations{DestructiveHint: clonePtr(c.Annotations.DestructiveHint),
				IdempotentHint: clonePtr(c.Annotations.IdempotentHint), OpenWorldHint: clonePtr(c.Annotations.OpenWorldHint),
				ReadOnlyHint: clonePtr(c.Annotations.ReadOnlyHint), Title: c.Annotations.Title}
			spec.Annotations = &a
		}
		// Registered components name their app explicitly or by their key;
		// only the first is checked against the catalog, so the app is set
		// after the checks rather than passed in.
		comp, err := newComponent(spec, appKnown)
		if err != nil {
			return stateWrap(path, err)
		}
		comp.App = c.App
		// The catalog's own rules, as RegisterComponent applies them.
		var same *Component
		for _, v := range b.s.components.byKey[comp.Key] {
			if v.Type != comp.Type {
				return stateErr(path+".type", "%s has versions of type %s", comp.Key, v.Type)
			}
			if v.Version == comp.Version {
				same = v
			}
		}
		if same != nil && !builtinComponentSet[same] {
			return stateErr(path+".version", "%s@%s is listed twice", comp.Key, comp.Version)
		}
		if other, ok := b.s.components.byID[comp.ID]; ok && other != same {
			return stateErr(path+".id", "%s belongs to %s@%s", comp.ID, other.Key, other.Version)
		}
		if same == nil {
			added++
		}
		b.s.components.put(comp)
	}
	return b.within("components", LimitComponents, added)
}

func (b *stateBuilder) workspaces(st State) error {
	for i, w := range st.Workspaces {
		path := at("workspaces", i)
		if !strings.HasPrefix(w.ID, "o_") || len(w.ID) < 3 {
			return stateErr(path+".id", "must look like o_…")
		}
		if _, dup := b.s.workspaces[w.ID]; dup {
			return stateErr(path+".id", "%q is listed twice", w.ID)
		}
		b.s.workspaces[w.ID] = &workspaceRecord{Workspace: Workspace{ID: w.ID, Name: w.Name}}
	}
	return nil
}

func (b *stateBuilder) projects(st State) error {
	if err := b.within("projects", LimitProjects, len(st.Projects)); err != nil {
		return err
	}
	for i, sp := range st.Projects {
		path := at("projects", i)
		if validateProjectID(sp.ID) != nil {
			return stateErr(path+".id", "must match proj_[A-Za-z0-9]+")
		}
		if _, dup := b.s.projects[sp.ID]; dup {
			return stateErr(path+".id", "%q is listed twice", sp.ID)
		}
		w, ok := b.s.workspaces[sp.WorkspaceID]
		if !ok {
			return stateErr(path+".workspace_id", "no workspace %q", clipInput(sp.WorkspaceID, 100))
		}
		if err := names.Validate("project", sp.Name); err != nil {
			return stateWrap(path+".name", err)
		}
		for field, v := range map[string]string{"app_name": sp.AppName, "support_email": sp.SupportEmail} {
			if len(v) > 1000 {
				return stateErr(path+"."+field, "is longer than 1000 characters")
			}
		}
		if err := b.seq(path, sp.Seq); err != nil {
			return err
		}
		if err := cmp.Or(requireTime(path, "created_at", sp.CreatedAt), requireTime(path, "updated_at", sp.UpdatedAt)); err != nil {
			return err
		}
		p := &projectRecord{Project: Project{ID: sp.ID, WorkspaceID: sp.WorkspaceID, Name: sp.Name, AppName: sp.AppName,
			SupportEmail: sp.SupportEmail, ConnectRequireKeyAuthTest: sp.ConnectRequireKeyAuthTest,
			CreatedAt: sp.CreatedAt, UpdatedAt: sp.UpdatedAt, seq: sp.Seq}}
		for j, h := range sp.Webhooks {
			hp := at(path+".webhooks", j)
			if err := checkEnv(hp+".environment", h.Environment); err != nil {
				return err
			}
			if p.webhooks[h.Environment.index()] != nil {
				return stateErr(hp+".environment", "the project has a %s webhook already", h.Environment)
			}
			if err := checkID(hp+".id", h.ID, "wh_"); err != nil {
				return err
			}
			if err := ValidateWebhookURL("url", h.URL); err != nil {
				return stateWrap(hp+".url", err)
			}
			if h.SigningKey == "" {
				return stateErr(hp+".signing_key", "is required")
			}
			if err := cmp.Or(requireTime(hp, "created_at", h.CreatedAt), requireTime(hp, "updated_at", h.UpdatedAt)); err != nil {
				return err
			}
			p.webhooks[h.Environment.index()] = &ProjectWebhook{ID: h.ID, ProjectID: sp.ID, Environment: h.Environment,
				URL: h.URL, SigningKey: h.SigningKey, CreatedAt: h.CreatedAt, UpdatedAt: h.UpdatedAt}
		}
		if l := sp.Logo; l != nil {
			sniff, ok := logoTypes[l.MediaType]
			switch {
			case !ok:
				return stateErr(path+".logo.media_type", "must be one of image/png, image/jpeg, image/gif, image/webp, image/svg+xml")
			case len(l.Data) == 0 || len(l.Data) > MaxLogoBytes:
				return stateErr(path+".logo.data", "must be 1..%d bytes", MaxLogoBytes)
			case !sniff(l.Data):
				return stateErr(path+".logo.data", "is not a %s image", l.MediaType)
			}
			if err := requireTime(path+".logo", "updated_at", l.UpdatedAt); err != nil {
				return err
			}
			p.logo = &ProjectLogo{MediaType: l.MediaType, Data: slices.Clone(l.Data), UpdatedAt: l.UpdatedAt}
		}
		b.s.projects[p.ID] = p
		b.s.allProjects.Add(p.seq, p)
		w.projects.Add(p.seq, p)
	}
	return nil
}

func (b *stateBuilder) users(st State) error {
	if err := b.within("users", LimitExternalUsers, len(st.Users)); err != nil {
		return err
	}
	ids := make(map[string]bool, len(st.Users))
	for i, su := range st.Users {
		path := at("users", i)
		if err := checkID(path+".id", su.ID, "exu_"); err != nil {
			return err
		}
		if ids[su.ID] {
			return stateErr(path+".id", "%q is listed twice", su.ID)
		}
		ids[su.ID] = true
		p, err := b.project(path+".project_id", su.ProjectID)
		if err != nil {
			return err
		}
		if err := checkEnv(path+".environment", su.Environment); err != nil {
			return err
		}
		if err := ValidateExternalID(su.ExternalID); err != nil {
			return stateWrap(path+".external_id", err)
		}
		k := userKey{su.ProjectID, su.Environment, su.ExternalID}
		if _, dup := b.s.users[k]; dup {
			return stateErr(path+".external_id", "%q is listed twice in %s of project %s", su.ExternalID, su.Environment, su.ProjectID)
		}
		if err := b.seq(path, su.Seq); err != nil {
			return err
		}
		if err := cmp.Or(requireTime(path, "created_at", su.CreatedAt), requireTime(path, "updated_at", su.UpdatedAt)); err != nil {
			return err
		}
		u := &userRecord{ExternalUser: ExternalUser{ID: su.ID, ExternalID: su.ExternalID, ProjectID: su.ProjectID,
			Environment: su.Environment, CreatedAt: su.CreatedAt, UpdatedAt: su.UpdatedAt, seq: su.Seq}}
		for _, base := range slices.Sorted(maps.Keys(su.TriggerSlugHints)) {
			if n := su.TriggerSlugHints[base]; base == "" || n < 2 {
				return stateErr(path+".trigger_slug_hints."+base, "must name a slug and be at least 2")
			}
		}
		if len(su.TriggerSlugHints) > 0 {
			// Both maps are made together, as claim makes them: a nil
			// taken would make claim drop the hints.
			u.slugs = slugIndex{taken: map[string]bool{}, next: maps.Clone(su.TriggerSlugHints)}
		}
		b.s.users[k] = u
		p.users[su.Environment.index()].Add(u.seq, u)
	}
	return nil
}

func (b *stateBuilder) oauthApps(st State) error {
	if err := b.within("oauth_apps", LimitOAuthApps, len(st.OAuthApps)); err != nil {
		return err
	}
	for i, so := range st.OAuthApps {
		path := at("oauth_apps", i)
		_, dup := b.s.oauthApps.get(so.ID)
		app, err := b.projectRecord(path, so.ID, "oa_", dup, so.OwnerID, so.App)
		if err != nil {
			return err
		}
		if app.AuthType != AuthOAuth {
			return stateErr(path+".app", "app %q does not use OAuth", app.NameSlug)
		}
		if err := validateOAuthField("client_id", so.ClientID, MaxOAuthClientIDLen); err != nil {
			return stateWrap(path+".client_id", err)
		}
		var hash [32]byte
		if n, err := hex.Decode(hash[:], []byte(so.ClientSecretSHA256)); err != nil || n != len(hash) || len(so.ClientSecretSHA256) != 2*len(hash) {
			return stateErr(path+".client_secret_sha256", "must be 64 hex digits")
		}
		// The same checks as an update; they clean the scope lists into
		// new ones, which must come out as they went in.
		spec := OAuthAppSpec{Name: &so.Name, Description: &so.Description, Scopes: &so.Scopes, AdditionalScopes: &so.AdditionalScopes}
		if err := validateOAuthAppSpec(&spec, false); err != nil {
			return stateWrap(path, err)
		}
		if len(*spec.Scopes) != len(so.Scopes) {
			return stateErr(path+".scopes", "lists a scope twice")
		}
		if len(*spec.AdditionalScopes) != len(so.AdditionalScopes) {
			return stateErr(path+".additional_scopes", "lists a scope twice")
		}
		if err := b.seq(path, so.Seq); err != nil {
			return err
		}
		if err := cmp.Or(requireTime(path, "created_at", so.CreatedAt), requireTime(path, "updated_at", so.UpdatedAt)); err != nil {
			return err
		}
		b.s.oauthApps.add(b.s, &oauthAppRecord{
			OAuthApp: OAuthApp{ID: so.ID, OwnerID: so.OwnerID, App: app, Name: so.Name, Description: so.Description,
				ClientID: so.ClientID, Scopes: slices.Clone(so.Scopes), AdditionalScopes: slices.Clone(so.AdditionalScopes),
				CreatedAt: so.CreatedAt, UpdatedAt: so.UpdatedAt},
			secretHash: hash, seq: so.Seq,
		})
	}
	return nil
}

func (b *stateBuilder) overrides(st State) error {
	if err := b.within("app_overrides", LimitAppOverrides, len(st.AppOverrides)); err != nil {
		return err
	}
	taken := map[[2]string]bool{} // owner, name
	for i, so := range st.AppOverrides {
		path := at("app_overrides", i)
		_, dup := b.s.overrides.get(so.ID)
		app, err := b.projectRecord(path, so.ID, "ao_", dup, so.OwnerID, so.App)
		if err != nil {
			return err
		}
		if err := names.Validate("app override", so.Name); err != nil {
			return stateWrap(path+".name", err)
		}
		if taken[[2]string{so.OwnerID, so.Name}] {
			return stateErr(path+".name", "project %s has another app override named %q", so.OwnerID, so.Name)
		}
		taken[[2]string{so.OwnerID, so.Name}] = true
		if err := b.checkOAuthApp(path, so.OwnerID, so.OAuthAppID, app); err != nil {
			return err
		}
		r, err := newValueReader(path, so.ExactNumbers)
		if err != nil {
			return err
		}
		cfmap, err := r.object("/cfmap", path+".cfmap", so.Cfmap)
		if err != nil {
			return err
		}
		if err := r.done(); err != nil {
			return err
		}
		if err := validateCfmap(app, cfmap); err != nil {
			return stateWrap(path+".cfmap", err)
		}
		if err := b.seq(path, so.Seq); err != nil {
			return err
		}
		if err := cmp.Or(requireTime(path, "created_at", so.CreatedAt), requireTime(path, "updated_at", so.UpdatedAt)); err != nil {
			return err
		}
		b.s.overrides.add(b.s, &overrideRecord{
			AppOverride: AppOverride{ID: so.ID, Name: so.Name, App: app, OAuthAppID: so.OAuthAppID, Cfmap: cfmap,
				OwnerID: so.OwnerID, CreatedAt: so.CreatedAt, UpdatedAt: so.UpdatedAt},
			seq: so.Seq,
		})
	}
	return nil
}

// projectRecord checks what OAuth apps and app overrides share: an id of
// their prefix, listed once (dup says it was seen already), a project
// owner that exists, and an app of the catalog, which it returns.
func (b *stateBuilder) projectRecord(path, id, prefix string, dup bool, ownerID, appSlug string) (App, error) {
	if err := checkID(path+".id", id, prefix); err != nil {
		return App{}, err
	}
	if dup {
		return App{}, stateErr(path+".id", "%q is listed twice", id)
	}
	if _, err := b.project(path+".owner_id", ownerID); err != nil {
		return App{}, err
	}
	return b.catalogApp(path+".app", appSlug)
}

// checkOAuthApp checks that a record's OAuth client, when it names one,
// exists in its project and is for the record's app.
func (b *stateBuilder) checkOAuthApp(path, projectID, id string, app App) error {
	if id == "" {
		return nil
	}
	oa, ok := b.s.oauthApp(projectID, id)
	if !ok {
		return stateErr(path+".oauth_app_id", "no OAuth client %q in project %s", clipInput(id, 100), projectID)
	}
	if oa.App.ID != app.ID {
		return stateErr(path+".oauth_app_id", "OAuth client %s is for %q, not %q", oa.ID, oa.App.NameSlug, app.NameSlug)
	}
	return nil
}

func (b *stateBuilder) accounts(st State) error {
	if err := b.within("accounts", LimitAccounts, len(st.Accounts)); err != nil {
		return err
	}
	for i, sa := range st.Accounts {
		path := at("accounts", i)
		if err := checkID(path+".id", sa.ID, "apn_"); err != nil {
			return err
		}
		if _, dup := b.s.accounts.get(sa.ID); dup {
			return stateErr(path+".id", "%q is listed twice", sa.ID)
		}
		if _, err := b.owner(path, sa.ProjectID, sa.Environment, sa.ExternalUserID); err != nil {
			return err
		}
		app, err := b.catalogApp(path+".app_slug", sa.AppSlug)
		if err != nil {
			return err
		}
		switch {
		case app.AuthType == AuthNone:
			return stateErr(path+".app_slug", "app %q needs no account (auth_type none)", app.NameSlug)
		case strings.TrimSpace(sa.Name) == "" || !utf8.ValidString(sa.Name):
			return stateErr(path+".name", "is required: UTF-8 text")
		case len(sa.Error) > 1000:
			return stateErr(path+".error", "is longer than 1000 characters")
		}
		// An OAuth client in use can't be deleted, so an account's client
		// always exists.
		if err := b.checkOAuthApp(path, sa.ProjectID, sa.OAuthAppID, app); err != nil {
			return err
		}
		r, err := newValueReader(path, sa.ExactNumbers)
		if err != nil {
			return err
		}
		creds, err := r.object("/credentials", path+".credentials", sa.Credentials)
		if err != nil {
			return err
		}
		if err := r.done(); err != nil {
			return err
		}
		if err := b.seq(path, sa.Seq); err != nil {
			return err
		}
		if err := cmp.Or(requireTime(path, "created_at", sa.CreatedAt), requireTime(path, "updated_at", sa.UpdatedAt), requireTime(path, "refreshed_at", sa.RefreshedAt)); err != nil {
			return err
		}
		b.s.accounts.add(b.s, &Account{ID: sa.ID, ProjectID: sa.ProjectID, Environment: sa.Environment,
			ExternalUserID: sa.ExternalUserID, AppSlug: sa.AppSlug, App: app, Name: sa.Name, Healthy: sa.Healthy,
			Dead: sa.Dead, Error: sa.Error, Credentials: creds, AuthorizedScopes: slices.Clone(sa.AuthorizedScopes),
			OAuthAppID: sa.OAuthAppID, AppOverrideID: sa.AppOverrideID, CreatedAt: sa.CreatedAt, UpdatedAt: sa.UpdatedAt,
			refreshedAt: sa.RefreshedAt, seq: sa.Seq})
	}
	return nil
}

// validTokenString reports whether t is a Connect token as CreateToken
// makes them: ctok_ and 32 lower-case hex digits.
func validTokenString(t string) bool {
	rest, ok := strings.CutPrefix(t, TokenPrefix)
	return ok && len(rest) == 32 && strings.IndexFunc(rest, func(r rune) bool {
		return !('0' <= r && r <= '9' || 'a' <= r && r <= 'f')
	}) < 0
}

func (b *stateBuilder) tokens(st State) error {
	if err := b.within("tokens", LimitConnectTokens, len(st.Tokens)); err != nil {
		return err
	}
	for i, t := range st.Tokens {
		path := at("tokens", i)
		if !validTokenString(t.Token) {
			return stateErr(path+".token", "must be %s and 32 lower-case hex digits", TokenPrefix)
		}
		if _, dup := b.s.tokens.get(t.Token); dup {
			return stateErr(path+".token", "is listed twice")
		}
		if _, err := b.owner(path, t.ProjectID, t.Environment, t.ExternalUserID); err != nil {
			return err
		}
		if ws := b.s.projects[t.ProjectID].WorkspaceID; t.WorkspaceID != ws {
			return stateErr(path+".workspace_id", "must be %s, the workspace of project %s", ws, t.ProjectID)
		}
		if len(t.Scopes) == 0 {
			return stateErr(path+".scopes", "must hold at least one connect: scope")
		}
		for j, sc := range t.Scopes {
			if !strings.HasPrefix(sc, "connect:") || !scope.IsKnown(sc) {
				return stateErr(at(path+".scopes", j), "%q is not a Connect scope", clipInput(sc, 100))
			}
		}
		if err := b.seq(path, t.Seq); err != nil {
			return err
		}
		if err := cmp.Or(requireTime(path, "created_at", t.CreatedAt), requireTime(path, "expires_at", t.ExpiresAt)); err != nil {
			return err
		}
		if !t.ExpiresAt.After(t.CreatedAt) {
			return stateErr(path+".expires_at", "must be after created_at")
		}
		for _, f := range []struct{ name, v string }{
			{"success_redirect_uri", t.SuccessRedirectURI}, {"error_redirect_uri", t.ErrorRedirectURI}, {"webhook_uri", t.WebhookURI},
		} {
			if err := validateURI(f.name, f.v); err != nil {
				return stateWrap(path+"."+f.name, err)
			}
		}
		for j, o := range t.AllowedOrigins {
			if err := validateURI("allowed_origins", o); err != nil {
				return stateWrap(at(path+".allowed_origins", j), err)
			}
		}
		b.s.tokens.add(b.s, &ConnectToken{Token: t.Token, WorkspaceID: t.WorkspaceID, ProjectID: t.ProjectID,
			Environment: t.Environment, ExternalUserID: t.ExternalUserID, Scopes: scope.Set(slices.Clone(t.Scopes)),
			CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt, AllowedOrigins: slices.Clone(t.AllowedOrigins),
			SuccessRedirectURI: t.SuccessRedirectURI, ErrorRedirectURI: t.ErrorRedirectURI, WebhookURI: t.WebhookURI,
			AllowProgressiveScopes: t.AllowProgressiveScopes, AppID: t.AppID, OAuthAppID: t.OAuthAppID, Used: t.Used,
			seq: t.Seq})
	}
	return nil
}

func (b *stateBuilder) triggers(st State) error {
	if err := b.within("deployed_triggers", LimitDeployedTriggers, len(st.DeployedTriggers)); err != nil {
		return err
	}
	for i, t := range st.DeployedTriggers {
		path := at("deployed_triggers", i)
		if err := checkID(path+".id", t.ID, "dc_"); err != nil {
			return err
		}
		if _, dup := b.s.deployed.get(t.ID); dup {
			return stateErr(path+".id", "%q is listed twice", t.ID)
		}
		u, err := b.owner(path, t.ProjectID, t.Environment, t.ExternalUserID)
		if err != nil {
			return err
		}
		switch {
		case t.OwnerID != u.ID:
			return stateErr(path+".owner_id", "must be %s, the external user's id", u.ID)
		case !validSavedComponentID(t.ComponentID):
			return stateErr(path+".component_id", "must match sc_[A-Za-z0-9]+")
		case !validComponentKey(t.ComponentKey):
			return stateErr(path+".component_key", "must be 1..100 letters, digits, '_', '.' or '-'")
		case !validSemVer(t.ComponentVersion):
			return stateErr(path+".component_version", "must be a semantic version (MAJOR.MINOR.PATCH)")
		}
		r, err := newValueReader(path, t.ExactNumbers)
		if err != nil {
			return err
		}
		props, err := r.props("/props", path+".props", t.Props)
		if err != nil {
			return err
		}
		if err := validateProps(path+".props", props, nil, nil); err != nil {
			return err // the message starts with the prop's path
		}
		configured, err := r.object("/configured_props", path+".configured_props", t.ConfiguredProps)
		if err != nil {
			return err
		}
		if len(t.Events) > maxTriggerEvents {
			return stateErr(path+".events", "holds %d events; a trigger keeps its newest %d", len(t.Events), maxTriggerEvents)
		}
		var events []EmittedEvent
		for j, ev := range t.Events {
			ep := at(path+".events", j)
			payload, err := r.value("/events/"+strconv.Itoa(j)+"/payload", ep+".payload", ev.Payload)
			if err != nil {
				return err
			}
			switch {
			case ev.ID == "" || len(ev.ID) > 200:
				return stateErr(ep+".id", "must be 1..200 bytes")
			case payload == nil:
				return stateErr(ep+".payload", "is required: any JSON value but null")
			case len(ev.Summary) > 1000:
				return stateErr(ep+".summary", "is longer than 1000 bytes")
			case ev.Time.IsZero():
				return stateErr(ep+".time", "is required")
			}
			events = append(events, EmittedEvent{ID: ev.ID, Payload: payload, Summary: ev.Summary, Time: ev.Time})
		}
		if err := r.done(); err != nil {
			return err
		}
		if err := names.Validate("trigger", t.Name); err != nil {
			return stateWrap(path+".name", err)
		}
		if t.NameSlug == "" || len(t.NameSlug) > 300 {
			return stateErr(path+".name_slug", "must be 1..300 bytes")
		}
		if u.slugs.taken[t.NameSlug] {
			return stateErr(path+".name_slug", "%q is the name slug of another trigger of the user", t.NameSlug)
		}
		for j, w := range t.WorkflowIDs {
			if !validWorkflowID(w) || slices.Index(t.WorkflowIDs, w) != j {
				return stateErr(at(path+".workflow_ids", j), "must be p_ and letters or digits, listed once")
			}
		}
		var hooks []TriggerWebhook
		if t.Webhooks != nil {
			hooks = make([]TriggerWebhook, len(t.Webhooks))
		}
		for j, h := range t.Webhooks {
			hp := at(path+".webhooks", j)
			if err := checkID(hp+".id", h.ID, "wh_"); err != nil {
				return err
			}
			if err := checkWebhookURL("url", h.URL); err != nil {
				return stateWrap(hp+".url", err)
			}
			if slices.ContainsFunc(t.Webhooks[:j], func(o StateTriggerWebhook) bool { return o.URL == h.URL || o.ID == h.ID }) {
				return stateErr(hp, "has the URL or id of an earlier webhook of the trigger")
			}
			if h.SigningKey == "" {
				return stateErr(hp+".signing_key", "is required")
			}
			if err := cmp.Or(requireTime(hp, "created_at", h.CreatedAt), requireTime(hp, "updated_at", h.UpdatedAt)); err != nil {
				return err
			}
			hooks[j] = TriggerWebhook(h)
		}
		if err := b.seq(path, t.Seq); err != nil {
			return err
		}
		if err := cmp.Or(requireTime(path, "created_at", t.CreatedAt), requireTime(path, "updated_at", t.UpdatedAt)); err != nil {
			return err
		}
		// The user's taken slugs are those of their triggers; claim makes
		// both maps at once, and so does this.
		if u.slugs.taken == nil {
			u.slugs.taken = map[string]bool{}
		}
		if u.slugs.next == nil {
			u.slugs.next = map[string]int{}
		}
		u.slugs.taken[t.NameSlug] = true
		b.s.deployed.add(b.s, &DeployedTrigger{ID: t.ID, ProjectID: t.ProjectID, Environment: t.Environment,
			ExternalUserID: t.ExternalUserID, OwnerID: t.OwnerID, ComponentID: t.ComponentID,
			ComponentKey: t.ComponentKey, ComponentVersion: t.ComponentVersion, Props: props, ConfiguredProps: configured,
			Active: t.Active, Name: t.Name, NameSlug: t.NameSlug, EmitOnDeploy: t.EmitOnDeploy,
			WorkflowIDs: slices.Clone(t.WorkflowIDs), Webhooks: hooks, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt,
			seq: t.Seq, events: events})
	}
	return nil
}

func (b *stateBuilder) dynamicProps(st State) error {
	if err := b.within("dynamic_props", LimitDynamicProps, len(st.DynamicProps)); err != nil {
		return err
	}
	for i, d := range st.DynamicProps {
		path := at("dynamic_props", i)
		if err := checkID(path+".id", d.ID, "dyp_"); err != nil {
			return err
		}
		if _, dup := b.s.dynamic.byID[d.ID]; dup {
			return stateErr(path+".id", "%q is listed twice", d.ID)
		}
		// reloadProps makes no users: the project must exist, the user
		// need not.
		if _, err := b.project(path+".project_id", d.ProjectID); err != nil {
			return err
		}
		if err := checkEnv(path+".environment", d.Environment); err != nil {
			return err
		}
		if err := ValidateExternalID(d.ExternalUserID); err != nil {
			return stateWrap(path+".external_user_id", err)
		}
		if !validSavedComponentID(d.ComponentID) {
			return stateErr(path+".component_id", "must match sc_[A-Za-z0-9]+")
		}
		r, err := newValueReader(path, d.ExactNumbers)
		if err != nil {
			return err
		}
		props, err := r.props("/props", path+".props", d.Props)
		if err != nil {
			return err
		}
		if err := r.done(); err != nil {
			return err
		}
		if err := validateProps(path+".props", props, nil, nil); err != nil {
			return err
		}
		k := userKey{d.ProjectID, d.Environment, d.ExternalUserID}
		if b.s.dynamic.count(k) >= maxDynamicPerUser {
			return stateErr(path, "external user %q has more than the %d reloadProps results a user keeps", clipInput(d.ExternalUserID, 100), maxDynamicPerUser)
		}
		if err := b.seq(path, d.Seq); err != nil {
			return err
		}
		b.s.dynamic.add(&dynamicProps{ID: d.ID, ComponentID: d.ComponentID, user: k, Props: props, seq: d.Seq})
	}
	return nil
}

func (b *stateBuilder) files(st State) error {
	if err := b.within("files", LimitFiles, len(st.Files)); err != nil {
		return err
	}
	for i, f := range st.Files {
		path := at("files", i)
		if _, err := b.project(path+".project_id", f.ProjectID); err != nil {
			return err
		}
		if err := checkEnv(path+".environment", f.Environment); err != nil {
			return err
		}
		if err := ValidateS3Key(f.S3Key); err != nil {
			return stateWrap(path+".s3_key", err)
		}
		if _, dup := b.s.files.get(fileKey(f.ProjectID, f.Environment, f.S3Key)); dup {
			return stateErr(path+".s3_key", "is listed twice for the %s File Stash of %s", f.Environment, f.ProjectID)
		}
		if len(f.Content) > MaxStashBytes {
			return stateErr(path+".content", "is larger than %d bytes", MaxStashBytes)
		}
		if _, _, err := mime.ParseMediaType(f.ContentType); err != nil || len(f.ContentType) > 200 {
			return stateErr(path+".content_type", "must be a media type such as text/plain")
		}
		if err := b.seq(path, f.Seq); err != nil {
			return err
		}
		if err := cmp.Or(requireTime(path, "created_at", f.CreatedAt), requireTime(path, "expires_at", f.ExpiresAt)); err != nil {
			return err
		}
		if !f.ExpiresAt.After(f.CreatedAt) {
			return stateErr(path+".expires_at", "must be after created_at")
		}
		content := slices.Clone(f.Content)
		if content == nil {
			content = []byte{} // as PutFile stores an empty file
		}
		b.s.files.add(b.s, &StashFile{ProjectID: f.ProjectID, Environment: f.Environment, S3Key: f.S3Key,
			Content: content, ContentType: f.ContentType, CreatedAt: f.CreatedAt, ExpiresAt: f.ExpiresAt, seq: f.Seq})
	}
	return nil
}

func (b *stateBuilder) usage(st State) error {
	if err := b.within("usage", LimitUsageSeconds, len(st.Usage)); err != nil {
		return err
	}
	// Usage outlives the projects and users it was metered to (a bill does
	// not shrink), so it references nothing.
	for i, u := range st.Usage {
		path := at("usage", i)
		switch {
		case u.WorkspaceID == "":
			return stateErr(path+".workspace_id", "is required")
		case u.ProjectID == "":
			return stateErr(path+".project_id", "is required")
		case u.ActionRuns < 0:
			return stateErr(path+".action_runs", "must not be negative")
		case u.ProxyCalls < 0:
			return stateErr(path+".proxy_calls", "must not be negative")
		case u.SourceEmits < 0:
			return stateErr(path+".source_emits", "must not be negative")
		}
		bucket := &usageBucket{sec: u.Sec, workspace: u.WorkspaceID, project: u.ProjectID,
			actionRuns: u.ActionRuns, proxyCalls: u.ProxyCalls, sourceEmits: u.SourceEmits}
		if _, dup := b.s.usage.buckets.ReplaceOrInsert(bucket); dup {
			return stateErr(path+".sec", "second %d of project %s is listed twice", u.Sec, u.ProjectID)
		}
	}
	return nil
}

func (b *stateBuilder) workflows(st State) error {
	if err := b.within("workflows", LimitWorkflows, len(st.Workflows)); err != nil {
		return err
	}
	for i, w := range st.Workflows {
		path := at("workflows", i)
		if err := ValidateEndpointID(w.EndpointID); err != nil {
			return stateWrap(path+".endpoint_id", err)
		}
		if _, dup := b.s.workflows.registered[w.EndpointID]; dup {
			return stateErr(path+".endpoint_id", "%q is listed twice", w.EndpointID)
		}
		if w.Status < 200 || w.Status > 599 {
			return stateErr(path+".status", "must be an HTTP status from 200 to 599")
		}
		spec := WorkflowSpec{EndpointID: w.EndpointID, Status: w.Status, Headers: maps.Clone(w.Headers), Auth: w.Auth, Token: w.Token}
		if w.Body != "" {
			spec.Body = []byte(w.Body)
		}
		if err := validateWorkflowSpec(&spec); err != nil {
			return stateWrap(path, err)
		}
		if err := requireTime(path, "created_at", w.CreatedAt); err != nil {
			return err
		}
		b.s.workflows.registered[w.EndpointID] = &Workflow{WorkflowSpec: spec, CreatedAt: w.CreatedAt}
	}
	return nil
}

func (b *stateBuilder) invocations(st State) error {
	ids := make(map[string]bool, len(st.WorkflowInvocations))
	for i, inv := range st.WorkflowInvocations {
		path := at("workflow_invocations", i)
		if err := checkID(path+".id", inv.ID, "inv_"); err != nil {
			return err
		}
		if ids[inv.ID] {
			return stateErr(path+".id", "%q is listed twice", inv.ID)
		}
		ids[inv.ID] = true
		if err := ValidateEndpointID(inv.EndpointID); err != nil {
			return stateWrap(path+".endpoint_id", err)
		}
		if inv.Method == "" {
			return stateErr(path+".method", "is required")
		}
		if err := requireTime(path, "received_at", inv.ReceivedAt); err != nil {
			return err
		}
		list := b.s.workflows.invocations[inv.EndpointID]
		// RecordInvocation trims an endpoint's list in batches, so it
		// holds up to twice the number it shows.
		if len(list) >= 2*MaxInvocationsKept {
			return stateErr(path, "endpoint %s has more than %d invocations", inv.EndpointID, 2*MaxInvocationsKept)
		}
		if max := b.s.limits[LimitWorkflows]; list == nil && len(b.s.workflows.invocations) >= max {
			return stateErr(path+".endpoint_id", "is one endpoint with invocations more than the limit %q allows (%d)", LimitWorkflows, max)
		}
		b.s.workflows.invocations[inv.EndpointID] = append(list, WorkflowInvocation{ID: inv.ID,
			EndpointID: inv.EndpointID, Method: inv.Method, Path: inv.Path, Query: inv.Query,
			Headers: maps.Clone(inv.Headers), Body: slices.Clone(inv.Body), ExternalUserID: inv.ExternalUserID,
			Auth: inv.Auth, WorkspaceID: inv.WorkspaceID, ReceivedAt: inv.ReceivedAt})
	}
	return nil
}

func (b *stateBuilder) proxy(st State) error {
	parse := func(path string, hosts []string) (ProxyPolicy, error) {
		for j, h := range hosts {
			if _, err := ParseProxyPolicy([]string{h}); err != nil {
				return ProxyPolicy{}, stateWrap(at(path, j), err)
			}
		}
		p, err := ParseProxyPolicy(hosts)
		if err != nil {
			return ProxyPolicy{}, stateWrap(path, err)
		}
		return p, nil
	}
	b.s.proxy = proxyState{}
	if st.Proxy.BaseHosts != nil {
		base, err := parse("proxy.base_hosts", st.Proxy.BaseHosts)
		if err != nil {
			return err
		}
		b.s.proxy.base = &base
	}
	if st.Proxy.Hosts == nil {
		b.s.proxy.reset() // the base, as Reset would restore it
		return nil
	}
	cur, err := parse("proxy.hosts", st.Proxy.Hosts)
	if err != nil {
		return err
	}
	b.s.proxy.current = cur
	return nil
}
