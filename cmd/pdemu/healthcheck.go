package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// The variables healthcheck reads, besides PDEMU_CONTROL_TOKEN.
const (
	// envHealthcheckURL is where the emulator is, when --url is not given.
	envHealthcheckURL = "PDEMU_HEALTHCHECK_URL"
	// envAddr is the serve address; without --url or PDEMU_HEALTHCHECK_URL
	// the healthcheck asks the emulator listening there.
	envAddr = "PDEMU_ADDR"
)

// healthPath is the control plane's health endpoint.
const healthPath = "/_emulator/health"

// defaultHealthcheckTimeout bounds the whole exchange: an emulator answers
// health in microseconds, so one that takes seconds is not healthy.
const defaultHealthcheckTimeout = 3 * time.Second

type healthcheckConfig struct {
	url     string
	timeout time.Duration
}

const healthcheckUsageText = `Usage:
  pdemu healthcheck [--url URL] [--timeout D]

healthcheck asks a running pdemu for GET /_emulator/health and exits 0 when
it answers 200 with {"status":"ok"}, or 1 with one line on stderr saying
what it got instead: a container's HEALTHCHECK, or a script waiting for
pdemu to come up.

The URL is --url, else $` + envHealthcheckURL + `, else http://$` + envAddr + ` (a wildcard
host such as 0.0.0.0 asked on 127.0.0.1), else http://` + defaultAddr + `.
When $` + envControlToken + ` is set it is sent as Authorization: Bearer, as
the control plane of a pdemu listening beyond loopback requires.

Flags of healthcheck:
`

func newHealthcheckFlagSet(cfg *healthcheckConfig) *flag.FlagSet {
	fs := flag.NewFlagSet("pdemu healthcheck", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // parseFlags reports errors; help goes to stdout
	fs.StringVar(&cfg.url, "url", "", "`URL` of the pdemu to ask, such as http://127.0.0.1:8787\n"+
		"(default $"+envHealthcheckURL+", else from $"+envAddr+", else http://"+defaultAddr+")")
	fs.DurationVar(&cfg.timeout, "timeout", defaultHealthcheckTimeout, "longest wait for the answer, as a Go `duration`")
	return fs
}

func printHealthcheckUsage(w io.Writer) {
	fmt.Fprint(w, healthcheckUsageText)
	printFlags(w, newHealthcheckFlagSet(&healthcheckConfig{}), "")
}

// healthcheck is `pdemu healthcheck`.
func healthcheck(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	var cfg healthcheckConfig
	fs := newHealthcheckFlagSet(&cfg)
	// Its variables (PDEMU_HEALTHCHECK_URL, PDEMU_ADDR) are read below, not
	// as PDEMU_<FLAG>: a container sets PDEMU_ADDR for serve, and the probe
	// follows it.
	if _, err := parseFlags(fs, "healthcheck", args, "", getenv); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printHealthcheckUsage(stdout)
			return nil
		}
		return err
	}
	if cfg.timeout <= 0 {
		return usageErrorf("invalid --timeout %v: want a positive duration, such as 3s", cfg.timeout)
	}
	target, err := healthURL(cfg.url, getenv)
	if err != nil {
		return err
	}
	version, err := checkHealth(ctx, target, getenv(envControlToken), cfg.timeout)
	if err != nil {
		return err
	}
	if version != "" {
		version = " (" + version + ")"
	}
	_, err = fmt.Fprintf(stdout, "pdemu at %s is healthy%s\n", target, version)
	return err
}

// healthURL is the health endpoint to ask: given is --url, then the
// variables, then the default address. A URL may be the base
// (http://host:port, as PIPEDREAM_BASE_URL) or the health endpoint itself.
func healthURL(given string, getenv func(string) string) (string, error) {
	raw, from := given, "--url"
	if raw == "" {
		raw, from = getenv(envHealthcheckURL), envHealthcheckURL
	}
	if raw == "" {
		if addr := getenv(envAddr); addr != "" {
			host, port, err := net.SplitHostPort(addr)
			if err != nil || port == "" || port == "0" {
				return "", usageErrorf("cannot tell the URL from %s=%q: want host:port with a fixed port; give --url", envAddr, addr)
			}
			if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
				// A wildcard listener is reached on loopback.
				host = "127.0.0.1"
			}
			raw, from = "http://"+net.JoinHostPort(host, port), envAddr
		} else {
			raw, from = "http://"+defaultAddr, ""
		}
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", usageErrorf("invalid %s %q: want an http:// or https:// URL, such as http://%s", from, raw, defaultAddr)
	}
	if !strings.HasSuffix(strings.TrimSuffix(u.Path, "/"), healthPath) {
		u.Path = strings.TrimSuffix(u.Path, "/") + healthPath
	}
	u.RawPath, u.RawQuery, u.Fragment = "", "", ""
	return u.String(), nil
}

// checkHealth GETs target and returns the version the emulator reports,
// or an error of one line saying why it is not healthy.
func checkHealth(ctx context.Context, target, controlToken string, timeout time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return "", fmt.Errorf("health check of %s: %w", target, err)
	}
	if controlToken != "" {
		req.Header.Set("Authorization", "Bearer "+controlToken)
	}
	client := &http.Client{
		// Straight to the emulator: no proxy from the environment, and a
		// redirect is an answer, not a way to somewhere healthy.
		Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	resp, err := client.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return "", fmt.Errorf("unhealthy: no answer from %s within %v", target, timeout)
		}
		return "", fmt.Errorf("unhealthy: %v", oneLine(err.Error()))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return "", fmt.Errorf("unhealthy: reading the answer of %s: %v", target, oneLine(err.Error()))
	}
	if resp.StatusCode != http.StatusOK {
		hint := ""
		if resp.StatusCode == http.StatusUnauthorized {
			if controlToken == "" {
				hint = "; this pdemu's control plane needs its token: set " + envControlToken
			} else {
				hint = "; " + envControlToken + " is not this pdemu's control token"
			}
		}
		return "", fmt.Errorf("unhealthy: %s answered %s: %s%s", target, resp.Status, snippet(body), hint)
	}
	var health struct {
		Status  string `json:"status"`
		Version string `json:"version"`
	}
	if err := json.Unmarshal(body, &health); err != nil {
		return "", fmt.Errorf("unhealthy: %s answered 200 but not pdemu's health JSON: %s", target, snippet(body))
	}
	if health.Status != "ok" {
		return "", fmt.Errorf("unhealthy: %s answered status %q, not \"ok\"", target, health.Status)
	}
	return health.Version, nil
}

// snippet is the start of a body, on one line, for an error message.
func snippet(body []byte) string {
	s := oneLine(string(body))
	if s == "" {
		return "(empty body)"
	}
	return truncateRunes(s, 200)
}

// oneLine collapses runs of white space, newlines included, to one space.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
