package balancer

import (
	"context"
	"time"

	"github.com/balancerd/balancerd/directives/model"
)

// Request is what member selection needs from an HTTP request.
type Request struct {
	// URL is the balancer URL as Apache sees it: "balancer://c/path?query"
	// (the path after ProxyPass mapping, plus the query string).
	URL string
	// Cookie is the Cookie request header; several Cookie fields are
	// joined with ", " (as httpd merges them).
	Cookie string
	// Explain fills Decision.Considered (allocates; off on the hot path).
	Explain bool
	// NoWait skips the balancer timeout wait when no member is usable
	// (for `balancerd explain`).
	NoWait bool
}

// Outcome classifies a Decision.
type Outcome uint8

// Decision outcomes.
const (
	// Chosen: Member is set.
	Chosen Outcome = iota
	// NoMembers: the balancer has no members (503, AH01171).
	NoMembers
	// AllUnusable: no member is usable (503, AH01170).
	AllUnusable
	// RouteUnusable: nofailover=On and the members with the request's
	// route are unusable (503, AH01167).
	RouteUnusable
	// Canceled: the context ended while waiting for the balancer timeout.
	Canceled
)

// Decision is the result of one member selection: what the proxy acts on
// and what `balancerd explain` prints.
type Decision struct {
	// Balancer is the balancer name ("balancer://c").
	Balancer string
	// Member is the chosen member, nil unless Outcome is Chosen. Its busy
	// count was incremented; call Member.Release when the request ends.
	Member *Member
	// Outcome says why Member is nil; Status is the HTTP status to answer
	// with in that case (503), 0 when a member was chosen.
	Outcome Outcome
	Status  int
	// Sticky is the balancer's stickysession configuration at pick time
	// (Cookie "" = none).
	Sticky StickyConfig
	// Session is the sticky value found in the request (zero when the
	// balancer has no stickysession or the request carries none).
	Session Session
	// WorkerRoute is the chosen member's route (BALANCER_WORKER_ROUTE).
	WorkerRoute string
	// ViaRoute is true when the member was found by the session route
	// (directly or through redirect=).
	ViaRoute bool
	// Redirected is true when the route's member was unusable and its
	// redirect= route was followed.
	Redirected bool
	// RouteChanged is BALANCER_ROUTE_CHANGED: stickysession configured and
	// the request's route was absent, unknown, unusable or redirected.
	RouteChanged bool
	// Waited is how long the balancer timeout wait lasted (0 if none).
	Waited time.Duration
	// Method is the lbmethod used ("byrequests", ...).
	Method string
	// Considered lists every member with the reason it was or was not
	// chosen, in member order; filled only with Request.Explain.
	Considered []Consideration
}

// Message returns Apache's error-log text for a decision without a member
// ("balancer://c: All workers are in error state"), "" otherwise.
func (d *Decision) Message() string {
	switch d.Outcome {
	case NoMembers:
		return d.Balancer + ": No workers in balancer"
	case AllUnusable:
		return d.Balancer + ": All workers are in error state"
	case RouteUnusable:
		return d.Balancer + ": All workers are in error state for route (" + d.Session.Route + ")"
	case Canceled:
		return d.Balancer + ": request canceled while waiting for a usable worker"
	}
	return ""
}

// Pick selects a member for one request attempt as mod_proxy_balancer's
// pre_request does (spec 4.1): forcerecovery, sticky route lookup with
// redirect and nofailover, then the lbmethod over lbset tiers, spares and
// standbys, then the balancer timeout wait. On success the member's
// elected and busy counts are incremented. Failover attempts call Pick
// again (the failed member is in error state by then).
//
// Pick does not allocate unless req.Explain is set.
func (b *Balancer) Pick(ctx context.Context, req *Request) Decision {
	now := &lazyTime{c: b.clock}
	d := Decision{Balancer: b.name}
	b.mu.Lock()
	d.Method = b.methodName
	var cons []Consideration
	if req.Explain {
		cons = make([]Consideration, len(b.members))
		for i, m := range b.members {
			cons[i] = Consideration{Member: m, Name: m.name, LBSet: m.lbset, Route: m.route}
		}
	}
	b.forceRecoveryLocked(now, cons)
	sticky := b.stickyCookie != ""
	if sticky {
		d.Sticky = StickyConfig{Cookie: b.stickyCookie, Param: b.stickyParam, Sep: b.stickySep, Scolon: b.scolon}
		d.Session = ExtractSession(req.URL, req.Cookie, d.Sticky)
		if r := d.Session.Route; r != "" {
			if m := b.findRouteLocked(r, now, 1, cons); m != nil {
				b.stickyAccountLocked(m)
				d.Member, d.ViaRoute = m, true
				if m.route != r {
					d.Redirected, d.RouteChanged = true, true
				}
			} else if b.noFailover && b.routeKnownLocked(r) {
				d.Outcome, d.Status = RouteUnusable, 503
				d.Considered = b.explainLocked(cons, &d)
				b.mu.Unlock()
				return d
			}
		}
	}
	if d.Member == nil {
		m := b.findBestLocked(now, cons)
		if m == nil && b.timeout > 0 && !req.NoWait {
			timeout := b.timeout
			b.mu.Unlock()
			m = b.waitBest(ctx, timeout, cons, &d)
			b.mu.Lock()
		}
		if m == nil {
			if d.Outcome != Canceled {
				d.Outcome = AllUnusable
				if len(b.members) == 0 {
					d.Outcome = NoMembers
				}
			}
			d.Status = 503
			d.Considered = b.explainLocked(cons, &d)
			b.mu.Unlock()
			return d
		}
		d.Member = m
		d.RouteChanged = sticky
	}
	m := d.Member
	m.elected.Add(1)
	m.busy.Add(1)
	d.WorkerRoute = m.route
	d.Considered = b.explainLocked(cons, &d)
	b.mu.Unlock()
	return d
}

// lazyTime reads the clock at most once per selection pass, and only when
// a member in error needs its retry timer checked.
type lazyTime struct {
	c  Clock
	t  time.Time
	ok bool
}

func (l *lazyTime) get() time.Time {
	if !l.ok {
		l.t, l.ok = l.c.Now(), true
	}
	return l.t
}

// waitBest is find_best_worker's timeout loop: sleep timeout/100 and try
// again, until a member is found or the steps add up to timeout.
func (b *Balancer) waitBest(ctx context.Context, timeout time.Duration, cons []Consideration, d *Decision) *Member {
	step := timeout / 100
	if step <= 0 {
		step = 1
	}
	for t := time.Duration(0); t < timeout; t += step {
		if err := b.clock.Sleep(ctx, step); err != nil {
			d.Outcome = Canceled
			return nil
		}
		d.Waited += step
		b.mu.Lock()
		m := b.findBestLocked(&lazyTime{c: b.clock}, cons)
		b.mu.Unlock()
		if m != nil {
			return m
		}
	}
	return nil
}

// forceRecoveryLocked is force_recovery: if every member is in error
// (after applying its retry timer) and forcerecovery is on, clear E on all.
func (b *Balancer) forceRecoveryLocked(now *lazyTime, cons []Consideration) {
	for _, m := range b.members {
		if m.status&model.StatusError == 0 {
			return
		}
		if m.retryLocked(now) {
			if cons != nil {
				cons[m.indexLocked()].Retried = true
			}
			return
		}
	}
	if !b.forceRecovery || len(b.members) == 0 {
		return
	}
	for i, m := range b.members {
		m.retries++
		m.errorState.Store(true)
		m.status &^= model.StatusError
		if cons != nil {
			cons[i].ForcedRecovery = true
		}
	}
}

// indexLocked returns m's position in b.members (explain path only).
func (m *Member) indexLocked() int {
	for i, x := range m.b.members {
		if x == m {
			return i
		}
	}
	return -1
}

// tryRetryLocked applies the retry timer to an unusable member and records
// it for explain.
func (b *Balancer) tryRetryLocked(i int, m *Member, now *lazyTime, cons []Consideration) {
	if m.status&model.StatusError != 0 && m.retryLocked(now) && cons != nil {
		cons[i].Retried = true
	}
}

// findRouteLocked is find_route_worker: members whose route equals r,
// non-standby members first, then standbys; an unusable one is retried,
// and if still unusable its redirect route is looked up recursively.
func (b *Balancer) findRouteLocked(r string, now *lazyTime, depth int, cons []Consideration) *Member {
	if depth > len(b.members) {
		return nil
	}
	for pass := 0; pass < 2; pass++ {
		wantStandby := pass == 1
		for i, m := range b.members {
			if (m.status&model.StatusHotStandby != 0) != wantStandby {
				continue
			}
			if m.route == "" || m.route != r {
				continue
			}
			if usable(m.status) {
				return m
			}
			b.tryRetryLocked(i, m, now, cons)
			if usable(m.status) {
				return m
			}
			if m.redirect != "" {
				if rm := b.findRouteLocked(m.redirect, now, depth+1, cons); rm != nil {
					if !usable(rm.status) {
						b.tryRetryLocked(rm.indexLocked(), rm, now, cons)
					}
					if usable(rm.status) {
						return rm
					}
				}
			}
		}
	}
	return nil
}

// routeKnownLocked reports whether some member has route r.
func (b *Balancer) routeKnownLocked(r string) bool {
	for _, m := range b.members {
		if m.route != "" && m.route == r {
			return true
		}
	}
	return false
}

// stickyAccountLocked is the default sticky load accounting: every usable
// member gets lbstatus += lbfactor, the chosen one -= the sum.
func (b *Balancer) stickyAccountLocked(chosen *Member) {
	total := 0
	for _, m := range b.members {
		if usable(m.status) {
			m.lbstatus += m.lbfactor
			total += m.lbfactor
		}
	}
	chosen.lbstatus -= total
}

// chooser is the lbmethod's is_best callback state for one selection.
type chooser struct {
	method     method
	best       *Member
	total      int
	minTraffic int64
}

func (c *chooser) consider(m *Member) {
	switch c.method {
	case methodByTraffic:
		f := int64(m.lbfactor)
		t := m.transferred.Load()/f + m.read.Load()/f
		if c.best == nil || t < c.minTraffic {
			c.minTraffic, c.best = t, m
		}
	case methodByBusyness:
		m.lbstatus += m.lbfactor
		c.total += m.lbfactor
		if c.best == nil {
			c.best = m
			return
		}
		mb, bb := m.busy.Load(), c.best.busy.Load()
		if mb < bb || (mb == bb && m.lbstatus > c.best.lbstatus) {
			c.best = m
		}
	default:
		m.lbstatus += m.lbfactor
		c.total += m.lbfactor
		if c.best == nil || m.lbstatus > c.best.lbstatus {
			c.best = m
		}
	}
}

// findBestLocked is ap_proxy_balancer_get_best_worker with the lbmethod's
// finder around it (spec 4.2): lbset tiers in increasing order; in each,
// regular usable members compete, usable spares replace at most as many
// unusable (or draining) regular members, and standbys are used only when
// nothing else of the tier is; draining members never get new traffic.
func (b *Balancer) findBestLocked(now *lazyTime, cons []Consideration) *Member {
	c := chooser{method: b.method}
	maxSet := 0
	for set := 0; c.best == nil && set <= maxSet; set++ {
		unusableN := 0
		spares, standbys := b.spares[:0], b.standbys[:0]
		for i, m := range b.members {
			if m.lbset > maxSet {
				maxSet = m.lbset
			}
			if m.lbset != set {
				continue
			}
			if cons != nil {
				cons[i].visited = true
			}
			if m.status&model.StatusDrain != 0 {
				if m.status&(model.StatusHotSpare|model.StatusHotStandby) == 0 {
					unusableN++
				}
				continue
			}
			if !usable(m.status) {
				b.tryRetryLocked(i, m, now, cons)
			}
			switch {
			case m.status&model.StatusHotSpare != 0:
				if usable(m.status) {
					spares = append(spares, m)
				}
			case m.status&model.StatusHotStandby != 0:
				if usable(m.status) {
					standbys = append(standbys, m)
				}
			case usable(m.status):
				c.consider(m)
			default:
				unusableN++
			}
		}
		for i := 0; i < len(spares) && i < unusableN; i++ {
			c.consider(spares[i])
			if cons != nil {
				cons[spares[i].indexLocked()].spareUsed = true
			}
		}
		if c.best == nil {
			for _, s := range standbys {
				c.consider(s)
				if cons != nil {
					cons[s.indexLocked()].standbyUsed = true
				}
			}
		}
		clear(spares)
		clear(standbys)
		b.spares, b.standbys = spares[:0], standbys[:0]
	}
	if c.best != nil && c.method != methodByTraffic {
		c.best.lbstatus -= c.total
	}
	return c.best
}
