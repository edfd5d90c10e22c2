package connect

import (
	"cmp"
	"crypto/subtle"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/pdemu/pdemu/emulator/apperr"
	"github.com/pdemu/pdemu/emulator/internal/names"
	"github.com/pdemu/pdemu/emulator/internal/paging"
	"github.com/pdemu/pdemu/emulator/internal/seqset"
)

// OAuth token timing of connected OAuth accounts. Pipedream refreshes
// access tokens before they expire; pdemu models a one-hour access token
// refreshed every 55 minutes, so at any instant
// last_refreshed_at <= now < next_refresh_at < expires_at.
const (
	AccessTokenTTL  = time.Hour
	RefreshInterval = 55 * time.Minute
)

// Account is a connected account ("auth provision", apn_…): an external
// user's credentials for one app, in one project environment.
type Account struct {
	ID             string
	ProjectID      string
	Environment    Environment
	ExternalUserID string // the developer's id for the user (external_id on the wire)
	AppSlug        string
	// App is the catalog app the account is for.
	App     App
	Name    string
	Healthy bool
	Dead    bool
	// Error is why the account is unhealthy; empty when it is fine.
	Error string
	// Credentials are the OAuth tokens (oauth apps) or the custom fields'
	// values (keys apps).
	Credentials map[string]any
	// AuthorizedScopes are the OAuth scopes the user granted (oauth apps).
	AuthorizedScopes []string
	// OAuthAppID is the custom OAuth client (oa_…) the account was
	// connected through; empty means Pipedream's own client.
	OAuthAppID string
	// AppOverrideID is the app override the account was connected with.
	AppOverrideID string
	CreatedAt     time.Time
	UpdatedAt     time.Time
	// LastRefreshedAt, ExpiresAt and NextRefreshAt are the OAuth access
	// token's timing as of the moment the account was read; nil for keys
	// apps. See RefreshInterval.
	LastRefreshedAt *time.Time
	ExpiresAt       *time.Time
	NextRefreshAt   *time.Time

	// refreshedAt is when the credentials were last replaced (connect or
	// reconnect); the refresh timing counts from there.
	refreshedAt time.Time
	seq         uint64
}

// accountKind files connected accounts by id, in their user's index and
// their project environment's.
var accountKind = ownedKind[Account]{
	limit: LimitAccounts,
	key:   func(a *Account) string { return a.ID },
	seq:   func(a *Account) uint64 { return a.seq },
	indexes: func(s *Store, a *Account) []*seqset.Set[*Account] {
		return ownerIndexes(s, a.ProjectID, a.Environment, a.ExternalUserID,
			func(u *userRecord) *seqset.Set[*Account] { return &u.accounts },
			func(p *projectRecord) *seqset.Set[*Account] { return &p.accounts[a.Environment.index()] })
	},
	ofUser: func(u *userRecord) *seqset.Set[*Account] { return &u.accounts },
}

// AccountScope says which accounts a caller reaches: those of a project
// environment that its Access reaches (a Connect token's: its own user's).
type AccountScope struct {
	Access      Access
	ProjectID   string
	Environment Environment
}

// in reports whether acc lies within sc; project visibility is checked
// separately.
func (sc AccountScope) in(acc *Account) bool {
	return acc.ProjectID == sc.ProjectID && acc.Environment == sc.Environment && sc.Access.reaches(acc.ExternalUserID)
}

// AccountFilter narrows a list of accounts. Empty fields don't filter.
type AccountFilter struct {
	ExternalUserID string
	// App is an app id or name slug; an unknown app is a not_found.
	App        string
	OAuthAppID string
}

// AccountSpec describes an account to connect.
type AccountSpec struct {
	ExternalUserID string
	// App is the app's id or name slug.
	App string
	// Name is the account's name; empty makes one up (on reconnect, keeps
	// the old one).
	Name string
	// Credentials are the credentials to store. For keys apps they must
	// hold every required custom field; for OAuth apps they are laid over
	// made-up OAuth tokens (a finished OAuth flow). Nil makes up all of
	// them, for either kind.
	Credentials map[string]any
	// AuthorizedScopes of an OAuth account; nil means the app's widest
	// scope profile.
	AuthorizedScopes []string
	OAuthAppID       string
	AppOverrideID    string
	// ReplaceID names an account of the same user and app whose
	// credentials this connection replaces (a reconnect).
	ReplaceID string
	// Healthy and Dead default to true and false; Error is shown as the
	// account's error. The control plane sets them to stage broken
	// accounts.
	Healthy *bool
	Dead    *bool
	Error   string
}

// validateAccountSpec checks spec against its app and returns the
// credentials to store. Callers hold mu.
func (s *Store) validateAccountSpec(projectID string, spec *AccountSpec) (App, map[string]any, error) {
	if spec.App == "" {
		return App{}, nil, apperr.ErrInvalid.WithMessage("the app is required (an app id or name slug)")
	}
	app, ok := s.apps.lookup(spec.App)
	if !ok {
		return App{}, nil, apperr.ErrNotFound.WithMessage("no app %q", clipID(spec.App, 100))
	}
	if app.AuthType == AuthNone {
		return App{}, nil, apperr.ErrInvalid.WithMessage("app %q needs no account (auth_type none)", app.NameSlug)
	}
	if spec.Name != "" {
		if err := names.Validate("account", spec.Name); err != nil {
			return App{}, nil, err
		}
	}
	if len(spec.Error) > 1000 {
		return App{}, nil, apperr.ErrInvalid.WithMessage("error is longer than 1000 characters")
	}
	var preset map[string]any
	if spec.AppOverrideID != "" {
		ov, ok := s.appOverrideOf(projectID, spec.AppOverrideID)
		if !ok {
			return App{}, nil, apperr.ErrNotFound.WithMessage("no app override %q in this project", clipID(spec.AppOverrideID, 100))
		}
		if ov.App.ID != app.ID {
			return App{}, nil, apperr.ErrInvalid.WithMessage("app override %s is for %q, not %q", ov.ID, ov.App.NameSlug, app.NameSlug)
		}
		switch {
		case ov.OAuthAppID == "":
		case spec.OAuthAppID == "":
			spec.OAuthAppID = ov.OAuthAppID
		case spec.OAuthAppID != ov.OAuthAppID:
			return App{}, nil, apperr.ErrInvalid.WithMessage("oauth_app_id differs from the OAuth client app override %s selects", ov.ID)
		}
		preset = ov.Cfmap
	}
	if spec.OAuthAppID != "" {
		if app.AuthType != AuthOAuth {
			return App{}, nil, apperr.ErrInvalid.WithMessage("oauth_app_id applies to OAuth apps; %q uses %s auth", app.NameSlug, app.AuthType)
		}
		oa, ok := s.oauthAppOf(projectID, spec.OAuthAppID)
		if !ok {
			return App{}, nil, errNoOAuthClient(spec.OAuthAppID)
		}
		if oa.App.ID != app.ID {
			return App{}, nil, apperr.ErrInvalid.WithMessage("OAuth client %s is for %q, not %q", oa.ID, oa.App.NameSlug, app.NameSlug)
		}
	}
	if app.AuthType == AuthKeys && spec.AuthorizedScopes != nil {
		return App{}, nil, apperr.ErrInvalid.WithMessage("authorized_scopes apply to OAuth apps; %q uses keys", app.NameSlug)
	}
	creds, err := s.credentialsFor(projectID, app, *spec, preset)
	if err != nil {
		return App{}, nil, err
	}
	return app, creds, nil
}

// credentialsFor builds what an account of app stores from what was given
// and the values an app override pre-defines, which win (Pipedream merges
// them over cfmap_json). Callers hold mu.
func (s *Store) credentialsFor(projectID string, app App, spec AccountSpec, preset map[string]any) (map[string]any, error) {
	given, preset := cloneMap(spec.Credentials), cloneMap(preset)
	if app.AuthType == AuthOAuth {
		// What a finished OAuth flow leaves behind, with whatever was
		// given laid over it.
		clientID := "pd_" + app.NameSlug + "_client"
		if spec.OAuthAppID != "" {
			if oa, ok := s.oauthAppOf(projectID, spec.OAuthAppID); ok {
				clientID = oa.ClientID
			}
		}
		creds := map[string]any{
			"oauth_client_id":     clientID,
			"oauth_access_token":  "pdemu_at_" + s.gen.Secret(),
			"oauth_refresh_token": "pdemu_rt_" + s.gen.Secret(),
			"oauth_uid":           s.gen.New("U", 10),
		}
		maps.Copy(creds, given)
		maps.Copy(creds, preset)
		return creds, nil
	}
	if given == nil {
		creds := map[string]any{}
		for _, f := range app.fields {
			if f.required() {
				creds[f.Name] = "pdemu_" + f.Name + "_" + s.gen.New("", 24)
			}
		}
		maps.Copy(creds, preset)
		return creds, nil
	}
	maps.Copy(given, preset)
	for _, f := range app.fields {
		if v, ok := given[f.Name]; ok && v != nil && v != "" {
			continue
		}
		switch {
		case f.Default != nil:
			given[f.Name] = f.Default
		case f.required():
			return nil, apperr.ErrInvalid.WithMessage("app %q needs the field %q (%s)", app.NameSlug, f.Name, f.Label)
		}
	}
	return given, nil
}

// defaultScopes is what an OAuth account is granted when nothing says: the
// widest profile the app offers.
func defaultScopes(app App) []string {
	if app.AuthType != AuthOAuth {
		return []string{}
	}
	for _, name := range []string{"admin", "read_write", "read_only"} {
		for _, p := range app.ScopeProfiles {
			if p.Name == name {
				return slices.Clone(p.Scopes)
			}
		}
	}
	return []string{}
}

// putAccount creates the account spec describes, or replaces the
// credentials of the one spec.ReplaceID names. Callers hold mu for writing
// and have checked the project.
func (s *Store) putAccount(sc AccountScope, spec AccountSpec) (*Account, error) {
	if err := ValidateExternalID(spec.ExternalUserID); err != nil {
		return nil, err
	}
	app, creds, err := s.validateAccountSpec(sc.ProjectID, &spec)
	if err != nil {
		return nil, err
	}
	scopes := defaultScopes(app)
	if spec.AuthorizedScopes != nil {
		scopes = slices.Clone(spec.AuthorizedScopes)
	}
	healthy, dead := true, false
	if spec.Healthy != nil {
		healthy = *spec.Healthy
	}
	if spec.Dead != nil {
		dead = *spec.Dead
	}
	now := s.clock.Now()
	if spec.ReplaceID != "" {
		acc, ok := s.accounts.byKey[spec.ReplaceID]
		if !ok || !sc.in(acc) || acc.ExternalUserID != spec.ExternalUserID {
			return nil, errNoAccount(spec.ReplaceID)
		}
		if acc.App.ID != app.ID {
			return nil, apperr.ErrInvalid.WithMessage("account %s is for %q, not %q", acc.ID, acc.AppSlug, app.NameSlug)
		}
		acc.Credentials, acc.AuthorizedScopes = creds, scopes
		acc.Healthy, acc.Dead, acc.Error = healthy, dead, spec.Error
		acc.App = app
		if spec.Name != "" {
			acc.Name = spec.Name
		}
		if spec.OAuthAppID != "" {
			acc.OAuthAppID = spec.OAuthAppID
		}
		if spec.AppOverrideID != "" {
			acc.AppOverrideID = spec.AppOverrideID
		}
		acc.UpdatedAt, acc.refreshedAt = now, now
		return acc, nil
	}
	if err := s.accounts.room(s); err != nil {
		return nil, err
	}
	p, ok := s.projects[sc.ProjectID]
	if !ok {
		return nil, apperr.ErrNotFound.WithMessage("no project %q", sc.ProjectID)
	}
	if _, err := s.ensureUser(p, sc.Environment, spec.ExternalUserID); err != nil {
		return nil, err
	}
	acc := &Account{
		ID: s.gen.New("apn_", 7), ProjectID: sc.ProjectID, Environment: sc.Environment,
		ExternalUserID: spec.ExternalUserID, AppSlug: app.NameSlug, App: app,
		Name:    cmp.Or(spec.Name, app.Name+" ("+spec.ExternalUserID+")"),
		Healthy: healthy, Dead: dead, Error: spec.Error,
		Credentials: creds, AuthorizedScopes: scopes,
		OAuthAppID: spec.OAuthAppID, AppOverrideID: spec.AppOverrideID,
		CreatedAt: now, UpdatedAt: now, refreshedAt: now, seq: s.nextSeq(),
	}
	s.accounts.add(s, acc)
	return acc, nil
}

func errNoOAuthClient(id string) error {
	return apperr.ErrNotFound.WithMessage("no OAuth client %q in this project", clipID(id, 100))
}

// clipID shortens what a caller sent before it is echoed in a message.
func clipID(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func errNoAccount(id string) error {
	return apperr.ErrNotFound.WithMessage("no account %q", clipID(id, 100))
}

// ConnectAccount connects an account without the browser flow, as the
// control plane does for tests and scripts: the external user is created
// if new, and credentials are made up unless given. Errors:
// invalid_request, not_found (project, app, account to replace, OAuth
// client).
func (s *Store) ConnectAccount(sc AccountScope, spec AccountSpec) (Account, error) {
	s.lock()
	defer s.mu.Unlock()
	if _, err := s.project(sc.Access, sc.ProjectID); err != nil {
		return Account{}, err
	}
	acc, err := s.putAccount(sc, spec)
	if err != nil {
		return Account{}, err
	}
	return s.accountView(acc), nil
}

// CreateAccountWithToken connects an account for the user of the Connect
// token raw, in the token's project and environment, as accounts.create
// does; the token is then used up. spec.Credentials must be non-nil (the
// parsed cfmap_json). A token made for one app (app_id) or OAuth client
// (oauth_app_id) connects only that one. Errors: invalid_token (the token
// can't be used, e.g. it connected an account already), invalid_request,
// not_found.
func (s *Store) CreateAccountWithToken(raw string, spec AccountSpec) (Account, error) {
	s.lock()
	defer s.mu.Unlock()
	t, found := s.tokens.byKey[raw]
	var tok ConnectToken
	if found {
		tok = *t
	}
	// Checked again under the write lock: two requests racing with the
	// same token must not both connect an account.
	if err := s.usable(tok, found); err != nil {
		return Account{}, err
	}
	if spec.ExternalUserID != tok.ExternalUserID {
		return Account{}, apperr.ErrInvalid.WithMessage("this Connect token belongs to another external user")
	}
	if tok.AppID != "" {
		want, ok := s.apps.lookup(tok.AppID)
		got, ok2 := s.apps.lookup(spec.App)
		if ok && ok2 && want.ID != got.ID {
			return Account{}, apperr.ErrInvalid.WithMessage("this Connect token was made to connect %q, not %q", want.NameSlug, got.NameSlug)
		}
	}
	if spec.AppOverrideID != "" {
		// An override that selects an OAuth client connects only through
		// the OAuth flow, never with cfmap_json (the SDK's words).
		if ov, ok := s.appOverrideOf(tok.ProjectID, spec.AppOverrideID); ok && ov.OAuthAppID != "" {
			return Account{}, apperr.ErrInvalid.WithMessage("app override %s selects an OAuth client; such overrides connect through the OAuth flow only", ov.ID)
		}
	}
	if tok.OAuthAppID != "" {
		// The token's custom OAuth client applies to OAuth apps; a keys
		// app connected with the same token has no use for it.
		switch app, ok := s.apps.lookup(spec.App); {
		case spec.OAuthAppID != "" && spec.OAuthAppID != tok.OAuthAppID:
			return Account{}, apperr.ErrInvalid.WithMessage("oauth_app_id differs from the one the Connect token was made with")
		case ok && app.AuthType == AuthOAuth:
			spec.OAuthAppID = tok.OAuthAppID
		}
	}
	sc := AccountScope{Access: tok.Access(), ProjectID: tok.ProjectID, Environment: tok.Environment}
	if _, err := s.project(sc.Access, sc.ProjectID); err != nil {
		return Account{}, err
	}
	acc, err := s.putAccount(sc, spec)
	if err != nil {
		return Account{}, err
	}
	s.consumeToken(raw)
	return s.accountView(acc), nil
}

// accountView is the copy of acc callers get, with its refresh timing as
// of now. Callers hold mu.
func (s *Store) accountView(acc *Account) Account {
	v := *acc
	v.Credentials = cloneMap(acc.Credentials)
	v.AuthorizedScopes = slices.Clone(acc.AuthorizedScopes)
	if v.AuthorizedScopes == nil {
		v.AuthorizedScopes = []string{}
	}
	v.App = acc.App.clone()
	if acc.App.AuthType == AuthOAuth {
		last := acc.refreshedAt
		// A dead account is no longer refreshed: its token stays expired.
		if now := s.clock.Now(); !acc.Dead && now.After(last) {
			last = last.Add(now.Sub(last) / RefreshInterval * RefreshInterval)
		}
		expires, next := last.Add(AccessTokenTTL), last.Add(RefreshInterval)
		v.LastRefreshedAt, v.ExpiresAt, v.NextRefreshAt = &last, &expires, &next
		if acc.Dead {
			v.NextRefreshAt = nil
		}
	}
	return v
}

// visibleAccount returns the account id if sc reaches it; callers hold mu
// and have checked the project.
func (s *Store) visibleAccount(sc AccountScope, id string) (*Account, error) {
	acc, ok := s.accounts.byKey[id]
	if !ok || !sc.in(acc) {
		return nil, errNoAccount(id)
	}
	return acc, nil
}

// GetAccount returns one account. Errors: not_found (project or account,
// including another user's for a caller limited to one).
func (s *Store) GetAccount(sc AccountScope, id string) (Account, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if _, err := s.project(sc.Access, sc.ProjectID); err != nil {
		return Account{}, err
	}
	acc, err := s.visibleAccount(sc, id)
	if err != nil {
		return Account{}, err
	}
	return s.accountView(acc), nil
}

// DeleteAccount removes one account. Errors: not_found.
func (s *Store) DeleteAccount(sc AccountScope, id string) error {
	s.lock()
	defer s.mu.Unlock()
	if _, err := s.project(sc.Access, sc.ProjectID); err != nil {
		return err
	}
	acc, err := s.visibleAccount(sc, id)
	if err != nil {
		return err
	}
	s.accounts.remove(s, acc)
	return nil
}

// DeleteAccountsByApp removes every account sc reaches of one app (an app
// id or name slug), or, given an oa_ id, every account connected through
// that custom OAuth client. It reports how many went. Errors: not_found
// (project, app, OAuth client).
func (s *Store) DeleteAccountsByApp(sc AccountScope, app string) (int, error) {
	s.lock()
	defer s.mu.Unlock()
	p, err := s.project(sc.Access, sc.ProjectID)
	if err != nil {
		return 0, err
	}
	match, err := s.accountAppMatcher(sc.ProjectID, app)
	if err != nil {
		return 0, err
	}
	var doomed []*Account
	for _, acc := range s.accountIndex(p, sc, "").All() {
		if sc.in(acc) && match(acc) {
			doomed = append(doomed, acc)
		}
	}
	for _, acc := range doomed {
		s.accounts.remove(s, acc)
	}
	return len(doomed), nil
}

// accountAppMatcher matches accounts of an app given by id or slug, or
// (an oa_ id) those connected through a custom OAuth client of the
// project. Callers hold mu.
func (s *Store) accountAppMatcher(projectID, app string) (func(*Account) bool, error) {
	if strings.HasPrefix(app, "oa_") {
		if _, ok := s.oauthAppOf(projectID, app); !ok {
			return nil, errNoOAuthClient(app)
		}
		return func(a *Account) bool { return a.OAuthAppID == app }, nil
	}
	found, ok := s.apps.lookup(app)
	if !ok {
		return nil, apperr.ErrNotFound.WithMessage("no app %q", clipID(app, 100))
	}
	return func(a *Account) bool { return a.App.ID == found.ID }, nil
}

// accountIndex returns the narrowest index holding every account sc (and,
// when set, the external user filter) reaches: one user's, or the project
// environment's. Callers hold mu and have checked the project.
func (s *Store) accountIndex(p *projectRecord, sc AccountScope, externalUserID string) *seqset.Set[*Account] {
	owner := cmp.Or(sc.Access.ExternalUserID, externalUserID)
	if owner == "" {
		return &p.accounts[sc.Environment.index()]
	}
	if !sc.Access.reaches(owner) || externalUserID != "" && externalUserID != owner {
		return &seqset.Set[*Account]{} // one user may not see another's
	}
	if u, ok := s.user(p.ID, sc.Environment, owner); ok {
		return &u.accounts
	}
	return &seqset.Set[*Account]{}
}

// accountFilter returns what keeps an account of the chosen index, or nil
// when every one is kept. Callers hold mu. Errors: not_found (app).
func (s *Store) accountFilter(f AccountFilter) (func(*Account) bool, error) {
	var byApp func(*Account) bool
	if f.App != "" {
		found, ok := s.apps.lookup(f.App)
		if !ok {
			return nil, apperr.ErrNotFound.WithMessage("no app %q", clipID(f.App, 100))
		}
		byApp = func(a *Account) bool { return a.App.ID == found.ID }
	}
	if byApp == nil && f.OAuthAppID == "" {
		return nil, nil
	}
	return func(a *Account) bool {
		return (byApp == nil || byApp(a)) && (f.OAuthAppID == "" || a.OAuthAppID == f.OAuthAppID)
	}, nil
}

// ListAccounts pages through the accounts sc reaches that f keeps, oldest
// first. Errors: not_found (project, app filter), invalid_request (a
// cursor of another list).
func (s *Store) ListAccounts(sc AccountScope, f AccountFilter, req PageRequest) (Page[Account], error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	p, err := s.project(sc.Access, sc.ProjectID)
	if err != nil {
		return Page[Account]{}, err
	}
	keep, err := s.accountFilter(f)
	if err != nil {
		return Page[Account]{}, err
	}
	page, err := seqset.Page(s.accountIndex(p, sc, f.ExternalUserID), req, keep)
	return paging.Map(page, s.accountView), err
}

// UserAccounts returns every account of one external user that sc
// reaches, oldest first, optionally of one app. Errors: not_found
// (project, app, or an external user the project environment does not
// have, or that the caller's Access does not reach).
func (s *Store) UserAccounts(sc AccountScope, externalID, app string) ([]Account, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if _, err := s.project(sc.Access, sc.ProjectID); err != nil {
		return nil, err
	}
	u, exists := s.user(sc.ProjectID, sc.Environment, externalID)
	if !exists || !sc.Access.reaches(externalID) {
		return nil, apperr.ErrNotFound.WithMessage("no external user %q in %s", clipID(externalID, 100), sc.Environment)
	}
	keep, err := s.accountFilter(AccountFilter{App: app})
	if err != nil {
		return nil, err
	}
	out := []Account{}
	for _, acc := range u.accounts.All() {
		if keep == nil || keep(acc) {
			out = append(out, s.accountView(acc))
		}
	}
	return out, nil
}

// ShowsCredentials reports whether an account's credentials may be shown
// to a caller that asked for them (include_credentials=true). Connect
// tokens live in browsers, so they never get credentials. OAuth callers
// get keys-app credentials, and OAuth-app credentials in development; in
// production only for accounts connected through the developer's own
// OAuth client, as Pipedream's docs say ("Retrieve user credentials":
// Pipedream's client no, custom client yes).
func ShowsCredentials(acc Account, connectTokenCaller bool) bool {
	switch {
	case connectTokenCaller:
		return false
	case acc.App.AuthType == AuthOAuth && acc.Environment == Production:
		return acc.OAuthAppID != ""
	}
	return true
}

// SameToken compares a token string with the one a request authenticated
// with, in constant time.
func SameToken(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }
