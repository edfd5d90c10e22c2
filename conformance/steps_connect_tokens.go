package conformance

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"github.com/cucumber/godog"
)

// Connect tokens and what they bring with them: external users (deleted
// after the scenario), the environment requests are sent in, and projects
// of the scenario's own.

// registerConnectTokenSteps adds the Connect token, user, environment and
// project steps.
func registerConnectTokenSteps(s *steps) {
	s.add(`^I create a Connect token with JSON:$`, func(ctx context.Context, doc *godog.DocString) error {
		w := worldFrom(ctx)
		body, err := w.expand(doc.Content)
		if err != nil {
			return err
		}
		if err := w.do(ctx, http.MethodPost, "/v1/connect/${project_id}/tokens", "application/json", doc.Content); err != nil {
			return err
		}
		var m struct {
			User string `json:"external_user_id"`
		}
		if w.last.ok() && json.Unmarshal([]byte(body), &m) == nil && m.User != "" {
			w.deleteUserAfterwards(m.User) // making a token made the user
		}
		return nil
	})
	s.add(`^the external user "([^"]*)" is deleted afterwards$`, func(ctx context.Context, user string) error {
		user, err := worldFrom(ctx).expand(user)
		if err != nil {
			return err
		}
		worldFrom(ctx).deleteUserAfterwards(user)
		return nil
	})
	s.add(`^I use the Connect token from the response$`, func(ctx context.Context) error {
		w := worldFrom(ctx)
		x, err := w.response()
		if err != nil {
			return err
		}
		v, _ := x.field("token")
		tok, ok := v.(string)
		if !ok || tok == "" {
			return fmt.Errorf("no Connect token in the response; %s", x.describe())
		}
		w.token, w.connectToken = tok, tok
		return nil
	})
	s.add(`^I send X-PD-Environment as the other environment$`, func(ctx context.Context) error {
		w := worldFrom(ctx)
		w.header.Set("X-PD-Environment", otherEnvironment(w.env))
		return nil
	})
	s.add(`^I have a project of my own named "([^"]*)", remembered as "([^"]*)"$`, func(ctx context.Context, name, as string) error {
		w := worldFrom(ctx)
		name, err := w.expand(name)
		if err != nil {
			return err
		}
		b, _ := json.Marshal(map[string]string{"name": name})
		x, err := w.sendWithSideToken(ctx, request{method: http.MethodPost, path: "/v1/connect/projects",
			contentType: "application/json", body: string(b), env: w.env})
		if err != nil {
			return err
		}
		id := x.str("id")
		if !x.ok() || id == "" {
			return fmt.Errorf("could not create a project; %s", x.describe())
		}
		w.deleteAfterwards("/v1/connect/projects/"+url.PathEscape(id), "the project "+id)
		return w.remember(as, id)
	})
	s.add(`^I have a Connect token for external user "([^"]*)"$`, func(ctx context.Context, user string) error {
		return haveConnectToken(ctx, user, "")
	})
	s.add(`^I have a Connect token for external user "([^"]*)" with scope "([^"]*)"$`, haveConnectToken)
	s.add(`^I remember the other environment as "([^"]*)"$`, func(ctx context.Context, name string) error {
		w := worldFrom(ctx)
		return w.remember(name, otherEnvironment(w.env))
	})
	s.add(`^I switch to the environment "([^"]*)"$`, func(ctx context.Context, env string) error {
		w := worldFrom(ctx)
		env, err := w.expand(env)
		if err != nil {
			return err
		}
		w.env = env // later requests and ${environment} follow
		return nil
	})
	s.add(`^I switch back to the configured environment$`, func(ctx context.Context) error {
		w := worldFrom(ctx)
		w.env = w.cfg.Environment
		return nil
	})
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
