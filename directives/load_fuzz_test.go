package directives

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzLoadBytes: any configuration text builds without panicking, and
// every diagnostic about the text points inside it.
func FuzzLoadBytes(f *testing.F) {
	for _, s := range []string{
		"ProxyPass /a balancer://c/ stickysession=JSESSIONID|jsessionid\n<Proxy balancer://c>\nBalancerMember http://a:1 route=1 status=+H\n</Proxy>\n",
		"<VirtualHost *:80 [::1]:8080>\nServerName x:1\nServerAlias *.y\n<Location /m>\nSetHandler balancer-manager\nProxyPass http://b retry=0\n</Location>\n</VirtualHost>\n",
		"Listen [::1]:80 https\n<If \"true\">\n</If>\n<Else>\n</Else>\nProxySet balancer://x timeout=0\n",
		"ProxyPassMatch ^/(.*)$ http://b/$1 connectiontimeout=5ms hcmethod=GET\nProxyHCExpr e {%{REQUEST_STATUS} =~ /^2/}\n",
		"<Location ~ \"[\">\n</Location>\nLoadModule x_module modules/mod_x.so\nErrorDocument 404\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		if bytes.Contains(bytes.ToLower(src), []byte("include")) || bytes.Contains(bytes.ToLower(src), []byte("serverroot")) {
			t.Skip("reads other files")
		}
		lines := strings.Count(string(src), "\n") + 1
		cfg, _, diags := LoadBytes("fuzz.conf", src, LoadOptions{ServerRoot: t.TempDir()})
		if cfg == nil || cfg.Main == nil {
			t.Fatal("no model")
		}
		for _, d := range diags {
			if d.Pos.File == "fuzz.conf" && (d.Pos.Line < 1 || d.Pos.Line > lines) {
				t.Fatalf("position %s outside input of %d lines: %s", d.Pos, lines, d.Message)
			}
		}
	})
}
