package connect

type componentCatalog struct{}

func (st *componentCatalog) reset() {}

func (st *componentCatalog) deleteUser(project string, env Environment, externalID string) {}

func (st *componentCatalog) deleteProject(project string) {}
