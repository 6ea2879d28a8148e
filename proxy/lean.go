package proxy

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// The lean front end serves plain HTTP/1.1 connections itself for as
// long as their requests are simple (parseLeanHead: GET or HEAD without
// a body, Upgrade or Expect) and runs the very same handler
// (Server.ServeHTTP) on them. net/http's server spends as much CPU on
// its connection machinery as balancerd spends on proxying: a context
// with cancellation and a background read per request, locks around the
// reader, a response struct, textproto's allocations. Everything else
// (request bodies, upgrades, HTTP/1.0, TLS, anything malformed) is
// handed to net/http together with the bytes already read, so the
// answer to an unusual request is net/http's, unchanged.
//
// A request on the lean path does not see its context cancelled when
// the client goes away mid-request: like Apache, balancerd notices when
// it writes the response.

// leanConn is one client connection served by the lean loop.
type leanConn struct {
	s   *Server
	ac  *apacheConn
	br  *bufio.Reader
	bw  *bufio.Writer
	ctx context.Context // the connection's context (ConnContext applied)

	hijacked bool
	rd       lazyDeadline // the read deadline armed on ac
}

var (
	leanReaders = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, leanBufSize) }}
	leanWriters = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, leanBufSize) }}
)

// leanBufSize bounds a request head on the lean path; a longer head goes
// to net/http (whose limit is larger).
const leanBufSize = 8 << 10

// handoffListener is the net.Listener through which the lean loop gives
// connections to net/http's server.
type handoffListener struct {
	addr   net.Addr
	conns  chan net.Conn
	done   chan struct{}
	closed sync.Once
}

func newHandoffListener(addr net.Addr) *handoffListener {
	return &handoffListener{addr: addr, conns: make(chan net.Conn), done: make(chan struct{})}
}

func (l *handoffListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *handoffListener) Close() error {
	l.closed.Do(func() { close(l.done) })
	return nil
}

func (l *handoffListener) Addr() net.Addr { return l.addr }

// give passes c to net/http; false when the server is shutting down.
func (l *handoffListener) give(c net.Conn) bool {
	select {
	case l.conns <- c:
		return true
	case <-l.done:
		return false
	}
}

// leanState tracks the lean connections for Shutdown.
type leanState struct {
	mu    sync.Mutex
	conns map[*leanConn]bool // value: idle (waiting for a request)
	// down is set, under mu, when shutdown begins; it is read without
	// the lock on every response.
	down   atomic.Bool
	served atomic.Int64 // requests served on the lean path (tests)
}

func (st *leanState) add(lc *leanConn) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.down.Load() {
		return false
	}
	if st.conns == nil {
		st.conns = map[*leanConn]bool{}
	}
	st.conns[lc] = true
	return true
}

func (st *leanState) remove(lc *leanConn) {
	st.mu.Lock()
	delete(st.conns, lc)
	st.mu.Unlock()
}

// setIdle marks lc idle or busy; it reports false when lc should close
// (shutdown began).
func (st *leanState) setIdle(lc *leanConn, idle bool) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.conns[lc] = idle
	return !st.down.Load()
}

// closeIdle starts the shutdown: idle connections are woken to close,
// busy ones close after their response.
func (st *leanState) closeIdle() {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.down.Store(true)
	for lc, idle := range st.conns {
		if idle {
			_ = lc.ac.SetReadDeadline(time.Unix(1, 0))
		}
	}
}

// closeAll closes every lean connection at once (Close).
func (st *leanState) closeAll() {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.down.Store(true)
	for lc := range st.conns {
		lc.ac.Close()
	}
}

// wait returns when no lean connection is left, or with ctx's error.
func (st *leanState) wait(ctx context.Context) error {
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for {
		st.mu.Lock()
		n := len(st.conns)
		st.mu.Unlock()
		if n == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

func (st *leanState) shuttingDown() bool { return st.down.Load() }

// keepAlives reports whether responses may keep the connection open.
func (lc *leanConn) keepAlives() bool {
	return lc.s.keepAlives && !lc.s.lean.shuttingDown()
}

// acceptLean accepts on ln and serves each connection with the lean loop,
// until ln fails.
func (s *Server) acceptLean(ln net.Listener, hs *http.Server, handoff *handoffListener) error {
	var delay time.Duration
	for {
		c, err := ln.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				// Temporary (e.g. too many open files): back off as
				// net/http does.
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				time.Sleep(delay)
				continue
			}
			if s.lean.shuttingDown() {
				return http.ErrServerClosed
			}
			return err
		}
		delay = 0
		ac := &apacheConn{Conn: s.wrapTLS(c), s: s}
		if _, tls := ac.Conn.(*httpsConn); tls || s.leanOff {
			if !handoff.give(ac) {
				ac.Close()
			}
			continue
		}
		go s.serveLean(ac, hs, handoff)
	}
}

// serveLean runs the lean request loop on ac.
func (s *Server) serveLean(ac *apacheConn, hs *http.Server, handoff *handoffListener) {
	lc := &leanConn{s: s, ac: ac}
	if !s.lean.add(lc) {
		ac.Close()
		return
	}
	defer s.lean.remove(lc)
	ctx := context.WithValue(context.Background(), http.ServerContextKey, hs)
	ctx = context.WithValue(ctx, http.LocalAddrContextKey, ac.LocalAddr())
	if hs.ConnContext != nil {
		ctx = hs.ConnContext(ctx, ac)
	}
	lc.ctx = ctx
	lc.br = leanReaders.Get().(*bufio.Reader)
	lc.br.Reset(ac)
	lc.bw = leanWriters.Get().(*bufio.Writer)
	lc.bw.Reset(ac)
	// Every request is a copy of base: the connection's context and
	// remote address, set once.
	base := (&http.Request{RemoteAddr: ac.RemoteAddr().String()}).WithContext(ctx)

	handedOff := false
	defer func() {
		if lc.hijacked {
			// The handler owns the connection and the reader now.
			return
		}
		if !handedOff {
			ac.Close()
		}
		lc.br.Reset(nil)
		leanReaders.Put(lc.br)
		lc.bw.Reset(nil)
		leanWriters.Put(lc.bw)
	}()

	first := true
	for {
		head, err := lc.readHead(hs, first)
		first = false
		if err != nil {
			if err == errLeanHandoff {
				handedOff = lc.handoff(handoff)
			}
			return
		}
		req, ok := parseLeanHead(head, base)
		if !ok {
			handedOff = lc.handoff(handoff)
			return
		}
		_, _ = lc.br.Discard(len(head))
		// Busy now; if shutdown began meanwhile, the request is still
		// answered (keepAlives then reports false and the connection
		// closes after the response).
		s.lean.setIdle(lc, false)
		closeAfter, ok := lc.serveOne(req)
		if !ok || closeAfter || lc.hijacked {
			if ok && !lc.hijacked {
				lc.lingerClose()
			}
			return
		}
		if !s.lean.setIdle(lc, true) {
			return
		}
	}
}

// readHead waits for the next request and returns its head (a view of
// the read buffer, up to and including the blank line). errLeanHandoff
// means the head is not for the lean path (too long, not CRLF-ended or
// not GET/HEAD); other errors end the connection.
func (lc *leanConn) readHead(hs *http.Server, first bool) ([]byte, error) {
	br := lc.br
	if br.Buffered() == 0 {
		// Idle: wait for the first byte of the next request.
		d := hs.IdleTimeout
		if first {
			d = hs.ReadHeaderTimeout
		}
		if d > 0 {
			if want := time.Now().Add(d); lc.rd.due(want, d) {
				_ = lc.ac.SetReadDeadline(want)
				if lc.s.lean.shuttingDown() {
					// Shutdown may have woken this idle connection
					// just before the deadline above replaced its own.
					return nil, net.ErrClosed
				}
			}
		}
		if _, err := br.Peek(1); err != nil {
			return nil, err
		}
	}
	buf, _ := br.Peek(br.Buffered())
	if !looksLean(buf) {
		return nil, errLeanHandoff
	}
	if i := bytes.Index(buf, headEnd); i >= 0 {
		return buf[:i+4], nil
	}
	if hasBareLF(buf) {
		return nil, errLeanHandoff
	}
	// The head is still arriving: the header timeout applies.
	if d := hs.ReadHeaderTimeout; d > 0 {
		if want := time.Now().Add(d); lc.rd.due(want, d) {
			_ = lc.ac.SetReadDeadline(want)
		}
	}
	for {
		if br.Buffered() == br.Size() {
			return nil, errLeanHandoff
		}
		if _, err := br.Peek(br.Buffered() + 1); err != nil {
			if br.Buffered() > 0 && errors.Is(err, io.EOF) {
				// A truncated request: net/http answers it as it would.
				return nil, errLeanHandoff
			}
			return nil, err
		}
		buf, _ = br.Peek(br.Buffered())
		if i := bytes.Index(buf, headEnd); i >= 0 {
			return buf[:i+4], nil
		}
		if hasBareLF(buf) {
			return nil, errLeanHandoff
		}
	}
}

// hasBareLF reports whether buf has a line ended by LF alone, which
// net/http accepts and the lean parser does not.
func hasBareLF(buf []byte) bool {
	for i, c := range buf {
		if c == '\n' && (i == 0 || buf[i-1] != '\r') {
			return true
		}
	}
	return false
}

var headEnd = []byte("\r\n\r\n")

// errLeanHandoff says that a connection's next request is net/http's to
// serve.
var errLeanHandoff = errors.New("lean front end: connection handed to net/http")

// looksLean reports whether buf may start a lean request (GET or HEAD);
// a prefix of one counts.
func looksLean(buf []byte) bool {
	for _, m := range [...]string{"GET /", "HEAD /"} {
		n := min(len(buf), len(m))
		if string(buf[:n]) == m[:n] {
			return true
		}
	}
	return false
}

// handoff gives the connection, with what was read and not consumed, to
// net/http. It reports whether net/http took it.
func (lc *leanConn) handoff(l *handoffListener) bool {
	if n := lc.br.Buffered(); n > 0 {
		b, _ := lc.br.Peek(n)
		lc.ac.pending = append([]byte(nil), b...)
	}
	_ = lc.ac.SetReadDeadline(time.Time{})
	lc.s.lean.remove(lc)
	return l.give(lc.ac)
}

// serveOne runs the handler for req and completes its response. ok is
// false when the connection broke (or the handler panicked).
func (lc *leanConn) serveOne(req *http.Request) (closeAfter, ok bool) {
	var w leanResponse
	w.reset(lc, req)
	defer func() {
		if v := recover(); v != nil {
			if v != http.ErrAbortHandler {
				lc.s.logf("error", "AH00052: panic serving %s: %v", req.RemoteAddr, v)
			}
			if w.w != nil {
				leanBufw.Put(w.w)
			}
			closeAfter, ok = true, false
		}
	}()
	lc.s.lean.served.Add(1)
	lc.s.ServeHTTP(&w, req)
	if err := w.finish(); err != nil {
		return true, false
	}
	return w.closeAfter, true
}

// lingerClose closes a connection after its last response as net/http
// does: the write side first, then the socket once the client has read
// the response (or after a short wait), so the client sees the response
// and not a reset.
func (lc *leanConn) lingerClose() {
	type closeWriter interface{ CloseWrite() error }
	if cw, ok := lc.ac.Conn.(closeWriter); ok {
		_ = cw.CloseWrite()
		_ = lc.ac.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
		var buf [512]byte
		for {
			if _, err := lc.ac.Conn.Read(buf[:]); err != nil {
				break
			}
		}
	}
}
