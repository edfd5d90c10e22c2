package testutil_test

import (
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/pdemu/pdemu/testutil"
)

// The snippets of docs/*.md are run too: every Go block is compiled and
// run as a test of this module, and every shell block that talks to pdemu
// with curl runs against a server, where each request it sends must reach
// a route pdemu serves. The few blocks that need what a test cannot give
// (Docker, the module proxy, a long-running binary) are listed below with
// the reason, so a new block is run or consciously left out.

// notRun are the shell blocks no test runs, by their first line.
var notRun = map[string]string{
	"pdemu conformance --expect expect.txt --report run.json || \\":                "runs the kit against a server of the reader's",
	"go install github.com/pdemu/pdemu/cmd/pdemu@latest":                           "needs the public module proxy",
	"git clone https://github.com/pdemu/pdemu":                                     "needs the network",
	`CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o pdemu ./cmd/pdemu`:       "cmd/pdemu's TestStaticImage builds with these flags",
	"pdemu healthcheck                                    # http://127.0.0.1:8787": "cmd/pdemu's healthcheck tests run each form",
	"docker build -t pdemu .":                                                      "needs a Docker engine",
	"docker run --rm -p 9000:8787 -e PDEMU_CONTROL_TOKEN=choose-a-token \\":        "needs a Docker engine",
	"go get github.com/pdemu/pdemu":                                                "needs the public module proxy; testutil's TestExampleModule runs examples/gotest",
	"go build -o pdemu ./cmd/pdemu":                                                "runs the kit against api.pipedream.com",
	"npm ci --prefix interop/mockoauth":                                            "conformance's TestKitJudgesOAuth2MockServer runs it",
	"pdemu --addr 0.0.0.0:8787      # the exports now include PDEMU_CONTROL_TOKEN": "starts a server beyond loopback; cmd/pdemu's serve tests cover it",
	"export PDEMU_CONTROL_TOKEN=$(openssl rand -hex 32)":                           "starts a server beyond loopback; cmd/pdemu's serve tests cover it",
	"pdemu serve --state-file pdemu.state":                                         "starts a long-running server; cmd/pdemu's state-file tests cover it",
}

type docBlock struct {
	file, lang, code string
	line             int
}

func docBlocks(t *testing.T) []docBlock {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	var out []docBlock
	for _, f := range files {
		doc, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range fence.FindAllStringSubmatchIndex(string(doc), -1) {
			out = append(out, docBlock{file: filepath.Base(f), lang: string(doc[m[2]:m[3]]), code: string(doc[m[4]:m[5]]),
				line: strings.Count(string(doc[:m[0]]), "\n") + 1})
		}
	}
	return out
}

// goImports are the packages a Go snippet may use without importing them:
// the wrapper imports those it names.
var goImports = map[string]string{
	"emulator": "github.com/pdemu/pdemu/emulator", "testutil": "github.com/pdemu/pdemu/testutil",
	"clock": "github.com/pdemu/pdemu/emulator/clock", "time": "time", "http": "net/http",
	"httptest": "net/http/httptest", "context": "context", "oauth2": "golang.org/x/oauth2",
	"clientcredentials": "golang.org/x/oauth2/clientcredentials", "slog": "log/slog", "strings": "strings",
	"fmt": "fmt", "io": "io", "json": "encoding/json", "errors": "errors",
}

// goFile makes a Go snippet a test file: a whole file as it is, top-level
// declarations with a package clause and imports, statements inside a test.
func goFile(code string) string {
	if strings.HasPrefix(code, "package ") {
		return code
	}
	var imports []string
	for name, path := range goImports {
		if regexp.MustCompile(`\b` + name + `\.`).MatchString(code) {
			imports = append(imports, `"`+path+`"`)
		}
	}
	imports = append(imports, `"testing"`)
	sort.Strings(imports)
	head := "package snippet_test\n\nimport (\n\t" + strings.Join(imports, "\n\t") + "\n)\n\n"
	if strings.HasPrefix(code, "func ") {
		return head + code
	}
	return head + "func TestSnippet(t *testing.T) {\n" + code + "}\n"
}

func TestDocsGoSnippets(t *testing.T) {
	for _, b := range docBlocks(t) {
		if b.lang != "go" {
			continue
		}
		t.Run(b.file+":"+strconv.Itoa(b.line), func(t *testing.T) {
			src := goFile(b.code)
			if out, err := runGoFile(t, src); err != nil {
				t.Errorf("the snippet does not pass: %v\n%s\n--- as a file ---\n%s", err, out, src)
			}
		})
	}
}

// commands are a block's shell commands: a console block's $ lines, a
// shell block's text.
func commands(b docBlock) string {
	if b.lang != "console" {
		return b.code
	}
	var cmds []string
	for _, l := range strings.Split(b.code, "\n") {
		if c, ok := strings.CutPrefix(l, "$ "); ok {
			cmds = append(cmds, c)
		}
	}
	return strings.Join(cmds, "\n")
}

func TestDocsShellSnippets(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("no curl")
	}
	for _, b := range docBlocks(t) {
		if b.lang != "sh" && b.lang != "console" {
			continue
		}
		first := strings.SplitN(b.code, "\n", 2)[0]
		if _, ok := notRun[first]; ok {
			continue
		}
		t.Run(b.file+":"+strconv.Itoa(b.line), func(t *testing.T) {
			script := commands(b)
			if !strings.Contains(script, "curl ") {
				t.Fatalf("a shell block that is neither run nor listed in notRun (first line %q)", first)
			}
			srv := startBinary(t)
			// Lines that call other programs (node, an editor's placeholder)
			// are left out; each curl runs.
			var lines []string
			for _, l := range strings.Split(script, "\n") {
				trimmed := strings.TrimSpace(l)
				if strings.HasPrefix(trimmed, "node ") {
					l = "# " + l
				}
				lines = append(lines, l)
			}
			script = strings.Join(lines, "\n")
			for from, to := range map[string]string{
				"http://127.0.0.1:8787": srv.URL(), "proj_abc": srv.env["PIPEDREAM_PROJECT_ID"], "oc_abc": srv.env["PIPEDREAM_CLIENT_ID"],
				"choose-a-token": "unused-control-token",
			} {
				script = strings.ReplaceAll(script, from, to)
			}
			dir := t.TempDir()
			cmd := exec.Command(sh, "-c", script)
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), srv.Env()...)
			cmd.Env = append(cmd.Env, "URL="+srv.URL(), "TOKEN="+mint(t, srv, ""), "USERS_ONLY_TOKEN="+mint(t, srv, "connect:users:read"))
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("sh: %v\n%s\n--- script ---\n%s", err, out, script)
			}
			all := srv.requests(t)
			// Health checks and the console's reads are not journaled.
			quiet := strings.Contains(script, "/_emulator/health") || strings.Contains(script, "X-Pdemu-Console")
			if len(all) == 0 && !quiet {
				t.Fatalf("the block reached no route of pdemu:\n%s\n--- output ---\n%s", script, out)
			}
			for _, r := range all {
				if r.Route == "" {
					t.Errorf("%s %s matches no route (near misses %v):\n%s", r.Method, r.Path, r.NearMisses, script)
				}
				if r.Status >= 500 && r.FaultID == "" {
					t.Errorf("%s %s answered %d:\n%s", r.Method, r.Path, r.Status, out)
				}
			}
		})
	}
}

// TestDocsNodeSnippets runs each JavaScript block of docs/ with Node and
// the pinned SDK, against a server: it must exit 0 and name the project.
func TestDocsNodeSnippets(t *testing.T) {
	for _, b := range docBlocks(t) {
		if b.lang != "js" {
			continue
		}
		t.Run(b.file+":"+strconv.Itoa(b.line), func(t *testing.T) {
			srv := testutil.NewServer(t)
			if out := runNodeSnippet(t, b.code, srv); !strings.Contains(out, srv.Credentials.ProjectID) {
				t.Errorf("the snippet printed %q, want the project id %s", out, srv.Credentials.ProjectID)
			}
		})
	}
}

// mint gets a token for the server's client through the control plane.
func mint(t *testing.T, srv binaryServer, scope string) string {
	t.Helper()
	body := `{}`
	if scope != "" {
		body = `{"scope":"` + scope + `"}`
	}
	resp, err := http.Post(srv.URL()+"/_emulator/oauth-clients/"+srv.env["PIPEDREAM_CLIENT_ID"]+"/tokens", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
		t.Fatalf("minting a token: %v (status %d)", err, resp.StatusCode)
	}
	return tok.AccessToken
}
