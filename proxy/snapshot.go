package proxy

import (
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/balancerd/balancerd/directives/model"
	"github.com/balancerd/balancerd/proxy/balancer"
)

// snapshot is one configuration compiled for serving. A reload builds a
// new snapshot and swaps it in atomically; requests keep the snapshot they
// started with.
type snapshot struct {
	cfg *model.Config
	// logging is whether requests under this configuration are logged
	// (Options.AccessLog set and Options.AccessLogEnabled agreeing).
	logging bool
	main    *vhost
	vhosts  []*vhost

	// addrCache memoises the address phase per local address.
	addrCache sync.Map // string -> *addrCandidates

	// dynamic holds workers created after compile (rewrite [P] targets
	// with no configured worker); workers is read-only after compile.
	dynamic sync.Map // wkey -> *workerRT

	// workers holds one runtime (transport) per worker and effective
	// timeout; byKey indexes them by fingerprint for reuse after a reload.
	workers map[wkey]*workerRT
	byKey   map[string]*workerRT
}

type wkey struct {
	w       *model.Worker
	timeout time.Duration
}

// vhost is a model.Server prepared for request routing.
type vhost struct {
	srv *model.Server
	// locRules are ProxyPass rules written inside <Location>/<LocationMatch>,
	// in config order; srvRules the server-level list (main server first).
	locRules []*model.ProxyPassRule
	srvRules []*model.ProxyPassRule
	// balancers by lowercase name.
	balancers map[string]*balancer.Balancer
	// directories sorted as Apache walks them: non-regex by depth, then
	// regex sections in config order.
	directories []*model.Section
}

// compile builds a snapshot. Workers' transports are reused from prev
// when the worker definition is unchanged.
func (s *Server) compile(cfg *model.Config, prev *snapshot) *snapshot {
	sn := &snapshot{cfg: cfg, workers: map[wkey]*workerRT{}, byKey: map[string]*workerRT{}}
	sn.logging = s.opts.AccessLog != nil && (s.opts.AccessLogEnabled == nil || s.opts.AccessLogEnabled(cfg))
	main := cfg.Main
	if main == nil {
		main = &model.Server{}
	}
	registered := map[string]*model.Balancer{}
	sn.main = s.compileVHost(sn, main, registered, prev)
	for _, v := range cfg.VirtualHosts {
		sn.vhosts = append(sn.vhosts, s.compileVHost(sn, v, registered, prev))
	}
	return sn
}

func (s *Server) compileVHost(sn *snapshot, srv *model.Server, registered map[string]*model.Balancer, prev *snapshot) *vhost {
	vh := &vhost{srv: srv, balancers: map[string]*balancer.Balancer{}}
	for _, r := range srv.ProxyPass {
		if r.InLocation != "" {
			vh.locRules = append(vh.locRules, r)
		} else {
			vh.srvRules = append(vh.srvRules, r)
		}
		if r.Worker != nil {
			sn.worker(s, srv, r.Worker, prev)
		}
	}
	for _, w := range srv.Workers {
		sn.worker(s, srv, w, prev)
	}
	names := srv.BalancerOrder
	if len(names) == 0 {
		for n := range srv.Balancers {
			names = append(names, n)
		}
		sort.Strings(names)
	}
	for _, n := range names {
		bc := srv.Balancers[n]
		if bc == nil {
			continue
		}
		var b *balancer.Balancer
		if other, seen := registered[bc.Name]; !seen || other == bc {
			registered[bc.Name] = bc
			b = s.reg.Balancer(bc)
		} else {
			// A different balancer of the same name in another vhost:
			// separate state.
			b = s.reg.Scoped(srv.Source, bc)
		}
		vh.balancers[strings.ToLower(bc.Name)] = b
		for _, m := range bc.Members {
			sn.worker(s, srv, m, prev)
		}
	}
	var plain, regex []*model.Section
	for _, d := range srv.Directories {
		if d.Regex != nil {
			regex = append(regex, d)
		} else {
			plain = append(plain, d)
		}
	}
	sort.SliceStable(plain, func(i, j int) bool {
		return strings.Count(strings.TrimSuffix(plain[i].Path, "/"), "/") < strings.Count(strings.TrimSuffix(plain[j].Path, "/"), "/")
	})
	vh.directories = append(plain, regex...)
	return vh
}

// proxyTimeout is ProxyTimeout of srv, else the core Timeout, else 60s.
func proxyTimeout(cfg *model.Config, srv *model.Server) time.Duration {
	if srv != nil && srv.Proxy.Timeout > 0 {
		return srv.Proxy.Timeout
	}
	if cfg.Timeout > 0 {
		return cfg.Timeout
	}
	return 60 * time.Second
}

// worker returns the runtime of w as used by srv, creating it once per
// snapshot and reusing prev's transport when nothing changed.
func (sn *snapshot) worker(s *Server, srv *model.Server, w *model.Worker, prev *snapshot) *workerRT {
	k := wkey{w, proxyTimeout(sn.cfg, srv)}
	if rt := sn.workers[k]; rt != nil {
		return rt
	}
	fp := workerFingerprint(w, k.timeout)
	rt := sn.byKey[fp]
	if rt == nil && prev != nil {
		rt = prev.byKey[fp]
	}
	if rt == nil {
		rt = s.newWorkerRT(w, k.timeout, fp)
	}
	sn.workers[k] = rt
	sn.byKey[fp] = rt
	return rt
}

// workerFor returns the runtime for w in vh (created on demand for
// workers not known at compile time, e.g. rewrite [P] targets).
func (sn *snapshot) workerFor(s *Server, vh *vhost, w *model.Worker) *workerRT {
	if rt := sn.workers[wkey{w, proxyTimeout(sn.cfg, vh.srv)}]; rt != nil {
		return rt
	}
	k := wkey{w, proxyTimeout(sn.cfg, vh.srv)}
	if rt, ok := sn.dynamic.Load(k); ok {
		return rt.(*workerRT)
	}
	rt, _ := sn.dynamic.LoadOrStore(k, s.newWorkerRT(w, k.timeout, workerFingerprint(w, k.timeout)))
	return rt.(*workerRT)
}
