package manager

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/balancerd/balancerd/directives/model"
	"github.com/balancerd/balancerd/proxy/balancer"
)

// member builds a BalancerMember as the directives layer would.
func member(t *testing.T, rawURL, route string) *model.Worker {
	t.Helper()
	w, err := balancer.NormalizeWorkerURL(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	w.Params = model.WorkerParams{LoadFactor: 100, Retry: 60 * time.Second, Route: route, AddressTTL: -time.Second}
	return w
}

// fixture is the configuration Apache ran for the testdata pages:
// balancer://mycluster with http://127.0.0.1:38778 (route http1) and, when
// sticky, http://127.0.0.1:38779 (route http2) with
// "ProxySet stickysession=BALANCEID nofailover=On growth=2".
type fixture struct {
	t    *testing.T
	mgr  *Manager
	view *View
	bal  *balancer.Balancer
	srv  *httptest.Server
	logs []string
	mu   sync.Mutex
	host string // Host header; "" = 127.0.0.1:38777
}

const testNonce = "889923fc-1fc1-73f0-7fee-2f810db13507"

func newFixture(t *testing.T, sticky bool, nonce string) *fixture {
	cfg := &model.Balancer{Name: "balancer://mycluster", LBMethod: "byrequests", StickySep: ".", MaxAttempts: -1, ForceRecovery: true, Nonce: nonce}
	cfg.Members = []*model.Worker{member(t, "http://127.0.0.1:38778", "http1")}
	if sticky {
		cfg.Members = append(cfg.Members, member(t, "http://127.0.0.1:38779", "http2"))
		cfg.StickyCookie, cfg.StickyParam, cfg.NoFailover, cfg.Growth = "BALANCEID", "BALANCEID", true, 2
	}
	reg := balancer.NewRegistry(balancer.NewManualClock(time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)))
	f := &fixture{t: t, bal: reg.Balancer(cfg)}
	f.mgr = &Manager{ServerVersion: "Apache/2.4.67 (Debian)", ServerBuilt: "2026-05-06T09:14:12",
		Logf: func(format string, args ...any) {
			f.mu.Lock()
			f.logs = append(f.logs, format)
			f.mu.Unlock()
		}}
	f.view = &View{Balancers: []*balancer.Balancer{f.bal}, Paths: map[string]string{"balancer://mycluster": "/"},
		ID: "pc09dfdc3", BalancerInherit: true, ProxyPassInherit: true}
	if !sticky {
		f.view.LBMethods = []string{"byrequests"} // the first Apache fixture loaded only this one
	}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mgr.ServeHTTP(w, r, f.view)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

// do sends a request with Host 127.0.0.1:38777 (the Apache fixture's).
func (f *fixture) do(method, target, referer, body string) (*http.Response, string) {
	f.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, f.srv.URL+target, rd)
	if err != nil {
		f.t.Fatal(err)
	}
	req.Host = "127.0.0.1:38777"
	if f.host != "" {
		req.Host = f.host
	}
	if referer != "" {
		req.Header.Set("Referer", referer)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatal(err)
	}
	return resp, string(b)
}

const ref = "http://127.0.0.1:38777/balancer-manager"

func (f *fixture) status(name string) string {
	return f.bal.Member(name).StatusText()
}

// apacheFile reads an Apache-recorded page, replacing its nonce.
func apacheFile(t *testing.T, name, nonce string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	return re.ReplaceAllString(string(b), nonce)
}

func TestPageMatchesApache(t *testing.T) {
	tests := []struct {
		file, target string
		sticky       bool
	}{
		{"apache-page.html", "/balancer-manager", false},
		{"apache-worker-form.html", "/balancer-manager?b=mycluster&w=http://127.0.0.1:38778&nonce=" + testNonce, false},
		{"apache-balancer-form.html", "/balancer-manager?b=mycluster&nonce=" + testNonce, false},
		{"apache-sticky-balancer-form.html", "/balancer-manager?b=mycluster&nonce=" + testNonce, true},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			f := newFixture(t, tt.sticky, testNonce)
			resp, body := f.do("GET", tt.target, ref, "")
			if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/html; charset=ISO-8859-1" {
				t.Fatalf("status %d, type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			if resp.ContentLength != -1 {
				t.Errorf("page should be chunked, Content-Length %d", resp.ContentLength)
			}
			if want := apacheFile(t, tt.file, testNonce); body != want {
				t.Errorf("page differs from Apache's:\n%s", diff(want, body))
			}
		})
	}
}

// TestHealthCheckPageMatchesApache: the sticky fixture with
// "hcmethod=GET hcinterval=10 hcuri=/health hcpasses=2 hcfails=3
// hcexpr=ok234" on the first member and one ProxyHCExpr, as Apache 2.4.67
// with mod_proxy_hcheck shows it.
func TestHealthCheckPageMatchesApache(t *testing.T) {
	for _, tt := range []struct{ file, target string }{
		{"apache-hcexpr-page.html", "/balancer-manager"},
		{"apache-hcexpr-worker-form.html", "/balancer-manager?b=mycluster&w=http://127.0.0.1:38778&nonce=" + testNonce},
	} {
		t.Run(tt.file, func(t *testing.T) {
			f := newFixture(t, true, testNonce)
			f.host = "127.0.0.1:38797"
			m := f.bal.Member("http://127.0.0.1:38778").Config()
			m.Params.HealthCheck = model.HealthCheck{Method: "GET", Interval: 10 * time.Second, URI: "/health", Passes: 2, Fails: 3, Expr: "ok234"}
			f.view.HCheck = true
			f.view.HCExprs = map[string]string{"ok234": "%{REQUEST_STATUS} =~ /^[234]/"}
			_, body := f.do("GET", tt.target, "http://127.0.0.1:38797/balancer-manager", "")
			if want := apacheFile(t, tt.file, testNonce); body != want {
				t.Errorf("page differs from Apache's:\n%s", diff(want, body))
			}
		})
	}
}

func TestXMLMatchesApache(t *testing.T) {
	f := newFixture(t, true, testNonce)
	resp, body := f.do("GET", "/balancer-manager?xml=1", ref, "")
	if resp.Header.Get("Content-Type") != "text/xml" || resp.ContentLength != int64(len(body)) {
		t.Fatalf("type %q, length %d", resp.Header.Get("Content-Type"), resp.ContentLength)
	}
	// Apache 2.4.67 (installed here) predates <httpd:nonce> (2.4.71, spec 5.6).
	nonceLine := "      <httpd:nonce>" + testNonce + "</httpd:nonce>\n"
	if !strings.Contains(body, nonceLine) {
		t.Fatalf("no nonce element in\n%s", body)
	}
	got := strings.Replace(body, nonceLine, "", 1)
	if want := apacheFile(t, "apache-sticky.xml", testNonce); got != want {
		t.Errorf("XML differs from Apache's:\n%s", diff(want, got))
	}
}

// diff shows the first differing line.
func diff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return "line " + itoa(i+1) + ":\nwant: " + w + "\ngot:  " + g
		}
	}
	return "(no line difference)"
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestSettingChanges(t *testing.T) {
	f := newFixture(t, true, testNonce)
	w1, w2 := "http://127.0.0.1:38778", "http://127.0.0.1:38779"
	post := func(body string) int {
		resp, _ := f.do("POST", "/balancer-manager", ref, "b=mycluster&nonce="+testNonce+"&"+body)
		return resp.StatusCode
	}
	post("w=" + w2 + "&w_lf=2.5&w_ls=3&w_wr=n2&w_rr=x%2522y&w_status_I=1&w_status_H=1&w_status_R=1&w_status_S=1")
	st := f.bal.Member(w2).State()
	if st.LBFactor != 250 || st.LBSet != 3 || st.Route != "n2" || st.Redirect != `x"y` || st.StatusText() != "Init Ign Stop Stby Spar " {
		t.Errorf("member state %+v %q", st, st.StatusText())
	}
	_, page := f.do("GET", "/balancer-manager", ref, "")
	if !strings.Contains(page, "<td>n2</td><td>x&quot;y</td><td>2.50</td><td>3</td><td>Init Ign Stop Stby Spar </td>") {
		t.Errorf("page row missing:\n%s", page)
	}
	// Out-of-range values are ignored.
	post("w=" + w2 + "&w_lf=0.5&w_ls=100")
	if st := f.bal.Member(w2).State(); st.LBFactor != 250 || st.LBSet != 3 {
		t.Errorf("out-of-range applied: %+v", st)
	}
	// Route cleared by an empty value.
	post("w=" + w2 + "&w_wr=")
	if r := f.bal.Member(w2).Route(); r != "" {
		t.Errorf("route = %q", r)
	}
	post("b_lbm=bytraffic&b_tmo=30&b_max=5&b_sforce=0&b_ss=JSESSIONID%7Cjsessionid")
	s := f.bal.Settings()
	if s.LBMethod != "bytraffic" || s.Timeout != 30*time.Second || s.MaxAttempts != 5 || s.NoFailover || s.StickySession() != "JSESSIONID|jsessionid" {
		t.Errorf("settings %+v", s)
	}
	post("b_lbm=heartbeat&b_tmo=9999&b_ss=-")
	s = f.bal.Settings()
	if s.LBMethod != "bytraffic" || s.Timeout != 30*time.Second || s.StickyCookie != "" {
		t.Errorf("settings after invalid %+v", s)
	}
	// Adding members: new ones start disabled; duplicates and bad URLs 400.
	if code := post("b_nwrkr=http://127.0.0.1:38780&b_wyes=1"); code != 200 {
		t.Fatalf("add: %d", code)
	}
	if got := f.status("http://127.0.0.1:38780"); got != "Init Dis " {
		t.Errorf("new member %q", got)
	}
	if code := post("b_nwrkr=http://127.0.0.1:38780&b_wyes=1"); code != 400 {
		t.Errorf("duplicate add: %d", code)
	}
	if code := post("b_nwrkr=nonsense&b_wyes=1"); code != 400 {
		t.Errorf("bad add: %d", code)
	}
	if code := post("b_nwrkr=http://127.0.0.1:38781"); code != 200 || f.bal.Member("http://127.0.0.1:38781") != nil {
		t.Errorf("add without b_wyes: %d", code)
	}
	_ = w1
}

func TestMethods(t *testing.T) {
	f := newFixture(t, false, testNonce)
	resp, body := f.do("PUT", "/balancer-manager", ref, "x")
	if resp.StatusCode != 405 || resp.Header.Get("Allow") != "POST,OPTIONS,HEAD,GET,TRACE" || !strings.Contains(body, "The requested method PUT is not allowed") {
		t.Errorf("PUT: %d %q", resp.StatusCode, resp.Header.Get("Allow"))
	}
	resp, _ = f.do("OPTIONS", "/balancer-manager", "", "")
	if resp.StatusCode != 200 || resp.Header.Get("Allow") != "POST,OPTIONS,HEAD,GET,TRACE" {
		t.Errorf("OPTIONS: %d", resp.StatusCode)
	}
	resp, body = f.do("HEAD", "/balancer-manager", "", "")
	if resp.StatusCode != 200 || body != "" {
		t.Errorf("HEAD: %d %q", resp.StatusCode, body)
	}
}

func TestPostBodyLimit(t *testing.T) {
	f := newFixture(t, true, testNonce)
	pad := "x=" + strings.Repeat("a", 1100)
	f.do("POST", "/balancer-manager", ref, pad+"&b=mycluster&w=http://127.0.0.1:38778&nonce="+testNonce+"&w_status_D=1")
	if got := f.status("http://127.0.0.1:38778"); got != "Init Ok " {
		t.Errorf("parameters after 1024 bytes were used: %q", got)
	}
}

func TestStrfsize(t *testing.T) {
	for n, want := range map[int64]string{0: "  0 ", 512: "512 ", 972: "972 ", 973: "1.0K", 3053: "3.0K", 4779: "4.7K",
		1946: "1.9K", 10240: " 10K", 126000000: "120M", -1: "  - "} {
		if got := strfsize(n); got != want {
			t.Errorf("strfsize(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestParseParams(t *testing.T) {
	got := parseParams("b=c1&&w=http%3A%2F%2Fh%253A1&x&nonce=a+b&b=c2&k%3D=v", nil)
	want := map[string]string{"b": "c2", "w": "http://h:1", "x": "", "nonce": "a+b", "k=": "v"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("got %v", got)
	}
	if g := parseParams("b=x&w_status_D=1&xml", []string{"w", "b", "nonce", "xml"}); len(g) != 2 || g["b"] != "x" {
		t.Errorf("allowed filter: %v", g)
	}
}

func FuzzParseParams(f *testing.F) {
	f.Add("b=mycluster&w=http://127.0.0.1:38778&nonce=abc&w_status_D=1")
	f.Add("%zz=%2&&=&%00x=y")
	f.Fuzz(func(t *testing.T, s string) {
		for k, v := range parseParams(s, nil) {
			if strings.ContainsRune(k+v, 0) {
				t.Fatalf("NUL survived: %q=%q", k, v)
			}
		}
	})
}

func BenchmarkPage(b *testing.B) {
	cfg := &model.Balancer{Name: "balancer://mycluster", LBMethod: "byrequests", StickySep: ".", MaxAttempts: -1}
	for _, u := range []string{"http://127.0.0.1:38778", "http://127.0.0.1:38779"} {
		w, _ := balancer.NormalizeWorkerURL(u)
		w.Params.LoadFactor = 100
		cfg.Members = append(cfg.Members, w)
	}
	bal := balancer.NewRegistry(nil).Balancer(cfg)
	f := &fixture{mgr: &Manager{}, view: &View{Balancers: []*balancer.Balancer{bal}, ID: "p1"}}
	req := httptest.NewRequest("GET", "/balancer-manager", nil)
	req.Host = "127.0.0.1:38777"
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		f.mgr.ServeHTTP(w, req, f.view)
		if w.Code != 200 {
			b.Fatal(w.Code)
		}
	}
}

// TestConcurrentChanges runs POSTed changes and page reads in parallel
// (run with -race).
func TestConcurrentChanges(t *testing.T) {
	f := newFixture(t, true, testNonce)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for j := 0; j < 10; j++ {
				on := (i + j) % 2
				f.do("POST", "/balancer-manager", ref, "b=mycluster&w=http://127.0.0.1:38778&nonce="+testNonce+"&w_status_N="+strconv.Itoa(on)+"&w_lf="+strconv.Itoa(1+j))
				f.do("GET", "/balancer-manager?xml=1", ref, "")
			}
		}(i)
	}
	wg.Wait()
	f.do("POST", "/balancer-manager", ref, "b=mycluster&w=http://127.0.0.1:38778&nonce="+testNonce+"&w_status_N=0")
	if got := f.status("http://127.0.0.1:38778"); got != "Init Ok " {
		t.Errorf("final status %q", got)
	}
}
