package emulator

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/pdemu/pdemu/emulator/clock"
	"github.com/pdemu/pdemu/emulator/internal/faults"
)

// Fault plans on the control plane: POST /_emulator/faults, GET
// /_emulator/faults[/{id}], DELETE /_emulator/faults[/{id}]; and how a
// fired fault is answered. Faults never apply to the control plane: a
// fault that matched /_emulator/ could not be deleted.

// A fault's match and action on the wire: the fault plan's own state
// types, so that POST /_emulator/faults and a state document spell them
// alike.
type (
	faultMatchJSON  = faults.MatchState
	faultActionJSON = faults.ActionState
)

// faultSpecJSON is the body of POST /_emulator/faults.
type faultSpecJSON struct {
	Match       faultMatchJSON  `json:"match"`
	Action      faultActionJSON `json:"action"`
	Times       *int            `json:"times,omitempty"`
	After       int             `json:"after,omitempty"`
	Probability *float64        `json:"probability,omitempty"`
	Seed        *uint64         `json:"seed,omitempty"`
}

type faultJSON struct {
	ID string `json:"id"`
	faultSpecJSON
	Hits      int    `json:"hits"`
	Matched   int    `json:"matched"`
	Remaining *int   `json:"remaining"` // null: until deleted
	CreatedAt string `json:"created_at"`
}

func (s faultSpecJSON) spec() faults.Spec {
	return faults.Spec{
		Match: faults.Match(s.Match),
		Action: faults.Action{
			Status: s.Action.Status, Headers: s.Action.Headers, Body: s.Action.Body, Preset: s.Action.Preset,
			RetryAfterSeconds: s.Action.RetryAfterSeconds, DelayMS: s.Action.DelayMS, Drop: s.Action.Drop,
		},
		Times: s.Times, After: s.After, Probability: s.Probability, Seed: s.Seed,
	}
}

func toFaultJSON(f faults.Fault) faultJSON {
	a := f.Spec.Action
	return faultJSON{
		ID: f.ID,
		faultSpecJSON: faultSpecJSON{
			Match: faultMatchJSON(f.Spec.Match),
			Action: faultActionJSON{Status: a.Status, Headers: a.Headers, Body: a.Body, Preset: a.Preset,
				RetryAfterSeconds: a.RetryAfterSeconds, DelayMS: a.DelayMS, Drop: a.Drop},
			Times: f.Spec.Times, After: f.Spec.After, Probability: f.Spec.Probability, Seed: f.Spec.Seed,
		},
		Hits: f.Hits, Matched: f.Matched, Remaining: f.Remaining, CreatedAt: f.CreatedAt.UTC().Format(time.RFC3339Nano),
	}
}

func (e *Emulator) createFault(r *http.Request, _ *call) (response, error) {
	var body faultSpecJSON
	if err := decodeStrictJSON(r, &body); err != nil {
		return response{}, err
	}
	f, err := e.faults.Add(body.spec(), e.clock.Now())
	if err != nil {
		return response{}, err
	}
	return created(toFaultJSON(f))
}

func (e *Emulator) listFaults(*http.Request, *call) (response, error) {
	list := e.faults.List()
	out := make([]faultJSON, len(list))
	for i, f := range list {
		out[i] = toFaultJSON(f)
	}
	return ok(map[string]any{"data": out})
}

func (e *Emulator) getFault(_ *http.Request, c *call) (response, error) {
	f, err := e.faults.Get(c.vars["fault_id"])
	if err != nil {
		return response{}, err
	}
	return ok(toFaultJSON(f))
}

func (e *Emulator) deleteFault(_ *http.Request, c *call) (response, error) {
	if err := e.faults.Delete(c.vars["fault_id"]); err != nil {
		return response{}, err
	}
	return noContent()
}

func (e *Emulator) clearFaults(*http.Request, *call) (response, error) {
	e.faults.Clear()
	return noContent()
}

// pickFault returns the fault that fires for the request, if one does.
// It is called with resetMu held, after the caller was identified (but
// whether or not it was authenticated: a 503 comes before any check).
func (e *Emulator) pickFault(r *http.Request, ep Endpoint, c *call) (faults.Fault, bool) {
	if ep.Auth == ControlPlane || strings.HasPrefix(r.URL.Path, controlPrefix) || !e.faults.Active() {
		return faults.Fault{}, false
	}
	if ep.identify != nil {
		ep.identify(r, c)
	}
	return e.faults.Pick(faults.Request{
		Route: c.x.route, Method: r.Method, Path: r.URL.Path,
		ClientID: c.callerClientID(), ExternalUserID: c.externalUserID(r),
	})
}

// faultAnswer answers a request with the fault that fired for it: its
// response, a dropped connection, or (a delay alone) the real answer,
// after its delay. A delay runs unlocked, as a continuation, and ends early
// with the connection dropped if the client goes away.
func (e *Emulator) faultAnswer(f faults.Fault, r *http.Request, ep Endpoint, vars map[string]string, c *call) (response, error) {
	c.x.faultID = f.ID
	res := f.Resolve(e.clock.Now())
	answer := func() (response, error) {
		if res.Drop {
			return response{drop: true}, nil
		}
		c.x.errCode = faultErrorCode(f, res)
		return response{status: res.Status, raw: res.Body, contentType: res.ContentType, header: res.Headers}, nil
	}
	if res.Delay <= 0 && !res.PassThrough {
		return answer()
	}
	return unlocked(res.Delay, func(ctx context.Context) (response, error) {
		if err := clock.WallSleep(ctx, res.Delay); err != nil {
			c.x.errCode = "client_closed"
			return response{drop: true}, nil
		}
		if res.PassThrough {
			return e.handleLocked(r, ep, vars, c, false)
		}
		return answer()
	})
}

// faultErrorCode is what the journal records as a fault's error code: the
// "error" of its JSON body, else its preset's name for an error status
// (the token endpoint's empty 429), else none.
func faultErrorCode(f faults.Fault, res faults.Response) string {
	if res.Status < 400 {
		return ""
	}
	var body struct {
		Error string `json:"error"`
	}
	if res.ContentType == faults.ContentTypeJSON && json.Unmarshal(res.Body, &body) == nil && body.Error != "" {
		return body.Error
	}
	return f.Spec.Action.Preset
}
