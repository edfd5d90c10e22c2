// Package connect holds the Connect API's resources (projects, external
// users, and the families that follow) and the rules around them: which
// caller sees what, environments, and pagination. It knows nothing of HTTP.
package connect

import (
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/pdemu/pdemu/emulator/apperr"
	"github.com/pdemu/pdemu/emulator/clock"
	"github.com/pdemu/pdemu/emulator/ids"
	"github.com/pdemu/pdemu/emulator/internal/paging"
	"github.com/pdemu/pdemu/emulator/internal/seqset"
	"github.com/pdemu/pdemu/emulator/names"
)

// MaxExternalIDLen is the longest external user id (older docs: 250).
const MaxExternalIDLen = 250

// Workspace is a Pipedream workspace (organization), the owner of projects
// and of OAuth clients; its id is the tokens' sub claim.
type Workspace struct {
	ID   string
	Name string
}

// Project is a Connect project.
type Project struct {
	ID                        string
	WorkspaceID               string
	Name                      string
	AppName                   string
	SupportEmail              string
	ConnectRequireKeyAuthTest bool
	CreatedAt                 time.Time
	UpdatedAt                 time.Time
	seq                       uint64
}

// ProjectSpec is what a create or update may set. Nil fields are left as
// they are on update and empty on create.
type ProjectSpec struct {
	ID                        string // fixed id, for seeds; empty makes one up
	Name                      *string
	AppName                   *string
	SupportEmail              *string
	ConnectRequireKeyAuthTest *bool
}

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

type userKey struct {
	project    string
	env        Environment
	externalID string
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
		users     [numEnvironments]seqset.Set[*userRecord]
		accounts  [numEnvironments]seqset.Set[*Account]
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
		dynamic  seqset.Set[*dynamicProps]
		// slugs are the name slugs of the user's deployed triggers.
		slugs slugIndex
	}
)

func (u *userRecord) key() userKey { return userKey{u.ProjectID, u.Environment, u.ExternalID} }

// Store is the in-memory state of the Connect API. It is safe for
// concurrent use; it returns copies, never its own records.
type Store struct {
	clock clock.Clock

	// mu guards everything below, every family's state included: one lock
	// keeps cascades (deleting a user deletes its accounts and triggers)
	// atomic without a lock order to get wrong.
	mu         sync.RWMutex
	seq        uint64
	limits     Limits
	workspaces map[string]*workspaceRecord
	projects   map[string]*projectRecord
	users      map[userKey]*userRecord

	// The families owned by external users or projects (see owned).
	accounts  owned[Account]
	deployed  owned[DeployedTrigger]
	tokens    owned[ConnectToken]
	dynamic   owned[dynamicProps]
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

// NewStore returns an empty store with the default limits.
func NewStore(c clock.Clock) *Store {
	s := &Store{clock: c,
		accounts: newOwned(accountKind), deployed: newOwned(deployedKind), tokens: newOwned(tokenKind),
		dynamic: newOwned(dynamicKind), oauthApps: newOwned(oauthAppKind), overrides: newOwned(overrideKind),
		files: newOwned(fileKind),
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
		w.ID = ids.New("o_", 7)
	} else if !strings.HasPrefix(w.ID, "o_") || len(w.ID) < 3 {
		return Workspace{}, apperr.ErrInvalid.WithMessage("workspace id %q must look like o_…", w.ID)
	}
	s.lock()
	defer s.mu.Unlock()
	if _, ok := s.workspaces[w.ID]; ok {
		return Workspace{}, apperr.ErrConflict.WithMessage("workspace %q already exists", w.ID)
	}
	s.workspaces[w.ID] = &workspaceRecord{Workspace: w}
	return w, nil
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

// ValidateExternalID checks an external user id: 1..250 characters, not
// blank. Errors: invalid_request.
func ValidateExternalID(id string) error {
	if strings.TrimSpace(id) == "" || len(id) > MaxExternalIDLen {
		return apperr.ErrInvalid.WithMessage("external_user_id must be 1..%d characters", MaxExternalIDLen)
	}
	return nil
}

// ProjectWorkspace returns the workspace that owns a project.
func (s *Store) ProjectWorkspace(id string) (string, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	p, ok := s.projects[id]
	if !ok {
		return "", false
	}
	return p.WorkspaceID, true
}

// ProjectExists reports whether a project of the workspace has this id.
func (s *Store) ProjectExists(workspaceID, id string) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	p, ok := s.projects[id]
	return ok && p.WorkspaceID == workspaceID
}

func validateProjectID(id string) error {
	rest, ok := strings.CutPrefix(id, "proj_")
	if !ok || rest == "" || strings.IndexFunc(rest, func(r rune) bool {
		return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9')
	}) >= 0 {
		return apperr.ErrInvalid.WithMessage("project id %q must match ^proj_[a-zA-Z0-9]+$", id)
	}
	return nil
}

func validateProjectSpec(spec ProjectSpec, create bool) error {
	if spec.Name != nil || create {
		name := ""
		if spec.Name != nil {
			name = *spec.Name
		}
		if err := names.Validate("project", name); err != nil {
			return err
		}
	}
	for field, v := range map[string]*string{"app_name": spec.AppName, "support_email": spec.SupportEmail} {
		if v != nil && len(*v) > 1000 {
			return apperr.ErrInvalid.WithMessage("%s is longer than 1000 characters", field)
		}
	}
	return nil
}

// CreateProject adds a project to a workspace. Errors: invalid_request for a
// bad name or id, not_found for an unknown workspace, conflict for a taken id.
func (s *Store) CreateProject(workspaceID string, spec ProjectSpec) (Project, error) {
	if err := validateProjectSpec(spec, true); err != nil {
		return Project{}, err
	}
	if spec.ID == "" {
		spec.ID = ids.New("proj_", 7)
	} else if err := validateProjectID(spec.ID); err != nil {
		return Project{}, err
	}
	now := s.clock.Now()
	p := &projectRecord{Project: Project{ID: spec.ID, WorkspaceID: workspaceID, CreatedAt: now}}
	p.apply(spec, now)
	s.lock()
	defer s.mu.Unlock()
	w, ok := s.workspaces[workspaceID]
	if !ok {
		return Project{}, apperr.ErrNotFound.WithMessage("no workspace %q", workspaceID)
	}
	if _, ok := s.projects[p.ID]; ok {
		return Project{}, apperr.ErrConflict.WithMessage("project %q already exists", p.ID)
	}
	if err := s.limits.check(LimitProjects, len(s.projects)); err != nil {
		return Project{}, err
	}
	p.seq = s.nextSeq()
	s.projects[p.ID] = p
	w.projects.Add(p.seq, p)
	return p.Project, nil
}

func (p *Project) apply(spec ProjectSpec, now time.Time) {
	if spec.Name != nil {
		p.Name = *spec.Name
	}
	if spec.AppName != nil {
		p.AppName = *spec.AppName
	}
	if spec.SupportEmail != nil {
		p.SupportEmail = *spec.SupportEmail
	}
	if spec.ConnectRequireKeyAuthTest != nil {
		p.ConnectRequireKeyAuthTest = *spec.ConnectRequireKeyAuthTest
	}
	p.UpdatedAt = now
}

// project returns the record if a can see it; callers hold the lock.
func (s *Store) project(a Access, id string) (*projectRecord, error) {
	p, ok := s.projects[id]
	if !ok || !a.allows(p) {
		return nil, apperr.ErrNotFound.WithMessage("no project %q", id)
	}
	return p, nil
}

// Project returns a project the caller can see. Errors: not_found.
func (s *Store) Project(a Access, id string) (Project, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	p, err := s.project(a, id)
	if err != nil {
		return Project{}, err
	}
	return p.Project, nil
}

// ListProjects pages through the projects the caller can see, oldest
// first; q keeps those whose name contains it (case-insensitive).
// Errors: invalid_request for a cursor of another list.
func (s *Store) ListProjects(a Access, q string, req PageRequest) (Page[Project], error) {
	q = strings.ToLower(q)
	s.mu.RLock()
	defer s.mu.RUnlock()
	w, ok := s.workspaces[a.WorkspaceID]
	if !ok {
		return Page[Project]{Data: []Project{}}, nil
	}
	var keep func(*projectRecord) bool
	if q != "" || a.ProjectIDs != nil {
		keep = func(p *projectRecord) bool {
			return a.allows(p) && strings.Contains(strings.ToLower(p.Name), q)
		}
	}
	page, err := seqset.Page(&w.projects, req, keep)
	return paging.Map(page, (*projectRecord).view), err
}

func (p *projectRecord) view() Project { return p.Project }

// UpdateProject changes the fields spec sets. Errors: invalid_request,
// not_found.
func (s *Store) UpdateProject(a Access, id string, spec ProjectSpec) (Project, error) {
	if err := validateProjectSpec(spec, false); err != nil {
		return Project{}, err
	}
	now := s.clock.Now()
	s.lock()
	defer s.mu.Unlock()
	p, err := s.project(a, id)
	if err != nil {
		return Project{}, err
	}
	p.apply(spec, now)
	return p.Project, nil
}

// DeleteProject removes a project, every external user in it and all they
// own. Errors: not_found.
func (s *Store) DeleteProject(a Access, id string) error {
	s.lock()
	defer s.mu.Unlock()
	p, err := s.project(a, id)
	if err != nil {
		return err
	}
	for env := range p.users {
		for _, u := range p.users[env].Items() {
			s.deleteUser(u)
		}
	}
	for _, c := range s.cascades() {
		c.dropProject(s, p)
	}
	if w, ok := s.workspaces[p.WorkspaceID]; ok {
		w.projects.Delete(p.seq)
	}
	delete(s.projects, id)
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
		ID: ids.New("exu_", 7), ExternalID: externalID, ProjectID: p.ID,
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

// projectIndex returns the index f picks from a project's record, for
// families a project owns.
func projectIndex[T any](s *Store, project string, f func(*projectRecord) *seqset.Set[*T]) []*seqset.Set[*T] {
	if p, ok := s.projects[project]; ok {
		return []*seqset.Set[*T]{f(p)}
	}
	return nil
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
