package connect

// App is an integration in the catalog (Slack, GitHub, …).
type App struct {
	ID             string
	NameSlug       string
	Name           string
	AuthType       string // oauth, keys or none
	Description    string
	ImgSrc         string
	CustomFields   string // custom_fields_json
	Categories     []string
	FeaturedWeight float64
	ScopeProfiles  []ScopeProfile
}

// ScopeProfile is a named set of OAuth scopes an app offers.
type ScopeProfile struct {
	Name   string
	Scopes []string
}

// appCatalog is shared by every workspace: the built-in apps plus those
// added through the control plane.
type appCatalog struct {
	bySlug map[string]*App
}

func (c *appCatalog) reset() { c.bySlug = make(map[string]*App) }

func (c *appCatalog) deleteUser(string, Environment, string) {}

func (c *appCatalog) deleteProject(string) {}

// lookup finds an app by id or name slug.
func (c *appCatalog) lookup(idOrSlug string) (App, bool) {
	if a, ok := c.bySlug[idOrSlug]; ok {
		return *a, true
	}
	for _, a := range c.bySlug {
		if a.ID == idOrSlug {
			return *a, true
		}
	}
	return App{}, false
}
