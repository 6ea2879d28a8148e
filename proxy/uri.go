package proxy

import (
	"net/http"
	"strings"
)

// cleanURI computes Apache's r->uri from the request's %-encoded path:
// unreserved escapes decoded, dot segments resolved (".." above the root
// is a 400), runs of slashes merged (MergeSlashes On), then fully decoded.
// An encoded slash (%2F, AllowEncodedSlashes Off) or NUL is a 404, a bad
// escape a 400 — the statuses Apache's core returns before any module runs.
func cleanURI(raw string) (string, int) { return cleanURIMode(raw, slashesOff) }

// cleanURIMode is cleanURI under AllowEncodedSlashes mode: with On an
// encoded slash is decoded and the path normalised again; with NoDecode
// it stays "%2F" in r->uri.
func cleanURIMode(raw, mode string) (string, int) {
	if raw == "" || raw[0] != '/' {
		return "", http.StatusBadRequest
	}
	// 1. decode %XX of unreserved characters; validate every escape.
	var b strings.Builder
	b.Grow(len(raw))
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		if i+2 >= len(raw) || !ishex(raw[i+1]) || !ishex(raw[i+2]) {
			return "", http.StatusBadRequest
		}
		d := unhex(raw[i+1])<<4 | unhex(raw[i+2])
		if isUnreserved(d) {
			b.WriteByte(d)
		} else {
			b.WriteByte('%')
			b.WriteByte(upper(raw[i+1]))
			b.WriteByte(upper(raw[i+2]))
		}
		i += 2
	}
	p, ok := normalizePath(b.String())
	if !ok {
		return "", http.StatusBadRequest
	}
	// 2. decode the rest.
	if strings.IndexByte(p, '%') < 0 {
		return p, 0
	}
	out := make([]byte, 0, len(p))
	slash := false
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c == '%' {
			c = unhex(p[i+1])<<4 | unhex(p[i+2])
			switch {
			case c == 0, c == '/' && mode == slashesOff:
				return "", http.StatusNotFound
			case c == '/' && mode == slashesNoDecode:
				out = append(out, p[i:i+3]...)
				i += 2
				continue
			case c == '/':
				slash = true
			}
			i += 2
		}
		out = append(out, c)
	}
	if slash {
		// Decoded slashes may form new "//", "/./" or "/../" segments.
		// Above the root is a 404 (observed on Apache 2.4.67).
		q, ok := normalizePath(string(out))
		if !ok {
			return "", http.StatusNotFound
		}
		return q, 0
	}
	return string(out), 0
}

// normalizePath merges slashes and removes "." and ".." segments
// (ap_normalize_path with AP_NORMALIZE_NOT_ABOVE_ROOT|MERGE_SLASHES).
// ok is false when ".." would go above the root.
func normalizePath(p string) (string, bool) {
	if !strings.Contains(p, "//") && !strings.Contains(p, "/.") {
		return p, true
	}
	segs := make([]string, 0, 8)
	trailing := strings.HasSuffix(p, "/")
	for _, s := range strings.Split(p[1:], "/") {
		switch s {
		case "":
			continue
		case ".":
			trailing = true
			continue
		case "..":
			if len(segs) == 0 {
				return "", false
			}
			segs = segs[:len(segs)-1]
			trailing = true
			continue
		}
		trailing = false
		segs = append(segs, s)
	}
	if strings.HasSuffix(p, "/") {
		trailing = true
	}
	out := "/" + strings.Join(segs, "/")
	if trailing && len(segs) > 0 {
		out += "/"
	}
	return out, true
}

func ishex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

func upper(c byte) byte {
	if 'a' <= c && c <= 'z' {
		return c - 32
	}
	return c
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

func isUnreserved(c byte) bool {
	return isAlnum(c) || c == '-' || c == '.' || c == '_' || c == '~'
}

// pathAllowed are the characters ap_proxy_canonenc leaves alone in a path
// besides letters and digits ("/" is reserved and kept).
const pathAllowed = "~$-_.+!*'(),;:@&=/"

// canonPath re-encodes a decoded path the way mod_proxy's canonicaliser
// does for a reverse-proxied URL: everything but letters, digits and
// pathAllowed becomes %XX (uppercase hex).
func canonPath(p string) string { return canonPathMode(p, false) }

// canonPathMode is canonPath; keep2F keeps "%2F" as it is (the encoded
// slashes AllowEncodedSlashes NoDecode left in r->uri).
func canonPathMode(p string, keep2F bool) string {
	n := 0
	for i := 0; i < len(p); i++ {
		if c := p[i]; !isAlnum(c) && strings.IndexByte(pathAllowed, c) < 0 {
			n++
		}
	}
	if n == 0 {
		return p
	}
	const hexd = "0123456789ABCDEF"
	out := make([]byte, 0, len(p)+2*n)
	for i := 0; i < len(p); i++ {
		c := p[i]
		if isAlnum(c) || strings.IndexByte(pathAllowed, c) >= 0 {
			out = append(out, c)
			continue
		}
		if keep2F && c == '%' && i+2 < len(p) && p[i+1] == '2' && (p[i+2] == 'F' || p[i+2] == 'f') {
			out = append(out, p[i:i+3]...)
			i += 2
			continue
		}
		out = append(out, '%', hexd[c>>4], hexd[c&15])
	}
	return string(out)
}

// hasCtlOrSpace reports raw control characters or spaces (a nocanon path
// or query with them is refused with 403, AH10415/AH10408).
func hasCtlOrSpace(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] == 0x7f {
			return true
		}
	}
	return false
}

// aliasMatch is mod_proxy's alias_match: the number of bytes of uri the
// ProxyPass path fake matches, 0 for no match. A run of slashes in fake
// matches a run of slashes in uri; the match must end at a segment
// boundary unless fake ends with "/".
func aliasMatch(uri, fake string) int {
	a, u := 0, 0
	for a < len(fake) && u < len(uri) {
		if fake[a] == '/' {
			if uri[u] != '/' {
				return 0
			}
			for a < len(fake) && fake[a] == '/' {
				a++
			}
			for u < len(uri) && uri[u] == '/' {
				u++
			}
			continue
		}
		if uri[u] != fake[a] {
			return 0
		}
		u++
		a++
	}
	if u == len(uri) && a != len(fake) {
		return 0
	}
	if a == 0 {
		return 0
	}
	if fake[a-1] != '/' && u < len(uri) && uri[u] != '/' {
		return 0
	}
	return u
}

// pregsub is ap_pregsub: "$0".."$9" and "&" (= $0) are replaced by the
// submatches of m (indexes into src); "\c" is a literal c.
func pregsub(tmpl, src string, m []int) string {
	if !strings.ContainsAny(tmpl, "$&\\") {
		return tmpl
	}
	var b strings.Builder
	for i := 0; i < len(tmpl); i++ {
		c := tmpl[i]
		no := -1
		switch {
		case c == '&':
			no = 0
		case c == '$' && i+1 < len(tmpl) && tmpl[i+1] >= '0' && tmpl[i+1] <= '9':
			no = int(tmpl[i+1] - '0')
			i++
		}
		if no < 0 {
			if c == '\\' && i+1 < len(tmpl) {
				i++
				c = tmpl[i]
			}
			b.WriteByte(c)
			continue
		}
		if 2*no+1 < len(m) && m[2*no] >= 0 {
			b.WriteString(src[m[2*no]:m[2*no+1]])
		}
	}
	return b.String()
}
