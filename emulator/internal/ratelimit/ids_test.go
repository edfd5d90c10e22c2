package ratelimit

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdemu/pdemu/emulator/internal/ids"
)

func TestWithIDsMakesTokensReproducible(t *testing.T) {
	tokens := func(l *Limiter) []string {
		var out []string
		for range 3 {
			tok, err := l.CreateToken("o_a", 10*time.Second, 2)
			require.NoError(t, err)
			assert.Len(t, tok, TokenLen)
			out = append(out, tok)
		}
		return out
	}
	a := tokens(New(WithIDs(ids.NewSeeded(1))))
	assert.Equal(t, a, tokens(New(WithIDs(ids.NewSeeded(1)))))
	assert.NotEqual(t, a, tokens(New(WithIDs(ids.NewSeeded(2)))))
	assert.NotEqual(t, a, tokens(New()), "the default is crypto/rand")
}
