package directives

// <Proxy>, <ProxyMatch>, BalancerMember, ProxySet, ProxyHCExpr and
// ProxyHCTemplate (spec 3.7, 8).

import (
	"regexp"
	"strings"

	"github.com/balancerd/balancerd/directives/model"
	"github.com/balancerd/balancerd/parser"
)

func init() {
	Implement("Proxy", applyProxySection)
	Implement("ProxyMatch", applyProxySection)
	Implement("BalancerMember", applyBalancerMember)
	Implement("ProxySet", applyProxySet)
	Implement("ProxyHCExpr", applyProxyHCExpr)
	Implement("ProxyHCTemplate", applyProxyHCTemplate)
}

func splitParams(words []string) (plain []string, ps []param) {
	for _, w := range words {
		if i := strings.IndexByte(w, '='); i >= 0 {
			ps = append(ps, param{w[:i], w[i+1:]})
		} else {
			plain = append(plain, w)
		}
	}
	return plain, ps
}

func applyProxySection(b *Builder, d *parser.Directive) error {
	isMatch := strings.EqualFold(d.Name, "ProxyMatch")
	args := d.ArgValues()
	var path string
	var re *regexp.Regexp
	if len(args) > 0 {
		path = args[0]
		args = args[1:]
		if path == "~" && !isMatch && len(args) > 0 {
			isMatch = true
			path, args = args[0], args[1:]
		}
	}
	path = strings.TrimPrefix(path, "proxy:")
	kind := "Proxy"
	if isMatch {
		kind = "ProxyMatch"
		var err error
		if re, err = regexp.Compile(path); err != nil {
			return apacheErrorf("Regex could not be compiled (%v)", err)
		}
	} else if isFnmatchPattern(path) {
		var err error
		// proxy_walk uses apr_fnmatch without FNM_PATHNAME: * crosses '/'.
		if re, err = fnmatchRegexp(path, false); err != nil {
			return apacheErrorf("Regex could not be compiled (%v)", err)
		}
	}
	sec := &model.Section{Source: source(d), Kind: kind, Path: path, Regex: re, Dir: &model.DirConfig{Source: source(d)}}
	_, ps := splitParams(args)
	if len(ps) > 0 {
		if re != nil {
			return apacheErrorf("<Proxy> arguments are not supported for wildchar url.")
		}
		name := path
		secName := Lookup(d.Name).Name // Apache's spelling, whatever the case written
		errf := func(p param, msg string) error {
			return apacheErrorf("<%s %s %s; %s", secName, msg, p, name)
		}
		if validBalancerName(path) {
			name = balancerKey(path)
			bal := b.balancer(path, d, true)
			if err := b.applyBalancerParams(bal, ps, errf); err != nil {
				return err
			}
		} else {
			w, err := b.proxyWorker(path, d)
			if err != nil {
				return err
			}
			name = w.Name
			if err := b.applyWorkerParams(w, ps, errf); err != nil {
				return err
			}
		}
	} else if validBalancerName(path) {
		b.balancer(path, d, false)
	}
	b.Server.Proxies = append(b.Server.Proxies, sec)
	b.Enter(kind, path, CtxProxy, sec.Dir, sec, func() { b.Walk(d.Block) })
	return nil
}

// proxyWorker returns the server's worker for URL u, defining it.
func (b *Builder) proxyWorker(u string, d *parser.Directive) (*model.Worker, error) {
	name, _, ok := normalizeURL(u)
	if !ok {
		return nil, apacheErrorf("URL must be absolute!: %s", u)
	}
	if w := b.Server.Workers[name]; w != nil {
		return w, nil
	}
	w := makeWorker(u, d)
	b.Server.Workers[name] = w
	return w, nil
}

// proxySectionPath is the argument of the enclosing <Proxy> section (or
// <Location>, which Apache also hands to BalancerMember/ProxySet).
func (b *Builder) proxySectionPath() (string, bool) {
	for i := len(b.stack) - 1; i >= 0; i-- {
		switch lowerName(b.stack[i].name) {
		case "proxy", "proxymatch", "location", "locationmatch", "directory", "directorymatch", "files", "filesmatch":
			return b.stack[i].arg, true
		}
	}
	return "", false
}

func applyBalancerMember(b *Builder, d *parser.Directive) error {
	path, inSection := b.proxySectionPath()
	var name string
	var ps []param
	for _, w := range d.ArgValues() {
		if i := strings.IndexByte(w, '='); i >= 0 {
			ps = append(ps, param{w[:i], w[i+1:]})
			continue
		}
		switch {
		case !inSection && path == "":
			path = w
		case name == "":
			name = w
		default:
			if inSection {
				return apacheErrorf("BalancerMember can not have a balancer name when defined in a location")
			}
			return apacheErrorf("Invalid BalancerMember parameter. Parameter must be in the form 'key=value'")
		}
	}
	if path == "" {
		return apacheErrorf("BalancerMember must define balancer name when outside <Proxy > section")
	}
	if name == "" {
		return apacheErrorf("BalancerMember must define remote proxy server")
	}
	if !validBalancerName(path) {
		if inSection && isProxySectionName(b.SectionName) {
			// <Proxy http://x> + BalancerMember: accepted by Apache, and
			// without effect on any balancer.
			return nil
		}
		return apacheErrorf("BalancerMember Bad syntax for a balancer name (%s)", path)
	}
	if err := checkBalancerName("BalancerMember ", path); err != nil {
		return err
	}
	wname, _, ok := normalizeURL(name)
	if !ok {
		return apacheErrorf("BalancerMember URL must be absolute!: %s", name)
	}
	bal := b.balancer(path, d, true)
	if w := sharedWorker(bal.Members, wname); w != nil {
		// AH01149: the existing member is shared, no new member.
		b.warnSharing(d, "AH01150", w, ps)
		return nil
	}
	if err := b.checkWorkerLimits(d, "BalancerMember ", name); err != nil {
		return err
	}
	w := makeWorker(name, d)
	if err := b.applyWorkerParams(w, ps, prefixed("BalancerMember ")); err != nil {
		return err
	}
	bal.Members = append(bal.Members, w)
	return nil
}

func isProxySectionName(n string) bool {
	return strings.EqualFold(n, "Proxy") || strings.EqualFold(n, "ProxyMatch")
}

func applyProxySet(b *Builder, d *parser.Directive) error {
	words := d.ArgValues()
	var name string
	// Apache looks at the immediate parent: inside <Proxy X> the name is
	// X, anywhere else it is the first word (even "key=value").
	inProxy := isProxySectionName(b.SectionName)
	if inProxy {
		name = strings.TrimPrefix(b.SectionArg, "proxy:")
	} else if len(words) > 0 {
		name, words = words[0], words[1:]
	}
	var ps []param
	var worker *model.Worker
	var bal *model.Balancer
	switch {
	case validBalancerName(name):
		if inProxy {
			bal = b.balancer(name, d, true)
		} else if bal = b.balancerDefined(name); bal == nil {
			return apacheErrorf("ProxySet can not find '%s' Balancer.", name)
		}
		name = balancerKey(name)
	default:
		if inProxy {
			if isFnmatchPattern(name) || b.Section != nil && b.Section.Regex != nil {
				return apacheErrorf("ProxySet URL must be absolute!: %s", name)
			}
			w, err := b.proxyWorker(name, d)
			if err != nil {
				return apacheErrorf("ProxySet %v", err)
			}
			worker = w
		} else {
			worker = b.Server.Workers[workerKey(name)]
			if worker == nil {
				return apacheErrorf("ProxySet can not find '%s' Worker.", name)
			}
		}
		name = worker.Name
	}
	for _, w := range words {
		i := strings.IndexByte(w, '=')
		if i < 0 {
			return apacheErrorf("Invalid ProxySet parameter. Parameter must be in the form 'key=value'")
		}
		ps = append(ps, param{w[:i], w[i+1:]})
	}
	errf := func(p param, msg string) error { return apacheErrorf("ProxySet: %s %s; %s", msg, p, name) }
	if bal != nil {
		return b.applyBalancerParams(bal, ps, errf)
	}
	return b.applyWorkerParams(worker, ps, errf)
}

func applyProxyHCExpr(b *Builder, d *parser.Directive) error {
	args := d.ArgValues()
	if len(args) < 2 {
		return apacheErrorf("ProxyHCExpr takes two arguments, a name and an expression")
	}
	expr := strings.TrimSpace(strings.Join(args[1:], " "))
	expr = strings.TrimSuffix(strings.TrimPrefix(expr, "{"), "}")
	if b.Server.Proxy.HCExprs == nil {
		b.Server.Proxy.HCExprs = map[string]string{}
	}
	b.Server.Proxy.HCExprs[strings.ToLower(args[0])] = strings.TrimSpace(expr)
	return nil
}

func applyProxyHCTemplate(b *Builder, d *parser.Directive) error {
	args := d.ArgValues()
	if len(args) < 1 {
		return apacheErrorf("ProxyHCTemplate requires a name")
	}
	t := map[string]string{}
	probe := newWorker("template")
	hc := b.hcContext()
	hc.loaded = true
	for _, w := range args[1:] {
		i := strings.IndexByte(w, '=')
		if i < 0 {
			return apacheErrorf("Invalid ProxyHCTemplate parameter. Parameter must be in the form 'key=value'")
		}
		k := strings.ToLower(w[:i])
		if msg := setHCParam(probe, k, w[i+1:], hc); msg != "" {
			return apacheErrorf("ProxyHCTemplate: %s %s; %s", msg, w, args[0])
		}
		t[k] = w[i+1:]
	}
	b.proxy.hcTemplates[strings.ToLower(args[0])] = t
	return nil
}
