package emulator

import (
	"net/http"
	"time"

	"github.com/pdemu/pdemu/emulator/connect"
	"github.com/pdemu/pdemu/emulator/internal/paging"
)

// Connect API adapters. Wire shapes follow the official SDK's types:
// snake_case fields, ISO 8601 times for users, {data, page_info} lists.

type projectJSON struct {
	ID                        string `json:"id"`
	Name                      string `json:"name"`
	AppName                   string `json:"app_name,omitempty"`
	SupportEmail              string `json:"support_email,omitempty"`
	ConnectRequireKeyAuthTest bool   `json:"connect_require_key_auth_test"`
}

func toProjectJSON(p connect.Project) projectJSON {
	return projectJSON{ID: p.ID, Name: p.Name, AppName: p.AppName, SupportEmail: p.SupportEmail,
		ConnectRequireKeyAuthTest: p.ConnectRequireKeyAuthTest}
}

type userJSON struct {
	ID         string `json:"id"`
	ExternalID string `json:"external_id"`
	CreatedAt  string `json:"created_at"`
	UpdatedAt  string `json:"updated_at"`
}

func toUserJSON(u connect.ExternalUser) userJSON {
	return userJSON{ID: u.ID, ExternalID: u.ExternalID,
		CreatedAt: u.CreatedAt.Format(time.RFC3339), UpdatedAt: u.UpdatedAt.Format(time.RFC3339)}
}

func pageRequest(r *http.Request) (connect.PageRequest, error) {
	q := r.URL.Query()
	return connect.ParsePageRequest(q.Get("limit"), q.Get("after"), q.Get("before"))
}

func (e *Emulator) listProjects(r *http.Request, c *call) (response, error) {
	req, err := pageRequest(r)
	if err != nil {
		return response{}, err
	}
	page, err := e.connect.ListProjects(c.access(), r.URL.Query().Get("q"), req)
	if err != nil {
		return response{}, err
	}
	return ok(paging.Map(page, toProjectJSON))
}

// projectBody is the create/update body; pointers tell "absent" from "empty".
type projectBody struct {
	Name                      *string `json:"name"`
	AppName                   *string `json:"app_name"`
	SupportEmail              *string `json:"support_email"`
	ConnectRequireKeyAuthTest *bool   `json:"connect_require_key_auth_test"`
}

func (b projectBody) spec() connect.ProjectSpec {
	return connect.ProjectSpec{Name: b.Name, AppName: b.AppName, SupportEmail: b.SupportEmail,
		ConnectRequireKeyAuthTest: b.ConnectRequireKeyAuthTest}
}

func (e *Emulator) createProject(r *http.Request, c *call) (response, error) {
	var body projectBody
	if err := decodeJSON(r, &body); err != nil {
		return response{}, err
	}
	p, err := e.connect.CreateProject(c.principal.WorkspaceID, body.spec())
	if err != nil {
		return response{}, err
	}
	return created(toProjectJSON(p))
}

func (e *Emulator) getProject(r *http.Request, c *call) (response, error) {
	p, err := e.connect.Project(c.access(), c.vars["project_id"])
	if err != nil {
		return response{}, err
	}
	return ok(toProjectJSON(p))
}

func (e *Emulator) updateProject(r *http.Request, c *call) (response, error) {
	var body projectBody
	if err := decodeJSON(r, &body); err != nil {
		return response{}, err
	}
	p, err := e.connect.UpdateProject(c.access(), c.vars["project_id"], body.spec())
	if err != nil {
		return response{}, err
	}
	return ok(toProjectJSON(p))
}

func (e *Emulator) deleteProject(r *http.Request, c *call) (response, error) {
	if err := e.connect.DeleteProject(c.access(), c.vars["project_id"]); err != nil {
		return response{}, err
	}
	return noContent()
}

func (e *Emulator) listUsers(r *http.Request, c *call) (response, error) {
	req, err := pageRequest(r)
	if err != nil {
		return response{}, err
	}
	page, err := e.connect.ListUsers(c.access(), c.projectID, c.env, r.URL.Query().Get("q"), req)
	if err != nil {
		return response{}, err
	}
	return ok(paging.Map(page, toUserJSON))
}

// deleteUser serves DELETE /v1/connect/{project_id}/users/{external_user_id}:
// the user goes with their accounts, deployed triggers and Connect tokens.
func (e *Emulator) deleteUser(r *http.Request, c *call) (response, error) {
	if err := e.connect.DeleteUser(c.access(), c.projectID, c.env, c.vars["external_user_id"]); err != nil {
		return response{}, err
	}
	return noContent()
}
