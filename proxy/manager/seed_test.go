package manager_test

// End-to-end: the seed's load balancer (with its closing tags restored)
// served by proxy.Server with the access, manager and rewrite hooks, the
// manager protected by the seed's .htaccess. This is the wiring
// cmd/balancerd does.

import (
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/balancerd/balancerd/directives"
	"github.com/balancerd/balancerd/proxy"
	"github.com/balancerd/balancerd/proxy/access"
	"github.com/balancerd/balancerd/proxy/manager"
	"github.com/balancerd/balancerd/proxy/rewrite"
)

const seedVhost = `NameVirtualHost *
<VirtualHost *>
        ServerName www.example.com
        ServerAlias example.com
        DocumentRoot DOCROOT/
        ProxyRequests Off

        <Proxy *>
          Order deny,allow
          Allow from all
        </Proxy>

        ProxyPass /balancer-manager !
        ProxyPass / balancer://mycluster/ stickysession=BALANCEID nofailover=On
        ProxyPassReverse / http://http1.example.com/
        ProxyPassReverse / http://http2.example.com/
        <Proxy balancer://mycluster>
          BalancerMember http://http1.example.com  route=http1
          BalancerMember http://http2.example.com  route=http2
          ProxySet lbmethod=byrequests
        </Proxy>

        <Location /balancer-manager>
          SetHandler balancer-manager

          Order deny,allow
          Allow from all
        </Location>
</VirtualHost>
`

func seedServer(t *testing.T, htaccess string) *httptest.Server {
	t.Helper()
	return seedServerConf(t, htaccess, false)
}

func get(t *testing.T, ts *httptest.Server, method, path, auth, referer, body string) (*http.Response, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, ts.URL+path, rd)
	req.Host = "www.example.com"
	if auth != "" {
		req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(auth)))
	}
	if referer != "" {
		req.Header.Set("Referer", referer)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

const seedPublished = "AuthType Basic\nAuthName \"Members Only\"\nAuthUserFile /var/.htpasswd\n<limit GET PUT POST>\nrequire valid-user\n"

func TestSeedManagerHTAccessAsPublished(t *testing.T) {
	// AllowOverride is never set: Apache reads the file and fails on the
	// unclosed <limit> with 500 (observed on 2.4.67).
	ts := seedServer(t, seedPublished)
	resp, _ := get(t, ts, "GET", "/balancer-manager", "", "", "")
	if resp.StatusCode != 500 {
		t.Fatalf("status %d, want 500", resp.StatusCode)
	}
}

func TestSeedManagerProtected(t *testing.T) {
	// With the closing tag the file still fails: AllowOverride is never
	// set, so Apache 2.4 rejects AuthType (spec 6.8).
	ts := seedServer(t, seedPublished+"</limit>\n")
	if resp, _ := get(t, ts, "GET", "/balancer-manager", "", "", ""); resp.StatusCode != 500 {
		t.Fatalf("status %d, want 500 (AllowOverride never set)", resp.StatusCode)
	}
}

func TestSeedManagerAuthAndCurl(t *testing.T) {
	ts := seedServerConf(t, seedPublished+"</limit>\n", true)
	resp, _ := get(t, ts, "GET", "/balancer-manager", "", "", "")
	if resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") != `Basic realm="Members Only"` {
		t.Fatalf("no credentials: %d %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	if resp, _ := get(t, ts, "GET", "/balancer-manager", "admin:wrong", "", ""); resp.StatusCode != 401 {
		t.Fatalf("bad password: %d", resp.StatusCode)
	}
	ref := "http://www.example.com/balancer-manager"
	_, xml := get(t, ts, "GET", "/balancer-manager?xml=1", "admin:pw1", ref, "")
	m := regexp.MustCompile(`<httpd:nonce>(.*)</httpd:nonce>`).FindStringSubmatch(xml)
	if m == nil {
		t.Fatalf("no nonce:\n%s", xml)
	}
	w := "http://http1.example.com"
	for _, step := range []struct{ body, want string }{
		{"w_status_N=1", "Init Drn Ok "},
		{"w_status_D=1", "Init Drn Dis "},
		{"w_status_D=0&w_status_N=0", "Init Ok "},
	} {
		resp, _ := get(t, ts, "POST", "/balancer-manager", "admin:pw1", ref, "b=mycluster&w="+w+"&nonce="+m[1]+"&"+step.body)
		if resp.StatusCode != 200 {
			t.Fatalf("POST %s: %d", step.body, resp.StatusCode)
		}
		_, x := get(t, ts, "GET", "/balancer-manager?xml=1", "admin:pw1", ref, "")
		i := strings.Index(x, "<httpd:name>"+w+"</httpd:name>")
		if i < 0 || !strings.Contains(x[i:], "<httpd:status>"+step.want+"</httpd:status>") {
			t.Fatalf("after %s: want %q in\n%s", step.body, step.want, x)
		}
	}
	// DELETE is not limited by the seed's <limit GET PUT POST>; the
	// manager then answers 405 itself.
	if resp, _ := get(t, ts, "DELETE", "/balancer-manager", "", "", ""); resp.StatusCode != 405 {
		t.Errorf("DELETE: %d", resp.StatusCode)
	}
}

// seedServerConf serves the seed; with override it adds "AllowOverride
// AuthConfig" on the document root, as the article's Apache 2.2 (default
// All) behaved.
func seedServerConf(t *testing.T, htaccess string, override bool) *httptest.Server {
	t.Helper()
	dir := t.TempDir()
	docroot := filepath.Join(dir, "www")
	if err := os.MkdirAll(filepath.Join(docroot, "balancer-manager"), 0o755); err != nil {
		t.Fatal(err)
	}
	pw := filepath.Join(dir, "htpasswd")
	if err := os.WriteFile(pw, []byte("admin:$apr1$8vDRUU0H$.Bdrbs9IYbXgxM904qL.B.\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(docroot, "balancer-manager", ".htaccess"), []byte(strings.ReplaceAll(htaccess, "/var/.htpasswd", pw)), 0o644); err != nil {
		t.Fatal(err)
	}
	conf := strings.ReplaceAll(seedVhost, "DOCROOT", docroot)
	if override {
		conf = strings.Replace(conf, "        ProxyRequests Off\n", "        ProxyRequests Off\n        <Directory "+docroot+"/>\n          AllowOverride AuthConfig\n        </Directory>\n", 1)
	}
	cfg, _, diags := directives.LoadBytes(filepath.Join(dir, "default"), []byte(conf), directives.LoadOptions{ServerRoot: dir})
	if diags.HasErrors() {
		t.Fatalf("config: %v", diags)
	}
	loader := &directives.HTAccessLoader{}
	srv, err := proxy.New(cfg, proxy.Options{
		Access:   &access.Hook{Checker: &access.Checker{}, HTAccess: loader.Load},
		Handlers: &manager.Handlers{Manager: &manager.Manager{}},
		Rewrite:  &rewrite.Hook{},
		Headers:  &rewrite.Hook{},
		ErrorLog: io.Discard,
	})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return ts
}
