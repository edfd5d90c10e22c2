package conformance

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/cucumber/godog"
)

// OAuth clients of the control plane: created for a scenario (and deleted
// after it), named to the limits, and used.

// registerClientSteps adds the OAuth client steps.
func registerClientSteps(s *steps) {
	s.add(`^I create an OAuth client with JSON:$`, func(ctx context.Context, doc *godog.DocString) error {
		return createOAuthClient(ctx, doc.Content)
	})
	s.add(`^I create an OAuth client whose name is (\d+) characters? long, padded with "([^"]*)"$`, func(ctx context.Context, n int, pad string) error {
		name, err := paddedClientName(worldFrom(ctx).unique, n, pad)
		if err != nil {
			return err
		}
		b, _ := json.Marshal(map[string]string{"name": name})
		return createOAuthClient(ctx, string(b))
	})
	s.add(`^I have created an OAuth client named "([^"]*)"$`, func(ctx context.Context, name string) error {
		w := worldFrom(ctx)
		name, err := w.expand(name)
		if err != nil {
			return err
		}
		b, _ := json.Marshal(map[string]string{"name": name})
		if err := createOAuthClient(ctx, string(b)); err != nil {
			return err
		}
		if w.last.status != http.StatusCreated {
			return fmt.Errorf("could not create an OAuth client; %s", w.last.describe())
		}
		return nil
	})
	s.add(`^I have an access token as the created client$`, func(ctx context.Context) error {
		w := worldFrom(ctx)
		if w.createdClient.ClientID == "" {
			return fmt.Errorf("no OAuth client was created in this scenario")
		}
		return haveAccessToken(ctx, w.createdClient, "")
	})
	s.add(`^I have an access token as the second client$`, func(ctx context.Context) error {
		c, err := secondClient(ctx)
		if err != nil {
			return err
		}
		return haveAccessToken(ctx, c, "")
	})
	s.add(`^the status is (\d+), or the error is "([^"]*)" with status (\d+) if the target lists the capability "([^"]*)"$`, func(ctx context.Context, status int, code string, altStatus int, capability string) error {
		w := worldFrom(ctx)
		x, err := w.response()
		if err != nil {
			return err
		}
		if w.caps.Has(capability) {
			if got, _ := x.field("error"); x.status != altStatus || text(got) != code {
				return fmt.Errorf("the target lists %s: want error %q with status %d; %s", capability, code, altStatus, x.describe())
			}
			return nil
		}
		if x.status != status {
			return fmt.Errorf("the target does not list %s: want status %d; %s", capability, status, x.describe())
		}
		return nil
	})
}

// secondClient returns another OAuth client of the workspace than the
// configured one, for the scenarios tagged @requires:second-client: the
// configured second client if there is one, else one the scenario creates
// through the control plane (and deletes after it).
func secondClient(ctx context.Context) (Credentials, error) {
	w := worldFrom(ctx)
	if w.cfg.SecondClient.ClientID != "" {
		return w.cfg.SecondClient, nil
	}
	if !w.caps.Has("admin_clients") {
		return Credentials{}, fmt.Errorf("no second OAuth client: set %s and %s", EnvClientID2, EnvClientSecret2)
	}
	b, _ := json.Marshal(map[string]string{"name": "conformance-second-" + w.unique})
	if err := createOAuthClient(ctx, string(b)); err != nil {
		return Credentials{}, err
	}
	if w.last.status != http.StatusCreated {
		return Credentials{}, fmt.Errorf("could not create a second OAuth client; %s", w.last.describe())
	}
	return w.createdClient, nil
}

// createOAuthClient sends POST /_emulator/oauth-clients; on a 2xx it remembers
// created_client_id and created_client_secret and deletes the client after
// the scenario.
func createOAuthClient(ctx context.Context, body string) error {
	w := worldFrom(ctx)
	if !w.caps.Has("admin_clients") {
		return fmt.Errorf("%w (the capability admin_clients)", errNotEmulator)
	}
	if err := w.do(ctx, http.MethodPost, "/_emulator/oauth-clients", "application/json", body); err != nil {
		return err
	}
	x := w.last
	id := x.str("client_id")
	if id == "" || !x.ok() {
		return nil
	}
	w.createdClient = Credentials{ClientID: id, ClientSecret: x.str("client_secret")}
	w.cleanups.add("client "+id, "the OAuth client "+id, func(ctx context.Context) error {
		x, err := w.control(ctx, http.MethodDelete, "/_emulator/oauth-clients/"+url.PathEscape(id), "")
		if x != nil && x.status == http.StatusNotFound {
			return nil // the scenario deleted it
		}
		return err
	})
	return nil
}

// paddedClientName is a name of exactly n characters (not bytes): the scenario's
// random suffix, then pad repeated. Shorter than the suffix, only pad.
func paddedClientName(unique string, n int, pad string) (string, error) {
	if n == 0 {
		return "", nil
	}
	r := []rune(pad)
	if len(r) != 1 {
		return "", fmt.Errorf("pad with one character, not %q", pad)
	}
	if n < len(unique) {
		return strings.Repeat(pad, n), nil
	}
	return unique + strings.Repeat(pad, n-len(unique)), nil
}
