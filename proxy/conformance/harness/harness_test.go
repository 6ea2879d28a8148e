package harness

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestTokens(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		err  bool
	}{
		{`a b  c`, []string{"a", "b", "c"}, false},
		{`header="Set-Cookie: a=b; path=/" x`, []string{"header=Set-Cookie: a=b; path=/", "x"}, false},
		{`"a\"b" c`, []string{`a"b`, "c"}, false},
		{`x="unterminated`, nil, true},
		{``, nil, false},
	}
	for _, tt := range tests {
		got, err := Tokens(tt.in)
		if (err != nil) != tt.err || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Tokens(%q) = %q, %v; want %q, err=%v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestParseScript(t *testing.T) {
	src := `feature Demo
# comment
backend b1 header="Set-Cookie: a=1; path=/"
backend b1 path=/slow delay=2s status=504
backend dead down
jar on
GET /x?y=1
H Cookie: a=b
repeat 3
ignore-body
POST /p HTTP/1.0
body "a\nb"
nohost
`
	s, err := ParseScript("s", src)
	if err != nil {
		t.Fatal(err)
	}
	if s.Feature != "Demo" || len(s.Backends) != 2 || !s.Backends[1].Down {
		t.Fatalf("backends: %+v", s.Backends)
	}
	r := s.Backends[0].Rules
	if len(r) != 2 || r[0].Headers[0] != "Set-Cookie: a=1; path=/" || r[1].Prefix != "/slow" ||
		r[1].Delay != 2*time.Second || r[1].Status != 504 {
		t.Fatalf("rules: %+v", r)
	}
	if len(s.Steps) != 3 || s.Steps[0].Jar == nil || !*s.Steps[0].Jar {
		t.Fatalf("steps: %+v", s.Steps)
	}
	g := s.Steps[1]
	if g.Method != "GET" || g.Target != "/x?y=1" || g.Repeat != 3 || !g.IgnoreBody ||
		g.Headers[0] != [2]string{"Cookie", "a=b"} || s.IgnoreBody {
		t.Fatalf("GET step: %+v", g)
	}
	p := s.Steps[2]
	if p.Proto != "HTTP/1.0" || p.Body != "a\nb" || !p.NoHost {
		t.Fatalf("POST step: %+v", p)
	}
}

func TestParseScriptErrors(t *testing.T) {
	for _, src := range []string{
		"",                         // no requests
		"H X: y\nGET /",            // header before any request
		"GET /\nrepeat 0",          // bad count
		"frobnicate\nGET /",        // unknown statement
		"backend b action=explode", // unknown action
		"backend b colour=red",     // unknown option
		"GET /\nH novalue",         // header without colon
		"jar maybe\nGET /",         // bad jar
	} {
		if _, err := ParseScript("bad", src); err == nil {
			t.Errorf("ParseScript(%q) succeeded, want error", src)
		}
	}
}

func TestVarsExpand(t *testing.T) {
	v := Vars{"B1": "127.0.0.1:4000", "FRONT_PORT": "5000"}
	got := v.Expand("http://${B1}/x:${FRONT_PORT} ${UNKNOWN} $B1")
	want := "http://127.0.0.1:4000/x:5000 ${UNKNOWN} $B1"
	if got != want {
		t.Errorf("Expand = %q, want %q", got, want)
	}
}

func TestDiff(t *testing.T) {
	if d := Diff("a", "x\ny", "b", "x\ny"); d != "" {
		t.Errorf("equal texts gave a diff:\n%s", d)
	}
	a := "1\n2\n3\n4\n5\n6\n7\n8\n9\n10"
	b := "1\n2\n3\n4\nfive\n6\n7\n8\n9\n10\n11"
	d := Diff("apache", a, "balancerd", b)
	for _, want := range []string{"--- apache", "+++ balancerd", "-5\n+five", " 4\n", " 6\n", "+11"} {
		if !strings.Contains(d, want) {
			t.Errorf("diff lacks %q:\n%s", want, d)
		}
	}
	if strings.Contains(d, " 1\n") {
		t.Errorf("diff shows more than 3 lines of context:\n%s", d)
	}
}

// TestBackendRecordsAndAnswers drives a Backend over a real socket.
func TestBackendRecordsAndAnswers(t *testing.T) {
	rec := &Recorder{}
	b := &Backend{Name: "b1", Rules: []Rule{
		{Prefix: "/redir", Action: ActOK, Status: 302, Headers: []string{"Location: http://${X}/y"}},
		{Prefix: "/garbage", Action: ActGarbage},
	}}
	b.Expand = Vars{"X": "example"}.Expand
	if err := b.Start(rec); err != nil {
		t.Fatal(err)
	}
	defer b.Close()

	r := Do(b.Addr(), &Request{Method: "GET", Target: "/redir?q=1", Proto: "HTTP/1.1", Host: "h.test",
		Headers: [][2]string{{"X-Forwarded-For", "1.2.3.4"}}})
	if r.Err != "" || r.Status != "302 Found" || r.Header.Get("Location") != "http://example/y" ||
		r.Header.Get("X-Backend") != "b1" {
		t.Fatalf("redirect response: %+v", r)
	}
	r = Do(b.Addr(), &Request{Method: "POST", Target: "/p", Proto: "HTTP/1.1", Host: "h", Body: "abc"})
	if string(r.Body) != "b1 POST /p\n" {
		t.Fatalf("echo body %q", r.Body)
	}
	got, _ := rec.Since(0)
	if len(got) != 2 || got[0].URI != "/redir?q=1" || got[0].Host != "h.test" ||
		got[0].Header.Get("X-Forwarded-For") != "1.2.3.4" || got[1].Body != "abc" {
		t.Fatalf("recorded: %+v", got)
	}
	// Garbage: not an HTTP response at all.
	c, err := net.Dial("tcp", b.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "GET /garbage HTTP/1.1\r\nHost: h\r\n\r\n")
	line, _ := bufio.NewReader(c).ReadString('\n')
	if strings.HasPrefix(line, "HTTP/") {
		t.Fatalf("garbage action sent a status line %q", line)
	}
}

func TestDownBackendRefuses(t *testing.T) {
	b := &Backend{Name: "d", Down: true}
	if err := b.Start(&Recorder{}); err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	r := Do(b.Addr(), &Request{Method: "GET", Target: "/", Proto: "HTTP/1.1", Host: "h"})
	if r.Err != "connect: connection refused" {
		t.Fatalf("down backend: %+v", r)
	}
}

func TestRenderNormalisesPorts(t *testing.T) {
	out := renderDirect(t, "backend b1\nGET /x\n")
	for _, want := range []string{"== GET /x HTTP/1.1", "< X-Backend: b1", "< body| b1 GET /x",
		"b1 got: Host: 127.0.0.1:${B1_PORT}", "answered by, in order: b1"} {
		if !strings.Contains(out, want) {
			t.Errorf("render lacks %q:\n%s", want, out)
		}
	}
}

func TestJar(t *testing.T) {
	var j Jar
	h := http.Header{}
	h.Add("Set-Cookie", "A=1; path=/")
	h.Add("Set-Cookie", "B=2")
	j.Update(h)
	h = http.Header{"Set-Cookie": {"A=3; domain=.x"}}
	j.Update(h)
	if got := j.Header(); got != "A=3; B=2" {
		t.Errorf("jar header %q", got)
	}
}

func TestMask(t *testing.T) {
	re := regexp.MustCompile(`<n>(\d+)</n>`)
	got := mask(re, "a <n>12</n> b <n>3</n>")
	if got != "a <n>*</n> b <n>*</n>" {
		t.Errorf("mask = %q", got)
	}
}

func TestCaptureFeedsLaterRequests(t *testing.T) {
	out := renderDirect(t, "backend longname\nGET /first\ncapture WHO ^(\\w+) GET\nGET /second/${WHO}\n")
	if !strings.Contains(out, "< capture WHO: captured") || !strings.Contains(out, "${WHO} got: GET /second/${WHO} HTTP/1.1") {
		t.Errorf("capture not applied or not normalised:\n%s", out)
	}
}

// TestStreamBackendDetectsEarlyDelivery: talking to the backend directly
// (no proxy buffering), part 2 reports that the client had part 1.
func TestStreamBackendDetectsEarlyDelivery(t *testing.T) {
	out := renderDirect(t, "backend b action=stream\nGET /s\n")
	if !strings.Contains(out, "< body| data: part 2: the client had part 1 before part 2 was sent") {
		t.Errorf("stream verdict missing:\n%s", out)
	}
}

// renderDirect runs a script against its first backend, which plays the
// front server (no proxy in between), and returns the rendered exchanges.
func renderDirect(t *testing.T, script string) string {
	t.Helper()
	s, err := ParseScript("s", script)
	if err != nil {
		t.Fatal(err)
	}
	fx, err := StartFixture(s, "/scn")
	if err != nil {
		t.Fatal(err)
	}
	defer fx.Close()
	port := fx.Backends[0].Port()
	return fx.Render(fx.Run(port), port)
}
