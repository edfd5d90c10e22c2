package redact

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/pdemu/pdemu/emulator/internal/ids"
)

func TestNewFromReader(t *testing.T) {
	a, b := NewFromReader(ids.NewSeeded(1)), NewFromReader(ids.NewSeeded(1))
	assert.Equal(t, a.Mark("secret"), b.Mark("secret"), "the same key from the same stream")
	assert.Equal(t, a.Header("Authorization", "Bearer x"), b.Header("Authorization", "Bearer x"), "the cache's own seed changes no marker")
	assert.NotEqual(t, a.Mark("secret"), NewFromReader(ids.NewSeeded(2)).Mark("secret"))

	key := bytes.Repeat([]byte{7}, 32)
	assert.Equal(t, NewWithKey(key).Mark("s"), NewFromReader(bytes.NewReader(key)).Mark("s"), "the key is the reader's first 32 bytes")
	assert.Panics(t, func() { NewFromReader(bytes.NewReader(key[:31])) }, "a short reader")
}
