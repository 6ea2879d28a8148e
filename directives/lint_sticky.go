package directives

import (
	"fmt"
	"strings"

	"github.com/balancerd/balancerd/directives/model"
	"github.com/balancerd/balancerd/parser"
)

// lintSticky: stickysession / nofailover without routes, routes without
// stickysession, members without a route.
func lintSticky(l *linter) {
	l.eachBalancer(func(s *model.Server, b *model.Balancer) {
		if len(b.Members) == 0 {
			return
		}
		sticky := b.StickyCookie != "" || b.StickyParam != ""
		var withRoute, without []*model.Worker
		for _, m := range b.Members {
			if m.Params.Route != "" {
				withRoute = append(withRoute, m)
			} else {
				without = append(without, m)
			}
		}
		if routeless := routelessSessionCookie(b.StickyCookie); routeless && len(withRoute) > 0 {
			l.warnf("sticky-session-id", l.balancerParamPos(b, "stickysession"), "",
				"stickysession=%s: %s values are plain session ids without a %q and a route, so requests never stick (spec 10.11); use the ROUTEID recipe: `Header add Set-Cookie \"ROUTEID=.%%{BALANCER_WORKER_ROUTE}e; path=/\" env=BALANCER_ROUTE_CHANGED` and stickysession=ROUTEID",
				b.StickyCookie, b.StickyCookie, lintSepName(b))
		}
		switch {
		case sticky && len(withRoute) == 0:
			l.warnf("sticky-no-routes", l.balancerParamPos(b, "stickysession"), "",
				"%s has stickysession=%s but no member has a route, so requests never stick; add route=NAME to each BalancerMember (the text after the '%s' in the %s value)",
				b.Name, lintStickyName(b), lintSepName(b), lintStickyName(b))
		case sticky:
			for _, m := range without {
				l.warnf("member-no-route", l.pos(m.Source, "BalancerMember"), "BalancerMember",
					"member %s of sticky %s has no route, so sessions that start on it never stick; add route=NAME", m.Name, b.Name)
			}
		case len(withRoute) > 0:
			l.warnf("routes-no-sticky", l.pos(withRoute[0].Source, "BalancerMember"), "BalancerMember",
				"members of %s have route= but the balancer has no stickysession, so routes are never used; add stickysession=COOKIE to the ProxyPass or a ProxySet", b.Name)
		}
		if b.NoFailover && len(withRoute) == 0 {
			l.warnf("nofailover-no-routes", l.balancerParamPos(b, "nofailover"), "",
				"nofailover=On on %s has no effect without member routes and stickysession; add route= to the members or remove nofailover", b.Name)
		}
	})
}

func lintStickyName(b *model.Balancer) string {
	if b.StickyParam != "" && b.StickyParam != b.StickyCookie {
		return b.StickyCookie + "|" + b.StickyParam
	}
	return b.StickyCookie
}

func lintSepName(b *model.Balancer) string {
	if b.StickySep == "" {
		return "(separator Off)"
	}
	return b.StickySep
}

// cookieSource is a cookie setter with the file it came from.
type cookieSource struct {
	CookieSetter
	backend string // backend file, "" for the load balancer's own config
}

// lintBackendCookies cross-checks each sticky balancer's cookie name and
// member routes with the cookies the backends (and the balancer's own
// config) set.
func lintBackendCookies(l *linter) {
	var all []cookieSource
	for _, c := range l.ownCookies() {
		all = append(all, cookieSource{c, ""})
	}
	for _, bi := range l.backends {
		for _, c := range bi.Cookies {
			all = append(all, cookieSource{c, bi.File})
		}
	}
	for _, c := range all {
		if c.Inactive != "" && c.backend != "" {
			l.warnf("backend-cookie-inactive", c.Pos, c.Via,
				"this %s sets cookie %s, but %s; add `RewriteEngine On` before it", c.Via, c.Name, c.Inactive)
		}
	}
	// Index by cookie name; the balancer's own cookies also by the
	// virtual host names they are set in ("" = main server).
	byName := map[string][]cookieSource{}
	own := map[string][]cookieSource{}
	var names []string
	seenName := map[string]bool{}
	for _, c := range all {
		if !seenName[c.Name] {
			seenName[c.Name] = true
			names = append(names, c.Name)
		}
		if c.backend != "" {
			byName[c.Name] = append(byName[c.Name], c)
			continue
		}
		if len(c.ServerNames) == 0 {
			own[c.Name+"|"] = append(own[c.Name+"|"], c)
		}
		for _, n := range c.ServerNames {
			own[c.Name+"|"+n] = append(own[c.Name+"|"+n], c)
		}
	}
	ownFor := func(name string, s *model.Server) []cookieSource {
		if len(s.Addrs) == 0 { // main server: every vhost's cookies count
			var out []cookieSource
			for _, c := range all {
				if c.backend == "" && c.Name == name {
					out = append(out, c)
				}
			}
			return out
		}
		out := own[name+"|"]
		seen := map[parser.Pos]bool{}
		for _, n := range append([]string{s.ServerName}, s.ServerAlias...) {
			for _, c := range own[name+"|"+strings.ToLower(n)] {
				if !seen[c.Pos] {
					seen[c.Pos] = true
					out = append(out[:len(out):len(out)], c)
				}
			}
		}
		return out
	}
	l.eachBalancer(func(s *model.Server, b *model.Balancer) {
		if b.StickyCookie == "" || len(b.Members) == 0 {
			return
		}
		lbSets := false
		var match, near []cookieSource
		for _, c := range append(ownFor(b.StickyCookie, s), byName[b.StickyCookie]...) {
			if c.Inactive != "" {
				continue
			}
			match = append(match, c)
			lbSets = lbSets || c.backend == ""
		}
		for _, name := range names {
			if name != b.StickyCookie && (strings.EqualFold(name, b.StickyCookie) || editDistance(name, b.StickyCookie) <= 2) {
				near = append(near, byName[name]...)
				near = append(near, ownFor(name, s)...)
			}
		}
		if len(l.backends) == 0 && !lbSets && len(near) == 0 {
			return // nothing to cross-check against
		}
		sp := l.balancerParamPos(b, "stickysession")
		if len(match) == 0 {
			var files []string
			for _, bi := range l.backends {
				files = append(files, bi.File)
			}
			who := fmt.Sprintf("no backend (%s)", strings.Join(files, ", "))
			if len(files) == 0 {
				who = "nothing in this configuration (and no --backend file)"
			}
			msg := fmt.Sprintf("%s has stickysession=%s but %s sets a cookie named %s, so requests never stick",
				b.Name, b.StickyCookie, who, b.StickyCookie)
			if len(near) > 0 {
				msg += fmt.Sprintf("; %s sets %q: make the names identical (they are case-sensitive)", lintAt(near[0].Pos), near[0].Name)
			} else {
				msg += fmt.Sprintf("; add `RewriteRule .* - [CO=%s:balancer.ROUTE:.example.com]` on each backend, with ROUTE its member's route", b.StickyCookie)
			}
			if appSessionCookie(b.StickyCookie) {
				l.warnf("sticky-cookie-unset", sp, "", "%s (if the application sets %s itself, its value must end in %sROUTE, e.g. Tomcat's jvmRoute)", msg, b.StickyCookie, b.StickySep)
				return
			}
			l.errorf("sticky-cookie-unset", sp, "", "%s", msg)
			return
		}
		routes := map[string]*model.Worker{}
		var routeList []string
		for _, m := range b.Members {
			if m.Params.Route != "" {
				if _, dup := routes[m.Params.Route]; !dup {
					routeList = append(routeList, fmt.Sprintf("%s (%s)", m.Params.Route, lintAtSrc(m.Source)))
				}
				routes[m.Params.Route] = m
			}
		}
		if len(routes) == 0 {
			return // sticky-no-routes already says it
		}
		covered := map[string]bool{}
		dynamic := false
		reported := map[parser.Pos]bool{}
		mismatched := map[*model.Worker]bool{}
		// Members whose backend is identified by host name.
		for _, m := range b.Members {
			if m.Params.Route == "" {
				continue
			}
			for _, c := range match {
				if c.backend == "" || c.Dynamic || !lintHostIn(m.Host, c.ServerNames) {
					continue
				}
				r, ok := routeOf(c.Value, b.StickySep)
				if ok && r == m.Params.Route {
					continue
				}
				reported[c.Pos] = true
				if !ok {
					continue // reported below as sticky-cookie-no-route
				}
				mismatched[m] = true
				l.errorf("member-route-mismatch", l.pos(m.Source, "BalancerMember"), "BalancerMember",
					"member %s of %s has route=%s, but its backend %s (ServerName %s) sets %s=%s at %s, i.e. route %s; make them equal",
					m.Name, b.Name, m.Params.Route, c.backend, m.Host, c.Name, c.Value, lintAt(c.Pos), r)
			}
		}
		for _, c := range match {
			if c.Dynamic {
				if strings.Contains(c.Value, "BALANCER_WORKER_ROUTE") {
					dynamic = true
				}
				continue
			}
			r, ok := routeOf(c.Value, b.StickySep)
			if !ok {
				fix := "ROUTE"
				if routes[c.Value] != nil {
					fix = c.Value
				}
				l.errorf("sticky-cookie-no-route", c.Pos, c.Via,
					"cookie %s=%s carries no route for %s (%s): Apache takes the route after the first %q and there is none; write %s=balancer%s%s",
					c.Name, c.Value, b.Name, lintAt(sp), b.StickySep, c.Name, b.StickySep, fix)
				continue
			}
			covered[r] = true
			if routes[r] != nil || reported[c.Pos] {
				continue
			}
			l.errorf("sticky-route-unknown", c.Pos, c.Via,
				"cookie %s=%s gives route %q, but no member of %s has route=%s (member routes: %s); requests with this cookie are balanced as if it were absent; make the value end in one of the member routes",
				c.Name, c.Value, r, b.Name, r, strings.Join(routeList, ", "))
		}
		if dynamic || len(l.backends) == 0 {
			return
		}
		for _, m := range b.Members {
			if m.Params.Route == "" || covered[m.Params.Route] || mismatched[m] {
				continue
			}
			var set []string
			for _, c := range match {
				if r, ok := routeOf(c.Value, b.StickySep); ok && !c.Dynamic {
					set = append(set, fmt.Sprintf("%s at %s", r, lintAt(c.Pos)))
				}
			}
			hint := ""
			if len(set) > 0 {
				hint = " (the backends set routes " + strings.Join(set, ", ") + ")"
			}
			if len(near) > 0 {
				hint += fmt.Sprintf(" (%s sets %q: cookie names are case-sensitive)", lintAt(near[0].Pos), near[0].Name)
			}
			l.warnf("member-route-unset", l.pos(m.Source, "BalancerMember"), "BalancerMember",
				"no backend sets cookie %s with route %s%s, so sessions on member %s never stick to it; on that backend add `RewriteRule .* - [CO=%s:balancer%s%s:DOMAIN]`",
				b.StickyCookie, m.Params.Route, hint, m.Name, b.StickyCookie, b.StickySep, m.Params.Route)
		}
		l.checkCookieDomains(b, match)
	})
}

// checkCookieDomains warns when a sticky cookie's domain attribute does not
// cover any name of the virtual hosts that use the balancer: browsers then
// never send it to the load balancer.
func (l *linter) checkCookieDomains(b *model.Balancer, match []cookieSource) {
	var names []string
	for _, s := range l.servers() {
		if s.Balancers[b.Name] == nil {
			continue
		}
		if s.ServerName != "" {
			names = append(names, strings.ToLower(s.ServerName))
		}
		for _, a := range s.ServerAlias {
			names = append(names, strings.ToLower(a))
		}
	}
	if len(names) == 0 {
		return
	}
	for _, c := range match {
		if c.Domain == "" || strings.Contains(c.Domain, "%") {
			continue
		}
		ok := false
		for _, n := range names {
			if cookieDomainMatch(n, c.Domain) {
				ok = true
				break
			}
		}
		if !ok {
			l.warnf("sticky-cookie-domain", c.Pos, c.Via,
				"cookie %s is set for domain %s, which does not cover the load balancer's names (%s), so browsers never send it back and requests never stick; use a domain the public name ends with",
				c.Name, c.Domain, strings.Join(names, ", "))
		}
	}
}

// domainMatch is RFC 6265 domain matching (leading dot ignored; wildcard
// aliases are tested without their '*.' prefix).
func cookieDomainMatch(host, domain string) bool {
	domain = strings.ToLower(strings.TrimPrefix(domain, "."))
	host = strings.TrimPrefix(strings.ToLower(host), "*.")
	return host == domain || strings.HasSuffix(host, "."+domain)
}

// hostIn reports whether host is one of names (wildcards allowed).
func lintHostIn(host string, names []string) bool {
	host = strings.ToLower(host)
	for _, n := range names {
		if n == host || (strings.HasPrefix(n, "*.") && strings.HasSuffix(host, n[1:])) {
			return true
		}
	}
	return false
}

// appSessionCookie reports whether a cookie is normally set by the
// application rather than by Apache directives.
func appSessionCookie(name string) bool {
	switch strings.ToUpper(name) {
	case "JSESSIONID", "PHPSESSID", "ASP.NET_SESSIONID", "CFID", "CFTOKEN", "SESSIONID", "SID", "CONNECT.SID", "LARAVEL_SESSION", "_SESSION_ID":
		return true
	}
	return strings.HasPrefix(strings.ToUpper(name), "ASPSESSIONID")
}

// routelessSessionCookie reports whether a cookie is a session id that
// never carries a route suffix (PHP, ASP, ASP.NET).
func routelessSessionCookie(name string) bool {
	u := strings.ToUpper(name)
	return u == "PHPSESSID" || u == "ASP.NET_SESSIONID" || strings.HasPrefix(u, "ASPSESSIONID")
}

// ownCookies returns the cookies the load balancer's own configuration
// sets (computed once).
func (l *linter) ownCookies() []CookieSetter {
	if l.own == nil {
		l.own = []CookieSetter{}
		if l.res != nil {
			l.own = CollectCookies(l.res.Directives).Cookies
		}
	}
	return l.own
}
