package wire

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func decode(t *testing.T, s string) any {
	t.Helper()
	v, err := Decode([]byte(s))
	require.NoError(t, err, s)
	return v
}

func TestDecodeKeepsNumbersAsWritten(t *testing.T) {
	v := decode(t, `{"a": 3600, "b": 3600.0, "c": 3.6e3, "d": "3600", "e": null, "f": [true], "g": {}}`)
	m := v.(map[string]any)
	assert.Equal(t, json.Number("3600.0"), m["b"])
	for k, want := range map[string]string{"a": Integer, "b": Number, "c": Number, "d": String, "e": Null, "f": Array, "g": Object} {
		assert.Equal(t, want, Kind(m[k]), k)
	}
	_, err := Decode([]byte(`{} {}`))
	assert.Error(t, err, "trailing data")
	_, err = Decode([]byte(`{`))
	assert.Error(t, err)
}

func TestKindAndInt(t *testing.T) {
	for _, c := range []struct {
		literal string
		kind    string
		n       int64
		isInt   bool
	}{
		{"0", Integer, 0, true},
		{"-0", Integer, 0, true},
		{"3600", Integer, 3600, true},
		{"-42", Integer, -42, true},
		{"9223372036854775807", Integer, 9223372036854775807, true},
		{"9223372036854775808", Integer, 0, false}, // an integer, past int64
		{"3600.0", Number, 0, false},
		{"3.6e3", Number, 0, false},
		{"36E2", Number, 0, false},
		{"1.5", Number, 0, false},
	} {
		v := decode(t, c.literal)
		assert.Equal(t, c.kind, Kind(v), c.literal)
		n, ok := Int(v)
		assert.Equal(t, c.isInt, ok, c.literal)
		assert.Equal(t, c.n, n, c.literal)
	}
	assert.Equal(t, Integer, Kind(float64(3)), "encoding/json's whole float64")
	assert.Equal(t, Number, Kind(1.5))
	f, ok := Float(json.Number("1.50"))
	assert.True(t, ok)
	assert.Equal(t, 1.5, f)
	_, ok = Float("1")
	assert.False(t, ok, "a string is not a number")
}

func TestMatchLiteral(t *testing.T) {
	for _, c := range []struct {
		got, want string
		ok        bool
	}{
		{`3600`, "3600", true},
		{`3600.0`, "3600", false}, // x/oauth2: strconv.ParseInt: parsing "3600.0"
		{`3.6e3`, "3600", false},
		{`"3600"`, "3600", false},
		{`3599`, "3600", false},
		{`3601`, "3600", false},
		{`1.5`, "1.5", true},
		{`1.50`, "1.5", true},
		{`15e-1`, "1.5", true},
		{`"1.5"`, "1.5", false},
		{`true`, "true", true},
		{`"true"`, "true", false},
		{`false`, "true", false},
		{`null`, "null", true},
		{`"null"`, "null", false},
		{`0`, "null", false},
		{`0`, "0", true},
		{`-1`, "-1", true},
	} {
		err := MatchLiteral(decode(t, c.got), c.want)
		assert.Equal(t, c.ok, err == nil, "%s against %s: %v", c.got, c.want, err)
	}
	assert.ErrorContains(t, MatchLiteral(decode(t, "3600.0"), "3600"), "fraction or an exponent")
	assert.Error(t, MatchLiteral(decode(t, "1"), "99999999999999999999"), "a literal past int64 is the scenario's mistake")
}

func TestText(t *testing.T) {
	assert.Equal(t, "3600.0", Text(json.Number("3600.0")), "as written")
	assert.Equal(t, "3600", Text(float64(3600)))
	assert.Equal(t, "null", Text(nil))
	assert.Equal(t, `{"a":"<b>"}`, Text(map[string]any{"a": "<b>"}), "no HTML escapes")
	assert.Equal(t, "x", Text("x"))
}

func TestEqualFoldIsASCII(t *testing.T) {
	assert.True(t, EqualFold("Bearer", "bearer"))
	assert.True(t, EqualFold("BEARER", "bearer"))
	assert.False(t, EqualFold("Bearer", "Bearer "))
	assert.False(t, EqualFold("ſ", "s"), "no Unicode folding: ſ folds to s in Unicode")
	assert.False(t, EqualFold("K", "\u212a"), "the Kelvin sign is not K")
}

func TestHeaderRules(t *testing.T) {
	for _, c := range []struct {
		name, got, want string
		is, contains    bool
	}{
		{"Content-Type", "application/json", "application/json", true, true},
		{"content-type", "application/json; charset=utf-8", "application/json", true, true},
		{"Content-Type", "Application/JSON;charset=UTF-8", "application/json", true, true},
		{"Content-Type", "application/json; charset=UTF-8", "application/json; charset=utf-8", true, true},
		{"Content-Type", "application/json", "application/json; charset=utf-8", false, false},
		{"Content-Type", "text/plain", "application/json", false, false},
		{"Content-Type", "application/jsonx", "application/json", false, true},
		{"Content-Type", "garbage;;", "application/json", false, false},
		{"Cache-Control", "No-Store", "no-store", true, true},
		{"Cache-Control", "private, NO-STORE", "no-store", false, true},
		{"Pragma", "NO-CACHE", "no-cache", true, true},
		{"Retry-After", "7", "7", true, true},
		{"X-Conf", "Queued-1", "queued-1", false, false},
		{"WWW-Authenticate", `bearer realm="api", error="invalid_token"`, "Bearer", false, true},
		{"WWW-Authenticate", `Basic realm="x", BEARER error="invalid_token"`, "Bearer", false, true},
		{"WWW-Authenticate", `Basic realm="Bearer"`, "Bearer", false, true}, // as written: a realm may say anything
		{"WWW-Authenticate", `Bearer scope="connect:workflow:invoke"`, "connect:workflow:invoke", false, true},
		{"WWW-Authenticate", `Bearer scope="CONNECT:WORKFLOW:INVOKE"`, "connect:workflow:invoke", false, false},
		{"WWW-Authenticate", `Basic realm="x"`, "Bearer", false, false},
	} {
		assert.Equal(t, c.is, HeaderIs(c.name, c.got, c.want), "%s: %q is %q", c.name, c.got, c.want)
		assert.Equal(t, c.contains, HeaderContains(c.name, c.got, c.want), "%s: %q contains %q", c.name, c.got, c.want)
	}
	assert.True(t, IsJSON("application/problem+json"))
	assert.True(t, IsJSON("APPLICATION/JSON; charset=utf-8"))
	assert.False(t, IsJSON("text/json-ish"))
	assert.False(t, IsJSON(""))
}

func TestPage(t *testing.T) {
	for _, c := range []struct {
		name, body string
		bad        string // "" when the page is sound
	}{
		{"a sound first page", `{"data":[1,2],"page_info":{"count":2,"total_count":5,"start_cursor":"a","end_cursor":"b"}}`, ""},
		{"a sound last page", `{"data":[1],"page_info":{"count":1,"total_count":5,"start_cursor":"a","end_cursor":null}}`, ""},
		{"an empty list", `{"data":[],"page_info":{"count":0,"total_count":0,"start_cursor":null,"end_cursor":null}}`, ""},
		{"an empty page with an empty cursor", `{"data":[],"page_info":{"count":0,"end_cursor":""}}`, ""},
		{"an empty page without end_cursor", `{"data":[],"page_info":{}}`, ""},
		{"total at the page's size", `{"data":[1,2],"page_info":{"count":2,"total_count":2}}`, ""},
		{"total below the page's size", `{"data":[1,2],"page_info":{"count":2,"total_count":1}}`, "fewer than the 2 items"},
		{"count not the page's size", `{"data":[1,2],"page_info":{"count":3}}`, "holds 2 items"},
		{"count as 2.0", `{"data":[1,2],"page_info":{"count":2.0}}`, "not an integer"},
		{"count as a string", `{"data":[1,2],"page_info":{"count":"2"}}`, "not an integer"},
		{"total_count null", `{"data":[1],"page_info":{"total_count":null}}`, "not an integer"},
		{"a numeric cursor", `{"data":[1],"page_info":{"end_cursor":7}}`, "not a string or null"},
		{"an empty page that asks for more", `{"data":[],"page_info":{"count":0,"end_cursor":"c"}}`, "a page with no items is the last"},
		{"page_info not an object", `{"data":[],"page_info":[]}`, "not an object"},
		{"not a page: no page_info", `{"data":[1]}`, ""},
		{"not a page: an array", `[1,2]`, ""},
		{"not a page: an error", `{"error":"x"}`, ""},
	} {
		bad := Page(decode(t, c.body))
		if c.bad == "" {
			assert.Empty(t, bad, c.name)
		} else if assert.NotEmpty(t, bad, c.name) {
			assert.Contains(t, strings.Join(bad, "; "), c.bad, c.name)
		}
	}
	assert.True(t, HasNext(decode(t, `{"data":[],"page_info":{"end_cursor":"x"}}`)))
	assert.False(t, HasNext(decode(t, `{"data":[],"page_info":{"end_cursor":""}}`)))
	assert.False(t, HasNext(decode(t, `{"data":[]}`)))
	assert.Contains(t, LastPage(2, "abc"), `page 2's end_cursor "abc"`)
}

func TestTokenResponse(t *testing.T) {
	const good = `"access_token":"eyJ.x.y","token_type":"Bearer","expires_in":3600,"created_at":1893456000`
	for _, c := range []struct {
		name, body string
		bad        string
	}{
		{"Pipedream's answer", `{` + good + `}`, ""},
		{"token_type bearer", `{"access_token":"t","token_type":"bearer","expires_in":3600}`, ""},
		{"token_type BEARER", `{"access_token":"t","token_type":"BEARER","expires_in":1}`, ""},
		{"a scope", `{` + good + `,"scope":"a b"}`, ""},
		{"extra fields", `{` + good + `,"refresh_token_expires_in":0,"x":{}}`, ""},
		{"expires_in 3600.0", `{"access_token":"t","token_type":"Bearer","expires_in":3600.0}`, "expires_in is 3600.0 (number)"},
		{"expires_in a string", `{"access_token":"t","token_type":"Bearer","expires_in":"3600"}`, "expires_in is \"3600\" (string)"},
		{"expires_in null", `{"access_token":"t","token_type":"Bearer","expires_in":null}`, "expires_in is null (null)"},
		{"expires_in 0", `{"access_token":"t","token_type":"Bearer","expires_in":0}`, "above 0"},
		{"expires_in missing", `{"access_token":"t","token_type":"Bearer"}`, "expires_in is missing"},
		{"token_type mac", `{"access_token":"t","token_type":"mac","expires_in":1}`, `token_type is "mac"`},
		{"token_type Bearer with a space", `{"access_token":"t","token_type":"Bearer ","expires_in":1}`, "token_type"},
		{"no access_token", `{"token_type":"Bearer","expires_in":1}`, "access_token is missing"},
		{"an empty access_token", `{"access_token":"","token_type":"Bearer","expires_in":1}`, "access_token"},
		{"a numeric scope", `{"access_token":"t","token_type":"Bearer","expires_in":1,"scope":7}`, "scope is 7"},
		{"created_at as a string", `{"access_token":"t","token_type":"Bearer","expires_in":1,"created_at":"2026"}`, "created_at"},
		{"not an object", `["t"]`, "not a JSON object"},
	} {
		bad := TokenResponse(decode(t, c.body))
		if c.bad == "" {
			assert.Empty(t, bad, c.name)
		} else if assert.NotEmpty(t, bad, c.name) {
			assert.Contains(t, strings.Join(bad, "; "), c.bad, c.name)
		}
	}
}
