package emulator

import "net/http"

// STUB: replaced by the family owner.

func (e *Emulator) runAction(r *http.Request, c *call) (response, error) {
	return response{}, errNotImplemented
}
func (e *Emulator) deployTrigger(r *http.Request, c *call) (response, error) {
	return response{}, errNotImplemented
}
func (e *Emulator) registerComponent(r *http.Request, c *call) (response, error) {
	return response{}, errNotImplemented
}

// componentKind narrows a component endpoint to actions or triggers; ""
// means either.
type componentKind string

const (
	kindAction  componentKind = "action"
	kindTrigger componentKind = "trigger"
)

func (e *Emulator) listComponents(kind componentKind) handlerFunc {
	return func(r *http.Request, c *call) (response, error) { return response{}, errNotImplemented }
}
func (e *Emulator) getComponent(kind componentKind) handlerFunc {
	return func(r *http.Request, c *call) (response, error) { return response{}, errNotImplemented }
}
func (e *Emulator) configureProp(kind componentKind) handlerFunc {
	return func(r *http.Request, c *call) (response, error) { return response{}, errNotImplemented }
}
func (e *Emulator) reloadProps(kind componentKind) handlerFunc {
	return func(r *http.Request, c *call) (response, error) { return response{}, errNotImplemented }
}
