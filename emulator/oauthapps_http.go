package emulator

import "net/http"

// STUB: replaced by the family owner.

func (e *Emulator) listOAuthApps(r *http.Request, c *call) (response, error) {
	return response{}, errNotImplemented
}
func (e *Emulator) createOAuthApp(r *http.Request, c *call) (response, error) {
	return response{}, errNotImplemented
}
func (e *Emulator) getOAuthApp(r *http.Request, c *call) (response, error) {
	return response{}, errNotImplemented
}
func (e *Emulator) updateOAuthApp(r *http.Request, c *call) (response, error) {
	return response{}, errNotImplemented
}
func (e *Emulator) deleteOAuthApp(r *http.Request, c *call) (response, error) {
	return response{}, errNotImplemented
}
func (e *Emulator) listAppOverrides(r *http.Request, c *call) (response, error) {
	return response{}, errNotImplemented
}
func (e *Emulator) createAppOverride(r *http.Request, c *call) (response, error) {
	return response{}, errNotImplemented
}
func (e *Emulator) getAppOverride(r *http.Request, c *call) (response, error) {
	return response{}, errNotImplemented
}
func (e *Emulator) updateAppOverride(r *http.Request, c *call) (response, error) {
	return response{}, errNotImplemented
}
func (e *Emulator) deleteAppOverride(r *http.Request, c *call) (response, error) {
	return response{}, errNotImplemented
}
