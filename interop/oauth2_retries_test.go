package interop_test

// TestOAuth2TokenFaults records what golang.org/x/oauth2/clientcredentials
// (the version in go.mod, v0.38.0 when this was written) does when the
// token endpoint answers a 429 or a 503, and asserts exactly that, call by
// call, from the request journal:
//
//   - It has no retry logic and never waits (the one re-send is
//     AuthStyleAutoDetect's probe, below): a failed token request
//     is an *oauth2.RetrieveError carrying the *http.Response (status and
//     headers, so Retry-After is there for the caller) and the body. The
//     emulator's JSON bodies are parsed as RFC 6749 errors: 429
//     {"error":"Throttled"} gives ErrorCode "Throttled", 503
//     {"error":"Service Unavailable"} gives "Service Unavailable". The load
//     balancer's empty-bodied 429 (token_throttled) gives ErrorCode "" and
//     an empty Body, and Error() "oauth2: cannot fetch token: 429 Too Many
//     Requests\nResponse: ".
//   - With AuthStyleInHeader or AuthStyleInParams that is one token call
//     per Token(); the token source keeps no error, so the next Token()
//     after the fault is spent makes one new call and succeeds.
//   - With AuthStyleAutoDetect (the zero value), a failed first try (HTTP
//     Basic) is sent again at once with the secret in the body, whatever
//     the failure: one 429 or 503 costs a second call and Token()
//     succeeds, and that clientcredentials.Config then remembers "in
//     params" (per Config: a new Config probes with Basic again).
//     Two in a row fail Token() with the second answer's error; the style
//     is not remembered, so the next Token() starts with Basic again.
//   - Through oauth2.NewClient the failure comes back from the HTTP call as
//     a *url.Error wrapping the *oauth2.RetrieveError, and the API request
//     is never sent.

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"testing"

	"golang.org/x/oauth2"

	"github.com/pdemu/pdemu/emulator"
)

// tokenFault is a token endpoint failure and what x/oauth2 makes of it.
type tokenFault struct {
	name    string
	preset  string
	status  int
	code    string // RetrieveError.ErrorCode
	body    string // RetrieveError.Body
	message string // RetrieveError.Error()
	header  map[string]string
}

var tokenFaults = []tokenFault{
	{
		name: "token_throttled", preset: emulator.FaultTokenThrottled, status: http.StatusTooManyRequests,
		message: "oauth2: cannot fetch token: 429 Too Many Requests\nResponse: ",
		header:  map[string]string{"Server": "awselb/2.0", "Retry-After": ""},
	},
	{
		name: "throttled", preset: emulator.FaultThrottled, status: http.StatusTooManyRequests,
		code: "Throttled", body: `{"error":"Throttled"}`, message: `oauth2: "Throttled"`,
		header: map[string]string{"Retry-After": "1", "X-Ratelimit-Remaining": "0"},
	},
	{
		name: "unavailable", preset: emulator.FaultUnavailable, status: http.StatusServiceUnavailable,
		code: "Service Unavailable", body: `{"error":"Service Unavailable"}`, message: `oauth2: "Service Unavailable"`,
		header: map[string]string{"Retry-After": ""},
	},
}

// addTokenFault fails the next n token requests with the fault's preset.
func (h *harness) addTokenFault(t *testing.T, tf tokenFault, n int) emulator.Fault {
	t.Helper()
	f, err := h.srv.Emulator.AddFault(emulator.FaultSpec{
		Match:  emulator.FaultMatch{Route: "oauthTokens.create"},
		Action: emulator.FaultAction{Preset: tf.preset},
		Times:  &n,
	})
	if err != nil {
		t.Fatalf("add fault: %v", err)
	}
	return f
}

// checkRetrieveError asserts that err is the RetrieveError x/oauth2 makes
// of the fault's answer.
func checkRetrieveError(t *testing.T, err error, tf tokenFault) {
	t.Helper()
	re := retrieveError(t, err)
	if re.Response == nil || re.Response.StatusCode != tf.status {
		t.Fatalf("RetrieveError.Response = %v, want status %d", re.Response, tf.status)
	}
	if re.ErrorCode != tf.code || re.ErrorDescription != "" || re.ErrorURI != "" {
		t.Errorf("ErrorCode %q, ErrorDescription %q, ErrorURI %q; want %q and no description or URI", re.ErrorCode, re.ErrorDescription, re.ErrorURI, tf.code)
	}
	if string(re.Body) != tf.body {
		t.Errorf("Body = %q, want %q", re.Body, tf.body)
	}
	if msg := re.Error(); msg != tf.message {
		t.Errorf("Error() = %q, want %q", msg, tf.message)
	}
	for name, want := range tf.header {
		if got := re.Response.Header.Get(name); got != want {
			t.Errorf("Response header %s = %q, want %q", name, got, want)
		}
	}
}

// checkTokenJournal asserts that the journal holds exactly the wanted
// token calls, oldest first (true: answered by fault f with status, false:
// a 200), and no other request; and that x/oauth2 sent the client secret
// with HTTP Basic exactly in the calls basic marks.
func (h *harness) checkTokenJournal(t *testing.T, f emulator.Fault, status int, faulted, basic []bool) {
	t.Helper()
	h.srv.RequireCalls(t, emulator.RequestFilter{Route: "oauthTokens.create"}, len(faulted))
	h.srv.RequireCalls(t, emulator.RequestFilter{}, len(faulted))
	got := h.srv.Requests(emulator.RequestFilter{Route: "oauthTokens.create"})
	slices.Reverse(got)
	for i, r := range got {
		wantStatus, wantFault := http.StatusOK, ""
		if faulted[i] {
			wantStatus, wantFault = status, f.ID
		}
		if r.Status != wantStatus || r.FaultID != wantFault {
			t.Errorf("token call %d of %d: status %d, fault %q; want status %d, fault %q", i+1, len(got), r.Status, r.FaultID, wantStatus, wantFault)
		}
	}
	calls := h.rec.tokenCalls()
	if len(calls) != len(basic) {
		t.Fatalf("x/oauth2 sent %d token requests, the journal has %d", len(calls), len(basic))
	}
	for i, c := range calls {
		if c.hasBasic != basic[i] {
			t.Errorf("token call %d: HTTP Basic = %v, want %v", i+1, c.hasBasic, basic[i])
		}
	}
}

// TestOAuth2TokenFaults fails the token endpoint with each of tokenFaults
// under each auth style; the comment at the top of this file says what it
// records.
func TestOAuth2TokenFaults(t *testing.T) {
	for _, tf := range tokenFaults {
		t.Run(tf.name, func(t *testing.T) {
			// One failure, with a fixed auth style: Token() fails after one
			// call; the next Token() succeeds.
			for _, style := range []struct {
				name  string
				style oauth2.AuthStyle
				basic bool
			}{
				{"in header", oauth2.AuthStyleInHeader, true},
				{"in params", oauth2.AuthStyleInParams, false},
			} {
				t.Run(style.name, func(t *testing.T) {
					h := newHarness(t)
					f := h.addTokenFault(t, tf, 1)
					ts := h.config(style.style).TokenSource(h.ctx)
					_, err := ts.Token()
					checkRetrieveError(t, err, tf)
					h.checkTokenJournal(t, f, tf.status, []bool{true}, []bool{style.basic})

					tok, err := ts.Token()
					if err != nil {
						t.Fatalf("Token after the fault is spent: %v", err)
					}
					checkToken(t, tok)
					h.checkTokenJournal(t, f, tf.status, []bool{true, false}, []bool{style.basic, style.basic})
				})
			}

			// Auto-detect sends a failed Basic request again with the
			// secret in the body: one failure is absorbed.
			t.Run("auto-detect, one failure", func(t *testing.T) {
				h := newHarness(t)
				f := h.addTokenFault(t, tf, 1)
				conf := h.config(oauth2.AuthStyleAutoDetect)
				tok, err := conf.TokenSource(h.ctx).Token()
				if err != nil {
					t.Fatalf("Token: %v, want the second (in params) try to succeed", err)
				}
				checkToken(t, tok)
				h.checkTokenJournal(t, f, tf.status, []bool{true, false}, []bool{true, false})

				// The style that worked is remembered by this Config (a new
				// Config would probe with Basic again).
				if _, err := conf.Token(h.ctx); err != nil {
					t.Fatal(err)
				}
				h.checkTokenJournal(t, f, tf.status, []bool{true, false, false}, []bool{true, false, false})
			})

			// Two failures: Token() fails with the second one's error after
			// two calls, and the next starts over with Basic.
			t.Run("auto-detect, two failures", func(t *testing.T) {
				h := newHarness(t)
				f := h.addTokenFault(t, tf, 2)
				ts := h.config(oauth2.AuthStyleAutoDetect).TokenSource(h.ctx)
				_, err := ts.Token()
				checkRetrieveError(t, err, tf)
				h.checkTokenJournal(t, f, tf.status, []bool{true, true}, []bool{true, false})

				tok, err := ts.Token()
				if err != nil {
					t.Fatalf("Token after the fault is spent: %v", err)
				}
				checkToken(t, tok)
				h.checkTokenJournal(t, f, tf.status, []bool{true, true, false}, []bool{true, false, true})
			})
		})
	}

	// Through an HTTP client, the token failure is the request's error and
	// the API is never called.
	t.Run("oauth2.NewClient", func(t *testing.T) {
		h := newHarness(t)
		tf := tokenFaults[0]
		f := h.addTokenFault(t, tf, 1)
		client := h.config(oauth2.AuthStyleInHeader).Client(h.ctx)
		resp, err := client.Get(h.srv.URL + "/v1/connect/projects")
		if err == nil {
			resp.Body.Close()
			t.Fatalf("GET /v1/connect/projects: %s, want the token error", resp.Status)
		}
		var ue *url.Error
		if !errors.As(err, &ue) {
			t.Errorf("error %T is not a *url.Error", err)
		}
		checkRetrieveError(t, err, tf)
		h.checkTokenJournal(t, f, tf.status, []bool{true}, []bool{true})
		h.srv.RequireCalls(t, emulator.RequestFilter{Route: "projects.list"}, 0)

		resp, err = client.Get(h.srv.URL + "/v1/connect/projects")
		if err != nil {
			t.Fatalf("GET /v1/connect/projects after the fault is spent: %v", err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET /v1/connect/projects after the fault is spent: %s", resp.Status)
		}
		h.srv.RequireCalls(t, emulator.RequestFilter{Route: "oauthTokens.create"}, 2)
		h.srv.RequireCalls(t, emulator.RequestFilter{Route: "projects.list"}, 1)
	})
}
