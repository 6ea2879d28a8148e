package directives

import (
	"strings"
	"testing"
	"time"

	"github.com/balancerd/balancerd/directives/model"
	"github.com/balancerd/balancerd/parser"
)

// Messages verified with apache2 -t (2.4.67, Debian, all modules loaded).
func TestProxyErrors(t *testing.T) {
	runDiagCases(t, parser.Error, proxyErrorCases)
}

func TestProxyWarnings(t *testing.T) {
	runDiagCases(t, parser.Warning, proxyWarningCases)
}

func TestProxyModel(t *testing.T) {
	cfg, diags := loadText(t, `
ProxyTimeout 30
ProxyPass /main http://Main.Example:80/m
ProxyPassReverse /main http://main.example/m
BalancerMember balancer://shared http://s1:8080
<VirtualHost *:80>
  ServerName v.example
  ProxyPreserveHost On
  ProxyVia Full
  ProxyPass /ex !
  ProxyPass /app balancer://Cluster/app stickysession=JSESSIONID|jsessionid nofailover=On lbmethod=bytraffic
  ProxyPassMatch ^/img/(.*\.gif)$ http://IMG.example:8081/$1 nocanon
  ProxyPass ~ ^/re/ http://re.example/ noquery mapping=servlet
  ProxyPassReverse /app balancer://cluster/app
  ProxyPassReverseCookiePath /app /pub
  <Proxy balancer://cluster growth=10>
    BalancerMember HTTP://LOCALHOST:39102/Path route=n1 loadfactor=2.5 lbset=1 status=+H-O retry=0 connectiontimeout=180ms acquire=50 ping=2 ttl=60 keepalive=On enablereuse=Off upgrade=ANY
    BalancerMember ws://b:80 route=n2 hcmethod=TCP hcpasses=2
    ProxySet failonstatus=500,503 maxattempts=2 stickysessionsep=Off
  </Proxy>
  ProxySet balancer://cluster timeout=3 forcerecovery=Off nonce=None
  <Location /loc>
    ProxyPass http://loc.example/x retry=0
    ProxyPassReverse http://loc.example/x
    ProxyPreserveHost Off
  </Location>
</VirtualHost>
`)
	if d := firstDiag(diags, parser.Warning); d != nil {
		t.Fatalf("unexpected %s", d)
	}
	if cfg.Main.Proxy.Timeout != 30*time.Second || cfg.Main.Proxy.AddHeaders != true || cfg.Main.Proxy.MaxForwards != -1 {
		t.Errorf("main proxy settings %+v", cfg.Main.Proxy)
	}
	vh := cfg.VirtualHosts[0]
	p := vh.Proxy
	if !p.PreserveHost || p.Via != model.ViaFull || p.Timeout != 30*time.Second || !p.Continue100 || p.IOBufferSize != 8192 || p.BalancerGrowth != 5 {
		t.Errorf("vhost proxy settings (own + inherited) %+v", p)
	}
	var paths []string
	for _, r := range vh.ProxyPass {
		paths = append(paths, r.Path)
	}
	if got := strings.Join(paths, " "); got != `/main /ex /app ^/img/(.*\.gif)$ ^/re/ /loc` {
		t.Fatalf("rule order: %s", got)
	}
	r := vh.ProxyPass
	if r[0].URL != "http://main.example/m" || r[0].Worker == nil || r[0].Worker.Port != 80 {
		t.Errorf("main rule %+v", *r[0])
	}
	if !r[1].Exclude {
		t.Errorf("exclusion %+v", *r[1])
	}
	if r[2].Balancer != "balancer://cluster" || r[2].URL != "balancer://Cluster/app" {
		t.Errorf("balancer rule %+v", *r[2])
	}
	if r[3].Regex == nil || !r[3].NoCanon || r[3].Worker == nil || r[3].Worker.Name != "http://img.example:8081/$1" || !r[3].Worker.Params.DisableReuse {
		t.Errorf("match rule %+v %+v", *r[3], r[3].Worker)
	}
	if r[4].Regex == nil || !r[4].NoQuery || r[4].Mapping != "servlet" {
		t.Errorf("tilde rule %+v", *r[4])
	}
	if r[5].InLocation != "/loc" || r[5].Worker.Params.Retry != 0 {
		t.Errorf("location rule %+v", *r[5])
	}
	if len(vh.Dir.Reverse) != 2 || vh.Dir.Reverse[0].Path != "/main" || vh.Dir.Reverse[1].URL != "balancer://cluster/app" {
		t.Errorf("reverse rules (main first) %+v", vh.Dir.Reverse)
	}
	if len(vh.Dir.CookiePath) != 1 || vh.Dir.CookiePath[0].Public != "/pub" {
		t.Errorf("cookie rules %+v", vh.Dir.CookiePath)
	}
	loc := vh.Locations[0]
	if loc.Dir.PreserveHost == nil || *loc.Dir.PreserveHost || len(loc.Dir.Reverse) != 1 || loc.Dir.Reverse[0].Path != "/loc" {
		t.Errorf("location dir %+v", loc.Dir)
	}

	if got := strings.Join(vh.BalancerOrder, " "); got != "balancer://shared balancer://cluster" {
		t.Errorf("balancers (inherited first): %s", got)
	}
	bal := vh.Balancers["balancer://cluster"]
	if bal.StickyCookie != "JSESSIONID" || bal.StickyParam != "jsessionid" || !bal.NoFailover || bal.LBMethod != "bytraffic" ||
		bal.Growth != 10 || bal.MaxAttempts != 2 || bal.StickySep != "" || bal.Timeout != 3*time.Second || bal.ForceRecovery ||
		bal.Nonce != "None" || len(bal.FailOnStatus) != 2 || bal.FailOnStatus[1] != 503 {
		t.Errorf("balancer %+v", *bal)
	}
	if len(bal.Members) != 2 {
		t.Fatalf("members %d", len(bal.Members))
	}
	m := bal.Members[0]
	want := model.WorkerParams{LoadFactor: 250, LBSet: 1, Route: "n1", Status: model.StatusHotStandby, Retry: 0,
		ConnectionTimeout: 180 * time.Millisecond, Acquire: 50 * time.Millisecond, Ping: 2 * time.Second, TTL: time.Minute, KeepAlive: true, DisableReuse: true}
	if m.Name != "http://localhost:39102/Path" || m.Host != "localhost" || m.Port != 39102 || m.Path != "/Path" || m.Scheme != "http" {
		t.Errorf("member URL %+v", m)
	}
	mp := m.Params
	if mp.LoadFactor != want.LoadFactor || mp.LBSet != want.LBSet || mp.Route != want.Route || mp.Status != want.Status || mp.Retry != 0 ||
		mp.ConnectionTimeout != want.ConnectionTimeout || mp.Acquire != want.Acquire || mp.Ping != want.Ping || mp.TTL != want.TTL ||
		!mp.KeepAlive || !mp.DisableReuse || len(mp.Upgrade) != 1 || mp.Upgrade[0] != "*" || !mp.Set["route"] || mp.Set["timeout"] {
		t.Errorf("member params %+v", mp)
	}
	m2 := bal.Members[1]
	if m2.Name != "ws://b" || m2.Port != 80 || len(m2.Params.Upgrade) != 1 || m2.Params.Upgrade[0] != "websocket" ||
		m2.Params.HealthCheck.Method != "TCP" || m2.Params.HealthCheck.Passes != 2 || m2.Params.HealthCheck.Interval != 30*time.Second || m2.Params.Retry != 60*time.Second {
		t.Errorf("member 2 %+v", m2)
	}
}

func TestNormalizeURL(t *testing.T) {
	for in, want := range map[string]string{
		"HTTP://LOCALHOST:39102/Path":      "http://localhost:39102/Path",
		"http://127.0.0.1:80/x":            "http://127.0.0.1/x",
		"https://h:443":                    "https://h",
		"https://h:80/":                    "https://h:80/",
		"ajp://h:8009/app":                 "ajp://h/app",
		"http://[2001:DB8::1]:8080/":       "http://[2001:db8::1]:8080/",
		"unix:/run/app.sock|http://App/":   "http://app/",
		"http://user@h/":                   "http://h/",
		"balancer://x":                     "balancer://x",
		"fcgi://127.0.0.1:9000/var/www/$1": "fcgi://127.0.0.1:9000/var/www/$1",
	} {
		got, _, ok := normalizeURL(in)
		if !ok || got != want {
			t.Errorf("normalizeURL(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, bad := range []string{"b.example.com", "http://", "http:/x", "unix:/x.sock", "/path", "ht tp://x"} {
		if _, _, ok := normalizeURL(bad); ok {
			t.Errorf("normalizeURL(%q) accepted", bad)
		}
	}
}

// A vhost that only references (and tunes) a balancer of the main server
// uses the main server's members.
func TestVHostUsesMainBalancer(t *testing.T) {
	cfg, diags := loadText(t, `
<Proxy balancer://c>
  BalancerMember http://a:1
  BalancerMember http://b:1
</Proxy>
<VirtualHost *:80>
  ProxyPass / balancer://c/ stickysession=ROUTEID
</VirtualHost>
<VirtualHost *:81>
  <Proxy balancer://c>
    BalancerMember http://own:1
  </Proxy>
  ProxyPass / balancer://c/
</VirtualHost>
<VirtualHost *:82>
  BalancerInherit Off
  ProxyPass / balancer://c/
</VirtualHost>
`)
	if d := firstDiag(diags, parser.Warning); d != nil {
		t.Fatalf("unexpected %s", d)
	}
	main := cfg.Main.Balancers["balancer://c"]
	b0 := cfg.VirtualHosts[0].Balancers["balancer://c"]
	if len(b0.Members) != 2 || b0.StickyCookie != "ROUTEID" || main.StickyCookie != "" {
		t.Errorf("vhost 1: %+v (main %+v)", b0, main)
	}
	if b1 := cfg.VirtualHosts[1].Balancers["balancer://c"]; len(b1.Members) != 1 || b1.Members[0].Name != "http://own:1" {
		t.Errorf("vhost 2 own balancer: %+v", b1)
	}
	if b2 := cfg.VirtualHosts[2].Balancers["balancer://c"]; len(b2.Members) != 0 {
		t.Errorf("vhost 3 (BalancerInherit Off): %+v", b2)
	}
}

func TestProxyWildcardSection(t *testing.T) {
	cfg, _ := loadText(t, "<Proxy http://host:8080/*>\n</Proxy>\n<Proxy *>\n</Proxy>\n<ProxyMatch ^http://a/(x|y)>\n</ProxyMatch>\n<Proxy balancer://c>\n</Proxy>\n")
	ps := cfg.Main.Proxies
	if len(ps) != 4 {
		t.Fatalf("proxies %+v", ps)
	}
	if re := ps[0].Regex; re == nil || !re.MatchString("http://host:8080/a/b/c") || re.MatchString("http://other:8080/a") {
		t.Errorf("<Proxy http://host:8080/*> regex %v", re)
	}
	if re := ps[1].Regex; re == nil || !re.MatchString("balancer://c/x/y") {
		t.Errorf("<Proxy *> regex %v", re)
	}
	if ps[2].Kind != "ProxyMatch" || !ps[2].Regex.MatchString("http://a/y/z") {
		t.Errorf("ProxyMatch %+v", ps[2])
	}
	if ps[3].Regex != nil || ps[3].Path != "balancer://c" {
		t.Errorf("plain prefix section %+v", ps[3])
	}
}

func TestSectionNamesInApacheSpelling(t *testing.T) {
	runDiagCases(t, parser.Error, []diagCase{
		{"lowercase proxy opener", "<proxy balancer://x lbmethod=foo>\n</proxy>\n", 1, "<Proxy unknown lbmethod lbmethod=foo; balancer://x", false},
		{"lowercase location", "<location>\n</location>\n", 1, "<Location> directive requires additional arguments", false},
	})
}
