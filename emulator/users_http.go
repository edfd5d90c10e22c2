package emulator

import (
	"net/http"
	"time"

	"github.com/pdemu/pdemu/emulator/internal/connect"
)

func (e *Emulator) addUser(r *http.Request, c *call) (response, error) {
	var body struct {
		ExternalID  string `json:"external_id"`
		Environment string `json:"environment"`
	}
	if err := decodeStrictJSON(r, &body); err != nil {
		return response{}, err
	}
	u, err := e.addExternalUser(c.vars["project_id"], body.Environment, body.ExternalID)
	if err != nil {
		return response{}, err
	}
	return created(toUserJSON(u))
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

func (e *Emulator) listUsers(r *http.Request, c *call) (response, error) {
	req, err := pageRequest(r)
	if err != nil {
		return response{}, err
	}
	page, err := e.connect.ListUsers(c.access(), c.projectID, c.env, r.URL.Query().Get("q"), req)
	if err != nil {
		return response{}, err
	}
	return ok(toPageJSON(page, toUserJSON))
}

// deleteUser serves DELETE /v1/connect/{project_id}/users/{external_user_id}:
// the user goes with their accounts, deployed triggers and Connect tokens.
func (e *Emulator) deleteUser(r *http.Request, c *call) (response, error) {
	if err := e.connect.DeleteUser(c.access(), c.projectID, c.env, c.vars["external_user_id"]); err != nil {
		return response{}, err
	}
	return noContent()
}
