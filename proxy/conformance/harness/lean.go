package harness

import (
	"bufio"
	"bytes"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
)

// The lean path lets a Silent backend answer plain requests without
// net/http's parsing, so that the load program measures the proxies and not
// the backends. It only answers requests it fully understands and whose
// rule is a plain ActOK without Delay; everything else (HTTP/1.0, bare LF
// line ends, Transfer-Encoding, Expect, Upgrade, repeated Host or
// Content-Length, odd bytes, heads larger than the read buffer) is left
// unread for the regular http.ReadRequest path. Its responses are the bytes
// respond() writes, produced by respond() itself and cached.

// leanCacheMax bounds the number of cached responses (one per method and
// request-target); beyond it responses are built per request.
const leanCacheMax = 256

// leanServer is the lean path of one Backend.
type leanServer struct {
	b *Backend
	// served counts the requests answered by the lean path.
	served atomic.Int64

	mu    sync.RWMutex
	cache map[string][]byte // "METHOD target" → response bytes
}

// leanOutcome is what serveLean did with the next request.
type leanOutcome int

const (
	leanNo    leanOutcome = iota // not lean: nothing consumed, use http.ReadRequest
	leanDone                     // answered; the connection stays open
	leanClose                    // answered, or the connection failed: close it
)

// LeanRequests returns how many requests the backend answered on its lean
// path (Silent backends only; see lean.go).
func (b *Backend) LeanRequests() int64 {
	if b.lean == nil {
		return 0
	}
	return b.lean.served.Load()
}

func newLeanServer(b *Backend) *leanServer {
	return &leanServer{b: b, cache: map[string][]byte{}}
}

// leanRequest is what the lean path needs of a request head.
type leanRequest struct {
	head   int    // length of the head including the empty line
	key    []byte // "METHOD target" (aliases the reader's buffer)
	method []byte
	target []byte
	length int64 // Content-Length, 0 if absent
	hasLen bool  // a Content-Length header was seen
	close  bool  // Connection: close
}

// serve answers the next request on br if it is a plain one.
func (l *leanServer) serve(br *bufio.Reader, bw *bufio.Writer) leanOutcome {
	req, ok, err := peekHead(br)
	if err != nil {
		// No complete head before the error: http.ReadRequest would fail too.
		return leanClose
	}
	if !ok {
		return leanNo
	}
	r := l.b.ruleBytes(req.target)
	if r.Action != ActOK && r.Action != "" || r.Delay > 0 { // "" answers as ActOK does
		return leanNo
	}
	resp := l.response(req, r)
	// req's slices alias the reader's buffer: done with them from here on.
	if _, err := br.Discard(req.head); err != nil {
		return leanClose
	}
	// A body cut short still gets its answer, as on the regular path
	// (which ignores the read error); the connection is over then.
	_, err = br.Discard(int(req.length))
	l.served.Add(1)
	bw.Write(resp)
	if bw.Flush() != nil || req.close || err != nil {
		return leanClose
	}
	return leanDone
}

// response returns the bytes respond() writes for the request.
func (l *leanServer) response(req leanRequest, r Rule) []byte {
	l.mu.RLock()
	resp, ok := l.cache[string(req.key)]
	l.mu.RUnlock()
	if ok {
		return resp
	}
	var buf bytes.Buffer
	w := bufio.NewWriter(&buf)
	l.b.respond(w, &http.Request{Method: string(req.method), RequestURI: string(req.target)}, r, int(req.length))
	w.Flush()
	resp = buf.Bytes()
	l.mu.Lock()
	if len(l.cache) < leanCacheMax {
		l.cache[string(req.key)] = resp
	}
	l.mu.Unlock()
	return resp
}

// ruleBytes is rule() for a target held in a byte slice.
func (b *Backend) ruleBytes(target []byte) Rule {
	for _, r := range b.Rules {
		if len(target) >= len(r.Prefix) && string(target[:len(r.Prefix)]) == r.Prefix {
			return r
		}
	}
	return Rule{Action: ActOK}
}

// peekHead looks at the buffered bytes of br, reading more as needed, until
// it has a complete request head. ok is false, with nothing consumed, for
// anything the lean path leaves to http.ReadRequest; err is set when the
// connection failed before a complete head arrived.
func peekHead(br *bufio.Reader) (req leanRequest, ok bool, err error) {
	if _, err := br.Peek(1); err != nil {
		return req, false, err
	}
	scanned := 0 // bytes of complete lines already checked
	lines := 0
	hosts := 0
	for {
		buf, _ := br.Peek(br.Buffered())
		for {
			nl := bytes.IndexByte(buf[scanned:], '\n')
			if nl < 0 {
				break
			}
			line := buf[scanned : scanned+nl+1]
			if len(line) < 2 || line[len(line)-2] != '\r' {
				return req, false, nil // bare LF: let net/http judge it
			}
			line = line[:len(line)-2]
			scanned += nl + 1
			lines++
			if lines == 1 {
				if !parseRequestLine(line, &req) {
					return req, false, nil
				}
				continue
			}
			if len(line) == 0 {
				req.head = scanned
				return req, true, nil
			}
			if !parseHeaderLine(line, &req, &hosts) {
				return req, false, nil
			}
		}
		if br.Buffered() >= br.Size() {
			return req, false, nil // head larger than the buffer
		}
		if _, err := br.Peek(br.Buffered() + 1); err != nil {
			return req, false, err
		}
	}
}

// parseRequestLine accepts "METHOD /target HTTP/1.1" with a token method and
// an origin-form target of plain characters.
func parseRequestLine(line []byte, req *leanRequest) bool {
	sp1 := bytes.IndexByte(line, ' ')
	if sp1 <= 0 {
		return false
	}
	rest := line[sp1+1:]
	sp2 := bytes.IndexByte(rest, ' ')
	if sp2 <= 0 || string(rest[sp2+1:]) != "HTTP/1.1" {
		return false
	}
	req.method, req.target = line[:sp1], rest[:sp2]
	req.key = line[:sp1+1+sp2]
	for _, c := range req.method {
		if !isToken(c) {
			return false
		}
	}
	return plainTarget(req.target)
}

// plainTarget accepts "/" followed by unreserved, sub-delim, ":", "@", "/",
// "?" characters and well-formed percent escapes: targets that
// url.ParseRequestURI takes as they are.
func plainTarget(t []byte) bool {
	if len(t) == 0 || t[0] != '/' {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("-._~!$&'()*+,;=:@/?", c) >= 0:
		case c == '%' && i+2 < len(t) && isHex(t[i+1]) && isHex(t[i+2]):
			i += 2
		default:
			return false
		}
	}
	return true
}

// parseHeaderLine accepts "Name: value" with a token name and a value
// without control characters, and notes what the lean path needs.
func parseHeaderLine(line []byte, req *leanRequest, hosts *int) bool {
	colon := bytes.IndexByte(line, ':')
	if colon <= 0 {
		return false
	}
	name, value := line[:colon], bytes.Trim(line[colon+1:], " \t")
	for _, c := range name {
		if !isToken(c) {
			return false
		}
	}
	for _, c := range value {
		if c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	switch {
	case equalFold(name, "Transfer-Encoding"), equalFold(name, "Expect"), equalFold(name, "Upgrade"):
		return false
	case equalFold(name, "Host"):
		*hosts++
		if *hosts > 1 {
			return false
		}
		for _, c := range value {
			if !isToken(c) && c != ':' && c != '[' && c != ']' {
				return false
			}
		}
	case equalFold(name, "Content-Length"):
		if req.hasLen || len(value) == 0 || len(value) > 12 {
			return false // repeated: net/http judges whether the values agree
		}
		var n int64
		for _, c := range value {
			if c < '0' || c > '9' {
				return false
			}
			n = n*10 + int64(c-'0')
		}
		req.length, req.hasLen = n, true
	case equalFold(name, "Connection"):
		for len(value) > 0 {
			tok := value
			if i := bytes.IndexByte(value, ','); i >= 0 {
				tok, value = value[:i], value[i+1:]
			} else {
				value = nil
			}
			if equalFold(bytes.Trim(tok, " \t"), "close") {
				req.close = true
			}
		}
	}
	return true
}

func equalFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := 0; i < len(b); i++ {
		c, d := b[i], s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if 'A' <= d && d <= 'Z' {
			d += 'a' - 'A'
		}
		if c != d {
			return false
		}
	}
	return true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// isToken reports whether c is an RFC 9110 tchar.
func isToken(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}
