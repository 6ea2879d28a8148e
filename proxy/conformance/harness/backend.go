// Package harness runs HTTP scenarios against a front server (Apache httpd
// or balancerd) in front of recording backends, and renders what the client
// and the backends saw as normalised text that can be compared line by line.
//
// It is shared by the differential conformance suite (package conformance)
// and the load comparison program (testdata/load).
package harness

import (
	"bufio"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Action is what a backend does with a request that matched a Rule.
type Action string

// Backend actions.
const (
	ActOK      Action = "ok"      // answer with the rule's status, headers and body
	ActReset   Action = "reset"   // read the request, then reset the connection (RST)
	ActClose   Action = "close"   // read the request, then close without answering
	ActGarbage Action = "garbage" // answer with a line that is not HTTP, then close
	// ActStream answers with a chunked body in two parts: the second part is
	// only sent once the client has received the first (or after
	// StreamWait), and says which happened, so a proxy that buffers the
	// response shows in the body.
	ActStream Action = "stream"
)

// StreamWait bounds how long a streaming backend waits for the client to
// see the first part of its response.
const StreamWait = 3 * time.Second

// Rule tells a backend how to answer requests whose raw request URI starts
// with Prefix ("" matches everything).
type Rule struct {
	Prefix   string
	Action   Action
	Status   int           // 0 = 200
	Headers  []string      // "Name: value"; ${VAR} expanded per request
	Delay    time.Duration // wait before answering (a slow backend)
	BodySize int           // >0: body of that many bytes instead of the echo line
}

// Received is one request as a backend read it.
type Received struct {
	Backend string
	Method  string
	URI     string // raw request-target as sent by the proxy
	Proto   string
	Host    string
	Header  http.Header
	Body    string
	Seq     int // global arrival order
}

// Recorder collects the requests of all backends of one run in arrival order.
type Recorder struct {
	mu   sync.Mutex
	list []Received
}

func (r *Recorder) add(rc Received) {
	r.mu.Lock()
	rc.Seq = len(r.list)
	r.list = append(r.list, rc)
	r.mu.Unlock()
}

// Since returns the requests recorded from index from on, and the new end.
func (r *Recorder) Since(from int) ([]Received, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := append([]Received(nil), r.list[from:]...)
	return out, len(r.list)
}

// Reset forgets every recorded request.
func (r *Recorder) Reset() {
	r.mu.Lock()
	r.list = nil
	r.mu.Unlock()
}

// Backend is a recording HTTP/1.1 origin server on 127.0.0.1. It answers
// with its own name (header X-Backend and the body line), records every
// request, and can be told by Rules to redirect, set cookies, return any
// status, be slow, reset, close or send garbage. A Down backend reserves a
// port on which nothing listens (connections are refused).
type Backend struct {
	Name  string
	Down  bool
	Rules []Rule
	// Silent backends do not record (used by the load program).
	Silent bool
	// Expand replaces ${VAR} references in rule headers; nil = none.
	Expand func(string) string
	// ClientSaw waits up to d for the client to report the first bytes of
	// the current response (ActStream); nil = never.
	ClientSaw func(d time.Duration) bool

	rec  *Recorder
	ln   net.Listener
	port int
	lean *leanServer // Silent backends without Expand: see lean.go

	mu       sync.Mutex
	conns    map[net.Conn]struct{}
	accepted int
	wg       sync.WaitGroup
}

// Connections returns how many connections the backend accepted so far and
// how many are open now.
func (b *Backend) Connections() (accepted, open int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.accepted, len(b.conns)
}

// Port is the TCP port of the backend (reserved but closed when Down).
func (b *Backend) Port() int { return b.port }

// Addr is "127.0.0.1:port".
func (b *Backend) Addr() string { return "127.0.0.1:" + strconv.Itoa(b.port) }

// Start opens the backend's port and starts serving (unless Down).
func (b *Backend) Start(rec *Recorder) error {
	b.rec = rec
	b.conns = map[net.Conn]struct{}{}
	if b.Silent && b.Expand == nil {
		b.lean = newLeanServer(b)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("backend %s: %w", b.Name, err)
	}
	b.port = ln.Addr().(*net.TCPAddr).Port
	if b.Down {
		// Keep the port number, close the socket: connects are refused.
		return ln.Close()
	}
	b.ln = ln
	b.wg.Add(1)
	go b.accept()
	return nil
}

// Close stops the backend and closes every open connection.
func (b *Backend) Close() {
	if b.ln != nil {
		b.ln.Close()
	}
	b.mu.Lock()
	for c := range b.conns {
		c.Close()
	}
	b.mu.Unlock()
	b.wg.Wait()
}

func (b *Backend) accept() {
	defer b.wg.Done()
	for {
		c, err := b.ln.Accept()
		if err != nil {
			return
		}
		b.mu.Lock()
		b.conns[c] = struct{}{}
		b.accepted++
		b.mu.Unlock()
		b.wg.Add(1)
		go func() {
			defer b.wg.Done()
			b.serve(c)
			b.mu.Lock()
			delete(b.conns, c)
			b.mu.Unlock()
			c.Close()
		}()
	}
}

func (b *Backend) rule(uri string) Rule {
	for _, r := range b.Rules {
		if strings.HasPrefix(uri, r.Prefix) {
			return r
		}
	}
	return Rule{Action: ActOK}
}

func (b *Backend) serve(c net.Conn) {
	br := bufio.NewReader(c)
	bw := bufio.NewWriter(c)
	for {
		if b.lean != nil {
			switch b.lean.serve(br, bw) {
			case leanDone:
				continue
			case leanClose:
				return
			}
		}
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		if strings.EqualFold(req.Header.Get("Expect"), "100-continue") {
			// Like any HTTP/1.1 server about to read the body.
			bw.WriteString("HTTP/1.1 100 Continue\r\n\r\n")
			if bw.Flush() != nil {
				return
			}
		}
		body, _ := io.ReadAll(io.LimitReader(req.Body, 4<<20))
		req.Body.Close()
		if !b.Silent {
			h := req.Header.Clone()
			if len(req.TransferEncoding) > 0 {
				// net/http moves it out of the header; put it back.
				h["Transfer-Encoding"] = []string{strings.Join(req.TransferEncoding, ", ")}
			}
			b.rec.add(Received{
				Backend: b.Name, Method: req.Method, URI: req.RequestURI,
				Proto: req.Proto, Host: req.Host, Header: h,
				Body: string(body),
			})
		}
		r := b.rule(req.RequestURI)
		if r.Delay > 0 {
			time.Sleep(r.Delay)
		}
		switch r.Action {
		case ActReset:
			if tc, ok := c.(*net.TCPConn); ok {
				tc.SetLinger(0)
			}
			return
		case ActClose:
			return
		case ActGarbage:
			bw.WriteString("this is not HTTP at all\r\n")
			bw.Flush()
			return
		case ActStream:
			if !b.stream(bw, r) {
				return
			}
			continue
		}
		if isWebSocket(req) {
			b.tunnel(c, br, bw, req)
			return
		}
		b.respond(bw, req, r, len(body))
		if bw.Flush() != nil || req.Close {
			return
		}
	}
}

func isWebSocket(req *http.Request) bool {
	return strings.EqualFold(req.Header.Get("Upgrade"), "websocket")
}

// tunnel answers 101 Switching Protocols and then echoes every byte back,
// prefixed by the backend name once, until the connection closes.
func (b *Backend) tunnel(c net.Conn, br *bufio.Reader, bw *bufio.Writer, req *http.Request) {
	h := sha1.Sum([]byte(req.Header.Get("Sec-WebSocket-Key") + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	fmt.Fprintf(bw, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Accept: %s\r\nX-Backend: %s\r\n\r\n", base64.StdEncoding.EncodeToString(h[:]), b.Name)
	if bw.Flush() != nil {
		return
	}
	buf := make([]byte, 4096)
	first := true
	for {
		n, err := br.Read(buf)
		if n > 0 {
			out := buf[:n]
			if first {
				out = append([]byte(b.Name+" echo: "), out...)
				first = false
			}
			if _, werr := c.Write(out); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// stream writes a chunked response in two parts (see ActStream).
func (b *Backend) stream(bw *bufio.Writer, r Rule) bool {
	bw.WriteString("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n")
	bw.WriteString("X-Backend: " + b.Name + "\r\nTransfer-Encoding: chunked\r\n\r\n")
	part1 := "data: part 1\n\n"
	fmt.Fprintf(bw, "%x\r\n%s\r\n", len(part1), part1)
	if bw.Flush() != nil {
		return false
	}
	seen := b.ClientSaw != nil && b.ClientSaw(StreamWait)
	verdict := "the client had part 1 before part 2 was sent"
	if !seen {
		verdict = fmt.Sprintf("the client did not get part 1 within %v (buffered?)", StreamWait)
	}
	part2 := "data: part 2: " + verdict + "\n\n"
	fmt.Fprintf(bw, "%x\r\n%s\r\n0\r\n\r\n", len(part2), part2)
	return bw.Flush() == nil
}

func (b *Backend) respond(bw *bufio.Writer, req *http.Request, r Rule, bodyLen int) {
	status := r.Status
	if status == 0 {
		status = 200
	}
	var body string
	if r.BodySize > 0 {
		body = strings.Repeat("x", r.BodySize)
	} else {
		body = fmt.Sprintf("%s %s %s\n", b.Name, req.Method, req.RequestURI)
	}
	fmt.Fprintf(bw, "HTTP/1.1 %d %s\r\n", status, http.StatusText(status))
	bw.WriteString("Content-Type: text/plain\r\n")
	bw.WriteString("X-Backend: " + b.Name + "\r\n")
	server := "recording-backend"
	for _, h := range r.Headers {
		if strings.HasPrefix(strings.ToLower(h), "server:") {
			server = ""
		}
	}
	if server != "" {
		bw.WriteString("Server: " + server + "\r\n")
	}
	for _, h := range r.Headers {
		if b.Expand != nil {
			h = b.Expand(h)
		}
		bw.WriteString(h + "\r\n")
	}
	noBody := req.Method == http.MethodHead || status == 204 || status == 304 || status < 200
	if noBody {
		body = ""
	}
	fmt.Fprintf(bw, "Content-Length: %d\r\n\r\n", len(body))
	if req.Method != http.MethodHead {
		bw.WriteString(body)
	}
}

// HeaderLines renders a header as "Name: value" lines sorted by name,
// values of one name in received order.
func HeaderLines(h http.Header) []string {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []string
	for _, k := range keys {
		for _, v := range h[k] {
			out = append(out, k+": "+v)
		}
	}
	return out
}
