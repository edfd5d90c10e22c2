package connect

import (
	"strings"
	"time"

	"github.com/pdemu/pdemu/emulator/apperr"
	"github.com/pdemu/pdemu/emulator/internal/paging"
	"github.com/pdemu/pdemu/emulator/internal/seqset"
)

// The control plane's views of the store: it sees every workspace, so
// these take no Access, or one it builds from the project's own
// workspace. Each walks one index, so a page costs O(page) like the API's
// lists.

// ListAllProjects pages through every workspace's projects, oldest first.
// Errors: invalid_request for a cursor of another list.
func (s *Store) ListAllProjects(req PageRequest) (Page[Project], error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	page, err := seqset.Page(&s.allProjects, req, nil)
	return paging.Map(page, (*projectRecord).view), err
}

// UserSummary is an external user with what their indexes count.
type UserSummary struct {
	ExternalUser
	// AccountCount is how many connected accounts the user has.
	AccountCount int
}

// ListUserSummaries is ListUsers with each user's account count, which
// the user's own index holds: no more costly than ListUsers.
func (s *Store) ListUserSummaries(a Access, projectID string, env Environment, q string, req PageRequest) (Page[UserSummary], error) {
	q = strings.ToLower(q)
	s.mu.RLock()
	defer s.mu.RUnlock()
	p, err := s.project(a, projectID)
	if err != nil {
		return Page[UserSummary]{}, err
	}
	var keep func(*userRecord) bool
	if q != "" {
		keep = func(u *userRecord) bool { return strings.Contains(strings.ToLower(u.ExternalID), q) }
	}
	page, err := seqset.Page(&p.users[env.index()], req, keep)
	return paging.Map(page, func(u *userRecord) UserSummary {
		return UserSummary{ExternalUser: u.ExternalUser, AccountCount: u.accounts.Len()}
	}), err
}

// ListProjectTriggers pages through the deployed triggers of a project
// environment, oldest first: one external user's when externalUserID is
// set, everyone's otherwise. Errors: not_found (project), invalid_request
// (a cursor of another list).
func (s *Store) ListProjectTriggers(a Access, projectID string, env Environment, externalUserID string, req PageRequest) (Page[DeployedTrigger], error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	p, err := s.project(a, projectID)
	if err != nil {
		return Page[DeployedTrigger]{}, err
	}
	index := &p.triggers[env.index()]
	if externalUserID != "" {
		index = &seqset.Set[*DeployedTrigger]{}
		if u, ok := s.user(projectID, env, externalUserID); ok && a.reaches(u.ExternalID) {
			index = &u.triggers
		}
	}
	page, err := seqset.Page(index, req, nil)
	return paging.Map(page, func(t *DeployedTrigger) DeployedTrigger { return *t }), err
}

// AnyTriggerEvents returns the newest n events of any deployed trigger,
// newest first, as EmitEvent reaches any trigger by its id alone.
// Errors: invalid_request (n outside 1..100), not_found.
func (s *Store) AnyTriggerEvents(triggerID string, n int) ([]EmittedEvent, error) {
	if n < 1 || n > MaxTriggerEvents {
		return nil, apperr.ErrInvalid.WithMessage("n must be an integer from 1 to %d", MaxTriggerEvents)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	t, ok := s.deployed.byKey[triggerID]
	if !ok {
		return nil, apperr.ErrNotFound.WithMessage("no deployed trigger %q", clipID(triggerID, 100))
	}
	return newestEvents(t, n), nil
}

// newestEvents returns t's newest n events, newest first; callers hold mu.
func newestEvents(t *DeployedTrigger, n int) []EmittedEvent {
	evs := t.events[max(0, len(t.events)-n):]
	out := make([]EmittedEvent, len(evs))
	for i, ev := range evs {
		out[len(evs)-1-i] = ev
	}
	return out
}

// TokenStatus is what stands between a Connect token and its use.
type TokenStatus string

// The statuses of a Connect token, in the order they are judged.
const (
	// TokenMalformed: not ctok_ and 32 lower-case hex digits, the form
	// every Connect token has.
	TokenMalformed TokenStatus = "malformed"
	// TokenUnknown: well-formed but not in the store: never made here,
	// revoked, expired and since dropped, or made before a reset.
	TokenUnknown TokenStatus = "unknown"
	// TokenExpired: the clock has reached its expiry.
	TokenExpired TokenStatus = "expired"
	// TokenUsed: it connected an account, which uses it up.
	TokenUsed TokenStatus = "used"
	// TokenUsable: AuthenticateToken accepts it.
	TokenUsable TokenStatus = "valid"
)

// TokenInspection is what InspectToken found out about a Connect token.
type TokenInspection struct {
	Status TokenStatus
	// Message says in a sentence what Status means for this token.
	Message string
	// Token is the stored token; zero unless Found.
	Token ConnectToken
	Found bool
	// Now is the store time the token was judged at.
	Now time.Time
}

// InspectToken says whether AuthenticateToken would accept raw now, and
// if not, why, with what the store knows of the token. Its status agrees
// with AuthenticateToken: that accepts raw exactly when the status is
// TokenUsable.
func (s *Store) InspectToken(raw string) TokenInspection {
	now := s.clock.Now()
	s.mu.RLock()
	t, found := s.tokens.byKey[raw]
	var c ConnectToken
	if found {
		c = *t
	}
	s.mu.RUnlock()
	in := TokenInspection{Token: c, Found: found, Now: now.UTC()}
	err := usableAt(c, found, now)
	switch {
	case err == nil:
		in.Status = TokenUsable
		in.Message = "the Connect token is valid until " + c.ExpiresAt.UTC().Format(time.RFC3339)
		return in
	case !found && !wellFormedToken(raw):
		in.Status, in.Message = TokenMalformed, "a Connect token is ctok_ followed by 32 lower-case hex digits"
		return in
	case !found:
		in.Status = TokenUnknown
		in.Message = "unknown Connect token: not made by this emulator, or revoked, or expired and since dropped (expired tokens are forgotten at the next write; a reset forgets all)"
		return in
	case !now.Before(c.ExpiresAt):
		in.Status = TokenExpired
	default:
		in.Status = TokenUsed
	}
	in.Message = apperr.As(err).Message
	return in
}

// wellFormedToken reports whether raw has the form of the tokens
// CreateToken makes.
func wellFormedToken(raw string) bool {
	hex, ok := strings.CutPrefix(raw, TokenPrefix)
	return ok && len(hex) == 32 && strings.IndexFunc(hex, func(r rune) bool {
		return !('0' <= r && r <= '9' || 'a' <= r && r <= 'f')
	}) < 0
}
