// Package bench measures pdemu against a bare net/http baseline, in the
// same process and the same run, so that every figure it reports is a ratio
// that survives a noisy machine: token issuance against a bare handler that
// decodes a token-shaped JSON body, and a bearer-checked GET against a bare
// handler that reads the Authorization header. See README.md for how to run
// the Go benchmarks and the load harness (cmd/pdemu-load) and how to read
// the ratios.
package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// BareTokenRequest is what the bare handler decodes from a POST body: the
// fields of a client credentials token request as the SDKs send them.
type BareTokenRequest struct {
	GrantType    string `json:"grant_type"`
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
	Scope        string `json:"scope"`
}

// BareMaxBodyBytes bounds the body the bare handler reads, as the emulator
// bounds its own.
const BareMaxBodyBytes = 64 << 10

// The fixed bodies the bare handler answers. They have the shape and
// roughly the size of the emulator's answers (a token response carries a
// ~480-byte JWT; a one-project list is ~190 bytes, a page of ten users
// ~1,300), so the ratio measures
// the work behind the answer, not the bytes on the wire.
var (
	bareTokenBody = []byte(`{"access_token":"` + strings.Repeat("x", 480) +
		`","token_type":"Bearer","expires_in":3600,"created_at":1893456000}` + "\n")
	bareProjectsBody = []byte(`{"data":[{"id":"proj_bare000","name":"pdemu project","connect_require_key_auth_test":false}],` +
		`"page_info":{"count":1,"total_count":1,"start_cursor":"ODAwMDAwMDAwMDAwMDAwMQ","end_cursor":null}}` + "\n")
	bareUsersBody        = bareUsersPage(10)
	bareBadRequestBody   = []byte(`{"error":"invalid_request","error_description":"bad body"}` + "\n")
	bareUnauthorizedBody = []byte(`{"error":"invalid_token"}` + "\n")
	bareMethodBody       = []byte(`{"error":"method_not_allowed"}` + "\n")
)

// BareHandler is the baseline every ratio is measured against: the least
// work any server answering the same requests must do, and nothing more.
//
// A POST (any path) has its body read, bounded by BareMaxBodyBytes, and
// JSON-decoded into a BareTokenRequest; a body that does not decode or lacks
// grant_type or client_id gets 400, and a good one gets a fixed 200
// token-shaped JSON body. A GET (any path) needs an `Authorization: Bearer`
// header (401 without one) and gets a fixed 200 body: a page of ten users
// for a path that ends in /users (the users scenario asks for limit=10),
// else a project list. No
// signature is made or checked, nothing is stored, no clock is read.
//
// The zero value is ready to use and safe for concurrent use.
type BareHandler struct{}

var _ http.Handler = BareHandler{}

// ServeHTTP implements http.Handler.
func (BareHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodPost:
		raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, BareMaxBodyBytes))
		var req BareTokenRequest
		if err == nil {
			err = json.Unmarshal(raw, &req)
		}
		if err != nil || req.GrantType == "" || req.ClientID == "" {
			writeFixed(w, http.StatusBadRequest, bareBadRequestBody)
			return
		}
		writeFixed(w, http.StatusOK, bareTokenBody)
	case http.MethodGet:
		if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
			writeFixed(w, http.StatusUnauthorized, bareUnauthorizedBody)
			return
		}
		if strings.HasSuffix(r.URL.Path, "/users") {
			writeFixed(w, http.StatusOK, bareUsersBody)
			return
		}
		writeFixed(w, http.StatusOK, bareProjectsBody)
	default:
		writeFixed(w, http.StatusMethodNotAllowed, bareMethodBody)
	}
}

func writeFixed(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// bareUsersPage is a users page of n users, as pdemu answers one (10 users:
// 1,292 bytes).
func bareUsersPage(n int) []byte {
	var b strings.Builder
	b.WriteString(`{"data":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":"exu_bare%03d","external_id":"user-%d","created_at":"2030-01-01T00:00:00Z","updated_at":"2030-01-01T00:00:00Z"}`, i, i+1)
	}
	fmt.Fprintf(&b, `],"page_info":{"count":%d,"total_count":100,"start_cursor":"ODAwMDAwMDAwMDAwMDAwMQ","end_cursor":"ODAwMDAwMDAwMDAwMDAxMA"}}`+"\n", n)
	return []byte(b.String())
}
