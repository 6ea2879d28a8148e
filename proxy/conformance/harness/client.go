package harness

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"time"
)

// Request is one fully expanded request to send.
type Request struct {
	Method, Target, Proto string
	Headers               [][2]string // sent in this order after Host
	Host                  string      // "" with NoHost
	NoHost                bool
	Body                  string
	WebSocket             bool
	// OnFirstBytes, if set, is called once when the first bytes of the
	// response body arrive (streaming checks).
	OnFirstBytes func()
}

// Response is what the client got back.
type Response struct {
	Err    string // set when no complete HTTP response arrived
	Proto  string
	Status string // "200 OK"
	Header http.Header
	Body   []byte
	Tunnel string // bytes read back through a WebSocket tunnel
	// Interim are 1xx responses (other than 101) received before the final
	// one, e.g. "HTTP/1.1 100 Continue".
	Interim []string
}

// RequestTimeout bounds one request, response and tunnel exchange.
const RequestTimeout = 20 * time.Second

// Wire renders the request exactly as Do writes it.
func (r *Request) Wire() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %s\r\n", r.Method, r.Target, r.Proto)
	if !r.NoHost {
		fmt.Fprintf(&b, "Host: %s\r\n", r.Host)
	}
	for _, h := range r.Headers {
		fmt.Fprintf(&b, "%s: %s\r\n", h[0], h[1])
	}
	if r.WebSocket {
		b.WriteString("Upgrade: websocket\r\nConnection: Upgrade\r\n" +
			"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n")
	}
	if r.Body != "" && !r.hasHeader("Content-Length") && !r.hasHeader("Transfer-Encoding") {
		fmt.Fprintf(&b, "Content-Length: %d\r\n", len(r.Body))
	}
	b.WriteString("\r\n")
	b.WriteString(r.Body)
	return b.String()
}

func (r *Request) hasHeader(name string) bool {
	for _, h := range r.Headers {
		if strings.EqualFold(h[0], name) {
			return true
		}
	}
	return false
}

// Do sends r on a new connection to addr and reads one response.
func Do(addr string, r *Request) *Response {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return &Response{Err: "connect: " + errText(err)}
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(RequestTimeout))
	if _, err := io.WriteString(c, r.Wire()); err != nil {
		return &Response{Err: "write: " + errText(err)}
	}
	br := bufio.NewReader(c)
	var interim []string
	var resp *http.Response
	for {
		var err error
		resp, err = http.ReadResponse(br, &http.Request{Method: r.Method})
		if err != nil {
			return &Response{Err: "read: " + errText(err), Interim: interim}
		}
		if resp.StatusCode >= 200 || resp.StatusCode == http.StatusSwitchingProtocols {
			break
		}
		interim = append(interim, resp.Proto+" "+resp.Status)
	}
	out := &Response{Proto: resp.Proto, Status: resp.Status, Header: resp.Header, Interim: interim}
	if resp.StatusCode == http.StatusSwitchingProtocols {
		if _, err := io.WriteString(c, "ping\n"); err == nil {
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			buf := make([]byte, 256)
			var got []byte
			for !strings.HasSuffix(string(got), "ping\n") {
				n, err := br.Read(buf)
				got = append(got, buf[:n]...)
				if err != nil {
					break
				}
			}
			out.Tunnel = string(got)
		}
		return out
	}
	var body []byte
	buf := make([]byte, 32<<10)
	for {
		n, rerr := resp.Body.Read(buf)
		if n > 0 && len(body) == 0 && r.OnFirstBytes != nil {
			r.OnFirstBytes()
		}
		body = append(body, buf[:n]...)
		if rerr != nil {
			if rerr != io.EOF {
				err = rerr
			}
			break
		}
	}
	out.Body = body
	if err != nil {
		out.Err = "body: " + errText(err)
	}
	return out
}

func errText(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, os.ErrDeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	}
	return err.Error()
}

// Jar is a minimal cookie jar: it keeps name=value of every Set-Cookie
// (ignoring Domain, Path and expiry) and sends them all back.
type Jar struct {
	names  []string
	values map[string]string
}

// Update stores the cookies of a response.
func (j *Jar) Update(h http.Header) {
	if j.values == nil {
		j.values = map[string]string{}
	}
	for _, sc := range h.Values("Set-Cookie") {
		nv, _, _ := strings.Cut(sc, ";")
		n, v, ok := strings.Cut(strings.TrimSpace(nv), "=")
		if !ok {
			continue
		}
		if _, seen := j.values[n]; !seen {
			j.names = append(j.names, n)
		}
		j.values[n] = v
	}
}

// Header is the Cookie header value to send, "" if the jar is empty.
func (j *Jar) Header() string {
	var parts []string
	for _, n := range j.names {
		parts = append(parts, n+"="+j.values[n])
	}
	return strings.Join(parts, "; ")
}
