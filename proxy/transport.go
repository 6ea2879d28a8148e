package proxy

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync/atomic"
	"time"

	"github.com/balancerd/balancerd/directives/model"
)

// defaultPoolSize is the idle-connection pool per worker when the worker
// has no max= (Apache: ThreadsPerChild, 25 per child process, times the
// number of children; Go's default of 2 would close most connections
// under load).
const defaultPoolSize = 256

// workerRT is the runtime of one worker: its transport and connection
// parameters.
type workerRT struct {
	w       *model.Worker
	key     string
	scheme  string // http or https (ws/wss mapped)
	tr      *http.Transport
	fast    *fastPool // lean client for simple requests; nil: always tr
	upgrade []string  // allowed Upgrade protocols, lowercase; "*" = any
	reuse   bool
	timeout time.Duration
}

// workerFingerprint identifies everything a transport depends on.
func workerFingerprint(w *model.Worker, timeout time.Duration) string {
	p := &w.Params
	return fmt.Sprintf("%s|%s|%s|t=%v|ct=%v|ttl=%v|max=%d|dr=%v|ka=%v|io=%d|rf=%d|to=%v",
		w.Name, w.Scheme, w.UnixSocket, p.Timeout, p.ConnectionTimeout, p.TTL, p.Max, p.DisableReuse,
		p.KeepAlive, p.IOBufferSize, p.ResponseFieldSize, timeout)
}

// newWorkerRT builds the transport of w. timeout is the ProxyTimeout in
// effect (used when the worker has no timeout= of its own).
func (s *Server) newWorkerRT(w *model.Worker, timeout time.Duration, key string) *workerRT {
	p := &w.Params
	rt := &workerRT{w: w, key: key, reuse: !p.DisableReuse}
	if p.Timeout > 0 {
		timeout = p.Timeout
	}
	rt.timeout = timeout
	connTimeout := p.ConnectionTimeout
	if connTimeout <= 0 {
		connTimeout = timeout
	}
	switch strings.ToLower(w.Scheme) {
	case "https", "wss":
		rt.scheme = "https"
	default:
		rt.scheme = "http"
	}
	for _, u := range p.Upgrade {
		rt.upgrade = append(rt.upgrade, strings.ToLower(u))
	}
	if s := strings.ToLower(w.Scheme); (s == "ws" || s == "wss") && len(rt.upgrade) == 0 {
		rt.upgrade = []string{"websocket"}
	}
	keepAlive := time.Duration(-1) // Apache: keepalive=Off, no SO_KEEPALIVE
	if p.KeepAlive {
		keepAlive = 0 // Go's default probes
	}
	dialer := &net.Dialer{Timeout: connTimeout, KeepAlive: keepAlive}
	socket := w.UnixSocket
	rawDial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		if socket != "" {
			network, addr = "unix", socket
		}
		c, err := dialer.DialContext(ctx, network, addr)
		if err != nil {
			return nil, &connectError{addr: addr, err: err}
		}
		if tc, ok := c.(*net.TCPConn); ok && p.ReceiveBufferSize > 0 {
			_ = tc.SetReadBuffer(p.ReceiveBufferSize)
		}
		return c, nil
	}
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := rawDial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &timeoutConn{Conn: c, timeout: timeout}, nil
	}
	// TLS is layered under timeoutConn so that its HTTP/0.9 check sees
	// plaintext.
	dialTLS := func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := rawDial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		host, _, _ := net.SplitHostPort(addr)
		cfg := apacheTLSConfig(host)
		tc := tls.Client(c, cfg)
		hctx, cancel := context.WithTimeout(ctx, connTimeout)
		defer cancel()
		if err := tc.HandshakeContext(hctx); err != nil {
			c.Close()
			return nil, fmt.Errorf("TLS handshake with %s: %w", addr, err)
		}
		return &timeoutConn{Conn: tc, timeout: timeout}, nil
	}
	pool := defaultPoolSize
	if p.Max > 0 {
		pool = p.Max
	}
	bufSize := 32 << 10
	if p.IOBufferSize > bufSize {
		bufSize = p.IOBufferSize
	}
	rt.tr = &http.Transport{
		Proxy:                  nil, // never the environment's HTTP_PROXY
		DialContext:            dial,
		DialTLSContext:         dialTLS,
		TLSHandshakeTimeout:    connTimeout,
		DisableKeepAlives:      p.DisableReuse,
		DisableCompression:     true, // never add Accept-Encoding
		MaxIdleConns:           0,
		MaxIdleConnsPerHost:    pool,
		IdleConnTimeout:        p.TTL, // ttl=: idle connections older than this are not reused
		ResponseHeaderTimeout:  timeout,
		ExpectContinueTimeout:  timeout,
		MaxResponseHeaderBytes: 1 << 20,
		WriteBufferSize:        bufSize,
		ReadBufferSize:         bufSize,
		ForceAttemptHTTP2:      false,
	}
	if p.Set["max"] && p.Max > 0 {
		rt.tr.MaxConnsPerHost = p.Max
	}
	// The lean client serves plain http:// TCP workers that reuse
	// connections without a hard connection limit (Transport queues
	// requests for max=; the lean pool does not).
	if fastClientEnabled && rt.scheme == "http" && socket == "" && !p.DisableReuse && rt.tr.MaxConnsPerHost == 0 {
		rt.fast = &fastPool{dial: dial, bufSize: bufSize, maxIdle: pool, ttl: p.TTL}
	}
	return rt
}

// fastClientEnabled lets tests compare the lean client with Transport.
var fastClientEnabled = true

// closeIdle closes the worker's idle backend connections.
func (rt *workerRT) closeIdle() {
	rt.tr.CloseIdleConnections()
	if rt.fast != nil {
		rt.fast.closeIdle()
	}
}

// roundTrip sends req to the worker: on the lean client when it can take
// it, else on the Transport (with the trace that tells ex the connection).
func (rt *workerRT) roundTrip(ex *exchange, req *http.Request) (*http.Response, error) {
	if rt.fast != nil && fastEligible(req) {
		return rt.fast.roundTrip(ex, req)
	}
	if ex != nil {
		req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
			GotConn: func(info httptrace.GotConnInfo) {
				ex.conn, _ = info.Conn.(*timeoutConn)
				if ex.conn != nil {
					ex.r0, ex.w0 = ex.conn.nr.Load(), ex.conn.nw.Load()
				}
			},
		}))
	}
	return rt.tr.RoundTrip(req)
}

// apacheTLSConfig verifies backend certificates as mod_ssl does by
// default (SSLProxyVerify none, SSLProxyCheckPeerName On,
// SSLProxyCheckPeerExpire On): the chain is not verified, but the
// certificate must be valid now and name the host connected to.
func apacheTLSConfig(host string) *tls.Config {
	c := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: true, ServerName: host}
	c.VerifyConnection = func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			return errors.New("backend sent no certificate")
		}
		cert := cs.PeerCertificates[0]
		now := time.Now()
		if now.Before(cert.NotBefore) || now.After(cert.NotAfter) {
			return fmt.Errorf("backend certificate for %s is expired or not yet valid (SSLProxyCheckPeerExpire)", host)
		}
		if err := cert.VerifyHostname(host); err != nil {
			return fmt.Errorf("backend certificate does not name %s (SSLProxyCheckPeerName): %w", host, err)
		}
		return nil
	}
	return c
}

// upgradeAllowed reports whether the worker may forward Upgrade proto.
func (rt *workerRT) upgradeAllowed(proto string) bool {
	for _, u := range rt.upgrade {
		if u == "*" || u == "any" || strings.EqualFold(u, proto) {
			return true
		}
	}
	return false
}

// connectError is a failure to connect to a backend: Apache's 503 case
// (AH00957), the one that puts a member in error and allows failover.
type connectError struct {
	addr string
	err  error
}

func (e *connectError) Error() string {
	return "attempt to connect to " + e.addr + " failed: " + e.err.Error()
}

func (e *connectError) Unwrap() error { return e.err }

// timeoutConn applies Apache's socket timeout to every read and write of a
// backend connection: each Write arms the read deadline too, so the time
// for the response starts when the request was sent.
//
// It also implements Apache's HTTP/0.9 fallback: when the first bytes a
// backend sends after a request are not an HTTP status line, Apache
// answers 200 with everything received as the body (spec 3.11), so a
// status line is synthesised in front of them.
type timeoutConn struct {
	net.Conn
	timeout time.Duration
	check   atomic.Bool // next read starts a response
	tunnel  atomic.Bool // a 101 was received: raw bytes from now on
	pending []byte      // synthesised bytes not yet returned (reader only)
	// nr and nw count the bytes read and written (bytraffic's read and
	// transferred, headers included as in Apache).
	nr, nw atomic.Int64
	// hop are the header names the last response's Connection header
	// listed (Go's client drops the whole Connection header of a response
	// that says "close", so they are taken from the wire). Written by the
	// transport's reader before the response is delivered.
	hop []string
	// rd and wd avoid re-arming deadlines that are almost right.
	rd, wd lazyDeadline
}

// connectionTokens returns the tokens of the Connection header lines in
// the response head at the start of p (other than close and keep-alive).
func connectionTokens(p []byte) []string {
	end := bytes.Index(p, []byte("\r\n\r\n"))
	if end < 0 {
		end = len(p)
	}
	head := p[:end]
	var out []string
	for len(head) > 0 {
		i := bytes.Index(head, []byte("\r\n"))
		if i < 0 {
			break
		}
		head = head[i+2:]
		if len(head) > 11 && bytes.EqualFold(head[:11], []byte("connection:")) {
			line := head[11:]
			if j := bytes.Index(line, []byte("\r\n")); j >= 0 {
				line = line[:j]
			}
			for _, tok := range bytes.Split(line, []byte(",")) {
				t := string(bytes.TrimSpace(tok))
				if t != "" && !strings.EqualFold(t, "close") && !strings.EqualFold(t, "keep-alive") {
					out = append(out, t)
				}
			}
		}
	}
	return out
}

// http09Head is the status line Apache's HTTP/0.9 fallback amounts to.
const http09Head = "HTTP/1.0 200 OK\r\nConnection: close\r\n\r\n"

func (c *timeoutConn) Read(b []byte) (int, error) {
	if len(c.pending) > 0 {
		n := copy(b, c.pending)
		c.pending = c.pending[n:]
		return n, nil
	}
	if c.timeout > 0 {
		if want := time.Now().Add(c.timeout); c.rd.due(want, c.timeout) {
			_ = c.Conn.SetReadDeadline(want)
		}
	}
	n, err := c.Conn.Read(b)
	c.nr.Add(int64(n))
	if n > 0 && c.check.Swap(false) {
		c.hop = connectionTokens(b[:n])
		if n >= 12 && string(b[:7]) == "HTTP/1." && string(b[8:12]) == " 101" {
			c.tunnel.Store(true)
		} else if !statusLinePrefix(b[:n]) {
			// Apache reads the first line as a would-be status line and
			// keeps it without its line terminator.
			data := b[:n]
			if i := bytes.IndexByte(data, '\n'); i >= 0 {
				j := i
				if j > 0 && data[j-1] == '\r' {
					j--
				}
				data = append(append([]byte(nil), data[:j]...), data[i+1:]...)
			}
			c.pending = append(append(make([]byte, 0, len(http09Head)+len(data)), http09Head...), data...)
			m := copy(b, c.pending)
			c.pending = c.pending[m:]
			return m, nil
		}
	}
	return n, err
}

// statusLinePrefix reports whether p can start an HTTP status line.
func statusLinePrefix(p []byte) bool {
	const want = "HTTP/"
	for i := 0; i < len(p) && i < len(want); i++ {
		if p[i] != want[i] {
			return false
		}
	}
	return true
}

func (c *timeoutConn) Write(b []byte) (int, error) {
	if !c.tunnel.Load() {
		c.check.Store(true)
	}
	if c.timeout > 0 {
		// Both deadlines in one call (one poller update instead of two).
		want := time.Now().Add(c.timeout)
		if r, w := c.rd.due(want, c.timeout), c.wd.due(want, c.timeout); r || w {
			_ = c.Conn.SetDeadline(want)
		}
	}
	n, err := c.Conn.Write(b)
	c.nw.Add(int64(n))
	return n, err
}
