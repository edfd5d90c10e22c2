package connect

type oauthAppState struct{}

func (st *oauthAppState) reset() {}

func (st *oauthAppState) deleteUser(project string, env Environment, externalID string) {}

func (st *oauthAppState) deleteProject(project string) {}
