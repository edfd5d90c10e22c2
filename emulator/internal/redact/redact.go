// Package redact hides secrets in what pdemu shows of a request: client
// secrets, access tokens, Connect tokens, the control token, account
// credentials. Each secret is replaced by a marker holding a short keyed
// fingerprint, "[redacted:1a2b3c4d]", so that two different secrets still
// look different and one secret looks the same wherever it appears, while
// the marker reveals nothing: the fingerprint is an HMAC under a key that
// lives only in this process, so even a guessable secret ("secret") cannot
// be confirmed from it offline.
package redact

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"hash/maphash"
	"io"
	"net/url"
	"regexp"
	"strings"
	"sync"

	"github.com/pdemu/pdemu/emulator/internal/ids"
)

// Redactor replaces secrets by keyed fingerprints. Its zero value is not
// usable; call New.
type Redactor struct {
	key []byte

	// marks caches the markers of recent header credentials: a client
	// sends the same token for an hour, and the journal marks every
	// request's Authorization as it records it. Keyed by a seeded 64-bit
	// hash, not the secret, so the cache holds no secret and stays small;
	// bounded: emptied when full.
	mu    sync.Mutex
	seed  maphash.Seed
	marks map[uint64]string
}

// maxCachedMarks bounds the marker cache.
const maxCachedMarks = 4096

// New returns a Redactor with a fresh random key.
func New() *Redactor { return NewFromReader(ids.NewRandom()) }

// NewFromReader returns a Redactor whose key is the first 32 bytes r
// gives: from a seeded generator, markers are the same on every run (and
// a guessable secret can be confirmed from its marker by whoever knows the
// seed). A reader that fails, or ends early, panics: the emulator's
// sources never do. The marker cache's hash seed stays random; it changes
// no marker.
func NewFromReader(r io.Reader) *Redactor {
	key := make([]byte, 32)
	if _, err := io.ReadFull(r, key); err != nil {
		panic("redact: reading the key: " + err.Error())
	}
	return &Redactor{key: key, seed: maphash.MakeSeed()}
}

// NewWithKey returns a Redactor with a fixed key, for reproducible output.
func NewWithKey(key []byte) *Redactor {
	return &Redactor{key: bytes.Clone(key), seed: maphash.MakeSeed()}
}

// Prefix starts every marker; a string that contains it was redacted.
const Prefix = "[redacted:"

// Mark returns the marker that stands for secret.
func (r *Redactor) Mark(secret string) string {
	m := hmac.New(sha256.New, r.key)
	m.Write([]byte(secret))
	sum := m.Sum(nil)
	return Prefix + hex.EncodeToString(sum[:4]) + "]"
}

// sensitiveHeaders are the request and response headers whose whole value
// is a credential. Authorization keeps its scheme.
var sensitiveHeaders = map[string]bool{
	"Authorization":       true,
	"Proxy-Authorization": true,
	"Cookie":              true,
	"Set-Cookie":          true,
	"X-Pd-Rate-Limit":     true,
	"X-Api-Key":           true,
}

// Header returns value with any credential in it replaced; name must be in
// canonical form (textproto.CanonicalMIMEHeaderKey).
func (r *Redactor) Header(name, value string) string {
	if !sensitiveHeaders[name] && !sensitiveKey(name) {
		return r.Text(value)
	}
	if value == "" {
		return ""
	}
	if name == "Authorization" || name == "Proxy-Authorization" {
		if scheme, cred, ok := strings.Cut(value, " "); ok && !strings.Contains(scheme, "=") {
			return scheme + " " + r.cachedMark(strings.TrimSpace(cred))
		}
	}
	return r.cachedMark(value)
}

// cachedMark is Mark, remembered for the secrets seen most recently.
func (r *Redactor) cachedMark(secret string) string {
	h := maphash.String(r.seed, secret)
	r.mu.Lock()
	defer r.mu.Unlock()
	if m, ok := r.marks[h]; ok {
		return m
	}
	if r.marks == nil || len(r.marks) >= maxCachedMarks {
		r.marks = make(map[uint64]string)
	}
	m := r.Mark(secret)
	r.marks[h] = m
	return m
}

// sensitiveKey reports whether a JSON key, form field, query parameter or
// header names a secret. Keys are compared without case and with "-" read
// as "_", without allocating: the journal asks it of every header of every
// request.
func sensitiveKey(k string) bool {
	for _, no := range [...]string{"token_type", "token_type_hint", "tokens_create"} {
		if keyEqual(k, no) {
			return false
		}
	}
	for _, yes := range [...]string{"token", "secret", "password", "api_key", "apikey", "private_key", "signing_key",
		"client_assertion", "authorization", "credentials", "x_pd_rate_limit", "x_api_key", "secret_hash"} {
		if keyEqual(k, yes) {
			return true
		}
	}
	// "_seed": a state document's ed25519_seed is the signing key itself.
	for _, suffix := range [...]string{"_secret", "_token", "_password", "_seed"} {
		if len(k) >= len(suffix) && keyEqual(k[len(k)-len(suffix):], suffix) {
			return true
		}
	}
	return false
}

// keyEqual compares a key with a lower-case name, ignoring ASCII case and
// reading "-" as "_".
func keyEqual(k, name string) bool {
	if len(k) != len(name) {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		switch {
		case c == '-':
			c = '_'
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		}
		if c != name[i] {
			return false
		}
	}
	return true
}

// secretPattern finds secrets by their shape wherever they appear (a
// Connect token in a URL, an access token pasted into a field): Connect
// tokens, JWTs (every access token pdemu issues is one), and Pipedream's
// rate-limit tokens are known only by their key, above.
var secretPattern = regexp.MustCompile(`ctok_[A-Za-z0-9_-]+|eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+`)

// Text replaces every secret found by its shape in s.
func (r *Redactor) Text(s string) string {
	if !strings.Contains(s, "ctok_") && !strings.Contains(s, "eyJ") {
		return s // the common case costs two scans and no allocation
	}
	return secretPattern.ReplaceAllStringFunc(s, r.Mark)
}

// Path redacts a URL path: Connect tokens appear in some (validate).
func (r *Redactor) Path(p string) string { return r.Text(p) }

// Query redacts a raw query string, keeping its order and encoding.
func (r *Redactor) Query(q string) string { return r.form(q) }

// Form redacts an application/x-www-form-urlencoded body.
func (r *Redactor) Form(body string) string { return r.form(body) }

func (r *Redactor) form(q string) string {
	if q == "" {
		return ""
	}
	parts := strings.Split(q, "&")
	for i, p := range parts {
		k, v, hasValue := strings.Cut(p, "=")
		name, err := url.QueryUnescape(k)
		if err != nil {
			name = k
		}
		switch {
		case hasValue && sensitiveKey(name):
			val, err := url.QueryUnescape(v)
			if err != nil {
				val = v
			}
			parts[i] = k + "=" + url.QueryEscape(r.Mark(val))
		default:
			val, err := url.QueryUnescape(v)
			if err == nil && r.Text(val) != val {
				parts[i] = k + "=" + url.QueryEscape(r.Text(val))
			} else if err != nil {
				parts[i] = r.Text(p)
			}
		}
	}
	return strings.Join(parts, "&")
}

// JSON redacts a JSON document: the value of every key that names a secret
// (every string inside it, for an object such as an account's credentials),
// and every secret found by its shape in any other string. It returns the
// redacted document and true, or nil and false when body is not JSON.
func (r *Redactor) JSON(body []byte) (json.RawMessage, bool) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber() // numbers come back as written
	var v any
	if err := dec.Decode(&v); err != nil || dec.More() {
		return nil, false
	}
	if _, err := dec.Token(); err == nil {
		return nil, false // trailing data after the value
	}
	v = r.value(v, false)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, false
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), true
}

// value redacts v; secret says it sits under a key that names a secret.
func (r *Redactor) value(v any, secret bool) any {
	switch x := v.(type) {
	case string:
		if secret {
			return r.Mark(x)
		}
		return r.Text(x)
	case map[string]any:
		for k, e := range x {
			x[k] = r.value(e, secret || sensitiveKey(k))
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = r.value(e, secret)
		}
		return x
	case json.Number:
		if secret {
			return r.Mark(x.String())
		}
	}
	return v
}

// PartialJSON redacts JSON text that may be cut short (a body the journal
// kept only the start of), by the same rules as JSON: the value of every
// key that names a secret, every scalar inside such a value (an account's
// credentials, whatever their names), and secrets found by their shape in
// other strings. It scans tokens without parsing the whole, so a cut
// document, or one that is not quite JSON, is redacted as far as it goes;
// a string cut inside a secret is replaced all the same.
func (r *Redactor) PartialJSON(s string) string {
	type frame struct {
		object    bool // an object (keys and values) or an array
		secret    bool // the whole container sits under a secret key
		expectKey bool // in an object: the next string is a key
		key       string
	}
	var (
		out   strings.Builder
		stack []frame
	)
	// inSecret reports whether a value at this point is secret: under a
	// secret container, or the value of a secret key.
	inSecret := func() bool {
		if len(stack) == 0 {
			return false
		}
		f := stack[len(stack)-1]
		return f.secret || (f.object && sensitiveKey(f.key))
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '"':
			j := i + 1
			for j < len(s) && s[j] != '"' {
				if s[j] == '\\' {
					j++
				}
				j++
			}
			closed := j < len(s)
			body := s[i+1 : min(j, len(s))]
			isKey := len(stack) > 0 && stack[len(stack)-1].object && stack[len(stack)-1].expectKey
			switch {
			case isKey:
				stack[len(stack)-1].key, stack[len(stack)-1].expectKey = body, false
				out.WriteString(s[i:min(j+1, len(s))])
			case inSecret():
				out.WriteString(`"` + r.Mark(body))
				if closed {
					out.WriteByte('"')
				}
			default:
				out.WriteString(r.Text(s[i:min(j+1, len(s))]))
			}
			i = min(j+1, len(s))
		case c == '{' || c == '[':
			stack = append(stack, frame{object: c == '{', secret: inSecret(), expectKey: c == '{'})
			out.WriteByte(c)
			i++
		case c == '}' || c == ']':
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
			out.WriteByte(c)
			i++
		case c == ',':
			if len(stack) > 0 && stack[len(stack)-1].object {
				stack[len(stack)-1].expectKey, stack[len(stack)-1].key = true, ""
			}
			out.WriteByte(c)
			i++
		case c == '-' || c == '+' || c == '.' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z'):
			j := i
			for j < len(s) && strings.IndexByte(",]}: \t\r\n", s[j]) < 0 {
				j++
			}
			lit := s[i:j]
			if inSecret() && lit != "null" {
				out.WriteString(`"` + r.Mark(lit) + `"`)
			} else {
				out.WriteString(lit)
			}
			i = max(j, i+1)
		default:
			out.WriteByte(c)
			i++
		}
	}
	return out.String()
}
