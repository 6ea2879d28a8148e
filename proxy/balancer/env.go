package balancer

// EnvVar is one environment variable set for a balanced request.
type EnvVar struct {
	Name, Value string
}

// AppendEnv appends the BALANCER_* variables Apache sets for this decision
// (spec 4.8) to dst and returns it; with enough capacity in dst it does
// not allocate. A decision without a member sets none. Across failover
// attempts Apache keeps what earlier attempts set: a request that ends in
// 503 after failed connects still carries the variables of the last
// member tried (verified against Apache in TestAgainstApache), and
// BALANCER_ROUTE_CHANGED stays set once set, so a caller retrying should
// OR RouteChanged over the attempts.
func (d *Decision) AppendEnv(dst []EnvVar) []EnvVar {
	if d.Member == nil {
		return dst
	}
	if d.RouteChanged {
		dst = append(dst, EnvVar{"BALANCER_ROUTE_CHANGED", "1"})
	}
	dst = append(dst,
		EnvVar{"BALANCER_NAME", d.Balancer},
		EnvVar{"BALANCER_WORKER_NAME", d.Member.name},
		EnvVar{"BALANCER_WORKER_ROUTE", d.WorkerRoute},
	)
	if d.Session.HasRoute {
		dst = append(dst,
			EnvVar{"BALANCER_SESSION_STICKY", d.Session.Name},
			EnvVar{"BALANCER_SESSION_ROUTE", d.Session.Route},
		)
	}
	return dst
}
