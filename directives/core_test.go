package directives

import (
	"testing"
	"time"

	"github.com/balancerd/balancerd/directives/model"
	"github.com/balancerd/balancerd/parser"
)

// Messages verified with apache2 -t (2.4.67, Debian).
func TestCoreErrors(t *testing.T) {
	runDiagCases(t, parser.Error, coreErrorCases)
}

func TestCoreWarnings(t *testing.T) {
	runDiagCases(t, parser.Warning, coreWarningCases)
	// AH00548 is reported once.
	_, diags := loadText(t, "NameVirtualHost *:80\nNameVirtualHost *:81\n")
	n := 0
	for _, d := range diags {
		if d.Code == "AH00548" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("AH00548 reported %d times, want once", n)
	}
}

func TestCoreModel(t *testing.T) {
	dir := t.TempDir()
	cfg, diags := loadText(t, `
Timeout 300
KeepAlive Off
KeepAliveTimeout 500ms
MaxKeepAliveRequests 7
Listen 80
Listen [::1]:8443 https
Listen 10.0.0.1:8080
ServerName Main.Example:8080
DocumentRoot `+dir+`
<VirtualHost *:80 _default_:443 [2001:db8::1]:8080 10.0.0.1 *>
  ServerName WWW.Example.com
  ServerAlias a.example.com *.Example.org
  ErrorDocument 503 /maint.html
  <Location /m>
    SetHandler Balancer-Manager
  </Location>
  <LocationMatch ^/api/(v1|v2)>
  </LocationMatch>
  <Location /wc*>
  </Location>
  <Directory /srv>
    AllowOverride AuthConfig Options=Indexes Nonfatal=Override
    <Files x.txt>
    </Files>
  </Directory>
</VirtualHost>
<VirtualHost *:81>
</VirtualHost>
`)
	if d := firstDiag(diags, parser.Warning); d != nil {
		t.Fatalf("unexpected %s", d)
	}
	if cfg.Timeout != 300*time.Second || cfg.KeepAlive || cfg.KeepAliveTimeout != 500*time.Millisecond || cfg.MaxKeepAliveRequests != 7 {
		t.Errorf("core settings: %+v", cfg)
	}
	wantL := []model.Listener{{Port: 80}, {Host: "::1", Port: 8443, Proto: "https"}, {Host: "10.0.0.1", Port: 8080}}
	if len(cfg.Listeners) != 3 {
		t.Fatalf("listeners %+v", cfg.Listeners)
	}
	for i, l := range cfg.Listeners {
		l.Source = ""
		if l != wantL[i] {
			t.Errorf("listener %d = %+v, want %+v", i, l, wantL[i])
		}
	}
	if cfg.Main.ServerName != "main.example" || cfg.Main.ServerPort != 8080 || cfg.Main.DocumentRoot != dir {
		t.Errorf("main server %q %d %q", cfg.Main.ServerName, cfg.Main.ServerPort, cfg.Main.DocumentRoot)
	}
	if len(cfg.VirtualHosts) != 2 {
		t.Fatalf("vhosts: %d", len(cfg.VirtualHosts))
	}
	vh := cfg.VirtualHosts[0]
	wantA := []model.VHostAddr{{Host: "*", Port: 80, Text: "*:80"}, {Host: "*", Port: 443, Text: "_default_:443"}, {Host: "2001:db8::1", Port: 8080, Text: "[2001:db8::1]:8080"}, {Host: "10.0.0.1", Port: 8080, Text: "10.0.0.1"}, {Host: "*", Port: 0, Text: "*"}}
	for i, a := range vh.Addrs {
		if i >= len(wantA) || a != wantA[i] {
			t.Errorf("addr %d = %+v", i, a)
		}
	}
	if vh.ServerName != "www.example.com" || len(vh.ServerAlias) != 2 || vh.ServerAlias[1] != "*.example.org" {
		t.Errorf("names %q %v", vh.ServerName, vh.ServerAlias)
	}
	if vh.Dir.ErrorDocuments[503] != "/maint.html" {
		t.Errorf("ErrorDocument: %v", vh.Dir.ErrorDocuments)
	}
	if len(vh.Locations) != 3 || vh.Locations[0].Dir.Handler != "balancer-manager" {
		t.Fatalf("locations %+v", vh.Locations)
	}
	if re := vh.Locations[1].Regex; re == nil || !re.MatchString("/api/v2/x") {
		t.Errorf("LocationMatch regex %v", re)
	}
	if re := vh.Locations[2].Regex; re == nil || !re.MatchString("/wcx") || re.MatchString("/wcx/y") {
		t.Errorf("wildcard Location regex %v", re)
	}
	if len(vh.Directories) != 1 || len(vh.Directories[0].Dir.Files) != 1 {
		t.Fatalf("directories %+v", vh.Directories)
	}
	if got := vh.Directories[0].Dir.AllowOverride; len(got) != 2 || got[0] != "AuthConfig" || got[1] != "Options" {
		t.Errorf("AllowOverride %v", got)
	}
	// A vhost without ServerName inherits the main server's.
	if v2 := cfg.VirtualHosts[1]; v2.ServerName != "main.example" || v2.DocumentRoot != dir {
		t.Errorf("inheritance: %q %q", v2.ServerName, v2.DocumentRoot)
	}
}

func TestParseTimeParam(t *testing.T) {
	for _, c := range []struct {
		in, unit string
		want     time.Duration
		ok       bool
	}{
		{"5", "s", 5 * time.Second, true},
		{"500ms", "s", 500 * time.Millisecond, true},
		{"1mi", "s", time.Minute, true},
		{"2h", "s", 2 * time.Hour, true},
		{"5", "ms", 5 * time.Millisecond, true},
		{"5sec", "ms", 5 * time.Second, true},
		{"abc", "s", 0, false},
		{"5m", "s", 0, false},
		{"5x", "s", 0, false},
	} {
		got, ok := parseTimeParam(c.in, c.unit)
		if got != c.want || ok != c.ok {
			t.Errorf("parseTimeParam(%q, %q) = %v, %v; want %v, %v", c.in, c.unit, got, ok, c.want, c.ok)
		}
	}
}

func TestErrorDirective(t *testing.T) {
	runDiagCases(t, parser.Error, []diagCase{
		{"error", "ServerName a\n<IfModule !mod_nothing.c>\nError \"configure the backends first\"\n</IfModule>\n", 3, "configure the backends first", false},
	})
}

// coreErrorCases are checked against real Apache by TestTablesAgreeWithApache.
var coreErrorCases = []diagCase{
	{"servername wildcard", "ServerName *.x\n", 1, `Invalid ServerName "*.x" use ServerAlias to set multiple server names.`, false},
	{"servername class", "ServerName [::1]:8080\n", 1, `Invalid ServerName "[::1]:8080" use ServerAlias to set multiple server names.`, false},
	{"servername port range", "ServerName x:99999\n", 1, `The port number "x:99999" is outside the appropriate range (i.e., 1..65535).`, false},
	{"servername port text", "ServerName x:abc\n", 1, `The port number "x:abc" is outside the appropriate range (i.e., 1..65535).`, false},
	{"servername scheme ok", "ServerName http://x:8080\n", 0, "", false},
	{"serveralias outside vhost", "ServerAlias a\n", 1, "ServerAlias only used in <VirtualHost>", false},
	{"listen no port", "Listen localhost\n", 1, "Port must be specified", false},
	{"listen v6 no port", "Listen [::1]\n", 1, "Port must be specified", false},
	{"listen x:y", "Listen x:y\n", 1, "Port must be specified", false},
	{"listen dup", "Listen 80\nListen 80\n", 2, "Cannot define multiple Listeners on the same IP:port", false},
	{"listen any and ip", "Listen 8081\nListen 0.0.0.0:8081\n", 0, "", false},
	{"listen port 0", "Listen 1.2.3.4:0\n", 1, "Invalid address or port", false},
	{"listen port range", "Listen 99999\n", 1, "Invalid address or port", false},
	{"listen empty host", "Listen :80\n", 1, "Invalid address or port", false},
	{"listen three args", "Listen 80 http extra\n", 1, "Listen requires 1 or 2 arguments.", false},
	{"listen none", "Listen\n", 1, "Listen requires 1 or 2 arguments.", false},
	{"vhost no args", "<VirtualHost>\n</VirtualHost>\n", 1, "<VirtualHost> directive requires additional arguments", false},
	{"vhost bad port", "<VirtualHost *:99999>\n</VirtualHost>\n", 1, "The address or port is invalid", false},
	{"errordocument code", "ErrorDocument 999 x\n", 1, "Unsupported HTTP response code 999", false},
	{"errordocument text", "ErrorDocument abc x\n", 1, "Unsupported HTTP response code abc", false},
	{"errordocument unterminated quote ok", "ErrorDocument 404 \"x\n", 0, "", false},
	{"allowoverride top", "AllowOverride None\n", 1, "AllowOverride not allowed here", false},
	{"allowoverride bogus", "<Directory /x>\nAllowOverride Bogus\n</Directory>\n", 2, "Illegal override option Bogus", true},
	{"allowoverride empty ok", "<Directory /x>\nAllowOverride\n</Directory>\n", 0, "", false},
	{"keepalivetimeout", "KeepAliveTimeout abc\n", 1, "KeepAliveTimeout has wrong format", false},
	{"timeout atoi", "Timeout abc\nTimeout 5ms\nMaxKeepAliveRequests abc\n", 0, "", false},
	{"serverroot", "ServerRoot /nonexistent/balancerd\n", 1, "ServerRoot must be a valid directory", false},
	{"loadmodule third party", "LoadModule foo_module modules/mod_foo.so\n", 1, "Cannot load modules/mod_foo.so into server: ", true},
	{"loadmodule truncated", "LoadModule proxy_http_module modules/mod_proxy_http.\n", 1, "Cannot load modules/mod_proxy_http. into server: ", true},
	{"loadmodule take2", "LoadModule proxy_module\n", 1, "LoadModule takes two arguments, a module name and the name of a shared object file to load it from", false},
	{"loadmodule standard", "LoadModule proxy_module /usr/lib/apache2/modules/mod_proxy.so\nLoadModule rewrite_module /usr/lib/apache2/modules/mod_rewrite.so\n", 0, "", false},
	{"loadmodule standard relative path", "LoadModule rewrite_module modules/mod_rewrite.so\n", 0, "", false},
	{"location no args", "<Location>\n</Location>\n", 1, "<Location> directive requires additional arguments", false},
	{"directory no args", "<Directory>\n</Directory>\n", 1, "<Directory> directive requires additional arguments", false},
	{"locationmatch regex", "<LocationMatch \"(\">\n</LocationMatch>\n", 1, "Regex could not be compiled", true},
	{"location tilde regex", "<Location ~ \"(\">\n</Location>\n", 1, "Regex could not be compiled", true},
	{"elseif alone", "<ElseIf \"true\">\n</ElseIf>\n", 1, "<Else> or <ElseIf> section without previous <If> or <ElseIf> section in same scope", false},
	{"else alone", "<Else>\n</Else>\n", 1, "<Else> or <ElseIf> section without previous <If> or <ElseIf> section in same scope", false},
	{"else arg", "<If \"true\">\n</If>\n<Else x>\n</Else>\n", 3, "<Else> does not take an argument", false},
	{"if with access", "<Location /a>\n<If \"-R '10.0.0.0/8'\">\nRequire all denied\n</If>\n</Location>\n", 2, "<If> with access control or rewrite rules inside is not supported by balancerd", true},
	{"if with rewrite", "<If \"%{HTTP_HOST} == 'a'\">\nRewriteEngine On\nRewriteRule ^ - [F]\n</If>\n", 1, "<If> with access control or rewrite rules inside is not supported by balancerd", true},
}

// coreWarningCases are checked against real Apache by TestWarningsAgreeWithApache.
var coreWarningCases = []diagCase{
	{"namevirtualhost", "NameVirtualHost *:80\nNameVirtualHost *:81\n", 1, "AH00548: NameVirtualHost has no effect and will be removed in the next release t.conf:1", false},
	{"docroot vhost", "<VirtualHost *:80>\nDocumentRoot /nonexistent/balancerd\n</VirtualHost>\n", 2, "AH00112: Warning: DocumentRoot [/nonexistent/balancerd] does not exist", false},
	{"compiled-in module", "LoadModule version_module modules/mod_version.so\n", 1, "module version_module is built-in and can't be loaded", true},
	{"allowoverride in location", "<Location /x>\nAllowOverride None\n</Location>\n", 2, "AH00114: Useless use of AllowOverride in line 2 of t.conf.", false},
	{"vhost unresolvable", "<VirtualHost x:abc>\n</VirtualHost>\n", 1, "AH00547: Could not resolve host name x:abc -- ignoring!", false},
}

func TestVHostDefaultPort(t *testing.T) {
	cfg, _ := loadText(t, "<VirtualHost * 10.0.0.1>\n</VirtualHost>\nServerName main:8080\n<VirtualHost * 10.0.0.1 *:*>\n</VirtualHost>\n")
	a, b := cfg.VirtualHosts[0].Addrs, cfg.VirtualHosts[1].Addrs
	if a[0].Port != 0 || a[1].Port != 0 {
		t.Errorf("before ServerName host:port: %+v", a)
	}
	if b[0].Port != 0 || b[1].Port != 8080 || b[2].Port != 0 {
		t.Errorf("after ServerName main:8080: %+v", b)
	}
}

func TestSSLVerifyClient(t *testing.T) {
	runDiagCases(t, parser.Error, []diagCase{
		{"none", "SSLVerifyClient none\n", 0, "", false},
		{"require", "<VirtualHost *:443>\nSSLVerifyClient require\n</VirtualHost>\n", 2, "SSLVerifyClient require (ssl_module) is not supported by balancerd", true},
	})
}
