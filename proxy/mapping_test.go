package proxy

import (
	"net/http"
	"regexp"
	"testing"

	"github.com/balancerd/balancerd/directives/model"
)

// TestMappingTable runs every row of spec 3.4's verified table (and the
// canonicalisation table) through real sockets: the backend answers the
// request line it received.
func TestMappingTable(t *testing.T) {
	b := backend(t, "b")
	u := b.URL
	vh := vhostCfg("front.test")
	s1 := balancerCfg("balancer://s1", worker(u+"/"))
	s2 := balancerCfg("balancer://s2", worker(u))
	s3 := balancerCfg("balancer://s3", worker(u+"/sub/"))
	c1 := balancerCfg("balancer://c1", worker(u+"/backend"))
	for _, bc := range []*model.Balancer{s1, s2, s3, c1} {
		addBalancer(vh, bc)
	}
	nocanon := func(r *model.ProxyPassRule) { r.NoCanon = true }
	vh.ProxyPass = []*model.ProxyPassRule{
		pass("/noslash", u+"/x"),
		pass("/slash/", u+"/y"),
		pass("/a", u+"/"),
		pass("/t1/", "balancer://s1/"),
		pass("/t2", "balancer://s1"),
		pass("/t3/", "balancer://s2/"),
		pass("/t4", "balancer://s2"),
		pass("/t5/", "balancer://s3/"),
		pass("/t7/", "balancer://s2"),
		pass("/t8", "balancer://s2/"),
		pass("/t9", "balancer://s2/pre"),
		pass("/pub", "balancer://c1"),
		regexRule(`^/m1/(.*)$`, u+"/mm/$1"),
		regexRule(`^/m2/(.*)$`, u+"/mm/$1", nocanon),
		regexRule(`^/m5/.*\.gif$`, u),
		regexRule(`^/m7/(.*)$`, u+"/mm/$1?fixed=1"),
		pass("/nc", u+"/nc", nocanon),
		pass("/cn", u+"/cn"),
		pass("/sl//x", u+"/slx"),
	}
	_, base := start(t, config(vh), Options{})

	tests := []struct {
		req    string
		want   string // backend request URI; "" when status is not 200
		status int
	}{
		{"/noslash", "/x", 200},
		{"/noslash/", "/x/", 200},
		{"/noslash/z", "/x/z", 200},
		{"/noslashz", "", 404},
		{"/slash", "", 404},
		{"/slash/", "/y", 200},
		{"/slash/z", "/yz", 200},
		{"/a", "/", 200},
		{"/a/", "//", 200},
		{"/a/b", "//b", 200},
		{"/a//b", "//b", 200},
		{"/t1/x", "//x", 200},
		{"/t2/x", "//x", 200},
		{"/t3/x", "/x", 200},
		{"/t4", "/", 200},
		{"/t4/x", "/x", 200},
		{"/t5/x", "/sub//x", 200},
		{"/t7/x", "", 500},
		{"/t8/x", "//x", 200},
		{"/t9/x", "/pre/x", 200},
		{"/pub", "/backend/", 200},
		{"/pub/", "/backend/", 200},
		{"/m1/a/b?q=1", "/mm/a/b?q=1", 200},
		// canonicalisation (spec 3.4 second table)
		{"/pub/sp%20ace", "/backend/sp%20ace", 200},
		{"/pub/%7Euser", "/backend/~user", 200},
		{"/pub/a%3Fb", "/backend/a%3Fb", 200},
		{"/pub/a+b", "/backend/a+b", 200},
		{"/pub/\xc3\xa9", "/backend/%C3%A9", 200},
		{"/pub/x;jsessionid=1", "/backend/x;jsessionid=1", 200},
		{"/pub/a%2Fb", "", 404},
		{"/pub/q?x=1&y=%20", "/backend/q?x=1&y=%20", 200},
		// observed on Apache 2.4.67 for this work
		{"/nc/%7Euser/a%41?x=%20y&z", "/nc/%7Euser/a%41?x=%20y&z", 200},
		{"/m1/a%20b/%7E?q=%41", "/mm/a%20b/~?q=%41", 200},
		{"/m2/a%20b/%7E?q=%41", "/mm/a%20b/%7E?q=%41", 200},
		{"/m5/b/c.gif?x=1", "/m5/b/c.gif?x=1", 200},
		{"/m7/a?x=1", "/mm/a%3Ffixed=1?x=1", 200},
		{"/cn/a%25b/%C3%A9/x%3By;z/a%2Bb?q=1%2B", "/cn/a%25b/%C3%A9/x;y;z/a+b?q=1%2B", 200},
		{"/cn/a/./b/../c", "/cn/a/c", 200},
		{"/cn/x%00y", "", 404},
		{"/cn/../../x", "", 400},
		{"/cn/a%2e%2e/x", "/cn/a../x", 200},
		{"/cn/'\"<>`{}|^[]", "/cn/'%22%3C%3E%60%7B%7D%7C%5E%5B%5D", 200},
		{"/sl/x/z", "/slx/z", 200},
	}
	for _, tc := range tests {
		res := rawGet(t, base, tc.req, "front.test")
		if res.StatusCode != tc.status {
			t.Errorf("%s: status %d, want %d (%s)", tc.req, res.StatusCode, tc.status, drain(res))
			continue
		}
		if tc.status != http.StatusOK {
			drain(res)
			continue
		}
		if got := decode(t, res).URI; got != tc.want {
			t.Errorf("%s: backend saw %q, want %q", tc.req, got, tc.want)
		}
	}
}

func regexRule(re, url string, opts ...func(*model.ProxyPassRule)) *model.ProxyPassRule {
	r := pass(re, url, opts...)
	r.Regex = regexp.MustCompile(re)
	return r
}

// TestProxyPassOrder checks spec 3.3: <Location> rules first (the last
// matching Location wins), then main-server rules, then the vhost's, first
// match wins, "!" stops.
func TestProxyPassOrder(t *testing.T) {
	a, b, c := backend(t, "a"), backend(t, "b"), backend(t, "c")
	vh := vhostCfg("front.test")
	loc := pass("/loc", c.URL+"/loc")
	loc.InLocation = "/loc"
	deeper := pass("/loc/deeper", b.URL+"/deep")
	deeper.InLocation = "/loc/deeper"
	vh.ProxyPass = []*model.ProxyPassRule{
		pass("/e/sub", "!"),
		pass("/e", a.URL+"/e"),
		pass("/x", a.URL+"/x"),
		pass("/x/y", b.URL+"/never"),
		pass("/loc", a.URL+"/server-level"),
		deeper, loc, // config order: /loc/deeper first, so /loc wins for /loc/deeper/b
	}
	_, base := start(t, config(vh), Options{})
	tests := []struct{ req, name, uri string }{
		{"/e/sub", "", ""},
		{"/e/subx", "a", "/e/subx"},
		{"/e/other", "a", "/e/other"},
		{"/x/y/z", "a", "/x/y/z"},
		{"/loc/a", "c", "/loc/a"},
		{"/loc/deeper/b", "c", "/loc/deeper/b"},
	}
	for _, tc := range tests {
		res := rawGet(t, base, tc.req, "front.test")
		if tc.name == "" {
			if res.StatusCode != 404 {
				t.Errorf("%s: status %d, want 404 (excluded)", tc.req, res.StatusCode)
			}
			drain(res)
			continue
		}
		s := decode(t, res)
		if s.Name != tc.name || s.URI != tc.uri {
			t.Errorf("%s: went to %s %s, want %s %s", tc.req, s.Name, s.URI, tc.name, tc.uri)
		}
	}
}

// TestMappingModes: mapping=encoded matches the encoded path (and is tried
// first), mapping=servlet ignores path parameters when matching.
func TestMappingModes(t *testing.T) {
	b := backend(t, "b")
	vh := vhostCfg("front.test")
	enc := pass("/a%3Fb", b.URL+"/enc")
	enc.Mapping = "encoded"
	srv := pass("/app/secure", b.URL+"/servlet")
	srv.Mapping = "servlet"
	vh.ProxyPass = []*model.ProxyPassRule{pass("/", b.URL+"/plain/"), srv, enc}
	_, base := start(t, config(vh), Options{})
	tests := []struct{ req, want string }{
		{"/a%3Fb/x?q=1", "/enc/x?q=1"},
		{"/a%3fb/x", "/plain/a%3Fb/x"},                                     // the encoded match is case-sensitive
		{"/app;jsessionid=1/secure/x", "/plain/app;jsessionid=1/secure/x"}, // "/" comes first
	}
	for _, tc := range tests {
		if got := decode(t, rawGet(t, base, tc.req, "front.test")).URI; got != tc.want {
			t.Errorf("%s: backend saw %s, want %s", tc.req, got, tc.want)
		}
	}
	vh2 := vhostCfg("front.test")
	vh2.ProxyPass = []*model.ProxyPassRule{srv, pass("/", b.URL+"/plain/")}
	_, base2 := start(t, config(vh2), Options{})
	if got := decode(t, rawGet(t, base2, "/app;jsessionid=1/secure/x", "front.test")).URI; got != "/servlet/x" {
		t.Errorf("servlet mapping: backend saw %s", got)
	}
}
