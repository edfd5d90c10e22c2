package conformance

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPaddedClientName(t *testing.T) {
	for _, tc := range []struct {
		n   int
		pad string
	}{{0, "x"}, {1, "x"}, {7, "x"}, {8, "x"}, {200, "x"}, {200, "é"}, {201, "é"}} {
		name, err := paddedClientName("0123abcd", tc.n, tc.pad)
		require.NoError(t, err)
		assert.Equal(t, tc.n, utf8.RuneCountInString(name), "%d × %q", tc.n, tc.pad)
		if tc.n >= 8 {
			assert.True(t, strings.HasPrefix(name, "0123abcd"), "a long name carries the scenario's suffix")
		}
	}
	_, err := paddedClientName("0123abcd", 5, "ab")
	assert.Error(t, err)
}
