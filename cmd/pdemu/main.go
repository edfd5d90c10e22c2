// Command pdemu runs a local emulator of Pipedream's OAuth client-credentials
// API and of the scope-protected Connect API behind it, so SDKs and services
// can be tested offline.
//
// Usage:
//
//	pdemu [serve] [flags]
//	pdemu conformance [flags]
//	pdemu help [serve|conformance]
//
// Help (help, -h, --help, in every position) goes to stdout and exits 0.
// Every flag of serve can also be set as PDEMU_<FLAG> (PDEMU_ADDR,
// PDEMU_CLIENT_SECRET, ...); the command line wins. docs/cli.md has it all.
//
// serve, the default subcommand, listens on 127.0.0.1:8787, seeds a
// workspace with a project and an OAuth client, and prints to stdout the
// PIPEDREAM_* variables the official SDKs read, as lines a shell accepts
// when pasted:
//
//	# pdemu listening on http://127.0.0.1:8787
//	export PIPEDREAM_BASE_URL=http://127.0.0.1:8787
//	export PIPEDREAM_CLIENT_ID=oc_...
//	export PIPEDREAM_CLIENT_SECRET=...
//	export PIPEDREAM_PROJECT_ID=proj_...
//	export PIPEDREAM_PROJECT_ENVIRONMENT=development
//
// stdout is the only place the client secret appears. Logs go to stderr and
// never carry a secret or a token.
//
// The control plane (/_emulator/) answers only requests addressed to
// loopback or to --advertise-url, refuses a foreign Origin, and wants
// Content-Type: application/json on every write, so that no web page can
// drive it. On a non-loopback --addr it also requires
// Authorization: Bearer $PDEMU_CONTROL_TOKEN: given with --control-token or
// the variable, or generated and printed as export PDEMU_CONTROL_TOKEN=...
// (before the PIPEDREAM_PROJECT_ENVIRONMENT line, which stays the last).
//
// Flags of serve:
//
//	--addr HOST:PORT       where to listen (default 127.0.0.1:8787; port 0 picks a free one)
//	--client-id ID         fix the seeded client's id
//	--client-secret S      fix the seeded client's secret
//	--client-secret-file F read it from a file (so ps does not show it)
//	--project-id ID        fix the seeded project's id (proj_...)
//	--workspace-id ID      fix the seeded workspace's id (o_...)
//	--seed FILE            start from a JSON seed; the flags above override its
//	                       first workspace's first project and client
//	--freeze-clock         the emulated clock stands still until moved
//	--revoke-on-rotate     rotating a client's secret revokes its tokens
//	--log-format FORMAT    text or json (default text)
//	--log-level LEVEL      debug, info, warn or error (default info)
//	--proxy-allow-host H   a host the Connect proxy may reach (repeatable;
//	                       default: loopback only)
//	--proxy-timeout D      longest wait for an upstream API behind the proxy,
//	                       then 504 (default 30s)
//	--max-body-bytes N     largest request body accepted (default 65536)
//	--control-token T      the control plane's token (default $PDEMU_CONTROL_TOKEN;
//	                       generated on a non-loopback --addr); prefer the variable,
//	                       since ps shows flags to other users
//	--control-token-file F read the control token from a file
//	--advertise-url URL    the URL clients reach pdemu at: printed as
//	                       PIPEDREAM_BASE_URL, accepted by the control plane
//	--journal-size N       requests the journal keeps (default 10000; 0: off)
//	--fault-seed N         seed of the fault plans' dice (default random, or drawn
//	                       from --id-seed)
//	--id-seed N            seed of every generated id, secret, token and key, so the
//	                       same requests get the same answers (default random); for
//	                       tests and golden files only: the seed gives away every secret
//	--rate-limits R        pipedream, off (default) or a JSON file of rules
//
// The emulator shuts down gracefully on SIGINT or SIGTERM; a second signal
// ends it at once. Exit status is 0 after a clean shutdown, 2 for a command
// line (or PDEMU_ variable) pdemu cannot act on, reported in one line with a
// hint, and 1 for any other failure.
//
// conformance runs the conformance kit (package conformance; the scenarios
// are embedded from features/*.feature) against any server that claims to
// be Pipedream's API, pdemu or another, reading PIPEDREAM_BASE_URL,
// PIPEDREAM_CLIENT_ID, PIPEDREAM_CLIENT_SECRET, PIPEDREAM_PROJECT_ID and
// PIPEDREAM_PROJECT_ENVIRONMENT (plus PDEMU_CONFORMANCE_CLIENT_ID_2 and
// PDEMU_CONFORMANCE_CLIENT_SECRET_2 for a second client, optional, and
// PDEMU_CONTROL_TOKEN for a pdemu whose control plane requires a token).
// Scenarios the server can't be driven to run (no /_emulator/capabilities,
// or @destructive without --destructive) are reported as skipped with the
// reason.
//
//	--base-url URL         the server (default $PIPEDREAM_BASE_URL)
//	--project-id ID        a project the client may use (default $PIPEDREAM_PROJECT_ID)
//	--tags EXPR            a godog tag expression: @a,@b (or), @a && ~@b (and not)
//	--format LIST          pretty, progress, junit:FILE, cucumber:FILE, comma-separated
//	                       (default progress); JUnit and cucumber JSON carry every
//	                       skip's and failure's reason
//	--expect FILE          ledger of the scenarios this server may fail, each with
//	                       its reason (docs/conformance-reports.md); one that
//	                       passes fails the run, as stale
//	--expect-skip FILE     ledger of the scenarios (or @tags) it may skip; any other
//	                       skip fails the run, and so does a listed one that passes
//	--strict-expect        kept for old scripts (stale expectations always fail)
//	--report FILE          write the run's JSON report (docs/conformance-reports.md)
//	--rerun-failed REPORT  run only what failed the run that wrote REPORT
//	--destructive          run @destructive scenarios against a real server too
//	--seed N               shuffle the order with N (-1: pick one and print it)
//	--list                 print every scenario with its tags and spec clause (with
//	                       --format json: the manifest, as JSON)
//
// Its exit status is 0 when every selected scenario passed, was skipped or
// failed as the ledgers allow, 1 when one did not or a scenario could not
// undo what it changed on the server, and 2 for a command line or
// environment it cannot act on.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// Once the first signal has started a graceful shutdown, restore the
	// default handling so that a second Ctrl-C kills a shutdown that hangs.
	go func() {
		<-ctx.Done()
		stop()
	}()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(exitStatus(os.Stderr, err))
}
