package directives

import (
	"fmt"
	"os"
	"path"
	"strings"

	"github.com/balancerd/balancerd/directives/model"
	"github.com/balancerd/balancerd/parser"
)

// handlerLocations returns the Locations of a server (main server's first)
// whose SetHandler is h.
func handlerLocations(l *linter, s *model.Server) []*model.Section {
	var out []*model.Section
	for _, loc := range l.locationsOf(s) {
		if loc.Dir != nil && strings.EqualFold(loc.Dir.Handler, "balancer-manager") {
			out = append(out, loc)
		}
	}
	return out
}

// locationsOf returns the Location sections that apply in s: the main
// server's, then the virtual host's own (Apache appends them this way).
func (l *linter) locationsOf(s *model.Server) []*model.Section {
	var out []*model.Section
	seen := map[*model.Section]bool{}
	if m := l.cfg.Main; m != nil && m != s {
		for _, loc := range m.Locations {
			seen[loc] = true
			out = append(out, loc)
		}
	}
	for _, loc := range s.Locations {
		if !seen[loc] {
			out = append(out, loc)
		}
	}
	return out
}

func (l *linter) directoriesOf(s *model.Server) []*model.Section {
	var out []*model.Section
	seen := map[*model.Section]bool{}
	if m := l.cfg.Main; m != nil && m != s {
		for _, d := range m.Directories {
			seen[d] = true
			out = append(out, d)
		}
	}
	for _, d := range s.Directories {
		if !seen[d] {
			out = append(out, d)
		}
	}
	return out
}

// locationMatches reports whether <Location>/<LocationMatch> sec applies
// to URL path p (segment-aware prefix for plain paths).
func locationMatches(sec *model.Section, p string) bool {
	if sec.Regex != nil {
		return sec.Regex.MatchString(p)
	}
	lp := sec.Path
	return lp == p || lintPrefixCovers(lp, p) || (strings.HasSuffix(lp, "/") && p+"/" == lp)
}

// lintManager: a balancer-manager reachable by anyone, proxied away by a
// ProxyPass, or relying on an .htaccess Apache ignores or rejects.
func lintManager(l *linter) {
	done := map[*model.Section]bool{}
	for _, s := range l.servers() {
		for _, loc := range l.locationsOf(s) {
			if loc.Regex != nil || loc.Dir == nil || loc.Dir.Handler == "" || strings.EqualFold(loc.Dir.Handler, "balancer-manager") ||
				strings.EqualFold(loc.Dir.Handler, "none") || done[loc] {
				continue
			}
			if r := lintFirstMatch(s.ProxyPass, loc.Path); r != nil && !r.Exclude && !hasExclusion(s.ProxyPass, loc.Path) {
				done[loc] = true
				l.warnf("handler-proxied", l.sectionPos(loc), loc.Kind,
					"%s %s %s (%s) also matches %s, so its SetHandler %s never runs: requests are proxied to the backends instead; add `ProxyPass %s !` before it",
					lintRuleName(r), r.Path, r.URL, lintAt(l.pos(r.Source, lintRuleName(r))), loc.Path, loc.Dir.Handler, loc.Path)
			}
		}
		for _, loc := range handlerLocations(l, s) {
			if loc.Regex != nil {
				continue
			}
			if r := lintFirstMatch(s.ProxyPass, loc.Path); r != nil && !r.Exclude && !hasExclusion(s.ProxyPass, loc.Path) {
				l.errorf("manager-proxied", l.sectionPos(loc), loc.Kind,
					"%s %s %s (%s) also matches %s, so requests for the balancer-manager are proxied to the backends instead; add `ProxyPass %s !` before it",
					lintRuleName(r), r.Path, r.URL, lintAt(l.pos(r.Source, lintRuleName(r))), loc.Path, loc.Path)
			}
			if done[loc] && len(s.Addrs) == 0 {
				continue
			}
			levels, notes, broken := l.managerLevels(s, loc)
			if broken {
				continue
			}
			e := mergeAccess(levels)
			for _, m := range []string{"GET", "POST"} {
				ok, why := e.anonAllowed(m)
				if !ok {
					continue
				}
				if done[loc] {
					break
				}
				done[loc] = true
				msg := fmt.Sprintf("balancer-manager at <%s %s> in %s is reachable by anyone (%s: %s)",
					loc.Kind, loc.Path, lintServerName(s), m, why)
				if len(notes) > 0 {
					msg += "; " + strings.Join(notes, "; ")
				}
				msg += "; inside the Location add `Require ip 127.0.0.1 10.0.0.0/8` or AuthType Basic, AuthName, AuthUserFile and `Require valid-user`"
				l.errorf("manager-unprotected", l.sectionPos(loc), loc.Kind, "%s", msg)
				break
			}
		}
	}
}

// managerLevels collects the access levels that apply to a handler
// Location: <Directory> sections and .htaccess files along
// DocumentRoot+path (the request is mapped to a file path and walked, spec
// 6.9), then the Locations that match. notes explain .htaccess files that
// are ignored.
func (l *linter) managerLevels(s *model.Server, loc *model.Section) (levels []*accessLevel, notes []string, broken bool) {
	docroot := s.DocumentRoot
	if docroot != "" && !l.opts.NoFiles {
		fsPath := path.Join(docroot, loc.Path)
		dirs := pathDirs(fsPath)
		var override []string
		overrideSet, overrideSrc := false, ""
		deepest := l.deepestExisting(dirs)
		for i, d := range dirs {
			for _, sec := range l.directoriesOf(s) {
				if sec.Regex != nil || path.Clean(sec.Path) != d || sec.Dir == nil {
					continue
				}
				if sec.Dir.AllowOverrideSet {
					override, overrideSet, overrideSrc = sec.Dir.AllowOverride, true, sec.Source
				}
				levels = append(levels, &accessLevel{sec.Dir.Access, lintSectionLabel(sec)})
			}
			if i > deepest {
				continue
			}
			ht := path.Join(d, ".htaccess")
			data, err := os.ReadFile(l.hostPath(ht))
			if err != nil {
				continue
			}
			hostFile := l.hostPath(ht)
			res := parser.ParseBytes(hostFile, data, parser.Options{HTAccess: true})
			if res.Diags.HasErrors() && !(overrideSet && len(override) == 1 && strings.EqualFold(override[0], "None")) {
				for _, d := range res.Diags {
					if d.Severity == parser.Error {
						d.Message += fmt.Sprintf(" (Apache answers 500 to every request for %s while this .htaccess is broken)", loc.Path)
						l.report(d.Severity, d.Code, d.Pos, d.Directive, "%s", d.Message)
					}
				}
			}
			acc, bad := htaccessAccess(res.Directives, override, overrideSet)
			switch {
			case overrideSet && len(override) == 1 && strings.EqualFold(override[0], "None"):
				if acc != nil && (acc.AuthType != "" || accessHasAuthz(acc) || accessHasHost(acc)) {
					l.warnf("htaccess-ignored", parser.Pos{File: hostFile, Line: 1, Col: 1}, "",
						"%s is ignored because of AllowOverride None (%s), so its access control does not protect %s; move it into <Location %s> or set AllowOverride AuthConfig Limit for %s",
						hostFile, lintAtSrc(overrideSrc), loc.Path, loc.Path, d)
					notes = append(notes, fmt.Sprintf("%s is ignored (AllowOverride None)", hostFile))
				}
			case len(bad) > 0:
				reason := "AllowOverride is not set for " + d + " (Apache 2.4 still reads the file and rejects every directive in it)"
				if overrideSet {
					reason = fmt.Sprintf("AllowOverride %s (%s) does not permit it", strings.Join(override, " "), lintAtSrc(overrideSrc))
				}
				l.errorf("htaccess-not-allowed", bad[0].Pos, bad[0].Name,
					"%s not allowed here: %s, so every request for %s gets 500; add `<Directory %s>` with `AllowOverride AuthConfig Limit`, or move these lines into <Location %s>",
					bad[0].Name, reason, loc.Path, d, loc.Path)
				notes = append(notes, fmt.Sprintf("%s makes Apache answer 500", hostFile))
				return nil, notes, true // 500 for everyone: not reachable
			default:
				levels = append(levels, &accessLevel{acc, hostFile})
				l.checkLimitRequire(res.Directives)
				lintWalk(res.Directives, func(d *parser.Directive, _ []*parser.Directive) {
					if strings.EqualFold(d.Name, "AuthUserFile") && len(d.Args) > 0 {
						l.checkUserFile(d.Args[0].Value, d.Pos, d.Name)
					}
				})
			}
		}
	}
	for _, other := range l.locationsOf(s) {
		if other.Dir != nil && locationMatches(other, loc.Path) {
			levels = append(levels, &accessLevel{other.Dir.Access, lintSectionLabel(other)})
		}
	}
	if len(levels) == 0 {
		// Nothing at all: the zero Access grants everyone.
		levels = append(levels, &accessLevel{nil, ""})
	}
	return levels, notes, false
}

// pathDirs returns "/", "/a", "/a/b" ... for an absolute path.
func pathDirs(p string) []string {
	p = path.Clean(p)
	out := []string{"/"}
	if p == "/" {
		return out
	}
	parts := strings.Split(strings.TrimPrefix(p, "/"), "/")
	cur := ""
	for _, part := range parts {
		cur += "/" + part
		out = append(out, cur)
	}
	return out
}

// deepestExisting returns the index of the deepest directory of dirs that
// exists, -1 if none.
func (l *linter) deepestExisting(dirs []string) int {
	deepest := -1
	for i, d := range dirs {
		st, err := os.Stat(l.hostPath(d))
		if err != nil || !st.IsDir() {
			break
		}
		deepest = i
	}
	return deepest
}

// htaccessGroups maps access directives to their AllowOverride group, for
// when the registry does not know them.
var htaccessGroups = map[string]string{
	"authtype": "AuthConfig", "authname": "AuthConfig", "authuserfile": "AuthConfig",
	"authgroupfile": "AuthConfig", "authbasicprovider": "AuthConfig", "require": "AuthConfig",
	"requireall": "AuthConfig", "requireany": "AuthConfig", "requirenone": "AuthConfig",
	"satisfy": "AuthConfig", "authmerging": "AuthConfig",
	"order": "Limit", "allow": "Limit", "deny": "Limit",
}

// htaccessGroup returns the AllowOverride group a directive needs, "" for
// sections allowed anywhere (<Limit>, <IfModule>...), "-" if never allowed.
func htaccessGroup(name string) string {
	n := strings.ToLower(name)
	switch n {
	case "limit", "limitexcept", "ifmodule", "ifdefine", "ifversion", "files", "filesmatch", "if", "elseif", "else":
		return ""
	}
	if g, ok := htaccessGroups[n]; ok {
		return g
	}
	if s := Lookup(name); s != nil {
		if s.Override == "" {
			return "-"
		}
		return s.Override
	}
	return "-"
}

// htaccessAccess interprets the access-control directives of an .htaccess
// file and returns those Apache would reject given AllowOverride (all of
// them when AllowOverride was never set: spec 6.8 quirk).
func htaccessAccess(ds []*parser.Directive, override []string, overrideSet bool) (*model.Access, []*parser.Directive) {
	allowed := map[string]bool{}
	for _, o := range override {
		o = strings.ToLower(o)
		if i := strings.IndexByte(o, '='); i >= 0 {
			o = o[:i]
		}
		allowed[o] = true
	}
	var bad []*parser.Directive
	a := &model.Access{}
	var walk func(ds []*parser.Directive, cur *model.Access)
	walk = func(ds []*parser.Directive, cur *model.Access) {
		for _, d := range ds {
			g := htaccessGroup(d.Name)
			if g != "" && (!overrideSet || !(allowed["all"] || allowed[strings.ToLower(g)])) {
				bad = append(bad, d)
			}
			args := d.ArgValues()
			src := fmt.Sprintf("%s:%d", d.Pos.File, d.Pos.Line)
			if a.Source == "" {
				a.Source = src
			}
			switch strings.ToLower(d.Name) {
			case "limit", "limitexcept":
				la := &model.Access{Source: src, LimitMethods: args, LimitExcept: strings.EqualFold(d.Name, "LimitExcept")}
				cur.Limited = append(cur.Limited, la)
				walk(d.Block, la)
			case "authtype":
				if len(args) > 0 {
					a.AuthType = args[0]
				}
			case "authname":
				if len(args) > 0 {
					a.AuthName = args[0]
				}
			case "authuserfile":
				if len(args) > 0 {
					a.AuthUserFile = args[0]
				}
			case "require":
				if cur.Require == nil {
					cur.Require = &model.RequireNode{Kind: "any", Source: src}
				}
				n := &model.RequireNode{Kind: "require", Source: src}
				if len(args) > 0 && strings.EqualFold(args[0], "not") {
					n.Negate, args = true, args[1:]
				}
				if len(args) > 0 {
					n.Provider, n.Args = strings.ToLower(args[0]), args[1:]
				}
				cur.Require.Children = append(cur.Require.Children, n)
			case "order":
				if len(args) > 0 {
					cur.Order = strings.ToLower(args[0])
				}
			case "allow", "deny":
				var hs []model.HostMatch
				for _, w := range args[min(1, len(args)):] {
					hs = append(hs, model.HostMatch{All: strings.EqualFold(w, "all"), Host: w})
				}
				if strings.EqualFold(d.Name, "allow") {
					cur.Allow = append(cur.Allow, hs...)
				} else {
					cur.Deny = append(cur.Deny, hs...)
				}
			case "satisfy":
				if len(args) > 0 {
					a.Satisfy = strings.ToLower(args[0])
				}
			default:
				if d.IsSection {
					walk(d.Block, cur)
				}
			}
		}
	}
	walk(ds, a)
	return a, bad
}

// hasExclusion reports whether some server-level `ProxyPass PATH !` covers
// p (even one that comes too late: proxypass-exclusion-shadowed says so).
func hasExclusion(rules []*model.ProxyPassRule, p string) bool {
	for _, r := range rules {
		if r.Exclude && r.Regex == nil && r.InLocation == "" && lintPrefixCovers(r.Path, p) {
			return true
		}
	}
	return false
}
