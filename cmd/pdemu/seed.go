package main

import (
	"fmt"
	"os"
	"slices"

	"github.com/pdemu/pdemu/emulator"
)

// loadSeed returns the seed to start from: the file's when one is given,
// else the default one, with the values fixed on the command line applied.
func loadSeed(path string, fixed emulator.Credentials) (emulator.Seed, error) {
	seed := emulator.DefaultSeed()
	if path != "" {
		f, err := os.Open(path)
		if err != nil {
			return emulator.Seed{}, fmt.Errorf("--seed: %w", err)
		}
		defer f.Close()
		if seed, err = emulator.ReadSeed(f); err != nil {
			return emulator.Seed{}, fmt.Errorf("--seed %s: %w", path, err)
		}
	}
	fixCredentials(&seed, fixed)
	return seed, nil
}

// fixCredentials puts the fixed values on what Emulator.Credentials reports
// (the first workspace, its first project and first client), creating those
// from the default seed's when the seed lacks them, so that a flag is never
// silently ignored.
func fixCredentials(s *emulator.Seed, fixed emulator.Credentials) {
	if fixed == (emulator.Credentials{}) {
		return
	}
	def := emulator.DefaultSeed().Workspaces[0]
	if len(s.Workspaces) == 0 {
		s.Workspaces = append(s.Workspaces, emulator.SeedWorkspace{Name: def.Name})
	}
	w := &s.Workspaces[0]
	if fixed.WorkspaceID != "" {
		w.ID = fixed.WorkspaceID
	}
	if fixed.ProjectID != "" {
		if len(w.Projects) == 0 {
			w.Projects = append(w.Projects, def.Projects[0])
		}
		old := w.Projects[0].ID
		w.Projects[0].ID = fixed.ProjectID
		if old != "" {
			// Clients of the workspace may be limited to the project by its
			// old id; they keep their access under the new one.
			for i := range w.Clients {
				w.Clients[i].ProjectIDs = slices.Clone(w.Clients[i].ProjectIDs)
				for j, id := range w.Clients[i].ProjectIDs {
					if id == old {
						w.Clients[i].ProjectIDs[j] = fixed.ProjectID
					}
				}
			}
		}
	}
	if fixed.ClientID != "" || fixed.ClientSecret != "" {
		if len(w.Clients) == 0 {
			w.Clients = append(w.Clients, def.Clients[0])
		}
		c := &w.Clients[0]
		if fixed.ClientID != "" {
			c.ClientID = fixed.ClientID
		}
		if fixed.ClientSecret != "" {
			c.ClientSecret = fixed.ClientSecret
		}
	}
}
