package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestRunRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{{"-d", "61s"}, {"-d", "0s"}, {"-mode", "nope"}, {"extra"}} {
		if err := run(args, new(bytes.Buffer)); err == nil {
			t.Errorf("run(%q) = nil error, want one", args)
		}
	}
}

func TestRunNewJSON(t *testing.T) {
	var out bytes.Buffer
	if err := run([]string{"-mode", "new", "-new-iterations", "3", "-json"}, &out); err != nil {
		t.Fatal(err)
	}
	var got map[string]map[string]any
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("%v: %s", err, out.Bytes())
	}
	if got["new"]["iterations"] != 3.0 {
		t.Errorf("iterations = %v in %s", got["new"]["iterations"], out.String())
	}
}

func TestRunNewTable(t *testing.T) {
	var out bytes.Buffer
	if err := run([]string{"-mode", "new", "-new-iterations", "3"}, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "emulator.New() x3") {
		t.Errorf("output: %s", out.String())
	}
}

func TestRunPruneTable(t *testing.T) {
	var out bytes.Buffer
	if err := run([]string{"-mode", "prune", "-prune-tokens", "50"}, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "pdemu prune: 50 Connect tokens") {
		t.Errorf("output: %s", out.String())
	}
}
