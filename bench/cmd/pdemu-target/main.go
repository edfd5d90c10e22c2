// Command pdemu-target serves one side of the pinned-core benchmark
// (bench/pinned.sh) on its own, so that a load generator on another core
// measures the server's own cost:
//
//	pdemu-target -target bare     [-addr 127.0.0.1:0] [-cpuprofile FILE] [-work 10us]
//	pdemu-target -target emulator [-addr 127.0.0.1:0] [-cpuprofile FILE]
//
// bare serves bench.BareHandler, the baseline of every ratio; with -work it
// first spends that much CPU per request in a busy loop, which shows what
// a given amount of a handler's own work does to the ratio
// (bench/curve.sh). emulator
// serves an emulator set up as `pdemu serve --freeze-clock` sets one up (its
// defaults: the journal on, rate limits off, a request log at info level,
// written to stderr), so that its profile is pdemu serve's; the figures
// bench/pinned.sh reports come from the pdemu binary itself.
//
// It prints "# TARGET listening on http://ADDR" and serves until SIGINT or
// SIGTERM; with -cpuprofile it writes the profile of its whole life.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/pdemu/pdemu/bench"
	"github.com/pdemu/pdemu/emulator"
	"github.com/pdemu/pdemu/emulator/clock"
	"github.com/pdemu/pdemu/internal/logline"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "pdemu-target:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("pdemu-target", flag.ContinueOnError)
	target := fs.String("target", "bare", "what to serve: bare or emulator")
	addr := fs.String("addr", "127.0.0.1:0", "address to listen on")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile to this file")
	work := fs.Duration("work", 0, "with -target bare: CPU to spend on each request before answering it")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var h http.Handler
	switch *target {
	case "bare":
		h = bench.BareHandler{}
		if *work > 0 {
			h = busy(*work, h)
		}
	case "emulator":
		emu, err := emulator.New(
			emulator.WithClock(clock.NewFrozenOffset()),
			emulator.WithLogger(slog.New(logline.NewTextHandler(os.Stderr, nil))),
			emulator.WithSeed(emulator.Seed{Workspaces: []emulator.SeedWorkspace{{
				ID: "o_bench", Projects: []emulator.SeedProject{{ID: "proj_bench", Name: "bench"}},
				Clients: []emulator.SeedClient{{ClientID: "oc_bench", ClientSecret: "bench-secret-0123456789abcdef", Name: "bench"}},
			}}}),
		)
		if err != nil {
			return err
		}
		h = emu
	default:
		return fmt.Errorf("-target must be bare or emulator, not %q", *target)
	}
	if *work > 0 && *target != "bare" {
		return errors.New("-work goes with -target bare")
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	stopProfile, err := bench.StartCPUProfile(*cpuProfile)
	if err != nil {
		return err
	}
	defer stopProfile()
	// pdemu serve's server settings, so neither side gains from another
	// http.Server.
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute}
	fmt.Printf("# %s listening on http://%s\n", *target, ln.Addr())
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shut)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// busy spends d of CPU on each request before h answers it: a handler
// with d more work to do than the bare one, and nothing else different.
func busy(d time.Duration, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for start := time.Now(); time.Since(start) < d; {
		}
		h.ServeHTTP(w, r)
	})
}
