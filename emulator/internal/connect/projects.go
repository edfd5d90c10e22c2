package connect

import (
	"strings"
	"time"

	"github.com/pdemu/pdemu/emulator/apperr"
	"github.com/pdemu/pdemu/emulator/internal/names"
	"github.com/pdemu/pdemu/emulator/internal/paging"
	"github.com/pdemu/pdemu/emulator/internal/seqset"
)

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
	for _, f := range [...]struct {
		field string
		v     *string
	}{{"app_name", spec.AppName}, {"support_email", spec.SupportEmail}} {
		if f.v != nil && len(*f.v) > 1000 {
			return apperr.ErrInvalid.WithMessage("%s is longer than 1000 characters", f.field)
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
		spec.ID = s.gen.New("proj_", 7)
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
	s.allProjects.Add(p.seq, p)
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
	s.allProjects.Delete(p.seq)
	delete(s.projects, id)
	return nil
}

// projectIndex returns the index f picks from a project's record, for
// families a project owns.
func projectIndex[T any](s *Store, project string, f func(*projectRecord) *seqset.Set[*T]) []*seqset.Set[*T] {
	if p, ok := s.projects[project]; ok {
		return []*seqset.Set[*T]{f(p)}
	}
	return nil
}
