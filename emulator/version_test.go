package emulator_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/pdemu/pdemu/emulator"
	"github.com/pdemu/pdemu/testutil"
)

// TestHealthVersion: health names the build WithVersion gave, beside its
// status, and says nothing of a version when none was given.
func TestHealthVersion(t *testing.T) {
	tests := []struct {
		name string
		opts []emulator.Option
		want map[string]any
	}{
		{"no version", nil, map[string]any{"status": "ok"}},
		{"empty version", []emulator.Option{emulator.WithVersion("")}, map[string]any{"status": "ok"}},
		{"a version", []emulator.Option{emulator.WithVersion("pdemu v1.2.3 (revision abc1234)")},
			map[string]any{"status": "ok", "version": "pdemu v1.2.3 (revision abc1234)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := testutil.NewServer(t, tt.opts...)
			assert.Equal(t, tt.want, srv.Do("GET", "/_emulator/health", "", nil).JSON(t))
			v, _ := tt.want["version"].(string)
			assert.Equal(t, v, srv.Emulator.Version())
			srv.Reset()
			assert.Equal(t, tt.want, srv.Do("GET", "/_emulator/health", "", nil).JSON(t), "a reset keeps the version")
		})
	}
}
