package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/pdemu/pdemu/emulator"
)

// importState replaces the emulator's state with the document in path
// (--import).
func importState(emu *emulator.Emulator, path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("--import: %w", err)
	}
	if err := emu.ImportState(data); err != nil {
		return fmt.Errorf("--import %s: %w", path, err)
	}
	return nil
}

// exportState writes the emulator's state to path (--export-on-exit).
func exportState(emu *emulator.Emulator, path string) error {
	data, err := emu.ExportState()
	if err != nil {
		return fmt.Errorf("--export-on-exit: %w", err)
	}
	if err := writeFileAtomic(path, append(data, '\n')); err != nil {
		return fmt.Errorf("--export-on-exit %s: %w", path, err)
	}
	return nil
}

// writeFileAtomic writes data to path so that path names either its old
// content or all of data, never a part: a temporary file beside it,
// synced, renamed over it, and the directory synced. The file is private
// to its owner: a state document holds the signing key.
func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
