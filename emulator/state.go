package emulator

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pdemu/pdemu/emulator/apperr"
	"github.com/pdemu/pdemu/emulator/internal/connect"
	"github.com/pdemu/pdemu/emulator/internal/faults"
	"github.com/pdemu/pdemu/emulator/internal/oauth"
	"github.com/pdemu/pdemu/emulator/internal/ratelimit"
	"github.com/pdemu/pdemu/emulator/internal/token"
)

// StateFormat names the state document's format; a document of another
// format is refused whole, never half-read.
const StateFormat = "pdemu-state/1"

// stateDoc is the whole state as one document: what GET /_emulator/state
// answers, PUT takes, snapshots hold and the state file starts from. Each
// family exports and validates its own part; the document adds what ties
// them together (the clock, references between parts).
//
// It holds the signing key and the clients' secret hashes: a document is
// a secret, as a private key is.
type stateDoc struct {
	Format     string          `json:"format"`
	Clock      clockState      `json:"clock"`
	SigningKey token.State     `json:"signing_key"`
	OAuth      oauth.State     `json:"oauth"`
	Connect    connect.State   `json:"connect"`
	Faults     faults.State    `json:"faults"`
	RateLimits ratelimit.State `json:"rate_limits"`
}

// clockState is the emulator clock as a document keeps it: the instant,
// and for a clock that follows real time how far ahead of it it runs, so
// that after an import it goes on following real time rather than
// resuming from the instant of the export.
type clockState struct {
	Now          time.Time `json:"now"`
	Frozen       bool      `json:"frozen"`
	ShiftSeconds *float64  `json:"shift_seconds,omitempty"`
}

// shifter is a clock that follows real time with a shift (clock.Offset).
type shifter interface {
	Shift() time.Duration
	SetShift(time.Duration)
}

// exportLocked builds the document; the caller holds resetMu.
func (e *Emulator) exportLocked() stateDoc {
	doc := stateDoc{
		Format:     StateFormat,
		Clock:      e.clockState(),
		SigningKey: e.keys.Export(),
		OAuth:      e.auth.Export(),
		Connect:    e.connect.Export(),
		Faults:     e.faults.Export(),
		RateLimits: e.limiter.Export(),
	}
	return doc
}

// validateDoc checks a whole document before anything changes: its format,
// each part, and the references between parts. Errors name the JSON path
// of the first bad value.
func (e *Emulator) validateDoc(doc *stateDoc) error {
	if doc.Format != StateFormat {
		if doc.Format == "" {
			return apperr.ErrInvalid.WithMessage("format: missing; this pdemu reads %q documents", StateFormat)
		}
		return apperr.ErrInvalid.WithMessage("format: %q is not a format this pdemu reads (it reads %q); export the state again with this version", doc.Format, StateFormat)
	}
	if doc.Clock.Now.IsZero() {
		return apperr.ErrInvalid.WithMessage("clock.now: missing")
	}
	for _, part := range []struct {
		path string
		err  error
	}{
		{"signing_key", token.ValidateState(doc.SigningKey)},
		{"oauth", oauth.ValidateState(doc.OAuth)},
		{"connect", connect.ValidateState(doc.Connect)},
		{"faults", faults.ValidateState(doc.Faults)},
		{"rate_limits", ratelimit.ValidateState(doc.RateLimits)},
	} {
		if part.err != nil {
			return prefixPath(part.path, part.err)
		}
	}
	if err := validateReferences(doc); err != nil {
		return err
	}
	// What this emulator's configuration refuses (another issuer, more
	// clients than its limit), before anything changes.
	if err := e.keys.CheckImport(doc.SigningKey); err != nil {
		return prefixPath("signing_key", err)
	}
	return prefixPath("oauth", e.auth.CheckImport(doc.OAuth))
}

// validateReferences checks what no part can check alone: every client's
// workspace and projects exist in the Connect state.
func validateReferences(doc *stateDoc) error {
	workspaces := map[string]bool{}
	for _, w := range doc.Connect.Workspaces {
		workspaces[w.ID] = true
	}
	projects := map[string][]string{}
	for _, p := range doc.Connect.Projects {
		projects[p.WorkspaceID] = append(projects[p.WorkspaceID], p.ID)
	}
	for i, c := range doc.OAuth.Clients {
		if !workspaces[c.WorkspaceID] {
			return apperr.ErrInvalid.WithMessage("oauth.clients[%d].workspace_id: no workspace %q in connect.workspaces", i, c.WorkspaceID)
		}
		for j, p := range c.ProjectIDs {
			if !slices.Contains(projects[c.WorkspaceID], p) {
				return apperr.ErrInvalid.WithMessage("oauth.clients[%d].project_ids[%d]: no project %q in workspace %q", i, j, p, c.WorkspaceID)
			}
		}
	}
	return nil
}

// prefixPath puts a part's name before the path its error starts with.
func prefixPath(part string, err error) error {
	if err == nil {
		return nil
	}
	ae := apperr.As(err)
	if ae.Kind != apperr.Invalid {
		return err
	}
	sep := "."
	if strings.HasPrefix(ae.Message, "[") {
		sep = ""
	}
	return ae.WithMessage("%s%s%s", part, sep, ae.Message)
}

// importLocked replaces the whole state with a validated document; the
// caller holds resetMu for writing. Each part was validated, so no import
// fails half way: an error here is a bug, reported as one.
func (e *Emulator) importLocked(doc *stateDoc) error {
	for _, step := range []func() error{
		func() error { return e.keys.Import(doc.SigningKey) },
		func() error { return e.auth.Import(doc.OAuth) },
		func() error { return e.connect.Import(doc.Connect) },
		func() error { return e.faults.Import(doc.Faults) },
		func() error { return e.limiter.Import(doc.RateLimits) },
	} {
		if err := step(); err != nil {
			return fmt.Errorf("import of a validated state failed: %w", err)
		}
	}
	e.restoreClock(doc.Clock)
	return e.afterReplace()
}

// decodeDoc reads a document strictly: an unknown field is an error, so a
// document of another shape is not half-read.
func decodeDoc(data []byte) (*stateDoc, error) {
	// Every part must be there: a missing one would read as empty and
	// delete what the state holds of it.
	var parts map[string]json.RawMessage
	if err := json.Unmarshal(data, &parts); err == nil {
		for _, name := range []string{"format", "clock", "signing_key", "oauth", "connect", "faults", "rate_limits"} {
			if v, ok := parts[name]; !ok || string(v) == "null" {
				return nil, apperr.ErrInvalid.WithMessage("%s: missing; a %q document has every part", name, StateFormat)
			}
		}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var doc stateDoc
	if err := dec.Decode(&doc); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return nil, apperr.ErrInvalid.WithMessage("%s: must be a JSON %s", pathAt(data, te.Offset, te.Field), jsonKind(te.Type.Kind().String()))
		}
		if msg, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			field := strings.Trim(msg, `"`)
			return nil, apperr.ErrInvalid.WithMessage("%s: unknown field, not part of a %q document", pathAt(data, -1, field), StateFormat)
		}
		return nil, apperr.ErrInvalid.WithMessage("the state document is not valid JSON: %v", err)
	}
	if dec.More() {
		return nil, apperr.ErrInvalid.WithMessage("the state document has data after its end")
	}
	return &doc, nil
}

// pathAt names the JSON path of the value that ends near offset in data,
// with array indexes ("connect.projects[3].id"), for decoding errors,
// which name fields without them; fallback is what the error named. With
// offset -1 it names the first key called fallback instead (an unknown
// field's error says only its name).
func pathAt(data []byte, offset int64, fallback string) string {
	type level struct {
		array bool
		index int
		key   string
	}
	var stack []level
	dec := json.NewDecoder(bytes.NewReader(data))
	expectKey := false
	path := func() string {
		var b strings.Builder
		for _, l := range stack {
			switch {
			case l.array:
				fmt.Fprintf(&b, "[%d]", l.index)
			case l.key != "":
				if b.Len() > 0 {
					b.WriteByte('.')
				}
				b.WriteString(l.key)
			}
		}
		return b.String()
	}
	last := fallback
	for {
		tok, err := dec.Token()
		if err != nil || (offset >= 0 && dec.InputOffset() > offset) {
			if offset < 0 {
				return fallback
			}
			if len(stack) > 0 {
				return path()
			}
			return last
		}
		// A value completes an element of the container it sits in.
		value := func() {
			if n := len(stack); n > 0 {
				if stack[n-1].array {
					stack[n-1].index++
				} else {
					expectKey = true
				}
			}
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				stack = append(stack, level{})
				expectKey = true
			case '[':
				stack = append(stack, level{array: true, index: 0})
			case '}', ']':
				stack = stack[:len(stack)-1]
				value()
			}
		case string:
			if expectKey && len(stack) > 0 && !stack[len(stack)-1].array {
				stack[len(stack)-1].key = t
				expectKey = false
				last = path()
				if offset < 0 && t == fallback {
					return last
				}
				continue
			}
			value()
		default:
			value()
		}
	}
}
