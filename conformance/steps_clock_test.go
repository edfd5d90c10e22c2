package conformance

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestJSONTime(t *testing.T) {
	got, err := jsonTime(float64(1893456000))
	require.NoError(t, err)
	assert.Equal(t, time.Unix(1893456000, 0), got)
	got, err = jsonTime(json.Number("1893456000"))
	require.NoError(t, err)
	assert.True(t, got.Equal(time.Unix(1893456000, 0)))
	got, err = jsonTime("2030-01-01T04:00:00Z")
	require.NoError(t, err)
	assert.True(t, got.Equal(time.Date(2030, 1, 1, 4, 0, 0, 0, time.UTC)))
	for _, bad := range []any{"tomorrow", true, nil} {
		_, err := jsonTime(bad)
		assert.Error(t, err, "%v", bad)
	}
}
