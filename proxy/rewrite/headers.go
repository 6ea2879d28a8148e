package rewrite

import (
	"net/http"
	"net/textproto"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/balancerd/balancerd/directives/model"
	"github.com/balancerd/balancerd/proxy/access/expr"
)

// HeaderContext is what mod_headers' format specifiers and conditions
// read.
type HeaderContext struct {
	// Env is the request environment (BALANCER_* included for responses).
	Env map[string]string
	// Request holds the client's request headers (Header echo, and
	// %{HTTP_...} in expr= values).
	Request http.Header
	// Vars answers other %{NAME} references of expr= values
	// (REMOTE_ADDR, REQUEST_URI, ...); nil means none are known.
	Vars func(name string) (string, bool)
	// Start is the request start time (%t, %D); Now the current time.
	Start, Now time.Time
}

// ResponseKind says which Header rules apply to a response.
type ResponseKind int

// Response kinds: Apache applies "onsuccess" rules (the default table) to
// proxied responses of any status and to 2xx responses of local handlers
// (balancer-manager); "always" rules apply to every response (spec 4.9).
// Everything Apache generates through its error path is LocalError: 4xx/5xx
// pages and mod_rewrite's redirects (verified on 2.4.67: "Header set" is
// absent from a [R] redirect, "Header always set" present).
const (
	Proxied ResponseKind = iota
	LocalSuccess
	LocalError
)

// ApplyRequest runs RequestHeader rules on the headers sent to the backend.
func ApplyRequest(rules []model.HeaderRule, h http.Header, ctx *HeaderContext) {
	for i := range rules {
		applyHeaderRule(&rules[i], h, ctx)
	}
}

// ApplyResponse runs Header rules on a response's headers.
func ApplyResponse(rules []model.HeaderRule, h http.Header, ctx *HeaderContext, kind ResponseKind) {
	for i := range rules {
		r := &rules[i]
		if r.Condition != "always" && kind == LocalError {
			continue
		}
		applyHeaderRule(r, h, ctx)
	}
}

func (c *HeaderContext) envSet(name string) bool {
	if c == nil || c.Env == nil {
		return false
	}
	_, ok := c.Env[name]
	return ok
}

func condOK(r *model.HeaderRule, ctx *HeaderContext) bool {
	switch {
	case strings.HasPrefix(r.EnvCond, "expr="):
		e := cachedExpr(r.EnvCond[5:])
		return e != nil && e.Eval(headerVars{ctx})
	case strings.HasPrefix(r.EnvCond, "env=!"):
		return !ctx.envSet(r.EnvCond[5:])
	case strings.HasPrefix(r.EnvCond, "env="):
		return ctx.envSet(r.EnvCond[4:])
	}
	return true
}

var (
	regexCacheMu sync.Mutex
	regexCache   = map[string]*regexp.Regexp{}
)

// cachedRegexp compiles a Header edit/echo pattern once.
func cachedRegexp(p string) *regexp.Regexp {
	regexCacheMu.Lock()
	defer regexCacheMu.Unlock()
	re, ok := regexCache[p]
	if !ok {
		re, _ = regexp.Compile(p)
		if len(regexCache) < 4096 {
			regexCache[p] = re
		}
	}
	return re
}

func applyHeaderRule(r *model.HeaderRule, h http.Header, ctx *HeaderContext) {
	if !condOK(r, ctx) {
		return
	}
	name := textproto.CanonicalMIMEHeaderKey(r.Name)
	switch r.Action {
	case "set":
		h[name] = []string{formatValue(r.Value, ctx)}
	case "setifempty":
		if h.Get(name) == "" {
			h[name] = []string{formatValue(r.Value, ctx)}
		}
	case "add":
		h[name] = append(h[name], formatValue(r.Value, ctx))
	case "append":
		v := formatValue(r.Value, ctx)
		if old := h.Values(name); len(old) > 0 {
			h[name] = []string{strings.Join(old, ", ") + ", " + v}
		} else {
			h[name] = []string{v}
		}
	case "merge":
		v := formatValue(r.Value, ctx)
		old := h.Values(name)
		if len(old) == 0 {
			h[name] = []string{v}
			return
		}
		joined := strings.Join(old, ", ")
		for _, tok := range strings.Split(joined, ",") {
			if strings.TrimSpace(tok) == v {
				return
			}
		}
		h[name] = []string{joined + ", " + v}
	case "unset":
		h.Del(name)
	case "echo":
		re := cachedRegexp(r.Name)
		if re == nil || ctx == nil {
			return
		}
		for k, vs := range ctx.Request {
			if re.MatchString(k) {
				h[k] = append([]string(nil), vs...)
			}
		}
	case "edit", "edit*":
		re := cachedRegexp(r.Value)
		if re == nil {
			return
		}
		vs := h.Values(name)
		for i, v := range vs {
			vs[i] = editValue(re, v, r.Replace, r.Action == "edit*")
		}
	}
}

// editValue replaces the first (or every) match of re in v, expanding $N.
func editValue(re *regexp.Regexp, v, repl string, all bool) string {
	var b strings.Builder
	last := 0
	for _, loc := range re.FindAllStringSubmatchIndex(v, -1) {
		b.WriteString(v[last:loc[0]])
		b.Write(re.ExpandString(nil, apacheTemplate(repl), v, loc))
		last = loc[1]
		if !all {
			break
		}
	}
	b.WriteString(v[last:])
	return b.String()
}

// apacheTemplate turns ap_pregsub's $N and \$ into regexp.Expand syntax.
func apacheTemplate(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && i+1 < len(s) && (s[i+1] == '$' || s[i+1] == '&' || s[i+1] == '\\'):
			if s[i+1] == '$' {
				b.WriteString("$$")
			} else {
				b.WriteByte(s[i+1])
			}
			i++
		case s[i] == '$' && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9':
			b.WriteString("${" + s[i+1:i+2] + "}")
			i++
		case s[i] == '$':
			b.WriteString("$$")
		case s[i] == '&':
			b.WriteString("${0}")
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// formatValue expands mod_headers' %-specifiers, or an expr= string.
func formatValue(v string, ctx *HeaderContext) string {
	if strings.HasPrefix(v, "expr=") {
		return exprString(v[5:], ctx)
	}
	if !strings.Contains(v, "%") {
		return v
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] != '%' || i+1 >= len(v) {
			b.WriteByte(v[i])
			continue
		}
		i++
		arg := ""
		if v[i] == '{' {
			end := strings.IndexByte(v[i:], '}')
			if end < 0 || i+end+1 >= len(v) {
				b.WriteString("%" + v[i:])
				break
			}
			arg = v[i+1 : i+end]
			i += end + 1
		}
		switch v[i] {
		case '%':
			b.WriteByte('%')
		case 'e':
			if val, ok := ctxEnv(ctx, arg); ok {
				b.WriteString(val)
			} else {
				b.WriteString("(null)")
			}
		case 's':
			b.WriteString("(null)")
		case 't':
			b.WriteString("t=" + strconv.FormatInt(ctxTime(ctx, true).UnixMicro(), 10))
		case 'D':
			b.WriteString("D=" + strconv.FormatInt(ctxTime(ctx, false).Sub(ctxTime(ctx, true)).Microseconds(), 10))
		case 'l':
			b.WriteString("l=0.00/0.00/0.00")
		case 'i':
			b.WriteString("i=100")
		case 'b':
			b.WriteString("b=0")
		default:
			b.WriteByte('%')
			b.WriteByte(v[i])
		}
	}
	return b.String()
}

func ctxEnv(ctx *HeaderContext, name string) (string, bool) {
	if ctx == nil || ctx.Env == nil {
		return "", false
	}
	v, ok := ctx.Env[name]
	return v, ok
}

func ctxTime(ctx *HeaderContext, start bool) time.Time {
	if ctx == nil {
		return time.Now()
	}
	if start && !ctx.Start.IsZero() {
		return ctx.Start
	}
	if !start && !ctx.Now.IsZero() {
		return ctx.Now
	}
	return time.Now()
}

var (
	exprCacheMu sync.Mutex
	exprCache   = map[string]any{}
)

// cachedExpr parses a boolean ap_expr once (nil if it does not parse).
func cachedExpr(s string) *expr.Expr {
	exprCacheMu.Lock()
	defer exprCacheMu.Unlock()
	if v, ok := exprCache["b\x00"+s]; ok {
		return v.(*expr.Expr)
	}
	e, _ := expr.Parse(s)
	if len(exprCache) < 4096 {
		exprCache["b\x00"+s] = e
	}
	return e
}

// exprString evaluates an ap_expr string expression (an expr= value).
func exprString(s string, ctx *HeaderContext) string {
	exprCacheMu.Lock()
	v, ok := exprCache["s\x00"+s]
	if !ok {
		v, _ = expr.ParseString(s)
		if len(exprCache) < 4096 {
			exprCache["s\x00"+s] = v
		}
	}
	exprCacheMu.Unlock()
	e, _ := v.(*expr.StringExpr)
	if e == nil {
		return ""
	}
	return e.Eval(headerVars{ctx})
}

// headerVars exposes a HeaderContext to ap_expr.
type headerVars struct{ ctx *HeaderContext }

func (v headerVars) Var(name string) string { return exprVar(name, v.ctx) }

func (v headerVars) Header(name string) string {
	if v.ctx == nil {
		return ""
	}
	return strings.Join(v.ctx.Request.Values(name), ", ")
}

func (v headerVars) Env(name string) string {
	s, _ := ctxEnv(v.ctx, name)
	return s
}

func exprVar(name string, ctx *HeaderContext) string {
	if ctx == nil {
		return ""
	}
	up := strings.ToUpper(name)
	switch {
	case strings.HasPrefix(up, "ENV:"), strings.HasPrefix(up, "REQENV:"):
		_, n, _ := strings.Cut(name, ":")
		v, _ := ctxEnv(ctx, n)
		return v
	case strings.HasPrefix(up, "HTTP:"), strings.HasPrefix(up, "REQ:"):
		_, n, _ := strings.Cut(name, ":")
		return strings.Join(ctx.Request.Values(n), ", ")
	case strings.HasPrefix(up, "HTTP_"):
		n := strings.ReplaceAll(name[5:], "_", "-")
		return strings.Join(ctx.Request.Values(n), ", ")
	}
	if ctx.Vars != nil {
		if v, ok := ctx.Vars(name); ok {
			return v
		}
	}
	v, _ := ctxEnv(ctx, name)
	return v
}

// FinishResponse builds a response's final headers the way Apache does:
// the "error headers" table (err_headers_out: mod_rewrite's [CO=] cookies
// and "Header always" rules) is overlaid before the normal table
// (headers_out: the backend's or handler's headers and "Header onsuccess"
// rules). For a locally generated error the normal table is replaced by
// the error table first (ap_send_error_response), so "always" rules then
// see only what was already there. h holds the normal headers on entry
// and the final headers on return.
func FinishResponse(h http.Header, cookies []string, rules []model.HeaderRule, ctx *HeaderContext, kind ResponseKind) {
	var always, onsuccess []model.HeaderRule
	for _, r := range rules {
		if r.Condition == "always" {
			always = append(always, r)
		} else {
			onsuccess = append(onsuccess, r)
		}
	}
	errTable := http.Header{}
	if kind == LocalError {
		// headers_out becomes the old err_headers_out (the cookies);
		// err_headers_out starts empty.
		for _, c := range cookies {
			h.Add("Set-Cookie", c)
		}
		ApplyResponse(always, errTable, ctx, kind)
	} else {
		for _, c := range cookies {
			errTable.Add("Set-Cookie", c)
		}
		ApplyResponse(always, errTable, ctx, kind)
		ApplyResponse(onsuccess, h, ctx, kind)
	}
	for k, vs := range errTable {
		h[k] = append(append([]string(nil), vs...), h[k]...)
	}
}
