package directives

// Core containers: <VirtualHost>, <Directory>, <DirectoryMatch>,
// <Location>, <LocationMatch>, <Files>, <FilesMatch>, <If>, <ElseIf>,
// <Else>; and Listen.

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/balancerd/balancerd/directives/model"
	"github.com/balancerd/balancerd/parser"
)

func init() {
	Implement("Listen", applyListen)
	Implement("VirtualHost", applyVirtualHost)
	for _, n := range []string{"Directory", "DirectoryMatch", "Location", "LocationMatch", "Files", "FilesMatch"} {
		Implement(n, applyDirSection)
	}
	for _, n := range []string{"If", "ElseIf", "Else"} {
		Implement(n, applyIfSection)
	}
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// parseAddrPort is apr_parse_addr_port: "80", "host:80", "[v6]:80",
// "host". ok is false for a malformed address or a port out of 1..65535.
func parseAddrPort(s string) (host string, port int, ok bool) {
	if allDigits(s) {
		p, err := strconv.Atoi(s)
		if err != nil || p < 1 || p > 65535 {
			return "", 0, false
		}
		return "", p, true
	}
	hostPart := s
	if i := strings.LastIndexByte(s, ':'); i >= 0 && allDigits(s[i+1:]) && (!strings.HasPrefix(s, "[") || strings.HasSuffix(s[:i], "]")) {
		p, err := strconv.Atoi(s[i+1:])
		if err != nil || p < 1 || p > 65535 {
			return "", 0, false
		}
		port = p
		hostPart = s[:i]
		if hostPart == "" {
			return "", 0, false
		}
	}
	if strings.HasPrefix(hostPart, "[") {
		if !strings.HasSuffix(hostPart, "]") || len(hostPart) < 3 || !strings.Contains(hostPart, ":") {
			return "", 0, false
		}
		hostPart = hostPart[1 : len(hostPart)-1]
	} else if strings.Count(hostPart, ":") > 1 {
		// a bare IPv6 address without brackets and without a port
		return strings.ToLower(hostPart), 0, true
	}
	return strings.ToLower(hostPart), port, true
}

func applyListen(b *Builder, d *parser.Directive) error {
	if len(d.Args) < 1 || len(d.Args) > 2 {
		return apacheErrorf("Listen requires 1 or 2 arguments.")
	}
	host, port, ok := parseAddrPort(d.Args[0].Value)
	if !ok {
		return apacheErrorf("Invalid address or port")
	}
	if port == 0 {
		return apacheErrorf("Port must be specified")
	}
	l := model.Listener{Host: host, Port: port, Source: source(d)}
	if len(d.Args) == 2 {
		l.Proto = strings.ToLower(d.Args[1].Value)
	}
	for _, o := range b.Config.Listeners {
		if o.Host == l.Host && o.Port == l.Port {
			return apacheErrorf("Cannot define multiple Listeners on the same IP:port")
		}
	}
	b.Config.Listeners = append(b.Config.Listeners, l)
	return nil
}

func missingContainerArg(d *parser.Directive) error {
	name := d.Name
	if s := Lookup(d.Name); s != nil {
		name = s.Name
	}
	return apacheErrorf("<%s> directive requires additional arguments", name)
}

func applyVirtualHost(b *Builder, d *parser.Directive) error {
	if len(d.Args) == 0 || d.Args[0].Value == "" {
		return missingContainerArg(d)
	}
	vh := newServer(source(d))
	// An IP or name without a port takes the main server's port (from
	// "ServerName host:port" written before the vhost), else any port
	// (apache2 -S shows 127.0.0.1:8080 but *:* then).
	defPort := b.Config.Main.ServerPort
	for _, a := range d.Args {
		w := a.Value
		addr := model.VHostAddr{Text: w}
		switch {
		case w == "*" || strings.EqualFold(w, "_default_") || w == "*:*" || strings.EqualFold(w, "_default_:*"):
			// "*" alone is any port even after "ServerName host:port" [V].
			addr.Host = "*"
		default:
			hostPart, portPart := w, ""
			if i := strings.LastIndexByte(w, ':'); i >= 0 && !strings.HasSuffix(w[:i+1], "::") && (!strings.HasPrefix(w, "[") || strings.HasSuffix(w[:i], "]")) {
				hostPart, portPart = w[:i], w[i+1:]
			}
			if portPart == "" {
				addr.Port = defPort
			} else if portPart == "*" {
				addr.Port = 0
			} else {
				if !allDigits(portPart) {
					// Apache hands "x:abc" to the resolver as a name.
					b.Warnf(d, "AH00547", "AH00547: Could not resolve host name %s -- ignoring!", w)
					continue
				}
				p, err := strconv.Atoi(portPart)
				if err != nil || p < 1 || p > 65535 {
					return apacheErrorf("The address or port is invalid")
				}
				addr.Port = p
			}
			h := strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(hostPart, "["), "]"))
			if h == "*" || h == "_default_" {
				h = "*"
			}
			if h == "" {
				return apacheErrorf("The address or port is invalid")
			}
			addr.Host = h
		}
		vh.Addrs = append(vh.Addrs, addr)
	}
	b.Config.VirtualHosts = append(b.Config.VirtualHosts, vh)
	b.Enter("VirtualHost", d.Raw, CtxVHost, vh.Dir, nil, func() {
		b.Server = vh
		b.Section = nil
		b.Walk(d.Block)
	})
	return nil
}

// sectionKinds maps a section name to its context bit and canonical kind.
var sectionKinds = map[string]struct {
	ctx   Context
	kind  string
	regex bool
}{
	"directory":      {CtxDirectory, "Directory", false},
	"directorymatch": {CtxDirectory, "DirectoryMatch", true},
	"location":       {CtxLocation, "Location", false},
	"locationmatch":  {CtxLocation, "LocationMatch", true},
	"files":          {CtxFiles, "Files", false},
	"filesmatch":     {CtxFiles, "FilesMatch", true},
	"proxy":          {CtxProxy, "Proxy", false},
	"proxymatch":     {CtxProxy, "ProxyMatch", true},
}

// fnmatchRegexp converts an fnmatch pattern into an anchored regular
// expression. With pathname (FNM_PATHNAME, <Location>/<Directory>) * and ?
// do not match '/'; without it (<Proxy>) they do.
func fnmatchRegexp(p string, pathname bool) (*regexp.Regexp, error) {
	star, one := ".*", "."
	if pathname {
		star, one = "[^/]*", "[^/]"
	}
	var sb strings.Builder
	sb.WriteString("^(?s)")
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch c {
		case '*':
			sb.WriteString(star)
		case '?':
			sb.WriteString(one)
		case '[':
			j := strings.IndexByte(p[i+1:], ']')
			if j < 0 {
				sb.WriteString(`\[`)
				continue
			}
			class := p[i+1 : i+1+j]
			if strings.HasPrefix(class, "!") {
				class = "^" + class[1:]
			}
			sb.WriteString("[" + strings.ReplaceAll(class, `\`, `\\`) + "]")
			i += j + 1
		case '\\':
			if i+1 < len(p) {
				i++
				sb.WriteString(regexp.QuoteMeta(string(p[i])))
			}
		default:
			sb.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	sb.WriteString("$")
	return regexp.Compile(sb.String())
}

// sectionPath reads a section opener's path and regex (spec 1.6): "~"
// introduces a regex, *Match sections always take one.
func sectionPath(d *parser.Directive, regexKind bool) (string, *regexp.Regexp, error) {
	if len(d.Args) == 0 || d.Args[0].Value == "" {
		return "", nil, missingContainerArg(d)
	}
	p := d.Args[0].Value
	isRegex := regexKind
	if p == "~" && !d.Args[0].Quoted {
		if len(d.Args) < 2 {
			return "", nil, missingContainerArg(d)
		}
		p, isRegex = d.Args[1].Value, true
	}
	if isRegex {
		re, err := regexp.Compile(p)
		if err != nil {
			return p, nil, apacheErrorf("Regex could not be compiled (%v)", err)
		}
		return p, re, nil
	}
	if isFnmatchPattern(p) {
		re, err := fnmatchRegexp(p, true)
		if err != nil {
			return p, nil, apacheErrorf("Regex could not be compiled (%v)", err)
		}
		return p, re, nil
	}
	return p, nil, nil
}

func applyDirSection(b *Builder, d *parser.Directive) error {
	k := sectionKinds[lowerName(d.Name)]
	p, re, err := sectionPath(d, k.regex)
	if err != nil {
		return err
	}
	kind := k.kind
	if re != nil && !k.regex && (kind == "Directory" || kind == "Location" || kind == "Files") && d.Args[0].Value == "~" {
		kind += "Match"
	}
	if (kind == "Directory") && re == nil {
		p = b.resolvePath(p)
	}
	sec := &model.Section{Source: source(d), Kind: kind, Path: p, Regex: re, Dir: &model.DirConfig{Source: source(d)}}
	switch k.ctx {
	case CtxDirectory:
		b.Server.Directories = append(b.Server.Directories, sec)
	case CtxLocation:
		b.Server.Locations = append(b.Server.Locations, sec)
	case CtxFiles:
		if b.Section != nil {
			b.Section.Dir.Files = append(b.Section.Dir.Files, sec)
		} else {
			b.Server.Files = append(b.Server.Files, sec)
		}
	}
	b.Enter(d.Name, p, k.ctx, sec.Dir, sec, func() { b.Walk(d.Block) })
	return nil
}

// isAccessDirective reports whether a directive decides who gets in (or,
// for mod_rewrite, where a request goes): such directives inside an <If>
// that balancerd cannot evaluate make the configuration unsupported.
func isAccessDirective(name string) bool {
	s := Lookup(name)
	if s == nil {
		return false
	}
	switch {
	case strings.HasPrefix(s.Module, "authz_"), strings.HasPrefix(s.Module, "authn_"),
		strings.HasPrefix(s.Module, "auth_"), strings.HasPrefix(s.Module, "authnz_"),
		s.Module == "access_compat_module",
		// RewriteRule [F]/[P]/redirects inside <If> decide routing too.
		s.Module == "rewrite_module":
		return true
	}
	return strings.EqualFold(name, "Limit") || strings.EqualFold(name, "LimitExcept")
}

func containsAccess(ds []*parser.Directive) bool {
	for _, d := range ds {
		if isAccessDirective(d.Name) || containsAccess(d.Block) {
			return true
		}
	}
	return false
}

func applyIfSection(b *Builder, d *parser.Directive) error {
	kind := Lookup(d.Name).Name
	expr := strings.TrimSpace(d.Raw)
	if len(d.Args) == 1 && d.Args[0].Quoted {
		expr = d.Args[0].Value
	}
	switch kind {
	case "Else":
		if expr != "" {
			return apacheErrorf("<Else> does not take an argument")
		}
	default:
		if expr == "" {
			return missingContainerArg(d)
		}
	}
	if kind != "If" {
		p := b.prev
		if p == nil || !p.IsSection || !(strings.EqualFold(p.Name, "If") || strings.EqualFold(p.Name, "ElseIf")) {
			return apacheErrorf("<Else> or <ElseIf> section without previous <If> or <ElseIf> section in same scope")
		}
	}
	sec := &model.Section{Source: source(d), Kind: kind, Path: expr, Dir: &model.DirConfig{Source: source(d)}}
	b.Dir.Conditionals = append(b.Dir.Conditionals, sec)
	if containsAccess(d.Block) {
		b.Errorf(d, "unsupported-if", "<%s> with access control or rewrite rules inside is not supported by balancerd: it does not evaluate ap_expr conditions, so it could not honour them; express the rule with Require (ip/host/env) or RewriteCond outside <%s>", kind, kind)
	} else {
		if b.once == nil {
			b.once = map[string]bool{}
		}
		if !b.once["if-ignored"] {
			b.once["if-ignored"] = true
			b.Warnf(d, "if-not-evaluated", "<%s> is not evaluated by balancerd: the directives inside it are checked but not applied (reported once)", kind)
		}
	}
	// Walk for validation; the section's Dir is recorded, not merged.
	b.Enter(kind, expr, CtxIf, sec.Dir, sec, func() { b.Walk(d.Block) })
	return errAlreadyReported
}
