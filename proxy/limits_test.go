package proxy

import (
	"bufio"
	"strings"
	"testing"

	"github.com/balancerd/balancerd/directives/model"
)

// TestRequestLimits: LimitRequestLine (414) and LimitRequestFieldSize (400)
// at Apache's defaults, before anything is proxied.
func TestRequestLimits(t *testing.T) {
	rc := &recorder{}
	b := rc.server(t)
	_, base := start(t, plainVHost(b.URL), Options{})
	res := rawGet(t, base, "/"+strings.Repeat("a", 9000), "front.test")
	if body := drain(res); res.StatusCode != 414 || body != errorBody(414, "GET") {
		t.Errorf("long request line: %d %q", res.StatusCode, body)
	}
	res = rawDo(t, base, "GET /x HTTP/1.1\r\nHost: front.test\r\nX-Long: "+strings.Repeat("x", 9000)+"\r\n\r\n")
	if body := drain(res); res.StatusCode != 400 || !strings.Contains(body, "Size of a request header field exceeds server limit.") {
		t.Errorf("long header: %d %q", res.StatusCode, body)
	}
	if got := rc.got(); len(got) != 0 {
		t.Errorf("backend received %q", got)
	}
}

// TestMaxForwardsLocal: OPTIONS and TRACE with Max-Forwards: 0 are
// answered by the proxy itself.
func TestMaxForwardsLocal(t *testing.T) {
	rc := &recorder{}
	b := rc.server(t)
	_, base := start(t, plainVHost(b.URL), Options{})
	res := rawDo(t, base, "OPTIONS /c HTTP/1.1\r\nHost: front.test\r\nMax-Forwards: 0\r\n\r\n")
	drain(res)
	if res.StatusCode != 200 || res.Header.Get("Allow") != "TRACE" {
		t.Errorf("OPTIONS: %d Allow %q", res.StatusCode, res.Header.Get("Allow"))
	}
	res = rawDo(t, base, "TRACE /f HTTP/1.1\r\nHost: mf.test\r\nMax-Forwards: 0\r\n\r\n")
	body := drain(res)
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "message/http" || body != "TRACE /f HTTP/1.1\r\nHost: mf.test\r\nMax-Forwards: 0\r\n\r\n" {
		t.Errorf("TRACE: %d %q %q", res.StatusCode, res.Header.Get("Content-Type"), body)
	}
	if got := rc.got(); len(got) != 0 {
		t.Errorf("backend received %q", got)
	}
}

// TestErrorDocumentText: an ErrorDocument text message replaces the
// built-in page for a proxy error.
func TestErrorDocumentText(t *testing.T) {
	vh := vhostCfg("front.test")
	vh.Dir.ErrorDocuments = map[int]string{503: "Sorry, the service is down", 404: "http://errors.example/404"}
	vh.ProxyPass = []*model.ProxyPassRule{pass("/dead", deadURL(t)+"/")}
	_, base := start(t, config(vh), Options{})
	res := rawGet(t, base, "/dead/x", "front.test")
	if body := drain(res); res.StatusCode != 503 || body != "Sorry, the service is down" {
		t.Errorf("503: %d %q", res.StatusCode, body)
	}
	res = rawGet(t, base, "/nothing", "front.test")
	drain(res)
	if res.StatusCode != 302 || res.Header.Get("Location") != "http://errors.example/404" {
		t.Errorf("404 with URL document: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
}

func TestTooManyHeaderFields(t *testing.T) {
	b := backend(t, "b")
	_, base := start(t, plainVHost(b.URL), Options{})
	var sb strings.Builder
	sb.WriteString("GET /x HTTP/1.1\r\nHost: front.test\r\n")
	for i := 1; i <= 100; i++ {
		sb.WriteString("X-H" + strings.Repeat("a", i%7) + ": v\r\n")
	}
	sb.WriteString("\r\n")
	c := dialRaw(t, base)
	_, _ = c.Write([]byte(sb.String()))
	line, _ := bufio.NewReader(c).ReadString('\n')
	if line != "HTTP/1.1 400 Bad Request\r\n" {
		t.Fatalf("101 fields: %q", line)
	}
	c = dialRaw(t, base)
	_, _ = c.Write([]byte("GET /" + strings.Repeat("a", 9000) + " HTTP/1.1\r\nHost: front.test\r\n\r\n"))
	line, _ = bufio.NewReader(c).ReadString('\n')
	if line != "HTTP/1.1 414 Request-URI Too Long\r\n" {
		t.Fatalf("414 status line %q", line)
	}
}
