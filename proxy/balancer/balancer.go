package balancer

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/balancerd/balancerd/directives/model"
)

// LB method names (lbmethod=).
const (
	ByRequests = "byrequests"
	ByTraffic  = "bytraffic"
	ByBusyness = "bybusyness"
	Heartbeat  = "heartbeat"
)

// Methods lists the lbmethod names Apache knows, in the order
// balancer-manager offers them.
var Methods = []string{ByBusyness, ByRequests, ByTraffic, Heartbeat}

// MethodSupported reports whether name is an lbmethod balancerd implements.
// heartbeat is accepted by configuration but needs mod_heartmonitor data
// that balancerd does not collect; a balancer configured with it selects
// members byrequests (the directives layer warns about it).
func MethodSupported(name string) bool {
	return name == ByRequests || name == ByTraffic || name == ByBusyness
}

type method uint8

const (
	methodByRequests method = iota
	methodByTraffic
	methodByBusyness
)

func methodOf(name string) method {
	switch name {
	case ByTraffic:
		return methodByTraffic
	case ByBusyness:
		return methodByBusyness
	}
	return methodByRequests // byrequests, heartbeat (unsupported), ""
}

// Balancer is the runtime of one balancer://name: its members in
// configuration order (then members added at runtime) and its settings,
// initialised from the configuration and changeable through the setters
// (balancer-manager).
type Balancer struct {
	clock Clock
	name  string

	mu      sync.Mutex // the balancer lock; guards everything below and members' locked fields
	cfg     *model.Balancer
	members []*Member
	byName  map[string]*Member
	// configured is the number of members from the configuration; slots
	// for runtime additions are growth.
	configured int

	methodName     string
	method         method
	stickyCookie   string
	stickyParam    string
	stickySep      byte // 0 = Off
	scolon         bool
	noFailover     bool
	maxAttempts    int
	maxAttemptsSet bool
	timeout        time.Duration
	failOnStatus   []int
	failOnTimeout  bool
	forceRecovery  bool
	growth         int

	// Scratch lists reused by findBestLocked (no allocation per pick).
	spares, standbys []*Member
}

func newBalancer(clock Clock, name string) *Balancer {
	return &Balancer{clock: clock, name: name, byName: map[string]*Member{}}
}

// Name returns the balancer name ("balancer://c", lowercase).
func (b *Balancer) Name() string { return b.name }

// Config returns the configuration last applied.
func (b *Balancer) Config() *model.Balancer {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.cfg
}

// apply installs cfg (first use or reload). A setting takes the configured
// value when it is applied the first time or when its configured value
// differs from the previously applied configuration; otherwise the runtime
// value (possibly changed through balancer-manager) is kept.
func (b *Balancer) apply(cfg *model.Balancer) {
	b.mu.Lock()
	defer b.mu.Unlock()
	old := b.cfg
	first := old == nil
	if first {
		old = &model.Balancer{}
	}
	if first || old.LBMethod != cfg.LBMethod {
		name := cfg.LBMethod
		if name == "" {
			name = ByRequests
		}
		b.methodName, b.method = name, methodOf(name)
	}
	if first || old.StickyCookie != cfg.StickyCookie || old.StickyParam != cfg.StickyParam {
		b.stickyCookie, b.stickyParam = cfg.StickyCookie, cfg.StickyParam
	}
	if first || old.StickySep != cfg.StickySep {
		b.stickySep = 0
		if cfg.StickySep != "" {
			b.stickySep = cfg.StickySep[0]
		}
	}
	if first || old.ScolonPathDelim != cfg.ScolonPathDelim {
		b.scolon = cfg.ScolonPathDelim
	}
	if first || old.NoFailover != cfg.NoFailover {
		b.noFailover = cfg.NoFailover
	}
	if first || old.Timeout != cfg.Timeout {
		b.timeout = cfg.Timeout
	}
	if first || old.ForceRecovery != cfg.ForceRecovery {
		b.forceRecovery = cfg.ForceRecovery
	}
	b.failOnStatus = cfg.FailOnStatus
	b.failOnTimeout = cfg.FailOnTimeout
	b.growth = cfg.Growth

	// Members: configuration order, then runtime-added ones still alive.
	next := make([]*Member, 0, len(cfg.Members)+len(b.members))
	byName := make(map[string]*Member, len(cfg.Members)+len(b.members))
	for _, w := range cfg.Members {
		if byName[w.Name] != nil {
			continue // duplicate BalancerMember: Apache reuses the first
		}
		m := b.byName[w.Name]
		if m == nil {
			m = newMember(b, w)
		} else {
			m.applyConfig(w)
		}
		m.dynamic = false
		next = append(next, m)
		byName[w.Name] = m
	}
	b.configured = len(next)
	for _, m := range b.members {
		if m.dynamic && byName[m.name] == nil {
			next = append(next, m)
			byName[m.name] = m
		}
	}
	b.members, b.byName = next, byName

	// maxattempts: explicit, else members-1 when more than one member
	// (computed at child start in Apache).
	if cfg.MaxAttempts >= 0 {
		if first || old.MaxAttempts != cfg.MaxAttempts {
			b.maxAttempts, b.maxAttemptsSet = cfg.MaxAttempts, true
		}
	} else {
		b.maxAttempts, b.maxAttemptsSet = 0, false
		if b.configured > 1 {
			b.maxAttempts, b.maxAttemptsSet = b.configured-1, true
		}
	}
	b.cfg = cfg
}

// Members returns the members in selection order (configuration order,
// then members added at runtime). The slice is a copy.
func (b *Balancer) Members() []*Member {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]*Member(nil), b.members...)
}

// Member returns the member with that (normalised) worker name, or nil.
func (b *Balancer) Member(name string) *Member {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.byName[name]
}

// Settings is a snapshot of a balancer's runtime settings, what
// balancer-manager displays.
type Settings struct {
	LBMethod     string
	StickyCookie string // "" = no stickysession
	StickyParam  string
	// StickySep is the separator character, 0 for stickysessionsep=Off.
	StickySep       byte
	ScolonPathDelim bool
	NoFailover      bool
	// MaxAttempts is meaningful when MaxAttemptsSet (explicit, or the
	// members-1 default of a balancer with more than one member).
	MaxAttempts    int
	MaxAttemptsSet bool
	Timeout        time.Duration
	FailOnStatus   []int
	FailOnTimeout  bool
	ForceRecovery  bool
	Growth         int
	// Slots is the number of member slots (configured members + growth);
	// Used the number of members.
	Slots, Used int
}

// StickySession returns the stickysession value as balancer-manager shows
// it: "NAME", or "COOKIE|PATH" when the names differ; "" when unset.
func (s Settings) StickySession() string {
	if s.StickyCookie == "" {
		return ""
	}
	if s.StickyParam == s.StickyCookie {
		return s.StickyCookie
	}
	return s.StickyCookie + "|" + s.StickyParam
}

// Settings returns a snapshot of the balancer's current settings.
func (b *Balancer) Settings() Settings {
	b.mu.Lock()
	defer b.mu.Unlock()
	return Settings{
		LBMethod: b.methodName, StickyCookie: b.stickyCookie, StickyParam: b.stickyParam,
		StickySep: b.stickySep, ScolonPathDelim: b.scolon, NoFailover: b.noFailover,
		MaxAttempts: b.maxAttempts, MaxAttemptsSet: b.maxAttemptsSet, Timeout: b.timeout,
		FailOnStatus: b.failOnStatus, FailOnTimeout: b.failOnTimeout,
		ForceRecovery: b.forceRecovery, Growth: b.growth,
		Slots: b.configured + b.growth, Used: len(b.members),
	}
}

// SetLBMethod switches the lbmethod (b_lbm) and runs the new method's
// reset. Like Apache it ignores an unchanged name and reports false; an
// unknown name is an error.
func (b *Balancer) SetLBMethod(name string) (changed bool, err error) {
	switch name {
	case ByRequests, ByTraffic, ByBusyness, Heartbeat:
	default:
		return false, fmt.Errorf("unknown lbmethod %q (want one of %s)", name, strings.Join(Methods, ", "))
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if name == b.methodName {
		return false, nil
	}
	b.methodName, b.method = name, methodOf(name)
	b.resetLocked()
	return true, nil
}

// SetStickySession sets stickysession (b_ss): "NAME" or "COOKIE|PATH";
// "-" clears it. Like Apache, an empty value is ignored and a value of 63
// characters or more is refused.
func (b *Balancer) SetStickySession(v string) error {
	if v == "" {
		return nil
	}
	if len(v) >= 63 {
		return fmt.Errorf("stickysession %q is too long: must be < 63 characters", v)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if v == "-" {
		b.stickyCookie, b.stickyParam = "", ""
		return nil
	}
	b.stickyCookie, b.stickyParam = v, v
	if i := strings.IndexByte(v, '|'); i >= 0 {
		b.stickyCookie, b.stickyParam = v[:i], v[i+1:]
	}
	return nil
}

// SetNoFailover sets nofailover (b_sforce).
func (b *Balancer) SetNoFailover(on bool) {
	b.mu.Lock()
	b.noFailover = on
	b.mu.Unlock()
}

// SetTimeout sets the balancer timeout (b_tmo); Apache accepts 0..7200 s.
func (b *Balancer) SetTimeout(d time.Duration) error {
	if d < 0 || d > 7200*time.Second {
		return fmt.Errorf("balancer timeout %v out of range: must be 0 to 7200 seconds", d)
	}
	b.mu.Lock()
	b.timeout = d
	b.mu.Unlock()
	return nil
}

// SetMaxAttempts sets maxattempts (b_max, 0..99). As in Apache 2.4.71 it
// does not mark maxattempts as set, so it has no effect on a balancer that
// never had it set (a single-member balancer without maxattempts=).
func (b *Balancer) SetMaxAttempts(n int) error {
	if n < 0 || n > 99 {
		return fmt.Errorf("maxattempts %d out of range: must be 0 to 99", n)
	}
	b.mu.Lock()
	b.maxAttempts = n
	b.mu.Unlock()
	return nil
}

// SetForceRecovery sets forcerecovery.
func (b *Balancer) SetForceRecovery(on bool) {
	b.mu.Lock()
	b.forceRecovery = on
	b.mu.Unlock()
}

// MaxAttempts returns the number of extra members to try after a
// connect-type failure (0 when unset).
func (b *Balancer) MaxAttempts() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.maxAttemptsSet {
		return 0
	}
	return b.maxAttempts
}

// ShouldFailover is Apache's failover loop condition after an attempt on m
// that ended in a connect-type failure (scheme handler 503, after
// m.MarkError()): try again while m is now unusable and attempts (the
// number of retries done so far, starting at 0) < maxattempts. A member
// with the I flag stays usable, so there is no failover from it.
func (b *Balancer) ShouldFailover(m *Member, attempts int) bool {
	return !m.Usable() && attempts < b.MaxAttempts()
}

// resetLocked runs the current lbmethod's reset (b.mu held): byrequests
// zeroes lbstatus, bytraffic the byte counters, bybusyness lbstatus and
// busy.
func (b *Balancer) resetLocked() {
	for _, m := range b.members {
		switch b.method {
		case methodByRequests:
			m.lbstatus = 0
		case methodByTraffic:
			m.transferred.Store(0)
			m.read.Store(0)
		case methodByBusyness:
			m.lbstatus = 0
			m.busy.Store(0)
		}
	}
}

// recalcFactorsLocked is Apache's recalc_factors after a loadfactor change:
// every lbstatus becomes its lbfactor; a single member is forced to 100.
func (b *Balancer) recalcFactorsLocked() {
	if len(b.members) == 1 {
		b.members[0].lbfactor, b.members[0].lbstatus = 100, 100
		return
	}
	for _, m := range b.members {
		m.lbstatus = m.lbfactor
	}
}

// ReportStatus applies failonstatus after m answered with code: if code is
// listed and m does not have the I flag, m is put into error state (the
// response itself is still delivered). It reports whether m was marked.
func (b *Balancer) ReportStatus(m *Member, code int) bool {
	b.mu.Lock()
	list := b.failOnStatus
	b.mu.Unlock()
	for _, c := range list {
		if c == code {
			return m.MarkError()
		}
	}
	return false
}

// ReportTimeout applies failontimeout after a backend read timeout on m:
// with failontimeout=On (and no I flag) m is put into error state. The
// timed-out request itself still gets its 502; it reports whether m was
// marked.
func (b *Balancer) ReportTimeout(m *Member) bool {
	b.mu.Lock()
	on := b.failOnTimeout
	b.mu.Unlock()
	return on && m.MarkError()
}
