// Package connect holds the Connect API's resources (projects, external
// users, and the families that follow) and the rules around them: which
// caller sees what, environments, and pagination. It knows nothing of HTTP.
package connect

import (
	"slices"
	"sync"
	"time"

	"github.com/pdemu/pdemu/emulator/apperr"
	"github.com/pdemu/pdemu/emulator/clock"
	"github.com/pdemu/pdemu/emulator/internal/ids"
	"github.com/pdemu/pdemu/emulator/internal/seqset"
)

// Workspace is a Pipedream workspace (organization), the owner of projects
// and of OAuth clients; its id is the tokens' sub claim.
type Workspace struct {
	ID   string
	Name string
}

// Access is what a caller may reach: its workspace, optionally only some
// of that workspace's projects, and, for a Connect token, only its own
// external user. Anything else looks absent (404), so a caller learns
// nothing of other workspaces or users. It is the one access rule of the
// Connect API: every family checks it here rather than in handlers.
type Access struct {
	WorkspaceID string
	ProjectIDs  []string // nil means every project of the workspace
	// ExternalUserID, when set, limits the caller to that external user (a
	// Connect token's): other users, and what is theirs, look absent.
	ExternalUserID string
}

func (a Access) allows(p *projectRecord) bool {
	return p.WorkspaceID == a.WorkspaceID && (a.ProjectIDs == nil || slices.Contains(a.ProjectIDs, p.ID))
}

// reaches reports whether the caller may see external user id.
func (a Access) reaches(externalID string) bool {
	return a.ExternalUserID == "" || a.ExternalUserID == externalID
}

// ActingFor resolves the external user a request acts for: a caller
// limited to one user acts for that one, any other for the user it names
// (the external_user_id parameter). Naming another user than one's own is
// an invalid_request, and so is naming none when required is set.
func (a Access) ActingFor(requested string, required bool) (string, error) {
	switch {
	case a.ExternalUserID != "" && requested != "" && requested != a.ExternalUserID:
		return "", apperr.ErrInvalid.WithMessage("this Connect token belongs to another external user")
	case a.ExternalUserID != "":
		return a.ExternalUserID, nil
	case requested == "" && required:
		return "", apperr.ErrInvalid.WithMessage("external_user_id is required")
	}
	return requested, nil
}

// The records the store keeps hold the value callers see plus the indexes
// of what belongs to them, so that a list is a walk of one index and a
// deletion cascades to exactly what it owns, never a scan of a family.
type (
	workspaceRecord struct {
		Workspace
		projects seqset.Set[*projectRecord]
	}
	projectRecord struct {
		Project
		users    [numEnvironments]seqset.Set[*userRecord]
		accounts [numEnvironments]seqset.Set[*Account]
		// triggers are the environments' deployed triggers, whoever's, for
		// the control plane's lists.
		triggers  [numEnvironments]seqset.Set[*DeployedTrigger]
		oauthApps seqset.Set[*oauthAppRecord]
		overrides seqset.Set[*overrideRecord]
		files     seqset.Set[*StashFile]
		// webhooks are the environments' webhooks (nil: none set).
		webhooks [numEnvironments]*ProjectWebhook
		logo     *ProjectLogo
	}
	userRecord struct {
		ExternalUser
		accounts seqset.Set[*Account]
		triggers seqset.Set[*DeployedTrigger]
		tokens   seqset.Set[*ConnectToken]
		// slugs are the name slugs of the user's deployed triggers.
		slugs slugIndex
	}
)

// Store is the in-memory state of the Connect API. It is safe for
// concurrent use; it returns copies, never its own records.
type Store struct {
	clock clock.Clock
	// gen makes every id, secret and token the store hands out.
	gen *ids.Generator

	// mu guards everything below, every family's state included: one lock
	// keeps cascades (deleting a user deletes its accounts and triggers)
	// atomic without a lock order to get wrong.
	mu         sync.RWMutex
	seq        uint64
	limits     Limits
	workspaces map[string]*workspaceRecord
	projects   map[string]*projectRecord
	// allProjects lists every workspace's projects in creation order, for
	// the control plane, which sees them all.
	allProjects seqset.Set[*projectRecord]
	users       map[userKey]*userRecord

	// The families owned by external users or projects (see owned).
	accounts  owned[Account]
	deployed  owned[DeployedTrigger]
	tokens    owned[ConnectToken]
	dynamic   dynamicState
	oauthApps owned[oauthAppRecord]
	overrides owned[overrideRecord]
	files     owned[StashFile]

	// The families that belong to no one: catalogs shared by every
	// workspace, usage history, workflow endpoints, the proxy's allow-list.
	apps       appCatalog
	components componentCatalog
	usage      usageState
	workflows  workflowState
	proxy      proxyState
}

// cascades are the owned families, for reset, pruning and the cascades of
// user and project deletion.
func (s *Store) cascades() []cascading {
	return []cascading{&s.accounts, &s.deployed, &s.tokens, &s.dynamic, &s.oauthApps, &s.overrides, &s.files}
}

// nextSeq returns a new creation sequence number; callers hold mu.
func (s *Store) nextSeq() uint64 {
	s.seq++
	return s.seq
}

// StoreOption configures a Store.
type StoreOption func(*Store)

// WithIDs makes the store draw every id, secret and token it hands out
// from g (default: a generator reading crypto/rand).
func WithIDs(g *ids.Generator) StoreOption { return func(s *Store) { s.gen = g } }

// NewStore returns an empty store with the default limits.
func NewStore(c clock.Clock, opts ...StoreOption) *Store {
	s := &Store{clock: c,
		accounts: newOwned(accountKind), deployed: newOwned(deployedKind), tokens: newOwned(tokenKind),
		oauthApps: newOwned(oauthAppKind), overrides: newOwned(overrideKind),
		files: newOwned(fileKind),
	}
	for _, opt := range opts {
		opt(s)
	}
	if s.gen == nil {
		s.gen = ids.NewRandom()
	}
	s.limits, _ = Limits(nil).resolve()
	s.Reset()
	return s
}

// SetLimits replaces the store's limits (names left out take their
// defaults). Records already stored are kept even past a lowered cap; only
// new ones are refused. Errors: an unknown limit name or a value below 1.
func (s *Store) SetLimits(l Limits) error {
	resolved, err := l.resolve()
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limits = resolved
	return nil
}

// Reset empties the store.
func (s *Store) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.workspaces = make(map[string]*workspaceRecord)
	s.projects = make(map[string]*projectRecord)
	s.allProjects = seqset.Set[*projectRecord]{}
	s.users = make(map[userKey]*userRecord)
	for _, c := range s.cascades() {
		c.reset()
	}
	s.apps.reset()
	s.components.reset()
	s.usage.reset()
	s.workflows.reset()
	s.proxy.reset()
}

// lock takes the store's lock for writing after dropping whatever expired
// by now: every write pays for the records that expired since the last
// one, so memory follows the live set without a timer, on the store's
// clock (which tests move at will). Callers unlock s.mu.
func (s *Store) lock() {
	s.mu.Lock()
	s.pruneLocked(s.clock.Now())
}

// Prune drops what has expired by now (Connect tokens, File Stash files).
// Writes prune on their own; this is for a clock that moved with no write
// since.
func (s *Store) Prune() {
	s.lock()
	s.mu.Unlock()
}

func (s *Store) pruneLocked(now time.Time) {
	for _, c := range s.cascades() {
		c.prune(s, now)
	}
}

// AddWorkspace adds a workspace. Errors: conflict if the id exists.
func (s *Store) AddWorkspace(w Workspace) (Workspace, error) {
	if w.ID == "" {
		w.ID = s.gen.New("o_", 7)
	} else if !validWorkspaceID(w.ID) {
		return Workspace{}, workspaceIDError(w.ID)
	}
	s.lock()
	defer s.mu.Unlock()
	if _, ok := s.workspaces[w.ID]; ok {
		return Workspace{}, apperr.ErrConflict.WithMessage("workspace %q already exists", w.ID)
	}
	s.workspaces[w.ID] = &workspaceRecord{Workspace: w}
	return w, nil
}

// FirstWorkspace returns the id that sorts first among the workspaces, for
// a default when the caller names none; ok is false when there is none.
func (s *Store) FirstWorkspace() (id string, ok bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for w := range s.workspaces {
		if !ok || w < id {
			id, ok = w, true
		}
	}
	return id, ok
}

// Workspace returns a workspace. Errors: not_found.
func (s *Store) Workspace(id string) (Workspace, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	w, ok := s.workspaces[id]
	if !ok {
		return Workspace{}, apperr.ErrNotFound.WithMessage("no workspace %q", id)
	}
	return w.Workspace, nil
}
