package main

import (
	"errors"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

func TestFormatVersion(t *testing.T) {
	settings := func(kv ...string) []debug.BuildSetting {
		var s []debug.BuildSetting
		for i := 0; i+1 < len(kv); i += 2 {
			s = append(s, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return s
	}
	const rev = "3ddd377abcdef0123456789abcdef0123456789a"
	tests := []struct {
		name     string
		info     *debug.BuildInfo
		override string
		want     string
	}{
		{"no build info", nil, "", "(devel) " + runtime.Version()},
		{"go run or go test", &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "(devel)"}}, "", "(devel) go1.26.0"},
		{"empty main version", &debug.BuildInfo{GoVersion: "go1.26.0"}, "", "(devel) go1.26.0"},
		{"go install @version", &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "v0.1.0"}}, "", "v0.1.0 go1.26.0"},
		{"go build in a checkout", &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "v0.0.0-20260101000000-3ddd377abcde"},
			Settings: settings("vcs", "git", "vcs.revision", rev, "vcs.modified", "false")}, "",
			"v0.0.0-20260101000000-3ddd377abcde (revision 3ddd377abcde) go1.26.0"},
		{"modified tree", &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "v0.0.0-20260101000000-3ddd377abcde+dirty"},
			Settings: settings("vcs.revision", rev, "vcs.modified", "true")}, "",
			"v0.0.0-20260101000000-3ddd377abcde+dirty (revision 3ddd377abcde, modified) go1.26.0"},
		{"short revision kept whole", &debug.BuildInfo{GoVersion: "go1.26.0", Settings: settings("vcs.revision", "abc")}, "",
			"(devel) (revision abc) go1.26.0"},
		{"-X main.version wins", &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "(devel)"}}, "v9.9.9",
			"v9.9.9 go1.26.0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := formatVersion(tt.info, tt.override); got != tt.want {
				t.Errorf("formatVersion = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestVersionCommand(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}, {"-version"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			stdout, stderr, err := runOnce(t, args...)
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			// A test binary is built without a module version: (devel).
			want := "pdemu " + buildVersion() + "\n"
			if stdout != want || stderr != "" {
				t.Errorf("stdout %q, stderr %q; want stdout %q", stdout, stderr, want)
			}
			if !strings.HasPrefix(stdout, "pdemu ") || !strings.Contains(stdout, runtime.Version()) {
				t.Errorf("stdout %q lacks the name or the Go version", stdout)
			}
		})
	}
	_, _, err := runOnce(t, "version", "extra")
	if _, ok := errors.AsType[*usageError](err); !ok {
		t.Errorf("version extra: err %v, want a usage error", err)
	}
}

// TestServeReportsVersion: the emulator serve starts names the build in
// its health answer.
func TestServeReportsVersion(t *testing.T) {
	in := start(t, "--addr", anyPort)
	status, body := call(t, "GET", in.env["PIPEDREAM_BASE_URL"]+"/_emulator/health", "", "")
	if status != 200 || body["version"] != buildVersion() || body["status"] != "ok" {
		t.Errorf("health: %d %s; want status ok and version %q", status, body, buildVersion())
	}
}
