package oauth

import (
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdemu/pdemu/emulator/apperr"
	"github.com/pdemu/pdemu/emulator/clock"
	"github.com/pdemu/pdemu/emulator/internal/paging"
	"github.com/pdemu/pdemu/emulator/internal/token"
)

// stateFixture is a Server with something of everything a State holds: a
// client limited to scopes and projects, a client whose secret was
// rotated with revocation, a deleted client (so the generation counter is
// ahead of every client), and a revoked token.
type stateFixture struct {
	*fixture
	limited, rotated    Credentials
	live, revoked, old  string // tokens: of f.creds, revoked, of rotated before its rotation
	limitedTok, deleted string // tokens: of limited, of the deleted client
}

func newStateFixture(t *testing.T) *stateFixture {
	t.Helper()
	f := &stateFixture{fixture: newFixture(t, true)}
	var err error
	_, f.limited, err = f.srv.Create(ClientSpec{Name: "limited", WorkspaceID: "o_ws",
		Scopes: "connect:users:read connect:proxy", ProjectIDs: []string{"proj_a", "proj_b"}})
	require.NoError(t, err)
	_, f.rotated, err = f.srv.Create(ClientSpec{ID: "oc_rotated", Secret: "first-secret", Name: "rotated", WorkspaceID: "o_other"})
	require.NoError(t, err)
	_, gone, err := f.srv.Create(ClientSpec{ID: "oc_gone", Name: "gone", WorkspaceID: "o_ws"})
	require.NoError(t, err)

	f.live, f.revoked = f.issue(t), f.issue(t)
	f.limitedTok = f.issueAs(t, f.limited)
	f.old = f.issueAs(t, f.rotated)
	f.deleted = f.issueAs(t, gone)

	require.NoError(t, f.clock.Advance(time.Minute))
	_, f.rotated, err = f.srv.RotateSecret("oc_rotated")
	require.NoError(t, err)
	require.NoError(t, f.srv.Delete("oc_gone"))
	require.NoError(t, f.srv.Revoke(f.revokeRequest(f.revoked)))
	return f
}

func (f *fixture) issueAs(t *testing.T, c Credentials) string {
	t.Helper()
	tok, err := f.srv.Issue(TokenRequest{GrantType: GrantClientCredentials, ClientID: c.ClientID, ClientSecret: c.ClientSecret})
	require.NoError(t, err)
	return tok.AccessToken
}

// importer is a fresh Server, as another emulator would make it, with the
// exporter's key and state imported through JSON, the way a state
// document carries them.
func importer(t *testing.T, from *fixture) (*Server, []byte) {
	t.Helper()
	doc, err := json.Marshal(from.srv.Export())
	require.NoError(t, err)
	keysDoc, err := json.Marshal(from.keys.Export())
	require.NoError(t, err)

	var st State
	require.NoError(t, json.Unmarshal(doc, &st))
	var kst token.State
	require.NoError(t, json.Unmarshal(keysDoc, &kst))
	keys, err := token.NewKeys(from.keys.Issuer(), 0)
	require.NoError(t, err)
	require.NoError(t, keys.Import(kst))
	srv := NewServer(Config{Clock: clock.NewFake(from.clock.Now()), Keys: keys, RevokeOnRotate: from.srv.RevokesOnRotate()})
	require.NoError(t, srv.Import(st))
	return srv, doc
}

func TestStateRoundTripIsByteIdentical(t *testing.T) {
	f := newStateFixture(t)
	srv, doc := importer(t, f.fixture)
	again, err := json.Marshal(srv.Export())
	require.NoError(t, err)
	assert.Equal(t, string(doc), string(again))

	assert.Equal(t, f.srv.List(""), srv.List(""))
	assert.Equal(t, f.srv.Count(), srv.Count())
	assert.Equal(t, f.srv.RevokedCount(), srv.RevokedCount())

	// A cursor handed out before the export pages on after the import:
	// cursors name the clients' seq, which the State keeps.
	page, err := f.srv.Page(paging.Request{Limit: 1})
	require.NoError(t, err)
	require.NotNil(t, page.PageInfo.EndCursor)
	next, err := paging.Parse("1", *page.PageInfo.EndCursor, "")
	require.NoError(t, err)
	want, err := f.srv.Page(next)
	require.NoError(t, err)
	got, err := srv.Page(next)
	require.NoError(t, err)
	assert.Equal(t, want, got)
}

func TestStateJSONShape(t *testing.T) {
	f := newStateFixture(t)
	doc, err := json.Marshal(f.srv.Export())
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(doc, &m))
	assert.Equal(t, []string{"clients", "last_generation", "revoked"}, slices.Sorted(maps.Keys(m)))
	assert.EqualValues(t, 5, m["last_generation"], "4 clients and one revoking rotation")

	clients := m["clients"].([]any)
	require.Len(t, clients, 3)
	limited := clients[1].(map[string]any)
	assert.Equal(t, []string{"created_at", "generation", "id", "name", "project_ids", "scopes", "secret_hash", "secret_rotated_at", "seq", "workspace_id"},
		slices.Sorted(maps.Keys(limited)))
	assert.Equal(t, []any{"connect:users:read", "connect:proxy"}, limited["scopes"])
	assert.Equal(t, []any{"proj_a", "proj_b"}, limited["project_ids"])
	assert.Nil(t, clients[0].(map[string]any)["project_ids"], "null: every project")
	assert.Len(t, limited["secret_hash"], 64)
	assert.NotContains(t, string(doc), f.limited.ClientSecret, "never a secret")
	assert.NotContains(t, string(doc), f.creds.ClientSecret)
	rotated := clients[2].(map[string]any)
	assert.EqualValues(t, 3, rotated["seq"])
	assert.EqualValues(t, 5, rotated["generation"])

	revoked := m["revoked"].([]any)
	require.Len(t, revoked, 1)
	assert.Equal(t, []string{"exp", "jti"}, slices.Sorted(maps.Keys(revoked[0].(map[string]any))))
}

func TestImportBehavesAsTheExporter(t *testing.T) {
	f := newStateFixture(t)
	srv, _ := importer(t, f.fixture)

	t.Run("secrets still authenticate", func(t *testing.T) {
		for _, c := range []Credentials{f.creds, f.limited, f.rotated} {
			_, err := srv.Issue(TokenRequest{GrantType: GrantClientCredentials, ClientID: c.ClientID, ClientSecret: c.ClientSecret})
			assert.NoError(t, err, c.ClientID)
		}
		_, err := srv.Issue(TokenRequest{GrantType: GrantClientCredentials, ClientID: "oc_rotated", ClientSecret: "first-secret"})
		assert.ErrorIs(t, err, ErrInvalidClient, "the secret replaced before the export stays refused")
	})
	t.Run("tokens issued before the export authenticate", func(t *testing.T) {
		p, err := srv.Authenticate(f.live)
		require.NoError(t, err)
		want, err := f.srv.Authenticate(f.live)
		require.NoError(t, err)
		assert.Equal(t, want, p)
		p, err = srv.Authenticate(f.limitedTok)
		require.NoError(t, err)
		assert.Equal(t, []string{"proj_a", "proj_b"}, p.ProjectIDs, "the project restriction travels")
		assert.False(t, p.CanSeeProject("proj_c"))
	})
	t.Run("revoked stays revoked", func(t *testing.T) {
		for name, raw := range map[string]string{"revoked": f.revoked, "old generation": f.old, "deleted client": f.deleted} {
			_, err := srv.Authenticate(raw)
			assert.ErrorIs(t, err, ErrInvalidToken, name)
		}
	})
	t.Run("revocations expire as before", func(t *testing.T) {
		c := srv.clock.(*clock.Fake)
		require.NoError(t, c.Advance(DefaultTTL))
		srv.Prune()
		assert.Zero(t, srv.RevokedCount(), "the expiry queue was rebuilt")
	})
	t.Run("a new client never reuses a generation", func(t *testing.T) {
		// oc_gone's token names the generation it had; a client re-created
		// under its id must draw a new one, though no listed client holds
		// the old one any more.
		srv.clock.(*clock.Fake).Set(f.clock.Now())
		_, _, err := srv.Create(ClientSpec{ID: "oc_gone", Name: "again", WorkspaceID: "o_ws"})
		require.NoError(t, err)
		_, err = srv.Authenticate(f.deleted)
		assert.ErrorIs(t, err, ErrInvalidToken)
		assert.Equal(t, uint64(6), srv.Export().LastGeneration)
	})
	t.Run("rotation still revokes", func(t *testing.T) {
		tok := f.issueAs(t, f.limited) // from the exporter, signed by the shared key
		_, err := srv.Authenticate(tok)
		require.NoError(t, err)
		_, _, err = srv.RotateSecret(f.limited.ClientID)
		require.NoError(t, err)
		_, err = srv.Authenticate(tok)
		assert.ErrorIs(t, err, ErrInvalidToken)
	})
}

func TestImportReplacesEverything(t *testing.T) {
	f := newStateFixture(t)
	other := newFixture(t, false)
	require.NoError(t, other.keys.Import(f.keys.Export()))

	require.NoError(t, other.srv.Import(State{}))
	assert.Zero(t, other.srv.Count(), "an empty State leaves no client")
	_, err := other.srv.Issue(other.request(""))
	assert.ErrorIs(t, err, ErrInvalidClient, "the client other had before is gone")

	require.NoError(t, other.srv.Import(f.srv.Export()))
	assert.Equal(t, f.srv.List(""), other.srv.List(""))
	assert.Equal(t, 1, other.srv.RevokedCount())
	_, err = other.srv.Authenticate(f.revoked)
	assert.ErrorIs(t, err, ErrInvalidToken)
}

func TestValidateStateRefuses(t *testing.T) {
	f := newStateFixture(t)
	good := f.srv.Export()
	tests := []struct {
		name   string
		edit   func(*State)
		prefix string
	}{
		{"no id", func(s *State) { s.Clients[1].ID = "" }, "clients[1].id: "},
		{"id with a space", func(s *State) { s.Clients[1].ID = "oc x" }, "clients[1].id: "},
		{"long id", func(s *State) { s.Clients[1].ID = strings.Repeat("x", 257) }, "clients[1].id: "},
		{"duplicate id", func(s *State) { s.Clients[2].ID = s.Clients[0].ID }, "clients[2].id: "},
		{"no name", func(s *State) { s.Clients[0].Name = " " }, "clients[0].name: "},
		{"long name", func(s *State) { s.Clients[0].Name = strings.Repeat("n", 201) }, "clients[0].name: "},
		{"no workspace", func(s *State) { s.Clients[2].WorkspaceID = "" }, "clients[2].workspace_id: "},
		{"no scopes", func(s *State) { s.Clients[1].Scopes = nil }, "clients[1].scopes: "},
		{"unknown scope", func(s *State) { s.Clients[1].Scopes[1] = "admin" }, "clients[1].scopes[1]: "},
		{"empty scope", func(s *State) { s.Clients[1].Scopes[0] = "" }, "clients[1].scopes[0]: "},
		{"two scopes in one", func(s *State) { s.Clients[1].Scopes[0] = "* connect:proxy" }, "clients[1].scopes[0]: "},
		{"duplicate scope", func(s *State) { s.Clients[1].Scopes[1] = s.Clients[1].Scopes[0] }, "clients[1].scopes[1]: "},
		{"empty project id", func(s *State) { s.Clients[1].ProjectIDs[1] = "" }, "clients[1].project_ids[1]: "},
		{"hash not hex", func(s *State) { s.Clients[2].SecretHash = strings.Repeat("g", 64) }, "clients[2].secret_hash: must be 64 hex digits"},
		{"hash short", func(s *State) { s.Clients[2].SecretHash = s.Clients[2].SecretHash[:62] }, "clients[2].secret_hash: must be 64 hex digits"},
		{"no hash", func(s *State) { s.Clients[2].SecretHash = "" }, "clients[2].secret_hash: "},
		{"seq zero", func(s *State) { s.Clients[0].Seq = 0 }, "clients[0].seq: "},
		{"out of creation order", func(s *State) { s.Clients[0], s.Clients[1] = s.Clients[1], s.Clients[0] }, "clients[1].seq: "},
		{"duplicate seq", func(s *State) { s.Clients[1].Seq = s.Clients[0].Seq }, "clients[1].seq: "},
		{"generation below seq", func(s *State) { s.Clients[2].Generation = 2 }, "clients[2].generation: "},
		{"generation beyond the counter", func(s *State) { s.LastGeneration = 4 }, "clients[2].generation: "},
		{"duplicate generation", func(s *State) { s.Clients[1].Generation = 5 }, "clients[2].generation: "},
		{"no jti", func(s *State) { s.Revoked[0].JTI = "" }, "revoked[0].jti: "},
		{"jti with a space", func(s *State) { s.Revoked[0].JTI = "a b" }, "revoked[0].jti: "},
		{"duplicate jti", func(s *State) { s.Revoked = append(s.Revoked, s.Revoked[0]) }, "revoked[1].jti: "},
		{"no exp", func(s *State) { s.Revoked[0].Expiry = 0 }, "revoked[0].exp: "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := cloneState(good)
			tc.edit(&st)
			err := ValidateState(st)
			require.Error(t, err)
			assertInvalidAt(t, err, tc.prefix)
			assertRefusedUnchanged(t, f, st, tc.prefix)
		})
	}

	t.Run("more clients than the server keeps", func(t *testing.T) {
		small := NewServer(Config{Clock: f.clock, Keys: f.keys, MaxClients: 2})
		require.NoError(t, ValidateState(good), "valid on its own")
		err := small.CheckImport(good)
		assertInvalidAt(t, err, "clients: ")
		require.Error(t, small.Import(good))
		assert.Zero(t, small.Count())
	})
}

func assertInvalidAt(t *testing.T, err error, prefix string) {
	t.Helper()
	require.Error(t, err)
	e := apperr.As(err)
	assert.Equal(t, apperr.Invalid, e.Kind)
	assert.True(t, strings.HasPrefix(e.Message, prefix), "%q should start with %q", e.Message, prefix)
}

// assertRefusedUnchanged checks that Import refuses st and that the
// Server exports and authenticates as before.
func assertRefusedUnchanged(t *testing.T, f *stateFixture, st State, prefix string) {
	t.Helper()
	before, err := json.Marshal(f.srv.Export())
	require.NoError(t, err)
	assertInvalidAt(t, f.srv.Import(st), prefix)
	after, err := json.Marshal(f.srv.Export())
	require.NoError(t, err)
	assert.Equal(t, string(before), string(after), "a refused import changes nothing")
	_, err = f.srv.Authenticate(f.live)
	assert.NoError(t, err)
	_, err = f.srv.Authenticate(f.revoked)
	assert.ErrorIs(t, err, ErrInvalidToken)
}

// cloneState deep-copies a State, so a test case's edit leaves the others'
// alone.
func cloneState(st State) State {
	doc, err := json.Marshal(st)
	if err != nil {
		panic(err)
	}
	var out State
	if err := json.Unmarshal(doc, &out); err != nil {
		panic(err)
	}
	return out
}

// TestStateCoversEveryField fails when a field is added to record, Client
// or Server without deciding whether it is state: export it (and extend
// this table and the fixture), or say here why it is not. The round trip
// below then checks that what is exported comes back, field by field.
func TestStateCoversEveryField(t *testing.T) {
	decided := map[string]string{
		"record.Client":     "the fields of Client",
		"record.secretHash": "state: secret_hash",
		"record.generation": "state: generation",
		"record.seq":        "state: seq",

		"Client.ID":              "state: id",
		"Client.Name":            "state: name",
		"Client.WorkspaceID":     "state: workspace_id",
		"Client.Scopes":          "state: scopes",
		"Client.ProjectIDs":      "state: project_ids",
		"Client.CreatedAt":       "state: created_at",
		"Client.SecretRotatedAt": "state: secret_rotated_at",

		"Server.ids":             "configuration: the emulator's id generator",
		"Server.clock":           "configuration",
		"Server.keys":            "configuration; its own state is token.State",
		"Server.ttl":             "configuration",
		"Server.revokeOnRotate":  "configuration",
		"Server.mu":              "a lock",
		"Server.clients":         "state: clients",
		"Server.order":           "derived: rebuilt from clients[].seq",
		"Server.nextGen":         "state: last_generation",
		"Server.maxClients":      "configuration, checked by CheckImport",
		"Server.revoked":         "state: revoked[].jti",
		"Server.revokedByExpiry": "state: revoked[].exp, rebuilt",
		"Server.revokedSeq":      "derived: a tie-breaker, renumbered by Import",
	}
	for _, typ := range []reflect.Type{reflect.TypeFor[record](), reflect.TypeFor[Client](), reflect.TypeFor[Server]()} {
		for fld := range typ.Fields() {
			name := typ.Name() + "." + fld.Name
			assert.Contains(t, decided, name, "%s is new: export it in State or record why it is not state", name)
		}
	}

	f := newStateFixture(t)
	for id, r := range f.srv.clients {
		if id != "oc_rotated" {
			continue
		}
		// The fixture sets every field of this record, so a field the
		// round trip drops cannot hide behind a zero value.
		for _, v := range []reflect.Value{reflect.ValueOf(*r), reflect.ValueOf(r.Client)} {
			for i := range v.NumField() {
				if v.Type().Field(i).Name != "ProjectIDs" {
					assert.False(t, v.Field(i).IsZero(), "the fixture leaves %s.%s zero", v.Type().Name(), v.Type().Field(i).Name)
				}
			}
		}
	}
	srv, _ := importer(t, f.fixture)
	assert.Equal(t, f.srv.clients, srv.clients, "every record comes back field by field")
	assert.Equal(t, f.srv.revoked, srv.revoked)
	assert.Equal(t, f.srv.nextGen, srv.nextGen)
	assert.Equal(t, f.srv.order.Items(), srv.order.Items())
}

// TestImportWhileServing runs Import against bearer checks, token
// requests and listings, for the race detector.
func TestImportWhileServing(t *testing.T) {
	f := newStateFixture(t)
	st := f.srv.Export()
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 50 {
				_, _ = f.srv.Authenticate(f.live)
				_, _ = f.srv.Issue(f.request(""))
				_ = f.srv.List("")
				_ = f.srv.Export()
			}
		})
	}
	for range 50 {
		require.NoError(t, f.srv.Import(st))
	}
	wg.Wait()
	_, err := f.srv.Authenticate(f.live)
	assert.NoError(t, err)
}
