package connect

import (
	"cmp"
	"crypto/sha256"
	"crypto/subtle"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/pdemu/pdemu/emulator/apperr"
	"github.com/pdemu/pdemu/emulator/internal/names"
	"github.com/pdemu/pdemu/emulator/internal/paging"
	"github.com/pdemu/pdemu/emulator/internal/seqset"
)

// OAuthRedirectURIBase starts every custom OAuth client's redirect URI, the
// one a developer registers with the upstream provider:
// https://api.pipedream.com/connect/oauth/<oa_…>/callback, as Pipedream's
// docs show it. The emulator runs no OAuth flow, so the URI is only shown.
const OAuthRedirectURIBase = "https://api.pipedream.com/connect/oauth/"

// Limits on a custom OAuth client's fields. Pipedream documents none; these
// are generous bounds that keep state small and catch mistakes.
const (
	MaxOAuthClientIDLen     = 1024
	MaxOAuthClientSecretLen = 4096
	MaxDescriptionLen       = 1000
	MaxOAuthScopes          = 200
	MaxOAuthScopeLen        = 512
)

// OAuthApp is a custom OAuth client ("bring your own app", oa_…): a
// developer's own client id and secret for an OAuth app of the catalog,
// which a project's users then connect through. Its secret is write-only:
// no method returns it.
type OAuthApp struct {
	ID string
	// OwnerID is the project that registered the client: clients made
	// through the API belong to the project in the path, across both of
	// its environments.
	OwnerID string
	// App is the catalog app the client is for.
	App App
	// Name and Description are the client's own; empty means the API shows
	// the app's instead (see DisplayName, DisplayDescription).
	Name             string
	Description      string
	ClientID         string
	Scopes           []string
	AdditionalScopes []string
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// RedirectURI is the callback URL to register with the upstream provider.
func (o OAuthApp) RedirectURI() string { return OAuthRedirectURIBase + o.ID + "/callback" }

// DisplayName is the client's name, or its app's when it has none.
func (o OAuthApp) DisplayName() string { return cmp.Or(o.Name, o.App.Name) }

// DisplayDescription is the client's description, or its app's when it has
// none.
func (o OAuthApp) DisplayDescription() string { return cmp.Or(o.Description, o.App.Description) }

// OAuthAppSpec is what a create or update may set. Nil fields are left as
// they are on update; on create App, ClientID and ClientSecret are required.
type OAuthAppSpec struct {
	// App is the catalog app's id or name slug; read on create only (a
	// client cannot move to another app).
	App      string
	ClientID *string
	// ClientSecret is write-only. On update a blank one (empty or only
	// white space) is ignored and the secret kept, as Pipedream documents.
	ClientSecret *string
	// Name and Description: empty clears them back to the app's.
	Name             *string
	Description      *string
	Scopes           *[]string
	AdditionalScopes *[]string
}

type oauthAppRecord struct {
	OAuthApp
	secretHash [sha256.Size]byte
	seq        uint64
}

// oauthAppKind files custom OAuth clients by id, in their project's index.
var oauthAppKind = ownedKind[oauthAppRecord]{
	limit: LimitOAuthApps,
	key:   func(o *oauthAppRecord) string { return o.ID },
	seq:   func(o *oauthAppRecord) uint64 { return o.seq },
	indexes: func(s *Store, o *oauthAppRecord) []*seqset.Set[*oauthAppRecord] {
		return projectIndex(s, o.OwnerID, func(p *projectRecord) *seqset.Set[*oauthAppRecord] { return &p.oauthApps })
	},
	ofProject: func(p *projectRecord) *seqset.Set[*oauthAppRecord] { return &p.oauthApps },
}

// oauthApp returns a project's OAuth client; callers hold mu.
func (s *Store) oauthApp(projectID, id string) (*oauthAppRecord, bool) {
	o, ok := s.oauthApps.get(id)
	if !ok || o.OwnerID != projectID {
		return nil, false
	}
	return o, true
}

// oauthAppView is the client as shown: copies of its slices, with its app
// as the catalog has it now (the snapshot taken at creation if the catalog no
// longer has it). Callers hold mu.
func (s *Store) oauthAppView(o *oauthAppRecord) OAuthApp {
	v := o.OAuthApp
	if app, ok := s.apps.lookup(o.App.NameSlug); ok {
		v.App = app
	}
	v.Scopes = slices.Clone(o.Scopes)
	v.AdditionalScopes = slices.Clone(o.AdditionalScopes)
	return v
}

// oauthAppOf returns a project's OAuth client, for the families that take
// an oauth_app_id (accounts, tokens); callers hold mu.
func (s *Store) oauthAppOf(projectID, id string) (OAuthApp, bool) {
	o, ok := s.oauthApp(projectID, id)
	if !ok {
		return OAuthApp{}, false
	}
	return s.oauthAppView(o), true
}

func errNoOAuthApp(id string) error {
	return apperr.ErrNotFound.WithMessage("no OAuth client %q in this project", truncateString(id, 100))
}

// validateOAuthAppSpec checks the fields spec sets; create also requires
// client_id and client_secret. It replaces the scope lists in spec with
// cleaned-up copies.
func validateOAuthAppSpec(spec *OAuthAppSpec, create bool) error {
	if create {
		if spec.ClientID == nil {
			return apperr.ErrInvalid.WithMessage("client_id is required")
		}
		if spec.ClientSecret == nil || isBlank(*spec.ClientSecret) {
			return apperr.ErrInvalid.WithMessage("client_secret is required")
		}
	}
	if v := spec.ClientID; v != nil {
		if err := validateOAuthField("client_id", *v, MaxOAuthClientIDLen); err != nil {
			return err
		}
	}
	if v := spec.ClientSecret; v != nil && !isBlank(*v) {
		if err := validateOAuthField("client_secret", *v, MaxOAuthClientSecretLen); err != nil {
			return err
		}
	}
	if v := spec.Name; v != nil && *v != "" {
		if isBlank(*v) {
			return apperr.ErrInvalid.WithMessage(`name must not be blank; send "" to show the app's name`)
		}
		if err := names.Validate("OAuth client", *v); err != nil {
			return err
		}
	}
	if v := spec.Description; v != nil {
		if !utf8.ValidString(*v) || utf8.RuneCountInString(*v) > MaxDescriptionLen {
			return apperr.ErrInvalid.WithMessage("description must be valid UTF-8 of at most %d characters", MaxDescriptionLen)
		}
	}
	for _, f := range []struct {
		name string
		list **[]string
	}{{"scopes", &spec.Scopes}, {"additional_scopes", &spec.AdditionalScopes}} {
		if *f.list == nil {
			continue
		}
		cleaned, err := cleanScopes(f.name, **f.list)
		if err != nil {
			return err
		}
		*f.list = &cleaned // a new slice: the caller's stays as it was
	}
	return nil
}

// isBlank reports whether v is empty or only white space: a blank secret
// on update means "keep the current one".
func isBlank(v string) bool { return strings.TrimSpace(v) == "" }

// validateOAuthField checks a credential-like string: not blank, no white space
// or control characters (they are never part of one, and usually a paste
// error), at most limit bytes.
func validateOAuthField(field, v string, limit int) error {
	switch {
	case strings.TrimSpace(v) == "":
		return apperr.ErrInvalid.WithMessage("%s must not be blank", field)
	case len(v) > limit:
		return apperr.ErrInvalid.WithMessage("%s is longer than %d bytes", field, limit)
	case !utf8.ValidString(v) || strings.IndexFunc(v, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0:
		return apperr.ErrInvalid.WithMessage("%s must not contain white space or control characters", field)
	}
	return nil
}

// cleanScopes checks an OAuth scope list and drops repeats, keeping the
// first. A scope with white space in it is refused: it is almost always a
// space-separated list passed as one element.
func cleanScopes(field string, in []string) ([]string, error) {
	if len(in) > MaxOAuthScopes {
		return nil, apperr.ErrInvalid.WithMessage("%s has more than %d entries", field, MaxOAuthScopes)
	}
	out := make([]string, 0, len(in))
	for i, sc := range in {
		if err := validateOAuthField(field+"["+strconv.Itoa(i)+"]", sc, MaxOAuthScopeLen); err != nil {
			return nil, err
		}
		if !slices.Contains(out, sc) {
			out = append(out, sc)
		}
	}
	return out, nil
}

// oauthCatalogApp finds the app a custom OAuth client is for: it must exist
// and use OAuth. Callers hold mu. Errors: invalid_request.
func (s *Store) oauthCatalogApp(idOrSlug string) (App, error) {
	if strings.TrimSpace(idOrSlug) == "" {
		return App{}, apperr.ErrInvalid.WithMessage("app is required (an app id or name slug)")
	}
	app, ok := s.apps.lookup(idOrSlug)
	if !ok {
		return App{}, apperr.ErrInvalid.WithMessage("unknown app %q", truncateString(idOrSlug, 100))
	}
	if app.AuthType != "oauth" {
		return App{}, apperr.ErrInvalid.WithMessage("app %q uses %q auth; custom OAuth clients are only for OAuth apps", app.NameSlug, cmp.Or(app.AuthType, "no"))
	}
	return app, nil
}

// CreateOAuthApp registers a custom OAuth client for an OAuth app in a
// project. Errors: invalid_request (unknown or non-OAuth app, missing or
// bad fields), not_found (project).
func (s *Store) CreateOAuthApp(a Access, projectID string, spec OAuthAppSpec) (OAuthApp, error) {
	if err := validateOAuthAppSpec(&spec, true); err != nil {
		return OAuthApp{}, err
	}
	now := s.clock.Now()
	s.lock()
	defer s.mu.Unlock()
	if _, err := s.project(a, projectID); err != nil {
		return OAuthApp{}, err
	}
	app, err := s.oauthCatalogApp(spec.App)
	if err != nil {
		return OAuthApp{}, err
	}
	if err := s.oauthApps.room(s); err != nil {
		return OAuthApp{}, err
	}
	o := &oauthAppRecord{
		OAuthApp: OAuthApp{ID: s.gen.New("oa_", 7), OwnerID: projectID, App: app, ClientID: *spec.ClientID,
			Scopes: []string{}, AdditionalScopes: []string{}, CreatedAt: now},
		secretHash: sha256.Sum256([]byte(*spec.ClientSecret)),
		seq:        s.nextSeq(),
	}
	o.apply(spec, now)
	s.oauthApps.add(s, o)
	return s.oauthAppView(o), nil
}

func (o *oauthAppRecord) apply(spec OAuthAppSpec, now time.Time) {
	if spec.ClientID != nil {
		o.ClientID = *spec.ClientID
	}
	if spec.ClientSecret != nil && !isBlank(*spec.ClientSecret) {
		o.secretHash = sha256.Sum256([]byte(*spec.ClientSecret))
	}
	if spec.Name != nil {
		o.Name = *spec.Name
	}
	if spec.Description != nil {
		o.Description = *spec.Description
	}
	if spec.Scopes != nil {
		o.Scopes = slices.Clone(*spec.Scopes)
	}
	if spec.AdditionalScopes != nil {
		o.AdditionalScopes = slices.Clone(*spec.AdditionalScopes)
	}
	o.UpdatedAt = now
}

// OAuthApp returns one of a project's custom OAuth clients.
// Errors: not_found (project or client).
func (s *Store) OAuthApp(a Access, projectID, id string) (OAuthApp, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if _, err := s.project(a, projectID); err != nil {
		return OAuthApp{}, err
	}
	o, ok := s.oauthApp(projectID, id)
	if !ok {
		return OAuthApp{}, errNoOAuthApp(id)
	}
	return s.oauthAppView(o), nil
}

// CheckOAuthAppSecret reports whether secret is the client secret of one of
// a project's OAuth clients, in constant time. Only the secret's hash is
// kept, so this is the one way to tell which secret was stored.
func (s *Store) CheckOAuthAppSecret(a Access, projectID, id, secret string) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if _, err := s.project(a, projectID); err != nil {
		return false
	}
	o, ok := s.oauthApp(projectID, id)
	if !ok {
		return false
	}
	h := sha256.Sum256([]byte(secret))
	return subtle.ConstantTimeCompare(h[:], o.secretHash[:]) == 1
}

// ListOAuthApps pages through a project's custom OAuth clients, oldest
// first. app, when set, keeps the clients of that app (id or name slug);
// q keeps those whose name or description (as shown) contains it,
// case-insensitively. Errors: not_found (project).
func (s *Store) ListOAuthApps(a Access, projectID, app, q string, req PageRequest) (Page[OAuthApp], error) {
	q = strings.ToLower(q)
	s.mu.RLock()
	defer s.mu.RUnlock()
	p, err := s.project(a, projectID)
	if err != nil {
		return Page[OAuthApp]{}, err
	}
	var keep func(*oauthAppRecord) bool
	if app != "" || q != "" {
		match := s.appMatcher(app)
		keep = func(o *oauthAppRecord) bool {
			v := s.oauthAppView(o)
			return match(v.App) && (q == "" || strings.Contains(strings.ToLower(v.DisplayName()), q) ||
				strings.Contains(strings.ToLower(v.DisplayDescription()), q))
		}
	}
	page, err := seqset.Page(&p.oauthApps, req, keep)
	return paging.Map(page, s.oauthAppView), err
}

// appMatcher returns a filter for the `app` query parameter of the lists:
// an app id or name slug. An app the catalog doesn't know matches records
// whose (snapshotted) app has that id or slug, so nothing in the usual
// case. Callers hold mu.
func (s *Store) appMatcher(idOrSlug string) func(App) bool {
	if idOrSlug == "" {
		return func(App) bool { return true }
	}
	if app, ok := s.apps.lookup(idOrSlug); ok {
		return func(x App) bool { return x.NameSlug == app.NameSlug }
	}
	return func(x App) bool { return x.NameSlug == idOrSlug || (x.ID != "" && x.ID == idOrSlug) }
}

// UpdateOAuthApp changes the fields spec sets (spec.App is ignored).
// Errors: invalid_request, not_found (project or client).
func (s *Store) UpdateOAuthApp(a Access, projectID, id string, spec OAuthAppSpec) (OAuthApp, error) {
	if err := validateOAuthAppSpec(&spec, false); err != nil {
		return OAuthApp{}, err
	}
	now := s.clock.Now()
	s.lock()
	defer s.mu.Unlock()
	if _, err := s.project(a, projectID); err != nil {
		return OAuthApp{}, err
	}
	o, ok := s.oauthApp(projectID, id)
	if !ok {
		return OAuthApp{}, errNoOAuthApp(id)
	}
	o.apply(spec, now)
	return s.oauthAppView(o), nil
}

// DeleteOAuthApp removes a custom OAuth client that nothing uses any more.
// Errors: not_found (project or client); invalid_request while an app
// override selects it or a connected account was made through it (delete
// or change those first), as Pipedream only removes clients "no longer in
// use".
func (s *Store) DeleteOAuthApp(a Access, projectID, id string) error {
	s.lock()
	defer s.mu.Unlock()
	p, err := s.project(a, projectID)
	if err != nil {
		return err
	}
	o, ok := s.oauthApp(projectID, id)
	if !ok {
		return errNoOAuthApp(id)
	}
	var overrides, accounts int
	for _, ov := range p.overrides.All() {
		if ov.OAuthAppID == id {
			overrides++
		}
	}
	for env := range p.accounts {
		for _, acc := range p.accounts[env].All() {
			if acc.OAuthAppID == id {
				accounts++
			}
		}
	}
	if overrides+accounts > 0 {
		return apperr.ErrInvalid.WithMessage("OAuth client %s is in use by %d app override(s) and %d connected account(s); remove those first", id, overrides, accounts)
	}
	s.oauthApps.remove(s, o)
	return nil
}
