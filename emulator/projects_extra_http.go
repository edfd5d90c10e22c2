package emulator

import (
	"net/http"

	"github.com/pdemu/pdemu/emulator/apperr"
	"github.com/pdemu/pdemu/emulator/connect"
)

// updateProjectLogo serves POST /v1/connect/projects/{project_id}/logo
// {logo: "data:image/png;base64,…"}. The SDK reads no body on success, so
// the answer is 200 with an empty object; bad data is a 400 whose message
// starts "invalid logo data", as Pipedream's does.
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
	return ok(struct{}{})
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

// ProjectLogo returns the logo last uploaded for a project with
// POST /v1/connect/projects/{project_id}/logo; found is false when it has
// none. Errors: *apperr.Error not_found for an unknown project.
func (e *Emulator) ProjectLogo(projectID string) (logo connect.ProjectLogo, found bool, err error) {
	e.resetMu.RLock()
	defer e.resetMu.RUnlock()
	ws, ok := e.connect.ProjectWorkspace(projectID)
	if !ok {
		return connect.ProjectLogo{}, false, apperr.ErrNotFound.WithMessage("no project %q", projectID)
	}
	return e.connect.ProjectLogo(connect.Access{WorkspaceID: ws}, projectID)
}
