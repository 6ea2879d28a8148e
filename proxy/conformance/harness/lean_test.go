package harness

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// leanRules exercise what respond() varies on: headers, BodySize and a
// status without a body.
func leanRules() []Rule {
	return []Rule{
		{Prefix: "/big", BodySize: 10},
		{Prefix: "/nocontent", Status: 204},
		{Prefix: "/missing", Status: 404},
		{Headers: []string{"Set-Cookie: BALANCEID=balancer.b1; path=/"}},
	}
}

// leanPair starts a lean (Silent) backend and a regular (recording) one
// with the same name and rules.
func leanPair(t testing.TB) (lean, regular *Backend) {
	t.Helper()
	lean = &Backend{Name: "b1", Silent: true, Rules: leanRules()}
	regular = &Backend{Name: "b1", Rules: leanRules()}
	for _, b := range []*Backend{lean, regular} {
		if err := b.Start(&Recorder{}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(b.Close)
	}
	if lean.lean == nil || regular.lean != nil {
		t.Fatal("the Silent backend should have the lean path, the recording one not")
	}
	return lean, regular
}

// captureConn records every byte read from the connection.
type captureConn struct {
	net.Conn
	got bytes.Buffer
}

func (c *captureConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.got.Write(p[:n])
	return n, err
}

// leanStep is raw request bytes and the methods of the responses they
// should get (several for pipelined requests).
type leanStep struct {
	raw     string
	methods []string
}

// exchange sends each step on one connection and returns the raw bytes of
// each step's responses. With wantClose it then expects the backend to
// close the connection.
func exchange(t *testing.T, addr string, steps []leanStep, wantClose bool) (raw []string) {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	c := &captureConn{Conn: nc}
	br := bufio.NewReader(c)
	for _, st := range steps {
		if _, err := io.WriteString(nc, st.raw); err != nil {
			t.Fatal(err)
		}
		for _, m := range st.methods {
			for {
				resp, err := http.ReadResponse(br, &http.Request{Method: m})
				if err != nil {
					t.Fatalf("%q: reading the response: %v", st.raw, err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode >= 200 {
					break
				}
			}
		}
		if br.Buffered() != 0 {
			t.Fatalf("%q: %d bytes after the responses: %q", st.raw, br.Buffered(), c.got.Bytes()[c.got.Len()-br.Buffered():])
		}
		raw = append(raw, c.got.String())
		c.got.Reset()
	}
	if wantClose {
		if _, err := br.ReadByte(); err != io.EOF {
			t.Errorf("%s: after the last response: %v, want the connection closed (EOF)", addr, err)
		}
	}
	return raw
}

const host = "Host: www.example.com\r\n"

func TestLeanSameBytesKeepAlive(t *testing.T) {
	lean, regular := leanPair(t)
	steps := []leanStep{
		{"GET / HTTP/1.1\r\n" + host + "\r\n", []string{"GET"}},
		{"HEAD / HTTP/1.1\r\n" + host + "\r\n", []string{"HEAD"}},
		{"GET /x?y=1&z=%2F HTTP/1.1\r\n" + host + "Cookie: BALANCEID=balancer.b1\r\n\r\n", []string{"GET"}},
		{"POST /form HTTP/1.1\r\n" + host + "Content-Length: 5\r\n\r\nhello", []string{"POST"}},
		{"HEAD /big HTTP/1.1\r\n" + host + "\r\n", []string{"HEAD"}},
		{"GET /big HTTP/1.1\r\n" + host + "Connection: keep-alive\r\n\r\n", []string{"GET"}},
		{"GET /nocontent HTTP/1.1\r\n" + host + "\r\n", []string{"GET"}},
		{"GET /missing HTTP/1.1\r\n" + host + "\r\n", []string{"GET"}},
		// Pipelined: two requests in one write.
		{"GET /a HTTP/1.1\r\n" + host + "\r\nHEAD /b HTTP/1.1\r\n" + host + "\r\n", []string{"GET", "HEAD"}},
		{"GET / HTTP/1.1\r\n" + host + "\r\n", []string{"GET"}},
	}
	want := exchange(t, regular.Addr(), steps, false)
	got := exchange(t, lean.Addr(), steps, false)
	for i := range steps {
		if got[i] != want[i] {
			t.Errorf("%q:\nlean    %q\nregular %q", steps[i].raw, got[i], want[i])
		}
	}
	if n := lean.LeanRequests(); n != 11 {
		t.Errorf("lean path answered %d requests, want all 11", n)
	}
	// Eleven requests on one keep-alive connection.
	if a, _ := lean.Connections(); a != 1 {
		t.Errorf("lean backend accepted %d connections, want 1", a)
	}
	// HEAD carries no body: its response ends with the empty line.
	if !strings.HasSuffix(got[1], "\r\n\r\n") || !strings.Contains(got[1], "Content-Length: 0\r\n") {
		t.Errorf("HEAD response %q", got[1])
	}
	if !strings.HasSuffix(got[0], "\r\n\r\nb1 GET /\n") {
		t.Errorf("GET response %q", got[0])
	}
}

func TestLeanConnectionClose(t *testing.T) {
	lean, regular := leanPair(t)
	steps := []leanStep{
		{"GET / HTTP/1.1\r\n" + host + "\r\n", []string{"GET"}},
		{"GET /last HTTP/1.1\r\n" + host + "Connection: foo, close\r\n\r\n", []string{"GET"}},
	}
	want := exchange(t, regular.Addr(), steps, true)
	got := exchange(t, lean.Addr(), steps, true)
	if strings.Join(got, "") != strings.Join(want, "") {
		t.Errorf("lean %q\nregular %q", got, want)
	}
	if n := lean.lean.served.Load(); n != 2 {
		t.Errorf("lean path answered %d requests, want 2", n)
	}
}

// TestLeanFallback: requests the lean path does not take are answered by
// the regular path on the same connection, with the same bytes.
func TestLeanFallback(t *testing.T) {
	tests := []struct {
		name  string
		steps []leanStep
		lean  int64 // requests the lean path should answer
		close bool  // the backend closes after the last step
	}{
		{"chunked", []leanStep{
			{"POST /c HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", []string{"POST"}},
			{"GET / HTTP/1.1\r\n" + host + "\r\n", []string{"GET"}},
		}, 1, false},
		{"expect", []leanStep{
			{"POST /e HTTP/1.1\r\n" + host + "Expect: 100-continue\r\nContent-Length: 2\r\n\r\nok", []string{"POST"}},
			{"GET / HTTP/1.1\r\n" + host + "\r\n", []string{"GET"}},
		}, 1, false},
		{"bare LF", []leanStep{
			{"GET /lf HTTP/1.1\nHost: x\n\n", []string{"GET"}},
			{"GET / HTTP/1.1\r\n" + host + "\r\n", []string{"GET"}},
		}, 1, false},
		{"pipelined lean then chunked", []leanStep{
			{"GET /a HTTP/1.1\r\n" + host + "\r\nPOST /c HTTP/1.1\r\n" + host +
				"Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\nGET /b HTTP/1.1\r\n" + host + "\r\n",
				[]string{"GET", "POST", "GET"}},
		}, 2, false},
		{"HTTP/1.0 closes", []leanStep{
			{"GET / HTTP/1.1\r\n" + host + "\r\n", []string{"GET"}},
			{"GET /old HTTP/1.0\r\n" + host + "\r\n", []string{"GET"}},
		}, 1, true},
		{"two Content-Length", []leanStep{
			{"POST /p HTTP/1.1\r\n" + host + "Content-Length: 2\r\nContent-Length: 2\r\n\r\nok", []string{"POST"}},
			{"GET / HTTP/1.1\r\n" + host + "\r\n", []string{"GET"}},
		}, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lean, regular := leanPair(t)
			want := exchange(t, regular.Addr(), tt.steps, tt.close)
			got := exchange(t, lean.Addr(), tt.steps, tt.close)
			if strings.Join(got, "") != strings.Join(want, "") {
				t.Errorf("lean %q\nregular %q", got, want)
			}
			if n := lean.lean.served.Load(); n != tt.lean {
				t.Errorf("lean path answered %d requests, want %d", n, tt.lean)
			}
		})
	}
}

// conversation sends in, half-closes, and returns everything the backend
// wrote until it closed.
func conversation(t *testing.T, addr string, in []byte) []byte {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	go func() {
		c.Write(in)
		c.(*net.TCPConn).CloseWrite()
	}()
	out, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("%q: %v", in, err)
	}
	return out
}

// FuzzLeanBackend: for any bytes a client sends, the lean and the regular
// backend write the same bytes back.
func FuzzLeanBackend(f *testing.F) {
	for _, s := range []string{
		"GET / HTTP/1.1\r\n" + host + "\r\n",
		"HEAD /big HTTP/1.1\r\n" + host + "\r\nGET /nocontent HTTP/1.1\r\n\r\n",
		"POST /p HTTP/1.1\r\n" + host + "Content-Length: 5\r\n\r\nhel",
		"POST /p HTTP/1.1\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabcGET / HTTP/1.1\r\n\r\n",
		"GET /%zz HTTP/1.1\r\n\r\n",
		"GET //x?a=b HTTP/1.1\r\nHost: [::1]:80\r\nX: \x80\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
		"GET / HTTP/1.1\r\nContent-Length: +1\r\n\r\nx",
		"\r\nGET / HTTP/1.1\r\n\r\n",
	} {
		f.Add([]byte(s))
	}
	lean, regular := leanPair(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		want := conversation(t, regular.Addr(), in)
		got := conversation(t, lean.Addr(), in)
		if !bytes.Equal(got, want) {
			t.Errorf("%q:\nlean    %q\nregular %q", in, got, want)
		}
	})
}

// BenchmarkBackend compares the backend's cost per keep-alive request on
// the lean and the regular path (client cost included in both).
func BenchmarkBackend(b *testing.B) {
	for _, silent := range []bool{true, false} {
		name := "regular"
		if silent {
			name = "lean"
		}
		b.Run(name, func(b *testing.B) {
			be := &Backend{Name: "http1", Silent: silent, Rules: []Rule{{Action: ActOK,
				Headers: []string{"Set-Cookie: BALANCEID=balancer.http1; path=/; domain=.example.com"}}}}
			if err := be.Start(&Recorder{}); err != nil {
				b.Fatal(err)
			}
			defer be.Close()
			c, err := net.Dial("tcp", be.Addr())
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			req := []byte("GET / HTTP/1.1\r\n" + host + "X-Forwarded-For: 127.0.0.1\r\n\r\n")
			br := bufio.NewReader(c)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.Write(req); err != nil {
					b.Fatal(err)
				}
				resp, err := http.ReadResponse(br, nil)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}
}
