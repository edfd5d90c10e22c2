package connect

import (
	"strings"

	"github.com/pdemu/pdemu/emulator/apperr"
)

// CheckProjectID reports whether id can be a project's id: proj_ followed
// by letters and digits. It is the rule AddProject and seeds apply.
func CheckProjectID(id string) error { return validateProjectID(id) }

// CheckWorkspaceID reports whether id can be a workspace's id: o_
// followed by something. It is the rule AddWorkspace applies.
func CheckWorkspaceID(id string) error {
	if !validWorkspaceID(id) {
		return workspaceIDError(id)
	}
	return nil
}

func validWorkspaceID(id string) bool { return strings.HasPrefix(id, "o_") && len(id) >= 3 }

func workspaceIDError(id string) error {
	return apperr.ErrInvalid.WithMessage("workspace id %q must look like o_…", id)
}
