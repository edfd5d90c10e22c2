package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"
)

// version, when set at link time (-ldflags "-X main.version=v1.2.3"), is
// the version pdemu reports in place of the module version the Go tool
// stamps: a build from a tree without .git (a Docker build context, a
// tarball) has no other.
var version string

// buildVersion is the version pdemu reports: by `pdemu version`, and as
// "version" in GET /_emulator/health. It is the module version (or
// main.version), then the VCS revision and whether the tree was modified
// when it was built, then the Go release, such as
//
//	v0.1.0 (revision 3ddd377abcde, modified) go1.26.0
//	(devel) go1.26.0
//
// `go install ...@v0.1.0` stamps the module version; `go build` in a git
// checkout stamps a pseudo-version and the revision; `go run` and `go test`
// stamp neither, and say (devel).
func buildVersion() string {
	info, _ := debug.ReadBuildInfo()
	return formatVersion(info, version)
}

// formatVersion is buildVersion for a given build: info may be nil (a
// binary built without module support), override is main.version.
func formatVersion(info *debug.BuildInfo, override string) string {
	v, goVersion := "", runtime.Version()
	var revision, modified string
	if info != nil {
		v = info.Main.Version
		if info.GoVersion != "" {
			goVersion = info.GoVersion
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				revision = s.Value
			case "vcs.modified":
				modified = s.Value
			}
		}
	}
	if override != "" {
		v = override
	}
	if v == "" {
		v = "(devel)"
	}
	var b strings.Builder
	b.WriteString(v)
	if revision != "" {
		if len(revision) > 12 {
			revision = revision[:12]
		}
		fmt.Fprintf(&b, " (revision %s", revision)
		if modified == "true" {
			b.WriteString(", modified")
		}
		b.WriteString(")")
	}
	b.WriteString(" " + goVersion)
	return b.String()
}

// isVersionFlag reports whether s asks for the version as a flag would.
func isVersionFlag(s string) bool { return s == "-version" || s == "--version" }

// printVersion is `pdemu version` and `pdemu --version`: one line on
// stdout, such as "pdemu v0.1.0 (revision 3ddd377abcde) go1.26.0".
func printVersion(args []string, stdout io.Writer) error {
	if len(args) > 0 {
		return usageErrorf("version takes no arguments, got %q", strings.Join(args, " "))
	}
	_, err := fmt.Fprintf(stdout, "pdemu %s\n", buildVersion())
	return err
}
