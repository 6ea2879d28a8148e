package proxy

import (
	"context"
	"io"
	"net"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/balancerd/balancerd/directives/model"
)

func listen(t *testing.T, addr string) (net.Listener, int) {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("cannot listen on %s: %v", addr, err)
	}
	return ln, ln.Addr().(*net.TCPAddr).Port
}

// TestVHostSelection is spec 2.3: the address phase (exact IP:port,
// IP:*, *:port, *:*, main server) then the name phase (ServerName,
// ServerAlias wildcards, first vhost as default; the Host port ignored).
func TestVHostSelection(t *testing.T) {
	ln1, p1 := listen(t, "127.0.0.1:0")
	ln2, _ := listen(t, "127.0.0.2:"+strconv.Itoa(p1))
	ln3, p3 := listen(t, "127.0.0.1:0")
	names := []string{"a", "b", "c", "d", "e"}
	backends := map[string]string{}
	for _, n := range names {
		backends[n] = backend(t, n).URL
	}
	mk := func(name string, addr model.VHostAddr, aliases ...string) *model.Server {
		vh := vhostCfg(name+".test", aliases...)
		vh.Addrs = []model.VHostAddr{addr}
		vh.ProxyPass = []*model.ProxyPassRule{pass("/", backends[name]+"/")}
		return vh
	}
	cfg := config(
		mk("a", model.VHostAddr{Host: "*", Port: p1, Text: "*:" + strconv.Itoa(p1)}, "*.wild.test", "al?as.test"),
		mk("b", model.VHostAddr{Host: "*", Port: p1, Text: "*:" + strconv.Itoa(p1)}),
		mk("c", model.VHostAddr{Host: "127.0.0.2", Port: p1, Text: "127.0.0.2:" + strconv.Itoa(p1)}),
		mk("d", model.VHostAddr{Host: "*", Text: "*"}),
		mk("e", model.VHostAddr{Host: "byaddr.test", Port: p1, Text: "byaddr.test:" + strconv.Itoa(p1)}),
	)
	cfg.Main.ProxyPass = nil
	s, err := New(cfg, Options{ErrorLog: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = s.Serve(ln1, ln2, ln3); close(done) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.Shutdown(ctx)
		<-done
	})
	u1 := "http://" + ln1.Addr().String()
	u2 := "http://" + ln2.Addr().String()
	u3 := "http://127.0.0.1:" + strconv.Itoa(p3)
	tests := []struct {
		base, host, want string
	}{
		{u1, "a.test", "a"},
		{u1, "b.test", "b"},
		{u1, "B.TEST:9999", "b"}, // case-insensitive, Host port ignored
		{u1, "x.y.wild.test", "a"},
		{u1, "alias.test", "a"},
		{u1, "unknown.test", "a"}, // first vhost of the address is the default
		{u1, "d.test", "a"},       // d is not a candidate: *:p1 vhosts win over *:*
		{u2, "a.test", "c"},       // exact IP:port beats wildcards
		{u3, "a.test", "d"},       // other port: only *:* matches
		{u3, "", "d"},
	}
	for _, tc := range tests {
		var got string
		if tc.host == "" {
			res := rawDo(t, tc.base, "GET /who HTTP/1.0\r\n\r\n")
			got = decode(t, res).Name
		} else {
			got = decode(t, rawGet(t, tc.base, "/who", tc.host)).Name
		}
		if got != tc.want {
			t.Errorf("%s Host %q: served by %s, want %s", tc.base, tc.host, got, tc.want)
		}
	}
	// HTTP/1.1 without Host is a 400.
	res := rawDo(t, u1, "GET /who HTTP/1.1\r\n\r\n")
	if res.StatusCode != 400 {
		t.Errorf("HTTP/1.1 without Host: status %d, want 400", res.StatusCode)
	}
	drain(res)
}

// TestVHostMainServer: no vhost for the address → the main server serves.
func TestVHostMainServer(t *testing.T) {
	a, m := backend(t, "a"), backend(t, "main")
	vh := vhostCfg("a.test")
	vh.Addrs = []model.VHostAddr{{Host: "127.0.0.3", Port: 1, Text: "127.0.0.3:1"}}
	vh.ProxyPass = []*model.ProxyPassRule{pass("/", a.URL+"/")}
	cfg := config(vh)
	cfg.Main.ProxyPass = []*model.ProxyPassRule{pass("/", m.URL+"/")}
	_, base := start(t, cfg, Options{})
	if got := decode(t, rawGet(t, base, "/", "a.test")).Name; got != "main" {
		t.Fatalf("served by %s, want main", got)
	}
}

func TestGlobMatch(t *testing.T) {
	tests := []struct {
		p, s string
		want bool
	}{
		{"*.example.org", "a.example.org", true},
		{"*.example.org", "a.b.example.org", true},
		{"*.example.org", "example.org", false},
		{"*.EXAMPLE.org", "x.example.ORG", true},
		{"w?w.x", "www.x", true},
		{"w?w.x", "ww.x", false},
		{"*", "", true},
		{"a*b*c", "axxbyyc", true},
		{"a*b*c", "axxbyy", false},
	}
	for _, tc := range tests {
		if got := globMatch(tc.p, tc.s); got != tc.want {
			t.Errorf("globMatch(%q, %q) = %v", tc.p, tc.s, got)
		}
	}
}

func TestProxySectionMatch(t *testing.T) {
	star := &model.Section{Kind: "Proxy", Path: "*", Regex: regexp.MustCompile(`^[^/]*$`)}
	pre := &model.Section{Kind: "Proxy", Path: "http://127.0.0.1:39101/foo"}
	wild := &model.Section{Kind: "Proxy", Path: "http://b/*.gif"}
	tests := []struct {
		sec  *model.Section
		url  string
		want bool
	}{
		{star, "balancer://mycluster/forum/x?y=1", true}, // '*' crosses '/'
		{pre, "http://127.0.0.1:39101/foobar", true},     // plain prefix, not segment-aware
		{pre, "http://127.0.0.1:39101/fo", false},
		{pre, "http://127.0.0.1:39101/FOO", false},
		{wild, "http://b/img/a.gif", true},
		{wild, "http://b/img/a.png", false},
	}
	for _, tc := range tests {
		if got := proxySectionMatches(tc.sec, tc.url); got != tc.want {
			t.Errorf("<Proxy %s> vs %s: %v", tc.sec.Path, tc.url, got)
		}
	}
}
