// Package access decides whether a request may proceed, as Apache 2.4's
// access phases do (spec 6): mod_access_compat's Order/Allow/Deny, core's
// Satisfy, mod_authz_core's Require trees with AuthMerging, and Basic
// authentication against htpasswd files (mod_auth_basic, mod_authn_file).
//
// Use Compile to merge the model.Access of every configuration level that
// applies to a request (outermost first), then Checker.Check per request.
package access

import (
	"strings"

	"github.com/balancerd/balancerd/directives/model"
	"github.com/balancerd/balancerd/proxy/access/expr"
)

// methodSet is a set of methods or its complement; nil *methodSet means
// every method. HEAD counts as GET, as in Apache.
type methodSet struct {
	except bool
	names  map[string]bool
}

func normMethod(m string) string {
	if m == "HEAD" {
		return "GET"
	}
	return m
}

func newMethodSet(names []string, except bool) *methodSet {
	s := &methodSet{except: except, names: map[string]bool{}}
	for _, n := range names {
		s.names[normMethod(n)] = true
	}
	return s
}

func (s *methodSet) has(m string) bool {
	if s == nil {
		return true
	}
	return s.names[normMethod(m)] != s.except
}

// union returns s ∪ t (nil = all).
func union(s, t *methodSet) *methodSet {
	if s == nil || t == nil {
		return nil
	}
	out := &methodSet{names: map[string]bool{}}
	switch {
	case !s.except && !t.except:
		for m := range s.names {
			out.names[m] = true
		}
		for m := range t.names {
			out.names[m] = true
		}
	case s.except && t.except:
		out.except = true
		for m := range s.names {
			if t.names[m] {
				out.names[m] = true
			}
		}
	default:
		if !s.except {
			s, t = t, s
		}
		// s is a complement, t a list: complement of (s.names \ t.names)
		out.except = true
		for m := range s.names {
			if !t.names[m] {
				out.names[m] = true
			}
		}
	}
	return out
}

// node is a compiled Require tree node.
type node struct {
	kind     string // "require", "all", "any", "none"
	negate   bool
	provider string
	args     []string
	ips      []model.IPMatch
	children []*node
	methods  *methodSet // nil = every method
	source   string
	expr     *expr.Expr // Require expr; nil if it does not parse (never grants)
	wantUser bool       // the expression reads REMOTE_USER
}

func compileNode(n *model.RequireNode, methods *methodSet) *node {
	out := &node{kind: n.Kind, negate: n.Negate, provider: n.Provider, args: n.Args, methods: methods, source: n.Source}
	if out.kind == "" {
		out.kind = "require"
	}
	if out.kind == "require" && out.provider == "ip" {
		for _, a := range n.Args {
			if m, err := model.ParseIPMatch(a); err == nil {
				out.ips = append(out.ips, m)
			}
		}
	}
	if out.kind == "require" && out.provider == "expr" && len(n.Args) > 0 {
		out.expr, _ = expr.Parse(n.Args[0])
		out.wantUser = strings.Contains(n.Args[0], "REMOTE_USER")
	}
	for _, c := range n.Children {
		out.children = append(out.children, compileNode(c, nil))
	}
	return out
}

// levelRoot builds the implicit RequireAny of one level from its own
// Require lines and those inside <Limit> sections; nil if it has none.
func levelRoot(a *model.Access) *node {
	root := &node{kind: "any", methods: &methodSet{names: map[string]bool{}}}
	add := func(r *model.RequireNode, ms *methodSet) {
		if r == nil {
			return
		}
		kids := []*model.RequireNode{r}
		if r.Kind == "any" || r.Kind == "" {
			kids = r.Children
		}
		for _, c := range kids {
			root.children = append(root.children, compileNode(c, ms))
			root.methods = union(root.methods, ms)
		}
	}
	add(a.Require, nil)
	for _, l := range a.Limited {
		add(l.Require, newMethodSet(l.LimitMethods, l.LimitExcept))
	}
	if len(root.children) == 0 {
		return nil
	}
	return root
}

// hostRule is one compiled Allow/Deny argument with its methods.
type hostRule struct {
	model.HostMatch
	ip      *model.IPMatch
	methods *methodSet
}

type orderRule struct {
	order   string
	methods *methodSet
}

// Policy is the merged access configuration of one request path.
type Policy struct {
	AuthType  string
	AuthName  string
	UserFile  string
	GroupFile string

	root *node // nil: no authorization directives

	// mod_access_compat, from the innermost level that has any.
	orders       []orderRule
	allow, deny  []hostRule
	satisfy      []orderRule // Satisfy per method, last applicable wins
	hasAnyAccess bool
}

// hasCompat reports whether an Access level writes any Order/Allow/Deny.
func hasCompat(a *model.Access) bool {
	if a.Order != "" || len(a.Allow) > 0 || len(a.Deny) > 0 {
		return true
	}
	for _, l := range a.Limited {
		if hasCompat(l) {
			return true
		}
	}
	return false
}

func compileHosts(list []model.HostMatch, ms *methodSet) []hostRule {
	var out []hostRule
	for _, h := range list {
		r := hostRule{HostMatch: h, methods: ms}
		if h.CIDR != "" {
			if m, err := model.ParseIPMatch(h.CIDR); err == nil {
				r.ip = &m
			} else {
				continue
			}
		}
		out = append(out, r)
	}
	return out
}

// Compile merges the access configuration of the levels that apply to a
// request, outermost first (server, <Directory>/.htaccess or <Proxy>,
// <Location>), with Apache's rules: auth settings are inherited unless
// set again; a level with Require lines replaces the inherited tree
// unless its AuthMerging is And/Or; the innermost level with any
// Order/Allow/Deny replaces all of them (no merging, spec 6.2); Satisfy is
// inherited per method. Nil levels are skipped.
func Compile(levels ...*model.Access) *Policy {
	p := &Policy{}
	for _, a := range levels {
		if a == nil {
			continue
		}
		p.hasAnyAccess = true
		switch {
		case strings.EqualFold(a.AuthType, "None"):
			p.AuthType = "" // AuthType None clears an inherited type
		case a.AuthType != "":
			p.AuthType = a.AuthType
		}
		if a.AuthName != "" {
			p.AuthName = a.AuthName
		}
		if a.AuthUserFile != "" {
			p.UserFile = a.AuthUserFile
		}
		if a.AuthGroupFile != "" {
			p.GroupFile = a.AuthGroupFile
		}
		if r := levelRoot(a); r != nil {
			switch {
			case p.root != nil && (a.Merge == "and" || a.Merge == "or"):
				kind := "all"
				if a.Merge == "or" {
					kind = "any"
				}
				p.root = &node{kind: kind, children: []*node{p.root, r}, methods: union(p.root.methods, r.methods)}
			default:
				p.root = r
			}
		}
		if hasCompat(a) {
			p.orders, p.allow, p.deny = nil, nil, nil
			addCompat := func(x *model.Access, ms *methodSet) {
				if x.Order != "" {
					p.orders = append(p.orders, orderRule{x.Order, ms})
				}
				p.allow = append(p.allow, compileHosts(x.Allow, ms)...)
				p.deny = append(p.deny, compileHosts(x.Deny, ms)...)
			}
			addCompat(a, nil)
			for _, l := range a.Limited {
				addCompat(l, newMethodSet(l.LimitMethods, l.LimitExcept))
			}
		}
		if a.Satisfy != "" {
			p.satisfy = append(p.satisfy, orderRule{a.Satisfy, nil})
		}
		for _, l := range a.Limited {
			if l.Satisfy != "" {
				p.satisfy = append(p.satisfy, orderRule{l.Satisfy, newMethodSet(l.LimitMethods, l.LimitExcept)})
			}
		}
	}
	return p
}

// orderFor returns the Order in effect for method.
func (p *Policy) orderFor(method string) string {
	o := "deny,allow"
	for _, r := range p.orders {
		if r.methods.has(method) {
			o = r.order
		}
	}
	return o
}

// satisfyAny reports whether Satisfy Any is in effect for method.
func (p *Policy) satisfyAny(method string) bool {
	s := "all"
	for _, r := range p.satisfy {
		if r.methods.has(method) {
			s = r.order
		}
	}
	return strings.EqualFold(s, "any")
}

// Empty reports whether the policy has no access directives at all (every
// request is allowed without looking at it).
func (p *Policy) Empty() bool { return p == nil || !p.hasAnyAccess }
