package connect

import (
	"net/url"
	"strings"
	"time"

	"github.com/pdemu/pdemu/emulator/apperr"
)

// MaxWebhookURLLen bounds a project webhook's URL, as browsers and most
// servers bound URLs; Pipedream documents no limit.
const MaxWebhookURLLen = 2048

// ProjectWebhook is the webhook of one project environment: where Pipedream
// sends that environment's Connect events. Each (project, environment) has
// at most one.
type ProjectWebhook struct {
	ID          string
	ProjectID   string
	Environment Environment
	URL         string
	// SigningKey signs deliveries. The API shows it only when the webhook
	// is created and when the key is regenerated.
	SigningKey string
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// ValidateWebhookURL checks a webhook URL: an absolute http or https URL
// with a host, at most MaxWebhookURLLen bytes. Errors: invalid_request.
func ValidateWebhookURL(field, raw string) error {
	if raw == "" {
		return apperr.ErrInvalid.WithMessage("%s is required", field)
	}
	if len(raw) > MaxWebhookURLLen {
		return apperr.ErrInvalid.WithMessage("%s is longer than %d bytes", field, MaxWebhookURLLen)
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Opaque != "" ||
		!(strings.EqualFold(u.Scheme, "http") || strings.EqualFold(u.Scheme, "https")) {
		return apperr.ErrInvalid.WithMessage("%s must be an absolute http or https URL", field)
	}
	if strings.ContainsAny(raw, " \t\r\n") {
		return apperr.ErrInvalid.WithMessage("%s must not contain white space", field)
	}
	return nil
}

// ProjectWebhook returns a project environment's webhook; found is false
// when none is set. Errors: not_found for a project the caller can't see.
func (s *Store) ProjectWebhook(a Access, projectID string, env Environment) (hook ProjectWebhook, found bool, err error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	p, err := s.project(a, projectID)
	if err != nil {
		return ProjectWebhook{}, false, err
	}
	h := p.webhooks[env.index()]
	if h == nil {
		return ProjectWebhook{}, false, nil
	}
	return *h, true, nil
}

// SetProjectWebhook creates a project environment's webhook, with a new
// signing key, or points the existing one at another URL (its key stays).
// created tells which happened: only a creation shows the key. Errors:
// invalid_request for a bad URL, not_found for the project.
func (s *Store) SetProjectWebhook(a Access, projectID string, env Environment, rawURL string) (hook ProjectWebhook, created bool, err error) {
	if err := ValidateWebhookURL("url", rawURL); err != nil {
		return ProjectWebhook{}, false, err
	}
	now := s.clock.Now()
	s.lock()
	defer s.mu.Unlock()
	p, err := s.project(a, projectID)
	if err != nil {
		return ProjectWebhook{}, false, err
	}
	if h := p.webhooks[env.index()]; h != nil {
		if h.URL != rawURL {
			h.URL, h.UpdatedAt = rawURL, now
		}
		return *h, false, nil
	}
	h := &ProjectWebhook{ID: s.gen.New("wh_", 7), ProjectID: projectID, Environment: env, URL: rawURL,
		SigningKey: s.gen.Secret(), CreatedAt: now, UpdatedAt: now}
	p.webhooks[env.index()] = h
	return *h, true, nil
}

// DeleteProjectWebhook removes a project environment's webhook. Errors:
// not_found for the project, or when the environment has no webhook.
func (s *Store) DeleteProjectWebhook(a Access, projectID string, env Environment) error {
	s.lock()
	defer s.mu.Unlock()
	p, err := s.project(a, projectID)
	if err != nil {
		return err
	}
	if p.webhooks[env.index()] == nil {
		return errNoWebhook(env)
	}
	p.webhooks[env.index()] = nil
	return nil
}

// RegenerateProjectWebhookKey gives a project environment's webhook a new
// signing key and returns it; the old key is gone at once. Errors:
// not_found for the project, or when the environment has no webhook.
func (s *Store) RegenerateProjectWebhookKey(a Access, projectID string, env Environment) (ProjectWebhook, error) {
	now := s.clock.Now()
	s.lock()
	defer s.mu.Unlock()
	p, err := s.project(a, projectID)
	if err != nil {
		return ProjectWebhook{}, err
	}
	h := p.webhooks[env.index()]
	if h == nil {
		return ProjectWebhook{}, errNoWebhook(env)
	}
	h.SigningKey, h.UpdatedAt = s.gen.Secret(), now
	return *h, nil
}

func errNoWebhook(env Environment) error {
	return apperr.ErrNotFound.WithMessage("no webhook is set for the %s environment of this project", env)
}
