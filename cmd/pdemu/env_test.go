package main

import (
	"net"
	"os/exec"
	"strings"
	"testing"
)

func TestShellQuote(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"oc_AbC123", "oc_AbC123"},
		{"http://127.0.0.1:8787", "http://127.0.0.1:8787"},
		{"proj_x-1.2/3", "proj_x-1.2/3"},
		{"", "''"},
		{"a b", "'a b'"},
		{"it's", `'it'\''s'`},
		{"$HOME", "'$HOME'"},
		{"`id`", "'`id`'"},
		{`back\slash`, `'back\slash'`},
		{`"quoted"`, `'"quoted"'`},
		{"a;b&c|d*e?f!g~h#i", "'a;b&c|d*e?f!g~h#i'"},
		{"http://[::1]:8787", "'http://[::1]:8787'"},
		{"ünï", "'ünï'"},
		{"a=b", "'a=b'"},
	}
	for _, tt := range tests {
		if got := shellQuote(tt.in); got != tt.want {
			t.Errorf("shellQuote(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

// TestExportsPasteIntoShell checks the promise the output makes: pasted
// into a POSIX shell as a whole, the block sets each variable to exactly
// the value pdemu holds, however odd the secret.
func TestExportsPasteIntoShell(t *testing.T) {
	t.Parallel()
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh to paste into")
	}
	// Printable ASCII without spaces, as the emulator allows, with every
	// character a shell treats specially.
	const secret = `it's"$HOME"\n` + "`id`" + `;*?!~#&|<>(){}[]\`
	stdout, _, err := runOnce(t, "--addr", anyPort, "--client-secret", secret, "--client-id", "oc_paste")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	if len(lines) != 7 || !strings.HasPrefix(lines[0], "# pdemu listening on http://127.0.0.1:") ||
		!strings.HasPrefix(lines[1], "# console: http://127.0.0.1:") || !strings.HasSuffix(lines[1], "/_emulator/ui/") {
		t.Fatalf("want two comments and five export lines, got:\n%s", stdout)
	}
	script := stdout + `printf '%s\n%s\n%s\n' "$PIPEDREAM_CLIENT_SECRET" "$PIPEDREAM_CLIENT_ID" "$PIPEDREAM_PROJECT_ENVIRONMENT"`
	out, err := exec.Command(sh, "-c", script).CombinedOutput()
	if err != nil {
		t.Fatalf("sh: %v\n%s", err, out)
	}
	want := secret + "\noc_paste\ndevelopment\n"
	if string(out) != want {
		t.Errorf("after pasting, sh sees:\n%s\nwant:\n%s", out, want)
	}
}

func TestBaseURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		addr net.Addr
		want string
	}{
		{&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8787}, "http://127.0.0.1:8787"},
		{&net.TCPAddr{IP: net.IPv6loopback, Port: 8787}, "http://[::1]:8787"},
		// A wildcard listener is reached through loopback.
		{&net.TCPAddr{IP: net.IPv4zero, Port: 8787}, "http://127.0.0.1:8787"},
		{&net.TCPAddr{IP: net.IPv6unspecified, Port: 8787}, "http://127.0.0.1:8787"},
	}
	for _, tt := range tests {
		if got := baseURL(tt.addr); got != tt.want {
			t.Errorf("baseURL(%v) = %q, want %q", tt.addr, got, tt.want)
		}
	}
}
