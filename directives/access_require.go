package directives

// Authorization (mod_authz_core and its providers):
//
//	Require [not] entity-name [entity-name] ...
//	<RequireAll> ... </RequireAll>
//	<RequireAny> ... </RequireAny>
//	<RequireNone> ... </RequireNone>
//
// Require lines directly in a section form an implicit RequireAny (the root
// node of model.Access.Require). Providers (spec 6.3): all, ip, host,
// forward-dns, local, env, method, expr (an ap_expr subset), user,
// valid-user, group. The providers of modules balancerd lacks (ldap-*, dbm-group, dbd-group,
// file-owner, file-group) are errors, since ignoring them changes who gets
// in.

import (
	"strings"

	"github.com/balancerd/balancerd/directives/model"
	"github.com/balancerd/balancerd/parser"
	"github.com/balancerd/balancerd/proxy/access/expr"
)

func init() {
	Implement("Require", applyRequire)
	Implement("RequireAll", applyRequireSection)
	Implement("RequireAny", applyRequireSection)
	Implement("RequireNone", applyRequireSection)
}

// unsupportedAuthz are real Apache authorization providers balancerd does
// not implement, with their modules.
var unsupportedAuthz = map[string]string{
	"ldap-user":      "mod_authnz_ldap",
	"ldap-group":     "mod_authnz_ldap",
	"ldap-dn":        "mod_authnz_ldap",
	"ldap-attribute": "mod_authnz_ldap",
	"ldap-filter":    "mod_authnz_ldap",
	"ldap-search":    "mod_authnz_ldap",
	"dbm-group":      "mod_authz_dbm",
	"dbm-file-group": "mod_authz_dbm",
	"dbd-group":      "mod_authz_dbd",
	"dbd-login":      "mod_authz_dbd",
	"dbd-logout":     "mod_authz_dbd",
	"file-owner":     "mod_authz_owner",
	"file-group":     "mod_authz_owner",
}

// standardMethods are the methods Apache knows without registration
// (Require method checks against them).
var standardMethods = map[string]bool{
	"GET": true, "HEAD": true, "PUT": true, "POST": true, "DELETE": true, "CONNECT": true,
	"OPTIONS": true, "TRACE": true, "PATCH": true, "PROPFIND": true, "PROPPATCH": true,
	"MKCOL": true, "COPY": true, "MOVE": true, "LOCK": true, "UNLOCK": true,
	"VERSION-CONTROL": true, "CHECKOUT": true, "UNCHECKOUT": true, "CHECKIN": true,
	"UPDATE": true, "LABEL": true, "REPORT": true, "MKWORKSPACE": true, "MKACTIVITY": true,
	"BASELINE-CONTROL": true, "MERGE": true,
}

// parseRequire turns the words of a Require line into a leaf node,
// checking provider arguments with Apache's messages.
func parseRequire(words []string, raw string) (*model.RequireNode, error) {
	n := &model.RequireNode{Kind: "require"}
	if len(words) > 0 && strings.EqualFold(words[0], "not") {
		n.Negate = true
		words = words[1:]
	}
	if len(words) == 0 {
		return nil, apacheErr("Unknown Authz provider: ")
	}
	n.Provider, n.Args = words[0], words[1:]
	if mod, ok := unsupportedAuthz[n.Provider]; ok {
		return nil, apacheErrf("Require %s: this authorization provider (%s) is not supported by balancerd; ignoring it would change who is let in", n.Provider, mod)
	}
	switch n.Provider {
	case "all":
		if len(n.Args) != 1 || (!strings.EqualFold(n.Args[0], "granted") && !strings.EqualFold(n.Args[0], "denied")) {
			return nil, apacheErr("Argument for 'Require all' must be 'granted' or 'denied'")
		}
		n.Args = []string{strings.ToLower(n.Args[0])}
	case "ip":
		if len(n.Args) == 0 {
			return nil, apacheErr("'require ip' requires an argument")
		}
		for _, w := range n.Args {
			if _, err := model.ParseIPMatch(w); err != nil {
				if err == model.ErrNotIP {
					return nil, apacheErrf("ip address '%s' appears to be invalid", w)
				}
				return nil, apacheErrf("ip address '%s' appears to be invalid: %s", w, err)
			}
		}
	case "method":
		for _, w := range n.Args {
			if !standardMethods[w] {
				return nil, apacheErrf("Invalid Method '%s'", w)
			}
		}
	case "expr":
		text := requireExprText(raw)
		if _, err := expr.Parse(text); err != nil {
			return nil, apacheErrf("Cannot parse expression in require line: %s (balancerd evaluates a subset of ap_expr; see package proxy/access/expr)", err)
		}
		n.Args = []string{text}
	case "host", "forward-dns", "local", "env", "user", "valid-user", "group":
	default:
		return nil, apacheErrf("Unknown Authz provider: %s", n.Provider)
	}
	return n, nil
}

// requireParent returns the node a new Require node goes into: the
// innermost open <Require*> section, else the implicit RequireAny root of
// the (possibly <Limit>ed) Access.
func requireParent(b *Builder, d *parser.Directive) *model.RequireNode {
	if st := authStateOf(b); st != nil && len(st.reqs) > 0 {
		return st.reqs[len(st.reqs)-1]
	}
	a := limitedAccess(b, d)
	if a.Require == nil {
		a.Require = &model.RequireNode{Kind: "any", Source: source(d)}
	}
	return a.Require
}

// requireKindName is the section name Apache uses in messages.
func requireKindName(kind string) string {
	switch kind {
	case "all":
		return "<RequireAll>"
	case "none":
		return "<RequireNone>"
	}
	return "<RequireAny>"
}

// negativeUnderOr reports the Apache error for a negated node placed in a
// container whose logic is OR (RequireAny, the implicit root, RequireNone).
func negativeUnderOr(parent *model.RequireNode, what string) error {
	if parent.Kind == "any" || parent.Kind == "none" {
		return apacheErrf("%s has no effect in %s directive", what, requireKindName(parent.Kind))
	}
	return nil
}

func applyRequire(b *Builder, d *parser.Directive) error {
	n, err := parseRequire(d.ArgValues(), d.Raw)
	if err != nil {
		return err
	}
	n.Source = source(d)
	parent := requireParent(b, d)
	if n.Negate {
		if err := negativeUnderOr(parent, "negative Require directive"); err != nil {
			return err
		}
	}
	parent.Children = append(parent.Children, n)
	return nil
}

func applyRequireSection(b *Builder, d *parser.Directive) error {
	kind := strings.TrimPrefix(lowerName(d.Name), "require")
	name := requireKindName(kind)
	if strings.TrimSpace(d.Raw) != "" {
		return apacheErr(name + " directive doesn't take additional arguments")
	}
	n := &model.RequireNode{Kind: kind, Source: source(d)}
	parent := requireParent(b, d)
	st, done := pushAuthState(b)
	defer done()
	st.reqs = append(st.reqs, n)
	nd := len(b.Diags)
	b.Enter(d.Name, d.Raw, b.Ctx, nil, nil, func() { b.Walk(d.Block) })
	st.reqs = st.reqs[:len(st.reqs)-1]
	if b.Diags[nd:].HasErrors() {
		return nil // Apache stops at the inner error, already reported
	}
	// Apache checks the section when it closes, reporting the opener's line.
	if len(n.Children) == 0 {
		return apacheErr(name + " directive contains no authorization directives")
	}
	if kind == "none" {
		if err := negativeUnderOr(parent, "<RequireNone> directive"); err != nil {
			return err
		}
	}
	if kind == "all" {
		allNeg := true
		for _, c := range n.Children {
			if !c.Negate && c.Kind != "none" {
				allNeg = false
			}
		}
		if allNeg {
			return apacheErr("AH01624: <RequireAll> directive contains only negative authorization directives")
		}
	}
	parent.Children = append(parent.Children, n)
	return nil
}

// requireExprText returns the expression of "Require [not] expr ...": the
// raw text after the provider word, without surrounding double quotes (as
// mod_authz_core's expr_parse_config strips them).
func requireExprText(raw string) string {
	rest := strings.TrimSpace(raw)
	for _, word := range []string{"not", "expr"} {
		if len(rest) >= len(word) && strings.EqualFold(rest[:len(word)], word) && (len(rest) == len(word) || rest[len(word)] == ' ' || rest[len(word)] == '\t') {
			rest = strings.TrimSpace(rest[len(word):])
		}
	}
	if len(rest) >= 2 && rest[0] == '"' && rest[len(rest)-1] == '"' {
		rest = rest[1 : len(rest)-1]
	}
	return rest
}
