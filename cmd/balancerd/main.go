// Command balancerd is a drop-in replacement for an Apache httpd 2.4 load
// balancer built on mod_proxy_balancer: it reads the Apache configuration
// files as they are and serves them the way Apache would.
//
// This package is wiring only: flags, exit codes and output. The work is done
// by packages parser, directives and proxy.
package main

import (
	"io"
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// Exit codes, as apachectl uses them.
const (
	exitOK    = 0 // success, or "Syntax OK"
	exitError = 1 // the configuration has errors, or the server failed
	exitUsage = 2 // bad command line
)

// run is the whole program with its environment passed in, so that tests
// can check output and exit codes without os.Exit.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "demo":
			return runDemo(args[1:], stdout, stderr)
		case "explain":
			return runExplain(args[1:], stdout, stderr)
		case "help":
			printUsage(stdout)
			return exitOK
		}
	}
	opts, code := parseFlags(args, stdout, stderr)
	if opts == nil {
		return code
	}
	switch {
	case opts.help:
		printUsage(stdout)
		return exitOK
	case opts.version:
		printVersion(stdout)
		return exitOK
	case opts.signal != "":
		return runSignal(opts, stdout, stderr)
	case opts.check || opts.dumpVHosts || opts.dumpModules || opts.dumpIncludes:
		return runCheck(opts, stdout, stderr)
	default:
		return runServe(opts, stdout, stderr)
	}
}
