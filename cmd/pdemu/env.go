package main

import (
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"

	"github.com/pdemu/pdemu/emulator"
)

// exports is what the export block tells a client.
type exports struct {
	// bound is where pdemu listens, for the comment line.
	bound net.Addr
	// baseURL is where clients reach it: --advertise-url, or baseURL(bound).
	baseURL string
	creds   emulator.Credentials
	// controlToken is the control plane's token, "" when it needs none.
	controlToken string
}

// writeEnv prints the block a user pastes into a shell: comments (where
// pdemu listens, where its web console is), so the whole block pastes cleanly, then the variables the official SDKs read,
// and the control token when there is one (for the conformance kit and
// scripts). PIPEDREAM_PROJECT_ENVIRONMENT stays the last line, so a reader
// waiting for it knows the block is complete. It is the only place the
// client secret and the control token are ever written.
func writeEnv(w io.Writer, x exports) error {
	const noClient = "no OAuth client of the seed's first workspace is known with its secret (an imported state keeps its own clients)"
	c := x.creds
	vars := []struct{ name, value, missing string }{
		{"PIPEDREAM_BASE_URL", x.baseURL, ""},
		{"PIPEDREAM_CLIENT_ID", c.ClientID, noClient},
		{"PIPEDREAM_CLIENT_SECRET", c.ClientSecret, noClient},
		{"PIPEDREAM_PROJECT_ID", c.ProjectID, "the seed's first workspace has no project"},
		{envControlToken, x.controlToken, ""},
		{"PIPEDREAM_PROJECT_ENVIRONMENT", emulator.DefaultEnvironment, ""},
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# pdemu listening on http://%s\n", x.bound)
	fmt.Fprintf(&b, "# console: %s%s\n", x.baseURL, emulator.ConsolePath)
	for _, v := range vars {
		if v.name == envControlToken && v.value == "" {
			continue // the control plane needs none: nothing to say
		}
		if v.value == "" {
			// An empty export would pass for a value and fail later, inside
			// an SDK, with a less helpful message.
			fmt.Fprintf(&b, "# %s is not set: %s\n", v.name, v.missing)
			continue
		}
		fmt.Fprintf(&b, "export %s=%s\n", v.name, shellQuote(v.value))
	}
	// One write, so a reader never sees half a block.
	_, err := io.WriteString(w, b.String())
	return err
}

// baseURL is the URL a client on this machine should use. A wildcard
// listener (--addr :8787) reports 0.0.0.0 or [::], which is where it
// listens, not an address to connect to; loopback reaches it either way.
func baseURL(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok {
		return "http://" + a.String()
	}
	host := tcp.IP.String()
	if tcp.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, strconv.Itoa(tcp.Port))
}

// shellQuote leaves plain values bare, so the usual output reads cleanly,
// and single-quotes anything else: a secret may hold $, quotes or
// backslashes, and inside single quotes a POSIX shell expands nothing.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, needsQuoting) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func needsQuoting(r rune) bool {
	switch {
	case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9':
		return false
	case strings.ContainsRune("_./:-", r):
		return false
	}
	return true
}
