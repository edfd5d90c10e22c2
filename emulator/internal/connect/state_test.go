package connect

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdemu/pdemu/emulator/apperr"
	"github.com/pdemu/pdemu/emulator/clock"
	"github.com/pdemu/pdemu/emulator/internal/scope"
)

// stateFixture is a store with every family populated through the
// public Store methods, and what a test needs to poke at it.
type stateFixture struct {
	s   *Store
	clk *clock.Fake
	a   Access
	p   string // project P (o_a), with most of the records
	q   string // project Q (o_b)

	token      string // u1's unused Connect token (development, 1 h)
	usedToken  string // a token that connected an account
	shortToken string // u2's token that expires in 10 minutes
	secret     string // the client secret of oauthApp
	oauthApp   string
	override   string
	keysAcc    string // u1's zz_keys account (development)
	slackAcc   string // u1's Slack account (development)
	trigger    string // u1's deployed trigger
	dynamic    string // a reloadProps result of u1's
	workflow   string // a registered endpoint with invocations
}

func newStateFixture(t testing.TB) *stateFixture {
	t.Helper()
	c := clock.NewFake(time.Time{})
	s := NewStore(c)
	f := &stateFixture{s: s, clk: c, a: Access{WorkspaceID: "o_a"}, secret: "s3cr3t-value"}
	must := func(err error) {
		t.Helper()
		require.NoError(t, err)
	}
	step := func() { must(c.Advance(1500 * time.Millisecond)) } // distinct times, with sub-second parts
	_, err := s.AddWorkspace(Workspace{ID: "o_a", Name: "A"})
	must(err)
	_, err = s.AddWorkspace(Workspace{ID: "o_b", Name: "B"})
	must(err)
	must(s.SetLimits(Limits{LimitProjects: 50, LimitFiles: 20}))
	_, err = s.SetProxyBaseHosts([]string{"localhost", "10.0.0.0/8"})
	must(err)
	_, err = s.SetProxyAllowedHosts([]string{"*.example.com", "api.test", "::1"})
	must(err)

	// Catalogs: apps and components added beyond the built-in ones, one of
	// them replacing a built-in version.
	_, err = s.AddApp(AppSpec{ID: "app_zzoauth", NameSlug: "zz_oauth", Name: "ZZ OAuth", AuthType: AuthOAuth,
		Description: "An OAuth app", Categories: []string{"Communication"}, FeaturedWeight: ptr(2.5),
		ScopeProfiles: []ScopeProfile{{Name: "read_only", Scopes: []string{"read"}}, {Name: "admin", Scopes: []string{"read", "write"}}},
		CustomFields:  []CustomField{{Name: "subdomain", Type: "string"}, {Name: "port", Type: "integer", Default: 443.0, Optional: ptr(true)}, {Name: "signing_secret", Type: "password", Description: ptr("the secret")}},
		HasActions:    true})
	must(err)
	_, err = s.AddApp(AppSpec{ID: "app_zzkeys", NameSlug: "zz_keys", Name: "ZZ Keys", AuthType: AuthKeys,
		CustomFields: []CustomField{{Name: "api_key", Type: "password"}, {Name: "region", Type: "string", Default: "eu"}}})
	must(err)
	_, err = s.AddApp(AppSpec{ID: "app_zznone", NameSlug: "zz_none", Name: "ZZ None", AuthType: AuthNone})
	must(err)
	_, err = s.RegisterComponent(ComponentSpec{Key: "zz_keys-do-thing", Name: "Do Thing", Version: "1.2.3",
		ComponentType: KindAction, App: "zz_keys", Description: "Does a thing", Registry: RegistryPublic, Stash: StashOptional,
		Annotations: &Annotations{ReadOnlyHint: ptr(true), Title: "Do it"},
		ConfigurableProps: []Prop{
			{Name: "zz", Type: "app", App: "zz_keys"},
			{Name: "count", Type: "integer", Optional: true, Default: 5.0, Min: ptr(1.0), Max: ptr(10.0)},
			{Name: "color", Type: "string", Optional: true, RemoteOptions: true,
				Options: []any{map[string]any{"label": "Red", "value": "red"}, "blue", 3.0}},
			{Name: "timer", Type: "$.interface.timer", Static: map[string]any{"intervalSeconds": 900.0}},
			{Name: "mode", Type: "string", Optional: true, ReloadProps: true},
		},
		DynamicProps:     []Prop{{Name: "extra", Type: "string", Optional: true, Secret: true}},
		ConfigureOptions: map[string][]any{"color": {map[string]any{"label": "Green", "value": "green"}}},
		Run: &RunResult{Exports: map[string]any{"$summary": "did it", "n": 0.25},
			Os: []map[string]any{{"k": "console.log", "msg": "hello"}}, Ret: []any{1.0, "two", nil, true}},
	})
	must(err)
	_, err = s.RegisterComponent(ComponentSpec{Key: "zz_keys-do-thing", Name: "Do Thing", Version: "1.2.4-beta.1",
		ComponentType: KindAction, App: "zz_keys", ConfigurableProps: []Prop{{Name: "zz", Type: "app", App: "zz_keys"}}})
	must(err)
	_, err = s.RegisterComponent(ComponentSpec{Key: "github-get-repository", Name: "Get Repository (patched)",
		Version: "0.0.4", ComponentType: KindAction, ConfigurableProps: []Prop{{Name: "github", Type: "app", App: "github"}}})
	must(err)

	// Projects, their webhooks and logos.
	p, err := s.CreateProject("o_a", ProjectSpec{Name: ptr("P"), AppName: ptr("My App"), SupportEmail: ptr("help@example.com")})
	must(err)
	f.p = p.ID
	q, err := s.CreateProject("o_b", ProjectSpec{ID: "proj_fixedQ", Name: ptr("Q")})
	must(err)
	f.q = q.ID
	doomed, err := s.CreateProject("o_a", ProjectSpec{Name: ptr("Doomed")})
	must(err)
	step()
	_, err = s.UpdateProject(f.a, f.p, ProjectSpec{ConnectRequireKeyAuthTest: ptr(true)})
	must(err)
	_, err = s.SetProjectLogo(f.a, f.p, dataURI("image/png", pngOfSize(100)))
	must(err)
	_, _, err = s.SetProjectWebhook(f.a, f.p, Development, "https://example.com/dev-hook")
	must(err)
	_, _, err = s.SetProjectWebhook(f.a, f.p, Production, "https://example.com/prod-hook")
	must(err)
	step()
	_, err = s.RegenerateProjectWebhookKey(f.a, f.p, Production)
	must(err)

	// External users, some of them deleted again (gaps in the seqs).
	for _, u := range []string{"u1", "u2", "u3", "gone"} {
		_, err = s.EnsureUser(f.a, f.p, Development, u)
		must(err)
	}
	_, err = s.EnsureUser(f.a, f.p, Production, "u1")
	must(err)
	_, err = s.EnsureUser(Access{WorkspaceID: "o_b"}, f.q, Production, "q-user")
	must(err)
	_, err = s.EnsureUser(f.a, doomed.ID, Production, "doomed-user")
	must(err)
	must(s.DeleteUser(f.a, f.p, Development, "gone"))
	must(s.DeleteProject(f.a, doomed.ID))
	step()

	// OAuth clients and app overrides; override values keep numbers as
	// written (json.Number), as the HTTP layer decodes them.
	oa, err := s.CreateOAuthApp(f.a, f.p, OAuthAppSpec{App: "zz_oauth", ClientID: ptr("client-1"), ClientSecret: ptr(f.secret),
		Name: ptr("My client"), Scopes: ptr([]string{"read", "write"}), AdditionalScopes: ptr([]string{"extra"})})
	must(err)
	f.oauthApp = oa.ID
	_, err = s.CreateOAuthApp(f.a, f.p, OAuthAppSpec{App: "slack", ClientID: ptr("client-2"), ClientSecret: ptr("x")})
	must(err)
	ov, err := s.CreateAppOverride(f.a, f.p, AppOverrideSpec{App: "zz_oauth", Name: ptr("eu"), OAuthAppID: &oa.ID,
		Cfmap: ptr(map[string]any{"subdomain": "eu", "port": json.Number("1234567")})})
	must(err)
	f.override = ov.ID
	_, err = s.CreateAppOverride(f.a, f.p, AppOverrideSpec{App: "zz_keys", Name: ptr("big"),
		Cfmap: ptr(map[string]any{"region": map[string]any{"nested": []any{json.Number("12345678901234567890"), 1.5}}})})
	must(err)
	step()

	// Accounts of every kind.
	dev := AccountScope{Access: f.a, ProjectID: f.p, Environment: Development}
	acc, err := s.ConnectAccount(dev, AccountSpec{ExternalUserID: "u1", App: "slack"})
	must(err)
	f.slackAcc = acc.ID
	acc, err = s.ConnectAccount(dev, AccountSpec{ExternalUserID: "u1", App: "zz_keys",
		Credentials: map[string]any{"api_key": "k-1", "limits": map[string]any{"rps": 2.5, "tags": []any{"a", 7.0}}}})
	must(err)
	f.keysAcc = acc.ID
	_, err = s.ConnectAccount(dev, AccountSpec{ExternalUserID: "u2", App: "zz_oauth", AppOverrideID: ov.ID,
		AuthorizedScopes: []string{"read"}})
	must(err)
	broken, err := s.ConnectAccount(AccountScope{Access: f.a, ProjectID: f.p, Environment: Production},
		AccountSpec{ExternalUserID: "u1", App: "github", Name: "Broken", Healthy: ptr(false), Dead: ptr(true), Error: "revoked"})
	must(err)
	step()
	_, err = s.ConnectAccount(AccountScope{Access: f.a, ProjectID: f.p, Environment: Production},
		AccountSpec{ExternalUserID: "u1", App: "github", ReplaceID: broken.ID}) // a reconnect
	must(err)
	_, err = s.ConnectAccount(AccountScope{Access: Access{WorkspaceID: "o_b"}, ProjectID: f.q, Environment: Production},
		AccountSpec{ExternalUserID: "q-user", App: "openai"})
	must(err)

	// Connect tokens: one used to connect an account, one about to expire.
	tok, err := s.CreateToken(f.a, f.p, Development, scope.Set{scope.All}, TokenSpec{ExternalUserID: "u1", ExpiresIn: ptr(3600),
		AllowedOrigins: []string{"https://app.example.com"}, SuccessRedirectURI: "https://app.example.com/ok",
		WebhookURI: "https://app.example.com/hook", AppID: "zz_keys", AllowProgressiveScopes: true})
	must(err)
	f.token = tok.Token
	used, err := s.CreateToken(f.a, f.p, Development, scope.Set{scope.ConnectAccountsWrite, scope.ConnectProxy}, TokenSpec{ExternalUserID: "u3"})
	must(err)
	f.usedToken = used.Token
	_, err = s.CreateAccountWithToken(used.Token, AccountSpec{ExternalUserID: "u3", App: "zz_keys", Credentials: map[string]any{"api_key": "k-3"}})
	must(err)
	short, err := s.CreateToken(f.a, f.p, Development, scope.Set{scope.All}, TokenSpec{ExternalUserID: "u2", ExpiresIn: ptr(600), OAuthAppID: oa.ID})
	must(err)
	f.shortToken = short.Token
	step()

	// Deployed triggers: a renamed one, a deleted one (its suffix is not
	// handed out again), events, webhooks and workflows.
	deploy := func(user string) DeployedTrigger {
		t.Helper()
		tr, err := s.DeployTrigger(f.a, f.p, Development, DeployRequest{PropsRequest: PropsRequest{
			ID: "slack-new-message-in-channels", ExternalUserID: user,
			ConfiguredProps: map[string]any{"slack": apn(f.slackAcc), "conversations": []any{"C01GENERAL0"}}},
			WebhookURL: "https://example.com/t"})
		must(err)
		return tr
	}
	tr := deploy("u1")
	f.trigger = tr.ID
	second := deploy("u1")
	third := deploy("u1")
	must(s.DeleteDeployedTrigger(f.a, TriggerOwner{f.p, Development, "u1"}, second.ID))
	_, err = s.UpdateDeployedTrigger(f.a, TriggerOwner{f.p, Development, "u1"}, third.ID, TriggerUpdate{Name: ptr("Renamed")})
	must(err)
	_, err = s.SetTriggerWorkflows(f.a, TriggerOwner{f.p, Development, "u1"}, tr.ID, []string{"p_abc", "p_def"})
	must(err)
	_, err = s.SetTriggerWebhooks(f.a, TriggerOwner{f.p, Development, "u1"}, tr.ID, []string{"https://example.com/t", "https://example.com/u"})
	must(err)
	for i := range 3 {
		step()
		_, err = s.EmitEvent(tr.ID, EmitSpec{Event: map[string]any{"i": float64(i), "text": "hi <b>&</b>", "list": []any{nil, true, 1e21}}, Summary: fmt.Sprint("event ", i)})
		must(err)
	}

	// Components in use: a reloadProps result, an action run.
	dyn, err := s.ReloadProps(f.a, f.p, Development, KindAction, PropsRequest{ID: "zz_keys-do-thing", ExternalUserID: "u1",
		ConfiguredProps: map[string]any{"mode": "fancy"}})
	must(err)
	f.dynamic = dyn.ID
	_, err = s.ReloadProps(f.a, f.p, Development, KindAction, PropsRequest{ID: "zz_keys-do-thing", ExternalUserID: "nobody-yet"})
	must(err)
	_, err = s.RunAction(f.a, f.p, Development, RunRequest{PropsRequest: PropsRequest{ID: "zz_keys-do-thing", ExternalUserID: "u1",
		ConfiguredProps: map[string]any{"zz": apn(f.keysAcc)}, DynamicPropsID: dyn.ID}})
	must(err)
	s.RecordProxyCall(f.p, Development)
	s.RecordProxyCall(f.q, Production)

	// File Stash, workflows.
	_, err = s.PutFile(f.p, Development, "1day/a/b/c/u/report.txt", []byte("hello\x00world"), "text/plain")
	must(err)
	_, err = s.PutFile(f.p, Production, "1day/a/b/c/u/empty", nil, "")
	must(err)
	step()
	_, err = s.PutFile(f.p, Development, "1day/a/b/c/u/report.txt", []byte("replaced"), "text/plain; charset=utf-8")
	must(err)
	f.workflow = "en123abc"
	_, err = s.RegisterWorkflow(WorkflowSpec{EndpointID: f.workflow, Status: 201, Headers: map[string]string{"X-Custom": "1"},
		Body: json.RawMessage("{ \"ok\" :  true }"), Auth: WorkflowAuthStaticBearer, Token: "tok-123"})
	must(err)
	_, err = s.RegisterWorkflow(WorkflowSpec{EndpointID: "eo-plain"})
	must(err)
	for i := range 3 {
		_, err = s.RecordInvocation(WorkflowInvocation{EndpointID: f.workflow, Method: "POST", Path: "/x", Query: "a=1",
			Headers: map[string]string{"content-type": "application/json"}, Body: []byte(fmt.Sprintf(`{"i":%d}`, i)),
			ExternalUserID: "u1", Auth: "static_bearer", WorkspaceID: "o_a"})
		must(err)
	}
	_, err = s.RecordInvocation(WorkflowInvocation{EndpointID: "enunregistered", Method: "GET", Path: "/"})
	must(err)
	step()
	return f
}

// roundTrip exports s, encodes and decodes the state as the emulator
// does, and imports it into a new store on a clock at the same instant.
func roundTrip(t testing.TB, s *Store, now time.Time) (*Store, *clock.Fake, []byte) {
	t.Helper()
	b, err := json.Marshal(s.Export())
	require.NoError(t, err)
	var st State
	require.NoError(t, json.Unmarshal(b, &st))
	c := clock.NewFake(now)
	n := NewStore(c)
	require.NoError(t, n.Import(st))
	return n, c, b
}

func exportJSON(t testing.TB, s *Store) []byte {
	t.Helper()
	b, err := json.Marshal(s.Export())
	require.NoError(t, err)
	return b
}

// TestStateRoundTripIsExact: export, JSON, import and export again give
// the same bytes, and the imported store's records, indexes and catalogs
// equal the exporter's (which catches a value that is exported but not
// imported).
func TestStateRoundTripIsExact(t *testing.T) {
	f := newStateFixture(t)
	n, _, first := roundTrip(t, f.s, f.clk.Now())
	assert.Equal(t, string(first), string(exportJSON(t, n)))
	assertSameStores(t, f.s, n)
	checkIndexes(t, n)

	var st State
	require.NoError(t, json.Unmarshal(first, &st))
	require.NoError(t, ValidateState(st))
	// Every family is exercised, so the comparisons above mean something.
	v := reflect.ValueOf(st)
	for i := range v.NumField() {
		if fv := v.Field(i); fv.Kind() == reflect.Slice {
			assert.NotZero(t, fv.Len(), "the fixture leaves %s empty", v.Type().Field(i).Name)
		}
	}
	assert.Contains(t, string(first), `"exact_numbers":["/credentials/port"]`, "a number kept as written")
	assert.Contains(t, string(first), `"github-get-repository"`, "a replaced built-in version is exported")
	assert.NotContains(t, string(first), `"slack-send-message"`, "the built-in catalog is not")
}

// assertSameStores compares two stores' contents record by record; the
// seqset and expiry indexes are compared by checkIndexes and by the
// behaviour tests.
func assertSameStores(t *testing.T, a, b *Store) {
	t.Helper()
	a.mu.RLock()
	defer a.mu.RUnlock()
	b.mu.RLock()
	defer b.mu.RUnlock()
	assert.Equal(t, a.seq, b.seq)
	assert.Equal(t, a.limits, b.limits)
	require.Equal(t, len(a.workspaces), len(b.workspaces))
	for id, w := range a.workspaces {
		assert.Equal(t, w.Workspace, b.workspaces[id].Workspace)
		assert.Equal(t, w.projects.Items(), b.workspaces[id].projects.Items() /* compares the records */)
	}
	require.Equal(t, len(a.projects), len(b.projects))
	for id, p := range a.projects {
		q := b.projects[id]
		require.NotNil(t, q, id)
		assert.Equal(t, p.Project, q.Project)
		assert.Equal(t, p.webhooks, q.webhooks)
		assert.Equal(t, p.logo, q.logo)
	}
	require.Equal(t, len(a.users), len(b.users))
	for k, u := range a.users {
		v := b.users[k]
		require.NotNil(t, v, k)
		assert.Equal(t, u.ExternalUser, v.ExternalUser)
		// Maps emptied by deletions and maps never made behave alike.
		assert.Equal(t, len(u.slugs.taken) > 0, len(v.slugs.taken) > 0, k)
		if len(u.slugs.taken) > 0 {
			assert.Equal(t, u.slugs.taken, v.slugs.taken)
		}
		if len(u.slugs.next) > 0 {
			assert.Equal(t, u.slugs.next, v.slugs.next)
		}
	}
	assert.Equal(t, a.accounts.byKey, b.accounts.byKey)
	assert.Equal(t, a.deployed.byKey, b.deployed.byKey)
	assert.Equal(t, a.tokens.byKey, b.tokens.byKey)
	assert.Equal(t, a.tokens.expiring.Len(), b.tokens.expiring.Len())
	assert.Equal(t, a.oauthApps.byKey, b.oauthApps.byKey)
	assert.Equal(t, a.overrides.byKey, b.overrides.byKey)
	assert.Equal(t, a.files.byKey, b.files.byKey)
	assert.Equal(t, a.files.expiring.Len(), b.files.expiring.Len())
	assert.Equal(t, a.dynamic.byID, b.dynamic.byID)
	assert.Equal(t, a.dynamic.byProject, b.dynamic.byProject)
	assert.Equal(t, a.apps, b.apps)
	assert.Equal(t, a.components, b.components)
	var ua, ub []usageBucket
	a.usage.buckets.Ascend(func(x *usageBucket) bool { ua = append(ua, *x); return true })
	b.usage.buckets.Ascend(func(x *usageBucket) bool { ub = append(ub, *x); return true })
	assert.Equal(t, ua, ub)
	assert.Equal(t, a.workflows, b.workflows)
	assert.Equal(t, a.proxy, b.proxy)
}

// TestStateImportBehavesAsExporter runs the same operations against the
// exporting store and the importing one and expects the same answers:
// pages with old cursors, tokens, secrets, expiry, cascades, and records
// created after the import.
func TestStateImportBehavesAsExporter(t *testing.T) {
	f := newStateFixture(t)
	ls, _ := f.s.ListUsers(f.a, f.p, Development, "", PageRequest{Limit: 1})
	require.NotNil(t, ls.PageInfo.EndCursor)
	cursor, err := decodeCursor("after", *ls.PageInfo.EndCursor)
	require.NoError(t, err)
	n, nclk, _ := roundTrip(t, f.s, f.clk.Now())
	exportedSeq := n.Export().Seq
	stores := []*Store{f.s, n}
	clocks := []*clock.Fake{f.clk, nclk}
	same := func(what string, get func(s *Store) any) {
		t.Helper()
		assert.Equal(t, get(f.s), get(n), what)
	}
	page := func(r PageRequest) func(s *Store) any {
		return func(s *Store) any {
			p, err := s.ListUsers(f.a, f.p, Development, "", r)
			require.NoError(t, err)
			return p
		}
	}
	same("a page after a cursor issued before the export", page(PageRequest{Limit: 1, After: cursor}))
	same("accounts", func(s *Store) any {
		p, err := s.ListAccounts(AccountScope{Access: f.a, ProjectID: f.p, Environment: Development}, AccountFilter{}, PageRequest{Limit: 2})
		require.NoError(t, err)
		return p
	})
	same("a Connect token authenticates", func(s *Store) any { tok, err := s.AuthenticateToken(f.token); require.NoError(t, err); return tok })
	same("a used token is refused", func(s *Store) any { _, err := s.AuthenticateToken(f.usedToken); return err })
	same("the client secret is recognised", func(s *Store) any { return s.CheckOAuthAppSecret(f.a, f.p, f.oauthApp, f.secret) })
	same("an account with its refresh timing", func(s *Store) any {
		acc, err := s.GetAccount(AccountScope{Access: f.a, ProjectID: f.p, Environment: Development}, f.slackAcc)
		require.NoError(t, err)
		return acc
	})
	same("the proxy sees credentials as they were", func(s *Store) any {
		acc, err := s.ProxyAccount(f.a, f.p, Development, "u2", firstAccountOf(t, s, f, "u2"))
		require.NoError(t, err)
		return fmt.Sprint(acc.Credentials["port"]) // a json.Number prints as written
	})
	same("events", func(s *Store) any {
		evs, err := s.TriggerEvents(f.a, TriggerOwner{f.p, Development, "u1"}, f.trigger, 10)
		require.NoError(t, err)
		return evs
	})
	same("usage", func(s *Store) any {
		now := f.clk.Now().Unix()
		u, err := s.Usage(f.a, now-86400, now+1)
		require.NoError(t, err)
		return u
	})
	same("invocations", func(s *Store) any { inv, err := s.WorkflowInvocations(f.workflow); require.NoError(t, err); return inv })
	same("workflow bearer", func(s *Store) any { return s.WorkflowTokenMatches(f.workflow, "tok-123") })
	same("proxy policy", func(s *Store) any { return s.ProxyPolicy().Hosts() })
	same("limits", func(s *Store) any { return s.LimitValues() })
	same("counts", func(s *Store) any { return s.Counts() })
	same("a run with a reloadProps result", func(s *Store) any {
		out, err := s.RunAction(f.a, f.p, Development, RunRequest{PropsRequest: PropsRequest{ID: "zz_keys-do-thing", ExternalUserID: "u1",
			ConfiguredProps: map[string]any{"zz": apn(f.keysAcc)}, DynamicPropsID: f.dynamic}})
		require.NoError(t, err)
		return out.Ret
	})
	same("the replaced built-in component", func(s *Store) any {
		c, err := s.Component(KindAction, "github-get-repository", "")
		require.NoError(t, err)
		return c
	})

	// Records created after the import: same seqs, same name slugs (the
	// freed suffix is not reused), listed after the imported ones, and
	// the old cursor still pages.
	for _, s := range stores {
		_, err := s.EnsureUser(f.a, f.p, Development, "newcomer")
		require.NoError(t, err)
	}
	same("a new user's seq follows the imported ones", func(s *Store) any {
		s.mu.RLock()
		defer s.mu.RUnlock()
		return s.users[userKey{f.p, Development, "newcomer"}].seq
	})
	n.mu.RLock()
	assert.Equal(t, exportedSeq+1, n.users[userKey{f.p, Development, "newcomer"}].seq, "the first record after the import")
	n.mu.RUnlock()
	same("the old cursor pages over the new user", func(s *Store) any {
		p := page(PageRequest{After: cursor})(s).(Page[ExternalUser])
		var ext []string
		for _, u := range p.Data {
			ext = append(ext, u.ExternalID)
		}
		return ext
	})
	var slugs, newIDs []string
	for _, s := range stores {
		tr, err := s.DeployTrigger(f.a, f.p, Development, DeployRequest{PropsRequest: PropsRequest{
			ID: "slack-new-message-in-channels", ExternalUserID: "u1",
			ConfiguredProps: map[string]any{"slack": apn(f.slackAcc), "conversations": []any{"C1"}}}})
		require.NoError(t, err)
		slugs, newIDs = append(slugs, tr.NameSlug), append(newIDs, tr.ID)
	}
	assert.Equal(t, []string{"new-message-in-channels-4", "new-message-in-channels-4"}, slugs,
		"suffixes 2 and 3 were handed out before the export and are not reused")

	// Undone through the API, which makes no ids: from here on the two
	// stores must export the same bytes.
	for i, s := range stores {
		require.NoError(t, s.DeleteDeployedTrigger(f.a, TriggerOwner{f.p, Development, "u1"}, newIDs[i]))
		require.NoError(t, s.DeleteUser(f.a, f.p, Development, "newcomer"))
	}
	sameExport := func(what string) {
		t.Helper()
		assert.Equal(t, string(exportJSON(t, f.s)), string(exportJSON(t, n)), what)
	}
	sameExport("after the same creations, undone")

	// Expiry: the 10-minute token lives until its instant, on both.
	short, err := f.s.AuthenticateToken(f.shortToken)
	require.NoError(t, err)
	require.NoError(t, err)
	for _, c := range clocks {
		c.Set(short.ExpiresAt.Add(-time.Nanosecond))
	}
	for _, s := range stores {
		s.Prune()
		_, err := s.AuthenticateToken(f.shortToken)
		require.NoError(t, err)
	}
	for _, c := range clocks {
		c.Set(short.ExpiresAt)
	}
	for _, s := range stores {
		s.Prune()
		_, err := s.AuthenticateToken(f.shortToken)
		require.Error(t, err)
		s.mu.RLock()
		_, held := s.tokens.byKey[f.shortToken]
		s.mu.RUnlock()
		assert.False(t, held, "the expired token was pruned")
	}
	sameExport("after pruning")

	// Cascades: deleting a user takes their accounts, triggers and
	// tokens; deleting a project takes its users, files and clients.
	for _, s := range stores {
		require.NoError(t, s.DeleteUser(f.a, f.p, Development, "u1"))
		checkIndexes(t, s)
	}
	_, err = n.AuthenticateToken(f.token)
	require.Error(t, err, "u1's token went with u1")
	_, err = n.DeployedTrigger(f.a, TriggerOwner{f.p, Development, "u1"}, f.trigger)
	require.ErrorIs(t, err, apperr.ErrNotFound)
	sameExport("after deleting a user")
	for _, s := range stores {
		require.NoError(t, s.DeleteAppOverride(f.a, f.p, f.override))
		require.NoError(t, s.DeleteProject(f.a, f.p))
		checkIndexes(t, s)
	}
	sameExport("after deleting a project")
	assert.Equal(t, f.s.Counts(), n.Counts())

	// Reset brings back the configured allow-list on both.
	for _, s := range stores {
		s.Reset()
	}
	same("the base allow-list", func(s *Store) any { return s.ProxyPolicy().Hosts() })
	assert.Equal(t, []string{"localhost", "10.0.0.0/8"}, n.ProxyPolicy().Hosts())
}

func firstAccountOf(t *testing.T, s *Store, f *stateFixture, user string) string {
	t.Helper()
	accs, err := s.UserAccounts(AccountScope{Access: f.a, ProjectID: f.p, Environment: Development}, user, "")
	require.NoError(t, err)
	require.NotEmpty(t, accs)
	return accs[0].ID
}

// TestStateNumbers: numbers keep their Go type across a round trip, so
// they print as they did; a number of another Go type than float64 comes
// back as a json.Number of the same text.
func TestStateNumbers(t *testing.T) {
	s, _ := newStore(t)
	p, err := s.CreateProject("o_a", ProjectSpec{Name: ptr("P")})
	require.NoError(t, err)
	_, err = s.ConnectAccount(AccountScope{Access: Access{WorkspaceID: "o_a"}, ProjectID: p.ID, Environment: Production},
		AccountSpec{ExternalUserID: "u", App: "openai", Credentials: map[string]any{
			"api_key": "k", "f": 1234567.0, "n": json.Number("1234567"), "i": 1234567, "big": json.Number("1e400"),
			"a/b~c": []any{int64(7), float32(1.5)},
		}})
	require.NoError(t, err)
	st := s.Export()
	assert.Equal(t, []string{"/credentials/a~1b~0c/0", "/credentials/a~1b~0c/1", "/credentials/big", "/credentials/i", "/credentials/n"},
		st.Accounts[0].ExactNumbers)
	n, _, _ := roundTrip(t, s, s.clock.Now())
	got := n.Export().Accounts[0]
	r, err := newValueReader("x", got.ExactNumbers)
	require.NoError(t, err)
	creds, err := r.object("/credentials", "x", got.Credentials)
	require.NoError(t, err)
	assert.Equal(t, 1234567.0, creds["f"])
	assert.Equal(t, json.Number("1234567"), creds["n"])
	assert.Equal(t, json.Number("1234567"), creds["i"], "an int comes back as its text")
	assert.Equal(t, json.Number("1e400"), creds["big"])
	assert.Equal(t, "1.234567e+06 1234567 1234567", fmt.Sprint(creds["f"], " ", creds["n"], " ", creds["i"]))
	assert.Equal(t, []any{json.Number("7"), json.Number("1.5")}, creds["a/b~c"])
}

// TestImportRefusesBadStates: each bad value is refused with its path,
// and the store it was imported into is left as it was.
func TestImportRefusesBadStates(t *testing.T) {
	f := newStateFixture(t)
	good := exportJSON(t, f.s)
	target, _, _ := roundTrip(t, f.s, f.clk.Now())
	target.mu.Lock()
	target.seq += 1000 // so that a wrongful import would show
	target.mu.Unlock()
	before := exportJSON(t, target)

	tests := []struct {
		name   string
		mutate func(st *State)
		want   string // the message's start
	}{
		{"unknown limit", func(st *State) { st.Limits["bogus"] = 1 }, "limits.bogus: is not a limit"},
		{"limit below 1", func(st *State) { st.Limits[LimitFiles] = 0 }, "limits.files: must be at least 1"},
		{"built-in app", func(st *State) { st.Apps[0].NameSlug = "slack" }, `apps[0].name_slug: "slack" is a built-in app`},
		{"bad app id", func(st *State) { st.Apps[1].ID = "bad" }, "apps[1].id: must match app_[A-Za-z0-9]+"},
		{"app auth type", func(st *State) { st.Apps[0].AuthType = "magic" }, "apps[0]: auth_type must be"},
		{"unknown category", func(st *State) { st.Apps[0].Categories = []string{"Nope"} }, `apps[0]: unknown app category "Nope"`},
		{"component version", func(st *State) { st.Components[0].Version = "1.2" }, "components[0]: version"},
		{"component registry", func(st *State) { st.Components[0].Registry = "" }, "components[0].registry: must be"},
		{"component prop", func(st *State) { st.Components[1].Props[0].Type = "nope" }, "components[1]: configurable_props[0]: type"},
		{"component listed twice", func(st *State) { st.Components = append(st.Components, st.Components[1]) }, "components[3].version: zz_keys-do-thing@1.2.3 is listed twice"},
		{"workspace id", func(st *State) { st.Workspaces[0].ID = "x" }, "workspaces[0].id: must look like o_…"},
		{"project id", func(st *State) { st.Projects[1].ID = "proj_no-dash" }, "projects[1].id: must match proj_[A-Za-z0-9]+"},
		{"project workspace", func(st *State) { st.Projects[0].WorkspaceID = "o_zz" }, `projects[0].workspace_id: no workspace "o_zz"`},
		{"project name", func(st *State) { st.Projects[0].Name = " " }, "projects[0].name: project name is required"},
		{"project created_at", func(st *State) { st.Projects[0].CreatedAt = time.Time{} }, "projects[0].created_at: is required"},
		{"duplicate seq", func(st *State) { st.Projects[1].Seq = st.Projects[0].Seq }, "projects[1].seq: 1 is also the seq of projects[0]"},
		{"seq beyond the counter", func(st *State) { st.Seq = 1 }, "projects[1].seq: 2 is beyond the state's seq counter (1)"},
		{"seq zero", func(st *State) { st.Projects[0].Seq = 0 }, "projects[0].seq: must be at least 1"},
		{"two webhooks of one environment", func(st *State) { st.Projects[0].Webhooks[1].Environment = Production }, "projects[0].webhooks[1].environment: the project has a production webhook already"},
		{"webhook url", func(st *State) { st.Projects[0].Webhooks[0].URL = "ftp://x" }, "projects[0].webhooks[0].url: url must be"},
		{"logo bytes", func(st *State) { st.Projects[0].Logo.Data = []byte("GIF89a") }, "projects[0].logo.data: is not a image/png image"},
		{"user project", func(st *State) { st.Users[2].ProjectID = "proj_missing" }, `users[2].project_id: no project "proj_missing"`},
		{"user environment", func(st *State) { st.Users[0].Environment = "staging" }, `users[0].environment: must be "production" or "development"`},
		{"user twice", func(st *State) { st.Users[1].ExternalID = st.Users[0].ExternalID }, `users[1].external_id: "u1" is listed twice`},
		{"user id", func(st *State) { st.Users[0].ID = "u_1" }, "users[0].id: must match exu_[A-Za-z0-9]+"},
		{"too many users", func(st *State) { st.Limits[LimitExternalUsers] = 2 }, `users: holds 5, more than the limit "external-users" allows (2)`},
		{"oauth client app", func(st *State) { st.OAuthApps[0].App = "zz_keys" }, `oauth_apps[0].app: app "zz_keys" does not use OAuth`},
		{"oauth client secret hash", func(st *State) { st.OAuthApps[0].ClientSecretSHA256 = "abc" }, "oauth_apps[0].client_secret_sha256: must be 64 hex digits"},
		{"oauth client scopes", func(st *State) { st.OAuthApps[0].Scopes = []string{"a", "a"} }, "oauth_apps[0].scopes: lists a scope twice"},
		{"override name taken", func(st *State) { st.AppOverrides[1].Name = st.AppOverrides[0].Name }, `app_overrides[1].name: project`},
		{"override client of another app", func(st *State) { st.AppOverrides[0].OAuthAppID = st.OAuthApps[1].ID }, "app_overrides[0].oauth_app_id: OAuth client"},
		{"override cfmap key", func(st *State) {
			st.AppOverrides[0].Cfmap, st.AppOverrides[0].ExactNumbers = json.RawMessage(`{"nope":1}`), nil
		}, `app_overrides[0].cfmap: cfmap key "nope"`},
		{"override cfmap type", func(st *State) { st.AppOverrides[0].Cfmap = json.RawMessage(`[1]`) }, "app_overrides[0].cfmap: must be a JSON object"},
		{"account user", func(st *State) { st.Accounts[0].ExternalUserID = "stranger" }, `accounts[0].external_user_id: no external user "stranger" in development`},
		{"account app", func(st *State) { st.Accounts[0].AppSlug = "app_zzkeys" }, `accounts[0].app_slug: no app with name slug "app_zzkeys"`},
		{"account client", func(st *State) { st.Accounts[0].OAuthAppID = "oa_missing" }, `accounts[0].oauth_app_id: no OAuth client "oa_missing"`},
		{"account refreshed_at", func(st *State) { st.Accounts[1].RefreshedAt = time.Time{} }, "accounts[1].refreshed_at: is required"},
		{"exact number naming nothing", func(st *State) { st.Accounts[0].ExactNumbers = []string{"/credentials/none"} }, `accounts[0].exact_numbers[0]: "/credentials/none" names no number`},
		{"exact number not a pointer", func(st *State) { st.Accounts[0].ExactNumbers = []string{"credentials"} }, "accounts[0].exact_numbers[0]: must be a JSON Pointer"},
		{"number beyond float64", func(st *State) { st.Accounts[1].Credentials = json.RawMessage(`{"x":[1e999]}`) }, "accounts[1].credentials.x[0]: number 1e999 is beyond float64's range"},
		{"credentials not JSON", func(st *State) { st.Accounts[1].Credentials = json.RawMessage(`{`) }, "accounts[1].credentials: must be JSON"},
		{"token format", func(st *State) { st.Tokens[0].Token = "ctok_XYZ" }, "tokens[0].token: must be ctok_ and 32 lower-case hex digits"},
		{"token workspace", func(st *State) { st.Tokens[0].WorkspaceID = "o_b" }, "tokens[0].workspace_id: must be o_a"},
		{"token scope", func(st *State) { st.Tokens[1].Scopes = []string{"*"} }, `tokens[1].scopes[0]: "*" is not a Connect scope`},
		{"token expiry", func(st *State) { st.Tokens[0].ExpiresAt = st.Tokens[0].CreatedAt }, "tokens[0].expires_at: must be after created_at"},
		{"token twice", func(st *State) { st.Tokens[1].Token = st.Tokens[0].Token }, "tokens[1].token: is listed twice"},
		{"trigger owner", func(st *State) { st.DeployedTriggers[0].OwnerID = "exu_other" }, "deployed_triggers[0].owner_id: must be exu_"},
		{"trigger slug taken", func(st *State) { st.DeployedTriggers[1].NameSlug = st.DeployedTriggers[0].NameSlug }, "deployed_triggers[1].name_slug:"},
		{"trigger prop", func(st *State) { st.DeployedTriggers[0].Props[0].Name = "" }, "deployed_triggers[0].props[0]: name must be"},
		{"trigger event payload", func(st *State) { st.DeployedTriggers[0].Events[1].Payload = nil }, "deployed_triggers[0].events[1].payload: is required"},
		{"trigger workflow", func(st *State) { st.DeployedTriggers[0].WorkflowIDs = []string{"p_a", "p_a"} }, "deployed_triggers[0].workflow_ids[1]: must be p_"},
		{"dynamic props project", func(st *State) { st.DynamicProps[0].ProjectID = "proj_zz" }, `dynamic_props[0].project_id: no project "proj_zz"`},
		{"file key", func(st *State) { st.Files[0].S3Key = "nope" }, `files[0].s3_key: s3_key "nope" must look like`},
		{"file twice", func(st *State) {
			st.Files[1].S3Key, st.Files[1].Environment = st.Files[0].S3Key, st.Files[0].Environment
		}, "files[1].s3_key: is listed twice"},
		{"usage twice", func(st *State) { st.Usage = append(st.Usage, st.Usage[0]) }, "usage[4].sec: second"},
		{"usage counts", func(st *State) { st.Usage[0].ProxyCalls = -1 }, "usage[0].proxy_calls: must not be negative"},
		{"workflow status", func(st *State) { st.Workflows[0].Status = 0 }, "workflows[0].status: must be an HTTP status"},
		{"workflow body", func(st *State) { st.Workflows[1].Body = "{" }, "workflows[1]: body must be JSON"},
		{"invocation endpoint", func(st *State) { st.WorkflowInvocations[0].EndpointID = "x" }, "workflow_invocations[0].endpoint_id: endpoint id"},
		{"proxy host", func(st *State) { st.Proxy.Hosts = []string{"ok.example", "bad host"} }, `proxy.hosts[1]: host rule "bad host"`},
		{"proxy base host", func(st *State) { st.Proxy.BaseHosts = []string{"a:80"} }, `proxy.base_hosts[0]: host rule "a:80"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var st State
			require.NoError(t, json.Unmarshal(good, &st))
			tc.mutate(&st)
			err := ValidateState(st)
			require.Error(t, err)
			assert.ErrorIs(t, err, apperr.ErrInvalid)
			assert.True(t, strings.HasPrefix(apperr.As(err).Message, tc.want), "got %q, want it to start with %q", apperr.As(err).Message, tc.want)
			require.Equal(t, err, target.Import(st), "Import refuses what ValidateState refuses")
			assert.Equal(t, string(before), string(exportJSON(t, target)), "the store is unchanged")
		})
	}
}

// TestImportNullsAndDefaults: a hand-written state may leave lists out;
// null proxy hosts mean the base allow-list, null limits the defaults.
func TestImportNullsAndDefaults(t *testing.T) {
	s := NewStore(clock.NewFake(time.Time{}))
	require.NoError(t, s.Import(State{}))
	assert.Equal(t, DefaultProxyHosts(), s.ProxyPolicy().Hosts())
	assert.Equal(t, NewStore(nil).LimitValues(), s.LimitValues())
	st := s.Export()
	assert.Equal(t, `{"seq":0,"limits":{"accounts":200000,"app-overrides":10000,"apps":10000,"components":10000,"connect-tokens":500000,"deployed-triggers":10000,"dynamic-props":100000,"external-users":1000000,"files":10000,"oauth-apps":10000,"projects":10000,"usage-seconds":100000,"workflows":10000},"apps":[],"components":[],"workspaces":[],"projects":[],"users":[],"oauth_apps":[],"app_overrides":[],"accounts":[],"tokens":[],"deployed_triggers":[],"dynamic_props":[],"files":[],"usage":[],"workflows":[],"workflow_invocations":[],"proxy":{"hosts":["localhost","127.0.0.0/8","::1"],"base_hosts":null}}`,
		string(must1(json.Marshal(st))), "the empty store's state, as a document shows it")

	require.NoError(t, s.Import(State{Proxy: StateProxy{BaseHosts: []string{"api.test"}}}))
	assert.Equal(t, []string{"api.test"}, s.ProxyPolicy().Hosts(), "null hosts: the base")
}

func must1[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestImportWhileReading: Import swaps the store's contents under its
// lock, so concurrent readers see the old state or the new one (run with
// -race).
func TestImportWhileReading(t *testing.T) {
	f := newStateFixture(t)
	st := f.s.Export()
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				p, err := f.s.ListUsers(f.a, f.p, Development, "", PageRequest{})
				if assert.NoError(t, err) {
					assert.Len(t, p.Data, 3)
				}
				_ = f.s.Export()
			}
		})
	}
	for range 20 {
		require.NoError(t, f.s.Import(st))
	}
	close(stop)
	wg.Wait()
}

// TestStateCoversEveryField fails when a field is added to a record (or
// to the store, or to a family's state) without a place in State: each
// field must have a State field of the same name (case and underscores
// aside), or be listed below with the reason it needs none. Add the field
// to State, Export and buildState, or to the list.
func TestStateCoversEveryField(t *testing.T) {
	type pair struct {
		record, state reflect.Type
		// notExported says, per record field, why State has no field of
		// its name.
		notExported map[string]string
	}
	index := "an index, rebuilt from the records"
	appByName := "the catalog's app, named by slug (records' copies never differ from it: apps are not changed or removed while records live)"
	pairs := []pair{
		{reflect.TypeFor[Store](), reflect.TypeFor[State](), map[string]string{
			"gen":   "configuration: the emulator's id generator, whose draws are not state",
			"clock": "the importing store's own", "mu": "the importing store's own",
			"workspaces": "Workspaces", "projects": "Projects", "allProjects": index, "users": "Users", "accounts": "Accounts",
			"deployed": "DeployedTriggers", "tokens": "Tokens", "dynamic": "DynamicProps", "oauthApps": "OAuthApps",
			"overrides": "AppOverrides", "files": "Files", "apps": "Apps", "components": "Components",
			"usage": "Usage", "workflows": "Workflows, WorkflowInvocations", "proxy": "Proxy",
		}},
		{reflect.TypeFor[workspaceRecord](), reflect.TypeFor[StateWorkspace](), map[string]string{"projects": index}},
		{reflect.TypeFor[projectRecord](), reflect.TypeFor[StateProject](), map[string]string{
			"users": index, "accounts": index, "triggers": index, "oauthApps": index, "overrides": index, "files": index}},
		{reflect.TypeFor[ProjectWebhook](), reflect.TypeFor[StateProjectWebhook](), map[string]string{"ProjectID": "the project it is listed under"}},
		{reflect.TypeFor[ProjectLogo](), reflect.TypeFor[StateLogo](), nil},
		{reflect.TypeFor[userRecord](), reflect.TypeFor[StateUser](), map[string]string{
			"accounts": index, "triggers": index, "tokens": index, "slugs": "see slugIndex"}},
		{reflect.TypeFor[slugIndex](), reflect.TypeFor[StateUser](), map[string]string{
			"taken": "the name slugs of the user's triggers", "next": "TriggerSlugHints"}},
		{reflect.TypeFor[Account](), reflect.TypeFor[StateAccount](), map[string]string{
			"App": appByName, "LastRefreshedAt": "computed by accountView", "ExpiresAt": "computed by accountView",
			"NextRefreshAt": "computed by accountView"}},
		{reflect.TypeFor[ConnectToken](), reflect.TypeFor[StateToken](), nil},
		{reflect.TypeFor[DeployedTrigger](), reflect.TypeFor[StateTrigger](), nil},
		{reflect.TypeFor[TriggerWebhook](), reflect.TypeFor[StateTriggerWebhook](), nil},
		{reflect.TypeFor[EmittedEvent](), reflect.TypeFor[StateEvent](), nil},
		{reflect.TypeFor[dynamicProps](), reflect.TypeFor[StateDynamicProps](), map[string]string{"user": "ProjectID, Environment, ExternalUserID"}},
		{reflect.TypeFor[dynamicState](), reflect.TypeFor[State](), map[string]string{"byID": "DynamicProps", "byProject": index}},
		{reflect.TypeFor[oauthAppRecord](), reflect.TypeFor[StateOAuthApp](), map[string]string{
			"App": appByName, "secretHash": "ClientSecretSHA256"}},
		{reflect.TypeFor[overrideRecord](), reflect.TypeFor[StateAppOverride](), map[string]string{"App": appByName}},
		{reflect.TypeFor[StashFile](), reflect.TypeFor[StateFile](), nil},
		{reflect.TypeFor[owned[Account]](), reflect.TypeFor[State](), map[string]string{
			"kind": "code, not state", "byKey": "the family's list", "expiring": index}},
		{reflect.TypeFor[appCatalog](), reflect.TypeFor[State](), map[string]string{
			"bySlug": "Apps (beyond the built-in ones)", "byID": index,
			"categories": "built-in only: nothing adds categories"}},
		{reflect.TypeFor[App](), reflect.TypeFor[StateApp](), map[string]string{"fields": "CustomFields"}},
		{reflect.TypeFor[ScopeProfile](), reflect.TypeFor[StateScopeProfile](), nil},
		{reflect.TypeFor[CustomField](), reflect.TypeFor[StateCustomField](), nil},
		{reflect.TypeFor[componentCatalog](), reflect.TypeFor[State](), map[string]string{
			"byKey": "Components (beyond the built-in ones)", "byID": index}},
		{reflect.TypeFor[Component](), reflect.TypeFor[StateComponent](), nil},
		{reflect.TypeFor[Prop](), reflect.TypeFor[StateProp](), nil},
		{reflect.TypeFor[Annotations](), reflect.TypeFor[StateAnnotations](), nil},
		{reflect.TypeFor[RunResult](), reflect.TypeFor[StateRunResult](), nil},
		{reflect.TypeFor[usageState](), reflect.TypeFor[State](), map[string]string{"buckets": "Usage"}},
		{reflect.TypeFor[usageBucket](), reflect.TypeFor[StateUsage](), map[string]string{
			"workspace": "WorkspaceID", "project": "ProjectID"}},
		{reflect.TypeFor[workflowState](), reflect.TypeFor[State](), map[string]string{
			"registered": "Workflows", "invocations": "WorkflowInvocations"}},
		{reflect.TypeFor[Workflow](), reflect.TypeFor[StateWorkflow](), nil},
		{reflect.TypeFor[WorkflowInvocation](), reflect.TypeFor[StateInvocation](), nil},
		{reflect.TypeFor[proxyState](), reflect.TypeFor[StateProxy](), map[string]string{
			"base": "BaseHosts", "current": "Hosts"}},
	}
	norm := func(name string) string { return strings.ToLower(strings.ReplaceAll(name, "_", "")) }
	for _, p := range pairs {
		have := map[string]bool{}
		for _, f := range reflect.VisibleFields(p.state) {
			have[norm(f.Name)] = true
		}
		for _, f := range reflect.VisibleFields(p.record) {
			if f.Anonymous {
				continue // its fields are listed too
			}
			if _, ok := p.notExported[f.Name]; ok || have[norm(f.Name)] {
				continue
			}
			t.Errorf("%s.%s has no place in %s: export and import it (state.go, state_validate.go), or say why not in this test",
				p.record, f.Name, p.state)
		}
	}
}

// TestStateJSONNames: every State field has a snake_case JSON name,
// unique in its object.
func TestStateJSONNames(t *testing.T) {
	snake := regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)
	seen := map[reflect.Type]bool{}
	var walk func(reflect.Type)
	walk = func(typ reflect.Type) {
		for typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice || typ.Kind() == reflect.Map {
			typ = typ.Elem()
		}
		if typ.Kind() != reflect.Struct || typ.PkgPath() != reflect.TypeFor[State]().PkgPath() || seen[typ] {
			return
		}
		seen[typ] = true
		names := map[string]bool{}
		for _, f := range reflect.VisibleFields(typ) {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			assert.Regexp(t, snake, name, "%s.%s", typ.Name(), f.Name)
			assert.False(t, names[name], "%s: %s twice", typ.Name(), name)
			names[name] = true
			walk(f.Type)
		}
	}
	walk(reflect.TypeFor[State]())
	assert.Greater(t, len(seen), 20)
}

// TestExportSharesNothing: changing an exported state leaves the store as
// it was, and so does changing an imported one.
func TestExportSharesNothing(t *testing.T) {
	f := newStateFixture(t)
	before := exportJSON(t, f.s)
	st := f.s.Export()
	scramble(reflect.ValueOf(&st).Elem())
	assert.Equal(t, string(before), string(exportJSON(t, f.s)), "the export was a deep copy")

	var in State
	require.NoError(t, json.Unmarshal(before, &in))
	n := NewStore(clock.NewFake(f.clk.Now()))
	require.NoError(t, n.Import(in))
	scramble(reflect.ValueOf(&in).Elem())
	assert.Equal(t, string(before), string(exportJSON(t, n)), "the import copied what it kept")
}

// scramble overwrites everything reachable from v in place: strings,
// bytes, numbers, map entries.
func scramble(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			scramble(v.Elem())
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Field(i).CanSet() {
				scramble(v.Field(i))
			}
		}
	case reflect.Slice:
		for i := range v.Len() {
			scramble(v.Index(i))
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			e := reflect.New(v.Type().Elem()).Elem()
			e.Set(v.MapIndex(k))
			scramble(e)
			v.SetMapIndex(k, e)
		}
	case reflect.String:
		v.SetString("x")
	case reflect.Uint8:
		v.SetUint(0)
	case reflect.Int, reflect.Int64:
		v.SetInt(-1)
	case reflect.Uint64:
		v.SetUint(0)
	case reflect.Float64:
		v.SetFloat(-1)
	case reflect.Bool:
		v.SetBool(!v.Bool())
	}
}

func benchStore(b *testing.B, users int) *Store {
	b.Helper()
	s := NewStore(clock.NewFake(time.Time{}))
	_, err := s.AddWorkspace(Workspace{ID: "o_bench", Name: "pdemu workspace"})
	require.NoError(b, err)
	p, err := s.CreateProject("o_bench", ProjectSpec{Name: ptr("pdemu project")})
	require.NoError(b, err)
	a := Access{WorkspaceID: "o_bench"}
	for i := range users {
		_, err := s.EnsureUser(a, p.ID, Production, fmt.Sprintf("user-%05d", i))
		require.NoError(b, err)
	}
	return s
}

// BenchmarkExportDefaultSeed exports what the default seed makes: one
// workspace with one project.
func BenchmarkExportDefaultSeed(b *testing.B) {
	s := benchStore(b, 0)
	b.ReportAllocs()
	for b.Loop() {
		_ = s.Export()
	}
}

// BenchmarkExport10000Users exports a project with 10,000 external users.
func BenchmarkExport10000Users(b *testing.B) {
	s := benchStore(b, 10_000)
	b.ReportAllocs()
	for b.Loop() {
		_ = s.Export()
	}
}

// BenchmarkExportJSON10000Users is Export and the JSON encoding a state
// document adds.
func BenchmarkExportJSON10000Users(b *testing.B) {
	s := benchStore(b, 10_000)
	b.ReportAllocs()
	for b.Loop() {
		var buf bytes.Buffer
		require.NoError(b, json.NewEncoder(&buf).Encode(s.Export()))
	}
}

// BenchmarkImport10000Users validates and imports that state.
func BenchmarkImport10000Users(b *testing.B) {
	st := benchStore(b, 10_000).Export()
	s := NewStore(clock.NewFake(time.Time{}))
	b.ReportAllocs()
	for b.Loop() {
		require.NoError(b, s.Import(st))
	}
}

// BenchmarkExportFixture exports the store of the round-trip tests, with
// every family populated.
func BenchmarkExportFixture(b *testing.B) {
	s := newStateFixture(b).s
	b.ReportAllocs()
	for b.Loop() {
		_ = s.Export()
	}
}
