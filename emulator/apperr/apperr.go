// Package apperr is the emulator's one error type. Domain code returns
// *Error values that say what went wrong (a Kind) and how the wire names it
// (a Code); the HTTP layer alone turns a Kind into a status.
package apperr

import (
	"errors"
	"fmt"
)

// Kind classifies an error independently of any transport.
type Kind int

// The kinds of failure the emulator reports.
const (
	Internal         Kind = iota // a bug; never shown in detail
	Invalid                      // the request is malformed or breaks a rule
	Unauthenticated              // credentials are missing, wrong, expired or revoked
	Forbidden                    // authenticated, but not allowed (e.g. a missing scope)
	NotFound                     // no such resource, or not visible to the caller
	Conflict                     // the resource already exists
	TooLarge                     // the request body is over the size limit
	UnsupportedMedia             // the Content-Type is not one the endpoint reads
	MethodNotAllowed             // the path exists, the method does not
	BadGateway                   // an upstream (the proxy's target) failed
	GatewayTimeout               // an upstream did not answer in time
)

// Error is a failure with a machine-readable Code (the wire's `error`) and
// a human-readable Message (the wire's `error_description`).
type Error struct {
	Kind    Kind
	Code    string
	Message string
	// Details, when set, is sent as the `details` object of Pipedream's
	// ErrorResponse, e.g. the scope an endpoint requires.
	Details map[string]any
}

// Error implements the error interface.
func (e *Error) Error() string {
	if e.Message == "" {
		return e.Code
	}
	return e.Code + ": " + e.Message
}

// Is matches another *Error with the same Kind and Code, so a copy made by
// WithMessage still matches its sentinel under errors.Is.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Kind == e.Kind && t.Code == e.Code
}

// WithMessage returns a copy of e with a formatted message.
func (e *Error) WithMessage(format string, args ...any) *Error {
	c := *e
	c.Message = fmt.Sprintf(format, args...)
	return &c
}

// WithDetails returns a copy of e carrying details.
func (e *Error) WithDetails(details map[string]any) *Error {
	c := *e
	c.Details = details
	return &c
}

// Common errors outside the OAuth token endpoint.
var (
	ErrNotFound = &Error{Kind: NotFound, Code: "not_found"}
	ErrInvalid  = &Error{Kind: Invalid, Code: "invalid_request"}
	ErrConflict = &Error{Kind: Conflict, Code: "conflict"}
	// ErrLimitExceeded refuses to create a record of a family that holds
	// as many as the emulator keeps; see Limit.
	ErrLimitExceeded = &Error{Kind: Forbidden, Code: "limit_exceeded"}
)

// Limit is the error for a create refused at a family's cap: it names the
// limit (as pdemu's --limit flag spells it) and its value, so the caller
// knows what to delete or raise. Nothing stored has changed.
func Limit(name string, max int, what string) *Error {
	return ErrLimitExceeded.WithMessage("pdemu keeps at most %d %s; delete some, reset, or raise the limit %q", max, what, name).
		WithDetails(map[string]any{"limit": name, "max": max})
}

// As returns err as an *Error, or an Internal one wrapping nothing visible.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Kind: Internal, Code: "server_error", Message: "internal error"}
}
