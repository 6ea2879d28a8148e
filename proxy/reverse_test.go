package proxy

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/balancerd/balancerd/directives/model"
)

// TestReverseMap is spec 3.9's ProxyPassReverse algorithm and its
// verified examples (front on 127.0.0.1:38003).
func TestReverseMap(t *testing.T) {
	vh := vhostCfg("front.test")
	addBalancer(vh, balancerCfg("balancer://c1", worker("http://127.0.0.1:38101/backend"), worker("http://127.0.0.1:38102/backend")))
	addBalancer(vh, balancerCfg("balancer://c2", worker("http://m1.internal/foo/"), worker("http://m2.internal/foo")))
	addBalancer(vh, balancerCfg("balancer://c3", worker("http://m3.internal")))
	rules := []model.ReverseRule{
		{Path: "/pub", URL: "balancer://c1"},
		{Path: "/direct/", URL: "http://127.0.0.1:38101/backend/"},
		{Path: "/bash", URL: "balancer://c2/bar"},
		{Path: "/", URL: "balancer://c3"},
		{Path: "/a", URL: "http://b/app"},
		{Path: "/mapped", URL: "/internal"},
	}
	s, err := New(config(vh), Options{ErrorLog: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	rt := &route{vh: s.snap.Load().vhosts[0]}
	r := httptest.NewRequest("GET", "/pub/x", nil)
	r.Host = "127.0.0.1:38003"
	tests := []struct{ in, want string }{
		{"http://127.0.0.1:38101/backend/target", "http://127.0.0.1:38003/pub/target"},
		{"HTTP://127.0.0.1:38102/backend/t2", "http://127.0.0.1:38003/pub/t2"},
		{"/backend/other", "/backend/other"},
		{"http://127.0.0.1:38102/app/x", "http://127.0.0.1:38102/app/x"}, // member name includes /backend: no match
		{"http://m1.internal/foo/bar/that", "http://127.0.0.1:38003/bash/that"},
		{"http://m2.internal/foo/bar/x", "http://127.0.0.1:38003/bash/x"},
		{"http://m2.internal/foo/BAR/x", "http://m2.internal/foo/BAR/x"}, // path part is case-sensitive
		{"http://m3.internal/x", "http://127.0.0.1:38003/x"},             // fake "/" + "/x" gives no "//"
		{"http://b/application", "http://127.0.0.1:38003/alication"},     // not segment-aware
		{"http://other/internal/z", "http://127.0.0.1:38003/mapped/z"},   // real "/..." compares the path
		{"/internal/y", "http://127.0.0.1:38003/mapped/y"},
		{"http://unrelated/x", "http://unrelated/x"},
	}
	for _, tc := range tests {
		if got := s.reverseMap(rules, rt, r, tc.in); got != tc.want {
			t.Errorf("%s -> %s, want %s", tc.in, got, tc.want)
		}
	}
	// Host without port: the server's port (none here → default 80 omitted).
	r.Host = "www.example.com"
	if got := s.reverseMap(rules, rt, r, "http://127.0.0.1:38101/backend/t"); got != "http://www.example.com/pub/t" {
		t.Errorf("Host without port: %s", got)
	}
	// Spec 3.9 last row: rules are not tied to the ProxyPass that served
	// the request; the earlier (balancer) rule matches first.
	if got := s.reverseMap(rules[:2], rt, r, "http://127.0.0.1:38101/backend/target"); got != "http://www.example.com/pub/target" {
		t.Errorf("first rule must win: %s", got)
	}
}

func TestReverseCookie(t *testing.T) {
	paths := []model.CookieRule{{Internal: "/app", Public: "/pubapp"}}
	domains := []model.CookieRule{{Internal: "backend.internal", Public: "public.example.com"}}
	tests := []struct{ in, want string }{
		{"a=1; Path=/app/sub", "a=1; Path=/pubapp"},
		{"a=1; path=/app", "a=1; path=/pubapp"},
		{"a=1; Path=/App", "a=1; Path=/App"}, // path prefix is case-sensitive
		{"a=1; Domain=backend.internal; Path=/app; HttpOnly", "a=1; Domain=public.example.com; Path=/pubapp; HttpOnly"},
		{"a=1; domain=BACKEND.internal.x", "a=1; domain=public.example.com"}, // domain prefix case-insensitive
		{"a=1", "a=1"},
		{"a=1; Secure", "a=1; Secure"},
	}
	for _, tc := range tests {
		if got := reverseCookie(tc.in, paths, domains); got != tc.want {
			t.Errorf("%q -> %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestReverseEndToEnd: a backend redirect and cookie through the proxy.
func TestReverseEndToEnd(t *testing.T) {
	var self string
	b := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", self+"/backend/target")
		w.Header().Set("Content-Location", self+"/backend/c")
		w.Header().Add("Set-Cookie", "S=1; Path=/backend/x; Domain=backend.internal")
		w.WriteHeader(http.StatusFound)
	}))
	defer b.Close()
	self = b.URL
	vh := vhostCfg("front.test")
	addBalancer(vh, balancerCfg("balancer://c1", worker(b.URL+"/backend")))
	vh.ProxyPass = []*model.ProxyPassRule{pass("/pub", "balancer://c1")}
	vh.Dir.Reverse = []model.ReverseRule{{Path: "/pub", URL: "balancer://c1"}}
	vh.Dir.CookiePath = []model.CookieRule{{Internal: "/backend", Public: "/pub"}}
	vh.Dir.CookieDomain = []model.CookieRule{{Internal: "backend.internal", Public: "front.test"}}
	_, base := start(t, config(vh), Options{})
	res := get(t, nil, "GET", base+"/pub/x", "")
	drain(res)
	host := base[len("http://"):]
	if got, want := res.Header.Get("Location"), "http://"+host+"/pub/target"; got != want {
		t.Errorf("Location %q, want %q", got, want)
	}
	if got, want := res.Header.Get("Content-Location"), "http://"+host+"/pub/c"; got != want {
		t.Errorf("Content-Location %q, want %q", got, want)
	}
	if got, want := res.Header.Get("Set-Cookie"), "S=1; Path=/pub; Domain=front.test"; got != want {
		t.Errorf("Set-Cookie %q, want %q", got, want)
	}
}
