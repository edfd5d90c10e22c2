package connect

type deployedState struct{}

func (st *deployedState) reset() {}

func (st *deployedState) deleteUser(project string, env Environment, externalID string) {}

func (st *deployedState) deleteProject(project string) {}
