package directives

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/balancerd/balancerd/directives/model"
	"github.com/balancerd/balancerd/parser"
)

func TestLintSourceRules(t *testing.T) {
	tests := []struct {
		name, src string
		setup     func(cfg *model.Config)
		want      []string
		mention   string
	}{
		{"<Proxy *> Allow from all is a no-op in 2.4", "<Proxy *>\n  Order deny,allow\n  Allow from all\n</Proxy>\n", nil,
			[]string{"access-compat@2"}, "no effect in 2.4"},
		{"Deny from all", "<Location /x>\n  Order deny,allow\n  Deny from all\n</Location>\n", nil,
			[]string{"access-compat@2"}, "Require all denied"},
		{"Allow from a network", "<Location /x>\n  Deny from all\n  Allow from 10.0.0.0/8\n</Location>\n", nil,
			[]string{"access-compat@2"}, "Require ip"},
		{"Require in <Limit>", "<Directory /var/www>\n  <Limit GET POST>\n    Require valid-user\n  </Limit>\n</Directory>\n", nil,
			[]string{"limit-require@2"}, "DELETE"},
		{"Require without <Limit>", "<Directory /var/www>\n  Require valid-user\n</Directory>\n", nil, nil, ""},
		{"trailing comment", "ServerAlias a.example # old name\n", nil,
			[]string{"trailing-comment@1"}, "own line"},
		{"quoted hash is not a comment", "Header set X-A \"#1\"\n", nil, nil, ""},
		{"a lone #value is not a comment", "Header set X-Color #fff\n", nil, nil, ""},
		{"#word followed by words", "ServerAlias a.example #old name\n", nil, []string{"trailing-comment@1"}, "own line"},
		{"ProxyRequests On", "ProxyRequests On\n", nil, []string{"proxy-requests-on@1"}, "forward proxy"},
		{"ProxyPassInherit Off", "ProxyPass /x !\n<VirtualHost *:80>\n  ProxyPassInherit Off\n</VirtualHost>\n", func(cfg *model.Config) {
			cfg.Main.ProxyPass = []*model.ProxyPassRule{tRule(1, "/x", "!")}
		}, []string{"proxypassinherit-off@3"}, "2.4.71"},
		{"%N in a substitution", "", func(cfg *model.Config) {
			cfg.Main.Rewrite = &model.RewriteConfig{Engine: true, Rules: []*model.RewriteRule{
				{Source: "lb.conf:7", Pattern: "^/x$", Regex: regexp.MustCompile("^/x$"), Substitution: "/sp%20ace"},
				{Source: "lb.conf:8", Pattern: "^/y/(.*)$", Regex: regexp.MustCompile("^/y/(.*)$"), Substitution: "/z/$1"},
				{Source: "lb.conf:9", Pattern: "^/y/(.*)$", Regex: regexp.MustCompile("^/y/(.*)$"), Substitution: "/z/$2"},
				{Source: "lb.conf:10", Pattern: "^/w", Regex: regexp.MustCompile("^/w"), Substitution: `/a\%20b`},
			}}
		}, []string{"rewrite-unescaped@7", "rewrite-unescaped@9"}, `\%2`},
		{"CO flag with an empty field", "", func(cfg *model.Config) {
			cfg.Main.Rewrite = &model.RewriteConfig{Engine: true, Rules: []*model.RewriteRule{
				{Source: "lb.conf:3", Pattern: ".*", Regex: regexp.MustCompile(".*"), Substitution: "-",
					Flags: model.RewriteFlags{Raw: []string{"CO=A:1:.x.com::/p"}}},
			}}
		}, []string{"co-empty-field@3", "co-lifetime@3"}, "lifetime 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := parser.ParseBytes("lb.conf", []byte(tt.src), parser.Options{})
			if res.Diags.HasErrors() {
				t.Fatalf("parse: %v", res.Diags)
			}
			cfg := tConfig()
			if tt.setup != nil {
				tt.setup(cfg)
			}
			ds := Lint(cfg, res, LintOptions{NoFiles: true})
			checkCodes(t, ds, tt.want...)
			if tt.mention != "" && !strings.Contains(fmt.Sprint(ds), tt.mention) {
				t.Errorf("messages do not mention %q: %s", tt.mention, ds)
			}
		})
	}
}

func TestLintCommentContinuation(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"lb.conf": "# old setting \\\nProxyRequests Off\r\n# a note\nServerName a\n# two \\\n# comments \\\n  ServerAlias b\n"})
	res := parser.ParseFile(filepath.Join(dir, "lb.conf"), parser.Options{})
	ds := Lint(tConfig(), res, LintOptions{NoFiles: true})
	checkCodes(t, ds, "comment-continuation@2", "comment-continuation@7")
	if len(ds) == 2 && ds[1].Pos.Col != 3 {
		t.Errorf("column = %d, want 3", ds[1].Pos.Col)
	}
}
