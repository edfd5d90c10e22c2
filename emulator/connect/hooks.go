package connect

type projectHookState struct{}

func (st *projectHookState) reset() {}

func (st *projectHookState) deleteUser(project string, env Environment, externalID string) {}

func (st *projectHookState) deleteProject(project string) {}
