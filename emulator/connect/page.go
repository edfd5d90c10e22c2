package connect

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

// PageRequest is a list request's paging parameters.
type PageRequest struct {
	Limit  int
	After  string // opaque cursor: items after it
	Before string // opaque cursor: items before it
}

// ParsePageRequest reads the raw `limit`, `after` and `before` query values.
// An absent limit means DefaultLimit; anything outside 1..100, or a cursor
// this emulator did not make, is an invalid_request.
func ParsePageRequest(limit, after, before string) (PageRequest, error) {
	req := PageRequest{Limit: DefaultLimit}
	if limit != "" {
		n, err := strconv.Atoi(limit)
		if err != nil || n < 1 || n > MaxLimit {
			return PageRequest{}, apperr.ErrInvalid.WithMessage("limit must be an integer from 1 to %d", MaxLimit)
		}
		req.Limit = n
	}
	var err error
	if req.After, err = decodeCursor("after", after); err != nil {
		return PageRequest{}, err
	}
	if req.Before, err = decodeCursor("before", before); err != nil {
		return PageRequest{}, err
	}
	return req, nil
}

// A cursor is the unpadded base64 of an item's sort key (Pipedream's own
// cursors are base64 of an item id). Keys, not positions, so a cursor stays
// meaningful when items before it are deleted.
func encodeCursor(key string) *string {
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
	return "", apperr.ErrInvalid.WithMessage("%s is not a cursor this server issued", name)
}

// PageInfo is Pipedream's page_info object. EndCursor is null on the last
// page: the SDK's pager stops there.
type PageInfo struct {
	Count       int     `json:"count"`
	TotalCount  int     `json:"total_count"`
	StartCursor *string `json:"start_cursor"`
	EndCursor   *string `json:"end_cursor"`
}

// Page is one page of a list, in Pipedream's {data, page_info} shape.
type Page[T any] struct {
	Data     []T      `json:"data"`
	PageInfo PageInfo `json:"page_info"`
}

// Paginate cuts one page out of items, which must be sorted by key
// ascending with unique keys. With After it returns the first Limit items
// past the cursor; with Before, the last Limit items before it (the page
// preceding it); with both, items strictly between.
func Paginate[T any](items []T, key func(T) string, req PageRequest) Page[T] {
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
	limit := req.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	if hi-lo > limit {
		if req.Before != "" && req.After == "" {
			lo = hi - limit
		} else {
			hi = lo + limit
		}
	}
	page := Page[T]{Data: append(make([]T, 0, hi-lo), items[lo:hi]...)}
	page.PageInfo = PageInfo{Count: hi - lo, TotalCount: len(items)}
	if hi > lo {
		page.PageInfo.StartCursor = encodeCursor(key(items[lo]))
		if hi < len(items) {
			page.PageInfo.EndCursor = encodeCursor(key(items[hi-1]))
		}
	}
	return page
}

// seqKey turns a creation sequence number into a key that sorts as it does.
func seqKey(seq uint64) string { return strconv.FormatUint(seq|1<<63, 16) }
