package connect

import "github.com/pdemu/pdemu/emulator/internal/paging"

// The Connect API's pagination, from package paging: every list answers a
// Page, asked for with a PageRequest.
type (
	// PageRequest is a list request's paging parameters.
	PageRequest = paging.Request
	// PageInfo is Pipedream's page_info object.
	PageInfo = paging.Info
	// Page is one page of a list, in Pipedream's {data, page_info} shape.
	Page[T any] = paging.Page[T]
)

// Pagination limits (see package paging).
const (
	DefaultLimit = paging.DefaultLimit
	MaxLimit     = paging.MaxLimit
)

// ParsePageRequest reads the raw `limit`, `after` and `before` query
// values. Errors: invalid_request.
func ParsePageRequest(limit, after, before string) (PageRequest, error) {
	return paging.Parse(limit, after, before)
}
