package balancer

import "strings"

// Source says where a sticky session value was found.
type Source uint8

// Session value sources.
const (
	SourceNone   Source = iota // no value in the request
	SourcePath                 // URL path parameter (stickysession path name)
	SourceCookie               // Cookie header (stickysession cookie name)
)

// String returns "none", "path" or "cookie".
func (s Source) String() string {
	switch s {
	case SourcePath:
		return "path"
	case SourceCookie:
		return "cookie"
	}
	return "none"
}

// Session is what sticky extraction (spec 4.6) found in a request.
type Session struct {
	Source Source
	// Name is the parameter or cookie name the value was found under
	// (BALANCER_SESSION_STICKY).
	Name string
	// Value is the whole session value ("abc.n1").
	Value string
	// Route is the part of Value after the first separator (the whole
	// value with stickysessionsep=Off); BALANCER_SESSION_ROUTE.
	Route string
	// HasRoute is true when Value yielded a route string (possibly empty):
	// the BALANCER_SESSION_* variables are set exactly then.
	HasRoute bool
}

// StickyConfig are the balancer settings sticky extraction needs.
type StickyConfig struct {
	Cookie string // cookie name; "" disables stickiness
	Param  string // URL parameter name
	Sep    byte   // route separator; 0 = stickysessionsep Off
	Scolon bool   // scolonpathdelim: ';' also ends a URL value
}

// ExtractSession finds the session value and route in a request exactly as
// mod_proxy_balancer does: first the URL parameter in url (the balancer URL
// "balancer://c/path?query" as Apache sees it), then the cookie in cookie
// (the Cookie header; several fields joined with ", "). Names are
// case-sensitive. Input after a NUL byte is ignored, as in C. Returned
// strings are substrings of the inputs (no allocation).
func ExtractSession(url, cookie string, c StickyConfig) Session {
	if c.Cookie == "" {
		return Session{}
	}
	var s Session
	if v, ok := pathParam(cString(url), c.Param, c.Scolon); ok {
		s = Session{Source: SourcePath, Name: c.Param, Value: v}
	} else if v, ok := cookieParam(cString(cookie), c.Cookie); ok {
		s = Session{Source: SourceCookie, Name: c.Cookie, Value: v}
	} else {
		return Session{}
	}
	if c.Sep == 0 {
		s.Route, s.HasRoute = s.Value, true
	} else if i := strings.IndexByte(s.Value, c.Sep); i >= 0 {
		s.Route, s.HasRoute = s.Value[i+1:], true
	}
	return s
}

// cString cuts s at its first NUL, the end of a C string.
func cString(s string) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return s[:i]
	}
	return s
}

// isSpace is C isspace in the "C" locale.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// pathParam is get_path_param: the first occurrence of name followed by
// '=' and a non-empty rest; the value is the first apr_strtok token of the
// rest, i.e. leading delimiters ("?&", plus ';' with scolon) are skipped
// and the value ends at the next delimiter. A rest made only of
// delimiters ends the search with no value.
func pathParam(url, name string, scolon bool) (string, bool) {
	delims := "?&"
	if scolon {
		delims = ";?&"
	}
	start := 0
	for start <= len(url) {
		i := strings.Index(url[start:], name)
		if i < 0 {
			return "", false
		}
		p := start + i + len(name)
		if p < len(url) && url[p] == '=' {
			p++
			if p < len(url) {
				v := url[p:]
				j := 0
				for j < len(v) && strings.IndexByte(delims, v[j]) >= 0 {
					j++
				}
				if j == len(v) {
					return "", false
				}
				v = v[j:]
				if k := strings.IndexAny(v, delims); k >= 0 {
					v = v[:k]
				}
				return v, true
			}
		}
		start = p + 1 // strstr(path + 1, name); past the end stops
	}
	return "", false
}

// cookieParam is get_cookie_param: name at the start of the header or
// after ';', ',' or whitespace, then optional whitespace, '=' and at least
// one more character; the value ends at the first ';' or ','. It may be
// empty ("NAME=;").
func cookieParam(h, name string) (string, bool) {
	start := 0
	for start <= len(h) {
		i := strings.Index(h[start:], name)
		if i < 0 {
			return "", false
		}
		pos := start + i
		next := pos + 1
		if pos == 0 || h[pos-1] == ';' || h[pos-1] == ',' || isSpace(h[pos-1]) {
			p := pos + len(name)
			for p < len(h) && isSpace(h[p]) {
				p++
			}
			eq := p < len(h) && h[p] == '='
			p++
			if eq && p < len(h) {
				v := h[p:]
				if k := strings.IndexAny(v, ";,"); k >= 0 {
					v = v[:k]
				}
				return v, true
			}
			next = p + 1
		}
		start = next
	}
	return "", false
}
