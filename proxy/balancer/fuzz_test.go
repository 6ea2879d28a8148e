package balancer

import (
	"context"
	"testing"
	"time"

	"github.com/balancerd/balancerd/directives/model"
)

// FuzzPickOps drives a balancer with an arbitrary sequence of picks,
// releases, failures, manager changes and clock moves, and checks
// invariants of every Decision: a chosen member is usable; one chosen by
// the lbmethod is not draining; exactly one member is marked chosen in the
// explanation; busy never goes negative.
func FuzzPickOps(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15})
	f.Add([]byte{3, 3, 3, 3, 0, 0, 8, 0, 9, 1, 0})
	f.Fuzz(func(t *testing.T, ops []byte) {
		if len(ops) > 400 {
			ops = ops[:400]
		}
		flags := []model.Status{model.StatusDisabled, model.StatusStopped, model.StatusDrain,
			model.StatusHotStandby, model.StatusHotSpare, model.StatusIgnoreErrors, model.StatusHCFailed}
		cfg := sticky(bal(mem("a", route("n1"), redirect("n2")), mem("b", route("n2"), lf(3)),
			mem("c", route("n3"), lbset(1)), mem("d", route("n1"), st(model.StatusHotStandby))), "S", "s")
		cfg.Growth = 2
		cfg.FailOnStatus = []int{500}
		clk := NewManualClock(t0)
		b := NewRegistry(clk).Balancer(cfg)
		var held []*Member
		cookies := []string{"", "S=x.n1", "S=x.n2", "S=x.n3", "S=x.zz", "S=n1"}
		for i, op := range ops {
			ms := b.Members()
			m := ms[int(op>>4)%len(ms)]
			switch op & 15 {
			case 0, 1, 2:
				req := Request{URL: "balancer://c/x", Cookie: cookies[(int(op>>4)+i)%len(cookies)], Explain: op&1 == 1, NoWait: true}
				d := b.Pick(context.Background(), &req)
				checkDecision(t, d, req.Explain)
				if d.Member != nil {
					held = append(held, d.Member)
				}
			case 3:
				if len(held) > 0 {
					held[0].Release(int64(op), int64(i))
					held = held[1:]
				}
			case 4:
				m.MarkError()
			case 5:
				_ = m.SetFlag(flags[int(op>>4)%len(flags)], true)
			case 6:
				_ = m.SetFlag(flags[int(op>>4)%len(flags)], false)
			case 7:
				clk.Advance(time.Duration(op) * time.Second)
			case 8:
				_ = m.SetLoadFactor(100 + int(op)*30)
			case 9:
				_, _ = b.SetLBMethod([]string{ByRequests, ByTraffic, ByBusyness, Heartbeat}[int(op>>4)%4])
			case 10:
				b.SetNoFailover(op&16 != 0)
			case 11:
				_ = m.SetLBSet(int(op >> 4))
			case 12:
				m.SetRoute([]string{"n1", "n2", "", "n3"}[int(op>>4)%4])
			case 13:
				_, _ = b.AddMember("http://dyn" + string(rune('a'+int(op>>4))))
			case 14:
				b.ReportStatus(m, 500)
				m.HealthResult(op&16 != 0)
			case 15:
				b.SetForceRecovery(op&16 != 0)
			}
			for _, x := range b.Members() {
				if x.Busy() < 0 {
					t.Fatalf("busy %d", x.Busy())
				}
			}
		}
	})
}

func checkDecision(t *testing.T, d Decision, explain bool) {
	t.Helper()
	if (d.Member == nil) != (d.Status == 503) || (d.Member == nil) != (d.Outcome != Chosen) {
		t.Fatalf("inconsistent decision: member=%v status=%d outcome=%v", d.Member != nil, d.Status, d.Outcome)
	}
	if d.Member != nil {
		s := d.Member.Status()
		if !usable(s) {
			t.Fatalf("chose unusable member %s (%s)", d.Member.Name(), StatusText(s))
		}
		if !d.ViaRoute && s&model.StatusDrain != 0 {
			t.Fatalf("lbmethod chose draining member %s", d.Member.Name())
		}
		if d.ViaRoute && d.Session.Route == "" {
			t.Fatal("via route without a route")
		}
	}
	if explain {
		chosen := 0
		for _, c := range d.Considered {
			if c.Reason.Chosen() {
				chosen++
				if c.Member != d.Member {
					t.Fatalf("explanation chose %s, decision %v", c.Name, d.MemberName())
				}
			}
		}
		if want := map[bool]int{true: 1, false: 0}[d.Member != nil]; chosen != want {
			t.Fatalf("%d members marked chosen", chosen)
		}
	}
}
