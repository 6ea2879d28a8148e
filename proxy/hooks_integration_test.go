package proxy_test

import (
	"crypto/sha1"
	"encoding/base64"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/balancerd/balancerd/directives/model"
	"github.com/balancerd/balancerd/proxy"
	"github.com/balancerd/balancerd/proxy/access"
	"github.com/balancerd/balancerd/proxy/manager"
	"github.com/balancerd/balancerd/proxy/rewrite"
)

// TestSeedWithHooks: the seed's balancer-manager behind Basic auth, served
// by the real access and manager packages through the server's hooks.
func TestSeedWithHooks(t *testing.T) {
	b1, b2 := proxy.TRouteBackend(t, "http1"), proxy.TRouteBackend(t, "http2")
	cfg := proxy.TSeedConfig(b1.URL, b2.URL)
	dir := t.TempDir()
	sum := sha1.Sum([]byte("secret"))
	pwfile := filepath.Join(dir, ".htpasswd")
	if err := os.WriteFile(pwfile, []byte("admin:{SHA}"+base64.StdEncoding.EncodeToString(sum[:])+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	vh := cfg.VirtualHosts[0]
	vh.Locations[0].Dir.Access = &model.Access{AuthType: "Basic", AuthName: "Members Only", AuthUserFile: pwfile,
		AuthProvider: []string{"file"}, Require: &model.RequireNode{Kind: "any", Children: []*model.RequireNode{{Kind: "require", Provider: "valid-user"}}}}
	opts := proxy.Options{
		Access:   &access.Hook{},
		Handlers: &manager.Handlers{Manager: &manager.Manager{}},
	}
	_, base := proxy.TStart(t, cfg, opts)
	host := "www.example.com"
	res := proxy.TGet(t, nil, "GET", base+"/balancer-manager", host)
	proxy.TDrain(res)
	if res.StatusCode != http.StatusUnauthorized || res.Header.Get("WWW-Authenticate") != `Basic realm="Members Only"` {
		t.Fatalf("manager without credentials: %d %q", res.StatusCode, res.Header.Get("WWW-Authenticate"))
	}
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte("admin:secret"))
	res = proxy.TGet(t, nil, "GET", base+"/balancer-manager", host, "Authorization", auth)
	body := proxy.TDrain(res)
	if res.StatusCode != 200 || !strings.Contains(body, "balancer://mycluster") || !strings.Contains(body, b1.URL) {
		t.Fatalf("manager with credentials: %d %.300q", res.StatusCode, body)
	}
	// Proxied traffic is open (<Proxy *> has no restriction).
	if got := proxy.TDrain(proxy.TGet(t, nil, "GET", base+"/x", host, "Cookie", "BALANCEID=balancer.http2")); got != "http2" {
		t.Fatalf("sticky request went to %q", got)
	}
}

// TestRouteCookieRecipe is spec 4.9's 2.4 recipe: the proxy sets the
// route cookie with mod_headers from BALANCER_WORKER_ROUTE when the route
// changed, and stickiness follows it.
func TestRouteCookieRecipe(t *testing.T) {
	a, b := proxy.TBackend(t, "a"), proxy.TBackend(t, "b")
	vh := proxy.TVHostCfg("front.test")
	m1, m2 := proxy.TWorker(a.URL), proxy.TWorker(b.URL)
	m1.Params.Route, m2.Params.Route = "1", "2"
	bc := proxy.TBalancerCfg("balancer://c", m1, m2)
	bc.StickyCookie, bc.StickyParam = "ROUTEID", "ROUTEID"
	proxy.TAddBalancer(vh, bc)
	vh.ProxyPass = []*model.ProxyPassRule{proxy.TPass("/", "balancer://c/")}
	vh.Dir.Headers = []model.HeaderRule{{Condition: "onsuccess", Action: "add", Name: "Set-Cookie",
		Value: "ROUTEID=.%{BALANCER_WORKER_ROUTE}e; path=/", EnvCond: "env=BALANCER_ROUTE_CHANGED"}}
	_, base := proxy.TStart(t, proxy.TConfig(vh), proxy.Options{Headers: &rewrite.Hook{}})
	res := proxy.TGet(t, nil, "GET", base+"/", "front.test")
	first := proxy.TDecode(t, res).Name
	cookie := res.Header.Get("Set-Cookie")
	want := map[string]string{"a": "ROUTEID=.1; path=/", "b": "ROUTEID=.2; path=/"}[first]
	if cookie != want {
		t.Fatalf("first response from %s set %q, want %q", first, cookie, want)
	}
	for i := 0; i < 4; i++ {
		res := proxy.TGet(t, nil, "GET", base+"/", "front.test", "Cookie", strings.TrimSuffix(cookie, "; path=/"))
		if got := proxy.TDecode(t, res).Name; got != first {
			t.Fatalf("sticky request %d went to %s, want %s", i, got, first)
		}
		if c := res.Header.Get("Set-Cookie"); c != "" {
			t.Fatalf("route unchanged but Set-Cookie %q", c)
		}
	}
}
