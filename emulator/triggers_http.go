package emulator

import "net/http"

// STUB: replaced by the family owner.

func (e *Emulator) listDeployedTriggers(r *http.Request, c *call) (response, error) {
	return response{}, errNotImplemented
}
func (e *Emulator) getDeployedTrigger(r *http.Request, c *call) (response, error) {
	return response{}, errNotImplemented
}
func (e *Emulator) updateDeployedTrigger(r *http.Request, c *call) (response, error) {
	return response{}, errNotImplemented
}
func (e *Emulator) deleteDeployedTrigger(r *http.Request, c *call) (response, error) {
	return response{}, errNotImplemented
}
func (e *Emulator) listTriggerEvents(r *http.Request, c *call) (response, error) {
	return response{}, errNotImplemented
}
func (e *Emulator) listTriggerWorkflows(r *http.Request, c *call) (response, error) {
	return response{}, errNotImplemented
}
func (e *Emulator) updateTriggerWorkflows(r *http.Request, c *call) (response, error) {
	return response{}, errNotImplemented
}
func (e *Emulator) listTriggerWebhooks(r *http.Request, c *call) (response, error) {
	return response{}, errNotImplemented
}
func (e *Emulator) updateTriggerWebhooks(r *http.Request, c *call) (response, error) {
	return response{}, errNotImplemented
}
func (e *Emulator) getTriggerWebhook(r *http.Request, c *call) (response, error) {
	return response{}, errNotImplemented
}
func (e *Emulator) regenerateTriggerWebhookKey(r *http.Request, c *call) (response, error) {
	return response{}, errNotImplemented
}
func (e *Emulator) emitEvent(r *http.Request, c *call) (response, error) {
	return response{}, errNotImplemented
}
