package emulator

import "net/http"

// STUB: replaced by the family owner.

func (e *Emulator) listUsage(r *http.Request, c *call) (response, error) {
	return response{}, errNotImplemented
}
