//go:build !unix

package statefile

import "os"

// lockFile is a no-op where flock(2) does not exist: there a second pdemu
// on one state file is not prevented. pdemu's releases target Unix.
func lockFile(*os.File) error { return nil }

func unlockFile(*os.File) {}
