//go:build unix

package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// TestMeasureStateFileCost measures what --state-file costs a write (an
// append and an fsync before the answer) and, for contrast, a token
// issuance, which writes nothing. It judges nothing, and runs only when
// PDEMU_MEASURE_STATEFILE is set:
//
//	PDEMU_MEASURE_STATEFILE=1 go test -run TestMeasureStateFileCost -v ./cmd/pdemu/
func TestMeasureStateFileCost(t *testing.T) {
	if os.Getenv("PDEMU_MEASURE_STATEFILE") == "" {
		t.Skip("set PDEMU_MEASURE_STATEFILE=1 to measure")
	}
	bin := pdemuBinary(t)
	const (
		n      = 500
		rounds = 2
	)
	for round := range rounds {
		for _, mode := range []struct {
			name string
			args []string
		}{
			{"without --state-file", nil},
			{"with --state-file", []string{"--state-file", filepath.Join(t.TempDir(), "pdemu.state")}},
		} {
			p := startProc(t, bin, append([]string{"serve", "--addr", anyPort, "--freeze-clock"}, mode.args...)...)
			client := httpClient(t)
			tokenBody, _ := json.Marshal(map[string]string{"grant_type": "client_credentials",
				"client_id": p.env["PIPEDREAM_CLIENT_ID"], "client_secret": p.env["PIPEDREAM_CLIENT_SECRET"]})
			requests := []struct {
				label, path, body string
				want              int
			}{
				{"POST /_emulator/oauth-clients", "/_emulator/oauth-clients", `{"name":"measured"}`, http.StatusCreated},
				{"POST /v1/oauth/token", "/v1/oauth/token", string(tokenBody), http.StatusOK},
			}
			for _, r := range requests {
				for range 20 { // warm up: connections, caches
					send(client, http.MethodPost, p.base()+r.path, "", r.body)
				}
				lat := make([]time.Duration, n)
				began := time.Now()
				for i := range n {
					t0 := time.Now()
					status, raw, err := send(client, http.MethodPost, p.base()+r.path, "", r.body)
					lat[i] = time.Since(t0)
					if err != nil || status != r.want {
						t.Fatalf("%s: %d %s %v", r.label, status, raw, err)
					}
				}
				total := time.Since(began)
				slices.Sort(lat)
				t.Logf("round %d, %-21s %-30s %d sequential: %6.0f req/s, mean %.3f ms, p50 %.3f ms, p99 %.3f ms",
					round+1, mode.name, r.label, n, float64(n)/total.Seconds(), ms(total/n), ms(lat[n/2]), ms(lat[n*99/100]))
			}
			if status := p.stop(t); status != 0 {
				t.Fatalf("SIGTERM: exit status %d", status)
			}
		}
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
