package directives

import (
	"strings"
	"testing"
	"time"

	"github.com/balancerd/balancerd/directives/model"
)

// Every worker key of spec 3.5 and 8; messages verified with apache2 -t
// (BalancerMember prefix removed).
func TestSetWorkerParam(t *testing.T) {
	long := strings.Repeat("a", 64)
	hc := &hcContext{loaded: true, ajp: true, exprs: map[string]bool{"ok234": true},
		templates: map[string]map[string]string{"t1": {"hcmethod": "GET", "hcinterval": "10"}}}
	cases := []struct {
		kv    string
		msg   string
		check func(p model.WorkerParams) bool
	}{
		{"loadfactor=2.5", "", func(p model.WorkerParams) bool { return p.LoadFactor == 250 }},
		{"LoadFactor=1.5x", "", func(p model.WorkerParams) bool { return p.LoadFactor == 150 }},
		{"loadfactor=0", "LoadFactor must be a number between 1..100", nil},
		{"loadfactor=100.5", "LoadFactor must be a number between 1..100", nil},
		{"retry=0", "", func(p model.WorkerParams) bool { return p.Retry == 0 }},
		{"retry=abc", "", func(p model.WorkerParams) bool { return p.Retry == 0 }},
		{"retry=-1", "Retry must be a positive value", nil},
		{"ttl=0", "TTL must be at least one second", nil},
		{"ttl=abc", "TTL must be at least one second", nil},
		{"ttl=60", "", func(p model.WorkerParams) bool { return p.TTL == time.Minute }},
		{"min=-1", "Min must be a positive number", nil},
		{"max=-1", "Max must be a positive number", nil},
		{"smax=-1", "Smax must be a positive number", nil},
		{"min=1", "", func(p model.WorkerParams) bool { return p.Min == 1 }},
		{"max=abc", "", func(p model.WorkerParams) bool { return p.Max == 0 }},
		{"acquire=abc", "Acquire timeout has wrong format", nil},
		{"acquire=0", "Acquire must be at least one millisecond", nil},
		{"acquire=50", "", func(p model.WorkerParams) bool { return p.Acquire == 50*time.Millisecond }},
		{"timeout=0", "Timeout must be at least one second", nil},
		{"timeout=5s", "", func(p model.WorkerParams) bool { return p.Timeout == 5*time.Second }},
		{"timeout=500ms", "", func(p model.WorkerParams) bool { return p.Timeout == 500*time.Second }},
		{"iobuffersize=100", "IOBufferSize must be >= 512 bytes, or 0 for system default.", nil},
		{"receivebuffersize=100", "ReceiveBufferSize must be >= 512 bytes, or 0 for system default.", nil},
		{"receivebuffersize=0", "", func(p model.WorkerParams) bool { return p.ReceiveBufferSize == 0 }},
		{"responsefieldsize=-1", "ResponseFieldSize must be greater than 0 bytes, or 0 for system default.", nil},
		{"keepalive=x", "KeepAlive must be On|Off", nil},
		{"keepalive=ON", "", func(p model.WorkerParams) bool { return p.KeepAlive }},
		{"disablereuse=x", "DisableReuse must be On|Off", nil},
		{"disablereuse=on", "", func(p model.WorkerParams) bool { return p.DisableReuse }},
		{"enablereuse=x", "EnableReuse must be On|Off", nil},
		{"enablereuse=off", "", func(p model.WorkerParams) bool { return p.DisableReuse }},
		{"route=" + long, "Route length must be < 64 characters", nil},
		{"route=\"ab\"", "", func(p model.WorkerParams) bool { return p.Route == `"ab"` }},
		{"redirect=" + long, "Redirect length must be < 64 characters", nil},
		{"status=Q", "Unknown status parameter option", nil},
		{"status=d", "", func(p model.WorkerParams) bool { return p.Status == model.StatusDisabled }},
		{"status=IHN", "", func(p model.WorkerParams) bool {
			return p.Status == model.StatusIgnoreErrors|model.StatusHotStandby|model.StatusDrain
		}},
		{"flushpackets=x", "flushpackets must be on|off|auto", nil},
		{"flushpackets=Auto", "", func(p model.WorkerParams) bool { return p.FlushPackets == "auto" }},
		{"flushwait=2000", "flushwait must be <= 1000, or 0 for system default of 10 millseconds.", nil},
		{"ping=abc", "Ping/Pong timeout has wrong format", nil},
		{"ping=0", "Ping/Pong timeout must be at least one millisecond", nil},
		{"ping=500ms", "", func(p model.WorkerParams) bool { return p.Ping == 500*time.Millisecond }},
		{"lbset=100", "lbset must be between 0 and 99", nil},
		{"lbset=3", "", func(p model.WorkerParams) bool { return p.LBSet == 3 }},
		{"connectiontimeout=abc", "Connectiontimeout has wrong format", nil},
		{"connectiontimeout=0", "Connectiontimeout must be at least one millisecond.", nil},
		{"connectiontimeout=180ms", "", func(p model.WorkerParams) bool { return p.ConnectionTimeout == 180*time.Millisecond }},
		{"connectiontimeout=1mi", "", func(p model.WorkerParams) bool { return p.ConnectionTimeout == time.Minute }},
		{"flusher=" + long, "flusher name length must be < 16 characters", nil},
		{"upgrade=" + long, "upgrade protocol length must be < 16 characters", nil},
		{"upgrade=WebSocket", "", func(p model.WorkerParams) bool { return len(p.Upgrade) == 1 && p.Upgrade[0] == "websocket" }},
		{"secret=" + long, "Secret length must be < 64 characters", nil},
		{"addressttl=abc", "AddressTTL must be -1 or a number of seconds not exceeding (2147483647)", nil},
		{"addressttl=99999999999", "AddressTTL must be -1 or a number of seconds not exceeding (2147483647)", nil},
		{"addressttl=-1", "", func(p model.WorkerParams) bool { return p.AddressTTL == -time.Second }},
		{"addressttl=30", "", func(p model.WorkerParams) bool { return p.AddressTTL == 30*time.Second }},
		{"hcmethod=PUT", "Unknown method", nil},
		{"hcmethod=get11", "", func(p model.WorkerParams) bool { return p.HealthCheck.Method == "GET11" }},
		{"hcmethod=CPING", "", func(p model.WorkerParams) bool { return p.HealthCheck.Method == "CPING" }},
		{"hcinterval=abc", "Unparse-able hcinterval setting", nil},
		{"hcinterval=50ms", "Interval must be a positive value greater than 100ms", nil},
		{"hcinterval=5", "", func(p model.WorkerParams) bool { return p.HealthCheck.Interval == 5*time.Second }},
		{"hcpasses=-1", "Passes must be a positive value", nil},
		{"hcfails=-1", "Fails must be a positive value", nil},
		{"hcuri=" + long, "Health check uri length must be < 64 characters", nil},
		{"hcexpr=nope", "Unknown health check condition expr: nope", nil},
		{"hcexpr=OK234", "", func(p model.WorkerParams) bool { return p.HealthCheck.Expr == "OK234" }},
		{"hctemplate=nope", "Unknown ProxyHCTemplate name: nope", nil},
		{"hctemplate=t1", "", func(p model.WorkerParams) bool {
			return p.HealthCheck.Method == "GET" && p.HealthCheck.Interval == 10*time.Second && p.HealthCheck.Template == "t1"
		}},
		{"hostname=x", "unknown Worker hcheck parameter", nil},
	}
	for _, c := range cases {
		w := newWorker("http://a")
		k, v, _ := strings.Cut(c.kv, "=")
		msg := setWorkerParam(w, k, v, hc)
		if msg != c.msg {
			t.Errorf("%s: message %q, want %q", c.kv, msg, c.msg)
			continue
		}
		if c.check != nil && !c.check(w.Params) {
			t.Errorf("%s: params %+v", c.kv, w.Params)
		}
		if msg == "" && !w.Params.Set[strings.ToLower(k)] && k != "enablereuse" {
			t.Errorf("%s: not recorded in Set", c.kv)
		}
	}
	// Without mod_proxy_hcheck the hc* keys are unknown.
	if msg := setWorkerParam(newWorker("x"), "hcmethod", "GET", &hcContext{}); msg != "unknown Worker parameter" {
		t.Errorf("hcmethod without hcheck: %q", msg)
	}
	if msg := setWorkerParam(newWorker("x"), "hcmethod", "CPING", &hcContext{loaded: true}); msg != "Health check method CPING not (yet) implemented" {
		t.Errorf("CPING without ajp: %q", msg)
	}
}

// Every balancer key of spec 3.6 (ProxyPass prefix removed).
func TestSetBalancerParam(t *testing.T) {
	all := func(string) bool { return true }
	cases := []struct {
		kv    string
		msg   string
		check func(b *model.Balancer) bool
	}{
		{"stickysession=JSESSIONID|jsessionid", "", func(b *model.Balancer) bool { return b.StickyCookie == "JSESSIONID" && b.StickyParam == "jsessionid" }},
		{"stickysession=ROUTEID", "", func(b *model.Balancer) bool { return b.StickyCookie == "ROUTEID" && b.StickyParam == "ROUTEID" }},
		{"stickysession=" + strings.Repeat("A", 90), "", func(b *model.Balancer) bool { return len(b.StickyCookie) == 63 }},
		{"stickysessionsep=ab", "stickysessionsep must be a single character or Off", nil},
		{"stickysessionsep=OFF", "", func(b *model.Balancer) bool { return b.StickySep == "" }},
		{"stickysessionsep=~", "", func(b *model.Balancer) bool { return b.StickySep == "~" }},
		{"scolonpathdelim=x", "scolonpathdelim must be On|Off", nil},
		{"nofailover=x", "failover must be On|Off", nil},
		{"nofailover=ON", "", func(b *model.Balancer) bool { return b.NoFailover }},
		{"maxattempts=-1", "maximum number of attempts must be a positive number", nil},
		{"maxattempts=3", "", func(b *model.Balancer) bool { return b.MaxAttempts == 3 }},
		{"failonstatus=abc", "failonstatus must be one or more HTTP response codes", nil},
		{"failonstatus=99", "failonstatus must be one or more HTTP response codes", nil},
		{"failonstatus=600", "failonstatus must be one or more HTTP response codes", nil},
		{"failonstatus=500,501 503", "", func(b *model.Balancer) bool { return len(b.FailOnStatus) == 3 && b.FailOnStatus[2] == 503 }},
		{"failontimeout=x", "failontimeout must be On|Off", nil},
		{"nonce=" + strings.Repeat("n", 37), "Provided nonce is too large", nil},
		{"nonce=None", "", func(b *model.Balancer) bool { return b.Nonce == "None" }},
		{"growth=0", "growth must be between 1 and 100", nil},
		{"growth=abc", "growth must be between 1 and 100", nil},
		{"growth=101", "growth must be between 1 and 100", nil},
		{"growth=10", "", func(b *model.Balancer) bool { return b.Growth == 10 }},
		{"forcerecovery=x", "forcerecovery must be On|Off", nil},
		{"forcerecovery=off", "", func(b *model.Balancer) bool { return !b.ForceRecovery }},
		{"timeout=0", "timeout must be at least one second", nil},
		{"timeout=2", "", func(b *model.Balancer) bool { return b.Timeout == 2*time.Second }},
		{"lbmethod=ByRequests", "unknown lbmethod", nil},
		{"lbmethod=bybusyness", "", func(b *model.Balancer) bool { return b.LBMethod == "bybusyness" }},
		{"route=x", "unknown Balancer parameter", nil},
	}
	for _, c := range cases {
		b := newBalancer("balancer://x", "")
		k, v, _ := strings.Cut(c.kv, "=")
		msg := setBalancerParam(b, k, v, all)
		if msg != c.msg {
			t.Errorf("%s: message %q, want %q", c.kv, msg, c.msg)
			continue
		}
		if c.check != nil && !c.check(b) {
			t.Errorf("%s: balancer %+v", c.kv, *b)
		}
	}
	// lbmethod needs its module.
	if msg := setBalancerParam(newBalancer("b", ""), "lbmethod", "heartbeat", func(m string) bool { return m != "lbmethod_heartbeat_module" }); msg != "unknown lbmethod" {
		t.Errorf("heartbeat without module: %q", msg)
	}
}

func TestUnknownKeyHint(t *testing.T) {
	h := unknownKeyHint("stickysesion", true, false)
	if !strings.Contains(h, "did you mean stickysession=?") || !strings.Contains(h, "allowed: stickysession, ") {
		t.Errorf("hint %q", h)
	}
	if h := unknownKeyHint("hostname", false, true); strings.Contains(h, "did you mean") || !strings.Contains(h, "hcmethod") {
		t.Errorf("hint %q", h)
	}
}

func TestParseStatus(t *testing.T) {
	set, clear, ok := ParseStatus("S-E")
	if !ok || set != model.StatusStopped || clear != model.StatusError {
		t.Errorf("S-E: %v %v %v", set, clear, ok)
	}
	if _, _, ok := ParseStatus("+Z"); ok {
		t.Error("+Z accepted")
	}
	st, ok := parseStatus("D-D", 0)
	if !ok || st != 0 {
		t.Errorf("D-D = %v", st)
	}
}
