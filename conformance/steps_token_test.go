package conformance

import (
	"encoding/base64"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBasicCredentialsAreFormEncoded(t *testing.T) {
	decode := func(h string) (string, string) {
		b, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(h, "Basic "))
		require.NoError(t, err)
		id, secret, found := strings.Cut(string(b), ":")
		require.True(t, found)
		id, err = url.QueryUnescape(id)
		require.NoError(t, err)
		secret, err = url.QueryUnescape(secret)
		require.NoError(t, err)
		return id, secret
	}
	for _, enc := range []func(string) string{url.QueryEscape, percentEncodeAll} {
		h := basicCredentials("oc_a:b", "s e+c%r/é", enc)
		require.True(t, strings.HasPrefix(h, "Basic "))
		id, secret := decode(h)
		assert.Equal(t, "oc_a:b", id)
		assert.Equal(t, "s e+c%r/é", secret)
	}
	assert.Equal(t, "%6F%63%5F", percentEncodeAll("oc_"))
}
