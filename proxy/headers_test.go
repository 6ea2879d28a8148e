package proxy

import (
	"io"
	"net"
	"strings"
	"testing"

	"github.com/balancerd/balancerd/directives/model"
)

// TestRequestHeaders is spec 3.8: Host, hop-by-hop removal,
// X-Forwarded-* appended, Via, Max-Forwards.
func TestRequestHeaders(t *testing.T) {
	b := backend(t, "b")
	vh := vhostCfg("front.test")
	vh.ProxyPass = []*model.ProxyPassRule{pass("/p", b.URL+"/p")}
	vh.Proxy.Via = model.ViaOn
	_, base := start(t, config(vh), Options{})
	res := rawDo(t, base, "GET /p/x HTTP/1.1\r\nHost: orig.example:8080\r\n"+
		"Connection: close, X-Hop\r\nX-Hop: 1\r\nKeep-Alive: 3\r\nTE: trailers\r\nProxy-Connection: x\r\nUpgrade: h2c\r\n"+
		"X-Forwarded-For: 1.2.3.4\r\nX-Forwarded-Host: a.example\r\nX-Forwarded-Server: s0\r\nVia: 1.0 upstream\r\n"+
		"Max-Forwards: 5\r\nX-Keep: yes\r\n\r\n")
	s := decode(t, res)
	h := s.Header
	want := map[string]string{
		"X-Forwarded-For":    "1.2.3.4, 127.0.0.1",
		"X-Forwarded-Host":   "a.example, orig.example:8080",
		"X-Forwarded-Server": "s0, front.test",
		"Via":                "1.0 upstream, 1.1 front.test", // no port: ServerName has none
		"Max-Forwards":       "4",
		"X-Keep":             "yes",
	}
	for k, v := range want {
		if got := h.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	for _, k := range []string{"X-Hop", "Keep-Alive", "Te", "Proxy-Connection", "Upgrade"} {
		if v, ok := h[k]; ok {
			t.Errorf("hop-by-hop %s forwarded: %q", k, v)
		}
	}
	if wantHost := strings.TrimPrefix(b.URL, "http://"); s.Host != wantHost {
		t.Errorf("Host = %q, want %q (ProxyPreserveHost Off)", s.Host, wantHost)
	}
}

func TestPreserveHostAndAddHeadersOff(t *testing.T) {
	b := backend(t, "b")
	vh := vhostCfg("front.test")
	vh.ProxyPass = []*model.ProxyPassRule{pass("/p", b.URL+"/p"), pass("/q", b.URL+"/q")}
	vh.Proxy.PreserveHost = true
	off := false
	vh.Locations = []*model.Section{{Kind: "Location", Path: "/q", Dir: &model.DirConfig{AddHeaders: &off, PreserveHost: &off}}}
	_, base := start(t, config(vh), Options{})
	s := decode(t, rawGet(t, base, "/p/x", "Public.Example:81"))
	if s.Host != "Public.Example:81" {
		t.Errorf("ProxyPreserveHost On: Host = %q", s.Host)
	}
	s = decode(t, rawDo(t, base, "GET /q/x HTTP/1.1\r\nHost: public.example\r\nX-Forwarded-For: 9.9.9.9\r\nConnection: close\r\n\r\n"))
	if got := s.Header.Get("X-Forwarded-For"); got != "9.9.9.9" {
		t.Errorf("ProxyAddHeaders Off in <Location>: X-Forwarded-For = %q", got)
	}
	if s.Header.Get("X-Forwarded-Server") != "" {
		t.Errorf("ProxyAddHeaders Off: X-Forwarded-Server added")
	}
	if wantHost := strings.TrimPrefix(b.URL, "http://"); s.Host != wantHost {
		t.Errorf("per-dir ProxyPreserveHost Off: Host = %q, want %q", s.Host, wantHost)
	}
}

func TestMaxForwardsZero(t *testing.T) {
	b := backend(t, "b")
	vh := vhostCfg("front.test")
	vh.ProxyPass = []*model.ProxyPassRule{pass("/p", b.URL+"/p")}
	_, base := start(t, config(vh), Options{})
	res := rawDo(t, base, "GET /p HTTP/1.1\r\nHost: front.test\r\nMax-Forwards: 0\r\n\r\n")
	body := drain(res)
	if res.StatusCode != 400 || !strings.Contains(body, "Max-Forwards has reached zero - proxy loop?") {
		t.Fatalf("status %d body %q", res.StatusCode, body)
	}
	if res.Header.Get("Connection") != "close" && !res.Close {
		t.Errorf("400 without Connection: close")
	}
}

// TestResponseHopByHop: headers the backend's Connection names are
// removed, also when it says "close" (Go's client drops that Connection
// header itself), as are the standard hop-by-hop headers.
func TestResponseHopByHop(t *testing.T) {
	for _, conn := range []string{"X-Secret, close", "X-Secret"} {
		b := rawBackend(t, func(c net.Conn) {
			readHead(c)
			_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nConnection: "+conn+"\r\nX-Secret: 1\r\nKeep-Alive: timeout=5\r\n"+
				"Proxy-Authenticate: Basic realm=x\r\nUpgrade: h2c\r\nX-Kept: yes\r\nContent-Length: 2\r\n\r\nok")
		})
		vh := vhostCfg("front.test")
		vh.ProxyPass = []*model.ProxyPassRule{pass("/", b+"/")}
		_, base := start(t, config(vh), Options{})
		res := rawGet(t, base, "/hop", "front.test")
		drain(res)
		for _, k := range []string{"X-Secret", "Keep-Alive", "Proxy-Authenticate", "Upgrade"} {
			if v := res.Header.Get(k); v != "" {
				t.Errorf("Connection: %s: %s %q passed through", conn, k, v)
			}
		}
		if res.Header.Get("X-Kept") != "yes" {
			t.Errorf("X-Kept lost")
		}
	}
}

// TestViaModes: ProxyVia Full adds the server software; Block removes the
// client's Via; Off passes it through. Proxy100Continue Off: the backend
// sees no Expect.
func TestViaModes(t *testing.T) {
	b := backend(t, "b")
	for _, tc := range []struct {
		mode model.ViaMode
		want string
	}{
		{model.ViaFull, "1.0 up, 1.1 front.test (Apache/2.4.67 (Debian))"},
		{model.ViaBlock, ""},
		{model.ViaOff, "1.0 up"},
	} {
		vh := vhostCfg("front.test")
		vh.ProxyPass = []*model.ProxyPassRule{pass("/", b.URL+"/")}
		vh.Proxy.Via = tc.mode
		vh.Proxy.Continue100 = false
		_, base := start(t, config(vh), Options{ServerHeader: "Apache/2.4.67 (Debian)"})
		s := decode(t, rawDo(t, base, "POST /x HTTP/1.1\r\nHost: front.test\r\nVia: 1.0 up\r\nExpect: 100-continue\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi"))
		if got := s.Header.Get("Via"); got != tc.want {
			t.Errorf("ProxyVia %d: backend Via %q, want %q", tc.mode, got, tc.want)
		}
		if s.Header.Get("Expect") != "" || s.Body != "hi" {
			t.Errorf("Proxy100Continue Off: Expect %q body %q", s.Header.Get("Expect"), s.Body)
		}
	}
}
