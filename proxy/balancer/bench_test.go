package balancer

import (
	"context"
	"testing"
)

func benchBalancer(sticky bool) *Balancer {
	cfg := bal(mem("127.0.0.1:8001", route("n1"), lf(1)), mem("127.0.0.1:8002", route("n2"), lf(3)),
		mem("127.0.0.1:8003", route("n3")), mem("127.0.0.1:8004", route("n4"), lbset(1)))
	if sticky {
		cfg.StickyCookie, cfg.StickyParam = "JSESSIONID", "jsessionid"
	}
	b, _ := setup(cfg)
	return b
}

var stickyReq = Request{URL: "balancer://c/app/page?x=1&y=2",
	Cookie: "theme=dark; lang=en; JSESSIONID=0123456789ABCDEF.n3; other=1"}

// TestPickZeroAllocs: the pick path (and env export into a reused slice)
// allocates nothing without Explain.
func TestPickZeroAllocs(t *testing.T) {
	for _, tc := range []struct {
		name   string
		sticky bool
		req    Request
	}{{"byrequests", false, plain}, {"sticky", true, stickyReq}, {"sticky miss", true, plain}} {
		b := benchBalancer(tc.sticky)
		env := make([]EnvVar, 0, 8)
		ctx := context.Background()
		allocs := testing.AllocsPerRun(200, func() {
			d := b.Pick(ctx, &tc.req)
			env = d.AppendEnv(env[:0])
			d.Member.Release(100, 200)
		})
		if allocs != 0 {
			t.Errorf("%s: %v allocations per pick", tc.name, allocs)
		}
	}
}

func BenchmarkPickByRequests(b *testing.B) {
	bl := benchBalancer(false)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		d := bl.Pick(ctx, &plain)
		d.Member.Release(100, 200)
	}
}

func BenchmarkPickSticky(b *testing.B) {
	bl := benchBalancer(true)
	ctx := context.Background()
	env := make([]EnvVar, 0, 8)
	b.ReportAllocs()
	for b.Loop() {
		d := bl.Pick(ctx, &stickyReq)
		env = d.AppendEnv(env[:0])
		d.Member.Release(100, 200)
	}
}

func BenchmarkPickParallel(b *testing.B) {
	bl := benchBalancer(true)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			d := bl.Pick(ctx, &stickyReq)
			d.Member.Release(100, 200)
		}
	})
}

func BenchmarkPickExplain(b *testing.B) {
	bl := benchBalancer(true)
	ctx := context.Background()
	req := stickyReq
	req.Explain = true
	b.ReportAllocs()
	for b.Loop() {
		d := bl.Pick(ctx, &req)
		d.Member.Release(100, 200)
	}
}

func BenchmarkExtractSession(b *testing.B) {
	cfg := StickyConfig{Cookie: "JSESSIONID", Param: "jsessionid", Sep: '.'}
	b.ReportAllocs()
	for b.Loop() {
		_ = ExtractSession(stickyReq.URL, stickyReq.Cookie, cfg)
	}
}
