package balancer

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/balancerd/balancerd/directives/model"
)

func TestStatusText(t *testing.T) {
	O, I, N, G, U, D, S, E, H, R, F, C := model.StatusInit, model.StatusIgnoreErrors, model.StatusDrain,
		model.StatusGeneric, model.StatusShutdown, model.StatusDisabled, model.StatusStopped,
		model.StatusError, model.StatusHotStandby, model.StatusHotSpare, model.StatusFree, model.StatusHCFailed
	// Spec 4.5 [V] examples.
	tests := []struct {
		s    model.Status
		want string
	}{
		{O | I, "Init Ign Ok "},
		{O | G, "Init Gen Ok "},
		{O | U, "Init Shut "},
		{O | F, "Init Free Ok "},
		{O | C, "Init HcFl "},
		{O | I | H | N, "Init Ign Drn Stby Ok "},
		{O, "Init Ok "},
		{O | D, "Init Dis "},
		{O | E, "Init Err "},
		{O | S, "Init Stop "},
		{O | H, "Init Stby Ok "},
		{O | N, "Init Drn Ok "},
		{O | R, "Init Spar Ok "},
		{0, "??? "},
		{D, "Dis "},
	}
	for _, tc := range tests {
		if got := StatusText(tc.s); got != tc.want {
			t.Errorf("StatusText(%s) = %q, want %q", StatusLetters(tc.s), got, tc.want)
		}
	}
	for _, l := range "OINGUDSEHRFCoi" {
		f, ok := StatusFlag(byte(l))
		if !ok || !strings.EqualFold(StatusLetters(f), string(l)) {
			t.Errorf("StatusFlag(%c) = %v %v", l, f, ok)
		}
	}
	if _, ok := StatusFlag('X'); ok {
		t.Error("StatusFlag(X) accepted")
	}
	// A member configured status=D-D shows "Init Ok ".
	b, _ := setup(bal(mem("a")))
	if got := mustMember(t, b, "a").StatusText(); got != "Init Ok " {
		t.Errorf("runtime member: %q", got)
	}
}

func TestSetFlag(t *testing.T) {
	b, _ := setup(bal(mem("a", lf(1)), mem("b", lf(3))))
	a := mustMember(t, b, "a")
	seq(b, 1, plain) // a 100, b -100
	if err := a.SetFlag(model.StatusDisabled, true); err != nil {
		t.Fatal(err)
	}
	if a.StatusText() != "Init Dis " {
		t.Errorf("status %q", a.StatusText())
	}
	if got := seq(b, 2, plain); got != "b b" {
		t.Errorf("disabled: %s", got)
	}
	// Becoming usable again keeps lbstatus (observed on Apache 2.4.67:
	// w_status_D=1 then 0 left lbstatus -6000/6000 unchanged).
	before := mustMember(t, b, "b").LBStatus()
	if err := a.SetFlag(model.StatusDisabled, false); err != nil {
		t.Fatal(err)
	}
	if a.LBStatus() != 100 || mustMember(t, b, "b").LBStatus() != before {
		t.Errorf("lbstatus changed on re-enable: %d %d", a.LBStatus(), mustMember(t, b, "b").LBStatus())
	}
	for _, f := range []model.Status{model.StatusError, model.StatusInit, model.StatusFree, model.StatusDisabled | model.StatusStopped, 0} {
		if a.SetFlag(f, true) == nil {
			t.Errorf("SetFlag(%s) accepted", StatusLetters(f))
		}
	}
	for _, l := range "INDHRSC" {
		f, _ := StatusFlag(byte(l))
		if err := a.SetFlag(f, true); err != nil {
			t.Errorf("SetFlag(%c): %v", l, err)
		}
	}
}

func TestSetLoadFactorAndOthers(t *testing.T) {
	b, _ := setup(bal(mem("a", lf(1)), mem("b", lf(3))))
	a, bm := mustMember(t, b, "a"), mustMember(t, b, "b")
	seq(b, 3, plain)
	if err := a.SetLoadFactor(250); err != nil {
		t.Fatal(err)
	}
	// recalc_factors: every lbstatus = its lbfactor.
	if a.LoadFactor() != 250 || a.LBStatus() != 250 || bm.LBStatus() != 300 {
		t.Errorf("after w_lf: lf %d lbstatus %d %d", a.LoadFactor(), a.LBStatus(), bm.LBStatus())
	}
	for _, bad := range []int{99, 10001, 0} {
		if a.SetLoadFactor(bad) == nil {
			t.Errorf("loadfactor %d accepted", bad)
		}
	}
	one, _ := setup(bal(mem("solo", lf(5))))
	s := mustMember(t, one, "solo")
	if err := s.SetLoadFactor(700); err != nil || s.LoadFactor() != 100 || s.LBStatus() != 100 {
		t.Errorf("single member forced to 100: %v %d %d", err, s.LoadFactor(), s.LBStatus())
	}
	if a.SetLBSet(100) == nil || a.SetLBSet(-1) == nil || a.SetLBSet(7) != nil || a.LBSet() != 7 {
		t.Errorf("lbset validation, got %d", a.LBSet())
	}
	a.SetRoute("r1")
	a.SetRedirect("r2")
	if a.Route() != "r1" || a.Redirect() != "r2" {
		t.Errorf("route %q redirect %q", a.Route(), a.Redirect())
	}
	a.SetRoute(strings.Repeat("x", 64))
	a.SetRedirect("")
	if a.Route() != "" || a.Redirect() != "" {
		t.Errorf("long route not cleared: %q %q", a.Route(), a.Redirect())
	}
	a.SetRoute(strings.Repeat("x", 63))
	if len(a.Route()) != 63 {
		t.Error("63-char route refused")
	}
}

func TestBalancerSetters(t *testing.T) {
	b, _ := setup(bal(mem("a", lf(1)), mem("b", lf(3))))
	if err := b.SetStickySession("JSESSIONID|jsessionid"); err != nil {
		t.Fatal(err)
	}
	s := b.Settings()
	if s.StickyCookie != "JSESSIONID" || s.StickyParam != "jsessionid" || s.StickySession() != "JSESSIONID|jsessionid" {
		t.Errorf("sticky %+v", s)
	}
	_ = b.SetStickySession("ROUTEID")
	if s := b.Settings(); s.StickySession() != "ROUTEID" || s.StickyParam != "ROUTEID" {
		t.Errorf("sticky %+v", s)
	}
	_ = b.SetStickySession("")
	if b.Settings().StickyCookie != "ROUTEID" {
		t.Error("empty b_ss changed stickysession")
	}
	if b.SetStickySession(strings.Repeat("x", 63)) == nil {
		t.Error("63-char stickysession accepted")
	}
	_ = b.SetStickySession("-")
	if b.Settings().StickySession() != "" {
		t.Error("- did not clear")
	}
	seq(b, 1, plain)
	if changed, err := b.SetLBMethod(ByRequests); changed || err != nil {
		t.Errorf("unchanged lbmethod: %v %v", changed, err)
	}
	if _, err := b.SetLBMethod("roundrobin"); err == nil {
		t.Error("unknown lbmethod accepted")
	}
	if changed, err := b.SetLBMethod(ByBusyness); !changed || err != nil || b.Settings().LBMethod != ByBusyness {
		t.Errorf("bybusyness: %v %v", changed, err)
	}
	if mustMember(t, b, "a").LBStatus() != 0 {
		t.Error("lbmethod change did not reset")
	}
	if b.SetTimeout(7201*time.Second) == nil || b.SetTimeout(5*time.Second) != nil || b.Settings().Timeout != 5*time.Second {
		t.Error("timeout validation")
	}
	b.SetNoFailover(true)
	b.SetForceRecovery(false)
	if s := b.Settings(); !s.NoFailover || s.ForceRecovery || s.Slots != 2 || s.Used != 2 {
		t.Errorf("settings %+v", s)
	}
}

func TestAddMember(t *testing.T) {
	b, _ := setup(bal(mem("127.0.0.1:1")))
	if _, err := b.AddMember("http://127.0.0.1:2"); err == nil || !strings.Contains(err.Error(), "growth") {
		t.Errorf("no growth: %v", err)
	}
	cfg := bal(mem("127.0.0.1:1"))
	cfg.Growth = 1
	b, _ = setup(cfg)
	m, err := b.AddMember("HTTP://LOCALHOST:80/Path")
	if err != nil {
		t.Fatal(err)
	}
	if m.Name() != "http://localhost/Path" || m.StatusText() != "Init Dis " || m.LoadFactor() != 100 || !m.State().Dynamic {
		t.Errorf("added %q %q %d", m.Name(), m.StatusText(), m.LoadFactor())
	}
	if _, err := b.AddMember("http://127.0.0.1:3"); err == nil {
		t.Error("second add beyond growth accepted")
	}
	cfg.Growth = 3
	b, _ = setup(cfg)
	// Rejections and names as Apache 2.4.67's manager gives them (except
	// the port above 65535, which Apache wraps).
	for _, bad := range []string{"http://127.0.0.1:1", "not a url", "http://", "http://h:99999", "/relative", "mailto:x@y", "unix:/x.sock"} {
		if _, err := b.AddMember(bad); err == nil {
			t.Errorf("AddMember(%q) accepted", bad)
		}
	}
	if m, err := b.AddMember("https://[::1]:443/"); err != nil || m.Name() != "https://[::1]/" {
		t.Errorf("ipv6: %v %v", m, err)
	}
	if m, err := b.AddMember("http://[::1]:8080"); err != nil || m.Name() != "http://[::1]:8080" {
		t.Errorf("ipv6 port: %v %v", m, err)
	}
	for in, want := range map[string]string{
		"http://user@h:81":             "http://user@h:81",
		"http://h2:82?x=1":             "http://h2:82?x=1",
		"ftp://h":                      "ftp://h",
		"xyz://h4":                     "xyz://h4",
		"unix:/tmp/x.sock|http://Sock": "unix:/tmp/x.sock|http://sock",
	} {
		cfg.Growth = 1
		b, _ := setup(cfg)
		if m, err := b.AddMember(in); err != nil || m.Name() != want {
			t.Errorf("AddMember(%q) = %v, %v; want name %q", in, m, err, want)
		} else if strings.HasPrefix(in, "unix:") && m.Config().UnixSocket != "/tmp/x.sock" {
			t.Errorf("socket %q", m.Config().UnixSocket)
		}
	}
	// Disabled until enabled; then it takes traffic.
	if got := seq(b, 2, plain); got != "127.0.0.1:1 127.0.0.1:1" {
		t.Errorf("added members took traffic: %s", got)
	}
}

func TestReloadKeepsState(t *testing.T) {
	clk := NewManualClock(t0)
	reg := NewRegistry(clk)
	cfg1 := bal(mem("a", lf(1), route("r1")), mem("b", lf(3)), mem("gone"))
	cfg1.Growth = 2
	b := reg.Balancer(cfg1)
	seq(b, 5, plain)
	a := mustMember(t, b, "a")
	_ = a.SetFlag(model.StatusDrain, true)
	a.SetRoute("manual")
	dyn, err := b.AddMember("http://dyn")
	if err != nil {
		t.Fatal(err)
	}
	elected, lbs := a.Elected(), a.LBStatus()

	// Reload: same a (route changed in config), b's loadfactor changed,
	// "gone" removed, "new" added.
	cfg2 := bal(mem("a", lf(1), route("r1")), mem("b", lf(2)), mem("new"))
	cfg2.Growth = 2
	cfg2.StickyCookie = "S"
	if reg.Balancer(cfg2) != b {
		t.Fatal("reload returned a new balancer")
	}
	if b.Member("http://a") != a || a.Elected() != elected || a.LBStatus() != lbs {
		t.Errorf("state of a lost")
	}
	if a.Status()&model.StatusDrain == 0 || a.Route() != "manual" {
		t.Errorf("runtime changes with unchanged config lost: %s %q", a.StatusText(), a.Route())
	}
	if mustMember(t, b, "b").LoadFactor() != 200 {
		t.Error("changed config not applied")
	}
	if b.Member("http://gone") != nil || b.Member("http://new") == nil || b.Member("http://dyn") != dyn {
		t.Error("member set not updated")
	}
	names := []string{}
	for _, m := range b.Members() {
		names = append(names, m.Name())
	}
	if strings.Join(names, " ") != "http://a http://b http://new http://dyn" {
		t.Errorf("order %v", names)
	}
	if b.Settings().StickyCookie != "S" || b.MaxAttempts() != 2 {
		t.Errorf("settings not reloaded: %+v", b.Settings())
	}
	// A config change of a status flag wins over the runtime value.
	cfg3 := bal(mem("a", lf(1), route("r2"), st(model.StatusHotStandby)), mem("b", lf(2)), mem("new"))
	reg.Balancer(cfg3)
	if a.Status()&model.StatusHotStandby == 0 || a.Status()&model.StatusDrain == 0 || a.Route() != "r2" {
		t.Errorf("after cfg3: %s route %q", a.StatusText(), a.Route())
	}
	// Scoped balancers with the same name are separate.
	other := reg.Scoped("vhost2", cfg3)
	if other == b || reg.Lookup("balancer://c") != b {
		t.Error("scopes not separate")
	}
}

func TestHealthResult(t *testing.T) {
	w := mem("a")
	w.Params.HealthCheck = model.HealthCheck{Method: "GET", Passes: 2, Fails: 2}
	b, _ := setup(bal(w, mem("b")))
	a := mustMember(t, b, "a")
	steps := []struct {
		pass    bool
		changed bool
		status  string
	}{
		{false, false, "Init Ok "},
		{true, false, "Init Ok "},
		{false, true, "Init HcFl "}, // failures need not be consecutive
		{true, false, "Init HcFl "},
		{false, false, "Init HcFl "},
		{true, true, "Init Ok "},
	}
	for i, s := range steps {
		if c := a.HealthResult(s.pass); c != s.changed || a.StatusText() != s.status {
			t.Errorf("step %d: changed %v status %q, want %v %q", i, c, a.StatusText(), s.changed, s.status)
		}
	}
	a.MarkError()
	a.HealthResult(true)
	if a.HealthResult(true) != true || a.Usable() != true {
		t.Error("passes did not clear E")
	}
}

// TestConcurrentPick runs picks, releases and manager changes from many
// goroutines; run with -race.
func TestConcurrentPick(t *testing.T) {
	cfg := sticky(bal(mem("a", route("n1")), mem("b", route("n2"), lf(2)), mem("c", st(model.StatusHotSpare))), "S", "s")
	cfg.Growth = 4
	b, _ := setup(cfg)
	var wg sync.WaitGroup
	const n = 200
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			req := Request{URL: "balancer://c/x", Cookie: "S=x.n1", Explain: g%4 == 0}
			if g%2 == 0 {
				req.Cookie = ""
			}
			for i := 0; i < n; i++ {
				d := b.Pick(context.Background(), &req)
				if d.Member != nil {
					d.Member.Release(10, 10)
				}
			}
		}(g)
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		a := mustMember(t, b, "a")
		for i := 0; i < n; i++ {
			_ = a.SetFlag(model.StatusDisabled, i%2 == 0)
			_ = a.SetLoadFactor(100 + i)
			_, _ = b.SetLBMethod([]string{ByRequests, ByBusyness, ByTraffic}[i%3])
			_ = a.State()
			_ = b.Settings()
			if i%50 == 0 {
				_, _ = b.AddMember("http://dyn" + string(rune('a'+i/50)))
			}
		}
	}()
	wg.Wait()
	var elected int64
	for _, m := range b.Members() {
		elected += m.Elected()
		if m.Busy() != 0 {
			t.Errorf("%s busy %d after all released", m.Name(), m.Busy())
		}
	}
	if elected != 8*n {
		t.Errorf("elected %d, want %d", elected, 8*n)
	}
}
