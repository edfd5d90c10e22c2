package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// knownSubcommands is named in every "unknown subcommand" error, so a typo
// is answered with the right spelling.
const knownSubcommands = "serve, conformance, healthcheck, version, help"

// run is the whole program but for process exit, so tests drive it with
// their own context, arguments, environment (getenv) and output.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) > 0 && isVersionFlag(args[0]) {
		return printVersion(args[1:], stdout)
	}
	if len(args) == 0 || (strings.HasPrefix(args[0], "-") && !isHelpFlag(args[0])) {
		// Flags with no subcommand mean serve: `pdemu --addr :0` is the
		// shortest way to start one.
		return serve(ctx, args, stdout, stderr, getenv)
	}
	switch cmd, rest := args[0], args[1:]; {
	case cmd == "serve":
		return serve(ctx, rest, stdout, stderr, getenv)
	case cmd == "conformance":
		return runConformance(ctx, rest, stdout, stderr, getenv)
	case cmd == "healthcheck":
		return healthcheck(ctx, rest, stdout, stderr, getenv)
	case cmd == "version":
		return printVersion(rest, stdout)
	case cmd == "help" || isHelpFlag(cmd):
		if len(rest) > 1 || len(rest) == 1 && rest[0] != "serve" && rest[0] != "conformance" {
			return usageErrorf("help takes no argument but serve or conformance, got %q", strings.Join(rest, " "))
		}
		if len(rest) == 1 && rest[0] == "conformance" {
			printConformanceUsage(stdout, newConformanceFlagSet(&conformanceConfig{}, io.Discard))
			return nil
		}
		// Help that was asked for is the output, not a diagnostic: stdout.
		printUsage(stdout, newServeFlagSet(&serveConfig{}, io.Discard))
		return nil
	default:
		return usageErrorf("unknown subcommand %q; known subcommands: %s", cmd, knownSubcommands)
	}
}

func isHelpFlag(s string) bool { return s == "-h" || s == "-help" || s == "--help" }

// usageError is a command line pdemu cannot act on. It exits 2, as
// flag.ExitOnError does, so scripts can tell a mistyped invocation from an
// emulator that failed.
type usageError struct {
	err error
	// reported is set when the flag package has already printed the error
	// and the usage, so it is not printed twice.
	reported bool
}

// Error is the message alone; exitStatus adds the hint to `pdemu help`.
func (e *usageError) Error() string { return e.err.Error() }

// Unwrap keeps the flag package's error visible to errors.Is.
func (e *usageError) Unwrap() error { return e.err }

func usageErrorf(format string, args ...any) error {
	return &usageError{err: fmt.Errorf(format, args...)}
}

// exitStatus reports err on stderr and returns the status main exits with.
func exitStatus(stderr io.Writer, err error) int {
	if err == nil {
		return 0
	}
	if ue, ok := errors.AsType[*usageError](err); ok {
		if !ue.reported {
			fmt.Fprintf(stderr, "pdemu: %v\nRun 'pdemu help' for usage.\n", err)
		}
		return 2
	}
	fmt.Fprintf(stderr, "pdemu: %v\n", err)
	return 1
}

const usageText = `Usage:
  pdemu [serve] [flags]      run the emulator (the default subcommand)
  pdemu conformance [flags]  check a server against the conformance kit
                             (pdemu help conformance)
  pdemu help                 show this help

pdemu emulates Pipedream's OAuth client-credentials API and the Connect API
behind it. serve listens, then prints to stdout the export lines for
PIPEDREAM_BASE_URL, PIPEDREAM_CLIENT_ID, PIPEDREAM_CLIENT_SECRET,
PIPEDREAM_PROJECT_ID and PIPEDREAM_PROJECT_ENVIRONMENT, ready to paste into
a shell. Logs go to stderr. SIGINT or SIGTERM shuts it down gracefully.

The control plane (/_emulator/) answers only requests addressed to
loopback (or to --advertise-url), never a web page of another origin, and
its writes need Content-Type: application/json. On any --addr but a
loopback one it also requires a token (--control-token or
PDEMU_CONTROL_TOKEN; without either, pdemu generates one and prints it with
the export lines).

Flags of serve:
`

// printUsage writes flags as --name, the spelling the documentation uses,
// where flag.PrintDefaults would write -name.
func printUsage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprint(w, usageText)
	printFlags(w, fs)
}

// printFlags lists fs's flags, one a line with its usage.
func printFlags(w io.Writer, fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		arg, usage := flag.UnquoteUsage(f)
		name := "--" + f.Name
		if arg != "" {
			name += " " + arg
		}
		if f.DefValue != "" && f.DefValue != "false" {
			usage += fmt.Sprintf(" (default %s)", f.DefValue)
		}
		// Continuation lines line up under the first line's text.
		usage = strings.ReplaceAll(usage, "\n", "\n"+strings.Repeat(" ", 2+24+1))
		fmt.Fprintf(w, "  %-24s %s\n", name, usage)
	})
}
