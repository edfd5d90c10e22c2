package journal

import (
	"strings"
	"sync"
)

// Header is a header block as the journal keeps it: "Name: value\n" lines,
// in one string. A map of slices costs several allocations and hundreds of
// bytes of overhead per entry; ten thousand entries of those would weigh
// more than the rest of an emulator. Values are already redacted when they
// are encoded, so no raw credential is kept.
type Header string

// EncodeHeader encodes h, each value passed through show (which redacts
// it), with host first as a Host line when it is not empty (Go keeps the
// request's Host apart from its headers).
func EncodeHeader(h map[string][]string, host string, show func(name, value string) string) Header {
	bp := scratch.Get().(*[]byte)
	b := (*bp)[:0]
	if host != "" {
		b = append(b, "Host: "...)
		b = append(b, show("Host", host)...)
		b = append(b, '\n')
	}
	for name, vs := range h {
		for _, v := range vs {
			b = append(b, name...)
			b = append(b, ": "...)
			b = append(b, oneLine(show(name, v))...)
			b = append(b, '\n')
		}
	}
	out := Header(b) // one allocation of exactly the encoded size
	if cap(b) <= 64<<10 {
		*bp = b
		scratch.Put(bp)
	}
	return out
}

// scratch holds encoding buffers, so an encoded header costs one
// allocation of its own size: the journal keeps it for thousands of
// requests.
var scratch = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// oneLine keeps a value to one line: a value never holds a newline on the
// wire, but one a handler set could.
func oneLine(v string) string {
	if strings.IndexByte(v, '\n') < 0 {
		return v
	}
	return strings.ReplaceAll(v, "\n", " ")
}

// All calls fn for each name and value, in the order they were encoded.
func (h Header) All(fn func(name, value string)) {
	rest := string(h)
	for rest != "" {
		line, tail, _ := strings.Cut(rest, "\n")
		rest = tail
		if name, value, ok := strings.Cut(line, ": "); ok {
			fn(name, value)
		}
	}
}

// Get returns the first value of name (canonical form), or "".
func (h Header) Get(name string) string {
	v, found := "", false
	h.All(func(n, val string) {
		if !found && n == name {
			v, found = val, true
		}
	})
	return v
}

// Map decodes h.
func (h Header) Map() map[string][]string {
	m := map[string][]string{}
	h.All(func(n, v string) { m[n] = append(m[n], v) })
	return m
}
