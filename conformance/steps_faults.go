package conformance

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/cucumber/godog"
)

// Fault plans (POST /_emulator/faults): failures the target is asked to
// answer some requests with. A fault fires on every request it matches,
// whoever sends it, so a scenario that runs beside others may plan only a
// fault that matches its own requests: those of the OAuth client it
// created, or of an external user whose id carries its random suffix. A
// fault that could match anyone's requests takes a @serial scenario
// (nothing else of the kit runs meanwhile). Every fault a scenario plans
// is deleted after it, fired or not.

// registerFaultSteps adds the steps that plan faults.
func registerFaultSteps(s *steps) {
	s.add(`^the emulator plans a fault(?: remembered as "([^"]*)")? with JSON:$`, func(ctx context.Context, name string, doc *godog.DocString) error {
		return planFault(ctx, name, doc.Content)
	})
	// A fault's X-RateLimit-Reset is a Unix time on the emulator clock.
	s.add(`^the response header "([^"]*)" is a Unix time within (\d+) seconds? of the (target's|emulator) clock(?: plus (\d+) seconds?)?$`, func(ctx context.Context, name string, tolerance int, which, plus string) error {
		x, err := worldFrom(ctx).response()
		if err != nil {
			return err
		}
		got := x.header.Get(name)
		sec, err := strconv.ParseInt(got, 10, 64)
		if err != nil {
			return fmt.Errorf("want the %s header to be a Unix time in seconds, got %q; %s", name, got, x.describe())
		}
		return checkNearClock(ctx, "the "+name+" header", time.Unix(sec, 0), tolerance, which, plus)
	})
}

// planFault sends POST /_emulator/faults with body (${name}s expanded),
// registers the fault's deletion after the scenario, and remembers its id
// under name (when not empty).
func planFault(ctx context.Context, name, body string) error {
	w := worldFrom(ctx)
	if !w.caps.Has("faults") {
		return fmt.Errorf("%w (the capability faults)", errNotEmulator)
	}
	body, err := w.expand(body)
	if err != nil {
		return err
	}
	if err := w.faultIsOwn(body); err != nil {
		return err
	}
	x, err := w.control(ctx, http.MethodPost, "/_emulator/faults", body)
	if err != nil {
		return err
	}
	id := x.str("id")
	if id == "" {
		return fmt.Errorf("control plane: the planned fault has no id; %s", x.describe())
	}
	mine := faultFingerprint(x)
	w.cleanups.add("fault "+id, "the fault "+id, func(ctx context.Context) error {
		return w.deleteFault(ctx, id, mine)
	})
	if name != "" {
		return w.remember(name, id)
	}
	return nil
}

// faultIsOwn checks that a fault a scenario plans can fire only on that
// scenario's requests, unless the scenario is @serial. A body that is not
// a fault spec is left for the target to refuse.
func (w *world) faultIsOwn(body string) error {
	if w.scenario.HasTag("@serial") {
		return nil
	}
	var spec struct {
		Match struct {
			ClientID       string `json:"client_id"`
			ExternalUserID string `json:"external_user_id"`
		} `json:"match"`
	}
	if json.Unmarshal([]byte(body), &spec) != nil {
		return nil
	}
	m := spec.Match
	if (m.ClientID != "" && m.ClientID == w.createdClient.ClientID) || (m.ExternalUserID != "" && strings.Contains(m.ExternalUserID, w.unique)) {
		return nil
	}
	return fmt.Errorf("this fault could fire on requests of other scenarios, or of other users of the server: " +
		`match the client_id of an OAuth client the scenario created ("${created_client_id}") or an external_user_id with ${unique} in it, or tag the scenario @serial`)
}

// deleteFault deletes a fault the scenario planned. An id the target no
// longer knows is gone already; one that now names another fault (created
// at another instant, or matching or doing something else) is someone
// else's, the target having been reset and its numbering started again,
// and is left alone.
func (w *world) deleteFault(ctx context.Context, id, mine string) error {
	p := "/_emulator/faults/" + url.PathEscape(id)
	x, err := w.control(ctx, http.MethodGet, p, "")
	switch {
	case x != nil && x.status == http.StatusNotFound:
		return nil
	case err != nil:
		return err
	case faultFingerprint(x) != mine:
		return nil
	}
	x, err = w.control(ctx, http.MethodDelete, p, "")
	if x != nil && x.status == http.StatusNotFound {
		return nil
	}
	return err
}

// faultFingerprint tells one fault from another that took its id after a
// reset: when it was created, what it matches and what it does.
func faultFingerprint(x *exchange) string {
	var parts []string
	for _, f := range []string{"created_at", "match", "action"} {
		v, _ := x.field(f)
		parts = append(parts, text(v))
	}
	return strings.Join(parts, "\n")
}
