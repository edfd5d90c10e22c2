package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pdemu/pdemu/emulator"
)

// Limits and defaults of the load harness.
const (
	DefaultConnections    = 64
	DefaultDuration       = 5 * time.Second
	MaxDuration           = 60 * time.Second
	MaxConnections        = 4096
	DefaultRounds         = 2
	DefaultDistinctTokens = 1000
)

// Goals are the project's targets, as ratios of a scenario's req/s to its
// bare baseline's, measured in the same run.
const (
	GoalTokenRatio  = 0.5
	GoalBearerRatio = 0.7
)

// Scenario names.
const (
	ScenarioBarePost         = "bare-post"
	ScenarioToken            = "token"
	ScenarioBareGet          = "bare-get"
	ScenarioBearerGet        = "bearer-get"
	ScenarioBearerGetRotated = "bearer-get-rotating"
)

// LoadConfig configures a load run. Zero fields take their defaults.
type LoadConfig struct {
	// Connections is the number of concurrent keep-alive connections (and
	// client goroutines) per scenario run.
	Connections int
	// Duration is how long each scenario runs in each round, after warm-up;
	// at most MaxDuration.
	Duration time.Duration
	// Warmup runs before each measured window and is not counted; the
	// default is Duration/10, at most one second.
	Warmup time.Duration
	// Rounds is how many times every scenario runs. Baselines and targets
	// alternate, in ABBA order across rounds, and each round yields a ratio.
	Rounds int
	// DistinctTokens is how many tokens the rotating bearer scenario cycles
	// through.
	DistinctTokens int
	// Groups limits the run to some comparisons: GroupToken (bare-post and
	// token) and GroupBearer (bare-get and the bearer GETs). Empty runs both.
	Groups []string
	// JournalSize, when set, is the emulator's request-journal size (0
	// turns it off); nil keeps the default, as pdemu serves by default.
	JournalSize *int
}

// Comparison groups: a baseline and the scenarios measured against it.
const (
	GroupToken  = "token"
	GroupBearer = "bearer"
)

func (c *LoadConfig) normalize() error {
	if c.Connections == 0 {
		c.Connections = DefaultConnections
	}
	if c.Duration == 0 {
		c.Duration = DefaultDuration
	}
	if c.Rounds == 0 {
		c.Rounds = DefaultRounds
	}
	if c.DistinctTokens == 0 {
		c.DistinctTokens = DefaultDistinctTokens
	}
	if c.Warmup == 0 {
		c.Warmup = min(c.Duration/10, time.Second)
	}
	switch {
	case c.Connections < 1 || c.Connections > MaxConnections:
		return fmt.Errorf("bench: connections must be 1..%d, got %d", MaxConnections, c.Connections)
	case c.Duration < 0 || c.Duration > MaxDuration:
		return fmt.Errorf("bench: duration must be positive and at most %s, got %s", MaxDuration, c.Duration)
	case c.Warmup < 0 || c.Warmup > MaxDuration:
		return fmt.Errorf("bench: warm-up must be 0..%s, got %s", MaxDuration, c.Warmup)
	case c.Rounds < 1 || c.Rounds > 100:
		return fmt.Errorf("bench: rounds must be 1..100, got %d", c.Rounds)
	case c.DistinctTokens < 1 || c.DistinctTokens > 1_000_000:
		return fmt.Errorf("bench: distinct tokens must be 1..1000000, got %d", c.DistinctTokens)
	}
	for _, g := range c.Groups {
		if g != GroupToken && g != GroupBearer {
			return fmt.Errorf("bench: unknown group %q (want %q or %q)", g, GroupToken, GroupBearer)
		}
	}
	return nil
}

// Env describes the machine and runtime a report was measured on.
type Env struct {
	GoVersion  string `json:"go_version"`
	GOOS       string `json:"goos"`
	GOARCH     string `json:"goarch"`
	NumCPU     int    `json:"num_cpu"`
	GOMAXPROCS int    `json:"gomaxprocs"`
}

// CurrentEnv returns the Env of this process.
func CurrentEnv() Env {
	return Env{GoVersion: runtime.Version(), GOOS: runtime.GOOS, GOARCH: runtime.GOARCH,
		NumCPU: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0)}
}

// LoadReport is the result of RunLoad.
type LoadReport struct {
	Env            Env              `json:"env"`
	Connections    int              `json:"connections"`
	DurationNS     time.Duration    `json:"duration_ns"`
	WarmupNS       time.Duration    `json:"warmup_ns"`
	Rounds         int              `json:"rounds"`
	DistinctTokens int              `json:"distinct_tokens"`
	Scenarios      []ScenarioResult `json:"scenarios"`
	Ratios         []Ratio          `json:"ratios"`
}

// ScenarioResult is one scenario over every round.
type ScenarioResult struct {
	Name        string `json:"name"`
	Server      string `json:"server"` // "bare" or "emulator"
	Description string `json:"description"`
	// Requests is the number of correct responses inside the measured
	// windows, over all rounds.
	Requests int64 `json:"requests"`
	// Errors counts transport errors, wrong statuses and wrong bodies,
	// warm-up included. Any error makes the scenario's figures void.
	Errors     int64  `json:"errors"`
	FirstError string `json:"first_error,omitempty"`
	// ReqPerSec is the median over rounds of each round's req/s.
	ReqPerSec      float64   `json:"req_per_sec"`
	RoundReqPerSec []float64 `json:"round_req_per_sec"`
	// Latency percentiles of the correct responses of every round.
	P50NS time.Duration `json:"p50_ns"`
	P99NS time.Duration `json:"p99_ns"`
}

// Ratio is a scenario's req/s over its baseline's.
type Ratio struct {
	Target   string `json:"target"`
	Baseline string `json:"baseline"`
	// Value is the median of the per-round ratios; each round's ratio uses
	// the runs of that round, which ran next to each other.
	Value  float64   `json:"value"`
	Rounds []float64 `json:"rounds"`
	Goal   float64   `json:"goal"`
	// Met is Value >= Goal with no errors in either scenario.
	Met bool `json:"met"`
	// Valid is false when either scenario had errors: the ratio means
	// nothing then.
	Valid bool `json:"valid"`
}

// scenario is one kind of request sent to one server.
type scenario struct {
	name, server, desc string
	method, url        string
	body               []byte
	// tokens, when set, are sent as bearer tokens, cycled through.
	tokens []string
	// wantStatus and wantBody (a substring) check every response.
	wantStatus int
	wantBody   []byte
}

// group is a baseline with the targets measured against it.
type group struct {
	baseline *scenario
	targets  []*scenario
	goal     float64
}

// RunLoad starts the bare handler and an emulator on loopback listeners in
// this process and drives every scenario over HTTP, as LoadConfig says.
func RunLoad(ctx context.Context, cfg LoadConfig) (*LoadReport, error) {
	if err := cfg.normalize(); err != nil {
		return nil, err
	}
	var opts []emulator.Option
	if cfg.JournalSize != nil {
		opts = append(opts, emulator.WithJournalSize(*cfg.JournalSize))
	}
	emu, err := emulator.New(opts...)
	if err != nil {
		return nil, fmt.Errorf("bench: new emulator: %w", err)
	}
	creds := emu.Credentials()
	tokens := make([]string, cfg.DistinctTokens)
	for i := range tokens {
		tok, err := emu.IssueToken(emulator.TokenRequest{GrantType: "client_credentials",
			ClientID: creds.ClientID, ClientSecret: creds.ClientSecret})
		if err != nil {
			return nil, fmt.Errorf("bench: pre-issue token: %w", err)
		}
		tokens[i] = tok.AccessToken
	}

	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	bareURL, stopBare, err := serveLoopback(BareHandler{})
	if err != nil {
		return nil, err
	}
	defer stopBare()
	emuURL, stopEmu, err := serveLoopback(emu)
	if err != nil {
		return nil, err
	}
	defer stopEmu()

	tokenBody := TokenRequestBody(creds.ClientID, creds.ClientSecret)
	tokenMarker, listMarker := []byte(`"access_token":"`), []byte(`"data":[`)
	barePost := &scenario{name: ScenarioBarePost, server: "bare", desc: "POST JSON token request, fixed answer",
		method: http.MethodPost, url: bareURL + "/v1/oauth/token", body: tokenBody,
		wantStatus: http.StatusOK, wantBody: tokenMarker}
	tokenSc := &scenario{name: ScenarioToken, server: "emulator", desc: "POST /v1/oauth/token (JSON), signs a JWT",
		method: http.MethodPost, url: emuURL + "/v1/oauth/token", body: tokenBody,
		wantStatus: http.StatusOK, wantBody: tokenMarker}
	bareGet := &scenario{name: ScenarioBareGet, server: "bare", desc: "GET with Authorization header, fixed answer",
		method: http.MethodGet, url: bareURL + "/v1/connect/projects", tokens: tokens[:1],
		wantStatus: http.StatusOK, wantBody: listMarker}
	bearer := &scenario{name: ScenarioBearerGet, server: "emulator", desc: "GET /v1/connect/projects, one token",
		method: http.MethodGet, url: emuURL + "/v1/connect/projects", tokens: tokens[:1],
		wantStatus: http.StatusOK, wantBody: listMarker}
	rotating := &scenario{name: ScenarioBearerGetRotated, server: "emulator",
		desc:   fmt.Sprintf("GET /v1/connect/projects, %d tokens in turn", len(tokens)),
		method: http.MethodGet, url: emuURL + "/v1/connect/projects", tokens: tokens,
		wantStatus: http.StatusOK, wantBody: listMarker}
	var groups []group
	if len(cfg.Groups) == 0 || slices.Contains(cfg.Groups, GroupToken) {
		groups = append(groups, group{baseline: barePost, targets: []*scenario{tokenSc}, goal: GoalTokenRatio})
	}
	if len(cfg.Groups) == 0 || slices.Contains(cfg.Groups, GroupBearer) {
		groups = append(groups, group{baseline: bareGet, targets: []*scenario{bearer, rotating}, goal: GoalBearerRatio})
	}

	// One Transport per scenario, kept across rounds, so each scenario
	// reuses its own warm keep-alive connections.
	clients := map[*scenario]*http.Client{}
	for _, g := range groups {
		for _, sc := range append([]*scenario{g.baseline}, g.targets...) {
			tr := newTransport(cfg.Connections)
			defer tr.CloseIdleConnections()
			clients[sc] = &http.Client{Transport: tr, Timeout: 30 * time.Second}
		}
	}

	runs := map[*scenario][]runResult{}
	for round := 0; round < cfg.Rounds; round++ {
		for _, g := range groups {
			order := append([]*scenario{g.baseline}, g.targets...)
			if round%2 == 1 { // ABBA: cancel drift within a round pair
				slices.Reverse(order)
			}
			for _, sc := range order {
				if err := ctx.Err(); err != nil {
					return nil, err
				}
				runs[sc] = append(runs[sc], drive(ctx, clients[sc], sc, cfg.Connections, cfg.Warmup, cfg.Duration))
			}
		}
	}

	rep := &LoadReport{Env: CurrentEnv(), Connections: cfg.Connections, DurationNS: cfg.Duration,
		WarmupNS: cfg.Warmup, Rounds: cfg.Rounds, DistinctTokens: cfg.DistinctTokens}
	results := map[*scenario]ScenarioResult{}
	for _, g := range groups {
		for _, sc := range append([]*scenario{g.baseline}, g.targets...) {
			res := summarize(sc, runs[sc])
			results[sc] = res
			rep.Scenarios = append(rep.Scenarios, res)
		}
	}
	for _, g := range groups {
		base := results[g.baseline]
		for _, t := range g.targets {
			tr := results[t]
			r := Ratio{Target: t.name, Baseline: g.baseline.name, Goal: g.goal,
				Valid: base.Errors == 0 && tr.Errors == 0}
			for i := range base.RoundReqPerSec {
				if base.RoundReqPerSec[i] > 0 {
					r.Rounds = append(r.Rounds, tr.RoundReqPerSec[i]/base.RoundReqPerSec[i])
				}
			}
			r.Value = median(r.Rounds)
			r.Met = r.Valid && r.Value >= r.Goal
			rep.Ratios = append(rep.Ratios, r)
		}
	}
	return rep, nil
}

// TokenRequestBody is the JSON body of a client credentials token request,
// as the official SDKs send it.
func TokenRequestBody(clientID, clientSecret string) []byte {
	return fmt.Appendf(nil, `{"grant_type":"client_credentials","client_id":%q,"client_secret":%q}`, clientID, clientSecret)
}

// serveLoopback serves h on a fresh 127.0.0.1 port and returns its base URL
// and a function that shuts it down.
func serveLoopback(h http.Handler) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("bench: listen: %w", err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	stop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if srv.Shutdown(ctx) != nil {
			_ = srv.Close()
		}
		<-done
	}
	return "http://" + ln.Addr().String(), stop, nil
}

// errNotLoopback guards the harness: it only ever talks to this machine.
var errNotLoopback = errors.New("bench: refusing to dial a non-loopback address")

// newTransport is a keep-alive HTTP/1.1 transport that holds a connection
// for every client goroutine and dials loopback addresses only.
func newTransport(conns int) *http.Transport {
	d := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy: nil, // never through a proxy: loopback only
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, _, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
				return nil, fmt.Errorf("%w: %s", errNotLoopback, addr)
			}
			return d.DialContext(ctx, network, addr)
		},
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		MaxConnsPerHost:     conns,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
}

// runResult is one scenario run: one round's measured window.
type runResult struct {
	requests  int64
	errors    int64
	firstErr  string
	elapsed   time.Duration
	latencies []time.Duration
}

// Phases of a run, shared by its client goroutines.
const (
	phaseWarmup int32 = iota
	phaseMeasure
	phaseStop
)

// drive runs one scenario with conns client goroutines: warm-up, then a
// measured window of length dur. A request counts when it both started and
// finished inside the window and its answer was right.
func drive(ctx context.Context, client *http.Client, sc *scenario, conns int, warmup, dur time.Duration) runResult {
	var (
		phase    atomic.Int32
		errs     atomic.Int64
		errOnce  sync.Once
		firstErr string
		wg       sync.WaitGroup
	)
	fail := func(err error) {
		errs.Add(1)
		errOnce.Do(func() { firstErr = err.Error() })
	}
	perWorker := make([][]time.Duration, conns)
	for w := 0; w < conns; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			lat := make([]time.Duration, 0, 4096)
			buf := bytes.NewBuffer(make([]byte, 0, 1024))
			// Each worker starts at its own place in the token list and
			// steps through all of it, so every token is used.
			k := w * 7919
			for {
				p := phase.Load()
				if p == phaseStop || ctx.Err() != nil {
					break
				}
				tok := ""
				if len(sc.tokens) > 0 {
					tok = sc.tokens[k%len(sc.tokens)]
					k++
				}
				start := time.Now()
				err := sc.do(ctx, client, tok, buf)
				took := time.Since(start)
				if err != nil {
					if ctx.Err() == nil {
						fail(err)
					}
					continue
				}
				if p == phaseMeasure && phase.Load() == phaseMeasure {
					lat = append(lat, took)
				}
			}
			perWorker[w] = lat
		}(w)
	}
	sleepCtx(ctx, warmup)
	phase.Store(phaseMeasure)
	start := time.Now()
	sleepCtx(ctx, dur)
	phase.Store(phaseStop)
	elapsed := time.Since(start)
	wg.Wait()

	res := runResult{errors: errs.Load(), firstErr: firstErr, elapsed: elapsed}
	for _, l := range perWorker {
		res.latencies = append(res.latencies, l...)
	}
	res.requests = int64(len(res.latencies))
	return res
}

// do sends one request and checks its answer.
func (sc *scenario) do(ctx context.Context, client *http.Client, tok string, buf *bytes.Buffer) error {
	var body io.Reader
	if sc.body != nil {
		body = bytes.NewReader(sc.body)
	}
	req, err := http.NewRequestWithContext(ctx, sc.method, sc.url, body)
	if err != nil {
		return err
	}
	if sc.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	buf.Reset()
	_, err = buf.ReadFrom(resp.Body)
	resp.Body.Close()
	if err != nil {
		return fmt.Errorf("%s: read body: %w", sc.name, err)
	}
	if resp.StatusCode != sc.wantStatus {
		return fmt.Errorf("%s: status %d, want %d: %.200s", sc.name, resp.StatusCode, sc.wantStatus, buf.Bytes())
	}
	if !bytes.Contains(buf.Bytes(), sc.wantBody) {
		return fmt.Errorf("%s: body lacks %s: %.200s", sc.name, sc.wantBody, buf.Bytes())
	}
	return nil
}

func sleepCtx(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

func summarize(sc *scenario, runs []runResult) ScenarioResult {
	res := ScenarioResult{Name: sc.name, Server: sc.server, Description: sc.desc}
	var lat []time.Duration
	for _, r := range runs {
		res.Requests += r.requests
		res.Errors += r.errors
		if res.FirstError == "" {
			res.FirstError = r.firstErr
		}
		rps := 0.0
		if r.elapsed > 0 {
			rps = float64(r.requests) / r.elapsed.Seconds()
		}
		res.RoundReqPerSec = append(res.RoundReqPerSec, rps)
		lat = append(lat, r.latencies...)
	}
	res.ReqPerSec = median(res.RoundReqPerSec)
	slices.Sort(lat)
	res.P50NS = percentile(lat, 0.50)
	res.P99NS = percentile(lat, 0.99)
	return res
}

// percentile returns the q-quantile (nearest rank) of sorted durations.
func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted)) + 0.5)
	return sorted[min(max(i-1, 0), len(sorted)-1)]
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	sort.Float64s(s)
	if n := len(s); n%2 == 1 {
		return s[n/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// Failed reports whether any scenario had an error.
func (r *LoadReport) Failed() bool {
	for _, s := range r.Scenarios {
		if s.Errors > 0 {
			return true
		}
	}
	return false
}

// WriteTable writes the report as a readable table.
func (r *LoadReport) WriteTable(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "pdemu load: %s %s/%s  NumCPU=%d GOMAXPROCS=%d  (client and servers share these CPUs)\n",
		r.Env.GoVersion, r.Env.GOOS, r.Env.GOARCH, r.Env.NumCPU, r.Env.GOMAXPROCS)
	fmt.Fprintf(&b, "connections=%d  duration=%s/run  warm-up=%s/run  rounds=%d (ABBA)  rotating tokens=%d  loopback only\n\n",
		r.Connections, r.DurationNS, r.WarmupNS, r.Rounds, r.DistinctTokens)
	fmt.Fprintf(&b, "%-20s %-8s %10s %11s %-24s %9s %9s %7s\n",
		"scenario", "server", "requests", "req/s", "req/s per round", "p50", "p99", "errors")
	for _, s := range r.Scenarios {
		rounds := make([]string, len(s.RoundReqPerSec))
		for i, v := range s.RoundReqPerSec {
			rounds[i] = fmt.Sprintf("%.0f", v)
		}
		fmt.Fprintf(&b, "%-20s %-8s %10d %11.0f %-24s %9s %9s %7d\n",
			s.Name, s.Server, s.Requests, s.ReqPerSec, strings.Join(rounds, " "),
			fmtDur(s.P50NS), fmtDur(s.P99NS), s.Errors)
	}
	b.WriteString("\n")
	fmt.Fprintf(&b, "%-20s %-10s %7s %-20s %6s  %s\n", "ratio", "vs", "median", "per round", "goal", "")
	for _, x := range r.Ratios {
		rounds := make([]string, len(x.Rounds))
		for i, v := range x.Rounds {
			rounds[i] = fmt.Sprintf("%.2f", v)
		}
		verdict := "MISSED"
		switch {
		case !x.Valid:
			verdict = "VOID (errors)"
		case x.Met:
			verdict = "met"
		}
		fmt.Fprintf(&b, "%-20s %-10s %6.2fx %-20s %5.2fx  %s\n",
			x.Target, x.Baseline, x.Value, strings.Join(rounds, " "), x.Goal, verdict)
	}
	for _, s := range r.Scenarios {
		if s.FirstError != "" {
			fmt.Fprintf(&b, "first error in %s: %s\n", s.Name, s.FirstError)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func fmtDur(d time.Duration) string {
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.2fs", d.Seconds())
	case d >= time.Millisecond:
		return fmt.Sprintf("%.2fms", float64(d)/1e6)
	default:
		return fmt.Sprintf("%.1fµs", float64(d)/1e3)
	}
}
