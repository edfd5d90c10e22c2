package testutil

import "testing"

// Rebind points a Server's helpers at another testing.TB, so tests can
// watch a helper fail.
func Rebind(s *Server, tb testing.TB) { s.tb = tb }
