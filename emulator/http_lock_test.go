package emulator_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdemu/pdemu/emulator"
)

// hangGuard bounds what must happen at once. Only a hang reaches it: the
// tests below wait on events, never on time.
const hangGuard = 10 * time.Second

// waitFor waits until ch is closed, failing the test after hangGuard.
func waitFor(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(hangGuard):
		t.Fatalf("timed out after %v waiting for %s", hangGuard, what)
	}
}

// awaitReset waits for a Reset started in another goroutine.
func awaitReset(t *testing.T, done <-chan error) {
	t.Helper()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(hangGuard):
		t.Fatalf("Reset did not complete within %v", hangGuard)
	}
}

// checkHealth requires GET /_emulator/health to answer, within hangGuard.
func checkHealth(t *testing.T, baseURL string) {
	t.Helper()
	client := &http.Client{Timeout: hangGuard}
	resp, err := client.Get(baseURL + "/_emulator/health")
	require.NoError(t, err, "health must answer at once")
	defer resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}

// readSignal is a request body that closes reading on its first Read: the
// moment the server starts to wait for the client's bytes.
type readSignal struct {
	io.ReadCloser
	once    sync.Once
	reading chan struct{}
}

func (b *readSignal) Read(p []byte) (int, error) {
	b.once.Do(func() { close(b.reading) })
	return b.ReadCloser.Read(p)
}

// TestStalledBodyBlocksNoOne: a client that sends half its body and stops
// must not hold up a Reset, nor the requests that arrive while the Reset
// waits (Go's RWMutex queues new readers behind a waiting writer). Once the
// rest arrives, the request is served as if it had come at once.
func TestStalledBodyBlocksNoOne(t *testing.T) {
	emu := emulator.MustNew()
	creds := emu.Credentials()
	reading := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/oauth/token" {
			r.Body = &readSignal{ReadCloser: r.Body, reading: reading}
		}
		emu.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)

	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	require.NoError(t, err)
	// Cleanups run last first: closing the connection ends a stalled
	// handler (on failure), so srv.Close does not wait for it forever.
	t.Cleanup(func() { _ = conn.Close() })
	body := fmt.Sprintf(`{"grant_type":"client_credentials","client_id":%q,"client_secret":%q}`, creds.ClientID, creds.ClientSecret)
	half := len(body) / 2
	_, err = fmt.Fprintf(conn, "POST /v1/oauth/token HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
		srv.Listener.Addr(), len(body), body[:half])
	require.NoError(t, err)
	waitFor(t, reading, "the server to start reading the body")

	resetDone := make(chan error, 1)
	go func() { resetDone <- emu.Reset() }()
	checkHealth(t, srv.URL)
	awaitReset(t, resetDone)

	_, err = io.WriteString(conn, body[half:])
	require.NoError(t, err)
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(hangGuard)))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, "the seeded client survives the reset")
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&tok))
	assert.NotEmpty(t, tok.AccessToken, "the body that arrived late was read in full")
}

// stalledWriter is a ResponseWriter whose Write blocks until released, as a
// write to a client that has stopped reading does once the socket buffers
// are full. writing is closed when the first Write begins.
type stalledWriter struct {
	*httptest.ResponseRecorder
	once             sync.Once
	writing, release chan struct{}
}

func (w *stalledWriter) Write(p []byte) (int, error) {
	w.once.Do(func() { close(w.writing) })
	<-w.release
	return w.ResponseRecorder.Write(p)
}

// TestStalledResponseBlocksNoOne: a client slow to read its answer does
// not hold up a Reset, nor the requests behind it.
func TestStalledResponseBlocksNoOne(t *testing.T) {
	emu := emulator.MustNew()
	w := &stalledWriter{ResponseRecorder: httptest.NewRecorder(), writing: make(chan struct{}), release: make(chan struct{})}
	served := make(chan struct{})
	go func() {
		defer close(served)
		emu.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/.well-known/jwks.json", nil))
	}()
	t.Cleanup(func() { // on failure too: the stalled request must end
		select {
		case <-w.release:
		default:
			close(w.release)
		}
		<-served
	})
	waitFor(t, w.writing, "the answer to start being written")

	resetDone := make(chan error, 1)
	go func() { resetDone <- emu.Reset() }()
	other := make(chan int, 1)
	go func() {
		rec := httptest.NewRecorder()
		emu.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/.well-known/jwks.json", nil))
		other <- rec.Code
	}()
	select {
	case code := <-other:
		assert.Equal(t, http.StatusOK, code)
	case <-time.After(hangGuard):
		t.Fatal("a request waits for another client that is slow to read")
	}
	awaitReset(t, resetDone)

	close(w.release)
	<-served
	assert.Equal(t, http.StatusOK, w.Code)
	assert.Contains(t, w.Body.String(), `"keys"`)
}
