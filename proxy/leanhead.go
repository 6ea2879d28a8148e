package proxy

import (
	"bytes"
	"net/http"
	"net/textproto"
	"net/url"
)

// parseLeanHead turns a request head (request line through the blank
// line, CRLF line ends) into the *http.Request net/http's server would
// build from it, for the requests the lean front end serves itself: GET
// and HEAD over HTTP/1.1 without a body, without Expect or Upgrade, with
// one well-formed Host. Anything else, or anything net/http would treat
// in a way this parser does not reproduce exactly (folded lines, bare LF,
// odd Connection values, invalid bytes), reports false, and the
// connection goes to net/http, which reads the same bytes.
//
// The head is copied into one string and every name and value is a
// substring of it; common header names are interned.
//
// base, if not nil, is copied into the request first: it carries the
// connection's context, which a request can only get by being copied.
func parseLeanHead(head []byte, base *http.Request) (*http.Request, bool) {
	// Request line: METHOD SP request-target SP HTTP/1.1 CRLF.
	eol := bytes.Index(head, crlfBytes)
	if eol < 0 {
		return nil, false
	}
	line := head[:eol]
	var method string
	switch {
	case bytes.HasPrefix(line, []byte("GET ")):
		method = http.MethodGet
	case bytes.HasPrefix(line, []byte("HEAD ")):
		method = http.MethodHead
	default:
		return nil, false
	}
	rest := line[len(method)+1:]
	if !bytes.HasSuffix(rest, []byte(" HTTP/1.1")) {
		return nil, false
	}
	target := rest[:len(rest)-len(" HTTP/1.1")]
	if len(target) == 0 || target[0] != '/' || bytes.IndexByte(target, ' ') >= 0 {
		return nil, false
	}

	// Header lines; count them first to size the map and values at once.
	fields := head[eol+2:]
	n := bytes.Count(fields, crlfBytes) - 1
	if n < 1 || n > limitRequestFields+1 {
		// No Host line, or more fields than Apache allows (net/http and
		// the handler then answer as they do).
		return nil, false
	}
	s := string(head)
	h, closeConn, ok := parseLeanFields(head, s, eol+2, n, false)
	if !ok {
		return nil, false
	}
	hosts := h["Host"]
	if len(hosts) != 1 || !simpleHost(hosts[0]) {
		return nil, false
	}
	delete(h, "Host")
	fixPragmaCacheControl(h)
	uri := s[len(method)+1 : len(method)+1+len(target)]
	u, err := url.ParseRequestURI(uri)
	if err != nil {
		return nil, false
	}
	r := new(http.Request)
	if base != nil {
		*r = *base
	}
	r.Method = method
	r.URL = u
	r.Proto, r.ProtoMajor, r.ProtoMinor = "HTTP/1.1", 1, 1
	r.Header = h
	r.Body = http.NoBody
	r.Host = hosts[0]
	r.RequestURI = uri
	r.Close = closeConn
	return r, true
}

// parseLeanFields reads the n header lines of head starting at off (s is
// head as a string; names and values are substrings of it) up to the
// blank line. Framing and hop fields the lean paths do not handle make it
// report false: Content-Length (unless response), Transfer-Encoding,
// Expect, Upgrade, Trailer, and a Connection other than one "close" or
// "keep-alive". closeConn reports Connection: close.
func parseLeanFields(head []byte, s string, off, n int, response bool) (h http.Header, closeConn, ok bool) {
	h = make(http.Header, n)
	vals := make([]string, n)
	nv := 0
	for {
		i := bytes.Index(head[off:], crlfBytes)
		if i < 0 {
			return nil, false, false
		}
		if i == 0 {
			break // the blank line
		}
		ln := head[off : off+i]
		colon := bytes.IndexByte(ln, ':')
		if colon <= 0 || !validFieldName(ln[:colon]) {
			return nil, false, false // folded line, no name, or a bad name
		}
		vs, ve := colon+1, len(ln)
		for vs < ve && (ln[vs] == ' ' || ln[vs] == '\t') {
			vs++
		}
		for ve > vs && (ln[ve-1] == ' ' || ln[ve-1] == '\t') {
			ve--
		}
		if !validFieldValue(ln[vs:ve]) {
			return nil, false, false
		}
		key := leanKey(ln[:colon], s[off:off+colon])
		val := s[off+vs : off+ve]
		switch key {
		case "Content-Length":
			if !response {
				return nil, false, false
			}
		case "Transfer-Encoding", "Expect", "Upgrade", "Trailer", "Http2-Settings":
			return nil, false, false
		case "Connection":
			switch {
			case asciiEqualFold(val, "close"):
				closeConn = true
			case asciiEqualFold(val, "keep-alive"):
			default:
				return nil, false, false
			}
		}
		if old, ok := h[key]; ok {
			h[key] = append(old, val)
		} else {
			vals[nv] = val
			h[key] = vals[nv : nv+1 : nv+1]
			nv++
		}
		off += i + 2
	}
	if len(h["Connection"]) > 1 {
		return nil, false, false
	}
	return h, closeConn, true
}

// fixPragmaCacheControl is net/http's: "Pragma: no-cache" without
// Cache-Control implies "Cache-Control: no-cache".
func fixPragmaCacheControl(h http.Header) {
	if p := h["Pragma"]; len(p) > 0 && p[0] == "no-cache" {
		if _, ok := h["Cache-Control"]; !ok {
			h["Cache-Control"] = []string{"no-cache"}
		}
	}
}

var crlfBytes = []byte("\r\n")

// asciiEqualFold compares strings without regard to ASCII case only, as
// net/http's token checks do (strings.EqualFold would also fold "ſ" to
// "s" and "K" to "k").
func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// leanKey is the canonical form of the field name b (whose text is s, a
// substring of the head): an interned common name, s itself when it is
// already canonical, else a new canonical string.
func leanKey(b []byte, s string) string {
	if k, ok := commonLeanKeys[string(b)]; ok {
		return k
	}
	upper := true
	for _, c := range b {
		if upper && 'a' <= c && c <= 'z' || !upper && 'A' <= c && c <= 'Z' {
			return textproto.CanonicalMIMEHeaderKey(s)
		}
		upper = c == '-'
	}
	return s
}

// commonLeanKeys maps the usual spellings of common request fields to
// their canonical names.
var commonLeanKeys = func() map[string]string {
	m := map[string]string{}
	for _, k := range []string{
		"Accept", "Accept-Charset", "Accept-Encoding", "Accept-Language", "Authorization",
		"Cache-Control", "Connection", "Cookie", "Dnt", "From", "Host", "If-Match",
		"If-Modified-Since", "If-None-Match", "If-Range", "If-Unmodified-Since",
		"Max-Forwards", "Origin", "Pragma", "Range", "Referer", "Sec-Fetch-Dest",
		"Sec-Fetch-Mode", "Sec-Fetch-Site", "Sec-Fetch-User", "Te", "Upgrade-Insecure-Requests",
		"User-Agent", "Via", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto",
		"X-Forwarded-Server", "X-Real-Ip", "X-Requested-With",
	} {
		m[k] = k
		m[lowerASCII(k)] = k
	}
	return m
}()

func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
