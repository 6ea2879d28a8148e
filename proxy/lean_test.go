package proxy

import (
	"bufio"
	"bytes"
	"fmt"
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

// startFront serves cfg like start, with the lean front end on or off.
func startFront(t *testing.T, cfg *model.Config, lean bool) (*Server, string) {
	t.Helper()
	s, err := New(cfg, Options{ErrorLog: io.Discard, ServerHeader: "Apache/2.4.67 (Debian)"})
	if err != nil {
		t.Fatal(err)
	}
	s.leanOff = !lean
	return s, serveLoopback(t, s)
}

// variedBackend answers by path with the response shapes a proxy must
// frame: lengths, chunking, no body, trailers, redirects, closes.
func variedBackend(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Seen-Host", r.Host)
		h.Set("X-Seen-Uri", r.RequestURI)
		for _, k := range []string{"X-Forwarded-For", "X-Forwarded-Host", "Cookie", "Accept", "Cache-Control", "Pragma", "User-Agent", "X-Custom-Header", "X-A"} {
			if v, ok := r.Header[k]; ok {
				h["X-Seen-"+k] = v
			}
		}
		switch p := r.URL.Path; {
		case strings.HasSuffix(p, "/small"):
			io.WriteString(w, "hello\n")
		case strings.HasSuffix(p, "/chunked"):
			for i := 0; i < 5; i++ {
				io.WriteString(w, strings.Repeat("x", 1000))
				w.(http.Flusher).Flush()
			}
		case strings.HasSuffix(p, "/big"):
			h.Set("Content-Length", "100000")
			io.WriteString(w, strings.Repeat("b", 100000))
		case strings.HasSuffix(p, "/304"):
			h.Set("ETag", `"v1"`)
			w.WriteHeader(http.StatusNotModified)
		case strings.HasSuffix(p, "/204"):
			w.WriteHeader(http.StatusNoContent)
		case strings.HasSuffix(p, "/trailer"):
			h.Set("Trailer", "X-Sum")
			io.WriteString(w, "body")
			h.Set("X-Sum", "42")
		case strings.HasSuffix(p, "/notype"):
			h["Content-Type"] = nil
			io.WriteString(w, "<html><body>sniff me</body></html>")
		case strings.HasSuffix(p, "/redirect"):
			h.Set("Location", "http://"+r.Host+"/elsewhere")
			w.WriteHeader(http.StatusFound)
		case strings.HasSuffix(p, "/close"):
			h.Set("Connection", "close")
			io.WriteString(w, "bye")
		case strings.HasSuffix(p, "/empty"):
		case strings.HasSuffix(p, "/500"):
			http.Error(w, "backend broke", http.StatusInternalServerError)
		default:
			io.WriteString(w, "default "+r.Method+"\n")
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// exchangeLean writes raw on a new connection and reads n responses (HEAD
// responses have no body), returning the bytes read, Date lines
// blanked, and whether the connection was closed after them.
func exchangeLean(t *testing.T, addr, raw string, methods []string) (string, bool) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Error(err)
		return "", false
	}
	defer c.Close()
	if _, err := io.WriteString(c, raw); err != nil {
		t.Error(err)
		return "", false
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	// Each response as its raw head, then its body decoded (chunk sizes
	// follow the backend's timing) and its trailers.
	var got bytes.Buffer
	var out strings.Builder
	br := bufio.NewReader(io.TeeReader(c, &got))
	for _, m := range methods {
		start := got.Len() - br.Buffered()
		res, err := http.ReadResponse(br, &http.Request{Method: m})
		if err != nil {
			out.WriteString("[read error: " + err.Error() + "]")
			break
		}
		out.Write(got.Bytes()[start : got.Len()-br.Buffered()])
		body, err := io.ReadAll(res.Body)
		res.Body.Close()
		out.WriteString("[body " + strconv.Quote(string(body)) + "]")
		if err != nil {
			out.WriteString("[body error: " + err.Error() + "]")
		}
		if len(res.Trailer) > 0 {
			out.WriteString("[trailer " + fmt.Sprint(res.Trailer) + "]")
		}
		out.WriteString("\n")
	}
	// Closed? A closed connection reads EOF at once; an open one times out.
	_ = c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	_, err = br.ReadByte()
	closed := err != nil && !isTimeout(err)
	return dateLine.ReplaceAllString(out.String(), "Date: *\r\n"), closed
}

// TestLeanFrontEndDifferential sends the same raw requests to a server
// using the lean front end and to one using net/http's server only, and
// requires the same bytes back (Date aside) and the same connection fate.
// It covers the requests the lean path serves and those it hands over
// (with bytes it had already read), alone, pipelined and mixed.
func TestLeanFrontEndDifferential(t *testing.T) {
	be := variedBackend(t)
	b2 := variedBackend(t)
	newCfg := func() *model.Config {
		vh := vhostCfg("www.example.com")
		bal := balancerCfg("balancer://c", worker(be.URL), worker(b2.URL))
		bal.StickyCookie = "BALANCEID"
		addBalancer(vh, bal)
		dead := httptest.NewServer(http.NotFoundHandler())
		dead.Close()
		vh.ProxyPass = []*model.ProxyPassRule{
			pass("/app/", "balancer://c/"),
			pass("/direct/", be.URL+"/"),
			pass("/down/", dead.URL+"/"),
		}
		vh.Dir.Reverse = []model.ReverseRule{{Path: "/direct/", URL: be.URL + "/"}}
		return config(vh)
	}
	leanSrv, lean := startFront(t, newCfg(), true)
	stdSrv, std := startFront(t, newCfg(), false)

	const host = "Host: www.example.com\r\n"
	get := func(path string, hdrs ...string) string {
		return "GET " + path + " HTTP/1.1\r\n" + host + strings.Join(hdrs, "") + "\r\n"
	}
	cases := []struct {
		name    string
		raw     string
		methods []string
		lean    int64 // requests the lean path serves itself
	}{
		{"simple", get("/app/small"), nil, 1},
		{"headers", get("/app/small", "User-Agent: t/1\r\n", "Accept: */*\r\n", "X-Forwarded-For: 10.0.0.1\r\n", "Pragma: no-cache\r\n"), nil, 1},
		{"lowercase names", "GET /direct/small HTTP/1.1\r\nhost: www.example.com\r\nuser-agent: t\r\nx-custom-header: a\r\nX-CUSTOM-header: b\r\n\r\n", nil, 1},
		{"duplicate fields", get("/direct/small", "Accept: a\r\n", "Accept: b\r\n", "Cookie: x=1\r\n", "Cookie: y=2\r\n"), nil, 1},
		{"value whitespace", get("/direct/small", "X-A: \t v  w \t\r\n"), nil, 1},
		{"sticky cookie", get("/app/small", "Cookie: BALANCEID=balancer.nope\r\n"), nil, 1},
		{"query and escapes", get("/direct/small?a=b%20c&d&e=%2F#frag"), nil, 1},
		{"encoded slash", get("/direct/a%2Fb/small"), nil, 1},
		{"HEAD big", "HEAD /direct/big HTTP/1.1\r\n" + host + "\r\n", []string{"HEAD"}, 1},
		{"HEAD small", "HEAD /direct/small HTTP/1.1\r\n" + host + "\r\n", []string{"HEAD"}, 1},
		{"big", get("/direct/big"), nil, 1},
		{"chunked", get("/direct/chunked"), nil, 1},
		{"304", get("/direct/304", "If-None-Match: \"v1\"\r\n"), nil, 1},
		{"204", get("/direct/204"), nil, 1},
		{"trailer", get("/direct/trailer"), nil, 1},
		{"no content type", get("/direct/notype"), nil, 1},
		{"empty", get("/direct/empty"), nil, 1},
		{"redirect reversed", get("/direct/redirect"), nil, 1},
		{"backend closes", get("/direct/close"), nil, 1},
		{"backend 500", get("/direct/500"), nil, 1},
		{"connection close", get("/direct/small", "Connection: close\r\n"), nil, 1},
		{"connection keep-alive", get("/direct/small", "Connection: Keep-Alive\r\n"), nil, 1},
		{"backend down", get("/down/x"), nil, 1},
		{"not proxied", get("/nothing"), nil, 1},
		{"other vhost", "GET /app/small HTTP/1.1\r\nHost: other.example\r\n\r\n", nil, 1},
		{"pipelined", get("/app/small") + get("/direct/big") + get("/app/small"), []string{"GET", "GET", "GET"}, 3},
		{"lean then body", get("/app/small") + "POST /direct/small HTTP/1.1\r\n" + host + "Content-Length: 3\r\n\r\nabc", []string{"GET", "POST"}, 1},
		{"lean then HTTP/1.0", get("/app/small") + "GET /direct/small HTTP/1.0\r\n\r\n", []string{"GET", "GET"}, 1},
		// Handed to net/http at once.
		{"POST", "POST /direct/small HTTP/1.1\r\n" + host + "Content-Length: 5\r\n\r\nhello", nil, 0},
		{"GET with Content-Length 0", get("/direct/small", "Content-Length: 0\r\n"), nil, 0},
		{"HTTP/1.0", "GET /direct/small HTTP/1.0\r\nHost: www.example.com\r\n\r\n", nil, 0},
		{"bare LF", "GET /direct/small HTTP/1.1\n" + "Host: www.example.com\n\n", nil, 0},
		{"folded", get("/direct/small", "X-A: one\r\n two\r\n"), nil, 0},
		{"no Host", "GET /direct/small HTTP/1.1\r\n\r\n", nil, 0},
		{"two Hosts", get("/direct/small", "Host: b.example\r\n"), nil, 0},
		{"bad name", get("/direct/small", "Bad Name: x\r\n"), nil, 0},
		{"control byte", get("/direct/small", "X-A: a\x01b\r\n"), nil, 0},
		{"Expect", get("/direct/small", "Expect: 100-continue\r\n"), nil, 0},
		{"Upgrade", get("/direct/small", "Connection: Upgrade\r\n", "Upgrade: websocket\r\n"), nil, 0},
		{"odd Connection", get("/direct/small", "Connection: close, TE\r\n"), nil, 0},
		{"long head", get("/direct/small", "X-A: "+strings.Repeat("a", 8000)+"\r\n", "X-B: "+strings.Repeat("b", 1000)+"\r\n"), nil, 0},
		{"too many fields", get("/direct/small", strings.Repeat("X-A: a\r\n", 120)), nil, 0},
		{"OPTIONS *", "OPTIONS * HTTP/1.1\r\n" + host + "\r\n", nil, 0},
		{"garbage", "NOT HTTP\r\n\r\n", nil, 0},
		{"leading CRLF", "\r\n" + get("/direct/small"), nil, 0},
		{"empty field name", get("/direct/small", ": x\r\n"), nil, 0},
		{"space before colon", get("/direct/small", "X-A : x\r\n"), nil, 0},
		{"no colon", get("/direct/small", "X-A x\r\n"), nil, 0},
		{"obs-text value", get("/direct/small", "X-A: caf\xe9\r\n"), nil, 1},
		{"bad escape", get("/direct/%zz"), nil, 0},
		{"absolute form", "GET http://www.example.com/direct/small HTTP/1.1\r\n" + host + "\r\n", nil, 0},
		{"lowercase method", "get /direct/small HTTP/1.1\r\n" + host + "\r\n", nil, 0},
		{"tab separator", "GET\t/direct/small HTTP/1.1\r\n" + host + "\r\n", nil, 0},
		{"Host with path", "GET /direct/small HTTP/1.1\r\nHost: www.example.com/x\r\n\r\n", nil, 0},
		{"HTTP/1.2", "GET /direct/small HTTP/1.2\r\n" + host + "\r\n", nil, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			methods := tc.methods
			if methods == nil {
				methods = []string{"GET"}
			}
			var want string
			var wantClosed bool
			done := make(chan struct{})
			go func() {
				defer close(done)
				want, wantClosed = exchangeLean(t, std, tc.raw, methods)
			}()
			before := leanSrv.lean.served.Load()
			got, gotClosed := exchangeLean(t, lean, tc.raw, methods)
			<-done
			if n := leanSrv.lean.served.Load() - before; n != tc.lean {
				t.Errorf("the lean path served %d requests, want %d", n, tc.lean)
			}
			if n := stdSrv.lean.served.Load(); n != 0 {
				t.Errorf("the lean path is off but served %d requests", n)
			}
			if got != want {
				t.Errorf("lean front end answered\n%s\nnet/http answered\n%s", got, want)
			}
			if gotClosed != wantClosed {
				t.Errorf("connection closed: lean %v, net/http %v", gotClosed, wantClosed)
			}
		})
	}
}
