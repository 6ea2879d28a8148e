package proxy

import (
	"net/http"
	"time"

	"github.com/balancerd/balancerd/directives/model"
	"github.com/balancerd/balancerd/proxy/balancer"
)

// The server's extension points. Packages proxy/access, proxy/manager and
// proxy/rewrite implement them; Options carries them. Each has a nil
// default meaning "feature absent" (everything allowed, no handlers, no
// rewriting, no header rules). Every hook is called from the request path
// and must be safe for concurrent use.

// AccessInput is what an access check sees: the chosen virtual host and the
// per-directory configurations that apply to the request, in Apache's
// merge order (the server level, then <Directory> sections for a request
// served from the file system or <Proxy> sections for a proxied one, then
// <Location>/<LocationMatch> sections).
type AccessInput struct {
	Server *model.Server
	// Dirs are the DirConfigs in merge order; Dirs[0] is Server.Dir
	// (when non-nil), then one per matched section: Dirs[i+1] is
	// Sections[i].Dir (an empty DirConfig for a section without one).
	Dirs     []*model.DirConfig
	Sections []*model.Section
	// URI is the decoded, normalised request path (Apache's r->uri).
	URI string
	// FilePath is DocumentRoot+URI for a request not proxied (the file
	// Apache would serve, whose directories' .htaccess files apply); ""
	// for a proxied request.
	FilePath string
	// BackendURL is the URL a proxied request goes to ("" if not proxied),
	// e.g. "balancer://mycluster/app" or "http://b:8080/x".
	BackendURL string
	// Env is the request environment (SetEnvIf, rewrite E=, ...).
	Env map[string]string
}

// AccessResult is an access decision. Status 0 allows the request;
// otherwise the server answers Status (401 or 403, 500 for a broken
// .htaccess) with Apache's error document and Header added (e.g.
// WWW-Authenticate).
type AccessResult struct {
	Status int
	Header http.Header
	// User is the authenticated user (for logs, %u), "" if none.
	User string
}

// AccessChecker decides access for one request (Require, Order/Allow/Deny,
// Satisfy, Basic auth, .htaccess).
type AccessChecker interface {
	Check(r *http.Request, in *AccessInput) AccessResult
}

// HandlerInput is what a SetHandler handler sees.
type HandlerInput struct {
	Server *model.Server
	// Balancers are the live balancers of the virtual host, by lowercase
	// name ("balancer://mycluster"), in Server.BalancerOrder.
	Balancers map[string]*balancer.Balancer
	Registry  *balancer.Registry
	// URI is the decoded request path.
	URI string
}

// HandlerProvider serves SetHandler handlers ("balancer-manager"). It
// returns false when it does not know name (the server then answers 404,
// as Apache does for a handler no module provides... after the file
// lookup).
type HandlerProvider interface {
	ServeHandler(name string, w http.ResponseWriter, r *http.Request, in *HandlerInput) bool
}

// RewriteInput is what the rewrite phase sees.
type RewriteInput struct {
	Server *model.Server
	// Config is the mod_rewrite configuration to run (server level, or a
	// per-directory one when Phase is "dir").
	Config *model.RewriteConfig
	Phase  string // "server" (translate phase, before ProxyPass) or "dir"
	URI    string // decoded request path
	Env    map[string]string
}

// RewriteResult is what the rewrite phase decided. The zero value changes
// nothing.
type RewriteResult struct {
	// Status ends the request: 3xx redirect (with Location), 403 [F],
	// 410 [G]. 0 = continue.
	Status   int
	Location string
	// Proxy is an absolute URL to proxy the request to ([P]), query
	// included; it bypasses ProxyPass mapping.
	Proxy string
	// URI, when non-empty, replaces the request path for the following
	// phases ([PT] or an internal rewrite); RawQuery and QuerySet replace
	// the query string.
	URI      string
	RawQuery string
	QuerySet bool
	// Env is added to the request environment ([E=VAR:VAL]).
	Env map[string]string
	// Cookies are Set-Cookie values to add to the response ([CO=]).
	Cookies []string
	// Trace lists the rules that ran, for Explain (optional).
	Trace []string
}

// Rewriter runs mod_rewrite rules.
type Rewriter interface {
	Rewrite(r *http.Request, in *RewriteInput) RewriteResult
}

// HeaderRules applies mod_headers rules. Request rules (RequestHeader) run
// before the request is forwarded, with the environment known then;
// response rules (Header) run on the response with the final environment
// (BALANCER_* included). status is the response status ("onsuccess" rules
// apply to 2xx only; "always" rules to every response).
type HeaderRules interface {
	ApplyRequest(rules []model.HeaderRule, h http.Header, env map[string]string)
	ApplyResponse(rules []model.HeaderRule, h http.Header, env map[string]string, status int, req http.Header)
}

// HeaderRulesOrigin is an optional extension of HeaderRules: when the
// implementation has it, the server calls ApplyResponseOrigin instead of
// ApplyResponse and says whether the response came from a backend
// (proxied, any status) or was generated locally (error page, redirect,
// handler), which decides whether "onsuccess" rules apply.
type HeaderRulesOrigin interface {
	ApplyResponseOrigin(rules []model.HeaderRule, h http.Header, env map[string]string, status int, proxied bool, req http.Header)
}

// LogEntry describes one finished request for access logging
// (mod_log_config's view of it).
type LogEntry struct {
	Request *http.Request
	// Server is the virtual host that served the request.
	Server *model.Server
	// Start is when the request was received; Duration how long serving it
	// took.
	Start    time.Time
	Duration time.Duration
	// Status is the final status sent; 0 when the client went away
	// before any response.
	Status int
	// Bytes is the response body size sent (%B); HeaderBytes the size of
	// the status line and headers (so %O is HeaderBytes+Bytes);
	// RequestBytes the request line, headers and body read (%I).
	Bytes, HeaderBytes, RequestBytes int64
	// Header is the response header as sent.
	Header http.Header
	// Env is the request environment (BALANCER_*, rewrite E=, ...).
	Env map[string]string
	// User is the authenticated user (%u), "" if none.
	User string
	// Handler is the handler that served the request (%R): "proxy-server",
	// a SetHandler name, or "" for the core.
	Handler string
	// Backend is the backend URL used, "" if not proxied.
	Backend string
}
