package emulator

import (
	"net/http"

	"github.com/pdemu/pdemu/emulator/apperr"
	"github.com/pdemu/pdemu/emulator/internal/connect"
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

func (e *Emulator) listProjects(r *http.Request, c *call) (response, error) {
	req, err := pageRequest(r)
	if err != nil {
		return response{}, err
	}
	page, err := e.connect.ListProjects(c.access(), r.URL.Query().Get("q"), req)
	if err != nil {
		return response{}, err
	}
	return ok(toPageJSON(page, toProjectJSON))
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

// updateProjectLogo serves POST /v1/connect/projects/{project_id}/logo
// {logo: "data:image/png;base64,…"}. Success is 200 with no body and no
// Content-Type: the OpenAPI document's 200 ("logo updated", operation
// updateProjectLogo, https://pipedream.com/docs/connect/api-reference/update-project-logo)
// has no content, and the SDK's projects.updateLogo returns void, reading
// an empty body as undefined. Bad data is a 400 whose message starts
// "invalid logo data", as Pipedream's does.
func (e *Emulator) updateProjectLogo(r *http.Request, c *call) (response, error) {
	// An unknown or invisible project is a 404 whatever the body holds, as
	// on the project-scoped endpoints, whose project is checked first.
	id := c.vars["project_id"]
	if _, err := e.connect.Project(c.access(), id); err != nil {
		return response{}, err
	}
	var body struct {
		Logo *string `json:"logo"`
	}
	if err := decodeJSON(r, &body); err != nil {
		return response{}, err
	}
	if body.Logo == nil {
		return response{}, apperr.ErrInvalid.WithMessage("invalid logo data: logo is required (a data URI such as data:image/png;base64,…)")
	}
	if _, err := e.connect.SetProjectLogo(c.access(), id, *body.Logo); err != nil {
		return response{}, err
	}
	return response{status: http.StatusOK}, nil // body nil: writeJSON writes no body
}

// projectInfoAppJSON is the SDK's ProjectInfoResponseApp.
type projectInfoAppJSON struct {
	ID       string `json:"id,omitempty"`
	NameSlug string `json:"name_slug"`
}

// projectInfo serves the deprecated GET /v1/connect/{project_id}/projects/info:
// {apps: [{id, name_slug}]}, the apps the project environment uses.
func (e *Emulator) projectInfo(r *http.Request, c *call) (response, error) {
	refs, err := e.connect.ProjectApps(c.access(), c.projectID, c.env)
	if err != nil {
		return response{}, err
	}
	apps := make([]projectInfoAppJSON, len(refs))
	for i, a := range refs {
		apps[i] = projectInfoAppJSON{ID: a.ID, NameSlug: a.NameSlug}
	}
	return ok(struct {
		Apps []projectInfoAppJSON `json:"apps"`
	}{apps})
}
