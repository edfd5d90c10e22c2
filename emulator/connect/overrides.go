package connect

type overrideState struct{}

func (st *overrideState) reset() {}

func (st *overrideState) deleteUser(project string, env Environment, externalID string) {}

func (st *overrideState) deleteProject(project string) {}
