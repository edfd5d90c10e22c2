package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/pdemu/pdemu/conformance/internal/wire"
)

// The emulator's whole state: GET and PUT /_emulator/state (a versioned
// document of everything but the journal) and named snapshots kept in
// memory (POST /_emulator/snapshots, …/{name}/restore, DELETE …/{name}).
//
// Exporting and taking a snapshot change nothing anyone sees, so any
// scenario may; a snapshot a scenario takes carries its random suffix and
// is deleted after it. Restoring a snapshot and importing a document
// (PUT /_emulator/state, accepted or not: a faulty target might take a
// document it should refuse) replace the whole state, every user's, and
// set the clock to the document's. So a scenario doing either must be
// @serial, and before its first such request the kit takes a snapshot of
// its own (the guard, "pdemu-conformance-guard-" and the scenario's
// suffix), which it restores after the scenario and then deletes: what
// the scenario replaced is back, and so is the clock, which the restore
// counts as a move (it is put back as every moved clock is). What another
// user of the server changed during the scenario is undone with it, as
// their requests during a moved clock met the moved clock.

// guardSnapshotPrefix names the snapshot the kit takes before a scenario
// first replaces the whole state.
const guardSnapshotPrefix = "pdemu-conformance-guard-"

// registerStateSteps adds the state and snapshot steps.
func registerStateSteps(s *steps) {
	s.add(`^a snapshot "([^"]*)" of the emulator$`, func(ctx context.Context, name string) error {
		w := worldFrom(ctx)
		name, err := w.ownSnapshotName(name)
		if err != nil {
			return err
		}
		b, _ := json.Marshal(map[string]string{"name": name})
		// Its deletion after the scenario is registered with its 201, as
		// for any POST /_emulator/snapshots of the scenario's.
		if err := w.do(ctx, http.MethodPost, "/_emulator/snapshots", "application/json", string(b)); err != nil {
			return err
		}
		if w.last.status != http.StatusCreated {
			return fmt.Errorf("could not take the snapshot %q; %s", name, w.last.describe())
		}
		return nil
	})
	s.add(`^I restore the snapshot "([^"]*)"$`, func(ctx context.Context, name string) error {
		w := worldFrom(ctx)
		name, err := w.ownSnapshotName(name)
		if err != nil {
			return err
		}
		return w.doRaw(ctx, http.MethodPost, snapshotPath(name)+"/restore", "", "")
	})
	s.add(`^I export the emulator's state$`, func(ctx context.Context) error {
		w := worldFrom(ctx)
		if !w.caps.Has("state") {
			return fmt.Errorf("%w (the capability state)", errNotEmulator)
		}
		if err := w.do(ctx, http.MethodGet, "/_emulator/state", "", ""); err != nil {
			return err
		}
		doc, err := stateDocument(w.last)
		if err != nil {
			return err
		}
		w.exported = doc
		return nil
	})
	s.add(`^the exported state shows none of the scenario's client secrets or access tokens$`, func(ctx context.Context) error {
		w := worldFrom(ctx)
		if w.exported == nil {
			return errNoExport
		}
		secrets := w.credentialSecrets()
		if len(secrets) == 0 {
			return fmt.Errorf("the scenario holds no client secret or access token to look for")
		}
		for _, sec := range secrets {
			if sec.in(string(w.exported)) {
				return fmt.Errorf("the exported state shows %s: a state document keeps a client's secret only as its hash, and no access token at all", sec.name)
			}
		}
		return nil
	})
	s.add(`^I put the exported state back$`, func(ctx context.Context) error {
		w := worldFrom(ctx)
		if w.exported == nil {
			return errNoExport
		}
		return w.doRaw(ctx, http.MethodPut, "/_emulator/state", "application/json", string(w.exported))
	})
	s.add(`^I put the exported state back with "([^"]*)" set to (.+)$`, func(ctx context.Context, path, value string) error {
		w := worldFrom(ctx)
		if w.exported == nil {
			return errNoExport
		}
		value, err := w.expand(value)
		if err != nil {
			return err
		}
		doc, err := setJSONPath(w.exported, path, value)
		if err != nil {
			return err
		}
		return w.doRaw(ctx, http.MethodPut, "/_emulator/state", "application/json", string(doc))
	})
	s.add(`^the emulator's state is the exported one$`, func(ctx context.Context) error {
		w := worldFrom(ctx)
		if w.exported == nil {
			return errNoExport
		}
		x, err := w.control(ctx, http.MethodGet, "/_emulator/state", "")
		if err != nil {
			return err
		}
		now, err := stateDocument(x)
		if err != nil {
			return err
		}
		return sameState(w.exported, now)
	})
}

var errNoExport = fmt.Errorf(`the scenario exported no state: start with "When I export the emulator's state"`)

// stateDocument returns the body of a GET /_emulator/state, which must be
// a whole JSON object.
func stateDocument(x *exchange) ([]byte, error) {
	if x.status != http.StatusOK {
		return nil, fmt.Errorf("could not export the state; %s", x.describe())
	}
	if len(x.body) >= maxBody {
		return nil, fmt.Errorf("the state document is larger than the kit reads (%d bytes)", maxBody)
	}
	if _, isObject := x.decoded.(map[string]any); !isObject {
		return nil, fmt.Errorf("the state document is not a JSON object; %s", x.describe())
	}
	return x.body, nil
}

// ownSnapshotName expands a snapshot name, which must carry the
// scenario's random suffix: snapshots are named in one namespace every
// user of the server shares.
func (w *world) ownSnapshotName(name string) (string, error) {
	if !w.caps.Has("state") {
		return "", fmt.Errorf("%w (the capability state)", errNotEmulator)
	}
	name, err := w.expand(name)
	if err != nil {
		return "", err
	}
	if !strings.Contains(name, w.unique) {
		return "", fmt.Errorf("the snapshot %q is not the scenario's own: put ${unique} in its name (every user of the server names snapshots in one namespace)", name)
	}
	return name, nil
}

func snapshotPath(name string) string { return "/_emulator/snapshots/" + url.PathEscape(name) }

// replacesState reports whether a request replaces the emulator's whole
// state: a snapshot's restore, or a state document's import.
func replacesState(method, path string) bool {
	path, _, _ = strings.Cut(path, "?")
	switch method {
	case http.MethodPut:
		return path == "/_emulator/state"
	case http.MethodPost:
		name, ok := strings.CutPrefix(path, "/_emulator/snapshots/")
		return ok && strings.Count(name, "/") == 1 && strings.HasSuffix(name, "/restore")
	}
	return false
}

// beforeOwnRequest is called before every request of the scenario's own
// steps: one that replaces the whole state needs a @serial scenario and
// the guard, and moves the clock.
func (w *world) beforeOwnRequest(ctx context.Context, method, path string) error {
	if !replacesState(method, path) || !w.caps.Has("state") {
		return nil
	}
	return w.stateWillBeReplaced(ctx)
}

// afterOwnRequest is called with the answer to every request of the
// scenario's own steps: a snapshot it took is deleted after it.
func (w *world) afterOwnRequest(method, path string, x *exchange) {
	path, _, _ = strings.Cut(path, "?")
	if method == http.MethodPost && path == "/_emulator/snapshots" && x.status == http.StatusCreated {
		if name := x.str("name"); name != "" {
			w.deleteSnapshotAfterwards(name)
		}
	}
}

// deleteSnapshotAfterwards deletes a snapshot the scenario took after it;
// a 404 means the scenario deleted it already.
func (w *world) deleteSnapshotAfterwards(name string) {
	w.cleanups.add("snapshot "+name, "the snapshot "+name, func(ctx context.Context) error {
		x, err := w.control(ctx, http.MethodDelete, snapshotPath(name), "")
		if x != nil && x.status == http.StatusNotFound {
			return nil
		}
		return err
	})
}

// stateWillBeReplaced is called before every request that replaces the
// emulator's whole state. The scenario must be @serial; the first such
// request registers the clock's return (the state brings its own clock)
// and takes the guard snapshot, restored and deleted after the scenario.
// The clock's return is registered first, so it runs after the guard's
// restore, whatever clock the guard held.
func (w *world) stateWillBeReplaced(ctx context.Context) error {
	if !w.scenario.HasTag("@serial") {
		return fmt.Errorf("this step replaces the emulator's whole state, which every user of the server shares (a scenario running meanwhile would lose what it made): tag the scenario @serial")
	}
	if w.cleanups.has("state guard") {
		return nil
	}
	if w.caps.Has("clock") {
		if err := w.clockWillMove(ctx); err != nil {
			return err
		}
	}
	name := guardSnapshotPrefix + w.unique
	b, _ := json.Marshal(map[string]string{"name": name})
	if _, err := w.control(ctx, http.MethodPost, "/_emulator/snapshots", string(b)); err != nil {
		return fmt.Errorf("could not take the snapshot that puts the state back after the scenario, so nothing was replaced: %w", err)
	}
	w.cleanups.add("state guard", "the emulator's whole state, as the scenario found it (the snapshot "+name+")", func(ctx context.Context) error {
		if _, err := w.control(ctx, http.MethodPost, snapshotPath(name)+"/restore", ""); err != nil {
			return fmt.Errorf("could not restore it, and left the snapshot on the server to restore by hand: %w", err)
		}
		x, err := w.control(ctx, http.MethodDelete, snapshotPath(name), "")
		if x != nil && x.status == http.StatusNotFound {
			return nil
		}
		if err != nil {
			return fmt.Errorf("restored it, but could not delete the snapshot: %w", err)
		}
		return nil
	})
	return nil
}

// credentialSecrets are the secrets the scenario holds that no state
// document may show: the clients' secrets (a document keeps their
// hashes), the control token and the access tokens (self-contained, never
// kept). Connect tokens and rate-limit tokens are not among them: the
// state keeps those, as a server must to recognise them.
func (w *world) credentialSecrets() []namedSecret {
	pairs := [][2]string{
		{"the configured client's secret", w.cfg.Client.ClientSecret},
		{"the second client's secret", w.cfg.SecondClient.ClientSecret},
		{"the control token", w.cfg.ControlToken},
		{"the created client's secret", w.createdClient.ClientSecret},
		{"the scenario's access token", w.accessToken},
		{"the access token of side requests", w.sideAccessToken},
	}
	for _, scope := range sortedKeys(w.scopedTokens) {
		pairs = append(pairs, [2]string{"the access token of scope " + scope, w.scopedTokens[scope]})
	}
	return collectSecrets(pairs)
}

// setJSONPath returns doc with the value at path (dotted, array indexes
// as numbers: "connect.projects.0.id") replaced by value, a JSON text.
// Numbers are kept as written, so that a 64-bit seed is not rounded.
func setJSONPath(doc []byte, path, value string) ([]byte, error) {
	root, err := wire.Decode(doc)
	if err != nil {
		return nil, fmt.Errorf("the exported state is not JSON: %w", err)
	}
	v, err := wire.Decode([]byte(value))
	if err != nil {
		return nil, fmt.Errorf("%s is not a JSON value: %w", value, err)
	}
	parts := strings.Split(path, ".")
	node := root
	for i, part := range parts {
		last := i == len(parts)-1
		switch n := node.(type) {
		case map[string]any:
			if last {
				n[part] = v
				break
			}
			next, ok := n[part]
			if !ok {
				return nil, fmt.Errorf("the exported state has no %s", strings.Join(parts[:i+1], "."))
			}
			node = next
		case []any:
			j, err := strconv.Atoi(part)
			if err != nil || j < 0 || j >= len(n) {
				return nil, fmt.Errorf("the exported state has no %s", strings.Join(parts[:i+1], "."))
			}
			if last {
				n[j] = v
				break
			}
			node = n[j]
		default:
			return nil, fmt.Errorf("the exported state has no %s: %s is not an object or a list", strings.Join(parts[:i+1], "."), strings.Join(parts[:i], "."))
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(root); err != nil {
		return nil, err
	}
	return bytes.TrimSpace(buf.Bytes()), nil
}

// shiftTolerance is how far apart two readings of a clock's shift may be
// and still be one: a shift travels as seconds in a float, so a document
// put back may come out a nanosecond off.
const shiftTolerance = 0.001

// sameState compares two state documents: equal, but for the instant of
// a clock that follows real time (time passed between the two readings),
// whose shift is compared instead. A difference is named by its path,
// never its values: a state document holds the signing key.
func sameState(want, got []byte) error {
	a, err := wire.Decode(want)
	if err != nil {
		return fmt.Errorf("the exported state is not JSON: %w", err)
	}
	b, err := wire.Decode(got)
	if err != nil {
		return fmt.Errorf("the state now is not JSON: %w", err)
	}
	ca, cb := clockOf(a), clockOf(b)
	if ca["frozen"] == false && cb["frozen"] == false {
		sa, okA := wire.Float(ca["shift_seconds"])
		sb, okB := wire.Float(cb["shift_seconds"])
		if okA && okB {
			if math.Abs(sa-sb) > shiftTolerance {
				return fmt.Errorf("the state differs from the exported one at clock.shift_seconds: the clock runs %gs ahead of real time, not %gs", sb, sa)
			}
			delete(ca, "now")
			delete(ca, "shift_seconds")
			delete(cb, "now")
			delete(cb, "shift_seconds")
		}
	}
	if p, differ := firstDifference(a, b, ""); differ {
		if p == "" {
			p = "its root"
		}
		return fmt.Errorf("the state differs from the exported one at %s", p)
	}
	return nil
}

// clockOf returns a document's clock object (an empty map if it has none).
func clockOf(doc any) map[string]any {
	if m, ok := doc.(map[string]any); ok {
		if c, ok := m["clock"].(map[string]any); ok {
			return c
		}
	}
	return map[string]any{}
}

// firstDifference returns the path (connect.projects[0].id) of the first
// place where a and b differ, in key order.
func firstDifference(a, b any, path string) (string, bool) {
	switch ta := a.(type) {
	case map[string]any:
		tb, ok := b.(map[string]any)
		if !ok {
			return path, true
		}
		keys := map[string]bool{}
		for k := range ta {
			keys[k] = true
		}
		for k := range tb {
			keys[k] = true
		}
		for _, k := range slices.Sorted(maps.Keys(keys)) {
			sub := k
			if path != "" {
				sub = path + "." + k
			}
			va, inA := ta[k]
			vb, inB := tb[k]
			if inA != inB {
				return sub, true
			}
			if p, differ := firstDifference(va, vb, sub); differ {
				return p, true
			}
		}
		return "", false
	case []any:
		tb, ok := b.([]any)
		if !ok {
			return path, true
		}
		for i := range min(len(ta), len(tb)) {
			if p, differ := firstDifference(ta[i], tb[i], fmt.Sprintf("%s[%d]", path, i)); differ {
				return p, true
			}
		}
		if len(ta) != len(tb) {
			return fmt.Sprintf("%s (%d items, not %d)", path, len(tb), len(ta)), true
		}
		return "", false
	}
	if a != b {
		return path, true
	}
	return "", false
}
