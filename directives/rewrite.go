package directives

// mod_rewrite (subset, spec 7):
//
//	RewriteEngine On|Off
//	RewriteOptions Options
//	RewriteBase URL-path
//	RewriteCond TestString CondPattern [flags]
//	RewriteRule Pattern Substitution [flags]
//
// Server and virtual-host rules go to Server.Rewrite, per-directory rules
// (<Directory>, <Location>, .htaccess) to the scope's DirConfig.Rewrite.
// RewriteCond lines wait for the next RewriteRule of the same scope.
// Patterns are compiled with Go's regexp (RE2): PCRE-only constructs
// (backreferences, lookaround) are reported as uncompilable.

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/balancerd/balancerd/directives/model"
	"github.com/balancerd/balancerd/parser"
	"github.com/balancerd/balancerd/proxy/access/expr"
)

func init() {
	Implement("RewriteEngine", applyRewriteEngine)
	Implement("RewriteOptions", applyRewriteOptions)
	Implement("RewriteBase", applyRewriteBase)
	Implement("RewriteCond", applyRewriteCond)
	Implement("RewriteRule", applyRewriteRule)
}

var (
	rewritePendingMu sync.Mutex
	// rewritePending holds RewriteConds waiting for their RewriteRule,
	// per RewriteConfig (that is, per scope).
	rewritePending = map[*model.RewriteConfig][]*model.RewriteCond{}
)

// rewriteServerLevel reports whether the Builder is at server or virtual
// host level (not in a per-directory section).
func rewriteServerLevel(b *Builder) bool {
	return b.Section == nil && b.Ctx&(CtxServer|CtxVHost) != 0 && b.Ctx&(CtxDirs|CtxHTAccess) == 0
}

// rewriteConfig returns the RewriteConfig of the scope, creating it.
func rewriteConfig(b *Builder) *model.RewriteConfig {
	if rewriteServerLevel(b) && b.Server != nil {
		if b.Server.Rewrite == nil {
			b.Server.Rewrite = &model.RewriteConfig{}
		}
		return b.Server.Rewrite
	}
	if b.Dir == nil {
		b.Dir = &model.DirConfig{}
	}
	if b.Dir.Rewrite == nil {
		b.Dir.Rewrite = &model.RewriteConfig{}
	}
	return b.Dir.Rewrite
}

func applyRewriteEngine(b *Builder, d *parser.Directive) error {
	v := strings.ToLower(d.Args[0].Value)
	if v != "on" && v != "off" {
		return apacheErr("RewriteEngine must be On or Off")
	}
	rc := rewriteConfig(b)
	rc.Engine, rc.EngineSet = v == "on", true
	return nil
}

var rewriteOptionNames = []string{"Inherit", "InheritBefore", "InheritDown", "InheritDownBefore",
	"IgnoreInherit", "AllowNoSlash", "AllowAnyURI", "MergeBase", "IgnoreContextInfo",
	"LegacyPrefixDocRoot", "LongURLOptimization"}

func applyRewriteOptions(b *Builder, d *parser.Directive) error {
	rc := rewriteConfig(b)
	for _, a := range d.ArgValues() {
		if strings.HasPrefix(strings.ToLower(a), "maxredirects=") {
			b.Warnf(d, "rewrite-maxredirects", "RewriteOptions: MaxRedirects option has been removed in favor of the global LimitInternalRecursion directive and will be ignored.")
			continue
		}
		found := ""
		for _, o := range rewriteOptionNames {
			if strings.EqualFold(a, o) {
				found = o
			}
		}
		if found == "" {
			return apacheErrf("RewriteOptions: unknown option '%s'", a)
		}
		rc.Options = append(rc.Options, found)
	}
	return nil
}

func applyRewriteBase(b *Builder, d *parser.Directive) error {
	if rewriteServerLevel(b) {
		return apacheErr("RewriteBase: only valid in per-directory config files")
	}
	v := d.Args[0].Value
	if v == "" {
		return apacheErr("RewriteBase: empty URL not allowed")
	}
	if v[0] != '/' {
		return apacheErr("RewriteBase: argument is not a valid URL")
	}
	return nil
}

// rewriteFlagList splits "[A,B=c]" into its flags.
func rewriteFlagList(directive, s string) ([]string, error) {
	if len(s) < 2 || s[0] != '[' || s[len(s)-1] != ']' || strings.ContainsAny(s, " \t") {
		return nil, apacheErr(directive + ": bad flag delimiters")
	}
	return strings.Split(s[1:len(s)-1], ","), nil
}

func compileRewriteRegex(directive, pat string, nocase bool) (*regexp.Regexp, error) {
	expr := pat
	if nocase {
		expr = "(?i)" + pat
	}
	re, err := regexp.Compile(expr)
	if err == nil {
		return re, nil
	}
	// PCRE's trailing lookahead: compile the part before it; the runtime
	// checks the lookahead (model.SplitTrailingLookaround).
	if prefix, look, _, ok := model.SplitTrailingLookaround(pat); ok {
		p2 := prefix
		if nocase {
			p2 = "(?i)" + prefix
		}
		re, err1 := regexp.Compile(p2)
		_, err2 := regexp.Compile(look)
		if err1 == nil && err2 == nil {
			return re, nil
		}
	}
	return nil, apacheErrf("%s: cannot compile regular expression '%s'", directive, pat)
}

func applyRewriteCond(b *Builder, d *parser.Directive) error {
	args := d.ArgValues()
	if len(args) < 2 {
		return apacheErrf("RewriteCond: bad argument line '%s'", d.Raw)
	}
	c := &model.RewriteCond{Source: source(d), TestString: args[0]}
	if len(args) > 2 {
		flags, err := rewriteFlagList("RewriteCond", args[2])
		if err != nil {
			return err
		}
		for _, f := range flags {
			switch strings.ToLower(f) {
			case "nc", "nocase":
				c.NoCase = true
			case "or", "ornext":
				c.OrNext = true
			case "nv", "novary":
			default:
				return apacheErrf("RewriteCond: unknown flag '%s'", f)
			}
		}
	}
	pat := args[1]
	if strings.HasPrefix(pat, "!") {
		c.Negate = true
		pat = pat[1:]
	}
	c.Pattern = pat
	if strings.EqualFold(c.TestString, "expr") {
		// TestString "expr": the CondPattern is an ap_expr.
		if _, err := expr.Parse(pat); err != nil {
			return apacheErrf("RewriteCond: cannot compile expression \"%s\" %s", pat, err)
		}
	} else if !rewriteCondIsLexical(pat) {
		re, err := compileRewriteRegex("RewriteCond", pat, c.NoCase)
		if err != nil {
			return err
		}
		c.Regex = re
	} else if c.NoCase && !strings.HasPrefix(pat, "=") && !strings.HasPrefix(pat, "<") && !strings.HasPrefix(pat, ">") {
		b.Warnf(d, "rewrite-nocase-ignored", "RewriteCond: NoCase option for non-regex pattern '%s' is not supported and will be ignored.", pat)
	}
	rc := rewriteConfig(b)
	rewritePendingMu.Lock()
	rewritePending[rc] = append(rewritePending[rc], c)
	rewritePendingMu.Unlock()
	return nil
}

// rewriteCondIsLexical reports whether a CondPattern is a string, integer
// or file test rather than a regex.
func rewriteCondIsLexical(p string) bool {
	switch {
	case strings.HasPrefix(p, "="), strings.HasPrefix(p, "<"), strings.HasPrefix(p, ">"):
		return true
	}
	switch p {
	case "-d", "-f", "-s", "-l", "-L", "-h", "-x", "-F", "-U":
		return true
	}
	for _, op := range []string{"-eq", "-ne", "-lt", "-le", "-gt", "-ge"} {
		if strings.HasPrefix(p, op) {
			return true
		}
	}
	return false
}

// parseRewriteFlags interprets RewriteRule flags as cmd_rewriterule_setflag.
func parseRewriteFlags(list []string) (model.RewriteFlags, error) {
	var f model.RewriteFlags
	for _, raw := range list {
		f.Raw = append(f.Raw, raw)
		key, val, _ := strings.Cut(raw, "=")
		lk := strings.ToLower(key)
		bad := false
		switch lk {
		case "b", "backrefescaping", "bnp", "backrefnoplus", "bctls", "bne", "dpi", "discardpath",
			"ns", "nosubreq", "unsafeallow3f", "unsafeprefixstat", "qsl", "qslast", "h", "handler":
			// accepted; no effect on a proxy
		case "c", "chain":
			f.Chain = true
		case "co", "cookie":
			if c, ok := model.ParseCookieFlag(val); ok {
				f.Cookies = append(f.Cookies, c)
			}
		case "e", "env":
			f.Env = append(f.Env, val)
		case "end":
			f.End = true
		case "f", "forbidden":
			f.Forbidden = true
		case "g", "gone":
			f.Gone = true
		case "l", "last":
			f.Last = true
		case "ne", "noescape":
			f.NoEscape = true
		case "n", "next":
			return f, apacheErr("RewriteRule: the N (next) flag is not supported by balancerd")
		case "nc", "nocase":
			f.NoCase = true
		case "p", "proxy":
			f.Proxy = true
		case "pt", "passthrough":
			f.PassThrough = true
		case "qsa", "qsappend":
			f.QSA = true
		case "qsd", "qsdiscard":
			f.QSD = true
		case "r", "redirect":
			status := http.StatusFound
			if val != "" {
				switch {
				case strings.EqualFold(val, "permanent"):
					status = http.StatusMovedPermanently
				case strings.EqualFold(val, "temp"):
					status = http.StatusFound
				case strings.EqualFold(val, "seeother"):
					status = http.StatusSeeOther
				case val[0] >= '0' && val[0] <= '9':
					status = atoiPrefix(val)
					if !apacheKnownStatus[status] {
						return f, apacheErrf("RewriteRule: invalid HTTP response code '%s' for flag 'R'", val)
					}
				}
			}
			f.Redirect = status
		case "s", "skip":
			f.Skip = atoiPrefix(val)
		case "t", "type":
			f.Type = val
		default:
			bad = true
		}
		if bad {
			return f, apacheErrf("RewriteRule: unknown flag '%s'", key)
		}
	}
	return f, nil
}

// apacheKnownStatus are the statuses Apache 2.4.67 has a status line for:
// [R=code] accepts only these (R=452 and R=418 are refused; probed with
// apache2 -t over 100..599).
var apacheKnownStatus = func() map[int]bool {
	m := map[int]bool{}
	for _, c := range []int{100, 101, 102, 200, 201, 202, 203, 204, 205, 206, 207, 208, 226,
		300, 301, 302, 303, 304, 305, 307, 308, 400, 401, 402, 403, 404, 405, 406, 407, 408, 409,
		410, 411, 412, 413, 414, 415, 416, 417, 421, 422, 423, 424, 426, 428, 429, 431, 451,
		500, 501, 502, 503, 504, 505, 506, 507, 508, 510, 511} {
		m[c] = true
	}
	return m
}()

// atoiPrefix is C atoi: leading digits, else 0.
func atoiPrefix(s string) int {
	end := 0
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	n, _ := strconv.Atoi(s[:end])
	return n
}

func applyRewriteRule(b *Builder, d *parser.Directive) error {
	args := d.ArgValues()
	if len(args) < 2 {
		return apacheErrf("RewriteRule: bad argument line '%s'", d.Raw)
	}
	r := &model.RewriteRule{Source: source(d), Substitution: args[1]}
	if len(args) > 2 {
		list, err := rewriteFlagList("RewriteRule", args[2])
		if err != nil {
			return err
		}
		if r.Flags, err = parseRewriteFlags(list); err != nil {
			return err
		}
	}
	pat := args[0]
	if strings.HasPrefix(pat, "!") {
		r.Negate = true
		pat = pat[1:]
	}
	r.Pattern = pat
	re, err := compileRewriteRegex("RewriteRule", pat, r.Flags.NoCase)
	if err != nil {
		return err
	}
	r.Regex = re
	rewriteLintCookies(b, d, r)

	rc := rewriteConfig(b)
	rewritePendingMu.Lock()
	r.Conds = rewritePending[rc]
	delete(rewritePending, rc)
	rewritePendingMu.Unlock()
	rc.Rules = append(rc.Rules, r)
	return nil
}

// rewriteLintCookies warns about CO flags Apache silently mangles (spec 7.3).
func rewriteLintCookies(b *Builder, d *parser.Directive, r *model.RewriteRule) {
	for _, raw := range r.Flags.Raw {
		key, val, _ := strings.Cut(raw, "=")
		if !strings.EqualFold(key, "co") && !strings.EqualFold(key, "cookie") {
			continue
		}
		c, ok := model.ParseCookieFlag(val)
		if !ok {
			b.Warnf(d, "rewrite-cookie-incomplete", "RewriteRule: cookie flag %q needs at least NAME:VALUE:DOMAIN; Apache sets no cookie at all", raw)
			continue
		}
		sep := ":"
		if strings.HasPrefix(val, ";") {
			sep = ";"
		}
		fields := strings.FieldsFunc(strings.TrimPrefix(val, ";"), func(r rune) bool { return string(r) == sep })
		if len(fields) > 6 && !c.Secure && model.CookieFlagTrue(fields[6], "HttpOnly") {
			b.Warnf(d, "rewrite-cookie-httponly-dropped", "RewriteRule: cookie %s has secure=%s, so Apache drops its HttpOnly attribute too; set secure to true or remove HttpOnly", c.Name, fields[5])
		}
	}
}

// MergeRewrite merges a parent level's mod_rewrite configuration into a
// child's (main server → virtual host, or an outer per-directory level
// into an inner one), as mod_rewrite's merge functions do: the engine
// state is inherited unless the child sets RewriteEngine; the child's
// rules replace the parent's, unless the child has RewriteOptions Inherit
// (parent's rules run after the child's) or InheritBefore (before). Either
// argument may be nil; the result is a new value (or nil).
func MergeRewrite(parent, child *model.RewriteConfig) *model.RewriteConfig {
	switch {
	case parent == nil && child == nil:
		return nil
	case parent == nil:
		c := *child
		return &c
	case child == nil:
		// A level without mod_rewrite directives inherits the state only:
		// rules are never inherited without RewriteOptions Inherit.
		return &model.RewriteConfig{Engine: parent.Engine, EngineSet: parent.EngineSet}
	}
	out := *child
	if !child.EngineSet {
		out.Engine, out.EngineSet = parent.Engine, parent.EngineSet
	}
	has := func(opt string) bool {
		for _, o := range child.Options {
			if strings.EqualFold(o, opt) {
				return true
			}
		}
		return false
	}
	switch {
	case has("InheritBefore"):
		out.Rules = append(append([]*model.RewriteRule(nil), parent.Rules...), child.Rules...)
	case has("Inherit"):
		out.Rules = append(append([]*model.RewriteRule(nil), child.Rules...), parent.Rules...)
	}
	return &out
}
