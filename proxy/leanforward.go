package proxy

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/http/httputil"
	"net/textproto"
	"strings"
	"sync"
)

// forwardLean proxies a request of the lean front end that has no body
// and asks for no upgrade. It is httputil.ReverseProxy.ServeHTTP for that
// case, step for step and with the same hooks (rewrite, roundTripper,
// modifyResponse, errorHandler), without ReverseProxy's costs that such a
// request does not need: a deep clone of the request, a Content-Type
// parse per response, a timer goroutine for streaming. Requests of the
// net/http front end still go through ReverseProxy, which
// TestLeanFrontEndDifferential compares this with.
func (s *Server) forwardLean(w http.ResponseWriter, in *http.Request, ex *exchange) {
	// 1xx responses are relayed until the final response arrives.
	var (
		mu   sync.Mutex
		done bool
	)
	trace := &httptrace.ClientTrace{Got1xxResponse: func(code int, header textproto.MIMEHeader) error {
		mu.Lock()
		defer mu.Unlock()
		if done {
			return nil
		}
		h := w.Header()
		copyHeaderValues(h, http.Header(header))
		w.WriteHeader(code)
		clear(h)
		return nil
	}}
	// One context and one copy of the request carry the exchange and the
	// trace to the hooks and the transport.
	out := in.WithContext(httptrace.WithClientTrace(context.WithValue(in.Context(), exchangeKey{}, ex), trace))
	out.Header = in.Header.Clone()
	if out.Header == nil {
		out.Header = make(http.Header)
	}
	out.Body = nil
	out.Close = false
	removeHopHeaders(out.Header)
	for _, k := range [...]string{"Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto"} {
		delete(out.Header, k)
	}
	s.rewrite(&httputil.ProxyRequest{In: in, Out: out})
	if _, ok := out.Header["User-Agent"]; !ok {
		out.Header.Set("User-Agent", "")
	}

	res, err := roundTripper{s}.RoundTrip(out)
	mu.Lock()
	done = true
	mu.Unlock()
	if err != nil {
		s.errorHandler(w, out, err)
		return
	}
	if res.StatusCode == http.StatusSwitchingProtocols {
		// Nothing was asked for: ReverseProxy's answer to this.
		if !s.leanModify(w, res, out) {
			return
		}
		res.Body.Close()
		s.errorHandler(w, out, fmt.Errorf("backend tried to switch protocol %q when %q was requested", upgradeOf(res.Header), ""))
		return
	}
	removeHopHeaders(res.Header)
	if !s.leanModify(w, res, out) {
		return
	}
	copyHeaderValues(w.Header(), res.Header)
	announced := len(res.Trailer)
	if announced > 0 {
		keys := make([]string, 0, announced)
		for k := range res.Trailer {
			keys = append(keys, k)
		}
		w.Header().Add("Trailer", strings.Join(keys, ", "))
	}
	w.WriteHeader(res.StatusCode)
	if err := s.leanCopy(w, res); err != nil {
		res.Body.Close()
		panic(http.ErrAbortHandler)
	}
	res.Body.Close()
	if len(res.Trailer) > 0 {
		_ = http.NewResponseController(w).Flush()
	}
	if len(res.Trailer) == announced {
		copyHeaderValues(w.Header(), res.Trailer)
		return
	}
	for k, vv := range res.Trailer {
		k = http.TrailerPrefix + k
		for _, v := range vv {
			w.Header().Add(k, v)
		}
	}
}

// leanModify runs modifyResponse as ReverseProxy does: an error closes
// the body and goes to the error handler.
func (s *Server) leanModify(w http.ResponseWriter, res *http.Response, out *http.Request) bool {
	if err := s.modifyResponse(res); err != nil {
		res.Body.Close()
		s.errorHandler(w, out, err)
		return false
	}
	return true
}

// leanCopy copies the response body as ReverseProxy.copyResponse does with
// FlushInterval 0: an event stream, or a body of unknown length, is
// flushed after every write (and its header at once); others are copied
// through the response's buffer.
func (s *Server) leanCopy(w http.ResponseWriter, res *http.Response) error {
	flush := res.ContentLength == -1 || isEventStream(res.Header.Get("Content-Type"))
	var ctl *http.ResponseController
	if flush {
		ctl = http.NewResponseController(w)
		_ = ctl.Flush()
	}
	bp := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(bp)
	buf := *bp
	for {
		nr, rerr := res.Body.Read(buf)
		if rerr != nil && rerr != io.EOF && rerr != context.Canceled {
			s.elog.Printf("httputil: ReverseProxy read error during body copy: %v", rerr)
		}
		if nr > 0 {
			nw, werr := w.Write(buf[:nr])
			if werr != nil {
				return werr
			}
			if nw != nr {
				return io.ErrShortWrite
			}
			if flush {
				_ = ctl.Flush()
			}
		}
		if rerr != nil {
			if rerr == io.EOF {
				return nil
			}
			return rerr
		}
	}
}

// isEventStream reports whether a Content-Type's media type is
// text/event-stream (what ReverseProxy finds with mime.ParseMediaType).
func isEventStream(ct string) bool {
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	return strings.EqualFold(strings.TrimSpace(ct), "text/event-stream")
}

// hopHeaders are the fields ReverseProxy removes in both directions
// (besides those named in Connection).
var hopHeaders = [...]string{
	"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate",
	"Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade",
}

// removeHopHeaders is ReverseProxy's removeHopByHopHeaders.
func removeHopHeaders(h http.Header) {
	for _, f := range h["Connection"] {
		for sf := range strings.SplitSeq(f, ",") {
			if sf = textproto.TrimString(sf); sf != "" {
				h.Del(sf)
			}
		}
	}
	for _, f := range hopHeaders {
		delete(h, f)
	}
}

// copyHeaderValues is ReverseProxy's copyHeader.
func copyHeaderValues(dst, src http.Header) {
	for k, vv := range src {
		for _, v := range vv {
			dst.Add(k, v)
		}
	}
}

// upgradeOf is the Upgrade a header asks for ("" without Connection:
// upgrade), as ReverseProxy's upgradeType.
func upgradeOf(h http.Header) string {
	for _, v := range h["Connection"] {
		if hasToken(v, "upgrade") {
			return h.Get("Upgrade")
		}
	}
	return ""
}
