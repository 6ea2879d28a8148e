package proxy

import (
	"bytes"
	"net"
	"net/http"
	"strconv"
	"time"
)

// apacheConn makes the few responses Go's server writes by itself look
// like Apache's: its early error answers (malformed requests, HTTP/1.1
// without Host, unsupported transfer codings), which it writes straight to
// the connection as plain text, become Apache's HTML error documents, and
// the status line of the first response says HTTP/1.1 even to an HTTP/1.0
// client (Apache answers with its own version). Every accepted connection
// is one (Server.acceptLean).
type apacheConn struct {
	net.Conn
	s     *Server
	wrote bool
	// last is the most recent read (a view of the server's read buffer,
	// valid until its next refill). It lets the handler look at the raw
	// head of a chunked request, which Go's parser has already changed.
	last []byte
	// pending holds bytes the lean front end read before handing the
	// connection to net/http; they are read first.
	pending []byte
}

func (c *apacheConn) Read(p []byte) (int, error) {
	if len(c.pending) > 0 {
		n := copy(p, c.pending)
		c.pending = c.pending[n:]
		c.last = p[:n]
		return n, nil
	}
	n, err := c.Conn.Read(p)
	c.last = p[:n]
	return n, err
}

type connKey struct{}

// clAndTE reports whether the raw head of r (a chunked request) also had a
// Content-Length header: Apache then uses the chunked framing and closes
// the connection after the response, so bytes after the body are never
// read as another request.
func clAndTE(r *http.Request) bool {
	c, ok := r.Context().Value(connKey{}).(*apacheConn)
	if !ok || len(r.TransferEncoding) == 0 {
		return false
	}
	line := []byte(r.Method + " " + r.RequestURI + " ")
	i := bytes.Index(c.last, line)
	if i < 0 {
		return false
	}
	head := c.last[i:]
	if j := bytes.Index(head, []byte("\r\n\r\n")); j >= 0 {
		head = head[:j+2]
	}
	for len(head) > 0 {
		k := bytes.IndexByte(head, '\n')
		if k < 0 {
			break
		}
		head = head[k+1:]
		if len(head) >= 15 && bytes.EqualFold(head[:15], []byte("content-length:")) {
			return true
		}
	}
	return false
}

// goErrorHeaders follow the status line of every error Go's server writes
// before a handler runs (net/http's errorHeaders); a handler's response
// always has a Date header first, so this cannot match one.
var goErrorHeaders = []byte("\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n")

func (c *apacheConn) Write(p []byte) (int, error) {
	first := !c.wrote
	c.wrote = true
	if len(p) > 12 && string(p[:9]) == "HTTP/1.1 " && (p[9] == '4' || p[9] == '5') {
		if i := bytes.Index(p, goErrorHeaders); i > 0 && bytes.IndexByte(p[:i], '\n') < 0 {
			code, err := strconv.Atoi(string(p[9:12]))
			if err == nil {
				if _, err := c.Conn.Write(c.s.coreErrorResponse(code)); err != nil {
					return 0, err
				}
				return len(p), nil
			}
		}
	}
	if first && len(p) > 9 && string(p[:9]) == "HTTP/1.0 " {
		b := make([]byte, len(p))
		copy(b, p)
		b[7] = '1'
		return c.Conn.Write(b)
	}
	return c.Conn.Write(p)
}

// coreErrorResponse is Apache's answer to a request its core rejects
// before any module runs. Apache answers 400 where Go's server says 501
// (unsupported Transfer-Encoding) or 431 (header too large).
func (s *Server) coreErrorResponse(code int) []byte {
	switch code {
	case http.StatusNotImplemented, http.StatusRequestHeaderFieldsTooLarge:
		code = http.StatusBadRequest
	}
	body := errorBody(code, "")
	var b bytes.Buffer
	b.WriteString("HTTP/1.1 " + strconv.Itoa(code) + " " + reasonPhrase(code) + "\r\n")
	b.WriteString("Date: " + time.Now().UTC().Format(http.TimeFormat) + "\r\n")
	if s.opts.ServerHeader != "" {
		b.WriteString("Server: " + s.opts.ServerHeader + "\r\n")
	}
	b.WriteString("Content-Length: " + strconv.Itoa(len(body)) + "\r\nConnection: close\r\nContent-Type: text/html; charset=iso-8859-1\r\n\r\n")
	b.WriteString(body)
	return b.Bytes()
}
