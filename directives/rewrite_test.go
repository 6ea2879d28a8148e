package directives

import (
	"strings"
	"testing"

	"github.com/balancerd/balancerd/directives/model"
	"github.com/balancerd/balancerd/parser"
)

// Messages observed with apache2 -t (2.4.67, Debian).
func TestRewriteHeaderLogErrors(t *testing.T) {
	runDiagCases(t, parser.Error, []diagCase{
		{name: "unknown flag", src: "RewriteRule ^ - [XYZ]\n", line: 1, msg: "RewriteRule: unknown flag 'XYZ'"},
		{name: "empty flag", src: "RewriteRule ^ - [L,,NC]\n", line: 1, msg: "RewriteRule: unknown flag ''"},
		{name: "bad status", src: "RewriteRule ^ - [R=999]\n", line: 1, msg: "RewriteRule: invalid HTTP response code '999' for flag 'R'"},
		{name: "unknown status", src: "RewriteRule ^ - [R=452]\n", line: 1, msg: "RewriteRule: invalid HTTP response code '452' for flag 'R'"},
		{name: "teapot", src: "RewriteRule ^ - [R=418]\n", line: 1, msg: "RewriteRule: invalid HTTP response code '418' for flag 'R'"},
		{name: "no brackets", src: "RewriteRule ^ - XYZ\n", line: 1, msg: "RewriteRule: bad flag delimiters"},
		{name: "open bracket", src: "RewriteRule ^ - [L\n", line: 1, msg: "RewriteRule: bad flag delimiters"},
		{name: "spaces in flags", src: "RewriteRule ^ - \"[ L ]\"\n", line: 1, msg: "RewriteRule: bad flag delimiters"},
		{name: "one arg", src: "RewriteRule ^\n", line: 1, msg: "RewriteRule: bad argument line '^'"},
		{name: "bad regex", src: "RewriteRule ( -\n", line: 1, msg: "RewriteRule: cannot compile regular expression '('"},
		{name: "cond one arg", src: "RewriteCond %{HTTP_HOST}\n", line: 1, msg: "RewriteCond: bad argument line '%{HTTP_HOST}'"},
		{name: "cond bad regex", src: "RewriteCond %{HTTP_HOST} (\n", line: 1, msg: "RewriteCond: cannot compile regular expression '('"},
		{name: "cond flag", src: "RewriteCond %{HTTP_HOST} x [XX]\n", line: 1, msg: "RewriteCond: unknown flag 'XX'"},
		{name: "cond expr", src: "RewriteCond expr \"%{HTTP_HOST} ==\"\n", line: 1, msg: "RewriteCond: cannot compile expression \"%{HTTP_HOST} ==\" ", prefix: true},
		{name: "options", src: "RewriteOptions foo\n", line: 1, msg: "RewriteOptions: unknown option 'foo'"},
		{name: "base server", src: "RewriteBase /x\n", line: 1, msg: "RewriteBase: only valid in per-directory config files"},
		{name: "base relative", src: "<Directory /tmp>\nRewriteBase x\n</Directory>\n", line: 2, msg: "RewriteBase: argument is not a valid URL"},
		{name: "engine", src: "RewriteEngine foo\n", line: 1, msg: "RewriteEngine must be On or Off"},
		{name: "header action", src: "Header foo X y\n", line: 1, msg: "first argument must be 'add', 'set', 'setifempty', 'append', 'merge', 'unset', 'echo', 'note', 'edit', or 'edit*'."},
		{name: "header always alone", src: "Header always\n", line: 1, msg: "first argument must be 'add', 'set', 'setifempty', 'append', 'merge', 'unset', 'echo', 'note', 'edit', or 'edit*'."},
		{name: "header set no value", src: "Header set X\n", line: 1, msg: "Header requires three arguments"},
		{name: "header unset extra", src: "Header unset X y\n", line: 1, msg: "Unknown parameter: y"},
		{name: "header set extra", src: "Header set X y z\n", line: 1, msg: "Unknown parameter: z"},
		{name: "header too many", src: "Header set X y env=Z q\n", line: 1, msg: "Too many arguments to directive"},
		{name: "trailing comment", src: "Header set X-A \"a b\" # trailing\n", line: 1, msg: "Too many arguments to directive"},
		{name: "edit no subst", src: "Header edit X y\n", line: 1, msg: "Header edit requires a match and a substitution"},
		{name: "edit extra", src: "Header edit X ^a b c\n", line: 1, msg: "Unknown parameter: c"},
		{name: "edit regex", src: "Header edit X ( b\n", line: 1, msg: "Header edit regex could not be compiled"},
		{name: "format", src: "Header set X \"%{FOO}q\"\n", line: 1, msg: "Unrecognized header format %q"},
		{name: "request always", src: "RequestHeader always set X y\n", line: 1, msg: "first argument must be 'add', 'set', 'setifempty', 'append', 'merge', 'unset', 'echo', 'note', 'edit', or 'edit*'."},
		{name: "request echo", src: "RequestHeader echo X\n", line: 1, msg: "Header echo only valid on Header directives"},
		{name: "expr condition bad", src: "Header set X y \"expr=%{REQUEST_URI} =~\"\n", line: 1, msg: "Can't parse envclause/expression: ", prefix: true},
		{name: "customlog clause", src: "CustomLog /tmp/a.log common foo\n", line: 1, msg: "error in condition clause"},
		{name: "customlog env", src: "CustomLog /tmp/a.log common env=\n", line: 1, msg: "missing environment variable name"},
		{name: "customlog args", src: "CustomLog /tmp/a.log\n", line: 1, msg: `CustomLog takes two or three arguments, a file name, a custom log format string or format name, and an optional "env=" or "expr=" clause (see docs)`},
		{name: "loglevel", src: "LogLevel foo\n", line: 1, msg: "Log level keyword must be one of emerg/alert/crit/error/warn/notice/info/debug/trace1/.../trace8"},
		{name: "loglevel module", src: "LogLevel proxy:foo\n", line: 1, msg: "proxy:foo: Log level keyword must be one of emerg/alert/crit/error/warn/notice/info/debug/trace1/.../trace8"},
		{name: "logformat letter", src: "LogFormat \"%h %Z\" x\n", line: 1, msg: "Unrecognized LogFormat directive %Z"},
		{name: "logformat args", src: "LogFormat \"%h\" x y\n", line: 1, msg: "LogFormat takes 1-2 arguments, a log format string (see docs) and an optional format name"},
	})
	runDiagCases(t, parser.Error, []diagCase{
		{name: "accepted", src: "RewriteEngine on\nRewriteRule ^ - [CO]\nRewriteRule ^ - [R=abc]\nRewriteRule ^ - [L] x\nRewriteRule ^ - [E]\nRewriteRule ^ - [S=x]\n" +
			"RewriteCond %{HTTP_HOST} =x [NC]\nRewriteCond x y\nRewriteCond expr \"%{HTTP_HOST} == 'x'\"\nRewriteCond %{HTTP_HOST} expr\nRewriteRule ^ - [END,QSA,QSD,NE,PT,P,B,NS,T=text/plain]\n" +
			"Header unset X env=Y\nHeader always set X \"%{FOO}e\"\nHeader set X y early\nRequestHeader set X y early\nHeader onsuccess setifempty X y\n" +
			"Header note X y\nHeader merge X y\nHeader Set X y\nRequestHeader set X-IP expr=%{REMOTE_ADDR}\n" +
			"Header set X y \"expr=%{REQUEST_URI} =~ m#^/x#\"\nCustomLog /tmp/b.log common \"expr=%{REQUEST_STATUS} -ge 500\"\n" +
			"LogFormat \"%h %l %u %t \\\"%r\\\" %>s %O \\\"%{Referer}i\\\" %{SSL_PROTOCOL}x %400,501{User-agent}i %{BALANCER_WORKER_ROUTE}e\" combined\n" +
			"CustomLog /tmp/a.log combined env=!nolog\nLogLevel warn proxy:trace5\nErrorLog syslog:local1\nTransferLog /tmp/t.log\n"},
	})
}

func TestRewriteModel(t *testing.T) {
	cfg, diags := loadText(t, `RewriteEngine On
RewriteCond %{HTTP_HOST} ^www\.(.+)$ [NC,OR]
RewriteCond %{HTTPS} =on
RewriteRule ^/r13$ http://%1/r13 [R=301,L]
RewriteRule .* - [CO=BALANCEID:balancer.http1:.example.com]
RewriteRule ^/c - [CO=A:1]
RewriteRule ^/d - [CO=A:1:.x.com:0:/app:false:true]
<Location /app>
RewriteEngine On
RewriteRule ^x$ y [NC,QSA]
</Location>
LogFormat "%h %u" mine
CustomLog logs/access.log mine env=BALANCER_ROUTE_CHANGED
Header always add Set-Cookie "ROUTEID=.%{BALANCER_WORKER_ROUTE}e; path=/" env=BALANCER_ROUTE_CHANGED
`)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	rw := cfg.Main.Rewrite
	if rw == nil || !rw.Engine || len(rw.Rules) != 4 {
		t.Fatalf("server rewrite %+v", rw)
	}
	r := rw.Rules[0]
	if len(r.Conds) != 2 || !r.Conds[0].NoCase || !r.Conds[0].OrNext || r.Conds[1].Regex != nil || r.Flags.Redirect != 301 || !r.Flags.Last {
		t.Errorf("rule 0 %+v conds %+v %+v", r.Flags, r.Conds[0], r.Conds[1])
	}
	if c := rw.Rules[1].Flags.Cookies; len(c) != 1 || c[0].Name != "BALANCEID" || c[0].Value != "balancer.http1" || c[0].Domain != ".example.com" || c[0].Path != "/" {
		t.Errorf("cookie %+v", c)
	}
	if len(rw.Rules[2].Flags.Cookies) != 0 {
		t.Errorf("incomplete cookie kept")
	}
	var warned []string
	for _, d := range diags {
		if d.Severity == parser.Warning {
			warned = append(warned, d.Code)
		}
	}
	if w := strings.Join(warned, " "); !strings.Contains(w, "rewrite-cookie-incomplete") || !strings.Contains(w, "rewrite-cookie-httponly-dropped") {
		t.Errorf("warnings %v", warned)
	}
	loc := cfg.Main.Locations[0].Dir.Rewrite
	if loc == nil || !loc.Engine || len(loc.Rules) != 1 || !loc.Rules[0].Regex.MatchString("X") || !loc.Rules[0].Flags.QSA {
		t.Errorf("location rewrite %+v", loc)
	}
	if len(cfg.Main.CustomLogs) != 1 || cfg.Main.CustomLogs[0].Format != "%h %u" || cfg.Main.CustomLogs[0].EnvCond != "env=BALANCER_ROUTE_CHANGED" {
		t.Errorf("custom logs %+v", cfg.Main.CustomLogs)
	}
	h := cfg.Main.Dir.Headers
	if len(h) != 1 || h[0].Condition != "always" || h[0].Action != "add" || h[0].Name != "Set-Cookie" || h[0].EnvCond != "env=BALANCER_ROUTE_CHANGED" {
		t.Errorf("headers %+v", h)
	}
}

func TestMergeRewrite(t *testing.T) {
	cfg, diags := loadText(t, "RewriteEngine On\nRewriteRule ^/main - [F]\n<VirtualHost *:80>\nRewriteRule ^/vh - [G]\n</VirtualHost>\n<VirtualHost *:81>\nRewriteEngine Off\n</VirtualHost>\n<VirtualHost *:82>\nRewriteOptions Inherit\nRewriteRule ^/vh - [G]\n</VirtualHost>\n<VirtualHost *:83>\nRewriteOptions InheritBefore\nRewriteRule ^/vh - [G]\n</VirtualHost>\n<VirtualHost *:84>\nServerName x\n</VirtualHost>\n")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	main := cfg.Main.Rewrite
	pats := func(rc *model.RewriteConfig) string {
		var p []string
		for _, r := range rc.Rules {
			p = append(p, r.Pattern)
		}
		return strings.Join(p, ",")
	}
	tests := []struct {
		i      int
		engine bool
		rules  string
	}{
		{0, true, "^/vh"}, // state inherited, rules not (spec 7.1)
		{1, false, ""},
		{2, true, "^/vh,^/main"},
		{3, true, "^/main,^/vh"},
		{4, true, ""},
	}
	for _, tt := range tests {
		got := MergeRewrite(main, cfg.VirtualHosts[tt.i].Rewrite)
		if got.Engine != tt.engine || pats(got) != tt.rules {
			t.Errorf("vhost %d: engine %v rules %q, want %v %q", tt.i, got.Engine, pats(got), tt.engine, tt.rules)
		}
	}
	if MergeRewrite(nil, nil) != nil {
		t.Error("nil merge")
	}
}
