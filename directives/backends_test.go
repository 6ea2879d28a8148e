package directives

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/balancerd/balancerd/parser"
)

func TestParseCOFlag(t *testing.T) {
	tests := []struct {
		in                  string
		set                 bool
		name, value, domain string
		lifetime            int
		path                string
		secure, httponly    bool
		samesite            string
		problems            []string
	}{
		// Spec 7.3's verified rows.
		{"BALANCEID:balancer.http1:.example.com", true, "BALANCEID", "balancer.http1", ".example.com", 0, "/", false, false, "", nil},
		{"BALANCEID:balancer.http1:.example.com:30", true, "BALANCEID", "balancer.http1", ".example.com", 30, "/", false, false, "", nil},
		{"BALANCEID:balancer.http1:.example.com:30:/app:true:true", true, "BALANCEID", "balancer.http1", ".example.com", 30, "/app", true, true, "", nil},
		{"BALANCEID:balancer.http1:.example.com:0:/app:false:true", true, "BALANCEID", "balancer.http1", ".example.com", 0, "/app", false, false, "", []string{"co-httponly-dropped"}},
		{"BALANCEID:balancer.http1:.example.com:0:/:secure:HttpOnly:Lax", true, "BALANCEID", "balancer.http1", ".example.com", 0, "/", true, true, "Lax", nil},
		{";BALANCEID;bal:x;.example.com;10;/;1;1;Strict", true, "BALANCEID", "bal:x", ".example.com", 10, "/", true, true, "Strict", nil},
		{"A:1:.x.com:0:/:1:1:false", true, "A", "1", ".x.com", 0, "/", true, true, "", nil},
		{"A:1:.x.com:-5", true, "A", "1", ".x.com", -5, "/", false, false, "", nil},
		// Quirks.
		{"A:1", false, "", "", "", 0, "", false, false, "", []string{"co-incomplete"}},
		{"A:1:.x.com::/p", true, "A", "1", ".x.com", 0, "/", false, false, "", []string{"co-empty-field", "co-lifetime"}},
		{"A:1:.x.com:abc", true, "A", "1", ".x.com", 0, "/", false, false, "", []string{"co-lifetime"}},
		{"", false, "", "", "", 0, "", false, false, "", []string{"co-incomplete"}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			c := ParseCOFlag(tt.in)
			if c.Set != tt.set || c.Name != tt.name || c.Value != tt.value || c.Domain != tt.domain ||
				c.Lifetime != tt.lifetime || c.Path != tt.path || c.Secure != tt.secure || c.HTTPOnly != tt.httponly || c.SameSite != tt.samesite {
				t.Errorf("ParseCOFlag(%q) = %+v", tt.in, c.RewriteCookie)
			}
			var got []string
			for _, p := range c.Problems {
				got = append(got, p.Code)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.problems) {
				t.Errorf("problems = %v, want %v", got, tt.problems)
			}
		})
	}
}

func TestParseSetCookie(t *testing.T) {
	tests := []struct {
		in, name, value, domain, path string
		err                           bool
	}{
		{"ROUTEID=.%{BALANCER_WORKER_ROUTE}e; path=/", "ROUTEID", ".%{BALANCER_WORKER_ROUTE}e", "", "/", false},
		{"BALANCEID=balancer.http1; path=/; domain=.example.com", "BALANCEID", "balancer.http1", ".example.com", "/", false},
		{` JSESSIONID = "abc.n1" ; Domain=b.example ; Secure`, "JSESSIONID", "abc.n1", "b.example", "", false},
		{"novalue", "", "", "", "", true},
		{"=x", "", "", "", "", true},
		{"a b=1", "", "", "", "", true},
	}
	for _, tt := range tests {
		c, err := ParseSetCookie(tt.in)
		if (err != nil) != tt.err {
			t.Errorf("ParseSetCookie(%q) error = %v", tt.in, err)
			continue
		}
		if err == nil && (c.Name != tt.name || c.Value != tt.value || c.Domain != tt.domain || c.Path != tt.path) {
			t.Errorf("ParseSetCookie(%q) = %+v", tt.in, c)
		}
	}
}

func TestRouteOf(t *testing.T) {
	tests := []struct {
		value, sep, route string
		ok                bool
	}{
		{"balancer.http1", ".", "http1", true},
		{"a.b.n2", ".", "b.n2", true},
		{"n1", ".", "", false},
		{"abc.", ".", "", false},
		{"n1", "", "n1", true},
		{"abc!n1", "!", "n1", true},
	}
	for _, tt := range tests {
		r, ok := routeOf(tt.value, tt.sep)
		if r != tt.route || ok != tt.ok {
			t.Errorf("routeOf(%q, %q) = %q, %v", tt.value, tt.sep, r, ok)
		}
	}
}

// backendConf is the seed's backend vhost for route r, corrected.
func backendConf(host, co string) string {
	return fmt.Sprintf("<VirtualHost *:80>\n    ServerName %s\n    DocumentRoot /var/www\n    RewriteEngine On\n    RewriteRule .* - [CO=%s]\n</VirtualHost>\n", host, co)
}

func parseBackend(t *testing.T, name, src string) BackendInfo {
	t.Helper()
	res := parser.ParseBytes(name, []byte(src), parser.Options{})
	if res.Diags.HasErrors() {
		t.Fatalf("%s: %v", name, res.Diags)
	}
	bi := CollectCookies(res.Directives)
	bi.File = name
	return bi
}

func TestCollectCookies(t *testing.T) {
	src := `RewriteEngine On
RewriteRule .* - [CO=A:1:.x.com,CO=B:2:.y.com,L]
Header always add Set-Cookie "ROUTEID=.%{BALANCER_WORKER_ROUTE}e; path=/" env=BALANCER_ROUTE_CHANGED
Header set X-Other "a=b"
<VirtualHost *:80>
    ServerName h1.example.com
    ServerAlias h1
    RewriteRule ^/x - [CO=C:3:.z.com]
</VirtualHost>
<Directory /var/www>
    RewriteRule ^x - [CO=D:4:.z.com]
</Directory>
`
	bi := parseBackend(t, "b.conf", src)
	var got []string
	for _, c := range bi.Cookies {
		got = append(got, fmt.Sprintf("%s=%s@%d dyn=%v names=%v inactive=%v", c.Name, c.Value, c.Pos.Line, c.Dynamic, c.ServerNames, c.Inactive != ""))
	}
	want := []string{
		"A=1@2 dyn=false names=[] inactive=false",
		"B=2@2 dyn=false names=[] inactive=false",
		"ROUTEID=.%{BALANCER_WORKER_ROUTE}e@3 dyn=true names=[] inactive=false",
		"C=3@8 dyn=false names=[h1.example.com h1] inactive=false",
		"D=4@11 dyn=false names=[] inactive=true",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestLintBackendCookies(t *testing.T) {
	ok1 := backendConf("http1.example.com", "BALANCEID:balancer.http1:.example.com")
	ok2 := backendConf("http2.example.com", "BALANCEID:balancer.http2:.example.com")
	tests := []struct {
		name     string
		b1, b2   string
		want     []string
		mentions []string // substrings the messages must contain
	}{
		{"seed corrected", ok1, ok2, nil, nil},
		{"route http3 on backend 1", backendConf("http1.example.com", "BALANCEID:balancer.http3:.example.com"), ok2,
			[]string{"member-route-mismatch@15"}, []string{"http1.conf", "http1.conf:5", "route=http1"}},
		{"route http3 on an unnamed backend", strings.Replace(backendConf("10.0.0.1", "BALANCEID:balancer.http3:.example.com"), "ServerName 10.0.0.1", "ServerName other", 1), ok2,
			[]string{"sticky-route-unknown@5", "member-route-unset@15"}, []string{"http1 (lb.conf:15)", "http2 (lb.conf:16)"}},
		{"cookie name typo", backendConf("http1.example.com", "BALANCEDI:balancer.http1:.example.com"), backendConf("http2.example.com", "BALANCEDI:balancer.http2:.example.com"),
			[]string{"sticky-cookie-unset@14"}, []string{"http1.conf:5", `"BALANCEDI"`, "http1.conf, http2.conf"}},
		{"cookie name case", backendConf("http1.example.com", "balanceid:balancer.http1:.example.com"), ok2,
			[]string{"member-route-unset@15"}, []string{`http1.conf:5 sets "balanceid"`}},
		{"no separator", backendConf("http1.example.com", "BALANCEID:http1:.example.com"), ok2,
			[]string{"sticky-cookie-no-route@5", "member-route-unset@15"}, []string{"BALANCEID=balancer.http1"}},
		{"wrong domain", backendConf("http1.example.com", "BALANCEID:balancer.http1:.example.org"), ok2,
			[]string{"sticky-cookie-domain@5"}, []string{"www.example.com, example.com"}},
		{"RewriteEngine missing", strings.Replace(ok1, "    RewriteEngine On\n", "", 1), ok2,
			[]string{"backend-cookie-inactive@4", "member-route-unset@15"}, []string{"RewriteEngine On"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := LintOptions{NoFiles: true, Backends: []BackendInfo{
				parseBackend(t, "http1.conf", tt.b1), parseBackend(t, "http2.conf", tt.b2)}}
			ds := Lint(tConfig(seedVHost()), nil, opts)
			checkCodes(t, ds, tt.want...)
			all := fmt.Sprint(ds)
			for _, m := range tt.mentions {
				if !strings.Contains(all, m) {
					t.Errorf("messages do not mention %q:\n%s", m, all)
				}
			}
		})
	}
}

func TestLintHeaderRecipe(t *testing.T) {
	tests := []struct {
		header string
		want   []string
	}{
		{`Header add Set-Cookie "BALANCEID=.%{BALANCER_WORKER_ROUTE}e; path=/" env=BALANCER_ROUTE_CHANGED`, nil},
		{`Header add Set-Cookie "BALANCEID=%{BALANCER_WORKER_ROUTE}e; path=/" env=BALANCER_ROUTE_CHANGED`, []string{"sticky-cookie-separator@1"}},
		{`Header add Set-Cookie "BALANCID=.%{BALANCER_WORKER_ROUTE}e; path=/" env=BALANCER_ROUTE_CHANGED`, []string{"sticky-cookie-unset@14"}},
	}
	for _, tt := range tests {
		res := parser.ParseBytes("lb.conf", []byte(tt.header+"\n"), parser.Options{})
		// The balancer's own recipe satisfies the cross-check without backends.
		checkCodes(t, Lint(tConfig(seedVHost()), res, LintOptions{NoFiles: true}), tt.want...)
	}
}

func FuzzParseCOFlag(f *testing.F) {
	for _, s := range []string{"BALANCEID:balancer.http1:.example.com", ";A;b:c;.d;10;/;1;1;Strict", "A:1", "A:1:.x.com::/p", "::::", ";;;"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c := ParseCOFlag(s)
		if !c.Set {
			if len(c.Problems) == 0 || c.Problems[0].Code != "co-incomplete" {
				t.Fatalf("%q: no cookie but no co-incomplete problem", s)
			}
			return
		}
		sep := string(c.Sep)
		for _, v := range []string{c.Name, c.Value, c.Domain} {
			if v == "" || strings.Contains(v, sep) {
				t.Fatalf("%q: bad required field %q in %+v", s, v, c.RewriteCookie)
			}
		}
		if c.Path == "" {
			t.Fatalf("%q: empty path", s)
		}
		if c.HTTPOnly && !c.Secure {
			t.Fatalf("%q: HttpOnly without secure", s)
		}
		if strings.Join(c.Fields, sep) != strings.Join(strings.FieldsFunc(strings.TrimPrefix(s, ";"), func(r rune) bool { return string(r) == sep }), sep) {
			t.Fatalf("%q: fields %q", s, c.Fields)
		}
	})
}

func FuzzParseSetCookie(f *testing.F) {
	for _, s := range []string{"ROUTEID=.%{BALANCER_WORKER_ROUTE}e; path=/", "A=1; Domain=x; Secure; HttpOnly; SameSite=Lax", "x", "=", `a="b"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseSetCookie(s)
		if err != nil {
			if !utf8.ValidString(err.Error()) && utf8.ValidString(s) {
				t.Fatalf("%q: invalid error text", s)
			}
			return
		}
		if c.Name == "" || strings.ContainsAny(c.Name, "=; \t\"") {
			t.Fatalf("%q: bad name %q", s, c.Name)
		}
		if strings.Contains(c.Value, ";") || strings.Contains(c.Domain, ";") || strings.Contains(c.Path, ";") {
			t.Fatalf("%q: ';' inside a field: %+v", s, c)
		}
		if _, ok := routeOf(c.Value, "."); ok && !strings.Contains(c.Value, ".") {
			t.Fatalf("%q: route without separator", s)
		}
	})
}

func TestReadBackend(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"http1.conf":  "<IfModule mod_rewrite.c>\n  RewriteEngine On\n  RewriteRule .* - [CO=BALANCEID:balancer.http1:.example.com]\n</IfModule>\n",
		"broken.conf": "<VirtualHost *:80>\n  RewriteEngine On\n  RewriteRule .* - [CO=BALANCEID:balancer.http2:.example.com]\n",
	})
	bi, diags := ReadBackend(filepath.Join(dir, "http1.conf"), ParserOptions(LoadOptions{}))
	if len(diags) != 0 || len(bi.Cookies) != 1 || bi.Cookies[0].Value != "balancer.http1" || bi.Cookies[0].Pos.Line != 3 {
		t.Errorf("cookies inside <IfModule mod_rewrite.c>: %+v, %v", bi, diags)
	}
	// A broken backend file is reported, and what could be read is used.
	bi, diags = ReadBackend(filepath.Join(dir, "broken.conf"), ParserOptions(LoadOptions{}))
	if !diags.HasErrors() || len(bi.Cookies) != 1 {
		t.Errorf("broken backend: %+v, %v", bi, diags)
	}
	_, diags = ReadBackend(filepath.Join(dir, "missing.conf"), ParserOptions(LoadOptions{}))
	if !diags.HasErrors() {
		t.Error("missing backend file: no error")
	}
}

func TestCheckMissingConfig(t *testing.T) {
	ds := Check(filepath.Join(t.TempDir(), "nope.conf"), CheckOptions{})
	if !ds.HasErrors() {
		t.Errorf("Check of a missing file: %v", ds)
	}
}
