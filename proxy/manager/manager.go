// Package manager is balancer-manager (mod_proxy_balancer's handler) as
// Apache 2.4 serves it (spec 5): the HTML page and its edit forms, the XML
// view, per-balancer nonces, the Referer check, and POSTed changes applied
// through package balancer's setters. The curl recipe of spec 5.7 (read
// the nonce from ?xml=1, drain, disable, re-enable) works unchanged.
package manager

import (
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/balancerd/balancerd/directives/model"
	"github.com/balancerd/balancerd/proxy/balancer"
)

// HandlerName is the SetHandler value that selects the manager.
const HandlerName = "balancer-manager"

// Manager serves balancer-manager requests. The zero value works: nonces
// come from crypto/rand, nothing is logged. It is safe for concurrent use;
// one Manager should serve the whole process so that nonces stay stable.
type Manager struct {
	// ServerVersion and ServerBuilt fill the page's first two lines
	// (Apache: "Apache/2.4.67 (Debian)" and its build date). Empty means
	// "balancerd" and "-".
	ServerVersion string
	ServerBuilt   string
	// Rand is the source of nonces (UUIDs); nil means crypto/rand.
	Rand io.Reader
	// Logf receives error-log messages (AH10187 ...); nil discards them.
	Logf func(format string, args ...any)

	mu     sync.Mutex
	nonces map[*balancer.Balancer]string
}

// View is the part of the configuration one manager request shows: the
// balancers of the virtual host that received the request.
type View struct {
	// Balancers in display (definition) order.
	Balancers []*balancer.Balancer
	// Paths maps a balancer name ("balancer://c") to the ProxyPass path
	// that first referenced it (the page's Path column).
	Paths map[string]string
	// ID is the page's bracketed shared-memory id prefix (Apache: "p" and a
	// hash of the server); empty means a hash of the first balancer names.
	ID string
	// Persist, BalancerInherit and ProxyPassInherit select the three
	// sentences under the title (BalancerPersist, BalancerInherit,
	// ProxyPassInherit).
	Persist, BalancerInherit, ProxyPassInherit bool
	// LBMethods are the lbmethods the balancer form offers (Apache: the
	// loaded lbmethod modules); nil means byrequests, bybusyness, bytraffic.
	LBMethods []string
	// HCheck shows the health-check columns, the HC-Fail flag and the
	// health-check form fields, as with mod_proxy_hcheck loaded.
	HCheck bool
	// HCExprs are the ProxyHCExpr conditions by name (listed sorted by
	// name when HCheck is set).
	HCExprs map[string]string
}

// ViewOf builds the View of a server from its model and the live
// balancers (by lowercase name).
func ViewOf(s *model.Server, live map[string]*balancer.Balancer) *View {
	v := &View{Paths: map[string]string{}, BalancerInherit: s.Proxy.BalancerInherit, ProxyPassInherit: s.Proxy.PassInherit}
	seen := map[string]bool{}
	for _, name := range s.BalancerOrder {
		if b := live[name]; b != nil && !seen[name] {
			v.Balancers = append(v.Balancers, b)
			seen[name] = true
		}
	}
	for name, b := range live {
		if !seen[name] {
			v.Balancers = append(v.Balancers, b)
			seen[name] = true
		}
	}
	for _, r := range s.ProxyPass {
		if r.Balancer != "" {
			if _, ok := v.Paths[r.Balancer]; !ok {
				v.Paths[r.Balancer] = r.Path
			}
		}
	}
	v.ID = fmt.Sprintf("p%x", oneAtATime(s.ServerName+"."+s.Source))
	v.HCExprs = s.Proxy.HCExprs
	// Health-check parameters need mod_proxy_hcheck in Apache, so a
	// configuration that uses them has it loaded.
	for _, b := range v.Balancers {
		for _, m := range b.Members() {
			if cfg := m.Config(); cfg != nil && cfg.Params.HealthCheck.Method != "" {
				v.HCheck = true
			}
		}
	}
	if len(v.HCExprs) > 0 {
		v.HCheck = true
	}
	return v
}

// oneAtATime is Jenkins' hash, mod_proxy's PROXY_HASHFUNC_DEFAULT.
func oneAtATime(s string) uint32 {
	var h uint32
	for i := 0; i < len(s); i++ {
		h += uint32(s[i])
		h += h << 10
		h ^= h >> 6
	}
	h += h << 3
	h ^= h >> 11
	h += h << 15
	return h
}

// Nonce returns the nonce of b: the configured nonce=, "" for nonce=None
// (the manager is then read-only for b, as in Apache 2.4.50+), else a
// random UUID chosen once per process.
func (m *Manager) Nonce(b *balancer.Balancer) string {
	if cfg := b.Config(); cfg != nil && cfg.Nonce != "" {
		if cfg.Nonce == "None" {
			return ""
		}
		return cfg.Nonce
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.nonces == nil {
		m.nonces = map[*balancer.Balancer]string{}
	}
	if n, ok := m.nonces[b]; ok {
		return n
	}
	var u [16]byte
	r := m.Rand
	if r == nil {
		r = rand.Reader
	}
	if _, err := io.ReadFull(r, u[:]); err != nil {
		panic("manager: cannot read random nonce: " + err.Error())
	}
	n := fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
	m.nonces[b] = n
	return n
}

func (m *Manager) logf(format string, args ...any) {
	if m.Logf != nil {
		m.Logf(format, args...)
	}
}

// serverName is ap_get_server_name with UseCanonicalName Off: the Host
// header's name without port.
func serverName(r *http.Request) string {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	return strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
}

// safeReferer is mod_proxy_balancer's safe_referer: the Referer's host
// must equal the request's server name (case-insensitive, port ignored).
func safeReferer(r *http.Request, ref string) bool {
	u, err := url.Parse(ref)
	if err != nil || u.Hostname() == "" {
		return false
	}
	return strings.EqualFold(u.Hostname(), serverName(r))
}

const allowHeader = "POST,OPTIONS,HEAD,GET,TRACE"

// ServeHTTP answers one balancer-manager request for the balancers of v.
func (m *Manager) ServeHTTP(w http.ResponseWriter, r *http.Request, v *View) {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodPost:
	case http.MethodOptions:
		w.Header().Set("Allow", allowHeader)
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusOK)
		return
	default:
		w.Header().Set("Allow", allowHeader)
		writeError(w, http.StatusMethodNotAllowed, "<p>The requested method "+htmlEscape(r.Method)+" is not allowed for this URL.</p>\n")
		return
	}

	var params map[string]string
	if r.Method == http.MethodPost {
		buf, err := io.ReadAll(io.LimitReader(r.Body, maxPostBody))
		if err != nil {
			writeError(w, http.StatusBadRequest, badRequestText)
			return
		}
		params = parseParams(string(buf), nil)
	} else {
		params = parseParams(r.URL.RawQuery, []string{"w", "b", "nonce", "xml"})
	}
	if ref := r.Header.Get("Referer"); ref == "" || !safeReferer(r, ref) {
		params = map[string]string{}
		shown := ref
		if shown == "" {
			shown = "(null)"
		}
		m.logf("AH10187: ignoring params in balancer-manager cross-site access %s: %s", shown, serverName(r))
	}

	var bsel *balancer.Balancer
	var wsel *balancer.Member
	if name, ok := params["b"]; ok {
		full := strings.ToLower("balancer://" + name)
		for _, b := range v.Balancers {
			if b.Name() == full {
				bsel = b
			}
		}
	}
	if name, ok := params["w"]; ok && bsel != nil {
		wsel = bsel.Member(name)
	}
	// Changes need the selected balancer's nonce; the other parameters
	// (xml, the edit forms) still apply without it (observed on 2.4.67:
	// ?b=NAME&xml=1 without nonce answers XML).
	ok2change := false
	if bsel != nil {
		nonce := m.Nonce(bsel)
		ok2change = nonce != "" && params["nonce"] == nonce
	}
	if bsel != nil && ok2change {
		if status := m.applyBalancer(bsel, params); status != 0 {
			writeError(w, status, badRequestText)
			return
		}
	}
	if wsel != nil && ok2change {
		applyWorker(wsel, params)
	}

	if _, xml := params["xml"]; xml {
		m.writeXML(w, v)
		return
	}
	m.writeHTML(w, r, v, bsel, wsel)
}

// applyBalancer applies the b_* parameters (spec 5.4); it returns 400 when
// adding a member fails.
func (m *Manager) applyBalancer(b *balancer.Balancer, p map[string]string) int {
	if val, ok := p["b_lbm"]; ok && len(val) < 64 && balancer.MethodSupported(val) {
		_, _ = b.SetLBMethod(val)
	}
	if val, ok := p["b_tmo"]; ok {
		if n := model.Atol(val); n >= 0 && n <= 7200 {
			_ = b.SetTimeout(time.Duration(n) * time.Second)
		}
	}
	if val, ok := p["b_max"]; ok {
		if n := model.Atol(val); n >= 0 && n <= 99 {
			_ = b.SetMaxAttempts(n)
		}
	}
	if val, ok := p["b_sforce"]; ok {
		b.SetNoFailover(model.Atol(val) != 0)
	}
	if val, ok := p["b_ss"]; ok && val != "" {
		_ = b.SetStickySession(val)
	}
	if p["b_wyes"] == "1" {
		if url, ok := p["b_nwrkr"]; ok {
			if _, err := b.AddMember(url); err != nil {
				m.logf("AH01194: %v", err)
				return http.StatusBadRequest
			}
		}
	}
	return 0
}

// workerFlags are the w_status_X parameters in the order Apache applies them.
var workerFlags = []struct {
	key  string
	flag model.Status
}{
	{"w_status_I", model.StatusIgnoreErrors},
	{"w_status_N", model.StatusDrain},
	{"w_status_D", model.StatusDisabled},
	{"w_status_H", model.StatusHotStandby},
	{"w_status_R", model.StatusHotSpare},
	{"w_status_S", model.StatusStopped},
	{"w_status_C", model.StatusHCFailed},
}

// applyWorker applies the w_* parameters (balancer_process_balancer_worker).
func applyWorker(w *balancer.Member, p map[string]string) {
	if val, ok := p["w_lf"]; ok {
		if lf := int(atof(val) * 100.0); lf >= 100 && lf <= 10000 {
			_ = w.SetLoadFactor(lf)
		}
	}
	if val, ok := p["w_wr"]; ok {
		w.SetRoute(val)
	}
	if val, ok := p["w_rr"]; ok {
		w.SetRedirect(val)
	}
	for _, f := range workerFlags {
		if val, ok := p[f.key]; ok {
			_ = w.SetFlag(f.flag, model.Atol(val) != 0)
		}
	}
	if val, ok := p["w_ls"]; ok {
		if n := model.Atol(val); n >= 0 && n <= 99 {
			_ = w.SetLBSet(n)
		}
	}
}
