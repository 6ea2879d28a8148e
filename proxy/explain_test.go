package proxy

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"testing"
)

func TestExplainSeed(t *testing.T) {
	h1, h2 := "http://127.0.0.1:18001", "http://127.0.0.1:18002"
	s, err := New(seedConfig(h1, h2), Options{ErrorLog: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	ex, err := s.ExplainURL("GET", "http://www.example.com/page?x=1", []string{"Cookie: BALANCEID=balancer.http2"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(ex.VHost.Server, "ServerName www.example.com") || !strings.Contains(ex.VHost.Reason, "matches ServerName www.example.com") {
		t.Errorf("vhost %+v", ex.VHost)
	}
	if len(ex.Rules) != 2 || ex.Rules[0].Matched || !ex.Rules[1].Matched {
		t.Fatalf("rules %+v", ex.Rules)
	}
	if ex.Outcome != "proxy" || ex.Balancer != "balancer://mycluster" || ex.Target != "balancer://mycluster/page?x=1" {
		t.Errorf("outcome %q balancer %q target %q", ex.Outcome, ex.Balancer, ex.Target)
	}
	d := ex.Decision
	if d == nil || d.Member != h2 || d.Sticky != "cookie" || d.Route != "http2" || !d.ViaRoute || len(d.Considered) != 2 {
		t.Fatalf("decision %+v", d)
	}
	if ex.Backend != h2+"/page?x=1" {
		t.Errorf("backend %q", ex.Backend)
	}
	if ex.Env["BALANCER_SESSION_ROUTE"] != "http2" || ex.Env["BALANCER_WORKER_NAME"] != h2 {
		t.Errorf("env %v", ex.Env)
	}
	var buf bytes.Buffer
	if err := ex.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"VHost:", "Rule no : ProxyPass /balancer-manager !", "Rule YES: ProxyPass / balancer://mycluster/",
		"Sticky:   cookie BALANCEID=balancer.http2 -> route \"http2\"", "member " + h1, "Backend:  " + h2 + "/page?x=1"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("text output lacks %q:\n%s", want, buf.String())
		}
	}
	j, err := json.Marshal(ex)
	if err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(j, &back); err != nil || back["backend"] != h2+"/page?x=1" || back["decision"] == nil {
		t.Errorf("json %s", j)
	}

	// The manager URL is excluded and handled.
	ex, _ = s.ExplainURL("GET", "http://example.com/balancer-manager", nil)
	if ex.Outcome != "handler" || ex.Handler != "balancer-manager" || !ex.Rules[0].Matched {
		t.Errorf("manager: %+v", ex)
	}
	// Unknown route falls back to balancing.
	ex, _ = s.ExplainURL("GET", "http://example.com/", []string{"Cookie: BALANCEID=x.nope"})
	if ex.Decision == nil || ex.Decision.ViaRoute || !ex.Decision.RouteChanged {
		t.Errorf("unknown route: %+v", ex.Decision)
	}
	if _, err := s.ExplainURL("GET", "/relative", nil); err == nil {
		t.Errorf("relative URL accepted")
	}
}

// TestExplainMatchesServing: Explain's backend URL is the request the
// backend receives, for every mapping-table row (one decision code).
func TestExplainMatchesServing(t *testing.T) {
	b := backend(t, "b")
	u := b.URL
	vh := vhostCfg("front.test")
	addBalancer(vh, balancerCfg("balancer://s1", worker(u+"/")))
	vh.ProxyPass = append(vh.ProxyPass, pass("/a", u+"/"), pass("/t1/", "balancer://s1/"), regexRule(`^/m1/(.*)$`, u+"/mm/$1"))
	s, base := start(t, config(vh), Options{})
	for _, p := range []string{"/a/b", "/t1/x?y=1", "/m1/q%20r", "/a/%7Euser"} {
		ex, err := s.ExplainURL("GET", base+p, []string{"Host: front.test"})
		if err != nil {
			t.Fatal(err)
		}
		got := decode(t, rawGet(t, base, p, "front.test")).URI
		if !strings.HasSuffix(ex.Backend, got) || !strings.HasPrefix(ex.Backend, u) || len(ex.Backend) != len(u)+len(got) {
			t.Errorf("%s: explain says %s, backend saw %s", p, ex.Backend, got)
		}
	}
}
