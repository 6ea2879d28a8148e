package proxy

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/balancerd/balancerd/directives/model"
)

// TestFailOnTimeout: a read timeout is a 502 without failover; with
// failontimeout=On the member goes into error, without it stays usable.
func TestFailOnTimeout(t *testing.T) {
	block := make(chan struct{})
	t.Cleanup(func() { close(block) })
	slow := rawBackend(t, func(c net.Conn) { readHead(c); <-block })
	for _, fot := range []bool{true, false} {
		vh := vhostCfg("front.test")
		m := worker(slow)
		m.Params.Timeout = 30 * time.Millisecond
		live := backend(t, "live")
		bc := balancerCfg("balancer://t", m, worker(live.URL))
		bc.FailOnTimeout = fot
		addBalancer(vh, bc)
		vh.ProxyPass = []*model.ProxyPassRule{pass("/", "balancer://t/")}
		s, base := start(t, config(vh), Options{})
		res := get(t, nil, "GET", base+"/x", "front.test") // byrequests: the slow member first
		if drain(res); res.StatusCode != http.StatusBadGateway {
			t.Fatalf("failontimeout=%v: status %d, want 502 (no failover on timeouts)", fot, res.StatusCode)
		}
		st := s.Registry().Lookup("balancer://t").Member(slow).StatusText()
		if strings.Contains(st, "Err") != fot {
			t.Errorf("failontimeout=%v: member status %q", fot, st)
		}
	}
}

// TestUnixSocketWorker: unix:/path|http://name/ workers dial the socket
// and send the URL's host.
func TestUnixSocketWorker(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "b.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Skipf("unix sockets: %v", err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("unix " + r.Host + " " + r.RequestURI))
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
	vh := vhostCfg("front.test")
	rule := pass("/u", "http://localhost/app")
	rule.Worker.UnixSocket = sock
	vh.ProxyPass = []*model.ProxyPassRule{rule}
	_, base := start(t, config(vh), Options{})
	if got := drain(get(t, nil, "GET", base+"/u/x", "front.test")); got != "unix localhost /app/x" {
		t.Fatalf("got %q", got)
	}
}

// TestBrokenResponseReleasesMember: a backend that dies in the middle of
// a body aborts the client connection, and the member is not left busy.
func TestBrokenResponseReleasesMember(t *testing.T) {
	broken := rawBackend(t, func(c net.Conn) {
		readHead(c)
		_, _ = c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789"))
	})
	vh := vhostCfg("front.test")
	addBalancer(vh, balancerCfg("balancer://b", worker(broken)))
	vh.ProxyPass = []*model.ProxyPassRule{pass("/", "balancer://b/")}
	s, base := start(t, config(vh), Options{})
	req, _ := http.NewRequest("GET", base+"/x", nil)
	req.Host = "front.test"
	// The client sees an aborted connection (before or after the headers,
	// depending on buffering), never a complete 100-byte body.
	if res, err := http.DefaultTransport.RoundTrip(req); err == nil {
		body, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err == nil || len(body) == 100 {
			t.Fatalf("broken body delivered as complete: %q", body)
		}
	}
	if n := s.Registry().Lookup("balancer://b").Member(broken).Busy(); n != 0 {
		t.Fatalf("member busy = %d after the exchange", n)
	}
}

// TestStalledRequestBody: a client that stops in the middle of its body
// is cut off after Timeout with 400; the backend never gets a complete
// request.
func TestStalledRequestBody(t *testing.T) {
	rc := &recorder{}
	b := rc.server(t)
	cfg := plainVHost(b.URL)
	cfg.Timeout = 50 * time.Millisecond
	_, base := start(t, cfg, Options{})
	c := dialRaw(t, base)
	_, _ = io.WriteString(c, "POST /x HTTP/1.1\r\nHost: front.test\r\nContent-Length: 10\r\n\r\nabc")
	all, err := io.ReadAll(c) // the connection closes after the response
	if err != nil {
		t.Fatalf("after %q: %v", all, err)
	}
	res, err := http.ReadResponse(bufio.NewReader(strings.NewReader(string(all))), nil)
	if err != nil {
		t.Fatal(err)
	}
	drain(res)
	if res.StatusCode != 400 {
		t.Fatalf("status %d, want 400", res.StatusCode)
	}
	if got := rc.got(); len(got) != 0 {
		t.Fatalf("backend received %q", got)
	}
}
