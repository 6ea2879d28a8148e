package rewrite

import (
	"net/http"
	"testing"

	"github.com/balancerd/balancerd/directives/model"
)

func BenchmarkRunCookieRule(b *testing.B) {
	e := New(&model.RewriteConfig{Engine: true, Rules: []*model.RewriteRule{rr(".*", "-", co("BALANCEID:balancer.http1:.example.com"))}})
	hdr := http.Header{}
	b.ReportAllocs()
	for b.Loop() {
		out := e.Run(&Request{Method: "GET", Path: "/index.php", Host: "www.example.com", Header: hdr, Now: now})
		if len(out.Cookies) != 1 {
			b.Fatal(out)
		}
	}
}

func BenchmarkHeaderRouteCookie(b *testing.B) {
	rules := []model.HeaderRule{hr("onsuccess", "add", "Set-Cookie", "ROUTEID=.%{BALANCER_WORKER_ROUTE}e; path=/", "env=BALANCER_ROUTE_CHANGED")}
	ctx := &HeaderContext{Env: map[string]string{"BALANCER_WORKER_ROUTE": "n1", "BALANCER_ROUTE_CHANGED": "1"}}
	b.ReportAllocs()
	for b.Loop() {
		h := http.Header{}
		ApplyResponse(rules, h, ctx, Proxied)
	}
}
