package proxy

import (
	"bufio"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// leanResponse is the http.ResponseWriter of the lean front end. It
// frames responses as net/http's server does (same status line, the
// handler's fields sorted by name and then Date, Content-Length,
// Content-Type, Connection and Transfer-Encoding as net/http adds them,
// a Content-Length for a short body the handler finished, chunking
// otherwise, Content-Type sniffing, HEAD and 1xx handling, trailers), so
// clients cannot tell which front end answered
// (TestLeanFrontEndDifferential). Unlike net/http it does not clone the
// header at WriteHeader: no handler of this package changes a header it
// has already sent.
type leanResponse struct {
	lc  *leanConn
	req *http.Request

	header      http.Header
	status      int
	wroteHeader bool // WriteHeader (non-1xx) called
	headerSent  bool // the header block is in lc.bw
	handlerDone bool
	chunking    bool
	closeAfter  bool
	declaredCL  int64 // -1: none
	written     int64
	trailers    []string

	w    *bufio.Writer // 2 KiB in front of chunkWriter, as net/http's
	cw   leanChunkWriter
	clen [20]byte
	date [len(http.TimeFormat) + 4]byte
}

// leanChunkWriter is what leanResponse.w flushes into: it writes the
// header on first use and frames the body.
type leanChunkWriter struct{ res *leanResponse }

// bufferBeforeChunking is net/http's bufferBeforeChunkingSize: a body
// that fits and is finished by the handler gets a Content-Length.
const bufferBeforeChunking = 2048

var leanBufw = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, bufferBeforeChunking) }}

func (w *leanResponse) reset(lc *leanConn, req *http.Request) {
	*w = leanResponse{lc: lc, req: req, header: make(http.Header), declaredCL: -1}
	w.cw.res = w
	w.w = leanBufw.Get().(*bufio.Writer)
	w.w.Reset(&w.cw)
}

func (w *leanResponse) Header() http.Header { return w.header }

func (w *leanResponse) WriteHeader(code int) {
	if w.lc.hijacked || w.wroteHeader {
		return
	}
	if code < 100 || code > 999 {
		panic("invalid WriteHeader code " + strconv.Itoa(code))
	}
	if code >= 100 && code <= 199 && code != http.StatusSwitchingProtocols {
		bw := w.lc.bw
		writeStatusLine(bw, code)
		_ = w.header.WriteSubset(bw, excludedNoBody)
		bw.WriteString("\r\n")
		_ = bw.Flush()
		return
	}
	w.wroteHeader = true
	w.status = code
	if cl := w.header.Get("Content-Length"); cl != "" {
		if v, err := strconv.ParseInt(cl, 10, 64); err == nil && v >= 0 {
			w.declaredCL = v
		} else {
			w.header.Del("Content-Length")
		}
	}
}

var excludedNoBody = map[string]bool{"Content-Length": true, "Transfer-Encoding": true}

func (w *leanResponse) Write(p []byte) (int, error) {
	if ok, err := w.admit(len(p)); !ok {
		return 0, err
	}
	return w.w.Write(p)
}

// WriteString avoids a copy for io.WriteString callers.
func (w *leanResponse) WriteString(s string) (int, error) {
	if ok, err := w.admit(len(s)); !ok {
		return 0, err
	}
	return w.w.WriteString(s)
}

// admit checks a body write of n bytes as net/http's response.write
// does (writing the 200 header first if none was written); false means
// nothing is to be written, with the error to return.
func (w *leanResponse) admit(n int) (bool, error) {
	if w.lc.hijacked {
		return false, http.ErrHijacked
	}
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if n == 0 {
		return false, nil
	}
	if !bodyAllowedForStatus(w.status) {
		return false, http.ErrBodyNotAllowed
	}
	w.written += int64(n)
	if w.declaredCL != -1 && w.written > w.declaredCL {
		return false, http.ErrContentLength
	}
	return true, nil
}

// FlushError sends what is buffered (the header first) to the client.
func (w *leanResponse) FlushError() error {
	if w.lc.hijacked {
		return http.ErrHijacked
	}
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if err := w.w.Flush(); err != nil {
		return err
	}
	if !w.headerSent {
		w.writeHeader(nil)
	}
	return w.lc.bw.Flush()
}

// Flush is FlushError without the error (http.Flusher).
func (w *leanResponse) Flush() { _ = w.FlushError() }

// Hijack hands the connection to the handler (proxy error pages with
// Apache's reason phrases): what is buffered for reading comes with it.
func (w *leanResponse) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if w.lc.hijacked {
		return nil, nil, http.ErrHijacked
	}
	if w.wroteHeader {
		// As net/http: the pending response is flushed first.
		if err := w.FlushError(); err != nil {
			return nil, nil, err
		}
	}
	w.lc.hijacked = true
	return w.lc.ac, bufio.NewReadWriter(w.lc.br, bufio.NewWriter(w.lc.ac)), nil
}

// finish ends the response after the handler returned: header, buffered
// body, final chunk and trailers, all flushed.
func (w *leanResponse) finish() error {
	w.handlerDone = true
	if w.lc.hijacked {
		return nil
	}
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	err := w.w.Flush()
	leanBufw.Put(w.w)
	w.w = nil
	if !w.headerSent {
		w.writeHeader(nil)
	}
	if w.chunking {
		bw := w.lc.bw
		bw.WriteString("0\r\n")
		if t := w.finalTrailers(); t != nil {
			_ = t.Write(bw)
		}
		bw.WriteString("\r\n")
	}
	if ferr := w.lc.bw.Flush(); err == nil {
		err = ferr
	}
	return err
}

func (cw *leanChunkWriter) Write(p []byte) (int, error) {
	w := cw.res
	if !w.headerSent {
		w.writeHeader(p)
	}
	if w.req.Method == http.MethodHead {
		return len(p), nil
	}
	bw := w.lc.bw
	if w.chunking {
		var hex [16]byte
		bw.Write(strconv.AppendInt(hex[:0], int64(len(p)), 16))
		bw.WriteString("\r\n")
	}
	n, err := bw.Write(p)
	if w.chunking && err == nil {
		_, err = bw.WriteString("\r\n")
	}
	if err != nil {
		w.lc.ac.Close()
	}
	return n, err
}

// writeHeader writes the status line and header block to the connection
// buffer, deciding framing as net/http's chunkWriter.writeHeader does. p
// is the start of the body (for the automatic Content-Length of a body
// the handler finished, and for sniffing).
func (w *leanResponse) writeHeader(p []byte) {
	w.headerSent = true
	h := w.header
	isHEAD := w.req.Method == http.MethodHead
	exclude := excludeSet{h: h}
	var extra struct {
		contentType, connection, transferEncoding string
		date, contentLength                       []byte
	}
	trailers := false
	for k := range h {
		if strings.HasPrefix(k, http.TrailerPrefix) {
			exclude.add(k)
			trailers = true
		}
	}
	for _, v := range h["Trailer"] {
		trailers = true
		for f := range strings.SplitSeq(v, ",") {
			if f = strings.TrimSpace(f); f != "" {
				w.declareTrailer(f)
			}
		}
	}
	te := h.Get("Transfer-Encoding")
	hasTE := te != ""
	if w.handlerDone && !trailers && !hasTE && bodyAllowedForStatus(w.status) && !hasKey(h, "Content-Length") && (!isHEAD || len(p) > 0) {
		w.declaredCL = int64(len(p))
		extra.contentLength = strconv.AppendInt(w.clen[:0], int64(len(p)), 10)
	}
	keepAlives := w.lc.keepAlives()
	hasCL := w.declaredCL != -1
	if w.req.Close {
		w.closeAfter = true
	}
	if h.Get("Connection") == "close" || !keepAlives {
		w.closeAfter = true
	}
	code := w.status
	if bodyAllowedForStatus(code) {
		_, haveType := h["Content-Type"]
		if h.Get("Content-Encoding") == "" && !haveType && !hasTE && len(p) > 0 {
			extra.contentType = http.DetectContentType(p)
		}
	} else {
		exclude.add("Content-Length")
		exclude.add("Transfer-Encoding")
		if code == http.StatusNotModified {
			exclude.add("Content-Type")
		}
	}
	if !hasKey(h, "Date") {
		extra.date = time.Now().UTC().AppendFormat(w.date[:0], http.TimeFormat)
	}
	if hasCL && hasTE && te != "identity" {
		exclude.add("Content-Length")
		hasCL = false
	}
	switch {
	case isHEAD || !bodyAllowedForStatus(code) || code == http.StatusNoContent:
		exclude.add("Transfer-Encoding")
	case hasCL:
		exclude.add("Transfer-Encoding")
	case hasTE && te == "identity":
		w.closeAfter = true
		exclude.add("Transfer-Encoding")
	default:
		w.chunking = true
		extra.transferEncoding = "chunked"
		if hasTE && te == "chunked" {
			exclude.add("Transfer-Encoding")
		}
	}
	if w.chunking {
		exclude.add("Content-Length")
	}
	if w.closeAfter && (!keepAlives || !hasToken(h.Get("Connection"), "close")) {
		exclude.add("Connection")
		extra.connection = "close"
	}

	bw := w.lc.bw
	writeStatusLine(bw, code)
	_ = h.WriteSubset(bw, exclude.m)
	if extra.date != nil {
		bw.WriteString("Date: ")
		bw.Write(extra.date)
		bw.WriteString("\r\n")
	}
	if extra.contentLength != nil {
		bw.WriteString("Content-Length: ")
		bw.Write(extra.contentLength)
		bw.WriteString("\r\n")
	}
	for i, v := range [...]string{extra.contentType, extra.connection, extra.transferEncoding} {
		if v != "" {
			bw.WriteString([...]string{"Content-Type: ", "Connection: ", "Transfer-Encoding: "}[i])
			bw.WriteString(v)
			bw.WriteString("\r\n")
		}
	}
	bw.WriteString("\r\n")
}

// excludeSet is the header names withheld from the header block; its map
// is made for the first name the header has (most responses withhold
// nothing).
type excludeSet struct {
	h http.Header
	m map[string]bool
}

func (e *excludeSet) add(k string) {
	if _, ok := e.h[k]; !ok {
		return
	}
	if e.m == nil {
		e.m = make(map[string]bool, 4)
	}
	e.m[k] = true
}

func hasKey(h http.Header, k string) bool {
	_, ok := h[k]
	return ok
}

// hasToken reports whether the comma-separated list v contains token
// (case-insensitive), as net/http's hasToken.
func hasToken(v, token string) bool {
	for f := range strings.SplitSeq(v, ",") {
		if asciiEqualFold(strings.TrimSpace(f), token) {
			return true
		}
	}
	return false
}

// declareTrailer notes a trailer field announced in "Trailer", unless it
// is one a trailer may not carry (httpguts.ValidTrailerHeader).
func (w *leanResponse) declareTrailer(k string) {
	k = http.CanonicalHeaderKey(k)
	switch k {
	case "Authorization", "Cache-Control", "Connection", "Content-Encoding", "Content-Length",
		"Content-Range", "Content-Type", "Expect", "Host", "Keep-Alive", "Max-Forwards", "Pragma",
		"Proxy-Authenticate", "Proxy-Authorization", "Proxy-Connection", "Range", "Realm", "Te",
		"Trailer", "Transfer-Encoding", "Www-Authenticate":
		return
	}
	w.trailers = append(w.trailers, k)
}

// finalTrailers are the trailer fields to send after the last chunk.
func (w *leanResponse) finalTrailers() http.Header {
	var t http.Header
	for k, vv := range w.header {
		if kk, ok := strings.CutPrefix(k, http.TrailerPrefix); ok {
			if t == nil {
				t = make(http.Header)
			}
			t[kk] = vv
		}
	}
	for _, k := range w.trailers {
		if t == nil {
			t = make(http.Header)
		}
		for _, v := range w.header[k] {
			t.Add(k, v)
		}
	}
	return t
}

// writeStatusLine writes "HTTP/1.1 code text" as net/http does (a code
// without standard text gets "status code N").
func writeStatusLine(bw *bufio.Writer, code int) {
	var num [3]byte
	bw.WriteString("HTTP/1.1 ")
	bw.Write(strconv.AppendInt(num[:0], int64(code), 10))
	if text := http.StatusText(code); text != "" {
		bw.WriteByte(' ')
		bw.WriteString(text)
		bw.WriteString("\r\n")
		return
	}
	bw.WriteString(" status code ")
	bw.Write(strconv.AppendInt(num[:0], int64(code), 10))
	bw.WriteString("\r\n")
}

// bodyAllowedForStatus is net/http's: no body for 1xx, 204 and 304.
func bodyAllowedForStatus(status int) bool {
	switch {
	case status >= 100 && status <= 199, status == http.StatusNoContent, status == http.StatusNotModified:
		return false
	}
	return true
}
