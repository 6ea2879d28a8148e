package main

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/pflag"
)

// version is the balancerd release; ApacheVersion is the httpd version
// balancerd answers as (<IfVersion>, -v).
const (
	version       = "0.1.0"
	apacheVersion = "2.4.67"
)

// options are the parsed command-line flags.
type options struct {
	configFile   string   // -f
	configSet    bool     // -f given explicitly
	serverRoot   string   // -d
	defines      []string // -D
	before       []string // -C
	after        []string // -c
	check        bool     // -t
	dumpVHosts   bool     // -S
	dumpModules  bool     // -M
	dumpIncludes bool     // -D DUMP_INCLUDES with -t
	version      bool     // -v
	help         bool     // -h
	signal       string   // -k
	format       string   // --format
	backends     []string // --backend
	root         string   // --root
	noFiles      bool     // --no-files
	disable      []string // --disable
	envvars      string   // --envvars
	listen       []string // --listen
	pidFile      string   // --pidfile
}

// Defaults that match Debian's apache2 build (HTTPD_ROOT, SERVER_CONFIG_FILE).
const (
	defaultServerRoot = "/etc/apache2"
	defaultConfigFile = "apache2.conf"
)

func newFlagSet(o *options) *pflag.FlagSet {
	fs := pflag.NewFlagSet("balancerd", pflag.ContinueOnError)
	fs.SortFlags = false
	fs.StringVarP(&o.configFile, "config", "f", defaultConfigFile, "main configuration `FILE` (relative to ServerRoot)")
	fs.StringVarP(&o.serverRoot, "server-root", "d", defaultServerRoot, "initial ServerRoot `DIR`")
	fs.StringArrayVarP(&o.defines, "define", "D", nil, "define parameter `NAME` for <IfDefine> (repeatable)")
	fs.StringArrayVarP(&o.before, "pre-directive", "C", nil, "process `DIRECTIVE` before reading the config files")
	fs.StringArrayVarP(&o.after, "directive", "c", nil, "process `DIRECTIVE` after reading the config files")
	fs.StringVar(&o.envvars, "envvars", "", "source `FILE`'s export NAME=value lines (Debian's /etc/apache2/envvars)")
	fs.BoolVarP(&o.check, "check", "t", false, "check the configuration (syntax and lint rules) and exit")
	fs.StringVar(&o.format, "format", "text", "findings `FORMAT` for --check: text or json")
	fs.StringArrayVar(&o.backends, "backend", nil, "backend vhost `FILE` to cross-check route cookies against (repeatable)")
	fs.StringVar(&o.root, "root", "", "with --check, find the files the config names (AuthUserFile, .htaccess) under `DIR` (a copy of the target machine's tree)")
	fs.BoolVar(&o.noFiles, "no-files", false, "with --check, skip the checks that read files the config names (password files, .htaccess)")
	fs.StringSliceVar(&o.disable, "disable", nil, "with --check, suppress findings with these lint `CODES` (comma-separated)")
	fs.BoolVarP(&o.dumpVHosts, "vhosts", "S", false, "show the parsed virtual hosts and balancers and exit")
	fs.BoolVarP(&o.dumpModules, "modules", "M", false, "show the loaded modules and exit")
	fs.StringArrayVar(&o.listen, "listen", nil, "listen on `ADDR` instead of the config's Listen directives (repeatable)")
	fs.StringVarP(&o.signal, "signal", "k", "", "signal a running server: `start`|stop|restart|graceful|graceful-stop")
	fs.StringVar(&o.pidFile, "pidfile", "", "PID `FILE` (default: the config's PidFile)")
	fs.BoolVarP(&o.version, "version", "v", false, "show the version and exit")
	fs.BoolVarP(&o.help, "help", "h", false, "show this help and exit")
	return fs
}

// parseFlags parses args. On error it prints a usage message and returns a
// nil options with the exit code to use.
func parseFlags(args []string, stdout, stderr io.Writer) (*options, int) {
	o := &options{}
	fs := newFlagSet(o)
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		fmt.Fprintf(stderr, "balancerd: %v\n", err)
		fmt.Fprintln(stderr, "Run 'balancerd --help' for usage.")
		return nil, exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "balancerd: unexpected argument %q\n", fs.Arg(0))
		fmt.Fprintln(stderr, "Run 'balancerd --help' for usage.")
		return nil, exitUsage
	}
	o.configSet = fs.Changed("config")
	switch o.format {
	case "text", "json":
	default:
		fmt.Fprintf(stderr, "balancerd: --format must be text or json, not %q\n", o.format)
		return nil, exitUsage
	}
	switch o.signal {
	case "", "start", "stop", "restart", "graceful", "graceful-stop":
	default:
		fmt.Fprintf(stderr, "balancerd: -k must be one of start, stop, restart, graceful, graceful-stop; not %q\n", o.signal)
		return nil, exitUsage
	}
	// httpd: "-t -D DUMP_VHOSTS" is -S, "-t -D DUMP_MODULES" is -M.
	var defs []string
	for _, d := range o.defines {
		switch d {
		case "DUMP_VHOSTS", "DUMP_RUN_CFG":
			o.dumpVHosts = o.dumpVHosts || d == "DUMP_VHOSTS"
		case "DUMP_MODULES":
			o.dumpModules = true
		case "DUMP_INCLUDES":
			o.dumpIncludes = true
		}
		defs = append(defs, d)
	}
	if o.dumpVHosts {
		// httpd -S is -t -D DUMP_VHOSTS -D DUMP_RUN_CFG: the parameters
		// are defined (for <IfDefine>) and listed at the end of the report.
		for _, d := range []string{"DUMP_VHOSTS", "DUMP_RUN_CFG"} {
			if !slices.Contains(defs, d) {
				defs = append(defs, d)
			}
		}
	}
	o.defines = defs
	if (len(o.backends) > 0 || o.root != "" || o.noFiles || len(o.disable) > 0) && !o.check {
		fmt.Fprintln(stderr, "balancerd: --backend, --root, --no-files and --disable are only meaningful with --check")
		return nil, exitUsage
	}
	return o, exitOK
}

func printVersion(w io.Writer) {
	fmt.Fprintf(w, "balancerd version: %s\n", version)
	fmt.Fprintf(w, "Server version: Apache/%s (balancerd compatible)\n", apacheVersion)
}

const usageHead = `Usage: balancerd [-f FILE] [-d SERVERROOT] [-D NAME]... [-C DIRECTIVE]... [-c DIRECTIVE]...
                 [--envvars FILE] [--listen ADDR]... [-t [--format text|json] [--backend FILE]...]
                 [-S] [-M] [-v] [-k start|stop|restart|graceful|graceful-stop]
       balancerd demo [--listen ADDR]
       balancerd explain [-f FILE] [-H 'Name: value']... [--format text|json] URL

balancerd reads an Apache httpd 2.4 configuration (mod_proxy_balancer and
friends) and serves it the way Apache would. Without -t/-S/-M/-v/-k it serves.

Commands:
  demo       run the classic mod_proxy_balancer setup on localhost: two backends
             that set the BALANCEID route cookie and a sticky load balancer with a
             password-protected /balancer-manager
  explain    print how the server would route one request: virtual host,
             ProxyPass rule, balancer, sticky route, every member considered

Options:
`

const usageTail = `
Exit status: 0 on success ("Syntax OK"), 1 when the configuration has errors or
the server fails, 2 on a bad command line.

Examples:
  balancerd -t -f /etc/apache2/apache2.conf --envvars /etc/apache2/envvars
  balancerd --check -f lb.conf --backend http1.conf --backend http2.conf
  balancerd -f /etc/apache2/sites-available/default --listen 127.0.0.1:8080
  balancerd explain -f lb.conf -H 'Cookie: BALANCEID=balancer.http1' http://www.example.com/
`

func printUsage(w io.Writer) {
	o := &options{}
	fs := newFlagSet(o)
	fmt.Fprint(w, usageHead)
	fmt.Fprint(w, strings.TrimRight(fs.FlagUsagesWrapped(100), "\n")+"\n")
	fmt.Fprint(w, usageTail)
}
