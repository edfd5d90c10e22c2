// Package emulator is an in-memory emulator of Pipedream's OAuth client
// credentials API and of the scope-protected Connect API behind it.
//
// An *Emulator is an http.Handler: mount it in an httptest.Server for Go
// tests (see package testutil), or run it with `pdemu serve`. Time comes only
// from its clock, which tests move through the Go API or the control plane
// under /_emulator/, so a token's one-hour expiry can be tested in a
// microsecond. What is emulated, and how, is in docs/behaviour.md.
package emulator

import (
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/pdemu/pdemu/emulator/apperr"
	"github.com/pdemu/pdemu/emulator/clock"
	"github.com/pdemu/pdemu/emulator/internal/connect"
	"github.com/pdemu/pdemu/emulator/internal/faults"
	"github.com/pdemu/pdemu/emulator/internal/ids"
	"github.com/pdemu/pdemu/emulator/internal/journal"
	"github.com/pdemu/pdemu/emulator/internal/oauth"
	"github.com/pdemu/pdemu/emulator/internal/proxy"
	"github.com/pdemu/pdemu/emulator/internal/ratelimit"
	"github.com/pdemu/pdemu/emulator/internal/redact"
	"github.com/pdemu/pdemu/emulator/internal/token"
)

// DefaultIssuer is the iss claim of the tokens the emulator signs: the same
// as real tokens, so code that checks it works unchanged.
const DefaultIssuer = "https://api.pipedream.com"

// DefaultMaxBodyBytes bounds every request body the emulator reads.
const DefaultMaxBodyBytes = 64 << 10

// DefaultProxyTimeout bounds one exchange of the Connect proxy with an
// upstream API unless WithProxyTimeout says otherwise.
const DefaultProxyTimeout = proxy.DefaultTimeout

// Emulator is the emulated Pipedream API. It is safe for concurrent use.
type Emulator struct {
	clock        clock.Controllable
	logger       *slog.Logger
	maxBodyBytes int64
	issuer       string

	seed Seed // materialised: every id and secret filled in
	// ids is the source of every id, secret, token and key the emulator
	// makes (see WithIDSeed); Reset rewinds a seeded one.
	ids     *ids.Generator
	keys    *token.Keys
	auth    *oauth.Server
	connect *connect.Store
	handler http.Handler
	// control says who may drive the control plane (authorize_control.go).
	control controlPolicy
	// proxyTimeout bounds one exchange of the Connect proxy.
	proxyTimeout time.Duration
	// version is what GET /_emulator/health reports (WithVersion).
	version string

	// journal records every request (exchange.go); redact hides the
	// secrets in what it shows.
	journal *journal.Journal
	redact  *redact.Redactor
	// faults is the fault plan; faultSeed what Reset restarts it with.
	faults    *faults.Plan
	faultSeed uint64
	// limiter applies the rate limits; rateLimits is the configuration
	// Reset returns to.
	limiter    *ratelimit.Limiter
	rateLimits ratelimit.Config
	// eps is the route table, as routes built the handler from it.
	eps []Endpoint
	// snaps are the named snapshots of the state.
	snaps snapshots
	// persist is the state file, nil without one; pin lets a change pin
	// the clock, ids draws every generated id and secret.
	persist *persister
	pin     *pinClock

	// resetMu lets Reset swap state wholesale while requests hold it for
	// reading, so no request sees a half-reset emulator.
	resetMu sync.RWMutex
}

var _ http.Handler = (*Emulator)(nil)

type config struct {
	clock          clock.Controllable
	logger         *slog.Logger
	seed           *Seed
	revokeOnRotate bool
	maxBodyBytes   int64
	issuer         string
	ttl            time.Duration
	proxyHosts     []string // nil: loopback only
	limits         Limits
	controlToken   *string // nil: no token, the Host rule applies
	advertiseURL   string
	proxyTimeout   time.Duration
	journalSize    *int    // nil: journal.DefaultSize
	faultSeed      *uint64 // nil: drawn from the id generator
	rateLimits     ratelimit.Config
	stateFile      string
	idSeed         *uint64 // nil: crypto/rand
	randomIDs      bool    // WithRandomIDs: crypto/rand whatever idSeed says
	version        string
}

// Option configures an Emulator.
type Option func(*config)

// WithClock sets the clock. The default is a clock.Fake at
// clock.DefaultStart that stands still until moved.
func WithClock(c clock.Controllable) Option { return func(o *config) { o.clock = c } }

// WithLogger logs one structured line per request (method, route, status,
// duration): never a header, body, secret or token. The default logs nothing.
func WithLogger(l *slog.Logger) Option { return func(o *config) { o.logger = l } }

// WithSeed sets the state the emulator starts from and returns to on Reset.
// The default is DefaultSeed.
func WithSeed(s Seed) Option { return func(o *config) { o.seed = &s } }

// WithRotationRevokesTokens makes rotating a client's secret revoke every
// token issued to it at once. By default those tokens stay valid until they
// expire; Pipedream does not document which policy it follows.
func WithRotationRevokesTokens() Option { return func(o *config) { o.revokeOnRotate = true } }

// WithMaxBodyBytes bounds request bodies (default DefaultMaxBodyBytes);
// larger ones get 413.
func WithMaxBodyBytes(n int64) Option { return func(o *config) { o.maxBodyBytes = n } }

// WithIssuer sets the iss claim of issued tokens (default DefaultIssuer).
func WithIssuer(iss string) Option { return func(o *config) { o.issuer = iss } }

// WithProxyAllowedHosts sets the upstream hosts the Connect proxy may reach,
// and that Reset restores (default: loopback only, so pdemu is never an open
// relay). A rule is a host name, "*.example.com", "*", an IP address or a
// CIDR range; see connect.ProxyPolicy. The control plane can change the list
// at run time (PUT /_emulator/proxy/allowed-hosts).
func WithProxyAllowedHosts(hosts ...string) Option {
	return func(o *config) { o.proxyHosts = append([]string{}, hosts...) }
}

// Limits caps how many records of each family the emulator keeps, keyed by
// the names LimitTable lists ("external-users", "oauth-clients", ...); a
// name left out keeps its default. Past a cap, creating one more record
// answers 403 limit_exceeded naming the limit, and nothing stored changes.
type Limits map[string]int

// LimitInfo describes one limit: its name, default and what it counts.
type LimitInfo = connect.LimitInfo

// LimitTable lists every limit with its default, in the order the
// documentation gives them.
func LimitTable() []LimitInfo {
	return append([]LimitInfo{{Name: oauth.LimitClients, Default: oauth.DefaultMaxClients, Counts: "OAuth clients"}},
		connect.LimitTable()...)
}

// WithLimits overrides some of the limits (see Limits). New fails for an
// unknown name or a value below 1.
func WithLimits(l Limits) Option {
	return func(o *config) {
		if o.limits == nil {
			o.limits = Limits{}
		}
		for k, v := range l {
			o.limits[k] = v
		}
	}
}

// WithProxyTimeout bounds one exchange of the Connect proxy with an
// upstream API, redirects and body included (default
// DefaultProxyTimeout, 30 s); a slower upstream gets the caller a 504 upstream_timeout. It is
// real time, not the emulator's clock: it protects the process, and the
// answer is written however short the server's WriteTimeout is.
func WithProxyTimeout(d time.Duration) Option { return func(o *config) { o.proxyTimeout = d } }

// WithTokenTTL sets the access-token lifetime (default one hour, as on
// Pipedream). expires_in, exp and the bearer check all follow it.
func WithTokenTTL(d time.Duration) Option { return func(o *config) { o.ttl = d } }

// WithControlToken makes every control-plane request (/_emulator/...) carry
// Authorization: Bearer token; one without it, or with another, is a 401.
// The token takes the place of the Host rule (by default only requests
// whose Host is a loopback name or address are answered), so a server
// bound to a LAN address can be driven by whatever name reaches it; the
// Origin and Content-Type rules still apply. The token must be printable
// ASCII without spaces (CheckControlToken); New refuses an empty one. It is
// never logged or sent back. The Go API is not affected.
func WithControlToken(token string) Option { return func(o *config) { o.controlToken = &token } }

// WithAdvertiseURL names the URL clients reach the emulator at, such as
// the address of a reverse proxy in front of it: its host[:port] passes
// the control plane's Host rule and its origin the Origin rule. It must be
// an absolute http or https URL with a host and no path beyond "/"
// (CheckAdvertiseURL); New fails otherwise.
func WithAdvertiseURL(u string) Option { return func(o *config) { o.advertiseURL = u } }

// DefaultJournalSize is how many requests the journal keeps unless
// WithJournalSize says otherwise.
const DefaultJournalSize = journal.DefaultSize

// WithJournalSize sets how many requests the request journal keeps
// (default DefaultJournalSize); the oldest go first. 0 turns the journal
// off: nothing is recorded and Requests returns nothing. Bodies are kept up
// to DefaultJournalBodyBytes each, and bodies and headers to 64 MiB in
// all.
func WithJournalSize(n int) Option { return func(o *config) { o.journalSize = &n } }

// WithFaultSeed seeds the fault plans' dice: with the same seed, the same
// plans and the same requests, the same faults fire on every run (a fault
// may also carry its own seed). The default is drawn from the id
// generator: random, or fixed by WithIDSeed.
func WithFaultSeed(seed uint64) Option { return func(o *config) { o.faultSeed = &seed } }

// WithIDSeed makes every id, secret, token id, Connect token, webhook
// signing key, rate-limit token, the token signing key (and its kid) and
// the journal's redaction key come from a deterministic stream seeded by
// seed, instead of crypto/rand. Two emulators with the same seed, asked the
// same requests in the same order on clocks that stand still at the same
// instant (as New's default clock does), answer byte for byte the same,
// but for the real time the journal reports as duration_ms; with another
// seed, the ids differ. The fault plans' seed is drawn from the same stream
// unless WithFaultSeed gives it.
//
// Reset rewinds the stream to where New left it once it had drawn the
// fault seed, the redaction key and the seed's missing ids: the signing key
// after Reset is the one New made, and the same requests draw the same ids,
// secrets and Connect tokens as after New. Access tokens issued before
// Reset still stop working (their client's generation, the cgen claim, is
// a new one), which is also why a token minted after Reset differs from
// the one a fresh emulator mints in that claim and its signature.
//
// Seeded keys and secrets are not secret: whoever knows the seed can
// compute them, and sign tokens. This is for tests and golden files, never
// for a server others can reach.
func WithIDSeed(seed uint64) Option { return func(o *config) { o.idSeed = &seed } }

// WithRandomIDs makes ids, secrets and keys come from crypto/rand, as they
// do by default, even when a WithIDSeed is among the options (before or
// after it): for a test that wants random ids from a helper, such as
// testutil.NewServer, that seeds them by default.
func WithRandomIDs() Option { return func(o *config) { o.randomIDs = true } }

// WithRateLimits sets the rate limits the emulator starts with and that
// Reset restores (default: none, but a custom limit a client creates at
// POST /v1/connect/rate_limits always applies). RateLimitConfig{Profile:
// "pipedream"} applies Pipedream's published per-endpoint limits; Rules
// sets one's own. New fails for an invalid configuration.
func WithRateLimits(cfg RateLimitConfig) Option { return func(o *config) { o.rateLimits = cfg } }

// WithStateFile keeps the state in path: New loads it if it exists (its
// snapshot, then its changes replayed) or starts it from the seed, and
// every change is appended and synced to it before the response that
// acknowledges it, so a crash at any moment loses nothing acknowledged.
// A torn last record (a crash mid-append) is discarded and logged; a file
// that cannot be read stops New with an error naming its path and offset,
// and is never overwritten. One process at a time: a second New on the
// same path fails. Call Close at the end, which compacts the file. The
// file holds the signing key and the clients' secret hashes, and the
// requests that made each change with their credentials: it is private
// to its owner (mode 0600).
func WithStateFile(path string) Option { return func(o *config) { o.stateFile = path } }

// New returns an emulator in its seeded state. It fails for a seed that
// cannot be applied (duplicate ids, bad names, unknown projects), and for
// a malformed control token or advertise URL.
func New(opts ...Option) (*Emulator, error) {
	cfg := config{maxBodyBytes: DefaultMaxBodyBytes, issuer: DefaultIssuer}
	for _, opt := range opts {
		opt(&cfg)
	}
	if cfg.clock == nil {
		cfg.clock = clock.NewFake(time.Time{})
	}
	var pin *pinClock
	if cfg.stateFile != "" {
		// Every part reads time through the pin, so a change can be
		// replayed at the instant it was made.
		pin = &pinClock{Controllable: cfg.clock}
		cfg.clock = pin
	}
	if cfg.seed == nil {
		s := DefaultSeed()
		cfg.seed = &s
	}
	if cfg.maxBodyBytes <= 0 {
		cfg.maxBodyBytes = DefaultMaxBodyBytes
	}
	control, err := newControlPolicy(cfg.controlToken, cfg.advertiseURL)
	if err != nil {
		return nil, err
	}
	journalSize := journal.DefaultSize
	if cfg.journalSize != nil {
		journalSize = *cfg.journalSize
	}
	if journalSize < 0 || journalSize > journal.MaxSize {
		return nil, fmt.Errorf("journal size must be 0..%d, not %d", journal.MaxSize, journalSize)
	}
	if cfg.proxyTimeout <= 0 {
		cfg.proxyTimeout = proxy.DefaultTimeout
	}
	gen := ids.NewRandom()
	if cfg.idSeed != nil && !cfg.randomIDs {
		gen = ids.NewSeeded(*cfg.idSeed)
	}
	// What New draws once, in this order: the fault seed (drawn even when
	// WithFaultSeed gives one, so that giving it changes no id), the
	// redaction key and the seed's missing ids. Reset rewinds to the mark
	// after them and draws the signing key and the seeded users' ids again.
	faultSeed := gen.Uint64()
	if cfg.faultSeed != nil {
		faultSeed = *cfg.faultSeed
	}
	redactor := redact.NewFromReader(gen)
	seed := cfg.seed.materialize(gen)
	gen.Mark()
	keys, err := token.NewKeys(cfg.issuer, 0, token.WithRand(gen))
	if err != nil {
		return nil, err
	}
	storeLimits := connect.Limits{}
	for name, n := range cfg.limits {
		storeLimits[name] = n
	}
	maxClients, ok := storeLimits[oauth.LimitClients]
	delete(storeLimits, oauth.LimitClients)
	if ok && maxClients < 1 {
		return nil, fmt.Errorf("limit %q must be at least 1, not %d", oauth.LimitClients, maxClients)
	}
	e := &Emulator{
		clock:        cfg.clock,
		logger:       cfg.logger,
		maxBodyBytes: cfg.maxBodyBytes,
		issuer:       cfg.issuer,
		seed:         seed,
		ids:          gen,
		keys:         keys,
		auth: oauth.NewServer(oauth.Config{
			Clock: cfg.clock, Keys: keys, TTL: cfg.ttl, RevokeOnRotate: cfg.revokeOnRotate, MaxClients: maxClients,
			IDs: gen,
		}),
		connect:      connect.NewStore(cfg.clock, connect.WithIDs(gen)),
		control:      control,
		proxyTimeout: cfg.proxyTimeout,
		version:      cfg.version,
		journal:      journal.New(journalSize, 0),
		redact:       redactor,
		faultSeed:    faultSeed,
	}
	e.faults = faults.NewPlan(e.faultSeed)
	e.limiter = ratelimit.New(ratelimit.WithIDs(gen))
	if cfg.rateLimits.Profile != "" || cfg.rateLimits.Rules != nil {
		if err := e.limiter.Set(cfg.rateLimits); err != nil {
			return nil, fmt.Errorf("rate limits: %w", err)
		}
	}
	e.rateLimits = cfg.rateLimits
	if e.rateLimits.Profile == "" && e.rateLimits.Rules == nil {
		e.rateLimits.Profile = ratelimit.ProfileOff
	}
	if err := e.connect.SetLimits(storeLimits); err != nil {
		return nil, err
	}
	if cfg.proxyHosts != nil {
		if _, err := e.connect.SetProxyBaseHosts(cfg.proxyHosts); err != nil {
			return nil, fmt.Errorf("proxy allowed hosts: %w", err)
		}
	}
	if err := e.seed.apply(e.connect, e.auth); err != nil {
		return nil, err
	}
	e.handler = e.routes()
	if cfg.stateFile != "" {
		e.pin = pin
		if err := e.openStateFile(cfg.stateFile); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// MustNew is New for callers that pass a known-good seed; it panics on error.
func MustNew(opts ...Option) *Emulator {
	e, err := New(opts...)
	if err != nil {
		panic(err)
	}
	return e
}

// reseed is Reset for a caller that holds resetMu for writing. A seeded
// id generator goes back to the mark New set, so what follows draws what
// New drew after it: the signing key, then the seeded users' ids.
func (e *Emulator) reseed() error {
	e.ids.Rewind()
	if err := e.keys.Rotate(); err != nil {
		return err
	}
	e.auth.DeleteAll()
	e.connect.Reset()
	e.faults.Reset(e.faultSeed)
	if err := e.limiter.Set(e.rateLimits); err != nil {
		return err
	}
	e.limiter.Reset()
	if err := e.seed.apply(e.connect, e.auth); err != nil {
		return err
	}
	return e.afterReplace()
}

// defaultWorkspace is the workspace a client is created in when none is
// named: the seed's first, or, after an import that has no such workspace,
// the first the state holds.
func (e *Emulator) defaultWorkspace() string {
	ws := e.Credentials().WorkspaceID
	if _, err := e.connect.Workspace(ws); err == nil {
		return ws
	}
	if first, ok := e.connect.FirstWorkspace(); ok {
		return first
	}
	return ws
}

// newClient is CreateClient for a caller that holds resetMu.
func (e *Emulator) newClient(spec ClientSpec) (Client, ClientCredentials, error) {
	if spec.WorkspaceID == "" {
		spec.WorkspaceID = e.defaultWorkspace()
	}
	if _, err := e.connect.Workspace(spec.WorkspaceID); err != nil {
		return Client{}, ClientCredentials{}, err
	}
	for _, pid := range spec.ProjectIDs {
		if !e.connect.ProjectExists(spec.WorkspaceID, pid) {
			return Client{}, ClientCredentials{}, apperr.ErrNotFound.WithMessage("no project %q in workspace %q", pid, spec.WorkspaceID)
		}
	}
	return e.auth.Create(spec)
}

// addExternalUser is AddExternalUser for a caller that holds resetMu.
func (e *Emulator) addExternalUser(projectID, environment, externalID string) (connect.ExternalUser, error) {
	sc, err := e.controlScope(projectID, environment)
	if err != nil {
		return connect.ExternalUser{}, err
	}
	return e.connect.EnsureUser(sc.Access, projectID, sc.Environment, externalID)
}

// projectAccess is the full access of a project's own workspace: what the
// control plane and the Go API act with, whatever workspace the project
// is in. Errors: not_found.
func (e *Emulator) projectAccess(projectID string) (connect.Access, error) {
	ws, ok := e.connect.ProjectWorkspace(projectID)
	if !ok {
		return connect.Access{}, apperr.ErrNotFound.WithMessage("no project %q", projectID)
	}
	return connect.Access{WorkspaceID: ws}, nil
}

// DefaultEnvironment is the environment the control plane, the Go API and
// a seed put a fixture in when they name none: the one pdemu serve's
// banner and testutil announce (PIPEDREAM_PROJECT_ENVIRONMENT), so that a
// user seeded with the banner's curl line is the user the SDK then lists.
// (A Connect API request without x-pd-environment is another matter: it
// means production, as Pipedream's API does.)
const DefaultEnvironment = string(connect.Development)

// fixtureEnvironment reads the environment a fixture names, "" meaning
// DefaultEnvironment.
func fixtureEnvironment(v string) (connect.Environment, error) {
	if v == "" {
		return connect.Development, nil
	}
	return connect.ParseEnvironment(v)
}

// controlScope is projectAccess in the environment a control-plane field
// or query, or a Go API argument, names ("" is DefaultEnvironment).
// Errors: invalid_request (environment), not_found (project).
func (e *Emulator) controlScope(projectID, environment string) (connect.AccountScope, error) {
	env, err := fixtureEnvironment(environment)
	if err != nil {
		return connect.AccountScope{}, apperr.ErrInvalid.WithMessage("environment must be %q or %q", connect.Development, connect.Production)
	}
	a, err := e.projectAccess(projectID)
	if err != nil {
		return connect.AccountScope{}, err
	}
	return connect.AccountScope{Access: a, ProjectID: projectID, Environment: env}, nil
}
