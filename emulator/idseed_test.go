package emulator_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdemu/pdemu/emulator"
	"github.com/pdemu/pdemu/emulator/clock"
)

// exchange is one request of a script and what the emulator answered.
type exchange struct {
	Method, Path string
	Status       int
	Header       http.Header
	Body         string
}

func (x exchange) String() string {
	return fmt.Sprintf("%s %s -> %d %v\n%s", x.Method, x.Path, x.Status, x.Header, x.Body)
}

// driver sends requests straight to an emulator's handler, from the same
// address with the same headers every time, and keeps a transcript.
type driver struct {
	t     *testing.T
	emu   *emulator.Emulator
	trans []exchange
}

func newDriver(t *testing.T, emu *emulator.Emulator) *driver { return &driver{t: t, emu: emu} }

// do sends a request; body, when not nil, is sent as JSON. headers come
// as name, value pairs.
func (d *driver) do(method, path, bearer string, body any, headers ...string) exchange {
	d.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(d.t, err)
		rd = bytes.NewReader(b)
	}
	req := httptest.NewRequest(method, "http://127.0.0.1:8787"+path, rd)
	req.RemoteAddr = "127.0.0.1:40000"
	if rd != nil || method != http.MethodGet {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	d.emu.ServeHTTP(rec, req)
	x := exchange{Method: method, Path: path, Status: rec.Code, Header: rec.Header(), Body: rec.Body.String()}
	d.trans = append(d.trans, x)
	return x
}

// ok is do for a request that must succeed; it returns the decoded body.
func (d *driver) ok(method, path, bearer string, body any, headers ...string) map[string]any {
	d.t.Helper()
	x := d.do(method, path, bearer, body, headers...)
	require.Less(d.t, x.Status, 300, "%s", x)
	var m map[string]any
	if x.Body != "" {
		require.NoError(d.t, json.Unmarshal([]byte(x.Body), &m), "%s", x)
	}
	return m
}

func str(t *testing.T, m map[string]any, path ...string) string {
	t.Helper()
	var v any = m
	for _, k := range path {
		obj, ok := v.(map[string]any)
		require.True(t, ok, "no %v in %v", path, m)
		v = obj[k]
	}
	s, ok := v.(string)
	require.True(t, ok, "%v is %v, not a string", path, v)
	return s
}

// script drives an emulator through everything that draws ids, secrets,
// tokens or keys, then lists it all. It names what it made in made.
func script(d *driver) (made map[string]string) {
	t := d.t
	t.Helper()
	dev := []string{"X-PD-Environment", "development"}
	made = map[string]string{}

	d.ok("GET", "/.well-known/jwks.json", "", nil)
	d.ok("GET", "/_emulator/oauth-clients", "", nil)
	creds := d.emu.Credentials()
	seeded := d.ok("POST", "/v1/oauth/token", "", map[string]string{
		"grant_type": "client_credentials", "client_id": creds.ClientID, "client_secret": creds.ClientSecret})
	tok := str(t, seeded, "access_token")

	client := d.ok("POST", "/_emulator/oauth-clients", "", map[string]any{"name": "ci", "scopes": "connect:*"})
	made["client"], made["client_secret"] = str(t, client, "client_id"), str(t, client, "client_secret")
	ciTok := str(t, d.ok("POST", "/v1/oauth/token", "", map[string]string{
		"grant_type": "client_credentials", "client_id": made["client"], "client_secret": str(t, client, "client_secret")}), "access_token")
	made["rotated_secret"] = str(t, d.ok("POST", "/_emulator/oauth-clients/"+made["client"]+"/rotate-secret", "", nil), "client_secret")

	made["project"] = str(t, d.ok("POST", "/v1/connect/projects", tok, map[string]string{"name": "Second"}), "id")
	pid := made["project"]
	base := "/v1/connect/" + pid
	d.ok("POST", "/_emulator/projects/"+pid+"/users", "", map[string]string{"external_id": "alice", "environment": "development"})
	made["ctok"] = str(t, d.ok("POST", base+"/tokens", ciTok, map[string]any{"external_user_id": "bob"}, dev...), "token")
	d.ok("GET", "/v1/connect/tokens/"+made["ctok"]+"/validate?app_id=slack", "", nil)

	made["app"] = str(t, d.ok("POST", "/_emulator/apps", "", map[string]any{
		"name_slug": "acme_crm", "name": "Acme CRM", "auth_type": "keys",
		"custom_fields_json": `[{"name":"api_key","label":"API Key","type":"password"}]`}), "id")
	made["component"] = str(t, d.ok("POST", "/_emulator/components", "", map[string]any{
		"key": "acme_crm-sync", "name": "Sync", "version": "0.1.0", "component_type": "action",
		"configurable_props": []any{map[string]any{"name": "acme_crm", "type": "app", "app": "acme_crm"}}}), "id")

	slack := d.ok("POST", "/_emulator/projects/"+pid+"/accounts", "", map[string]any{
		"external_user_id": "alice", "app": "slack", "environment": "development"})
	made["slack"] = str(t, slack, "id")
	made["acme"] = str(t, d.ok("POST", "/_emulator/projects/"+pid+"/accounts", "", map[string]any{
		"external_user_id": "alice", "app": "acme_crm", "environment": "development"}), "id")
	made["slack_token"] = str(t, d.ok("GET", base+"/accounts/"+made["slack"]+"?include_credentials=true", tok, nil, dev...), "credentials", "oauth_access_token")

	trigger := d.ok("POST", base+"/triggers/deploy", tok, map[string]any{
		"id": "slack-new-message-in-channels", "external_user_id": "alice", "webhook_url": "https://example.com/hook",
		"configured_props": map[string]any{"slack": map[string]any{"authProvisionId": made["slack"]}, "conversations": []string{"C01GENERAL0"}},
	}, dev...)
	made["trigger"] = str(t, trigger, "data", "id")
	hooks := d.ok("GET", base+"/deployed-triggers/"+made["trigger"]+"/webhooks?external_user_id=alice", tok, nil, dev...)
	made["trigger_webhook"] = hooks["webhooks"].([]any)[0].(map[string]any)["id"].(string)
	regen := d.ok("POST", base+"/deployed-triggers/"+made["trigger"]+"/webhooks/"+made["trigger_webhook"]+"/regenerate_signing_key?external_user_id=alice", tok, nil, dev...)
	made["trigger_signing_key"] = fmt.Sprint(regen)
	made["event"] = str(t, d.ok("POST", "/_emulator/deployed-triggers/"+url.PathEscape(made["trigger"])+"/events", "", map[string]any{"event": map[string]any{"text": "hi"}}), "id")

	made["project_webhook"] = str(t, d.ok("PUT", base+"/webhook", tok, map[string]any{"url": "https://example.com/p"}, dev...), "data", "id")
	made["project_signing_key"] = str(t, d.ok("POST", base+"/webhook/regenerate_signing_key", tok, nil, dev...), "data", "signing_key")

	made["oauth_app"] = str(t, d.ok("POST", base+"/oauth_apps", tok, map[string]any{"app": "slack", "client_id": "c", "client_secret": "s"}, dev...), "id")
	made["override"] = str(t, d.ok("POST", base+"/app_overrides", tok, map[string]any{"app": "slack", "name": "mine"}, dev...), "id")

	gmail := d.ok("POST", "/_emulator/projects/"+pid+"/accounts", "", map[string]any{
		"external_user_id": "alice", "app": "gmail", "environment": "development"})
	run := d.ok("POST", base+"/actions/run", tok, map[string]any{"id": "gmail-send-email", "external_user_id": "alice", "stash_id": true,
		"configured_props": map[string]any{"gmail": map[string]any{"authProvisionId": str(t, gmail, "id")}, "to": []string{"a@example.com"}, "subject": "s", "body": "b"},
	}, dev...)
	made["stash"] = str(t, run, "stash_id")

	made["rate_limit"] = str(t, d.ok("POST", "/v1/connect/rate_limits", tok, map[string]any{"window_size_seconds": 10, "requests_per_window": 2}), "token")
	d.ok("GET", "/v1/connect/projects", tok, nil, "x-pd-rate-limit", made["rate_limit"])

	// A fault that fires on half the requests: the dice come from the id seed.
	d.ok("POST", "/_emulator/faults", "", map[string]any{"match": map[string]any{"route": "jwks"}, "action": map[string]any{"status": 503}, "times": 0, "probability": 0.5})
	var fired strings.Builder
	for range 24 {
		fmt.Fprint(&fired, d.do("GET", "/.well-known/jwks.json", "", nil).Status/100)
	}
	made["faults"] = fired.String()
	d.ok("DELETE", "/_emulator/faults", "", nil)

	for _, p := range []string{"/v1/connect/projects", base + "/users", base + "/accounts", base + "/deployed-triggers?external_user_id=alice",
		base + "/oauth_apps", base + "/app_overrides"} {
		d.ok("GET", p, tok, nil, dev...)
	}
	d.ok("GET", "/_emulator/oauth-clients", "", nil)
	d.ok("GET", "/_emulator/requests?limit=100", "", nil)
	made["jwks"] = d.do("GET", "/.well-known/jwks.json", "", nil).Body
	return made
}

// durationMS is the journal's one field of real time.
var durationMS = regexp.MustCompile(`"duration_ms":[0-9.e+-]+`)

// requireSameTranscripts fails unless a and b are byte for byte the same,
// but for the journal's duration_ms (real time), showing where they part.
func requireSameTranscripts(t *testing.T, a, b []exchange) {
	t.Helper()
	require.Len(t, b, len(a))
	for i := range a {
		x := durationMS.ReplaceAllString(a[i].String(), `"duration_ms":0`)
		y := durationMS.ReplaceAllString(b[i].String(), `"duration_ms":0`)
		if x == y {
			continue
		}
		at := 0
		for at < min(len(x), len(y)) && x[at] == y[at] {
			at++
		}
		from := max(0, at-120)
		t.Fatalf("exchange %d (%s %s) differs at byte %d:\n  %s\nvs\n  %s", i, a[i].Method, a[i].Path, at,
			x[from:min(len(x), at+120)], y[from:min(len(y), at+120)])
	}
}

func seededEmulator(t *testing.T, opts ...emulator.Option) *emulator.Emulator {
	t.Helper()
	emu, err := emulator.New(append([]emulator.Option{emulator.WithClock(clock.NewFake(time.Time{}))}, opts...)...)
	require.NoError(t, err)
	return emu
}

func TestIDSeedReplaysByteForByte(t *testing.T) {
	a, b := newDriver(t, seededEmulator(t, emulator.WithIDSeed(7))), newDriver(t, seededEmulator(t, emulator.WithIDSeed(7)))
	require.Equal(t, a.emu.Credentials(), b.emu.Credentials())
	madeA, madeB := script(a), script(b)
	assert.Equal(t, madeA, madeB)
	requireSameTranscripts(t, a.trans, b.trans)
	assert.Contains(t, madeA["faults"], "2")
	assert.Contains(t, madeA["faults"], "5", "the fault fired: the dice are seeded too")

	c := newDriver(t, seededEmulator(t, emulator.WithIDSeed(8)))
	madeC := script(c)
	assert.NotEqual(t, a.emu.Credentials().ClientSecret, c.emu.Credentials().ClientSecret)
	assert.NotEqual(t, a.emu.Credentials().ProjectID, c.emu.Credentials().ProjectID)
	for k, v := range madeA {
		assert.NotEqual(t, v, madeC[k], "another seed, another %s", k)
	}
}

func TestIDSeedWithReset(t *testing.T) {
	run := func(opts ...emulator.Option) (*driver, map[string]string, map[string]string) {
		d := newDriver(t, seededEmulator(t, opts...))
		before := script(d)
		d.ok("POST", "/_emulator/reset", "", nil)
		return d, before, script(d)
	}
	a, beforeA, afterA := run(emulator.WithIDSeed(7))
	b, _, afterB := run(emulator.WithIDSeed(7))
	requireSameTranscripts(t, a.trans, b.trans)
	assert.Equal(t, afterA, afterB)

	// A reset emulator draws what a new one draws: the same signing key,
	// the same ids, secrets and tokens (the fault dice restart too).
	fresh := script(newDriver(t, seededEmulator(t, emulator.WithIDSeed(7))))
	assert.Equal(t, fresh, afterA)
	assert.Equal(t, beforeA, afterA)
}

func TestResetRevokesTokensSeededOrNot(t *testing.T) {
	for _, seeded := range []bool{true, false} {
		opt := emulator.WithIDSeed(7)
		if !seeded {
			opt = emulator.WithRandomIDs()
		}
		emu := seededEmulator(t, opt)
		d := newDriver(t, emu)
		creds := emu.Credentials()
		issue := func() string {
			return str(t, d.ok("POST", "/v1/oauth/token", "", map[string]string{
				"grant_type": "client_credentials", "client_id": creds.ClientID, "client_secret": creds.ClientSecret}), "access_token")
		}
		old := issue()
		jwks := d.do("GET", "/.well-known/jwks.json", "", nil).Body
		require.NoError(t, emu.Reset())
		if seeded {
			assert.Equal(t, jwks, d.do("GET", "/.well-known/jwks.json", "", nil).Body, "the rewound generator makes the same key")
		} else {
			assert.NotEqual(t, jwks, d.do("GET", "/.well-known/jwks.json", "", nil).Body, "a random key replaces the key")
		}
		assert.Equal(t, http.StatusUnauthorized, d.do("GET", "/v1/connect/projects", old, nil).Status, "a token from before Reset (seeded %v)", seeded)
		fresh := issue()
		assert.NotEqual(t, old, fresh, "the seeded client has a new generation")
		assert.Equal(t, http.StatusOK, d.do("GET", "/v1/connect/projects", fresh, nil).Status)
	}
}

func TestRandomIDs(t *testing.T) {
	for _, opts := range [][]emulator.Option{
		nil,
		{emulator.WithIDSeed(7), emulator.WithRandomIDs()},
		{emulator.WithRandomIDs(), emulator.WithIDSeed(7)},
	} {
		a, b := seededEmulator(t, opts...), seededEmulator(t, opts...)
		assert.NotEqual(t, a.Credentials(), b.Credentials())
		assert.NotEqual(t, newDriver(t, a).do("GET", "/.well-known/jwks.json", "", nil).Body,
			newDriver(t, b).do("GET", "/.well-known/jwks.json", "", nil).Body)
	}
}

func TestIDSeedAndFaultSeed(t *testing.T) {
	// WithFaultSeed wins over the seed's dice, and changes no id.
	pattern := func(opts ...emulator.Option) (string, emulator.Credentials) {
		d := newDriver(t, seededEmulator(t, opts...))
		d.ok("POST", "/_emulator/faults", "", map[string]any{"match": map[string]any{"route": "jwks"}, "action": map[string]any{"status": 503}, "times": 0, "probability": 0.5})
		var b strings.Builder
		for range 40 {
			fmt.Fprint(&b, d.do("GET", "/.well-known/jwks.json", "", nil).Status/100)
		}
		return b.String(), d.emu.Credentials()
	}
	seeded, creds := pattern(emulator.WithIDSeed(7))
	again, _ := pattern(emulator.WithIDSeed(7))
	assert.Equal(t, seeded, again)
	fixed, fixedCreds := pattern(emulator.WithIDSeed(7), emulator.WithFaultSeed(3))
	assert.Equal(t, creds, fixedCreds, "giving the fault seed changes no id")
	plain, _ := pattern(emulator.WithFaultSeed(3))
	assert.Equal(t, plain, fixed, "WithFaultSeed decides the dice")
	assert.NotEqual(t, seeded, fixed)
}

func TestSeedKeepsGivenIDs(t *testing.T) {
	// A seed's own ids and secrets are kept; only the missing ones are drawn.
	seed := emulator.Seed{Workspaces: []emulator.SeedWorkspace{{ID: "o_fixed", Name: "w",
		Projects: []emulator.SeedProject{{Name: "p"}},
		Clients:  []emulator.SeedClient{{ClientID: "oc_fixed", ClientSecret: "s3cret", Name: "c"}}}}}
	a := seededEmulator(t, emulator.WithSeed(seed), emulator.WithIDSeed(7)).Seed()
	b := seededEmulator(t, emulator.WithSeed(seed), emulator.WithIDSeed(7)).Seed()
	assert.Equal(t, a, b)
	assert.Equal(t, "o_fixed", a.Workspaces[0].ID)
	assert.Equal(t, "oc_fixed", a.Workspaces[0].Clients[0].ClientID)
	assert.True(t, slices.ContainsFunc(a.Workspaces[0].Projects, func(p emulator.SeedProject) bool { return strings.HasPrefix(p.ID, "proj_") }))
}
