package proxy

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/balancerd/balancerd/directives/model"
)

// scriptBackend is a raw TCP backend: it records the exact bytes of every
// request head it receives and answers each with the raw response of the
// current case (then closes the connection when the case says so).
type scriptBackend struct {
	ln net.Listener
	mu sync.Mutex
	// resp is the raw response to send; closeAfter closes the connection
	// after it (without saying so when resp has no Connection: close).
	resp       string
	closeAfter bool
	got        []string
	conns      int
}

func newScriptBackend(t *testing.T) *scriptBackend {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &scriptBackend{ln: ln}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			b.mu.Lock()
			b.conns++
			b.mu.Unlock()
			go b.serve(c)
		}
	}()
	return b
}

func (b *scriptBackend) set(resp string, closeAfter bool) {
	b.mu.Lock()
	b.resp, b.closeAfter, b.got = resp, closeAfter, nil
	b.mu.Unlock()
}

func (b *scriptBackend) received() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.got...)
}

func (b *scriptBackend) serve(c net.Conn) {
	defer c.Close()
	br := bufio.NewReader(c)
	for {
		var head strings.Builder
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			head.WriteString(line)
			if line == "\r\n" {
				break
			}
		}
		if m := contentLength.FindStringSubmatch(head.String()); m != nil {
			n, _ := strconv.Atoi(m[1])
			body := make([]byte, n)
			if _, err := io.ReadFull(br, body); err != nil {
				return
			}
			head.Write(body)
		}
		b.mu.Lock()
		b.got = append(b.got, head.String())
		resp, closeAfter := b.resp, b.closeAfter
		b.mu.Unlock()
		if _, err := io.WriteString(c, resp); err != nil || closeAfter {
			return
		}
	}
}

// exchangeRaw sends raw (which must ask for Connection: close) to the
// front and returns every byte the client receives.
func exchangeRaw(t *testing.T, base, raw string) string {
	t.Helper()
	c := dialRaw(t, base)
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("reading the answer to %q: %v", raw, err)
	}
	return string(b)
}

var contentLength = regexp.MustCompile(`(?mi)^Content-Length: *([0-9]+)\r$`)

var dateLine = regexp.MustCompile(`(?m)^Date: [^\r\n]*\r\n`)

// fastCase is one request through the proxy and the backend's raw answer.
type fastCase struct {
	name       string
	req        string // raw request to the front, without the final CRLF
	resp       string
	closeAfter bool
}

const backendDate = "Date: Thu, 26 Nov 2026 09:00:00 GMT\r\n"

var fastCases = []fastCase{
	{name: "plain", req: "GET /app/x?q=1 HTTP/1.1\r\nHost: front.test\r\nUser-Agent: t/1\r\nAccept: */*\r\n",
		resp: "HTTP/1.1 200 OK\r\n" + backendDate + "Content-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello"},
	{name: "reverse-mapped headers and cookies", req: "GET /app/login HTTP/1.1\r\nHost: front.test\r\nCookie: a=1; b=2\r\nX-Forwarded-For: 10.0.0.1\r\n",
		resp: "HTTP/1.1 302 Found\r\n" + backendDate + "Location: ${BACKEND}/app/home\r\nSet-Cookie: s=1; path=/app\r\nSet-Cookie: t=2\r\nExpires: Thursday, 26-Nov-26 09:00:00 GMT\r\nContent-Length: 0\r\n\r\n"},
	{name: "chunked with trailer", req: "GET /app/chunked HTTP/1.1\r\nHost: front.test\r\nTE: trailers\r\n",
		resp: "HTTP/1.1 200 OK\r\n" + backendDate + "Transfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\nX-Sum: 42\r\n\r\n"},
	{name: "HTTP/1.0 body until close", req: "GET /app/old HTTP/1.1\r\nHost: front.test\r\n",
		resp: "HTTP/1.0 200 OK\r\n" + backendDate + "Content-Type: text/plain\r\n\r\nold style body", closeAfter: true},
	{name: "no content", req: "GET /app/204 HTTP/1.1\r\nHost: front.test\r\n",
		resp: "HTTP/1.1 204 No Content\r\n" + backendDate + "X-A: b\r\n\r\n"},
	{name: "not modified", req: "GET /app/304 HTTP/1.1\r\nHost: front.test\r\nIf-None-Match: \"x\"\r\n",
		resp: "HTTP/1.1 304 Not Modified\r\n" + backendDate + "ETag: \"x\"\r\n\r\n"},
	{name: "HEAD", req: "HEAD /app/head HTTP/1.1\r\nHost: front.test\r\n",
		resp: "HTTP/1.1 200 OK\r\n" + backendDate + "Content-Length: 1234\r\nContent-Type: text/html\r\n\r\n"},
	{name: "OPTIONS", req: "OPTIONS /app/opt HTTP/1.1\r\nHost: front.test\r\nMax-Forwards: 5\r\n",
		resp: "HTTP/1.1 200 OK\r\n" + backendDate + "Allow: GET, HEAD\r\nContent-Length: 0\r\n\r\n"},
	{name: "early hints", req: "GET /app/hints HTTP/1.1\r\nHost: front.test\r\n",
		resp: "HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\nHTTP/1.1 200 OK\r\n" + backendDate + "Content-Length: 2\r\n\r\nok"},
	{name: "close with hop-by-hop tokens", req: "GET /app/hop HTTP/1.1\r\nHost: front.test\r\nConnection: X-Drop\r\nX-Drop: 1\r\n",
		resp: "HTTP/1.1 200 OK\r\n" + backendDate + "Connection: close, X-Secret\r\nX-Secret: s\r\nKeep-Alive: timeout=5\r\nContent-Length: 3\r\n\r\nabc", closeAfter: true},
	{name: "backend closes an idle connection silently", req: "GET /app/silent HTTP/1.1\r\nHost: front.test\r\n",
		resp: "HTTP/1.1 200 OK\r\n" + backendDate + "Content-Length: 2\r\n\r\nok", closeAfter: true},
	{name: "request after the silent close", req: "GET /app/after HTTP/1.1\r\nHost: front.test\r\n",
		resp: "HTTP/1.1 200 OK\r\n" + backendDate + "Content-Length: 5\r\n\r\nafter"},
	{name: "HTTP/0.9 answer", req: "GET /app/09 HTTP/1.1\r\nHost: front.test\r\n",
		resp: "just some bytes\nand more\n", closeAfter: true},
	{name: "no answer at all", req: "GET /app/none HTTP/1.1\r\nHost: front.test\r\n",
		resp: "", closeAfter: true},
	{name: "malformed status line", req: "GET /app/bad HTTP/1.1\r\nHost: front.test\r\n",
		resp: "HTTP/1.1 abc Nope\r\n\r\n", closeAfter: true},
	{name: "error status with body", req: "GET /app/missing%20file?x=%41 HTTP/1.1\r\nHost: front.test\r\nAccept-Encoding: gzip\r\n",
		resp: "HTTP/1.1 404 Not Found\r\n" + backendDate + "Content-Length: 9\r\nContent-Type: text/plain\r\n\r\nnot found"},
	{name: "body too long for Content-Length", req: "GET /app/long HTTP/1.1\r\nHost: front.test\r\n",
		resp: "HTTP/1.1 200 OK\r\n" + backendDate + "Content-Length: 2\r\n\r\nokEXTRA"},
	{name: "after extra bytes", req: "GET /app/after-extra HTTP/1.1\r\nHost: front.test\r\n",
		resp: "HTTP/1.1 200 OK\r\n" + backendDate + "Content-Length: 4\r\n\r\nnext"},
	{name: "response head over 1 MiB", req: "GET /app/big HTTP/1.1\r\nHost: front.test\r\n",
		resp: "HTTP/1.1 200 OK\r\n" + backendDate + "X-Big: " + strings.Repeat("a", 1<<20+100) + "\r\nContent-Length: 0\r\n\r\n", closeAfter: true},
	{name: "after the big head", req: "GET /app/after-big HTTP/1.1\r\nHost: front.test\r\n",
		resp: "HTTP/1.1 200 OK\r\n" + backendDate + "Content-Length: 2\r\n\r\nok"},
	{name: "POST with a body (Transport in both)", req: "POST /app/post HTTP/1.1\r\nHost: front.test\r\nContent-Length: 3\r\n\r\nabc",
		resp: "HTTP/1.1 201 Created\r\n" + backendDate + "Content-Length: 0\r\n\r\n"},
	{name: "upgrade (Transport in both)", req: "GET /app/ws HTTP/1.1\r\nHost: front.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n",
		resp: "HTTP/1.1 200 OK\r\n" + backendDate + "Content-Length: 2\r\n\r\nno"},
}

// fastRun sends every case through a fresh server built with the lean
// client on or off and returns, per case, what the backend received and
// what the client received.
func fastRun(t *testing.T, fast bool, balanced bool) (backendGot, clientGot []string, pooled int) {
	old := fastClientEnabled
	fastClientEnabled = fast
	defer func() { fastClientEnabled = old }()
	be := newScriptBackend(t)
	url := "http://" + be.ln.Addr().String()
	vh := vhostCfg("front.test")
	if balanced {
		m := worker(url)
		m.Params.Route = "r1"
		bc := balancerCfg("balancer://c", m)
		bc.StickyCookie = "ROUTEID"
		addBalancer(vh, bc)
		vh.ProxyPass = []*model.ProxyPassRule{pass("/app", "balancer://c/app")}
		vh.Dir.Reverse = []model.ReverseRule{{Path: "/app", URL: "balancer://c/app"}}
	} else {
		vh.ProxyPass = []*model.ProxyPassRule{pass("/app", url+"/app")}
		vh.Dir.Reverse = []model.ReverseRule{{Path: "/app", URL: url + "/app"}}
	}
	s, base := start(t, config(vh), Options{ServerHeader: "balancerd"})
	norm := strings.NewReplacer(url, "${BACKEND}", be.ln.Addr().String(), "${BACKEND_ADDR}")
	for _, c := range fastCases {
		be.set(strings.ReplaceAll(c.resp, "${BACKEND}", url), c.closeAfter)
		raw := c.req
		if !strings.Contains(raw, "\r\n\r\n") {
			raw += "Connection: close\r\n\r\n"
		} else {
			raw = strings.Replace(raw, "\r\n\r\n", "\r\nConnection: close\r\n\r\n", 1)
		}
		got := exchangeRaw(t, base, raw)
		if c.closeAfter {
			// Let the proxy see the backend's close before the next case,
			// as a backend's keep-alive timeout would.
			time.Sleep(20 * time.Millisecond)
		}
		backendGot = append(backendGot, norm.Replace(strings.Join(be.received(), "----\n")))
		clientGot = append(clientGot, dateLine.ReplaceAllString(got, "Date: -\r\n"))
	}
	for _, w := range s.snap.Load().byKey {
		if w.fast != nil {
			w.fast.mu.Lock()
			pooled += len(w.fast.idle)
			w.fast.mu.Unlock()
		}
	}
	return backendGot, clientGot, pooled
}

// TestFastClientDifferential: the lean client and http.Transport give the
// backend the same request bytes and the client the same response bytes,
// for a worker and for a balancer member.
func TestFastClientDifferential(t *testing.T) {
	for _, balanced := range []bool{false, true} {
		name := "worker"
		if balanced {
			name = "balancer"
		}
		t.Run(name, func(t *testing.T) {
			fb, fc, pooled := fastRun(t, true, balanced)
			tb, tc, _ := fastRun(t, false, balanced)
			if pooled == 0 {
				t.Errorf("lean client pooled no connection: the fast path was not used")
			}
			for i, c := range fastCases {
				if fb[i] != tb[i] {
					t.Errorf("%s: backend received\nlean:      %q\nTransport: %q", c.name, fb[i], tb[i])
				}
				if fc[i] != tc[i] {
					t.Errorf("%s: client received\nlean:      %q\nTransport: %q", c.name, fc[i], tc[i])
				}
			}
			// Sanity: the cases do what they say.
			for i, c := range fastCases {
				if strings.HasPrefix(c.name, "request after") && !strings.Contains(fc[i], "\r\n\r\nafter") {
					t.Errorf("%s: client got %q", c.name, fc[i])
				}
				if c.name == "response head over 1 MiB" && !strings.HasPrefix(fc[i], "HTTP/1.1 502 ") {
					t.Errorf("%s: client got %.200q", c.name, fc[i])
				}
				if c.name == "plain" && !strings.HasSuffix(fc[i], "hello") {
					t.Errorf("%s: client got %q", c.name, fc[i])
				}
			}
		})
	}
}

// TestFastPool: connections go back to the pool only after a complete
// response that allows reuse; ttl, the idle limit and closeIdle apply.
func TestFastPool(t *testing.T) {
	be := newScriptBackend(t)
	url := "http://" + be.ln.Addr().String() + "/x"
	now := time.Unix(1_000_000, 0)
	p := &fastPool{bufSize: 4096, maxIdle: 1, ttl: time.Minute, now: func() time.Time { return now },
		dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
			var d net.Dialer
			c, err := d.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return &timeoutConn{Conn: c, timeout: 10 * time.Second}, nil
		}}
	conns := func() int {
		be.mu.Lock()
		defer be.mu.Unlock()
		return be.conns
	}
	idle := func() int {
		p.mu.Lock()
		defer p.mu.Unlock()
		return len(p.idle)
	}
	send := func() *http.Response {
		t.Helper()
		req, _ := http.NewRequest("GET", url, nil)
		res, err := p.roundTrip(nil, req)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	do := func() string {
		t.Helper()
		res := send()
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		return string(b)
	}
	be.set("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", false)
	if got := do(); got != "ok" {
		t.Fatalf("body %q", got)
	}
	if do(); conns() != 1 || idle() != 1 {
		t.Fatalf("after two requests: %d connections, %d idle; want 1, 1", conns(), idle())
	}
	now = now.Add(time.Minute + time.Second)
	if do(); conns() != 2 {
		t.Fatalf("a connection idle longer than ttl was reused (%d connections)", conns())
	}
	// Two at once: the pool keeps one (maxIdle 1).
	r1, r2 := send(), send()
	_, _ = io.ReadAll(r1.Body)
	_, _ = io.ReadAll(r2.Body)
	r1.Body.Close()
	r2.Body.Close()
	if conns() != 3 || idle() != 1 {
		t.Fatalf("after two concurrent requests: %d connections, %d idle; want 3, 1", conns(), idle())
	}
	p.closeIdle()
	if idle() != 0 {
		t.Fatal("closeIdle left idle connections")
	}
	do()
	if conns() != 4 {
		t.Fatalf("%d connections after closeIdle, want 4", conns())
	}
	// Abandoned body: the connection is closed, not pooled.
	p.closeIdle()
	res := send()
	res.Body.Close()
	if idle() != 0 {
		t.Fatal("a connection with an unread body went back to the pool")
	}
	// Connection: close from the backend: not pooled.
	be.set("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok", true)
	if got := do(); got != "ok" || idle() != 0 {
		t.Fatalf("body %q, %d idle after Connection: close", got, idle())
	}
}

// peekBackend is a raw TCP backend for the idle-connection checks: its
// n-th connection answers every request with the body "conn<n>". After
// the first response on connection 1 it waits for next, then runs after
// on that connection (stray bytes, a close), signals done and reports on
// eof what connection 1 receives next (nil: the proxy closed it without
// sending anything).
type peekBackend struct {
	ln    net.Listener
	after func(net.Conn) (closed bool)
	next  chan struct{}
	done  chan struct{}
	eof   chan error
	quit  chan struct{}
	n     atomic.Int32
}

func newPeekBackend(t *testing.T, after func(net.Conn) bool) *peekBackend {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &peekBackend{ln: ln, after: after, next: make(chan struct{}), done: make(chan struct{}),
		eof: make(chan error, 1), quit: make(chan struct{})}
	t.Cleanup(func() { close(b.quit); ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go b.serve(c, int(b.n.Add(1)))
		}
	}()
	return b
}

func (b *peekBackend) serve(c net.Conn, n int) {
	defer c.Close()
	go func() { <-b.quit; c.Close() }()
	br := bufio.NewReader(c)
	for {
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			if line == "\r\n" {
				break
			}
		}
		body := fmt.Sprintf("conn%d", n)
		if _, err := fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(body), body); err != nil {
			return
		}
		if n != 1 || b.after == nil {
			continue
		}
		select {
		case <-b.next:
		case <-b.quit:
			return
		}
		closed := b.after(c)
		close(b.done)
		if closed {
			b.eof <- nil
			return
		}
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		if x, err := br.ReadByte(); err == nil {
			b.eof <- fmt.Errorf("the proxy sent %q... on the stale connection", x)
		} else if err != io.EOF && !errors.Is(err, syscall.ECONNRESET) {
			// A reset is a close with the stray bytes unread.
			b.eof <- err
		} else {
			b.eof <- nil
		}
		return
	}
}

// TestFastPoolIdleCheck: an idle connection that has become readable
// (the backend sent bytes after a complete response, or closed it) is
// dropped before reuse, without writing the request on it; the next
// request gets the backend's own answer on a new connection. A clean idle
// connection is reused even after timeoutConn's read deadline has passed.
func TestFastPoolIdleCheck(t *testing.T) {
	if !idlePeekSupported {
		t.Skipf("idle connections are not checked before reuse on %s", runtime.GOOS)
	}
	stray := func(s string) func(net.Conn) bool {
		return func(c net.Conn) bool {
			_, _ = io.WriteString(c, s)
			return false
		}
	}
	closeConn := func(c net.Conn) bool {
		c.Close()
		return true
	}
	for _, tc := range []struct {
		name   string
		after  func(net.Conn) bool // nil: the idle connection stays clean
		expire bool                // the read deadline has passed while idle
	}{
		{name: "stray junk (would be an HTTP/0.9 200)", after: stray("junk from a broken backend\n")},
		{name: "stray whole response", after: stray("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nstray")},
		{name: "one stray byte", after: stray("\n")},
		{name: "stray bytes, read deadline expired", after: stray("junk\n"), expire: true},
		{name: "backend closed the idle connection", after: closeConn},
		{name: "backend closed, read deadline expired", after: closeConn, expire: true},
		{name: "clean, read deadline expired", expire: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			be := newPeekBackend(t, tc.after)
			url := "http://" + be.ln.Addr().String() + "/x"
			var mu sync.Mutex
			var dialed []*timeoutConn
			p := &fastPool{bufSize: 4096, maxIdle: 4,
				dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
					var d net.Dialer
					c, err := d.DialContext(ctx, network, addr)
					if err != nil {
						return nil, err
					}
					tc := &timeoutConn{Conn: c, timeout: 10 * time.Second}
					mu.Lock()
					dialed = append(dialed, tc)
					mu.Unlock()
					return tc, nil
				}}
			do := func() string {
				t.Helper()
				req, _ := http.NewRequest("GET", url, nil)
				res, err := p.roundTrip(nil, req)
				if err != nil {
					t.Fatal(err)
				}
				b, err := io.ReadAll(res.Body)
				res.Body.Close()
				if err != nil {
					t.Fatal(err)
				}
				return string(b)
			}
			if got := do(); got != "conn1" {
				t.Fatalf("first request: body %q, want conn1", got)
			}
			p.mu.Lock()
			if len(p.idle) != 1 {
				p.mu.Unlock()
				t.Fatalf("%d idle connections after the first request, want 1", len(p.idle))
			}
			idle := p.idle[0]
			p.mu.Unlock()
			first := dialed[0]
			written := first.nw.Load()
			if tc.expire {
				_ = first.Conn.SetReadDeadline(time.Now().Add(-time.Second))
			}
			if tc.after != nil {
				// The response was read to the end; now the backend acts,
				// and its bytes or FIN are surely in the socket before
				// the next request.
				close(be.next)
				<-be.done
				deadline := time.Now().Add(10 * time.Second)
				for !idle.peek.stale() {
					if time.Now().After(deadline) {
						t.Fatal("the idle connection never became readable")
					}
					runtime.Gosched()
				}
				if tc.expire {
					_ = first.Conn.SetReadDeadline(time.Now().Add(-time.Second))
				}
			} else if idle.peek.stale() {
				t.Fatal("a clean idle connection is reported stale")
			}
			got := do()
			mu.Lock()
			ndial := len(dialed)
			mu.Unlock()
			if tc.after == nil {
				if got != "conn1" || ndial != 1 {
					t.Fatalf("second request: body %q on %d connections; want conn1 on the reused one", got, ndial)
				}
				return
			}
			if got != "conn2" || ndial != 2 {
				t.Fatalf("second request: body %q after %d dials; want conn2 from a new connection", got, ndial)
			}
			if n := first.nw.Load(); n != written {
				t.Errorf("%d request bytes written on the stale connection before it was dropped (a retry)", n-written)
			}
			// The proxy closed the stale connection without a request
			// (the backend read EOF within its 10 s deadline).
			if err := <-be.eof; err != nil {
				t.Errorf("stale connection: %v", err)
			}
		})
	}
}
