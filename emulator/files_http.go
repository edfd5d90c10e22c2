package emulator

import "net/http"

// STUB: replaced by the family owner.

func (e *Emulator) downloadFile(r *http.Request, c *call) (response, error) {
	return response{}, errNotImplemented
}
func (e *Emulator) putFile(r *http.Request, c *call) (response, error) {
	return response{}, errNotImplemented
}
