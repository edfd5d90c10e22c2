package emulator

import "net/http"

// STUB: replaced by the family owner.

func (e *Emulator) updateProjectLogo(r *http.Request, c *call) (response, error) {
	return response{}, errNotImplemented
}
func (e *Emulator) projectInfo(r *http.Request, c *call) (response, error) {
	return response{}, errNotImplemented
}
