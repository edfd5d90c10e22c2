package redact

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMark(t *testing.T) {
	r := NewWithKey([]byte("k"))
	a, b := r.Mark("secret-a"), r.Mark("secret-b")
	if a == b || a != r.Mark("secret-a") {
		t.Fatalf("marks must tell secrets apart and be stable: %q %q", a, b)
	}
	if !strings.HasPrefix(a, Prefix) || len(a) != len(Prefix)+9 {
		t.Fatalf("mark %q: want %s + 8 hex digits + ]", a, Prefix)
	}
	if NewWithKey([]byte("other")).Mark("secret-a") == a {
		t.Fatal("the fingerprint depends on the key")
	}
	if New().Mark("x") == New().Mark("x") {
		t.Fatal("New draws a fresh key")
	}
}

func TestHeader(t *testing.T) {
	r := NewWithKey([]byte("k"))
	for _, tc := range []struct{ name, value, want string }{
		{"Authorization", "Bearer eyJabc.def.ghi", "Bearer " + r.Mark("eyJabc.def.ghi")},
		{"Authorization", "Basic b2M6cw==", "Basic " + r.Mark("b2M6cw==")},
		{"Authorization", "opaque", r.Mark("opaque")},
		{"Authorization", "", ""},
		{"X-Pd-Rate-Limit", "CiKpqRdT", r.Mark("CiKpqRdT")},
		{"X-Client-Secret", "s", r.Mark("s")},
		{"Content-Type", "application/json", "application/json"},
		{"Referer", "https://x/?token=ctok_abc", "https://x/?token=" + r.Mark("ctok_abc")},
	} {
		if got := r.Header(tc.name, tc.value); got != tc.want {
			t.Errorf("Header(%q, %q) = %q, want %q", tc.name, tc.value, got, tc.want)
		}
	}
}

func TestText(t *testing.T) {
	r := NewWithKey([]byte("k"))
	jwt := "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJvXzEifQ.c2ln"
	for _, tc := range []struct{ in, want string }{
		{"/v1/connect/tokens/ctok_abc123/validate", "/v1/connect/tokens/" + r.Mark("ctok_abc123") + "/validate"},
		{"a " + jwt + " b", "a " + r.Mark(jwt) + " b"},
		{"no secrets here", "no secrets here"},
		{"eyJ alone", "eyJ alone"},
	} {
		if got := r.Text(tc.in); got != tc.want {
			t.Errorf("Text(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestForm(t *testing.T) {
	r := NewWithKey([]byte("k"))
	got := r.Form("grant_type=client_credentials&client_id=oc_1&client_secret=s%2B1&scope=a+b")
	want := "grant_type=client_credentials&client_id=oc_1&client_secret=" + strings.ReplaceAll(r.Mark("s+1"), ":", "%3A") + "&scope=a+b"
	want = strings.NewReplacer("[", "%5B", "]", "%5D").Replace(want)
	if got != want {
		t.Fatalf("Form = %q, want %q", got, want)
	}
	if got := r.Query("external_user_id=u&token=ctok_x"); strings.Contains(got, "ctok_x") {
		t.Fatalf("Query kept a token: %q", got)
	}
	if got := r.Query("u=ctok_abc"); strings.Contains(got, "ctok_abc") {
		t.Fatalf("Query kept a token found by shape: %q", got)
	}
	if got := r.Query("bad=%zz&x=1"); got != "bad=%zz&x=1" {
		t.Fatalf("Query changed a malformed pair: %q", got)
	}
	if r.Query("") != "" {
		t.Fatal("empty query")
	}
}

func TestJSON(t *testing.T) {
	r := NewWithKey([]byte("k"))
	in := `{"client_id":"oc_1","client_secret":"shh","access_token":"eyJa.b.c","token_type":"Bearer","expires_in":3600,` +
		`"credentials":{"oauth_access_token":"x","nested":{"api":"y"},"n":42},` +
		`"connect_link_url":"https://pipedream.com/_static/connect.html?token=ctok_abc&app=x","component_key":"gitlab-list-commits",` +
		`"list":[{"refresh_token":"r"}],"big":12345678901234567890}`
	out, ok := r.JSON([]byte(in))
	if !ok {
		t.Fatal("valid JSON was refused")
	}
	s := string(out)
	for _, secret := range []string{`"shh"`, "eyJa.b.c", `"x"`, `"y"`, "ctok_abc", `"r"`, ":42"} {
		if strings.Contains(s, secret) {
			t.Errorf("redacted JSON still holds %s: %s", secret, s)
		}
	}
	for _, kept := range []string{`"client_id":"oc_1"`, `"token_type":"Bearer"`, `"expires_in":3600`, `"component_key":"gitlab-list-commits"`, `12345678901234567890`, "&app=x"} {
		if !strings.Contains(s, kept) {
			t.Errorf("redacted JSON lost %s: %s", kept, s)
		}
	}
	for _, bad := range []string{"", "{", `{"a":1} x`, `{"a":1}{"b":2}`, "<html>"} {
		if _, ok := r.JSON([]byte(bad)); ok {
			t.Errorf("JSON(%q) accepted a non-JSON body", bad)
		}
	}
}

func TestSensitiveKey(t *testing.T) {
	for k, want := range map[string]bool{
		"client_secret": true, "Client-Secret": true, "access_token": true, "token": true, "signing_key": true,
		"oauth_refresh_token": true, "password": true, "db_password": true, "credentials": true,
		"ed25519_seed": true, "secret_hash": true,
		"token_type": false, "client_id": false, "expires_in": false, "component_key": false, "name": false,
	} {
		if got := sensitiveKey(k); got != want {
			t.Errorf("sensitiveKey(%q) = %v, want %v", k, got, want)
		}
	}
}

func TestPartialJSON(t *testing.T) {
	r := NewWithKey([]byte("k"))
	full := `{"data":[{"id":"apn_1","credentials":{"custom_field":"LEAK-1","apiKey":"LEAK-2","n":42,"nested":{"x":"LEAK-3"},"list":["LEAK-4"]},"name":"kept"},` +
		`{"id":"apn_2","client_secret":"LEAK-5","token_type":"Bearer","url":"https://x/?token=ctok_LEAK6","esc":"a\"b","credentials":{"consumer_key":"LEAK-7-cut-here`
	got := r.PartialJSON(full)
	for _, leak := range []string{"LEAK-1", "LEAK-2", ":42", "LEAK-3", "LEAK-4", "LEAK-5", "ctok_LEAK6", "LEAK-7"} {
		assert.NotContains(t, got, leak)
	}
	for _, kept := range []string{`"id":"apn_1"`, `"name":"kept"`, `"token_type":"Bearer"`, `"esc":"a\"b"`, `"id":"apn_2"`} {
		assert.Contains(t, got, kept)
	}
	// A whole document redacts as JSON does, value for value.
	doc := `{"a":{"credentials":{"k":"v"}},"b":"c","client_secret":"s"}`
	want, ok := r.JSON([]byte(doc))
	require.True(t, ok)
	assert.JSONEq(t, string(want), r.PartialJSON(doc))
	for _, odd := range []string{"", "}", "]]]", `"unterminated`, `{"credentials":`, `{"credentials":{"a":tru`, "not json at all"} {
		assert.NotPanics(t, func() { r.PartialJSON(odd) })
	}
	assert.NotContains(t, r.PartialJSON(`{"credentials":{"a":tru`), "tru")
}

func FuzzPartialJSON(f *testing.F) {
	r := NewWithKey([]byte("k"))
	f.Add(`{"credentials":{"a":"b"}}`)
	f.Fuzz(func(t *testing.T, s string) { r.PartialJSON(s) })
}

func TestCachedMarksAreBounded(t *testing.T) {
	r := NewWithKey([]byte("k"))
	for i := range maxCachedMarks + 10 {
		s := fmt.Sprint("secret-", i)
		require.Equal(t, r.Mark(s), r.Header("X-Api-Key", s))
	}
	assert.LessOrEqual(t, len(r.marks), maxCachedMarks)
	assert.Equal(t, r.Mark("again"), r.Header("X-Api-Key", "again"))
	assert.Equal(t, r.Mark("again"), r.Header("X-Api-Key", "again"), "a cached mark is the mark")
}
