package connect

import (
	"strings"
	"time"

	"github.com/pdemu/pdemu/emulator/apperr"
	"github.com/pdemu/pdemu/emulator/internal/paging"
	"github.com/pdemu/pdemu/emulator/internal/seqset"
)

// MaxExternalIDLen is the longest external user id (older docs: 250).
const MaxExternalIDLen = 250

// ExternalUser is one of the developer's end users, as Connect knows them.
type ExternalUser struct {
	ID          string
	ExternalID  string
	ProjectID   string
	Environment Environment
	CreatedAt   time.Time
	UpdatedAt   time.Time
	seq         uint64
}

type userKey struct {
	project    string
	env        Environment
	externalID string
}

func (u *userRecord) key() userKey { return userKey{u.ProjectID, u.Environment, u.ExternalID} }

// ValidateExternalID checks an external user id: 1..250 characters, not
// blank. Errors: invalid_request.
func ValidateExternalID(id string) error {
	if strings.TrimSpace(id) == "" || len(id) > MaxExternalIDLen {
		return apperr.ErrInvalid.WithMessage("external_user_id must be 1..%d characters", MaxExternalIDLen)
	}
	return nil
}

// EnsureUser returns the external user with this id in a project and
// environment, creating it first if needed: Connect creates users when a
// token or an account is made for them. Errors: invalid_request, not_found.
func (s *Store) EnsureUser(a Access, projectID string, env Environment, externalID string) (ExternalUser, error) {
	if err := ValidateExternalID(externalID); err != nil {
		return ExternalUser{}, err
	}
	s.lock()
	defer s.mu.Unlock()
	p, err := s.project(a, projectID)
	if err != nil {
		return ExternalUser{}, err
	}
	u, err := s.ensureUser(p, env, externalID)
	if err != nil {
		return ExternalUser{}, err
	}
	return u.ExternalUser, nil
}

// ensureUser returns the user of a project's environment, creating it:
// Connect makes users when a token, account or trigger is made for them.
// Callers hold mu for writing. Errors: limit_exceeded.
func (s *Store) ensureUser(p *projectRecord, env Environment, externalID string) (*userRecord, error) {
	k := userKey{p.ID, env, externalID}
	if u, ok := s.users[k]; ok {
		return u, nil
	}
	if err := s.limits.check(LimitExternalUsers, len(s.users)); err != nil {
		return nil, err
	}
	now := s.clock.Now()
	u := &userRecord{ExternalUser: ExternalUser{
		ID: s.gen.New("exu_", 7), ExternalID: externalID, ProjectID: p.ID,
		Environment: env, CreatedAt: now, UpdatedAt: now, seq: s.nextSeq(),
	}}
	s.users[k] = u
	p.users[env.index()].Add(u.seq, u)
	return u, nil
}

// ownerIndexes returns the index f picks from the record of an external
// user (and, when pf is set, from their project's record), for owned
// families' index lists; records whose owner is gone are listed nowhere.
func ownerIndexes[T any](s *Store, project string, env Environment, externalID string,
	f func(*userRecord) *seqset.Set[*T], pf func(*projectRecord) *seqset.Set[*T]) []*seqset.Set[*T] {
	var out []*seqset.Set[*T]
	if u, ok := s.user(project, env, externalID); ok {
		out = append(out, f(u))
	}
	if p, ok := s.projects[project]; ok && pf != nil {
		out = append(out, pf(p))
	}
	return out
}

// user returns an external user of a project environment; callers hold
// the lock and have checked the project.
func (s *Store) user(projectID string, env Environment, externalID string) (*userRecord, bool) {
	u, ok := s.users[userKey{projectID, env, externalID}]
	return u, ok
}

// DeleteUser removes an external user of a project's environment with
// everything that belongs to them: accounts, deployed triggers, Connect
// tokens. Errors: not_found for an unknown project or user.
func (s *Store) DeleteUser(a Access, projectID string, env Environment, externalID string) error {
	s.lock()
	defer s.mu.Unlock()
	if _, err := s.project(a, projectID); err != nil {
		return err
	}
	u, ok := s.user(projectID, env, externalID)
	if !ok || !a.reaches(externalID) {
		return apperr.ErrNotFound.WithMessage("no external user %q in %s", externalID, env)
	}
	s.deleteUser(u)
	return nil
}

// deleteUser removes u and everything that is theirs; callers hold mu for
// writing.
func (s *Store) deleteUser(u *userRecord) {
	for _, c := range s.cascades() {
		c.dropUser(s, u)
	}
	if p, ok := s.projects[u.ProjectID]; ok {
		p.users[u.Environment.index()].Delete(u.seq)
	}
	delete(s.users, u.key())
}

// ListUsers pages through a project's external users in one environment,
// oldest first; q keeps those whose external id contains it
// (case-insensitive). Errors: not_found for a project the caller can't see.
func (s *Store) ListUsers(a Access, projectID string, env Environment, q string, req PageRequest) (Page[ExternalUser], error) {
	q = strings.ToLower(q)
	s.mu.RLock()
	defer s.mu.RUnlock()
	p, err := s.project(a, projectID)
	if err != nil {
		return Page[ExternalUser]{}, err
	}
	var keep func(*userRecord) bool
	if q != "" {
		keep = func(u *userRecord) bool { return strings.Contains(strings.ToLower(u.ExternalID), q) }
	}
	page, err := seqset.Page(&p.users[env.index()], req, keep)
	return paging.Map(page, func(u *userRecord) ExternalUser { return u.ExternalUser }), err
}
