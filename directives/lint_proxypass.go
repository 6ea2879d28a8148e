package directives

import (
	"regexp"
	"regexp/syntax"
	"strings"

	"github.com/balancerd/balancerd/directives/model"
	"github.com/balancerd/balancerd/parser"
)

// ruleName is the directive name of a ProxyPass rule, for positions.
func lintRuleName(r *model.ProxyPassRule) string {
	if r.Regex != nil {
		return "ProxyPassMatch"
	}
	return "ProxyPass"
}

func lintRuleTarget(r *model.ProxyPassRule) string {
	if r.Exclude {
		return "!"
	}
	return r.URL
}

// prefixCovers reports whether every URI that ProxyPass path b matches is
// also matched by ProxyPass path a (Apache's alias_match: a plain prefix
// that must end at a segment boundary unless the path ends with '/').
func lintPrefixCovers(a, b string) bool {
	if a == "" || !strings.HasPrefix(b, a) {
		return false
	}
	return strings.HasSuffix(a, "/") || len(b) == len(a) || b[len(a)] == '/'
}

// lintRegexShape describes the strings a regular expression matches, when
// that is decidable: Anchored regexes match exactly the strings that start
// with Prefix (plus, when Exact, nothing longer: the pattern was ^Prefix$);
// unanchored ones match every string containing Prefix.
type lintRegexShape struct {
	ok       bool
	anchored bool
	prefix   string
	exact    bool
}

// shapeOf analyses patterns of the forms ^lit, ^lit.*, ^lit(.*), ^lit(.*)$,
// ^lit$, lit and .*; anything else is undecidable.
func lintShapeOf(re *regexp.Regexp) lintRegexShape {
	if re == nil {
		return lintRegexShape{}
	}
	t, err := syntax.Parse(re.String(), syntax.Perl)
	if err != nil {
		return lintRegexShape{}
	}
	t = t.Simplify()
	var subs []*syntax.Regexp
	if t.Op == syntax.OpConcat {
		subs = t.Sub
	} else {
		subs = []*syntax.Regexp{t}
	}
	var sh lintRegexShape
	i := 0
	if i < len(subs) && (subs[i].Op == syntax.OpBeginText || subs[i].Op == syntax.OpBeginLine) {
		sh.anchored = true
		i++
	}
	if i < len(subs) && subs[i].Op == syntax.OpLiteral && subs[i].Flags&syntax.FoldCase == 0 {
		sh.prefix = string(subs[i].Rune)
		i++
	}
	anyTail := false
	if i < len(subs) && lintIsAnyStar(subs[i]) {
		anyTail = true
		i++
	}
	if i < len(subs) && (subs[i].Op == syntax.OpEndText || subs[i].Op == syntax.OpEndLine) {
		if !anyTail {
			sh.exact = true
		}
		i++
	}
	if i != len(subs) {
		return lintRegexShape{}
	}
	if !sh.anchored && sh.exact {
		return lintRegexShape{} // lit$: suffix match, not handled
	}
	sh.ok = true
	return sh
}

// isAnyStar reports whether r is .* or (.*) (any characters, zero or more).
func lintIsAnyStar(r *syntax.Regexp) bool {
	if r.Op == syntax.OpCapture && len(r.Sub) == 1 {
		r = r.Sub[0]
	}
	return r.Op == syntax.OpStar && len(r.Sub) == 1 &&
		(r.Sub[0].Op == syntax.OpAnyChar || r.Sub[0].Op == syntax.OpAnyCharNotNL)
}

// ruleCovers reports whether rule a matches every URI rule b matches
// (decidable cases only).
func lintRuleCovers(a, b *model.ProxyPassRule) bool {
	if a.Mapping == "encoded" || b.Mapping == "encoded" {
		return false // tried in another phase
	}
	switch {
	case a.Regex == nil && b.Regex == nil:
		return lintPrefixCovers(a.Path, b.Path)
	case a.Regex != nil:
		sa := lintShapeOf(a.Regex)
		if !sa.ok {
			return false
		}
		if sa.exact {
			if b.Regex == nil {
				return false
			}
			sb := lintShapeOf(b.Regex)
			return sb.ok && sb.exact && sa.prefix == sb.prefix
		}
		// every string b matches must contain (unanchored) or start with
		// (anchored) sa.prefix.
		var bPrefix string
		if b.Regex == nil {
			bPrefix = b.Path
		} else {
			sb := lintShapeOf(b.Regex)
			if !sb.ok || !sb.anchored {
				return false
			}
			bPrefix = sb.prefix
		}
		if sa.anchored {
			return strings.HasPrefix(bPrefix, sa.prefix)
		}
		return strings.Contains(bPrefix, sa.prefix)
	default: // prefix a, regex b
		sb := lintShapeOf(b.Regex)
		if !sb.ok || !sb.anchored {
			return false
		}
		if sb.exact {
			return lintPrefixCovers(a.Path, sb.prefix)
		}
		return strings.HasPrefix(sb.prefix, a.Path) &&
			(strings.HasSuffix(a.Path, "/") || (len(sb.prefix) > len(a.Path) && sb.prefix[len(a.Path)] == '/'))
	}
}

// lintProxyPassOrder reports ProxyPass rules that can never match because
// an earlier rule matches every URI they match (first match wins, main
// server rules first, spec 3.3), and server-level rules hidden by a
// <Location> ProxyPass.
func lintProxyPassOrder(l *linter) {
	for _, s := range l.servers() {
		server, located := splitByLocation(s.ProxyPass)
		for j, b := range server {
			for _, a := range server[:j] {
				if !lintRuleCovers(a, b) {
					continue
				}
				pa, pb := l.pos(a.Source, lintRuleName(a)), l.pos(b.Source, lintRuleName(b))
				if b.Exclude {
					l.errorf("proxypass-exclusion-shadowed", pb, lintRuleName(b),
						"exclusion %s %s ! has no effect: the earlier %s %s %s (%s) already matches every URL it matches and the first matching rule wins; move this line before %s",
						lintRuleName(b), b.Path, lintRuleName(a), a.Path, lintRuleTarget(a), lintAt(pa), lintAt(pa))
				} else {
					l.errorf("proxypass-shadowed", pb, lintRuleName(b),
						"%s %s %s can never match: the earlier %s %s %s (%s) matches every URL it matches and the first matching rule wins; put the more specific rule first",
						lintRuleName(b), b.Path, lintRuleTarget(b), lintRuleName(a), a.Path, lintRuleTarget(a), lintAt(pa))
				}
				break
			}
		}
		for _, b := range server {
			if b.Regex != nil {
				continue
			}
			for _, a := range located {
				if a.Regex != nil || !lintLocationCovers(a.InLocation, b.Path) {
					continue
				}
				pa, pb := l.pos(a.Source, lintRuleName(a)), l.pos(b.Source, lintRuleName(b))
				l.warnf("proxypass-shadowed-by-location", pb, lintRuleName(b),
					"%s %s %s never applies: URLs under it match <Location %s>, whose ProxyPass (%s) is always tried first; move this rule into a <Location> section after that one or change the Location",
					lintRuleName(b), b.Path, lintRuleTarget(b), a.InLocation, lintAt(pa))
				break
			}
		}
	}
}

// locationCovers reports whether <Location loc> (non-regex) matches every
// URI that starts with path at a segment boundary.
func lintLocationCovers(loc, path string) bool {
	if strings.ContainsAny(loc, "*?[") {
		return false
	}
	return lintPrefixCovers(loc, path)
}

// lintTrailingSlash reports the slash mismatches of spec 3.4.
func lintTrailingSlash(l *linter) {
	done := map[[3]string]bool{}
	for _, s := range l.servers() {
		for _, r := range s.ProxyPass {
			k := [3]string{r.Source, r.Path, r.URL}
			if r.Regex != nil || r.Exclude || r.URL == "" || done[k] {
				continue
			}
			done[k] = true
			pathSlash := strings.HasSuffix(r.Path, "/")
			urlSlash := strings.HasSuffix(lintURLPath(r.URL), "/")
			p := l.pos(r.Source, "ProxyPass")
			switch {
			case pathSlash && !urlSlash && r.Balancer != "":
				l.errorf("proxypass-slash", p, "ProxyPass",
					"ProxyPass %s %s: the path ends with '/' but the balancer URL does not, so %sx is sent to %sx and every request below %s fails with 500; write %s/",
					r.Path, r.URL, r.Path, r.URL, r.Path, r.URL)
			case pathSlash && !urlSlash:
				l.errorf("proxypass-slash", p, "ProxyPass",
					"ProxyPass %s %s: the path ends with '/' but the URL does not, so %sx is sent to %sx; end both with '/' (write %s/)",
					r.Path, r.URL, r.Path, r.URL, r.URL)
			case !pathSlash && urlSlash:
				l.warnf("proxypass-slash", p, "ProxyPass",
					"ProxyPass %s %s: the URL ends with '/' but the path does not, so %s/x is sent as //x; end both with '/' or neither",
					r.Path, r.URL, r.Path)
			}
		}
	}
	l.eachBalancer(func(s *model.Server, b *model.Balancer) {
		for _, m := range b.Members {
			if strings.HasSuffix(m.Name, "/") {
				l.warnf("member-slash", l.pos(m.Source, "BalancerMember"), "BalancerMember",
					"BalancerMember %s of %s ends with '/': the balancer URL's path is appended to it, so backends receive //path; remove the trailing slash",
					m.Name, b.Name)
			}
		}
	})
}

// urlPath returns the path of a URL ("" for http://host).
func lintURLPath(u string) string {
	if i := strings.Index(u, "|"); i >= 0 && strings.HasPrefix(strings.ToLower(u), "unix:") {
		u = u[i+1:]
	}
	i := strings.Index(u, "://")
	if i < 0 {
		return u
	}
	rest := u[i+3:]
	if j := strings.IndexByte(rest, '/'); j >= 0 {
		return rest[j:]
	}
	return ""
}

// firstMatch returns the first server-level ProxyPass rule that matches the
// URI path (prefix rules and decidable regexes), or nil.
func lintFirstMatch(rules []*model.ProxyPassRule, path string) *model.ProxyPassRule {
	for _, r := range rules {
		if r.InLocation != "" {
			continue
		}
		if r.Regex != nil {
			if r.Regex.MatchString(path) {
				return r
			}
			continue
		}
		if lintPrefixCovers(r.Path, path) {
			return r
		}
	}
	return nil
}

// sectionPos resolves a section's position.
func (l *linter) sectionPos(sec *model.Section) parser.Pos {
	return l.pos(sec.Source, sec.Kind)
}
