package emulator

import "net/http"

// STUB: replaced by the family owner.

func (e *Emulator) listAccounts(r *http.Request, c *call) (response, error) {
	return response{}, errNotImplemented
}
func (e *Emulator) createAccount(r *http.Request, c *call) (response, error) {
	return response{}, errNotImplemented
}
func (e *Emulator) getAccount(r *http.Request, c *call) (response, error) {
	return response{}, errNotImplemented
}
func (e *Emulator) deleteAccount(r *http.Request, c *call) (response, error) {
	return response{}, errNotImplemented
}
func (e *Emulator) deleteAccountsByApp(r *http.Request, c *call) (response, error) {
	return response{}, errNotImplemented
}
func (e *Emulator) listUserAccounts(r *http.Request, c *call) (response, error) {
	return response{}, errNotImplemented
}
func (e *Emulator) connectAccount(r *http.Request, c *call) (response, error) {
	return response{}, errNotImplemented
}
