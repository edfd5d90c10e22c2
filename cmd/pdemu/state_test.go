//go:build unix

package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// created POSTs body to path and returns the answer, failing the test
// unless it is a 201.
func created(t *testing.T, client *http.Client, url, bearer, body string) map[string]any {
	t.Helper()
	status, raw, err := send(client, http.MethodPost, url, bearer, body)
	var got map[string]any
	if err == nil && status == http.StatusCreated {
		err = json.Unmarshal(raw, &got)
	}
	if err != nil || status != http.StatusCreated {
		t.Fatalf("POST %s %s: %d %s %v", url, body, status, raw, err)
	}
	return got
}

// clientToken issues an access token to a client.
func clientToken(client *http.Client, base, id, secret string) (string, int, []byte) {
	body, _ := json.Marshal(map[string]string{"grant_type": "client_credentials", "client_id": id, "client_secret": secret})
	status, raw, err := send(client, http.MethodPost, base+"/v1/oauth/token", "", string(body))
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err != nil || json.Unmarshal(raw, &tok) != nil {
		return "", status, raw
	}
	return tok.AccessToken, status, raw
}

// TestExportOnExitThenImport stops a pdemu with SIGTERM, so that it writes
// its state to --export-on-exit, and starts another from that document
// with --import: the second holds the same state, and what the first
// handed out (a client's secret, access tokens) works against it.
func TestExportOnExitThenImport(t *testing.T) {
	t.Parallel()
	bin := pdemuBinary(t)
	dir := t.TempDir()
	doc := filepath.Join(dir, "state.json")
	client := httpClient(t)

	a := startProc(t, bin, "serve", "--addr", anyPort, "--freeze-clock", "--export-on-exit", doc)
	seedTok, status, raw := clientToken(client, a.base(), a.env["PIPEDREAM_CLIENT_ID"], a.env["PIPEDREAM_CLIENT_SECRET"])
	if status != http.StatusOK {
		t.Fatalf("token: %d %s", status, raw)
	}
	made := created(t, client, a.base()+"/_emulator/oauth-clients", "", `{"name":"exported"}`)
	id, secret := made["client_id"].(string), made["client_secret"].(string)
	project := created(t, client, a.base()+"/v1/connect/projects", seedTok, `{"name":"exported-project"}`)["id"].(string)
	created(t, client, a.base()+"/_emulator/projects/"+a.env["PIPEDREAM_PROJECT_ID"]+"/users", "", `{"external_id":"exported-user","environment":"development"}`)
	madeTok, status, raw := clientToken(client, a.base(), id, secret)
	if status != http.StatusOK {
		t.Fatalf("token of the new client: %d %s", status, raw)
	}
	if _, err := os.Stat(doc); !os.IsNotExist(err) {
		t.Fatalf("the document exists before the exit: %v", err)
	}
	if status := a.stop(t); status != 0 {
		t.Fatalf("SIGTERM: exit status %d\nstderr:\n%s", status, a.stderr)
	}
	if logs := a.stderr.String(); !strings.Contains(logs, "state exported") || !strings.Contains(logs, doc) {
		t.Errorf("the logs should say the state was exported to %s:\n%s", doc, logs)
	}

	fi, err := os.Stat(doc)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("the document's mode is %v, want 0600: it holds the signing key", perm)
	}
	if tmp, _ := filepath.Glob(doc + ".tmp-*"); len(tmp) > 0 {
		t.Errorf("temporary files left beside the document: %v", tmp)
	}
	exported := readFile(t, doc)
	var head struct {
		Format string `json:"format"`
	}
	if err := json.Unmarshal(exported, &head); err != nil || head.Format != "pdemu-state/1" {
		t.Fatalf("the document is not a pdemu-state/1 document (%v): %.200s", err, exported)
	}
	for _, s := range []string{secret, a.env["PIPEDREAM_CLIENT_SECRET"]} {
		if bytes.Contains(exported, []byte(s)) {
			t.Error("the document holds a client secret; it should hold hashes only")
		}
	}

	b := startProc(t, bin, "serve", "--addr", anyPort, "--freeze-clock", "--import", doc)
	if state := stateOf(t, client, b); !jsonEqual(t, state, exported) {
		t.Errorf("GET /_emulator/state after --import differs from the document:\ngot:  %s\nwant: %s", state, exported)
	}
	if _, status, raw := clientToken(client, b.base(), id, secret); status != http.StatusOK {
		t.Errorf("the client made before the export cannot authenticate after the import: %d %s", status, raw)
	}
	for name, tok := range map[string]string{"the seeded client's": seedTok, "the new client's": madeTok} {
		status, raw, err := send(client, http.MethodGet, b.base()+"/v1/connect/projects/"+project, tok, "")
		if err != nil || status != http.StatusOK || !bytes.Contains(raw, []byte(`"exported-project"`)) {
			t.Errorf("%s token, issued before the export, after the import: %d %s %v", name, status, raw, err)
		}
	}
	users := list(t, client, b.base()+"/v1/connect/"+a.env["PIPEDREAM_PROJECT_ID"]+"/users", seedTok, "external_id", "X-PD-Environment", "development")
	if _, ok := users["exported-user"]; !ok || len(users) != 1 {
		t.Errorf("users after the import: %v", users)
	}
}

// TestImportRefusesInvalidDocuments starts pdemu from documents it must
// refuse: it stops, naming the file and the JSON path of the first bad
// value, and serves nothing.
func TestImportRefusesInvalidDocuments(t *testing.T) {
	t.Parallel()
	bin := pdemuBinary(t)
	dir := t.TempDir()
	valid := filepath.Join(dir, "valid.json")
	a := startProc(t, bin, "serve", "--addr", anyPort, "--freeze-clock", "--export-on-exit", valid)
	created(t, httpClient(t), a.base()+"/_emulator/oauth-clients", "", `{"name":"second"}`)
	if status := a.stop(t); status != 0 {
		t.Fatalf("SIGTERM: exit status %d\nstderr:\n%s", status, a.stderr)
	}
	edit := func(f func(doc map[string]any)) []byte {
		var doc map[string]any
		if err := json.Unmarshal(readFile(t, valid), &doc); err != nil {
			t.Fatal(err)
		}
		f(doc)
		out, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	for _, tt := range []struct {
		name    string
		content []byte // nil: no file
		want    string
	}{
		{"a client of no workspace", edit(func(doc map[string]any) {
			clients := doc["oauth"].(map[string]any)["clients"].([]any)
			clients[1].(map[string]any)["workspace_id"] = "o_nowhere"
		}), "oauth.clients[1].workspace_id"},
		{"a value of the wrong type", edit(func(doc map[string]any) { doc["signing_key"] = 5 }), "signing_key"},
		{"an unknown field", edit(func(doc map[string]any) { doc["extra"] = true }), `extra: unknown field`},
		{"another format", edit(func(doc map[string]any) { doc["format"] = "pdemu-state/9" }), "format"},
		{"not JSON", []byte(`{"format": "pdemu-state/1",`), "not valid JSON"},
		{"no file", nil, "no such file"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			file := filepath.Join(t.TempDir(), "state.json")
			if tt.content != nil {
				if err := os.WriteFile(file, tt.content, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			p := launch(t, bin, "serve", "--addr", anyPort, "--import", file)
			status := p.wait(t)
			logs := p.stderr.String()
			if status != 1 {
				t.Errorf("exit status %d, want 1\nstderr:\n%s", status, logs)
			}
			if !strings.Contains(logs, file) || !strings.Contains(logs, tt.want) {
				t.Errorf("stderr should name %s and %s:\n%s", file, tt.want, logs)
			}
			if p.out != "" {
				t.Errorf("it printed its export lines:\n%s", p.out)
			}
		})
	}
}

// TestImportWithStateFile: --import and --state-file both choose the state
// to start from, so giving both is a usage error, and neither file is
// touched.
func TestImportWithStateFile(t *testing.T) {
	t.Parallel()
	bin := pdemuBinary(t)
	dir := t.TempDir()
	doc, file := filepath.Join(dir, "state.json"), filepath.Join(dir, "pdemu.state")
	if err := os.WriteFile(doc, []byte(`{}`), 0o600); err != nil {
		t.Fatal(err)
	}
	p := launch(t, bin, "serve", "--addr", anyPort, "--import", doc, "--state-file", file)
	if status := p.wait(t); status != 2 {
		t.Errorf("exit status %d, want 2 (usage)\nstderr:\n%s", status, p.stderr)
	}
	if logs := p.stderr.String(); !strings.Contains(logs, "--import") || !strings.Contains(logs, "--state-file") {
		t.Errorf("stderr should name both flags:\n%s", logs)
	}
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Errorf("the state file was created: %v", err)
	}
}
