package emulator

// WithVersion names the build serving the emulator: GET /_emulator/health
// reports it as "version" beside "status", so a script or a container
// health check can tell which pdemu answers. pdemu serve passes its module
// version and VCS revision; without this option (as in testutil) health
// carries no version field.
func WithVersion(v string) Option { return func(o *config) { o.version = v } }

// Version is the version WithVersion gave, "" without one.
func (e *Emulator) Version() string { return e.version }
