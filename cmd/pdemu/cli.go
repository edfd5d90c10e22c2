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
		return help(stdout, rest)
	default:
		return usageErrorf("unknown subcommand %q; known subcommands: %s", cmd, knownSubcommands)
	}
}

func isHelpFlag(s string) bool { return s == "-h" || s == "-help" || s == "--help" }

// help is `pdemu help [subcommand]`. Help that was asked for is the
// output, not a diagnostic: it goes to stdout.
func help(stdout io.Writer, topic []string) error {
	if len(topic) > 1 {
		return usageErrorf("help takes one subcommand at most, got %q", strings.Join(topic, " "))
	}
	switch {
	case len(topic) == 0:
		printUsage(stdout)
	case topic[0] == "serve":
		printServeUsage(stdout, newServeFlagSet(&serveConfig{}))
	case topic[0] == "conformance":
		printConformanceUsage(stdout, newConformanceFlagSet(&conformanceConfig{}))
	case topic[0] == "healthcheck":
		printHealthcheckUsage(stdout)
	case topic[0] == "version":
		fmt.Fprintln(stdout, "Usage:\n  pdemu version\n\nPrints pdemu's version, VCS revision and Go version; --version does the same.")
	default:
		return usageErrorf("no help for %q; known subcommands: %s", topic[0], knownSubcommands)
	}
	return nil
}

// usageError is a command line pdemu cannot act on. It exits 2, as
// flag.ExitOnError does, so scripts can tell a mistyped invocation from an
// emulator that failed.
type usageError struct {
	err error
	// hint is the line printed under the error, pointing to the help; ""
	// points to pdemu help.
	hint string
}

// Error is the message alone; exitStatus adds the hint.
func (e *usageError) Error() string { return e.err.Error() }

// Unwrap keeps the underlying error visible to errors.Is.
func (e *usageError) Unwrap() error { return e.err }

func usageErrorf(format string, args ...any) error {
	return &usageError{err: fmt.Errorf(format, args...)}
}

// withHint points a usage error without a hint of its own to sub's help.
func withHint(err error, sub string) error {
	if ue, ok := errors.AsType[*usageError](err); ok && ue.hint == "" {
		ue.hint = helpHint(sub)
	}
	return err
}

// exitStatus reports err on stderr and returns the status main exits with.
func exitStatus(stderr io.Writer, err error) int {
	if err == nil {
		return 0
	}
	if ue, ok := errors.AsType[*usageError](err); ok {
		hint := ue.hint
		if hint == "" {
			hint = helpHint("")
		}
		fmt.Fprintf(stderr, "pdemu: %v\n%s\n", err, hint)
		return 2
	}
	fmt.Fprintf(stderr, "pdemu: %v\n", err)
	return 1
}

const usageText = `Usage:
  pdemu [serve] [flags]      run the emulator (the default subcommand)
  pdemu conformance [flags]  check a server against the conformance kit
  pdemu healthcheck [flags]  ask a running pdemu whether it is healthy (exit 0 or 1)
  pdemu version              print the version (also --version)
  pdemu help [subcommand]    show this help, or a subcommand's with its flags

pdemu emulates Pipedream's OAuth client-credentials API and the Connect API
behind it, so SDKs and services can be tested offline. 'pdemu serve' (or
just 'pdemu') listens on ` + defaultAddr + ` and prints the PIPEDREAM_*
variables the official SDKs read, as export lines for a shell.

Every flag of serve can also be set in the environment as PDEMU_<FLAG>
(PDEMU_ADDR, PDEMU_CLIENT_SECRET, ...); the command line wins.

Exit status: 0 on success (and for help); 1 when pdemu failed; 2 for a
command line or environment it cannot act on.

Run 'pdemu help serve' or 'pdemu help conformance' for their flags.
`

// printUsage writes pdemu's own help.
func printUsage(w io.Writer) { fmt.Fprint(w, usageText) }

// printFlags lists fs's flags, one a line with its usage, as --name, the
// spelling the documentation uses, where flag.PrintDefaults would write
// -name. env, when not "", is the prefix of the flags' variables, shown
// under each.
func printFlags(w io.Writer, fs *flag.FlagSet, env string) {
	indent := "\n" + strings.Repeat(" ", 2+26+1)
	fs.VisitAll(func(f *flag.Flag) {
		arg, usage := flag.UnquoteUsage(f)
		name := "--" + f.Name
		if arg != "" {
			name += " " + arg
		}
		if f.DefValue != "" && f.DefValue != "false" {
			usage += fmt.Sprintf(" (default %s)", f.DefValue)
		}
		if env != "" {
			usage += "\n[$" + envName(env, f.Name) + "]"
		}
		// Continuation lines line up under the first line's text.
		usage = strings.ReplaceAll(usage, "\n", indent)
		fmt.Fprintf(w, "  %-26s %s\n", name, usage)
	})
}
