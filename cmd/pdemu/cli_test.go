package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRunCommandLine(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	seedFile := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	seedWithIDs := seedFile("ids.json", `{"workspaces": [{
		"id": "o_seeded", "name": "seeded",
		"projects": [{"id": "proj_seeded", "name": "p"}, {"id": "proj_other", "name": "q"}],
		"clients": [{"client_id": "oc_seeded", "client_secret": "seeded-secret", "name": "c", "project_ids": ["proj_seeded"]}]
	}]}`)
	seedBare := seedFile("bare.json", `{"workspaces": [{"id": "o_bare", "name": "bare"}]}`)
	seedEmpty := seedFile("empty.json", `{"workspaces": []}`)
	seedMalformed := seedFile("malformed.json", `{"workspaces": [`)
	seedUnknown := seedFile("unknown.json", `{"workspace": []}`)

	tests := []struct {
		name       string
		args       []string
		wantStatus int
		// wantErr are substrings of run's error; it must be nil when empty.
		wantErr    []string
		wantStdout []string
		wantStderr []string
		// notStderr must appear in neither the error nor stderr.
		notStderr []string
		notStdout []string
		wantEnv   map[string]string
		// env is the environment, KEY=VALUE lines (default: empty).
		env []string
	}{
		{
			name: "unknown subcommand names the known ones", args: []string{"conformity"},
			wantStatus: 2, wantErr: []string{`unknown subcommand "conformity"`, "serve, conformance, healthcheck, version, help"},
		},
		{
			name: "unknown flag", args: []string{"--bogus"},
			wantStatus: 2, wantErr: []string{"unknown flag --bogus"},
		},
		{
			name: "unknown flag after serve", args: []string{"serve", "--addr", anyPort, "--bogus"},
			wantStatus: 2, wantErr: []string{"-bogus"},
		},
		{
			name: "positional argument", args: []string{"serve", "--addr", anyPort, "extra"},
			wantStatus: 2, wantErr: []string{`"extra"`},
		},
		{
			name: "addr without port", args: []string{"--addr", "localhost"},
			wantStatus: 2, wantErr: []string{`invalid --addr "localhost"`, "missing port"},
		},
		{
			name: "addr port out of range", args: []string{"--addr", "127.0.0.1:70000"},
			wantStatus: 2, wantErr: []string{"invalid --addr", "0 to 65535"},
		},
		{
			name: "addr port not a number", args: []string{"--addr", "127.0.0.1:http"},
			wantStatus: 2, wantErr: []string{"invalid --addr", `port "http"`},
		},
		{
			name: "bad log format", args: []string{"--addr", anyPort, "--log-format", "xml"},
			wantStatus: 2, wantErr: []string{`invalid --log-format "xml"`, "text or json"},
		},
		{
			name: "bad log level", args: []string{"--addr", anyPort, "--log-level", "loud"},
			wantStatus: 2, wantErr: []string{"log-level"},
		},
		{
			name: "max body bytes not positive", args: []string{"--addr", anyPort, "--max-body-bytes", "0"},
			wantStatus: 2, wantErr: []string{"invalid --max-body-bytes 0"},
		},
		{
			name: "max body bytes not a number", args: []string{"--addr", anyPort, "--max-body-bytes", "lots"},
			wantStatus: 2, wantErr: []string{"max-body-bytes"},
		},
		{
			name: "proxy timeout not a duration", args: []string{"--addr", anyPort, "--proxy-timeout", "30"},
			wantStatus: 2, wantErr: []string{`invalid --proxy-timeout "30": want a duration`},
		},
		{
			name: "journal size negative", args: []string{"--addr", anyPort, "--journal-size", "-1"},
			wantStatus: 2, wantErr: []string{"invalid --journal-size -1"},
		},
		{
			name: "fault seed not a number", args: []string{"--addr", anyPort, "--fault-seed", "x"},
			wantStatus: 2, wantErr: []string{"fault-seed"},
		},
		{
			name: "rate limits unknown", args: []string{"--addr", anyPort, "--rate-limits", "strict"},
			wantStatus: 2, wantErr: []string{"rate-limits"},
		},
		{
			name: "proxy timeout zero", args: []string{"--addr", anyPort, "--proxy-timeout", "0s"},
			wantStatus: 2, wantErr: []string{"invalid --proxy-timeout 0s", "positive duration"},
		},
		{
			name: "proxy timeout negative", args: []string{"--addr", anyPort, "--proxy-timeout", "-1ns"},
			wantStatus: 2, wantErr: []string{"invalid --proxy-timeout -1ns"},
		},
		{
			name: "proxy timeout default", args: []string{"--addr", anyPort},
			wantStderr: []string{"proxy_timeout=30s"},
		},
		{
			name: "proxy timeout", args: []string{"--addr", anyPort, "--proxy-timeout", "1ns"},
			wantStderr: []string{"proxy_timeout=1ns"},
		},
		{
			name: "seed file missing", args: []string{"--addr", anyPort, "--seed", filepath.Join(dir, "missing.json")},
			wantStatus: 1, wantErr: []string{"--seed", "missing.json"},
		},
		{
			name: "seed file malformed", args: []string{"--addr", anyPort, "--seed", seedMalformed},
			wantStatus: 1, wantErr: []string{"malformed.json", "seed"},
		},
		{
			name: "seed with unknown field", args: []string{"--addr", anyPort, "--seed", seedUnknown},
			wantStatus: 1, wantErr: []string{"unknown.json", `unknown field "workspace"`},
		},
		{
			name: "client id rejected by the emulator", args: []string{"--addr", anyPort, "--client-id", "oc_a\tb"},
			wantStatus: 2, wantErr: []string{"invalid --client-id: client id must be printable ASCII"},
		},
		{
			name: "client secret rejected without being echoed", args: []string{"--addr", anyPort, "--client-secret", "hush\x7fhush"},
			wantStatus: 2, wantErr: []string{"invalid --client-secret: client secret"}, notStderr: []string{"hush"},
		},
		{
			name: "project id rejected by the emulator", args: []string{"--addr", anyPort, "--project-id", "nope"},
			wantStatus: 2, wantErr: []string{"invalid --project-id", "proj_"},
		},
		{
			name: "workspace id rejected by the emulator", args: []string{"--addr", anyPort, "--workspace-id", "ws"},
			wantStatus: 2, wantErr: []string{"invalid --workspace-id", "o_"},
		},
		{
			name: "help", args: []string{"help"},
			wantStdout: []string{"Usage:", "pdemu [serve] [flags]", "pdemu conformance [flags]", "PDEMU_<FLAG>", "Exit status"},
		},
		{
			name: "help serve", args: []string{"help", "serve"},
			wantStdout: []string{"Usage:\n  pdemu serve [flags]", "--client-secret", "--addr host:port", "--freeze-clock", "--seed file", "[$PDEMU_ADDR]"},
		},
		{
			name: "-h", args: []string{"-h"},
			wantStdout: []string{"Usage:", "pdemu help [subcommand]"},
		},
		{
			name: "help for an unknown subcommand", args: []string{"help", "bogus"},
			wantStatus: 2, wantErr: []string{"bogus"},
		},
		{
			name: "serve -h", args: []string{"serve", "-h"},
			wantStdout: []string{"Usage:\n  pdemu serve [flags]", "--max-body-bytes", "--proxy-timeout duration", "(default 30s)"},
		},
		{
			name: "fixed credentials", args: []string{"serve", "--addr", anyPort,
				"--client-id", "oc_fixed", "--client-secret", "s3cret", "--project-id", "proj_fixed", "--workspace-id", "o_fixed"},
			wantEnv: map[string]string{
				"PIPEDREAM_CLIENT_ID": "oc_fixed", "PIPEDREAM_CLIENT_SECRET": "s3cret",
				"PIPEDREAM_PROJECT_ID": "proj_fixed", "PIPEDREAM_PROJECT_ENVIRONMENT": "development",
			},
			wantStdout: []string{"export PIPEDREAM_CLIENT_SECRET=s3cret\n"},
			wantStderr: []string{"workspace_id=o_fixed", "client_id=oc_fixed", "project_id=proj_fixed"},
			notStderr:  []string{"s3cret"},
		},
		{
			name: "secret that needs quoting", args: []string{"--addr", anyPort, "--client-secret", `it's$HOME`},
			wantEnv:    map[string]string{"PIPEDREAM_CLIENT_SECRET": `it's$HOME`},
			wantStdout: []string{`export PIPEDREAM_CLIENT_SECRET='it'\''s$HOME'` + "\n"},
		},
		{
			name: "seed file values", args: []string{"--addr", anyPort, "--seed", seedWithIDs},
			wantEnv: map[string]string{
				"PIPEDREAM_CLIENT_ID": "oc_seeded", "PIPEDREAM_CLIENT_SECRET": "seeded-secret", "PIPEDREAM_PROJECT_ID": "proj_seeded",
			},
			wantStderr: []string{"workspace_id=o_seeded", "seed=" + seedWithIDs},
		},
		{
			// The seeded client is limited to proj_seeded: renaming the
			// project must carry that over, or the emulator rejects the seed.
			name: "flags override the seed's first client and project", args: []string{"--addr", anyPort, "--seed", seedWithIDs,
				"--client-id", "oc_flag", "--client-secret", "flag-secret", "--project-id", "proj_flag"},
			wantEnv: map[string]string{
				"PIPEDREAM_CLIENT_ID": "oc_flag", "PIPEDREAM_CLIENT_SECRET": "flag-secret", "PIPEDREAM_PROJECT_ID": "proj_flag",
			},
		},
		{
			name: "flags add a client and project the seed lacks", args: []string{"--addr", anyPort, "--seed", seedBare,
				"--client-id", "oc_added", "--project-id", "proj_added"},
			wantEnv:    map[string]string{"PIPEDREAM_CLIENT_ID": "oc_added", "PIPEDREAM_PROJECT_ID": "proj_added"},
			wantStderr: []string{"workspace_id=o_bare"},
		},
		{
			name: "flags add a workspace to an empty seed", args: []string{"--addr", anyPort, "--seed", seedEmpty,
				"--client-secret", "only-secret"},
			wantEnv:    map[string]string{"PIPEDREAM_CLIENT_SECRET": "only-secret"},
			wantStdout: []string{"export PIPEDREAM_CLIENT_ID=oc_", "# PIPEDREAM_PROJECT_ID is not set"},
		},
		{
			name: "seed without client or project", args: []string{"--addr", anyPort, "--seed", seedBare},
			wantStdout: []string{
				"# PIPEDREAM_CLIENT_ID is not set", "# PIPEDREAM_CLIENT_SECRET is not set", "# PIPEDREAM_PROJECT_ID is not set",
				"export PIPEDREAM_BASE_URL=http://127.0.0.1:",
			},
		},
		{
			name: "log level warn hides the startup line", args: []string{"--addr", anyPort, "--log-level", "warn"},
			notStderr: []string{"pdemu started"},
		},
		{
			name: "proxy allow-list", args: []string{"--addr", anyPort, "--proxy-allow-host", "api.example.com", "--proxy-allow-host", "10.0.0.0/8"},
			wantStderr: []string{"proxy_allowed_hosts=api.example.com,10.0.0.0/8"},
		},
		{
			name: "limits", args: []string{"--addr", anyPort, "--limit", "external-users=5", "--limit", "oauth-clients=3"},
			wantStderr: []string{`limits="external-users=5,oauth-clients=3"`},
		},
		{
			name: "unknown limit names the known ones", args: []string{"--addr", anyPort, "--limit", "users=5"},
			wantStatus: 2, wantErr: []string{`unknown limit "users"`, "external-users", "oauth-clients"},
		},
		{
			name: "limit below one", args: []string{"--addr", anyPort, "--limit", "accounts=0"},
			wantStatus: 2, wantErr: []string{"limit accounts must be a whole number of at least 1"},
		},
		{
			name: "limit without a value", args: []string{"--addr", anyPort, "--limit", "accounts"},
			wantStatus: 2, wantErr: []string{"want name=n"},
		},
		{
			name: "help lists the limits", args: []string{"help", "serve"},
			wantStdout: []string{"--limit name=n", "Names: oauth-clients, projects, external-users"},
		},
		{
			name: "bad proxy host", args: []string{"--addr", anyPort, "--proxy-allow-host", "http://x:80/"},
			wantStatus: 1, wantErr: []string{"proxy allowed hosts"},
		},
		{
			name: "a loopback bind needs no control token", args: []string{"--addr", anyPort},
			wantStderr: []string{"control_token=none"}, notStdout: []string{"PDEMU_CONTROL_TOKEN"},
			notStderr: []string{"level=WARN"},
		},
		{
			name: "localhost is a loopback bind", args: []string{"--addr", "localhost:0"},
			wantStderr: []string{"control_token=none"}, notStdout: []string{"PDEMU_CONTROL_TOKEN"},
		},
		{
			name: "control token from the flag", args: []string{"--addr", anyPort, "--control-token", "flag-token-1"},
			wantEnv:    map[string]string{"PDEMU_CONTROL_TOKEN": "flag-token-1", "PIPEDREAM_PROJECT_ENVIRONMENT": "development"},
			wantStdout: []string{"export PDEMU_CONTROL_TOKEN=flag-token-1\n" + readyLine},
			wantStderr: []string{"control_token=required"}, notStderr: []string{"flag-token-1"},
		},
		{
			name: "control token from the environment", args: []string{"--addr", anyPort}, env: []string{"PDEMU_CONTROL_TOKEN=env-token-2"},
			wantEnv:    map[string]string{"PDEMU_CONTROL_TOKEN": "env-token-2"},
			wantStderr: []string{"control_token=required"}, notStderr: []string{"env-token-2"},
		},
		{
			name: "the flag wins over the environment", args: []string{"--addr", anyPort, "--control-token", "flag-token-3"},
			env:     []string{"PDEMU_CONTROL_TOKEN=env-token-3"},
			wantEnv: map[string]string{"PDEMU_CONTROL_TOKEN": "flag-token-3"}, notStdout: []string{"env-token-3"},
		},
		{
			name: "a control token that needs quoting", args: []string{"--addr", anyPort, "--control-token", `tok'$x`},
			wantEnv: map[string]string{"PDEMU_CONTROL_TOKEN": `tok'$x`}, wantStdout: []string{`export PDEMU_CONTROL_TOKEN='tok'\''$x'`},
		},
		{
			name: "control token refused without being echoed", args: []string{"--addr", anyPort, "--control-token", "hush hush"},
			wantStatus: 2, wantErr: []string{"invalid --control-token: "}, notStderr: []string{"hush"},
		},
		{
			name: "control token from the environment refused", args: []string{"--addr", anyPort}, env: []string{"PDEMU_CONTROL_TOKEN=hush\thush"},
			wantStatus: 2, wantErr: []string{"PDEMU_CONTROL_TOKEN"}, notStderr: []string{"hush"},
		},
		{
			name: "advertise URL is the base URL", args: []string{"--addr", anyPort, "--advertise-url", "http://pdemu.lan:9999/"},
			wantEnv:    map[string]string{"PIPEDREAM_BASE_URL": "http://pdemu.lan:9999"},
			wantStdout: []string{"# pdemu listening on http://127.0.0.1:"},
			wantStderr: []string{"advertise_url=http://pdemu.lan:9999/", "control_token=none"},
		},
		{
			name: "advertise URL without a scheme", args: []string{"--addr", anyPort, "--advertise-url", "pdemu.lan:9999"},
			wantStatus: 2, wantErr: []string{"invalid --advertise-url", "pdemu.lan:9999"},
		},
		{
			name: "advertise URL with a path", args: []string{"--addr", anyPort, "--advertise-url", "http://pdemu.lan/api"},
			wantStatus: 2, wantErr: []string{"invalid --advertise-url", "without a path"},
		},
		{
			name: "help lists the control-plane flags", args: []string{"help", "serve"},
			wantStdout: []string{"--control-token token", "--advertise-url URL", "PDEMU_CONTROL_TOKEN", "--control-token-file file"},
		},
		{
			name: "frozen clock and revocation are logged", args: []string{"--addr", anyPort, "--freeze-clock", "--revoke-on-rotate", "--log-level", "DEBUG"},
			wantStderr: []string{`clock=frozen`, "revoke_on_rotate=true"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			stdout, stderr, err := runOnceEnv(t, envOf(tt.env...), tt.args...)
			if len(tt.wantErr) == 0 && err != nil {
				t.Fatalf("run: %v\nstderr:\n%s", err, stderr)
			}
			if len(tt.wantErr) > 0 && err == nil {
				t.Fatalf("run succeeded, want an error containing %q\nstdout:\n%s", tt.wantErr, stdout)
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
			if got := exitStatus(&bytes.Buffer{}, err); got != tt.wantStatus {
				t.Errorf("exit status %d, want %d (error: %v)", got, tt.wantStatus, err)
			}
			for _, want := range tt.wantStdout {
				if !strings.Contains(stdout, want) {
					t.Errorf("stdout does not contain %q:\n%s", want, stdout)
				}
			}
			for _, want := range tt.wantStderr {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr does not contain %q:\n%s", want, stderr)
				}
			}
			for _, bad := range tt.notStdout {
				if strings.Contains(stdout, bad) {
					t.Errorf("stdout contains %q:\n%s", bad, stdout)
				}
			}
			for _, bad := range tt.notStderr {
				if strings.Contains(stderr, bad) || err != nil && strings.Contains(err.Error(), bad) {
					t.Errorf("%q leaked into the error or stderr:\nerror: %v\nstderr:\n%s", bad, err, stderr)
				}
			}
			env := parseExports(t, stdout)
			for name, want := range tt.wantEnv {
				if got := env[name]; got != want {
					t.Errorf("%s = %q, want %q\nstdout:\n%s", name, got, want, stdout)
				}
			}
		})
	}
}

func TestExitStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		err        error
		wantStatus int
		wantStderr string
	}{
		{"success", nil, 0, ""},
		{"failure", errors.New("boom"), 1, "pdemu: boom\n"},
		{"usage error", usageErrorf("bad flag"), 2, "pdemu: bad flag\nrun 'pdemu help' for usage\n"},
		{"usage error of a subcommand", withHint(usageErrorf("bad flag"), "serve"), 2, "pdemu: bad flag\nrun 'pdemu help serve' for usage\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stderr bytes.Buffer
			if got := exitStatus(&stderr, tt.err); got != tt.wantStatus {
				t.Errorf("exitStatus = %d, want %d", got, tt.wantStatus)
			}
			if stderr.String() != tt.wantStderr {
				t.Errorf("stderr = %q, want %q", stderr.String(), tt.wantStderr)
			}
		})
	}
}
