package connect

import (
	"maps"
	"strings"

	"github.com/pdemu/pdemu/emulator/apperr"
)

// ProxyAccount is what the Connect proxy needs of a connected account to
// call an API as its user: which kind of credentials it holds, and them.
type ProxyAccount struct {
	ID          string
	AppSlug     string
	AuthType    string // AuthOAuth, AuthKeys or AuthNone
	Credentials map[string]any
	// WorkspaceID owns the account's project: proxy calls are metered to it.
	WorkspaceID string
}

// ProxyAccount returns account id if it belongs to the external user in the
// project environment a names. Another user's account, or one of another
// environment or project, looks absent. Errors: invalid_request (an id
// that is not apn_…), not_found (project or account).
func (s *Store) ProxyAccount(a Access, projectID string, env Environment, externalUserID, id string) (ProxyAccount, error) {
	if !strings.HasPrefix(id, "apn_") || len(id) > 100 {
		return ProxyAccount{}, apperr.ErrInvalid.WithMessage("account_id must be a connected account id (apn_…)")
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	p, err := s.project(a, projectID)
	if err != nil {
		return ProxyAccount{}, err
	}
	acc, ok := s.accounts.byKey[id]
	if !ok || acc.ProjectID != projectID || acc.Environment != env || acc.ExternalUserID != externalUserID {
		return ProxyAccount{}, apperr.ErrNotFound.WithMessage("no account %q for external user %q in %s", clipInput(id, 100), clipInput(externalUserID, 100), env)
	}
	authType := acc.App.AuthType
	if app, ok := s.apps.lookup(acc.AppSlug); ok {
		authType = app.AuthType
	}
	return ProxyAccount{
		ID: acc.ID, AppSlug: acc.AppSlug, AuthType: authType,
		Credentials: maps.Clone(acc.Credentials), WorkspaceID: p.WorkspaceID,
	}, nil
}

// RecordProxyCall meters one proxied request of a project environment to
// its workspace, at the store's clock. A project deleted meanwhile is not
// metered.
func (s *Store) RecordProxyCall(projectID string, env Environment) {
	now := s.clock.Now()
	s.lock()
	defer s.mu.Unlock()
	if p, ok := s.projects[projectID]; ok {
		s.usage.record(p.WorkspaceID, projectID, env, usageProxy, now, s.limits[LimitUsageSeconds])
	}
}
