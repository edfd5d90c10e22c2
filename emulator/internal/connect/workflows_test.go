package connect

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdemu/pdemu/emulator/apperr"
)

func TestValidateEndpointID(t *testing.T) {
	for _, id := range []string{"en123abc", "eo-x", "en" + strings.Repeat("a", maxEndpointIDLen-2)} {
		assert.NoError(t, ValidateEndpointID(id), id)
	}
	for _, id := range []string{"", "en", "ex123", "EN123", "en_1", "en.1", "p_123", "en" + strings.Repeat("a", maxEndpointIDLen-1)} {
		assert.ErrorIs(t, ValidateEndpointID(id), apperr.ErrInvalid, id)
	}
}

func TestRegisterWorkflowValidation(t *testing.T) {
	tests := []struct {
		name    string
		spec    WorkflowSpec
		wantErr string
	}{
		{name: "minimal", spec: WorkflowSpec{EndpointID: "en1"}},
		{name: "full", spec: WorkflowSpec{EndpointID: "en1", Status: 599, Headers: map[string]string{"X-A": "1"}, Body: json.RawMessage(`{"a":1}`), Auth: WorkflowAuthStaticBearer, Token: "s3cret"}},
		{name: "lowest status", spec: WorkflowSpec{EndpointID: "en1", Status: 200}},
		{name: "status too low", spec: WorkflowSpec{EndpointID: "en1", Status: 199}, wantErr: "status"},
		{name: "status too high", spec: WorkflowSpec{EndpointID: "en1", Status: 600}, wantErr: "status"},
		{name: "bad id", spec: WorkflowSpec{EndpointID: "p_1"}, wantErr: "endpoint id"},
		{name: "bad json", spec: WorkflowSpec{EndpointID: "en1", Body: json.RawMessage(`{`)}, wantErr: "JSON"},
		{name: "hop header", spec: WorkflowSpec{EndpointID: "en1", Headers: map[string]string{"Transfer-Encoding": "chunked"}}, wantErr: "cannot be set"},
		{name: "bad header name", spec: WorkflowSpec{EndpointID: "en1", Headers: map[string]string{"X A": "1"}}, wantErr: "cannot be set"},
		{name: "header injection", spec: WorkflowSpec{EndpointID: "en1", Headers: map[string]string{"X-A": "1\r\nX-B: 2"}}, wantErr: "line break"},
		{name: "duplicate header", spec: WorkflowSpec{EndpointID: "en1", Headers: map[string]string{"X-A": "1", "x-a": "2"}}, wantErr: "twice"},
		{name: "static bearer without token", spec: WorkflowSpec{EndpointID: "en1", Auth: WorkflowAuthStaticBearer}, wantErr: "needs a token"},
		{name: "token without static bearer", spec: WorkflowSpec{EndpointID: "en1", Auth: WorkflowAuthOAuth, Token: "x"}, wantErr: "static_bearer"},
		{name: "unknown auth", spec: WorkflowSpec{EndpointID: "en1", Auth: "basic"}, wantErr: "auth must be"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := newStore(t)
			w, err := s.RegisterWorkflow(tc.spec)
			if tc.wantErr != "" {
				require.ErrorIs(t, err, apperr.ErrInvalid)
				assert.Contains(t, err.Error(), tc.wantErr)
				_, ok := s.Workflow(tc.spec.EndpointID)
				assert.False(t, ok, "a refused registration registers nothing")
				return
			}
			require.NoError(t, err)
			assert.GreaterOrEqual(t, w.Status, 200)
		})
	}
}

func TestWorkflowInvocations(t *testing.T) {
	s, clk := newStore(t)
	_, err := s.RegisterWorkflow(WorkflowSpec{EndpointID: "en1", Status: 202, Body: json.RawMessage(`"done"`)})
	require.NoError(t, err)
	w, ok := s.Workflow("en1")
	require.True(t, ok)
	assert.Equal(t, 202, w.Status)

	first, err := s.RecordInvocation(WorkflowInvocation{EndpointID: "en1", Method: "POST", Body: []byte(`{"a":1}`), Headers: map[string]string{"x": "1"}})
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(first.ID, "inv_"))
	assert.Equal(t, clk.Now(), first.ReceivedAt)
	clk.Advance(time.Second)
	_, err = s.RecordInvocation(WorkflowInvocation{EndpointID: "en1", Method: "GET"})
	require.NoError(t, err)
	_, err = s.RecordInvocation(WorkflowInvocation{EndpointID: "en-unregistered", Method: "GET"})
	require.NoError(t, err, "unregistered endpoints are recorded too")

	list, err := s.WorkflowInvocations("en1")
	require.NoError(t, err)
	require.Len(t, list, 2)
	assert.Equal(t, "POST", list[0].Method, "oldest first")
	list[0].Body[0] = 'X'
	list[0].Headers["x"] = "changed"
	again, _ := s.WorkflowInvocations("en1")
	assert.Equal(t, `{"a":1}`, string(again[0].Body), "callers get copies")
	assert.Equal(t, "1", again[0].Headers["x"])

	none, err := s.WorkflowInvocations("en-never")
	require.NoError(t, err)
	assert.Empty(t, none)
	_, err = s.WorkflowInvocations("bad")
	assert.ErrorIs(t, err, apperr.ErrInvalid)

	// Re-registering replaces the answer and keeps the invocations.
	_, err = s.RegisterWorkflow(WorkflowSpec{EndpointID: "en1"})
	require.NoError(t, err)
	w, _ = s.Workflow("en1")
	assert.Equal(t, 200, w.Status)
	assert.Nil(t, w.Body)
	list, _ = s.WorkflowInvocations("en1")
	assert.Len(t, list, 2)

	// Only the last MaxInvocationsKept are kept.
	for i := range MaxInvocationsKept*2 + 5 {
		_, err := s.RecordInvocation(WorkflowInvocation{EndpointID: "en-busy", Method: "POST", Query: string(rune('a' + i%26))})
		require.NoError(t, err)
	}
	list, _ = s.WorkflowInvocations("en-busy")
	assert.Len(t, list, MaxInvocationsKept)
	s.mu.RLock()
	assert.LessOrEqual(t, len(s.workflows.invocations["en-busy"]), 2*MaxInvocationsKept)
	s.mu.RUnlock()

	s.Reset()
	_, ok = s.Workflow("en1")
	assert.False(t, ok)
	list, _ = s.WorkflowInvocations("en1")
	assert.Empty(t, list)
}
