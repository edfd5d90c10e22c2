//go:build unix

package main

import (
	"bufio"
	"errors"
	"net/http"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestBinary runs the built program, for what run cannot show: that
// main wires SIGINT and SIGTERM to a graceful shutdown and maps errors to
// exit statuses.
func TestBinary(t *testing.T) {
	bin := pdemuBinary(t)

	for name, sig := range map[string]syscall.Signal{"SIGTERM": syscall.SIGTERM, "SIGINT": syscall.SIGINT} {
		t.Run(name+" shuts down gracefully", func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(bin, "--addr", anyPort)
			var stderr syncBuffer
			cmd.Stderr = &stderr
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan error, 1)
			t.Cleanup(func() {
				_ = cmd.Process.Kill() // a no-op once it has exited
			})

			block := make(chan string, 1)
			go func() {
				var b strings.Builder
				sc := bufio.NewScanner(stdout)
				for sc.Scan() {
					b.WriteString(sc.Text() + "\n")
					if sc.Text()+"\n" == readyLine {
						block <- b.String()
						break
					}
				}
				// Drain, so the program never blocks on a full pipe, and
				// wait only after reading, as StdoutPipe requires.
				for sc.Scan() {
				}
				exited <- cmd.Wait()
			}()
			var out string
			select {
			case out = <-block:
			case err := <-exited:
				t.Fatalf("exited before printing the export lines: %v\nstderr:\n%s", err, stderr.String())
			case <-time.After(10 * time.Second):
				t.Fatalf("no export lines after 10s\nstderr:\n%s", stderr.String())
			}
			base := parseExports(t, out)["PIPEDREAM_BASE_URL"]
			if status, _ := call(t, http.MethodGet, base+"/_emulator/health", "", ""); status != http.StatusOK {
				t.Fatalf("health: %d", status)
			}

			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			select {
			case err := <-exited:
				if err != nil {
					t.Fatalf("exit after %v: %v, want status 0\nstderr:\n%s", sig, err, stderr.String())
				}
			case <-time.After(2 * shutdownTimeout):
				t.Fatalf("still running %v after %v\nstderr:\n%s", 2*shutdownTimeout, sig, stderr.String())
			}
			logs := stderr.String()
			for _, want := range []string{"shutting down", "signal received", "stopped"} {
				if !strings.Contains(logs, want) {
					t.Errorf("logs lack %q:\n%s", want, logs)
				}
			}
		})
	}

	tests := []struct {
		name       string
		args       []string
		wantStatus int
		wantStdout string
		wantStderr string
	}{
		{"unknown subcommand", []string{"conformity"}, 2, "",
			"pdemu: unknown subcommand \"conformity\"; known subcommands: serve, conformance, healthcheck, version, help\nrun 'pdemu help' for usage\n"},
		{"unknown flag", []string{"--bogus"}, 2, "", "pdemu: unknown flag --bogus\nrun 'pdemu help serve' for usage\n"},
		{"bad addr", []string{"--addr", "nowhere"}, 2, "", `pdemu: invalid --addr "nowhere"`},
		{"bad project id", []string{"--addr", anyPort, "--project-id", "x"}, 2, "", "pdemu: invalid --project-id: "},
		{"emulator fails", []string{"--addr", anyPort, "--seed", "/nonexistent/seed.json"}, 1, "", "pdemu: --seed: "},
		{"serve help", []string{"serve", "--help"}, 0, "Usage:\n  pdemu serve [flags]", ""},
		{"help", []string{"help"}, 0, "Usage:\n  pdemu [serve] [flags]", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(bin, tt.args...)
			var stdout, stderr strings.Builder
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			status := 0
			if ee, ok := errors.AsType[*exec.ExitError](err); ok {
				status = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if status != tt.wantStatus {
				t.Errorf("exit status %d, want %d\nstderr:\n%s", status, tt.wantStatus, stderr.String())
			}
			if !strings.HasPrefix(stdout.String(), tt.wantStdout) {
				t.Errorf("stdout:\n%s\nwant it to start with:\n%s", stdout.String(), tt.wantStdout)
			}
			if !strings.HasPrefix(stderr.String(), tt.wantStderr) {
				t.Errorf("stderr:\n%s\nwant it to start with:\n%s", stderr.String(), tt.wantStderr)
			}
		})
	}
}
