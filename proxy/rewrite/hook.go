package rewrite

import (
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/balancerd/balancerd/directives/model"
	"github.com/balancerd/balancerd/proxy"
)

// Hook adapts the rewrite engine and mod_headers to the proxy's Rewriter
// and HeaderRules hooks. The zero value is ready; engines are compiled
// once per RewriteConfig.
type Hook struct {
	// Now is the clock for TIME_* variables and cookie expiry; nil means
	// time.Now.
	Now func() time.Time

	engines sync.Map // *model.RewriteConfig → *Engine
}

var (
	_ proxy.Rewriter    = (*Hook)(nil)
	_ proxy.HeaderRules = (*Hook)(nil)
)

func (h *Hook) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

type engineKey struct {
	cfg    *model.RewriteConfig
	perDir bool
}

// Engine returns the compiled engine of cfg (per-directory semantics when
// perDir).
func (h *Hook) Engine(cfg *model.RewriteConfig, perDir bool) *Engine {
	k := engineKey{cfg, perDir}
	if e, ok := h.engines.Load(k); ok {
		return e.(*Engine)
	}
	e := New(cfg)
	e.PerDir = perDir
	v, _ := h.engines.LoadOrStore(k, e)
	return v.(*Engine)
}

// Rewrite implements proxy.Rewriter.
func (h *Hook) Rewrite(r *http.Request, in *proxy.RewriteInput) proxy.RewriteResult {
	if in.Config == nil || !in.Config.Engine {
		return proxy.RewriteResult{}
	}
	env := map[string]string{}
	for k, v := range in.Env {
		env[k] = v
	}
	req := FromHTTP(r, env, h.now())
	req.Path = in.URI
	if in.Server != nil {
		req.ServerName, req.ServerPort, req.DocumentRoot = in.Server.ServerName, in.Server.ServerPort, in.Server.DocumentRoot
	}
	perDir := in.Phase == "dir"
	if perDir && in.Server != nil && in.Server.DocumentRoot != "" {
		// r->filename of a request mapped to the file system. (A proxied
		// request's is "proxy:URL"; RewriteInput does not carry it yet.)
		req.Filename = strings.TrimSuffix(in.Server.DocumentRoot, "/") + in.URI
	}
	out := h.Engine(in.Config, perDir).Run(req)
	res := proxy.RewriteResult{Status: out.Status, Location: out.Location, Proxy: out.Proxy, Cookies: out.Cookies, Trace: out.Trace}
	if out.Changed || out.PassThrough {
		res.URI = out.Path
	}
	if out.RawQuery != r.URL.RawQuery {
		res.RawQuery, res.QuerySet = out.RawQuery, true
	}
	for k, v := range env {
		if old, ok := in.Env[k]; !ok || old != v {
			if res.Env == nil {
				res.Env = map[string]string{}
			}
			res.Env[k] = v
		}
	}
	return res
}

// ApplyRequest implements proxy.HeaderRules (RequestHeader).
func (h *Hook) ApplyRequest(rules []model.HeaderRule, hdr http.Header, env map[string]string) {
	ApplyRequest(rules, hdr, &HeaderContext{Env: env, Now: h.now()})
}

// ApplyResponse implements proxy.HeaderRules (Header). The proxy does not
// say whether the response came from a backend; a status of 300 or more
// counts as proxied when the request was balanced (BALANCER_WORKER_NAME is
// set), else as locally generated (error page or rewrite redirect), to
// which only "always" rules apply. Callers that know should use
// ApplyResponseKind, or FinishResponse for Apache's header order.
func (h *Hook) ApplyResponse(rules []model.HeaderRule, hdr http.Header, env map[string]string, status int, req http.Header) {
	kind := LocalSuccess
	if status >= 300 {
		kind = LocalError
		if _, ok := env["BALANCER_WORKER_NAME"]; ok {
			kind = Proxied
		}
	}
	h.ApplyResponseKind(rules, hdr, env, kind, req)
}

// ApplyResponseKind applies Header rules to a response of a known kind.
func (h *Hook) ApplyResponseKind(rules []model.HeaderRule, hdr http.Header, env map[string]string, kind ResponseKind, req http.Header) {
	ApplyResponse(rules, hdr, &HeaderContext{Env: env, Request: req, Now: h.now()}, kind)
}

var _ proxy.HeaderRulesOrigin = (*Hook)(nil)

// ApplyResponseOrigin implements proxy.HeaderRulesOrigin: the server says
// whether the response came from a backend. Proxied responses of any status
// get the "onsuccess" rules (Apache's default table applies to what
// mod_proxy passes through); locally generated ones only below 300.
func (h *Hook) ApplyResponseOrigin(rules []model.HeaderRule, hdr http.Header, env map[string]string, status int, proxied bool, req http.Header) {
	kind := LocalSuccess
	switch {
	case proxied:
		kind = Proxied
	case status >= 300:
		kind = LocalError
	}
	h.ApplyResponseKind(rules, hdr, env, kind, req)
}
