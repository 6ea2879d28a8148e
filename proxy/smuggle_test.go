package proxy

import (
	"bufio"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// recorder is a backend that records every request it fully received.
type recorder struct {
	mu   sync.Mutex
	reqs []string
}

func (rc *recorder) server(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return
		}
		rc.mu.Lock()
		rc.reqs = append(rc.reqs, r.Method+" "+r.RequestURI+" body="+string(body))
		rc.mu.Unlock()
		_, _ = w.Write([]byte("ok"))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func (rc *recorder) got() []string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]string(nil), rc.reqs...)
}

// TestSmuggling: malformed framing is rejected before anything reaches a
// backend, and a message with both Content-Length and chunked framing is
// read by its chunked framing only and re-framed for the backend, so the
// backend and the proxy always agree on where requests end.
func TestSmuggling(t *testing.T) {
	rejected := []struct {
		name, raw string
		status    int // Apache 2.4.67 answers 400 to all of these
	}{
		{"two different Content-Lengths", "POST /x HTTP/1.1\r\nHost: front.test\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\nabcde", 400},
		{"space before colon", "POST /x HTTP/1.1\r\nHost: front.test\r\nContent-Length : 3\r\n\r\nabc", 400},
		{"obs-fold", "POST /x HTTP/1.1\r\nHost: front.test\r\nContent-Length: 3\r\n  x\r\n\r\nabc", 400},
		{"bad chunk size", "POST /x HTTP/1.1\r\nHost: front.test\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n", 400},
		{"unknown transfer coding", "POST /x HTTP/1.1\r\nHost: front.test\r\nTransfer-Encoding: gzip\r\n\r\n0\r\n\r\n", 400},
		{"chunked not last", "POST /x HTTP/1.1\r\nHost: front.test\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n", 400},
		{"negative Content-Length", "POST /x HTTP/1.1\r\nHost: front.test\r\nContent-Length: -1\r\n\r\n", 400},
	}
	for _, tc := range rejected {
		rc := &recorder{}
		b := rc.server(t)
		_, base := start(t, plainVHost(b.URL), Options{})
		res := rawDo(t, base, tc.raw)
		drain(res)
		if res.StatusCode != tc.status {
			t.Errorf("%s: status %d, want %d", tc.name, res.StatusCode, tc.status)
		}
		if got := rc.got(); len(got) != 0 {
			t.Errorf("%s: backend received %q", tc.name, got)
		}
	}

	// CL + TE: chunked wins (Content-Length removed) and, as in Apache,
	// the connection closes after the response: the bytes after the empty
	// chunked body are never read as a second request.
	rc := &recorder{}
	b := rc.server(t)
	_, base := start(t, plainVHost(b.URL), Options{})
	c := dialRaw(t, base)
	_, _ = io.WriteString(c, "POST /x HTTP/1.1\r\nHost: front.test\r\nContent-Length: 40\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"+
		"GET /second HTTP/1.1\r\nHost: front.test\r\nConnection: close\r\n\r\n")
	br := bufio.NewReader(c)
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	drain(res)
	if !res.Close {
		t.Errorf("CL+TE: connection not closed")
	}
	if _, err := http.ReadResponse(br, nil); err == nil {
		t.Errorf("CL+TE: the bytes after the body were answered as a request")
	}
	want := []string{"POST /x body="}
	got := rc.got()
	if len(got) != 1 || got[0] != want[0] {
		t.Fatalf("backend saw %q, want %q", got, want)
	}
}

// TestCoreErrorPages: requests Go's server rejects before the handler get
// Apache's HTML error document (400, also where Go would say 501), and an
// HTTP/1.0 request gets an HTTP/1.1 status line as from Apache.
func TestCoreErrorPages(t *testing.T) {
	b := backend(t, "b")
	_, base := start(t, plainVHost(b.URL), Options{})
	for _, raw := range []string{
		"GET /x HTTP/1.1\r\n\r\n",
		"POST /x HTTP/1.1\r\nHost: front.test\r\nTransfer-Encoding: identity\r\n\r\n",
		"POST /x HTTP/1.1\r\nHost: front.test\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
	} {
		res := rawDo(t, base, raw)
		body := drain(res)
		if res.StatusCode != 400 || body != errorBody(400, "") || res.Header.Get("Content-Type") != "text/html; charset=iso-8859-1" {
			t.Errorf("%q: %d %q %q", raw, res.StatusCode, res.Header.Get("Content-Type"), body)
		}
	}
	c := dialRaw(t, base)
	_, _ = io.WriteString(c, "GET /x HTTP/1.0\r\nHost: front.test\r\n\r\n")
	line, _ := bufio.NewReader(c).ReadString('\n')
	if line != "HTTP/1.1 200 OK\r\n" {
		t.Errorf("HTTP/1.0 request: status line %q", line)
	}
}
