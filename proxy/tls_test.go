package proxy

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/balancerd/balancerd/directives/model"
)

// TestHTTPSBackend: like mod_ssl's defaults (SSLProxyVerify none), a
// self-signed backend certificate is accepted when it names the host; a
// name mismatch is refused (SSLProxyCheckPeerName On) with 502.
func TestHTTPSBackend(t *testing.T) {
	b := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("tls ok " + r.Host))
	}))
	defer b.Close()
	port := b.URL[strings.LastIndexByte(b.URL, ':')+1:]
	vh := vhostCfg("front.test")
	vh.ProxyPass = []*model.ProxyPassRule{
		pass("/ok", b.URL+"/"),                          // 127.0.0.1 is in the test certificate
		pass("/badname", "https://localhost:"+port+"/"), // the certificate names example.com and 127.0.0.1 only
	}
	_, base := start(t, config(vh), Options{ErrorLog: testLog{t}})
	res := get(t, nil, "GET", base+"/ok", "front.test")
	if body := drain(res); res.StatusCode != 200 || !strings.HasPrefix(body, "tls ok 127.0.0.1:") {
		t.Fatalf("https backend: %d %q", res.StatusCode, body)
	}
	res = get(t, nil, "GET", base+"/badname", "front.test")
	if drain(res); res.StatusCode == 200 {
		t.Fatalf("certificate name mismatch accepted")
	}
}

type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
