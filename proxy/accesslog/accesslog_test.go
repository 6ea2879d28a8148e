package accesslog

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/balancerd/balancerd/directives/model"
	"github.com/balancerd/balancerd/proxy"
)

func entry() *proxy.LogEntry {
	r := httptest.NewRequest("GET", "/app/x?q=1", nil)
	r.RemoteAddr = "192.0.2.7:40000"
	r.Host = "www.example.com:8080"
	r.Header.Set("User-Agent", "curl/8 \"quoted\"")
	r.Header.Set("Cookie", "JSESSIONID=abc.n1; other=1")
	r = r.WithContext(context.WithValue(r.Context(), http.LocalAddrContextKey, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080}))
	start := time.Date(2011, 9, 18, 19, 18, 28, 123456000, time.FixedZone("", -4*3600))
	return &proxy.LogEntry{Request: r, Server: &model.Server{ServerName: "www.example.com"}, Start: start,
		Duration: 1500 * time.Microsecond, Status: 200, Bytes: 1234, HeaderBytes: 100, RequestBytes: 80,
		Header: http.Header{"Set-Cookie": {"a=1", "b=2"}}, User: "admin", Handler: "proxy-server",
		Env: map[string]string{"BALANCER_WORKER_ROUTE": "n1", "BALANCER_SESSION_ROUTE": "n1"}}
}

func TestFormats(t *testing.T) {
	e := entry()
	tests := []struct{ format, want string }{
		{DefaultFormat, `192.0.2.7 - admin [18/Sep/2011:19:18:28 -0400] "GET /app/x?q=1 HTTP/1.1" 200 1234`},
		{`%h %l %u %t \"%r\" %>s %O \"%{Referer}i\" \"%{User-Agent}i\"`, `192.0.2.7 - admin [18/Sep/2011:19:18:28 -0400] "GET /app/x?q=1 HTTP/1.1" 200 1334 "-" "curl/8 \"quoted\""`},
		{`%v:%p %{JSESSIONID}C %{BALANCER_WORKER_ROUTE}e %{BALANCER_ROUTE_CHANGED}e %{session-route}n`, `www.example.com:8080 abc.n1 n1 - n1`},
		{`%D %T %{ms}T %m %U %q %H %R %A %{remote}p`, `1500 0 1 GET /app/x ?q=1 HTTP/1.1 proxy-server 127.0.0.1 40000`},
		{`%{Set-Cookie}o %400,501{User-Agent}i %!400{Cookie}C %%`, `a=1, b=2 - - %`},
		{`%{%Y-%m-%d %H:%M:%S}t %{msec_frac}t %{end:sec}t`, `2011-09-18 19:18:28 123 1316387908`},
		{`%V %X %I %S %B`, `www.example.com + 80 1414 1234`},
	}
	for _, tc := range tests {
		f, err := Compile(tc.format)
		if err != nil {
			t.Fatalf("%s: %v", tc.format, err)
		}
		if got := string(f.Append(nil, e)); got != tc.want {
			t.Errorf("%s\n got %s\nwant %s", tc.format, got, tc.want)
		}
	}
	if _, err := Compile("%Z"); err == nil {
		t.Errorf("%%Z accepted")
	}
	e.Bytes = 0
	f, _ := Compile("%b %B")
	if got := string(f.Append(nil, e)); got != "- 0" {
		t.Errorf("zero bytes: %q", got)
	}
}

func TestEscaping(t *testing.T) {
	e := entry()
	e.Request.Header.Set("X-Bad", "a\"b\\c\x01\xe9\n")
	f, _ := Compile("%{X-Bad}i")
	if got := string(f.Append(nil, e)); got != `a\"b\\c\x01\xe9\n` {
		t.Errorf("escaped %q", got)
	}
}

// TestLoggerThroughServer: requests served by a proxy.Server land in the
// vhost's CustomLog with BALANCER_* values; env= conditions apply.
func TestLoggerThroughServer(t *testing.T) {
	b := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") }))
	defer b.Close()
	dir := t.TempDir()
	m := &model.Worker{Name: b.URL, Scheme: "http", Params: model.WorkerParams{LoadFactor: 100, Status: model.StatusInit, Route: "n1", Retry: time.Minute}}
	bal := &model.Balancer{Name: "balancer://c", Members: []*model.Worker{m}, LBMethod: "byrequests", StickySep: ".", StickyCookie: "R", StickyParam: "R", MaxAttempts: -1, ForceRecovery: true}
	vh := &model.Server{Addrs: []model.VHostAddr{{Host: "*", Text: "*"}}, ServerName: "front.test", Dir: &model.DirConfig{},
		Proxy:         model.ProxySettings{AddHeaders: true, Continue100: true, MaxForwards: -1},
		Balancers:     map[string]*model.Balancer{"balancer://c": bal},
		BalancerOrder: []string{"balancer://c"},
		ProxyPass:     []*model.ProxyPassRule{{Path: "/", URL: "balancer://c/", Balancer: "balancer://c"}},
		CustomLogs: []model.CustomLog{
			{Target: "access.log", Format: `%>s %U route=%{BALANCER_WORKER_ROUTE}e changed=%{BALANCER_ROUTE_CHANGED}e`},
			{Target: filepath.Join(dir, "changed.log"), Format: "%U", EnvCond: "env=BALANCER_ROUTE_CHANGED"},
		}}
	cfg := &model.Config{ServerRoot: dir, Main: &model.Server{Dir: &model.DirConfig{}}, VirtualHosts: []*model.Server{vh}, Timeout: time.Minute}
	l, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s, err := proxy.New(cfg, proxy.Options{AccessLog: l.Log, ErrorLog: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	go func() { _ = s.Serve(ln) }()
	defer s.Shutdown(context.Background())
	for _, c := range []string{"", "R=x.n1"} {
		req, _ := http.NewRequest("GET", "http://"+ln.Addr().String()+"/p", nil)
		req.Host = "front.test"
		if c != "" {
			req.Header.Set("Cookie", c)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(filepath.Join(dir, "access.log"))
	if want := "200 /p route=n1 changed=1\n200 /p route=n1 changed=-\n"; string(got) != want {
		t.Errorf("access.log:\n%s\nwant\n%s", got, want)
	}
	got, _ = os.ReadFile(filepath.Join(dir, "changed.log"))
	if strings.Count(string(got), "/p\n") != 1 {
		t.Errorf("changed.log: %q", got)
	}
}

// FuzzCompile: LogFormat strings come from configuration files; Compile
// never panics and what it accepts renders.
func FuzzCompile(f *testing.F) {
	for _, s := range []string{DefaultFormat, `%{Referer}i %400,501{X}i %!200>s %{%Y}t %^ti`, `%`, `%{`, `\`} {
		f.Add(s)
	}
	e := entry()
	f.Fuzz(func(t *testing.T, s string) {
		fm, err := Compile(s)
		if err != nil {
			return
		}
		_ = fm.Append(nil, e)
	})
}

func BenchmarkCombined(b *testing.B) {
	f, _ := Compile(`%h %l %u %t \"%r\" %>s %O \"%{Referer}i\" \"%{User-Agent}i\"`)
	e := entry()
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		buf = f.Append(buf[:0], e)
	}
}
