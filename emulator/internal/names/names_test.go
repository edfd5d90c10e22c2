package names

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/pdemu/pdemu/emulator/apperr"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		in   string
		ok   bool
	}{
		{"empty", "", false},
		{"blank", " \t\n", false},
		{"one char", "a", true},
		{"200 chars", strings.Repeat("a", 200), true},
		{"201 chars", strings.Repeat("a", 201), false},
		{"200 multibyte chars", strings.Repeat("é", 200), true},
		{"201 multibyte chars", strings.Repeat("é", 201), false},
		{"invalid utf-8", "a\xffb", false},
		{"inner spaces", "My CI client", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Validate("client", tc.in)
			if tc.ok {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, apperr.ErrInvalid)
			}
		})
	}
}
