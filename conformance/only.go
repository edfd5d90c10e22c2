package conformance

import (
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"testing/fstest"

	messages "github.com/cucumber/messages/go/v34"
)

// onlyScenarios returns the feature files of fsys that hold one of the
// named scenarios, with every other scenario (and every other row of an
// outline) commented out, line for line: godog selects by tag or by line,
// and an outline's rows share a line, so this is how a run holds exactly
// the named scenarios, each still at its line. A name that matches no
// scenario is an error.
func onlyScenarios(fsys fs.FS, names []string) (fs.FS, error) {
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	found := map[string]bool{}
	// A map file system: the kit never writes these files out, and
	// godog reads them only through fs.FS.
	out := fstest.MapFS{}
	err := walkFeatures(fsys, func(ff *featureFile) error {
		// For each scenario (outline) of the file, the ids of its selected
		// example rows (nil for a plain scenario) and whether any is.
		selected := map[string]bool{}
		rows := map[string]bool{}
		for _, pk := range ff.pickles {
			if !want[pk.Name] {
				continue
			}
			found[pk.Name] = true
			selected[pk.AstNodeIds[0]] = true
			if len(pk.AstNodeIds) > 1 {
				rows[pk.AstNodeIds[1]] = true
			}
		}
		if len(selected) == 0 {
			return nil
		}
		b, err := fs.ReadFile(fsys, ff.path)
		if err != nil {
			return err
		}
		lines := strings.SplitAfter(string(b), "\n")
		comment := func(from, to int) { // 1-based, inclusive
			for i := from; i <= to && i <= len(lines); i++ {
				lines[i-1] = "#" + lines[i-1]
			}
		}
		starts := blockStarts(ff.doc.Feature)
		for id, sc := range ff.scenarios {
			if !selected[id] {
				start := nodeStart(sc.Location, sc.Tags)
				comment(start, blockEnd(starts, start, len(lines)))
				continue
			}
			for _, ex := range sc.Examples {
				for _, row := range ex.TableBody {
					if !rows[row.Id] {
						comment(int(row.Location.Line), int(row.Location.Line))
					}
				}
			}
		}
		out[ff.path] = &fstest.MapFile{Data: []byte(strings.Join(lines, "")), Mode: 0o444}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		if !found[n] {
			return nil, fmt.Errorf("conformance: no scenario is named %q", n)
		}
	}
	return out, nil
}

// nodeStart is where a node's text starts: its first tag, or its keyword.
func nodeStart(loc *messages.Location, tags []*messages.Tag) int {
	line := int(loc.Line)
	for _, t := range tags {
		line = min(line, int(t.Location.Line))
	}
	return line
}

// blockStarts returns the first line of every scenario, background and
// rule of a feature, sorted: a scenario's text ends where the next starts.
func blockStarts(f *messages.Feature) []int {
	var starts []int
	var add func(children []*messages.FeatureChild)
	add = func(children []*messages.FeatureChild) {
		for _, c := range children {
			switch {
			case c.Scenario != nil:
				starts = append(starts, nodeStart(c.Scenario.Location, c.Scenario.Tags))
			case c.Background != nil:
				starts = append(starts, int(c.Background.Location.Line))
			case c.Rule != nil:
				starts = append(starts, nodeStart(c.Rule.Location, c.Rule.Tags))
				for _, rc := range c.Rule.Children {
					add([]*messages.FeatureChild{{Scenario: rc.Scenario, Background: rc.Background}})
				}
			}
		}
	}
	add(f.Children)
	slices.Sort(starts)
	return starts
}

// blockEnd is the last line of the block that starts at start.
func blockEnd(starts []int, start, last int) int {
	for _, s := range starts {
		if s > start {
			return s - 1
		}
	}
	return last
}
