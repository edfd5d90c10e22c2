// Package journal is the request journal: a bounded ring of the requests
// an emulator answered, newest first, that tests and people read to see
// what a client really sent. Recording must cost next to nothing on the
// hot path, so an entry keeps the bytes it was given as they are; callers
// redact secrets when they show an entry (see package redact), and record
// only what may be kept (the HTTP layer bounds bodies).
package journal

import (
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pdemu/pdemu/emulator/apperr"
	"github.com/pdemu/pdemu/emulator/internal/glob"
	"github.com/pdemu/pdemu/emulator/internal/paging"
)

// DefaultSize is how many entries a journal keeps unless told otherwise.
const DefaultSize = 10_000

// MaxSize bounds the size a journal may be given.
const MaxSize = 1_000_000

// DefaultMaxBytes bounds the bytes of the bodies and headers a journal
// keeps in all: past it the oldest entries go first, as past the entry
// count.
const DefaultMaxBytes = 64 << 20

// Message is one side of an exchange: its headers and (a prefix of) its
// body.
type Message struct {
	// Header holds the headers as received or sent, redacted.
	Header Header
	// Body is at most the recorder's bound; BodySize is the whole length
	// (-1 when unknown) and Truncated says Body is only its start.
	Body      []byte
	BodySize  int64
	Truncated bool
}

// Entry is one recorded request and its answer.
type Entry struct {
	// Seq numbers entries from 1 in the order they were recorded; the id
	// and the cursors come from it.
	Seq            uint64
	At             time.Time // the emulator clock when the request arrived
	Method         string
	Path           string // already redacted (it can hold a Connect token)
	Query          string // raw query, already redacted
	Route          string // "" when no route matched
	Status         int
	Error          string // the error code of an error answer
	Duration       time.Duration
	ClientID       string
	TokenKind      string // "oauth", "connect" or "none"
	ExternalUserID string
	FaultID        string
	// NearMisses names the routes closest to an unmatched request.
	NearMisses []string
	Request    Message
	Response   Message
}

// ID is the entry's id on the wire.
func (e *Entry) ID() string { return "req_" + strconv.FormatUint(e.Seq, 10) }

// bytes is what the entry weighs against the byte bound: its bodies and
// its headers (a client can send a megabyte of headers).
func (e *Entry) bytes() int {
	return len(e.Request.Body) + len(e.Response.Body) + len(e.Request.Header) + len(e.Response.Header)
}

// Journal is a ring of entries, safe for concurrent use. Its zero value
// records nothing.
type Journal struct {
	mu       sync.Mutex
	ring     []Entry // capacity is the size; grows up to it
	head     int     // index of the oldest entry once full
	n        int
	seq      uint64
	dropped  uint64
	bytes    int
	size     int
	maxBytes int
}

// New returns a journal of size entries and at most maxBytes of bodies
// (DefaultMaxBytes when <= 0). A size of 0 records nothing.
func New(size, maxBytes int) *Journal {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	return &Journal{size: size, maxBytes: maxBytes}
}

// Enabled reports whether the journal records anything.
func (j *Journal) Enabled() bool { return j != nil && j.size > 0 }

// Size is how many entries the journal keeps at most.
func (j *Journal) Size() int {
	if j == nil {
		return 0
	}
	return j.size
}

// Add records e, numbering it, and drops the oldest entries past the
// bounds. It keeps e's slices and maps: the caller must not change them.
func (j *Journal) Add(e Entry) {
	if !j.Enabled() {
		return
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	j.seq++
	e.Seq = j.seq
	for j.n > 0 && (j.n == j.size || j.bytes+e.bytes() > j.maxBytes) {
		j.dropOldest()
	}
	if len(j.ring) < j.size && j.n == len(j.ring) {
		j.ring = append(j.ring, e) // still growing: the ring is the slice
	} else {
		j.ring[(j.head+j.n)%len(j.ring)] = e
	}
	j.n++
	j.bytes += e.bytes()
}

func (j *Journal) dropOldest() {
	old := &j.ring[j.head]
	j.bytes -= old.bytes()
	*old = Entry{} // let its bodies go
	j.head = (j.head + 1) % len(j.ring)
	j.n--
	j.dropped++
}

// Stats describes the journal.
type Stats struct {
	Size     int    // entries kept at most
	Len      int    // entries kept now
	Recorded uint64 // entries ever recorded
	Dropped  uint64 // entries dropped to make room
}

// Stats returns the journal's counters.
func (j *Journal) Stats() Stats {
	if !j.Enabled() {
		return Stats{}
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	return Stats{Size: j.size, Len: j.n, Recorded: j.seq, Dropped: j.dropped}
}

// Clear empties the journal. Numbering goes on, so an id is never reused,
// and the dropped count is kept: entries cleared on purpose were not lost.
func (j *Journal) Clear() {
	if !j.Enabled() {
		return
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	clear(j.ring)
	j.ring = j.ring[:0]
	j.head, j.n, j.bytes = 0, 0, 0
}

// Filter selects entries. Zero fields select everything.
type Filter struct {
	Method         string       // exact, case-insensitive
	Route          glob.Pattern // over route names: "projects.list", "accounts.*"
	PathPrefix     string
	Status         int // exact status, or
	StatusClass    int // 4 for any 4xx
	ClientID       string
	ExternalUserID string
	Since          time.Time // entries at or after
	FaultsOnly     bool      // only entries a fault answered
	UnmatchedOnly  bool      // only entries no route matched
}

// ParseStatus reads a status filter: "429" or "4xx".
func ParseStatus(s string) (status, class int, err error) {
	if len(s) == 3 && (s[1:] == "xx" || s[1:] == "XX") && s[0] >= '1' && s[0] <= '5' {
		return 0, int(s[0] - '0'), nil
	}
	n, convErr := strconv.Atoi(s)
	if convErr != nil || n < 100 || n > 599 {
		return 0, 0, apperr.ErrInvalid.WithMessage("status must be an HTTP status such as 429, or a class such as 4xx")
	}
	return n, 0, nil
}

// Match reports whether f selects e.
func (f *Filter) Match(e *Entry) bool {
	switch {
	case f.Method != "" && !strings.EqualFold(f.Method, e.Method),
		!f.Route.IsZero() && !f.Route.Match(e.Route),
		f.PathPrefix != "" && !strings.HasPrefix(e.Path, f.PathPrefix),
		f.Status != 0 && f.Status != e.Status,
		f.StatusClass != 0 && f.StatusClass != e.Status/100,
		f.ClientID != "" && f.ClientID != e.ClientID,
		f.ExternalUserID != "" && f.ExternalUserID != e.ExternalUserID,
		!f.Since.IsZero() && e.At.Before(f.Since),
		f.FaultsOnly && e.FaultID == "",
		f.UnmatchedOnly && e.Route != "":
		return false
	}
	return true
}

// each calls fn for every entry, newest first, until fn returns false. The
// caller holds j.mu.
func (j *Journal) each(fn func(*Entry) bool) {
	for i := j.n - 1; i >= 0; i-- {
		if !fn(&j.ring[(j.head+i)%len(j.ring)]) {
			return
		}
	}
}

// All returns the entries f selects, newest first.
func (j *Journal) All(f Filter) []Entry {
	if !j.Enabled() {
		return nil
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	var out []Entry
	j.each(func(e *Entry) bool {
		if f.Match(e) {
			out = append(out, *e)
		}
		return true
	})
	return out
}

// Count returns how many entries f selects.
func (j *Journal) Count(f Filter) int {
	if !j.Enabled() {
		return 0
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	n := 0
	j.each(func(e *Entry) bool {
		if f.Match(e) {
			n++
		}
		return true
	})
	return n
}

// Page returns one page of the entries f selects, newest first, as the
// API's lists page: after a cursor come older entries, before one newer
// entries. Cursors are the entries' sequence numbers (paging.SeqKey), so
// they stay valid as entries are added and dropped. Errors: invalid_request
// for a cursor of another list.
func (j *Journal) Page(f Filter, req paging.Request) (paging.Page[Entry], error) {
	after, before, err := req.SeqBounds()
	if err != nil {
		return paging.Page[Entry]{}, err
	}
	limit := req.Limit
	if limit <= 0 {
		limit = paging.DefaultLimit
	}
	if !j.Enabled() {
		return paging.Page[Entry]{Data: []Entry{}}, nil
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	// Newest first: "after" a cursor is older (a smaller sequence number),
	// "before" it newer. With before alone, the page is the entries just
	// newer than the cursor, so the walk goes from the oldest side.
	var (
		matched  []Entry
		total    int
		more     bool
		fromOld  = before != 0 && after == 0
		inWindow = func(e *Entry) bool {
			return (after == 0 || e.Seq < after) && (before == 0 || e.Seq > before)
		}
	)
	visit := func(e *Entry) bool {
		if !f.Match(e) {
			return true
		}
		total++
		if !inWindow(e) {
			return true
		}
		if len(matched) < limit {
			matched = append(matched, *e)
		} else {
			more = true
		}
		return true
	}
	if fromOld {
		for i := 0; i < j.n; i++ {
			visit(&j.ring[(j.head+i)%len(j.ring)])
		}
		for l, r := 0, len(matched)-1; l < r; l, r = l+1, r-1 {
			matched[l], matched[r] = matched[r], matched[l]
		}
	} else {
		j.each(visit)
	}
	page := paging.Page[Entry]{Data: matched, PageInfo: paging.Info{Count: len(matched), TotalCount: total}}
	if matched == nil {
		page.Data = []Entry{}
	}
	if len(matched) > 0 {
		page.PageInfo.StartCursor = paging.Cursor(paging.SeqKey(matched[0].Seq))
		last := matched[len(matched)-1].Seq
		// An end cursor only when older entries remain: the SDK's pager
		// stops at a null one.
		if (fromOld && hasOlder(j, f, last)) || (!fromOld && more) {
			page.PageInfo.EndCursor = paging.Cursor(paging.SeqKey(last))
		}
	}
	return page, nil
}

// hasOlder reports whether an entry older than seq matches f. The caller
// holds j.mu.
func hasOlder(j *Journal, f Filter, seq uint64) bool {
	found := false
	j.each(func(e *Entry) bool {
		if e.Seq < seq && f.Match(e) {
			found = true
			return false
		}
		return true
	})
	return found
}
