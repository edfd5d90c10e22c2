package emulator

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/pdemu/pdemu/emulator/apperr"
	"github.com/pdemu/pdemu/emulator/internal/connect"
	"github.com/pdemu/pdemu/emulator/internal/paging"
	"github.com/pdemu/pdemu/emulator/internal/wire"
)

func pageRequest(r *http.Request) (connect.PageRequest, error) {
	q := r.URL.Query()
	return connect.ParsePageRequest(q.Get("limit"), q.Get("after"), q.Get("before"))
}

// queryBool reads an optional true/false query parameter (as the SDK
// sends booleans); nil means absent. Anything else is a 400.
func queryBool(q url.Values, name string) (*bool, error) {
	v, ok := q[name]
	if !ok {
		return nil, nil
	}
	var b bool
	switch strings.ToLower(v[0]) {
	case "true":
		b = true
	case "false":
	default:
		return nil, apperr.ErrInvalid.WithMessage("%s must be true or false", name)
	}
	return &b, nil
}

// decodeJSON reads a JSON object body of the emulated API into v.
// Unknown fields are ignored, as a forward-compatible API does; a
// Content-Type other than application/json is a 415.
func decodeJSON(r *http.Request, v any) error { return decodeBody(r, v, false) }

// decodeStrictJSON reads a control-plane body into v: an unknown field is
// an error, so a typo is caught rather than silently ignored.
func decodeStrictJSON(r *http.Request, v any) error { return decodeBody(r, v, true) }

func decodeBody(r *http.Request, v any, strict bool) error {
	if err := requireJSON(r); err != nil {
		return err
	}
	dec := json.NewDecoder(r.Body)
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(v); err != nil {
		return bodyError(err)
	}
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return bodyError(err)
			}
		}
		return apperr.ErrInvalid.WithMessage("request body has data after the JSON object")
	}
	return nil
}

func requireJSON(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return nil // lenient: a body without a type is read as JSON
	}
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
		return errUnsupportedMedia("application/json")
	}
	return nil
}

func errUnsupportedMedia(want string) error {
	return &apperr.Error{Kind: apperr.UnsupportedMedia, Code: "invalid_request",
		Message: "Content-Type must be " + want}
}

// bodyError turns a read or decode failure into a client error that says
// what to fix.
func bodyError(err error) error {
	var (
		ae  *apperr.Error
		mbe *http.MaxBytesError
		se  *json.SyntaxError
		te  *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.Is(err, wire.ErrCustomFields):
		return apperr.ErrInvalid.WithMessage("%v", err)
	case errors.As(err, &mbe):
		return &apperr.Error{Kind: apperr.TooLarge, Code: "invalid_request",
			Message: fmt.Sprintf("request body is larger than %d bytes", mbe.Limit)}
	case errors.Is(err, io.EOF):
		return apperr.ErrInvalid.WithMessage("request body is empty; send a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return apperr.ErrInvalid.WithMessage("request body is truncated JSON")
	case errors.As(err, &se):
		return apperr.ErrInvalid.WithMessage("request body is not valid JSON (at byte %d)", se.Offset)
	case errors.As(err, &te):
		if te.Field == "" {
			return apperr.ErrInvalid.WithMessage("request body must be a JSON object")
		}
		kind := jsonKind(te.Type.Kind().String())
		if kind == "number" && strings.HasPrefix(te.Value, "number") {
			// A number was sent where an integer belongs (1.5, 1e3): say so,
			// rather than that it must be the number it is.
			return apperr.ErrInvalid.WithMessage("field %q must be a whole number", te.Field)
		}
		return apperr.ErrInvalid.WithMessage("field %q must be a JSON %s", te.Field, kind)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return apperr.ErrInvalid.WithMessage("unknown field %s", strings.TrimPrefix(err.Error(), "json: unknown field "))
	}
	return apperr.ErrInvalid.WithMessage("request body could not be read")
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "slice", "array":
		return "array"
	case "map", "struct", "ptr":
		return "object"
	}
	return "number"
}

// pageJSON is one page of a list on the wire: Pipedream's {data,
// page_info}. end_cursor is null on the last page, where the SDK's pager
// stops.
type pageJSON[T any] struct {
	Data     []T          `json:"data"`
	PageInfo pageInfoJSON `json:"page_info"`
}

type pageInfoJSON struct {
	Count       int     `json:"count"`
	TotalCount  int     `json:"total_count"`
	StartCursor *string `json:"start_cursor"`
	EndCursor   *string `json:"end_cursor"`
}

// toPageJSON writes a page of domain values, each with f.
func toPageJSON[T, U any](p paging.Page[T], f func(T) U) pageJSON[U] {
	out := pageJSON[U]{Data: make([]U, len(p.Data)), PageInfo: pageInfoJSON{
		Count: p.PageInfo.Count, TotalCount: p.PageInfo.TotalCount,
		StartCursor: p.PageInfo.StartCursor, EndCursor: p.PageInfo.EndCursor,
	}}
	for i, v := range p.Data {
		out.Data[i] = f(v)
	}
	return out
}
