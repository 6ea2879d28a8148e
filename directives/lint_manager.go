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
	if docroot == "" {
		// Unknown document root: only <Directory /> is sure to apply.
		for _, sec := range l.directoriesOf(s) {
			if sec.Regex == nil && path.Clean(sec.Path) == "/" && sec.Dir != nil {
				levels = append(levels, &accessLevel{sec.Dir.Access, lintSectionLabel(sec)})
			}
		}
	}
	if docroot != "" {
		fsPath := path.Join(docroot, loc.Path)
		dirs := pathDirs(fsPath)
		var override []string
		overrideSet, overrideSrc := false, ""
		deepest := -1 // NoFiles: no .htaccess is read
		if !l.opts.NoFiles {
			deepest = l.deepestExisting(dirs)
		}
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
			hostFile := l.hostPath(path.Join(d, ".htaccess"))
			data, err := os.ReadFile(hostFile)
			if err != nil {
				continue
			}
			parsed := parser.ParseBytes(hostFile, data, parser.Options{HTAccess: true})
			if overrideSet && overrideNone(override) {
				if hasAccessDirectives(parsed.Directives) {
					l.warnf("htaccess-ignored", parser.Pos{File: hostFile, Line: 1, Col: 1}, "",
						"%s is ignored because of AllowOverride None (%s), so its access control does not protect %s; move it into <Location %s> or set AllowOverride AuthConfig Limit for %s",
						path.Join(d, ".htaccess"), lintAtSrc(overrideSrc), loc.Path, loc.Path, d)
					notes = append(notes, fmt.Sprintf("%s is ignored (AllowOverride None)", path.Join(d, ".htaccess")))
				}
				continue
			}
			var allow []string
			if overrideSet {
				allow = override
			}
			dir, hd := LoadHTAccess(hostFile, allow, LoadOptions{ServerRoot: l.cfg.ServerRoot})
			if hd.HasErrors() {
				for _, e := range hd {
					if e.Severity != parser.Error {
						continue
					}
					reason := fmt.Sprintf("AllowOverride %s (%s)", strings.Join(override, " "), lintAtSrc(overrideSrc))
					if !overrideSet {
						reason = "AllowOverride is not set for " + d + ", and Apache 2.4 then reads the file and rejects every directive in it (where AllowOverride None applies, as in Debian's apache2.conf, the file is ignored instead and protects nothing)"
					}
					if e.Code != "htaccess-not-allowed" {
						l.report(parser.Error, e.Code, e.Pos, e.Directive,
							"%s; Apache answers 500 to every request for %s while this .htaccess is broken", e.Message, loc.Path)
					} else {
						l.errorf("htaccess-not-allowed", e.Pos, e.Directive,
							"%s: %s, so every request for %s gets 500; add `<Directory %s>` with `AllowOverride AuthConfig Limit`, or move these lines into <Location %s>",
							e.Message, reason, loc.Path, d, loc.Path)
					}
					break
				}
				notes = append(notes, fmt.Sprintf("%s makes Apache answer 500", path.Join(d, ".htaccess")))
				return nil, notes, true // 500 for everyone: not reachable
			}
			if dir != nil {
				levels = append(levels, &accessLevel{dir.Access, hostFile})
			}
			l.checkLimitRequire(parsed.Directives)
			lintWalk(parsed.Directives, func(d *parser.Directive, _ []*parser.Directive) {
				if strings.EqualFold(d.Name, "AuthUserFile") && len(d.Args) > 0 {
					l.checkUserFile(d.Args[0].Value, d.Pos, d.Name)
				}
			})
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

// overrideNone reports whether AllowOverride words mean None.
func overrideNone(words []string) bool {
	return len(words) == 0 || len(words) == 1 && strings.EqualFold(words[0], "None")
}

// hasAccessDirectives reports whether an .htaccess holds authentication or
// access directives (it was meant to protect something).
func hasAccessDirectives(ds []*parser.Directive) bool {
	found := false
	lintWalk(ds, func(d *parser.Directive, _ []*parser.Directive) {
		switch lowerName(d.Name) {
		case "authtype", "require", "order", "allow", "deny", "authuserfile", "requireall", "requireany":
			found = true
		}
	})
	return found
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
