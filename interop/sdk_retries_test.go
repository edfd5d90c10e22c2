package interop_test

// TestOfficialSDKRetries records what the official @pipedream/sdk 3.1.6
// (pinned in interop/sdk/package-lock.json) does when the emulator's fault
// plans fail its requests, and asserts exactly that, call by call, from the
// request journal:
//
//   - It retries a 408, 429 or 5xx at most twice (three calls in all),
//     waiting Retry-After when the answer has one (the throttled preset's
//     Retry-After: 1 means one second), else until X-RateLimit-Reset, else
//     1 s × 2^n with ±10% jitter (core/fetcher/requestWithRetries.mjs).
//   - One 429 {"error":"Throttled"} on projects.list, then success: two
//     projects.list calls, the first the fault's 429.
//   - Two 503s, then success: three calls. Three 503s: three calls, then it
//     throws PipedreamError (not a subclass) with statusCode 503 and the
//     body {"error":"Service Unavailable"}.
//   - The token request is retried the same way: one empty-bodied 429 from
//     the token endpoint (token_throttled) costs a second token call and
//     projects.list still succeeds; three of them make projects.list throw
//     TooManyRequestsError (statusCode 429, body undefined) after three
//     token calls, without ever calling projects.list.
//   - maxRetries given to the PipedreamClient constructor is dropped by
//     3.1.6's wrapper (retries stay on); given per request, { maxRetries: 0 }
//     turns them off for that call (one 429, TooManyRequestsError) but not
//     for the token request the call makes first (one 429 there is still
//     retried).
//
// There is no option for the base delay, so the 503 cases wait about
// 1 s + 2 s; the cases run in parallel, each on its own server.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/pdemu/pdemu/emulator"
	"github.com/pdemu/pdemu/testutil"
)

// sdkRetryResult is the line sdk-retries.mjs prints.
type sdkRetryResult struct {
	Scenario string   `json:"scenario"`
	OK       bool     `json:"ok"`
	Projects []string `json:"projects"`
	Error    *struct {
		Class          string          `json:"class"`
		Name           string          `json:"name"`
		PipedreamError bool            `json:"pipedreamError"`
		StatusCode     int             `json:"statusCode"`
		BodyType       string          `json:"bodyType"`
		Body           json.RawMessage `json:"body"`
		Message        string          `json:"message"`
	} `json:"error"`
}

// runSDKRetries runs sdk-retries.mjs for one scenario and returns its
// result line; it fails the test if the script does not print one.
func runSDKRetries(t *testing.T, node, scenario string, env []string) sdkRetryResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "sdk-retries.mjs", scenario)
	cmd.Dir = "sdk"
	cmd.Env = append(os.Environ(), env...)
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("sdk-retries.mjs %s did not finish within a minute:\n%s%s", scenario, stdout.Bytes(), stderr.Bytes())
	case errors.As(err, &ee):
		t.Fatalf("sdk-retries.mjs %s exited with status %d:\n%s%s", scenario, ee.ExitCode(), stdout.Bytes(), stderr.Bytes())
	case err != nil:
		t.Fatalf("run sdk-retries.mjs %s: %v", scenario, err)
	}
	line := bytes.TrimSpace(stdout.Bytes())
	if i := bytes.LastIndexByte(line, '\n'); i >= 0 {
		line = line[i+1:]
	}
	var res sdkRetryResult
	if err := json.Unmarshal(line, &res); err != nil {
		t.Fatalf("sdk-retries.mjs %s printed no result line (%v):\n%s%s", scenario, err, stdout.Bytes(), stderr.Bytes())
	}
	t.Logf("sdk-retries.mjs %s: %s", scenario, line)
	return res
}

// wantCall is one request the journal must show: its status, and whether
// the case's fault answered it.
type wantCall struct {
	status  int
	faulted bool
}

func calls(status int, faulted bool, n int) []wantCall {
	return slices.Repeat([]wantCall{{status, faulted}}, n)
}

// sdkError is the error sdk-retries.mjs must report.
type sdkError struct {
	class      string // constructor name
	statusCode int
	body       string // JSON; "" when the error's body is undefined
	message    string
}

// TestOfficialSDKRetries runs sdk-retries.mjs against one fault plan per
// case, each case on its own server; the comment at the top of this file
// says what it records.
func TestOfficialSDKRetries(t *testing.T) {
	node := requireSDK(t)
	// As in TestOfficialSDK: reading the script makes an edit rerun the test.
	for _, f := range []string{"sdk-retries.mjs", "package.json", "package-lock.json"} {
		if _, err := os.ReadFile(filepath.Join("sdk", f)); err != nil {
			t.Fatalf("read interop/sdk/%s: %v", f, err)
		}
	}

	times := func(n int) *int { return &n }
	// onList fails projects.list n times with a preset; the throttled
	// preset's Retry-After is 1 s (its default, set here to be explicit).
	onList := func(preset string, n int) emulator.FaultSpec {
		spec := emulator.FaultSpec{
			Match:  emulator.FaultMatch{Route: "projects.list"},
			Action: emulator.FaultAction{Preset: preset},
			Times:  times(n),
		}
		if preset == emulator.FaultThrottled {
			spec.Action.RetryAfterSeconds = 1
		}
		return spec
	}
	onToken := func(n int) emulator.FaultSpec {
		return emulator.FaultSpec{
			Match:  emulator.FaultMatch{Route: "oauthTokens.create"},
			Action: emulator.FaultAction{Preset: emulator.FaultTokenThrottled},
			Times:  times(n),
		}
	}
	const (
		throttledBody   = `{"error":"Throttled"}`
		unavailableBody = `{"error":"Service Unavailable"}`
	)

	cases := []struct {
		name     string
		scenario string
		fault    emulator.FaultSpec
		wantErr  *sdkError // nil: the call succeeds
		token    []wantCall
		list     []wantCall
	}{
		{
			name: "one 429 on projects.list then success", scenario: "list",
			fault: onList(emulator.FaultThrottled, 1),
			token: calls(200, false, 1),
			list:  append(calls(429, true, 1), wantCall{200, false}),
		},
		{
			name: "two 503s on projects.list then success", scenario: "list",
			fault: onList(emulator.FaultUnavailable, 2),
			token: calls(200, false, 1),
			list:  append(calls(503, true, 2), wantCall{200, false}),
		},
		{
			name: "three 503s on projects.list: gives up", scenario: "list",
			fault: onList(emulator.FaultUnavailable, 3),
			wantErr: &sdkError{class: "PipedreamError", statusCode: 503, body: unavailableBody,
				message: "Status code: 503\nBody: {\n  \"error\": \"Service Unavailable\"\n}"},
			token: calls(200, false, 1),
			list:  calls(503, true, 3),
		},
		{
			name: "one empty 429 from the token endpoint then success", scenario: "list",
			fault: onToken(1),
			token: append(calls(429, true, 1), wantCall{200, false}),
			list:  calls(200, false, 1),
		},
		{
			name: "three empty 429s from the token endpoint: gives up", scenario: "list",
			fault:   onToken(3),
			wantErr: &sdkError{class: "TooManyRequestsError", statusCode: 429, message: "TooManyRequestsError\nStatus code: 429"},
			token:   calls(429, true, 3),
		},
		{
			name: "client maxRetries 0 is ignored", scenario: "list-client-max-retries-0",
			fault: onList(emulator.FaultThrottled, 1),
			token: calls(200, false, 1),
			list:  append(calls(429, true, 1), wantCall{200, false}),
		},
		{
			name: "request maxRetries 0 turns retries off", scenario: "list-request-max-retries-0",
			fault: onList(emulator.FaultThrottled, 1),
			wantErr: &sdkError{class: "TooManyRequestsError", statusCode: 429, body: throttledBody,
				message: "TooManyRequestsError\nStatus code: 429\nBody: {\n  \"error\": \"Throttled\"\n}"},
			token: calls(200, false, 1),
			list:  calls(429, true, 1),
		},
		{
			name: "request maxRetries 0 does not reach the token request", scenario: "list-request-max-retries-0",
			fault: onToken(1),
			token: append(calls(429, true, 1), wantCall{200, false}),
			list:  calls(200, false, 1),
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := testutil.NewServer(t)
			fault, err := srv.Emulator.AddFault(tc.fault)
			if err != nil {
				t.Fatalf("add fault: %v", err)
			}

			res := runSDKRetries(t, node, tc.scenario, srv.Env())
			checkSDKOutcome(t, res, tc.wantErr, srv.Credentials.ProjectID)

			// The journal holds exactly these calls, and nothing else.
			checkJournal(t, srv, "oauthTokens.create", tc.token, fault.ID)
			checkJournal(t, srv, "projects.list", tc.list, fault.ID)
			srv.RequireCalls(t, emulator.RequestFilter{}, len(tc.token)+len(tc.list))

			faulted := 0
			for _, c := range slices.Concat(tc.token, tc.list) {
				if c.faulted {
					faulted++
				}
			}
			if got, err := srv.Emulator.Fault(fault.ID); err != nil {
				t.Errorf("fault %s: %v", fault.ID, err)
			} else if got.Hits != faulted {
				t.Errorf("fault %s fired %d times, want %d", fault.ID, got.Hits, faulted)
			}
		})
	}
}

// checkSDKOutcome compares the script's result with the case's: success
// listing the seeded project, or exactly the error wantErr describes.
func checkSDKOutcome(t *testing.T, res sdkRetryResult, wantErr *sdkError, projectID string) {
	t.Helper()
	if wantErr == nil {
		if !res.OK {
			t.Fatalf("SDK call failed, want success: %+v", *res.Error)
		}
		if !slices.Contains(res.Projects, projectID) {
			t.Errorf("projects.list returned %v, want the seeded project %s among them", res.Projects, projectID)
		}
		return
	}
	if res.OK || res.Error == nil {
		t.Fatalf("SDK call succeeded (%v), want %s", res.Projects, wantErr.class)
	}
	e := res.Error
	if e.Class != wantErr.class || e.Name != wantErr.class {
		t.Errorf("error class %q (name %q), want %q", e.Class, e.Name, wantErr.class)
	}
	if !e.PipedreamError {
		t.Errorf("error is not a PipedreamError")
	}
	if e.StatusCode != wantErr.statusCode {
		t.Errorf("error statusCode %d, want %d", e.StatusCode, wantErr.statusCode)
	}
	if wantErr.body == "" {
		if e.BodyType != "undefined" {
			t.Errorf("error body is a %s (%s), want undefined", e.BodyType, e.Body)
		}
	} else {
		var buf bytes.Buffer
		if json.Compact(&buf, e.Body) != nil || buf.String() != wantErr.body {
			t.Errorf("error body %s, want %s", e.Body, wantErr.body)
		}
	}
	if e.Message != wantErr.message {
		t.Errorf("error message %q, want %q", e.Message, wantErr.message)
	}
}

// checkJournal asserts that the journal holds exactly the wanted calls to a
// route, in order, each faulted one answered by the fault faultID.
func checkJournal(t *testing.T, srv *testutil.Server, route string, want []wantCall, faultID string) {
	t.Helper()
	srv.RequireCalls(t, emulator.RequestFilter{Route: route}, len(want))
	got := srv.Requests(emulator.RequestFilter{Route: route})
	slices.Reverse(got) // oldest first
	for i, w := range want {
		r := got[i]
		wantFault := ""
		if w.faulted {
			wantFault = faultID
		}
		if r.Status != w.status || r.FaultID != wantFault {
			t.Errorf("%s call %d of %d: status %d, fault %q; want status %d, fault %q", route, i+1, len(want), r.Status, r.FaultID, w.status, wantFault)
		}
		if w.faulted && w.status == 429 && route == "projects.list" {
			if ra := r.Response.Header.Get("Retry-After"); ra != "1" {
				t.Errorf("%s call %d: the throttled 429 has Retry-After %q, want 1", route, i+1, ra)
			}
		}
		if w.faulted && route == "oauthTokens.create" {
			if len(r.Response.Body) != 0 || r.Response.Header.Get("Retry-After") != "" {
				t.Errorf("%s call %d: token_throttled answered with body %q, Retry-After %q; want neither", route, i+1, r.Response.Body, r.Response.Header.Get("Retry-After"))
			}
		}
	}
}
