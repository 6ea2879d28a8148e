package directives

import (
	"sort"
	"strings"
	"time"

	"github.com/balancerd/balancerd/directives/model"
	"github.com/balancerd/balancerd/parser"
)

// LoadOptions controls how a configuration is read and built, mirroring
// httpd's command line.
type LoadOptions struct {
	// ServerRoot is httpd -d: it resolves relative paths. Empty means ".".
	ServerRoot string
	// Defines are -D parameters ("NAME" or "NAME=value").
	Defines []string
	// Before and After are -C and -c directives.
	Before, After []string
	// Env resolves ${VAR} references that no Define set (Apache falls back
	// to its environment, e.g. Debian's envvars). Nil = no environment.
	Env func(string) (string, bool)
	// Version answers <IfVersion>; empty means the parser's default.
	Version string
}

// ParserOptions returns the parser options for opts, wired to the
// registry: <IfModule> knows balancerd's built-in modules, <IfDirective>
// and <IfSection> know the registered names.
func ParserOptions(opts LoadOptions) parser.Options {
	return parser.Options{
		ServerRoot:    opts.ServerRoot,
		Defines:       opts.Defines,
		Env:           opts.Env,
		Before:        opts.Before,
		After:         opts.After,
		Version:       opts.Version,
		ModuleBuiltin: ModuleBuiltin,
		DirectiveKnown: func(name string) bool {
			s := Lookup(name)
			return s != nil && !s.Section && ModuleBuiltin(s.Module)
		},
		SectionKnown: func(name string) bool {
			s := Lookup(strings.TrimPrefix(name, "<"))
			return s != nil && s.Section && ModuleBuiltin(s.Module)
		},
	}
}

// Apache's defaults for what Config documents.
const (
	defaultTimeout          = 60 * time.Second
	defaultKeepAliveTimeout = 5 * time.Second
	defaultMaxKeepAlive     = 100
)

// Build converts a parsed configuration into the model: every directive is
// checked as Apache checks it, documented defaults are filled in,
// references are resolved and the main server is merged into each virtual
// host (spec 2.5). Diagnostics (the parser's and Build's) come back sorted
// by file and line.
func Build(res *parser.Result, opts LoadOptions) (*model.Config, parser.Diagnostics) {
	root := opts.ServerRoot
	if root == "" {
		root = "."
	}
	cfg := &model.Config{
		ServerRoot:           root,
		Timeout:              defaultTimeout,
		KeepAlive:            true,
		KeepAliveTimeout:     defaultKeepAliveTimeout,
		MaxKeepAliveRequests: defaultMaxKeepAlive,
	}
	main := newServer("")
	cfg.Main = main
	b := &Builder{Config: cfg, Server: main, Dir: main.Dir, opts: opts, proxy: newProxyState()}
	b.loaded = map[string]bool{}
	b.fragment = true
	if res != nil {
		for _, m := range res.Modules {
			if StandardModule(m.Name) == nil {
				continue
			}
			b.loaded[m.Name] = true
			if strings.HasPrefix(m.Name, "mpm_") {
				// A configuration that loads an MPM is a whole server
				// config: directives of modules it does not load are
				// "Invalid command", as with Apache.
				b.fragment = false
			}
		}
		b.Walk(res.Directives)
	}
	b.finish()

	mods := map[string]bool{}
	for id := range compiledIn {
		mods[id] = true
	}
	for id := range balancerdModules {
		mods[id] = true
	}
	for id := range b.loaded {
		mods[id] = true
	}
	if b.fragment {
		// A fragment (a vhost file with no MPM loaded) runs inside a
		// server whose main config loads the modules: every standard
		// module counts as loaded, as the walker already assumes for its
		// directives (mod_mime, mod_dir, ... for DocumentRoot files).
		for id := range modulesByID {
			mods[id] = true
		}
	}
	for id := range mods {
		cfg.Modules = append(cfg.Modules, id)
	}
	sort.Strings(cfg.Modules)

	var diags parser.Diagnostics
	if res != nil {
		diags = append(diags, res.Diags...)
	}
	diags = append(diags, b.Diags...)
	var files []string
	if res != nil {
		files = res.Files
	}
	SortDiagnostics(diags, files)
	return cfg, diags
}

// SortDiagnostics sorts diagnostics by file (in reading order when files
// is given, else by name) and line, keeping the order of equal positions.
func SortDiagnostics(ds parser.Diagnostics, files []string) {
	rank := map[string]int{}
	for i, f := range files {
		if _, ok := rank[f]; !ok {
			rank[f] = i + 1
		}
	}
	sort.SliceStable(ds, func(i, j int) bool {
		a, b := ds[i].Pos, ds[j].Pos
		if a.File != b.File {
			ra, rb := rank[a.File], rank[b.File]
			if ra != rb && ra != 0 && rb != 0 {
				return ra < rb
			}
			if a.File == "" || b.File == "" {
				return a.File == ""
			}
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
}

// newServer returns a server with its maps and Apache's defaults.
func newServer(src string) *model.Server {
	return &model.Server{
		Source:     src,
		Balancers:  map[string]*model.Balancer{},
		Workers:    map[string]*model.Worker{},
		Dir:        &model.DirConfig{},
		LogFormats: map[string]string{},
		Proxy: model.ProxySettings{
			AddHeaders:      true,
			BadHeader:       "isError",
			MaxForwards:     -1,
			Continue100:     true,
			IOBufferSize:    8192,
			PassInherit:     true,
			BalancerInherit: true,
			BalancerGrowth:  5,
		},
	}
}

// finish fills in defaults that depend on the whole configuration and
// merges the main server into the virtual hosts.
func (b *Builder) finish() {
	cfg := b.Config
	main := cfg.Main
	if !b.isSet(main, "ProxyTimeout") {
		main.Proxy.Timeout = cfg.Timeout
	}
	for _, vh := range cfg.VirtualHosts {
		mergeServer(b, main, vh)
	}
	b.checkRemoteIP()
}

// mergeServer merges the main server into a virtual host as Apache's
// per-module merge functions do (spec 2.5).
func mergeServer(b *Builder, main, vh *model.Server) {
	if vh.ServerName == "" {
		vh.ServerName = main.ServerName
		if vh.ServerPort == 0 {
			vh.ServerPort = main.ServerPort
		}
	}
	if vh.DocumentRoot == "" {
		vh.DocumentRoot = main.DocumentRoot
	}
	if vh.ErrorLog == "" {
		vh.ErrorLog = main.ErrorLog
	}
	if len(vh.CustomLogs) == 0 {
		vh.CustomLogs = append([]model.CustomLog(nil), main.CustomLogs...)
	}
	for k, v := range main.LogFormats {
		if vh.LogFormats == nil {
			vh.LogFormats = map[string]string{}
		}
		if _, ok := vh.LogFormats[k]; !ok {
			vh.LogFormats[k] = v
		}
	}

	// mod_proxy server settings: the vhost's value if it set one.
	mp, vp := &main.Proxy, &vh.Proxy
	pick := func(key string, f func()) {
		if !b.isSet(vh, key) {
			f()
		}
	}
	pick("ProxyRequests", func() { vp.Requests = mp.Requests })
	pick("ProxyPreserveHost", func() { vp.PreserveHost = mp.PreserveHost })
	pick("ProxyAddHeaders", func() { vp.AddHeaders = mp.AddHeaders })
	pick("ProxyVia", func() { vp.Via = mp.Via })
	pick("ProxyTimeout", func() { vp.Timeout = mp.Timeout })
	pick("ProxyErrorOverride", func() { vp.ErrorOverride = mp.ErrorOverride })
	pick("ProxyBadHeader", func() { vp.BadHeader = mp.BadHeader })
	pick("ProxyMaxForwards", func() { vp.MaxForwards = mp.MaxForwards })
	pick("Proxy100Continue", func() { vp.Continue100 = mp.Continue100 })
	pick("ProxyIOBufferSize", func() { vp.IOBufferSize = mp.IOBufferSize })
	pick("ProxyPassInherit", func() { vp.PassInherit = mp.PassInherit })
	pick("BalancerInherit", func() { vp.BalancerInherit = mp.BalancerInherit })
	pick("ProxyStatus", func() { vp.Status = mp.Status })
	pick("BalancerPersist", func() { vp.BalancerPersist = mp.BalancerPersist })
	pick("BalancerGrowth", func() { vp.BalancerGrowth = mp.BalancerGrowth })
	pick("ProxyErrorOverride", func() { vp.ErrorOverrideCodes = mp.ErrorOverrideCodes })
	for k, v := range mp.HCExprs {
		if vp.HCExprs == nil {
			vp.HCExprs = map[string]string{}
		}
		if _, own := vp.HCExprs[k]; !own {
			vp.HCExprs[k] = v
		}
	}

	// ProxyPass: main-server rules first, always (2.4.71 ignores
	// ProxyPassInherit here, spec 3.3); server-level before <Location> ones.
	mainSrv, mainLoc := splitByLocation(main.ProxyPass)
	vhSrv, vhLoc := splitByLocation(vh.ProxyPass)
	rules := append(append(append(append([]*model.ProxyPassRule(nil), mainSrv...), vhSrv...), mainLoc...), vhLoc...)
	vh.ProxyPass = rules

	// Balancers and workers (BalancerInherit On): the vhost's own
	// definitions win over inherited ones of the same name.
	if vp.BalancerInherit {
		var order []string
		for _, name := range main.BalancerOrder {
			own, ok := vh.Balancers[name]
			if !ok {
				vh.Balancers[name] = main.Balancers[name]
				order = append(order, name)
				continue
			}
			if mb := main.Balancers[name]; len(own.Members) == 0 && len(mb.Members) > 0 {
				// The vhost only referenced or tuned the main server's
				// balancer (ProxyPass/ProxySet): it is that balancer, with
				// the vhost's explicit parameters on top.
				vh.Balancers[name] = overlayBalancer(mb, own)
			}
		}
		vh.BalancerOrder = append(order, vh.BalancerOrder...)
		for k, w := range main.Workers {
			if _, own := vh.Workers[k]; !own {
				vh.Workers[k] = w
			}
		}
	}
	for _, r := range vh.ProxyPass {
		if r.Balancer == "" && r.Worker == nil && !r.Exclude && r.URL != "" {
			r.Worker = vh.Workers[workerKey(r.URL)]
		}
	}

	// Per-directory settings of the server level.
	vh.Dir = mergeDir(main.Dir, vh.Dir)
	vh.Locations = append(append([]*model.Section(nil), main.Locations...), vh.Locations...)
	vh.Directories = append(append([]*model.Section(nil), main.Directories...), vh.Directories...)
	vh.Proxies = append(append([]*model.Section(nil), main.Proxies...), vh.Proxies...)
}

// mergeDir merges a per-directory config over its parent: lists are
// appended parent first, scalars are the child's when written.
func mergeDir(parent, child *model.DirConfig) *model.DirConfig {
	if parent == nil {
		return child
	}
	if child == nil {
		c := *parent
		return &c
	}
	out := *child
	out.Reverse = append(append([]model.ReverseRule(nil), parent.Reverse...), child.Reverse...)
	out.CookieDomain = append(append([]model.CookieRule(nil), parent.CookieDomain...), child.CookieDomain...)
	out.CookiePath = append(append([]model.CookieRule(nil), parent.CookiePath...), child.CookiePath...)
	out.Headers = append(append([]model.HeaderRule(nil), parent.Headers...), child.Headers...)
	out.RequestHeaders = append(append([]model.HeaderRule(nil), parent.RequestHeaders...), child.RequestHeaders...)
	if out.Handler == "" {
		out.Handler = parent.Handler
	}
	if out.PreserveHost == nil {
		out.PreserveHost = parent.PreserveHost
	}
	if out.AddHeaders == nil {
		out.AddHeaders = parent.AddHeaders
	}
	if out.Access == nil {
		out.Access = parent.Access
	}
	if len(parent.ErrorDocuments) > 0 {
		m := map[int]string{}
		for k, v := range parent.ErrorDocuments {
			m[k] = v
		}
		for k, v := range child.ErrorDocuments {
			m[k] = v
		}
		out.ErrorDocuments = m
	}
	return &out
}

// Load reads the configuration file at path (with its Includes) the way
// httpd does and builds the model. It never fails outright: every problem
// is a Diagnostic (sorted by file and line); the model holds all that
// could be built.
func Load(path string, opts LoadOptions) (*model.Config, *parser.Result, parser.Diagnostics) {
	res := parser.ParseFile(path, ParserOptions(opts))
	cfg, diags := Build(res, opts)
	return cfg, res, diags
}

// LoadBytes is Load for configuration text held in memory; name is used in
// positions and to resolve nothing else.
func LoadBytes(name string, src []byte, opts LoadOptions) (*model.Config, *parser.Result, parser.Diagnostics) {
	res := parser.ParseBytes(name, src, ParserOptions(opts))
	cfg, diags := Build(res, opts)
	return cfg, res, diags
}

// overlayBalancer copies base and applies the parameters over set
// explicitly (Balancer.Set).
func overlayBalancer(base, over *model.Balancer) *model.Balancer {
	out := *base
	out.Set = map[string]bool{}
	for k := range base.Set {
		out.Set[k] = true
	}
	for k := range over.Set {
		out.Set[k] = true
		switch k {
		case "stickysession":
			out.StickyCookie, out.StickyParam = over.StickyCookie, over.StickyParam
		case "stickysessionsep":
			out.StickySep = over.StickySep
		case "nofailover":
			out.NoFailover = over.NoFailover
		case "timeout":
			out.Timeout = over.Timeout
		case "maxattempts":
			out.MaxAttempts = over.MaxAttempts
		case "lbmethod":
			out.LBMethod = over.LBMethod
		case "scolonpathdelim":
			out.ScolonPathDelim = over.ScolonPathDelim
		case "failonstatus":
			out.FailOnStatus = over.FailOnStatus
		case "failontimeout":
			out.FailOnTimeout = over.FailOnTimeout
		case "nonce":
			out.Nonce = over.Nonce
		case "growth":
			out.Growth = over.Growth
		case "forcerecovery":
			out.ForceRecovery = over.ForceRecovery
		}
	}
	return &out
}

// splitByLocation separates server-level ProxyPass rules from those
// written inside <Location>, keeping the order of each.
func splitByLocation(rules []*model.ProxyPassRule) (server, located []*model.ProxyPassRule) {
	for _, r := range rules {
		if r.InLocation != "" {
			located = append(located, r)
		} else {
			server = append(server, r)
		}
	}
	return server, located
}
