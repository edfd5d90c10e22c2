// Package features holds the conformance kit's Gherkin scenarios: the
// behaviour of Pipedream's OAuth and Connect API, written so that the same
// files judge pdemu and any real server. They are embedded so that the pdemu
// binary and test binaries carry them.
package features

import "embed"

// FS holds every *.feature file of this folder.
//
//go:embed *.feature
var FS embed.FS
