package conformance

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/cucumber/godog"
)

// registerAuthSteps adds the steps that obtain credentials: access tokens
// from the token endpoint, and Connect tokens.
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
}

// haveAccessToken gets a token with the client credentials grant, as the
// SDKs do, and makes it the scenario's bearer token. The token endpoint's
// answer is the last response: the steps on the issued token read it.
func haveAccessToken(ctx context.Context, c Credentials, scope string) error {
	w := worldFrom(ctx)
	tok, err := w.fetchAccessToken(ctx, c, scope, record)
	if err != nil {
		return err
	}
	w.token, w.accessToken = tok, tok
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
	if x.ok() {
		w.deleteUserAfterwards(user) // making a token made the user
	}
	tok := x.str("token")
	if x.status != http.StatusOK || tok == "" {
		return fmt.Errorf("could not create a Connect token; %s", x.describe())
	}
	w.token, w.connectToken = tok, tok
	return nil
}
