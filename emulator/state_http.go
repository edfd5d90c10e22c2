package emulator

import (
	"encoding/json"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/pdemu/pdemu/emulator/apperr"
	"github.com/pdemu/pdemu/emulator/internal/names"
)

// State on the control plane: GET and PUT /_emulator/state, and named
// snapshots in memory (/_emulator/snapshots).

// MaxStateBytes bounds a state document PUT /_emulator/state reads: far
// more than the request bodies of the API, which stay at WithMaxBodyBytes.
const MaxStateBytes = 256 << 20

// MaxSnapshots bounds how many snapshots an emulator keeps at once.
const MaxSnapshots = 100

// snapshots are the named states kept in memory. A snapshot is a document
// (every part a deep copy), so restoring it never shares a record with the
// live state.
type snapshots struct {
	mu   sync.Mutex
	byID map[string]*snapshot
	seq  uint64 // orders them: the emulator clock may stand still or go back
}

type snapshot struct {
	doc       stateDoc
	createdAt time.Time
	seq       uint64
}

// SnapshotInfo describes a snapshot.
type SnapshotInfo struct {
	Name string
	// CreatedAt is the emulator clock when it was taken.
	CreatedAt time.Time
}

func (e *Emulator) getState(*http.Request, *call) (response, error) {
	// The handler runs with resetMu held for writing (the row is
	// exclusive), so the parts are exported at one instant.
	return ok(e.exportLocked())
}

func (e *Emulator) putState(r *http.Request, _ *call) (response, error) {
	raw, err := bodyBytes(r)
	if err != nil {
		return response{}, bodyError(err)
	}
	doc, err := decodeDoc(raw)
	if err != nil {
		return response{}, err
	}
	if err := e.validateDoc(doc); err != nil {
		return response{}, err
	}
	if err := e.importLocked(doc); err != nil {
		return response{}, err
	}
	e.reseedFrom(raw)
	return ok(map[string]any{"status": "ok", "clock": e.clockJSON()})
}

func snapshotJSON(s SnapshotInfo) map[string]any {
	return map[string]any{"name": s.Name, "created_at": s.CreatedAt.UTC().Format(time.RFC3339Nano)}
}

func (e *Emulator) createSnapshot(r *http.Request, _ *call) (response, error) {
	var body struct {
		Name string `json:"name"`
	}
	if err := decodeStrictJSON(r, &body); err != nil {
		return response{}, err
	}
	info, err := e.snapshotLocked(body.Name)
	if err != nil {
		return response{}, err
	}
	return created(snapshotJSON(info))
}

func (e *Emulator) listSnapshots(*http.Request, *call) (response, error) {
	list := e.Snapshots()
	out := make([]map[string]any, len(list))
	for i, s := range list {
		out[i] = snapshotJSON(s)
	}
	return ok(map[string]any{"data": out})
}

func (e *Emulator) restoreSnapshot(_ *http.Request, c *call) (response, error) {
	info, err := e.restoreLocked(c.vars["name"])
	if err != nil {
		return response{}, err
	}
	return ok(map[string]any{"name": info.Name, "created_at": info.CreatedAt.UTC().Format(time.RFC3339Nano), "clock": e.clockJSON()})
}

func (e *Emulator) deleteSnapshot(_ *http.Request, c *call) (response, error) {
	if err := e.DeleteSnapshot(c.vars["name"]); err != nil {
		return response{}, err
	}
	return noContent()
}

// snapshotLocked takes a snapshot; the caller holds resetMu for writing.
func (e *Emulator) snapshotLocked(name string) (SnapshotInfo, error) {
	if err := names.Validate("snapshot", name); err != nil {
		return SnapshotInfo{}, err
	}
	e.snaps.mu.Lock()
	defer e.snaps.mu.Unlock()
	if _, taken := e.snaps.byID[name]; taken {
		return SnapshotInfo{}, apperr.ErrConflict.WithMessage("snapshot %q exists; delete it first", name)
	}
	if len(e.snaps.byID) >= MaxSnapshots {
		return SnapshotInfo{}, apperr.Limit("snapshots", MaxSnapshots, "snapshots")
	}
	if e.snaps.byID == nil {
		e.snaps.byID = map[string]*snapshot{}
	}
	e.snaps.seq++
	s := &snapshot{doc: e.exportLocked(), createdAt: e.clock.Now(), seq: e.snaps.seq}
	e.snaps.byID[name] = s
	return SnapshotInfo{Name: name, CreatedAt: s.createdAt}, nil
}

// restoreLocked restores a snapshot; the caller holds resetMu for writing.
// The snapshot stays, so it can be restored again.
func (e *Emulator) restoreLocked(name string) (SnapshotInfo, error) {
	e.snaps.mu.Lock()
	s, ok := e.snaps.byID[name]
	e.snaps.mu.Unlock()
	if !ok {
		return SnapshotInfo{}, apperr.ErrNotFound.WithMessage("no snapshot %q", name)
	}
	// A snapshot's document is restored through a copy: importing hands
	// its records to the live state, which must not share them with the
	// snapshot kept for the next restore.
	raw, err := json.Marshal(&s.doc)
	if err != nil {
		return SnapshotInfo{}, err
	}
	doc, err := decodeDoc(raw)
	if err != nil {
		return SnapshotInfo{}, err
	}
	if err := e.importLocked(doc); err != nil {
		return SnapshotInfo{}, err
	}
	// A seeded generator may stand (after a reset) where it stood before
	// it drew the ids the snapshot holds: move it to a stream of its own.
	e.reseedFrom(raw)
	return SnapshotInfo{Name: name, CreatedAt: s.createdAt}, nil
}

// sortedSnapshots lists the snapshots in the order they were taken.
func (e *Emulator) sortedSnapshots() []SnapshotInfo {
	e.snaps.mu.Lock()
	defer e.snaps.mu.Unlock()
	type taken struct {
		info SnapshotInfo
		seq  uint64
	}
	all := make([]taken, 0, len(e.snaps.byID))
	for name, s := range e.snaps.byID {
		all = append(all, taken{SnapshotInfo{Name: name, CreatedAt: s.createdAt}, s.seq})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].seq < all[j].seq })
	out := make([]SnapshotInfo, len(all))
	for i, t := range all {
		out[i] = t.info
	}
	return out
}
