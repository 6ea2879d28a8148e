package proxy

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/balancerd/balancerd/directives/model"
)

// echoUpgradeBackend answers "Upgrade: websocket" with 101 and then echoes
// lines on the raw connection; other requests get 200 "no upgrade".
func echoUpgradeBackend(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
			fmt.Fprint(w, "no upgrade")
			return
		}
		c, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		defer c.Close()
		fmt.Fprint(brw, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
		brw.Flush()
		for {
			line, err := brw.ReadString('\n')
			if err != nil {
				return
			}
			fmt.Fprint(brw, "echo "+line)
			brw.Flush()
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestWebSocketEcho: an Upgrade through a ws:// member (implied
// upgrade=websocket) becomes a tunnel; an http:// worker without upgrade=
// does not forward the Upgrade (spec 3.12).
func TestWebSocketEcho(t *testing.T) {
	b := echoUpgradeBackend(t)
	ws := "ws://" + strings.TrimPrefix(b.URL, "http://")
	vh := vhostCfg("front.test")
	addBalancer(vh, balancerCfg("balancer://wsc", worker(ws)))
	vh.ProxyPass = []*model.ProxyPassRule{
		pass("/ws", "balancer://wsc"),
		pass("/wsdirect", ws+"/"),
		pass("/plain", b.URL+"/"),
	}
	_, base := start(t, config(vh), Options{})
	for _, path := range []string{"/ws/chat", "/wsdirect/chat"} {
		c := dialRaw(t, base)
		fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: front.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n", path)
		br := bufio.NewReader(c)
		res, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != http.StatusSwitchingProtocols {
			t.Fatalf("%s: status %d", path, res.StatusCode)
		}
		for i := 0; i < 3; i++ {
			fmt.Fprintf(c, "msg %d\n", i)
			line, err := br.ReadString('\n')
			if err != nil || line != fmt.Sprintf("echo msg %d\n", i) {
				t.Fatalf("%s: round %d: %q %v", path, i, line, err)
			}
		}
		c.Close()
	}
	res := rawDo(t, base, "GET /plain/x HTTP/1.1\r\nHost: front.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
	if body, _ := io.ReadAll(res.Body); res.StatusCode != 200 || string(body) != "no upgrade" {
		t.Fatalf("plain worker: %d %q", res.StatusCode, body)
	}
}
