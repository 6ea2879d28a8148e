package balancer

import (
	"context"
	"strings"
	"testing"

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
