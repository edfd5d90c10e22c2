package emulator

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/pdemu/pdemu/emulator/apperr"
	"github.com/pdemu/pdemu/emulator/internal/connect"
	"github.com/pdemu/pdemu/emulator/internal/oauth"
)

// tokenResponse is the RFC 6749 §5.1 success body, with Pipedream's
// created_at. It has no scope field: Pipedream's has none.
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
	CreatedAt   int64  `json:"created_at"`
}

// issueToken serves POST /v1/oauth/token.
func (e *Emulator) issueToken(r *http.Request, c *call) (response, error) {
	noStore(c)
	p, usedBasic, err := c.oauthRequest(r)
	if err == nil {
		var tok oauth.Token
		tok, err = e.auth.Issue(oauth.TokenRequest{GrantType: p.GrantType, ClientID: p.ClientID, ClientSecret: p.ClientSecret, Scope: p.Scope})
		if err == nil {
			return ok(tokenResponse{
				AccessToken: tok.AccessToken, TokenType: tok.TokenType,
				ExpiresIn: tok.ExpiresIn, CreatedAt: tok.CreatedAt.Unix(),
			})
		}
	}
	return response{}, clientError(c, usedBasic, err)
}

// parsedOAuthRequest is an OAuth endpoint's request read once: by the
// fault plans and rate limits, which need the client it names before the
// handler runs, and by the handler.
type parsedOAuthRequest struct {
	params    oauthParams
	usedBasic bool
	err       error
}

// oauthRequest reads the request's OAuth parameters, once.
func (c *call) oauthRequest(r *http.Request) (oauthParams, bool, error) {
	if c.parsedOAuth == nil {
		p, usedBasic, err := parseOAuthRequest(r)
		c.parsedOAuth = &parsedOAuthRequest{p, usedBasic, err}
		c.clientID = p.ClientID
	}
	return c.parsedOAuth.params, c.parsedOAuth.usedBasic, c.parsedOAuth.err
}

// identifyOAuthClient makes the client an OAuth endpoint's request names
// known before the handler runs (Endpoint.identify).
func identifyOAuthClient(r *http.Request, c *call) { _, _, _ = c.oauthRequest(r) }

// revokeToken serves POST /v1/oauth/revoke (RFC 7009), which Pipedream
// documents for its access tokens with a JSON body and a 200 {} answer.
// It takes what the token endpoint takes: JSON or a form body (RFC 7009
// §2.1), client credentials in the body or HTTP Basic. token_type_hint is
// ignored, as §2.1 allows: the token's form tells the kinds apart.
//
// Besides access tokens, it revokes (deletes) a Connect token (ctok_…) of
// a project the client may reach, which is then refused as an unknown
// token; Pipedream has not said whether its endpoint does. Whatever the
// token (unknown, malformed, expired, another client's or another
// workspace's), an authenticated client gets 200 {} (RFC 7009 §2.2); only
// its own access tokens, and Connect tokens of projects it may reach, are
// revoked.
func (e *Emulator) revokeToken(r *http.Request, c *call) (response, error) {
	noStore(c)
	p, usedBasic, err := c.oauthRequest(r)
	if err == nil {
		err = e.auth.Revoke(oauth.RevokeRequest{Token: p.Token, ClientID: p.ClientID, ClientSecret: p.ClientSecret})
	}
	if err != nil {
		return response{}, clientError(c, usedBasic, err)
	}
	if strings.HasPrefix(p.Token, connect.TokenPrefix) {
		// The client authenticated; one deleted since has no tokens to end.
		if client, err := e.auth.Get(p.ClientID); err == nil {
			e.connect.RevokeToken(connect.Access{WorkspaceID: client.WorkspaceID, ProjectIDs: client.ProjectIDs}, p.Token)
		}
	}
	return ok(struct{}{})
}

// revokeAny revokes an access token or a Connect token whoever it belongs
// to, for the Go API; it reports whether there was a live one.
func (e *Emulator) revokeAny(raw string) bool {
	if !strings.HasPrefix(raw, connect.TokenPrefix) {
		return e.auth.RevokeAny(raw)
	}
	ct, err := e.connect.AuthenticateToken(raw)
	return err == nil && e.connect.RevokeToken(ct.Access(), raw)
}

// noStore marks an answer of an OAuth endpoint uncacheable. RFC 6749 §5.1
// asks it of responses with tokens or credentials; it is sent on errors
// too, as fosite and most servers do.
func noStore(c *call) {
	c.header.Set("Cache-Control", "no-store")
	c.header.Set("Pragma", "no-cache")
}

// clientError is err as an OAuth endpoint answers it: a client that
// authenticated with the Authorization header and failed gets a challenge
// naming the scheme it used (RFC 6749 §5.2).
func clientError(c *call, usedBasic bool, err error) error {
	if usedBasic && errors.Is(err, oauth.ErrInvalidClient) {
		c.header.Set("WWW-Authenticate", fmt.Sprintf("Basic realm=%q", realm))
	}
	return err
}

// oauthParams are the parameters of the OAuth endpoints, token (RFC 6749
// §4.4.2) and revocation (RFC 7009 §2.1): each reads those it needs, and
// any other (token_type_hint among them) is ignored.
type oauthParams struct {
	GrantType    string `json:"grant_type"`
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
	Scope        string `json:"scope"`
	Token        string `json:"token"`
}

// parseOAuthRequest reads a request to an OAuth endpoint however the
// client sent it: a JSON body (what Pipedream's SDKs send), a form body
// (RFC 6749 §4.4.2, RFC 7009 §2.1), and client credentials in the body or
// in HTTP Basic (RFC 6749 §2.3.1), but never both at once.
func parseOAuthRequest(r *http.Request) (p oauthParams, usedBasic bool, err error) {
	raw, err := bodyBytes(r)
	if err != nil {
		return p, false, tokenBodyError(err)
	}
	ct := r.Header.Get("Content-Type")
	mt, _, mtErr := mime.ParseMediaType(ct)
	switch {
	case ct == "" && len(raw) == 0:
		// No body at all: every field is missing, reported by the endpoint.
	case mtErr == nil && mt == "application/json":
		if err := json.Unmarshal(raw, &p); err != nil {
			return p, false, tokenBodyError(err)
		}
	case mtErr == nil && mt == "application/x-www-form-urlencoded":
		form, err := url.ParseQuery(string(raw))
		if err != nil {
			return p, false, oauth.ErrInvalidRequest.WithMessage("request body is not valid form encoding")
		}
		for k, v := range form {
			if len(v) > 1 { // RFC 6749 §3.2
				return p, false, oauth.ErrInvalidRequest.WithMessage("parameter %q is repeated", k)
			}
		}
		p = oauthParams{GrantType: form.Get("grant_type"), ClientID: form.Get("client_id"),
			ClientSecret: form.Get("client_secret"), Scope: form.Get("scope"), Token: form.Get("token")}
	default:
		return p, false, errUnsupportedMedia("application/json or application/x-www-form-urlencoded")
	}

	scheme, creds, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Basic") {
		return p, false, nil
	}
	id, secret, err := parseBasic(strings.TrimSpace(creds))
	if err != nil {
		return p, true, err
	}
	if p.ClientSecret != "" || (p.ClientID != "" && p.ClientID != id) {
		return p, true, oauth.ErrInvalidRequest.WithMessage("client credentials were sent both in the Authorization header and in the body; use one method (RFC 6749 §2.3)")
	}
	p.ClientID, p.ClientSecret = id, secret
	return p, true, nil
}

// parseBasic decodes HTTP Basic credentials. RFC 6749 §2.3.1 has clients
// form-encode id and secret before base64 (golang.org/x/oauth2 does), so
// both are unescaped.
func parseBasic(creds string) (id, secret string, err error) {
	bad := oauth.ErrInvalidRequest.WithMessage("the Basic Authorization header is not base64 of client_id:client_secret")
	b, err := base64.StdEncoding.DecodeString(creds)
	if err != nil {
		return "", "", bad
	}
	rawID, rawSecret, found := strings.Cut(string(b), ":")
	if !found {
		return "", "", bad
	}
	if id, err = url.QueryUnescape(rawID); err != nil {
		return "", "", bad
	}
	if secret, err = url.QueryUnescape(rawSecret); err != nil {
		return "", "", bad
	}
	return id, secret, nil
}

// tokenBodyError is bodyError with the OAuth endpoints' RFC 6749 code.
func tokenBodyError(err error) error {
	ae := apperr.As(bodyError(err))
	if ae.Kind == apperr.Invalid {
		return oauth.ErrInvalidRequest.WithMessage("%s", ae.Message)
	}
	return ae
}

// jwks serves the public key that verifies access tokens.
func (e *Emulator) jwks(*http.Request, *call) (response, error) {
	return ok(e.keys.PublicJWKS())
}

// scopeList accepts scopes as a space-separated string (as the token
// endpoint takes them) or as an array of names.
type scopeList string

func (s *scopeList) UnmarshalJSON(b []byte) error {
	var str string
	if err := json.Unmarshal(b, &str); err == nil {
		*s = scopeList(str)
		return nil
	}
	var list []string
	if err := json.Unmarshal(b, &list); err != nil {
		return apperr.ErrInvalid.WithMessage("scopes must be a space-separated string or an array of strings")
	}
	joined := ""
	for i, v := range list {
		if i > 0 {
			joined += " "
		}
		joined += v
	}
	*s = scopeList(joined)
	return nil
}

// clientJSON is a client as the control plane shows it: never a secret.
type clientJSON struct {
	ClientID        string   `json:"client_id"`
	Name            string   `json:"name"`
	WorkspaceID     string   `json:"workspace_id"`
	Scopes          []string `json:"scopes"`
	ProjectIDs      []string `json:"project_ids"`
	CreatedAt       string   `json:"created_at"`
	SecretRotatedAt string   `json:"secret_rotated_at"`
}

func toClientJSON(c oauth.Client) clientJSON {
	pids := c.ProjectIDs
	if pids == nil {
		pids = []string{}
	}
	return clientJSON{
		ClientID: c.ID, Name: c.Name, WorkspaceID: c.WorkspaceID, Scopes: c.Scopes, ProjectIDs: pids,
		CreatedAt: c.CreatedAt.Format(time.RFC3339), SecretRotatedAt: c.SecretRotatedAt.Format(time.RFC3339),
	}
}

// clientWithSecret is the one response that carries a secret: creation.
type clientWithSecret struct {
	clientJSON
	ClientSecret string `json:"client_secret"`
}

func (e *Emulator) createClient(r *http.Request, _ *call) (response, error) {
	var body struct {
		Name        string    `json:"name"`
		Scopes      scopeList `json:"scopes"`
		ProjectIDs  []string  `json:"project_ids"`
		WorkspaceID string    `json:"workspace_id"`
	}
	if err := decodeStrictJSON(r, &body); err != nil {
		return response{}, err
	}
	c, creds, err := e.newClient(ClientSpec{
		Name: body.Name, Scopes: string(body.Scopes), ProjectIDs: body.ProjectIDs, WorkspaceID: body.WorkspaceID,
	})
	if err != nil {
		return response{}, err
	}
	return created(clientWithSecret{clientJSON: toClientJSON(c), ClientSecret: creds.ClientSecret})
}

// listClients pages through the clients as the API's lists do (oldest
// first, limit, after, before): a page costs O(page) however many exist.
func (e *Emulator) listClients(r *http.Request, _ *call) (response, error) {
	req, err := pageRequest(r)
	if err != nil {
		return response{}, err
	}
	page, err := e.auth.Page(req)
	if err != nil {
		return response{}, err
	}
	return ok(toPageJSON(page, toClientJSON))
}

func (e *Emulator) getClient(r *http.Request, c *call) (response, error) {
	client, err := e.auth.Get(c.vars["client_id"])
	if err != nil {
		return response{}, err
	}
	return ok(toClientJSON(client))
}

func (e *Emulator) rotateSecret(r *http.Request, c *call) (response, error) {
	client, creds, err := e.auth.RotateSecret(c.vars["client_id"])
	if err != nil {
		return response{}, err
	}
	return ok(map[string]string{
		"client_id": creds.ClientID, "client_secret": creds.ClientSecret,
		"secret_rotated_at": client.SecretRotatedAt.Format(time.RFC3339),
	})
}

func (e *Emulator) deleteClient(r *http.Request, c *call) (response, error) {
	if err := e.auth.Delete(c.vars["client_id"]); err != nil {
		return response{}, err
	}
	return noContent()
}
