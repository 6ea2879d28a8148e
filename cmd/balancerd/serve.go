package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/balancerd/balancerd/directives"
	"github.com/balancerd/balancerd/directives/model"
	"github.com/balancerd/balancerd/parser"
	"github.com/balancerd/balancerd/proxy"
	"github.com/balancerd/balancerd/proxy/stack"
)

// shutdownGrace bounds how long a graceful stop waits for in-flight requests.
const shutdownGrace = 30 * time.Second

// load reads and validates the configuration, and returns it with the
// options it was read with. Warnings and errors go to stderr; a nil config
// means there were errors.
func load(o *options, stderr io.Writer) (*model.Config, directives.LoadOptions) {
	lo, err := o.loadOptions()
	if err != nil {
		fmt.Fprintf(stderr, "balancerd: %v\n", err)
		return nil, lo
	}
	cfg, _, diags := directives.Load(o.configPath(), lo)
	for _, d := range diags {
		fmt.Fprintln(stderr, d)
	}
	if diags.HasErrors() || cfg == nil {
		return nil, lo
	}
	return cfg, lo
}

// serverGCPercent is the garbage collector's target while serving, unless
// GOGC says otherwise. A proxy's live heap is small (configuration,
// pools, a few KiB per connection) and its garbage is per request, so
// Go's default of 100 collects very often for very little; at 400 the
// collector's share of CPU under load drops by about three quarters for a
// few MiB more of heap.
const serverGCPercent = 400

// tuneGC applies serverGCPercent when GOGC is not set.
func tuneGC() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(serverGCPercent)
	}
}

// runServe loads the configuration and serves it until SIGTERM or SIGINT
// (graceful stop). SIGHUP and SIGUSR1 reload the configuration; a reload
// that fails keeps the old configuration serving.
func runServe(o *options, stdout, stderr io.Writer) int {
	cfg, lo := load(o, stderr)
	if cfg == nil {
		fmt.Fprintln(stderr, "balancerd: configuration has errors; not starting (run with -t for details)")
		return exitError
	}
	srv, err := stack.New(cfg, lo, proxy.Options{ListenOverride: o.listen, ErrorLog: stderr})
	if err != nil {
		fmt.Fprintf(stderr, "balancerd: %v\n", err)
		return exitError
	}
	tuneGC()
	lns, err := srv.Listen()
	if err != nil {
		fmt.Fprintf(stderr, "balancerd: %v\n", err)
		return exitError
	}
	pidFile := o.pidFile
	if pidFile == "" {
		pidFile = cfg.PidFile
	}
	if pidFile != "" {
		if err := os.WriteFile(pidFile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
			fmt.Fprintf(stderr, "balancerd: writing PidFile: %v\n", err)
		} else {
			defer os.Remove(pidFile)
		}
	}
	for _, ln := range lns {
		fmt.Fprintf(stderr, "balancerd: listening on %s\n", ln.Addr())
	}

	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGWINCH, syscall.SIGHUP, syscall.SIGUSR1)
	defer signal.Stop(sigs)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(lns...) }()
	for {
		select {
		case err := <-served:
			if err != nil && !errors.Is(err, http.ErrServerClosed) {
				fmt.Fprintf(stderr, "balancerd: %v\n", err)
				return exitError
			}
			return exitOK
		case sig := <-sigs:
			switch sig {
			case syscall.SIGHUP, syscall.SIGUSR1:
				reload(o, srv, stderr)
			default:
				fmt.Fprintf(stderr, "balancerd: %v received, finishing in-flight requests\n", sig)
				ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
				err := srv.Shutdown(ctx)
				cancel()
				<-served
				if err != nil {
					fmt.Fprintf(stderr, "balancerd: shutdown: %v\n", err)
					return exitError
				}
				return exitOK
			}
		}
	}
}

// reload re-reads the configuration and swaps it in if it is valid.
func reload(o *options, srv *stack.Server, stderr io.Writer) {
	cfg, _ := load(o, stderr)
	if cfg == nil {
		fmt.Fprintln(stderr, "balancerd: reload failed: configuration has errors; still serving the previous configuration")
		return
	}
	if err := srv.Reload(cfg); err != nil {
		fmt.Fprintf(stderr, "balancerd: reload failed: %v; still serving the previous configuration\n", err)
		return
	}
	fmt.Fprintln(stderr, "balancerd: configuration reloaded")
}

// runSignal implements -k: it signals the server whose pid is in the
// PidFile, as httpd -k does.
func runSignal(o *options, stdout, stderr io.Writer) int {
	if o.signal == "start" {
		return runServe(o, stdout, stderr)
	}
	pidFile := o.pidFile
	if pidFile == "" {
		if cfg, _ := load(o, stderr); cfg != nil {
			pidFile = cfg.PidFile
		}
	}
	if pidFile == "" {
		fmt.Fprintln(stderr, "balancerd: no PidFile: set PidFile in the configuration or pass --pidfile")
		return exitError
	}
	data, err := os.ReadFile(pidFile)
	if err != nil {
		fmt.Fprintf(stderr, "balancerd (no pid file) not running\n")
		return exitOK
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || pid <= 0 {
		fmt.Fprintf(stderr, "balancerd: %s does not hold a process id\n", pidFile)
		return exitError
	}
	sig := map[string]syscall.Signal{
		"stop":          syscall.SIGTERM,
		"graceful-stop": syscall.SIGWINCH,
		"restart":       syscall.SIGHUP,
		"graceful":      syscall.SIGUSR1,
	}[o.signal]
	if err := syscall.Kill(pid, sig); err != nil {
		fmt.Fprintf(stderr, "balancerd (pid %d?) not running\n", pid)
		return exitOK
	}
	return exitOK
}

// printDiags writes findings in the chosen format.
func printDiags(w io.Writer, format string, diags parser.Diagnostics) {
	if format == "json" {
		directives.FormatJSON(w, diags)
		return
	}
	directives.FormatText(w, diags)
}
