package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/balancerd/balancerd/proxy"
	"github.com/balancerd/balancerd/proxy/stack"
	"github.com/spf13/pflag"
)

// runExplain implements "balancerd explain": it loads the configuration,
// builds the server without listening, and prints how it would route one
// request, from the same decision code the server runs.
func runExplain(args []string, stdout, stderr io.Writer) int {
	o := &options{}
	fs := pflag.NewFlagSet("balancerd explain", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVarP(&o.configFile, "config", "f", defaultConfigFile, "main configuration `FILE`")
	fs.StringVarP(&o.serverRoot, "server-root", "d", defaultServerRoot, "initial ServerRoot `DIR`")
	fs.StringArrayVarP(&o.defines, "define", "D", nil, "define parameter `NAME`")
	fs.StringVar(&o.envvars, "envvars", "", "source `FILE`'s export lines")
	fs.StringArrayVar(&o.listen, "listen", nil, "take the request to arrive on `ADDR` (as serve --listen)")
	fs.StringVar(&o.format, "format", "text", "output `FORMAT`: text or json")
	var headers []string
	var method string
	fs.StringArrayVarP(&headers, "header", "H", nil, "request header `'Name: value'` (repeatable)")
	fs.StringVarP(&method, "method", "X", "GET", "request `METHOD`")
	help := fs.BoolP("help", "h", false, "show this help")
	if err := fs.Parse(args); err != nil {
		fmt.Fprintf(stderr, "balancerd explain: %v\n", err)
		return exitUsage
	}
	if *help {
		fmt.Fprintln(stdout, "Usage: balancerd explain [-f FILE] [-d DIR] [-D NAME]... [-H 'Name: value']... [-X METHOD] [--format text|json] URL")
		fmt.Fprint(stdout, fs.FlagUsages())
		return exitOK
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "balancerd explain: give exactly one URL, e.g. http://www.example.com/path")
		return exitUsage
	}
	if o.format != "text" && o.format != "json" {
		fmt.Fprintf(stderr, "balancerd explain: --format must be text or json, not %q\n", o.format)
		return exitUsage
	}
	o.configSet = fs.Changed("config")
	cfg, lo := load(o, stderr)
	if cfg == nil {
		return exitError
	}
	srv, err := stack.New(cfg, lo, proxy.Options{ListenOverride: o.listen, ErrorLog: io.Discard})
	if err != nil {
		fmt.Fprintf(stderr, "balancerd explain: %v\n", err)
		return exitError
	}
	ex, err := srv.ExplainURL(method, fs.Arg(0), headers)
	if err != nil {
		fmt.Fprintf(stderr, "balancerd %v\n", err)
		return exitUsage
	}
	if o.format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(ex); err != nil {
			fmt.Fprintf(stderr, "balancerd explain: %v\n", err)
			return exitError
		}
		return exitOK
	}
	if err := ex.WriteText(stdout); err != nil {
		fmt.Fprintf(stderr, "balancerd explain: %v\n", err)
		return exitError
	}
	return exitOK
}
