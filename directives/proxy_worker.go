package directives

// Worker URL normalisation and worker/balancer lookup (spec 3.1).

import (
	"strconv"
	"strings"

	"github.com/balancerd/balancerd/directives/model"
	"github.com/balancerd/balancerd/parser"
)

// proxyState is mod_proxy's per-build state.
type proxyState struct {
	// defined records balancers that exist for ProxySet's lookup (an empty
	// <Proxy balancer://x> does not define one), per server.
	defined map[*model.Server]map[string]bool
	// locRule is the ProxyPass of a <Location> section (one survives).
	locRule map[*model.Section]*model.ProxyPassRule
	// hcTemplates are the ProxyHCTemplate parameter sets by name.
	hcTemplates map[string]map[string]string
}

func newProxyState() *proxyState {
	return &proxyState{
		defined:     map[*model.Server]map[string]bool{},
		locRule:     map[*model.Section]*model.ProxyPassRule{},
		hcTemplates: map[string]map[string]string{},
	}
}

// schemePorts are the default ports mod_proxy knows (proxy_schemes).
var schemePorts = map[string]int{
	"http": 80, "https": 443, "ws": 80, "wss": 443, "ajp": 8009, "scgi": 4000,
	"h2c": 80, "h2": 443, "fcgi": 8000, "uwsgi": 3031, "ftp": 21, "gopher": 70,
	"nntp": 119, "snews": 563, "ldap": 389, "telnet": 23, "wais": 210,
}

// parsedURL is a worker URL split the way apr_uri_parse does.
type parsedURL struct {
	scheme, host, path, unix string
	port                     int
	explicitPort             bool
}

// parseWorkerURL splits an absolute URL; ok is false when it is not
// absolute (no scheme, or no host).
func parseWorkerURL(u string) (parsedURL, bool) {
	var p parsedURL
	rest := u
	if strings.HasPrefix(strings.ToLower(rest), "unix:") {
		i := strings.IndexByte(rest, '|')
		if i < 0 {
			return p, false
		}
		p.unix = rest[len("unix:"):i]
		rest = rest[i+1:]
	}
	i := strings.Index(rest, "://")
	if i <= 0 {
		return p, false
	}
	for _, c := range rest[:i] {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.') {
			return p, false
		}
	}
	p.scheme = strings.ToLower(rest[:i])
	hostport := rest[i+3:]
	if j := strings.IndexAny(hostport, "/?#"); j >= 0 {
		p.path = hostport[j:]
		hostport = hostport[:j]
	}
	if at := strings.LastIndexByte(hostport, '@'); at >= 0 {
		hostport = hostport[at+1:]
	}
	host := hostport
	if strings.HasPrefix(hostport, "[") {
		j := strings.IndexByte(hostport, ']')
		if j < 0 {
			return p, false
		}
		host = hostport[1:j]
		if rest := hostport[j+1:]; strings.HasPrefix(rest, ":") && rest != ":" {
			p.port, p.explicitPort = atoi(rest[1:]), true
		}
	} else if j := strings.LastIndexByte(hostport, ':'); j >= 0 {
		host = hostport[:j]
		if hostport[j+1:] != "" {
			p.port, p.explicitPort = atoi(hostport[j+1:]), true
		}
	}
	if host == "" && p.unix == "" {
		return p, false
	}
	p.host = strings.ToLower(host)
	if !p.explicitPort {
		p.port = schemePorts[p.scheme]
	}
	return p, true
}

// normalizeURL returns the worker name of u: scheme and host lowercased,
// default port removed, path kept byte-for-byte.
func normalizeURL(u string) (string, parsedURL, bool) {
	p, ok := parseWorkerURL(u)
	if !ok {
		return "", p, false
	}
	host := p.host
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	var nb [20]byte
	var port []byte
	if p.explicitPort && p.port != schemePorts[p.scheme] {
		port = strconv.AppendInt(nb[:0], int64(p.port), 10)
	}
	// One allocation: this runs for every BalancerMember and ProxyPass.
	var b strings.Builder
	b.Grow(len(p.scheme) + len("://") + len(host) + 1 + len(port) + len(p.path))
	b.WriteString(p.scheme)
	b.WriteString("://")
	b.WriteString(host)
	if len(port) > 0 {
		b.WriteByte(':')
		b.Write(port)
	}
	b.WriteString(p.path)
	return b.String(), p, true
}

// workerKey is the Server.Workers key of a URL (its normalised name, or
// the URL itself if it cannot be parsed).
func workerKey(u string) string {
	if n, _, ok := normalizeURL(u); ok {
		return n
	}
	return u
}

// makeWorker builds a worker for URL u (already validated absolute).
func makeWorker(u string, d *parser.Directive) *model.Worker {
	name, p, _ := normalizeURL(u)
	w := newWorker(name)
	w.Source = source(d)
	w.Scheme, w.Host, w.Port, w.Path, w.UnixSocket = p.scheme, p.host, p.port, p.path, p.unix
	if w.Scheme == "ws" || w.Scheme == "wss" {
		w.Params.Upgrade = []string{"websocket"}
	}
	return w
}

// validBalancerName is ap_proxy_valid_balancer_name.
func validBalancerName(n string) bool {
	return len(n) > len("balancer://") && strings.EqualFold(n[:len("balancer://")], "balancer://")
}

// balancerKey is the lowercase "balancer://name" of a balancer URL (the
// path part is ignored).
func balancerKey(u string) string {
	rest := u[len("balancer://"):]
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		rest = rest[:i]
	}
	return "balancer://" + strings.ToLower(rest)
}

// balancer returns the server's balancer for URL u, creating it.
func (b *Builder) balancer(u string, d *parser.Directive, define bool) *model.Balancer {
	key := balancerKey(u)
	bal := b.Server.Balancers[key]
	if bal == nil {
		bal = newBalancer(key, source(d))
		b.Server.Balancers[key] = bal
		b.Server.BalancerOrder = append(b.Server.BalancerOrder, key)
	}
	if define {
		m := b.proxy.defined[b.Server]
		if m == nil {
			m = map[string]bool{}
			b.proxy.defined[b.Server] = m
		}
		m[key] = true
	}
	return bal
}

func (b *Builder) balancerDefined(u string) *model.Balancer {
	key := balancerKey(u)
	if !b.proxy.defined[b.Server][key] {
		return nil
	}
	return b.Server.Balancers[key]
}

// sharedWorker finds an existing worker whose name is a prefix of name
// (the longest), as ap_proxy_get_worker does.
func sharedWorker(ws []*model.Worker, name string) *model.Worker {
	var best *model.Worker
	for _, w := range ws {
		if strings.HasPrefix(name, w.Name) && (best == nil || len(w.Name) > len(best.Name)) {
			best = w
		}
	}
	return best
}

func (b *Builder) serverWorkers() []*model.Worker {
	out := make([]*model.Worker, 0, len(b.Server.Workers))
	for _, w := range b.Server.Workers {
		out = append(out, w)
	}
	return out
}

func (b *Builder) hcContext() *hcContext {
	exprs := map[string]bool{}
	for k := range b.Server.Proxy.HCExprs {
		exprs[k] = true
	}
	if b.Server != b.Config.Main {
		for k := range b.Config.Main.Proxy.HCExprs {
			exprs[k] = true
		}
	}
	return &hcContext{
		loaded:    b.moduleLoaded("proxy_hcheck_module"),
		ajp:       b.moduleLoaded("proxy_ajp_module"),
		exprs:     exprs,
		templates: b.proxy.hcTemplates,
	}
}

// param is one key=value word.
type param struct{ key, val string }

func (p param) String() string { return p.key + "=" + p.val }

// applyWorkerParams applies params to w; prefix formats errors.
func (b *Builder) applyWorkerParams(w *model.Worker, ps []param, errf func(p param, msg string) error) error {
	hc := b.hcContext()
	for _, p := range ps {
		if msg := setWorkerParam(w, p.key, p.val, hc); msg != "" {
			err := errf(p, msg)
			if strings.HasPrefix(msg, "unknown Worker") {
				err = apacheErrorf("%v%s", err, unknownKeyHint(p.key, false, hc.loaded))
			}
			return err
		}
	}
	return nil
}

func (b *Builder) applyBalancerParams(bal *model.Balancer, ps []param, errf func(p param, msg string) error) error {
	for _, p := range ps {
		if msg := setBalancerParam(bal, p.key, p.val, b.moduleLoaded); msg != "" {
			err := errf(p, msg)
			if msg == "unknown Balancer parameter" {
				err = apacheErrorf("%v%s", err, unknownKeyHint(p.key, true, false))
			}
			return err
		}
	}
	return nil
}

// warnSharing reports parameters ignored because of worker sharing.
func (b *Builder) warnSharing(d *parser.Directive, code string, w *model.Worker, ps []param) {
	for _, p := range ps {
		b.Warnf(d, code, "%s: Ignoring parameter '%s' for worker '%s' because of worker sharing", code, p, w.Name)
	}
}

func prefixed(prefix string) func(p param, msg string) error {
	return func(_ param, msg string) error { return apacheErrorf("%s%s", prefix, msg) }
}

// Shared-memory field sizes of mod_proxy.h (spec 3.1).
const (
	maxBalancerName = 95  // PROXY_BALANCER_MAX_NAME_SIZE - 1
	maxWorkerHost   = 255 // PROXY_WORKER_MAX_HOSTNAME_SIZE - 1
	maxWorkerName   = 383 // PROXY_WORKER_MAX_NAME_SIZE - 1
	maxWorkerScheme = 15  // PROXY_WORKER_MAX_SCHEME_SIZE - 1
)

// checkBalancerName reports a balancer name too long for Apache.
func checkBalancerName(prefix, name string) error {
	if len(name) > maxBalancerName {
		return apacheErrorf("%sbalancer name (%s) too long", prefix, name)
	}
	return nil
}

// checkWorkerLimits applies Apache's field limits to a new worker: a
// hostname too long is an error; a name or scheme too long is truncated
// with Apache's alerts (the worker keeps its full name in balancerd).
func (b *Builder) checkWorkerLimits(d *parser.Directive, prefix, u string) error {
	name, p, ok := normalizeURL(u)
	if !ok {
		return nil
	}
	if len(p.host) > maxWorkerHost {
		return apacheErrorf("%sworker hostname (%s) too long", prefix, p.host)
	}
	if len(name) > maxWorkerName {
		b.Warnf(d, "AH10366", "AH10366: Alert! worker name (%s) too long; truncated to: %s", name, name[:maxWorkerName])
	}
	if len(p.scheme) > maxWorkerScheme {
		b.Warnf(d, "AH010117", "AH010117: Alert! worker scheme (%s) too long; truncated to: %s", p.scheme, p.scheme[:maxWorkerScheme])
	}
	return nil
}
