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

// proxyErrorCases are checked against real Apache by TestTablesAgreeWithApache.
const errForm = "Invalid ProxyPass|ProxyPassMatch parameter. Parameter must be in the form 'key=value'."

var proxyErrorCases = []diagCase{
	{"unknown worker key (hcheck loaded)", "ProxyPass /a http://a bogus=1\n", 1, "ProxyPass unknown Worker hcheck parameter", true},
	{"unknown balancer key", "ProxyPass /a balancer://a bogus=1\n", 1, "ProxyPass unknown Balancer parameter", true},
	{"loadfactor", "ProxyPass /a http://a loadfactor=0\n", 1, "ProxyPass LoadFactor must be a number between 1..100", false},
	{"word without =", "ProxyPass /a http://a timeout\n", 1, errForm, false},
	{"trailing comment", "ProxyPass /a http://b # comment\n", 1, errForm, false},
	{"not absolute", "ProxyPass /a b.example.com\n", 1, "ProxyPass URL must be absolute!: b.example.com", false},
	{"no host", "ProxyPass /a http://\n", 1, "ProxyPass URL must be absolute!: http://", false},
	{"single slash", "ProxyPass /a http:/bar/\n", 1, "ProxyPass URL must be absolute!: http:/bar/", false},
	{"unix without pipe", "ProxyPass /a unix:/tmp/x.sock\n", 1, "ProxyPass URL must be absolute!: unix:/tmp/x.sock", false},
	{"empty balancer", "ProxyPass /a balancer://\n", 1, "ProxyPass Bad syntax for a balancer name (balancer://)", false},
	{"needs path", "ProxyPass /a\n", 1, "ProxyPass|ProxyPassMatch needs a path when not defined in a location", false},
	{"no args", "ProxyPass\n", 1, "ProxyPass|ProxyPassMatch needs a path when not defined in a location", false},
	{"tilde only", "ProxyPass ~ /a\n", 1, "ProxyPass|ProxyPassMatch needs a path when not defined in a location", false},
	{"match tilde", "ProxyPassMatch ~ /a http://a\n", 1, "ProxyPassMatch invalid syntax ('~' usage).", false},
	{"match regex", "ProxyPassMatch \"(\" http://b\n", 1, "Regular expression could not be compiled.", true},
	{"mapping", "ProxyPass /a http://a mapping=foo\n", 1, "unknown mapping", false},
	{"retry", "ProxyPass /a http://a/ retry=-1\n", 1, "ProxyPass Retry must be a positive value", false},
	{"later key wins, each checked", "ProxyPass /a http://a/ timeout=1 timeout=0\n", 1, "ProxyPass Timeout must be at least one second", false},
	{"upgrade length", "ProxyPass /a http://a/ upgrade=aaaaaaaaaaaaaaaaaaaaaa\n", 1, "ProxyPass upgrade protocol length must be < 16 characters", false},
	{"flusher length", "ProxyPass /a http://a flusher=aaaaaaaaaaaaaaaaaaaaaaa\n", 1, "ProxyPass flusher name length must be < 16 characters", false},
	{"addressttl", "ProxyPass /a http://a addressttl=abc\n", 1, "ProxyPass AddressTTL must be -1 or a number of seconds not exceeding (2147483647)", false},
	{"status", "ProxyPass /a http://a status=+Q\n", 1, "ProxyPass Unknown status parameter option", false},
	{"location with path", "<Location /a>\nProxyPass /a http://b\n</Location>\n", 2, "ProxyPass|ProxyPassMatch can not have a path when defined in a location.", false},
	{"location extra word", "<Location /a>\nProxyPass http://b /c\n</Location>\n", 2, errForm, false},
	{"location bad param", "<Location /a>\nProxyPass http://b retry=0 bogus\n</Location>\n", 2, errForm, false},
	{"location empty", "<Location /a>\nProxyPass\n</Location>\n", 2, "ProxyPass|ProxyPassMatch needs a path when not defined in a location", false},
	{"location forms ok", "<Location /a>\nProxyPass http://b retry=0 nocanon\n</Location>\n<Location /b>\nProxyPass !\n</Location>\n<LocationMatch /c>\nProxyPass http://c\n</LocationMatch>\n", 0, "", false},
	{"exclusions ignore params", "ProxyPass /a !\nProxyPass /b ! retry=5\n", 0, "", false},
	{"unknown scheme ok", "ProxyPass /a foo://bar/\nProxyPass /b unix:/tmp/x.sock|http://localhost/\nProxyPass /c \"http://b/ c\"\n", 0, "", false},

	{"proxyset no balancer", "ProxySet balancer://nope lbmethod=byrequests\n", 1, "ProxySet can not find 'balancer://nope' Balancer.", false},
	{"proxyset no worker", "ProxySet http://nope timeout=1\n", 1, "ProxySet can not find 'http://nope' Worker.", false},
	{"proxyset nothing", "ProxySet\n", 1, "ProxySet can not find '' Worker.", false},
	{"proxyset empty proxy section defines nothing", "<Proxy balancer://x>\n</Proxy>\nProxySet balancer://x bogus\n", 3, "ProxySet can not find 'balancer://x' Balancer.", false},
	{"proxyset member is not a worker", "<Proxy balancer://x>\nBalancerMember http://a\n</Proxy>\nProxySet http://a timeout=3\n", 4, "ProxySet can not find 'http://a' Worker.", false},
	{"proxyset in proxy bad key", "<Proxy balancer://x>\nProxySet bogus=1\n</Proxy>\n", 2, "ProxySet: unknown Balancer parameter bogus=1; balancer://x", true},
	{"proxyset in proxy url", "<Proxy balancer://x>\nProxySet http://other timeout=1\n</Proxy>\n", 2, "Invalid ProxySet parameter. Parameter must be in the form 'key=value'", false},
	{"proxyset wildcard", "<Proxy *>\nProxySet timeout=1\n</Proxy>\n", 2, "ProxySet URL must be absolute!: *", false},
	{"proxyset value", "<Proxy \"balancer://x/\">\nBalancerMember http://a\n</Proxy>\nProxySet balancer://x timeout=0\n", 4, "ProxySet: timeout must be at least one second timeout=0; balancer://x", false},
	{"proxyset extra url", "BalancerMember balancer://x http://a\nProxySet balancer://x timeout=3 http://b\n", 2, "Invalid ProxySet parameter. Parameter must be in the form 'key=value'", false},
	{"proxyset empty worker section defines nothing", "<Proxy http://127.0.0.1:39101>\n</Proxy>\nProxySet http://127.0.0.1:39101 timeout=0\n", 3, "ProxySet can not find 'http://127.0.0.1:39101' Worker.", false},
	{"proxyset worker", "<Proxy http://127.0.0.1:39101 retry=5>\n</Proxy>\nProxySet http://127.0.0.1:39101 timeout=0\n", 3, "ProxySet: Timeout must be at least one second timeout=0; http://127.0.0.1:39101", false},
	{"proxyset worker from proxypass", "ProxyPass /a http://Back:80/x\nProxySet http://back/x timeout=0\n", 2, "ProxySet: Timeout must be at least one second timeout=0; http://back/x", false},
	{"proxyset in proxy ok", "<Proxy balancer://x>\nProxySet\n</Proxy>\n", 0, "", false},

	{"proxy opener lbmethod", "<Proxy balancer://x lbmethod=foo>\n</Proxy>\n", 1, "<Proxy unknown lbmethod lbmethod=foo; balancer://x", false},
	{"proxy opener worker", "<Proxy http://x timeout=0>\n</Proxy>\n", 1, "<Proxy Timeout must be at least one second timeout=0; http://x", false},
	{"proxy opener wildcard", "<Proxy * timeout=1>\n</Proxy>\n", 1, "<Proxy> arguments are not supported for wildchar url.", false},
	{"proxy opener unknown", "<Proxy balancer://x bogus=1>\n</Proxy>\n", 1, "<Proxy unknown Balancer parameter bogus=1; balancer://x", true},
	{"proxy no arg ok", "<Proxy>\n</Proxy>\n", 0, "", false},

	{"member unknown key", "<Proxy balancer://x>\nBalancerMember http://a bogus=1\n</Proxy>\n", 2, "BalancerMember unknown Worker hcheck parameter", true},
	{"member outside one url", "BalancerMember http://a\n", 1, "BalancerMember must define remote proxy server", false},
	{"member outside balancer only", "BalancerMember balancer://x\n", 1, "BalancerMember must define remote proxy server", false},
	{"member outside none", "BalancerMember\n", 1, "BalancerMember must define balancer name when outside <Proxy > section", false},
	{"member name inside proxy", "<Proxy balancer://x>\nBalancerMember balancer://x http://a\n</Proxy>\n", 2, "BalancerMember can not have a balancer name when defined in a location", false},
	{"member empty inside proxy", "<Proxy balancer://x>\nBalancerMember\n</Proxy>\n", 2, "BalancerMember must define remote proxy server", false},
	{"member in location", "<Location /x>\nBalancerMember http://b\n</Location>\n", 2, "BalancerMember Bad syntax for a balancer name (/x)", false},
	{"member quoted route with space", "<Proxy balancer://x>\nBalancerMember http://a route=\"a b\"\n</Proxy>\n", 2, "BalancerMember can not have a balancer name when defined in a location", false},
	{"member in worker proxy ok", "<Proxy http://x>\nBalancerMember http://b\n</Proxy>\n", 0, "", false},
	{"member bad word", "BalancerMember balancer://x http://a timeout\n", 1, "Invalid BalancerMember parameter. Parameter must be in the form 'key=value'", false},
	{"member status", "BalancerMember balancer://x http://a status=Q\n", 1, "BalancerMember Unknown status parameter option", false},
	{"member hcmethod", "BalancerMember balancer://x http://a hcmethod=PUT\n", 1, "BalancerMember Unknown method", false},
	{"member hcinterval", "BalancerMember balancer://x http://a hcinterval=50ms\n", 1, "BalancerMember Interval must be a positive value greater than 100ms", false},
	{"member hcexpr unknown", "BalancerMember balancer://x http://a hcexpr=nope\n", 1, "BalancerMember Unknown health check condition expr: nope", false},
	{"member hcexpr known", "ProxyHCExpr ok234 {%{REQUEST_STATUS} =~ /^[234]/}\nBalancerMember balancer://x http://a hcmethod=GET hcexpr=ok234 hcinterval=5\n", 0, "", false},

	{"via", "ProxyVia bogus\n", 1, "ProxyVia must be one of: off | on | full | block", false},
	{"timeout 0", "ProxyTimeout 0\n", 1, "Proxy Timeout must be at least 1 second.", false},
	{"timeout text", "ProxyTimeout abc\n", 1, "Proxy Timeout must be at least 1 second.", false},
	{"growth", "BalancerGrowth 2000\n", 1, "BalancerGrowth must be between 0 and 1000", false},
	{"badheader", "ProxyBadHeader bogus\n", 1, "ProxyBadHeader must be one of: IsError | Ignore | StartBody", false},
	{"iobuffer", "ProxyIOBufferSize 10\n", 1, "ProxyIOBufferSize must be >= 512 bytes, or 0 for system default.", false},
	{"status directive", "ProxyStatus bogus\n", 1, "ProxyStatus must be one of: off | on | full", false},
	{"erroroverride", "ProxyErrorOverride bogus\n", 1, "ProxyErrorOverride first parameter must be one of: off | on", false},
	{"erroroverride code", "ProxyErrorOverride On 200\n", 1, "ProxyErrorOverride: status codes to intercept must be valid HTTP Status Codes >=400 && <600", false},
	{"erroroverride off codes", "ProxyErrorOverride Off 500\n", 1, "ProxyErrorOverride: status codes must follow a value of 'on'", false},
	{"maxforwards atoi", "ProxyMaxForwards abc\n", 0, "", false},
	{"reverse needs path", "ProxyPassReverse /a\n", 1, "ProxyPassReverse needs a path when not defined in a location", false},
	{"reverse path in location", "<Location /a>\nProxyPassReverse /a http://b\n</Location>\n", 2, "ProxyPassReverse can not have a path when defined in a location", false},
	{"reverse third word ignored", "ProxyPassReverse /a http://b bogus\nProxyPassReverseCookieDomain a b bogus\n", 0, "", false},
}

// proxyWarningCases are checked against real Apache by TestWarningsAgreeWithApache.
var proxyWarningCases = []diagCase{
	{"sharing longest prefix", "ProxyPass /a http://b/x timeout=5\nProxyPass /c http://b/ timeout=7\nProxyPass /d http://b/xyz timeout=9\n", 3, "AH01146: Ignoring parameter 'timeout=9' for worker 'http://b/x' because of worker sharing", false},
	{"sharing normalised", "ProxyPass /a http://B:80/x timeout=5\nProxyPass /c http://b/x/y retry=1 ttl=5\n", 2, "AH01146: Ignoring parameter 'retry=1' for worker 'http://b/x' because of worker sharing", false},
	{"sharing proxy worker", "<Proxy http://b/>\nProxySet timeout=5\n</Proxy>\nProxyPass /c http://b/x retry=1\n", 4, "AH01146: Ignoring parameter 'retry=1' for worker 'http://b/' because of worker sharing", false},
	{"member sharing prefix", "BalancerMember balancer://c http://a/ route=1\nBalancerMember balancer://c http://a/x route=2\n", 2, "AH01150: Ignoring parameter 'route=2' for worker 'http://a/' because of worker sharing", false},
	{"no sharing across servers", "ProxyPass /a http://b/ timeout=5\n<VirtualHost *:80>\nProxyPass /c http://b/x retry=1\n</VirtualHost>\n", 0, "", false},
	{"worker sharing", "ProxyPass /a http://b/ timeout=5\nProxyPass /c http://b/x timeout=7\n", 2, "AH01146: Ignoring parameter 'timeout=7' for worker 'http://b/' because of worker sharing", false},
	{"member sharing", "<Proxy balancer://c>\nBalancerMember http://a route=1\nBalancerMember http://a route=2\n</Proxy>\n", 3, "AH01150: Ignoring parameter 'route=2' for worker 'http://a' because of worker sharing", false},
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
