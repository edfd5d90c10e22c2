// Package statefile keeps pdemu's state on disk so that no acknowledged
// write is ever lost and a bad file never destroys good data.
//
// A state file is a magic line followed by records. Each record is framed
// as a 4-byte big-endian payload length, a 4-byte CRC-32C of the kind and
// payload, a kind byte and the payload. The first record is a snapshot
// (the whole state); the records after it are changes, appended and synced
// one by one. Now and then the file is compacted: a new file holding one
// snapshot is written beside it, synced, and renamed over it, so that at
// every instant the path names a complete file.
//
// Reading tells a torn tail from corruption: a last record cut short, or
// whose checksum fails with nothing after it, is what a crash in the
// middle of an append leaves, and is discarded (the write it held was
// never acknowledged); a bad record with data after it, a wrong magic line
// or a file whose first record is not a snapshot is corruption, and Open
// refuses it, naming the offset, without changing a byte of it.
//
// One process at a time: Open takes an exclusive lock on PATH.lock, held
// until Close, and a second Open fails at once.
package statefile

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Magic starts every state file; its version changes with the framing.
const Magic = "pdemu-state-file/1\n"

// Record kinds.
const (
	KindSnapshot byte = 'S'
	KindChange   byte = 'C'
)

// MaxRecord bounds one record's payload, so that a corrupt length cannot
// make a reader allocate gigabytes.
const MaxRecord = 1 << 30

const headerLen = 9 // length, checksum, kind

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// Record is one record read back.
type Record struct {
	Kind    byte
	Payload []byte
	// Offset is where the record starts in the file.
	Offset int64
}

// Report says what Open found beyond the records.
type Report struct {
	// Created is true when the file did not exist, was empty, or was cut
	// before its first snapshot: it holds no records until Compact writes
	// a snapshot.
	Created bool
	// TornBytes is how many bytes of a torn last record were discarded
	// (0 when the file ended cleanly), and TornOffset where they began.
	TornBytes  int64
	TornOffset int64
}

// CorruptError is a state file Open will not read, and leaves untouched.
type CorruptError struct {
	Path   string
	Offset int64
	Reason string
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("%s: not a readable pdemu state file at byte %d: %s; pdemu will not overwrite it (move it away to start afresh)", e.Path, e.Offset, e.Reason)
}

// ErrLocked is returned by Open when another process holds the file.
var ErrLocked = errors.New("state file is in use by another pdemu process")

// File is an open state file, locked for this process.
type File struct {
	path string
	lock *os.File
	f    *os.File // opened for appending
	size int64
	// changes counts the change records since the last snapshot.
	changes int
	// logBytes is their size.
	logBytes int64
}

// Open locks path and reads it: the records of a valid file (a snapshot
// first), or none for a file that does not exist yet or is empty (which
// Open creates; write a snapshot with Compact before serving). A torn last
// record is cut off the file and reported. Errors: ErrLocked (wrapped, with
// the path), *CorruptError, or the I/O error.
func Open(path string) (*File, []Record, Report, error) {
	var rep Report
	lock, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, nil, rep, err
	}
	if err := lockFile(lock); err != nil {
		lock.Close()
		if errors.Is(err, ErrLocked) {
			return nil, nil, rep, fmt.Errorf("%s: %w", path, ErrLocked)
		}
		return nil, nil, rep, fmt.Errorf("%s: lock: %w", path, err)
	}
	fail := func(err error) (*File, []Record, Report, error) {
		unlockFile(lock)
		lock.Close()
		return nil, nil, rep, err
	}
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist), err == nil && len(data) == 0:
		rep.Created = true
		data = nil
	case err != nil:
		return fail(err)
	}
	var recs []Record
	good := int64(0)
	if !rep.Created {
		recs, good, rep.TornBytes, err = parse(path, data)
		if err != nil {
			return fail(err)
		}
		if rep.TornBytes > 0 {
			rep.TornOffset = good
		}
	}
	removeStaleTemps(path)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fail(err)
	}
	if rep.TornBytes > 0 {
		// Only the torn record goes: it was never acknowledged.
		if err := f.Truncate(good); err != nil {
			f.Close()
			return fail(err)
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return fail(err)
		}
	}
	if _, err := f.Seek(good, io.SeekStart); err != nil {
		f.Close()
		return fail(err)
	}
	// A file that never got past its magic line holds nothing acknowledged.
	rep.Created = len(recs) == 0
	sf := &File{path: path, lock: lock, f: f, size: good}
	for _, r := range recs {
		if r.Kind == KindChange {
			sf.changes++
			sf.logBytes += int64(headerLen + len(r.Payload))
		}
	}
	return sf, recs, rep, nil
}

// parse reads the records of a whole file. It returns the records, the
// length of the good prefix and how many bytes of a torn tail follow it.
func parse(path string, data []byte) ([]Record, int64, int64, error) {
	corrupt := func(off int64, format string, args ...any) error {
		return &CorruptError{Path: path, Offset: off, Reason: fmt.Sprintf(format, args...)}
	}
	if len(data) < len(Magic) || string(data[:len(Magic)]) != Magic {
		if len(data) < len(Magic) && string(data) == Magic[:len(data)] {
			// A crash while the magic line itself was being written: the
			// file never held a snapshot, so nothing was acknowledged.
			return nil, 0, int64(len(data)), nil
		}
		return nil, 0, 0, corrupt(0, "it does not start with %q", Magic[:len(Magic)-1])
	}
	var recs []Record
	off := int64(len(Magic))
	for off < int64(len(data)) {
		rest := data[off:]
		if len(rest) < headerLen {
			return recs, off, int64(len(rest)), nil // torn header
		}
		n := binary.BigEndian.Uint32(rest[0:4])
		sum := binary.BigEndian.Uint32(rest[4:8])
		kind := rest[8]
		if n > MaxRecord {
			if off+headerLen >= int64(len(data)) {
				return recs, off, int64(len(rest)), nil
			}
			return nil, 0, 0, corrupt(off, "a record claims %d bytes", n)
		}
		end := off + headerLen + int64(n)
		if end > int64(len(data)) {
			return recs, off, int64(len(rest)), nil // torn payload
		}
		payload := rest[headerLen : headerLen+int(n)]
		if checksum(kind, payload) != sum {
			if end == int64(len(data)) {
				return recs, off, int64(len(rest)), nil // the last record, half written
			}
			return nil, 0, 0, corrupt(off, "a record's checksum does not match, and records follow it")
		}
		if kind != KindSnapshot && kind != KindChange {
			return nil, 0, 0, corrupt(off, "unknown record kind %q", kind)
		}
		if len(recs) == 0 && kind != KindSnapshot {
			return nil, 0, 0, corrupt(off, "the first record is not a snapshot")
		}
		recs = append(recs, Record{Kind: kind, Payload: payload, Offset: off})
		off = end
	}
	return recs, off, 0, nil
}

func checksum(kind byte, payload []byte) uint32 {
	c := crc32.Update(0, crcTable, []byte{kind})
	return crc32.Update(c, crcTable, payload)
}

func frame(kind byte, payload []byte) []byte {
	b := make([]byte, headerLen, headerLen+len(payload))
	binary.BigEndian.PutUint32(b[0:4], uint32(len(payload)))
	binary.BigEndian.PutUint32(b[4:8], checksum(kind, payload))
	b[8] = kind
	return append(b, payload...)
}

// Append writes a change record in one write. It does not sync: call Sync
// before acknowledging the change (several appends may share one sync).
func (f *File) Append(payload []byte) error {
	if len(payload) > MaxRecord {
		return fmt.Errorf("state file: a change of %d bytes is larger than %d", len(payload), MaxRecord)
	}
	b := frame(KindChange, payload)
	if _, err := f.f.Write(b); err != nil {
		return err
	}
	f.size += int64(len(b))
	f.changes++
	f.logBytes += int64(len(b))
	return nil
}

// Sync makes every record appended so far durable.
func (f *File) Sync() error { return f.f.Sync() }

// Changes reports how many change records follow the snapshot, and their
// size: what a restart replays, and what compaction would drop.
func (f *File) Changes() (int, int64) { return f.changes, f.logBytes }

// Compact replaces the file with one holding snapshot alone: written to a
// temporary file beside it, synced, renamed over it, and the directory
// synced, so that a crash at any point leaves either the old file or the
// new one whole.
func (f *File) Compact(snapshot []byte) error {
	if len(snapshot) > MaxRecord {
		return fmt.Errorf("state file: a snapshot of %d bytes is larger than %d", len(snapshot), MaxRecord)
	}
	tmp, err := replace(f.path, func(w *bufio.Writer) {
		_, _ = w.WriteString(Magic)
		_, _ = w.Write(frame(KindSnapshot, snapshot))
	})
	if err != nil {
		return err
	}
	old := f.f
	f.f = tmp
	f.size = int64(len(Magic) + headerLen + len(snapshot))
	f.changes, f.logBytes = 0, 0
	return old.Close()
}

// removeStaleTemps removes the temporary files of compactions a crash cut
// short, which nothing else would: each holds a whole snapshot (the
// signing key, the seeded client's secret). Open calls it holding the lock
// (where there are locks), so no compaction is under way, and only once
// the file has read well: a temporary file that was never renamed holds
// nothing that file does not, while beside a file Open refuses it is left,
// as everything is. Errors are ignored: a file left is litter, not harm.
func removeStaleTemps(path string) {
	dir, prefix := filepath.Dir(path), filepath.Base(path)+".tmp-"
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), prefix) && e.Type().IsRegular() {
			_ = os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

// WriteFileAtomic writes data to path so that path names either its old
// content or all of data, never a part, private to its owner: what a
// compaction does, for a state document (pdemu serve --export-on-exit).
func WriteFileAtomic(path string, data []byte) error {
	f, err := replace(path, func(w *bufio.Writer) { _, _ = w.Write(data) })
	if err != nil {
		return err
	}
	return f.Close()
}

// replace writes a temporary file beside path with write, makes it
// private, syncs it, renames it over path and syncs the directory, so a
// crash at any point leaves either the old file or the new one whole. It
// returns the new file, open for appending.
func replace(path string, write func(*bufio.Writer)) (*os.File, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name()) // a no-op after the rename
	fail := func(err error) (*os.File, error) {
		tmp.Close()
		return nil, err
	}
	w := bufio.NewWriter(tmp)
	write(w)
	if err := w.Flush(); err != nil {
		return fail(err)
	}
	if err := tmp.Chmod(0o600); err != nil {
		return fail(err)
	}
	if err := tmp.Sync(); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fail(err)
	}
	if err := syncDir(filepath.Dir(path)); err != nil {
		return fail(err)
	}
	return tmp, nil
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Path is the file's path.
func (f *File) Path() string { return f.path }

// Close closes the file and releases the lock.
func (f *File) Close() error {
	err := f.f.Close()
	unlockFile(f.lock)
	if cerr := f.lock.Close(); err == nil {
		err = cerr
	}
	return err
}
