package emulator

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/mux"

	"github.com/pdemu/pdemu/emulator/apperr"
	"github.com/pdemu/pdemu/emulator/clock"
	"github.com/pdemu/pdemu/emulator/internal/statefile"
)

// The state file (WithStateFile): the state is loaded from it at start,
// and every change is in it before the response that acknowledges it.
//
// A change is kept as the request that made it, with what made its effect
// what it was: the emulator clock's instant and the seed the request drew
// its ids and secrets from. Requests that change state run one at a time
// (resetMu held for writing), with the clock pinned to that instant and the
// id generator reseeded, so that replaying the request on the state before
// it makes exactly the same change. Writing a change therefore costs an
// append and a sync, never a rewrite of the whole state; now and then, and
// at a clean stop, the file is compacted into one snapshot.

// Compaction thresholds: past either, the next change compacts the file.
const (
	compactChanges = 10_000
	compactBytes   = 64 << 20
)

// stateFileHeaders are the request headers a replay needs: who called, how
// the body is encoded, and the environment of project-scoped calls.
var stateFileHeaders = []string{"Authorization", "Content-Type", "X-Pd-Environment"}

// fileSnapshot is the state file's snapshot: the state document, and the
// seed as this emulator materialized it (its generated ids and the seeded
// client's secret), so that after a restart Reset returns to the same
// seed and the export lines name the same client. That secret is why the
// file, unlike a state document, holds a plaintext secret.
type fileSnapshot struct {
	Seed  Seed     `json:"seed"`
	State stateDoc `json:"state"`
}

// changeRecord is one change as the state file keeps it.
type changeRecord struct {
	At     time.Time         `json:"at"`
	Seed   uint64            `json:"seed"`
	Method string            `json:"method"`
	Path   string            `json:"path"` // escaped, as sent
	Query  string            `json:"query,omitempty"`
	Header map[string]string `json:"header,omitempty"`
	Body   []byte            `json:"body,omitempty"`
	// Status is the answer the request got: a replay that answers
	// otherwise is reported.
	Status int `json:"status"`
	// Clock is the clock after the request, restored after a replay (a
	// replayed clock move happens at another real instant).
	Clock clockState `json:"clock"`
}

// persister is an emulator's state file.
type persister struct {
	// mu serializes the file's operations: appends and compactions run
	// under resetMu's write side, but syncs run after it is released.
	mu   sync.Mutex
	file *statefile.File
	// broken is set once a write to the file failed: from then on every
	// change is refused, since none could be kept.
	broken atomic.Pointer[error]
}

// pinClock is the emulator clock with a pin: while a change runs, Now is
// the instant the change is recorded at, however long it takes, so that
// its replay reads the same instants.
type pinClock struct {
	clock.Controllable
	pinned atomic.Pointer[time.Time]
}

// Now returns the pinned instant, or the clock's.
func (p *pinClock) Now() time.Time {
	if t := p.pinned.Load(); t != nil {
		return *t
	}
	return p.Controllable.Now()
}

// Set sets the clock, and the pin if one is in place: a change that moves
// the clock (PUT /_emulator/clock) reads the new instant after it, as it
// would without a state file, and so does its replay.
func (p *pinClock) Set(t time.Time) {
	p.Controllable.Set(t)
	if p.pinned.Load() != nil {
		t := t
		p.pinned.Store(&t)
	}
}

// Advance advances the clock, and the pin if one is in place.
func (p *pinClock) Advance(d time.Duration) error {
	if err := p.Controllable.Advance(d); err != nil {
		return err
	}
	if at := p.pinned.Load(); at != nil {
		t := at.Add(d)
		p.pinned.Store(&t)
	}
	return nil
}

// Frozen is the wrapped clock's.
func (p *pinClock) Frozen() bool { return clock.Frozen(p.Controllable) }

// unwrapClock returns the clock behind a pin.
func unwrapClock(c clock.Controllable) clock.Controllable {
	if p, ok := c.(*pinClock); ok {
		return p.Controllable
	}
	return c
}

// mutates reports whether a row changes the state, so that, with a state
// file, its requests are recorded. Reads never do; nor do the token
// endpoint and the control plane's minting (tokens are self-contained),
// token inspection (a read; recording it would write the token to disk),
// the proxy (it relays), the journal (not state) or snapshots (kept in
// memory). State imports, restores and resets replace the whole state, so
// they compact the file instead.
func (ep Endpoint) mutates() bool {
	switch ep.Method {
	case "", http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	switch {
	case ep.Name == "oauthTokens.create", ep.Name == "oauthClients.mintToken", ep.Name == "tokens.inspect",
		strings.HasPrefix(ep.Name, "proxy."), strings.HasPrefix(ep.Name, "requests."),
		strings.HasPrefix(ep.Name, "snapshots."), ep.Name == "state.import", ep.Name == "reset":
		return false
	}
	return true
}

// openStateFile loads the state file into e (a snapshot, then the changes
// replayed) or, for a new file, writes e's seeded state to it.
func (e *Emulator) openStateFile(path string) error {
	f, recs, rep, err := statefile.Open(path)
	if err != nil {
		return err
	}
	if rep.TornBytes > 0 && e.logger != nil {
		e.logger.Warn("state file: a torn last record was discarded (its change was never acknowledged)",
			slog.String("file", path), slog.Int64("offset", rep.TornOffset), slog.Int64("bytes", rep.TornBytes))
	}
	// Replayed with no persister yet: an import inside the replay must not
	// compact the file while the changes after its snapshot are only in
	// memory.
	if len(recs) > 0 {
		if err := e.replay(path, recs); err != nil {
			f.Close()
			return err
		}
		parts := make([][]byte, len(recs))
		for i, r := range recs {
			parts[i] = r.Payload
		}
		e.reseedFrom(parts...)
	}
	e.persist = &persister{file: f}
	// A fresh file gets its first snapshot, and a loaded one is compacted:
	// the next start replays nothing.
	if err := e.compactLocked(); err != nil {
		f.Close()
		e.persist = nil
		return err
	}
	return nil
}

// reseedFrom moves a seeded id generator onto a stream keyed by its seed
// and by parts, the state that was just loaded from elsewhere: a state
// file's records at a start, or an imported document. Its own stream goes
// on from where this process stands, which is where the process that made
// the state stood before it drew the ids that state holds (every process
// with one seed draws one stream), so a new client, user or project would
// take the id of one that exists. The stream keyed by the state is
// disjoint from the ones before it, and as reproducible: the same seed and
// state give the same ids. A random generator is left alone.
func (e *Emulator) reseedFrom(parts ...[]byte) {
	seed, ok := e.ids.Seed()
	if !ok {
		return
	}
	h := sha256.New()
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], seed)
	h.Write(b[:])
	for _, p := range parts {
		binary.BigEndian.PutUint64(b[:], uint64(len(p)))
		h.Write(b[:])
		h.Write(p)
	}
	e.ids.Reseed(binary.BigEndian.Uint64(h.Sum(nil)))
}

// replay loads the snapshot and applies every change after it.
func (e *Emulator) replay(path string, recs []statefile.Record) error {
	var snap struct {
		Seed  Seed            `json:"seed"`
		State json.RawMessage `json:"state"`
	}
	err := json.Unmarshal(recs[0].Payload, &snap)
	var doc *stateDoc
	if err == nil {
		doc, err = decodeDoc(snap.State)
	}
	if err == nil {
		err = e.validateDoc(doc)
	}
	if err == nil {
		e.seed = snap.Seed
		err = e.importLocked(doc)
	}
	if err != nil {
		return fmt.Errorf("%s: the snapshot at byte %d: %w", path, recs[0].Offset, err)
	}
	var last *changeRecord
	for _, r := range recs[1:] {
		var rec changeRecord
		if err := json.Unmarshal(r.Payload, &rec); err != nil {
			return fmt.Errorf("%s: the change at byte %d: %w", path, r.Offset, err)
		}
		status, err := e.replayOne(&rec)
		if err != nil {
			return fmt.Errorf("%s: the change at byte %d (%s %s): %w", path, r.Offset, rec.Method, rec.Path, err)
		}
		if status != rec.Status && e.logger != nil {
			e.logger.Warn("state file: a replayed change answered otherwise than when it was made",
				slog.String("file", path), slog.Int64("offset", r.Offset), slog.String("method", rec.Method),
				slog.String("path", e.redact.Path(rec.Path)), slog.Int("status", rec.Status), slog.Int("replayed", status))
		}
		last = &rec
	}
	if last != nil {
		e.restoreClock(last.Clock)
	}
	return nil
}

// replayOne runs a recorded request against the state, as it ran: same
// route, caller, body, instant and seed; no faults, rate limits, journal
// or control-plane guard (they judged it when it was made).
func (e *Emulator) replayOne(rec *changeRecord) (int, error) {
	u := &url.URL{RawPath: rec.Path, RawQuery: rec.Query}
	p, err := url.PathUnescape(rec.Path)
	if err != nil {
		return 0, err
	}
	u.Path = p
	r, err := http.NewRequest(rec.Method, u.String(), nil)
	if err != nil {
		return 0, err
	}
	r.URL = u
	for k, v := range rec.Header {
		r.Header.Set(k, v)
	}
	r.Body = &bufferedBody{data: rec.Body}
	r = collapseConnectSlashes(r)
	var m mux.RouteMatch
	if !router(e.eps).match(r, &m) {
		return 0, errors.New("no route serves it")
	}
	ep := e.eps[m.Handler.(routeTarget)]
	c := &call{header: http.Header{}, x: &exchange{req: r, reqBody: rec.Body}}
	resp, err := e.runChange(r, ep, m.Vars, c, rec.At, rec.Seed)
	return answerStatus(resp, err), nil
}

// runChange runs a change's handler with the clock pinned to at and the id
// generator drawing from seed; the caller holds resetMu for writing.
func (e *Emulator) runChange(r *http.Request, ep Endpoint, vars map[string]string, c *call, at time.Time, seed uint64) (response, error) {
	e.pin.pinned.Store(&at)
	defer e.pin.pinned.Store(nil)
	undo := e.ids.Override(seed)
	defer undo()
	if err := e.prepare(r, ep, vars, c); err != nil {
		return response{}, err
	}
	return ep.handle(r, c)
}

// answerStatus is the status a handler's result is written with.
func answerStatus(resp response, err error) int {
	if err != nil {
		return statusOf[apperr.As(err).Kind]
	}
	return resp.status
}

// recordChange runs a change and appends it to the state file; the caller
// holds resetMu for writing and syncs the file (persister.sync) before
// the answer is written.
func (e *Emulator) recordChange(r *http.Request, ep Endpoint, vars map[string]string, c *call) (response, error) {
	if errp := e.persist.broken.Load(); errp != nil {
		return response{}, stateFileError(*errp)
	}
	at := e.clock.Now()
	seed := e.ids.Uint64()
	resp, err := e.runChange(r, ep, vars, c, at, seed)
	rec := changeRecord{At: at, Seed: seed, Method: r.Method, Path: r.URL.EscapedPath(), Query: r.URL.RawQuery,
		Body: c.x.reqBody, Status: answerStatus(resp, err), Clock: e.clockState()}
	for _, h := range stateFileHeaders {
		if v := r.Header.Get(h); v != "" {
			if rec.Header == nil {
				rec.Header = map[string]string{}
			}
			rec.Header[h] = v
		}
	}
	payload, merr := json.Marshal(rec)
	if merr == nil {
		e.persist.mu.Lock()
		merr = e.persist.file.Append(payload)
		e.persist.mu.Unlock()
	}
	if merr != nil {
		e.persist.broken.Store(&merr)
		return response{}, stateFileError(merr)
	}
	e.persist.mu.Lock()
	n, size := e.persist.file.Changes()
	e.persist.mu.Unlock()
	if n >= compactChanges || size >= compactBytes {
		if cerr := e.compactLocked(); cerr != nil {
			e.persist.broken.Store(&cerr)
			return response{}, stateFileError(cerr)
		}
	}
	return resp, err
}

// syncStateFile makes the changes appended so far durable, before their
// answers go out. A failed sync leaves the change applied in memory but
// unacknowledged, and stops every later change.
func (e *Emulator) syncStateFile() error {
	e.persist.mu.Lock()
	err := e.persist.file.Sync()
	e.persist.mu.Unlock()
	if err != nil {
		e.persist.broken.Store(&err)
		return stateFileError(err)
	}
	return nil
}

func stateFileError(err error) error {
	return &apperr.Error{Kind: apperr.Internal, Code: "state_file_error",
		Message: "the state file cannot be written, so no change can be kept: " + err.Error()}
}

// compactLocked writes the whole state as the file's one snapshot; the
// caller holds resetMu for writing (or is New).
func (e *Emulator) compactLocked() error {
	snap, err := json.Marshal(fileSnapshot{Seed: e.seed, State: e.exportLocked()})
	if err != nil {
		return err
	}
	e.persist.mu.Lock()
	defer e.persist.mu.Unlock()
	return e.persist.file.Compact(snap)
}

// keepGoAPIChange keeps a change made through the Go API, which no request
// carries to the log: the file is compacted. It runs deferred, after the
// method has released resetMu, and takes it for writing, so the snapshot
// is of one instant. A Go API change thus costs a snapshot, not an
// append: fine for tests, which hold small states. Without a state file
// it does nothing.
func (e *Emulator) keepGoAPIChange() {
	if e.persist == nil {
		return
	}
	e.resetMu.Lock()
	defer e.resetMu.Unlock()
	if e.persist == nil || e.persist.broken.Load() != nil {
		return
	}
	if err := e.compactLocked(); err != nil {
		e.persist.broken.Store(&err)
		if e.logger != nil {
			e.logger.Error("state file: a change made through the Go API could not be kept", slog.String("error", err.Error()))
		}
	}
}

// afterReplace keeps the state file in step with a change of the whole
// state (an import, a restore, a reset): it is compacted at once. The
// caller holds resetMu for writing.
func (e *Emulator) afterReplace() error {
	if e.persist == nil {
		return nil
	}
	if err := e.compactLocked(); err != nil {
		e.persist.broken.Store(&err)
		return stateFileError(err)
	}
	return nil
}

// clockState is the clock as a state document keeps it.
func (e *Emulator) clockState() clockState {
	inner := unwrapClock(e.clock)
	cs := clockState{Now: inner.Now().UTC(), Frozen: clock.Frozen(inner)}
	if s, ok := inner.(shifter); ok && !cs.Frozen {
		secs := s.Shift().Seconds()
		cs.ShiftSeconds = &secs
	}
	return cs
}

// restoreClock sets the clock as a state document says.
func (e *Emulator) restoreClock(cs clockState) {
	inner := unwrapClock(e.clock)
	if s, ok := inner.(shifter); ok && cs.ShiftSeconds != nil && !clock.Frozen(inner) {
		s.SetShift(time.Duration(*cs.ShiftSeconds * float64(time.Second)))
		return
	}
	inner.Set(cs.Now)
}

// Close compacts the state file into one snapshot, so the next start has
// nothing to replay, and releases it for another process. Without a state
// file it does nothing. The emulator must not serve after Close.
func (e *Emulator) Close() error {
	if e.persist == nil {
		return nil
	}
	e.resetMu.Lock()
	defer e.resetMu.Unlock()
	var err error
	if e.persist.broken.Load() == nil {
		err = e.compactLocked()
	}
	if cerr := e.persist.file.Close(); err == nil {
		err = cerr
	}
	e.persist = nil
	return err
}
