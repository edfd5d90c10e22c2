package emulator

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/pdemu/pdemu/emulator/internal/connect"
	"github.com/pdemu/pdemu/emulator/internal/ids"
	"github.com/pdemu/pdemu/emulator/internal/oauth"
)

// Seed is the state an emulator starts from and returns to on Reset:
// workspaces with their projects, external users and OAuth clients. It is
// also the format of `pdemu serve --seed FILE` (JSON).
type Seed struct {
	Workspaces []SeedWorkspace `json:"workspaces"`
}

// SeedWorkspace is a workspace and what it owns. An empty ID makes one up.
type SeedWorkspace struct {
	ID       string        `json:"id,omitempty"`
	Name     string        `json:"name,omitempty"`
	Projects []SeedProject `json:"projects,omitempty"`
	Clients  []SeedClient  `json:"clients,omitempty"`
}

// SeedProject is a project with its external users.
type SeedProject struct {
	ID           string     `json:"id,omitempty"`
	Name         string     `json:"name"`
	AppName      string     `json:"app_name,omitempty"`
	SupportEmail string     `json:"support_email,omitempty"`
	Users        []SeedUser `json:"users,omitempty"`
}

// SeedUser is an external user of a project in one environment
// (DefaultEnvironment when empty).
type SeedUser struct {
	ExternalID  string `json:"external_id"`
	Environment string `json:"environment,omitempty"`
}

// SeedClient is an OAuth client. Empty ClientID or ClientSecret are made up
// when the emulator is created and then kept, so Reset restores the same
// credentials.
type SeedClient struct {
	ClientID     string   `json:"client_id,omitempty"`
	ClientSecret string   `json:"client_secret,omitempty"`
	Name         string   `json:"name"`
	Scopes       string   `json:"scopes,omitempty"`
	ProjectIDs   []string `json:"project_ids,omitempty"`
}

// DefaultSeed is what an emulator starts with when no seed is given: one
// workspace with one project and one OAuth client, all with fresh ids.
func DefaultSeed() Seed {
	return Seed{Workspaces: []SeedWorkspace{{
		Name:     "pdemu workspace",
		Projects: []SeedProject{{Name: "pdemu project"}},
		Clients:  []SeedClient{{Name: "pdemu"}},
	}}}
}

// ReadSeed decodes a seed file. Unknown fields are an error, so a typo in
// a field name is not silently ignored.
func ReadSeed(r io.Reader) (Seed, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var s Seed
	if err := dec.Decode(&s); err != nil {
		return Seed{}, fmt.Errorf("seed: %w", err)
	}
	if dec.More() {
		return Seed{}, fmt.Errorf("seed: trailing data after the JSON object")
	}
	return s, nil
}

// materialize fills in every id and secret the seed leaves empty, drawn
// from gen, so that applying it again (on Reset) recreates exactly the same
// state. The result shares nothing with s.
func (s Seed) materialize(gen *ids.Generator) Seed {
	out := Seed{Workspaces: make([]SeedWorkspace, len(s.Workspaces))}
	for i, w := range s.Workspaces {
		if w.ID == "" {
			w.ID = gen.New("o_", 7)
		}
		w.Projects = append([]SeedProject(nil), w.Projects...)
		for j := range w.Projects {
			if w.Projects[j].ID == "" {
				w.Projects[j].ID = gen.New("proj_", 7)
			}
		}
		w.Clients = append([]SeedClient(nil), w.Clients...)
		for j := range w.Clients {
			if w.Clients[j].ClientID == "" {
				w.Clients[j].ClientID = gen.New("oc_", 16)
			}
			if w.Clients[j].ClientSecret == "" {
				w.Clients[j].ClientSecret = gen.Secret()
			}
		}
		out.Workspaces[i] = w
	}
	return out
}

// apply creates the seed's state in empty stores.
func (s Seed) apply(store *connect.Store, auth *oauth.Server) error {
	for _, w := range s.Workspaces {
		if _, err := store.AddWorkspace(connect.Workspace{ID: w.ID, Name: w.Name}); err != nil {
			return fmt.Errorf("seed: workspace: %w", err)
		}
		all := connect.Access{WorkspaceID: w.ID}
		for _, p := range w.Projects {
			name := p.Name
			if _, err := store.CreateProject(w.ID, connect.ProjectSpec{
				ID: p.ID, Name: &name, AppName: &p.AppName, SupportEmail: &p.SupportEmail,
			}); err != nil {
				return fmt.Errorf("seed: project %q: %w", p.ID, err)
			}
			for _, u := range p.Users {
				env, err := fixtureEnvironment(u.Environment)
				if err != nil {
					return fmt.Errorf("seed: user %q: %w", u.ExternalID, err)
				}
				if _, err := store.EnsureUser(all, p.ID, env, u.ExternalID); err != nil {
					return fmt.Errorf("seed: user %q: %w", u.ExternalID, err)
				}
			}
		}
		for _, c := range w.Clients {
			for _, pid := range c.ProjectIDs {
				if !store.ProjectExists(w.ID, pid) {
					return fmt.Errorf("seed: client %q: no project %q in workspace %q", c.Name, pid, w.ID)
				}
			}
			if _, _, err := auth.Create(oauth.ClientSpec{
				ID: c.ClientID, Secret: c.ClientSecret, Name: c.Name,
				WorkspaceID: w.ID, Scopes: c.Scopes, ProjectIDs: c.ProjectIDs,
			}); err != nil {
				return fmt.Errorf("seed: client %q: %w", c.Name, err)
			}
		}
	}
	return nil
}
