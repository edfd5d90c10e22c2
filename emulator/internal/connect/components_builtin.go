package connect

import (
	"bytes"
	_ "embed"
	"encoding/json"

	"github.com/pdemu/pdemu/emulator/internal/wire"
)

// The built-in component catalog: a few realistic actions and triggers of
// the apps in the built-in app catalog, in the format of
// POST /_emulator/components, so it doubles as an example of it.
//
//go:embed components_catalog.json
var componentCatalogJSON []byte

// builtinComponents is the embedded catalog, parsed and checked once;
// every reset puts the same (never modified) records back.
var builtinComponents = mustParseComponentCatalog(componentCatalogJSON)

func mustParseComponentCatalog(b []byte) []*Component {
	specs, err := parseComponentCatalog(b)
	if err != nil {
		panic("connect: embedded component catalog: " + err.Error())
	}
	out := make([]*Component, 0, len(specs))
	seen := map[string]bool{}
	for _, spec := range specs {
		comp, err := newComponent(spec, nil)
		if err != nil {
			panic("connect: embedded component catalog: " + spec.Key + ": " + err.Error())
		}
		if spec.ID == "" || seen[spec.ID] || seen[spec.Key+"@"+spec.Version] {
			panic("connect: embedded component catalog: " + spec.Key + ": missing or repeated id or version")
		}
		seen[spec.ID], seen[spec.Key+"@"+spec.Version] = true, true
		if comp.Registry == "" {
			comp.Registry = RegistryPublic
		}
		out = append(out, comp)
	}
	return out
}

// parseComponentCatalog reads a catalog file strictly: a misspelt field is
// an error, not a silently missing prop attribute.
func parseComponentCatalog(b []byte) ([]ComponentSpec, error) {
	var f wire.ComponentCatalog
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, err
	}
	out := make([]ComponentSpec, len(f.Components))
	for i, c := range f.Components {
		out[i] = ComponentSpecFrom(c)
	}
	return out, nil
}

// ComponentSpecFrom reads a component document (a catalog entry, a
// control-plane body) into a spec.
func ComponentSpecFrom(w wire.ComponentSpec) ComponentSpec {
	spec := ComponentSpec{
		ID: w.ID, Key: w.Key, Name: w.Name, Version: w.Version, ComponentType: ComponentKind(w.ComponentType),
		App: w.App, Description: w.Description, Registry: w.Registry, Stash: w.Stash,
		ConfigurableProps: propsFrom(w.ConfigurableProps), DynamicProps: propsFrom(w.DynamicProps),
		ConfigureOptions: w.ConfigureOptions,
	}
	if w.Annotations != nil {
		a := Annotations(*w.Annotations)
		spec.Annotations = &a
	}
	if w.Run != nil {
		r := RunResult(*w.Run)
		spec.Run = &r
	}
	return spec
}

func propsFrom(in []wire.Prop) []Prop {
	if in == nil {
		return nil
	}
	out := make([]Prop, len(in))
	for i, p := range in {
		out[i] = Prop(p)
	}
	return out
}
