package directives

import (
	"fmt"
	"strings"

	"github.com/balancerd/balancerd/directives/model"
	"github.com/balancerd/balancerd/parser"
)

// BackendInfo is what the cookie cross-check needs from one backend
// server's Apache configuration: the names it answers to and the cookies
// it sets.
type BackendInfo struct {
	// File is the configuration file read ("" when built by hand).
	File string
	// Cookies are the cookies its RewriteRule [CO=...] flags and
	// `Header ... Set-Cookie` directives set, in file order.
	Cookies []CookieSetter
}

// CookieSetter is one directive that sets a cookie.
type CookieSetter struct {
	Pos parser.Pos
	// Via is "RewriteRule" (CO flag) or "Header".
	Via string
	// Name and Value of the cookie as written; Value may contain variables
	// ($1, %1, %{VAR}, %{VAR}e) when Dynamic.
	Name, Value string
	Dynamic     bool
	Domain      string // domain attribute, "" if none
	Path        string // path attribute, "" if none
	// ServerNames are the ServerName and ServerAliases (lowercase) of the
	// virtual host the directive is in (or of the main server).
	ServerNames []string
	// Inactive explains why the directive never runs ("RewriteEngine is
	// not On here"); "" if it does.
	Inactive string
}

// ReadBackend parses a backend's configuration file (an Apache config) and
// collects the cookies it sets. Parse problems are returned as
// diagnostics; whatever could be read is still collected.
func ReadBackend(path string, opts parser.Options) (BackendInfo, parser.Diagnostics) {
	res := parser.ParseFile(path, opts)
	bi := CollectCookies(res.Directives)
	bi.File = path
	return bi, res.Diags
}

// CollectCookies finds the cookie-setting directives of a parsed
// configuration.
func CollectCookies(ds []*parser.Directive) BackendInfo {
	var bi BackendInfo
	mainNames := lintServerNames(ds)
	vhostNames := map[*parser.Directive][]string{}
	namesFor := func(parents []*parser.Directive) []string {
		for i := len(parents) - 1; i >= 0; i-- {
			if p := parents[i]; strings.EqualFold(p.Name, "VirtualHost") {
				if _, ok := vhostNames[p]; !ok {
					vhostNames[p] = lintServerNames(p.Block)
				}
				return vhostNames[p]
			}
		}
		return mainNames
	}
	lintWalk(ds, func(d *parser.Directive, parents []*parser.Directive) {
		switch lowerName(d.Name) {
		case "rewriterule":
			args := d.ArgValues()
			if len(args) < 3 {
				return
			}
			inactive := ""
			if !lintRewriteOn(ds, parents) {
				inactive = "RewriteEngine is not On in this scope, so the rule never runs"
			}
			for _, f := range coSplitFlags(args[2]) {
				k, v, ok := strings.Cut(f, "=")
				if !ok || !(strings.EqualFold(k, "CO") || strings.EqualFold(k, "cookie")) {
					continue
				}
				co := ParseCOFlag(v)
				if !co.Set {
					continue
				}
				bi.Cookies = append(bi.Cookies, CookieSetter{
					Pos: d.Pos, Via: "RewriteRule", Name: co.Name, Value: co.Value,
					Dynamic: lintHasVars(co.Value), Domain: co.Domain, Path: co.Path,
					ServerNames: namesFor(parents), Inactive: inactive,
				})
			}
		case "header":
			h, ok := parseHeaderSetCookie(d.ArgValues())
			if !ok {
				return
			}
			c, err := ParseSetCookie(h)
			if err != nil {
				return
			}
			bi.Cookies = append(bi.Cookies, CookieSetter{
				Pos: d.Pos, Via: "Header", Name: c.Name, Value: c.Value,
				Dynamic: lintHasVars(c.Value), Domain: c.Domain, Path: c.Path,
				ServerNames: namesFor(parents),
			})
		}
	})
	return bi
}

// parseHeaderSetCookie returns the value of a `Header [always|onsuccess]
// set|add|append|merge|setifempty Set-Cookie VALUE ...` directive.
func parseHeaderSetCookie(args []string) (string, bool) {
	if len(args) > 0 && (strings.EqualFold(args[0], "always") || strings.EqualFold(args[0], "onsuccess")) {
		args = args[1:]
	}
	if len(args) < 3 || !strings.EqualFold(args[1], "Set-Cookie") {
		return "", false
	}
	switch strings.ToLower(args[0]) {
	case "set", "add", "append", "merge", "setifempty":
		return args[2], true
	}
	return "", false
}

// serverNamesIn returns the lowercase ServerName (host part) and
// ServerAlias values written directly in ds.
func lintServerNames(ds []*parser.Directive) []string {
	var out []string
	for _, d := range ds {
		switch lowerName(d.Name) {
		case "servername":
			if len(d.Args) > 0 {
				h := d.Args[0].Value
				if i := strings.Index(h, "://"); i >= 0 {
					h = h[i+3:]
				}
				if i := strings.LastIndexByte(h, ':'); i >= 0 && !strings.Contains(h[i:], "]") {
					h = h[:i]
				}
				out = append(out, strings.ToLower(h))
			}
		case "serveralias":
			for _, a := range d.Args {
				out = append(out, strings.ToLower(a.Value))
			}
		}
	}
	return out
}

// rewriteEngineOn reports whether RewriteEngine is On for a rule whose
// enclosing sections are parents: the innermost scope that sets it decides;
// virtual hosts inherit the main server's state, sections do not.
func lintRewriteOn(top []*parser.Directive, parents []*parser.Directive) bool {
	state := func(ds []*parser.Directive) (on, set bool) {
		for _, d := range ds {
			if strings.EqualFold(d.Name, "RewriteEngine") && len(d.Args) > 0 {
				on, set = strings.EqualFold(d.Args[0].Value, "on"), true
			}
		}
		return
	}
	scope := top
	inSection := false
	if len(parents) > 0 {
		p := parents[len(parents)-1]
		scope = p.Block
		inSection = !strings.EqualFold(p.Name, "VirtualHost")
	}
	if on, set := state(scope); set {
		return on
	}
	if inSection {
		return false
	}
	on, _ := state(top)
	return on
}

// splitRewriteFlags splits "[CO=a:b:c,L]" into its flags.
func coSplitFlags(s string) []string {
	if !strings.HasPrefix(s, "[") || !strings.HasSuffix(s, "]") {
		return nil
	}
	return strings.Split(s[1:len(s)-1], ",")
}

// hasVariables reports whether a value contains mod_rewrite or mod_headers
// expansions ($N, %N, %{...}, ${...}).
func lintHasVars(v string) bool {
	for i := 0; i+1 < len(v); i++ {
		if v[i] != '%' && v[i] != '$' {
			continue
		}
		if i > 0 && v[i-1] == '\\' {
			continue
		}
		c := v[i+1]
		if c == '{' || (c >= '0' && c <= '9') {
			return true
		}
	}
	return false
}

// COFlag is a parsed mod_rewrite CO (cookie) flag value.
type COFlag struct {
	model.RewriteCookie
	// Set is false when Apache sets no cookie (fewer than three fields).
	Set bool
	// Fields are the fields after strtok-style splitting.
	Fields []string
	// Sep is the field separator (':' or ';').
	Sep byte
	// Problems are the quirks a user probably did not intend.
	Problems []COProblem
}

// COProblem is one questionable part of a CO flag.
type COProblem struct {
	// Code is "co-incomplete", "co-empty-field", "co-lifetime" or
	// "co-httponly-dropped".
	Code string
	// Message says what Apache does and how to fix it.
	Message string
}

// ParseCOFlag parses the value of a RewriteRule CO flag (the text after
// "CO=") as mod_rewrite's add_cookie does (spec 7.3, model.ParseCookieFlag)
// and lists the quirks a user probably did not intend: fewer than three
// fields (no cookie at all), empty fields (strtok collapses them and the
// later fields shift), a lifetime that is not a number of minutes, and
// HttpOnly dropped because the secure field is not true.
func ParseCOFlag(v string) COFlag {
	var c COFlag
	c.Sep = ':'
	body := v
	if strings.HasPrefix(body, ";") {
		c.Sep = ';'
		body = body[1:]
	}
	raw := strings.Split(body, string(c.Sep))
	empty := false
	for i, f := range raw {
		if f == "" {
			if i > 0 && i < len(raw)-1 {
				empty = true
			}
			continue
		}
		c.Fields = append(c.Fields, f)
	}
	c.RewriteCookie, c.Set = model.ParseCookieFlag(v)
	if !c.Set {
		c.Problems = append(c.Problems, COProblem{"co-incomplete", fmt.Sprintf(
			"CO=%s has %d field(s); Apache needs NAME%cVALUE%cDOMAIN and silently sets no cookie otherwise",
			v, len(c.Fields), c.Sep, c.Sep)})
		return c
	}
	if empty {
		c.Problems = append(c.Problems, COProblem{"co-empty-field", fmt.Sprintf(
			"CO=%s has an empty field; Apache drops empty fields and shifts the rest (a path becomes the lifetime, and so on); write every field (lifetime 0, path /)", v)})
	}
	f := c.Fields[3:]
	if len(f) > 0 {
		if _, ok := coAtol(f[0]); !ok {
			c.Problems = append(c.Problems, COProblem{"co-lifetime", fmt.Sprintf(
				"CO=%s: lifetime %q is not a number of minutes, so Apache sets a session cookie; write a number (0 = session cookie)", v, f[0])})
		}
	}
	if len(f) > 3 && !c.Secure && coFieldTrue(f[3], "httponly") {
		c.Problems = append(c.Problems, COProblem{"co-httponly-dropped", fmt.Sprintf(
			"CO=%s: Apache drops HttpOnly when the secure field (%q) is not true; set secure to true or accept a cookie without HttpOnly", v, f[2])})
	}
	return c
}

// coFieldTrue is mod_rewrite's test for the secure/httponly fields.
func coFieldTrue(s, word string) bool {
	return model.CookieFlagTrue(s, word)
}

// coAtol parses a leading decimal integer like C's atol; ok is false when
// the text does not start with one (Apache then treats it as 0).
func coAtol(s string) (int, bool) {
	s = strings.TrimLeft(s, " \t")
	neg := false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	n, digits := 0, 0
	for digits < len(s) && s[digits] >= '0' && s[digits] <= '9' {
		if n < 1<<40 {
			n = n*10 + int(s[digits]-'0')
		}
		digits++
	}
	if neg {
		n = -n
	}
	return n, digits > 0
}

// SetCookie is a parsed Set-Cookie header value.
type SetCookie struct {
	Name, Value  string
	Domain, Path string
	Secure       bool
	HTTPOnly     bool
	SameSite     string
	// Attrs are the attribute names as written, in order.
	Attrs []string
}

// ParseSetCookie parses a Set-Cookie header value ("NAME=VALUE; path=/;
// ...") as browsers do (RFC 6265 section 5.2): the name-value pair ends at
// the first ';', the name at the first '='. It is an error when there is
// no '=' or the name is empty or not an HTTP token.
func ParseSetCookie(v string) (SetCookie, error) {
	var c SetCookie
	pair, attrs, _ := strings.Cut(v, ";")
	name, value, ok := strings.Cut(pair, "=")
	if !ok {
		return c, fmt.Errorf("Set-Cookie value %q has no '=': write NAME=VALUE", v)
	}
	c.Name = strings.TrimSpace(name)
	c.Value = strings.TrimSpace(value)
	if c.Name == "" {
		return c, fmt.Errorf("Set-Cookie value %q has an empty cookie name", v)
	}
	for i := 0; i < len(c.Name); i++ {
		if !cookieTokenChar(c.Name[i]) {
			return c, fmt.Errorf("cookie name %q contains %q, which is not allowed in a cookie name", c.Name, c.Name[i])
		}
	}
	if len(c.Value) >= 2 && c.Value[0] == '"' && c.Value[len(c.Value)-1] == '"' {
		c.Value = c.Value[1 : len(c.Value)-1]
	}
	for attrs != "" {
		var a string
		a, attrs, _ = strings.Cut(attrs, ";")
		k, val, _ := strings.Cut(a, "=")
		k, val = strings.TrimSpace(k), strings.TrimSpace(val)
		if k == "" {
			continue
		}
		c.Attrs = append(c.Attrs, k)
		switch strings.ToLower(k) {
		case "domain":
			c.Domain = val
		case "path":
			c.Path = val
		case "secure":
			c.Secure = true
		case "httponly":
			c.HTTPOnly = true
		case "samesite":
			c.SameSite = val
		}
	}
	return c, nil
}

// isTokenChar reports whether b may appear in an HTTP token (RFC 9110).
func cookieTokenChar(b byte) bool {
	if b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' {
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", b) >= 0
}

// routeOf extracts the route from a sticky cookie value (spec 4.6): the
// text after the first sep, or the whole value when sep is "" (Off).
// ok is false when there is no route.
func routeOf(value, sep string) (string, bool) {
	if sep == "" {
		return value, value != ""
	}
	i := strings.Index(value, sep)
	if i < 0 || i == len(value)-len(sep) {
		return "", false
	}
	return value[i+len(sep):], true
}
