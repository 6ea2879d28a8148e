package directives

import (
	"fmt"
	"strings"

	"github.com/balancerd/balancerd/directives/model"
	"github.com/balancerd/balancerd/parser"
)

// accessLevel is one configuration level that may carry access control,
// in Apache's merge order, with a label for messages.
type accessLevel struct {
	access *model.Access
	what   string // "<Location /balancer-manager> (FILE:LINE)"
}

// accessHasAuthz reports whether a level contains authorization directives
// (Require, in or outside <Limit>): with AuthMerging Off it replaces the
// inherited ones.
func accessHasAuthz(a *model.Access) bool {
	if a == nil {
		return false
	}
	if a.Require != nil {
		return true
	}
	for _, l := range a.Limited {
		if accessHasAuthz(l) {
			return true
		}
	}
	return false
}

// accessHasHost reports whether a level contains Order/Allow/Deny.
func accessHasHost(a *model.Access) bool {
	if a == nil {
		return false
	}
	if a.Order != "" || len(a.Allow) > 0 || len(a.Deny) > 0 {
		return true
	}
	for _, l := range a.Limited {
		if accessHasHost(l) {
			return true
		}
	}
	return false
}

// limitApplies reports whether a <Limit>/<LimitExcept> block applies to
// method m (GET implies HEAD).
func limitApplies(a *model.Access, m string) bool {
	if len(a.LimitMethods) == 0 {
		return true
	}
	in := false
	for _, x := range a.LimitMethods {
		if x == m || (x == "GET" && m == "HEAD") {
			in = true
		}
	}
	return in != a.LimitExcept
}

// effectiveAccess is the merged access control for one URL.
type effectiveAccess struct {
	authType, authSrc string
	userFile          string
	authz             []*accessLevel // levels whose Require apply (several with AuthMerging And/Or)
	authzMerge        []string
	host              *accessLevel
	satisfy           string
}

func mergeAccess(levels []*accessLevel) effectiveAccess {
	var e effectiveAccess
	for _, lv := range levels {
		a := lv.access
		if a == nil {
			continue
		}
		if a.AuthType != "" {
			e.authType, e.authSrc = a.AuthType, a.Source
		}
		if a.AuthUserFile != "" {
			e.userFile = a.AuthUserFile
		}
		if accessHasAuthz(a) {
			switch strings.ToLower(a.Merge) {
			case "and", "or":
				e.authz = append(e.authz, lv)
				e.authzMerge = append(e.authzMerge, strings.ToLower(a.Merge))
			default:
				e.authz = []*accessLevel{lv}
				e.authzMerge = []string{""}
			}
		}
		if accessHasHost(a) {
			e.host = lv
		}
		if a.Satisfy != "" {
			e.satisfy = strings.ToLower(a.Satisfy)
		}
	}
	return e
}

// requireGrantsAnon reports whether a Require tree grants method m to an
// arbitrary anonymous client.
func requireGrantsAnon(n *model.RequireNode, m string) bool {
	if n == nil {
		return false
	}
	switch n.Kind {
	case "require":
		g := leafGrantsAnon(n, m)
		if n.Negate {
			return !g && leafRestricts(n)
		}
		return g
	case "all":
		any := false
		for _, c := range n.Children {
			if c.Kind == "require" && c.Negate {
				continue // a negation only ever denies
			}
			if !requireGrantsAnon(c, m) {
				return false
			}
			any = true
		}
		return any
	case "none":
		return false
	default: // "any" and the implicit top level
		for _, c := range n.Children {
			if requireGrantsAnon(c, m) {
				return true
			}
		}
		return false
	}
}

func leafGrantsAnon(n *model.RequireNode, m string) bool {
	switch strings.ToLower(n.Provider) {
	case "all":
		return len(n.Args) > 0 && strings.EqualFold(n.Args[0], "granted")
	case "ip":
		for _, a := range n.Args {
			if a == "0.0.0.0/0" || a == "::/0" || a == "0/0" {
				return true
			}
		}
		return false
	case "method":
		for _, a := range n.Args {
			if a == m || (a == "GET" && m == "HEAD") {
				return true
			}
		}
		return false
	}
	return false
}

// leafRestricts reports whether a leaf is a client-specific test whose
// negation grants an arbitrary client.
func leafRestricts(n *model.RequireNode) bool {
	switch strings.ToLower(n.Provider) {
	case "ip", "host", "local", "forward-dns", "env":
		return true
	}
	return false
}

// levelGrantsAnon evaluates one level's authorization for method m: the
// Require lines outside <Limit> and those of the <Limit> blocks that apply.
// applies is false when no Require of the level applies to m.
func levelGrantsAnon(a *model.Access, m string) (granted, applies bool) {
	var nodes []*model.RequireNode
	if a.Require != nil {
		nodes = append(nodes, a.Require)
	}
	for _, l := range a.Limited {
		if l.Require != nil && limitApplies(l, m) {
			nodes = append(nodes, l.Require)
		}
	}
	if len(nodes) == 0 {
		return true, false
	}
	for _, n := range nodes {
		if requireGrantsAnon(n, m) {
			return true, true
		}
	}
	return false, true
}

// hostAllowsAnyone evaluates Order/Allow/Deny for an arbitrary client.
func hostAllowsAnyone(a *model.Access, m string) bool {
	order, allow, deny := a.Order, a.Allow, a.Deny
	for _, l := range a.Limited {
		if !limitApplies(l, m) {
			continue
		}
		if l.Order != "" {
			order = l.Order
		}
		allow = append(allow[:len(allow):len(allow)], l.Allow...)
		deny = append(deny[:len(deny):len(deny)], l.Deny...)
	}
	all := func(hs []model.HostMatch) bool {
		for _, h := range hs {
			if h.All || h.CIDR == "0.0.0.0/0" || h.CIDR == "::/0" {
				return true
			}
		}
		return false
	}
	allowAll, denyAll := all(allow), all(deny)
	switch strings.ToLower(order) {
	case "allow,deny", "mutual-failure":
		return allowAll && !denyAll
	default: // deny,allow
		return !denyAll || allowAll
	}
}

// anonAllowed reports whether an arbitrary anonymous client gets method m
// through the merged access control, and why (for messages).
func (e effectiveAccess) anonAllowed(m string) (bool, string) {
	authzOK, authzWhy := true, "no Require applies"
	if len(e.authz) > 0 {
		var res []bool
		for _, lv := range e.authz {
			g, applies := levelGrantsAnon(lv.access, m)
			res = append(res, g)
			if g {
				if applies {
					authzWhy = "the Require lines of " + lv.what + " let anyone in"
				} else {
					authzWhy = "the Require lines of " + lv.what + " do not cover " + m + " (<Limit>)"
				}
			}
		}
		authzOK = res[len(res)-1]
		for i := len(res) - 2; i >= 0; i-- {
			if e.authzMerge[i+1] == "or" {
				authzOK = authzOK || res[i]
			} else if e.authzMerge[i+1] == "and" {
				authzOK = authzOK && res[i]
			}
		}
	} else if e.authType != "" {
		return false, "" // AH01627: 500 for everyone
	}
	hostOK, hostWhy := true, "no Order/Allow/Deny restricts it"
	hostSet := e.host != nil
	if hostSet {
		hostOK = hostAllowsAnyone(e.host.access, m)
		hostWhy = "the Order/Allow/Deny of " + e.host.what + " allow everyone"
	}
	if e.satisfy == "any" {
		if hostSet && hostOK {
			return true, hostWhy + " and Satisfy Any skips authentication"
		}
		if hostSet && len(e.authz) == 0 {
			// The host check failed and nothing authorizes: Apache
			// cannot check a user and answers 500, not 200.
			return false, ""
		}
		return authzOK, authzWhy
	}
	if authzOK && hostOK {
		return true, authzWhy + ", and " + hostWhy
	}
	return false, ""
}

// lintAuth checks each level with access control for Apache's runtime
// 500s: AuthType without AuthName, without AuthUserFile, or without any
// Require; and mixed 2.2/2.4 access control in one section.
func lintAuth(l *linter) {
	l.eachAccess(func(what fmt.Stringer, a *model.Access, p parser.Pos) {
		if a.AuthType != "" && !strings.EqualFold(a.AuthType, "None") {
			if a.AuthName == "" {
				l.errorf("auth-no-name", p, "AuthType",
					"AuthType %s in %s has no AuthName, so Apache answers 500 (AH01615: need AuthName); add AuthName \"Restricted\"", a.AuthType, what)
			}
			if strings.EqualFold(a.AuthType, "Basic") && a.AuthUserFile == "" && usesFileProvider(a) {
				l.errorf("auth-no-userfile", p, "AuthType",
					"AuthType Basic in %s has no AuthUserFile, so Apache answers 500 (AH01619); add AuthUserFile /path/to/.htpasswd", what)
			}
		}
		if accessHasAuthz(a) && (a.Order != "" || len(a.Allow) > 0 || len(a.Deny) > 0) {
			l.warnf("access-mixed", p, "",
				"%s mixes 2.4 Require with 2.2 Order/Allow/Deny; with Satisfy All both must allow (spec 6.4), which is rarely intended; keep only Require (e.g. `Require ip 10.0.0.0/8` instead of Allow from)", what)
		}
	})
}

func usesFileProvider(a *model.Access) bool {
	if len(a.AuthProvider) == 0 {
		return true
	}
	for _, p := range a.AuthProvider {
		if strings.EqualFold(p, "file") {
			return true
		}
	}
	return false
}

// eachAccess visits every Access of the configuration once, with a label
// (formatted only when a message uses it) and the position of the section
// (or of the Access itself).
func (l *linter) eachAccess(f func(what fmt.Stringer, a *model.Access, p parser.Pos)) {
	seen := map[*model.Access]bool{}
	visit := func(what fmt.Stringer, a *model.Access, fallback func() parser.Pos) {
		if a == nil || seen[a] {
			return
		}
		seen[a] = true
		var p parser.Pos
		if a.Source != "" {
			p = l.pos(a.Source, "")
		} else {
			p = fallback()
		}
		f(what, a, p)
	}
	for _, s := range l.servers() {
		if s.Dir != nil {
			visit(serverLabel{s}, s.Dir.Access, func() parser.Pos { return l.pos(s.Source, "VirtualHost") })
		}
	}
	l.eachSection(func(s *model.Server, sec *model.Section) {
		if sec.Dir != nil {
			visit(sectionLabel{sec}, sec.Dir.Access, func() parser.Pos { return l.sectionPos(sec) })
		}
	})
}

// serverLabel formats as lintServerName.
type serverLabel struct{ s *model.Server }

func (x serverLabel) String() string { return lintServerName(x.s) }

// sectionLabel formats as lintSectionLabel.
type sectionLabel struct{ sec *model.Section }

func (x sectionLabel) String() string { return lintSectionLabel(x.sec) }

func lintSectionLabel(sec *model.Section) string {
	return fmt.Sprintf("<%s %s> (%s)", sec.Kind, sec.Path, lintAtSrc(sec.Source))
}
