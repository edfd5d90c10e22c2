package connect

type fileState struct{}

func (st *fileState) reset() {}

func (st *fileState) deleteUser(project string, env Environment, externalID string) {}

func (st *fileState) deleteProject(project string) {}
