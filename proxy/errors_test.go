package proxy

import (
	"bufio"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/balancerd/balancerd/directives/model"
)

// rawBackend accepts connections and hands each to f.
func rawBackend(t *testing.T, f func(c net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { close(done); ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				f(c)
				_ = done
			}()
		}
	}()
	return "http://" + ln.Addr().String()
}

// deadURL is an address where nothing listens (connection refused).
func deadURL(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

func readHead(c net.Conn) {
	br := bufio.NewReader(c)
	for {
		l, err := br.ReadString('\n')
		if err != nil || l == "\r\n" {
			return
		}
	}
}

// TestBackendFailures compares with what Apache 2.4.67 sent for the same
// backends (observed on loopback; spec 3.11).
func TestBackendFailures(t *testing.T) {
	block := make(chan struct{})
	t.Cleanup(func() { close(block) })
	reset := rawBackend(t, func(c net.Conn) { readHead(c) })
	garbage := rawBackend(t, func(c net.Conn) {
		readHead(c)
		_, _ = c.Write([]byte("garbage here\r\nmore\r\n"))
	})
	slow := rawBackend(t, func(c net.Conn) { readHead(c); <-block })
	vh := vhostCfg("front.test")
	slowRule := pass("/slow", slow+"/")
	slowRule.Worker.Params.Timeout = 50 * time.Millisecond
	vh.ProxyPass = []*model.ProxyPassRule{
		pass("/refused", deadURL(t)+"/"),
		pass("/reset", reset+"/"),
		pass("/garbage", garbage+"/"),
		slowRule,
	}
	_, base := start(t, config(vh), Options{})
	tests := []struct {
		path   string
		status int
		body   string
		close  bool
	}{
		{"/refused/x", 503, errorBody(503, "GET"), true},
		{"/reset/x", 502, proxyErrorBody(502, "Error reading from remote server"), false},
		{"/garbage/x", 200, "garbage heremore\r\n", false}, // the first line loses its CRLF, as in Apache
		{"/slow/x", 502, proxyErrorBody(502, "Error reading from remote server"), false},
	}
	for _, tc := range tests {
		res := rawGet(t, base, tc.path, "front.test")
		body := drain(res)
		if res.StatusCode != tc.status || body != tc.body {
			t.Errorf("%s: %d %q, want %d %q", tc.path, res.StatusCode, body, tc.status, tc.body)
		}
		if tc.status >= 500 && res.Header.Get("Content-Type") != "text/html; charset=iso-8859-1" {
			t.Errorf("%s: Content-Type %q", tc.path, res.Header.Get("Content-Type"))
		}
	}
	// 503 closes the connection, as Apache does.
	res := rawDo(t, base, "GET /refused/x HTTP/1.1\r\nHost: front.test\r\n\r\n")
	drain(res)
	if !res.Close {
		t.Errorf("503 did not close the connection")
	}
}

func TestApacheErrorPages(t *testing.T) {
	// Byte-exact copies of Apache 2.4.67's pages.
	want404 := "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01//EN\" \"http://www.w3.org/TR/html4/strict.dtd\">\n<html><head>\n<title>404 Not Found</title>\n</head><body>\n<h1>Not Found</h1>\n<p>The requested URL was not found on this server.</p>\n</body></html>\n"
	if got := errorBody(404, "GET"); got != want404 {
		t.Errorf("404 page:\n%s", got)
	}
	if n := len(errorBody(503, "GET")); n != 339 {
		t.Errorf("503 page is %d bytes, Apache sends 339", n)
	}
	if n := len(proxyErrorBody(502, "Error reading from remote server")); n != 381 {
		t.Errorf("502 page is %d bytes, Apache sends 381", n)
	}
	if n := len(proxyErrorBody(400, "Max-Forwards has reached zero - proxy loop?")); n != 386 {
		t.Errorf("400 proxy page is %d bytes, Apache sends 386", n)
	}
	for status, size := range map[int]int{400: 266, 401: 421, 403: 239, 500: 571} {
		if n := len(errorBody(status, "GET")); n != size {
			t.Errorf("%d page is %d bytes, Apache sends %d", status, n, size)
		}
	}
	if !strings.Contains(errorBody(405, "CONNECT"), "The requested method CONNECT is not allowed for this URL.") {
		t.Errorf("405 page")
	}
}

// TestConnectRefused: ProxyRequests Off refuses CONNECT with 405 and
// Apache's Allow list; an absolute URI is served as a normal request for
// its host (as Apache does).
func TestConnectAndAbsoluteURI(t *testing.T) {
	b := backend(t, "b")
	vh := vhostCfg("front.test")
	vh.ProxyPass = []*model.ProxyPassRule{pass("/ok", b.URL+"/")}
	_, base := start(t, config(vh), Options{})
	res := rawDo(t, base, "CONNECT other.example:443 HTTP/1.1\r\nHost: other.example:443\r\n\r\n")
	body := drain(res)
	if res.StatusCode != http.StatusMethodNotAllowed || res.Header.Get("Allow") != "GET,POST,OPTIONS,HEAD,TRACE" || body != errorBody(405, "CONNECT") {
		t.Errorf("CONNECT: %d Allow=%q %q", res.StatusCode, res.Header.Get("Allow"), body)
	}
	s := decode(t, rawDo(t, base, "GET http://other.example/ok/x HTTP/1.1\r\nHost: front.test\r\nConnection: close\r\n\r\n"))
	if s.URI != "//x" || s.Header.Get("X-Forwarded-Host") != "other.example" {
		t.Errorf("absolute URI: backend saw %s with X-Forwarded-Host %q", s.URI, s.Header.Get("X-Forwarded-Host"))
	}
}

// TestProxyErrorStatusLine: 502 and the Max-Forwards 400 carry Apache's
// "Proxy Error" reason phrase.
func TestProxyErrorStatusLine(t *testing.T) {
	reset := rawBackend(t, func(c net.Conn) { readHead(c) })
	vh := vhostCfg("front.test")
	vh.ProxyPass = []*model.ProxyPassRule{pass("/reset", reset+"/")}
	_, base := start(t, config(vh), Options{})
	for _, tc := range []struct{ raw, line string }{
		{"GET /reset/x HTTP/1.1\r\nHost: front.test\r\n\r\n", "HTTP/1.1 502 Proxy Error\r\n"},
		{"GET /reset/x HTTP/1.1\r\nHost: front.test\r\nMax-Forwards: 0\r\n\r\n", "HTTP/1.1 400 Proxy Error\r\n"},
	} {
		c := dialRaw(t, base)
		_, _ = c.Write([]byte(tc.raw))
		br := bufio.NewReader(c)
		line, _ := br.ReadString('\n')
		if line != tc.line {
			t.Errorf("status line %q, want %q", line, tc.line)
		}
	}
}
