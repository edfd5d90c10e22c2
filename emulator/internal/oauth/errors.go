package oauth

import "github.com/pdemu/pdemu/emulator/apperr"

// Token-endpoint errors (RFC 6749 §5.2) and protected-resource errors
// (RFC 6750 §3.1). Each carries its wire name; the HTTP layer picks the
// status from the Kind. Compare with errors.Is.
var (
	ErrInvalidRequest       = &apperr.Error{Kind: apperr.Invalid, Code: "invalid_request"}
	ErrInvalidClient        = &apperr.Error{Kind: apperr.Unauthenticated, Code: "invalid_client"}
	ErrUnsupportedGrantType = &apperr.Error{Kind: apperr.Invalid, Code: "unsupported_grant_type"}
	ErrInvalidScope         = &apperr.Error{Kind: apperr.Invalid, Code: "invalid_scope"}

	// ErrMissingToken is a request to a protected endpoint with no bearer
	// token. RFC 6750 §3.1 asks for no error code in WWW-Authenticate then;
	// the JSON body still names it so every error has an `error` field.
	ErrMissingToken      = &apperr.Error{Kind: apperr.Unauthenticated, Code: "unauthorized"}
	ErrInvalidToken      = &apperr.Error{Kind: apperr.Unauthenticated, Code: "invalid_token"}
	ErrInsufficientScope = &apperr.Error{Kind: apperr.Forbidden, Code: "insufficient_scope"}
)
