// Package rewrite runs the mod_rewrite subset balancerd supports (spec 7)
// and mod_headers rules (package-level Apply functions in headers.go).
//
// An Engine is built once from a model.RewriteConfig and run per request:
//
//	out := rewrite.New(cfg).Run(rewrite.FromHTTP(r, env, now))
//	if out.Status != 0 { ... redirect / 403 / 410 ... }
//	if out.Proxy != "" { ... proxy to out.Proxy (may be balancer://...) }
//
// Set-Cookie values from [CO=] are in out.Cookies; Apache sends them with
// every response to the request, errors and redirects included.
package rewrite

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/balancerd/balancerd/directives/model"
	"github.com/balancerd/balancerd/proxy/access/expr"
)

// Engine runs one level's RewriteRules.
type Engine struct {
	cfg   *model.RewriteConfig
	rules []*rule
	// PerDir selects per-directory semantics (rules written in
	// <Directory>, <Location> or .htaccess): patterns match the request's
	// filename (Request.Filename: "proxy:URL" for a proxied request, the
	// file-system path otherwise), as observed on Apache 2.4.67.
	PerDir bool
	// Prefix is the directory of a <Directory>/.htaccess level: stripped
	// from the filename before matching (with the following '/') and put
	// back in front of relative substitutions. A <Location> path never
	// prefixes a filename, so it strips nothing.
	Prefix string
}

type rule struct {
	*model.RewriteRule
	look        *regexp.Regexp // trailing PCRE lookahead, if any
	lookNeg     bool
	conds       []*cond
	cookieFlags []string // raw CO= values, expanded per request
}

type cond struct {
	*model.RewriteCond
	expr *expr.Expr // TestString "expr": the CondPattern is an ap_expr
}

// New compiles cfg. A nil cfg or RewriteEngine Off gives an Engine that
// changes nothing.
func New(cfg *model.RewriteConfig) *Engine {
	e := &Engine{cfg: cfg}
	if cfg == nil || !cfg.Engine {
		return e
	}
	for _, r := range cfg.Rules {
		cr := &rule{RewriteRule: r}
		if r.Regex == nil {
			continue
		}
		if _, look, neg, ok := model.SplitTrailingLookaround(r.Pattern); ok {
			if _, err := regexp.Compile(r.Pattern); err != nil {
				flags := ""
				if r.Flags.NoCase {
					flags = "(?i)"
				}
				lre, err := regexp.Compile(flags + "^(?:" + look + ")")
				if err != nil {
					continue
				}
				cr.look, cr.lookNeg = lre, neg
			}
		}
		for _, c := range r.Conds {
			cc := &cond{RewriteCond: c}
			if strings.EqualFold(c.TestString, "expr") {
				cc.expr, _ = expr.Parse(c.Pattern)
			}
			cr.conds = append(cr.conds, cc)
		}
		for _, f := range r.Flags.Raw {
			k, v, _ := strings.Cut(f, "=")
			if strings.EqualFold(k, "co") || strings.EqualFold(k, "cookie") {
				cr.cookieFlags = append(cr.cookieFlags, v)
			}
		}
		e.rules = append(e.rules, cr)
	}
	return e
}

// Outcome is what the rules decided for a request. The zero value changes
// nothing.
type Outcome struct {
	// Status ends the request: 3xx redirect (Location set), 403 [F],
	// 410 [G], or R=code outside 3xx.
	Status   int
	Location string
	// Proxy is the absolute URL to proxy to ([P]), query included.
	Proxy string
	// Path and RawQuery are the rewritten URL-path and query; Changed
	// reports whether a substitution happened.
	Path     string
	RawQuery string
	Changed  bool
	// PassThrough is [PT]: map the new path again (Alias, ProxyPass ...).
	PassThrough bool
	// Cookies are Set-Cookie header values from [CO=].
	Cookies []string
	// Type is [T=]: the response Content-Type to force.
	Type string
	// Trace lists "FILE:LINE" of every rule that matched.
	Trace []string
}

// Run applies the rules to req. req.Env receives [E=] changes (it is
// created if nil).
func (e *Engine) Run(req *Request) Outcome {
	out := Outcome{Path: req.Path, RawQuery: req.RawQuery}
	if len(e.rules) == 0 {
		return out
	}
	if req.Env == nil {
		req.Env = map[string]string{}
	}
	st := &state{req: req, path: req.Path, query: req.RawQuery, seen: map[string]bool{}, subject: req.Path}
	if e.PerDir && req.Filename != "" {
		st.subject = req.Filename
	}
	skipChain := false
	for i := 0; i < len(e.rules); i++ {
		r := e.rules[i]
		if skipChain {
			skipChain = r.Flags.Chain
			continue
		}
		matched := e.apply(st, r, &out)
		if !matched {
			if r.Flags.Chain {
				skipChain = true
			}
			continue
		}
		out.Trace = append(out.Trace, r.Source)
		if st.stop {
			break
		}
		if r.Flags.Skip > 0 {
			i += r.Flags.Skip
		}
	}
	out.Path, out.RawQuery = st.path, st.query
	if st.redirect != 0 && out.Status == 0 && out.Proxy == "" {
		e.finishRedirect(st, &out)
	}
	return out
}

type state struct {
	req      *Request
	subject  string // what patterns match: the path, or the filename per-dir
	path     string
	query    string
	stop     bool
	redirect int
	noEscape bool
	ruleRefs []string // $N
	condRefs []string // %N
	seen     map[string]bool
}

func submatches(s string, loc []int) []string {
	out := make([]string, len(loc)/2)
	for i := range out {
		if loc[2*i] >= 0 {
			out[i] = s[loc[2*i]:loc[2*i+1]]
		}
	}
	return out
}

// match runs a rule's pattern (with its emulated trailing lookahead).
func (r *rule) match(s string) []string {
	locs := r.Regex.FindAllStringSubmatchIndex(s, -1)
	if r.look == nil {
		if len(locs) == 0 {
			return nil
		}
		return submatches(s, locs[0])
	}
	for _, loc := range locs {
		if r.look.MatchString(s[loc[1]:]) != r.lookNeg {
			return submatches(s, loc)
		}
	}
	return nil
}

// apply runs one rule; it reports whether the rule matched (pattern and
// conditions).
func (e *Engine) apply(st *state, r *rule, out *Outcome) bool {
	subject := st.subject
	if e.PerDir && e.Prefix != "" {
		if p := strings.TrimSuffix(e.Prefix, "/"); strings.HasPrefix(subject, p+"/") || subject == p {
			subject = strings.TrimPrefix(subject[len(p):], "/")
		}
	}
	refs := r.match(subject)
	if r.Negate {
		if refs != nil {
			return false
		}
		refs = nil
	} else if refs == nil {
		return false
	}
	st.ruleRefs = refs
	if !e.condsMatch(st, r) {
		return false
	}

	for _, ev := range r.Flags.Env {
		ev = st.expand(ev)
		switch {
		case strings.HasPrefix(ev, "!"):
			delete(st.req.Env, ev[1:])
		default:
			k, v, _ := strings.Cut(ev, ":")
			st.req.Env[k] = v
		}
	}
	for _, raw := range r.cookieFlags {
		if c, ok := model.ParseCookieFlag(st.expand(raw)); ok && !st.seen[c.Name] {
			st.seen[c.Name] = true
			out.Cookies = append(out.Cookies, SetCookie(c, st.req.Now))
		}
	}
	if r.Flags.Type != "" {
		out.Type = st.expand(r.Flags.Type)
	}
	if r.Flags.Forbidden {
		out.Status, st.stop = http.StatusForbidden, true
		return true
	}
	if r.Flags.Gone {
		out.Status, st.stop = http.StatusGone, true
		return true
	}
	if r.Flags.Redirect != 0 && (r.Flags.Redirect < 300 || r.Flags.Redirect > 399) {
		out.Status, st.stop = r.Flags.Redirect, true
		return true
	}

	if r.Substitution != "-" {
		sub := st.expand(r.Substitution)
		newPath, newQuery, hasQ := sub, "", false
		if i := strings.IndexByte(sub, '?'); i >= 0 {
			newPath, newQuery, hasQ = sub[:i], sub[i+1:], true
		}
		switch {
		case r.Flags.QSD:
			st.query = ""
			if hasQ {
				st.query = newQuery
			}
		case hasQ && r.Flags.QSA && st.query != "":
			if newQuery == "" {
				st.query = st.req.RawQuery
			} else {
				st.query = newQuery + "&" + st.query
			}
		case hasQ:
			st.query = newQuery
		}
		if e.PerDir && e.Prefix != "" && !isAbsURL(newPath) && !strings.HasPrefix(newPath, "/") {
			newPath = strings.TrimSuffix(e.Prefix, "/") + "/" + newPath
		}
		st.path, st.subject = newPath, newPath
		out.Changed = true
	}

	switch {
	case r.Flags.Proxy:
		target := st.path
		if st.query != "" {
			target += "?" + st.query
		}
		out.Proxy, st.stop = target, true
		return true
	case r.Flags.Redirect != 0:
		st.redirect, st.noEscape = r.Flags.Redirect, r.Flags.NoEscape
	case isAbsURL(st.path):
		if local, ok := st.reduce(st.path); ok {
			st.path = local
		} else {
			st.redirect, st.noEscape, st.stop = http.StatusFound, r.Flags.NoEscape, true
		}
	}
	if r.Flags.PassThrough {
		out.PassThrough = true
		st.stop = true
	}
	if r.Flags.Last || r.Flags.End {
		st.stop = true
	}
	return true
}

// condsMatch evaluates the rule's RewriteConds with [OR] chaining.
func (e *Engine) condsMatch(st *state, r *rule) bool {
	for i := 0; i < len(r.conds); i++ {
		c := r.conds[i]
		ok := st.evalCond(c)
		if c.OrNext {
			if !ok {
				continue
			}
			for i < len(r.conds) && r.conds[i].OrNext {
				i++
			}
			continue
		}
		if !ok {
			return false
		}
	}
	return true
}

func (st *state) evalCond(c *cond) bool {
	if strings.EqualFold(c.TestString, "expr") {
		return c.expr != nil && c.expr.Eval(rewriteVars{st.req}) != c.Negate
	}
	input := st.expand(c.TestString)
	var ok bool
	p := c.Pattern
	switch {
	case c.Regex != nil:
		loc := c.Regex.FindStringSubmatchIndex(input)
		ok = loc != nil
		if ok && !c.Negate {
			st.condRefs = submatches(input, loc)
		}
	case strings.HasPrefix(p, "<="):
		ok = cmp(input, p[2:], c.NoCase) <= 0
	case strings.HasPrefix(p, ">="):
		ok = cmp(input, p[2:], c.NoCase) >= 0
	case strings.HasPrefix(p, "="):
		v := p[1:]
		if v == `""` {
			v = ""
		}
		ok = cmp(input, v, c.NoCase) == 0
	case strings.HasPrefix(p, "<"):
		ok = cmp(input, p[1:], c.NoCase) < 0
	case strings.HasPrefix(p, ">"):
		ok = cmp(input, p[1:], c.NoCase) > 0
	case len(p) >= 3 && p[0] == '-' && len(p) > 3 && isIntOp(p[:3]):
		a, _ := strconv.Atoi(strings.TrimSpace(input))
		b, _ := strconv.Atoi(strings.TrimSpace(p[3:]))
		ok = intOp(p[:3], a, b)
	default:
		ok = fileTest(p, input)
	}
	return ok != c.Negate
}

func cmp(a, b string, nocase bool) int {
	if nocase {
		a, b = strings.ToLower(a), strings.ToLower(b)
	}
	return strings.Compare(a, b)
}

func isIntOp(op string) bool {
	switch op {
	case "-eq", "-ne", "-lt", "-le", "-gt", "-ge":
		return true
	}
	return false
}

func intOp(op string, a, b int) bool {
	switch op {
	case "-eq":
		return a == b
	case "-ne":
		return a != b
	case "-lt":
		return a < b
	case "-le":
		return a <= b
	case "-gt":
		return a > b
	}
	return a >= b
}

func isAbsURL(s string) bool {
	i := strings.Index(s, "://")
	if i <= 0 {
		return false
	}
	for _, c := range s[:i] {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// reduce is mod_rewrite's reduce_uri: an absolute URL naming this server
// (scheme, host and port) becomes a local path.
func (st *state) reduce(u string) (string, bool) {
	scheme, rest, _ := strings.Cut(u, "://")
	if !strings.EqualFold(scheme, st.req.scheme()) {
		return "", false
	}
	hostport, path := rest, "/"
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		hostport, path = rest[:i], rest[i:]
	}
	host, port := hostport, ""
	if i := strings.LastIndexByte(hostport, ':'); i >= 0 && !strings.HasSuffix(hostport, "]") {
		host, port = hostport[:i], hostport[i+1:]
	}
	want := strconv.Itoa(st.req.serverPort())
	if port == "" {
		port = "80"
		if st.req.HTTPS {
			port = "443"
		}
	}
	if !strings.EqualFold(strings.Trim(host, "[]"), st.req.serverName()) || port != want {
		return "", false
	}
	return path, true
}

// finishRedirect builds the Location of an external redirect.
func (e *Engine) finishRedirect(st *state, out *Outcome) {
	target := st.path
	if !isAbsURL(target) {
		hostport := st.req.serverName()
		if strings.Contains(hostport, ":") {
			hostport = "[" + hostport + "]"
		}
		port := st.req.serverPort()
		if !(port == 80 && !st.req.HTTPS) && !(port == 443 && st.req.HTTPS) {
			hostport += ":" + strconv.Itoa(port)
		}
		if !strings.HasPrefix(target, "/") {
			target = "/" + target
		}
		target = st.req.scheme() + "://" + hostport + target
	}
	if !st.noEscape {
		target = escapeRedirect(target)
	}
	if st.query != "" {
		target += "?" + st.query
	}
	out.Status, out.Location = st.redirect, target
}

// escapeRedirect escapes the path part of a redirect target as
// ap_escape_uri would (so '#' becomes %23 without [NE]).
func escapeRedirect(u string) string {
	i := strings.Index(u, "://")
	j := strings.IndexByte(u[i+3:], '/')
	if j < 0 {
		return u
	}
	head, path := u[:i+3+j], u[i+3+j:]
	var b strings.Builder
	for k := 0; k < len(path); k++ {
		c := path[k]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("\"#%<>?[\\]^`{|}", c) >= 0 {
			if c == '%' && k+2 < len(path) && isHex(path[k+1]) && isHex(path[k+2]) {
				b.WriteByte(c)
				continue
			}
			fmt.Fprintf(&b, "%%%02x", c)
			continue
		}
		b.WriteByte(c)
	}
	return head + b.String()
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// expand performs do_expand: \x escapes, $N, %N, %{VAR}; ${map:...} is
// left as written (RewriteMap is not supported).
func (st *state) expand(s string) string {
	if !strings.ContainsAny(s, `\$%`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s):
			i++
			b.WriteByte(s[i])
		case (c == '$' || c == '%') && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9':
			n := int(s[i+1] - '0')
			refs := st.ruleRefs
			if c == '%' {
				refs = st.condRefs
			}
			if n < len(refs) {
				b.WriteString(refs[n])
			}
			i++
		case c == '%' && i+1 < len(s) && s[i+1] == '{':
			end := strings.IndexByte(s[i:], '}')
			if end < 0 {
				b.WriteByte(c)
				continue
			}
			b.WriteString(st.req.variable(s[i+2 : i+end]))
			i += end
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// SetCookie renders a [CO=] cookie as mod_rewrite's add_cookie:
// NAME=VALUE; path=PATH; domain=DOMAIN[; expires=...][; secure][; HttpOnly][; SameSite=V].
func SetCookie(c model.RewriteCookie, now time.Time) string {
	var b strings.Builder
	b.WriteString(c.Name + "=" + c.Value + "; path=" + c.Path + "; domain=" + c.Domain)
	if c.Lifetime != 0 {
		if now.IsZero() {
			now = time.Now()
		}
		exp := now.Add(time.Duration(c.Lifetime) * time.Minute).UTC()
		b.WriteString("; expires=" + exp.Format("Mon, 02-Jan-2006 15:04:05 GMT"))
	}
	if c.Secure {
		b.WriteString("; secure")
	}
	if c.HTTPOnly {
		b.WriteString("; HttpOnly")
	}
	if c.SameSite != "" {
		b.WriteString("; SameSite=" + c.SameSite)
	}
	return b.String()
}
