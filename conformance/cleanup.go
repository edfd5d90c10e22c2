package conformance

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
)

// CleanupFailure is something a scenario changed on the target and could
// not undo: the run reports it with the scenario, and fails.
type CleanupFailure struct {
	// What names what was left behind, such as "the OAuth client oc_…".
	What string `json:"what"`
	// Error says why undoing it failed.
	Error string `json:"error"`
}

// cleanup is one change a scenario must undo.
type cleanup struct {
	what string
	undo func(context.Context) error
}

// cleanups is a scenario's registry of what to undo after it, whatever its
// outcome: everything it created or changed on the target registers here,
// once, when the change is made.
type cleanups struct {
	list []cleanup
	keys map[string]bool
}

// add registers undo under key: a second registration of the same key
// (the same user, made by two steps) is dropped.
func (c *cleanups) add(key, what string, undo func(context.Context) error) {
	if c.keys[key] {
		return
	}
	if c.keys == nil {
		c.keys = map[string]bool{}
	}
	c.keys[key] = true
	c.list = append(c.list, cleanup{what: what, undo: undo})
}

// has reports whether something is registered under key.
func (c *cleanups) has(key string) bool { return c.keys[key] }

// run undoes everything, newest first (what was made last may depend on
// what was made before it), and returns what it could not undo.
func (c *cleanups) run(ctx context.Context) []CleanupFailure {
	var failed []CleanupFailure
	for i := len(c.list) - 1; i >= 0; i-- {
		if err := c.list[i].undo(ctx); err != nil {
			failed = append(failed, CleanupFailure{What: c.list[i].what, Error: err.Error()})
		}
	}
	c.list, c.keys = nil, nil
	return failed
}

// deleteAfterwards deletes path (expanded) after the scenario, in the
// environment the scenario is in now, with an access token of its own (the
// scenario's bearer may be a Connect token, or expired). An answer of 404
// or 410 means the scenario deleted it already.
func (w *world) deleteAfterwards(path, what string) {
	env := w.env
	w.cleanups.add(http.MethodDelete+" "+path+" in "+env, what+" ("+env+")", func(ctx context.Context) error {
		x, err := w.sendWithSideToken(ctx, request{method: http.MethodDelete, path: path, env: env})
		switch {
		case err != nil:
			return err
		case x.ok(), x.status == http.StatusNotFound, x.status == http.StatusGone:
			return nil
		}
		return fmt.Errorf("%s", x.describe())
	})
}

// deleteUserAfterwards deletes an external user of the configured project,
// in the scenario's current environment, after the scenario: making a
// Connect token or an account makes the user, and a real server's
// development environment allows only ten.
func (w *world) deleteUserAfterwards(user string) {
	p := "/v1/connect/" + url.PathEscape(w.cfg.ProjectID) + "/users/" + url.PathEscape(user)
	w.deleteAfterwards(p, "the external user "+user+" of "+w.cfg.ProjectID)
}
