//go:build unix

package statefile

import (
	"errors"
	"os"
	"syscall"
)

// lockFile takes an exclusive advisory lock without waiting: a second
// pdemu on the same state file must fail at once, not hang.
func lockFile(f *os.File) error {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return ErrLocked
	}
	return err
}

func unlockFile(f *os.File) { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN) }
