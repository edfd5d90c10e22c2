package emulator

import (
	"math"
	"net/http"
	"time"

	"github.com/pdemu/pdemu/emulator/apperr"
	"github.com/pdemu/pdemu/emulator/clock"
)

// The control plane: /_emulator/ endpoints that drive the emulator. Bodies
// are decoded strictly, so a misspelt field is an error, not a no-op.

func (e *Emulator) health(*http.Request, *call) (response, error) {
	body := map[string]string{"status": "ok"}
	if e.version != "" {
		body["version"] = e.version
	}
	return ok(body)
}

func (e *Emulator) capabilities(*http.Request, *call) (response, error) {
	return ok(map[string][]string{"capabilities": e.Capabilities()})
}

// clockJSON is the clock as the control plane shows it: the instant, and
// whether it stands still until moved (a script restoring it needs to know).
func (e *Emulator) clockJSON() map[string]any {
	return map[string]any{"now": e.clock.Now().Format(time.RFC3339Nano), "frozen": clock.Frozen(e.clock)}
}

func (e *Emulator) getClock(*http.Request, *call) (response, error) { return ok(e.clockJSON()) }

func (e *Emulator) setClock(r *http.Request, _ *call) (response, error) {
	var body struct {
		Now *string `json:"now"`
	}
	if err := decodeStrictJSON(r, &body); err != nil {
		return response{}, err
	}
	if body.Now == nil {
		return response{}, apperr.ErrInvalid.WithMessage(`"now" is required: an RFC 3339 time such as "2030-01-01T00:00:00Z"`)
	}
	t, err := time.Parse(time.RFC3339Nano, *body.Now)
	if err != nil {
		return response{}, apperr.ErrInvalid.WithMessage(`"now" must be an RFC 3339 time such as "2030-01-01T00:00:00Z"`)
	}
	e.clock.Set(t)
	e.connect.Prune() // what the new time expired goes now, not at the next write
	e.auth.Prune()
	return ok(e.clockJSON())
}

// maxAdvance keeps seconds-to-Duration conversion far from overflow.
const maxAdvance = 100 * 365 * 24 * time.Hour

func (e *Emulator) advanceClock(r *http.Request, _ *call) (response, error) {
	var body struct {
		Seconds *float64 `json:"seconds"`
	}
	if err := decodeStrictJSON(r, &body); err != nil {
		return response{}, err
	}
	if body.Seconds == nil {
		return response{}, apperr.ErrInvalid.WithMessage(`"seconds" is required: a number of seconds >= 0`)
	}
	s := *body.Seconds
	if s < 0 || math.IsNaN(s) || s > maxAdvance.Seconds() {
		return response{}, apperr.ErrInvalid.WithMessage(`"seconds" must be a number from 0 to %d`, int64(maxAdvance.Seconds()))
	}
	if err := e.clock.Advance(time.Duration(s * float64(time.Second))); err != nil {
		return response{}, apperr.ErrInvalid.WithMessage("%v", err)
	}
	e.connect.Prune() // what the new time expired goes now, not at the next write
	e.auth.Prune()
	return ok(e.clockJSON())
}

func (e *Emulator) reset(*http.Request, *call) (response, error) {
	if err := e.reseed(); err != nil {
		return response{}, err
	}
	return ok(map[string]string{"status": "ok"})
}

// limitJSON is one limit as GET /_emulator/limits shows it.
type limitJSON struct {
	Name   string `json:"name"`
	Max    int    `json:"max"`
	Count  int    `json:"count"`
	Counts string `json:"counts"`
	Evicts bool   `json:"evicts_oldest"`
}

// listLimits serves GET /_emulator/limits: every limit with its value and
// how many records it counts now, so a script can see how close a run is
// to a cap (and that expired records were dropped).
func (e *Emulator) listLimits(*http.Request, *call) (response, error) {
	status := e.LimitStatus()
	out := make([]limitJSON, len(status))
	for i, l := range status {
		out[i] = limitJSON{Name: l.Name, Max: l.Max, Count: l.Count, Counts: l.Counts, Evicts: l.Evicts}
	}
	return ok(map[string]any{"data": out})
}
