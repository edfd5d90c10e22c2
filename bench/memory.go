package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pdemu/pdemu/emulator"
)

// Defaults of the memory and constructor modes.
const (
	DefaultMemoryTokens  = 1_000_000
	DefaultVerifyEvery   = 50
	DefaultNewIterations = 1000
	// GoalRSSBytes is the project's ceiling for the process's resident set
	// after a million tokens.
	GoalRSSBytes = 50 << 20
	// GoalNew is the project's ceiling for emulator.New (judged on the mean;
	// p99 and max are reported beside it).
	GoalNew = time.Millisecond
)

// MemoryConfig configures RunMemory. Zero fields take their defaults.
type MemoryConfig struct {
	// Tokens is how many tokens to issue through emulator.IssueToken.
	Tokens int
	// Workers is how many goroutines issue them (default GOMAXPROCS).
	Workers int
	// VerifyEvery makes every n-th token go through a bearer-checked
	// GET /v1/connect/projects (ServeHTTP), so the verification cache fills,
	// and overflows, while tokens are issued.
	VerifyEvery int
}

// MemSnapshot is the process's memory at one moment, after a GC.
type MemSnapshot struct {
	// RSSBytes is VmRSS from /proc/self/status (0 where there is none).
	RSSBytes uint64 `json:"rss_bytes"`
	// HeapInuseBytes and HeapAllocBytes are from runtime.ReadMemStats.
	HeapInuseBytes uint64 `json:"heap_inuse_bytes"`
	HeapAllocBytes uint64 `json:"heap_alloc_bytes"`
	SysBytes       uint64 `json:"sys_bytes"`
	NumGC          uint32 `json:"num_gc"`
}

// MemoryReport is the result of RunMemory.
type MemoryReport struct {
	Env          Env           `json:"env"`
	Tokens       int64         `json:"tokens"`
	Verified     int64         `json:"verified"`
	Errors       int64         `json:"errors"`
	FirstError   string        `json:"first_error,omitempty"`
	Workers      int           `json:"workers"`
	ElapsedNS    time.Duration `json:"elapsed_ns"`
	TokensPerSec float64       `json:"tokens_per_sec"`
	// Before is taken after emulator.New, After once every token is issued
	// (the emulator still alive), both right after runtime.GC.
	Before MemSnapshot `json:"before"`
	After  MemSnapshot `json:"after"`
	// AfterRelease is After followed by debug.FreeOSMemory: what the
	// process needs, rather than what the runtime has yet to hand back.
	AfterRelease MemSnapshot `json:"after_release"`
	// PeakRSSBytes is VmHWM, the high-water mark of the resident set.
	PeakRSSBytes uint64 `json:"peak_rss_bytes"`
}

// RunMemory issues cfg.Tokens tokens through the Go API, in parallel,
// bearer-checks a sample of them over ServeHTTP, and reports memory before
// and after. Memory figures are for the whole process: run it in a process
// of its own (pdemu-load -mode memory) for them to mean anything.
func RunMemory(ctx context.Context, cfg MemoryConfig) (*MemoryReport, error) {
	if cfg.Tokens <= 0 {
		cfg.Tokens = DefaultMemoryTokens
	}
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	if cfg.VerifyEvery <= 0 {
		cfg.VerifyEvery = DefaultVerifyEvery
	}
	emu, err := emulator.New()
	if err != nil {
		return nil, fmt.Errorf("bench: new emulator: %w", err)
	}
	creds := emu.Credentials()
	req := emulator.TokenRequest{GrantType: "client_credentials", ClientID: creds.ClientID, ClientSecret: creds.ClientSecret}

	rep := &MemoryReport{Env: CurrentEnv(), Workers: cfg.Workers}
	rep.Before = snapshot(false)

	var (
		next, verified, errs atomic.Int64
		errOnce              sync.Once
		wg                   sync.WaitGroup
	)
	fail := func(err error) {
		errs.Add(1)
		errOnce.Do(func() { rep.FirstError = err.Error() })
	}
	start := time.Now()
	for w := 0; w < cfg.Workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := next.Add(1)
				if i > int64(cfg.Tokens) {
					return
				}
				tok, err := emu.IssueToken(req)
				if err != nil {
					fail(fmt.Errorf("issue token %d: %w", i, err))
					continue
				}
				if i%int64(cfg.VerifyEvery) != 0 {
					continue
				}
				if err := checkBearer(emu, tok.AccessToken); err != nil {
					fail(fmt.Errorf("token %d: %w", i, err))
					continue
				}
				verified.Add(1)
			}
		}()
	}
	wg.Wait()
	rep.ElapsedNS = time.Since(start)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rep.Tokens = min(next.Load(), int64(cfg.Tokens))
	rep.Verified, rep.Errors = verified.Load(), errs.Load()
	rep.TokensPerSec = float64(rep.Tokens) / rep.ElapsedNS.Seconds()

	rep.After = snapshot(false)
	rep.AfterRelease = snapshot(true)
	rep.PeakRSSBytes = procStatus("VmHWM")
	// The emulator, and whatever it keeps per token, must be alive when
	// memory is read, or the figure would flatter it.
	runtime.KeepAlive(emu)
	return rep, nil
}

// checkBearer sends GET /v1/connect/projects with tok through ServeHTTP and
// checks the answer.
func checkBearer(h http.Handler, tok string) error {
	r := httptest.NewRequest(http.MethodGet, "/v1/connect/projects", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusOK || !bytes.Contains(w.Body.Bytes(), []byte(`"data":[`)) {
		return fmt.Errorf("bearer GET: status %d: %.200s", w.Code, w.Body.Bytes())
	}
	return nil
}

func snapshot(release bool) MemSnapshot {
	runtime.GC()
	if release {
		debug.FreeOSMemory()
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return MemSnapshot{RSSBytes: procStatus("VmRSS"), HeapInuseBytes: ms.HeapInuse,
		HeapAllocBytes: ms.HeapAlloc, SysBytes: ms.Sys, NumGC: ms.NumGC}
}

// procStatus reads a "kB" field of /proc/self/status, in bytes; 0 when the
// file or field is missing (not Linux).
func procStatus(field string) uint64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok || name != field {
			continue
		}
		kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		if err != nil {
			return 0
		}
		return kb << 10
	}
	return 0
}

// WriteTable writes the report as a readable table.
func (r *MemoryReport) WriteTable(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "pdemu memory: %s %s/%s  NumCPU=%d GOMAXPROCS=%d\n",
		r.Env.GoVersion, r.Env.GOOS, r.Env.GOARCH, r.Env.NumCPU, r.Env.GOMAXPROCS)
	fmt.Fprintf(&b, "issued %d tokens with emulator.IssueToken on %d goroutines in %s (%.0f tokens/s); bearer-checked %d over ServeHTTP; errors %d\n\n",
		r.Tokens, r.Workers, r.ElapsedNS.Round(time.Millisecond), r.TokensPerSec, r.Verified, r.Errors)
	fmt.Fprintf(&b, "%-26s %10s %12s %12s %10s\n", "after runtime.GC", "RSS", "HeapInuse", "HeapAlloc", "Sys")
	row := func(name string, s MemSnapshot) {
		fmt.Fprintf(&b, "%-26s %10s %12s %12s %10s\n", name, mib(s.RSSBytes), mib(s.HeapInuseBytes), mib(s.HeapAllocBytes), mib(s.SysBytes))
	}
	row("before (emulator.New)", r.Before)
	row("after", r.After)
	row("after FreeOSMemory", r.AfterRelease)
	verdict := "met"
	if r.After.RSSBytes >= GoalRSSBytes || r.Errors > 0 {
		verdict = "MISSED"
	}
	fmt.Fprintf(&b, "peak RSS (VmHWM) %s; RSS after %s vs goal < %s: %s\n",
		mib(r.PeakRSSBytes), mib(r.After.RSSBytes), mib(GoalRSSBytes), verdict)
	if r.FirstError != "" {
		fmt.Fprintf(&b, "first error: %s\n", r.FirstError)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func mib(n uint64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

// NewReport is the result of RunNew: how long emulator.New takes.
type NewReport struct {
	Env        Env           `json:"env"`
	Iterations int           `json:"iterations"`
	FirstNS    time.Duration `json:"first_ns"`
	MeanNS     time.Duration `json:"mean_ns"`
	P50NS      time.Duration `json:"p50_ns"`
	P99NS      time.Duration `json:"p99_ns"`
	MaxNS      time.Duration `json:"max_ns"`
}

// RunNew times n calls of emulator.New (DefaultNewIterations when n <= 0),
// one after the other.
func RunNew(n int) (*NewReport, error) {
	if n <= 0 {
		n = DefaultNewIterations
	}
	times := make([]time.Duration, n)
	var total time.Duration
	for i := range times {
		start := time.Now()
		emu, err := emulator.New()
		times[i] = time.Since(start)
		if err != nil {
			return nil, fmt.Errorf("bench: new emulator: %w", err)
		}
		runtime.KeepAlive(emu)
		total += times[i]
	}
	rep := &NewReport{Env: CurrentEnv(), Iterations: n, FirstNS: times[0], MeanNS: total / time.Duration(n)}
	slices.Sort(times)
	rep.P50NS, rep.P99NS, rep.MaxNS = percentile(times, 0.5), percentile(times, 0.99), times[n-1]
	return rep, nil
}

// WriteTable writes the report as a readable line.
func (r *NewReport) WriteTable(w io.Writer) error {
	verdict := "met"
	if r.MeanNS >= GoalNew {
		verdict = "MISSED"
	}
	_, err := fmt.Fprintf(w, "pdemu new: emulator.New() x%d: first %s, mean %s, p50 %s, p99 %s, max %s; goal mean < %s: %s\n",
		r.Iterations, fmtDur(r.FirstNS), fmtDur(r.MeanNS), fmtDur(r.P50NS), fmtDur(r.P99NS), fmtDur(r.MaxNS), GoalNew, verdict)
	return err
}

// DefaultPruneTokens is how many Connect tokens the prune mode makes: the
// figure at which a store that never forgot expired tokens held 108 MB.
const DefaultPruneTokens = 100_000

// PruneReport is the result of RunPrune: memory while short-lived Connect
// tokens are live, and once the emulator's clock has passed their expiry.
type PruneReport struct {
	Env    Env   `json:"env"`
	Tokens int   `json:"tokens"`
	Errors int64 `json:"errors"`
	// Held is how many tokens the emulator reported holding (GET
	// /_emulator/limits) while live and after the clock moved on.
	HeldLive  int `json:"held_live"`
	HeldAfter int `json:"held_after"`
	// Before is after emulator.New; Live once every token is made; After
	// once the clock moved two hours on, all after runtime.GC and
	// debug.FreeOSMemory.
	Before MemSnapshot `json:"before"`
	Live   MemSnapshot `json:"live"`
	After  MemSnapshot `json:"after"`
}

// RunPrune makes n Connect tokens with expires_in 60 over ServeHTTP,
// moves the emulator's clock two hours on through the control plane, and
// reports memory at each step: what the store holds must return to the
// live set. Run it in a process of its own (pdemu-load -mode prune).
func RunPrune(ctx context.Context, n int) (*PruneReport, error) {
	if n <= 0 {
		n = DefaultPruneTokens
	}
	emu, err := emulator.New()
	if err != nil {
		return nil, fmt.Errorf("bench: new emulator: %w", err)
	}
	creds := emu.Credentials()
	tok, err := emu.IssueToken(emulator.TokenRequest{GrantType: "client_credentials", ClientID: creds.ClientID, ClientSecret: creds.ClientSecret})
	if err != nil {
		return nil, err
	}
	rep := &PruneReport{Env: CurrentEnv(), Tokens: n}
	rep.Before = snapshot(true)
	send := func(method, path, body string, bearer bool) (int, []byte) {
		// A loopback Host, as a local script sends: the control plane
		// answers no other.
		r := httptest.NewRequest(method, "http://127.0.0.1"+path, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		if bearer {
			r.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		}
		w := httptest.NewRecorder()
		emu.ServeHTTP(w, r)
		return w.Code, w.Body.Bytes()
	}
	for i := 0; i < n && ctx.Err() == nil; i++ {
		body := fmt.Sprintf(`{"external_user_id": "user-%d", "expires_in": 60}`, i%1000)
		if code, _ := send(http.MethodPost, "/v1/connect/"+creds.ProjectID+"/tokens", body, true); code != http.StatusOK {
			rep.Errors++
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rep.Live = snapshot(true)
	rep.HeldLive = heldTokens(emu)
	if code, b := send(http.MethodPost, "/_emulator/clock/advance", `{"seconds": 7200}`, false); code != http.StatusOK {
		return nil, fmt.Errorf("bench: advance the clock: %d %s", code, b)
	}
	rep.After = snapshot(true)
	rep.HeldAfter = heldTokens(emu)
	runtime.KeepAlive(emu)
	return rep, nil
}

func heldTokens(emu *emulator.Emulator) int {
	for _, l := range emu.LimitStatus() {
		if l.Name == "connect-tokens" {
			return l.Count
		}
	}
	return -1
}

// WriteTable writes the report as a readable table.
func (r *PruneReport) WriteTable(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "pdemu prune: %d Connect tokens (expires_in 60) over ServeHTTP, then the clock two hours on; errors %d\n\n", r.Tokens, r.Errors)
	fmt.Fprintf(&b, "%-34s %10s %12s %8s\n", "after GC + FreeOSMemory", "RSS", "HeapInuse", "held")
	fmt.Fprintf(&b, "%-34s %10s %12s %8s\n", "before (emulator.New)", mib(r.Before.RSSBytes), mib(r.Before.HeapInuseBytes), "0")
	fmt.Fprintf(&b, "%-34s %10s %12s %8d\n", "tokens live", mib(r.Live.RSSBytes), mib(r.Live.HeapInuseBytes), r.HeldLive)
	fmt.Fprintf(&b, "%-34s %10s %12s %8d\n", "two hours later", mib(r.After.RSSBytes), mib(r.After.HeapInuseBytes), r.HeldAfter)
	_, err := io.WriteString(w, b.String())
	return err
}
