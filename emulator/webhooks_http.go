package emulator

import "net/http"

// STUB: replaced by the family owner.

func (e *Emulator) getProjectWebhook(r *http.Request, c *call) (response, error) {
	return response{}, errNotImplemented
}
func (e *Emulator) updateProjectWebhook(r *http.Request, c *call) (response, error) {
	return response{}, errNotImplemented
}
func (e *Emulator) deleteProjectWebhook(r *http.Request, c *call) (response, error) {
	return response{}, errNotImplemented
}
func (e *Emulator) regenerateProjectWebhookKey(r *http.Request, c *call) (response, error) {
	return response{}, errNotImplemented
}
