package connect

import "time"

// Account is a connected account ("auth provision", apn_…): an external
// user's credentials for one app.
type Account struct {
	ID             string
	ProjectID      string
	Environment    Environment
	ExternalUserID string
	AppSlug        string
	Name           string
	Healthy        bool
	Dead           bool
	Credentials    map[string]any
	OAuthAppID     string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	seq            uint64
}

type accountState struct {
	byID map[string]*Account
}

func (st *accountState) reset() { st.byID = make(map[string]*Account) }

func (st *accountState) deleteUser(project string, env Environment, externalID string) {
	for id, a := range st.byID {
		if a.ProjectID == project && a.Environment == env && a.ExternalUserID == externalID {
			delete(st.byID, id)
		}
	}
}

func (st *accountState) deleteProject(project string) {
	for id, a := range st.byID {
		if a.ProjectID == project {
			delete(st.byID, id)
		}
	}
}
