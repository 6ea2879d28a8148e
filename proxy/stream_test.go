package proxy

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/balancerd/balancerd/directives/model"
)

func plainVHost(url string) *model.Config {
	vh := vhostCfg("front.test")
	vh.ProxyPass = []*model.ProxyPassRule{pass("/", url+"/")}
	return config(vh)
}

// TestSSEFlush: each server-sent event reaches the client while the
// backend is still streaming (the backend waits for the client's ack of
// event N before sending N+1, so buffering would deadlock, not just slow).
func TestSSEFlush(t *testing.T) {
	next := make(chan struct{})
	b := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(200)
		for i := 0; i < 3; i++ {
			fmt.Fprintf(w, "data: %d\n\n", i)
			w.(http.Flusher).Flush()
			<-next
		}
	}))
	defer b.Close()
	_, base := start(t, plainVHost(b.URL), Options{})
	res := get(t, nil, "GET", base+"/events", "front.test")
	defer res.Body.Close()
	br := bufio.NewReader(res.Body)
	for i := 0; i < 3; i++ {
		line, err := br.ReadString('\n')
		if err != nil || line != fmt.Sprintf("data: %d\n", i) {
			t.Fatalf("event %d: %q %v", i, line, err)
		}
		_, _ = br.ReadString('\n')
		next <- struct{}{}
	}
}

// TestUploadStreams: the backend receives the start of a chunked request
// body while the client is still sending it (the client sends the rest
// only after the backend reported the first part), so the proxy does not
// buffer whole bodies.
func TestUploadStreams(t *testing.T) {
	gotFirst := make(chan string, 1)
	b := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		br := bufio.NewReader(r.Body)
		line, _ := br.ReadString('\n')
		gotFirst <- line
		rest, _ := io.ReadAll(br)
		fmt.Fprintf(w, "%s%s", line, rest)
	}))
	defer b.Close()
	_, base := start(t, plainVHost(b.URL), Options{})
	pr, pw := io.Pipe()
	gotFirstSeen := make(chan struct{}, 1)
	go func() {
		fmt.Fprint(pw, "first\n")
		<-gotFirstSeen
		fmt.Fprint(pw, "second\n")
		pw.Close()
	}()
	req, _ := http.NewRequest("POST", base+"/up", pr)
	req.Host = "front.test"
	done := make(chan *http.Response, 1)
	go func() {
		res, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Error(err)
			close(done)
			return
		}
		done <- res
	}()
	if line := <-gotFirst; line != "first\n" {
		t.Fatalf("backend got %q first", line)
	}
	gotFirstSeen <- struct{}{}
	res := <-done
	if res == nil {
		return
	}
	if body := drain(res); body != "first\nsecond\n" {
		t.Fatalf("body %q", body)
	}
}

// TestLargeBodies moves 8 MiB each way.
func TestLargeBodies(t *testing.T) {
	const size = 8 << 20
	b := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		w.Header().Set("X-Got", fmt.Sprint(n))
		_, _ = io.Copy(w, io.LimitReader(zeros{}, size))
	}))
	defer b.Close()
	_, base := start(t, plainVHost(b.URL), Options{})
	req, _ := http.NewRequest("PUT", base+"/big", io.LimitReader(zeros{}, size))
	req.Host = "front.test"
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if n != size || res.Header.Get("X-Got") != fmt.Sprint(size) {
		t.Fatalf("download %d, upload %s", n, res.Header.Get("X-Got"))
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// TestHead: HEAD is forwarded as HEAD and the response has no body.
func TestHead(t *testing.T) {
	b := backend(t, "b")
	_, base := start(t, plainVHost(b.URL), Options{})
	res := rawDo(t, base, "HEAD /x HTTP/1.1\r\nHost: front.test\r\nConnection: close\r\n\r\n")
	body := drain(res)
	if res.StatusCode != 200 || body != "" || res.Header.Get("X-Backend") != "b" {
		t.Fatalf("HEAD: %d %q %v", res.StatusCode, body, res.Header)
	}
}

// TestExpectContinue: the backend's 100 Continue reaches the client
// before the client sends its body (Proxy100Continue On).
func TestExpectContinue(t *testing.T) {
	b := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "expect=%s body=%s", r.Header.Get("Expect"), body)
	}))
	defer b.Close()
	_, base := start(t, plainVHost(b.URL), Options{})
	c := dialRaw(t, base)
	fmt.Fprintf(c, "POST /x HTTP/1.1\r\nHost: front.test\r\nContent-Length: 5\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n")
	br := bufio.NewReader(c)
	line, err := br.ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "HTTP/1.1 100 ") {
		t.Fatalf("first line %q %v, want 100 Continue before the body", line, err)
	}
	for l, _ := br.ReadString('\n'); l != "\r\n" && l != ""; l, _ = br.ReadString('\n') {
	}
	_, _ = io.WriteString(c, "hello")
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if body := drain(res); body != "expect=100-continue body=hello" {
		t.Fatalf("body %q", body)
	}
}

// TestChunkedBodyPrefetch: a chunked request body that is complete at
// once reaches the backend with Content-Length (Apache's prefetch).
func TestChunkedBodyPrefetch(t *testing.T) {
	b := backend(t, "b")
	_, base := start(t, plainVHost(b.URL), Options{})
	s := decode(t, rawDo(t, base, "PUT /c HTTP/1.1\r\nHost: front.test\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"))
	if s.Body != "hello world" || s.CL != 11 || len(s.TE) != 0 {
		t.Fatalf("backend got %+v", s)
	}
}
