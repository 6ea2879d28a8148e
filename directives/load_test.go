package directives

import (
	"testing"

	"github.com/balancerd/balancerd/parser"
)

// ParserOptions wires the read-phase conditionals to the registry.
func TestParserOptionsConditionals(t *testing.T) {
	cfg, diags := loadText(t, `
<IfModule mod_proxy.c>
ProxyPass /a http://a
</IfModule>
<IfModule proxy_balancer_module>
ProxyPass /b http://b
</IfModule>
<IfModule !mod_rewrite.c>
ProxyPass /c http://c
</IfModule>
<IfModule mod_jk.c>
JkMount /* w
</IfModule>
<IfDirective ProxyPass>
ProxyPass /d http://d
</IfDirective>
<IfDirective JkMount>
JkMount /* w
</IfDirective>
<IfSection Proxy>
ProxyPass /e http://e
</IfSection>
<IfSection !VirtualHost>
ProxyPass /f http://f
</IfSection>
`)
	if d := firstDiag(diags, parser.Warning); d != nil {
		t.Fatalf("unexpected %s", d)
	}
	var got string
	for _, r := range cfg.Main.ProxyPass {
		got += r.Path
	}
	if got != "/a/b/d/e" {
		t.Errorf("rules from true conditionals: %q, want /a/b/d/e", got)
	}
	if !ModuleBuiltin("mod_proxy_balancer.c") || !ModuleBuiltin("version_module") || ModuleBuiltin("expires_module") || ModuleBuiltin("jk_module") {
		t.Error("ModuleBuiltin answers")
	}
}

func TestBuildNilResult(t *testing.T) {
	cfg, diags := Build(nil, LoadOptions{})
	if cfg == nil || cfg.Main == nil || len(diags) != 0 || cfg.Timeout != defaultTimeout || !cfg.KeepAlive {
		t.Fatalf("empty build: %+v %v", cfg, diags)
	}
}
