// Package balancer is mod_proxy_balancer's runtime: member state, Apache's
// member selection (lbset tiers, spares, standbys, byrequests, bytraffic,
// bybusyness), sticky sessions, error state and retry, and the per-request
// Decision that both the proxy and `balancerd explain` use.
//
// A Registry holds one Balancer per balancer name for the life of the
// process; re-applying a (reloaded) *model.Balancer keeps the state of the
// members that still exist. A request does:
//
//	d := b.Pick(ctx, &balancer.Request{URL: "balancer://c/app?x=1", Cookie: cookieHeader})
//	if d.Member == nil { /* d.Status (503) and d.Reason */ }
//	... connect to d.Member.Config() ...
//	d.Member.Release(bytesSent, bytesRead)
//
// Failover after a connect failure: d.Member.MarkError(), then Pick again
// while b.ShouldFailover(d.Member, attempts) (Apache's loop condition).
//
// All methods are safe for concurrent use. Selection runs under one mutex
// per balancer (Apache's balancer lock); counters are atomics.
package balancer

import (
	"sync"

	"github.com/balancerd/balancerd/directives/model"
)

// Registry is the runtime state of all balancers, keyed by balancer name
// (and optional scope). It outlives configuration reloads.
type Registry struct {
	clock Clock

	mu        sync.Mutex
	balancers map[string]*Balancer
}

// NewRegistry returns an empty registry using clock (nil = SystemClock()).
func NewRegistry(clock Clock) *Registry {
	if clock == nil {
		clock = SystemClock()
	}
	return &Registry{clock: clock, balancers: map[string]*Balancer{}}
}

// Clock returns the registry's clock.
func (r *Registry) Clock() Clock { return r.clock }

// Balancer returns the runtime of cfg.Name, creating it on first use and
// otherwise applying cfg to it (a reload). State of members whose name is
// still configured is kept (counters, lbstatus, error state, and settings
// changed at runtime through balancer-manager as long as the configuration
// of that setting did not change); members no longer configured are
// dropped, except members added at runtime (AddMember), which are kept.
//
// The state is shared by every caller using the same name, as Apache 2.4.71
// shares a main-server balancer with the vhosts inheriting it (spec 4.11);
// use Scoped to keep same-named balancers of different vhosts apart.
func (r *Registry) Balancer(cfg *model.Balancer) *Balancer {
	return r.Scoped("", cfg)
}

// Scoped is Balancer with an extra key (for example a vhost's Source), so
// that balancers of the same name in different scopes have separate state.
func (r *Registry) Scoped(scope string, cfg *model.Balancer) *Balancer {
	key := scope + "\x00" + cfg.Name
	r.mu.Lock()
	b := r.balancers[key]
	if b == nil {
		b = newBalancer(r.clock, cfg.Name)
		r.balancers[key] = b
	}
	r.mu.Unlock()
	b.apply(cfg)
	return b
}

// Lookup returns the balancer of that name in scope "" (as registered by
// Balancer), or nil.
func (r *Registry) Lookup(name string) *Balancer {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.balancers["\x00"+name]
}
