package proxy

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"slices"
	"strings"
	"sync"
	"time"
)

// fastPool is a lean HTTP/1.1 client for the common case of a plain
// http:// worker that reuses its connections: the request is written and
// the response head read in the handler's goroutine, on a pooled
// connection with its own buffers. http.Transport runs two goroutines per
// connection and hands every request and response between them over
// channels; under load that costs about as much CPU as the proxying
// itself. Everything unusual (a request body, Expect, Upgrade, Close,
// header values Transport would refuse) still goes through the worker's
// Transport, which stays the reference: the bytes a backend receives and a
// client gets back are the same either way (TestFastClientDifferential).
type fastPool struct {
	dial    func(ctx context.Context, network, addr string) (net.Conn, error)
	bufSize int
	maxIdle int
	ttl     time.Duration // idle connections older than this are closed, not reused
	now     func() time.Time

	mu   sync.Mutex
	idle []*fastConn // most recently used last
}

// fastConn is one pooled backend connection.
type fastConn struct {
	conn   net.Conn
	lim    headLimit    // between br and conn
	tc     *timeoutConn // conn, when the dialer made one (traffic counters)
	br     *bufio.Reader
	bw     *bufio.Writer
	idleAt time.Time
	reused bool
	peek   idlePeek // readability check before reuse
}

// max1xx is Transport's limit on informational responses before the final one.
const max1xx = 5

// fastEligible reports whether req can take the lean path: a request
// without body, nothing that needs Transport's machinery.
func fastEligible(req *http.Request) bool {
	if req.Body != nil && req.Body != http.NoBody {
		return false
	}
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
	default:
		return false
	}
	if req.Close || req.ProtoMajor != 1 || req.ContentLength > 0 {
		return false
	}
	h := req.Header
	if len(h["Upgrade"]) > 0 || len(h["Expect"]) > 0 || len(h["Connection"]) > 0 || len(h["Transfer-Encoding"]) > 0 {
		return false
	}
	for k, vs := range h {
		if !validFieldName(k) {
			return false
		}
		for _, v := range vs {
			if !validFieldValue(v) {
				return false
			}
		}
	}
	return true
}

// validFieldName and validFieldValue are httpguts' checks, which
// Transport applies before sending (it refuses the request otherwise)
// and net/http's server applies to what it reads.
func validFieldName[T string | []byte](k T) bool {
	if len(k) == 0 {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if c >= 0x80 || !isTokenByte(c) {
			return false
		}
	}
	return true
}

func isTokenByte(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	switch c {
	case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~':
		return true
	}
	return false
}

func validFieldValue[T string | []byte](v T) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

// get returns an idle connection or dials a new one. An idle connection
// is dropped instead of reused when it is older than ttl or readable
// (idlePeek: the backend closed it, or sent bytes after a complete
// response that would otherwise be read as the next response).
func (p *fastPool) get(ctx context.Context, addr string) (*fastConn, error) {
	for {
		p.mu.Lock()
		n := len(p.idle)
		if n == 0 {
			p.mu.Unlock()
			break
		}
		c := p.idle[n-1]
		p.idle[n-1] = nil
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		if (p.ttl > 0 && p.clock().Sub(c.idleAt) > p.ttl) || c.peek.stale() {
			c.conn.Close()
			continue
		}
		c.reused = true
		return c, nil
	}
	conn, err := p.dial(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	c := &fastConn{conn: conn, bw: bufio.NewWriterSize(conn, p.bufSize)}
	c.lim = headLimit{r: conn, n: noLimit}
	c.br = bufio.NewReaderSize(&c.lim, p.bufSize)
	c.tc, _ = conn.(*timeoutConn)
	c.peek.init(conn)
	return c, nil
}

// put returns c to the pool, or closes it when the pool is full.
func (p *fastPool) put(c *fastConn) {
	if c.br.Buffered() > 0 {
		// Bytes nobody asked for: the connection is out of step.
		c.conn.Close()
		return
	}
	if p.ttl > 0 {
		c.idleAt = p.clock()
	}
	p.mu.Lock()
	if len(p.idle) < p.maxIdle {
		p.idle = append(p.idle, c)
		p.mu.Unlock()
		return
	}
	p.mu.Unlock()
	c.conn.Close()
}

func (p *fastPool) clock() time.Time {
	if p.now != nil {
		return p.now()
	}
	return time.Now()
}

// closeIdle closes the idle connections (Reload, Shutdown).
func (p *fastPool) closeIdle() {
	p.mu.Lock()
	idle := p.idle
	p.idle = nil
	p.mu.Unlock()
	for _, c := range idle {
		c.conn.Close()
	}
}

// canonicalAddr is the host:port to dial for u's authority.
func canonicalAddr(host string) string {
	if i := lastColonOutsideBrackets(host); i >= 0 {
		return host
	}
	if len(host) > 0 && host[0] == '[' {
		return host + ":80"
	}
	return net.JoinHostPort(host, "80")
}

func lastColonOutsideBrackets(h string) int {
	for i := len(h) - 1; i >= 0; i-- {
		switch h[i] {
		case ':':
			return i
		case ']':
			return -1
		}
	}
	return -1
}

// roundTrip sends req (fastEligible) and reads the response head. A
// reused connection that fails before any byte of a response arrives
// (the backend closed it after get checked it) is replaced by a new one,
// as Transport retries such requests.
func (p *fastPool) roundTrip(ex *exchange, req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	addr := canonicalAddr(req.URL.Host)
	for {
		c, err := p.get(ctx, addr)
		if err != nil {
			return nil, err
		}
		var r0 int64
		if c.tc != nil {
			r0 = c.tc.nr.Load()
			if ex != nil {
				ex.conn, ex.r0, ex.w0 = c.tc, r0, c.tc.nw.Load()
			}
		}
		// The client going away aborts the exchange, as with Transport.
		conn := c.conn
		stop := context.AfterFunc(ctx, func() { conn.Close() })
		res, err := c.do(req)
		if err == nil {
			return p.wrap(c, req, res, stop), nil
		}
		stop()
		c.conn.Close()
		if cerr := ctx.Err(); cerr != nil {
			return nil, cerr
		}
		if c.reused && c.tc != nil && c.tc.nr.Load() == r0 {
			if ex != nil {
				ex.conn = nil
			}
			continue
		}
		return nil, err
	}
}

// do writes req and reads the response, passing 1xx responses to the
// request's httptrace.Got1xxResponse (ReverseProxy forwards them).
func (c *fastConn) do(req *http.Request) (*http.Response, error) {
	if !writeHead(c.bw, req) {
		if err := req.Write(c.bw); err != nil {
			return nil, err
		}
	}
	if err := c.bw.Flush(); err != nil {
		return nil, err
	}
	var trace *httptrace.ClientTrace
	for n := 0; ; n++ {
		// Transport's MaxResponseHeaderBytes (set to 1 MiB for workers).
		c.lim.n = maxResponseHeaderBytes
		res, err := readResponse(c.br, req)
		c.lim.n = noLimit
		if err != nil {
			return nil, err
		}
		if res.StatusCode < 100 || res.StatusCode > 199 || res.StatusCode == http.StatusSwitchingProtocols {
			return res, nil
		}
		if n == 0 {
			trace = httptrace.ContextClientTrace(req.Context())
		}
		if trace != nil && trace.Got1xxResponse != nil {
			if err := trace.Got1xxResponse(res.StatusCode, textproto.MIMEHeader(res.Header)); err != nil {
				return nil, err
			}
		} else if n >= max1xx {
			return nil, errors.New("net/http: HTTP/1.x transport connection broken: too many 1xx informational responses")
		}
	}
}

// wrap makes the response body give the connection back to the pool when
// it has been read to the end (or close it when abandoned early).
func (p *fastPool) wrap(c *fastConn, req *http.Request, res *http.Response, stop func() bool) *http.Response {
	if res.StatusCode == http.StatusSwitchingProtocols {
		// A tunnel now; never pooled (ReverseProxy writes through Body).
		res.Body = &fastTunnel{c: c, stop: stop}
		return res
	}
	b := &fastBody{p: p, c: c, rc: res.Body, stop: stop, keep: !res.Close && !req.Close}
	if res.Body == http.NoBody {
		b.finish(true)
		return res
	}
	res.Body = b
	return res
}

// fastBody is a response body on a pooled connection.
type fastBody struct {
	p    *fastPool
	c    *fastConn
	rc   io.ReadCloser
	stop func() bool
	keep bool
	done bool
}

func (b *fastBody) Read(p []byte) (int, error) {
	if b.done {
		return 0, io.EOF
	}
	n, err := b.rc.Read(p)
	if err != nil {
		b.finish(err == io.EOF)
	}
	return n, err
}

func (b *fastBody) Close() error {
	if !b.done {
		b.finish(false)
	}
	return nil
}

// finish ends the exchange on the connection: back to the pool when the
// body was read to the end and both sides allow reuse.
func (b *fastBody) finish(complete bool) {
	b.done = true
	stopped := b.stop()
	if complete && b.keep && stopped {
		b.p.put(b.c)
		return
	}
	b.c.conn.Close()
}

// fastTunnel is the body of a 101 response: the raw connection.
type fastTunnel struct {
	c    *fastConn
	stop func() bool
}

func (t *fastTunnel) Read(p []byte) (int, error)  { return t.c.br.Read(p) }
func (t *fastTunnel) Write(p []byte) (int, error) { return t.c.conn.Write(p) }
func (t *fastTunnel) Close() error {
	t.stop()
	return t.c.conn.Close()
}

// writeHead writes the head of a GET or HEAD request without body exactly
// as Request.Write does (request line, Host, User-Agent, the other fields
// sorted by name), without its allocations. It returns false, having
// written nothing, for anything else (Request.Write then handles it).
func writeHead(w *bufio.Writer, req *http.Request) bool {
	if (req.Method != http.MethodGet && req.Method != http.MethodHead) || req.Trailer != nil || len(req.TransferEncoding) > 0 {
		return false
	}
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	if !simpleHost(host) {
		return false
	}
	ruri := req.URL.RequestURI()
	if !validFieldValue(ruri) || strings.IndexByte(ruri, ' ') >= 0 {
		return false
	}
	h := req.Header
	ua := "Go-http-client/1.1"
	if v, ok := h["User-Agent"]; ok {
		ua = ""
		if len(v) > 0 {
			ua = textproto.TrimString(v[0])
		}
	}
	var buf [32]string
	keys := buf[:0]
	for k := range h {
		switch k {
		case "Host", "User-Agent", "Content-Length", "Transfer-Encoding", "Trailer":
			continue
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	w.WriteString(req.Method)
	w.WriteByte(' ')
	w.WriteString(ruri)
	w.WriteString(" HTTP/1.1\r\nHost: ")
	w.WriteString(host)
	w.WriteString("\r\n")
	if ua != "" {
		w.WriteString("User-Agent: ")
		w.WriteString(ua)
		w.WriteString("\r\n")
	}
	for _, k := range keys {
		for _, v := range h[k] {
			w.WriteString(k)
			w.WriteString(": ")
			w.WriteString(textproto.TrimString(v))
			w.WriteString("\r\n")
		}
	}
	w.WriteString("\r\n")
	return true
}

// simpleHost reports whether h is a Host value Request.Write sends
// unchanged (ASCII host name or address, optional port, no IPv6 zone).
func simpleHost(h string) bool {
	if h == "" {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '.', c == '-', c == ':', c == '[', c == ']', c == '_':
		default:
			return false
		}
	}
	return true
}

// maxResponseHeaderBytes is the Transport's MaxResponseHeaderBytes.
const maxResponseHeaderBytes = 1 << 20

const noLimit = 1<<63 - 1

var errHeadTooLong = errors.New("net/http: server response headers exceeded 1048576 bytes; aborted")

// headLimit bounds what may be read from the connection while a response
// head is being parsed (a backend cannot make the proxy buffer an
// unbounded header block).
type headLimit struct {
	r io.Reader
	n int64
}

func (l *headLimit) Read(p []byte) (int, error) {
	if l.n <= 0 {
		return 0, errHeadTooLong
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	m, err := l.r.Read(p)
	l.n -= int64(m)
	return m, err
}
