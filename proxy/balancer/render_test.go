package balancer

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/balancerd/balancerd/directives/model"
)

func TestWriteText(t *testing.T) {
	cfg := sticky(bal(mem("a", route("n1"), redirect("n2"), st(model.StatusDisabled)), mem("b", route("n2"), lf(3)), mem("c", lbset(1))), "JSESSIONID", "jsessionid")
	b, _ := setup(cfg)
	d := b.Pick(context.Background(), &Request{URL: "balancer://c/x", Cookie: "JSESSIONID=abc.n1", Explain: true})
	var sb strings.Builder
	if err := d.WriteText(&sb); err != nil {
		t.Fatal(err)
	}
	want := `balancer balancer://c (lbmethod byrequests)
  stickysession JSESSIONID|jsessionid: cookie JSESSIONID="abc.n1", route "n1" unusable, redirected to route "n2"
  members:
    member    lbset  route  status    factor  lbstatus  busy  reason
    http://a  0      n1     Init Dis  1.00    0         0     disabled (D)
  * http://b  0      n2     Init Ok   3.00    -100      1     chosen by session route
    http://c  1             Init Ok   1.00    100       0     request is sticky to another member
  result: http://b (BALANCER_ROUTE_CHANGED=1)
`
	if got := sb.String(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}

	// A 503 without members to explain.
	e, _ := setup(bal())
	d = e.Pick(context.Background(), &Request{URL: "balancer://c/", Explain: true})
	sb.Reset()
	_ = d.WriteText(&sb)
	if got := sb.String(); got != "balancer balancer://c (lbmethod byrequests)\n  stickysession: none\n  result: 503 (balancer://c: No workers in balancer)\n" {
		t.Errorf("503 text:\n%s", got)
	}
}

func TestMarshalJSON(t *testing.T) {
	b, _ := setup(sticky(bal(mem("a", route("n1")), mem("b", route("n2"))), "S", "S"))
	d := b.Pick(context.Background(), &Request{URL: "balancer://c/x", Cookie: "S=v.n2", Explain: true})
	raw, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Balancer, Member, Outcome, Stickysession string
		Session                                  struct{ Source, Route string }
		Considered                               []struct{ Name, Reason, Status string }
		Env                                      map[string]string
	}
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	if got.Balancer != "balancer://c" || got.Member != "http://b" || got.Outcome != "chosen" || got.Stickysession != "S" ||
		got.Session.Source != "cookie" || got.Session.Route != "n2" || len(got.Considered) != 2 ||
		got.Considered[1].Reason != "chosen by session route" || got.Considered[0].Status != "Init Ok " ||
		got.Env["BALANCER_SESSION_ROUTE"] != "n2" {
		t.Errorf("json: %s", raw)
	}
}
