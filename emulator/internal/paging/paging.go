// Package paging is Pipedream's list pagination, shared by every family the
// emulator lists: the limit/after/before request, the {data, page_info}
// answer, and opaque cursors that stay valid when earlier items go.
package paging

import (
	"encoding/base64"
	"sort"
	"strconv"

	"github.com/pdemu/pdemu/emulator/apperr"
)

// Pagination limits: Pipedream's REST API documents a default of 10 and a
// range of 1..100; the Connect API is silent, so pdemu uses the same.
const (
	DefaultLimit = 10
	MaxLimit     = 100
)

// Request is a list request's paging parameters.
type Request struct {
	Limit  int
	After  string // decoded cursor: items after this key
	Before string // decoded cursor: items before this key
}

// Parse reads the raw `limit`, `after` and `before` query values. An absent
// limit means DefaultLimit; anything outside 1..100, or a cursor this
// emulator did not make, is an invalid_request.
func Parse(limit, after, before string) (Request, error) {
	req := Request{Limit: DefaultLimit}
	if limit != "" {
		n, err := strconv.Atoi(limit)
		if err != nil || n < 1 || n > MaxLimit {
			return Request{}, apperr.ErrInvalid.WithMessage("limit must be an integer from 1 to %d", MaxLimit)
		}
		req.Limit = n
	}
	var err error
	if req.After, err = decodeCursor("after", after); err != nil {
		return Request{}, err
	}
	if req.Before, err = decodeCursor("before", before); err != nil {
		return Request{}, err
	}
	return req, nil
}

func (r Request) limit() int {
	if r.Limit <= 0 {
		return DefaultLimit
	}
	return r.Limit
}

// Cursor is the cursor of an item's sort key: its unpadded base64
// (Pipedream's own cursors are base64 of an item id). Keys, not positions,
// so a cursor stays meaningful when items before it are deleted.
func Cursor(key string) *string {
	s := base64.RawURLEncoding.EncodeToString([]byte(key))
	return &s
}

func decodeCursor(name, c string) (string, error) {
	if c == "" {
		return "", nil
	}
	for _, enc := range []*base64.Encoding{base64.RawURLEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.StdEncoding} {
		if b, err := enc.DecodeString(c); err == nil && len(b) > 0 {
			return string(b), nil
		}
	}
	return "", errNotACursor(name)
}

func errNotACursor(name string) error {
	return apperr.ErrInvalid.WithMessage("%s is not a cursor this server issued", name)
}

// SeqBounds reads the cursors of a list ordered by creation sequence (see
// SeqKey); 0 means no bound, as sequence numbers start at 1. Errors:
// invalid_request for a cursor of another list's kind.
func (r Request) SeqBounds() (after, before uint64, err error) {
	var ok bool
	if r.After != "" {
		if after, ok = ParseSeqKey(r.After); !ok {
			return 0, 0, errNotACursor("after")
		}
	}
	if r.Before != "" {
		if before, ok = ParseSeqKey(r.Before); !ok {
			return 0, 0, errNotACursor("before")
		}
	}
	return after, before, nil
}

// Info describes a page within its list: how many items it and the list
// hold, and the cursors of its first and last item. EndCursor is nil on the
// last page.
type Info struct {
	Count       int
	TotalCount  int
	StartCursor *string
	EndCursor   *string
}

// Page is one page of a list.
type Page[T any] struct {
	Data     []T
	PageInfo Info
}

// Map turns a page of one type into a page of another, item by item.
func Map[T, U any](p Page[T], f func(T) U) Page[U] {
	out := Page[U]{Data: make([]U, len(p.Data)), PageInfo: p.PageInfo}
	for i, v := range p.Data {
		out.Data[i] = f(v)
	}
	return out
}

// Slice cuts one page out of items, which must be sorted by key ascending
// with unique keys. With After it returns the first Limit items past the
// cursor; with Before, the last Limit items before it (the page preceding
// it); with both, items strictly between. It suits short lists sorted on
// demand (catalogs); families that grow are kept in a seqset.Set instead.
func Slice[T any](items []T, key func(T) string, req Request) Page[T] {
	lo, hi := 0, len(items)
	if req.After != "" {
		lo = sort.Search(len(items), func(i int) bool { return key(items[i]) > req.After })
	}
	if req.Before != "" {
		hi = sort.Search(len(items), func(i int) bool { return key(items[i]) >= req.Before })
	}
	if hi < lo {
		hi = lo
	}
	limit := req.limit()
	if hi-lo > limit {
		if req.Before != "" && req.After == "" {
			lo = hi - limit
		} else {
			hi = lo + limit
		}
	}
	page := Page[T]{Data: append(make([]T, 0, hi-lo), items[lo:hi]...)}
	page.PageInfo = Info{Count: hi - lo, TotalCount: len(items)}
	if hi > lo {
		page.PageInfo.StartCursor = Cursor(key(items[lo]))
		if hi < len(items) {
			page.PageInfo.EndCursor = Cursor(key(items[hi-1]))
		}
	}
	return page
}

// SeqKey turns a creation sequence number into a sort key that orders as
// the number does (fixed width: the top bit is always set).
func SeqKey(seq uint64) string { return strconv.FormatUint(seq|1<<63, 16) }

// ParseSeqKey is SeqKey's inverse; it refuses any other string.
func ParseSeqKey(key string) (uint64, bool) {
	if len(key) != 16 {
		return 0, false
	}
	n, err := strconv.ParseUint(key, 16, 64)
	if err != nil || n&(1<<63) == 0 {
		return 0, false
	}
	return n &^ (1 << 63), true
}
