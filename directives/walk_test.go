package directives

import (
	"strings"
	"testing"

	"github.com/balancerd/balancerd/parser"
)

// Messages verified with apache2 -t (2.4, Debian), see spec 1.6 and 1.9.
func TestWalkErrors(t *testing.T) {
	runDiagCases(t, parser.Error, walkErrorCases)
}

func TestIgnoredWarnsOncePerName(t *testing.T) {
	_, diags := loadText(t, "ExpiresActive On\nExpiresDefault a1\nAlias /a /b\nAlias /c /d\nAlias /e /f\n")
	var got []string
	for _, d := range diags {
		if d.Code == "ignored-directive" {
			got = append(got, d.Directive)
			if !strings.Contains(d.Message, "alias_module") && d.Directive == "Alias" {
				t.Errorf("warning does not name the module: %s", d.Message)
			}
		}
	}
	if strings.Join(got, ",") != "Alias" {
		t.Errorf("ignored warnings for %v, want exactly one for Alias (mod_expires is Accepted)", got)
	}
}

// A whole server config (one that loads an MPM) gets Apache's verdict for
// directives of modules it does not load; a fragment cannot tell.
func TestModuleNotLoaded(t *testing.T) {
	full := "LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so\nExpiresActive On\n"
	_, diags := loadText(t, full)
	d := firstDiag(diags, parser.Error)
	if d == nil || d.Pos.Line != 2 || !strings.HasPrefix(d.Message, "Invalid command 'ExpiresActive', perhaps misspelled or defined by a module not included in the server configuration") || !strings.Contains(d.Message, "LoadModule expires_module") {
		t.Fatalf("got %v", d)
	}
	_, diags = loadText(t, full+"LoadModule expires_module /usr/lib/apache2/modules/mod_expires.so\n")
	if d := firstDiag(diags, parser.Error); d != nil {
		t.Fatalf("expires loaded: unexpected %s", d)
	}
	_, diags = loadText(t, "ExpiresActive On\n")
	if d := firstDiag(diags, parser.Error); d != nil {
		t.Fatalf("fragment: unexpected %s", d)
	}
	// Modules balancerd implements count as built in.
	mpm := "LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so\n"
	_, diags = loadText(t, mpm+"ProxyPass /a http://b\nRewriteEngine On\n")
	if d := firstDiag(diags, parser.Error); d != nil {
		t.Fatalf("built-in module: unexpected %s", d)
	}
}

func TestDiagnosticsSorted(t *testing.T) {
	_, diags := loadText(t, "Bogus1 x\n<VirtualHost *:80>\nBogus2 y\n</VirtualHost>\nBogus3\n")
	last := 0
	for _, d := range diags {
		if d.Pos.Line < last {
			t.Fatalf("not sorted: %v", diags)
		}
		last = d.Pos.Line
	}
}

func TestSuggest(t *testing.T) {
	for in, want := range map[string]string{
		"BalancerMemeber":  "BalancerMember",
		"ProxyPassReverse": "",
		"ServerNmae":       "ServerName",
		"Xyzzy":            "",
		"All":              "",
		"Listn":            "Listen",
	} {
		if got := suggest(in, false); got != want {
			t.Errorf("suggest(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRegistryShape(t *testing.T) {
	for name, want := range map[string]ArgShape{
		"ServerName": ShapeTake1, "KeepAlive": ShapeFlag, "ProxyPass": ShapeRaw,
		"ErrorDocument": ShapeTake2, "ProxyPassReverse": ShapeTake123, "Define": ShapeTake12,
	} {
		s := Lookup(name)
		if s == nil || s.Shape != want {
			t.Errorf("%s: %+v, want shape %v", name, s, want)
		}
	}
	if s := Lookup("proxy"); s == nil || !s.Section || s.Module != "proxy_module" {
		t.Errorf("Proxy section: %+v", s)
	}
	if len(Specs()) < 700 {
		t.Errorf("registry has %d directives, want every standard module's", len(Specs()))
	}
	if s := Lookup("ProxyPass"); s.Support != Implemented || s.Apply == nil {
		t.Errorf("ProxyPass not implemented")
	}
}

// walkErrorCases are checked against real Apache by TestTablesAgreeWithApache.
var walkErrorCases = []diagCase{
	{"unknown", "NoSuchDirective on\n", 1, "Invalid command 'NoSuchDirective', perhaps misspelled or defined by a module not included in the server configuration", false},
	{"did you mean", "ProxyPasss /a http://b\n", 1, "Invalid command 'ProxyPasss', perhaps misspelled or defined by a module not included in the server configuration (did you mean 'ProxyPass'?)", false},
	{"case-insensitive name", "proxypass /a http://b\nPROXYREQUESTS off\n", 0, "", false},
	{"third-party directive", "\nJkMount /* worker1\n", 2, "Invalid command 'JkMount', perhaps misspelled or defined by a module not included in the server configuration", true},
	{"unknown section", "<Foo x>\n</Foo>\n", 1, "Invalid command '<Foo', perhaps misspelled or defined by a module not included in the server configuration", true},
	{"not allowed in location", "<Location /x>\nServerName x\n</Location>\n", 2, "ServerName not allowed in <Location> context", false},
	{"not allowed here", "Require all granted\n", 1, "Require not allowed here", false},
	{"not allowed in vhost", "<VirtualHost *:80>\nRequire all granted\n</VirtualHost>\n", 2, "Require not allowed in <VirtualHost> context", false},
	{"access_compat lowercase", "Order allow,deny\n", 1, "order not allowed here", false},
	{"listen in vhost", "<VirtualHost *:80>\nListen 80\n</VirtualHost>\n", 2, "Listen cannot occur within <VirtualHost> section", false},
	{"listen in location", "<Location /x>\nListen 80\n</Location>\n", 2, "Listen not allowed in <Location> context", false},
	{"proxypass in directory", "<Directory /x>\nProxyPass /a http://b\n</Directory>\n", 2, "ProxyPass cannot occur within <Directory> section", false},
	{"proxypass in files", "<Files x>\nProxyPass /a http://b\n</Files>\n", 2, "ProxyPass cannot occur within <Files> section", false},
	{"proxypass in if in location", "<Location /x>\n<If \"true\">\nProxyPass http://x\n</If>\n</Location>\n", 3, "ProxyPass cannot occur within <If> section", false},
	{"proxypass in limit", "<Location /x>\n<Limit GET>\nProxyPass http://x\n</Limit>\n</Location>\n", 3, "ProxyPass cannot occur within <Limit> or <LimitExcept> section", false},
	{"servername in limit", "<Directory /x>\n<Limit GET>\nServerName x\n</Limit>\n</Directory>\n", 3, "ServerName not allowed in <Limit> context", false},
	{"servername in if", "<Location /x>\n<If \"true\">\nServerName x\n</If>\n</Location>\n", 3, "ServerName not allowed in <If> context", false},
	{"files in location", "<Location /x>\n<Files x>\n</Files>\n</Location>\n", 2, "<Files> cannot occur within <Location> section", false},
	{"location in location", "<Location /x>\n<Location /y>\n</Location>\n</Location>\n", 2, "<Location not allowed in <Location> context", false},
	{"location in directory", "<Directory /x>\n<Location /x>\n</Location>\n</Directory>\n", 2, "<Location not allowed in <Directory> context", false},
	{"proxy in location", "<Location /x>\n<Proxy *>\n</Proxy>\n</Location>\n", 2, "<Proxy not allowed in <Location> context", false},
	{"vhost in vhost", "<VirtualHost *:80>\n<VirtualHost *:81>\n</VirtualHost>\n</VirtualHost>\n", 2, "<VirtualHost> cannot occur within <VirtualHost> section", false},
	{"take1 empty", "ServerName \"\"\n", 1, "ServerName takes one argument, The hostname and port of the server", false},
	{"take1 extra", "SetHandler a b\n", 1, "SetHandler takes one argument, a handler name that overrides any other configured handler", false},
	{"flag", "KeepAlive maybe\n", 1, "KeepAlive must be On or Off", false},
	{"flag missing", "ProxyRequests\n", 1, "ProxyRequests must be On or Off", false},
	{"take123", "ProxyPassReverse\n", 1, "ProxyPassReverse takes one, two or three arguments, a virtual path and a URL for reverse proxy behaviour", false},
	{"take23", "ProxyPassReverseCookieDomain a\n", 1, "ProxyPassReverseCookieDomain takes two or three arguments, Domain rewrite rule for proxying cookies", false},
	{"take2", "ErrorDocument 404\n", 1, "ErrorDocument takes two arguments, Change responses for HTTP errors", false},
	{"unsupported ldap", "<Location /x>\nAuthLDAPURL ldap://x/\n</Location>\n", 2, "AuthLDAPURL (authnz_ldap_module) is not supported by balancerd", true},
	{"flag ignores extra words", "KeepAlive on off\n", 0, "", false},
}

// Debian with the prefork MPM (mod_php setups): its LoadModule line and
// directives are standard.
func TestPreforkMPM(t *testing.T) {
	_, diags := loadText(t, "LoadModule mpm_prefork_module /usr/lib/apache2/modules/mod_mpm_prefork.so\n<IfModule mpm_prefork_module>\nStartServers 5\nMinSpareServers 5\nMaxSpareServers 10\nMaxRequestWorkers 150\n</IfModule>\nListen 80\n")
	if d := firstDiag(diags, parser.Error); d != nil {
		t.Fatalf("unexpected %s", d)
	}
}

func TestContextMessagesCanonicalNames(t *testing.T) {
	runDiagCases(t, parser.Error, []diagCase{
		{"lowercase location", "<location /x>\nServerName x\n</location>\n", 2, "ServerName not allowed in <Location> context", false},
		{"lowercase vhost", "<virtualhost *:80>\nRequire all granted\n</virtualhost>\n", 2, "Require not allowed in <VirtualHost> context", false},
		{"lowercase directory", "<directory /x>\nProxyPass /a http://b\n</directory>\n", 2, "ProxyPass cannot occur within <Directory> section", false},
		{"lowercase vhost notin", "<virtualhost *:80>\nListen 80\n</virtualhost>\n", 2, "Listen cannot occur within <VirtualHost> section", false},
		{"lowercase if", "<location /x>\n<if \"true\">\nProxyPass http://b\n</if>\n</location>\n", 3, "ProxyPass cannot occur within <If> section", false},
	})
}

func TestRemoteIP(t *testing.T) {
	runDiagCases(t, parser.Error, []diagCase{
		{"remoteip alone", "RemoteIPHeader X-Forwarded-For\n", 0, "", false},
		{"remoteip with require ip", "RemoteIPHeader X-Forwarded-For\n<Location /m>\nRequire ip 10.0.0.0/8\n</Location>\n", 1, "RemoteIPHeader (remoteip_module) is not supported by balancerd", true},
		{"remoteip with allow from", "<VirtualHost *:80>\nRemoteIPHeader X-Forwarded-For\n<Location /m>\nOrder deny,allow\nDeny from all\nAllow from 192.168\n</Location>\n</VirtualHost>\n", 2, "RemoteIPHeader (remoteip_module) is not supported by balancerd", true},
	})
}
