// Package stack assembles a complete balancerd server: the proxy runtime
// (package proxy) with access control, Basic auth and .htaccess files
// (proxy/access, directives.HTAccessLoader), the balancer-manager
// (proxy/manager) and the mod_rewrite / mod_headers subset (proxy/rewrite)
// plugged into its hooks.
//
// Package proxy cannot import those packages (they implement its hook
// interfaces), so this is the one place that knows the whole product. The
// CLI, `balancerd explain`, the demo and the conformance suite all build
// their servers here, so they run the same code.
package stack

import (
	"fmt"
	"io"
	"net/http"
	"os"

	"github.com/balancerd/balancerd/directives"
	"github.com/balancerd/balancerd/directives/model"
	"github.com/balancerd/balancerd/proxy"
	"github.com/balancerd/balancerd/proxy/access"
	"github.com/balancerd/balancerd/proxy/manager"
	"github.com/balancerd/balancerd/proxy/rewrite"
)

// ServerVersion is what the balancer-manager page names as the server.
const ServerVersion = "Apache/2.4.67 (balancerd)"

// New builds a server for cfg with every hook of opts that is nil filled in
// with balancerd's implementation. Hooks already set in opts are kept (tests
// replace one at a time). load are the options cfg was read with: .htaccess
// files are read with the same ServerRoot, defines and ${VAR} environment,
// as Apache reads them.
func New(cfg *model.Config, load directives.LoadOptions, opts proxy.Options) (*proxy.Server, error) {
	elog := opts.ErrorLog
	if elog == nil {
		elog = os.Stderr
	}
	if opts.Access == nil {
		opts.Access = &access.Hook{
			Checker:  &access.Checker{Resolver: access.DefaultResolver},
			HTAccess: (&directives.HTAccessLoader{Options: load}).Load,
			Logf:     errorLogf(elog),
		}
	}
	if opts.Handlers == nil {
		opts.Handlers = &manager.Handlers{Manager: &manager.Manager{
			ServerVersion: ServerVersion,
			Logf:          func(format string, args ...any) { fmt.Fprintf(elog, format+"\n", args...) },
		}}
	}
	hook := &rewrite.Hook{}
	if opts.Rewrite == nil {
		opts.Rewrite = hook
	}
	if opts.Headers == nil {
		opts.Headers = hook
	}
	return proxy.New(cfg, opts)
}

// errorLogf writes access-control messages to the error log with the
// client address, as Apache's [client IP:port] field does.
func errorLogf(w io.Writer) func(r *http.Request, format string, args ...any) {
	return func(r *http.Request, format string, args ...any) {
		fmt.Fprintf(w, "[client %s] %s\n", r.RemoteAddr, fmt.Sprintf(format, args...))
	}
}
