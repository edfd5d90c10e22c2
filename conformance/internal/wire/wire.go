// Package wire holds the rules by which the conformance kit compares what a
// server sent with what a scenario expects, in one place rather than step by
// step, so that a verdict is right both ways:
//
//   - JSON values are typed as clients parse them. A number is kept as it
//     was written, and an integer is one written without a fraction or an
//     exponent: 3600, not 3600.0 or 3.6e3, which golang.org/x/oauth2
//     (strconv.ParseInt) and any client decoding into an integer reject. A
//     string is never a number, and null is a value of its own.
//   - What the specifications call equivalent compares equal: values they
//     make case-insensitive (RFC 6749 §5.1 token_type, RFC 9110 media types,
//     RFC 9111 cache directives, RFC 7235 auth schemes), whatever the order of
//     JSON keys, extra fields, whitespace or escapes (the kit compares
//     decoded values, never bytes), parameters such as charset on a content
//     type, and cursors as opaque strings (compared, never decoded).
//
// It also states the invariants every answer of a kind must keep, checked
// on every such answer the kit receives: a page of a list (Page) and a
// token response (TokenResponse).
package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"strconv"
	"strings"
)

// Decode decodes one JSON document, each number a json.Number as written,
// refusing anything after it.
func Decode(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("trailing data after the JSON value")
	}
	return v, nil
}

// The JSON types a client's parser tells apart.
const (
	Null    = "null"
	Boolean = "boolean"
	Integer = "integer"
	Number  = "number" // a number written with a fraction or an exponent
	String  = "string"
	Array   = "array"
	Object  = "object"
)

// Kind names the JSON type of a decoded value (Decode's, or
// encoding/json's with float64 numbers, which are integers when whole).
func Kind(v any) string {
	switch t := v.(type) {
	case nil:
		return Null
	case bool:
		return Boolean
	case json.Number:
		if isIntegerLiteral(string(t)) {
			return Integer
		}
		return Number
	case float64:
		if t == float64(int64(t)) {
			return Integer
		}
		return Number
	case string:
		return String
	case []any:
		return Array
	case map[string]any:
		return Object
	}
	return fmt.Sprintf("%T", v)
}

// isIntegerLiteral reports whether s is a JSON integer as written:
// -?(0|[1-9][0-9]*).
func isIntegerLiteral(s string) bool {
	s = strings.TrimPrefix(s, "-")
	if s == "" || (len(s) > 1 && s[0] == '0') {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Int returns v as an int64 when it is a JSON integer (Kind Integer) that
// fits.
func Int(v any) (int64, bool) {
	switch t := v.(type) {
	case json.Number:
		if !isIntegerLiteral(string(t)) {
			return 0, false
		}
		n, err := strconv.ParseInt(string(t), 10, 64)
		if err != nil {
			return 0, false // past int64
		}
		return n, true
	case float64:
		if t == float64(int64(t)) {
			return int64(t), true
		}
	}
	return 0, false
}

// Float returns any JSON number's value.
func Float(v any) (float64, bool) {
	switch t := v.(type) {
	case json.Number:
		f, err := t.Float64()
		return f, err == nil
	case float64:
		return t, true
	}
	return 0, false
}

// Text renders a value as the feature files write one: a string bare, a
// number as it was written, true, false, null, and anything else as
// compact JSON.
func Text(v any) string {
	switch t := v.(type) {
	case nil:
		return "null"
	case string:
		return t
	case json.Number:
		return string(t)
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(t)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return strings.TrimSpace(buf.String())
}

// MatchLiteral reports whether got is the JSON value a scenario wrote as
// want: an integer literal (3600) matches only a JSON integer of that
// value, a decimal (1.5) any number of that value (1.50 too), true and
// false the booleans, null null. A string never matches: 3600 is not
// "3600". The error says what differs.
func MatchLiteral(got any, want string) error {
	switch want {
	case "true", "false", "null":
		if Text(got) == want && (got == nil || Kind(got) == Boolean) {
			return nil
		}
		return fmt.Errorf("want %s, got %s (%s)", want, Text(got), Kind(got))
	}
	if isIntegerLiteral(want) {
		w, err := strconv.ParseInt(want, 10, 64)
		if err != nil {
			return fmt.Errorf("the scenario's %s is not a 64-bit integer", want)
		}
		n, ok := Int(got)
		switch {
		case ok && n == w:
			return nil
		case Kind(got) == Number:
			return fmt.Errorf("want the integer %s, got %s: a number written with a fraction or an exponent, which clients that parse integers refuse", want, Text(got))
		}
		return fmt.Errorf("want the integer %s, got %s (%s)", want, Text(got), Kind(got))
	}
	w, err := strconv.ParseFloat(want, 64)
	if err != nil {
		return fmt.Errorf("the scenario's %s is not a JSON literal", want)
	}
	if f, ok := Float(got); ok && f == w {
		return nil
	}
	return fmt.Errorf("want the number %s, got %s (%s)", want, Text(got), Kind(got))
}

// EqualFold compares two protocol tokens case-insensitively, in ASCII only
// as the RFCs do (Unicode folding would make "ſ" an "s").
func EqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if lower(a[i]) != lower(b[i]) {
			return false
		}
	}
	return true
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func toLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		b[i] = lower(c)
	}
	return string(b)
}

// MediaType returns a Content-Type value's type/subtype, lowercased, and its
// parameters (names lowercased), or false when it does not parse.
func MediaType(v string) (string, map[string]string, bool) {
	mt, params, err := mime.ParseMediaType(v)
	if err != nil {
		return "", nil, false
	}
	return mt, params, true
}

// IsJSON reports whether a Content-Type value says JSON: application/json
// in any case, with any parameters (charset=utf-8), or a +json type.
func IsJSON(contentType string) bool {
	mt, _, ok := MediaType(contentType)
	return ok && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}

// caseInsensitive are the headers whose values are tokens compared without
// regard to case: media types (RFC 9110 §8.3.1), cache directives (RFC 9111
// §5.2), content codings (RFC 9110 §8.4.1), and Pragma's no-cache
// (RFC 9111 §5.4). Their names are canonical MIME header keys.
var caseInsensitive = map[string]bool{
	"Content-Type":      true,
	"Cache-Control":     true,
	"Pragma":            true,
	"Content-Encoding":  true,
	"Transfer-Encoding": true,
	"Connection":        true,
	"Vary":              true,
}

// HeaderIs reports whether a header's value is want under the header's
// rules: a content type by its media type and the parameters want names
// (charset's value in any case), the headers above in any case, the rest
// exactly. Header names are matched in any case before this (Go
// canonicalizes them).
func HeaderIs(name, got, want string) bool {
	if canonical(name) == "Content-Type" {
		gmt, gp, ok1 := MediaType(got)
		wmt, wp, ok2 := MediaType(want)
		if !ok1 || !ok2 || gmt != wmt {
			return false
		}
		for k, v := range wp {
			if !EqualFold(gp[k], v) {
				return false
			}
		}
		return true
	}
	if caseInsensitive[canonical(name)] {
		return EqualFold(strings.TrimSpace(got), strings.TrimSpace(want))
	}
	return got == want
}

// HeaderContains reports whether a header's value contains want under the
// header's rules: in any case for the headers above; for WWW-Authenticate,
// an auth scheme (a bare token such as Bearer) in any case, anything else
// as written (a scope in a parameter is case-sensitive).
func HeaderContains(name, got, want string) bool {
	switch n := canonical(name); {
	case caseInsensitive[n]:
		return strings.Contains(toLower(got), toLower(want))
	case n == "Www-Authenticate" && isToken(want):
		for _, ch := range splitChallenges(got) {
			if scheme, _, _ := strings.Cut(ch, " "); EqualFold(scheme, want) {
				return true
			}
		}
	}
	return strings.Contains(got, want)
}

// canonical is the MIME canonical form of a header name.
func canonical(name string) string {
	b := []byte(toLower(name))
	up := true
	for i, c := range b {
		if up && 'a' <= c && c <= 'z' {
			b[i] = c - ('a' - 'A')
		}
		up = c == '-'
	}
	return string(b)
}

func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

// splitChallenges splits a WWW-Authenticate value into its challenges'
// starts: a scheme begins each one, after a comma outside quotes and not
// followed by a parameter (name=).
func splitChallenges(v string) []string {
	var out []string
	inQuote, start := false, 0
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c == '\\' && inQuote:
			i++
		case c == '"':
			inQuote = !inQuote
		case c == ',' && !inQuote:
			rest := strings.TrimLeft(v[i+1:], " \t")
			tok := rest
			if j := strings.IndexAny(rest, " =,"); j >= 0 {
				tok = rest[:j]
			}
			if !strings.HasPrefix(rest[len(tok):], "=") {
				out = append(out, strings.TrimSpace(v[start:i]))
				start = i + 1
			}
		}
	}
	return append(out, strings.TrimSpace(v[start:]))
}
