package rewrite_test

// Differential test: mod_rewrite rules and Header rules served by real
// Apache 2.4 and run by package rewrite from the same configuration text.

import (
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/balancerd/balancerd/directives"
	"github.com/balancerd/balancerd/directives/apachetest"
	"github.com/balancerd/balancerd/proxy/rewrite"
)

const rules = `RewriteEngine On
RewriteRule ^/c1$ - [CO=BALANCEID:balancer.http1:.example.com]
RewriteRule ^/c2$ - [CO=BALANCEID:balancer.http1:.example.com:30]
RewriteRule ^/c3$ - [CO=BALANCEID:balancer.http1:.example.com:30:/app:true:true]
RewriteRule ^/c4$ - [CO=BALANCEID:balancer.http1:.example.com:0:/app:false:true]
RewriteRule ^/c5$ - [CO=BALANCEID:balancer.http1:.example.com:0:/:secure:HttpOnly:Lax]
RewriteRule ^/c6$ - [CO=;BALANCEID;bal:x;.example.com;10;/;1;1;Strict]
RewriteRule ^/c7$ - [CO=A:1:.x.com,CO=B:2:.y.com]
RewriteRule ^/c8$ - [CO=A:1]
RewriteRule ^/c9$ - [CO=A:%{REMOTE_ADDR}:.x.com]
RewriteRule ^/c10$ - [CO=A:1:.x.com,F]
RewriteRule ^/c11$ - [CO=A:1:.x.com::/p]
RewriteRule ^/c12 - [CO=A:1:.x.com]
RewriteRule ^/c12 - [CO=A:2:.x.com]
RewriteRule ^/r1$ /target [R]
RewriteRule ^/r2$ /target [R=301,L]
RewriteRule ^/r4/(.*)$ /t?a=$1 [R,QSA]
RewriteRule ^/r5/(.*)$ /t?a=$1 [R]
RewriteRule ^/r6$ /t? [R]
RewriteRule ^/r7$ /t [R,QSD]
RewriteRule ^/R11$ /t [R,NC]
RewriteRule ^/r8$ http://other.example/x
RewriteRule ^/r9$ /page#frag [R,NE]
RewriteRule ^/r10$ /page#frag [R]
RewriteRule ^/r12$ /sp%20ace [R]
RewriteCond %{HTTP_HOST} ^www\.(.+)$ [NC]
RewriteRule ^/r13$ http://%1/r13 [R=301,L]
RewriteRule ^/g$ - [G]
RewriteRule ^/f$ - [F]
RewriteRule ^/n$ /x [R=404]
RewriteCond %{HTTP_COOKIE} BALANCEID=balancer\.(\w+)
RewriteRule ^/k$ /k/%1 [R]
RewriteCond %{REQUEST_METHOD} =POST [OR]
RewriteCond %{QUERY_STRING} ^x=1$
RewriteRule ^/or$ /or-hit [R]
RewriteCond expr "%{QUERY_STRING} == 'x=1' && %{REQUEST_METHOD} == 'GET'"
RewriteRule ^/ex$ /ex-hit [R]
RewriteRule ^/chain - [C]
RewriteRule ^/chainx /chained [R]
RewriteRule ^/skip - [S=1]
RewriteRule ^/skip /skipped [R]
RewriteRule ^/skip /notskipped [R]
Header set X-Onsuccess 1
Header always set X-Always 1
Header always add Set-Cookie "H=%{NOPE}e; path=/"
<Location /hdr>
Header always set X-M a
Header always merge X-M a
Header always merge X-M b
Header always append X-M c
Header always edit X-M ^a A
Header always edit* X-M "([bc])" "<$1>"
Header always setifempty X-E v
Header always setifempty X-M ignored
Header always echo ^X-In
Header always set X-U 1
Header always unset X-U
Header always add X-A 1
Header always add X-A 2
Header always set X-T "%t %D"
Header always set X-Env "%{NOPE}e|%{SSL_PROTOCOL}s"
</Location>
`

func TestRewriteAgainstApache(t *testing.T) {
	bin := apachetest.Binary(t)
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "www"), 0o755); err != nil {
		t.Fatal(err)
	}
	addr := apachetest.FreeAddr(t)
	conf := apachetest.Sandbox(root, root) + "Listen " + addr + "\n" +
		apachetest.LoadModules("mpm_event", "authz_core", "rewrite", "headers") +
		"ServerName 127.0.0.1\nDocumentRoot " + root + "/www\n" + rules
	confPath := filepath.Join(root, "apache2.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	apachetest.Serve(t, bin, confPath, addr, filepath.Join(root, "error.log"))
	cfg, _, diags := directives.LoadBytes("rules.conf", []byte(rules), directives.LoadOptions{ServerRoot: root})
	if diags.HasErrors() {
		t.Fatalf("balancerd config: %v", diags)
	}
	engine := rewrite.New(cfg.Main.Rewrite)
	client := &http.Client{Timeout: 5 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	expires := regexp.MustCompile(`; expires=[A-Z][a-z]{2}, \\d\\d-[A-Z][a-z]{2}-\\d{4} \\d\\d:\\d\\d:\\d\\d GMT`)

	type probe struct {
		method, target, host, cookie string
	}
	probes := []probe{
		{"GET", "/c1", "", ""}, {"GET", "/c2", "", ""}, {"GET", "/c3", "", ""}, {"GET", "/c4", "", ""}, {"GET", "/c5", "", ""},
		{"GET", "/c6", "", ""}, {"GET", "/c7", "", ""}, {"GET", "/c8", "", ""}, {"GET", "/c9", "", ""}, {"GET", "/c10", "", ""},
		{"GET", "/c11", "", ""}, {"GET", "/c12", "", ""}, {"GET", "/c120", "", ""},
		{"GET", "/r1", "", ""}, {"GET", "/r2", "", ""}, {"GET", "/r4/x?b=1", "", ""}, {"GET", "/r5/x?b=1", "", ""}, {"GET", "/r6?b=1", "", ""},
		{"GET", "/r7?b=1", "", ""}, {"GET", "/r11", "", ""}, {"GET", "/r8", "", ""}, {"GET", "/r9", "", ""}, {"GET", "/r10", "", ""},
		{"GET", "/r12", "", ""}, {"GET", "/r13", "WWW.example.org", ""}, {"GET", "/r13", "example.org", ""},
		{"GET", "/g", "", ""}, {"GET", "/f", "", ""}, {"GET", "/n", "", ""},
		{"GET", "/k", "", "BALANCEID=balancer.http2"}, {"GET", "/k", "", ""},
		{"POST", "/or", "", ""}, {"GET", "/or?x=1", "", ""}, {"GET", "/or?x=2", "", ""}, {"GET", "/ex?x=1", "", ""}, {"GET", "/ex?x=2", "", ""},
		{"GET", "/chain", "", ""}, {"GET", "/skip", "", ""}, {"GET", "/none", "", ""}, {"GET", "/hdr", "", ""},
	}
	for _, p := range probes {
		req, _ := http.NewRequest(p.method, "http://"+addr+p.target, nil)
		if p.host != "" {
			req.Host = p.host
		}
		if p.cookie != "" {
			req.Header.Set("Cookie", p.cookie)
		}
		req.Header.Set("X-In-One", "1")
		req.Header.Set("X-Inner", "2")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		date, _ := http.ParseTime(resp.Header.Get("Date"))

		path, query, _ := strings.Cut(p.target, "?")
		host := addr
		if p.host != "" {
			host = p.host
		}
		rq := &rewrite.Request{Method: p.method, Path: path, RawQuery: query, Host: host, Header: req.Header.Clone(),
			RemoteAddr: "127.0.0.1:40000", LocalAddr: addr, Proto: "HTTP/1.1", ServerName: "127.0.0.1", Now: date}
		if p.cookie != "" {
			rq.Header.Set("Cookie", p.cookie)
		}
		out := engine.Run(rq)
		status := out.Status
		if status == 0 {
			status = 404 // no file behind the URL
		}
		hdr := http.Header{}
		kind := rewrite.LocalError
		if status < 300 {
			kind = rewrite.LocalSuccess
		}
		hrules := cfg.Main.Dir.Headers
		if path == "/hdr" {
			hrules = append(hrules[:len(hrules):len(hrules)], cfg.Main.Locations[0].Dir.Headers...)
		}
		rewrite.FinishResponse(hdr, out.Cookies, hrules, &rewrite.HeaderContext{Env: rq.Env, Request: rq.Header, Now: date, Start: date}, kind)

		name := p.method + " " + p.target + " " + p.host + " " + p.cookie
		if status != resp.StatusCode {
			t.Errorf("%s: status Apache %d, balancerd %d", name, resp.StatusCode, status)
		}
		if got, want := out.Location, resp.Header.Get("Location"); got != want {
			t.Errorf("%s: Location Apache %q, balancerd %q", name, want, got)
		}
		gotC := expires.ReplaceAllString(strings.Join(hdr.Values("Set-Cookie"), " | "), "; expires=X")
		wantC := expires.ReplaceAllString(strings.Join(resp.Header.Values("Set-Cookie"), " | "), "; expires=X")
		if gotC != wantC {
			t.Errorf("%s: Set-Cookie\nApache:    %s\nbalancerd: %s", name, wantC, gotC)
		}
		for _, h := range []string{"X-Onsuccess", "X-Always", "X-M", "X-E", "X-In-One", "X-Inner", "X-U", "X-A", "X-Env"} {
			if got, want := strings.Join(hdr.Values(h), "|"), strings.Join(resp.Header.Values(h), "|"); got != want {
				t.Errorf("%s: %s Apache %q, balancerd %q", name, h, want, got)
			}
		}
		if path == "/hdr" {
			t.Logf("Apache /hdr: X-M=%q X-E=%q X-In=%q X-A=%q X-Env=%q X-T=%q", resp.Header.Values("X-M"), resp.Header.Values("X-E"), resp.Header.Values("X-In-One"), resp.Header.Values("X-A"), resp.Header.Values("X-Env"), resp.Header.Values("X-T"))
		}
		if v := resp.Header.Get("X-T"); v != "" && !regexp.MustCompile(`^t=\d{16} D=\d+$`).MatchString(v) {
			t.Errorf("Apache X-T %q has another shape", v)
		} else if v != "" && !regexp.MustCompile(`^t=\d{16} D=\d+$`).MatchString(hdr.Get("X-T")) {
			t.Errorf("X-T: Apache %q, balancerd %q", v, hdr.Get("X-T"))
		}
		for i, v := range resp.Header.Values("Set-Cookie") {
			m := regexp.MustCompile(`expires=([^;]*)`).FindStringSubmatch(v)
			if m == nil {
				continue
			}
			ours := regexp.MustCompile(`expires=([^;]*)`).FindStringSubmatch(hdr.Values("Set-Cookie")[i])
			if ours == nil || ours[1] != m[1] {
				t.Errorf("%s: expires Apache %q, balancerd %v", name, m[1], ours)
			}
		}
	}
}
