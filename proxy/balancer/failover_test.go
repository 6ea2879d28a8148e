package balancer

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/balancerd/balancerd/directives/model"
)

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
