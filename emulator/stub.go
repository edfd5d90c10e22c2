package emulator

import "github.com/pdemu/pdemu/emulator/apperr"

// errNotImplemented is temporary scaffolding while the Connect families land.
var errNotImplemented = &apperr.Error{Kind: apperr.Internal, Code: "not_implemented", Message: "not implemented yet"}
