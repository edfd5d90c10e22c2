package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCommandLineBehaviour pins what a user sees, whole: the exact stdout
// prefix, the exact stderr of a usage error (one line and a hint) and the
// exit status, for help, bad flags, bad values and the environment.
func TestCommandLineBehaviour(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	secretFile := file("secret", "file-secret-1\n")
	badSecretFile := file("bad-secret", "hush hush\n")
	emptyFile := file("empty", "\n")
	tokenFile := file("token", "file-token-1\r\n")
	missing := filepath.Join(dir, "missing")

	const serveHint = "run 'pdemu help serve' for usage\n"
	const conformanceHint = "run 'pdemu help conformance' for usage\n"
	const topHint = "run 'pdemu help' for usage\n"
	const serveHelp = "Usage:\n  pdemu serve [flags]\n"
	const topHelp = "Usage:\n  pdemu [serve] [flags]  "
	const conformanceHelp = "Usage:\n  pdemu conformance [flags]\n"

	tests := []struct {
		name string
		args []string
		env  []string
		// wantStdout is stdout's beginning; wantStderr is all of stderr,
		// the report of run's error included, unless wantStderrHas is set.
		wantStdout    string
		wantStderr    string
		wantStderrHas []string
		wantStatus    int
		wantEnv       map[string]string
		// notOut must appear on neither stdout nor stderr.
		notOut []string
	}{
		// Help: stdout, status 0, every spelling.
		{name: "--help", args: []string{"--help"}, wantStdout: topHelp},
		{name: "-h", args: []string{"-h"}, wantStdout: topHelp},
		{name: "help", args: []string{"help"}, wantStdout: topHelp},
		{name: "help serve", args: []string{"help", "serve"}, wantStdout: serveHelp},
		{name: "serve --help", args: []string{"serve", "--help"}, wantStdout: serveHelp},
		{name: "serve -h", args: []string{"serve", "-h"}, wantStdout: serveHelp},
		{name: "serve -help", args: []string{"serve", "-help"}, wantStdout: serveHelp},
		{name: "flags then --help", args: []string{"--addr", anyPort, "--help"}, wantStdout: serveHelp},
		{name: "help conformance", args: []string{"help", "conformance"}, wantStdout: conformanceHelp},
		{name: "conformance --help", args: []string{"conformance", "--help"}, wantStdout: conformanceHelp},
		{name: "conformance -h", args: []string{"conformance", "-h"}, wantStdout: conformanceHelp},
		{name: "help wins over a bad environment", args: []string{"serve", "--help"}, env: []string{"PDEMU_JOURNAL_SIZE=x"}, wantStdout: serveHelp},

		// Usage errors: one line, one hint, status 2.
		{name: "unknown flag", args: []string{"--bogus"}, wantStatus: 2,
			wantStderr: "pdemu: unknown flag --bogus\n" + serveHint},
		{name: "unknown single-dash flag", args: []string{"serve", "-bogus=1"}, wantStatus: 2,
			wantStderr: "pdemu: unknown flag --bogus\n" + serveHint},
		{name: "unknown conformance flag", args: []string{"conformance", "--bogus"}, wantStatus: 2,
			wantStderr: "pdemu: unknown flag --bogus\n" + conformanceHint},
		{name: "flag without its value", args: []string{"serve", "--addr"}, wantStatus: 2,
			wantStderr: "pdemu: flag --addr needs a value\n" + serveHint},
		{name: "bad flag syntax", args: []string{"---addr"}, wantStatus: 2,
			wantStderr: "pdemu: bad flag syntax \"---addr\": want --name or --name=value\n" + serveHint},
		{name: "not a number", args: []string{"--journal-size", "many"}, wantStatus: 2,
			wantStderr: "pdemu: invalid --journal-size \"many\": want a whole number\n" + serveHint},
		{name: "not a duration", args: []string{"--proxy-timeout", "30"}, wantStatus: 2,
			wantStderr: "pdemu: invalid --proxy-timeout \"30\": want a duration, such as 30s or 2m\n" + serveHint},
		{name: "not a boolean", args: []string{"--freeze-clock=maybe"}, wantStatus: 2,
			wantStderr: "pdemu: invalid --freeze-clock \"maybe\": want true or false\n" + serveHint},
		{name: "bad log level", args: []string{"--log-level", "loud"}, wantStatus: 2,
			wantStderr: "pdemu: invalid --log-level \"loud\": want debug, info, warn or error\n" + serveHint},
		{name: "bad addr", args: []string{"--addr", "nowhere"}, wantStatus: 2,
			wantStderr: "pdemu: invalid --addr \"nowhere\": missing port in address; want host:port, such as 127.0.0.1:8787\n" + serveHint},
		{name: "positional argument", args: []string{"serve", "extra"}, wantStatus: 2,
			wantStderr: "pdemu: serve takes flags only, got \"extra\"\n" + serveHint},
		{name: "unknown subcommand", args: []string{"conformity"}, wantStatus: 2,
			wantStderr: "pdemu: unknown subcommand \"conformity\"; known subcommands: serve, conformance, healthcheck, version, help\n" + topHint},
		{name: "help for an unknown subcommand", args: []string{"help", "bogus"}, wantStatus: 2,
			wantStderr: "pdemu: no help for \"bogus\"; known subcommands: serve, conformance, healthcheck, version, help\n" + topHint},
		{name: "bad project id", args: []string{"--project-id", "bad"}, wantStatus: 2,
			wantStderr: "pdemu: invalid --project-id: project id \"bad\" must match ^proj_[a-zA-Z0-9]+$\n" + serveHint},
		{name: "bad workspace id", args: []string{"--workspace-id", "ws"}, wantStatus: 2,
			wantStderr: "pdemu: invalid --workspace-id: workspace id \"ws\" must look like o_…\n" + serveHint},
		{name: "bad client id", args: []string{"--client-id", "oc a"}, wantStatus: 2,
			wantStderr: "pdemu: invalid --client-id: client id must be printable ASCII without spaces\n" + serveHint},
		{name: "bad client secret, not echoed", args: []string{"--client-secret", "hush hush"}, wantStatus: 2,
			wantStderr: "pdemu: invalid --client-secret: client secret must be printable ASCII without spaces\n" + serveHint},

		// The environment: PDEMU_<FLAG>, the command line wins.
		{name: "addr from the environment", env: []string{"PDEMU_ADDR=" + anyPort, "PDEMU_CLIENT_SECRET=env-secret-1", "PDEMU_FREEZE_CLOCK=true"},
			wantStdout: "# pdemu listening on http://127.0.0.1:", wantStderrHas: []string{"clock=frozen"},
			wantEnv: map[string]string{"PIPEDREAM_CLIENT_SECRET": "env-secret-1"}},
		{name: "the command line wins over the environment", args: []string{"--addr", anyPort, "--client-id", "oc_flag"},
			env:     []string{"PDEMU_ADDR=nowhere", "PDEMU_CLIENT_ID=oc_env"},
			wantEnv: map[string]string{"PIPEDREAM_CLIENT_ID": "oc_flag"}},
		{name: "a repeatable flag's variable is comma-separated", args: []string{"--addr", anyPort},
			env:           []string{"PDEMU_PROXY_ALLOW_HOST=a.example.com, 10.0.0.0/8"},
			wantStderrHas: []string{"proxy_allowed_hosts=a.example.com,10.0.0.0/8"}},
		{name: "a repeatable flag on the command line replaces its variable", args: []string{"--addr", anyPort, "--limit", "projects=3"},
			env:           []string{"PDEMU_LIMIT=bogus=1"},
			wantStderrHas: []string{`limits="projects=3"`}},
		{name: "the control token's variable still works", args: []string{"--addr", anyPort}, env: []string{"PDEMU_CONTROL_TOKEN=env-token-9"},
			wantEnv: map[string]string{"PDEMU_CONTROL_TOKEN": "env-token-9"}},
		{name: "bad number in the environment", env: []string{"PDEMU_JOURNAL_SIZE=many"}, wantStatus: 2,
			wantStderr: "pdemu: invalid PDEMU_JOURNAL_SIZE \"many\": want a whole number\n" + serveHint},
		{name: "bad boolean in the environment", env: []string{"PDEMU_FREEZE_CLOCK=yes"}, wantStatus: 2,
			wantStderr: "pdemu: invalid PDEMU_FREEZE_CLOCK \"yes\": want true or false\n" + serveHint},
		{name: "bad log level in the environment", env: []string{"PDEMU_LOG_LEVEL=loud"}, wantStatus: 2,
			wantStderr: "pdemu: invalid PDEMU_LOG_LEVEL \"loud\": want debug, info, warn or error\n" + serveHint},
		{name: "bad addr in the environment", env: []string{"PDEMU_ADDR=nowhere"}, wantStatus: 2,
			wantStderr: "pdemu: invalid PDEMU_ADDR \"nowhere\": missing port in address; want host:port, such as 127.0.0.1:8787\n" + serveHint},
		{name: "bad project id in the environment", env: []string{"PDEMU_PROJECT_ID=bad"}, wantStatus: 2,
			wantStderr: "pdemu: invalid PDEMU_PROJECT_ID: project id \"bad\" must match ^proj_[a-zA-Z0-9]+$\n" + serveHint},
		{name: "bad control token in the environment, not echoed", env: []string{"PDEMU_CONTROL_TOKEN=hush hush"}, wantStatus: 2,
			wantStderrHas: []string{"pdemu: invalid PDEMU_CONTROL_TOKEN: "}, notOut: []string{"hush"}},

		// Secrets from files.
		{name: "client secret from a file", args: []string{"--addr", anyPort, "--client-secret-file", secretFile},
			wantEnv: map[string]string{"PIPEDREAM_CLIENT_SECRET": "file-secret-1"}},
		{name: "control token from a file", args: []string{"--addr", anyPort, "--control-token-file", tokenFile},
			wantEnv: map[string]string{"PDEMU_CONTROL_TOKEN": "file-token-1"}},
		{name: "secret file from the environment", args: []string{"--addr", anyPort}, env: []string{"PDEMU_CLIENT_SECRET_FILE=" + secretFile},
			wantEnv: map[string]string{"PIPEDREAM_CLIENT_SECRET": "file-secret-1"}},
		{name: "a secret on the command line wins over a file in the environment", args: []string{"--addr", anyPort, "--client-secret", "flag-secret"},
			env: []string{"PDEMU_CLIENT_SECRET_FILE=" + missing}, wantEnv: map[string]string{"PIPEDREAM_CLIENT_SECRET": "flag-secret"}},
		{name: "a file on the command line wins over a secret in the environment", args: []string{"--addr", anyPort, "--client-secret-file", secretFile},
			env: []string{"PDEMU_CLIENT_SECRET=env-secret"}, wantEnv: map[string]string{"PIPEDREAM_CLIENT_SECRET": "file-secret-1"}},
		{name: "secret and its file both given", args: []string{"--client-secret", "s", "--client-secret-file", secretFile}, wantStatus: 2,
			wantStderr: "pdemu: --client-secret and --client-secret-file both give the client secret; give one\n" + serveHint},
		{name: "token and its file both in the environment", env: []string{"PDEMU_CONTROL_TOKEN=t", "PDEMU_CONTROL_TOKEN_FILE=" + tokenFile}, wantStatus: 2,
			wantStderr: "pdemu: PDEMU_CONTROL_TOKEN and PDEMU_CONTROL_TOKEN_FILE both give the control token; give one\n" + serveHint},
		{name: "unreadable secret file", args: []string{"--client-secret-file", missing}, wantStatus: 2,
			wantStderr: "pdemu: cannot read --client-secret-file " + missing + ": no such file or directory\n" + serveHint},
		{name: "empty secret file", args: []string{"--client-secret-file", emptyFile}, wantStatus: 2,
			wantStderr: "pdemu: --client-secret-file " + emptyFile + " is empty\n" + serveHint},
		{name: "bad secret in a file, not echoed", args: []string{"--client-secret-file", badSecretFile}, wantStatus: 2,
			wantStderr: "pdemu: invalid --client-secret-file " + badSecretFile + ": client secret must be printable ASCII without spaces\n" + serveHint},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			stdout, stderr, err := runOnceEnv(t, envOf(tt.env...), tt.args...)
			var report bytes.Buffer
			status := exitStatus(&report, err)
			stderr += report.String()
			if status != tt.wantStatus {
				t.Errorf("exit status %d, want %d\nstderr:\n%s", status, tt.wantStatus, stderr)
			}
			if !strings.HasPrefix(stdout, tt.wantStdout) {
				t.Errorf("stdout:\n%s\nwant it to start with:\n%s", stdout, tt.wantStdout)
			}
			if tt.wantStatus != 0 && stdout != "" {
				t.Errorf("a usage error wrote to stdout:\n%s", stdout)
			}
			switch {
			case tt.wantStderrHas != nil:
				for _, want := range tt.wantStderrHas {
					if !strings.Contains(stderr, want) {
						t.Errorf("stderr does not contain %q:\n%s", want, stderr)
					}
				}
			case tt.wantStatus != 0 || tt.wantStdout != "" && !strings.HasPrefix(tt.wantStdout, "#"):
				// Errors and help: all of stderr is known.
				if stderr != tt.wantStderr {
					t.Errorf("stderr:\n%q\nwant:\n%q", stderr, tt.wantStderr)
				}
			}
			for _, bad := range tt.notOut {
				if strings.Contains(stdout+stderr, bad) {
					t.Errorf("%q leaked:\nstdout:\n%s\nstderr:\n%s", bad, stdout, stderr)
				}
			}
			env := parseExports(t, stdout)
			for name, want := range tt.wantEnv {
				if got := env[name]; got != want {
					t.Errorf("%s = %q, want %q\nstdout:\n%s\nstderr:\n%s", name, got, want, stdout, stderr)
				}
			}
		})
	}
}

// TestEveryServeFlagHasAVariable: the help names each flag's variable, and
// the variable's name follows the rule the docs give.
func TestEveryServeFlagHasAVariable(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	fs := newServeFlagSet(&serveConfig{})
	printServeUsage(&out, fs)
	for _, name := range []string{"addr", "client-secret", "client-secret-file", "control-token", "freeze-clock", "proxy-allow-host"} {
		if fs.Lookup(name) == nil {
			t.Fatalf("serve has no --%s", name)
		}
	}
	for name, want := range map[string]string{"addr": "PDEMU_ADDR", "client-secret": "PDEMU_CLIENT_SECRET", "freeze-clock": "PDEMU_FREEZE_CLOCK"} {
		if got := envName(envPrefix, name); got != want {
			t.Errorf("envName(%q) = %q, want %q", name, got, want)
		}
		if !strings.Contains(out.String(), "[$"+want+"]") {
			t.Errorf("serve's help does not name %s", want)
		}
	}
}
