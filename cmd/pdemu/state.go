package main

import (
	"fmt"
	"os"

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
	if err := emu.ExportStateTo(path); err != nil {
		return fmt.Errorf("--export-on-exit %s: %w", path, err)
	}
	return nil
}
