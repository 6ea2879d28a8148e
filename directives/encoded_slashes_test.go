package directives

import (
	"testing"

	"github.com/balancerd/balancerd/parser"
)

func TestAllowEncodedSlashesErrors(t *testing.T) {
	runDiagCases(t, parser.Error, []diagCase{
		{name: "bad", src: "AllowEncodedSlashes maybe\n", line: 1, msg: "AllowEncodedSlashes must be On, Off, or NoDecode"},
		{name: "ok", src: "AllowEncodedSlashes NoDecode\n<VirtualHost *:80>\nAllowEncodedSlashes on\n</VirtualHost>\n"},
	})
}

// TestPerServerAndPerDirSettings: AllowEncodedSlashes is per server
// (lowercase; unset in a vhost that does not write it), ProxyErrorOverride
// inside a section belongs to that section only.
func TestPerServerAndPerDirSettings(t *testing.T) {
	src := "AllowEncodedSlashes NoDecode\n<VirtualHost *:80>\nServerName a\nAllowEncodedSlashes On\nProxyErrorOverride On 404\n</VirtualHost>\n" +
		"<VirtualHost *:80>\nServerName b\n<Location /over/>\nProxyErrorOverride On 500 502\n</Location>\n</VirtualHost>\n"
	cfg, diags := loadText(t, src)
	if d := firstDiag(diags, parser.Error); d != nil {
		t.Fatalf("unexpected %v", d)
	}
	a, b := cfg.VirtualHosts[0], cfg.VirtualHosts[1]
	if cfg.Main.AllowEncodedSlashes != "nodecode" || a.AllowEncodedSlashes != "on" || b.AllowEncodedSlashes != "" {
		t.Fatalf("AllowEncodedSlashes main %q a %q b %q", cfg.Main.AllowEncodedSlashes, a.AllowEncodedSlashes, b.AllowEncodedSlashes)
	}
	if !a.Proxy.ErrorOverride || len(a.Proxy.ErrorOverrideCodes) != 1 {
		t.Fatalf("server-level ProxyErrorOverride: %+v", a.Proxy)
	}
	if b.Proxy.ErrorOverride {
		t.Fatalf("ProxyErrorOverride in <Location> leaked to the server")
	}
	eo := b.Locations[0].Dir.ErrorOverride
	if eo == nil || !eo.On || len(eo.Codes) != 2 || eo.Codes[1] != 502 || eo.Source != "t.conf:10" {
		t.Fatalf("per-location ProxyErrorOverride: %+v", eo)
	}
}
