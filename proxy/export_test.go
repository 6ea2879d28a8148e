package proxy

// Test helpers for the external test package (hook integration tests:
// the hook packages import proxy, so their tests with the server live in
// package proxy_test).
var (
	TBackend      = backend
	TRouteBackend = routeBackend
	TSeedConfig   = seedConfig
	TStart        = start
	TGet          = get
	TDrain        = drain
	TDecode       = decode
	TWorker       = worker
	TPass         = pass
	TVHostCfg     = vhostCfg
	TBalancerCfg  = balancerCfg
	TAddBalancer  = addBalancer
	TConfig       = config
)
