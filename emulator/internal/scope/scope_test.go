package scope

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    Set
		wantErr error
	}{
		{name: "empty is full access", in: "", want: Set{"*"}},
		{name: "blank is full access", in: "   ", want: Set{"*"}},
		{name: "single", in: "connect:users:read", want: Set{"connect:users:read"}},
		{name: "several keep order", in: "connect:proxy connect:users:read", want: Set{"connect:proxy", "connect:users:read"}},
		{name: "duplicates collapse", in: "connect:proxy connect:proxy *", want: Set{"connect:proxy", "*"}},
		{name: "extra spaces separate", in: "  connect:proxy   connect:*  ", want: Set{"connect:proxy", "connect:*"}},
		{name: "undocumented but confirmed apps scope", in: "connect:apps:*", want: Set{"connect:apps:*"}},
		{name: "case sensitive", in: "Connect:Proxy", wantErr: ErrUnknown},
		{name: "unknown", in: "connect:users:read admin", wantErr: ErrUnknown},
		{name: "apps read does not exist", in: "connect:apps:read", wantErr: ErrUnknown},
		{name: "family wildcard not documented", in: "connect:accounts:*", wantErr: ErrUnknown},
		{name: "tab is malformed", in: "connect:proxy\tconnect:*", wantErr: ErrMalformed},
		{name: "newline is malformed", in: "connect:proxy\n", wantErr: ErrMalformed},
		{name: "quote is malformed", in: `"*"`, wantErr: ErrMalformed},
		{name: "backslash is malformed", in: `connect:\*`, wantErr: ErrMalformed},
		{name: "non-ascii is malformed", in: "connect:prox\u00ff", wantErr: ErrMalformed},
		{name: "comma is not a separator", in: "connect:proxy,connect:*", wantErr: ErrUnknown},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse(tc.in)
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				assert.Nil(t, got)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestEveryKnownScopeParses(t *testing.T) {
	require.Len(t, Known, 17)
	for _, s := range Known {
		got, err := Parse(s)
		require.NoError(t, err, s)
		assert.Equal(t, Set{s}, got)
	}
}

func TestImplies(t *testing.T) {
	tests := []struct {
		granted, required string
		want              bool
	}{
		{"*", "connect:users:read", true},
		{"*", "connect:*", true},
		{"*", "anything:else", true},
		{"connect:*", "connect:users:read", true},
		{"connect:*", "connect:actions:*", true},
		{"connect:*", "connect:workflow:invoke", true},
		{"connect:*", "*", false},
		{"connect:*", "other:thing", false},
		{"connect:actions:*", "connect:actions:*", true},
		{"connect:actions:*", "connect:actions:run", true},
		{"connect:actions:*", "connect:triggers:*", false},
		{"connect:actions:*", "connect:*", false},
		{"connect:users:write", "connect:users:read", false},
		{"connect:users:read", "connect:users:write", false},
		{"connect:users:read", "connect:users:read", true},
		{"connect:proxy", "connect:proxy:extra", false},
		{"connect:users:read", "connect:users", false},
		{"conn*", "connect:proxy", false},
	}
	for _, tc := range tests {
		t.Run(tc.granted+" => "+tc.required, func(t *testing.T) {
			assert.Equal(t, tc.want, Implies(tc.granted, tc.required))
		})
	}
}

func TestSetCovers(t *testing.T) {
	s := Set{"connect:users:read", "connect:actions:*"}
	assert.True(t, s.Covers("connect:users:read"))
	assert.True(t, s.Covers("connect:actions:*"))
	assert.False(t, s.Covers("connect:users:write"))
	assert.True(t, s.CoversAny([]string{"connect:triggers:*", "connect:actions:*"}))
	assert.False(t, s.CoversAny([]string{"connect:triggers:*"}))
	assert.False(t, s.CoversAny(nil))
	assert.True(t, s.CoversAll(Set{"connect:users:read"}))
	assert.False(t, s.CoversAll(Set{"connect:users:read", "connect:proxy"}))
	assert.True(t, Set{"*"}.CoversAll(Set{"connect:*", "connect:proxy"}))
	assert.False(t, Set{}.Covers("connect:proxy"))
	assert.Equal(t, "connect:users:read connect:actions:*", s.String())
}

func FuzzParse(f *testing.F) {
	for _, s := range append(Known, "", " ", "a b", "\t") {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := Parse(in)
		if err != nil {
			return
		}
		require.NotEmpty(t, got)
		again, err := Parse(got.String())
		require.NoError(t, err)
		require.Equal(t, got, again, "String round-trips")
	})
}
