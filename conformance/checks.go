package conformance

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/pdemu/pdemu/conformance/internal/jwtcheck"
	"github.com/pdemu/pdemu/conformance/internal/wire"
)

// The rules every answer of a kind keeps on any faithful server are
// checked on every such answer the kit receives, not only where a scenario
// thinks to check them: every token response (its types as clients parse
// them, its token against the published key set) and every page of a list
// (page_info's invariants). A broken rule fails the step whose request
// brought the answer, with the rule in the reason.

// tokenPath is the token endpoint's path.
const tokenPath = "/v1/oauth/token"

// jwksPath is where a target may publish the keys its tokens are signed
// with (pdemu does; Pipedream documents none). A target that answers 404
// there is not held to a key set.
const jwksPath = "/.well-known/jwks.json"

// checkWire records what x breaks of the rules above.
func (w *world) checkWire(ctx context.Context, req request, x *exchange) {
	path, _, _ := strings.Cut(req.path, "?")
	if req.method == http.MethodPost && path == tokenPath && x.status == http.StatusOK {
		if ct := x.header.Get("Content-Type"); !wire.IsJSON(ct) {
			w.violate("the token response's Content-Type is %q, not application/json (RFC 6749 §5.1; golang.org/x/oauth2 reads a text/plain answer as a form)", ct)
		}
		for _, bad := range wire.TokenResponse(x.decoded) {
			w.violate("the token response: %s", bad)
		}
		if tok, ok := x.field("access_token"); ok {
			if s, isString := tok.(string); isString && s != "" {
				if bad := w.keys.check(ctx, w, s); bad != "" {
					w.violate("%s", bad)
				}
			}
		}
	}
	if req.method == http.MethodGet && x.ok() {
		for _, bad := range wire.Page(x.decoded) {
			w.violate("GET %s: %s", path, bad)
		}
	}
}

// violate records a broken rule.
func (w *world) violate(format string, args ...any) {
	w.violations = append(w.violations, fmt.Sprintf(format, args...))
}

// newViolations returns the rules broken since the last call, as one error.
func (w *world) newViolations() error {
	if len(w.violations) == w.reported {
		return nil
	}
	fresh := w.violations[w.reported:]
	w.reported = len(w.violations)
	return fmt.Errorf("the answer breaks a rule clients rely on: %s", strings.Join(fresh, "; "))
}

// keySets is a run's copy of the target's published key set, shared by its
// scenarios and fetched again when a token does not verify (the keys may
// have rotated).
type keySets struct {
	mu      sync.Mutex
	fetched bool
	doc     []byte // nil: the target publishes none
}

// check verifies tok against the published key set and returns what is
// wrong, "" when it verifies or when the target publishes no key set. A
// nil keySets checks nothing.
func (k *keySets) check(ctx context.Context, w *world, tok string) string {
	if k == nil {
		return ""
	}
	doc, err := k.get(ctx, w, false)
	if err == nil && doc != nil {
		if jwtcheck.VerifyWithJWKS(tok, doc) == nil {
			return ""
		}
		doc, err = k.get(ctx, w, true)
	}
	if err != nil {
		return "fetching the published key set: " + err.Error()
	}
	if doc == nil {
		return ""
	}
	if err := jwtcheck.VerifyWithJWKS(tok, doc); err != nil {
		return fmt.Sprintf("the issued token does not verify against the published key set (%s): %v", jwksPath, err)
	}
	return ""
}

// get returns the key set, fetching it the first time or when fresh is
// set; nil when the target answers 404. The lock is not held while it
// fetches.
func (k *keySets) get(ctx context.Context, w *world, fresh bool) ([]byte, error) {
	k.mu.Lock()
	if k.fetched && !fresh {
		doc := k.doc
		k.mu.Unlock()
		return doc, nil
	}
	k.mu.Unlock()
	x, err := w.send(ctx, request{method: http.MethodGet, path: jwksPath, env: w.env}, aside)
	if err != nil {
		return nil, err
	}
	var doc []byte
	switch {
	case x.status == http.StatusNotFound:
	case x.status != http.StatusOK:
		return nil, fmt.Errorf("%s answered %d", jwksPath, x.status)
	default:
		doc = x.body
	}
	k.mu.Lock()
	k.fetched, k.doc = true, doc
	k.mu.Unlock()
	return doc, nil
}
