package proxy

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/balancerd/balancerd/directives/model"
)

// FuzzCleanURI: request paths are untrusted. The result is a clean
// absolute path (no "//", no "." or ".." segments) or an error status.
func FuzzCleanURI(f *testing.F) {
	for _, s := range []string{"/", "/a/../b", "/a//b/./c/", "/%2e%2e/x", "/a%2Fb", "/x%00", "/%zz", "/../../", "/é", "/a%"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		u, st := cleanURI(raw)
		if st != 0 {
			if st != 400 && st != 404 {
				t.Fatalf("status %d", st)
			}
			return
		}
		if !strings.HasPrefix(u, "/") {
			t.Fatalf("%q -> %q not absolute", raw, u)
		}
		if !strings.Contains(raw, "%") {
			if strings.Contains(u, "//") || strings.Contains(u, "/./") || strings.Contains(u, "/../") || strings.HasSuffix(u, "/..") || strings.HasSuffix(u, "/.") {
				t.Fatalf("%q -> %q not normalised", raw, u)
			}
		}
		// canonPath output only has safe characters.
		c := canonPath(u)
		for i := 0; i < len(c); i++ {
			if c[i] <= ' ' || c[i] >= 0x7f || c[i] == '?' || c[i] == '#' {
				t.Fatalf("canonPath(%q) = %q has %q", u, c, c[i])
			}
		}
	})
}

// FuzzAliasMatch: the match length never exceeds the URI and a match
// ends at a segment boundary unless the rule path ends with "/".
func FuzzAliasMatch(f *testing.F) {
	f.Add("/app/x", "/app")
	f.Add("/appx", "/app")
	f.Add("//a//b", "/a/")
	f.Fuzz(func(t *testing.T, uri, fake string) {
		n := aliasMatch(uri, fake)
		if n < 0 || n > len(uri) {
			t.Fatalf("aliasMatch(%q, %q) = %d", uri, fake, n)
		}
		if n > 0 && !strings.HasSuffix(fake, "/") && n < len(uri) && uri[n] != '/' {
			t.Fatalf("aliasMatch(%q, %q) = %d ends inside a segment", uri, fake, n)
		}
	})
}

// FuzzReverseCookie: backend Set-Cookie values are untrusted; mapping
// keeps every attribute other than path/domain byte for byte.
func FuzzReverseCookie(f *testing.F) {
	f.Add("a=1; Path=/app/x; Domain=backend.internal; HttpOnly")
	f.Add(";;path=;domain=")
	paths := []model.CookieRule{{Internal: "/app", Public: "/pub"}}
	domains := []model.CookieRule{{Internal: "backend", Public: "front"}}
	f.Fuzz(func(t *testing.T, v string) {
		out := reverseCookie(v, paths, domains)
		if strings.Count(out, ";") != strings.Count(v, ";") {
			t.Fatalf("%q -> %q changed the attribute count", v, out)
		}
		if reverseCookie(v, nil, nil) != v {
			t.Fatalf("no rules changed %q", v)
		}
	})
}

// FuzzDecide: any request Go's parser accepts goes through the routing
// decision (vhost, normalisation, ProxyPass, sections) without panicking,
// and a proxied decision names a backend URL with a scheme.
func FuzzDecide(f *testing.F) {
	vh := vhostCfg("front.test", "*.example.org")
	addBalancer(vh, balancerCfg("balancer://c", worker("http://127.0.0.1:1/app")))
	vh.ProxyPass = []*model.ProxyPassRule{pass("/x", "!"), pass("/enc", "http://127.0.0.1:1/e"), regexRule(`^/m/(.*)$`, "http://127.0.0.1:1/mm/$1"), pass("/", "balancer://c/")}
	vh.Locations = []*model.Section{{Kind: "Location", Path: "/loc", Dir: &model.DirConfig{Handler: "balancer-manager"}}}
	s, err := New(config(vh), Options{ErrorLog: io.Discard})
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{"GET / HTTP/1.1\r\nHost: front.test\r\n\r\n", "GET http://a.example.org/m/%41%2F?x HTTP/1.1\r\n\r\n",
		"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", "GET /../x HTTP/1.0\r\n\r\n", "CONNECT a:1 HTTP/1.1\r\nHost: a:1\r\n\r\n"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
		if err != nil {
			return
		}
		rt := s.decide(s.snap.Load(), r, &Explanation{})
		if rt.proxied() && !strings.Contains(rt.target, "://") {
			t.Fatalf("%q: target %q", raw, rt.target)
		}
	})
}

// FuzzLeanHead: whatever request head the lean front end accepts,
// net/http's parser accepts too and reads the same request from it
// (method, target, URL, Host, fields, Connection: close).
func FuzzLeanHead(f *testing.F) {
	for _, s := range []string{
		"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
		"HEAD /x?y=%20 HTTP/1.1\r\nhost: a.b:80\r\nuser-agent: x\r\nX-A:  v \r\nConnection: close\r\n\r\n",
		"GET /a HTTP/1.1\r\nHost: a\r\nCookie: a=1\r\nCookie: b=2\r\nPragma: no-cache\r\n\r\n",
		"GET //x/../y HTTP/1.1\r\nHost: [::1]:8080\r\nx-forwarded-FOR: 1\r\n\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, head []byte) {
		i := bytes.Index(head, []byte("\r\n\r\n"))
		if i < 0 {
			return
		}
		head = head[:i+4]
		got, ok := parseLeanHead(head, nil)
		if !ok {
			return
		}
		want, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(head)))
		if err != nil {
			t.Fatalf("lean accepted %q, net/http refuses it: %v", head, err)
		}
		// ReadRequest moves Host out of the header, as the server does.
		if want.Host != got.Host || bytes.Count(bytes.ToLower(head), []byte("\nhost:")) != 1 {
			t.Fatalf("%q: Host %q, net/http %q", head, got.Host, want.Host)
		}
		for k, vs := range want.Header {
			if !validFieldName(k) {
				t.Fatalf("%q: net/http's server refuses field name %q", head, k)
			}
			for _, v := range vs {
				if !validFieldValue(v) {
					t.Fatalf("%q: net/http's server refuses value %q", head, v)
				}
			}
		}
		if got.Method != want.Method || got.RequestURI != want.RequestURI || got.URL.String() != want.URL.String() ||
			got.Close != want.Close || got.Proto != want.Proto || !reflect.DeepEqual(got.Header, want.Header) ||
			want.ContentLength != 0 || len(want.TransferEncoding) != 0 {
			t.Fatalf("%q:\nlean     %s %s %v close=%v %v\nnet/http %s %s %v close=%v %v cl=%d te=%v", head,
				got.Method, got.RequestURI, got.URL, got.Close, got.Header,
				want.Method, want.RequestURI, want.URL, want.Close, want.Header, want.ContentLength, want.TransferEncoding)
		}
	})
}

// FuzzLeanResponse: a backend response the lean reader accepts reads the
// same with http.ReadResponse: status, fields, length, close, body.
func FuzzLeanResponse(f *testing.F) {
	for _, s := range []string{
		"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello",
		"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nConnection: close\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 10\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nPragma: no-cache\r\n\r\nshort",
		"HTTP/1.1 302\r\nLocation: http://x/\r\nContent-Length: 0\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		req := &http.Request{Method: http.MethodGet}
		i := bytes.Index(raw, []byte("\r\n\r\n"))
		if i < 0 {
			return
		}
		if _, ok := parseLeanResponse(raw[:i+4], req); !ok {
			return
		}
		got, err := readResponse(bufio.NewReader(bytes.NewReader(raw)), req)
		if err != nil {
			t.Fatalf("%q: lean path failed: %v", raw, err)
		}
		want, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(raw)), req)
		if err != nil {
			t.Fatalf("lean accepted %q, net/http refuses it: %v", raw, err)
		}
		gotBody, gotErr := io.ReadAll(got.Body)
		wantBody, wantErr := io.ReadAll(want.Body)
		if got.Status != want.Status || got.StatusCode != want.StatusCode || got.Proto != want.Proto ||
			got.ContentLength != want.ContentLength || got.Close != want.Close ||
			!reflect.DeepEqual(got.Header, want.Header) || !bytes.Equal(gotBody, wantBody) || (gotErr == nil) != (wantErr == nil) {
			t.Fatalf("%q:\nlean     %q %d %v cl=%d close=%v body=%q err=%v\nnet/http %q %d %v cl=%d close=%v body=%q err=%v", raw,
				got.Status, got.StatusCode, got.Header, got.ContentLength, got.Close, gotBody, gotErr,
				want.Status, want.StatusCode, want.Header, want.ContentLength, want.Close, wantBody, wantErr)
		}
	})
}
