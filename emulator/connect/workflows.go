package connect

type workflowState struct{}

func (st *workflowState) reset() {}

func (st *workflowState) deleteUser(project string, env Environment, externalID string) {}

func (st *workflowState) deleteProject(project string) {}
