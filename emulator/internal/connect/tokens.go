package connect

import (
	"encoding/hex"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/pdemu/pdemu/emulator/apperr"
	"github.com/pdemu/pdemu/emulator/internal/scope"
	"github.com/pdemu/pdemu/emulator/internal/seqset"
)

// Connect-token lifetimes, in seconds (Pipedream: 1..14400, default 4 h).
const (
	MinTokenTTL     = 1
	MaxTokenTTL     = 14400
	DefaultTokenTTL = MaxTokenTTL
)

// TokenPrefix starts every Connect token: ctok_ and 32 hex digits.
const TokenPrefix = "ctok_"

// ConnectToken is a short-lived token a developer's backend makes for one
// external user, for their frontend: to connect one account, and as a
// bearer credential on the endpoints that accept it. It is bound to a
// project, an environment and the user.
type ConnectToken struct {
	Token                  string
	WorkspaceID            string
	ProjectID              string
	Environment            Environment
	ExternalUserID         string // the developer's id for the user
	Scopes                 scope.Set
	CreatedAt              time.Time
	ExpiresAt              time.Time
	AllowedOrigins         []string
	SuccessRedirectURI     string
	ErrorRedirectURI       string
	WebhookURI             string
	AllowProgressiveScopes bool
	AppID                  string
	OAuthAppID             string
	// Used is set once the token connected an account; a used token is
	// refused everywhere ("the token expires once it's used").
	Used bool

	seq uint64
}

// TokenSpec is a request for a Connect token.
type TokenSpec struct {
	ExternalUserID string
	// ExpiresIn is the lifetime in seconds; nil means DefaultTokenTTL.
	ExpiresIn *int
	// Scope is space-separated; nil or blank means the widest the creator
	// may grant, at most connect:*.
	Scope                  *string
	AllowedOrigins         []string
	SuccessRedirectURI     string
	ErrorRedirectURI       string
	WebhookURI             string
	AllowProgressiveScopes bool
	AppID                  string
	OAuthAppID             string
}

// tokenKind files Connect tokens by their string, in their user's index,
// and by expiry: a token is refused from its expiry on, and nothing can
// bring it back (not even moving the clock back), so keeping it would only
// cost memory.
var tokenKind = ownedKind[ConnectToken]{
	limit:   LimitConnectTokens,
	key:     func(t *ConnectToken) string { return t.Token },
	seq:     func(t *ConnectToken) uint64 { return t.seq },
	expires: func(t *ConnectToken) time.Time { return t.ExpiresAt },
	indexes: func(s *Store, t *ConnectToken) []*seqset.Set[*ConnectToken] {
		return ownerIndexes(s, t.ProjectID, t.Environment, t.ExternalUserID,
			func(u *userRecord) *seqset.Set[*ConnectToken] { return &u.tokens }, nil)
	},
	ofUser: func(u *userRecord) *seqset.Set[*ConnectToken] { return &u.tokens },
}

// Access is what a request authorized by the token may reach: its
// project, and in it only its own external user.
func (t ConnectToken) Access() Access {
	return Access{WorkspaceID: t.WorkspaceID, ProjectIDs: []string{t.ProjectID}, ExternalUserID: t.ExternalUserID}
}

// connectScopes narrows a creator's scopes to what a Connect token may
// hold: never "*", never outside connect:.
func connectScopes(creator scope.Set) scope.Set {
	if creator.Covers(scope.Connect) {
		return scope.Set{scope.Connect}
	}
	var out scope.Set
	for _, s := range creator {
		if strings.HasPrefix(s, "connect:") {
			out = append(out, s)
		}
	}
	return out
}

func validateURI(field, v string) error {
	if v == "" {
		return nil
	}
	u, err := url.Parse(v)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return apperr.ErrInvalid.WithMessage("%s must be an absolute URL", field)
	}
	return nil
}

// CreateToken makes a Connect token for an external user (created if new)
// of a project's environment. creator is the scope set of the OAuth token
// asking: the Connect token's scopes must lie within it and within
// connect:*. Errors: invalid_request (user id, expires_in, URIs),
// invalid_scope, not_found (project).
func (s *Store) CreateToken(a Access, projectID string, env Environment, creator scope.Set, spec TokenSpec) (ConnectToken, error) {
	if err := ValidateExternalID(spec.ExternalUserID); err != nil {
		return ConnectToken{}, err
	}
	ttl := DefaultTokenTTL
	if spec.ExpiresIn != nil {
		ttl = *spec.ExpiresIn
		if ttl < MinTokenTTL || ttl > MaxTokenTTL {
			return ConnectToken{}, apperr.ErrInvalid.WithMessage("expires_in must be from %d to %d seconds", MinTokenTTL, MaxTokenTTL)
		}
	}
	allowed := connectScopes(creator)
	granted := allowed
	if spec.Scope != nil && strings.Trim(*spec.Scope, " ") != "" {
		req, err := scope.Parse(*spec.Scope)
		if err != nil {
			return ConnectToken{}, errInvalidScope.WithMessage("%v", err)
		}
		if slices.Contains(req, scope.All) {
			return ConnectToken{}, errInvalidScope.WithMessage("a Connect token cannot be granted *; the widest is connect:*")
		}
		if !allowed.CoversAll(req) {
			return ConnectToken{}, errInvalidScope.WithMessage("a Connect token may be granted at most %q (within connect:* and the creating token's scopes)", allowed.String())
		}
		granted = req
	}
	if len(granted) == 0 {
		return ConnectToken{}, errInvalidScope.WithMessage("the creating token holds no connect: scope to grant")
	}
	for _, u := range [...]struct{ field, uri string }{
		{"success_redirect_uri", spec.SuccessRedirectURI}, {"error_redirect_uri", spec.ErrorRedirectURI}, {"webhook_uri", spec.WebhookURI},
	} {
		if err := validateURI(u.field, u.uri); err != nil {
			return ConnectToken{}, err
		}
	}
	for _, o := range spec.AllowedOrigins {
		if err := validateURI("allowed_origins", o); err != nil {
			return ConnectToken{}, err
		}
	}

	var raw [16]byte
	_, _ = s.gen.Read(raw[:]) // never fails
	now := s.clock.Now()
	s.lock()
	defer s.mu.Unlock()
	p, err := s.project(a, projectID)
	if err != nil {
		return ConnectToken{}, err
	}
	if err := s.tokens.room(s); err != nil {
		return ConnectToken{}, err
	}
	if _, err := s.ensureUser(p, env, spec.ExternalUserID); err != nil {
		return ConnectToken{}, err
	}
	t := &ConnectToken{
		Token: TokenPrefix + hex.EncodeToString(raw[:]), WorkspaceID: p.WorkspaceID, ProjectID: projectID,
		Environment: env, ExternalUserID: spec.ExternalUserID, Scopes: slices.Clone(granted),
		CreatedAt: now, ExpiresAt: now.Add(time.Duration(ttl) * time.Second),
		AllowedOrigins: slices.Clone(spec.AllowedOrigins), SuccessRedirectURI: spec.SuccessRedirectURI,
		ErrorRedirectURI: spec.ErrorRedirectURI, WebhookURI: spec.WebhookURI,
		AllowProgressiveScopes: spec.AllowProgressiveScopes, AppID: spec.AppID, OAuthAppID: spec.OAuthAppID,
		seq: s.nextSeq(),
	}
	s.tokens.add(s, t)
	return *t, nil
}

// errInvalidScope is the token endpoint's invalid_scope, reused for
// Connect tokens so both speak the same error.
var errInvalidScope = &apperr.Error{Kind: apperr.Invalid, Code: "invalid_scope"}

// AuthenticateToken returns the Connect token raw if it may be used now.
// Errors: invalid_token (unknown, expired, or already used to connect an
// account), as *apperr.Error of kind Unauthenticated.
func (s *Store) AuthenticateToken(raw string) (ConnectToken, error) {
	s.mu.RLock()
	t, ok := s.tokens.byKey[raw]
	var c ConnectToken
	if ok {
		c = *t
	}
	s.mu.RUnlock()
	if err := s.usable(c, ok); err != nil {
		return ConnectToken{}, err
	}
	return c, nil
}

var errInvalidToken = &apperr.Error{Kind: apperr.Unauthenticated, Code: "invalid_token"}

// RevokeToken deletes the Connect token raw if it is one a caller with
// access a may reach (a project of its workspace it may see, its own
// external user for a Connect token's access): from then on it is refused
// everywhere, as an unknown token, and gone from its user's index. It
// reports whether it deleted one; an unknown or expired token, or one out
// of reach, is left as it is and reported as nothing done, so the caller
// learns nothing of other workspaces' tokens.
func (s *Store) RevokeToken(a Access, raw string) bool {
	s.lock() // drops expired tokens first: those are refused already
	defer s.mu.Unlock()
	t, ok := s.tokens.get(raw)
	if !ok {
		return false
	}
	if p, ok := s.projects[t.ProjectID]; !ok || !a.allows(p) || !a.reaches(t.ExternalUserID) {
		return false
	}
	s.tokens.remove(s, t)
	return true
}

func (s *Store) usable(t ConnectToken, found bool) error { return usableAt(t, found, s.clock.Now()) }

// usableAt is the one rule of whether a Connect token may be used at now,
// which AuthenticateToken, ValidateToken and InspectToken share.
func usableAt(t ConnectToken, found bool, now time.Time) error {
	switch {
	case !found:
		return errInvalidToken.WithMessage("unknown Connect token")
	case !now.Before(t.ExpiresAt):
		return errInvalidToken.WithMessage("the Connect token expired at %s", t.ExpiresAt.UTC().Format(time.RFC3339))
	case t.Used:
		return errInvalidToken.WithMessage("the Connect token was already used to connect an account")
	}
	return nil
}

// consumeToken marks a token used; callers hold mu for writing and have
// checked it is usable.
func (s *Store) consumeToken(raw string) {
	if t, ok := s.tokens.byKey[raw]; ok {
		t.Used = true
	}
}

// TokenValidation is what GET /v1/connect/tokens/{ctok}/validate reports.
type TokenValidation struct {
	Success bool
	Error   string
	Token   ConnectToken
	Project Project
	App     *App
	// Override is the app override the request named, if any.
	Override *AppOverride
}

// ValidateToken reports whether a Connect token could be used now to
// connect an account for the given app (an app id or slug; empty when an
// account id or an app override of the token's project names it). It never
// fails for a bad token: that is reported in the result, as the endpoint
// does. Errors: invalid_request when nothing names the app.
func (s *Store) ValidateToken(raw, appID, accountID, overrideID string) (TokenValidation, error) {
	if appID == "" && accountID == "" && overrideID == "" {
		return TokenValidation{}, apperr.ErrInvalid.WithMessage("app_id is required unless account_id or app_override_id names the app")
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	t, ok := s.tokens.byKey[raw]
	if !ok {
		return TokenValidation{Error: "unknown Connect token"}, nil
	}
	v := TokenValidation{Token: *t}
	if p, ok := s.projects[t.ProjectID]; ok {
		v.Project = p.Project
	}
	if err := s.usable(*t, true); err != nil {
		v.Error = apperr.As(err).Message
		return v, nil
	}
	if overrideID != "" {
		o, ok := s.appOverrideOf(t.ProjectID, overrideID)
		if !ok {
			v.Error = "unknown app override " + overrideID
			return v, nil
		}
		v.Override = &o
		if appID == "" {
			appID = o.App.NameSlug
		}
	}
	if appID == "" {
		acc, ok := s.accounts.byKey[accountID]
		if !ok || acc.ProjectID != t.ProjectID {
			v.Error = "unknown account " + accountID
			return v, nil
		}
		appID = acc.AppSlug
	}
	app, ok := s.apps.lookup(appID)
	if !ok {
		v.Error = "unknown app " + appID
		return v, nil
	}
	v.App = &app
	v.Success = true
	return v, nil
}
