package conformance

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"github.com/cucumber/godog"
)

// registerAuthSteps adds the steps that obtain credentials: access tokens
// from the token endpoint, Connect tokens, and the control plane's clock.
func registerAuthSteps(sc *godog.ScenarioContext) {
	sc.Step(`^I have an access token$`, func(ctx context.Context) error {
		return haveAccessToken(ctx, worldFrom(ctx).cfg.Client, "")
	})
	sc.Step(`^I have an access token with scope "([^"]*)"$`, func(ctx context.Context, scope string) error {
		return haveAccessToken(ctx, worldFrom(ctx).cfg.Client, scope)
	})
	sc.Step(`^I use no token$`, func(ctx context.Context) error {
		worldFrom(ctx).token = ""
		return nil
	})
	sc.Step(`^I use the token "([^"]*)"$`, func(ctx context.Context, token string) error {
		w := worldFrom(ctx)
		t, err := w.expand(token)
		if err != nil {
			return err
		}
		w.token = t
		return nil
	})
	sc.Step(`^I have a Connect token for external user "([^"]*)"$`, func(ctx context.Context, user string) error {
		return haveConnectToken(ctx, user, "")
	})
	sc.Step(`^I have a Connect token for external user "([^"]*)" with scope "([^"]*)"$`, haveConnectToken)

	sc.Step(`^the emulator clock advances by (\d+) seconds?$`, func(ctx context.Context, seconds int) error {
		_, err := connectControlPlane(ctx, http.MethodPost, "/_emulator/clock/advance", fmt.Sprintf(`{"seconds":%d}`, seconds))
		return err
	})
}

// haveAccessToken gets a token with the client credentials grant, as the
// SDKs do (JSON body), and makes it the scenario's bearer token.
func haveAccessToken(ctx context.Context, c Credentials, scope string) error {
	w := worldFrom(ctx)
	body := map[string]string{"grant_type": "client_credentials", "client_id": c.ClientID, "client_secret": c.ClientSecret}
	if scope != "" {
		body["scope"] = scope
	}
	b, _ := json.Marshal(body)
	saved := w.token
	w.token = ""
	if err := w.do(ctx, http.MethodPost, "/v1/oauth/token", "application/json", string(b)); err != nil {
		return err
	}
	w.token = saved
	x := w.last
	tok, _ := x.field("access_token")
	if s, ok := tok.(string); x.status != http.StatusOK || !ok || s == "" {
		return fmt.Errorf("could not get an access token; %s", x.describe())
	}
	w.token = tok.(string)
	w.vars["access_token"] = w.token
	return nil
}

// haveConnectToken makes a Connect token for an external user with an
// access token of full scope, then makes it the bearer token.
func haveConnectToken(ctx context.Context, user, scope string) error {
	w := worldFrom(ctx)
	if err := haveAccessToken(ctx, w.cfg.Client, ""); err != nil {
		return err
	}
	user, err := w.expand(user)
	if err != nil {
		return err
	}
	body := map[string]any{"external_user_id": user}
	if scope != "" {
		body["scope"] = scope
	}
	b, _ := json.Marshal(body)
	if err := w.do(ctx, http.MethodPost, "/v1/connect/${project_id}/tokens", "application/json", string(b)); err != nil {
		return err
	}
	x := w.last
	tok, _ := x.field("token")
	s, ok := tok.(string)
	if x.status != http.StatusOK || !ok || s == "" {
		return fmt.Errorf("could not create a Connect token; %s", x.describe())
	}
	w.token = s
	w.vars["connect_token"] = s
	// Making a token made the user; a real server's development
	// environment allows only ten, so leave none behind.
	p := "/v1/connect/" + w.cfg.ProjectID + "/users/" + url.PathEscape(user)
	env := w.cfg.Environment
	w.cleanups = append(w.cleanups, func(ctx context.Context) { connectCleanupDelete(ctx, p, env) })
	return nil
}
