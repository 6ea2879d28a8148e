package model

import (
	"strconv"
	"strings"
)

// ParseCookieFlag parses the value of a RewriteRule [CO=...] flag (the text
// after "CO=") the way mod_rewrite's add_cookie does:
//
//	NAME:VALUE:DOMAIN[:lifetime[:path[:secure[:httponly[:samesite]]]]]
//	;NAME;VALUE;DOMAIN[;lifetime[;path[;secure[;httponly[;samesite]]]]]
//
// A leading ';' selects ';' as the separator. Fields are split with strtok
// semantics: consecutive separators collapse, so an empty field cannot be
// written. ok is false when NAME, VALUE or DOMAIN is missing: Apache then
// sets no cookie at all, silently. The value must already be expanded
// ($N, %N, %{VAR}) because Apache expands before splitting.
func ParseCookieFlag(s string) (c RewriteCookie, ok bool) {
	sep := ":"
	if strings.HasPrefix(s, ";") {
		sep = ";"
		s = s[1:]
	}
	var fields []string
	for _, f := range strings.Split(s, sep) {
		if f != "" {
			fields = append(fields, f)
		}
	}
	if len(fields) < 3 {
		return RewriteCookie{}, false
	}
	c = RewriteCookie{Name: fields[0], Value: fields[1], Domain: fields[2], Path: "/"}
	rest := fields[3:]
	if len(rest) > 0 {
		c.Lifetime = Atol(rest[0])
	}
	if len(rest) > 1 {
		c.Path = rest[1]
	}
	secureSet := false
	if len(rest) > 2 {
		secureSet = true
		c.Secure = CookieFlagTrue(rest[2], "secure")
	}
	if len(rest) > 3 {
		c.HTTPOnly = CookieFlagTrue(rest[3], "HttpOnly")
	}
	if len(rest) > 4 {
		v := rest[4]
		if v != "0" && !strings.EqualFold(v, "false") {
			c.SameSite = v
		}
	}
	// Apache quirk (spec 7.3): a secure field that is present but not true
	// drops HttpOnly as well.
	if secureSet && !c.Secure {
		c.HTTPOnly = false
	}
	return c, true
}

// CookieFlagTrue reports whether a CO flag field counts as true: "true",
// "1" or the attribute's own name, case-insensitively.
func CookieFlagTrue(v, word string) bool {
	return strings.EqualFold(v, "true") || v == "1" || strings.EqualFold(v, word)
}

// Atol mimics C atol: optional whitespace and sign, then leading digits;
// anything unparsable (or out of range) is 0. Apache parses RewriteRule
// cookie lifetimes and balancer-manager form values this way.
func Atol(s string) int {
	s = strings.TrimLeft(s, " \t\n\v\f\r")
	end := 0
	if end < len(s) && (s[end] == '+' || s[end] == '-') {
		end++
	}
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	n, err := strconv.Atoi(s[:end])
	if err != nil {
		return 0
	}
	return n
}

// SplitTrailingLookaround splits a PCRE pattern that ends with a top-level
// lookahead, "X(?!Y)" or "X(?=Y)", into X and Y. Go's regexp (RE2) has no
// lookaround; balancerd compiles X and checks Y at the end of X's match.
// ok is false when the pattern has no such suffix.
func SplitTrailingLookaround(p string) (prefix, look string, negative, ok bool) {
	if !strings.HasSuffix(p, ")") {
		return "", "", false, false
	}
	depth := 0
	for i := len(p) - 1; i >= 0; i-- {
		if escapedAt(p, i) {
			continue
		}
		switch p[i] {
		case ')':
			depth++
		case '(':
			depth--
			if depth == 0 {
				inner := p[i:]
				switch {
				case strings.HasPrefix(inner, "(?!"):
					return p[:i], inner[3 : len(inner)-1], true, true
				case strings.HasPrefix(inner, "(?="):
					return p[:i], inner[3 : len(inner)-1], false, true
				}
				return "", "", false, false
			}
		}
	}
	return "", "", false, false
}

// escapedAt reports whether p[i] is preceded by an odd number of backslashes.
func escapedAt(p string, i int) bool {
	n := 0
	for j := i - 1; j >= 0 && p[j] == '\\'; j-- {
		n++
	}
	return n%2 == 1
}
