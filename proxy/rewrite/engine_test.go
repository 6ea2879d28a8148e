package rewrite

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/balancerd/balancerd/directives/model"
)

var now = time.Date(2026, 11, 26, 6, 13, 41, 0, time.UTC)

// rr builds a rule as the directives package would.
func rr(pattern, subst string, f model.RewriteFlags, conds ...*model.RewriteCond) *model.RewriteRule {
	p := pattern
	neg := strings.HasPrefix(p, "!")
	p = strings.TrimPrefix(p, "!")
	expr := p
	if f.NoCase {
		expr = "(?i)" + p
	}
	if pre, _, _, ok := model.SplitTrailingLookaround(p); ok {
		expr = pre
	}
	return &model.RewriteRule{Pattern: p, Regex: regexp.MustCompile(expr), Negate: neg, Substitution: subst, Flags: f, Conds: conds, Source: "t:" + pattern}
}

func rc(test, pattern string, nocase, or bool) *model.RewriteCond {
	c := &model.RewriteCond{TestString: test, NoCase: nocase, OrNext: or}
	if strings.HasPrefix(pattern, "!") {
		c.Negate, pattern = true, pattern[1:]
	}
	c.Pattern = pattern
	if !strings.HasPrefix(pattern, "=") && !strings.HasPrefix(pattern, "-") && !strings.HasPrefix(pattern, "<") && !strings.HasPrefix(pattern, ">") {
		e := pattern
		if nocase {
			e = "(?i)" + e
		}
		c.Regex = regexp.MustCompile(e)
	}
	return c
}

func co(vals ...string) model.RewriteFlags {
	var f model.RewriteFlags
	for _, v := range vals {
		f.Raw = append(f.Raw, "CO="+v)
	}
	return f
}

func run(rules []*model.RewriteRule, path, query string, hdr http.Header) (Outcome, *Request) {
	req := &Request{Method: "GET", Path: path, RawQuery: query, Host: "127.0.0.1:38028", Header: hdr,
		RemoteAddr: "127.0.0.1:50000", Proto: "HTTP/1.1", Now: now}
	out := New(&model.RewriteConfig{Engine: true, Rules: rules}).Run(req)
	return out, req
}

// Rows verified on Apache 2.4.71 (spec 7.2, 7.3).
func TestCookieFlag(t *testing.T) {
	tests := []struct {
		flags []string
		want  []string
	}{
		{[]string{"BALANCEID:balancer.http1:.example.com"}, []string{"BALANCEID=balancer.http1; path=/; domain=.example.com"}},
		{[]string{"BALANCEID:balancer.http1:.example.com:30"}, []string{"BALANCEID=balancer.http1; path=/; domain=.example.com; expires=Thu, 26-Nov-2026 06:43:41 GMT"}},
		{[]string{"BALANCEID:balancer.http1:.example.com:30:/app:true:true"}, []string{"BALANCEID=balancer.http1; path=/app; domain=.example.com; expires=Thu, 26-Nov-2026 06:43:41 GMT; secure; HttpOnly"}},
		{[]string{"BALANCEID:balancer.http1:.example.com:0:/app:false:true"}, []string{"BALANCEID=balancer.http1; path=/app; domain=.example.com"}},
		{[]string{"BALANCEID:balancer.http1:.example.com:0:/:secure:HttpOnly:Lax"}, []string{"BALANCEID=balancer.http1; path=/; domain=.example.com; secure; HttpOnly; SameSite=Lax"}},
		{[]string{";BALANCEID;bal:x;.example.com;10;/;1;1;Strict"}, []string{"BALANCEID=bal:x; path=/; domain=.example.com; expires=Thu, 26-Nov-2026 06:23:41 GMT; secure; HttpOnly; SameSite=Strict"}},
		{[]string{"A:1:.x.com", "B:2:.y.com"}, []string{"A=1; path=/; domain=.x.com", "B=2; path=/; domain=.y.com"}},
		{[]string{"A:1"}, nil},
		{[]string{"A:1:.x.com::/p"}, []string{"A=1; path=/; domain=.x.com"}},
		{[]string{"A:%{REMOTE_ADDR}:.x.com"}, []string{"A=127.0.0.1; path=/; domain=.x.com"}},
		{[]string{"A:1:.x.com:abc"}, []string{"A=1; path=/; domain=.x.com"}},
		{[]string{"A:1:.x.com:-5"}, []string{"A=1; path=/; domain=.x.com; expires=Thu, 26-Nov-2026 06:08:41 GMT"}},
		{[]string{"A:1:.x.com:0:/:yes"}, []string{"A=1; path=/; domain=.x.com"}},
		{[]string{"A:1:.x.com:0:/:1:1:0"}, []string{"A=1; path=/; domain=.x.com; secure; HttpOnly"}},
		{[]string{"A:1:.x.com:0:/:1:1:None"}, []string{"A=1; path=/; domain=.x.com; secure; HttpOnly; SameSite=None"}},
	}
	for _, tt := range tests {
		out, _ := run([]*model.RewriteRule{rr("^/c", "-", co(tt.flags...))}, "/c1", "", nil)
		if strings.Join(out.Cookies, "\n") != strings.Join(tt.want, "\n") {
			t.Errorf("CO=%v:\n got %q\nwant %q", tt.flags, out.Cookies, tt.want)
		}
		if out.Changed || out.Status != 0 {
			t.Errorf("'-' changed the request: %+v", out)
		}
	}
}

func TestCookieFirstNameWins(t *testing.T) {
	out, _ := run([]*model.RewriteRule{rr("^/c", "-", co("A:1:.x.com")), rr("^/c", "-", co("A:2:.x.com")), rr("^/c", "-", co("B:3:.x.com"))}, "/c", "", nil)
	if got := strings.Join(out.Cookies, "|"); got != "A=1; path=/; domain=.x.com|B=3; path=/; domain=.x.com" {
		t.Errorf("got %q", got)
	}
	f := co("A:1:.x.com")
	f.Forbidden = true
	out, _ = run([]*model.RewriteRule{rr("^/c", "-", f)}, "/c", "", nil)
	if out.Status != 403 || len(out.Cookies) != 1 {
		t.Errorf("F with cookie: %+v", out)
	}
}

func TestRedirects(t *testing.T) {
	host := http.Header{}
	tests := []struct {
		name        string
		rules       []*model.RewriteRule
		path, query string
		hdr         http.Header
		status      int
		location    string
	}{
		{"R", []*model.RewriteRule{rr("^/r1$", "/target", model.RewriteFlags{Redirect: 302})}, "/r1", "", host, 302, "http://127.0.0.1:38028/target"},
		{"R=301,L", []*model.RewriteRule{rr("^/r1$", "/target", model.RewriteFlags{Redirect: 301, Last: true})}, "/r1", "", host, 301, "http://127.0.0.1:38028/target"},
		{"query replaced", []*model.RewriteRule{rr("^/r5/(.*)$", "/t?a=$1", model.RewriteFlags{Redirect: 302})}, "/r5/x", "b=1", host, 302, "http://127.0.0.1:38028/t?a=x"},
		{"QSA", []*model.RewriteRule{rr("^/r4/(.*)$", "/t?a=$1", model.RewriteFlags{Redirect: 302, QSA: true})}, "/r4/x", "b=1", host, 302, "http://127.0.0.1:38028/t?a=x&b=1"},
		{"lone ?", []*model.RewriteRule{rr("^/r6$", "/t?", model.RewriteFlags{Redirect: 302})}, "/r6", "b=1", host, 302, "http://127.0.0.1:38028/t"},
		{"query kept", []*model.RewriteRule{rr("^/r7$", "/t", model.RewriteFlags{Redirect: 302})}, "/r7", "b=1", host, 302, "http://127.0.0.1:38028/t?b=1"},
		{"QSD", []*model.RewriteRule{rr("^/r8$", "/t", model.RewriteFlags{Redirect: 302, QSD: true})}, "/r8", "b=1", host, 302, "http://127.0.0.1:38028/t"},
		{"NC", []*model.RewriteRule{rr("^/R11$", "/t", model.RewriteFlags{Redirect: 302, NoCase: true})}, "/r11", "", host, 302, "http://127.0.0.1:38028/t"},
		{"cond %1", []*model.RewriteRule{rr("^/r13$", "http://%1/r13", model.RewriteFlags{Redirect: 301, Last: true}, rc("%{HTTP_HOST}", `^www\.(.+)$`, true, false))},
			"/r13", "", http.Header{}, 301, "http://example.org/r13"},
		{"other host implies 302", []*model.RewriteRule{rr("^/o$", "http://other.example/x", model.RewriteFlags{})}, "/o", "", host, 302, "http://other.example/x"},
		{"fragment escaped", []*model.RewriteRule{rr("^/f$", "/page#frag", model.RewriteFlags{Redirect: 302})}, "/f", "", host, 302, "http://127.0.0.1:38028/page%23frag"},
		{"NE keeps fragment", []*model.RewriteRule{rr("^/f$", "/page#frag", model.RewriteFlags{Redirect: 302, NoEscape: true})}, "/f", "", host, 302, "http://127.0.0.1:38028/page#frag"},
		{"%2 empty", []*model.RewriteRule{rr("^/s$", "/sp%20ace", model.RewriteFlags{Redirect: 302})}, "/s", "", host, 302, "http://127.0.0.1:38028/sp0ace"},
		{"R=404", []*model.RewriteRule{rr("^/n$", "/x", model.RewriteFlags{Redirect: 404})}, "/n", "", host, 404, ""},
		{"G", []*model.RewriteRule{rr("^/g$", "-", model.RewriteFlags{Gone: true})}, "/g", "", host, 410, ""},
		{"F", []*model.RewriteRule{rr("^/f$", "-", model.RewriteFlags{Forbidden: true})}, "/f", "", host, 403, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := &Request{Method: "GET", Path: tt.path, RawQuery: tt.query, Host: "127.0.0.1:38028", Header: tt.hdr, RemoteAddr: "127.0.0.1:1", Now: now}
			if tt.name == "cond %1" {
				req.Host = "WWW.example.org"
			}
			out := New(&model.RewriteConfig{Engine: true, Rules: tt.rules}).Run(req)
			if out.Status != tt.status || out.Location != tt.location {
				t.Errorf("got %d %q, want %d %q", out.Status, out.Location, tt.status, tt.location)
			}
		})
	}
}

func TestProxyAndInternal(t *testing.T) {
	f := co("BALANCEID:balancer.http1:.example.com")
	f.Proxy = true
	out, _ := run([]*model.RewriteRule{rr("^/x/(.*)$", "balancer://c/$1", f)}, "/x/a/b", "q=1", nil)
	if out.Proxy != "balancer://c/a/b?q=1" || len(out.Cookies) != 1 {
		t.Errorf("P: %+v", out)
	}
	out, _ = run([]*model.RewriteRule{rr("^/old/(.*)", "/new/$1", model.RewriteFlags{PassThrough: true})}, "/old/x", "", nil)
	if !out.Changed || out.Path != "/new/x" || !out.PassThrough || out.Status != 0 {
		t.Errorf("PT: %+v", out)
	}
	// An absolute URL to this very server is reduced to a path.
	out, _ = run([]*model.RewriteRule{rr("^/self$", "http://127.0.0.1:38028/local", model.RewriteFlags{})}, "/self", "", nil)
	if out.Status != 0 || out.Path != "/local" {
		t.Errorf("reduce: %+v", out)
	}
	// Engine Off does nothing.
	o := New(&model.RewriteConfig{Engine: false, Rules: []*model.RewriteRule{rr("^", "/x", model.RewriteFlags{Forbidden: true})}}).Run(&Request{Path: "/"})
	if o.Status != 0 || o.Changed {
		t.Errorf("engine off: %+v", o)
	}
}

func TestFlowFlags(t *testing.T) {
	// L stops; C skips the chain; S skips rules; E sets variables.
	rules := []*model.RewriteRule{
		rr("^/a", "-", model.RewriteFlags{Env: []string{"A:1", "B"}}),
		rr("^/nomatch", "-", model.RewriteFlags{Chain: true, Env: []string{"C1:x"}}),
		rr("^/a", "-", model.RewriteFlags{Env: []string{"C2:x"}}),
		rr("^/a", "-", model.RewriteFlags{Skip: 1, Env: []string{"S:$0"}}),
		rr("^/a", "-", model.RewriteFlags{Env: []string{"SKIPPED:1"}}),
		rr("^/a", "-", model.RewriteFlags{Last: true, Env: []string{"!A"}}),
		rr("^/a", "-", model.RewriteFlags{Env: []string{"AFTER:1"}}),
	}
	_, req := run(rules, "/a", "", nil)
	env := req.Env
	if _, ok := env["A"]; ok {
		t.Errorf("E=!A did not unset: %v", env)
	}
	if v, ok := env["B"]; !ok || v != "" {
		t.Errorf("E=B: %v", env)
	}
	for _, k := range []string{"C1", "C2", "SKIPPED", "AFTER"} {
		if _, ok := env[k]; ok {
			t.Errorf("%s set: %v", k, env)
		}
	}
	if env["S"] != "/a" {
		t.Errorf("S = %q", env["S"])
	}
}

func TestConditions(t *testing.T) {
	hdr := http.Header{"Cookie": {"BALANCEID=balancer.http2"}, "User-Agent": {"curl/8"}}
	tests := []struct {
		name  string
		conds []*model.RewriteCond
		want  bool
	}{
		{"cookie regex", []*model.RewriteCond{rc("%{HTTP_COOKIE}", `BALANCEID=balancer\.(\w+)`, false, false)}, true},
		{"negated", []*model.RewriteCond{rc("%{HTTP_COOKIE}", `!BALANCEID`, false, false)}, false},
		{"OR first true", []*model.RewriteCond{rc("%{HTTPS}", "=on", false, true), rc("%{REQUEST_URI}", "^/c", false, false)}, true},
		{"OR both false", []*model.RewriteCond{rc("%{HTTPS}", "=on", false, true), rc("%{REQUEST_URI}", "^/zzz", false, false)}, false},
		{"AND", []*model.RewriteCond{rc("%{HTTPS}", "=off", false, false), rc("%{HTTP_USER_AGENT}", "^curl", false, false)}, true},
		{"string NC", []*model.RewriteCond{rc("%{REQUEST_METHOD}", "=get", true, false)}, true},
		{"empty", []*model.RewriteCond{rc("%{QUERY_STRING}", `=""`, false, false)}, true},
		{"int", []*model.RewriteCond{rc("%{TIME_YEAR}", "-ge2026", false, false)}, true},
		{"header", []*model.RewriteCond{rc("%{HTTP:User-Agent}", "^curl/8$", false, false)}, true},
		{"env", []*model.RewriteCond{rc("%{ENV:X}", "^$", false, false)}, true},
		{"dir test", []*model.RewriteCond{rc("/", "-d", false, false)}, true},
		{"file test", []*model.RewriteCond{rc("/nonexistent", "-f", false, false)}, false},
		{"expr", []*model.RewriteCond{{TestString: "expr", Pattern: "%{HTTP_COOKIE} =~ /balancer\\.http2/ && %{REQUEST_METHOD} == 'GET'"}}, true},
		{"expr negated", []*model.RewriteCond{{TestString: "expr", Pattern: "-n %{HTTP_COOKIE}", Negate: true}}, false},
	}
	for _, tt := range tests {
		out, _ := run([]*model.RewriteRule{rr("^/c", "/hit?%1", model.RewriteFlags{}, tt.conds...)}, "/c", "", hdr)
		if got := out.Changed; got != tt.want {
			t.Errorf("%s: matched=%v, want %v", tt.name, got, tt.want)
		}
	}
	out, _ := run([]*model.RewriteRule{rr("^/c", "/hit/%1", model.RewriteFlags{}, rc("%{HTTP_COOKIE}", `BALANCEID=balancer\.(\w+)`, false, false))}, "/c", "", hdr)
	if out.Path != "/hit/http2" {
		t.Errorf("%%1 = %q", out.Path)
	}
}

func TestTrailingLookahead(t *testing.T) {
	rules := []*model.RewriteRule{rr(`^/ui/service(?!/(assets|images))`, "/ui/service/", model.RewriteFlags{Redirect: 302})}
	if out, _ := run(rules, "/ui/service/x", "", nil); out.Status != 302 {
		t.Errorf("/ui/service/x: %+v", out)
	}
	if out, _ := run(rules, "/ui/service/assets/a.js", "", nil); out.Status != 0 {
		t.Errorf("/ui/service/assets: %+v", out)
	}
}

func FuzzCookieFlag(f *testing.F) {
	f.Add("BALANCEID:balancer.http1:.example.com:30:/app:true:true:Lax")
	f.Add(";A;b:c;d;;;")
	f.Add("::::")
	f.Fuzz(func(t *testing.T, s string) {
		c, ok := model.ParseCookieFlag(s)
		if !ok {
			return
		}
		if c.Name == "" || c.Value == "" || c.Domain == "" || c.Path == "" {
			t.Fatalf("empty required field from %q: %+v", s, c)
		}
		v := SetCookie(c, now)
		if !strings.HasPrefix(v, c.Name+"="+c.Value+"; path=") {
			t.Fatalf("bad Set-Cookie %q", v)
		}
		if c.HTTPOnly && !strings.Contains(v, "; HttpOnly") {
			t.Fatalf("HttpOnly lost: %q", v)
		}
	})
}

// Per-directory rules in <Location> match r->filename (observed on Apache
// 2.4.67: a <Location /app> rule "^/tmp/rw/www/app/x$" matched GET /app/x;
// under "ProxyPass /px http://127.0.0.1:9/" the rule
// "^proxy:http://127\.0\.0\.1:9//a$" matched GET /px/a).
func TestPerDirSubject(t *testing.T) {
	rules := []*model.RewriteRule{
		rr(`^proxy:http://127\.0\.0\.1:9//a$`, "-", model.RewriteFlags{Redirect: 451}),
		rr(`^proxy:`, "-", model.RewriteFlags{Redirect: 422}),
		rr(`^/app/x$`, "-", model.RewriteFlags{Redirect: 423}),
		rr(`^/tmp/rw/www/app/x$`, "-", model.RewriteFlags{Redirect: 424}),
		rr(`^(.*)/z$`, "/q?m=$1", model.RewriteFlags{Redirect: 302}),
	}
	e := New(&model.RewriteConfig{Engine: true, Rules: rules})
	e.PerDir = true
	for _, tt := range []struct {
		path, filename string
		status         int
		location       string
	}{
		{"/px/a", "proxy:http://127.0.0.1:9//a", 451, ""},
		{"/px/b", "proxy:http://127.0.0.1:9//b", 422, ""},
		{"/app/x", "/tmp/rw/www/app/x", 424, ""},
		{"/app/z", "/tmp/rw/www/app/z", 302, "http://127.0.0.1:38811/q?m=/tmp/rw/www/app"},
	} {
		out := e.Run(&Request{Method: "GET", Path: tt.path, Filename: tt.filename, Host: "127.0.0.1:38811", Now: now})
		if out.Status != tt.status || out.Location != tt.location {
			t.Errorf("%s: %d %q, want %d %q", tt.path, out.Status, out.Location, tt.status, tt.location)
		}
	}
	// A <Directory>/.htaccess prefix is stripped.
	d := New(&model.RewriteConfig{Engine: true, Rules: []*model.RewriteRule{rr(`^x$`, "y", model.RewriteFlags{})}})
	d.PerDir, d.Prefix = true, "/var/www/app/"
	if out := d.Run(&Request{Path: "/app/x", Filename: "/var/www/app/x", Now: now}); out.Path != "/var/www/app/y" {
		t.Errorf("directory prefix: %+v", out)
	}
}
