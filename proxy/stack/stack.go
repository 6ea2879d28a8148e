// Package stack assembles a complete balancerd server: the proxy runtime
// (package proxy) with access control and Basic auth (proxy/access), the
// balancer-manager (proxy/manager) and the mod_rewrite / mod_headers subset
// (proxy/rewrite) plugged into its hooks.
//
// Package proxy cannot import those packages (they are built around its
// model, not the other way round), so this is the one place that knows the
// whole product. The CLI, `balancerd explain`, the demo and the conformance
// suite all build their servers here, so they run the same code.
package stack

import (
	"net/http"
	"sync"
	"time"

	"github.com/balancerd/balancerd/directives/model"
	"github.com/balancerd/balancerd/proxy"
	"github.com/balancerd/balancerd/proxy/access"
	"github.com/balancerd/balancerd/proxy/manager"
	"github.com/balancerd/balancerd/proxy/rewrite"
)

// ServerVersion is what the balancer-manager page and error pages name.
const ServerVersion = "Apache/2.4.67 (balancerd)"

// New builds a server for cfg with every hook of opts that is nil filled in
// with balancerd's implementation. Hooks already set in opts are kept (tests
// replace one at a time).
func New(cfg *model.Config, opts proxy.Options) (*proxy.Server, error) {
	if opts.Access == nil {
		opts.Access = NewAccess()
	}
	if opts.Handlers == nil {
		opts.Handlers = NewHandlers()
	}
	if opts.Rewrite == nil {
		opts.Rewrite = NewRewriter()
	}
	if opts.Headers == nil {
		opts.Headers = Headers{}
	}
	return proxy.New(cfg, opts)
}

// Access adapts access.Checker to proxy.AccessChecker. Compiled policies are
// cached per combination of configuration levels, so a request compiles
// nothing after the first one of its kind.
type Access struct {
	Checker  access.Checker
	policies sync.Map // levelsKey -> *access.Policy
}

// levelsKey identifies a combination of configuration levels. The map key
// holds the pointers, so a cached level is never collected and its address
// never reused while the cache refers to it. A reload builds new levels;
// the old entries are small and bounded by the configurations loaded.
type levelsKey [8]*model.Access

// NewAccess returns an Access that uses the system resolver for host-based
// rules.
func NewAccess() *Access {
	return &Access{Checker: access.Checker{Resolver: access.DefaultResolver}}
}

// Check implements proxy.AccessChecker.
func (a *Access) Check(r *http.Request, in *proxy.AccessInput) proxy.AccessResult {
	var levels []*model.Access
	var key levelsKey
	for _, d := range in.Dirs {
		if d == nil || d.Access == nil {
			continue
		}
		if len(levels) < len(key) {
			key[len(levels)] = d.Access
		}
		levels = append(levels, d.Access)
	}
	if len(levels) == 0 {
		return proxy.AccessResult{}
	}
	var policy *access.Policy
	if p, ok := a.policies.Load(key); ok && len(levels) <= len(key) {
		policy = p.(*access.Policy)
	} else {
		policy = access.Compile(levels...)
		if len(levels) <= len(key) {
			a.policies.Store(key, policy)
		}
	}
	if policy.Empty() {
		return proxy.AccessResult{}
	}
	req := access.FromHTTP(r)
	req.URI = in.URI
	switch {
	case in.FilePath != "":
		req.Filename = in.FilePath
	case in.BackendURL != "":
		req.Filename = "proxy:" + in.BackendURL
	}
	if in.Env != nil {
		env := in.Env
		req.Env = func(name string) (string, bool) { v, ok := env[name]; return v, ok }
	}
	res := a.Checker.Check(r.Context(), policy, &req)
	return proxy.AccessResult{Status: res.Status, Header: res.Header, User: res.User}
}

// Handlers serves SetHandler handlers: balancer-manager.
type Handlers struct {
	Manager *manager.Manager
}

// NewHandlers returns the handler set with one process-wide manager (so
// nonces stay stable across requests and reloads).
func NewHandlers() *Handlers {
	return &Handlers{Manager: &manager.Manager{ServerVersion: ServerVersion}}
}

// ServeHandler implements proxy.HandlerProvider.
func (h *Handlers) ServeHandler(name string, w http.ResponseWriter, r *http.Request, in *proxy.HandlerInput) bool {
	if name != manager.HandlerName {
		return false
	}
	h.Manager.ServeHTTP(w, r, manager.ViewOf(in.Server, in.Balancers))
	return true
}

// Rewriter adapts rewrite.Engine to proxy.Rewriter; engines are compiled
// once per RewriteConfig.
type Rewriter struct {
	engines sync.Map // *model.RewriteConfig -> *rewrite.Engine
	// Now is the clock for cookie expiry and TIME_* variables (nil: time.Now).
	Now func() time.Time
}

// NewRewriter returns a Rewriter on the system clock.
func NewRewriter() *Rewriter { return &Rewriter{} }

// Rewrite implements proxy.Rewriter.
func (rw *Rewriter) Rewrite(r *http.Request, in *proxy.RewriteInput) proxy.RewriteResult {
	if in.Config == nil || !in.Config.Engine {
		return proxy.RewriteResult{}
	}
	var eng *rewrite.Engine
	if e, ok := rw.engines.Load(in.Config); ok {
		eng = e.(*rewrite.Engine)
	} else {
		eng = rewrite.New(in.Config)
		rw.engines.Store(in.Config, eng)
	}
	now := time.Now()
	if rw.Now != nil {
		now = rw.Now()
	}
	env := map[string]string{}
	for k, v := range in.Env {
		env[k] = v
	}
	req := rewrite.FromHTTP(r, env, now)
	req.Path = in.URI
	if in.Server != nil {
		req.ServerName = in.Server.ServerName
		req.ServerPort = in.Server.ServerPort
		req.DocumentRoot = in.Server.DocumentRoot
	}
	out := eng.Run(req)
	res := proxy.RewriteResult{
		Status:   out.Status,
		Location: out.Location,
		Proxy:    out.Proxy,
		Cookies:  out.Cookies,
		Trace:    out.Trace,
	}
	if out.Changed && out.Proxy == "" {
		res.URI = out.Path
		res.RawQuery = out.RawQuery
		res.QuerySet = true
	}
	for k, v := range req.Env {
		if old, ok := in.Env[k]; !ok || old != v {
			if res.Env == nil {
				res.Env = map[string]string{}
			}
			res.Env[k] = v
		}
	}
	return res
}

// Headers adapts the mod_headers subset to proxy.HeaderRules.
type Headers struct{}

// ApplyRequest implements proxy.HeaderRules.
func (Headers) ApplyRequest(rules []model.HeaderRule, h http.Header, env map[string]string) {
	if len(rules) == 0 {
		return
	}
	now := time.Now()
	rewrite.ApplyRequest(rules, h, &rewrite.HeaderContext{Env: env, Request: h, Start: now, Now: now})
}

// ApplyResponse implements proxy.HeaderRules.
func (Headers) ApplyResponse(rules []model.HeaderRule, h http.Header, env map[string]string, status int, req http.Header) {
	if len(rules) == 0 {
		return
	}
	now := time.Now()
	kind := rewrite.Proxied
	if status >= 400 && env["balancerd-local"] != "" {
		kind = rewrite.LocalError
	}
	rewrite.ApplyResponse(rules, h, &rewrite.HeaderContext{Env: env, Request: req, Start: now, Now: now}, kind)
}
