//go:build linux

package main

import (
	"bufio"
	"bytes"
	"debug/elf"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The image's build and run, as the Dockerfile spells them; TestStaticImage
// checks that the Dockerfile still says so, then does the same without
// Docker.
const (
	imageUID     = 65532
	imageLDFlags = "-s -w -X main.version="
)

// TestStaticImage stands in for building and running the Docker image,
// which the tests cannot do: it builds pdemu as the Dockerfile does
// (CGO_ENABLED=0, -trimpath, -ldflags "-s -w -X main.version=..."), checks
// the binary is static, so that it runs on an empty (scratch) image, and
// runs it as the image does: as uid 65532 (when the test runs as root), in
// an empty working directory it cannot write, with no environment but
// PDEMU_CONTROL_TOKEN. Then `pdemu healthcheck`, the image's HEALTHCHECK,
// must pass against it, and SIGTERM (docker stop) must end it cleanly.
func TestStaticImage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool to build the binary with")
	}
	checkDockerfile(t, goTool)

	binDir, err := os.MkdirTemp("", "pdemu-static-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(binDir) })
	bin := filepath.Join(binDir, "pdemu")
	const testVersion = "v0.0.0-static-test"
	build := exec.Command(goTool, "build", "-trimpath", "-ldflags", imageLDFlags+testVersion, "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	t.Run("statically linked and stripped", func(t *testing.T) {
		f, err := elf.Open(bin)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		for _, p := range f.Progs {
			if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
				t.Errorf("has a %v program header: dynamically linked", p.Type)
			}
		}
		if libs, err := f.ImportedLibraries(); err != nil || len(libs) > 0 {
			t.Errorf("needs shared libraries %v (%v)", libs, err)
		}
		if f.Section(".symtab") != nil {
			t.Error("has a symbol table: -s did not strip it")
		}
	})

	// The image's user must be able to reach and run the binary; the
	// working directory is empty and, like scratch's /, not its to write.
	asImageUser := os.Geteuid() == 0
	if err := os.Chmod(binDir, 0o755); err != nil {
		t.Fatal(err)
	}
	work, err := os.MkdirTemp("", "pdemu-static-work-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(work, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = os.Chmod(work, 0o700)
		os.RemoveAll(work)
	})
	const token = "static-test-control-token"
	command := func(env []string, args ...string) *exec.Cmd {
		cmd := exec.Command(bin, args...)
		cmd.Dir, cmd.Env = work, env
		if asImageUser {
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: imageUID, Gid: imageUID}}
		}
		return cmd
	}
	imageEnv := []string{envControlToken + "=" + token}

	t.Run("version", func(t *testing.T) {
		out, err := command(nil, "--version").Output()
		if err != nil || !strings.HasPrefix(string(out), "pdemu "+testVersion+" go") {
			t.Errorf("pdemu --version: %q, %v; want the version given with -X main.version", out, err)
		}
	})

	srv := command(imageEnv, "serve", "--addr", anyPort)
	var stderr syncBuffer
	srv.Stderr = &stderr
	stdout, err := srv.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	t.Cleanup(func() {
		_ = srv.Process.Kill() // a no-op once it has exited
	})
	firstLine := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			firstLine <- sc.Text()
		}
		_, _ = io.Copy(io.Discard, stdout)
		exited <- srv.Wait()
	}()
	var base string
	select {
	case line := <-firstLine:
		var ok bool
		if base, ok = strings.CutPrefix(line, "# pdemu listening on "); !ok {
			t.Fatalf("first stdout line %q, want # pdemu listening on http://...", line)
		}
	case err := <-exited:
		t.Fatalf("exited at once: %v\nstderr:\n%s", err, stderr.String())
	case <-time.After(10 * time.Second):
		t.Fatalf("no stdout after 10s\nstderr:\n%s", stderr.String())
	}

	t.Run("runs as the image's user", func(t *testing.T) {
		if !asImageUser {
			t.Skipf("the test runs as uid %d, not root, so it cannot switch to uid %d; pdemu runs as the test's user", os.Geteuid(), imageUID)
		}
		status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", srv.Process.Pid))
		if err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprintf("\t%d\t%d\t%d\t%d\n", imageUID, imageUID, imageUID, imageUID)
		for line := range strings.Lines(string(status)) {
			if rest, ok := strings.CutPrefix(line, "Uid:"); ok && rest != want {
				t.Errorf("Uid:%q, want %q", rest, want)
			}
		}
	})

	t.Run("healthcheck", func(t *testing.T) {
		var out, errOut bytes.Buffer
		hc := command(imageEnv, "healthcheck", "--url", base)
		hc.Stdout, hc.Stderr = &out, &errOut
		if err := hc.Run(); err != nil {
			t.Fatalf("pdemu healthcheck: %v\nstdout: %s\nstderr: %s", err, out.String(), errOut.String())
		}
		if want := "is healthy (" + testVersion + " go"; !strings.Contains(out.String(), want) {
			t.Errorf("stdout %q, want it to contain %q", out.String(), want)
		}

		// Health needs no control token: a container's probe passes even
		// when pdemu generated the token itself.
		out.Reset()
		errOut.Reset()
		hc = command(nil, "healthcheck", "--url", base)
		hc.Stdout, hc.Stderr = &out, &errOut
		if err := hc.Run(); err != nil {
			t.Errorf("healthcheck without the token: %v\nstderr: %s", err, errOut.String())
		}
	})

	if err := srv.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v, want status 0\nstderr:\n%s", err, stderr.String())
		}
	case <-time.After(2 * shutdownTimeout):
		t.Fatalf("still running %v after SIGTERM\nstderr:\n%s", 2*shutdownTimeout, stderr.String())
	}
	if logs := stderr.String(); !strings.Contains(logs, "stopped") {
		t.Errorf("logs lack the clean stop:\n%s", logs)
	}
}

// checkDockerfile keeps the Dockerfile saying what TestStaticImage does,
// and its .dockerignore letting in every package pdemu is built from.
func checkDockerfile(t *testing.T, goTool string) {
	t.Helper()
	df, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"CGO_ENABLED=0",
		`go build -trimpath -ldflags "` + imageLDFlags + "${VERSION}" + `" -o /out/pdemu ./cmd/pdemu`,
		"FROM scratch",
		fmt.Sprintf("USER %d:%d", imageUID, imageUID),
		"EXPOSE 8787",
		`ENTRYPOINT ["/pdemu"]`,
		`CMD ["serve", "--addr", "0.0.0.0:8787"]`,
		`CMD ["/pdemu", "healthcheck"]`,
	} {
		if !bytes.Contains(df, []byte(want)) {
			t.Errorf("the Dockerfile lacks %q", want)
		}
	}

	ignore, err := os.ReadFile("../../.dockerignore")
	if err != nil {
		t.Fatal(err)
	}
	allowed := map[string]bool{}
	for line := range strings.Lines(string(ignore)) {
		if dir, ok := strings.CutPrefix(strings.TrimSpace(line), "!"); ok {
			allowed[strings.TrimSuffix(dir, "/")] = true
		}
	}
	out, err := exec.Command(goTool, "list", "-deps", "./").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	const module = "github.com/pdemu/pdemu/"
	for pkg := range strings.Lines(string(out)) {
		rel, ok := strings.CutPrefix(strings.TrimSpace(pkg), module)
		if !ok {
			continue
		}
		if top, _, _ := strings.Cut(rel, "/"); !allowed[top] {
			t.Errorf(".dockerignore keeps out %s, which pdemu is built from: add !%s/", rel, top)
		}
	}
}
