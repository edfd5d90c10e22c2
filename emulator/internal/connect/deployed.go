package connect

import (
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/pdemu/pdemu/emulator/apperr"
	"github.com/pdemu/pdemu/emulator/internal/names"
	"github.com/pdemu/pdemu/emulator/internal/paging"
	"github.com/pdemu/pdemu/emulator/internal/seqset"
)

// DeployedTrigger is a trigger deployed for an external user (Pipedream's
// DeployedComponent, dc_…): a component instance that emits events to its
// webhooks and workflows. Copies share slices and maps with the store,
// which replaces rather than modifies them; callers must not modify them.
type DeployedTrigger struct {
	ID             string
	ProjectID      string
	Environment    Environment
	ExternalUserID string
	// OwnerID is the external user's Pipedream id (exu_…).
	OwnerID          string
	ComponentID      string // sc_…
	ComponentKey     string
	ComponentVersion string
	Props            []Prop
	ConfiguredProps  map[string]any
	Active           bool
	Name             string
	NameSlug         string
	EmitOnDeploy     bool
	// WorkflowIDs are the workflows (p_…) that receive its events.
	WorkflowIDs []string
	// Webhooks are the URLs that receive its events, each with its own
	// signing key.
	Webhooks  []TriggerWebhook
	CreatedAt time.Time
	UpdatedAt time.Time

	seq    uint64
	events []EmittedEvent // oldest first, at most maxTriggerEvents
}

// TriggerWebhook is a URL a deployed trigger delivers its events to.
type TriggerWebhook struct {
	ID         string
	URL        string
	SigningKey string
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// EmittedEvent is an event a deployed trigger emitted.
type EmittedEvent struct {
	ID      string
	Payload any
	Summary string
	Time    time.Time
}

// maxTriggerEvents is how many events a trigger keeps (the most listEvents
// returns); older ones are dropped.
const maxTriggerEvents = 100

// EmitterSource is the one emitter type pdemu's deploys create: deployed
// components. HTTP, timer and email emitters (hi_…, ti_…) are never made.
const EmitterSource = "source"

// emitterTypes are the SDK's EmitterType values.
var emitterTypes = []string{"email", "http", EmitterSource, "timer"}

// deployedKind files deployed triggers by id, in their user's index and
// their project environment's.
var deployedKind = ownedKind[DeployedTrigger]{
	limit: LimitDeployedTriggers,
	key:   func(t *DeployedTrigger) string { return t.ID },
	seq:   func(t *DeployedTrigger) uint64 { return t.seq },
	indexes: func(s *Store, t *DeployedTrigger) []*seqset.Set[*DeployedTrigger] {
		return ownerIndexes(s, t.ProjectID, t.Environment, t.ExternalUserID,
			func(u *userRecord) *seqset.Set[*DeployedTrigger] { return &u.triggers },
			func(p *projectRecord) *seqset.Set[*DeployedTrigger] { return &p.triggers[t.Environment.index()] })
	},
	ofUser: func(u *userRecord) *seqset.Set[*DeployedTrigger] { return &u.triggers },
}

// slugIndex is one user's taken name slugs and, per base slug, the next
// numeric suffix to try, so that making a unique one costs O(1) however
// many triggers share a name. Freed slugs are reused; freed suffixes below
// the hint are not, which keeps slugs unique and the search short.
type slugIndex struct {
	taken map[string]bool
	next  map[string]int
}

// claim returns slugify(name) if the user's triggers don't have it, else
// base-N for the next N >= 2 not handed out for that base, and marks it
// taken.
func (idx *slugIndex) claim(name string) string {
	if idx.taken == nil {
		idx.taken, idx.next = map[string]bool{}, map[string]int{}
	}
	base := slugify(name)
	slug := base
	if idx.taken[slug] {
		i := max(idx.next[base], 2)
		for idx.taken[base+"-"+strconv.Itoa(i)] {
			i++
		}
		slug = base + "-" + strconv.Itoa(i)
		idx.next[base] = i + 1
	}
	idx.taken[slug] = true
	return slug
}

// release frees a slug of the user's.
func (idx *slugIndex) release(slug string) { delete(idx.taken, slug) }

// validWorkflowID checks a workflow id: p_ followed by letters or digits.
func validWorkflowID(id string) bool {
	rest, ok := strings.CutPrefix(id, "p_")
	return ok && rest != "" && strings.IndexFunc(rest, func(r rune) bool {
		return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9')
	}) < 0
}

// checkWebhookURL accepts absolute http(s) URLs of up to 2048 bytes.
func checkWebhookURL(field, v string) error {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(v) > 2048 {
		return apperr.ErrInvalid.WithMessage("%s must be an absolute http or https URL (at most 2048 bytes): %q", field, truncateText(v, 100))
	}
	return nil
}

func truncateText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// slugify turns a name into a name slug: lower-case letters and digits
// separated by single hyphens.
func slugify(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
		} else {
			dash = true
		}
	}
	if b.Len() == 0 {
		return "trigger"
	}
	return b.String()
}

// DeployRequest asks to deploy a trigger.
type DeployRequest struct {
	PropsRequest
	// WorkflowID (p_…) and WebhookURL, when set, become the trigger's first
	// workflow and webhook.
	WorkflowID string
	WebhookURL string
	// EmitOnDeploy defaults to true, as Pipedream's does.
	EmitOnDeploy *bool
}

// DeployTrigger deploys a trigger for an external user (created if new),
// checking its configuration as RunAction does. The trigger starts
// active, named after its component. pdemu runs no deploy hook, so nothing
// is emitted until events come through the control plane. Errors:
// invalid_request, not_found.
func (s *Store) DeployTrigger(a Access, projectID string, env Environment, req DeployRequest) (DeployedTrigger, error) {
	if req.WorkflowID != "" && !validWorkflowID(req.WorkflowID) {
		return DeployedTrigger{}, apperr.ErrInvalid.WithMessage("workflow_id %q must look like p_ followed by letters or digits", req.WorkflowID)
	}
	if req.WebhookURL != "" {
		if err := checkWebhookURL("webhook_url", req.WebhookURL); err != nil {
			return DeployedTrigger{}, err
		}
	}
	now := s.clock.Now()
	s.lock()
	defer s.mu.Unlock()
	p, comp, props, err := s.resolve(a, projectID, env, KindTrigger, req.PropsRequest)
	if err != nil {
		return DeployedTrigger{}, err
	}
	user := userKey{projectID, env, req.ExternalUserID}
	if err := s.checkConfigured(props, req.ConfiguredProps, user, true); err != nil {
		return DeployedTrigger{}, err
	}
	if err := s.deployed.room(s); err != nil {
		return DeployedTrigger{}, err
	}
	u, err := s.ensureUser(p, env, req.ExternalUserID)
	if err != nil {
		return DeployedTrigger{}, err
	}
	t := &DeployedTrigger{
		ID: s.gen.New("dc_", 7), ProjectID: projectID, Environment: env, ExternalUserID: req.ExternalUserID,
		OwnerID: u.ID, ComponentID: comp.ID, ComponentKey: comp.Key, ComponentVersion: comp.Version,
		Props: slices.Clone(props), ConfiguredProps: cloneConfigured(req.ConfiguredProps), Active: true,
		Name: comp.Name, EmitOnDeploy: req.EmitOnDeploy == nil || *req.EmitOnDeploy,
		WorkflowIDs: []string{}, Webhooks: []TriggerWebhook{},
		CreatedAt: now, UpdatedAt: now, seq: s.nextSeq(),
	}
	t.NameSlug = u.slugs.claim(t.Name)
	if req.WorkflowID != "" {
		t.WorkflowIDs = []string{req.WorkflowID}
	}
	if req.WebhookURL != "" {
		t.Webhooks = []TriggerWebhook{s.newTriggerWebhook(req.WebhookURL, now)}
	}
	s.deployed.add(s, t)
	return *t, nil
}

func (s *Store) newTriggerWebhook(u string, now time.Time) TriggerWebhook {
	return TriggerWebhook{ID: s.gen.New("wh_", 10), URL: u, SigningKey: s.gen.Secret(), CreatedAt: now, UpdatedAt: now}
}

// cloneConfigured copies a configuration's top level (nil values, which
// mean "not set", are dropped); the values themselves are never modified.
func cloneConfigured(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		if v != nil {
			out[k] = v
		}
	}
	return out
}

// TriggerOwner names the external user a deployed-trigger call acts for.
type TriggerOwner struct {
	ProjectID      string
	Environment    Environment
	ExternalUserID string
}

// trigger returns a deployed trigger of the owner; callers hold the lock.
// Another user's trigger, or another environment's, looks absent.
func (s *Store) trigger(a Access, o TriggerOwner, id string) (*DeployedTrigger, error) {
	if _, err := s.project(a, o.ProjectID); err != nil {
		return nil, err
	}
	t, ok := s.deployed.byKey[id]
	if !ok || t.ProjectID != o.ProjectID || t.Environment != o.Environment || t.ExternalUserID != o.ExternalUserID || !a.reaches(t.ExternalUserID) {
		return nil, apperr.ErrNotFound.WithMessage("no deployed trigger %q for external user %q", id, o.ExternalUserID)
	}
	return t, nil
}

// ParseEmitterType checks an emitter_type filter ("" means source).
// Errors: invalid_request.
func ParseEmitterType(v string) (string, error) {
	if v == "" {
		return EmitterSource, nil
	}
	if !slices.Contains(emitterTypes, v) {
		return "", apperr.ErrInvalid.WithMessage("emitter_type must be one of %s", strings.Join(emitterTypes, ", "))
	}
	return v, nil
}

// ListDeployedTriggers pages through an external user's deployed triggers
// of an emitter type, oldest first. Only source emitters exist in pdemu,
// so the other types list nothing. Errors: not_found (project).
func (s *Store) ListDeployedTriggers(a Access, o TriggerOwner, emitterType string, req PageRequest) (Page[DeployedTrigger], error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if _, err := s.project(a, o.ProjectID); err != nil {
		return Page[DeployedTrigger]{}, err
	}
	index := &seqset.Set[*DeployedTrigger]{}
	if u, ok := s.user(o.ProjectID, o.Environment, o.ExternalUserID); ok && emitterType == EmitterSource && a.reaches(u.ExternalID) {
		index = &u.triggers
	}
	page, err := seqset.Page(index, req, nil)
	return paging.Map(page, func(t *DeployedTrigger) DeployedTrigger { return *t }), err
}

// DeployedTrigger returns one of the owner's deployed triggers. Errors:
// not_found.
func (s *Store) DeployedTrigger(a Access, o TriggerOwner, id string) (DeployedTrigger, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	t, err := s.trigger(a, o, id)
	if err != nil {
		return DeployedTrigger{}, err
	}
	return *t, nil
}

// TriggerUpdate is what PUT …/deployed-triggers/{id} may change; nil
// fields stay as they are.
type TriggerUpdate struct {
	Active *bool
	// ConfiguredProps is merged into the configuration: a prop given
	// replaces its value, a null removes it; the result must still be a
	// complete, valid configuration.
	ConfiguredProps map[string]any
	Name            *string
	EmitOnDeploy    *bool
}

// UpdateDeployedTrigger changes a deployed trigger. A new name gets a new
// name slug. Errors: invalid_request (nothing is changed then), not_found.
func (s *Store) UpdateDeployedTrigger(a Access, o TriggerOwner, id string, u TriggerUpdate) (DeployedTrigger, error) {
	if u.Name != nil {
		if err := names.Validate("trigger", *u.Name); err != nil {
			return DeployedTrigger{}, err
		}
	}
	now := s.clock.Now()
	s.lock()
	defer s.mu.Unlock()
	t, err := s.trigger(a, o, id)
	if err != nil {
		return DeployedTrigger{}, err
	}
	configured := t.ConfiguredProps
	if u.ConfiguredProps != nil {
		configured = maps.Clone(t.ConfiguredProps)
		for k, v := range u.ConfiguredProps {
			if v == nil {
				delete(configured, k)
			} else {
				configured[k] = v
			}
		}
		if err := s.checkConfigured(t.Props, configured, userKey{o.ProjectID, o.Environment, o.ExternalUserID}, true); err != nil {
			return DeployedTrigger{}, err
		}
	}
	t.ConfiguredProps = configured
	if u.Active != nil {
		t.Active = *u.Active
	}
	if u.EmitOnDeploy != nil {
		t.EmitOnDeploy = *u.EmitOnDeploy
	}
	if u.Name != nil && *u.Name != t.Name {
		t.Name = *u.Name
		if owner, ok := s.user(t.ProjectID, t.Environment, t.ExternalUserID); ok {
			owner.slugs.release(t.NameSlug)
			t.NameSlug = owner.slugs.claim(t.Name)
		}
	}
	t.UpdatedAt = now
	return *t, nil
}

// DeleteDeployedTrigger removes a deployed trigger with its events,
// webhooks and workflow links. Errors: not_found.
func (s *Store) DeleteDeployedTrigger(a Access, o TriggerOwner, id string) error {
	s.lock()
	defer s.mu.Unlock()
	t, err := s.trigger(a, o, id)
	if err != nil {
		return err
	}
	s.deployed.remove(s, t)
	if u, ok := s.user(t.ProjectID, t.Environment, t.ExternalUserID); ok {
		u.slugs.release(t.NameSlug)
	}
	return nil
}

// Limits of TriggerEvents' n.
const (
	DefaultTriggerEvents = 20
	MaxTriggerEvents     = maxTriggerEvents
)

// TriggerEvents returns a deployed trigger's newest n events, newest
// first. Errors: invalid_request (n outside 1..100), not_found.
func (s *Store) TriggerEvents(a Access, o TriggerOwner, id string, n int) ([]EmittedEvent, error) {
	if n < 1 || n > MaxTriggerEvents {
		return nil, apperr.ErrInvalid.WithMessage("n must be an integer from 1 to %d", MaxTriggerEvents)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	t, err := s.trigger(a, o, id)
	if err != nil {
		return nil, err
	}
	return newestEvents(t, n), nil
}

// SetTriggerWorkflows replaces the workflows a trigger delivers to
// (duplicates collapse, order kept). Errors: invalid_request (an id not
// p_…), not_found.
func (s *Store) SetTriggerWorkflows(a Access, o TriggerOwner, id string, workflowIDs []string) (DeployedTrigger, error) {
	out := make([]string, 0, len(workflowIDs))
	for _, w := range workflowIDs {
		if !validWorkflowID(w) {
			return DeployedTrigger{}, apperr.ErrInvalid.WithMessage("workflow id %q must look like p_ followed by letters or digits", truncateText(w, 100))
		}
		if !slices.Contains(out, w) {
			out = append(out, w)
		}
	}
	now := s.clock.Now()
	s.lock()
	defer s.mu.Unlock()
	t, err := s.trigger(a, o, id)
	if err != nil {
		return DeployedTrigger{}, err
	}
	t.WorkflowIDs = out
	t.UpdatedAt = now
	return *t, nil
}

// SetTriggerWebhooks replaces the URLs a trigger delivers to (duplicates
// collapse, order kept). A URL it already had keeps its webhook id and
// signing key; a new one gets a fresh id and key. Errors: invalid_request
// (a URL that is not absolute http or https), not_found.
func (s *Store) SetTriggerWebhooks(a Access, o TriggerOwner, id string, urls []string) (DeployedTrigger, error) {
	for i, u := range urls {
		if err := checkWebhookURL("webhook_urls["+strconv.Itoa(i)+"]", u); err != nil {
			return DeployedTrigger{}, err
		}
	}
	now := s.clock.Now()
	s.lock()
	defer s.mu.Unlock()
	t, err := s.trigger(a, o, id)
	if err != nil {
		return DeployedTrigger{}, err
	}
	hooks := make([]TriggerWebhook, 0, len(urls))
	for _, u := range urls {
		if slices.ContainsFunc(hooks, func(h TriggerWebhook) bool { return h.URL == u }) {
			continue
		}
		if i := slices.IndexFunc(t.Webhooks, func(h TriggerWebhook) bool { return h.URL == u }); i >= 0 {
			hooks = append(hooks, t.Webhooks[i])
		} else {
			hooks = append(hooks, s.newTriggerWebhook(u, now))
		}
	}
	t.Webhooks = hooks
	t.UpdatedAt = now
	return *t, nil
}

// TriggerWebhook returns one of a trigger's webhooks. Errors: not_found.
func (s *Store) TriggerWebhook(a Access, o TriggerOwner, triggerID, webhookID string) (TriggerWebhook, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	t, err := s.trigger(a, o, triggerID)
	if err != nil {
		return TriggerWebhook{}, err
	}
	i := slices.IndexFunc(t.Webhooks, func(h TriggerWebhook) bool { return h.ID == webhookID })
	if i < 0 {
		return TriggerWebhook{}, apperr.ErrNotFound.WithMessage("deployed trigger %s has no webhook %q", triggerID, webhookID)
	}
	return t.Webhooks[i], nil
}

// RegenerateTriggerWebhookKey gives a trigger's webhook a new signing key;
// the old one stops being used at once. Errors: not_found.
func (s *Store) RegenerateTriggerWebhookKey(a Access, o TriggerOwner, triggerID, webhookID string) (TriggerWebhook, error) {
	now := s.clock.Now()
	s.lock()
	defer s.mu.Unlock()
	t, err := s.trigger(a, o, triggerID)
	if err != nil {
		return TriggerWebhook{}, err
	}
	i := slices.IndexFunc(t.Webhooks, func(h TriggerWebhook) bool { return h.ID == webhookID })
	if i < 0 {
		return TriggerWebhook{}, apperr.ErrNotFound.WithMessage("deployed trigger %s has no webhook %q", triggerID, webhookID)
	}
	hooks := slices.Clone(t.Webhooks)
	hooks[i].SigningKey = s.gen.Secret()
	hooks[i].UpdatedAt = now
	t.Webhooks = hooks
	return hooks[i], nil
}

// EmitSpec is an event to emit from a deployed trigger.
type EmitSpec struct {
	// Event is the payload: any JSON value but null.
	Event any
	// Summary is the event's one-line summary (sum); optional.
	Summary string
	// ID is the event's id; empty makes one up.
	ID string
}

// EmitEvent makes a deployed trigger emit an event, as if its source had
// seen one upstream: the event joins the trigger's list (the newest 100
// are kept) and counts one source emit of usage. pdemu delivers nothing to
// the trigger's webhooks or workflows. Errors: invalid_request (no event,
// over-long summary or id), not_found (trigger), conflict (the trigger is
// inactive: an inactive source emits nothing).
func (s *Store) EmitEvent(triggerID string, spec EmitSpec) (EmittedEvent, error) {
	switch {
	case spec.Event == nil:
		return EmittedEvent{}, apperr.ErrInvalid.WithMessage("event is required: the payload, any JSON value but null")
	case len(spec.Summary) > 1000:
		return EmittedEvent{}, apperr.ErrInvalid.WithMessage("summary is longer than 1000 bytes")
	case len(spec.ID) > 200:
		return EmittedEvent{}, apperr.ErrInvalid.WithMessage("id is longer than 200 bytes")
	}
	now := s.clock.Now()
	s.lock()
	defer s.mu.Unlock()
	t, ok := s.deployed.byKey[triggerID]
	if !ok {
		return EmittedEvent{}, apperr.ErrNotFound.WithMessage("no deployed trigger %q", triggerID)
	}
	if !t.Active {
		return EmittedEvent{}, apperr.ErrConflict.WithMessage("deployed trigger %s is inactive; activate it (PUT … {\"active\": true}) to emit", triggerID)
	}
	ev := EmittedEvent{ID: spec.ID, Payload: spec.Event, Summary: spec.Summary, Time: now}
	if ev.ID == "" {
		ev.ID = s.gen.New("", 27)
	}
	// Clip so the append never writes into an array a copy handed out
	// earlier still reads.
	evs := append(slices.Clip(t.events), ev)
	if len(evs) > maxTriggerEvents {
		evs = evs[len(evs)-maxTriggerEvents:]
	}
	t.events = evs
	if p, ok := s.projects[t.ProjectID]; ok {
		s.usage.record(p.WorkspaceID, t.ProjectID, t.Environment, usageSourceEmit, now, s.limits[LimitUsageSeconds])
	}
	return ev, nil
}
