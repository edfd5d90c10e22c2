package statefile

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newFile(t *testing.T, snapshot string, changes ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "state")
	f, recs, rep, err := Open(path)
	require.NoError(t, err)
	require.True(t, rep.Created)
	require.Empty(t, recs)
	require.NoError(t, f.Compact([]byte(snapshot)))
	for _, c := range changes {
		require.NoError(t, f.Append([]byte(c)))
	}
	require.NoError(t, f.Sync())
	require.NoError(t, f.Close())
	return path
}

func payloads(recs []Record) []string {
	var out []string
	for _, r := range recs {
		out = append(out, string(r.Kind)+":"+string(r.Payload))
	}
	return out
}

func TestRoundTrip(t *testing.T) {
	path := newFile(t, "snap", "c1", "c2")
	f, recs, rep, err := Open(path)
	require.NoError(t, err)
	assert.Equal(t, []string{"S:snap", "C:c1", "C:c2"}, payloads(recs))
	assert.Equal(t, Report{}, rep)
	n, size := f.Changes()
	assert.Equal(t, 2, n)
	assert.Equal(t, int64(2*(headerLen+2)), size)

	require.NoError(t, f.Append([]byte("c3")))
	require.NoError(t, f.Sync())
	require.NoError(t, f.Compact([]byte("snap2")))
	require.NoError(t, f.Append([]byte("c4")))
	require.NoError(t, f.Sync())
	require.NoError(t, f.Close())

	f, recs, _, err = Open(path)
	require.NoError(t, err)
	defer f.Close()
	assert.Equal(t, []string{"S:snap2", "C:c4"}, payloads(recs), "compaction leaves the snapshot and what came after")
	info, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm(), "the file holds secrets")
	matches, _ := filepath.Glob(path + ".tmp-*")
	assert.Empty(t, matches, "no temporary file is left")
}

// TestTornTail cuts the last record at every byte and checks that the
// records before it survive, the cut is reported and removed, and the
// file takes appends again.
func TestTornTail(t *testing.T) {
	path := newFile(t, "snapshot", "first", "second-change")
	whole, err := os.ReadFile(path)
	require.NoError(t, err)
	last := len(whole) - (headerLen + len("second-change"))
	for cut := last + 1; cut < len(whole); cut++ {
		t.Run(fmt.Sprint(cut), func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "state")
			require.NoError(t, os.WriteFile(p, whole[:cut], 0o600))
			f, recs, rep, err := Open(p)
			require.NoError(t, err)
			assert.Equal(t, []string{"S:snapshot", "C:first"}, payloads(recs))
			assert.Equal(t, int64(cut-last), rep.TornBytes)
			assert.Equal(t, int64(last), rep.TornOffset)
			require.NoError(t, f.Append([]byte("after")))
			require.NoError(t, f.Close())
			_, recs, rep, err = Open(p)
			require.NoError(t, err)
			assert.Equal(t, []string{"S:snapshot", "C:first", "C:after"}, payloads(recs))
			assert.Zero(t, rep.TornBytes)
		})
	}
	// A whole last record with a bad checksum (zeros written by a crash).
	bad := bytes.Clone(whole)
	for i := len(bad) - 4; i < len(bad); i++ {
		bad[i] = 0
	}
	p := filepath.Join(t.TempDir(), "state")
	require.NoError(t, os.WriteFile(p, bad, 0o600))
	f, recs, rep, err := Open(p)
	require.NoError(t, err)
	f.Close()
	assert.Equal(t, []string{"S:snapshot", "C:first"}, payloads(recs))
	assert.Positive(t, rep.TornBytes)
}

func TestCorruptFilesAreRefusedAndLeftAlone(t *testing.T) {
	good := newFile(t, "snapshot", "first", "second")
	whole, err := os.ReadFile(good)
	require.NoError(t, err)
	flipMiddle := bytes.Clone(whole)
	flipMiddle[len(Magic)+headerLen+2] ^= 0xff // inside the snapshot, records follow
	changeFirst := append([]byte(Magic), frame(KindChange, []byte("x"))...)
	unknownKind := append(append([]byte(Magic), frame(KindSnapshot, []byte("s"))...), frame('Z', []byte("z"))...)
	unknownKind = append(unknownKind, frame(KindChange, []byte("c"))...)
	for name, tc := range map[string]struct {
		data   []byte
		offset int64
	}{
		"garbage":                  {[]byte("{\"not\": \"a state file\"}\n"), 0},
		"checksum mid-file":        {flipMiddle, int64(len(Magic))},
		"change before a snapshot": {changeFirst, int64(len(Magic))},
		"unknown kind":             {unknownKind, int64(len(Magic) + headerLen + 1)},
	} {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "state")
			require.NoError(t, os.WriteFile(p, tc.data, 0o600))
			_, _, _, err := Open(p)
			var ce *CorruptError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, tc.offset, ce.Offset)
			assert.Contains(t, err.Error(), p)
			after, rerr := os.ReadFile(p)
			require.NoError(t, rerr)
			assert.Equal(t, tc.data, after, "the file is not touched")
			f, _, _, err := Open(p + "-other") // the lock was released
			require.NoError(t, err)
			f.Close()
			g, _, _, err := Open(p)
			require.Error(t, err, "still refused")
			if g != nil {
				g.Close()
			}
		})
	}
}

func TestPartialMagicIsANewFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "state")
	require.NoError(t, os.WriteFile(p, []byte(Magic[:5]), 0o600))
	f, recs, rep, err := Open(p)
	require.NoError(t, err)
	defer f.Close()
	assert.Empty(t, recs)
	assert.True(t, rep.Created)
	assert.Equal(t, int64(5), rep.TornBytes)
}

func TestLock(t *testing.T) {
	path := newFile(t, "s")
	f, _, _, err := Open(path)
	require.NoError(t, err)
	_, _, _, err = Open(path)
	require.True(t, errors.Is(err, ErrLocked), "a second opener fails at once: %v", err)
	require.NoError(t, f.Close())
	g, _, _, err := Open(path)
	require.NoError(t, err, "closing releases the lock")
	require.NoError(t, g.Close())
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(Magic))
	f.Add(append([]byte(Magic), frame(KindSnapshot, []byte("s"))...))
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, good, torn, err := parse("fuzz", data)
		if err == nil && good+torn != int64(len(data)) && len(data) >= len(Magic) {
			t.Fatalf("good %d + torn %d != %d", good, torn, len(data))
		}
		_ = recs
	})
}

func TestOpenRemovesStaleTemps(t *testing.T) {
	path := newFile(t, "snap", "c1")
	dir := filepath.Dir(path)
	// What a crash in the middle of a compaction leaves, and files that
	// only look alike.
	for name, content := range map[string]string{
		"state.tmp-123": Magic + "half a snapshot", "state.tmp-456": "",
		"other.tmp-1": "keep", "state.tmp": "keep", "xstate.tmp-1": "keep",
	} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600))
	}
	f, recs, _, err := Open(path)
	require.NoError(t, err)
	defer f.Close()
	assert.Equal(t, []string{"S:snap", "C:c1"}, payloads(recs))
	var names []string
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		names = append(names, e.Name())
	}
	assert.ElementsMatch(t, []string{"state", "state.lock", "other.tmp-1", "state.tmp", "xstate.tmp-1"}, names)
}

func TestOpenKeepsTempsBesideAnUnreadableFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state")
	require.NoError(t, os.WriteFile(path, []byte("garbage"), 0o600))
	tmp := path + ".tmp-1"
	require.NoError(t, os.WriteFile(tmp, []byte(Magic), 0o600))
	_, _, _, err := Open(path)
	require.Error(t, err)
	assert.FileExists(t, tmp)
}
