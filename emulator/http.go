package emulator

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/pdemu/pdemu/emulator/internal/scope"

	"github.com/pdemu/pdemu/emulator/apperr"
	"github.com/pdemu/pdemu/emulator/clock"
	"github.com/pdemu/pdemu/emulator/internal/connect"
	"github.com/pdemu/pdemu/emulator/internal/oauth"
)

// realm names the protection space in WWW-Authenticate challenges.
const realm = "api.pipedream.com"

// call is what the adapter learned about a request before its handler runs.
type call struct {
	// principal is the OAuth caller; zero when a Connect token called.
	principal oauth.Principal
	// connectToken is the Connect-token caller, or nil.
	connectToken *connect.ConnectToken
	// staticBearer is set when a workflow's own bearer secret authorized
	// the call (connect.WorkflowAuthStaticBearer).
	staticBearer bool
	// projectID is the project a project-scoped endpoint acts on: from the
	// path, or implied by a Connect token. Already checked to be visible.
	projectID string
	env       connect.Environment
	// vars are the route's path variables, unescaped.
	vars map[string]string
	// header is the response's header, for handlers that must set one
	// whether they succeed or fail (the token endpoint's Cache-Control).
	header http.Header
	// clientID is the OAuth client a public endpoint's request named (the
	// token endpoint's client_id), for the journal and fault plans.
	clientID string
	// x is the exchange being handled, for the journal.
	x *exchange
	// externalUser memoizes externalUserID once externalUserKnown.
	externalUser      string
	externalUserKnown bool
	// parsedOAuth memoizes an OAuth endpoint's parsed body.
	parsedOAuth *parsedOAuthRequest
}

// callerClientID is the OAuth client behind the request: the one whose
// token authenticated it, or the one a public endpoint's body named.
func (c *call) callerClientID() string {
	if c.principal.ClientID != "" {
		return c.principal.ClientID
	}
	return c.clientID
}

// externalUserID is the external user a request names, for the journal,
// fault plans and rate limits: a Connect token's user, or the
// external_user_id of the path, the query or a JSON body (tokens.create
// and actions.run send it there). It looks at the body only when the body
// holds that key, so most requests cost a scan of their body and no more.
func (c *call) externalUserID(r *http.Request) string {
	if c.externalUserKnown {
		return c.externalUser
	}
	id := ""
	switch {
	case c.connectToken != nil:
		id = c.connectToken.ExternalUserID
	case c.vars["external_user_id"] != "":
		id = c.vars["external_user_id"]
	case strings.Contains(r.URL.RawQuery, "external_user_id="):
		id = r.URL.Query().Get("external_user_id")
	case c.x != nil && bytes.Contains(c.x.reqBody, []byte(`"external_user_id"`)):
		var body struct {
			ExternalUserID any `json:"external_user_id"`
		}
		if json.Unmarshal(c.x.reqBody, &body) == nil {
			id, _ = body.ExternalUserID.(string)
		}
	}
	c.externalUser, c.externalUserKnown = id, true
	return id
}

// access is what the caller's token may reach in the Connect store.
func (c *call) access() connect.Access {
	if ct := c.connectToken; ct != nil {
		return ct.Access()
	}
	return connect.Access{WorkspaceID: c.principal.WorkspaceID, ProjectIDs: c.principal.ProjectIDs}
}

// scopes is the caller's granted scope set.
func (c *call) scopes() scope.Set {
	if c.connectToken != nil {
		return c.connectToken.Scopes
	}
	return c.principal.Scopes
}

// isOAuth reports whether an OAuth access token (not a Connect token) called.
func (c *call) isOAuth() bool { return c.connectToken == nil && c.principal.ClientID != "" }

// actingFor is the external user a request acts for, by the Connect API's
// access rule (connect.Access.ActingFor) from the external_user_id query
// parameter.
func (c *call) actingFor(r *http.Request, required bool) (string, error) {
	return c.access().ActingFor(r.URL.Query().Get("external_user_id"), required)
}

// response is a handler's result; the adapter writes it as JSON, or raw
// bytes for the few endpoints that return files or upstream bodies.
type response struct {
	status int
	body   any // nil writes no body
	// raw, when not nil, is written as is with contentType instead of body.
	raw         []byte
	contentType string
	// then, when not nil, is the rest of the handler's work: the adapter
	// runs it after releasing the emulator lock and writes its result
	// instead of this one.
	then *continuation
	// header holds headers to set on the answer (a fault plan's, a 429's).
	header map[string]string
	// drop closes the connection with no answer (a fault plan's drop).
	drop bool
}

// continuation is the part of a handler's work that waits on the network,
// such as the Connect proxy's exchange with an upstream API. It must run
// without the emulator lock: a Reset waiting for the lock would wait for
// the network too, and every request arriving meanwhile would queue behind
// the Reset (Go's RWMutex lets no new reader past a waiting writer), so one
// slow upstream would freeze the whole emulator. A handler therefore does
// its domain work (lookups, checks) under the lock, captures what the rest
// needs, and returns the rest with unlocked.
type continuation struct {
	// run finishes the request. It holds no lock: it uses what the handler
	// captured, and reaches emulator state only under resetMu's read side,
	// taken for a moment, or through methods that lock for themselves. Its
	// result may continue again.
	run func(ctx context.Context) (response, error)
	// maxWait is the longest run can take; run enforces it (a context
	// deadline) and answers when it runs out (the proxy's 504). The adapter
	// moves the connection's write deadline out by as much first (see
	// renewWriteDeadline), so that the server's WriteTimeout cannot turn
	// that answer into a dropped connection.
	maxWait time.Duration
}

// unlocked returns a response that finishes with run, outside the lock,
// within maxWait.
func unlocked(maxWait time.Duration, run func(ctx context.Context) (response, error)) (response, error) {
	return response{then: &continuation{run: run, maxWait: maxWait}}, nil
}

// routeHandler serves a matched route with its (still escaped) variables,
// filling in the exchange as it learns who called and how it ended.
type routeHandler func(w http.ResponseWriter, r *http.Request, vars map[string]string, x *exchange)

// handlerFunc is an HTTP adapter: parse the request, call the domain,
// return the value to write. It never writes to the ResponseWriter itself.
type handlerFunc func(r *http.Request, c *call) (response, error)

func ok(body any) (response, error) { return response{status: http.StatusOK, body: body}, nil }
func created(body any) (response, error) {
	return response{status: http.StatusCreated, body: body}, nil
}
func noContent() (response, error) { return response{status: http.StatusNoContent}, nil }

// wrap turns a table row into an http.Handler: it decides whether a
// control-plane caller may drive the emulator, reads the bounded body,
// then, under the emulator lock, checks the bearer token and scope, reads
// the environment and runs the handler; then, unlocked, it runs the
// handler's continuation if any and writes the result or error. No lock is
// held while the body is read, the network is waited on or the answer is
// written, so no client and no upstream can hold up a Reset. A panic
// becomes a JSON 500, never a dropped connection.
func (e *Emulator) wrap(ep Endpoint) routeHandler {
	unrouted := ep.Method == ""
	return func(w http.ResponseWriter, r *http.Request, vars map[string]string, x *exchange) {
		if !unrouted {
			x.route = ep.Name
			x.quiet = ep.quiet
		}
		c := &call{header: w.Header(), x: x}
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				e.writeError(w, ep, fmt.Errorf("panic: %v", v), x)
			}
		}()
		// The control plane's caller is judged first: before its body is
		// read and before resetMu is taken, so that a request pdemu refuses
		// costs nothing and never waits behind (or holds up) a reset.
		if ep.Auth == ControlPlane {
			if err := e.authorizeControl(r, !ep.quiet); err != nil {
				e.writeError(w, ep, err, x)
				return
			}
		}
		// Before the lock: a client that sends its body slowly must not keep
		// a Reset waiting, nor every request queued behind that Reset.
		x.reqBody = e.readBody(w, r, cmp.Or(ep.maxBody, e.maxBodyBytes))
		resp, err := e.handleLocked(r, ep, vars, c, true)
		for err == nil && resp.then != nil {
			renewWriteDeadline(w, r, resp.then.maxWait)
			resp, err = resp.then.run(r.Context())
			renewWriteDeadline(w, r, 0) // the answer is ready: write it within the server's budget
		}
		x.clientID = c.callerClientID()
		if e.journal.Enabled() || e.logger != nil {
			x.externalUserID = c.externalUserID(r)
		}
		if err != nil {
			e.writeError(w, ep, err, x)
			return
		}
		if resp.drop {
			x.dropped = true
			if x.errCode == "" {
				x.errCode = "connection_dropped"
			}
			panic(http.ErrAbortHandler) // the server closes the connection unanswered
		}
		for k, v := range resp.header {
			w.Header().Set(k, v)
		}
		if resp.raw != nil || resp.contentType != "" {
			if resp.contentType != "" {
				w.Header().Set("Content-Type", resp.contentType)
			}
			w.WriteHeader(resp.status)
			_, _ = w.Write(resp.raw)
			return
		}
		writeJSON(w, resp.status, resp.body)
	}
}

// handleLocked prepares the call and runs the handler with the emulator
// locked: for reading, or for writing when the row is exclusive (reset).
// In between come the failures a test asked for: a fault plan that fires
// (when withFaults; a delayed request comes back without), then the rate
// limits.
func (e *Emulator) handleLocked(r *http.Request, ep Endpoint, vars map[string]string, c *call, withFaults bool) (response, error) {
	// With a state file, a change runs alone: its replay must see the state
	// it saw (persist.go).
	record := e.persist != nil && ep.mutates()
	if ep.exclusive || record {
		e.resetMu.Lock()
	} else {
		e.resetMu.RLock()
	}
	resp, err, recorded := e.handleHeld(r, ep, vars, c, withFaults, record)
	if ep.exclusive || record {
		e.resetMu.Unlock()
	} else {
		e.resetMu.RUnlock()
	}
	if recorded {
		// Outside the lock, before the answer: a change is acknowledged
		// only once it is durable, and reads need not wait for the disk.
		if serr := e.syncStateFile(); serr != nil {
			return response{}, serr
		}
	}
	return resp, err
}

// handleHeld is handleLocked's work, with resetMu held. recorded says a
// change went to the state file, which must be synced before the answer.
func (e *Emulator) handleHeld(r *http.Request, ep Endpoint, vars map[string]string, c *call, withFaults, record bool) (resp response, err error, recorded bool) {
	authErr := e.prepare(r, ep, vars, c)
	if withFaults {
		if f, fired := e.pickFault(r, ep, c); fired {
			resp, err = e.faultAnswer(f, r, ep, vars, c)
			return resp, err, false
		}
	}
	if authErr != nil {
		return response{}, authErr, false
	}
	if resp, throttled, err := e.throttle(r, ep, c); throttled || err != nil {
		return resp, err, false
	}
	if record {
		resp, err = e.recordChange(r, ep, vars, c)
		return resp, err, true
	}
	resp, err = ep.handle(r, c)
	return resp, err, false
}

// renewWriteDeadline sets the connection's write deadline to wait plus the
// server's WriteTimeout from now. http.Server's WriteTimeout runs from when
// the request was read, so a wait on the network longer than it would
// leave the answer (even the 504 saying the upstream was too slow)
// unwritable, and the client would see the connection drop: the wait must
// not count against the time to write. wrap renews before a continuation
// with its maxWait, because HTTP/2 resets a stream when its write timer
// fires even if nothing was written, and after it with 0, so the answer
// has the whole budget however long the wait took. Without a server write
// timeout there is nothing to renew.
func renewWriteDeadline(w http.ResponseWriter, r *http.Request, wait time.Duration) {
	srv, _ := r.Context().Value(http.ServerContextKey).(*http.Server)
	if srv == nil || srv.WriteTimeout <= 0 {
		return
	}
	// An error changes nothing: http.ErrNotSupported means a ResponseWriter
	// without a connection's deadline (httptest.ResponseRecorder, or a
	// middleware that hides it), any other a connection already gone.
	_ = http.NewResponseController(w).SetWriteDeadline(clock.WallDeadline(wait + srv.WriteTimeout))
}

// readBody reads the request body in full, bounded by maxBodyBytes, and
// hands it to the handler as a bufferedBody: handlers run under the
// emulator lock, and reading a body is network I/O that a client can stretch
// for as long as the server's ReadTimeout allows. A request without a body
// (http.NoBody, which is what the server gives one with Content-Length 0)
// costs nothing here; one with a Content-Length costs one buffer of that
// size.
func (e *Emulator) readBody(w http.ResponseWriter, r *http.Request, limit int64) []byte {
	if r.Body == nil || r.Body == http.NoBody {
		return nil
	}
	var rd io.Reader = r.Body
	size := r.ContentLength
	if size < 0 || size > limit {
		// The body may exceed the limit. MaxBytesReader then also tells the
		// server to close the connection rather than read on.
		rd = http.MaxBytesReader(w, r.Body, limit)
		size = min(512, limit)
	}
	data, err := readAll(rd, size, limit)
	r.Body = &bufferedBody{data: data, err: err}
	return data
}

// readAll reads rd to its end into a buffer of size+1 bytes (the extra one
// takes the read that finds the end), grown if size was short. More than
// limit bytes is a *http.MaxBytesError, whoever made the reader.
func readAll(rd io.Reader, size, limit int64) ([]byte, error) {
	b := make([]byte, 0, size+1)
	for {
		n, err := rd.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if int64(len(b)) > limit {
			return b[:limit], &http.MaxBytesError{Limit: limit}
		}
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			return b, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
	}
}

// bufferedBody is a request body read before the handler ran. It yields the
// bytes read, then the error that ended the read (a *http.MaxBytesError, a
// connection that broke) where the original body would have: a handler
// that reads the body answers as it would have, and one that does not read
// it is not affected.
type bufferedBody struct {
	data []byte
	off  int
	err  error
}

func (b *bufferedBody) Read(p []byte) (int, error) {
	if b.off == len(b.data) {
		if b.err != nil {
			return 0, b.err
		}
		return 0, io.EOF
	}
	n := copy(p, b.data[b.off:])
	b.off += n
	return n, nil
}

// Close does nothing: the server closes the connection's body itself.
func (b *bufferedBody) Close() error { return nil }

// bodyBytes returns the rest of the request body: the adapter's buffer
// itself, not a copy, for handlers that want the bytes.
func bodyBytes(r *http.Request) ([]byte, error) {
	switch b := r.Body.(type) {
	case nil:
		return nil, nil
	case *bufferedBody:
		rest := b.data[b.off:]
		b.off = len(b.data)
		return rest, b.err
	}
	if r.Body == http.NoBody {
		return nil, nil
	}
	return io.ReadAll(r.Body) // a request that did not come through wrap
}

// prepare fills c before the handler runs: path variables, the caller
// (RFC 6750 bearer check and the endpoint's scope), and for project-scoped
// endpoints the project and environment.
func (e *Emulator) prepare(r *http.Request, ep Endpoint, vars map[string]string, c *call) error {
	if len(vars) > 0 { // most hot routes have none: skip the allocation
		c.vars = make(map[string]string, len(vars))
	}
	for k, v := range vars {
		u, err := url.PathUnescape(v)
		if err != nil {
			return apperr.ErrInvalid.WithMessage("path parameter %s is not valid percent-encoding", k)
		}
		c.vars[k] = u
	}
	if ep.Auth.AcceptsOAuth() || ep.Auth.AcceptsConnectToken() {
		if err := e.authorize(r, ep, c); err != nil {
			return err
		}
	}
	if ep.ProjectScoped {
		return e.scopeToProject(r, c)
	}
	return nil
}

// statusOf maps an error kind to its HTTP status: the one place that does.
var statusOf = map[apperr.Kind]int{
	apperr.Internal:         http.StatusInternalServerError,
	apperr.Invalid:          http.StatusBadRequest,
	apperr.Unauthenticated:  http.StatusUnauthorized,
	apperr.Forbidden:        http.StatusForbidden,
	apperr.NotFound:         http.StatusNotFound,
	apperr.Conflict:         http.StatusConflict,
	apperr.TooLarge:         http.StatusRequestEntityTooLarge,
	apperr.UnsupportedMedia: http.StatusUnsupportedMediaType,
	apperr.MethodNotAllowed: http.StatusMethodNotAllowed,
	apperr.BadGateway:       http.StatusBadGateway,
	apperr.GatewayTimeout:   http.StatusGatewayTimeout,
}

// errorBody is every error's JSON: the RFC 6749 §5.2 pair, which also fills
// Pipedream's ErrorResponse {error, code?, details?}.
type errorBody struct {
	Error            string         `json:"error"`
	ErrorDescription string         `json:"error_description,omitempty"`
	Details          map[string]any `json:"details,omitempty"`
}

// writeError writes err as JSON with its status and, on protected
// endpoints, the RFC 6750 §3 challenge (the control plane's names its own
// realm, so a client can tell which credentials were asked for).
func (e *Emulator) writeError(w http.ResponseWriter, ep Endpoint, err error, x *exchange) {
	ae := apperr.As(err)
	x.errCode = ae.Code
	if ae.Kind == apperr.Internal && e.logger != nil {
		e.logger.Error("internal error", "route", ep.Name, "error", err.Error())
	}
	status := statusOf[ae.Kind]
	if ep.Auth == ControlPlane && ae.Kind == apperr.Unauthenticated {
		w.Header().Set("WWW-Authenticate", fmt.Sprintf("Bearer realm=%q", controlRealm))
	}
	if ep.Auth.AcceptsOAuth() || ep.Auth.AcceptsConnectToken() {
		switch {
		case errors.Is(ae, oauth.ErrMissingToken):
			w.Header().Set("WWW-Authenticate", fmt.Sprintf("Bearer realm=%q", realm))
		case ae.Kind == apperr.Unauthenticated:
			w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm=%q, error=%q, error_description="%s"`, realm, ae.Code, challengeText(ae.Message)))
		case errors.Is(ae, oauth.ErrInsufficientScope):
			w.Header().Set("WWW-Authenticate", fmt.Sprintf("Bearer realm=%q, error=%q, scope=%q", realm, ae.Code, strings.Join(ep.Scopes, " ")))
		}
	}
	writeJSON(w, status, errorBody{Error: ae.Code, ErrorDescription: ae.Message, Details: ae.Details})
}

// challengeText makes a message fit RFC 6750 §3's error_description:
// printable ASCII without '"' or '\'. The JSON body keeps the original.
func challengeText(msg string) string {
	var b strings.Builder
	for _, r := range strings.ReplaceAll(msg, "…", "...") {
		switch {
		case r == '"':
			b.WriteByte('\'')
		case r == '\\':
			b.WriteByte('/')
		case r < 0x20 || r > 0x7e:
			b.WriteByte('?')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// jsonBuffers hold answers while they are encoded: one per request in
// flight, not one allocated (and grown) per answer.
var jsonBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func writeJSON(w http.ResponseWriter, status int, body any) {
	if body == nil {
		w.WriteHeader(status)
		return
	}
	buf := jsonBuffers.Get().(*bytes.Buffer)
	buf.Reset()
	defer func() {
		if buf.Cap() <= 64<<10 { // a rare large answer's buffer is not kept
			jsonBuffers.Put(buf)
		}
	}()
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false) // descriptions quote <placeholders>; this is not HTML
	if err := enc.Encode(body); err != nil {
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString(`{"error":"server_error","error_description":"response could not be encoded"}` + "\n")
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// notFound answers a request no route matches, naming the routes closest
// to it (nearmiss.go) in the message and in details.near_misses.
func (e *Emulator) notFound(r *http.Request, c *call) (response, error) {
	e.identifyBearer(r, c)
	misses := nearMisses(e.eps, r.Method, r.URL.EscapedPath())
	err := apperr.ErrNotFound.WithMessage("no endpoint %s %s", r.Method, truncate(r.URL.Path, 200))
	if len(misses) > 0 {
		c.x.nearMisses = misses
		err.Message += "; did you mean " + strings.Join(misses, " or ") + "?"
		err.Details = map[string]any{"near_misses": misses}
	}
	return response{}, err
}

// methodNotAllowed answers a request whose path exists under other
// methods, listing them in Allow (RFC 9110 §15.5.6) and in details.
func (e *Emulator) methodNotAllowed(r *http.Request, c *call) (response, error) {
	e.identifyBearer(r, c)
	var allowed, routes []string
	segs := strings.Split(r.URL.EscapedPath(), "/")
	for _, sh := range routeShapes(e.eps) {
		if d, ok := pathDistance(segs, sh.segs); ok && d == 0 && len(segs) == len(sh.segs) && !slices.Contains(allowed, sh.method) {
			allowed = append(allowed, sh.method)
			routes = append(routes, sh.String())
		}
	}
	c.x.nearMisses = routes
	if len(allowed) > 0 {
		c.header.Set("Allow", strings.Join(allowed, ", "))
	}
	return response{}, &apperr.Error{Kind: apperr.MethodNotAllowed, Code: "method_not_allowed",
		Message: fmt.Sprintf("%s is not allowed on %s", r.Method, truncate(r.URL.Path, 200)),
		Details: map[string]any{"near_misses": routes}}
}

// identifyBearer learns, without judging it, whom an unrouted request's
// bearer token speaks for, so that the journal files a mistyped call under
// its client and external user, where the one who made it looks. A token
// that is not valid identifies no one.
func (e *Emulator) identifyBearer(r *http.Request, c *call) {
	scheme, cred, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.HasPrefix(r.URL.Path, controlPrefix) {
		return
	}
	cred = strings.TrimSpace(cred)
	if strings.HasPrefix(cred, connect.TokenPrefix) {
		if ct, err := e.connect.AuthenticateToken(cred); err == nil {
			c.connectToken = &ct
		}
		return
	}
	if p, err := e.auth.Authenticate(cred); err == nil {
		c.principal = p
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
