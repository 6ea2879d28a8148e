package directives

// <Limit method ...> and <LimitExcept method ...> (core):
//
//	<Limit GET POST> ... </Limit>
//	<LimitExcept GET> ... </LimitExcept>
//
// Access directives inside (Require, Order, Allow, Deny, Satisfy) apply
// only to the methods selected; every other directive inside behaves as if
// written outside (spec 6.7). A nested section must be narrower than the
// enclosing one (spec 1.6). The selected methods are flattened into one
// model.Access per section, appended to the scope's Access.Limited.

import (
	"sort"
	"strings"

	"github.com/balancerd/balancerd/directives/model"
	"github.com/balancerd/balancerd/parser"
)

func init() {
	Implement("Limit", applyLimit)
	Implement("LimitExcept", applyLimit)
}

// methodSet is a set of method names, or its complement (except). HEAD is
// folded into GET as Apache does (both are M_GET).
type methodSet struct {
	except bool
	names  map[string]bool
}

var allMethods = methodSet{except: true, names: map[string]bool{}}

func limitMethodName(m string) string {
	if m == "HEAD" {
		return "GET"
	}
	return m
}

func (s methodSet) intersect(t methodSet) methodSet {
	out := methodSet{names: map[string]bool{}}
	switch {
	case !s.except && !t.except:
		for m := range s.names {
			if t.names[m] {
				out.names[m] = true
			}
		}
	case !s.except && t.except:
		for m := range s.names {
			if !t.names[m] {
				out.names[m] = true
			}
		}
	case s.except && !t.except:
		return t.intersect(s)
	default:
		out.except = true
		for m := range s.names {
			out.names[m] = true
		}
		for m := range t.names {
			out.names[m] = true
		}
	}
	return out
}

func (s methodSet) empty() bool { return !s.except && len(s.names) == 0 }

func (s methodSet) equal(t methodSet) bool {
	if s.except != t.except || len(s.names) != len(t.names) {
		return false
	}
	for m := range s.names {
		if !t.names[m] {
			return false
		}
	}
	return true
}

func (s methodSet) sorted() []string {
	out := make([]string, 0, len(s.names))
	for m := range s.names {
		out = append(out, m)
	}
	sort.Strings(out)
	return out
}

func applyLimit(b *Builder, d *parser.Directive) error {
	except := strings.EqualFold(d.Name, "LimitExcept")
	name := "<Limit>"
	if except {
		name = "<LimitExcept>"
	}
	words := strings.Fields(d.Raw)
	if len(words) == 0 {
		return apacheErr(name + " directive requires additional arguments")
	}
	sel := methodSet{except: except, names: map[string]bool{}}
	for _, w := range words {
		if w == "TRACE" && !except {
			return apacheErr("TRACE cannot be controlled by <Limit>, see TraceEnable")
		}
		sel.names[limitMethodName(w)] = true
	}

	st, done := pushAuthState(b)
	defer done()
	if len(st.reqs) > 0 {
		// authz_core allows it, but the model keeps method limits per
		// Access, not per Require node; refusing is safer than widening.
		return apacheErr(name + " inside <RequireAll>/<RequireAny>/<RequireNone> is not supported by balancerd; put the <Require*> section inside the " + name + " instead")
	}
	outer := allMethods
	if n := len(st.limits); n > 0 {
		outer = st.limits[n-1].methods
	}
	eff := outer.intersect(sel)
	if eff.empty() {
		return apacheErr(name + " directive excludes all methods")
	}
	if eff.equal(outer) {
		return apacheErr(name + " directive specifies methods already excluded")
	}

	top := scopeAccess(b, d)
	la := &model.Access{Source: source(d), LimitMethods: eff.sorted(), LimitExcept: eff.except}
	top.Limited = append(top.Limited, la)
	st.limits = append(st.limits, &authLimit{access: la, methods: eff})

	b.Enter(d.Name, d.Raw, CtxLimit, nil, nil, func() { b.Walk(d.Block) })
	st.limits = st.limits[:len(st.limits)-1]
	return nil
}
