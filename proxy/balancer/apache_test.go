package balancer

import (
	"context"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/balancerd/balancerd/directives/apachetest"
	"github.com/balancerd/balancerd/directives/model"
)

// This file compares member selection with real Apache: the same
// balancers are configured in an apache2 process (as apache2.conf text)
// and here (as models), the same request sequence is sent to both, and the
// member chosen for every request plus the BALANCER_* variables must match.

type apMember struct {
	route, redirect string
	lf, lbset       int
	status          string // Apache status= letters, e.g. "+H"
	dead            bool   // no backend listening
	retry           string // retry= value, "" for the default
}

type apRequest struct {
	path   string // appended to the balancer's ProxyPass path
	cookie string
}

type apScenario struct {
	name    string
	params  string // ProxySet line arguments ("stickysession=ROUTEID nofailover=On")
	members []apMember
	reqs    []apRequest
}

func reqs(n int, r apRequest) []apRequest {
	out := make([]apRequest, n)
	for i := range out {
		out[i] = r
	}
	return out
}

func cat(lists ...[]apRequest) []apRequest {
	var out []apRequest
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

var apScenarios = []apScenario{
	{"byrequests 1:3", "", []apMember{{lf: 1}, {lf: 3}}, reqs(12, apRequest{})},
	{"byrequests 2:3:5", "", []apMember{{lf: 2}, {lf: 3}, {lf: 5}}, reqs(20, apRequest{})},
	{"tiers all up", "", []apMember{{}, {status: "+H"}, {lbset: 1}}, reqs(3, apRequest{})},
	{"tiers standby", "", []apMember{{status: "D"}, {status: "+H"}, {lbset: 1}}, reqs(3, apRequest{})},
	{"tiers next set", "", []apMember{{status: "D"}, {status: "HD"}, {lbset: 1}, {lbset: 1, lf: 2}}, reqs(6, apRequest{})},
	{"spares", "", []apMember{{status: "D"}, {}, {status: "R"}, {status: "R"}}, reqs(6, apRequest{})},
	{"spares two down", "", []apMember{{status: "D"}, {status: "D"}, {status: "R"}, {status: "R"}}, reqs(6, apRequest{})},
	{"drain and spare", "", []apMember{{status: "N"}, {status: "R"}, {lbset: 1}}, reqs(3, apRequest{})},
	{"sticky accounting", "stickysession=ROUTEID", []apMember{{route: "n1", lf: 1}, {route: "n2", lf: 3}, {route: "n3", status: "+H"}},
		[]apRequest{{cookie: "ROUTEID=.n1"}, {}, {cookie: "ROUTEID=.n3"}, {}, {}, {cookie: "ROUTEID=.n2"}, {cookie: "ROUTEID=.zz"},
			{}, {cookie: "ROUTEID=n1"}, {}, {cookie: "ROUTEID=.n3"}, {}, {cookie: "ROUTEID=.n1"}, {cookie: "ROUTEID=.n1"}, {}, {}, {}}},
	{"jsessionid forms", "stickysession=JSESSIONID|jsessionid scolonpathdelim=On", []apMember{{route: "n1"}, {route: "n2"}, {route: "n3"}},
		[]apRequest{{path: "/x;jsessionid=a.n2"}, {path: "/x;jsessionid=a.n3;y=1"}, {path: "/x?jsessionid=&x=a.n2"},
			{path: "/x?jsessionid=&&&", cookie: "JSESSIONID=b.n3"}, {path: "/x?jsessionid=a", cookie: "JSESSIONID=a.n1"},
			{path: "/x?jsessionid=a."}, {cookie: "JSESSIONID=a.n2, JSESSIONID=a.n1"}, {cookie: "jsessionid=a.n1"},
			{cookie: "JSESSIONID =a.n3"}, {cookie: "JSESSIONID=a.b.n2"}, {cookie: "JSESSIONID=; JSESSIONID=a.n2"}, {}}},
	{"stickysessionsep off", "stickysession=ROUTEID stickysessionsep=Off", []apMember{{route: "n1"}, {route: "n2"}},
		[]apRequest{{cookie: "ROUTEID=n2"}, {cookie: "ROUTEID=.n2"}, {cookie: "ROUTEID=n1"}, {}}},
	{"redirect", "stickysession=ROUTEID", []apMember{{route: "n1", redirect: "n2", status: "D"}, {route: "n2"}, {route: "n3"}},
		cat(reqs(3, apRequest{cookie: "ROUTEID=.n1"}), reqs(3, apRequest{}))},
	{"redirect cycle", "stickysession=ROUTEID", []apMember{{route: "n1", redirect: "n2", status: "D"}, {route: "n2", redirect: "n1", status: "D"}, {route: "n3"}},
		reqs(2, apRequest{cookie: "ROUTEID=.n1"})},
	{"nofailover", "stickysession=ROUTEID nofailover=On", []apMember{{route: "n1", status: "D"}, {route: "n2"}},
		[]apRequest{{cookie: "ROUTEID=.n1"}, {cookie: "ROUTEID=.zz"}, {}, {cookie: "ROUTEID=.n2"}}},
	{"draining sticky", "stickysession=ROUTEID", []apMember{{route: "n1", status: "N"}, {route: "n2"}},
		[]apRequest{{cookie: "ROUTEID=.n1"}, {}, {cookie: "ROUTEID=.n1"}, {}}},
	// bybusyness is not compared here: Apache decrements busy in a request
	// pool cleanup that may run after the client already has the response,
	// so even sequential requests race (TestByBusyness has the [V] cases).
	{"failover dead members", "", []apMember{{dead: true}, {dead: true}, {}, {}}, reqs(6, apRequest{})},
	{"failover maxattempts=1", "maxattempts=1", []apMember{{dead: true}, {dead: true}, {dead: true}, {}}, reqs(4, apRequest{})},
	{"all dead forcerecovery", "", []apMember{{dead: true}, {dead: true}}, reqs(3, apRequest{})},
	{"dead and disabled", "", []apMember{{dead: true}, {status: "D"}}, reqs(3, apRequest{})},
	{"dead with ignore errors", "", []apMember{{dead: true, status: "I"}, {}}, reqs(4, apRequest{})},
	{"dead with retry=0", "", []apMember{{dead: true, retry: "0"}, {}, {}}, reqs(6, apRequest{})},
	{"sticky to dead member", "stickysession=ROUTEID", []apMember{{route: "n1", dead: true}, {route: "n2"}, {route: "n3"}},
		cat(reqs(2, apRequest{cookie: "ROUTEID=.n1"}), reqs(2, apRequest{}))},
}

// deadPort returns a port on 127.0.0.1 that refuses connections for the
// rest of the test: a socket is bound to it but never listens, so no other
// server (another scenario's backend) can take the port.
func deadPort(t *testing.T) int {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	return sa.(*syscall.SockaddrInet4).Port
}

const envHeader = "X-Bal"

// envFormat makes Apache report the BALANCER_* variables in one header.
// The trailing "|." keeps a route ending in a space from being trimmed
// off the header value.
const envFormat = "%{BALANCER_WORKER_NAME}e|%{BALANCER_WORKER_ROUTE}e|%{BALANCER_ROUTE_CHANGED}e|%{BALANCER_SESSION_STICKY}e|%{BALANCER_SESSION_ROUTE}e|."

// envOf renders a Decision's variables the way envFormat expands them.
func envOf(env []EnvVar) string {
	get := func(n string) string {
		for _, e := range env {
			if e.Name == n {
				return e.Value
			}
		}
		return "(null)"
	}
	return strings.Join([]string{get("BALANCER_WORKER_NAME"), get("BALANCER_WORKER_ROUTE"), get("BALANCER_ROUTE_CHANGED"),
		get("BALANCER_SESSION_STICKY"), get("BALANCER_SESSION_ROUTE"), "."}, "|")
}

func TestAgainstApache(t *testing.T) {
	compareWithApache(t, apScenarios)
}

// compareWithApache starts one apache2 with a balancer per scenario and
// runs every scenario's requests through it and through Pick.
func compareWithApache(t *testing.T, scenarios []apScenario) {
	bin := apachetest.Binary(t)
	dir := t.TempDir()

	// One backend per live member (its body is the member URL); dead
	// members get a port that refuses connections.
	urls := make([][]string, len(scenarios))
	for i, sc := range scenarios {
		for _, m := range sc.members {
			var u string
			if m.dead {
				u = "http://127.0.0.1:" + strconv.Itoa(deadPort(t))
			} else {
				srv := httptest.NewServer(nil)
				u = srv.URL
				srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, u) })
				t.Cleanup(srv.Close)
			}
			urls[i] = append(urls[i], u)
		}
	}
	// The front port is chosen after the backends exist, so none of them
	// can take it between FreePort and Apache's bind.
	front := apachetest.FreePort(t)
	var conf strings.Builder
	conf.WriteString(apachetest.Sandbox(dir, dir))
	fmt.Fprintf(&conf, `LogLevel warn
Listen 127.0.0.1:%d
ServerName 127.0.0.1
StartServers 1
ServerLimit 1
ThreadsPerChild 8
MaxRequestWorkers 8
`, front)
	conf.WriteString(apachetest.LoadModules("mpm_event", "authz_core", "headers", "proxy", "proxy_http", "proxy_balancer", "slotmem_shm",
		"lbmethod_byrequests", "lbmethod_bybusyness", "lbmethod_bytraffic"))
	fmt.Fprintf(&conf, "Header always set %s %q\n", envHeader, envFormat)
	for i, sc := range scenarios {
		fmt.Fprintf(&conf, "<Proxy balancer://s%d>\n", i)
		for j, m := range sc.members {
			fmt.Fprintf(&conf, "  BalancerMember %s", urls[i][j])
			if m.lf != 0 {
				fmt.Fprintf(&conf, " loadfactor=%d", m.lf)
			}
			if m.lbset != 0 {
				fmt.Fprintf(&conf, " lbset=%d", m.lbset)
			}
			for k, v := range map[string]string{"route": m.route, "redirect": m.redirect, "status": m.status, "retry": m.retry} {
				if v != "" {
					fmt.Fprintf(&conf, " %s=%s", k, v)
				}
			}
			conf.WriteString("\n")
		}
		if sc.params != "" {
			fmt.Fprintf(&conf, "  ProxySet %s\n", sc.params)
		}
		fmt.Fprintf(&conf, "</Proxy>\nProxyPass /s%d balancer://s%d\n", i, i)
	}
	confPath := filepath.Join(dir, "apache2.conf")
	if err := os.WriteFile(confPath, []byte(conf.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := "127.0.0.1:" + strconv.Itoa(front)
	apachetest.Serve(t, bin, confPath, addr, filepath.Join(dir, "error.log"))
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 20 * time.Second}

	for i, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			b := scenarioBalancer(t, i, sc, urls[i])
			dead := map[string]bool{}
			for j, m := range sc.members {
				if m.dead {
					dead[urls[i][j]] = true
				}
			}
			for k, r := range sc.reqs {
				req, err := http.NewRequest("GET", "http://"+addr+"/s"+strconv.Itoa(i)+r.path, nil)
				if err != nil {
					t.Fatal(err)
				}
				if r.cookie != "" {
					req.Header.Set("Cookie", r.cookie)
				}
				res, err := client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(res.Body)
				res.Body.Close()
				apacheGot := string(body)
				if res.StatusCode != 200 {
					apacheGot = strconv.Itoa(res.StatusCode)
				}
				apacheEnv := res.Header.Get(envHeader)
				if _, ok := res.Header[envHeader]; !ok {
					t.Fatalf("answer without %s header: port %d is not our apache2 (taken by another process?)", envHeader, front)
				}

				// HTTP parsing (Apache's and Go's) drops the header value's
				// surrounding whitespace.
				cookie := strings.Trim(r.cookie, " \t")
				oursGot, oursEnv := runOurs(b, dead, Request{URL: "balancer://s" + strconv.Itoa(i) + r.path, Cookie: cookie})
				if apacheGot != oursGot || apacheEnv != oursEnv {
					t.Errorf("request %d (%+v):\n apache %s  %s\n ours   %s  %s\n%s", k+1, r, apacheGot, apacheEnv, oursGot, oursEnv, sc)
				}
			}
		})
	}
}

// scenarioBalancer builds the model Apache's directives would produce.
func scenarioBalancer(t *testing.T, i int, sc apScenario, urls []string) *Balancer {
	cfg := &model.Balancer{Name: "balancer://s" + strconv.Itoa(i), LBMethod: ByRequests, StickySep: ".", MaxAttempts: -1, ForceRecovery: true}
	for _, kv := range strings.Fields(sc.params) {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "stickysession":
			cfg.StickyCookie, cfg.StickyParam = v, v
			if c, p, ok := strings.Cut(v, "|"); ok {
				cfg.StickyCookie, cfg.StickyParam = c, p
			}
		case "stickysessionsep":
			cfg.StickySep = ""
		case "scolonpathdelim":
			cfg.ScolonPathDelim = true
		case "nofailover":
			cfg.NoFailover = true
		case "forcerecovery":
			cfg.ForceRecovery = v == "On"
		case "lbmethod":
			cfg.LBMethod = v
		case "maxattempts":
			cfg.MaxAttempts, _ = strconv.Atoi(v)
		default:
			t.Fatalf("scenario param %s not modelled", k)
		}
	}
	for j, m := range sc.members {
		w, err := NormalizeWorkerURL(urls[j])
		if err != nil {
			t.Fatal(err)
		}
		w.Params = model.WorkerParams{LoadFactor: 100, Retry: 60 * time.Second, LBSet: m.lbset, Route: m.route, Redirect: m.redirect}
		if m.lf != 0 {
			w.Params.LoadFactor = m.lf * 100
		}
		if m.retry != "" {
			n, _ := strconv.Atoi(m.retry)
			w.Params.Retry = time.Duration(n) * time.Second
		}
		for _, c := range []byte(strings.TrimPrefix(m.status, "+")) {
			f, ok := StatusFlag(c)
			if !ok {
				t.Fatalf("status letter %c", c)
			}
			w.Params.Status |= f
		}
		cfg.Members = append(cfg.Members, w)
	}
	return NewRegistry(SystemClock()).Balancer(cfg)
}

// runOurs runs one request through Pick with Apache's failover loop,
// treating members in dead as refusing connections.
// Like Apache, the variables of the last attempt that had a member stay
// set when a later attempt fails.
func runOurs(b *Balancer, dead map[string]bool, req Request) (got, env string) {
	changed := false
	env = envOf(nil)
	for attempts := 0; ; attempts++ {
		d := b.Pick(context.Background(), &req)
		if d.Member == nil {
			return "503", env
		}
		changed = changed || d.RouteChanged
		d.RouteChanged = changed
		env = envOf(d.AppendEnv(nil))
		if !dead[d.Member.Name()] {
			d.Member.ConnectOK()
			d.Member.Release(0, 0)
			return d.Member.Name(), env
		}
		d.Member.MarkError()
		d.Member.Release(0, 0)
		if !b.ShouldFailover(d.Member, attempts) {
			return "503", env
		}
	}
}

// String renders a scenario for failure messages.
func (sc apScenario) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "scenario %q params %q\n", sc.name, sc.params)
	for i, m := range sc.members {
		fmt.Fprintf(&b, "  member %d: %+v\n", i, m)
	}
	return b.String()
}

// TestAgainstApacheRandom compares random balancers (factors, lbsets,
// status flags, routes, redirects, dead members) and random request
// sequences (with and without sticky cookies) with Apache. The seed is
// fixed; BALANCERD_RANDOM_SEED explores others.
func TestAgainstApacheRandom(t *testing.T) {
	seed := int64(1)
	if v := os.Getenv("BALANCERD_RANDOM_SEED"); v != "" {
		seed, _ = strconv.ParseInt(v, 10, 64)
	}
	rng := rand.New(rand.NewSource(seed))
	letters := []string{"D", "H", "R", "N", "I", "S"}
	var scenarios []apScenario
	for n := 0; n < 40; n++ {
		sc := apScenario{name: fmt.Sprintf("seed %d #%d", seed, n)}
		sticky := rng.Intn(3) > 0
		jsession := sticky && rng.Intn(3) == 0
		if jsession {
			sc.params = "stickysession=JSESSIONID|jsessionid"
			if rng.Intn(2) == 0 {
				sc.params += " scolonpathdelim=On"
			}
		} else if sticky {
			sc.params = "stickysession=ROUTEID"
			if rng.Intn(4) == 0 {
				sc.params += " nofailover=On"
			}
		}
		if rng.Intn(4) == 0 {
			sc.params += fmt.Sprintf(" maxattempts=%d", rng.Intn(3))
		}
		if rng.Intn(5) == 0 {
			sc.params += " forcerecovery=Off"
		}
		sc.params = strings.TrimSpace(sc.params)
		members := 1 + rng.Intn(5)
		for j := 0; j < members; j++ {
			m := apMember{lf: 1 + rng.Intn(4), lbset: rng.Intn(3) / 2, dead: rng.Intn(5) == 0}
			if sticky && rng.Intn(4) > 0 {
				m.route = fmt.Sprintf("n%d", rng.Intn(members+1))
				if rng.Intn(4) == 0 {
					m.redirect = fmt.Sprintf("n%d", rng.Intn(members+1))
				}
			}
			for _, l := range letters {
				if rng.Intn(7) == 0 {
					m.status += l
				}
			}
			sc.members = append(sc.members, m)
		}
		for k := 0; k < 15; k++ {
			var r apRequest
			switch {
			case jsession:
				// A name (with "=" or spaces) at the very end makes Apache's
				// get_path_param/get_cookie_param read past the string's
				// NUL (undefined behaviour, observed to pick up garbage);
				// the terminating "x" keeps those cases out.
				r.path = "/x" + randomText(rng, members, []string{";jsessionid=", "?jsessionid=", "&jsessionid=", "jsessionid", "=", "&", ";", "?", "."}) + "x"
				r.cookie = randomText(rng, members, []string{"JSESSIONID=", "JSESSIONID =", "XJSESSIONID=", "jsessionid=", "; ", ",", ";", "=", ".", " "}) + "x"
			case sticky && rng.Intn(2) == 0:
				r.cookie = fmt.Sprintf("ROUTEID=.n%d", rng.Intn(members+1))
			}
			sc.reqs = append(sc.reqs, r)
		}
		scenarios = append(scenarios, sc)
	}
	compareWithApache(t, scenarios)
}

// randomText joins a few random fragments and route-like words.
func randomText(rng *rand.Rand, members int, frags []string) string {
	var b strings.Builder
	for n := rng.Intn(6); n > 0; n-- {
		if rng.Intn(3) == 0 {
			fmt.Fprintf(&b, "n%d", rng.Intn(members+1))
		} else {
			b.WriteString(frags[rng.Intn(len(frags))])
		}
	}
	return b.String()
}
