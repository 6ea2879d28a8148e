package directives

import (
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/balancerd/balancerd/directives/model"
	"github.com/balancerd/balancerd/parser"
)

// lintLegacy reports Apache 2.2 idioms and what 2.4 does with them:
// Order/Allow/Deny (mod_access_compat) with the 2.4 equivalent, Require
// inside <Limit>, and ProxyPassInherit Off (ignored by 2.4.71).
func lintLegacy(l *linter) {
	if l.res == nil {
		return
	}
	var proxyRequestsOn bool
	for _, s := range l.servers() {
		proxyRequestsOn = proxyRequestsOn || s.Proxy.Requests
	}
	lintScopes(l.res.Directives, func(scope *parser.Directive, block []*parser.Directive) {
		var order, allow, deny []*parser.Directive
		for _, d := range block {
			switch lowerName(d.Name) {
			case "order":
				order = append(order, d)
			case "allow":
				allow = append(allow, d)
			case "deny":
				deny = append(deny, d)
			}
		}
		if len(order)+len(allow)+len(deny) == 0 {
			return
		}
		first := firstOf(append(append(order, allow...), deny...))
		where := "this scope"
		if scope != nil {
			where = fmt.Sprintf("<%s %s>", scope.Name, scope.Raw)
		}
		o := "deny,allow"
		if len(order) > 0 && len(order[len(order)-1].Args) > 0 {
			o = strings.ToLower(order[len(order)-1].Args[0].Value)
		}
		allowAll, denyAll := hasFromAll(allow), hasFromAll(deny)
		var advice string
		switch {
		case allowAll && !denyAll && handlerScope(block):
			advice = "`Allow from all` lets anyone use this handler; write `Require ip ADDR...` (or AuthType Basic + `Require valid-user`) instead"
		case allowAll && !denyAll:
			advice = "replace them with `Require all granted`"
			if scope != nil && strings.EqualFold(scope.Name, "Proxy") && len(scope.Args) > 0 && scope.Args[0].Value == "*" && !proxyRequestsOn {
				advice = "with ProxyRequests Off they have no effect in 2.4 (access is granted by default); delete them"
			}
		case denyAll && !allowAll && len(allow) == 0:
			advice = "replace them with `Require all denied`"
		case denyAll && o == "deny,allow" && len(allow) > 0:
			advice = "replace them with `Require ip ADDR...` / `Require host NAME...` listing the Allow from addresses"
		case o == "allow,deny" && len(allow) == 0:
			advice = "Order allow,deny without Allow denies everyone; write `Require all denied`"
		default:
			advice = "rewrite them with Require (spec 6.4)"
		}
		l.warnf("access-compat", first.Pos, first.Name,
			"Order/Allow/Deny in %s are Apache 2.2 access control; Apache 2.4 only understands them with mod_access_compat loaded, and they combine with Require in surprising ways; %s",
			where, advice)
	})
	l.checkLimitRequire(l.res.Directives)
	lintWalk(l.res.Directives, func(d *parser.Directive, parents []*parser.Directive) {
		switch lowerName(d.Name) {
		case "proxypassinherit":
			if len(d.Args) > 0 && strings.EqualFold(d.Args[0].Value, "off") && l.cfg.Main != nil && len(l.cfg.Main.ProxyPass) > 0 {
				l.warnf("proxypassinherit-off", d.Pos, d.Name,
					"ProxyPassInherit Off has no effect on ProxyPass rules: Apache 2.4 (observed on 2.4.71), and balancerd with it, still applies the main server's ProxyPass rules in this virtual host, although the manual says otherwise; move the main server's ProxyPass lines into the virtual hosts that need them")
			}
		case "proxyrequests":
			if len(d.Args) > 0 && strings.EqualFold(d.Args[0].Value, "on") {
				l.warnf("proxy-requests-on", d.Pos, d.Name,
					"ProxyRequests On makes this server a forward proxy for anyone who can reach it; a load balancer needs ProxyRequests Off (ProxyPass works without it)")
			}
		}
	})
}

// lintScopes calls f for the top level and every section block, with the
// section (nil for the top level).
func lintScopes(ds []*parser.Directive, f func(scope *parser.Directive, block []*parser.Directive)) {
	f(nil, ds)
	lintWalk(ds, func(d *parser.Directive, _ []*parser.Directive) {
		if d.IsSection && !isLimitName(d.Name) {
			f(d, d.Block)
		}
	})
}

func isLimitName(n string) bool {
	return strings.EqualFold(n, "Limit") || strings.EqualFold(n, "LimitExcept")
}

func firstOf(ds []*parser.Directive) *parser.Directive {
	best := ds[0]
	for _, d := range ds[1:] {
		if d.Pos.Line < best.Pos.Line {
			best = d
		}
	}
	return best
}

func hasFromAll(ds []*parser.Directive) bool {
	for _, d := range ds {
		for _, a := range d.Args[min(1, len(d.Args)):] {
			if strings.EqualFold(a.Value, "all") {
				return true
			}
		}
	}
	return false
}

var backrefRe = regexp.MustCompile(`(^|[^\\])([$%])([0-9])`)

// lintRewriteFlags: CO flag quirks Load does not report, and `%N`/`$N` in a
// substitution that refer to nothing (spec 7.1: `/sp%20ace` → `/sp0ace`).
func lintRewriteFlags(l *linter) {
	done := map[*model.RewriteRule]bool{}
	for _, s := range l.servers() {
		for _, rw := range serverRewrites(s) {
			for _, r := range rw.Rules {
				if done[r] {
					continue
				}
				done[r] = true
				p := l.pos(r.Source, "RewriteRule")
				for _, raw := range r.Flags.Raw {
					k, v, _ := strings.Cut(raw, "=")
					if !strings.EqualFold(k, "CO") && !strings.EqualFold(k, "cookie") {
						continue
					}
					for _, pr := range ParseCOFlag(v).Problems {
						if pr.Code == "co-empty-field" || pr.Code == "co-lifetime" {
							l.warnf(pr.Code, p, "RewriteRule", "%s", pr.Message)
						}
					}
				}
				groups := 0
				if r.Regex != nil && !r.Negate {
					groups = r.Regex.NumSubexp()
				}
				condGroups := 0
				if n := len(r.Conds); n > 0 && r.Conds[n-1].Regex != nil && !r.Conds[n-1].Negate {
					condGroups = r.Conds[n-1].Regex.NumSubexp()
				}
				for _, m := range backrefRe.FindAllStringSubmatch(r.Substitution, -1) {
					n := int(m[3][0] - '0')
					limit, what := groups, "the pattern"
					if m[2] == "%" {
						limit, what = condGroups, "the last RewriteCond"
					}
					if n > limit {
						l.warnf("rewrite-unescaped", p, "RewriteRule",
							"%s%s in the substitution %s refers to group %d of %s, which has %d group(s), so it expands to nothing; write \\%s%s for a literal %s",
							m[2], m[3], r.Substitution, n, what, limit, m[2], m[3], m[2])
						break
					}
				}
			}
		}
	}
}

// lintHeaderCookies: the mod_headers route-cookie recipe (spec 4.9) with
// %{BALANCER_WORKER_ROUTE}e not preceded by the sticky separator (spec
// 10.15): the balancer then finds no route.
func lintHeaderCookies(l *linter) {
	if l.res == nil {
		return
	}
	seps := map[string]string{}
	l.eachBalancer(func(_ *model.Server, b *model.Balancer) {
		if b.StickyCookie != "" {
			seps[b.StickyCookie] = b.StickySep
		}
	})
	for _, c := range l.ownCookies() {
		if c.Via != "Header" {
			continue
		}
		const ref = "%{BALANCER_WORKER_ROUTE}e"
		i := strings.Index(c.Value, ref)
		if i < 0 {
			continue
		}
		sep, known := seps[c.Name]
		if !known {
			sep = "."
		}
		if sep == "" {
			if i > 0 {
				l.warnf("sticky-cookie-separator", c.Pos, "Header",
					"cookie %s=%s: stickysessionsep is Off, so the whole value is the route; write %s=%s", c.Name, c.Value, c.Name, ref)
			}
			continue
		}
		if !strings.HasSuffix(c.Value[:i], sep) {
			l.errorf("sticky-cookie-separator", c.Pos, "Header",
				"cookie %s=%s has no %q before the route, and Apache takes the route from after the first %q, so requests never stick; write %s=%s%s",
				c.Name, c.Value, sep, sep, c.Name, sep, ref)
		}
	}
}

// lintMisc: trailing comments (spec 10.33).
func lintMisc(l *linter) {
	if l.res == nil {
		return
	}
	lintWalk(l.res.Directives, func(d *parser.Directive, _ []*parser.Directive) {
		for i, a := range d.Args {
			// "#fff" alone may be a value; "#", "##..." or a '#' word
			// followed by more words reads as a comment.
			looksComment := a.Value == "#" || strings.HasPrefix(a.Value, "##") || i < len(d.Args)-1
			if i > 0 && !a.Quoted && strings.HasPrefix(a.Value, "#") && looksComment && !d.IsSection {
				l.warnf("trailing-comment", a.Pos, d.Name,
					"%q is not a comment: Apache has no trailing comments, so it and the words after it are arguments of %s; move the comment to its own line",
					a.Value, d.Name)
				break
			}
		}
	})
}

// checkLimitRequire reports Require inside <Limit>/<LimitExcept> (the
// seed's .htaccess idiom): the other methods stay unrestricted.
func (l *linter) checkLimitRequire(ds []*parser.Directive) {
	lintWalk(ds, func(d *parser.Directive, _ []*parser.Directive) {
		if !isLimitName(d.Name) {
			return
		}
		for _, c := range d.Block {
			if strings.EqualFold(c.Name, "Require") {
				l.warnf("limit-require", d.Pos, d.Name,
					"Require inside <%s %s> (2.2 idiom) only applies to those methods; every other method (DELETE, OPTIONS, PATCH...) is not restricted; remove the <%s> wrapper",
					d.Name, d.Raw, d.Name)
				return
			}
		}
	})
}

// lintCommentContinuation reads the configuration files again for a trap
// the AST cannot show (spec 1.1, 10.33): a comment line ending in a
// backslash continues onto the next line, which Apache then ignores as
// part of the comment.
func lintCommentContinuation(l *linter) {
	if l.res == nil {
		return
	}
	for _, f := range l.res.Files {
		data, ok := l.res.Texts[f]
		if !ok {
			// Not read from the file system by the parser (ParseBytes).
			st, err := os.Stat(f)
			if err != nil || !st.Mode().IsRegular() || st.Size() > 16<<20 {
				continue
			}
			b, err := os.ReadFile(f)
			if err != nil {
				continue
			}
			data = string(b)
		}
		if len(data) > 16<<20 {
			continue
		}
		lintContinuedComments(data, func(line, col, comment int) {
			l.warnf("comment-continuation", parser.Pos{File: f, Line: line, Col: col}, "",
				"this line is ignored: the comment on line %d ends with '\\', which joins the next line to it; remove that backslash",
				comment)
		})
	}
}

// lintContinuedComments calls found for the first line with text (not
// blank, not a comment) that a comment line ending in '\' joins to
// itself, with its line and column and the comment's line (1-based). It
// works on substrings of text, without allocating.
func lintContinuedComments(text string, found func(line, col, comment int)) {
	n := 0 // 0-based number of the line at off
	for off := 0; off >= 0; {
		startOff, start := off, n
		line, next := lintCutLine(text, off)
		first := strings.TrimLeft(strings.TrimSuffix(line, "\r"), " \t")
		for next >= 0 && strings.HasSuffix(strings.TrimSuffix(line, "\r"), "\\") {
			line, next = lintCutLine(text, next)
			n++
		}
		end := n
		off = next
		n++
		if !strings.HasPrefix(first, "#") || end == start {
			continue
		}
		_, o := lintCutLine(text, startOff)
		for j := start + 1; j <= end; j++ {
			var t string
			t, o = lintCutLine(text, o)
			t = strings.TrimSuffix(t, "\r")
			trimmed := strings.TrimLeft(t, " \t")
			if trimmed == "" || strings.HasPrefix(trimmed, "#") {
				continue
			}
			found(j+1, len(t)-len(trimmed)+1, start+1)
			break
		}
	}
}

// lintCutLine returns the line of text that starts at off and the offset
// of the next line (-1 after the last line).
func lintCutLine(text string, off int) (string, int) {
	if k := strings.IndexByte(text[off:], '\n'); k >= 0 {
		return text[off : off+k], off + k + 1
	}
	return text[off:], -1
}

// handlerScope reports whether a section sets a status or management
// handler (balancer-manager, server-status, server-info).
func handlerScope(block []*parser.Directive) bool {
	for _, d := range block {
		if strings.EqualFold(d.Name, "SetHandler") && len(d.Args) > 0 {
			switch strings.ToLower(d.Args[0].Value) {
			case "balancer-manager", "server-status", "server-info":
				return true
			}
		}
	}
	return false
}
