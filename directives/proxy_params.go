package directives

// Worker (spec 3.5), balancer (spec 3.6) and health-check (spec 8)
// key=value parameters, validated with Apache's messages (without the
// directive prefix, which the caller adds).

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/balancerd/balancerd/directives/model"
)

// workerKeys and balancerKeys list the known parameter names, for
// did-you-mean suggestions and the list of allowed keys.
var (
	workerKeys = []string{"loadfactor", "retry", "ttl", "min", "max", "smax", "acquire", "timeout",
		"iobuffersize", "receivebuffersize", "keepalive", "disablereuse", "enablereuse", "route",
		"redirect", "status", "flushpackets", "flushwait", "ping", "lbset", "connectiontimeout",
		"flusher", "upgrade", "responsefieldsize", "secret", "addressttl"}
	hcheckKeys   = []string{"hcmethod", "hcinterval", "hcpasses", "hcfails", "hcuri", "hcexpr", "hctemplate"}
	balancerKeys = []string{"stickysession", "stickysessionsep", "nofailover", "timeout", "maxattempts",
		"lbmethod", "scolonpathdelim", "failonstatus", "failontimeout", "nonce", "growth", "forcerecovery"}
)

// newWorker returns a worker with Apache's default parameters.
func newWorker(name string) *model.Worker {
	w := &model.Worker{Name: name}
	w.Params = model.WorkerParams{
		LoadFactor:        100,
		Retry:             60 * time.Second,
		FlushWait:         10 * time.Millisecond,
		IOBufferSize:      8192,
		ResponseFieldSize: 8192,
		AddressTTL:        -1 * time.Second,
		FlushPackets:      "off",
		Set:               map[string]bool{},
		HealthCheck: model.HealthCheck{
			Interval: 30 * time.Second,
			Passes:   1,
			Fails:    1,
		},
	}
	return w
}

// newBalancer returns a balancer with Apache's defaults.
func newBalancer(name, src string) *model.Balancer {
	return &model.Balancer{
		Source:        src,
		Name:          name,
		LBMethod:      "byrequests",
		StickySep:     ".",
		MaxAttempts:   -1,
		ForceRecovery: true,
		Set:           map[string]bool{},
	}
}

func onOff(val string) (bool, bool) {
	switch {
	case strings.EqualFold(val, "on"):
		return true, true
	case strings.EqualFold(val, "off"):
		return false, true
	}
	return false, false
}

// parseStatus applies a status= value (spec 4.5) to st.
func parseStatus(val string, st model.Status) (model.Status, bool) {
	set := true
	for i := 0; i < len(val); i++ {
		c := val[i]
		switch c {
		case '+':
			set = true
			continue
		case '-':
			set = false
			continue
		}
		f, ok := model.StatusFromLetter(c)
		if !ok {
			return st, false
		}
		if set {
			st |= f
		} else {
			st &^= f
		}
	}
	return st, true
}

// ParseStatus parses a status= value (e.g. "+H", "S-E") into flags set
// and cleared, for the balancer-manager and tests.
func ParseStatus(val string) (set, clear model.Status, ok bool) {
	mode := true
	for i := 0; i < len(val); i++ {
		switch val[i] {
		case '+':
			mode = true
			continue
		case '-':
			mode = false
			continue
		}
		f, found := model.StatusFromLetter(val[i])
		if !found {
			return 0, 0, false
		}
		if mode {
			set |= f
			clear &^= f
		} else {
			clear |= f
			set &^= f
		}
	}
	return set, clear, true
}

// hcContext carries what health-check parameters need to know.
type hcContext struct {
	loaded    bool            // proxy_hcheck_module loaded
	ajp       bool            // proxy_ajp_module loaded (CPING)
	exprs     map[string]bool // ProxyHCExpr names
	templates map[string]map[string]string
}

// setWorkerParam is mod_proxy's set_worker_param (plus mod_proxy_hcheck's
// hook): it applies key=val to w or returns Apache's message.
func setWorkerParam(w *model.Worker, key, val string, hc *hcContext) string {
	p := &w.Params
	k := strings.ToLower(key)
	switch k {
	case "loadfactor":
		f, _ := strconv.ParseFloat(leadingFloat(val), 64)
		iv := int(f * 100.0)
		if iv < 100 || iv > 10000 {
			return "LoadFactor must be a number between 1..100"
		}
		p.LoadFactor = iv
	case "retry":
		iv := atoi(val)
		if iv < 0 {
			return "Retry must be a positive value"
		}
		p.Retry = time.Duration(iv) * time.Second
	case "ttl":
		iv := atoi(val)
		if iv < 1 {
			return "TTL must be at least one second"
		}
		p.TTL = time.Duration(iv) * time.Second
	case "min":
		iv := atoi(val)
		if iv < 0 {
			return "Min must be a positive number"
		}
		p.Min = iv
	case "max":
		iv := atoi(val)
		if iv < 0 {
			return "Max must be a positive number"
		}
		p.Max = iv
	case "smax":
		iv := atoi(val)
		if iv < 0 {
			return "Smax must be a positive number"
		}
		p.SMax = iv
	case "acquire":
		t, ok := parseTimeParam(val, "ms")
		if !ok {
			return "Acquire timeout has wrong format"
		}
		if t < time.Millisecond {
			return "Acquire must be at least one millisecond"
		}
		p.Acquire = t
	case "timeout":
		iv := atoi(val)
		if iv < 1 {
			return "Timeout must be at least one second"
		}
		p.Timeout = time.Duration(iv) * time.Second
	case "iobuffersize":
		iv := atoi(val)
		if iv != 0 && iv < 512 {
			return "IOBufferSize must be >= 512 bytes, or 0 for system default."
		}
		if iv == 0 {
			iv = 8192
		}
		p.IOBufferSize = iv
	case "receivebuffersize":
		iv := atoi(val)
		if iv != 0 && iv < 512 {
			return "ReceiveBufferSize must be >= 512 bytes, or 0 for system default."
		}
		p.ReceiveBufferSize = iv
	case "keepalive":
		v, ok := onOff(val)
		if !ok {
			return "KeepAlive must be On|Off"
		}
		p.KeepAlive = v
	case "disablereuse":
		v, ok := onOff(val)
		if !ok {
			return "DisableReuse must be On|Off"
		}
		p.DisableReuse = v
	case "enablereuse":
		v, ok := onOff(val)
		if !ok {
			return "EnableReuse must be On|Off"
		}
		p.DisableReuse = !v
		k = "disablereuse"
	case "route":
		if len(val) >= 64 {
			return "Route length must be < 64 characters"
		}
		p.Route = val
	case "redirect":
		if len(val) >= 64 {
			return "Redirect length must be < 64 characters"
		}
		p.Redirect = val
	case "status":
		st, ok := parseStatus(val, p.Status)
		if !ok {
			return "Unknown status parameter option"
		}
		p.Status = st
	case "flushpackets":
		switch strings.ToLower(val) {
		case "on", "off", "auto":
			p.FlushPackets = strings.ToLower(val)
		default:
			return "flushpackets must be on|off|auto"
		}
	case "flushwait":
		iv := atoi(val)
		if iv > 1000 || iv < 0 {
			return "flushwait must be <= 1000, or 0 for system default of 10 millseconds."
		}
		if iv == 0 {
			iv = 10
		}
		p.FlushWait = time.Duration(iv) * time.Millisecond
	case "ping":
		t, ok := parseTimeParam(val, "s")
		if !ok {
			return "Ping/Pong timeout has wrong format"
		}
		if t < time.Millisecond {
			return "Ping/Pong timeout must be at least one millisecond"
		}
		p.Ping = t
	case "lbset":
		iv := atoi(val)
		if iv < 0 || iv > 99 {
			return "lbset must be between 0 and 99"
		}
		p.LBSet = iv
	case "connectiontimeout":
		t, ok := parseTimeParam(val, "s")
		if !ok {
			return "Connectiontimeout has wrong format"
		}
		if t < time.Millisecond {
			return "Connectiontimeout must be at least one millisecond."
		}
		p.ConnectionTimeout = t
	case "flusher":
		if len(val) >= 16 {
			return "flusher name length must be < 16 characters"
		}
	case "upgrade":
		if len(val) >= 16 {
			return "upgrade protocol length must be < 16 characters"
		}
		if strings.EqualFold(val, "ANY") {
			p.Upgrade = []string{"*"}
		} else {
			p.Upgrade = nil
			for _, u := range strings.FieldsFunc(val, func(r rune) bool { return r == ',' || r == ' ' }) {
				p.Upgrade = append(p.Upgrade, strings.ToLower(u))
			}
		}
	case "responsefieldsize":
		iv := atoi(val)
		if iv < 0 {
			return "ResponseFieldSize must be greater than 0 bytes, or 0 for system default."
		}
		if iv == 0 {
			iv = 8192
		}
		p.ResponseFieldSize = iv
	case "secret":
		if len(val) >= 64 {
			return "Secret length must be < 64 characters"
		}
		p.Secret = val
	case "addressttl":
		const msg = "AddressTTL must be -1 or a number of seconds not exceeding (2147483647)"
		if val == "-1" {
			p.AddressTTL = -time.Second
			break
		}
		t, ok := parseTimeParam(val, "s")
		if !ok || t < 0 || t > 2147483647*time.Second {
			return msg
		}
		p.AddressTTL = t.Truncate(time.Second)
	default:
		if hc == nil || !hc.loaded {
			return "unknown Worker parameter"
		}
		if msg := setHCParam(w, k, val, hc); msg != "" {
			return msg
		}
	}
	p.Set[k] = true
	return ""
}

// leadingFloat returns the prefix of s that atof would read.
func leadingFloat(s string) string {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
		i++
	}
	if i == 0 || (i == 1 && (s[0] == '+' || s[0] == '-' || s[0] == '.')) {
		return "0"
	}
	return strings.TrimRight(s[:i], ".")
}

var hcMethods = []string{"NONE", "TCP", "OPTIONS", "HEAD", "GET", "OPTIONS11", "HEAD11", "GET11", "CPING"}

// setHCParam is mod_proxy_hcheck's set_worker_hc_param.
func setHCParam(w *model.Worker, k, val string, hc *hcContext) string {
	h := &w.Params.HealthCheck
	switch k {
	case "hctemplate":
		t, ok := hc.templates[strings.ToLower(val)]
		if !ok {
			return "Unknown ProxyHCTemplate name: " + val
		}
		keys := make([]string, 0, len(t))
		for tk := range t {
			keys = append(keys, tk)
		}
		sort.Strings(keys)
		for _, tk := range keys {
			if msg := setHCParam(w, tk, t[tk], hc); msg != "" {
				return msg
			}
		}
		h.Template = val
	case "hcmethod":
		m := strings.ToUpper(val)
		found := false
		for _, x := range hcMethods {
			if x == m {
				found = true
			}
		}
		if !found {
			return "Unknown method"
		}
		if m == "CPING" && !hc.ajp {
			return "Health check method CPING not (yet) implemented"
		}
		if m == "NONE" {
			m = ""
		}
		h.Method = m
	case "hcinterval":
		t, ok := parseTimeParam(val, "s")
		if !ok {
			return "Unparse-able hcinterval setting"
		}
		if t < 100*time.Millisecond {
			return "Interval must be a positive value greater than 100ms"
		}
		h.Interval = t
	case "hcpasses":
		iv := atoi(val)
		if iv < 0 {
			return "Passes must be a positive value"
		}
		h.Passes = iv
	case "hcfails":
		iv := atoi(val)
		if iv < 0 {
			return "Fails must be a positive value"
		}
		h.Fails = iv
	case "hcuri":
		if len(val) >= 64 {
			return "Health check uri length must be < 64 characters"
		}
		h.URI = val
	case "hcexpr":
		if !hc.exprs[strings.ToLower(val)] {
			return "Unknown health check condition expr: " + val
		}
		h.Expr = val
	default:
		return "unknown Worker hcheck parameter"
	}
	w.Params.Set[k] = true
	return ""
}

// lbmethodModules maps lbmethod names to their provider modules.
var lbmethodModules = map[string]string{
	"byrequests": "lbmethod_byrequests_module",
	"bytraffic":  "lbmethod_bytraffic_module",
	"bybusyness": "lbmethod_bybusyness_module",
	"heartbeat":  "lbmethod_heartbeat_module",
}

// setBalancerParam is mod_proxy's set_balancer_param.
func setBalancerParam(bal *model.Balancer, key, val string, lbLoaded func(string) bool) string {
	k := strings.ToLower(key)
	switch k {
	case "stickysession":
		v := val
		if len(v) > 63 {
			v = v[:63]
		}
		cookie, param := v, v
		if i := strings.IndexByte(v, '|'); i >= 0 {
			cookie, param = v[:i], v[i+1:]
		}
		bal.StickyCookie, bal.StickyParam = cookie, param
	case "stickysessionsep":
		if len(val) != 1 {
			if !strings.EqualFold(val, "off") {
				return "stickysessionsep must be a single character or Off"
			}
			bal.StickySep = ""
		} else {
			bal.StickySep = val
		}
	case "nofailover":
		v, ok := onOff(val)
		if !ok {
			return "failover must be On|Off"
		}
		bal.NoFailover = v
	case "timeout":
		iv := atoi(val)
		if iv < 1 {
			return "timeout must be at least one second"
		}
		bal.Timeout = time.Duration(iv) * time.Second
	case "maxattempts":
		iv := atoi(val)
		if iv < 0 {
			return "maximum number of attempts must be a positive number"
		}
		bal.MaxAttempts = iv
	case "lbmethod":
		mod, ok := lbmethodModules[val]
		if !ok || len(val) >= 16 || !lbLoaded(mod) {
			return "unknown lbmethod"
		}
		bal.LBMethod = val
	case "scolonpathdelim":
		v, ok := onOff(val)
		if !ok {
			return "scolonpathdelim must be On|Off"
		}
		bal.ScolonPathDelim = v
	case "failonstatus":
		var codes []int
		for _, f := range strings.FieldsFunc(val, func(r rune) bool { return r == ',' || r == ' ' }) {
			c := atoi(f)
			if c < 100 || c > 599 {
				return "failonstatus must be one or more HTTP response codes"
			}
			codes = append(codes, c)
		}
		bal.FailOnStatus = codes
	case "failontimeout":
		v, ok := onOff(val)
		if !ok {
			return "failontimeout must be On|Off"
		}
		bal.FailOnTimeout = v
	case "nonce":
		if len(val) > 36 {
			return "Provided nonce is too large"
		}
		bal.Nonce = val
	case "growth":
		iv := atoi(val)
		if iv < 1 || iv > 100 {
			return "growth must be between 1 and 100"
		}
		bal.Growth = iv
	case "forcerecovery":
		v, ok := onOff(val)
		if !ok {
			return "forcerecovery must be On|Off"
		}
		bal.ForceRecovery = v
	default:
		return "unknown Balancer parameter"
	}
	bal.Set[k] = true
	return ""
}

// unknownKeyHint explains an unknown parameter key: the allowed keys and,
// when one is close, a did-you-mean.
func unknownKeyHint(key string, balancer, hcheck bool) string {
	keys := workerKeys
	kind := "worker"
	if balancer {
		keys, kind = balancerKeys, "balancer"
	} else if hcheck {
		keys = append(append([]string(nil), workerKeys...), hcheckKeys...)
	}
	s := ""
	if m := suggestFrom(key, keys); m != "" {
		s = fmt.Sprintf("did you mean %s=? ", m)
	}
	return fmt.Sprintf(" (%s'%s' is not a %s parameter; allowed: %s)", s, key, kind, strings.Join(keys, ", "))
}
