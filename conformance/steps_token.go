package conformance

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/url"
	"strings"

	"github.com/cucumber/godog"
)

// The token endpoint and bearer tokens: access tokens as the SDKs get them,
// form bodies and HTTP Basic client authentication (RFC 6749 §2.3.1), and
// which token the scenario's requests carry.

// registerTokenSteps adds the steps that get access tokens and choose the
// scenario's bearer.
func registerTokenSteps(s *steps) {
	s.add(`^I (POST|PUT|PATCH) "([^"]*)" with the form:$`, func(ctx context.Context, method, path string, table *godog.Table) error {
		w := worldFrom(ctx)
		form := url.Values{}
		for _, row := range table.Rows {
			if len(row.Cells) != 2 {
				return fmt.Errorf("a form table has two columns, name and value")
			}
			name, err := w.expand(row.Cells[0].Value)
			if err != nil {
				return err
			}
			value, err := w.expand(row.Cells[1].Value)
			if err != nil {
				return err
			}
			form.Add(name, value)
		}
		// Expanded before encoding: "$" becomes %24, so do's own expansion
		// leaves the body alone.
		return w.do(ctx, method, path, "application/x-www-form-urlencoded", form.Encode())
	})
	s.add(`^I send the client credentials "([^"]*)" and "([^"]*)" with HTTP Basic$`, func(ctx context.Context, id, secret string) error {
		return sendBasicNext(ctx, id, secret, url.QueryEscape)
	})
	s.add(`^I send the client credentials "([^"]*)" and "([^"]*)" with HTTP Basic, every character percent-encoded$`, func(ctx context.Context, id, secret string) error {
		return sendBasicNext(ctx, id, secret, percentEncodeAll)
	})
	s.add(`^I have an access token$`, func(ctx context.Context) error {
		return haveAccessToken(ctx, worldFrom(ctx).cfg.Client, "")
	})
	s.add(`^I have an access token with scope "([^"]*)"$`, func(ctx context.Context, scope string) error {
		return haveAccessToken(ctx, worldFrom(ctx).cfg.Client, scope)
	})
	s.add(`^I use no token$`, func(ctx context.Context) error {
		worldFrom(ctx).token = ""
		return nil
	})
	s.add(`^I use the token "([^"]*)"$`, func(ctx context.Context, token string) error {
		w := worldFrom(ctx)
		t, err := w.expand(token)
		if err != nil {
			return err
		}
		w.token = t
		return nil
	})
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

// sendBasicNext sets an Authorization: Basic header for the next request. RFC
// 6749 §2.3.1 has the client id and secret encoded with
// application/x-www-form-urlencoded before they are joined and base64'd.
func sendBasicNext(ctx context.Context, id, secret string, encode func(string) string) error {
	w := worldFrom(ctx)
	id, err := w.expand(id)
	if err != nil {
		return err
	}
	if secret, err = w.expand(secret); err != nil {
		return err
	}
	w.header.Set("Authorization", basicCredentials(id, secret, encode))
	return nil
}

func basicCredentials(id, secret string, encode func(string) string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(encode(id)+":"+encode(secret)))
}

// percentEncodeAll writes every byte as %XX: still a valid form encoding
// (a decoder must decode any escape), which shows that the server decodes
// the credentials rather than comparing them as sent.
func percentEncodeAll(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		fmt.Fprintf(&b, "%%%02X", s[i])
	}
	return b.String()
}
