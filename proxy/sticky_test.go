package proxy

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/balancerd/balancerd/directives/model"
)

// routeBackend is a seed backend: it answers its name and sets the
// BALANCEID cookie with its route (the seed's CO=BALANCEID:balancer.httpN).
func routeBackend(t *testing.T, route string) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "BALANCEID", Value: "balancer." + route, Path: "/"})
		w.Header().Set("Location", "http://"+r.Host+"/moved")
		_, _ = w.Write([]byte(route))
	}))
	t.Cleanup(srv.Close)
	return srv
}

// handlerRecorder is a HandlerProvider that records which handler ran.
type handlerRecorder struct{ names []string }

func (h *handlerRecorder) ServeHandler(name string, w http.ResponseWriter, r *http.Request, in *HandlerInput) bool {
	if name != "balancer-manager" {
		return false
	}
	h.names = append(h.names, name)
	var names []string
	for n := range in.Balancers {
		names = append(names, n)
	}
	_, _ = w.Write([]byte("manager " + strings.Join(names, ",")))
	return true
}

// seedConfig is the seed's vhost (/work/shared/seed) as a literal model.
func seedConfig(h1, h2 string) *model.Config {
	vh := vhostCfg("www.example.com", "example.com")
	vh.DocumentRoot = "/var/www/"
	m1, m2 := worker(h1), worker(h2)
	m1.Params.Route, m2.Params.Route = "http1", "http2"
	bc := balancerCfg("balancer://mycluster", m1, m2)
	bc.StickyCookie, bc.StickyParam, bc.NoFailover = "BALANCEID", "BALANCEID", true
	addBalancer(vh, bc)
	vh.ProxyPass = []*model.ProxyPassRule{
		pass("/balancer-manager", "!"),
		pass("/", "balancer://mycluster/"),
	}
	vh.Dir.Reverse = []model.ReverseRule{{Path: "/", URL: h1 + "/"}, {Path: "/", URL: h2 + "/"}}
	vh.Proxies = []*model.Section{{Kind: "Proxy", Path: "*", Dir: &model.DirConfig{}}}
	vh.Locations = []*model.Section{{Kind: "Location", Path: "/balancer-manager", Dir: &model.DirConfig{Handler: "balancer-manager"}}}
	return config(vh)
}

// TestSeedStickiness runs the seed setup end to end: balancing without a
// cookie, stickiness with it, nofailover=On 503 for a dead sticky member,
// ProxyPassReverse of the members' redirects, the manager handler.
func TestSeedStickiness(t *testing.T) {
	b1, b2 := routeBackend(t, "http1"), routeBackend(t, "http2")
	hr := &handlerRecorder{}
	_, base := start(t, seedConfig(b1.URL, b2.URL), Options{Handlers: hr})
	host := "www.example.com"

	// No cookie: byrequests alternates, each backend sets its route cookie.
	var order []string
	for i := 0; i < 4; i++ {
		res := get(t, nil, "GET", base+"/page", host)
		order = append(order, drain(res))
		if c := res.Header.Get("Set-Cookie"); !strings.HasPrefix(c, "BALANCEID=balancer."+order[i]) {
			t.Errorf("Set-Cookie %q", c)
		}
		if loc := res.Header.Get("Location"); loc != "http://"+host+"/moved" {
			// The backend redirects to its own address (r.Host is the
			// member's host:port); ProxyPassReverse maps it back.
			t.Errorf("Location %q", loc)
		}
	}
	if strings.Join(order, ",") != "http1,http2,http1,http2" {
		t.Errorf("byrequests order %v", order)
	}
	// Sticky: always the cookie's route.
	for i := 0; i < 5; i++ {
		if got := drain(get(t, nil, "GET", base+"/page", host, "Cookie", "BALANCEID=balancer.http2")); got != "http2" {
			t.Fatalf("sticky request %d went to %s", i, got)
		}
	}
	// Path parameter form works too.
	if got := drain(get(t, nil, "GET", base+"/page;BALANCEID=x.http1", host)); got != "http1" {
		t.Errorf("path parameter: went to %s", got)
	}
	// The manager is excluded from proxying and served by its handler.
	res := get(t, nil, "GET", base+"/balancer-manager", host)
	if body := drain(res); res.StatusCode != 200 || body != "manager balancer://mycluster" {
		t.Errorf("manager: %d %q", res.StatusCode, body)
	}
	// nofailover=On: the sticky member is down → 503, every time.
	b2.Close()
	for i := 0; i < 2; i++ {
		res := get(t, nil, "GET", base+"/page", host, "Cookie", "BALANCEID=balancer.http2")
		if drain(res); res.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("sticky to dead member with nofailover: status %d", res.StatusCode)
		}
	}
	// Other users are unaffected; new sessions go to the live member.
	for i := 0; i < 3; i++ {
		if got := drain(get(t, nil, "GET", base+"/page", host)); got != "http1" {
			t.Fatalf("new session went to %s", got)
		}
	}
}

// TestFailover: a dead member is skipped after a connect failure (retry on
// another member, the request body not sent); with maxattempts=0 the
// failure is a 503.
func TestFailover(t *testing.T) {
	live := backend(t, "live")
	dead := deadURL(t)
	for _, tc := range []struct {
		maxAttempts int
		first       int
	}{{-1, 200}, {0, 503}} {
		vh := vhostCfg("front.test")
		bc := balancerCfg("balancer://c", worker(dead), worker(live.URL))
		bc.MaxAttempts = tc.maxAttempts
		addBalancer(vh, bc)
		vh.ProxyPass = []*model.ProxyPassRule{pass("/", "balancer://c/")}
		s, base := start(t, config(vh), Options{})
		res := rawDo(t, base, "POST /x HTTP/1.1\r\nHost: front.test\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello")
		if res.StatusCode != tc.first {
			t.Fatalf("maxattempts=%d: first status %d, want %d", tc.maxAttempts, res.StatusCode, tc.first)
		}
		if tc.first == 200 {
			if got := decode(t, res); got.Name != "live" || got.Body != "hello" {
				t.Fatalf("failover: %+v", got)
			}
		} else {
			drain(res)
		}
		b := s.Registry().Lookup("balancer://c")
		if st := b.Member(dead).StatusText(); !strings.Contains(st, "Err") {
			t.Errorf("dead member status %q, want Err", st)
		}
		// Later requests skip the member in error.
		for i := 0; i < 3; i++ {
			if got := decode(t, get(t, nil, "GET", base+"/y", "front.test")).Name; got != "live" {
				t.Fatalf("after failover went to %s", got)
			}
		}
	}
}

// TestFailOnStatus: the response is delivered but the member goes into
// error; later requests avoid it.
func TestFailOnStatus(t *testing.T) {
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte("bad"))
	}))
	defer bad.Close()
	good := backend(t, "good")
	vh := vhostCfg("front.test")
	bc := balancerCfg("balancer://f", worker(bad.URL), worker(good.URL))
	bc.FailOnStatus = []int{500, 503}
	addBalancer(vh, bc)
	vh.ProxyPass = []*model.ProxyPassRule{pass("/", "balancer://f/")}
	s, base := start(t, config(vh), Options{})
	res := get(t, nil, "GET", base+"/", "front.test")
	if body := drain(res); res.StatusCode != 500 || body != "bad" {
		t.Fatalf("first: %d %q", res.StatusCode, body)
	}
	if st := s.Registry().Lookup("balancer://f").Member(bad.URL).StatusText(); !strings.Contains(st, "Err") {
		t.Errorf("status %q after failonstatus", st)
	}
	for i := 0; i < 3; i++ {
		if got := decode(t, get(t, nil, "GET", base+"/", "front.test")).Name; got != "good" {
			t.Fatalf("went to %s", got)
		}
	}
}

// TestBalancerEnv: BALANCER_* are visible to response header rules.
func TestBalancerEnv(t *testing.T) {
	b1 := routeBackend(t, "n1")
	vh := vhostCfg("front.test")
	m := worker(b1.URL)
	m.Params.Route = "n1"
	bc := balancerCfg("balancer://c1", m)
	bc.StickyCookie, bc.StickyParam = "ROUTEID", "ROUTEID"
	addBalancer(vh, bc)
	vh.ProxyPass = []*model.ProxyPassRule{pass("/", "balancer://c1/")}
	var got []map[string]string
	hr := headerFunc(func(h http.Header, env map[string]string) {
		cp := map[string]string{}
		for k, v := range env {
			cp[k] = v
		}
		got = append(got, cp)
	})
	vh.Dir.Headers = []model.HeaderRule{{Action: "set", Name: "X-Test"}}
	_, base := start(t, config(vh), Options{Headers: hr})
	drain(get(t, nil, "GET", base+"/", "front.test"))
	drain(get(t, nil, "GET", base+"/", "front.test", "Cookie", "ROUTEID=x.n1"))
	drain(get(t, nil, "GET", base+"/", "front.test", "Cookie", "ROUTEID=a.b.n2"))
	want := []map[string]string{
		{"BALANCER_NAME": "balancer://c1", "BALANCER_WORKER_NAME": b1.URL, "BALANCER_WORKER_ROUTE": "n1", "BALANCER_ROUTE_CHANGED": "1"},
		{"BALANCER_NAME": "balancer://c1", "BALANCER_WORKER_NAME": b1.URL, "BALANCER_WORKER_ROUTE": "n1", "BALANCER_SESSION_STICKY": "ROUTEID", "BALANCER_SESSION_ROUTE": "n1"},
		{"BALANCER_NAME": "balancer://c1", "BALANCER_WORKER_NAME": b1.URL, "BALANCER_WORKER_ROUTE": "n1", "BALANCER_SESSION_STICKY": "ROUTEID", "BALANCER_SESSION_ROUTE": "b.n2", "BALANCER_ROUTE_CHANGED": "1"},
	}
	if len(got) != len(want) {
		t.Fatalf("header rules ran %d times", len(got))
	}
	for i := range want {
		if len(got[i]) != len(want[i]) {
			t.Errorf("request %d: env %v, want %v", i, got[i], want[i])
			continue
		}
		for k, v := range want[i] {
			if got[i][k] != v {
				t.Errorf("request %d: %s=%q, want %q", i, k, got[i][k], v)
			}
		}
	}
}

// headerFunc is a HeaderRules that hands the response environment to f.
type headerFunc func(h http.Header, env map[string]string)

func (f headerFunc) ApplyRequest([]model.HeaderRule, http.Header, map[string]string) {}
func (f headerFunc) ApplyResponse(_ []model.HeaderRule, h http.Header, env map[string]string, _ int, _ http.Header) {
	f(h, env)
}
