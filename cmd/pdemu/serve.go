package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/pdemu/pdemu/emulator"
	"github.com/pdemu/pdemu/emulator/clock"
	"github.com/pdemu/pdemu/internal/logline"
)

const defaultAddr = "127.0.0.1:8787"

// envControlToken holds the control plane's token when --control-token is
// not given; the conformance kit reads the same variable.
const envControlToken = "PDEMU_CONTROL_TOKEN"

// shutdownTimeout bounds a graceful shutdown: requests to the emulator take
// microseconds, so one still running after this is stuck (or a proxied call
// waiting on its upstream), and a signal should not leave the process
// hanging for it.
const shutdownTimeout = 5 * time.Second

// serveConfig is what serve was asked for.
type serveConfig struct {
	addr string
	// fixed holds the ids and secret given on the command line; an empty
	// field leaves that value to the seed.
	fixed          emulator.Credentials
	seedFile       string
	freezeClock    bool
	revokeOnRotate bool
	logFormat      string
	logLevel       levelFlag
	maxBodyBytes   int64
	proxyHosts     hostList
	limits         limitFlag
	// clientSecretFile is --client-secret-file, read into fixed.ClientSecret.
	clientSecretFile string
	// controlToken is --control-token (or $PDEMU_CONTROL_TOKEN).
	controlToken     string
	controlTokenFile string
	advertiseURL     string
	proxyTimeout     time.Duration
	journalSize      int
	faultSeed        *uint64
	importFile       string
	exportFile       string
	stateFile        string
	rateLimits       *emulator.RateLimitConfig
	// idSeed is --id-seed: nil draws ids, secrets and keys from crypto/rand.
	idSeed *uint64
}

// limitFlag is a repeatable flag: each --limit name=n caps one family.
type limitFlag emulator.Limits

// String lists the limits given so far, sorted, as name=n.
func (l *limitFlag) String() string {
	var parts []string
	for name, n := range *l {
		parts = append(parts, name+"="+strconv.Itoa(n))
	}
	slices.Sort(parts)
	return strings.Join(parts, ",")
}

func (l *limitFlag) repeatable() {}

// Set takes one name=n; the name must be one of emulator.LimitTable's and
// n a whole number of at least 1.
func (l *limitFlag) Set(s string) error {
	name, value, ok := strings.Cut(s, "=")
	if !ok {
		return fmt.Errorf("want name=n, such as external-users=2000000")
	}
	if !slices.ContainsFunc(emulator.LimitTable(), func(i emulator.LimitInfo) bool { return i.Name == name }) {
		return fmt.Errorf("unknown limit %q; the limits are %s", name, limitNames())
	}
	n, err := strconv.Atoi(value)
	if err != nil || n < 1 {
		return fmt.Errorf("limit %s must be a whole number of at least 1, not %q", name, value)
	}
	if *l == nil {
		*l = limitFlag{}
	}
	(*l)[name] = n
	return nil
}

func limitNames() string {
	var names []string
	for _, i := range emulator.LimitTable() {
		names = append(names, i.Name)
	}
	return strings.Join(names, ", ")
}

// hostList is a repeatable flag: each --proxy-allow-host adds a rule.
type hostList []string

// String lists the rules given so far.
func (h *hostList) String() string { return strings.Join(*h, ",") }

func (h *hostList) repeatable() {}

// Set adds one rule; the emulator validates it.
func (h *hostList) Set(s string) error {
	*h = append(*h, s)
	return nil
}

// levelFlag is a slog.Level flag. It prints lower case, as users type it,
// where slog.Level prints INFO.
type levelFlag struct{ slog.Level }

// String is also the default the help shows.
func (l *levelFlag) String() string { return strings.ToLower(l.Level.String()) }

// Set takes slog's names in any case (and its offsets, such as warn+2). Its
// error says what it wants rather than how slog failed to parse it.
func (l *levelFlag) Set(s string) error {
	if l.UnmarshalText([]byte(s)) != nil {
		return errors.New("want debug, info, warn or error")
	}
	return nil
}

// newServeFlagSet is shared by serve and help, so the help lists exactly
// the flags serve parses.
func newServeFlagSet(cfg *serveConfig) *flag.FlagSet {
	fs := flag.NewFlagSet("pdemu serve", flag.ContinueOnError)
	fs.StringVar(&cfg.addr, "addr", defaultAddr, "`host:port` to listen on; port 0 picks a free port")
	fs.StringVar(&cfg.fixed.ClientID, "client-id", "", "`id` of the seeded OAuth client (default: generated)")
	fs.StringVar(&cfg.fixed.ClientSecret, "client-secret", "", "`secret` of the seeded OAuth client (default: generated); ps shows\n"+
		"flags to other users: prefer --client-secret-file or the variable")
	fs.StringVar(&cfg.clientSecretFile, "client-secret-file", "", "read --client-secret from `file` (its trailing newline trimmed)")
	fs.StringVar(&cfg.fixed.ProjectID, "project-id", "", "`id` of the seeded project, proj_... (default: generated)")
	fs.StringVar(&cfg.fixed.WorkspaceID, "workspace-id", "", "`id` of the seeded workspace, o_... (default: generated)")
	fs.StringVar(&cfg.seedFile, "seed", "", "JSON `file` of workspaces, projects and clients to start from;\n"+
		"--workspace-id, --project-id, --client-id and --client-secret override its first\n"+
		"workspace, project and client")
	fs.BoolVar(&cfg.freezeClock, "freeze-clock", false, "the emulated clock stands still until moved through /_emulator/clock\n"+
		"(default: it follows real time, so tokens expire after a real hour)")
	fs.BoolVar(&cfg.revokeOnRotate, "revoke-on-rotate", false, "rotating a client's secret also revokes the tokens issued to it")
	fs.StringVar(&cfg.logFormat, "log-format", "text", "log `format` on stderr: text or json")
	fs.Var(&cfg.logLevel, "log-level", "log `level`: debug, info, warn or error")
	fs.Var(&cfg.proxyHosts, "proxy-allow-host", "a `host` the Connect proxy may reach (repeatable): a name, *.domain, an IP or a CIDR;\n"+
		"giving any replaces the default, loopback only")
	fs.DurationVar(&cfg.proxyTimeout, "proxy-timeout", emulator.DefaultProxyTimeout, "longest the Connect proxy waits for an upstream API, as a Go `duration`\n"+
		"such as 30s or 2m; a slower one gets the caller a 504")
	fs.Int64Var(&cfg.maxBodyBytes, "max-body-bytes", emulator.DefaultMaxBodyBytes, "largest request body accepted, in `bytes`; larger ones get 413")
	fs.Var(&cfg.limits, "limit", "cap how many records of a family pdemu keeps, as `name=n` (repeatable); past it, creating one\n"+
		"answers 403 limit_exceeded. GET /_emulator/limits shows each limit and how many it counts now.\n"+
		"Names: "+limitNames())
	fs.StringVar(&cfg.controlToken, "control-token", "", "`token` the control plane (/_emulator/) requires as Authorization: Bearer\n"+
		"(default: none on a loopback --addr, and a generated one, printed with the\n"+
		"exports, on any other). ps shows flags to other users: prefer\n"+
		"--control-token-file or $"+envControlToken)
	fs.StringVar(&cfg.controlTokenFile, "control-token-file", "", "read --control-token from `file` (its trailing newline trimmed)")
	fs.StringVar(&cfg.advertiseURL, "advertise-url", "", "`URL` clients reach pdemu at (a LAN name, a proxy): printed as\n"+
		"PIPEDREAM_BASE_URL, and the control plane accepts its host and origin")
	fs.StringVar(&cfg.importFile, "import", "", "start from the state document in `file` (as GET /_emulator/state answers it)")
	fs.StringVar(&cfg.exportFile, "export-on-exit", "", "write the state document to `file` on SIGINT or SIGTERM (atomically)")
	fs.StringVar(&cfg.stateFile, "state-file", "", "keep the state in `file`: loaded at start if it exists, every change synced to it\n"+
		"before it is acknowledged, so a crash loses nothing acknowledged")
	fs.IntVar(&cfg.journalSize, "journal-size", emulator.DefaultJournalSize, "how many requests the journal (/_emulator/requests) keeps, oldest dropped\n"+
		"first; 0 turns it off")
	fs.Func("fault-seed", "seed (an unsigned `integer`) of the fault plans' dice, so that faults with a\n"+
		"probability fire on the same requests every run (default: random)", func(v string) error {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return errors.New("want an unsigned integer")
		}
		cfg.faultSeed = &n
		return nil
	})
	fs.Func("id-seed", "seed (an unsigned `integer`) of every generated id, secret, token and key, so that\n"+
		"the same requests get the same answers every run (with the clock set): for tests and\n"+
		"golden files only, since whoever knows the seed knows every secret and can sign\n"+
		"tokens (default: random; also seeds the fault dice unless --fault-seed is given)", func(v string) error {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return errors.New("want an unsigned integer")
		}
		cfg.idSeed = &n
		return nil
	})
	fs.Func("rate-limits", "rate limits to apply: `pipedream` (the limits Pipedream publishes), off, or a\n"+
		"JSON file of rules as PUT /_emulator/rate-limits takes them (default off)", func(v string) error {
		src := v
		if v != "pipedream" && v != "off" {
			data, err := os.ReadFile(v)
			if err != nil {
				return fmt.Errorf("want pipedream, off or a JSON file: %w", err)
			}
			src = string(data)
		}
		rl, err := emulator.ParseRateLimits(src)
		if err != nil {
			return err
		}
		cfg.rateLimits = &rl
		return nil
	})
	return fs
}

const serveUsageText = `Usage:
  pdemu serve [flags]
  pdemu [flags]          (serve is the default subcommand)

serve emulates Pipedream's OAuth client-credentials API and the Connect API
behind it. It listens, then prints to stdout the export lines for
PIPEDREAM_BASE_URL, PIPEDREAM_CLIENT_ID, PIPEDREAM_CLIENT_SECRET,
PIPEDREAM_PROJECT_ID and PIPEDREAM_PROJECT_ENVIRONMENT, ready to paste into
a shell. Logs go to stderr. SIGINT or SIGTERM shuts it down gracefully.

The control plane (/_emulator/) answers only requests addressed to
loopback (or to --advertise-url), never a web page of another origin, and
its writes need Content-Type: application/json. On any --addr but a
loopback one it also requires a token (--control-token or
PDEMU_CONTROL_TOKEN; without either, pdemu generates one and prints it with
the export lines).

Every flag can also be set in the environment variable shown under it:
PDEMU_ and the flag's name in upper case, dashes as underscores. A flag on
the command line wins over its variable; a repeatable flag's variable holds
its values comma-separated; a boolean's is true or false.

Exit status: 0 after a clean shutdown (and for help); 1 when the emulator
failed (a port in use, a seed it refuses); 2 for a command line or
environment it cannot act on.

Flags:
`

// printServeUsage writes serve's help: what it does and its flags.
func printServeUsage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprint(w, serveUsageText)
	printFlags(w, fs, envPrefix)
}

// parseServeFlags reads serve's flags from args and, for those args leaves
// unset, from the environment (getenv), and checks them. It returns
// flag.ErrHelp when -h was given; every other error is a usage error.
func parseServeFlags(args []string, getenv func(string) string) (cfg serveConfig, err error) {
	fs := newServeFlagSet(&cfg)
	o, err := parseFlags(fs, "serve", args, envPrefix, getenv)
	if err != nil {
		return cfg, err
	}
	defer func() { err = withHint(err, "serve") }()
	if err := checkAddr(o.of("addr"), cfg.addr); err != nil {
		return cfg, err
	}
	if cfg.logFormat != "text" && cfg.logFormat != "json" {
		return cfg, usageErrorf("invalid %s %q: want text or json", o.of("log-format"), cfg.logFormat)
	}
	if cfg.maxBodyBytes <= 0 {
		return cfg, usageErrorf("invalid %s %d: want a positive number of bytes", o.of("max-body-bytes"), cfg.maxBodyBytes)
	}
	if err := secretFrom(o, "client-secret", &cfg.fixed.ClientSecret, cfg.clientSecretFile, ""); err != nil {
		return cfg, err
	}
	if err := secretFrom(o, "control-token", &cfg.controlToken, cfg.controlTokenFile, ""); err != nil {
		return cfg, err
	}
	// The emulator's own checks, which never repeat a secret.
	for _, c := range []struct {
		flag  string
		creds emulator.Credentials
	}{
		{"workspace-id", emulator.Credentials{WorkspaceID: cfg.fixed.WorkspaceID}},
		{"project-id", emulator.Credentials{ProjectID: cfg.fixed.ProjectID}},
		{"client-id", emulator.Credentials{ClientID: cfg.fixed.ClientID}},
		{"client-secret", emulator.Credentials{ClientSecret: cfg.fixed.ClientSecret}},
	} {
		if err := emulator.CheckCredentials(c.creds); err != nil {
			return cfg, usageErrorf("invalid %s: %v", o.of(c.flag), err)
		}
	}
	if cfg.controlToken != "" {
		if err := emulator.CheckControlToken(cfg.controlToken); err != nil {
			return cfg, usageErrorf("invalid %s: %v", o.of("control-token"), err)
		}
	}
	if cfg.advertiseURL != "" {
		if err := emulator.CheckAdvertiseURL(cfg.advertiseURL); err != nil {
			return cfg, usageErrorf("invalid %s: %v", o.of("advertise-url"), err)
		}
	}
	if cfg.importFile != "" && cfg.stateFile != "" {
		return cfg, usageErrorf("%s and %s both choose the state to start from; give one", o.of("import"), o.of("state-file"))
	}
	if cfg.journalSize < 0 {
		return cfg, usageErrorf("invalid %s %d: want 0 (off) or more", o.of("journal-size"), cfg.journalSize)
	}
	if cfg.proxyTimeout <= 0 {
		return cfg, usageErrorf("invalid %s %v: want a positive duration, such as 30s", o.of("proxy-timeout"), cfg.proxyTimeout)
	}
	return cfg, nil
}

// Control-plane modes, as the startup line reports them.
const (
	controlTokenNone      = "none"      // loopback bind, no token: the Host rule guards
	controlTokenRequired  = "required"  // a token was given
	controlTokenGenerated = "generated" // a non-loopback bind without one
)

// controlTokenFor decides the control plane's token. A given token is
// always required. Without one, a loopback bind needs none (the emulator
// answers only loopback Hosts), but any other bind gets a generated one:
// there the Host rule would refuse the very names the server is reached
// by, and a control plane open to the network would let anyone on it reset
// the emulator or mint clients.
func controlTokenFor(addr, given string) (token, mode string) {
	switch {
	case given != "":
		return given, controlTokenRequired
	case isLoopbackBind(addr):
		return "", controlTokenNone
	}
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails; it crashes the program first
	return base64.RawURLEncoding.EncodeToString(b[:]), controlTokenGenerated
}

// isLoopbackBind reports whether --addr listens on loopback only:
// localhost or a loopback IP. An empty host, 0.0.0.0, ::, a LAN address and
// any other name listen (or may listen) beyond this machine.
func isLoopbackBind(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

// checkAddr rejects what net.Listen would reject for its form, before
// anything starts, as a usage error. A well-formed address that cannot be
// bound (a port in use) is left to net.Listen.
func checkAddr(what, addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if ae, ok := errors.AsType[*net.AddrError](err); ok {
		// The address is in our message already; AddrError repeats it.
		err = errors.New(ae.Err)
	}
	if err == nil {
		if _, perr := strconv.ParseUint(port, 10, 16); perr != nil {
			err = fmt.Errorf("port %q is not a number from 0 to 65535", port)
		}
	}
	if err != nil {
		return usageErrorf("invalid %s %q: %v; want host:port, such as %s", what, addr, err, defaultAddr)
	}
	return nil
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	cfg, err := parseServeFlags(args, getenv)
	if errors.Is(err, flag.ErrHelp) {
		printServeUsage(stdout, newServeFlagSet(&serveConfig{}))
		return nil
	}
	if err != nil {
		return err
	}
	seed, err := loadSeed(cfg.seedFile, cfg.fixed)
	if err != nil {
		return err
	}
	logger := newLogger(stderr, cfg.logFormat, cfg.logLevel.Level)
	opts := []emulator.Option{
		emulator.WithClock(serveClock(cfg.freezeClock)),
		emulator.WithLogger(logger),
		emulator.WithSeed(seed),
		emulator.WithMaxBodyBytes(cfg.maxBodyBytes),
		emulator.WithProxyTimeout(cfg.proxyTimeout),
		emulator.WithJournalSize(cfg.journalSize),
		emulator.WithVersion(buildVersion()),
	}
	if cfg.faultSeed != nil {
		opts = append(opts, emulator.WithFaultSeed(*cfg.faultSeed))
	}
	if cfg.rateLimits != nil {
		opts = append(opts, emulator.WithRateLimits(*cfg.rateLimits))
	}
	if cfg.stateFile != "" {
		opts = append(opts, emulator.WithStateFile(cfg.stateFile))
	}
	if cfg.idSeed != nil {
		opts = append(opts, emulator.WithIDSeed(*cfg.idSeed))
	}
	if cfg.revokeOnRotate {
		opts = append(opts, emulator.WithRotationRevokesTokens())
	}
	if len(cfg.proxyHosts) > 0 {
		opts = append(opts, emulator.WithProxyAllowedHosts(cfg.proxyHosts...))
	}
	if len(cfg.limits) > 0 {
		opts = append(opts, emulator.WithLimits(emulator.Limits(cfg.limits)))
	}
	controlToken, controlMode := controlTokenFor(cfg.addr, cfg.controlToken)
	if controlToken != "" {
		opts = append(opts, emulator.WithControlToken(controlToken))
	}
	if cfg.advertiseURL != "" {
		opts = append(opts, emulator.WithAdvertiseURL(cfg.advertiseURL))
	}
	// The emulator validates ids and secrets, flags and seed alike; building
	// it before listening means a bad value never opens a port.
	emu, err := emulator.New(opts...)
	if err != nil {
		return fmt.Errorf("cannot start the emulator: %w", err)
	}
	defer func() {
		if cerr := emu.Close(); cerr != nil {
			logger.Error("closing the state file", slog.String("error", cerr.Error()))
		}
	}()
	if cfg.importFile != "" {
		if err := importState(emu, cfg.importFile); err != nil {
			return err
		}
	}

	// Listen before printing, so the URL carries the port actually bound
	// (--addr :0) and a client that reads it can connect at once.
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return fmt.Errorf("%w (is another pdemu running? --addr 127.0.0.1:0 picks a free port)", err)
		}
		return err
	}
	creds := emu.Credentials()
	if cfg.importFile != "" || cfg.stateFile != "" {
		creds = importedCredentials(emu, creds)
	}
	clockMode := "real time"
	if cfg.freezeClock {
		clockMode = "frozen"
	}
	// Logged before the export lines, so whoever waits for those can read
	// the whole startup from stderr. Never the secret.
	attrs := []slog.Attr{
		slog.String("addr", ln.Addr().String()),
		slog.String("workspace_id", creds.WorkspaceID),
		slog.String("project_id", creds.ProjectID),
		slog.String("client_id", creds.ClientID),
		slog.String("clock", clockMode),
		slog.Bool("revoke_on_rotate", cfg.revokeOnRotate),
		slog.Duration("proxy_timeout", cfg.proxyTimeout),
		// The mode, never the token.
		slog.String("control_token", controlMode),
	}
	if cfg.advertiseURL != "" {
		attrs = append(attrs, slog.String("advertise_url", cfg.advertiseURL))
	}
	if cfg.seedFile != "" {
		attrs = append(attrs, slog.String("seed", cfg.seedFile))
	}
	if len(cfg.proxyHosts) > 0 {
		attrs = append(attrs, slog.String("proxy_allowed_hosts", cfg.proxyHosts.String()))
	}
	if len(cfg.limits) > 0 {
		attrs = append(attrs, slog.String("limits", cfg.limits.String()))
	}
	if cfg.idSeed != nil {
		attrs = append(attrs, slog.Uint64("id_seed", *cfg.idSeed))
	}
	logger.LogAttrs(ctx, slog.LevelInfo, "pdemu started", attrs...)
	if cfg.idSeed != nil && !isLoopbackBind(cfg.addr) {
		logger.LogAttrs(ctx, slog.LevelWarn, "--id-seed makes every secret and the signing key predictable: pdemu listens beyond loopback",
			slog.String("addr", ln.Addr().String()),
			slog.String("hint", "anyone who knows the seed can compute the client secrets and sign tokens; "+
				"use --id-seed for tests and golden files on 127.0.0.1 only"))
	}
	if controlMode == controlTokenGenerated {
		logger.LogAttrs(ctx, slog.LevelWarn, "the control plane needs a token: pdemu listens beyond loopback",
			slog.String("addr", ln.Addr().String()),
			slog.String("hint", "requests to /_emulator/ must send Authorization: Bearer $"+envControlToken+
				"; the generated token is in the export lines on stdout. Set "+envControlToken+
				" (or --control-token) to choose your own, or listen on 127.0.0.1 to need none"))
	}
	base := baseURL(ln.Addr())
	if cfg.advertiseURL != "" {
		// SDKs append /v1/...: a trailing slash would double it.
		base = strings.TrimSuffix(cfg.advertiseURL, "/")
	}
	if err := writeEnv(stdout, exports{bound: ln.Addr(), baseURL: base, creds: creds, controlToken: controlToken}); err != nil {
		ln.Close()
		return fmt.Errorf("writing the export lines: %w", err)
	}
	if err := serveUntilDone(ctx, ln, emu, logger); err != nil {
		return err
	}
	if cfg.exportFile != "" {
		if err := exportState(emu, cfg.exportFile); err != nil {
			return err
		}
		logger.Info("state exported", slog.String("file", cfg.exportFile))
	}
	return nil
}

// importedCredentials keeps the seed's credentials for the export lines
// only where the imported state still has them: its clients are the
// document's, and their secrets are known only to whoever made them.
func importedCredentials(emu *emulator.Emulator, creds emulator.Credentials) emulator.Credentials {
	_, err := emu.IssueToken(emulator.TokenRequest{GrantType: "client_credentials", ClientID: creds.ClientID, ClientSecret: creds.ClientSecret})
	if err != nil {
		creds.ClientID, creds.ClientSecret = "", ""
	}
	return creds
}

// serveClock is the clock pdemu serve runs on: real time from its start,
// or, with --freeze-clock, an instant that stands still until moved.
func serveClock(frozen bool) clock.Controllable {
	if frozen {
		return clock.NewFrozenOffset()
	}
	return clock.NewOffset()
}

func newLogger(w io.Writer, format string, level slog.Level) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	// slog.TextHandler's format, with a fast path for the request lines.
	return slog.New(logline.NewTextHandler(w, opts))
}

// serveUntilDone serves on ln until ctx is done, then shuts down gracefully:
// requests in flight finish, and a clean shutdown is not an error.
func serveUntilDone(ctx context.Context, ln net.Listener, h http.Handler, logger *slog.Logger) error {
	srv := &http.Server{
		Handler: h,
		// Bodies are at most --max-body-bytes and every response is built in
		// memory, so a client slower than these is stuck, not busy; the
		// header timeout is what stops a slowloris. A proxied call's wait for
		// its upstream does not count against WriteTimeout: the emulator
		// moves the deadline by --proxy-timeout.
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		// SDKs keep connections alive between token refreshes and calls.
		IdleTimeout: 2 * time.Minute,
		// net/http's own complaints (TLS attempts, panics) go to the same
		// structured log rather than to the standard logger's format.
		ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}

	logger.Info("shutting down", slog.String("reason", context.Cause(ctx).Error()))
	// ctx is already done; the shutdown gets its own deadline.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
		return fmt.Errorf("requests still running after %v, closed them: %w", shutdownTimeout, err)
	}
	<-served // http.ErrServerClosed, once Shutdown has begun
	logger.Info("stopped")
	return nil
}
