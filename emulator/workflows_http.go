package emulator

import "net/http"

// STUB: replaced by the family owner.

func (e *Emulator) registerWorkflow(r *http.Request, c *call) (response, error) {
	return response{}, errNotImplemented
}
func (e *Emulator) listWorkflowInvocations(r *http.Request, c *call) (response, error) {
	return response{}, errNotImplemented
}
