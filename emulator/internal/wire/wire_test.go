package wire

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCustomFields(t *testing.T) {
	tests := []struct {
		in      string
		want    int
		wantErr bool
	}{
		{`[{"name":"a"}]`, 1, false},
		{`"[{\"name\":\"a\"},{\"name\":\"b\"}]"`, 2, false},
		{`"[]"`, 0, false},
		{`null`, 0, false},
		{`"not json"`, 0, true},
		{`{"name":"a"}`, 0, true},
		{`[{"name":"a","extra":1}]`, 0, true},
		{`"[] []"`, 0, true},
		{`7`, 0, true},
	}
	for _, tc := range tests {
		var in CustomFields
		err := json.Unmarshal([]byte(tc.in), &in)
		if tc.wantErr {
			assert.ErrorIs(t, err, ErrCustomFields, tc.in)
			continue
		}
		require.NoError(t, err, tc.in)
		assert.Len(t, in, tc.want, tc.in)
	}
}

func TestCustomFieldsMarshalAsTheWiresString(t *testing.T) {
	b, err := json.Marshal(CustomFields(nil))
	require.NoError(t, err)
	assert.Equal(t, `"[]"`, string(b), "none is an empty array, in a string")
	b, err = json.Marshal(CustomFields{{Name: "api_key", Type: "password"}})
	require.NoError(t, err)
	var inner string
	require.NoError(t, json.Unmarshal(b, &inner))
	assert.JSONEq(t, `[{"name":"api_key","label":"","description":null,"default":null,"optional":null,"type":"password"}]`, inner)
	var back CustomFields
	require.NoError(t, json.Unmarshal(b, &back), "what it writes it reads")
	assert.Equal(t, CustomFields{{Name: "api_key", Type: "password"}}, back)
}
