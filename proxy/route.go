package proxy

import (
	"net/http"
	"path"
	"strconv"
	"strings"

	"github.com/balancerd/balancerd/directives/model"
	"github.com/balancerd/balancerd/proxy/balancer"
)

// route is the server's decision for one request before any backend is
// contacted: the virtual host, the per-directory configuration, and what
// serves the request (an error status, a handler, or a backend URL). The
// handler and Explain both get it from decide, so what explain prints is
// what the server does.
type route struct {
	vh       *vhost
	uri      string // decoded, normalised path (r->uri)
	rawQuery string

	status   int    // non-zero: answer with this status
	reason   string // for proxy errors and logs
	location string // redirect target when status is 3xx
	allow    string // Allow header for 405

	handler string // SetHandler of the merged per-dir config

	rule     *model.ProxyPassRule
	excluded bool
	// target is the backend URL: "http://h:p/path?q" for a worker,
	// "balancer://name/path?q" for a balancer.
	target  string
	bal     *balancer.Balancer
	balRest string // path?query after the balancer name, starts with "/"
	worker  *workerRT

	dirs     []*model.DirConfig
	sections []*model.Section
	filePath string
	slashes  string // AllowEncodedSlashes of the vhost (dirsettings.go)
	// s and sn serve local-path ErrorDocuments (static.go).
	s  *Server
	sn *snapshot

	env     map[string]string
	cookies []string
}

// proxied reports whether the request goes to a backend.
func (rt *route) proxied() bool { return rt.status == 0 && rt.target != "" }

// setEnv records a request environment variable.
func (rt *route) setEnv(k, v string) {
	if rt.env == nil {
		rt.env = make(map[string]string, 8)
	}
	rt.env[k] = v
}

// localAddr is the local address the request arrived on.
func localAddr(r *http.Request) string {
	if a, ok := r.Context().Value(http.LocalAddrContextKey).(interface{ String() string }); ok && a != nil {
		return a.String()
	}
	return ""
}

// decide runs Apache's request phases up to the handler: vhost selection
// (spec 2.3), URI normalisation, the server-level rewrite phase, ProxyPass
// mapping (3.3, 3.4) and the per-directory walk. ex, when non-nil,
// records every step.
func (s *Server) decide(sn *snapshot, r *http.Request, ex *Explanation) route {
	var rt route
	rt.s, rt.sn = s, sn
	rt.vh = sn.selectVHost(localAddr(r), r.Host, ex)
	srv := rt.vh.srv

	if r.Method == http.MethodConnect {
		rt.status, rt.allow = http.StatusMethodNotAllowed, "GET,POST,OPTIONS,HEAD,TRACE"
		rt.reason = "CONNECT is not allowed (ProxyRequests Off)"
		return rt
	}
	if r.RequestURI == "*" {
		rt.status = http.StatusOK
		rt.reason = "OPTIONS * answered by the core"
		return rt
	}
	ep := r.URL.EscapedPath()
	if ep == "" {
		ep = "/" // "GET http://host HTTP/1.1"
	}
	rt.slashes = encodedSlashes(sn.main.srv, srv)
	uri, st := cleanURIMode(ep, rt.slashes)
	if st != 0 {
		rt.status = st
		rt.reason = "request path rejected by the core (bad escape, %2F or %00, or .. above the root)"
		if ex != nil {
			ex.URI = r.URL.EscapedPath()
		}
		return rt
	}
	rt.uri, rt.rawQuery = uri, r.URL.RawQuery
	if r.URL.ForceQuery && rt.rawQuery == "" {
		rt.rawQuery = ""
	}
	if ex != nil {
		ex.URI = uri
	}
	if hasCtlOrSpace(rt.rawQuery) {
		rt.status, rt.reason = http.StatusForbidden, "query string with raw control characters or spaces (AH10408)"
		return rt
	}

	// Server-level mod_rewrite runs before mod_proxy's translate hook.
	proxyURL := ""
	if s.opts.Rewrite != nil && srv.Rewrite != nil && srv.Rewrite.Engine && len(srv.Rewrite.Rules) > 0 {
		res := s.opts.Rewrite.Rewrite(r, &RewriteInput{Server: srv, Config: srv.Rewrite, Phase: "server", URI: rt.uri, Env: rt.env})
		for k, v := range res.Env {
			rt.setEnv(k, v)
		}
		rt.cookies = append(rt.cookies, res.Cookies...)
		if ex != nil {
			ex.Rewrite = append(ex.Rewrite, res.Trace...)
		}
		if res.URI != "" {
			rt.uri = res.URI
		}
		if res.QuerySet {
			rt.rawQuery = res.RawQuery
		}
		if res.Status != 0 {
			rt.status, rt.location, rt.reason = res.Status, res.Location, "mod_rewrite"
			s.walk(sn, r, &rt)
			return rt
		}
		proxyURL = res.Proxy
	}

	if proxyURL != "" {
		rt.target = proxyURL
		if ex != nil {
			ex.Rules = append(ex.Rules, RuleTrial{Rule: "RewriteRule [P]", Matched: true, Reason: "proxied by mod_rewrite to " + proxyURL})
		}
	} else if rt.env["no-proxy"] == "" {
		s.mapProxyPass(r, &rt, ex)
	}
	if rt.status != 0 {
		return rt
	}
	if rt.target != "" {
		s.resolveTarget(sn, &rt, rt.rule)
	}
	s.walk(sn, r, &rt)
	return rt
}

// mapProxyPass finds the ProxyPass/ProxyPassMatch rule for rt.uri in
// Apache's order: the rule of the last matching <Location> first, then the
// server-level list (main server's rules first).
func (s *Server) mapProxyPass(r *http.Request, rt *route, ex *Explanation) {
	vh := rt.vh
	raw := rawRequestURI(r)
	// mapping=encoded rules run first (pre-translate phase).
	for _, rule := range vh.srvRules {
		if rule.Mapping == "encoded" && s.tryRule(rule, rt, raw, ex) {
			return
		}
	}
	var loc *model.ProxyPassRule
	for _, rule := range vh.locRules {
		if locationMatches(rule, rt.uri) {
			loc = rule
		}
	}
	if loc != nil {
		if s.tryRule(loc, rt, raw, ex) {
			return
		}
	}
	for _, rule := range vh.srvRules {
		if rule.Mapping != "encoded" && s.tryRule(rule, rt, raw, ex) {
			return
		}
	}
}

// rawPath is the path part of a raw request target.
func rawPath(raw string) string {
	if i := strings.IndexByte(raw, '?'); i >= 0 {
		return raw[:i]
	}
	return raw
}

// rawQuerySuffix is "?query" of a raw request target, "" if none.
func rawQuerySuffix(raw string) string {
	if i := strings.IndexByte(raw, '?'); i >= 0 {
		return raw[i:]
	}
	return ""
}

// servletPath is mapping=servlet's view of a path: path parameters
// (";x=y") removed from every segment.
func servletPath(p string) string {
	if strings.IndexByte(p, ';') < 0 {
		return p
	}
	segs := strings.Split(p, "/")
	for i, seg := range segs {
		if j := strings.IndexByte(seg, ';'); j >= 0 {
			segs[i] = seg[:j]
		}
	}
	out, _ := normalizePath(strings.Join(segs, "/"))
	return out
}

// locationMatches is <Location>'s URI match for a rule written inside one.
func locationMatches(rule *model.ProxyPassRule, uri string) bool {
	if rule.Regex != nil {
		return rule.Regex.MatchString(uri)
	}
	p := rule.InLocation
	if p == "" {
		p = rule.Path
	}
	if !strings.HasPrefix(uri, p) {
		return false
	}
	return len(uri) == len(p) || strings.HasSuffix(p, "/") || uri[len(p)] == '/'
}

// rawRequestURI is the request target as received (r->unparsed_uri)
// without scheme and authority.
func rawRequestURI(r *http.Request) string {
	u := r.RequestURI
	if u != "" && u[0] != '/' {
		if i := strings.Index(u, "://"); i >= 0 {
			rest := u[i+3:]
			if j := strings.IndexByte(rest, '/'); j >= 0 {
				return rest[j:]
			}
			return "/"
		}
	}
	return u
}

// tryRule applies one rule (ap_proxy_trans_match). It returns true when
// the rule decided the request (proxied or excluded).
func (s *Server) tryRule(rule *model.ProxyPassRule, rt *route, raw string, ex *Explanation) bool {
	var found string
	nocanon := rule.NoCanon
	uri := rt.uri
	switch rule.Mapping {
	case "encoded":
		// Matched on the still-encoded path; the remainder is forwarded
		// as received.
		uri, nocanon = rawPath(raw), true
		raw = uri + rawQuerySuffix(raw)
	case "servlet":
		uri = servletPath(rt.uri)
	}
	if rule.Regex != nil {
		m := rule.Regex.FindStringSubmatchIndex(uri)
		if m == nil {
			if ex != nil { // the reason is built only when explaining
				ex.tried(rule, false, "regex does not match "+strconv.Quote(uri))
			}
			return false
		}
		if rule.Exclude {
			ex.tried(rule, true, "matches: excluded (!), not proxied")
			rt.rule, rt.excluded = rule, true
			return true
		}
		use := uri
		if nocanon {
			if m2 := rule.Regex.FindStringSubmatchIndex(raw); m2 != nil {
				use, m = raw, m2
			} else {
				nocanon = false
			}
		}
		found = pregsub(rule.URL, use, m)
		if found == rule.URL {
			found = rule.URL + use
		}
	} else {
		n := aliasMatch(uri, rule.Path)
		if n == 0 {
			if ex != nil { // the reason is built only when explaining
				ex.tried(rule, false, "prefix "+strconv.Quote(rule.Path)+" does not match "+strconv.Quote(uri))
			}
			return false
		}
		if rule.Exclude {
			ex.tried(rule, true, "matches: excluded (!), not proxied")
			rt.rule, rt.excluded = rule, true
			return true
		}
		use := uri
		if nocanon {
			if n2 := aliasMatch(raw, rule.Path); n2 == n {
				use = raw
			} else {
				nocanon = false
			}
		}
		found = rule.URL + use[n:]
	}
	rt.rule = rule
	if nocanon {
		if i := strings.Index(found, "://"); i >= 0 && hasCtlOrSpace(found[i+3:]) {
			rt.status, rt.reason = http.StatusForbidden, "nocanon path with raw control characters or spaces (AH10415)"
			return true
		}
		rt.target = found
	} else {
		rt.target = canonURLMode(found, rt.rawQuery, rt.slashes == slashesNoDecode)
	}
	if ex != nil {
		ex.tried(rule, true, "matches: "+rt.target)
	}
	return true
}

// canonURLMode canonicalises the path of URL u (scheme://host/path) and
// appends the query (proxy_http_canon / proxy_balancer_canon).
// keep2F keeps the "%2F" of AllowEncodedSlashes NoDecode (canonPathMode).
func canonURLMode(u, rawQuery string, keep2F bool) string {
	i := strings.Index(u, "://")
	if i < 0 {
		return u
	}
	rest := u[i+3:]
	host, p := rest, ""
	if j := strings.IndexByte(rest, '/'); j >= 0 {
		host, p = rest[:j], rest[j+1:]
	}
	out := u[:i+3] + host + "/" + canonPathMode(p, keep2F)
	if rawQuery != "" {
		out += "?" + rawQuery
	}
	return out
}

// resolveTarget finds what serves rt.target: a balancer of the vhost or a
// worker (the rule's, the longest configured prefix, or the default
// reverse-proxy worker).
func (s *Server) resolveTarget(sn *snapshot, rt *route, rule *model.ProxyPassRule) {
	t := rt.target
	i := strings.Index(t, "://")
	if i < 0 {
		rt.status, rt.reason = http.StatusInternalServerError, "No protocol handler was valid for the URL "+t+" (AH01144)"
		return
	}
	scheme := strings.ToLower(t[:i])
	if scheme == "balancer" {
		rest := t[i+3:]
		name, tail := rest, "/"
		if j := strings.IndexAny(rest, "/?"); j >= 0 {
			name, tail = rest[:j], rest[j:]
			if tail[0] == '?' {
				tail = "/" + tail
			}
		}
		b := rt.vh.balancers["balancer://"+strings.ToLower(name)]
		if b == nil {
			rt.status, rt.reason = http.StatusInternalServerError, "No protocol handler was valid for the URL "+rt.uri+" (scheme 'balancer') (AH01144)"
			return
		}
		rt.bal, rt.balRest = b, tail
		rt.target = "balancer://" + strings.ToLower(name) + tail
		return
	}
	switch scheme {
	case "http", "https", "ws", "wss":
	default:
		rt.status, rt.reason = http.StatusInternalServerError, "No protocol handler was valid for the URL "+rt.uri+" (scheme '"+scheme+"') (AH01144)"
		return
	}
	var w *model.Worker
	if rule != nil && rule.Worker != nil {
		w = rule.Worker
	} else {
		w = longestWorker(rt.vh.srv, t)
	}
	if w == nil {
		w = defaultWorker(scheme)
	}
	rt.worker = sn.workerFor(s, rt.vh, w)
}

// longestWorker is ap_proxy_get_worker: the configured worker whose name is
// the longest case-insensitive prefix of url.
func longestWorker(srv *model.Server, url string) *model.Worker {
	var best *model.Worker
	for name, w := range srv.Workers {
		if len(name) <= len(url) && strings.EqualFold(url[:len(name)], name) && (best == nil || len(name) > len(best.Name)) {
			best = w
		}
	}
	return best
}

var defaultWorkers = map[string]*model.Worker{}

func init() {
	for _, sc := range []string{"http", "https", "ws", "wss"} {
		defaultWorkers[sc] = &model.Worker{Name: "proxy:reverse", Scheme: sc,
			Params: model.WorkerParams{DisableReuse: true, LoadFactor: 100, Status: model.StatusInit | model.StatusIgnoreErrors}}
	}
}

// defaultWorker is Apache's default reverse-proxy worker: no connection
// reuse, never in error state.
func defaultWorker(scheme string) *model.Worker { return defaultWorkers[scheme] }

// walk computes the per-directory configuration of the request: the
// server level, then <Proxy> sections (proxied) or <Directory> sections
// (served locally), then <Location> sections, and the SetHandler that
// results.
func (s *Server) walk(sn *snapshot, r *http.Request, rt *route) {
	srv := rt.vh.srv
	rt.dirs = rt.dirs[:0]
	if srv.Dir != nil {
		rt.dirs = append(rt.dirs, srv.Dir)
	}
	if rt.target != "" {
		for _, sec := range srv.Proxies {
			if proxySectionMatches(sec, rt.target) {
				rt.sections = append(rt.sections, sec)
			}
		}
	} else if srv.DocumentRoot != "" {
		rt.filePath = path.Join(srv.DocumentRoot, rt.uri)
		if strings.HasSuffix(rt.uri, "/") {
			rt.filePath += "/"
		}
		for _, sec := range rt.vh.directories {
			if directoryMatches(sec, rt.filePath) {
				rt.sections = append(rt.sections, sec)
			}
		}
	}
	for _, sec := range srv.Locations {
		if locationSectionMatches(sec, rt.uri) {
			rt.sections = append(rt.sections, sec)
		}
	}
	for _, sec := range rt.sections {
		d := sec.Dir
		if d == nil {
			d = emptyDir // keeps Dirs[i+1] aligned with Sections[i]
		}
		rt.dirs = append(rt.dirs, d)
	}
	for _, d := range rt.dirs {
		if d.Handler != "" {
			rt.handler = d.Handler
		}
	}
	if strings.EqualFold(rt.handler, "none") {
		rt.handler = ""
	}
}

// emptyDir stands for a section without per-directory settings.
var emptyDir = &model.DirConfig{}

// proxySectionMatches is <Proxy>/<ProxyMatch> matching on the backend URL.
// A wildcard <Proxy> is apr_fnmatch without FNM_PATHNAME: "*" also
// matches "/" (so <Proxy *> covers every proxied request); a plain one is
// a byte prefix (strncmp), not segment-aware.
func proxySectionMatches(sec *model.Section, url string) bool {
	p := strings.TrimPrefix(sec.Path, "proxy:")
	if sec.Kind == "Proxy" && strings.ContainsAny(p, "*?") && !strings.Contains(p, "[") {
		return fnmatch(p, url)
	}
	if sec.Regex != nil {
		return sec.Regex.MatchString(url)
	}
	return strings.HasPrefix(url, p)
}

// fnmatch is a case-sensitive shell pattern match in which '*' matches
// any string (slashes included) and '?' any one byte.
func fnmatch(pattern, s string) bool { return wildMatch(pattern, s, false) }

// wildMatch matches s against a pattern of '*' (any string, slashes and
// dots included) and '?' (any one byte), optionally ignoring ASCII case.
// It backtracks only to the last '*', so it runs in O(len(pattern)*len(s)).
func wildMatch(pattern, s string, fold bool) bool {
	p, n := 0, 0
	star, mark := -1, 0
	for n < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[n] || fold && lower(pattern[p]) == lower(s[n])):
			p++
			n++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, n
			p++
		case star >= 0:
			p = star + 1
			mark++
			n = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// locationSectionMatches is <Location>/<LocationMatch> matching.
func locationSectionMatches(sec *model.Section, uri string) bool {
	if sec.Regex != nil {
		return sec.Regex.MatchString(uri)
	}
	p := sec.Path
	if !strings.HasPrefix(uri, p) {
		return false
	}
	return len(uri) == len(p) || strings.HasSuffix(p, "/") || uri[len(p)] == '/'
}

// directoryMatches is <Directory>/<DirectoryMatch> matching on a file path.
func directoryMatches(sec *model.Section, file string) bool {
	if sec.Regex != nil {
		return sec.Regex.MatchString(file)
	}
	d := strings.TrimSuffix(sec.Path, "/")
	if d == "" {
		return true
	}
	return strings.HasPrefix(file, d) && (len(file) == len(d) || file[len(d)] == '/')
}

// dirRewrite runs the per-directory mod_rewrite rules (Apache's fixup
// phase, after access control) of the most specific level that has any:
// [F]/[G]/[R] end the request, [P] proxies to the rule's URL.
func (s *Server) dirRewrite(sn *snapshot, r *http.Request, rt *route, ex *Explanation) {
	if s.opts.Rewrite == nil {
		return
	}
	var cfg *model.RewriteConfig
	for _, d := range rt.dirs {
		if d.Rewrite != nil && (d.Rewrite.EngineSet || len(d.Rewrite.Rules) > 0) {
			cfg = d.Rewrite
		}
	}
	if cfg == nil || !cfg.Engine || len(cfg.Rules) == 0 {
		return
	}
	res := s.opts.Rewrite.Rewrite(r, &RewriteInput{Server: rt.vh.srv, Config: cfg, Phase: "dir", URI: rt.uri, Env: rt.env})
	for k, v := range res.Env {
		rt.setEnv(k, v)
	}
	rt.cookies = append(rt.cookies, res.Cookies...)
	if ex != nil {
		ex.Rewrite = append(ex.Rewrite, res.Trace...)
	}
	if res.QuerySet {
		rt.rawQuery = res.RawQuery
	}
	switch {
	case res.Status != 0:
		rt.status, rt.location, rt.reason = res.Status, res.Location, "mod_rewrite (per-directory)"
	case res.Proxy != "":
		rt.target, rt.bal, rt.worker, rt.rule = res.Proxy, nil, nil, nil
		if ex != nil {
			ex.Rules = append(ex.Rules, RuleTrial{Rule: "RewriteRule [P] (per-directory)", Matched: true, Reason: "proxied by mod_rewrite to " + res.Proxy})
			ex.Target = res.Proxy
		}
		s.resolveTarget(sn, rt, nil)
	}
}
