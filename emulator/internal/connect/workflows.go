package connect

import (
	"crypto/subtle"
	"encoding/json"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/pdemu/pdemu/emulator/apperr"
)

// Workflow invocation limits.
const (
	// MaxInvocationsKept is how many invocations of one endpoint are kept;
	// older ones are dropped first, so memory stays bounded however long a
	// load test invokes.
	MaxInvocationsKept = 1000
	// MaxWorkflowEndpoints is the default of the workflows limit: how many
	// endpoints are registered, and how many have invocations kept, at
	// once.
	MaxWorkflowEndpoints = 10000
	maxEndpointIDLen     = 63 // one DNS label: the id is a subdomain
)

// endpointIDPattern is the SDK's check on an endpoint id (applied there
// case-insensitively to lower-cased input).
var endpointIDPattern = regexp.MustCompile(`^e(n|o)[a-z0-9-]+$`)

// WorkflowAuth is how a registered workflow's HTTP trigger checks callers,
// after the three options Pipedream's HTTP triggers offer.
type WorkflowAuth string

// The workflow authorization modes.
const (
	// WorkflowAuthAuto checks a bearer token only when one is sent: a
	// Pipedream token must then be valid and hold connect:workflow:invoke;
	// no Authorization header passes. It is the mode of unregistered
	// endpoints.
	WorkflowAuthAuto WorkflowAuth = ""
	// WorkflowAuthNone accepts every caller and ignores Authorization.
	WorkflowAuthNone WorkflowAuth = "none"
	// WorkflowAuthOAuth requires a Pipedream OAuth access token or Connect
	// token holding connect:workflow:invoke.
	WorkflowAuthOAuth WorkflowAuth = "oauth"
	// WorkflowAuthStaticBearer requires Authorization: Bearer <Token>, the
	// trigger's own secret (the SDK's HTTPAuthType.StaticBearer).
	WorkflowAuthStaticBearer WorkflowAuth = "static_bearer"
)

// WorkflowSpec is what the control plane registers for an endpoint: its
// canned answer and how it checks callers.
type WorkflowSpec struct {
	EndpointID string
	// Status is the answer's status; 0 means 200.
	Status int
	// Headers are set on the answer.
	Headers map[string]string
	// Body is the answer's JSON; nil means pdemu's default answer.
	Body json.RawMessage
	Auth WorkflowAuth
	// Token is the static bearer token (WorkflowAuthStaticBearer only).
	Token string
}

// Workflow is a registered endpoint.
type Workflow struct {
	WorkflowSpec
	CreatedAt time.Time
}

// WorkflowInvocation is one request an endpoint received.
type WorkflowInvocation struct {
	ID         string
	EndpointID string
	Method     string
	// Path is what followed the endpoint in the URL ("/" when nothing did).
	Path  string
	Query string
	// Headers are the request's headers, names lower-cased, values of a
	// repeated header joined with ", "; never Authorization.
	Headers map[string]string
	Body    []byte
	// ExternalUserID is the X-PD-External-User-ID header (the SDK's
	// invokeForExternalUser), or a Connect token's user.
	ExternalUserID string
	// Auth is how the caller authenticated: "none", "oauth",
	// "connect_token" or "static_bearer".
	Auth string
	// WorkspaceID is the authenticated caller's workspace, if any.
	WorkspaceID string
	ReceivedAt  time.Time
}

// workflowState holds the registered endpoints and what each received.
// Workflows live on their own domain (*.m.pipedream.net), outside any
// project: deleting users or projects leaves them alone.
type workflowState struct {
	registered  map[string]*Workflow
	invocations map[string][]WorkflowInvocation
}

func (st *workflowState) reset() {
	st.registered = make(map[string]*Workflow)
	st.invocations = make(map[string][]WorkflowInvocation)
}

// ValidateEndpointID checks a workflow endpoint id as the SDK does:
// en… or eo… followed by lower-case letters, digits and hyphens, at most
// one DNS label long. Errors: invalid_request.
func ValidateEndpointID(id string) error {
	if len(id) > maxEndpointIDLen || !endpointIDPattern.MatchString(id) {
		return apperr.ErrInvalid.WithMessage("endpoint id %q must match ^e(n|o)[a-z0-9-]+$ and be at most %d characters", clipInput(id, 100), maxEndpointIDLen)
	}
	return nil
}

// hopHeaders may not be set on a canned answer: the server manages them.
var hopHeaders = []string{"connection", "content-length", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"}

func validateWorkflowSpec(spec *WorkflowSpec) error {
	if err := ValidateEndpointID(spec.EndpointID); err != nil {
		return err
	}
	if spec.Status == 0 {
		spec.Status = 200
	}
	if spec.Status < 200 || spec.Status > 599 {
		return apperr.ErrInvalid.WithMessage("status must be an HTTP status from 200 to 599")
	}
	if len(spec.Headers) > 50 {
		return apperr.ErrInvalid.WithMessage("at most 50 headers")
	}
	seen := map[string]bool{}
	for name, v := range spec.Headers {
		if seen[strings.ToLower(name)] {
			return apperr.ErrInvalid.WithMessage("header %q is given twice (names are case-insensitive)", clipInput(name, 100))
		}
		seen[strings.ToLower(name)] = true
		if !validHeaderName(name) || slices.Contains(hopHeaders, strings.ToLower(name)) {
			return apperr.ErrInvalid.WithMessage("header %q cannot be set on an answer", clipInput(name, 100))
		}
		if strings.ContainsAny(v, "\r\n\x00") || len(v) > 8192 {
			return apperr.ErrInvalid.WithMessage("header %q has a value with a line break or over 8192 bytes", name)
		}
	}
	if spec.Body != nil && !json.Valid(spec.Body) {
		return apperr.ErrInvalid.WithMessage("body must be JSON")
	}
	switch spec.Auth {
	case WorkflowAuthAuto, WorkflowAuthNone, WorkflowAuthOAuth:
		if spec.Token != "" {
			return apperr.ErrInvalid.WithMessage(`token applies only to auth "static_bearer"`)
		}
	case WorkflowAuthStaticBearer:
		if spec.Token == "" || len(spec.Token) > 1000 || strings.ContainsAny(spec.Token, " \t\r\n") {
			return apperr.ErrInvalid.WithMessage(`auth "static_bearer" needs a token: 1..1000 characters without spaces`)
		}
	default:
		return apperr.ErrInvalid.WithMessage(`auth must be "none", "oauth" or "static_bearer" (absent: check a bearer only when one is sent)`)
	}
	return nil
}

// validHeaderName reports whether name is an RFC 9110 token.
func validHeaderName(name string) bool {
	if name == "" || len(name) > 200 {
		return false
	}
	for _, r := range name {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || strings.ContainsRune("!#$%&'*+-.^_`|~", r)) {
			return false
		}
	}
	return true
}

// RegisterWorkflow registers (or re-registers, replacing) an endpoint's
// canned answer; its invocations so far are kept. Errors: invalid_request,
// limit_exceeded when the workflows limit is reached.
func (s *Store) RegisterWorkflow(spec WorkflowSpec) (Workflow, error) {
	if err := validateWorkflowSpec(&spec); err != nil {
		return Workflow{}, err
	}
	spec.Headers = maps.Clone(spec.Headers)
	spec.Body = slices.Clone(spec.Body)
	now := s.clock.Now()
	s.lock()
	defer s.mu.Unlock()
	if _, ok := s.workflows.registered[spec.EndpointID]; !ok {
		if err := s.limits.check(LimitWorkflows, len(s.workflows.registered)); err != nil {
			return Workflow{}, err
		}
	}
	w := &Workflow{WorkflowSpec: spec, CreatedAt: now}
	s.workflows.registered[spec.EndpointID] = w
	return w.copy(), nil
}

func (w *Workflow) copy() Workflow {
	v := *w
	v.Headers = maps.Clone(w.Headers)
	v.Body = slices.Clone(w.Body)
	return v
}

// WorkflowAuthMode is how an endpoint checks callers: its registered mode,
// or WorkflowAuthAuto for one nothing registered.
func (s *Store) WorkflowAuthMode(endpointID string) WorkflowAuth {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if w, ok := s.workflows.registered[endpointID]; ok {
		return w.Auth
	}
	return WorkflowAuthAuto
}

// WorkflowTokenMatches reports, in constant time, whether token is the
// static bearer secret registered for an endpoint.
func (s *Store) WorkflowTokenMatches(endpointID, token string) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	w, ok := s.workflows.registered[endpointID]
	return ok && w.Auth == WorkflowAuthStaticBearer && subtle.ConstantTimeCompare([]byte(token), []byte(w.Token)) == 1
}

// Workflow returns what is registered for an endpoint, if anything.
func (s *Store) Workflow(endpointID string) (Workflow, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	w, ok := s.workflows.registered[endpointID]
	if !ok {
		return Workflow{}, false
	}
	return w.copy(), true
}

// RecordInvocation keeps an invocation of an endpoint (registered or not),
// giving it an id and the store's time. Errors: invalid_request (endpoint
// id), limit_exceeded when as many distinct endpoints as the workflows
// limit allows were invoked.
func (s *Store) RecordInvocation(inv WorkflowInvocation) (WorkflowInvocation, error) {
	if err := ValidateEndpointID(inv.EndpointID); err != nil {
		return WorkflowInvocation{}, err
	}
	inv.ID = s.gen.New("inv_", 12)
	inv.ReceivedAt = s.clock.Now()
	inv.Headers = maps.Clone(inv.Headers)
	inv.Body = slices.Clone(inv.Body)
	s.lock()
	defer s.mu.Unlock()
	list, seen := s.workflows.invocations[inv.EndpointID]
	if !seen {
		if err := s.limits.check(LimitWorkflows, len(s.workflows.invocations)); err != nil {
			return WorkflowInvocation{}, err
		}
	}
	if len(list) >= 2*MaxInvocationsKept {
		// Trimmed in batches, so appending stays O(1) amortised; copied
		// rather than resliced, so the dropped bodies can be collected.
		list = slices.Clone(list[len(list)-MaxInvocationsKept+1:])
	}
	s.workflows.invocations[inv.EndpointID] = append(list, inv)
	return inv, nil
}

// WorkflowInvocations returns an endpoint's kept invocations, oldest
// first; none is an empty list. Errors: invalid_request (endpoint id).
func (s *Store) WorkflowInvocations(endpointID string) ([]WorkflowInvocation, error) {
	if err := ValidateEndpointID(endpointID); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	list := s.workflows.invocations[endpointID]
	list = list[max(0, len(list)-MaxInvocationsKept):]
	out := make([]WorkflowInvocation, len(list))
	for i, inv := range list {
		inv.Headers = maps.Clone(inv.Headers)
		inv.Body = slices.Clone(inv.Body)
		out[i] = inv
	}
	return out, nil
}
