package balancer

import (
	"context"
	"strings"
	"testing"

	"github.com/balancerd/balancerd/directives/model"
)

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
