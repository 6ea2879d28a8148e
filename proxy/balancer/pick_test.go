package balancer

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/balancerd/balancerd/directives/model"
)

var plain = Request{URL: "balancer://c/x"}

// TestByRequestsSequence derives Apache's order from spec 4.3's worked
// example (A loadfactor=1, B loadfactor=3: B A B B, period 4; observed
// "b a b b b a b b" on 2.4.71) and checks 40 requests of it.
func TestByRequestsSequence(t *testing.T) {
	b, _ := setup(bal(mem("a", lf(1)), mem("b", lf(3))))
	want := strings.TrimSpace(strings.Repeat("b a b b ", 10))
	if got := seq(b, 40, plain); got != want {
		t.Fatalf("sequence\n got %s\nwant %s", got, want)
	}
	// lbstatus after a whole number of periods is back to 0 for both.
	if a, bb := mustMember(t, b, "a").LBStatus(), mustMember(t, b, "b").LBStatus(); a != 0 || bb != 0 {
		t.Errorf("lbstatus a=%d b=%d, want 0 0", a, bb)
	}
	if e := mustMember(t, b, "a").Elected(); e != 10 {
		t.Errorf("a elected %d, want 10", e)
	}
}

func TestByRequestsWorkedExampleLBStatus(t *testing.T) {
	b, _ := setup(bal(mem("a", lf(1)), mem("b", lf(3))))
	// Columns "A after -=" and "B after -=" of the worked example.
	want := [][2]int{{100, -100}, {-200, 200}, {-100, 100}, {0, 0}}
	a, bm := mustMember(t, b, "a"), mustMember(t, b, "b")
	for i, w := range want {
		seq(b, 1, plain)
		if a.LBStatus() != w[0] || bm.LBStatus() != w[1] {
			t.Fatalf("req %d: lbstatus A=%d B=%d, want %v", i+1, a.LBStatus(), bm.LBStatus(), w)
		}
		if a.LBStatus()+bm.LBStatus() != 0 {
			t.Fatalf("sum of lbstatus not 0")
		}
	}
}

func TestByRequestsFactors(t *testing.T) {
	tests := []struct {
		name    string
		members []*model.Worker
		n       int
		want    string
	}{
		{"equal factors round robin", []*model.Worker{mem("n1"), mem("n2"), mem("n3"), mem("n4")}, 8, "n1 n2 n3 n4 n1 n2 n3 n4"},
		{"25/25/25/25 like 1/1/1/1", []*model.Worker{mem("n1", lf(25)), mem("n2", lf(25)), mem("n3", lf(25)), mem("n4", lf(25))}, 8, "n1 n2 n3 n4 n1 n2 n3 n4"},
		{"single member", []*model.Worker{mem("a", lf(7))}, 3, "a a a"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, _ := setup(bal(tc.members...))
			if got := seq(b, tc.n, plain); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
	// 70/30: 7 A and 3 B in every period of 10.
	b, _ := setup(bal(mem("a", lf(70)), mem("b", lf(30))))
	s := strings.Fields(seq(b, 30, plain))
	for p := 0; p < 3; p++ {
		period := strings.Join(s[p*10:p*10+10], " ")
		if strings.Count(period, "a") != 7 || period != strings.Join(s[:10], " ") {
			t.Errorf("period %d = %s (first %v)", p, period, s[:10])
		}
	}
}

func TestTiersStandbysSpares(t *testing.T) {
	D, S, H, R, N := model.StatusDisabled, model.StatusStopped, model.StatusHotStandby, model.StatusHotSpare, model.StatusDrain
	tests := []struct {
		name    string
		members []*model.Worker
		want    string
	}{
		// Spec 4.2 [V]: A (set 0), B (set 0, +H), C (set 1).
		{"all up: A", []*model.Worker{mem("a"), mem("b", st(H)), mem("c", lbset(1))}, "a a a a"},
		{"A disabled: standby B before set 1", []*model.Worker{mem("a", st(D)), mem("b", st(H)), mem("c", lbset(1))}, "b b b b"},
		{"A and B disabled: C", []*model.Worker{mem("a", st(D)), mem("b", st(H|D)), mem("c", lbset(1))}, "c c c c"},
		{"all disabled or stopped: 503", []*model.Worker{mem("a", st(D)), mem("b", st(H|S)), mem("c", lbset(1), st(S))}, "503 503"},
		{"A draining, B spare: B takes over", []*model.Worker{mem("a", st(N)), mem("b", st(R)), mem("c", lbset(1))}, "b b b"},
		// Spares [V]: A disabled, B, R1, R2 spares: B, R1 alternate; R2 never.
		{"one spare per unusable member", []*model.Worker{mem("a", st(D)), mem("b"), mem("r1", st(R)), mem("r2", st(R))}, "b r1 b r1 b r1"},
		{"two unusable: both spares", []*model.Worker{mem("a", st(D)), mem("b", st(D)), mem("r1", st(R)), mem("r2", st(R))}, "r1 r2 r1 r2"},
		{"spares unused when all up", []*model.Worker{mem("a"), mem("b"), mem("r1", st(R))}, "a b a b"},
		{"standby unused while a spare serves", []*model.Worker{mem("a", st(D)), mem("s", st(H)), mem("r", st(R))}, "r r r"},
		{"draining member gets no new traffic", []*model.Worker{mem("a", st(N)), mem("b")}, "b b b"},
		{"only draining: 503", []*model.Worker{mem("a", st(N))}, "503"},
		{"draining standby not counted unusable", []*model.Worker{mem("a"), mem("h", st(N|H)), mem("r", st(R))}, "a a"},
		{"sets 0 empty, 2 used", []*model.Worker{mem("a", lbset(2)), mem("b", lbset(2))}, "a b a b"},
		{"lower set wins over higher", []*model.Worker{mem("a", lbset(1)), mem("b", lbset(0))}, "b b"},
		{"error member skipped", []*model.Worker{mem("a", st(model.StatusError|model.StatusStopped)), mem("b")}, "b b"},
		{"hcfailed member skipped", []*model.Worker{mem("a", st(model.StatusHCFailed)), mem("b")}, "b b"},
		{"shutdown member skipped", []*model.Worker{mem("a", st(model.StatusShutdown)), mem("b")}, "b b"},
		{"ignore-errors member usable", []*model.Worker{mem("a", st(model.StatusIgnoreErrors)), mem("b")}, "a b"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, _ := setup(bal(tc.members...))
			if got := seq(b, len(strings.Fields(tc.want)), plain); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func cookie(c string) Request { return Request{URL: "balancer://c/x", Cookie: c} }

func TestStickyRouting(t *testing.T) {
	D, H, N := model.StatusDisabled, model.StatusHotStandby, model.StatusDrain
	tests := []struct {
		name       string
		cfg        *model.Balancer
		req        Request
		want       string
		changed    bool
		redirected bool
		outcome    Outcome
	}{
		{"route hit", bal(mem("a", route("n1")), mem("b", route("n2"))), cookie("JSESSIONID=x.n2"), "b", false, false, Chosen},
		{"unknown route balances", bal(mem("a", route("n1")), mem("b", route("n2"))), cookie("JSESSIONID=x.b.n2"), "a", true, false, Chosen},
		{"no cookie balances, route changed", bal(mem("a", route("n1")), mem("b", route("n2"))), plain, "a", true, false, Chosen},
		{"draining member keeps sticky traffic", bal(mem("a", route("n1"), st(N)), mem("b", route("n2"))), cookie("JSESSIONID=x.n1"), "a", false, false, Chosen},
		{"standby reached by route", bal(mem("a", route("n1")), mem("h", route("h1"), st(H))), cookie("JSESSIONID=x.h1"), "h", false, false, Chosen},
		{"non-standby preferred for same route", bal(mem("h", route("n1"), st(H)), mem("a", route("n1"))), cookie("JSESSIONID=x.n1"), "a", false, false, Chosen},
		{"disabled route fails over", bal(mem("a", route("n1"), st(D)), mem("b", route("n2"))), cookie("JSESSIONID=x.n1"), "b", true, false, Chosen},
		{"second member with same route used", bal(mem("a", route("n1"), st(D)), mem("b", route("n1")), mem("c")), cookie("JSESSIONID=x.n1"), "b", false, false, Chosen},
		{"redirect to usable route", bal(mem("a", route("n1"), redirect("n2"), st(D)), mem("b", route("n2")), mem("c", route("n3"))), cookie("JSESSIONID=x.n1"), "b", true, true, Chosen},
		{"redirect cycle falls back", bal(mem("a", route("n1"), redirect("n2"), st(D)), mem("b", route("n2"), redirect("n1"), st(D)), mem("c", route("n3"))), cookie("JSESSIONID=x.n1"), "c", true, false, Chosen},
		{"empty route balances", bal(mem("a", route("n1")), mem("b", route(""))), cookie("JSESSIONID=x."), "a", true, false, Chosen},
		{"member without route never matches empty", bal(mem("a"), mem("b")), cookie("JSESSIONID=x."), "a", true, false, Chosen},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, _ := setup(sticky(tc.cfg, "JSESSIONID", "jsessionid"))
			d := b.Pick(context.Background(), &tc.req)
			if short(d) != tc.want || d.RouteChanged != tc.changed || d.Redirected != tc.redirected || d.Outcome != tc.outcome {
				t.Errorf("got %s changed=%v redirected=%v outcome=%v; want %s %v %v %v",
					short(d), d.RouteChanged, d.Redirected, d.Outcome, tc.want, tc.changed, tc.redirected, tc.outcome)
			}
		})
	}
}

func TestNoFailover(t *testing.T) {
	cfg := sticky(bal(mem("a", route("n1"), st(model.StatusDisabled)), mem("b", route("n2"))), "JSESSIONID", "jsessionid")
	cfg.NoFailover = true
	b, _ := setup(cfg)
	for i := 0; i < 3; i++ {
		d := b.Pick(context.Background(), &Request{URL: "balancer://c/x", Cookie: "JSESSIONID=s.n1"})
		if d.Member != nil || d.Status != 503 || d.Outcome != RouteUnusable {
			t.Fatalf("sticky to disabled member with nofailover: %s %d %v", short(d), d.Status, d.Outcome)
		}
		if msg := d.Message(); msg != "balancer://c: All workers are in error state for route (n1)" {
			t.Errorf("message %q", msg)
		}
	}
	// An unknown route still load-balances.
	if d := b.Pick(context.Background(), &Request{URL: "balancer://c/x", Cookie: "JSESSIONID=s.zz"}); short(d) != "b" {
		t.Errorf("unknown route: %s", short(d))
	}
	// A usable route is still served.
	if d := b.Pick(context.Background(), &Request{URL: "balancer://c/x", Cookie: "JSESSIONID=s.n2"}); short(d) != "b" || d.RouteChanged {
		t.Errorf("route n2: %s changed=%v", short(d), d.RouteChanged)
	}
}

// TestStickyAccounting checks the default sticky load accounting of spec
// 4.1 step 3 against two observations on real Apache.
func TestStickyAccounting(t *testing.T) {
	// [V] one sticky hit on B and two on standby C, then non-sticky: A, A, B.
	b, _ := setup(sticky(bal(mem("a", route("a")), mem("b", route("b")), mem("c", route("c"), st(model.StatusHotStandby))), "ROUTEID", "ROUTEID"))
	seq(b, 1, cookie("ROUTEID=.b"))
	seq(b, 2, cookie("ROUTEID=.c"))
	if got := seq(b, 3, plain); got != "a a b" {
		t.Errorf("after sticky b, c, c: %s, want a a b", got)
	}
	// Observed on Apache 2.4.67: A factor 1, B factor 3; 10 sticky
	// requests to A, then 6 non-sticky all go to B; the manager then
	// shows lbstatus A -2400, B 2400, elected 10 and 6.
	b, _ = setup(sticky(bal(mem("a", route("a"), lf(1)), mem("b", route("b"), lf(3))), "ROUTEID", "ROUTEID"))
	seq(b, 10, cookie("ROUTEID=.a"))
	a, bm := mustMember(t, b, "a"), mustMember(t, b, "b")
	if a.LBStatus() != -3000 || bm.LBStatus() != 3000 {
		t.Errorf("after 10 sticky: %d %d, want -3000 3000", a.LBStatus(), bm.LBStatus())
	}
	if got := seq(b, 6, plain); got != "b b b b b b" {
		t.Errorf("non-sticky after sticky: %s", got)
	}
	if a.LBStatus() != -2400 || bm.LBStatus() != 2400 || a.Elected() != 10 || bm.Elected() != 6 {
		t.Errorf("lbstatus %d %d elected %d %d, want -2400 2400 10 6", a.LBStatus(), bm.LBStatus(), a.Elected(), bm.Elected())
	}
}

func envString(d Decision) string {
	var parts []string
	for _, e := range d.AppendEnv(nil) {
		parts = append(parts, e.Name+"="+e.Value)
	}
	return strings.Join(parts, " ")
}

// TestEnv checks the BALANCER_* variables against spec 4.8's observed
// access-log values.
func TestEnv(t *testing.T) {
	cfg := sticky(bal(mem("127.0.0.1:38101", route("n1")), mem("127.0.0.1:38102", route("n2"))), "JSESSIONID", "JSESSIONID")
	cfg.Name = "balancer://c1"
	tests := []struct {
		name string
		req  Request
		want string
	}{
		{"sticky hit", cookie("JSESSIONID=n1.n1"),
			"BALANCER_NAME=balancer://c1 BALANCER_WORKER_NAME=http://127.0.0.1:38101 BALANCER_WORKER_ROUTE=n1 BALANCER_SESSION_STICKY=JSESSIONID BALANCER_SESSION_ROUTE=n1"},
		{"route not found", cookie("JSESSIONID=a.b.n2"),
			"BALANCER_ROUTE_CHANGED=1 BALANCER_NAME=balancer://c1 BALANCER_WORKER_NAME=http://127.0.0.1:38102 BALANCER_WORKER_ROUTE=n2 BALANCER_SESSION_STICKY=JSESSIONID BALANCER_SESSION_ROUTE=b.n2"},
		{"no cookie", plain,
			"BALANCER_ROUTE_CHANGED=1 BALANCER_NAME=balancer://c1 BALANCER_WORKER_NAME=http://127.0.0.1:38101 BALANCER_WORKER_ROUTE=n1"},
		{"value without route", cookie("JSESSIONID=n1"),
			"BALANCER_ROUTE_CHANGED=1 BALANCER_NAME=balancer://c1 BALANCER_WORKER_NAME=http://127.0.0.1:38102 BALANCER_WORKER_ROUTE=n2"},
		{"empty route sets session vars", cookie("JSESSIONID=x."),
			"BALANCER_ROUTE_CHANGED=1 BALANCER_NAME=balancer://c1 BALANCER_WORKER_NAME=http://127.0.0.1:38101 BALANCER_WORKER_ROUTE=n1 BALANCER_SESSION_STICKY=JSESSIONID BALANCER_SESSION_ROUTE="},
	}
	// The rows run in order on one balancer: the sticky hit on n1 shifts
	// lbstatus (a -100, b +100), so byrequests then picks n2, n1, n2, n1.
	b, _ := setup(cfg)
	for _, tc := range tests {
		d := b.Pick(context.Background(), &tc.req)
		if got := envString(d); got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, got, tc.want)
		}
		d.Member.Release(0, 0)
	}
	// No stickysession: no ROUTE_CHANGED, no session vars.
	nb, _ := setup(bal(mem("a", route("r"))))
	if got := envString(nb.Pick(context.Background(), &plain)); got != "BALANCER_NAME=balancer://c BALANCER_WORKER_NAME=http://a BALANCER_WORKER_ROUTE=r" {
		t.Errorf("no sticky: %s", got)
	}
	// A 503 sets nothing.
	eb, _ := setup(bal())
	if got := envString(eb.Pick(context.Background(), &plain)); got != "" {
		t.Errorf("503: %s", got)
	}
}

func TestRetryTimer(t *testing.T) {
	b, clk := setup(bal(mem("a"), mem("b")))
	a := mustMember(t, b, "a")
	if !a.MarkError() {
		t.Fatal("MarkError refused")
	}
	if a.StatusText() != "Init Err " {
		t.Errorf("status %q", a.StatusText())
	}
	if got := seq(b, 3, plain); got != "b b b" {
		t.Errorf("in error: %s", got)
	}
	clk.Advance(60 * time.Second) // error_time + retry, not after it
	if got := seq(b, 1, plain); got != "b" {
		t.Errorf("at exactly retry: %s", got)
	}
	clk.Advance(time.Nanosecond)
	d := b.Pick(context.Background(), &plain)
	if a.Usable() != true || a.State().Retries != 1 {
		t.Errorf("after retry interval: usable=%v retries=%d", a.Usable(), a.State().Retries)
	}
	_ = d
	a.ConnectOK()
	if s := a.State(); !s.ErrorTime.IsZero() || s.Retries != 0 {
		t.Errorf("ConnectOK did not reset: %+v", s)
	}

	// retry=0: retried on the next request once time moved at all.
	b, clk = setup(bal(mem("a", retry(0)), mem("b")))
	a = mustMember(t, b, "a")
	a.MarkError()
	clk.Advance(time.Microsecond)
	seq(b, 1, plain)
	if !a.Usable() {
		t.Errorf("retry=0 member not retried")
	}

	// Stopped members in error are never retried.
	b, clk = setup(bal(mem("a", st(model.StatusStopped|model.StatusError)), mem("b")))
	clk.Advance(time.Hour)
	seq(b, 2, plain)
	if s := mustMember(t, b, "a").Status(); s&model.StatusError == 0 {
		t.Errorf("stopped member retried: %s", StatusText(s))
	}

	// status=+E from config: error time unset, so the first look clears it.
	b, _ = setup(bal(mem("a", st(model.StatusError)), mem("b")))
	if got := seq(b, 2, plain); got != "a b" {
		t.Errorf("+E member: %s", got)
	}
}

func TestIgnoreErrors(t *testing.T) {
	b, _ := setup(bal(mem("a", st(model.StatusIgnoreErrors)), mem("b")))
	a := mustMember(t, b, "a")
	if a.MarkError() || !a.Usable() {
		t.Fatal("I member entered error state")
	}
	if b.ShouldFailover(a, 0) {
		t.Error("failover from an I member")
	}
	cfg := bal(mem("a", st(model.StatusIgnoreErrors)))
	cfg.FailOnStatus = []int{500}
	cfg.FailOnTimeout = true
	b, _ = setup(cfg)
	a = mustMember(t, b, "a")
	if b.ReportStatus(a, 500) || b.ReportTimeout(a) || !a.Usable() {
		t.Error("failonstatus/failontimeout marked an I member")
	}
}

func TestForceRecovery(t *testing.T) {
	b, _ := setup(bal(mem("a"), mem("b")))
	a, bm := mustMember(t, b, "a"), mustMember(t, b, "b")
	a.MarkError()
	bm.MarkError()
	if got := seq(b, 1, plain); got != "a" {
		t.Errorf("forcerecovery: %s", got)
	}
	if !bm.Usable() || a.State().Retries != 1 || bm.State().Retries != 1 {
		t.Errorf("after forcerecovery: b usable=%v retries %d %d", bm.Usable(), a.State().Retries, bm.State().Retries)
	}

	cfg := bal(mem("a"), mem("b"))
	cfg.ForceRecovery = false
	b, clk := setup(cfg)
	mustMember(t, b, "a").MarkError()
	mustMember(t, b, "b").MarkError()
	d := b.Pick(context.Background(), &plain)
	if d.Outcome != AllUnusable || d.Status != 503 || d.Message() != "balancer://c: All workers are in error state" {
		t.Errorf("forcerecovery off: %v %d %q", d.Outcome, d.Status, d.Message())
	}
	clk.Advance(61 * time.Second)
	if got := seq(b, 1, plain); got != "a" {
		t.Errorf("after retry: %s", got)
	}

	// One member in error and one disabled: no recovery [V].
	b, _ = setup(bal(mem("a"), mem("b", st(model.StatusDisabled))))
	mustMember(t, b, "a").MarkError()
	if got := seq(b, 1, plain); got != "503" {
		t.Errorf("error + disabled: %s", got)
	}
}

func TestMaxAttempts(t *testing.T) {
	tests := []struct {
		name    string
		members int
		cfg     int
		want    int
	}{
		{"default members-1", 3, -1, 2},
		{"single member unset", 1, -1, 0},
		{"explicit", 4, 1, 1},
		{"explicit zero", 3, 0, 0},
	}
	for _, tc := range tests {
		var ms []*model.Worker
		for i := 0; i < tc.members; i++ {
			ms = append(ms, mem(string(rune('a'+i))))
		}
		cfg := bal(ms...)
		cfg.MaxAttempts = tc.cfg
		b, _ := setup(cfg)
		if got := b.MaxAttempts(); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
	}
	// b_max on a single-member balancer without maxattempts: no effect.
	b, _ := setup(bal(mem("a")))
	if err := b.SetMaxAttempts(3); err != nil || b.MaxAttempts() != 0 {
		t.Errorf("b_max on unset: %v %d", err, b.MaxAttempts())
	}
	b, _ = setup(bal(mem("a"), mem("b")))
	if err := b.SetMaxAttempts(5); err != nil || b.MaxAttempts() != 5 {
		t.Errorf("b_max: %v %d", err, b.MaxAttempts())
	}
	if b.SetMaxAttempts(100) == nil {
		t.Error("b_max 100 accepted")
	}
}

// attempt runs the proxy's failover loop with the given dead members and
// returns the members tried, as Apache's proxy_handler does.
func attempt(b *Balancer, dead map[string]bool, req Request) []string {
	var tried []string
	for attempts := 0; ; attempts++ {
		d := b.Pick(context.Background(), &req)
		if d.Member == nil {
			return append(tried, "503")
		}
		name := short(d)
		tried = append(tried, name)
		if !dead[name] {
			d.Member.ConnectOK()
			d.Member.Release(10, 20)
			return tried
		}
		d.Member.MarkError()
		d.Member.Release(0, 0)
		if !b.ShouldFailover(d.Member, attempts) {
			return append(tried, "503")
		}
	}
}

func TestFailoverLoop(t *testing.T) {
	// [V] 3 members, first two dead, no maxattempts: one request tries
	// both dead members then gets the third.
	b, _ := setup(bal(mem("a"), mem("b"), mem("c")))
	dead := map[string]bool{"a": true, "b": true}
	if got := strings.Join(attempt(b, dead, plain), " "); got != "a b c" {
		t.Errorf("first request: %s", got)
	}
	if got := strings.Join(attempt(b, dead, plain), " "); got != "c" {
		t.Errorf("second request: %s", got)
	}
	// [V] 4 members (3 dead), maxattempts=1: first request tries two dead
	// members and fails; later requests skip members in error.
	cfg := bal(mem("a"), mem("b"), mem("c"), mem("d"))
	cfg.MaxAttempts = 1
	b, _ = setup(cfg)
	dead = map[string]bool{"a": true, "b": true, "c": true}
	if got := strings.Join(attempt(b, dead, plain), " "); got != "a b 503" {
		t.Errorf("first request: %s", got)
	}
	got := strings.Join(attempt(b, dead, plain), " ")
	if got != "c d" && got != "d" {
		t.Errorf("second request: %s", got)
	}
	if got := strings.Join(attempt(b, dead, plain), " "); got != "d" {
		t.Errorf("third request: %s", got)
	}
	// [V] two dead members, retry=60: forcerecovery makes the second
	// request try both again.
	b, _ = setup(bal(mem("a"), mem("b")))
	dead = map[string]bool{"a": true, "b": true}
	for i := 0; i < 2; i++ {
		if got := strings.Join(attempt(b, dead, plain), " "); got != "a b 503" && got != "b a 503" {
			t.Errorf("request %d: %s", i, got)
		}
	}
	// One dead member plus a disabled one: the second request makes no attempt.
	b, _ = setup(bal(mem("a"), mem("b", st(model.StatusDisabled))))
	dead = map[string]bool{"a": true}
	attempt(b, dead, plain)
	if got := strings.Join(attempt(b, dead, plain), " "); got != "503" {
		t.Errorf("dead + disabled second request: %s", got)
	}
}

func TestFailOnStatusAndTimeout(t *testing.T) {
	cfg := bal(mem("a"), mem("b"))
	cfg.FailOnStatus = []int{500, 503}
	b, _ := setup(cfg)
	a := mustMember(t, b, "a")
	if b.ReportStatus(a, 404) || !a.Usable() {
		t.Error("404 marked the member")
	}
	if !b.ReportStatus(a, 503) || a.Usable() {
		t.Error("503 did not mark the member")
	}
	if b.ReportTimeout(mustMember(t, b, "b")) {
		t.Error("timeout marked without failontimeout")
	}
	cfg.FailOnTimeout = true
	b, _ = setup(cfg)
	if !b.ReportTimeout(mustMember(t, b, "b")) || mustMember(t, b, "b").Usable() {
		t.Error("failontimeout did not mark")
	}
}

func TestBalancerTimeoutWait(t *testing.T) {
	cfg := bal(mem("a", st(model.StatusDisabled)))
	cfg.Timeout = 2 * time.Second
	b, clk := setup(cfg)
	d := b.Pick(context.Background(), &plain)
	if d.Status != 503 || d.Waited != 2*time.Second || !clk.Now().Equal(t0.Add(2*time.Second)) {
		t.Errorf("timeout=2: status %d waited %v clock %v", d.Status, d.Waited, clk.Now().Sub(t0))
	}
	// The member comes back during the wait (at the 10th sleep).
	b, clk = setup(cfg)
	n := 0
	clk.OnSleep = func(time.Time, time.Duration) {
		if n++; n == 10 {
			_ = mustMember(t, b, "a").SetFlag(model.StatusDisabled, false)
		}
	}
	d = b.Pick(context.Background(), &plain)
	if short(d) != "a" || d.Waited != 200*time.Millisecond {
		t.Errorf("member back during wait: %s after %v", short(d), d.Waited)
	}
	// NoWait (explain) does not wait; a canceled context ends the wait.
	b, _ = setup(cfg)
	if d := b.Pick(context.Background(), &Request{URL: "balancer://c/", NoWait: true}); d.Waited != 0 || d.Status != 503 {
		t.Errorf("NoWait waited %v", d.Waited)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if d := b.Pick(ctx, &plain); d.Outcome != Canceled || d.Status != 503 {
		t.Errorf("canceled: %v", d.Outcome)
	}
}

func TestNoMembers(t *testing.T) {
	b, _ := setup(bal())
	d := b.Pick(context.Background(), &plain)
	if d.Outcome != NoMembers || d.Status != 503 || d.Message() != "balancer://c: No workers in balancer" {
		t.Errorf("%v %d %q", d.Outcome, d.Status, d.Message())
	}
}

func TestByTraffic(t *testing.T) {
	// [V] equal factors: first request (100 kB response) to member 1, then
	// the next four to member 2.
	cfg := bal(mem("a"), mem("b"))
	cfg.LBMethod = ByTraffic
	b, _ := setup(cfg)
	var got []string
	for i := 0; i < 5; i++ {
		d := b.Pick(context.Background(), &plain)
		got = append(got, short(d))
		read := int64(300)
		if i == 0 {
			read = 100 * 1024
		}
		d.Member.Release(200, read)
	}
	if s := strings.Join(got, " "); s != "a b b b b" {
		t.Errorf("bytraffic: %s", s)
	}
	// traffic is divided by lbfactor: factor 2 halves a member's traffic.
	cfg = bal(mem("a"), mem("b", lf(2)))
	cfg.LBMethod = ByTraffic
	b, _ = setup(cfg)
	mustMember(t, b, "a").Release(1000, 0)
	mustMember(t, b, "b").Release(1500, 0) // 1500/200 = 7 < 1000/100 = 10
	if got := seq(b, 1, plain); got != "b" {
		t.Errorf("factor-weighted traffic: %s", got)
	}
	if mustMember(t, b, "a").LBStatus() != 0 {
		t.Error("bytraffic changed lbstatus")
	}
}

func TestByBusyness(t *testing.T) {
	// [V] sequential requests with factors 1 and 3 give byrequests' order.
	cfg := bal(mem("a", lf(1)), mem("b", lf(3)))
	cfg.LBMethod = ByBusyness
	b, _ := setup(cfg)
	if got := seq(b, 8, plain); got != "b a b b b a b b" {
		t.Errorf("bybusyness sequential: %s", got)
	}
	// [V] a slow request in flight on member 1: the following requests
	// all go to member 2.
	cfg = bal(mem("a"), mem("b"))
	cfg.LBMethod = ByBusyness
	b, _ = setup(cfg)
	slow := b.Pick(context.Background(), &plain)
	if short(slow) != "a" {
		t.Fatalf("first: %s", short(slow))
	}
	if got := seq(b, 4, plain); got != "b b b b" {
		t.Errorf("with a busy member: %s", got)
	}
	slow.Member.Release(0, 0)
	if mustMember(t, b, "a").Busy() != 0 {
		t.Error("busy not released")
	}
	// Release never goes below zero (after a reset zeroed busy).
	slow.Member.Release(0, 0)
	if mustMember(t, b, "a").Busy() != 0 {
		t.Error("busy below zero")
	}
}

func TestHeartbeatFallsBackToByRequests(t *testing.T) {
	cfg := bal(mem("a", lf(1)), mem("b", lf(3)))
	cfg.LBMethod = Heartbeat
	b, _ := setup(cfg)
	if MethodSupported(Heartbeat) {
		t.Error("heartbeat reported supported")
	}
	if got := seq(b, 4, plain); got != "b a b b" {
		t.Errorf("heartbeat: %s", got)
	}
}

func TestExplain(t *testing.T) {
	D, H, R, N := model.StatusDisabled, model.StatusHotStandby, model.StatusHotSpare, model.StatusDrain
	b, _ := setup(sticky(bal(
		mem("a", route("n1")),
		mem("b", route("n2"), st(D)),
		mem("c", st(N)),
		mem("d", st(H)),
		mem("e", st(R)),
		mem("f", st(R)),
		mem("g"),
		mem("x", lbset(1)),
	), "JSESSIONID", "jsessionid"))
	mustMember(t, b, "g").MarkError()
	d := b.Pick(context.Background(), &Request{URL: "balancer://c/x", Explain: true})
	want := map[string]Reason{
		"http://a": ReasonChosen, "http://b": ReasonDisabled, "http://c": ReasonDraining,
		"http://e": ReasonNotBest, "http://f": ReasonNotBest,
		"http://d": ReasonStandbyNotNeeded, "http://g": ReasonError, "http://x": ReasonLBSetNotReached,
	}
	// b, c (drain) and g are unusable: up to three spares may serve, so
	// e and f compete with a; all reach lbstatus 100 and the tie keeps a.
	var got []string
	for _, c := range d.Considered {
		got = append(got, c.Name+":"+c.Reason.String())
		if w, ok := want[c.Name]; ok && c.Reason != w {
			t.Errorf("%s: %v, want %v", c.Name, c.Reason, w)
		}
	}
	if short(d) == "503" || !d.RouteChanged {
		t.Fatalf("decision %s changed=%v", short(d), d.RouteChanged)
	}
	for _, c := range d.Considered {
		if c.Member == d.Member && !c.Reason.Chosen() {
			t.Errorf("chosen member has reason %v", c.Reason)
		}
	}
	if len(d.Considered) != 8 {
		t.Errorf("considered %d members: %v", len(d.Considered), got)
	}

	// Sticky hit: the others are "sticky to another member".
	d = b.Pick(context.Background(), &Request{URL: "balancer://c/x", Cookie: "JSESSIONID=s.n1", Explain: true})
	if d.Considered[0].Reason != ReasonChosenByRoute || d.Considered[6].Reason != ReasonOtherRoute {
		t.Errorf("sticky explain: %v %v", d.Considered[0].Reason, d.Considered[6].Reason)
	}
	// Sticky to the disabled member: it shows why it was skipped.
	d = b.Pick(context.Background(), &Request{URL: "balancer://c/x", Cookie: "JSESSIONID=s.n2", Explain: true})
	if d.Considered[1].Reason != ReasonDisabled || !d.RouteChanged || d.Session.Route != "n2" {
		t.Errorf("sticky to disabled: %v changed=%v", d.Considered[1].Reason, d.RouteChanged)
	}
	// No explanation without Explain.
	if d := b.Pick(context.Background(), &plain); d.Considered != nil {
		t.Error("Considered filled without Explain")
	}
}

func TestExplainStandbyAndSpareChosen(t *testing.T) {
	b, _ := setup(bal(mem("a", st(model.StatusDisabled)), mem("h", st(model.StatusHotStandby))))
	d := b.Pick(context.Background(), &Request{URL: "balancer://c/", Explain: true})
	if d.Considered[1].Reason != ReasonChosenStandby {
		t.Errorf("standby: %v", d.Considered[1].Reason)
	}
	b, _ = setup(bal(mem("a", st(model.StatusDisabled)), mem("r", st(model.StatusHotSpare))))
	d = b.Pick(context.Background(), &Request{URL: "balancer://c/", Explain: true})
	if d.Considered[1].Reason != ReasonChosenSpare {
		t.Errorf("spare: %v", d.Considered[1].Reason)
	}
	b, _ = setup(bal(mem("a"), mem("b")))
	mustMember(t, b, "a").MarkError()
	mustMember(t, b, "b").MarkError()
	d = b.Pick(context.Background(), &Request{URL: "balancer://c/", Explain: true})
	if !d.Considered[0].ForcedRecovery || !d.Considered[1].ForcedRecovery {
		t.Errorf("forced recovery not explained: %+v", d.Considered)
	}
}
