package proxy

import (
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// ServeHTTP serves one request the way Apache's request phases would:
// vhost, translate (rewrite, ProxyPass), access, then the proxy, a
// SetHandler handler, or the core's 404.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	sn := s.snap.Load()
	var start time.Time
	if sn.logging {
		start = time.Now()
	}
	if r.TLS == nil && len(s.tls.Load().byServer) > 0 {
		r.TLS = connTLS(r) // TLS terminated under apacheConn (tls.go)
	}
	if len(r.TransferEncoding) > 0 && clAndTE(r) {
		w.Header().Set("Connection", "close")
	}
	if st, msg := requestLimits(r); st != 0 {
		writeLimitError(w, r, st, msg)
		return
	}
	if max := sn.cfg.MaxKeepAliveRequests; max > 0 {
		s.countKeepAlive(w, r, max)
	}
	rt := s.decide(sn, r, nil)
	var lw *logWriter
	if sn.logging {
		lw = &logWriter{ResponseWriter: w}
		w = lw
	}
	user := s.serve(w, r, sn, &rt)
	if lw != nil {
		status := lw.status
		if status == 0 {
			status = http.StatusOK
		}
		handler := ""
		switch {
		case rt.proxied():
			handler = "proxy-server"
		case rt.handler != "":
			handler = rt.handler
		}
		s.opts.AccessLog(&LogEntry{Request: r, Server: rt.vh.srv, Start: start, Duration: time.Since(start),
			Status: status, Bytes: lw.n, HeaderBytes: lw.headerBytes, RequestBytes: requestBytes(r, lw.bodyRead()),
			Header: w.Header(), Env: rt.env, User: user, Handler: handler, Backend: rt.target})
	}
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request, sn *snapshot, rt *route) string {
	if rt.status != 0 {
		s.respondStatus(w, r, rt)
		return ""
	}
	user := ""
	if s.opts.Access != nil {
		in := &AccessInput{Server: rt.vh.srv, Dirs: rt.dirs, Sections: rt.sections, URI: rt.uri, FilePath: rt.filePath, Env: rt.env}
		if rt.proxied() {
			in.FilePath, in.BackendURL = "", rt.target
		}
		res := s.opts.Access.Check(r, in)
		user = res.User
		if res.Status != 0 {
			for k, vs := range res.Header {
				for _, v := range vs {
					w.Header().Add(k, v)
				}
			}
			s.finishHeaders(w.Header(), rt, r, res.Status, false)
			writeErrorFor(w, r, rt, res.Status)
			return user
		}
	}
	s.dirRewrite(sn, r, rt, nil)
	if rt.status != 0 {
		s.respondStatus(w, r, rt)
		return user
	}
	if rt.proxied() {
		if mf := r.Header["Max-Forwards"]; len(mf) > 0 && strings.TrimSpace(mf[0]) == "0" {
			switch r.Method {
			case http.MethodOptions:
				// Answered by the core for the proxy: no hop left.
				w.Header().Set("Allow", "TRACE")
				w.Header().Set("Content-Length", "0")
				w.WriteHeader(http.StatusOK)
				return user
			case http.MethodTrace:
				writeTrace(w, r)
				return user
			}
		}
		if st := maxForwards(r, rt); st != 0 {
			s.finishHeaders(w.Header(), rt, r, st, false)
			writeProxyError(w, r, st, "Max-Forwards has reached zero - proxy loop?")
			return user
		}
		s.forward(w, r, sn, rt)
		return user
	}
	if rt.handler != "" && s.opts.Handlers != nil {
		in := &HandlerInput{Server: rt.vh.srv, Balancers: rt.vh.balancers, Registry: s.reg, URI: rt.uri}
		if s.opts.Handlers.ServeHandler(rt.handler, w, r, in) {
			return user
		}
	}
	// Not proxied, no handler: DocumentRoot (static.go), else 404.
	if s.serveStatic(w, r, sn, rt) {
		return user
	}
	s.finishHeaders(w.Header(), rt, r, http.StatusNotFound, false)
	writeErrorFor(w, r, rt, http.StatusNotFound)
	return user
}

// respondStatus answers a request decided without a handler: core errors,
// rewrite redirects/forbidden, CONNECT, OPTIONS *.
func (s *Server) respondStatus(w http.ResponseWriter, r *http.Request, rt *route) {
	h := w.Header()
	if rt.vh != nil {
		s.finishHeaders(h, rt, r, rt.status, false)
	}
	switch {
	case rt.status == http.StatusOK && r.RequestURI == "*":
		h.Set("Allow", "GET,POST,OPTIONS,HEAD,TRACE")
		h.Set("Content-Length", "0")
		w.WriteHeader(http.StatusOK)
		return
	case rt.status >= 300 && rt.status < 400 && hasCtlOrSpace(rt.location):
		// mod_rewrite refuses a redirect whose URL has raw spaces or
		// control characters (AH10411) with 403.
		rt.status = http.StatusForbidden
	case rt.status >= 300 && rt.status < 400 && rt.location != "":
		h.Set("Location", rt.location)
		body := redirectBody(rt.status, rt.location)
		h.Set("Content-Type", "text/html; charset=iso-8859-1")
		h.Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(rt.status)
		if r.Method != http.MethodHead {
			_, _ = w.Write([]byte(body))
		}
		return
	case rt.allow != "":
		h.Set("Allow", rt.allow)
	}
	if rt.vh == nil {
		writeError(w, r, rt.status)
		return
	}
	writeErrorFor(w, r, rt, rt.status)
}

// maxForwards applies Max-Forwards (spec 3.8): 0 is a 400 (OPTIONS and
// TRACE excepted), otherwise decremented; ProxyMaxForwards adds it.
func maxForwards(r *http.Request, rt *route) int {
	v, ok := r.Header["Max-Forwards"]
	if !ok || len(v) == 0 {
		if mf := rt.vh.srv.Proxy.MaxForwards; mf > 0 {
			r.Header["Max-Forwards"] = []string{strconv.Itoa(mf)}
		}
		return 0
	}
	n, err := strconv.ParseInt(v[0], 10, 64)
	if err != nil || n < 0 {
		return 0
	}
	if n == 0 {
		if r.Method == http.MethodOptions || r.Method == http.MethodTrace {
			return 0
		}
		return http.StatusBadRequest
	}
	r.Header["Max-Forwards"] = []string{strconv.FormatInt(n-1, 10)}
	return 0
}

// redirectBody is Apache's body for a 3xx with Location.
func redirectBody(status int, loc string) string {
	title := strconv.Itoa(status) + " " + http.StatusText(status)
	return errHead + title + "</title>\n</head><body>\n<h1>" + http.StatusText(status) + "</h1>\n<p>The document has moved <a href=\"" +
		htmlEscape(loc) + "\">here</a>.</p>\n</body></html>\n"
}

// logWriter records status and body size for the access log; Unwrap
// keeps Flush and Hijack reachable through http.ResponseController.
type logWriter struct {
	http.ResponseWriter
	status      int
	n           int64
	headerBytes int64
	body        *bodyTracker // set by forward for proxied requests
}

func (l *logWriter) bodyRead() int64 {
	if l.body == nil {
		return 0
	}
	return l.body.n.Load()
}

// headerSize estimates the bytes of a status line and header block as
// sent (Date and the blank line included).
func headerSize(code int, h http.Header) int64 {
	n := int64(len("HTTP/1.1 000 ") + len(reasonPhrase(code)) + 2 + len("Date: Mon, 02 Jan 2006 15:04:05 GMT\r\n") + 2)
	for k, vs := range h {
		for _, v := range vs {
			n += int64(len(k) + 2 + len(v) + 2)
		}
	}
	return n
}

// requestBytes estimates the bytes received for r (%I): request line,
// headers and the body read.
func requestBytes(r *http.Request, body int64) int64 {
	n := int64(len(r.Method)+1+len(r.RequestURI)+1+len(r.Proto)+2) + 2 + body
	if r.Host != "" {
		n += int64(len("Host: ") + len(r.Host) + 2)
	}
	for k, vs := range r.Header {
		for _, v := range vs {
			n += int64(len(k) + 2 + len(v) + 2)
		}
	}
	return n
}

func (l *logWriter) WriteHeader(code int) {
	if l.status == 0 && code >= 200 {
		l.status = code
		l.headerBytes = headerSize(code, l.Header())
	}
	l.ResponseWriter.WriteHeader(code)
}

func (l *logWriter) Write(p []byte) (int, error) {
	if l.status == 0 {
		l.status = http.StatusOK
		l.headerBytes = headerSize(http.StatusOK, l.Header())
	}
	n, err := l.ResponseWriter.Write(p)
	l.n += int64(n)
	return n, err
}

func (l *logWriter) Unwrap() http.ResponseWriter { return l.ResponseWriter }

// setStatus records the status of a response written on a hijacked
// connection.
func (l *logWriter) setStatus(code int) { l.status = code }

// Flush supports streaming through the wrapper.
func (l *logWriter) Flush() {
	_ = http.NewResponseController(l.ResponseWriter).Flush()
}

// Apache's default LimitRequestLine, LimitRequestFieldSize and
// LimitRequestFields.
const (
	limitRequestLine      = 8190
	limitRequestFieldSize = 8190
	limitRequestFields    = 100
)

// requestLimits applies LimitRequestLine (414) and LimitRequestFieldSize
// (400) with their defaults; Go's server allows longer lines.
func requestLimits(r *http.Request) (int, string) {
	if len(r.Method)+len(r.RequestURI)+len(r.Proto)+2 > limitRequestLine {
		return http.StatusRequestURITooLong, ""
	}
	fields := 0
	if r.Host != "" {
		fields++
	}
	for k, vs := range r.Header {
		fields += len(vs)
		for _, v := range vs {
			if len(k)+2+len(v) > limitRequestFieldSize {
				return http.StatusBadRequest, "Size of a request header field exceeds server limit."
			}
		}
	}
	if fields > limitRequestFields {
		return http.StatusBadRequest, "The number of request header fields exceeds this server's limit."
	}
	return 0, ""
}

// writeLimitError sends a request-limit error page (the 400 carries the
// reason under the standard sentence, as Apache's does).
func writeLimitError(w http.ResponseWriter, r *http.Request, status int, msg string) {
	if msg == "" {
		writeError(w, r, status)
		return
	}
	body := strings.Replace(errorBody(status, r.Method), "<br />\n</p>", "<br />\n"+msg+"</p>", 1)
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=iso-8859-1")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("Connection", "close")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write([]byte(body))
	}
}

// writeTrace answers TRACE locally (Max-Forwards reached 0): the request
// as received, as message/http.
func writeTrace(w http.ResponseWriter, r *http.Request) {
	var b strings.Builder
	b.WriteString(r.Method + " " + r.RequestURI + " " + r.Proto + "\r\n")
	if r.Host != "" {
		b.WriteString("Host: " + r.Host + "\r\n")
	}
	keys := make([]string, 0, len(r.Header))
	for k := range r.Header {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range r.Header[k] {
			b.WriteString(k + ": " + v + "\r\n")
		}
	}
	b.WriteString("\r\n")
	w.Header().Set("Content-Type", "message/http")
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, b.String())
}
