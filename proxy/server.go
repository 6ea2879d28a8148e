package proxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/balancerd/balancerd/directives/model"
	"github.com/balancerd/balancerd/proxy/balancer"
)

// Options configure a Server beyond its model.Config.
type Options struct {
	// ListenOverride replaces every Listen of the configuration
	// (--listen): "8080", ":8080", "127.0.0.1:8080", "[::1]:8080".
	ListenOverride []string
	// ErrorLog receives error-log lines (nil: standard error).
	ErrorLog io.Writer
	// Clock drives member error/retry timing (nil: the system clock).
	Clock balancer.Clock
	// Registry holds balancer member state; nil creates a new one. Pass
	// the registry of a previous Server to keep state across restarts.
	Registry *balancer.Registry

	// Hooks (nil = feature absent).
	Access   AccessChecker
	Handlers HandlerProvider
	Rewrite  Rewriter
	Headers  HeaderRules
	// AccessLog, if set, is called after every request.
	AccessLog func(*LogEntry)
	// AccessLogEnabled, if set, tells for each configuration whether
	// AccessLog has anything to do (e.g. the configuration has a
	// CustomLog); when it reports false, requests skip building log
	// entries. Nil means AccessLog is always called.
	AccessLogEnabled func(*model.Config) bool

	// ServerHeader is sent on responses that have no Server header
	// (Apache: "Apache/2.4.x (Debian)"); "" sends none.
	ServerHeader string
}

// Server serves one configuration at a time; Reload swaps it.
type Server struct {
	opts Options
	reg  *balancer.Registry
	snap atomic.Pointer[snapshot]
	tls  atomic.Pointer[tlsState] // tls.go
	rp   *httputil.ReverseProxy
	elog *log.Logger

	hostname string

	mu        sync.Mutex
	hs        *http.Server
	listeners []net.Listener
	closed    bool

	// The lean front end (lean.go): its connections, whether responses
	// may keep connections open (KeepAlive), and a switch for tests that
	// compare it with net/http's server.
	lean       leanState
	keepAlives bool
	leanOff    bool
}

// New prepares a Server for cfg without listening. cfg must have been
// validated (package directives); New only fails on what it cannot run.
func New(cfg *model.Config, opts Options) (*Server, error) {
	if cfg == nil {
		return nil, errors.New("proxy: nil configuration")
	}
	st, err := loadTLS(cfg)
	if err != nil {
		return nil, err
	}
	s := &Server{opts: opts}
	s.tls.Store(st)
	s.reg = opts.Registry
	if s.reg == nil {
		s.reg = balancer.NewRegistry(opts.Clock)
	}
	w := opts.ErrorLog
	if w == nil {
		w = os.Stderr
	}
	s.elog = log.New(w, "", 0)
	s.hostname, _ = os.Hostname()
	s.rp = &httputil.ReverseProxy{
		Rewrite:        s.rewrite,
		Transport:      roundTripper{s},
		ModifyResponse: s.modifyResponse,
		ErrorHandler:   s.errorHandler,
		BufferPool:     bufferPool{},
		ErrorLog:       s.elog,
		FlushInterval:  0, // streaming responses (no length, SSE) flush at once
	}
	s.snap.Store(s.compile(cfg, nil))
	return s, nil
}

// Registry returns the balancer member state the server uses.
func (s *Server) Registry() *balancer.Registry { return s.reg }

// Config returns the configuration being served.
func (s *Server) Config() *model.Config { return s.snap.Load().cfg }

// Reload swaps in cfg atomically. Requests in flight finish with the old
// configuration; member state of balancers and members that still exist
// is kept; backend connection pools of unchanged workers are kept.
func (s *Server) Reload(cfg *model.Config) error {
	if cfg == nil {
		return errors.New("proxy: nil configuration")
	}
	st, err := loadTLS(cfg)
	if err != nil {
		return err
	}
	prev := s.snap.Load()
	next := s.compile(cfg, prev)
	s.tls.Store(st)
	s.snap.Store(next)
	// Close idle connections of transports the new config no longer uses.
	used := map[*workerRT]bool{}
	for _, rt := range next.byKey {
		used[rt] = true
	}
	for _, rt := range prev.byKey {
		if !used[rt] {
			rt.closeIdle()
		}
	}
	prev.dynamic.Range(func(_, v any) bool {
		v.(*workerRT).closeIdle()
		return true
	})
	return nil
}

// listenAddrs returns the addresses to listen on: the override, else the
// Listen directives, else Apache's default ":80".
func (s *Server) listenAddrs() []string {
	if len(s.opts.ListenOverride) > 0 {
		out := make([]string, 0, len(s.opts.ListenOverride))
		for _, a := range s.opts.ListenOverride {
			out = append(out, normalizeListen(a))
		}
		return out
	}
	cfg := s.snap.Load().cfg
	if len(cfg.Listeners) == 0 {
		return []string{":80"}
	}
	out := make([]string, 0, len(cfg.Listeners))
	for _, l := range cfg.Listeners {
		a := net.JoinHostPort(l.Host, strconv.Itoa(l.Port))
		s.noteListenProto(l)
		out = append(out, a)
	}
	return out
}

// normalizeListen turns a --listen argument into a host:port address
// ("8080" and ":8080" mean all addresses).
func normalizeListen(a string) string {
	if _, err := strconv.Atoi(a); err == nil {
		return ":" + a
	}
	if !strings.Contains(a, ":") {
		return a + ":80"
	}
	return a
}

// Listen opens the listening sockets (without serving) and returns them;
// Serve then serves them. Errors name the address, as Apache's
// "could not bind to address".
func (s *Server) Listen() ([]net.Listener, error) {
	var lns []net.Listener
	for _, a := range s.listenAddrs() {
		ln, err := net.Listen("tcp", a)
		if err != nil {
			for _, l := range lns {
				l.Close()
			}
			return nil, fmt.Errorf("could not bind to address %s: %w", a, err)
		}
		lns = append(lns, ln)
	}
	return lns, nil
}

// ListenAndServe listens on every configured address and serves until
// Shutdown. It returns http.ErrServerClosed after a Shutdown.
func (s *Server) ListenAndServe() error {
	lns, err := s.Listen()
	if err != nil {
		return err
	}
	return s.Serve(lns...)
}

// httpServer returns the one http.Server all listeners share.
func (s *Server) httpServer() *http.Server {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hs != nil {
		return s.hs
	}
	cfg := s.snap.Load().cfg
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = 60 * time.Second
	}
	idle := cfg.KeepAliveTimeout
	if idle <= 0 {
		idle = 5 * time.Second
	}
	s.hs = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: timeout,
		IdleTimeout:       idle,
		MaxHeaderBytes:    100 * 8190, // LimitRequestFields 100 × LimitRequestFieldSize 8190
		ErrorLog:          log.New(io.Discard, "", 0),
	}
	s.keepAlives = true
	if !cfg.KeepAlive && cfg.KeepAliveTimeout > 0 {
		s.hs.SetKeepAlivesEnabled(false)
		s.keepAlives = false
	}
	max := cfg.MaxKeepAliveRequests
	s.hs.ConnContext = func(ctx context.Context, c net.Conn) context.Context {
		if ac, ok := c.(*apacheConn); ok {
			ctx = context.WithValue(ctx, connKey{}, ac)
		}
		if max > 0 {
			ctx = context.WithValue(ctx, connRequestsKey{}, new(atomic.Int64))
		}
		return ctx
	}
	return s.hs
}

// Serve serves the listeners until Shutdown; it returns
// http.ErrServerClosed after a Shutdown, or the first listener error.
// Each listener's connections start on the lean front end (lean.go),
// which hands what it does not serve itself to net/http's server.
func (s *Server) Serve(lns ...net.Listener) error {
	if len(lns) == 0 {
		return errors.New("proxy: no listeners")
	}
	hs := s.httpServer()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return http.ErrServerClosed
	}
	s.listeners = append(s.listeners, lns...)
	s.mu.Unlock()
	errc := make(chan error, 2*len(lns))
	for _, ln := range lns {
		h := newHandoffListener(ln.Addr())
		go func() { errc <- hs.Serve(h) }()
		go func() { errc <- s.acceptLean(ln, hs, h) }()
	}
	var first error
	for range 2 * len(lns) {
		err := <-errc
		if first == nil || errors.Is(first, http.ErrServerClosed) {
			if first == nil || !errors.Is(err, http.ErrServerClosed) {
				first = err
			}
		}
		if !errors.Is(err, http.ErrServerClosed) {
			go s.closeNow()
		}
	}
	return first
}

// closeNow stops serving at once (a listener failed): listeners and all
// connections close.
func (s *Server) closeNow() {
	hs := s.stopListening(s.lean.closeAll)
	if hs != nil {
		hs.Close()
	}
}

// stopListening marks the server closed, runs stopLean (which ends or
// winds down the lean connections) and closes the listeners; it returns
// the net/http server, if any, for the caller to stop.
func (s *Server) stopListening(stopLean func()) *http.Server {
	s.mu.Lock()
	s.closed = true
	hs, lns := s.hs, s.listeners
	s.mu.Unlock()
	stopLean()
	for _, ln := range lns {
		ln.Close()
	}
	return hs
}

// Addrs returns the addresses being listened on.
func (s *Server) Addrs() []net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]net.Addr, len(s.listeners))
	for i, l := range s.listeners {
		out[i] = l.Addr()
	}
	return out
}

// Shutdown stops gracefully: listeners close at once (new connections
// are refused), idle connections close, requests in flight finish until
// ctx ends. Backend idle connections are closed afterwards.
func (s *Server) Shutdown(ctx context.Context) error {
	hs := s.stopListening(s.lean.closeIdle)
	var err error
	if hs != nil {
		err = hs.Shutdown(ctx)
	}
	if werr := s.lean.wait(ctx); err == nil {
		err = werr
	}
	for _, rt := range s.snap.Load().byKey {
		rt.closeIdle()
	}
	return err
}

// bufferPool is the ReverseProxy's shared copy-buffer pool.
type bufferPool struct{}

var copyBufs = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

func (bufferPool) Get() []byte  { return *(copyBufs.Get().(*[]byte)) }
func (bufferPool) Put(b []byte) { copyBufs.Put(&b) }

type connRequestsKey struct{}

// countKeepAlive implements MaxKeepAliveRequests: the response to the
// N-th request of a connection carries "Connection: close".
func (s *Server) countKeepAlive(w http.ResponseWriter, r *http.Request, max int) {
	n, ok := r.Context().Value(connRequestsKey{}).(*atomic.Int64)
	if ok && n.Add(1) >= int64(max) {
		w.Header().Set("Connection", "close")
	}
}
