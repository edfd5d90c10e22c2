package emulator

import "net/http"

// STUB: replaced by the family owner.

func (e *Emulator) proxy(r *http.Request, c *call) (response, error) {
	return response{}, errNotImplemented
}
func (e *Emulator) setProxyAllowedHosts(r *http.Request, c *call) (response, error) {
	return response{}, errNotImplemented
}
