package directives

import (
	"fmt"
	"sort"
	"strings"

	"github.com/balancerd/balancerd/directives/model"
	"github.com/balancerd/balancerd/parser"
)

// eachBalancer visits every balancer once, with the first server that has
// it (balancers inherited from the main server are visited with it).
func (l *linter) eachBalancer(f func(s *model.Server, b *model.Balancer)) {
	n := 0
	for _, s := range l.servers() {
		n += len(s.Balancers)
	}
	seenPtr := make(map[*model.Balancer]bool, n)
	seenSrc := make(map[[2]string]bool, n)
	for _, s := range l.servers() {
		for _, name := range balancerNames(s) {
			b := s.Balancers[name]
			if b == nil || seenPtr[b] {
				continue
			}
			key := [2]string{b.Name, b.Source}
			if b.Source != "" && seenSrc[key] {
				continue
			}
			seenPtr[b] = true
			seenSrc[key] = true
			f(s, b)
		}
	}
}

// balancerNames returns a server's balancer keys in definition order.
func balancerNames(s *model.Server) []string {
	if len(s.BalancerOrder) == len(s.Balancers) {
		return s.BalancerOrder
	}
	var names []string
	for n := range s.Balancers {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// balancerFor returns the balancer a server's requests for name use: its
// own if it has members, else the main server's (BalancerInherit On):
// Apache lists the main server's balancers first and takes the first of
// that name, so an empty balancer that a vhost's ProxyPass created does not
// hide the main server's (verified on 2.4.67).
func (l *linter) balancerFor(s *model.Server, name string) *model.Balancer {
	b := s.Balancers[name]
	if b != nil && len(b.Members) > 0 {
		return b
	}
	if m := l.cfg.Main; m != nil && m != s && s.Proxy.BalancerInherit {
		if mb := m.Balancers[name]; mb != nil && len(mb.Members) > 0 {
			return mb
		}
	}
	return b
}

// balancerPos is where a balancer was defined.
func (l *linter) balancerPos(b *model.Balancer) parser.Pos {
	p := l.pos(b.Source, "")
	if !p.IsValid() && len(b.Members) > 0 {
		return l.pos(b.Members[0].Source, "BalancerMember")
	}
	return p
}

// balancerParamPos finds the directive that set balancer parameter key
// (stickysession=, nofailover=, nonce=...) for b: a ProxyPass to it, a
// ProxySet or a <Proxy balancer://...> opener. Falls back to balancerPos.
func (l *linter) balancerParamPos(b *model.Balancer, key string) parser.Pos {
	if l.balancerDirs == nil {
		l.indexBalancerDirectives()
	}
	for _, d := range l.balancerDirs[b.Name] {
		for _, a := range d.Args {
			if k, _, ok := strings.Cut(a.Value, "="); ok && strings.EqualFold(k, key) {
				return d.Pos
			}
		}
	}
	return l.balancerPos(b)
}

// indexBalancerDirectives maps each balancer name to the ProxyPass,
// ProxySet and <Proxy> directives that can carry its parameters, in file
// order.
func (l *linter) indexBalancerDirectives() {
	l.balancerDirs = map[string][]*parser.Directive{}
	if l.res == nil {
		return
	}
	lintWalk(l.res.Directives, func(d *parser.Directive, parents []*parser.Directive) {
		switch lowerName(d.Name) {
		case "proxypass", "proxypassmatch", "proxyset", "proxy":
		default:
			return
		}
		target := ""
		for _, a := range d.Args {
			if strings.HasPrefix(strings.ToLower(a.Value), "balancer://") {
				target = a.Value
				break
			}
		}
		if target == "" && strings.EqualFold(d.Name, "ProxySet") {
			for i := len(parents) - 1; i >= 0; i-- {
				if strings.EqualFold(parents[i].Name, "Proxy") && len(parents[i].Args) > 0 {
					target = parents[i].Args[0].Value
					break
				}
			}
		}
		if k := lintBalancerKey(target); k != "" {
			l.balancerDirs[k] = append(l.balancerDirs[k], d)
		}
	})
}

// lintBalancerKey turns "balancer://Name/path" into "balancer://name".
func lintBalancerKey(u string) string {
	if !strings.HasPrefix(strings.ToLower(u), "balancer://") {
		return ""
	}
	rest := u[len("balancer://"):]
	// A RewriteRule substitution may continue with a variable
	// (balancer://c%{REQUEST_URI}), expanded to a path before use.
	if i := strings.IndexAny(rest, "/%$?#"); i >= 0 {
		rest = rest[:i]
	}
	return "balancer://" + strings.ToLower(rest)
}

// balancerUse is one reference to a balancer that sends traffic to it.
type balancerUse struct {
	server *model.Server
	name   string
	pos    parser.Pos
	what   string // "ProxyPass / balancer://c/" ...
}

// balancerUses lists the ProxyPass rules and RewriteRule [P] that send
// requests to a balancer.
func (l *linter) balancerUses() []balancerUse {
	var uses []balancerUse
	seen := map[string]bool{}
	for _, s := range l.servers() {
		for _, r := range s.ProxyPass {
			if r.Balancer == "" || r.Exclude {
				continue
			}
			k := fmt.Sprintf("%p|%s", s, r.Source+r.Path)
			if seen[k] {
				continue
			}
			seen[k] = true
			uses = append(uses, balancerUse{s, r.Balancer, l.pos(r.Source, lintRuleName(r)),
				fmt.Sprintf("%s %s %s", lintRuleName(r), r.Path, r.URL)})
		}
		for _, rw := range serverRewrites(s) {
			for _, rr := range rw.Rules {
				name := lintBalancerKey(rr.Substitution)
				if name == "" || !rr.Flags.Proxy {
					continue
				}
				uses = append(uses, balancerUse{s, name, l.pos(rr.Source, "RewriteRule"),
					fmt.Sprintf("RewriteRule %s %s [P]", rr.Pattern, rr.Substitution)})
			}
		}
	}
	return uses
}

// serverRewrites returns the rewrite configurations of a server and its
// sections.
func serverRewrites(s *model.Server) []*model.RewriteConfig {
	var out []*model.RewriteConfig
	if s.Rewrite != nil {
		out = append(out, s.Rewrite)
	}
	if s.Dir != nil && s.Dir.Rewrite != nil && s.Dir.Rewrite != s.Rewrite {
		out = append(out, s.Dir.Rewrite)
	}
	for _, sec := range lintSections(s) {
		if sec.Dir != nil && sec.Dir.Rewrite != nil {
			out = append(out, sec.Dir.Rewrite)
		}
	}
	return out
}

// lintBalancers: balancers used without members, defined but unused,
// duplicate members and routes, nonce=None.
func lintBalancers(l *linter) {
	used := map[string]bool{}
	for _, u := range l.balancerUses() {
		used[u.name] = true
		b := l.balancerFor(u.server, u.name)
		if b != nil && len(b.Members) > 0 {
			continue
		}
		hint := fmt.Sprintf("add <Proxy %s> with BalancerMember lines to %s or to the main server", u.name, lintServerName(u.server))
		for _, other := range l.servers() {
			if ob := other.Balancers[u.name]; ob != nil && len(ob.Members) > 0 && other != u.server {
				hint = fmt.Sprintf("it has members in %s (%s), but balancers are not shared between virtual hosts; define it in the main server or in %s",
					lintServerName(other), lintAt(l.balancerPos(ob)), lintServerName(u.server))
				break
			}
		}
		if sb := l.similarBalancer(u.name); sb != nil && sb.Name != u.name {
			hint = fmt.Sprintf("did you mean %s (%s)? Otherwise %s", sb.Name, lintAt(l.balancerPos(sb)), hint)
		}
		l.errorf("balancer-undefined", u.pos, "",
			"%s sends requests to %s, which has no BalancerMember, so every request gets 503 (No workers in balancer); %s", u.what, u.name, hint)
	}
	l.eachBalancer(func(s *model.Server, b *model.Balancer) {
		if len(b.Members) > 0 && !used[b.Name] {
			l.warnf("balancer-unused", l.balancerPos(b), "",
				"%s is defined but no ProxyPass or RewriteRule [P] sends requests to it; add `ProxyPass /path %s/` or remove it", b.Name, b.Name)
		}
		routes := map[string]*model.Worker{}
		for _, m := range b.Members {
			if m.Params.Route == "" {
				continue
			}
			if first, dup := routes[m.Params.Route]; dup {
				l.warnf("route-duplicate", l.pos(m.Source, "BalancerMember"), "BalancerMember",
					"members %s (%s) and %s of %s both have route=%s: sticky requests for %s always go to the first; give each member its own route",
					first.Name, lintAtSrc(first.Source), m.Name, b.Name, m.Params.Route, m.Params.Route)
				continue
			}
			routes[m.Params.Route] = m
		}
		if strings.EqualFold(b.Nonce, "None") {
			l.warnf("manager-nonce-none", l.balancerParamPos(b, "nonce"), "",
				"nonce=None on %s makes balancer-manager read-only for this balancer in Apache 2.4.50+ (the manual says it disables the check); remove nonce=None and send the nonce the manager page shows", b.Name)
		}
	})
}

// normWorkerURL lowercases scheme and host and drops the default port.
func lintNormURL(u string) string {
	i := strings.Index(u, "://")
	if i < 0 {
		return u
	}
	scheme := strings.ToLower(u[:i])
	rest := u[i+3:]
	host, path := rest, ""
	if j := strings.IndexByte(rest, '/'); j >= 0 {
		host, path = rest[:j], rest[j:]
	}
	host = strings.ToLower(host)
	for s, port := range map[string]string{"http": ":80", "https": ":443", "ws": ":80", "wss": ":443", "ajp": ":8009"} {
		if scheme == s {
			host = strings.TrimSuffix(host, port)
		}
	}
	return scheme + "://" + host + path
}

// lintReverse: balancer members and plain ProxyPass targets whose redirects
// no ProxyPassReverse rewrites.
func lintReverse(l *linter) {
	done := map[string]bool{}
	for _, s := range l.servers() {
		if s.Proxy.PreserveHost {
			continue // backends see the public host and usually redirect to it
		}
		for _, r := range s.ProxyPass {
			if r.Exclude || r.URL == "" {
				continue
			}
			rev := reverseRulesFor(s, r)
			pr := l.pos(r.Source, lintRuleName(r))
			if r.Balancer != "" {
				b := l.balancerFor(s, r.Balancer)
				if b == nil || reverseCoversBalancer(rev, b.Name) || reverseMisspells(rev, b.Name) {
					continue
				}
				var uncovered []*model.Worker
				for _, m := range b.Members {
					if reverseCovers(rev, m.Name) || !redirectingScheme(m.Name) {
						continue
					}
					k := fmt.Sprintf("%p|%s|%s", s, r.Source, m.Name)
					if done[k] {
						continue
					}
					done[k] = true
					uncovered = append(uncovered, m)
				}
				if len(uncovered) > 1 && len(uncovered) == len(b.Members) {
					var names []string
					for _, m := range uncovered {
						names = append(names, m.Name)
					}
					l.warnf("member-no-reverse", pr, lintRuleName(r),
						"no ProxyPassReverse rewrites redirects from the members of %s (%s), so a backend's `Location: %s/...` reaches clients unchanged; add `ProxyPassReverse %s %s/` after this line",
						b.Name, strings.Join(names, ", "), names[0], lintReversePath(r), b.Name)
					continue
				}
				for _, m := range uncovered {
					l.warnf("member-no-reverse", l.pos(m.Source, "BalancerMember"), "BalancerMember",
						"no ProxyPassReverse rewrites redirects from member %s of %s (used by %s %s at %s), so a backend's `Location: %s/...` reaches clients unchanged; add `ProxyPassReverse %s %s/` (covers every member) next to the ProxyPass",
						m.Name, b.Name, lintRuleName(r), r.Path, lintAt(pr), m.Name, lintReversePath(r), b.Name)
				}
				continue
			}
			if r.Regex != nil || reverseCovers(rev, r.URL) || !redirectingScheme(r.URL) {
				continue
			}
			k := fmt.Sprintf("%p|%s", s, r.Source)
			if done[k] {
				continue
			}
			done[k] = true
			l.warnf("proxypass-no-reverse", pr, lintRuleName(r),
				"no ProxyPassReverse for %s %s %s: redirects from the backend (Location: %s...) reach clients unchanged; add `ProxyPassReverse %s %s`",
				lintRuleName(r), r.Path, r.URL, r.URL, r.Path, r.URL)
		}
	}
}

func lintReversePath(r *model.ProxyPassRule) string {
	if r.Regex != nil {
		return "/"
	}
	return r.Path
}

// lintReverseBalancers reports ProxyPassReverse rules naming a balancer
// that does not exist: Apache then compares headers with the literal
// "balancer://..." text, which no backend sends, so nothing is rewritten.
func lintReverseBalancers(l *linter) {
	seen := map[string]bool{}
	for _, s := range l.servers() {
		var dirs []*model.DirConfig
		if s.Dir != nil {
			dirs = append(dirs, s.Dir)
		}
		for _, loc := range s.Locations {
			if loc.Dir != nil {
				dirs = append(dirs, loc.Dir)
			}
		}
		for _, d := range dirs {
			for _, rr := range d.Reverse {
				name := lintBalancerKey(rr.URL)
				if name == "" || seen[rr.Source+name] {
					continue
				}
				if b := l.balancerFor(s, name); b != nil && len(b.Members) > 0 || usedBy(s, name) {
					continue // fine, or balancer-undefined says it
				}
				seen[rr.Source+name] = true
				hint := ""
				if sb := l.similarBalancer(name); sb != nil {
					hint = fmt.Sprintf(" (did you mean %s?)", sb.Name)
				}
				l.warnf("reverse-balancer-unknown", l.pos(rr.Source, "ProxyPassReverse"), "ProxyPassReverse",
					"ProxyPassReverse %s %s: there is no balancer %s with members here%s, so this rule rewrites nothing; name the balancer the ProxyPass uses",
					rr.Path, rr.URL, name, hint)
			}
		}
	}
}

// usedBy reports whether a ProxyPass of s sends requests to balancer name.
func usedBy(s *model.Server, name string) bool {
	for _, r := range s.ProxyPass {
		if r.Balancer == name {
			return true
		}
	}
	return false
}

// similarBalancer returns a balancer with members whose name is close to
// name (a likely typo), or nil.
func (l *linter) similarBalancer(name string) *model.Balancer {
	var best *model.Balancer
	bestDist := 3
	for _, s := range l.servers() {
		for _, n := range balancerNames(s) {
			b := s.Balancers[n]
			if b == nil || len(b.Members) == 0 || n == name {
				continue
			}
			if d := editDistance(n, name); d < bestDist {
				best, bestDist = b, d
			}
		}
	}
	return best
}

// reverseRulesFor returns the ProxyPassReverse rules that apply to requests
// served by rule r: the server level and the Locations covering its path.
func reverseRulesFor(s *model.Server, r *model.ProxyPassRule) []model.ReverseRule {
	var out []model.ReverseRule
	if s.Dir != nil {
		out = append(out, s.Dir.Reverse...)
	}
	for _, loc := range s.Locations {
		if loc.Dir == nil {
			continue
		}
		if loc.Path == r.InLocation && r.InLocation != "" ||
			r.Regex == nil && loc.Regex == nil && lintPrefixCovers(loc.Path, r.Path) ||
			loc.Regex != nil && r.Regex == nil && loc.Regex.MatchString(r.Path) {
			out = append(out, loc.Dir.Reverse...)
		}
	}
	return out
}

// redirectingScheme reports whether a backend URL's redirects carry the
// backend's own address: HTTP(S). AJP and FastCGI pass the client's Host
// (backends redirect to the public name) and WebSocket targets do not
// redirect.
func redirectingScheme(u string) bool {
	if strings.HasPrefix(strings.ToLower(u), "unix:") {
		if i := strings.IndexByte(u, '|'); i >= 0 {
			u = u[i+1:]
		}
	}
	scheme, _, _ := strings.Cut(strings.ToLower(u), "://")
	switch scheme {
	case "http", "https", "h2", "h2c":
		return true
	}
	return false
}

// reverseMisspells reports whether a rule names a balancer whose name is a
// near miss of name (reverse-balancer-unknown reports it).
func reverseMisspells(rev []model.ReverseRule, name string) bool {
	for _, rr := range rev {
		if k := lintBalancerKey(rr.URL); k != "" && k != name && editDistance(k, name) <= 2 {
			return true
		}
	}
	return false
}

func reverseCoversBalancer(rev []model.ReverseRule, name string) bool {
	for _, rr := range rev {
		if lintBalancerKey(rr.URL) == name {
			return true
		}
	}
	return false
}

// reverseCovers reports whether some rule rewrites absolute Location
// headers that start with the worker URL u.
func reverseCovers(rev []model.ReverseRule, u string) bool {
	target := strings.ToLower(strings.TrimSuffix(u, "/") + "/")
	for _, rr := range rev {
		real := strings.ToLower(rr.URL)
		if strings.HasPrefix(real, "/") || strings.HasPrefix(real, "balancer://") {
			continue
		}
		if strings.HasPrefix(target, lintNormURL(real)) || strings.HasPrefix(target, real) {
			return true
		}
	}
	return false
}
