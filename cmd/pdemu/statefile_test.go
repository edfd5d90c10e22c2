//go:build unix

package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestStateFileSurvivesKill9 kills pdemu serve --state-file with SIGKILL
// while writes stream in, at a random moment, restarts it on the same file
// and checks the promise of --state-file: every write that was
// acknowledged (a 2xx received) is there, every acknowledged delete holds,
// an acknowledged secret rotation holds (the new secret authenticates, the
// old one does not), a write in flight at the kill is either whole or
// absent, then stays so, and no replayed change answers otherwise than it
// did. The cycle repeats on the same file; now and then the kill lands
// during a start instead (the replay and the compaction that follows it).
// It runs with random ids and with --id-seed, whose restarts must not draw
// again the ids the file holds.
func TestStateFileSurvivesKill9(t *testing.T) {
	t.Parallel()
	bin := pdemuBinary(t)
	for name, extra := range map[string][]string{"random ids": nil, "id seed": {"--id-seed", "7"}} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			killAndRestart(t, bin, extra...)
		})
	}
}

// killAndRestart is TestStateFileSurvivesKill9 with extra flags.
func killAndRestart(t *testing.T, bin string, extra ...string) {
	file := filepath.Join(t.TempDir(), "pdemu.state")
	args := append([]string{"serve", "--addr", anyPort, "--state-file", file, "--freeze-clock"}, extra...)

	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("PDEMU_KILL_SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("PDEMU_KILL_SEED: %v", err)
		}
	}
	t.Logf("PDEMU_KILL_SEED=%d reproduces this run's choices (not the timing)", seed)
	rng := rand.New(rand.NewPCG(seed, 0x6b696c6c))

	const (
		cycles  = 20
		writers = 2
	)
	w := &world{items: map[string]map[string]*item{}}
	var (
		first      map[string]string
		prevToken  string
		torn       tornCount
		startKills int
		// tempsLeft counts the kills during a start that left a
		// compaction's temporary file behind.
		tempsLeft int
	)
	for cycle := range cycles {
		w.cycle = cycle
		leftBefore, _ := filepath.Glob(file + ".tmp-*")
		onDisk, _ := os.ReadFile(file) // as the kill left it
		p := launch(t, bin, args...)
		if cycle%5 == 4 {
			// A kill during the start: at a random moment (the replay, or
			// the compaction after it, or the first requests), or, every
			// other time, as soon as the compaction's temporary file
			// appears.
			if cycle%10 == 4 {
				time.Sleep(time.Duration(rng.Int64N(int64(30 * time.Millisecond))))
			} else {
				for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
					if tmp, _ := filepath.Glob(file + ".tmp-*"); slices.ContainsFunc(tmp, func(n string) bool { return !slices.Contains(leftBefore, n) }) {
						break
					}
					select {
					case <-p.ready:
					case <-p.exited:
					default:
						continue
					}
					break
				}
			}
			p.kill(t)
			startKills++
			if tmp, _ := filepath.Glob(file + ".tmp-*"); slices.ContainsFunc(tmp, func(n string) bool { return !slices.Contains(leftBefore, n) }) {
				tempsLeft++
			}
			torn.check(t, cycle, onDisk, p.stderr.String(), false)
			continue
		}
		p.waitReady(t)
		logs := p.stderr.String()
		torn.check(t, cycle, onDisk, logs, true)
		if strings.Contains(logs, "answered otherwise") {
			t.Errorf("cycle %d: a replayed change answered otherwise than when it was made:\n%s", cycle, logs)
		}
		if first == nil {
			first = p.env
		} else {
			for _, name := range []string{"PIPEDREAM_CLIENT_ID", "PIPEDREAM_CLIENT_SECRET", "PIPEDREAM_PROJECT_ID"} {
				if p.env[name] != first[name] {
					t.Errorf("cycle %d: %s=%q after the restart, %q in the first run: the seed is kept in the file", cycle, name, p.env[name], first[name])
				}
			}
		}
		client := httpClient(t)
		tok := w.token(t, client, p)
		if prevToken != "" {
			if status, body, err := send(client, http.MethodGet, p.base()+"/v1/connect/projects?limit=1", prevToken, ""); err != nil || status != http.StatusOK {
				t.Errorf("cycle %d: a token issued before the kill: %d %s %v", cycle, status, body, err)
			}
		}
		w.verify(t, client, p, tok, rng)
		if t.Failed() {
			t.Fatalf("cycle %d: stopping\nstderr of this start:\n%s", cycle, logs)
		}
		prevToken = tok

		var killed atomic.Bool
		var wg sync.WaitGroup
		var counter atomic.Int64
		for i := range writers {
			wr := rand.New(rand.NewPCG(rng.Uint64(), uint64(i)))
			wg.Go(func() { w.write(t, client, p, tok, i, wr, &counter, &killed) })
		}
		time.Sleep(2*time.Millisecond + time.Duration(rng.Int64N(int64(198*time.Millisecond))))
		killed.Store(true)
		p.kill(t)
		wg.Wait()
		client.CloseIdleConnections()
		if t.Failed() {
			t.Fatalf("cycle %d: stopping\nstderr:\n%s", cycle, p.stderr)
		}
	}

	// A last start checks the last kill; then a clean stop and start must
	// give back exactly the same state.
	w.cycle = cycles
	onDisk, _ := os.ReadFile(file)
	p := startProc(t, bin, args...)
	torn.check(t, cycles, onDisk, p.stderr.String(), true)
	client := httpClient(t)
	tok := w.token(t, client, p)
	w.verify(t, client, p, tok, rng)
	before := stateOf(t, client, p)
	if status := p.stop(t); status != 0 {
		t.Fatalf("SIGTERM: exit status %d\nstderr:\n%s", status, p.stderr)
	}
	p = startProc(t, bin, args...)
	if after := stateOf(t, client, p); !jsonEqual(t, before, after) {
		t.Errorf("a clean stop and start changed the state:\nbefore: %s\nafter:  %s", before, after)
	}
	w.verify(t, client, p, w.token(t, client, p), rng)

	if tmp, _ := filepath.Glob(file + ".tmp-*"); len(tmp) > 0 {
		t.Errorf("temporary files of compactions the kills cut short are still there: %v", tmp)
	}
	t.Logf("%d cycles (%d killed while starting): %d writes acknowledged, %d creates and deletes in flight at a kill (%d found applied, %d not); "+
		"%d kills left a torn last record (%d reported by the start after); %d kills during a start left a compaction's temporary file",
		cycles, startKills, w.acked, w.inFlight, w.applied, w.inFlight-w.applied, torn.found, torn.reported, tempsLeft)
}

// tornCount counts the torn records kills left and starts reported.
type tornCount struct{ found, reported int }

// check compares what a start reported with the file it started from: a
// torn last record must be reported (when the start got as far as
// serving), at its offset, and none may be reported for a file that ended
// cleanly. Kills rarely tear a record (an append is one small write), so
// neither case is required to happen.
func (c *tornCount) check(t *testing.T, cycle int, onDisk []byte, logs string, served bool) {
	t.Helper()
	reported := strings.Contains(logs, "torn last record")
	off, n, torn := tornTail(onDisk)
	switch {
	case torn:
		c.found++
		if reported {
			c.reported++
		}
		if want := fmt.Sprintf("offset=%d bytes=%d", off, n); served && (!reported || !strings.Contains(logs, want)) {
			t.Errorf("cycle %d: the file ended with a torn record (%s), but the start did not report it:\n%s", cycle, want, logs)
		}
	case reported:
		t.Errorf("cycle %d: a torn record reported, but the file ended cleanly:\n%s", cycle, logs)
	}
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// tornTail finds a torn last record in a state file, as a crash in the
// middle of an append leaves it: cut short, or its checksum wrong with
// nothing after it. It returns where the record starts and its length.
func tornTail(data []byte) (offset, n int, torn bool) {
	if len(data) < len(stateFileMagic) {
		return 0, len(data), len(data) > 0
	}
	for off := len(stateFileMagic); off < len(data); {
		rest := data[off:]
		if len(rest) < 9 {
			return off, len(rest), true
		}
		end := off + 9 + int(binary.BigEndian.Uint32(rest[0:4]))
		if end > len(data) {
			return off, len(rest), true
		}
		sum := crc32.Update(crc32.Update(0, castagnoli, rest[8:9]), castagnoli, rest[9:end-off])
		if end == len(data) && sum != binary.BigEndian.Uint32(rest[4:8]) {
			return off, len(rest), true
		}
		off = end
	}
	return 0, 0, false
}

// An item is a client, user or project as the test knows it.
type item struct {
	kind, name string
	id, secret string // "" while unknown
	// oldSecret is a client's secret before an acknowledged rotation: it
	// must no longer authenticate.
	oldSecret string
	st        itemState
	writer    int
	// cycle is when it was acknowledged or found.
	cycle int
}

type itemState int

const (
	pending  itemState = iota // create sent, no answer: present or absent
	present                   // acknowledged or found: must stay
	deleting                  // delete sent, no answer
	gone                      // deleted, or a create that did not survive: must stay absent
)

// world is what the writes made, as far as their answers tell.
type world struct {
	mu    sync.Mutex
	cycle int
	// items are by kind, then name; the first start's (the seed's) are
	// among them, present, never written.
	items map[string]map[string]*item
	// acked counts the writes acknowledged; inFlight those that got no
	// answer before a kill, applied those of them found applied.
	acked, inFlight, applied int
}

const (
	kindClient  = "client"
	kindUser    = "user"
	kindProject = "project"
)

func (w *world) add(kind, name string, writer int) *item {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.items[kind] == nil {
		w.items[kind] = map[string]*item{}
	}
	it := &item{kind: kind, name: name, writer: writer, st: pending, cycle: w.cycle}
	w.items[kind][name] = it
	return it
}

// token issues an access token with the seeded client's credentials.
func (w *world) token(t *testing.T, client *http.Client, p *proc) string {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"grant_type": "client_credentials",
		"client_id": p.env["PIPEDREAM_CLIENT_ID"], "client_secret": p.env["PIPEDREAM_CLIENT_SECRET"]})
	status, raw, err := send(client, http.MethodPost, p.base()+"/v1/oauth/token", "", string(body))
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err == nil && status == http.StatusOK {
		err = json.Unmarshal(raw, &tok)
	}
	if err != nil || status != http.StatusOK || tok.AccessToken == "" {
		t.Fatalf("token: %d %s %v", status, raw, err)
	}
	return tok.AccessToken
}

// write sends writes until the process is gone: clients, users and
// projects made, and clients this writer made deleted or given a new
// secret.
func (w *world) write(t *testing.T, client *http.Client, p *proc, tok string, writer int, rng *rand.Rand, counter *atomic.Int64, killed *atomic.Bool) {
	for {
		n := counter.Add(1)
		var err error
		switch op := rng.IntN(5); {
		case op == 3 && w.deleteOne(t, client, p, writer, rng, &err):
		case op == 4 && w.rotateOne(t, client, p, writer, rng, &err):
		case op == 1:
			err = w.create(t, client, p, kindUser, fmt.Sprintf("u-%d-%d", w.cycle, n), writer,
				http.MethodPost, "/_emulator/projects/"+p.env["PIPEDREAM_PROJECT_ID"]+"/users", "", `{"external_id":%q,"environment":"development"}`)
		case op == 2:
			err = w.create(t, client, p, kindProject, fmt.Sprintf("p-%d-%d", w.cycle, n), writer,
				http.MethodPost, "/v1/connect/projects", tok, `{"name":%q}`)
		default:
			err = w.create(t, client, p, kindClient, fmt.Sprintf("w-%d-%d", w.cycle, n), writer,
				http.MethodPost, "/_emulator/oauth-clients", "", `{"name":%q}`)
		}
		if err != nil {
			if !killed.Load() {
				t.Errorf("cycle %d: writer %d: %v, before the kill", w.cycle, writer, err)
			}
			return
		}
	}
}

// errAnswer is an answer the test did not expect: the writer stops.
var errAnswer = errors.New("unexpected answer")

// create makes one item and records what its answer told.
func (w *world) create(t *testing.T, client *http.Client, p *proc, kind, name string, writer int, method, path, bearer, bodyFormat string) error {
	it := w.add(kind, name, writer)
	status, raw, err := send(client, method, p.base()+path, bearer, fmt.Sprintf(bodyFormat, name))
	if status == 0 {
		return err // no answer: it stays pending
	}
	if status != http.StatusCreated {
		t.Errorf("cycle %d: create %s %q: %d %s", w.cycle, kind, name, status, raw)
		return errAnswer
	}
	var body struct {
		ID           string `json:"id"`
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
		Name         string `json:"name"`
	}
	// A body cut by the kill leaves the id unknown; the write is
	// acknowledged all the same.
	if err == nil && json.Unmarshal(raw, &body) != nil {
		t.Errorf("cycle %d: create %s %q: %d, body not JSON: %s", w.cycle, kind, name, status, raw)
		return errAnswer
	}
	w.mu.Lock()
	it.st, it.id, it.secret, it.cycle = present, cmpOr(body.ClientID, body.ID), body.ClientSecret, w.cycle
	w.acked++
	w.mu.Unlock()
	return err
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// pick picks one of the clients writer made whose id (and, withSecret,
// secret) is known, or returns nil; the caller holds w.mu.
func (w *world) pick(writer int, rng *rand.Rand, withSecret bool) *item {
	var mine []*item
	for _, it := range w.items[kindClient] {
		if it.writer == writer && it.st == present && it.id != "" && (!withSecret || it.secret != "") && strings.HasPrefix(it.name, "w-") {
			mine = append(mine, it)
		}
	}
	if len(mine) == 0 {
		return nil
	}
	slices.SortFunc(mine, func(a, b *item) int { return strings.Compare(a.name, b.name) })
	return mine[rng.IntN(len(mine))]
}

// rotateOne gives one of the clients writer made a new secret, if there is
// one; it reports false when there is none.
func (w *world) rotateOne(t *testing.T, client *http.Client, p *proc, writer int, rng *rand.Rand, errp *error) bool {
	w.mu.Lock()
	it := w.pick(writer, rng, true)
	if it == nil {
		w.mu.Unlock()
		return false
	}
	old := it.secret
	it.secret, it.oldSecret = "", "" // the old or the new one, until the answer
	w.mu.Unlock()

	status, raw, err := send(client, http.MethodPost, p.base()+"/_emulator/oauth-clients/"+url.PathEscape(it.id)+"/rotate-secret", "", "")
	var body struct {
		ClientSecret string `json:"client_secret"`
	}
	switch {
	case status == 0:
		*errp = err
	case status != http.StatusOK || (err == nil && (json.Unmarshal(raw, &body) != nil || body.ClientSecret == "")):
		t.Errorf("cycle %d: rotate the secret of client %q (%s): %d %s", w.cycle, it.name, it.id, status, raw)
		*errp = errAnswer
	default:
		w.mu.Lock()
		it.secret, it.oldSecret = body.ClientSecret, old
		w.acked++
		w.mu.Unlock()
		*errp = err
	}
	return true
}

// deleteOne deletes one of the clients writer made, if there is one; it
// reports false when there is none.
func (w *world) deleteOne(t *testing.T, client *http.Client, p *proc, writer int, rng *rand.Rand, errp *error) bool {
	w.mu.Lock()
	it := w.pick(writer, rng, false)
	if it == nil {
		w.mu.Unlock()
		return false
	}
	it.st = deleting
	w.mu.Unlock()

	status, raw, err := send(client, http.MethodDelete, p.base()+"/_emulator/oauth-clients/"+url.PathEscape(it.id), "", "")
	switch {
	case status == 0:
		*errp = err // no answer: it stays deleting
	case status != http.StatusNoContent:
		t.Errorf("cycle %d: delete client %q (%s): %d %s", w.cycle, it.name, it.id, status, raw)
		*errp = errAnswer
	default:
		w.mu.Lock()
		it.st = gone
		w.acked++
		w.mu.Unlock()
	}
	return true
}

// listed is an item as a list shows it.
type listed struct {
	id   string
	name string
	raw  map[string]any
}

// list pages through a list of the API, limit 100, and checks its counts.
func list(t *testing.T, client *http.Client, url, bearer, nameField string, header ...string) map[string]listed {
	t.Helper()
	out := map[string]listed{}
	after, total := "", -1
	for {
		u := url + "?limit=100"
		if after != "" {
			u += "&after=" + after
		}
		status, raw, err := send(client, http.MethodGet, u, bearer, "", header...)
		if err != nil || status != http.StatusOK {
			t.Fatalf("GET %s: %d %s %v", u, status, raw, err)
		}
		var page struct {
			Data     []map[string]any `json:"data"`
			PageInfo struct {
				TotalCount int     `json:"total_count"`
				EndCursor  *string `json:"end_cursor"`
			} `json:"page_info"`
		}
		if err := json.Unmarshal(raw, &page); err != nil {
			t.Fatalf("GET %s: %v\n%s", u, err, raw)
		}
		total = page.PageInfo.TotalCount
		for _, d := range page.Data {
			id := cmpOr(str(d["client_id"]), str(d["id"]))
			name := str(d[nameField])
			if _, dup := out[name]; dup {
				t.Errorf("GET %s: %q listed twice", url, name)
			}
			out[name] = listed{id: id, name: name, raw: d}
		}
		if page.PageInfo.EndCursor == nil {
			break
		}
		after = *page.PageInfo.EndCursor
	}
	if total != len(out) {
		t.Errorf("GET %s: total_count %d, %d listed", url, total, len(out))
	}
	return out
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// verify checks, after a start, that the lists hold exactly what the
// writes' answers require, settles the writes that got none, and checks
// that what is there is whole.
func (w *world) verify(t *testing.T, client *http.Client, p *proc, tok string, rng *rand.Rand) {
	t.Helper()
	base, project := p.base(), p.env["PIPEDREAM_PROJECT_ID"]
	lists := map[string]map[string]listed{
		kindClient:  list(t, client, base+"/_emulator/oauth-clients", "", "name"),
		kindUser:    list(t, client, base+"/v1/connect/"+project+"/users", tok, "external_id", "X-PD-Environment", "development"),
		kindProject: list(t, client, base+"/v1/connect/projects", tok, "name"),
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.cycle == 0 {
		// What the seed made: never written, always there.
		for kind, l := range lists {
			for name, it := range l {
				w.items[kind] = cmpMap(w.items[kind])
				w.items[kind][name] = &item{kind: kind, name: name, id: it.id, st: present, writer: -1}
			}
		}
	}
	var check []*item // GET each, and authenticate the clients
	for _, kind := range []string{kindClient, kindUser, kindProject} {
		l := lists[kind]
		for name, it := range w.items[kind] {
			got, ok := l[name]
			switch it.st {
			case present:
				if !ok {
					t.Errorf("cycle %d: %s %q (%s), acknowledged in cycle %d, is lost", w.cycle, kind, name, it.id, it.cycle)
				} else if it.id != "" && got.id != it.id {
					t.Errorf("cycle %d: %s %q has id %s, acknowledged as %s", w.cycle, kind, name, got.id, it.id)
				} else if it.id == "" || it.cycle == w.cycle-1 || rng.IntN(50) == 0 {
					it.id = got.id
					check = append(check, it)
				}
			case gone:
				if ok {
					t.Errorf("cycle %d: %s %q (%s) is back: it was deleted, or absent after an earlier kill", w.cycle, kind, name, got.id)
				}
			case pending:
				w.inFlight++
				if ok {
					w.applied++
					it.st, it.id, it.cycle = present, got.id, w.cycle
					check = append(check, it)
				} else {
					it.st = gone
				}
			case deleting:
				w.inFlight++
				if ok {
					it.st = present
				} else {
					w.applied++
					it.st = gone
				}
			}
		}
		for name, got := range l {
			if _, known := w.items[kind][name]; !known {
				t.Errorf("cycle %d: %s %q (%s) was never written: %v", w.cycle, kind, name, got.id, got.raw)
			}
			if !whole(kind, got) {
				t.Errorf("cycle %d: %s %q is not whole: %v", w.cycle, kind, name, got.raw)
			}
		}
	}
	for _, it := range check {
		switch it.kind {
		case kindClient:
			status, raw, err := send(client, http.MethodGet, base+"/_emulator/oauth-clients/"+url.PathEscape(it.id), "", "")
			var c struct {
				Name string `json:"name"`
			}
			if err != nil || status != http.StatusOK || json.Unmarshal(raw, &c) != nil || c.Name != it.name {
				t.Errorf("cycle %d: GET client %q (%s): %d %s %v", w.cycle, it.name, it.id, status, raw, err)
			}
			if it.secret != "" {
				if _, status, raw := clientToken(client, base, it.id, it.secret); status != http.StatusOK {
					t.Errorf("cycle %d: client %q (%s) cannot authenticate with its secret: %d %s", w.cycle, it.name, it.id, status, raw)
				}
			}
			if it.oldSecret != "" {
				if _, status, raw := clientToken(client, base, it.id, it.oldSecret); status != http.StatusUnauthorized && status != http.StatusBadRequest {
					t.Errorf("cycle %d: client %q (%s) authenticates with the secret it had before a rotation: %d %s", w.cycle, it.name, it.id, status, raw)
				}
			}
		case kindProject:
			status, raw, err := send(client, http.MethodGet, base+"/v1/connect/projects/"+url.PathEscape(it.id), tok, "")
			if err != nil || status != http.StatusOK || !bytes.Contains(raw, []byte(strconv.Quote(it.name))) {
				t.Errorf("cycle %d: GET project %q (%s): %d %s %v", w.cycle, it.name, it.id, status, raw, err)
			}
		}
	}
}

func cmpMap(m map[string]*item) map[string]*item {
	if m == nil {
		return map[string]*item{}
	}
	return m
}

// whole reports whether a listed item has every field a write gives it.
func whole(kind string, l listed) bool {
	for _, f := range map[string][]string{
		kindClient:  {"client_id", "name", "workspace_id", "created_at", "secret_rotated_at"},
		kindUser:    {"id", "external_id", "created_at", "updated_at"},
		kindProject: {"id", "name"},
	}[kind] {
		if str(l.raw[f]) == "" {
			return false
		}
	}
	if kind == kindClient {
		scopes, _ := l.raw["scopes"].([]any)
		return len(scopes) > 0
	}
	return true
}

// stateOf is GET /_emulator/state.
func stateOf(t *testing.T, client *http.Client, p *proc) []byte {
	t.Helper()
	status, raw, err := send(client, http.MethodGet, p.base()+"/_emulator/state", "", "")
	if err != nil || status != http.StatusOK {
		t.Fatalf("GET /_emulator/state: %d %s %v", status, raw, err)
	}
	return raw
}

// jsonEqual reports whether two JSON documents hold the same values.
func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	var va, vb any
	if err := json.Unmarshal(a, &va); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, a)
	}
	if err := json.Unmarshal(b, &vb); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, b)
	}
	ja, _ := json.Marshal(va)
	jb, _ := json.Marshal(vb)
	return bytes.Equal(ja, jb)
}

// TestStateFileInUse starts a second pdemu on a state file one holds: it
// must stop at once, naming the file, and change nothing.
func TestStateFileInUse(t *testing.T) {
	t.Parallel()
	bin := pdemuBinary(t)
	file := filepath.Join(t.TempDir(), "pdemu.state")
	args := []string{"serve", "--addr", anyPort, "--state-file", file}
	first := startProc(t, bin, args...)
	client := httpClient(t)
	if status, raw, err := send(client, http.MethodPost, first.base()+"/_emulator/oauth-clients", "", `{"name":"kept"}`); err != nil || status != http.StatusCreated {
		t.Fatalf("create: %d %s %v", status, raw, err)
	}
	held := readFile(t, file)

	second := launch(t, bin, args...)
	if status := second.wait(t); status == 0 {
		t.Errorf("the second pdemu exited with status 0\nstderr:\n%s", second.stderr)
	}
	if logs := second.stderr.String(); !strings.Contains(logs, file) || !strings.Contains(logs, "in use") {
		t.Errorf("stderr should name %s and say it is in use:\n%s", file, logs)
	}
	if second.out != "" {
		t.Errorf("the second pdemu printed its export lines:\n%s", second.out)
	}
	if !bytes.Equal(readFile(t, file), held) {
		t.Error("the second pdemu changed the state file")
	}

	// The first goes on; once it stops, the file is free.
	if status, raw, err := send(client, http.MethodGet, first.base()+"/_emulator/oauth-clients", "", ""); err != nil || status != http.StatusOK || !bytes.Contains(raw, []byte(`"kept"`)) {
		t.Errorf("the first pdemu after the second's attempt: %d %s %v", status, raw, err)
	}
	if status := first.stop(t); status != 0 {
		t.Fatalf("SIGTERM: exit status %d\nstderr:\n%s", status, first.stderr)
	}
	third := startProc(t, bin, args...)
	if status, raw, err := send(client, http.MethodGet, third.base()+"/_emulator/oauth-clients", "", ""); err != nil || status != http.StatusOK || !bytes.Contains(raw, []byte(`"kept"`)) {
		t.Errorf("a pdemu started after the first stopped: %d %s %v", status, raw, err)
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// stateFileMagic starts a state file (statefile.Magic); a record is a
// 4-byte length, a 4-byte checksum, a kind byte and the payload.
const stateFileMagic = "pdemu-state-file/1\n"

// recordOffsets returns where each record of a state file starts, and
// where the last one ends.
func recordOffsets(t *testing.T, data []byte) (offsets []int, end int) {
	t.Helper()
	if !bytes.HasPrefix(data, []byte(stateFileMagic)) {
		t.Fatalf("not a state file: %q", data[:min(len(data), 40)])
	}
	off := len(stateFileMagic)
	for off < len(data) {
		offsets = append(offsets, off)
		n := int(data[off])<<24 | int(data[off+1])<<16 | int(data[off+2])<<8 | int(data[off+3])
		off += 9 + n
	}
	if off != len(data) {
		t.Fatalf("the last record runs past the end of the file")
	}
	return offsets, off
}

// killedStateFile returns a state file as SIGKILL leaves it: the snapshot
// written at the start, then one change record for each of the clients it
// names.
func killedStateFile(t *testing.T, bin string, clients ...string) []byte {
	t.Helper()
	file := filepath.Join(t.TempDir(), "pdemu.state")
	p := startProc(t, bin, "serve", "--addr", anyPort, "--state-file", file, "--freeze-clock")
	client := httpClient(t)
	for _, name := range clients {
		if status, raw, err := send(client, http.MethodPost, p.base()+"/_emulator/oauth-clients", "", `{"name":"`+name+`"}`); err != nil || status != http.StatusCreated {
			t.Fatalf("create: %d %s %v", status, raw, err)
		}
	}
	p.kill(t)
	data := readFile(t, file)
	if offsets, _ := recordOffsets(t, data); len(offsets) != 1+len(clients) {
		t.Fatalf("%d records, want a snapshot and %d changes", len(offsets), len(clients))
	}
	return data
}

// TestStateFileUnreadable starts pdemu on state files it cannot read: it
// must stop, name the file and the byte offset of the damage, and leave
// the file as it was, byte for byte.
func TestStateFileUnreadable(t *testing.T) {
	t.Parallel()
	bin := pdemuBinary(t)
	good := killedStateFile(t, bin, "one", "two")
	offsets, _ := recordOffsets(t, good)
	flip := func(at int) []byte {
		b := bytes.Clone(good)
		b[at] ^= 0x20
		return b
	}
	for _, tt := range []struct {
		name    string
		content []byte
		offset  int
	}{
		{"garbage", []byte("{\"this\": \"is not a state file\"}\n\x00\xff garbage"), 0},
		{"another format", append([]byte("pdemu-state-file/9\n"), good[len(stateFileMagic):]...), 0},
		{"a damaged snapshot", flip(offsets[0] + 9 + 20), offsets[0]},
		{"a damaged change with another after it", flip(offsets[1] + 9 + 5), offsets[1]},
		{"a length past the limit", func() []byte {
			b := bytes.Clone(good)
			b[offsets[1]] = 0x7f
			return b
		}(), offsets[1]},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			file := filepath.Join(t.TempDir(), "pdemu.state")
			if err := os.WriteFile(file, tt.content, 0o600); err != nil {
				t.Fatal(err)
			}
			p := launch(t, bin, "serve", "--addr", anyPort, "--state-file", file)
			status := p.wait(t)
			logs := p.stderr.String()
			if status == 0 {
				t.Errorf("exit status 0\nstderr:\n%s", logs)
			}
			if want := fmt.Sprintf("at byte %d", tt.offset); !strings.Contains(logs, file) || !strings.Contains(logs, want) {
				t.Errorf("stderr should name %s and say %q:\n%s", file, want, logs)
			}
			if p.out != "" {
				t.Errorf("it printed its export lines:\n%s", p.out)
			}
			if !bytes.Equal(readFile(t, file), tt.content) {
				t.Error("the state file was changed")
			}
		})
	}
}

// TestStateFileTornTail starts pdemu on a state file whose last record a
// crash cut short: the record (never acknowledged) is dropped and
// reported, and everything before it is there.
func TestStateFileTornTail(t *testing.T) {
	t.Parallel()
	bin := pdemuBinary(t)
	good := killedStateFile(t, bin, "one", "two")
	offsets, end := recordOffsets(t, good)
	last := good[offsets[len(offsets)-1]:end]
	if _, _, torn := tornTail(good); torn {
		t.Error("tornTail finds a torn record in a file that ends cleanly")
	}
	for _, tt := range []struct {
		name string
		torn []byte
	}{
		{"a cut header", last[:5]},
		{"a cut payload", last[:len(last)-3]},
		{"a bad checksum", append(bytes.Clone(last[:len(last)-1]), last[len(last)-1]^1)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			file := filepath.Join(t.TempDir(), "pdemu.state")
			content := append(bytes.Clone(good), tt.torn...)
			if off, n, torn := tornTail(content); !torn || off != end || n != len(tt.torn) {
				t.Errorf("tornTail = %d, %d, %v; want %d, %d, true", off, n, torn, end, len(tt.torn))
			}
			if err := os.WriteFile(file, content, 0o600); err != nil {
				t.Fatal(err)
			}
			p := startProc(t, bin, "serve", "--addr", anyPort, "--state-file", file)
			logs := p.stderr.String()
			if !strings.Contains(logs, "torn last record") || !strings.Contains(logs, fmt.Sprintf("offset=%d bytes=%d", end, len(tt.torn))) {
				t.Errorf("stderr should report the torn record at offset %d, %d bytes:\n%s", end, len(tt.torn), logs)
			}
			names := list(t, httpClient(t), p.base()+"/_emulator/oauth-clients", "", "name")
			if _, ok := names["one"]; !ok {
				t.Errorf("client one is lost: %v", names)
			}
			if _, ok := names["two"]; !ok {
				t.Errorf("client two is lost: %v", names)
			}
			if len(names) != 3 {
				t.Errorf("%d clients, want the seeded one, one and two", len(names))
			}
			// The next start has nothing torn to report.
			if status := p.stop(t); status != 0 {
				t.Fatalf("SIGTERM: exit status %d", status)
			}
			p = startProc(t, bin, "serve", "--addr", anyPort, "--state-file", file)
			if strings.Contains(p.stderr.String(), "torn") {
				t.Errorf("the torn record is reported again:\n%s", p.stderr)
			}
		})
	}
}
