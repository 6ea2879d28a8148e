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
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync/atomic"

	"github.com/balancerd/balancerd/directives"
	"github.com/balancerd/balancerd/directives/model"
	"github.com/balancerd/balancerd/proxy"
	"github.com/balancerd/balancerd/proxy/access"
	"github.com/balancerd/balancerd/proxy/accesslog"
	"github.com/balancerd/balancerd/proxy/manager"
	"github.com/balancerd/balancerd/proxy/rewrite"
)

// ServerVersion is what the balancer-manager page names as the server.
const ServerVersion = "Apache/2.4.67 (balancerd)"

// ServerHeader is the Server header of responses balancerd generates
// itself (proxied responses keep the backend's, as with Apache).
const ServerHeader = "balancerd"

// Server is a proxy.Server with the resources balancerd opens for its
// configuration: the access logs (CustomLog), reopened on every reload.
type Server struct {
	*proxy.Server
	logs atomic.Pointer[accesslog.Logger] // nil when opts.AccessLog was given
}

// New builds a server for cfg with every hook of opts that is nil filled in
// with balancerd's implementation. Hooks already set in opts are kept (tests
// replace one at a time). load are the options cfg was read with: .htaccess
// files are read with the same ServerRoot, defines and ${VAR} environment,
// as Apache reads them. The CustomLog files and pipes of cfg are opened
// unless opts.AccessLog is set.
func New(cfg *model.Config, load directives.LoadOptions, opts proxy.Options) (*Server, error) {
	s := &Server{}
	if opts.AccessLog == nil {
		logs, err := accesslog.Open(cfg)
		if err != nil {
			return nil, err
		}
		s.logs.Store(logs)
		opts.AccessLog = func(e *proxy.LogEntry) { s.logs.Load().Log(e) }
		opts.AccessLogEnabled = hasCustomLogs
	}
	if opts.ServerHeader == "" {
		opts.ServerHeader = ServerHeader
	}
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
	srv, err := proxy.New(cfg, opts)
	if err != nil {
		if l := s.logs.Load(); l != nil {
			l.Close()
		}
		return nil, err
	}
	s.Server = srv
	return s, nil
}

// Reload swaps in a new configuration (see proxy.Server.Reload) with its
// access logs. If the new logs cannot be opened the old configuration
// keeps serving and the error is returned.
func (s *Server) Reload(cfg *model.Config) error {
	old := s.logs.Load()
	if old == nil {
		return s.Server.Reload(cfg)
	}
	logs, err := accesslog.Open(cfg)
	if err != nil {
		return err
	}
	if err := s.Server.Reload(cfg); err != nil {
		logs.Close()
		return err
	}
	s.logs.Store(logs)
	// Requests still logging to the old files finish their write under the
	// output's lock; closing after the swap loses at most lines of requests
	// that were still in flight, as a graceful Apache restart may.
	old.Close()
	return nil
}

// Shutdown stops the server gracefully (see proxy.Server.Shutdown) and
// then closes the access logs.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.Server.Shutdown(ctx)
	if l := s.logs.Load(); l != nil {
		l.Close()
	}
	return err
}

// errorLogf writes access-control messages to the error log with the
// client address, as Apache's [client IP:port] field does.
func errorLogf(w io.Writer) func(r *http.Request, format string, args ...any) {
	return func(r *http.Request, format string, args ...any) {
		fmt.Fprintf(w, "[client %s] %s\n", r.RemoteAddr, fmt.Sprintf(format, args...))
	}
}

// hasCustomLogs reports whether any server of cfg writes an access log.
func hasCustomLogs(cfg *model.Config) bool {
	if cfg.Main != nil && len(cfg.Main.CustomLogs) > 0 {
		return true
	}
	for _, vh := range cfg.VirtualHosts {
		if len(vh.CustomLogs) > 0 {
			return true
		}
	}
	return false
}
