package balancer

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/balancerd/balancerd/directives/model"
)

var t0 = time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)

type wopt func(*model.WorkerParams)

func lf(n int) wopt              { return func(p *model.WorkerParams) { p.LoadFactor = n * 100 } }
func route(r string) wopt        { return func(p *model.WorkerParams) { p.Route = r } }
func redirect(r string) wopt     { return func(p *model.WorkerParams) { p.Redirect = r } }
func lbset(n int) wopt           { return func(p *model.WorkerParams) { p.LBSet = n } }
func st(s model.Status) wopt     { return func(p *model.WorkerParams) { p.Status = s } }
func retry(d time.Duration) wopt { return func(p *model.WorkerParams) { p.Retry = d } }

// mem builds a member named http://NAME with Apache's defaults.
func mem(name string, opts ...wopt) *model.Worker {
	w := &model.Worker{Name: "http://" + name, Scheme: "http", Host: name, Port: 80,
		Params: model.WorkerParams{LoadFactor: 100, Retry: 60 * time.Second}}
	for _, o := range opts {
		o(&w.Params)
	}
	return w
}

// bal builds balancer://c with the directives layer's defaults.
func bal(members ...*model.Worker) *model.Balancer {
	return &model.Balancer{Name: "balancer://c", Members: members, LBMethod: ByRequests,
		StickySep: ".", MaxAttempts: -1, ForceRecovery: true}
}

func sticky(cfg *model.Balancer, cookie, param string) *model.Balancer {
	cfg.StickyCookie, cfg.StickyParam = cookie, param
	return cfg
}

func setup(cfg *model.Balancer) (*Balancer, *ManualClock) {
	clk := NewManualClock(t0)
	return NewRegistry(clk).Balancer(cfg), clk
}

// short is the member's host ("a" for http://a), or "503".
func short(d Decision) string {
	if d.Member == nil {
		return "503"
	}
	return strings.TrimPrefix(d.Member.Name(), "http://")
}

// seq picks n times with req, releasing each member, and returns the
// short names.
func seq(b *Balancer, n int, req Request) string {
	out := make([]string, n)
	for i := range out {
		d := b.Pick(context.Background(), &req)
		out[i] = short(d)
		if d.Member != nil {
			d.Member.Release(0, 0)
		}
	}
	return strings.Join(out, " ")
}

func mustMember(t *testing.T, b *Balancer, name string) *Member {
	t.Helper()
	m := b.Member("http://" + name)
	if m == nil {
		t.Fatalf("no member %s", name)
	}
	return m
}
