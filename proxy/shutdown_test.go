package proxy

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/balancerd/balancerd/directives/model"
)

// TestGracefulShutdown: after Shutdown starts, new connections are
// refused while the request in flight completes.
func TestGracefulShutdown(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	b := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
		_, _ = io.WriteString(w, "done")
	}))
	defer b.Close()
	s, err := New(plainVHost(b.URL), Options{ErrorLog: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve(ln) }()
	base := "http://" + ln.Addr().String()

	type result struct {
		status int
		body   string
		err    error
	}
	inflight := make(chan result, 1)
	go func() {
		req, _ := http.NewRequest("GET", base+"/slow", nil)
		req.Host = "front.test"
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			inflight <- result{err: err}
			return
		}
		inflight <- result{status: res.StatusCode, body: drain(res)}
	}()
	<-entered
	shutdownStarted := make(chan struct{})
	s.httpServer().RegisterOnShutdown(func() { close(shutdownStarted) })
	shutdownDone := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		shutdownDone <- s.Shutdown(ctx)
	}()
	<-shutdownStarted
	if c, err := net.Dial("tcp", ln.Addr().String()); err == nil {
		c.Close()
		t.Errorf("new connection accepted after Shutdown started")
	}
	close(release)
	r := <-inflight
	if r.err != nil || r.status != 200 || r.body != "done" {
		t.Fatalf("in-flight request: %+v", r)
	}
	if err := <-shutdownDone; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if err := <-served; err != http.ErrServerClosed {
		t.Fatalf("Serve returned %v", err)
	}
}

// TestReloadKeepsMemberState: a reload swaps the configuration at once
// and keeps the error state of members that still exist.
func TestReloadKeepsMemberState(t *testing.T) {
	live, other := backend(t, "live"), backend(t, "other")
	dead := deadURL(t)
	mk := func(extra string) *model.Config {
		vh := vhostCfg("front.test")
		addBalancer(vh, balancerCfg("balancer://c", worker(dead), worker(live.URL)))
		vh.ProxyPass = []*model.ProxyPassRule{pass("/", "balancer://c/")}
		if extra != "" {
			vh.ProxyPass = append([]*model.ProxyPassRule{pass("/new", extra+"/")}, vh.ProxyPass...)
		}
		return config(vh)
	}
	s, base := start(t, mk(""), Options{})
	if got := decode(t, get(t, nil, "GET", base+"/x", "front.test")).Name; got != "live" {
		t.Fatalf("went to %s", got)
	}
	if got := decode(t, get(t, nil, "GET", base+"/new/x", "front.test")).Name; got != "live" {
		t.Fatalf("before reload /new went to %s", got)
	}
	if err := s.Reload(mk(other.URL)); err != nil {
		t.Fatal(err)
	}
	if got := decode(t, get(t, nil, "GET", base+"/new/x", "front.test")).Name; got != "other" {
		t.Fatalf("after reload /new went to %s", got)
	}
	if st := s.Registry().Lookup("balancer://c").Member(dead).StatusText(); !strings.Contains(st, "Err") {
		t.Fatalf("member error state lost on reload: %q", st)
	}
}

// TestMaxKeepAliveRequests: the connection closes after the configured
// number of requests.
func TestMaxKeepAliveRequests(t *testing.T) {
	b := backend(t, "b")
	cfg := plainVHost(b.URL)
	cfg.MaxKeepAliveRequests = 3
	_, base := start(t, cfg, Options{})
	c := dialRaw(t, base)
	br := bufio.NewReader(c)
	for i := 1; i <= 3; i++ {
		_, _ = io.WriteString(c, "GET /x HTTP/1.1\r\nHost: front.test\r\n\r\n")
		res, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		drain(res)
		if res.Close != (i == 3) {
			t.Fatalf("request %d: Connection close = %v", i, res.Close)
		}
	}
}
