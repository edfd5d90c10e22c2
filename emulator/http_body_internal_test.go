package emulator

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReadAll(t *testing.T) {
	broken := errors.New("connection reset")
	tests := []struct {
		name        string
		rd          io.Reader
		size, limit int64
		want        string
		wantErr     error // nil, broken, or any *http.MaxBytesError
	}{
		{name: "empty", rd: strings.NewReader(""), size: 0, limit: 10, want: ""},
		{name: "size exact", rd: strings.NewReader("hello"), size: 5, limit: 10, want: "hello"},
		{name: "size short: grows", rd: strings.NewReader("hello world"), size: 2, limit: 20, want: "hello world"},
		{name: "size long", rd: strings.NewReader("hi"), size: 9, limit: 10, want: "hi"},
		{name: "one byte at a time", rd: iotest.OneByteReader(strings.NewReader("hello")), size: 0, limit: 10, want: "hello"},
		{name: "data and EOF in one read", rd: iotest.DataErrReader(strings.NewReader("hello")), size: 5, limit: 10, want: "hello"},
		{name: "exactly the limit", rd: strings.NewReader("0123456789"), size: 10, limit: 10, want: "0123456789"},
		{name: "one byte over the limit", rd: strings.NewReader("0123456789A"), size: 11, limit: 10, want: "0123456789", wantErr: &http.MaxBytesError{}},
		{name: "over the limit, size short", rd: strings.NewReader(strings.Repeat("x", 100)), size: 1, limit: 10, want: "xxxxxxxxxx", wantErr: &http.MaxBytesError{}},
		{name: "read error after data", rd: io.MultiReader(strings.NewReader("par"), iotest.ErrReader(broken)), size: 8, limit: 10, want: "par", wantErr: broken},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := readAll(tc.rd, tc.size, tc.limit)
			assert.Equal(t, tc.want, string(got))
			switch want := tc.wantErr.(type) {
			case nil:
				assert.NoError(t, err)
			case *http.MaxBytesError:
				require.ErrorAs(t, err, &want)
				assert.Equal(t, tc.limit, want.Limit)
			default:
				assert.ErrorIs(t, err, want)
			}
		})
	}
}

func TestReadAllKnownSizeIsOneAllocation(t *testing.T) {
	body := []byte(strings.Repeat("x", 300))
	rd := bytes.NewReader(body)
	allocs := testing.AllocsPerRun(100, func() {
		rd.Reset(body)
		if _, err := readAll(rd, int64(len(body)), 1<<10); err != nil {
			t.Fatal(err)
		}
	})
	assert.Equal(t, 1.0, allocs)
}

func TestBufferedBody(t *testing.T) {
	tooLarge := &http.MaxBytesError{Limit: 4}
	b := &bufferedBody{data: []byte("abcd"), err: tooLarge}
	p := make([]byte, 3)
	n, err := b.Read(p)
	require.NoError(t, err)
	assert.Equal(t, "abc", string(p[:n]))
	rest, err := bodyBytes(&http.Request{Body: b})
	assert.Equal(t, "d", string(rest), "bodyBytes returns what is left")
	assert.Same(t, tooLarge, err, "then the error that ended the read")
	n, err = b.Read(p)
	assert.Zero(t, n)
	assert.Same(t, tooLarge, err, "again on every later read")

	got, err := io.ReadAll(&bufferedBody{data: []byte("all")})
	require.NoError(t, err)
	assert.Equal(t, "all", string(got))

	for _, body := range []io.ReadCloser{nil, http.NoBody} {
		got, err := bodyBytes(&http.Request{Body: body})
		assert.NoError(t, err)
		assert.Empty(t, got)
	}
}

// TestBodyLimitWithoutContentLength: a chunked body (no Content-Length)
// is bounded like one that declares its length.
func TestBodyLimitWithoutContentLength(t *testing.T) {
	e := MustNew(WithMaxBodyBytes(16))
	send := func(body string) *httptest.ResponseRecorder {
		// A reader of unknown length: httptest sets ContentLength -1.
		r := httptest.NewRequest(http.MethodPost, "/v1/oauth/token", io.MultiReader(strings.NewReader(body)))
		r.Header.Set("Content-Type", "application/json")
		require.EqualValues(t, -1, r.ContentLength)
		w := httptest.NewRecorder()
		e.ServeHTTP(w, r)
		return w
	}
	w := send(`{"scope":"abcd"}`)
	assert.Equal(t, http.StatusBadRequest, w.Code, "16 bytes are read, and lack grant_type: %s", w.Body)
	assert.Contains(t, w.Body.String(), "grant_type")
	w = send(`{"scope":"abcde"}`)
	assert.Equal(t, http.StatusRequestEntityTooLarge, w.Code, w.Body.String())
	assert.Contains(t, w.Body.String(), "larger than 16 bytes")
}
