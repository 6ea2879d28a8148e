package main

import (
	"fmt"
	"io"
	"sort"

	"github.com/balancerd/balancerd/directives"
	"github.com/balancerd/balancerd/directives/model"
	"github.com/balancerd/balancerd/parser"
)

// runCheck implements -t/--check, -S and -M: build everything, start
// nothing. Findings go to stderr in text form (as apache2 -t prints its
// errors and "Syntax OK"), or to stdout as one JSON array with
// --format json; the -S and -M reports go to stdout. The exit status is 1
// when there is any error, warnings alone keep it 0.
func runCheck(o *options, stdout, stderr io.Writer) int {
	lo, err := o.loadOptions()
	if err != nil {
		fmt.Fprintf(stderr, "balancerd: %v\n", err)
		return exitError
	}
	var (
		cfg   *model.Config
		res   *parser.Result
		diags parser.Diagnostics
	)
	if o.dumpVHosts || o.dumpModules || o.dumpIncludes || !o.check {
		cfg, res, diags = directives.Load(o.configPath(), lo)
	}
	if o.check {
		diags = directives.Check(o.configPath(), directives.CheckOptions{
			Load: lo,
			Lint: directives.LintOptions{BackendFiles: o.backends, Root: o.root, NoFiles: o.noFiles, Disable: o.disable},
		})
	}

	out := stderr
	if o.format == "json" {
		out = stdout
	}
	printDiags(out, o.format, diags)
	if diags.HasErrors() {
		return exitError
	}
	if o.dumpIncludes && res != nil {
		printIncludes(stdout, res)
	}
	if o.dumpModules && cfg != nil {
		fmt.Fprintln(stdout, "Loaded Modules:")
		mods := append([]string(nil), cfg.Modules...)
		sort.Strings(mods)
		for _, m := range mods {
			fmt.Fprintf(stdout, " %s\n", m)
		}
	}
	if o.dumpVHosts && cfg != nil {
		printVHosts(stdout, cfg, o.defines)
	}
	if o.format == "text" && (o.check || o.dumpIncludes) {
		fmt.Fprintln(stderr, "Syntax OK")
	}
	return exitOK
}

// printIncludes lists the files read, as -t -D DUMP_INCLUDES does.
func printIncludes(w io.Writer, res *parser.Result) {
	fmt.Fprintln(w, "Included configuration files:")
	for i, f := range res.Files {
		if i == 0 {
			fmt.Fprintf(w, "  (*) %s\n", f)
			continue
		}
		fmt.Fprintf(w, "    %s\n", f)
	}
}
