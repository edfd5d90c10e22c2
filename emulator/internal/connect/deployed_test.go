package connect

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdemu/pdemu/emulator/apperr"
)

func (f compFixture) owner(env Environment, user string) TriggerOwner {
	return TriggerOwner{ProjectID: f.project, Environment: env, ExternalUserID: user}
}

func (f compFixture) deploy(t *testing.T, req DeployRequest) DeployedTrigger {
	t.Helper()
	tr, err := f.s.DeployTrigger(f.a, f.project, Development, req)
	require.NoError(t, err)
	return tr
}

func (f compFixture) slackTrigger() DeployRequest {
	return DeployRequest{PropsRequest: PropsRequest{ID: "slack-new-message-in-channels", ExternalUserID: "u1",
		ConfiguredProps: map[string]any{"slack": apn(f.slack), "conversations": []any{"C01GENERAL0"}}}}
}

func TestDeployTrigger(t *testing.T) {
	f := newCompFixture(t)
	start := f.s.clock.Now()
	req := f.slackTrigger()
	req.WorkflowID, req.WebhookURL = "p_abc123", "https://example.com/hook"
	tr := f.deploy(t, req)
	assert.Regexp(t, `^dc_[A-Za-z0-9]{7}$`, tr.ID)
	assert.Regexp(t, `^exu_`, tr.OwnerID)
	assert.Equal(t, "sc_slkNwMs", tr.ComponentID)
	assert.Equal(t, "slack-new-message-in-channels", tr.ComponentKey)
	assert.Equal(t, "New Message In Channels", tr.Name)
	assert.Equal(t, "new-message-in-channels", tr.NameSlug)
	assert.True(t, tr.Active)
	assert.True(t, tr.EmitOnDeploy, "emit_on_deploy defaults to true")
	assert.Equal(t, start, tr.CreatedAt)
	assert.Equal(t, []string{"p_abc123"}, tr.WorkflowIDs)
	require.Len(t, tr.Webhooks, 1)
	assert.Equal(t, "https://example.com/hook", tr.Webhooks[0].URL)
	assert.NotEmpty(t, tr.Webhooks[0].SigningKey)
	assert.Len(t, tr.Props, 4)

	users, err := f.s.ListUsers(f.a, f.project, Development, "", PageRequest{})
	require.NoError(t, err)
	assert.Equal(t, tr.OwnerID, users.Data[0].ID, "owner_id is the external user's id")

	second := f.deploy(t, f.slackTrigger())
	assert.Equal(t, "new-message-in-channels-2", second.NameSlug, "name slugs are unique per user")
	assert.Empty(t, second.Webhooks)
	assert.Empty(t, second.WorkflowIDs)

	off := false
	req = f.slackTrigger()
	req.EmitOnDeploy = &off
	assert.False(t, f.deploy(t, req).EmitOnDeploy)

	bad := []struct {
		name   string
		change func(*DeployRequest)
		want   error
	}{
		{"an action", func(r *DeployRequest) { r.ID = "slack-send-message" }, apperr.ErrNotFound},
		{"unknown trigger", func(r *DeployRequest) { r.ID = "nope" }, apperr.ErrNotFound},
		{"unknown version", func(r *DeployRequest) { r.Version = "9.9.9" }, apperr.ErrNotFound},
		{"missing prop", func(r *DeployRequest) { delete(r.ConfiguredProps, "conversations") }, apperr.ErrInvalid},
		{"another user's account", func(r *DeployRequest) { r.ExternalUserID = "u2" }, apperr.ErrInvalid},
		{"bad workflow id", func(r *DeployRequest) { r.WorkflowID = "wf_1" }, apperr.ErrInvalid},
		{"empty workflow suffix", func(r *DeployRequest) { r.WorkflowID = "p_" }, apperr.ErrInvalid},
		{"relative webhook", func(r *DeployRequest) { r.WebhookURL = "/hook" }, apperr.ErrInvalid},
		{"ftp webhook", func(r *DeployRequest) { r.WebhookURL = "ftp://example.com/x" }, apperr.ErrInvalid},
		{"no user", func(r *DeployRequest) { r.ExternalUserID = "" }, apperr.ErrInvalid},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			r := f.slackTrigger()
			tc.change(&r)
			_, err := f.s.DeployTrigger(f.a, f.project, Development, r)
			assert.ErrorIs(t, err, tc.want)
		})
	}
	page, err := f.s.ListDeployedTriggers(f.a, f.owner(Development, "u1"), EmitterSource, PageRequest{Limit: 100})
	require.NoError(t, err)
	assert.Len(t, page.Data, 3, "refused deploys add nothing")

	t.Run("platform props need no value", func(t *testing.T) {
		f.deploy(t, DeployRequest{PropsRequest: PropsRequest{ID: "http-new-requests", ExternalUserID: "u1"}})
		f.deploy(t, DeployRequest{PropsRequest: PropsRequest{ID: "schedule-custom-interval", ExternalUserID: "u1"}})
	})
}

func TestDeployedTriggerIsolation(t *testing.T) {
	f := newCompFixture(t)
	tr := f.deploy(t, f.slackTrigger())
	p2, err := f.s.CreateProject("o_a", ProjectSpec{Name: ptr("P2")})
	require.NoError(t, err)
	tests := []struct {
		name  string
		a     Access
		owner TriggerOwner
		want  error
	}{
		{"owner", f.a, f.owner(Development, "u1"), nil},
		{"another user", f.a, f.owner(Development, "u2"), apperr.ErrNotFound},
		{"another environment", f.a, f.owner(Production, "u1"), apperr.ErrNotFound},
		{"another project", f.a, TriggerOwner{ProjectID: p2.ID, Environment: Development, ExternalUserID: "u1"}, apperr.ErrNotFound},
		{"another workspace", Access{WorkspaceID: "o_b"}, f.owner(Development, "u1"), apperr.ErrNotFound},
		{"a client limited to another project", Access{WorkspaceID: "o_a", ProjectIDs: []string{p2.ID}}, f.owner(Development, "u1"), apperr.ErrNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.s.DeployedTrigger(tc.a, tc.owner, tr.ID)
			if tc.want == nil {
				assert.NoError(t, err)
				return
			}
			assert.ErrorIs(t, err, tc.want)
			_, err = f.s.UpdateDeployedTrigger(tc.a, tc.owner, tr.ID, TriggerUpdate{Active: ptr(false)})
			assert.ErrorIs(t, err, tc.want)
			assert.ErrorIs(t, f.s.DeleteDeployedTrigger(tc.a, tc.owner, tr.ID), tc.want)
			_, err = f.s.TriggerEvents(tc.a, tc.owner, tr.ID, 1)
			assert.ErrorIs(t, err, tc.want)
			page, err := f.s.ListDeployedTriggers(tc.a, tc.owner, EmitterSource, PageRequest{})
			if err == nil {
				assert.Empty(t, page.Data)
			}
		})
	}
	still, err := f.s.DeployedTrigger(f.a, f.owner(Development, "u1"), tr.ID)
	require.NoError(t, err)
	assert.True(t, still.Active, "no refused call changed it")
}

func TestListDeployedTriggers(t *testing.T) {
	f := newCompFixture(t)
	var made []string
	for range 12 {
		made = append(made, f.deploy(t, f.slackTrigger()).ID)
	}
	o := f.owner(Development, "u1")
	p1, err := f.s.ListDeployedTriggers(f.a, o, EmitterSource, PageRequest{Limit: 10})
	require.NoError(t, err)
	require.Len(t, p1.Data, 10)
	assert.Equal(t, made[0], p1.Data[0].ID, "oldest first")
	assert.Equal(t, 12, p1.PageInfo.TotalCount)
	require.NotNil(t, p1.PageInfo.EndCursor)
	req, err := ParsePageRequest("10", *p1.PageInfo.EndCursor, "")
	require.NoError(t, err)
	p2, err := f.s.ListDeployedTriggers(f.a, o, EmitterSource, req)
	require.NoError(t, err)
	assert.Equal(t, made[10:], []string{p2.Data[0].ID, p2.Data[1].ID})
	assert.Nil(t, p2.PageInfo.EndCursor)

	for _, typ := range []string{"http", "timer", "email"} {
		p, err := f.s.ListDeployedTriggers(f.a, o, typ, PageRequest{})
		require.NoError(t, err)
		assert.Empty(t, p.Data, typ)
	}
	for _, v := range []string{"sources", "HTTP", "dc"} {
		_, err := ParseEmitterType(v)
		assert.ErrorIs(t, err, apperr.ErrInvalid, v)
	}
	typ, err := ParseEmitterType("")
	require.NoError(t, err)
	assert.Equal(t, EmitterSource, typ)
}

func TestUpdateDeployedTrigger(t *testing.T) {
	f := newCompFixture(t)
	tr := f.deploy(t, f.slackTrigger())
	f.deploy(t, f.slackTrigger()) // takes the -2 slug
	o := f.owner(Development, "u1")
	require.NoError(t, f.clk.Advance(time.Minute))

	up, err := f.s.UpdateDeployedTrigger(f.a, o, tr.ID, TriggerUpdate{
		Active: ptr(false), Name: ptr("My Channels!"), EmitOnDeploy: ptr(false),
		ConfiguredProps: map[string]any{"keyword": "deploy", "conversations": []any{"C02RANDOM00"}},
	})
	require.NoError(t, err)
	assert.False(t, up.Active)
	assert.False(t, up.EmitOnDeploy)
	assert.Equal(t, "My Channels!", up.Name)
	assert.Equal(t, "my-channels", up.NameSlug)
	assert.Equal(t, map[string]any{"slack": apn(f.slack), "conversations": []any{"C02RANDOM00"}, "keyword": "deploy"}, up.ConfiguredProps, "merged")
	assert.Equal(t, tr.CreatedAt.Add(time.Minute), up.UpdatedAt)
	assert.Equal(t, tr.CreatedAt, up.CreatedAt)

	up, err = f.s.UpdateDeployedTrigger(f.a, o, tr.ID, TriggerUpdate{ConfiguredProps: map[string]any{"keyword": nil}})
	require.NoError(t, err)
	assert.NotContains(t, up.ConfiguredProps, "keyword", "null removes a prop")
	up, err = f.s.UpdateDeployedTrigger(f.a, o, tr.ID, TriggerUpdate{Name: ptr("New Message In Channels")})
	require.NoError(t, err)
	assert.Equal(t, "new-message-in-channels", up.NameSlug, "the rename freed the slug")
	up, err = f.s.UpdateDeployedTrigger(f.a, o, tr.ID, TriggerUpdate{Name: ptr("New message in channels 2")})
	require.NoError(t, err)
	assert.Equal(t, "new-message-in-channels-2-2", up.NameSlug, "the other trigger has new-message-in-channels-2")

	for name, u := range map[string]TriggerUpdate{
		"removing a required prop": {ConfiguredProps: map[string]any{"conversations": nil}, Active: ptr(true)},
		"a bad value":              {ConfiguredProps: map[string]any{"ignoreBot": "no"}, Active: ptr(true)},
		"an empty name":            {Name: ptr(""), Active: ptr(true)},
	} {
		_, err := f.s.UpdateDeployedTrigger(f.a, o, tr.ID, u)
		assert.ErrorIs(t, err, apperr.ErrInvalid, name)
	}
	got, err := f.s.DeployedTrigger(f.a, o, tr.ID)
	require.NoError(t, err)
	assert.False(t, got.Active, "refused updates change nothing")
	_, err = f.s.UpdateDeployedTrigger(f.a, o, "dc_nope", TriggerUpdate{})
	assert.ErrorIs(t, err, apperr.ErrNotFound)
}

func TestTriggerEvents(t *testing.T) {
	f := newCompFixture(t)
	tr := f.deploy(t, f.slackTrigger())
	o := f.owner(Development, "u1")

	evs, err := f.s.TriggerEvents(f.a, o, tr.ID, DefaultTriggerEvents)
	require.NoError(t, err)
	assert.Empty(t, evs)

	first, err := f.s.EmitEvent(tr.ID, EmitSpec{Event: map[string]any{"text": "first"}, Summary: "New message", ID: "evt-1"})
	require.NoError(t, err)
	assert.Equal(t, "evt-1", first.ID)
	assert.Equal(t, f.s.clock.Now(), first.Time)
	for i := range MaxTriggerEvents {
		require.NoError(t, f.clk.Advance(time.Millisecond))
		_, err := f.s.EmitEvent(tr.ID, EmitSpec{Event: float64(i)})
		require.NoError(t, err)
	}
	evs, err = f.s.TriggerEvents(f.a, o, tr.ID, MaxTriggerEvents)
	require.NoError(t, err)
	require.Len(t, evs, MaxTriggerEvents, "the newest 100 are kept")
	assert.Equal(t, float64(MaxTriggerEvents-1), evs[0].Payload, "newest first")
	assert.Equal(t, 0.0, evs[MaxTriggerEvents-1].Payload, "the first event fell off")
	assert.NotEmpty(t, evs[0].ID)
	assert.NotEqual(t, evs[0].ID, evs[1].ID)

	evs, err = f.s.TriggerEvents(f.a, o, tr.ID, 1)
	require.NoError(t, err)
	assert.Len(t, evs, 1)
	for _, n := range []int{0, -1, MaxTriggerEvents + 1} {
		_, err := f.s.TriggerEvents(f.a, o, tr.ID, n)
		assert.ErrorIs(t, err, apperr.ErrInvalid, n)
	}

	for name, tc := range map[string]struct {
		id   string
		spec EmitSpec
		want error
	}{
		"no event":        {tr.ID, EmitSpec{}, apperr.ErrInvalid},
		"unknown trigger": {"dc_nope", EmitSpec{Event: 1.0}, apperr.ErrNotFound},
		"long summary":    {tr.ID, EmitSpec{Event: 1.0, Summary: string(make([]byte, 1001))}, apperr.ErrInvalid},
	} {
		_, err := f.s.EmitEvent(tc.id, tc.spec)
		assert.ErrorIs(t, err, tc.want, name)
	}
	_, err = f.s.UpdateDeployedTrigger(f.a, o, tr.ID, TriggerUpdate{Active: ptr(false)})
	require.NoError(t, err)
	_, err = f.s.EmitEvent(tr.ID, EmitSpec{Event: 1.0})
	assert.ErrorIs(t, err, apperr.ErrConflict, "an inactive trigger emits nothing")
}

func TestTriggerWebhooksAndWorkflows(t *testing.T) {
	f := newCompFixture(t)
	req := f.slackTrigger()
	req.WebhookURL = "https://a.example/hook"
	tr := f.deploy(t, req)
	o := f.owner(Development, "u1")
	keep := tr.Webhooks[0]

	got, err := f.s.SetTriggerWebhooks(f.a, o, tr.ID, []string{"https://b.example/x", "https://a.example/hook", "https://b.example/x"})
	require.NoError(t, err)
	require.Len(t, got.Webhooks, 2, "duplicates collapse")
	assert.Equal(t, keep, got.Webhooks[1], "a kept URL keeps its id and key")
	assert.Regexp(t, `^wh_`, got.Webhooks[0].ID)
	assert.NotEqual(t, keep.SigningKey, got.Webhooks[0].SigningKey)

	h, err := f.s.TriggerWebhook(f.a, o, tr.ID, keep.ID)
	require.NoError(t, err)
	assert.Equal(t, keep, h)
	regen, err := f.s.RegenerateTriggerWebhookKey(f.a, o, tr.ID, keep.ID)
	require.NoError(t, err)
	assert.NotEqual(t, keep.SigningKey, regen.SigningKey)
	assert.Equal(t, keep.ID, regen.ID)
	h, _ = f.s.TriggerWebhook(f.a, o, tr.ID, keep.ID)
	assert.Equal(t, regen.SigningKey, h.SigningKey)
	assert.Equal(t, keep.SigningKey, got.Webhooks[1].SigningKey, "copies handed out earlier do not change")

	_, err = f.s.TriggerWebhook(f.a, o, tr.ID, "wh_nope")
	assert.ErrorIs(t, err, apperr.ErrNotFound)
	_, err = f.s.RegenerateTriggerWebhookKey(f.a, o, tr.ID, "wh_nope")
	assert.ErrorIs(t, err, apperr.ErrNotFound)
	_, err = f.s.SetTriggerWebhooks(f.a, o, tr.ID, []string{"https://ok.example", "not a url"})
	assert.ErrorIs(t, err, apperr.ErrInvalid)
	got, err = f.s.SetTriggerWebhooks(f.a, o, tr.ID, []string{})
	require.NoError(t, err)
	assert.Empty(t, got.Webhooks)

	got, err = f.s.SetTriggerWorkflows(f.a, o, tr.ID, []string{"p_b", "p_a", "p_b"})
	require.NoError(t, err)
	assert.Equal(t, []string{"p_b", "p_a"}, got.WorkflowIDs)
	_, err = f.s.SetTriggerWorkflows(f.a, o, tr.ID, []string{"p_ok", "workflow"})
	assert.ErrorIs(t, err, apperr.ErrInvalid)
	got, _ = f.s.DeployedTrigger(f.a, o, tr.ID)
	assert.Equal(t, []string{"p_b", "p_a"}, got.WorkflowIDs, "a refused update changes nothing")
}

func TestDeployedTriggerCascades(t *testing.T) {
	f := newCompFixture(t)
	tr := f.deploy(t, f.slackTrigger())
	o := f.owner(Development, "u1")

	require.NoError(t, f.s.DeleteDeployedTrigger(f.a, o, tr.ID))
	_, err := f.s.DeployedTrigger(f.a, o, tr.ID)
	assert.ErrorIs(t, err, apperr.ErrNotFound)
	assert.ErrorIs(t, f.s.DeleteDeployedTrigger(f.a, o, tr.ID), apperr.ErrNotFound)

	tr = f.deploy(t, f.slackTrigger())
	require.NoError(t, f.s.DeleteUser(f.a, f.project, Development, "u1"))
	_, err = f.s.EmitEvent(tr.ID, EmitSpec{Event: 1.0})
	assert.ErrorIs(t, err, apperr.ErrNotFound, "deleting the user deletes their triggers")

	f = newCompFixture(t)
	tr = f.deploy(t, f.slackTrigger())
	require.NoError(t, f.s.DeleteProject(f.a, f.project))
	assert.Empty(t, f.s.deployed.byKey, "deleting the project deletes its triggers")

	f = newCompFixture(t)
	f.deploy(t, f.slackTrigger())
	f.s.Reset()
	assert.Empty(t, f.s.deployed.byKey)
}

// TestDeployedTriggersConcurrently runs readers of handed-out copies against
// writers under -race: the store must replace, never modify, what it has
// handed out.
func TestDeployedTriggersConcurrently(t *testing.T) {
	f := newCompFixture(t)
	req := f.slackTrigger()
	req.WebhookURL = "https://a.example/"
	tr := f.deploy(t, req)
	o := f.owner(Development, "u1")
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(3)
		go func() {
			defer wg.Done()
			for i := range 50 {
				_, _ = f.s.EmitEvent(tr.ID, EmitSpec{Event: map[string]any{"w": w, "i": i}})
			}
		}()
		go func() {
			defer wg.Done()
			for i := range 50 {
				_, _ = f.s.SetTriggerWebhooks(f.a, o, tr.ID, []string{"https://a.example/", fmt.Sprintf("https://b.example/%d", i)})
				_, _ = f.s.RegenerateTriggerWebhookKey(f.a, o, tr.ID, tr.Webhooks[0].ID)
				_, _ = f.s.UpdateDeployedTrigger(f.a, o, tr.ID, TriggerUpdate{ConfiguredProps: map[string]any{"keyword": fmt.Sprint(i)}})
			}
		}()
		go func() {
			defer wg.Done()
			for range 50 {
				got, err := f.s.DeployedTrigger(f.a, o, tr.ID)
				if err != nil {
					continue
				}
				for _, h := range got.Webhooks {
					_ = h.SigningKey
				}
				for k, v := range got.ConfiguredProps {
					_, _ = k, v
				}
				evs, _ := f.s.TriggerEvents(f.a, o, tr.ID, MaxTriggerEvents)
				for _, ev := range evs {
					_ = ev.Payload
				}
			}
		}()
	}
	wg.Wait()
	evs, err := f.s.TriggerEvents(f.a, o, tr.ID, MaxTriggerEvents)
	require.NoError(t, err)
	assert.Len(t, evs, MaxTriggerEvents)
}
