package balancer

import (
	"fmt"
	"sync/atomic"
	"time"

	"github.com/balancerd/balancerd/directives/model"
)

// Member is the runtime of one balancer member. Its identity is the
// normalised worker name; it survives reloads that keep that name.
type Member struct {
	b    *Balancer
	name string
	cfg  atomic.Pointer[model.Worker]

	// Guarded by b.mu.
	dynamic   bool // added at runtime (AddMember)
	status    model.Status
	lbfactor  int
	lbset     int
	route     string
	redirect  string
	lbstatus  int
	errorTime time.Time // zero = never in error / reset by a successful connect
	retries   int
	// errorState is set (under b.mu) whenever errorTime or retries become
	// non-zero, so that ConnectOK, called for every request, takes the
	// balancer lock only when there is something to reset.
	errorState atomic.Bool
	hcPass     int
	hcFail     int

	busy        atomic.Int64
	elected     atomic.Int64
	transferred atomic.Int64 // bytes sent to the backend
	read        atomic.Int64 // bytes received from the backend
}

// notUsable is Apache's PROXY_WORKER_NOT_USABLE_BITMAP.
const notUsable = model.StatusShutdown | model.StatusDisabled | model.StatusStopped |
	model.StatusError | model.StatusHCFailed

func usable(s model.Status) bool { return s&notUsable == 0 && s&model.StatusInit != 0 }

func lbfactorOf(w *model.Worker) int {
	if w.Params.LoadFactor <= 0 {
		return 100
	}
	return w.Params.LoadFactor
}

func newMember(b *Balancer, w *model.Worker) *Member {
	m := &Member{b: b, name: w.Name}
	m.cfg.Store(w)
	m.status = w.Params.Status | model.StatusInit
	m.lbfactor = lbfactorOf(w)
	m.lbset = w.Params.LBSet
	m.route = w.Params.Route
	m.redirect = w.Params.Redirect
	return m
}

// applyConfig installs a reloaded configuration (b.mu held): each value
// whose configuration changed takes the new configured value; status flags
// are merged bit by bit the same way.
func (m *Member) applyConfig(w *model.Worker) {
	old := m.cfg.Swap(w)
	if old == nil {
		old = &model.Worker{}
	}
	changed := old.Params.Status ^ w.Params.Status
	m.status = (m.status &^ changed) | (w.Params.Status & changed) | model.StatusInit
	if lbfactorOf(old) != lbfactorOf(w) {
		m.lbfactor = lbfactorOf(w)
	}
	if old.Params.LBSet != w.Params.LBSet {
		m.lbset = w.Params.LBSet
	}
	if old.Params.Route != w.Params.Route {
		m.route = w.Params.Route
	}
	if old.Params.Redirect != w.Params.Redirect {
		m.redirect = w.Params.Redirect
	}
}

// Name returns the normalised worker name (BALANCER_WORKER_NAME).
func (m *Member) Name() string { return m.name }

// Config returns the member's worker configuration (URL parts, connection
// parameters). It changes on reload; read it once per request.
func (m *Member) Config() *model.Worker { return m.cfg.Load() }

// Balancer returns the balancer the member belongs to.
func (m *Member) Balancer() *Balancer { return m.b }

// MemberState is a consistent snapshot of a member's runtime state: what
// balancer-manager shows.
type MemberState struct {
	Name     string
	Status   model.Status
	LBFactor int // loadfactor × 100
	LBSet    int
	Route    string
	Redirect string
	LBStatus int // the manager's "Load"
	// ErrorTime is when the member last entered error state; zero if it
	// never did or connected successfully since.
	ErrorTime   time.Time
	Retries     int
	Elected     int64
	Busy        int64
	Transferred int64 // bytes sent to the backend ("To")
	Read        int64 // bytes read from the backend ("From")
	// HCPasses and HCFails are the health-check streak counters (pcount, fcount).
	HCPasses, HCFails int
	// Dynamic is true for members added at runtime through the manager.
	Dynamic bool
}

// Usable reports whether the state allows traffic (Init set; none of
// D, S, E, C, U).
func (s MemberState) Usable() bool { return usable(s.Status) }

// StatusText is the manager's status string ("Init Ok ", "Init Dis ").
func (s MemberState) StatusText() string { return StatusText(s.Status) }

// State returns a snapshot of the member's state.
func (m *Member) State() MemberState {
	m.b.mu.Lock()
	defer m.b.mu.Unlock()
	return MemberState{
		Name: m.name, Status: m.status, LBFactor: m.lbfactor, LBSet: m.lbset,
		Route: m.route, Redirect: m.redirect, LBStatus: m.lbstatus,
		ErrorTime: m.errorTime, Retries: m.retries,
		Elected: m.elected.Load(), Busy: m.busy.Load(),
		Transferred: m.transferred.Load(), Read: m.read.Load(),
		HCPasses: m.hcPass, HCFails: m.hcFail, Dynamic: m.dynamic,
	}
}

// Status returns the member's status flags (Init always set).
func (m *Member) Status() model.Status {
	m.b.mu.Lock()
	defer m.b.mu.Unlock()
	return m.status
}

// Usable reports whether the member can take traffic now (without
// applying the retry timer).
func (m *Member) Usable() bool { return usable(m.Status()) }

// StatusText returns the manager's status string, e.g. "Init Ok ".
func (m *Member) StatusText() string { return StatusText(m.Status()) }

// Route returns the member's route.
func (m *Member) Route() string {
	m.b.mu.Lock()
	defer m.b.mu.Unlock()
	return m.route
}

// Redirect returns the member's redirect route.
func (m *Member) Redirect() string {
	m.b.mu.Lock()
	defer m.b.mu.Unlock()
	return m.redirect
}

// LoadFactor returns lbfactor (loadfactor × 100).
func (m *Member) LoadFactor() int {
	m.b.mu.Lock()
	defer m.b.mu.Unlock()
	return m.lbfactor
}

// LBSet returns the member's lbset.
func (m *Member) LBSet() int {
	m.b.mu.Lock()
	defer m.b.mu.Unlock()
	return m.lbset
}

// LBStatus returns the lbmethod's counter (the manager's "Load").
func (m *Member) LBStatus() int {
	m.b.mu.Lock()
	defer m.b.mu.Unlock()
	return m.lbstatus
}

// Elected returns how many times the member was chosen.
func (m *Member) Elected() int64 { return m.elected.Load() }

// Busy returns the number of requests in flight on the member.
func (m *Member) Busy() int64 { return m.busy.Load() }

// Transferred returns the bytes sent to the backend.
func (m *Member) Transferred() int64 { return m.transferred.Load() }

// Read returns the bytes received from the backend.
func (m *Member) Read() int64 { return m.read.Load() }

// Release ends a request that Pick assigned to m: busy is decremented
// (never below 0, as Apache) and the bytes sent to / read from the backend
// are added to its traffic counters (bytraffic, manager "To"/"From").
//
// Apache's accounting, observed on 2.4.67: sent is every byte written to
// the backend connection (request line, headers and body as sent);
// read is the length of the response status line without its CRLF plus
// the response body after de-chunking — response headers are not
// counted. E.g. "GET /x" with 198 header bytes answered by
// "HTTP/1.1 200 OK" + headers + 1000 body bytes: sent 198, read 1015.
func (m *Member) Release(sent, read int64) {
	for {
		n := m.busy.Load()
		if n <= 0 || m.busy.CompareAndSwap(n, n-1) {
			break
		}
	}
	if sent > 0 {
		m.transferred.Add(sent)
	}
	if read > 0 {
		m.read.Add(read)
	}
}

// MarkError puts the member into error state (E, error time = now) after a
// failed connect, a 500/503 from the scheme handler, failonstatus or
// failontimeout — unless it has the I (ignore errors) flag. It reports
// whether the member was marked.
func (m *Member) MarkError() bool {
	now := m.b.clock.Now()
	m.b.mu.Lock()
	defer m.b.mu.Unlock()
	if m.status&model.StatusIgnoreErrors != 0 {
		return false
	}
	m.status |= model.StatusError
	m.errorTime = now
	m.errorState.Store(true)
	return true
}

// ConnectOK records a successful connect to the backend: the error time
// and retry count are reset (Apache's ap_proxy_connect_backend).
func (m *Member) ConnectOK() {
	if !m.errorState.Load() {
		return
	}
	m.b.mu.Lock()
	m.errorTime, m.retries = time.Time{}, 0
	m.errorState.Store(false)
	m.b.mu.Unlock()
}

// retryLocked is ap_proxy_retry_worker (b.mu held): a member in error
// leaves it when it has the I flag or its retry interval has elapsed
// (strictly), unless it is stopped. It reports whether E is now clear.
func (m *Member) retryLocked(now *lazyTime) bool {
	if m.status&model.StatusError == 0 {
		return true
	}
	if m.status&model.StatusStopped != 0 {
		return false
	}
	if m.status&model.StatusIgnoreErrors != 0 || now.get().After(m.errorTime.Add(m.Config().Params.Retry)) {
		m.retries++
		m.errorState.Store(true)
		m.status &^= model.StatusError
		return true
	}
	return false
}

// managerFlags are the flags balancer-manager may set or clear (w_status_X).
const managerFlags = model.StatusIgnoreErrors | model.StatusDrain | model.StatusDisabled |
	model.StatusHotStandby | model.StatusHotSpare | model.StatusStopped | model.StatusHCFailed

// SetFlag sets or clears one status flag as balancer-manager's
// w_status_X does; only I, N, D, H, R, S and C may be changed.
//
// Spec 5.4 says a member going from unusable to usable resets the
// lbmethod's counters; Apache 2.4.67 does not (observed: after
// w_status_D=1 then w_status_D=0, and likewise for S, lbstatus kept its
// value), so neither does this.
func (m *Member) SetFlag(flag model.Status, on bool) error {
	if flag == 0 || flag&^managerFlags != 0 || flag&(flag-1) != 0 {
		return fmt.Errorf("status flag %q cannot be changed at runtime (allowed: I, N, D, H, R, S, C)", StatusLetters(flag))
	}
	m.b.mu.Lock()
	defer m.b.mu.Unlock()
	if on {
		m.status |= flag
	} else {
		m.status &^= flag
	}
	return nil
}

// SetLoadFactor sets lbfactor (loadfactor × 100, w_lf): applied only in
// 100..10000; then every member's lbstatus is reset to its lbfactor
// (Apache's recalc_factors; a single member is forced to 100).
func (m *Member) SetLoadFactor(lbfactor int) error {
	if lbfactor < 100 || lbfactor > 10000 {
		return fmt.Errorf("loadfactor %d.%02d out of range: must be 1 to 100", lbfactor/100, lbfactor%100)
	}
	m.b.mu.Lock()
	defer m.b.mu.Unlock()
	m.lbfactor = lbfactor
	m.b.recalcFactorsLocked()
	return nil
}

// SetLBSet sets the lbset (w_ls); applied only in 0..99.
func (m *Member) SetLBSet(n int) error {
	if n < 0 || n > 99 {
		return fmt.Errorf("lbset %d out of range: must be 0 to 99", n)
	}
	m.b.mu.Lock()
	m.lbset = n
	m.b.mu.Unlock()
	return nil
}

// SetRoute sets the route (w_wr). As in Apache, an empty value or one of
// 64 characters or more clears it.
func (m *Member) SetRoute(r string) {
	if len(r) >= 64 {
		r = ""
	}
	m.b.mu.Lock()
	m.route = r
	m.b.mu.Unlock()
}

// SetRedirect sets the redirect route (w_rr); empty or ≥ 64 characters
// clears it.
func (m *Member) SetRedirect(r string) {
	if len(r) >= 64 {
		r = ""
	}
	m.b.mu.Lock()
	m.redirect = r
	m.b.mu.Unlock()
}

// HealthResult feeds one health-check result into mod_proxy_hcheck's state
// machine (spec 8): a healthy member (neither C nor E) gets C after hcfails
// failures (not necessarily consecutive); an unhealthy one has C and E
// cleared after hcpasses successes. It reports whether the status changed.
func (m *Member) HealthResult(pass bool) bool {
	hc := m.Config().Params.HealthCheck
	passes, fails := hc.Passes, hc.Fails
	if passes <= 0 {
		passes = 1
	}
	if fails <= 0 {
		fails = 1
	}
	m.b.mu.Lock()
	defer m.b.mu.Unlock()
	if m.status&(model.StatusHCFailed|model.StatusError) == 0 {
		if pass {
			return false
		}
		m.hcFail++
		if m.hcFail >= fails {
			m.status |= model.StatusHCFailed
			m.hcFail = 0
			return true
		}
		return false
	}
	if !pass {
		return false
	}
	m.hcPass++
	if m.hcPass >= passes {
		m.status &^= model.StatusHCFailed | model.StatusError
		m.hcPass = 0
		return true
	}
	return false
}
