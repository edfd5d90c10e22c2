package emulator

import (
	"net/http"
	"strings"

	"github.com/pdemu/pdemu/emulator/apperr"
	"github.com/pdemu/pdemu/emulator/internal/connect"
	"github.com/pdemu/pdemu/emulator/internal/oauth"
)

// authorize identifies the caller and checks the endpoint's scope: the one
// place that does, for every row that takes a token. (The control plane's
// rule, authorizeControl, runs earlier still, before the body is read.)
func (e *Emulator) authorize(r *http.Request, ep Endpoint, c *call) error {
	h := r.Header.Get("Authorization")
	if ep.Auth == WorkflowTrigger {
		id := c.vars["endpoint_id"]
		switch e.connect.WorkflowAuthMode(id) {
		case connect.WorkflowAuthNone:
			return nil
		case connect.WorkflowAuthStaticBearer:
			tok, err := bearerToken(h)
			if err != nil {
				return apperr.As(err).WithMessage("this workflow requires its bearer token: Authorization: Bearer <token>")
			}
			if !e.connect.WorkflowTokenMatches(id, tok) {
				return oauth.ErrInvalidToken.WithMessage("this is not the workflow's bearer token")
			}
			c.staticBearer = true
			return nil
		case connect.WorkflowAuthAuto:
			if scheme, _, _ := strings.Cut(h, " "); !strings.EqualFold(scheme, "Bearer") {
				return nil // no bearer token to check
			}
		}
	}
	raw, err := bearerToken(h)
	if err != nil {
		return err
	}
	if strings.HasPrefix(raw, connect.TokenPrefix) {
		if !ep.Auth.AcceptsConnectToken() {
			return oauth.ErrInvalidToken.WithMessage("this endpoint takes an OAuth access token, not a Connect token")
		}
		ct, err := e.connect.AuthenticateToken(raw)
		if err != nil {
			return err
		}
		c.connectToken = &ct
	} else {
		if !ep.Auth.AcceptsOAuth() {
			return oauth.ErrInvalidToken.WithMessage("this endpoint takes a Connect token (ctok_…), not an OAuth access token")
		}
		if c.principal, err = e.auth.Authenticate(raw); err != nil {
			return err
		}
	}
	if len(ep.Scopes) > 0 && !c.scopes().CoversAny(ep.Scopes) {
		return oauth.ErrInsufficientScope.
			WithMessage("this endpoint requires the scope %s", strings.Join(ep.Scopes, " or ")).
			WithDetails(map[string]any{"required_scopes": ep.Scopes})
	}
	return nil
}

// scopeToProject settles which project and environment a project-scoped
// request acts on. A Connect token implies both; a path or header that
// contradicts it is refused.
func (e *Emulator) scopeToProject(r *http.Request, c *call) error {
	header := r.Header.Get("X-Pd-Environment")
	env, err := connect.ParseEnvironment(header)
	if err != nil {
		return err
	}
	c.projectID = c.vars["project_id"]
	if ct := c.connectToken; ct != nil {
		if c.projectID == "" {
			c.projectID = ct.ProjectID
		}
		if header == "" {
			env = ct.Environment
		} else if env != ct.Environment {
			return apperr.ErrInvalid.WithMessage("x-pd-environment is %s but the Connect token was made for %s", env, ct.Environment)
		}
	}
	if c.projectID == "" {
		return apperr.ErrInvalid.WithMessage("this path needs a project id: /v1/connect/{project_id}/… (only Connect tokens imply one)")
	}
	if _, err := e.connect.Project(c.access(), c.projectID); err != nil {
		return err
	}
	c.env = env
	return nil
}

// bearerToken extracts the token of an `Authorization: Bearer` header. The
// scheme is case-insensitive (RFC 6750 §2.1 via RFC 7235). Another scheme is
// treated as no token. The token's syntax is not checked here: the
// verification cache answers for tokens seen before, and the JWT parser
// refuses anything else, so a scan on every request would buy nothing.
func bearerToken(h string) (string, error) {
	scheme, tok, _ := strings.Cut(h, " ")
	if h == "" || !strings.EqualFold(scheme, "Bearer") {
		return "", oauth.ErrMissingToken.WithMessage("send a bearer token: Authorization: Bearer <access token>")
	}
	if tok = strings.TrimLeft(tok, " "); tok == "" {
		return "", oauth.ErrInvalidToken.WithMessage("the Authorization header holds no bearer token")
	}
	return tok, nil
}
