package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// These tests check the harness, never a speed: a machine may be as slow
// as it likes, but every request must succeed and every figure be computed.

func TestRunLoadSmoke(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rep, err := RunLoad(ctx, LoadConfig{Connections: 2, Duration: 80 * time.Millisecond,
		Warmup: 10 * time.Millisecond, Rounds: 2, DistinctTokens: 5})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{ScenarioBarePost, ScenarioToken, ScenarioBareGet, ScenarioBearerGet, ScenarioBearerGetRotated}
	if len(rep.Scenarios) != len(want) {
		t.Fatalf("got %d scenarios, want %d", len(rep.Scenarios), len(want))
	}
	for i, s := range rep.Scenarios {
		if s.Name != want[i] {
			t.Errorf("scenario %d is %q, want %q", i, s.Name, want[i])
		}
		if s.Errors != 0 || s.FirstError != "" {
			t.Errorf("%s: %d errors, first: %s", s.Name, s.Errors, s.FirstError)
		}
		if s.Requests == 0 || len(s.RoundReqPerSec) != 2 || s.ReqPerSec <= 0 {
			t.Errorf("%s: requests %d, req/s %v (rounds %v)", s.Name, s.Requests, s.ReqPerSec, s.RoundReqPerSec)
		}
		if s.P50NS <= 0 || s.P99NS < s.P50NS {
			t.Errorf("%s: p50 %s, p99 %s", s.Name, s.P50NS, s.P99NS)
		}
	}
	if rep.Failed() {
		t.Error("report says it failed")
	}
	if len(rep.Ratios) != 3 {
		t.Fatalf("got %d ratios, want 3", len(rep.Ratios))
	}
	for _, r := range rep.Ratios {
		if !r.Valid || r.Value <= 0 || len(r.Rounds) != 2 || r.Goal <= 0 {
			t.Errorf("ratio %s/%s: %+v", r.Target, r.Baseline, r)
		}
	}
	var buf bytes.Buffer
	if err := rep.WriteTable(&buf); err != nil {
		t.Fatal(err)
	}
	for _, s := range append(want, "GOMAXPROCS=", "NumCPU=") {
		if !strings.Contains(buf.String(), s) {
			t.Errorf("table lacks %q:\n%s", s, buf.String())
		}
	}
	if _, err := json.Marshal(rep); err != nil {
		t.Fatal(err)
	}
}

func TestLoadConfigBounds(t *testing.T) {
	for _, cfg := range []LoadConfig{
		{Duration: MaxDuration + time.Second},
		{Duration: -time.Second},
		{Connections: -1},
		{Connections: MaxConnections + 1},
		{Rounds: -1},
	} {
		if _, err := RunLoad(context.Background(), cfg); err == nil {
			t.Errorf("RunLoad(%+v) = nil error, want one", cfg)
		}
	}
}

func TestTransportDialsLoopbackOnly(t *testing.T) {
	c := &http.Client{Transport: newTransport(1), Timeout: 5 * time.Second}
	// 192.0.2.1 is TEST-NET-1: the dial must be refused before any packet.
	_, err := c.Get("http://192.0.2.1:9/")
	if err == nil || !strings.Contains(err.Error(), errNotLoopback.Error()) {
		t.Fatalf("got %v, want a refusal to dial", err)
	}
}

func TestBareHandler(t *testing.T) {
	var h BareHandler
	for _, tc := range []struct {
		method, body, auth string
		want               int
	}{
		{http.MethodPost, `{"grant_type":"client_credentials","client_id":"a","client_secret":"b"}`, "", http.StatusOK},
		{http.MethodPost, `{"grant_type":`, "", http.StatusBadRequest},
		{http.MethodPost, `{}`, "", http.StatusBadRequest},
		{http.MethodGet, "", "Bearer x", http.StatusOK},
		{http.MethodGet, "", "", http.StatusUnauthorized},
		{http.MethodDelete, "", "", http.StatusMethodNotAllowed},
	} {
		r := httptest.NewRequest(tc.method, "/x", strings.NewReader(tc.body))
		if tc.auth != "" {
			r.Header.Set("Authorization", tc.auth)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != tc.want || !json.Valid(w.Body.Bytes()) {
			t.Errorf("%s %q: status %d, body %q; want %d and JSON", tc.method, tc.body, w.Code, w.Body.Bytes(), tc.want)
		}
	}
}

func TestRunMemorySmoke(t *testing.T) {
	rep, err := RunMemory(context.Background(), MemoryConfig{Tokens: 200, Workers: 2, VerifyEvery: 10})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Tokens != 200 || rep.Verified != 20 || rep.Errors != 0 {
		t.Fatalf("tokens %d, verified %d, errors %d (%s)", rep.Tokens, rep.Verified, rep.Errors, rep.FirstError)
	}
	if rep.After.HeapInuseBytes == 0 {
		t.Error("no heap figure")
	}
	var buf bytes.Buffer
	if err := rep.WriteTable(&buf); err != nil {
		t.Fatal(err)
	}
}

func TestRunPruneSmoke(t *testing.T) {
	rep, err := RunPrune(context.Background(), 300)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Tokens != 300 || rep.Errors != 0 || rep.HeldLive != 300 || rep.HeldAfter != 0 {
		t.Fatalf("tokens %d, errors %d, held live %d, held after %d", rep.Tokens, rep.Errors, rep.HeldLive, rep.HeldAfter)
	}
	var buf bytes.Buffer
	if err := rep.WriteTable(&buf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "two hours later") {
		t.Errorf("table: %s", buf.String())
	}
}

func TestRunNewSmoke(t *testing.T) {
	rep, err := RunNew(10)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Iterations != 10 || rep.MeanNS <= 0 || rep.P99NS < rep.P50NS || rep.MaxNS < rep.P99NS {
		t.Fatalf("%+v", rep)
	}
	var buf bytes.Buffer
	if err := rep.WriteTable(&buf); err != nil {
		t.Fatal(err)
	}
}

func TestPercentileAndMedian(t *testing.T) {
	d := []time.Duration{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	if got := percentile(d, 0.5); got != 5 {
		t.Errorf("p50 = %d, want 5", got)
	}
	if got := percentile(d, 0.99); got != 10 {
		t.Errorf("p99 = %d, want 10", got)
	}
	if got := percentile(nil, 0.5); got != 0 {
		t.Errorf("p50 of nothing = %d", got)
	}
	if got := median([]float64{3, 1, 2, 10}); got != 2.5 {
		t.Errorf("median = %v, want 2.5", got)
	}
}

// TestBareBodiesMatchTheEmulatorsSize: the bare handler answers what pdemu
// answers, in shape and within a tenth in size, so that a ratio measures
// the work behind an answer, not its bytes on the wire.
func TestBareBodiesMatchTheEmulatorsSize(t *testing.T) {
	emu, creds := newBenchEmulator(t)
	for i := range 12 {
		if err := emu.AddExternalUser(creds.ProjectID, "development", fmt.Sprintf("user-%d", i+1)); err != nil {
			t.Fatal(err)
		}
	}
	tok := issue(t, emu, creds)
	get := func(h http.Handler, path string) []byte {
		r := httptest.NewRequest(http.MethodGet, path, nil)
		r.Header.Set("Authorization", "Bearer "+tok)
		r.Header.Set("X-PD-Environment", "development")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, w.Code, w.Body.Bytes())
		}
		return w.Body.Bytes()
	}
	for _, path := range []string{"/v1/connect/projects", "/v1/connect/" + creds.ProjectID + "/users?limit=10"} {
		pdemu, bare := get(emu, path), get(BareHandler{}, path)
		var p, b struct {
			Data     []map[string]any `json:"data"`
			PageInfo map[string]any   `json:"page_info"`
		}
		if err := json.Unmarshal(pdemu, &p); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(bare, &b); err != nil {
			t.Fatal(err)
		}
		if len(p.Data) != len(b.Data) || len(p.Data[0]) != len(b.Data[0]) || len(p.PageInfo) != len(b.PageInfo) {
			t.Errorf("GET %s: the bare answer's shape differs:\npdemu %s\nbare  %s", path, pdemu, bare)
		}
		if d := float64(len(bare)-len(pdemu)) / float64(len(pdemu)); d > 0.1 || d < -0.1 {
			t.Errorf("GET %s: the bare answer is %d bytes, pdemu's %d", path, len(bare), len(pdemu))
		}
	}
}
