package proxy

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/balancerd/balancerd/proxy/balancer"
)

type exchangeKey struct{}

// exchange is the state of one proxied request shared by the
// ReverseProxy callbacks (through the request context).
type exchange struct {
	s    *Server
	sn   *snapshot
	rt   *route
	in   *http.Request
	body *bodyTracker

	// Balancer state: the decision of the last attempt, the member in use.
	dec          balancer.Decision
	member       *balancer.Member
	routeChanged bool
	attempts     int

	worker     *workerRT
	conn       *timeoutConn // the backend connection of the response
	r0, w0     int64        // its byte counters when the exchange got it
	backendURL string
	respBytes  atomic.Int64
	status     int
}

// bodyTracker wraps the client's request body: it counts bytes, remembers
// read errors (a malformed chunked body is the client's fault: 400) and
// whether reading started (after that a failed attempt is not retried).
type bodyTracker struct {
	rc  io.ReadCloser
	n   atomic.Int64
	err atomic.Pointer[error]
	hit atomic.Bool
}

func (b *bodyTracker) Read(p []byte) (int, error) {
	b.hit.Store(true)
	n, err := b.rc.Read(p)
	b.n.Add(int64(n))
	if err != nil && err != io.EOF {
		b.err.Store(&err)
	}
	return n, err
}

func (b *bodyTracker) Close() error { return nil }

func (b *bodyTracker) started() bool { return b != nil && b.hit.Load() }

func (b *bodyTracker) readErr() error {
	if b == nil {
		return nil
	}
	if p := b.err.Load(); p != nil {
		return *p
	}
	return nil
}

// idleDeadline applies the core Timeout to each read of the client's
// request body, as Apache's socket timeout does (a client that stalls in
// the middle of a body is cut off instead of holding the request open).
// At the end of the body the deadline is lifted: the server's own read
// then watches for the client going away while the response streams.
type idleDeadline struct {
	rc  io.ReadCloser
	ctl *http.ResponseController
	d   time.Duration
}

func (x *idleDeadline) Read(p []byte) (int, error) {
	_ = x.ctl.SetReadDeadline(time.Now().Add(x.d))
	n, err := x.rc.Read(p)
	switch {
	case err == io.EOF:
		_ = x.ctl.SetReadDeadline(time.Time{})
	case err != nil:
		// Keep the connection from waiting for the rest of the body
		// once the response is sent: it closes.
		_ = x.ctl.SetReadDeadline(time.Now())
	}
	return n, err
}

func (x *idleDeadline) Close() error { return x.rc.Close() }

// prefetchSize is mod_proxy_http's MAX_MEM_SPOOL.
const prefetchSize = 16384

// onceReader lets io.ReadFull do one Read of r: it reports errOnce instead
// of blocking for more. A chunked body's Read returns everything already
// buffered (and io.EOF when the final chunk is there too), which stands in
// for Apache's non-blocking prefetch.
type onceReader struct{ r io.Reader }

var errOnce = errors.New("prefetch: no more data at once")

func (o onceReader) Read(p []byte) (int, error) {
	n, err := o.r.Read(p)
	if err == nil {
		err = errOnce
	}
	return n, err
}

// readCloser joins a reader and a closer.
type readCloser struct {
	io.Reader
	io.Closer
}

// countingBody counts the response body bytes read from the backend.
type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (c countingBody) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// Write passes writes through for upgraded (101) connections.
func (c countingBody) Write(p []byte) (int, error) {
	if w, ok := c.ReadCloser.(io.Writer); ok {
		return w.Write(p)
	}
	return 0, errors.New("proxy: backend body is not writable")
}

// forward proxies r along rt.
func (s *Server) forward(w http.ResponseWriter, r *http.Request, sn *snapshot, rt *route) {
	ex := &exchange{s: s, sn: sn, rt: rt, in: r}
	if r.Body == http.NoBody && len(r.Header["Upgrade"]) == 0 && onLeanFrontEnd(w) {
		w.Header()["Content-Type"] = nil // as below
		defer ex.release()
		s.forwardLean(w, r, ex)
		return
	}
	r2 := r.WithContext(context.WithValue(r.Context(), exchangeKey{}, ex))
	if r.Body != nil && r.Body != http.NoBody {
		body := r.Body
		if t := sn.cfg.Timeout; t > 0 {
			body = &idleDeadline{rc: body, ctl: http.NewResponseController(w), d: t}
		}
		if r.ContentLength < 0 && len(r.Header["Expect"]) == 0 {
			// mod_proxy_http prefetches a chunked body before contacting
			// the backend: a body that is complete at once is sent with
			// Content-Length, a malformed one is a 400 that never
			// reaches the backend.
			buf := make([]byte, prefetchSize)
			n, err := io.ReadFull(onceReader{r.Body}, buf)
			switch {
			case err == io.EOF || err == io.ErrUnexpectedEOF:
				r2.ContentLength, r2.TransferEncoding = int64(n), nil
				body = io.NopCloser(bytes.NewReader(buf[:n]))
			case err == nil || err == errOnce:
				body = readCloser{io.MultiReader(bytes.NewReader(buf[:n]), r.Body), r.Body}
			default:
				s.logf("proxy:error", "AH01095: prefetch request body failed to %s from %s: %v", rt.target, clientIP(r), err)
				writeError(w, r, http.StatusBadRequest)
				return
			}
		}
		ex.body = &bodyTracker{rc: body}
		r2.Body = ex.body
		if lw, ok := w.(*logWriter); ok {
			lw.body = ex.body
		}
	}
	// A backend response without Content-Type gets none (no sniffing).
	w.Header()["Content-Type"] = nil
	// Deferred: ReverseProxy aborts a broken response stream with a panic
	// (http.ErrAbortHandler), and the member's busy count must still drop.
	defer ex.release()
	s.rp.ServeHTTP(w, r2)
}

// onLeanFrontEnd reports whether w is the lean front end's response
// (possibly wrapped for the access log).
func onLeanFrontEnd(w http.ResponseWriter) bool {
	if lw, ok := w.(*logWriter); ok {
		w = lw.ResponseWriter
	}
	_, ok := w.(*leanResponse)
	return ok
}

// release ends the member's part in the exchange (busy count, traffic).
func (ex *exchange) release() {
	if ex.member == nil {
		return
	}
	var sent, read int64
	if c := ex.conn; c != nil {
		// Bytes on the wire, headers included, as Apache counts them.
		sent, read = c.nw.Load()-ex.w0, c.nr.Load()-ex.r0
	} else {
		if ex.body != nil {
			sent = ex.body.n.Load()
		}
		read = ex.respBytes.Load()
	}
	ex.member.Release(sent, read)
	ex.member = nil
}

func exchangeOf(r *http.Request) *exchange {
	ex, _ := r.Context().Value(exchangeKey{}).(*exchange)
	return ex
}

// splitURL splits "scheme://authority/path?query" into its parts;
// pathQuery starts with "/" (or is empty).
func splitURL(u string) (scheme, authority, pathQuery string) {
	i := strings.Index(u, "://")
	if i < 0 {
		return "", "", u
	}
	scheme, rest := u[:i], u[i+3:]
	j := strings.IndexAny(rest, "/?")
	if j < 0 {
		return scheme, rest, ""
	}
	return scheme, rest[:j], rest[j:]
}

// hostHeader is the Host mod_proxy sends with ProxyPreserveHost Off: the
// URL's host, with ":port" when the URL has an explicit port other than 80.
func hostHeader(authority string) string {
	if i := strings.LastIndexByte(authority, '@'); i >= 0 {
		authority = authority[i+1:]
	}
	h, p, err := net.SplitHostPort(authority)
	if err != nil {
		return authority
	}
	if p == "80" || p == "" {
		if strings.Contains(h, ":") {
			return "[" + h + "]"
		}
		return h
	}
	return authority
}

// setTarget points out at url (scheme://authority/path?query) keeping
// the path bytes exactly.
func setTarget(out *http.Request, scheme, authority, pathQuery string) {
	p, q := pathQuery, ""
	forceQuery := false
	if i := strings.IndexByte(pathQuery, '?'); i >= 0 {
		p, q = pathQuery[:i], pathQuery[i+1:]
		forceQuery = q == ""
	}
	if p == "" {
		p = "/"
	}
	u := &url.URL{Scheme: scheme, Host: authority, RawQuery: q, ForceQuery: forceQuery}
	if strings.HasPrefix(p, "//") {
		// Opaque would get the scheme prepended; use Path/RawPath.
		if dec, err := url.PathUnescape(p); err == nil {
			u.Path, u.RawPath = dec, p
		} else {
			u.Path = p
		}
	} else {
		u.Opaque = p
	}
	out.URL = u
}

// preserveHost and addHeaders resolve the per-directory overrides.
func (rt *route) preserveHost() bool {
	v := rt.vh.srv.Proxy.PreserveHost
	for _, d := range rt.dirs {
		if d.PreserveHost != nil {
			v = *d.PreserveHost
		}
	}
	return v
}

func (rt *route) addHeaders() bool {
	v := rt.vh.srv.Proxy.AddHeaders
	for _, d := range rt.dirs {
		if d.AddHeaders != nil {
			v = *d.AddHeaders
		}
	}
	return v
}

// serverName is the vhost's ServerName (the main server's, else the
// machine's host name), as X-Forwarded-Server and Via use it.
func (s *Server) serverName(rt *route) string {
	if n := rt.vh.srv.ServerName; n != "" {
		return n
	}
	if m := rt.vh.srv; m != nil {
		if mn := s.snap.Load().main.srv.ServerName; mn != "" {
			return mn
		}
	}
	return s.hostname
}

// rewrite builds the outgoing request (ReverseProxy.Rewrite), spec 3.8.
func (s *Server) rewrite(pr *httputil.ProxyRequest) {
	in, out := pr.In, pr.Out
	ex := exchangeOf(out) // In lacks it on the lean path (forwardLean)
	rt := ex.rt
	h := out.Header

	if rt.bal == nil {
		scheme, auth, pq := splitURL(rt.target)
		_ = scheme
		setTarget(out, ex.rt.worker.scheme, auth, pq)
		ex.backendURL = rt.target
		if !rt.preserveHost() {
			out.Host = hostHeader(auth)
		}
	} else {
		// The member is chosen per attempt in RoundTrip.
		out.URL = &url.URL{Scheme: "http", Host: "balancer.invalid", Path: "/"}
	}
	if rt.preserveHost() {
		out.Host = in.Host
		if out.Host == "" {
			out.Host = s.serverName(rt)
		}
	}

	// httputil strips these client values before Rewrite; Apache keeps
	// what it does not generate itself.
	for _, k := range [...]string{"Forwarded", "X-Forwarded-Proto", "Proxy-Authorization"} {
		if v, ok := in.Header[k]; ok {
			h[k] = v
		}
	}
	h.Del("Te")
	if rt.addHeaders() {
		appendHeader(h, in.Header, "X-Forwarded-For", clientIP(in))
		if in.Host != "" {
			appendHeader(h, in.Header, "X-Forwarded-Host", in.Host)
		}
		appendHeader(h, in.Header, "X-Forwarded-Server", s.serverName(rt))
	} else {
		for _, k := range [...]string{"X-Forwarded-For", "X-Forwarded-Host"} {
			if v, ok := in.Header[k]; ok {
				h[k] = v
			}
		}
	}
	switch rt.vh.srv.Proxy.Via {
	case 1, 2: // On, Full
		appendHeader(h, in.Header, "Via", s.viaValue(in, rt))
	case 3: // Block
		h.Del("Via")
	}
	if !rt.vh.srv.Proxy.Continue100 {
		// Proxy100Continue Off: the client gets 100 from us when the body
		// is read; the backend sees no Expect.
		h.Del("Expect")
	}
	if s.opts.Headers != nil {
		if rules := requestHeaderRules(rt); len(rules) > 0 {
			s.opts.Headers.ApplyRequest(rules, h, rt.env)
		}
	}
}

// appendHeader sets h[k] to the client's value(s) joined with v by ", ".
func appendHeader(h, in http.Header, k, v string) {
	if old := in[k]; len(old) > 0 {
		h[k] = []string{strings.Join(old, ", ") + ", " + v}
		return
	}
	h[k] = []string{v}
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// viaValue is "1.1 name[:port]" (ProxyVia On) with " (Apache/...)" for Full.
func (s *Server) viaValue(r *http.Request, rt *route) string {
	v := "1.1 " + s.serverName(rt)
	if port := rt.vh.srv.ServerPort; port != 0 && port != 80 {
		v += ":" + strconv.Itoa(port)
	}
	if rt.vh.srv.Proxy.Via == 2 {
		v += " (" + s.serverSoftware() + ")"
	}
	return v
}

func (s *Server) serverSoftware() string {
	if s.opts.ServerHeader != "" {
		return s.opts.ServerHeader
	}
	return "Apache/2.4"
}

// roundTripper sends the outgoing request to the worker, or for a
// balancer picks a member per attempt and fails over on connect errors
// while the request body has not been touched (spec 4.1 step 6).
type roundTripper struct{ s *Server }

// pickError is a balancer decision without a member.
type pickError struct{ d balancer.Decision }

func (e *pickError) Error() string { return e.d.Message() }

func (t roundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	ex := exchangeOf(req)
	if ex == nil {
		return nil, errors.New("proxy: request without exchange")
	}
	rt := ex.rt
	if rt.env["proxy-nokeepalive"] != "" {
		// SetEnv proxy-nokeepalive: close the backend connection after
		// this request.
		req.Close = true
	}
	if rt.bal == nil {
		ex.worker = rt.worker
		filterUpgrade(req, rt.worker)
		return rt.worker.roundTrip(ex, req)
	}
	b := rt.bal
	cookie := ""
	if c := ex.in.Header["Cookie"]; len(c) == 1 {
		cookie = c[0]
	} else if len(c) > 1 {
		cookie = strings.Join(c, ", ")
	}
	preserve := rt.preserveHost()
	body := req.Body
	for {
		if body != nil {
			// The transport closes the body of a failed attempt; keep
			// the client's body readable for the next one.
			req.Body = keepOpen{body}
		}
		d := b.Pick(req.Context(), &balancer.Request{URL: rt.target, Cookie: cookie})
		ex.dec = d
		if d.Member == nil {
			return nil, &pickError{d}
		}
		m := d.Member
		ex.member = m
		ex.routeChanged = ex.routeChanged || d.RouteChanged
		w := ex.sn.workerFor(t.s, rt.vh, m.Config())
		ex.worker = w
		name := m.Name()
		_, auth, mpath := splitURL(name)
		ex.backendURL = strings.TrimSuffix(name, mpath) + mpath + rt.balRest
		setTarget(req, w.scheme, auth, mpath+rt.balRest)
		if !preserve {
			req.Host = hostHeader(auth)
		}
		filterUpgrade(req, w)
		res, err := w.roundTrip(ex, req)
		if err == nil {
			m.ConnectOK()
			return res, nil
		}
		var ce *connectError
		if !errors.As(err, &ce) || ex.body.started() {
			return nil, err
		}
		t.s.logf("proxy:error", "AH00957: %s: attempt to connect to %s failed", w.scheme, auth)
		if m.MarkError() {
			t.s.logf("proxy:error", "AH00959: ap_proxy_connect_backend disabling worker for (%s) for %ds", auth, int(m.Config().Params.Retry/time.Second))
		}
		m.Release(0, 0)
		ex.member = nil
		if !b.ShouldFailover(m, ex.attempts) {
			return nil, err
		}
		ex.attempts++
	}
}

// keepOpen hides Close from the transport.
type keepOpen struct{ io.Reader }

func (keepOpen) Close() error { return nil }

// filterUpgrade removes an Upgrade the worker does not allow (upgrade=,
// implied "websocket" for ws:// and wss://), spec 3.12.
func filterUpgrade(req *http.Request, w *workerRT) {
	up := req.Header.Get("Upgrade")
	if up == "" {
		return
	}
	if !w.upgradeAllowed(up) {
		req.Header.Del("Upgrade")
		req.Header.Del("Connection")
	}
}
