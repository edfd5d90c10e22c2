// Command pdemu-load measures pdemu against a bare net/http handler in the
// same process and run, and prints req/s, latency and the ratios the
// project's performance targets are stated in.
//
//	go run ./bench/cmd/pdemu-load                 # load: 64 connections, 5s per run, 2 rounds
//	go run ./bench/cmd/pdemu-load -c 16 -d 10s -rounds 4
//	go run ./bench/cmd/pdemu-load -mode memory    # 1,000,000 tokens, RSS and heap
//	go run ./bench/cmd/pdemu-load -mode new       # emulator.New() x1000
//	go run ./bench/cmd/pdemu-load -mode prune     # 100,000 expiring Connect tokens: memory live and after
//	go run ./bench/cmd/pdemu-load -mode all -json
//
// Servers listen on 127.0.0.1 only and the clients dial loopback only. The
// load generator and the servers share the machine's CPUs (GOMAXPROCS), as
// the targets assume. The exit status is 1 when any request failed.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/pdemu/pdemu/bench"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "pdemu-load:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("pdemu-load", flag.ContinueOnError)
	var (
		mode       = fs.String("mode", "load", "what to measure: load, memory, new, prune or all")
		conns      = fs.Int("c", bench.DefaultConnections, "concurrent keep-alive connections per scenario")
		dur        = fs.Duration("d", bench.DefaultDuration, fmt.Sprintf("measured duration of each scenario run (max %s)", bench.MaxDuration))
		warmup     = fs.Duration("warmup", 0, "unmeasured warm-up before each run (default d/10, at most 1s)")
		rounds     = fs.Int("rounds", bench.DefaultRounds, "times each scenario runs; baselines and targets alternate ABBA")
		distinct   = fs.Int("tokens", bench.DefaultDistinctTokens, "distinct tokens the rotating bearer scenario cycles through")
		only       = fs.String("only", "", "load mode: run only these comparisons, comma-separated: token, bearer")
		memTokens  = fs.Int("n", bench.DefaultMemoryTokens, "memory mode: tokens to issue")
		verifyEach = fs.Int("verify-every", bench.DefaultVerifyEvery, "memory mode: bearer-check every n-th token over ServeHTTP")
		newIters   = fs.Int("new-iterations", bench.DefaultNewIterations, "new mode: emulator.New() calls to time")
		pruneToks  = fs.Int("prune-tokens", bench.DefaultPruneTokens, "prune mode: Connect tokens to make")
		asJSON     = fs.Bool("json", false, "print JSON instead of tables")
		journal    = fs.Int("journal-size", -1, "load mode: the emulator's request-journal size, 0 to turn it off (default: pdemu's default)")
		cpuProfile = fs.String("cpuprofile", "", "write a CPU profile of the whole process (clients and servers) to this file")
	)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if *dur <= 0 || *dur > bench.MaxDuration {
		return fmt.Errorf("-d must be positive and at most %s", bench.MaxDuration)
	}
	var modes []string
	switch *mode {
	case "load", "memory", "new", "prune":
		modes = []string{*mode}
	case "all":
		// Memory first, while the process has done nothing else.
		modes = []string{"memory", "new", "load"}
	default:
		return fmt.Errorf("-mode must be load, memory, new, prune or all, not %q", *mode)
	}

	var groups []string
	if *only != "" {
		groups = strings.Split(*only, ",")
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	stopProfile, err := bench.StartCPUProfile(*cpuProfile)
	if err != nil {
		return err
	}
	defer stopProfile()

	out := map[string]any{}
	failed := false
	for _, m := range modes {
		var rep interface{ WriteTable(io.Writer) error }
		switch m {
		case "load":
			lc := bench.LoadConfig{Connections: *conns, Duration: *dur,
				Warmup: *warmup, Rounds: *rounds, DistinctTokens: *distinct, Groups: groups}
			if *journal >= 0 {
				lc.JournalSize = journal
			}
			r, err := bench.RunLoad(ctx, lc)
			if err != nil {
				return err
			}
			failed = failed || r.Failed()
			rep = r
		case "memory":
			r, err := bench.RunMemory(ctx, bench.MemoryConfig{Tokens: *memTokens, VerifyEvery: *verifyEach})
			if err != nil {
				return err
			}
			failed = failed || r.Errors > 0
			rep = r
		case "new":
			r, err := bench.RunNew(*newIters)
			if err != nil {
				return err
			}
			rep = r
		case "prune":
			r, err := bench.RunPrune(ctx, *pruneToks)
			if err != nil {
				return err
			}
			failed = failed || r.Errors > 0 || r.HeldAfter != 0
			rep = r
		}
		if *asJSON {
			out[m] = rep
			continue
		}
		if err := rep.WriteTable(stdout); err != nil {
			return err
		}
		fmt.Fprintln(stdout)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return err
		}
	}
	if failed {
		return fmt.Errorf("some requests failed; the figures above are void")
	}
	return nil
}
