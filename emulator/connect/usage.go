package connect

import "time"

// usageKind is what consumed Connect credits.
type usageKind string

// The metered operations.
const (
	usageActionRun  usageKind = "action_run"
	usageProxy      usageKind = "proxy"
	usageSourceEmit usageKind = "source_emit"
)

type usageState struct{}

func (st *usageState) reset() {}

func (st *usageState) deleteUser(project string, env Environment, externalID string) {}

func (st *usageState) deleteProject(project string) {}

// record counts one metered operation; callers hold the store's lock for
// writing. (Owned by the usage family.)
func (st *usageState) record(workspaceID, projectID string, env Environment, kind usageKind, at time.Time) {
}
