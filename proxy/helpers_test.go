package proxy

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/balancerd/balancerd/directives/model"
)

// seen is what a test backend received; backends answer it as JSON.
type seen struct {
	Name   string      `json:"name"`
	Method string      `json:"method"`
	URI    string      `json:"uri"`
	Host   string      `json:"host"`
	Header http.Header `json:"header"`
	Body   string      `json:"body"`
	CL     int64       `json:"cl"`
	TE     []string    `json:"te"`
}

// backend starts an httptest server that answers its own name and what it
// received.
func backend(t testing.TB, name string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Backend", name)
		_ = json.NewEncoder(w).Encode(seen{Name: name, Method: r.Method, URI: r.RequestURI, Host: r.Host, Header: r.Header, Body: string(body), CL: r.ContentLength, TE: r.TransferEncoding})
	}))
	t.Cleanup(srv.Close)
	return srv
}

// worker builds a model.Worker for rawURL as package directives would.
func worker(rawURL string) *model.Worker {
	scheme, auth, p := splitURL(rawURL)
	host, port := auth, 80
	if h, ps, err := net.SplitHostPort(auth); err == nil {
		host = h
		port, _ = strconv.Atoi(ps)
	}
	if scheme == "https" && !strings.Contains(auth, ":") {
		port = 443
	}
	return &model.Worker{Name: rawURL, Scheme: scheme, Host: host, Port: port, Path: p,
		Params: model.WorkerParams{LoadFactor: 100, Retry: 60 * time.Second, Status: model.StatusInit, Set: map[string]bool{}}}
}

// pass builds a ProxyPass rule.
func pass(path, url string, opts ...func(*model.ProxyPassRule)) *model.ProxyPassRule {
	r := &model.ProxyPassRule{Path: path, URL: url}
	if url == "!" {
		r.Exclude, r.URL = true, ""
	} else if strings.HasPrefix(url, "balancer://") {
		name := url
		if i := strings.IndexByte(url[len("balancer://"):], '/'); i >= 0 {
			name = url[:len("balancer://")+i]
		}
		r.Balancer = strings.ToLower(name)
	} else {
		r.Worker = worker(url)
	}
	for _, o := range opts {
		o(r)
	}
	return r
}

// vhostCfg is a *:port-less vhost (any address, any port).
func vhostCfg(name string, aliases ...string) *model.Server {
	return &model.Server{
		Addrs:       []model.VHostAddr{{Host: "*", Text: "*"}},
		ServerName:  name,
		ServerAlias: aliases,
		Proxy:       defaultProxySettings(),
		Balancers:   map[string]*model.Balancer{},
		Workers:     map[string]*model.Worker{},
		Dir:         &model.DirConfig{},
	}
}

func defaultProxySettings() model.ProxySettings {
	return model.ProxySettings{AddHeaders: true, MaxForwards: -1, Continue100: true, IOBufferSize: 8192,
		PassInherit: true, BalancerInherit: true, BadHeader: "isError"}
}

// balancerCfg builds a balancer with members.
func balancerCfg(name string, members ...*model.Worker) *model.Balancer {
	return &model.Balancer{Name: name, Members: members, LBMethod: "byrequests", StickySep: ".",
		MaxAttempts: -1, ForceRecovery: true, Set: map[string]bool{}}
}

func addBalancer(s *model.Server, b *model.Balancer) {
	s.Balancers[b.Name] = b
	s.BalancerOrder = append(s.BalancerOrder, b.Name)
}

func config(vhosts ...*model.Server) *model.Config {
	main := &model.Server{ServerName: "main.test", Proxy: defaultProxySettings(), Dir: &model.DirConfig{},
		Balancers: map[string]*model.Balancer{}, Workers: map[string]*model.Worker{}}
	return &model.Config{Main: main, VirtualHosts: vhosts, Timeout: 60 * time.Second, KeepAlive: true,
		KeepAliveTimeout: 5 * time.Second, MaxKeepAliveRequests: 100}
}

// start serves cfg on a loopback port and returns the server and its base
// URL ("http://127.0.0.1:PORT").
func start(t testing.TB, cfg *model.Config, opts Options) (*Server, string) {
	t.Helper()
	if opts.ErrorLog == nil {
		opts.ErrorLog = io.Discard
	}
	s, err := New(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s, "http://" + serveLoopback(t, s)
}

// serveLoopback serves s on a loopback port until the test ends and
// returns the address.
func serveLoopback(t testing.TB, s *Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = s.Serve(ln); close(done) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.Shutdown(ctx)
		<-done
	})
	return ln.Addr().String()
}

// get sends a request through the proxy with an optional Host.
func get(t testing.TB, c *http.Client, method, url, host string, hdr ...string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Add(hdr[i], hdr[i+1])
	}
	if c == nil {
		c = noRedirect
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	return res
}

var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// decode reads a backend's JSON answer.
func decode(t testing.TB, res *http.Response) seen {
	t.Helper()
	defer res.Body.Close()
	var s seen
	b, _ := io.ReadAll(res.Body)
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatalf("status %d, body %q: not a backend answer: %v", res.StatusCode, b, err)
	}
	return s
}

func drain(res *http.Response) string {
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	return string(b)
}

// rawDo sends raw request bytes on a new connection to base and reads one
// response.
func rawDo(t testing.TB, base, raw string) *http.Response {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	for {
		res, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("reading response to %q: %v", raw, err)
		}
		if res.StatusCode >= 200 || res.StatusCode == http.StatusSwitchingProtocols {
			return res
		}
	}
}

// rawGet sends "METHOD target HTTP/1.1" with Host host and reads the answer.
func rawGet(t testing.TB, base, target, host string) *http.Response {
	return rawDo(t, base, "GET "+target+" HTTP/1.1\r\nHost: "+host+"\r\nConnection: close\r\n\r\n")
}

func dialRaw(t testing.TB, base string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}
