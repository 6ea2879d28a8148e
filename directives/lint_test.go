package directives

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/balancerd/balancerd/directives/model"
	"github.com/balancerd/balancerd/parser"
)

// Hand-built models: these tests do not depend on Load.

func tServer(name string, addrs ...string) *model.Server {
	s := &model.Server{
		ServerName: name,
		Balancers:  map[string]*model.Balancer{},
		Workers:    map[string]*model.Worker{},
		Dir:        &model.DirConfig{},
	}
	for _, a := range addrs {
		s.Addrs = append(s.Addrs, model.VHostAddr{Host: "*", Text: a})
	}
	return s
}

func tRule(line int, path, url string) *model.ProxyPassRule {
	r := &model.ProxyPassRule{Source: fmt.Sprintf("lb.conf:%d", line), Path: path, URL: url}
	if url == "!" {
		r.Exclude, r.URL = true, ""
	}
	r.Balancer = lintBalancerKey(url)
	return r
}

func tMatch(line int, re, url string) *model.ProxyPassRule {
	r := tRule(line, re, url)
	r.Regex = regexp.MustCompile(re)
	return r
}

func tMember(line int, url, route string) *model.Worker {
	host := strings.TrimPrefix(strings.TrimPrefix(url, "http://"), "https://")
	if i := strings.IndexAny(host, ":/"); i >= 0 {
		host = host[:i]
	}
	return &model.Worker{Source: fmt.Sprintf("lb.conf:%d", line), Name: url, Scheme: "http", Host: host,
		Params: model.WorkerParams{Route: route}}
}

func tBalancer(s *model.Server, line int, name string, members ...*model.Worker) *model.Balancer {
	b := &model.Balancer{Source: fmt.Sprintf("lb.conf:%d", line), Name: name, Members: members, StickySep: ".", MaxAttempts: -1}
	s.Balancers[name] = b
	s.BalancerOrder = append(s.BalancerOrder, name)
	return b
}

func tConfig(servers ...*model.Server) *model.Config {
	cfg := &model.Config{Main: tServer("")}
	cfg.VirtualHosts = servers
	return cfg
}

// codes returns "code@line" for each diagnostic.
func codes(ds parser.Diagnostics) []string {
	var out []string
	for _, d := range ds {
		out = append(out, fmt.Sprintf("%s@%d", d.Code, d.Pos.Line))
	}
	return out
}

func checkCodes(t *testing.T, ds parser.Diagnostics, want ...string) {
	t.Helper()
	got := codes(ds)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("codes = %v, want %v", got, want)
		for _, d := range ds {
			t.Logf("  %s", d)
		}
	}
}

// seedVHost is the corrected seed load balancer as a model.
func seedVHost() *model.Server {
	vh := tServer("www.example.com", "*:80")
	vh.ServerAlias = []string{"example.com"}
	vh.ProxyPass = []*model.ProxyPassRule{
		tRule(10, "/balancer-manager", "!"),
		tRule(11, "/", "balancer://mycluster/"),
	}
	b := tBalancer(vh, 14, "balancer://mycluster",
		tMember(15, "http://http1.example.com", "http1"),
		tMember(16, "http://http2.example.com", "http2"))
	b.StickyCookie, b.StickyParam, b.NoFailover = "BALANCEID", "BALANCEID", true
	vh.Dir.Reverse = []model.ReverseRule{{Source: "lb.conf:12", Path: "/", URL: "balancer://mycluster/"}}
	loc := &model.Section{Source: "lb.conf:19", Kind: "Location", Path: "/balancer-manager", Dir: &model.DirConfig{
		Handler: "balancer-manager",
		Access: &model.Access{Source: "lb.conf:21", AuthType: "Basic", AuthName: "Members Only", AuthUserFile: "/etc/apache2/.htpasswd",
			Require: &model.RequireNode{Kind: "any", Children: []*model.RequireNode{{Kind: "require", Provider: "valid-user"}}}},
	}}
	vh.Locations = append(vh.Locations, loc)
	return vh
}

func TestLintModelRules(t *testing.T) {
	tests := []struct {
		name  string
		build func() *model.Config
		want  []string
	}{
		{"seed corrected", func() *model.Config { return tConfig(seedVHost()) }, nil},
		{"exclusion after general rule", func() *model.Config {
			vh := seedVHost()
			vh.ProxyPass[0], vh.ProxyPass[1] = tRule(10, "/", "balancer://mycluster/"), tRule(11, "/balancer-manager", "!")
			return tConfig(vh)
		}, []string{"proxypass-exclusion-shadowed@11"}},
		{"specific after general", func() *model.Config {
			vh := seedVHost()
			vh.ProxyPass = append(vh.ProxyPass, tRule(30, "/app/x", "http://b/x"), tRule(31, "/application", "http://b/y"))
			vh.Dir.Reverse = append(vh.Dir.Reverse, model.ReverseRule{Path: "/", URL: "http://b/"})
			return tConfig(vh)
		}, []string{"proxypass-shadowed@30", "proxypass-shadowed@31"}},
		{"prefix not at segment boundary", func() *model.Config {
			vh := seedVHost()
			vh.ProxyPass = []*model.ProxyPassRule{tRule(10, "/balancer-manager", "!"), tRule(30, "/app", "http://b/app"), tRule(31, "/application", "http://b/application"), tRule(11, "/", "balancer://mycluster/")}
			vh.Dir.Reverse = append(vh.Dir.Reverse, model.ReverseRule{Path: "/", URL: "http://b/"})
			return tConfig(vh)
		}, nil},
		{"regex shadows prefix", func() *model.Config {
			vh := seedVHost()
			vh.ProxyPass = []*model.ProxyPassRule{tRule(10, "/balancer-manager", "!"), tMatch(30, `^/api/(.*)$`, "http://b/$1"), tRule(31, "/api/v2", "http://c/v2"), tMatch(32, `^/img/.*\.gif$`, "http://b"), tRule(33, "/img", "http://c/img"), tRule(11, "/", "balancer://mycluster/")}
			vh.Dir.Reverse = append(vh.Dir.Reverse, model.ReverseRule{Path: "/", URL: "http://c/"})
			return tConfig(vh)
		}, []string{"proxypass-shadowed@31"}},
		{"main server rules come first", func() *model.Config {
			vh := seedVHost()
			cfg := tConfig(vh)
			main := tRule(2, "/", "http://legacy/")
			cfg.Main.ProxyPass = []*model.ProxyPassRule{main}
			cfg.Main.Dir.Reverse = []model.ReverseRule{{Path: "/", URL: "http://legacy/"}}
			vh.Dir.Reverse = append(vh.Dir.Reverse, cfg.Main.Dir.Reverse...)
			vh.ProxyPass = append([]*model.ProxyPassRule{main}, vh.ProxyPass...)
			return cfg
		}, []string{"proxypass-exclusion-shadowed@10", "proxypass-shadowed@11"}},
		{"trailing slashes", func() *model.Config {
			vh := seedVHost()
			tBalancer(vh, 40, "balancer://c2", tMember(41, "http://b1/", "")).Set = nil
			vh.ProxyPass = append(vh.ProxyPass[:1], tRule(30, "/x/", "balancer://c2"), tRule(31, "/y", "http://b/"), tRule(32, "/z/", "http://b"), tRule(33, "/w", "balancer://c2/"), vh.ProxyPass[1])
			vh.Dir.Reverse = append(vh.Dir.Reverse, model.ReverseRule{Path: "/", URL: "http://b/"}, model.ReverseRule{Path: "/", URL: "balancer://c2"})
			return tConfig(vh)
		}, []string{"proxypass-slash@30", "proxypass-slash@31", "proxypass-slash@32", "proxypass-slash@33", "member-slash@41"}},
		{"balancer without members, unused balancer", func() *model.Config {
			vh := seedVHost()
			vh.ProxyPass = append(vh.ProxyPass[:1], tRule(30, "/empty", "balancer://empty"), vh.ProxyPass[1])
			tBalancer(vh, 29, "balancer://empty")
			tBalancer(vh, 50, "balancer://spare", tMember(51, "http://s1", ""))
			vh.Dir.Reverse = append(vh.Dir.Reverse, model.ReverseRule{Path: "/", URL: "balancer://spare"})
			return tConfig(vh)
		}, []string{"balancer-undefined@30", "balancer-unused@50"}},
		{"balancer defined in another vhost", func() *model.Config {
			vh := seedVHost()
			other := tServer("other", "*:80")
			other.ProxyPass = []*model.ProxyPassRule{tRule(60, "/", "balancer://mycluster/")}
			other.Dir.Reverse = []model.ReverseRule{{Path: "/", URL: "balancer://mycluster/"}}
			return tConfig(vh, other)
		}, []string{"balancer-undefined@60"}},
		{"duplicate routes and nonce None", func() *model.Config {
			vh := seedVHost()
			b := vh.Balancers["balancer://mycluster"]
			b.Members[1].Params.Route = "http1"
			b.Nonce = "None"
			return tConfig(vh)
		}, []string{"route-duplicate@16", "manager-nonce-none@14"}},
		{"sticky without routes", func() *model.Config {
			vh := seedVHost()
			for _, m := range vh.Balancers["balancer://mycluster"].Members {
				m.Params.Route = ""
			}
			return tConfig(vh)
		}, []string{"sticky-no-routes@14", "nofailover-no-routes@14"}},
		{"one member without route", func() *model.Config {
			vh := seedVHost()
			vh.Balancers["balancer://mycluster"].Members[1].Params.Route = ""
			return tConfig(vh)
		}, []string{"member-no-route@16"}},
		{"routes without stickysession", func() *model.Config {
			vh := seedVHost()
			b := vh.Balancers["balancer://mycluster"]
			b.StickyCookie, b.StickyParam, b.NoFailover = "", "", false
			return tConfig(vh)
		}, []string{"routes-no-sticky@15"}},
		{"no ProxyPassReverse", func() *model.Config {
			vh := seedVHost()
			vh.Dir.Reverse = nil
			vh.ProxyPass = append(vh.ProxyPass[:1], tRule(30, "/api", "http://api:8080/v1"), vh.ProxyPass[1])
			return tConfig(vh)
		}, []string{"member-no-reverse@11", "proxypass-no-reverse@30"}},
		{"no ProxyPassReverse needed for AJP, FastCGI and WebSocket targets", func() *model.Config {
			vh := seedVHost()
			vh.ProxyPass = append(vh.ProxyPass[:1], tRule(30, "/ws/", "ws://chat:8080/"), tRule(31, "/php/", "fcgi://127.0.0.1:9000/var/www/"),
				tRule(32, "/tc/", "ajp://tomcat:8009/"), vh.ProxyPass[1])
			return tConfig(vh)
		}, nil},
		{"ProxyPassReverse per member (the seed's way)", func() *model.Config {
			vh := seedVHost()
			vh.Dir.Reverse = []model.ReverseRule{{Path: "/", URL: "http://http1.example.com/"}}
			return tConfig(vh)
		}, []string{"member-no-reverse@16"}},
		{"ProxyPreserveHost On needs no ProxyPassReverse", func() *model.Config {
			vh := seedVHost()
			vh.Dir.Reverse = nil
			vh.Proxy.PreserveHost = true
			return tConfig(vh)
		}, nil},
		{"manager open: Allow from all", func() *model.Config {
			vh := seedVHost()
			vh.Locations[0].Dir.Access = &model.Access{Source: "lb.conf:21", Order: "deny,allow", Allow: []model.HostMatch{{All: true}}}
			return tConfig(vh)
		}, []string{"manager-unprotected@19"}},
		{"manager open: no access control", func() *model.Config {
			vh := seedVHost()
			vh.Locations[0].Dir.Access = nil
			return tConfig(vh)
		}, []string{"manager-unprotected@19"}},
		{"manager: Require ip", func() *model.Config {
			vh := seedVHost()
			vh.Locations[0].Dir.Access = &model.Access{Require: &model.RequireNode{Kind: "any", Children: []*model.RequireNode{{Kind: "require", Provider: "ip", Args: []string{"10.0.0.0/8"}}}}}
			return tConfig(vh)
		}, nil},
		{"manager: Satisfy Any with Allow from all", func() *model.Config {
			vh := seedVHost()
			a := vh.Locations[0].Dir.Access
			a.Satisfy, a.Allow = "any", []model.HostMatch{{All: true}}
			return tConfig(vh)
		}, []string{"manager-unprotected@19", "access-mixed@21"}},
		{"manager: Require only for GET", func() *model.Config {
			vh := seedVHost()
			a := vh.Locations[0].Dir.Access
			a.Limited = []*model.Access{{LimitMethods: []string{"GET"}, Require: a.Require}}
			a.Require = nil
			return tConfig(vh)
		}, []string{"manager-unprotected@19"}},
		{"manager: Deny from all", func() *model.Config {
			vh := seedVHost()
			vh.Locations[0].Dir.Access = &model.Access{Order: "deny,allow", Deny: []model.HostMatch{{All: true}}, Allow: []model.HostMatch{{CIDR: "10.0.0.0/8"}}}
			return tConfig(vh)
		}, nil},
		{"manager: Require all granted in a later Location /", func() *model.Config {
			vh := seedVHost()
			vh.Locations = append(vh.Locations, &model.Section{Source: "lb.conf:40", Kind: "Location", Path: "/", Dir: &model.DirConfig{
				Access: &model.Access{Require: &model.RequireNode{Kind: "any", Children: []*model.RequireNode{{Kind: "require", Provider: "all", Args: []string{"granted"}}}}}}})
			return tConfig(vh)
		}, []string{"manager-unprotected@19"}},
		{"balancer of the main server used in a vhost (BalancerInherit)", func() *model.Config {
			vh := seedVHost()
			cfg := tConfig(vh)
			b := vh.Balancers["balancer://mycluster"]
			cfg.Main.Balancers[b.Name] = b
			cfg.Main.BalancerOrder = []string{b.Name}
			// the empty copy a vhost ProxyPass creates
			vh.Balancers[b.Name] = &model.Balancer{Source: "lb.conf:11", Name: b.Name, StickySep: "."}
			vh.Proxy.BalancerInherit = true
			return cfg
		}, nil},
		{"manager: Satisfy Any, host restricted, no Require", func() *model.Config {
			vh := seedVHost()
			vh.Locations[0].Dir.Access = &model.Access{Satisfy: "any", Order: "deny,allow",
				Deny: []model.HostMatch{{All: true}}, Allow: []model.HostMatch{{CIDR: "127.0.0.1/32"}}}
			return tConfig(vh)
		}, nil},
		{"RewriteRule [P] to a balancer with a variable path", func() *model.Config {
			vh := seedVHost()
			vh.Rewrite = &model.RewriteConfig{Engine: true, Rules: []*model.RewriteRule{{Source: "lb.conf:30", Pattern: "^/ws",
				Substitution: "balancer://mycluster%{REQUEST_URI}", Flags: model.RewriteFlags{Proxy: true}}}}
			return tConfig(vh)
		}, nil},
		{"RewriteRule [P] to a balancer without members", func() *model.Config {
			vh := seedVHost()
			vh.Rewrite = &model.RewriteConfig{Engine: true, Rules: []*model.RewriteRule{{Source: "lb.conf:30", Pattern: "^/ws",
				Substitution: "balancer://nope%{REQUEST_URI}", Flags: model.RewriteFlags{Proxy: true}}}}
			return tConfig(vh)
		}, []string{"balancer-undefined@30"}},
		{"ProxyPassReverse names a misspelled balancer", func() *model.Config {
			vh := seedVHost()
			vh.Dir.Reverse[0].URL = "balancer://mycluser/"
			return tConfig(vh)
		}, []string{"reverse-balancer-unknown@12"}},
		{"ProxyPass to a misspelled balancer", func() *model.Config {
			vh := seedVHost()
			vh.ProxyPass[1] = tRule(11, "/", "balancer://mycluser/")
			return tConfig(vh)
		}, []string{"balancer-undefined@11", "balancer-unused@14"}},
		{"AuthType without AuthName and AuthUserFile", func() *model.Config {
			vh := seedVHost()
			a := vh.Locations[0].Dir.Access
			a.AuthName, a.AuthUserFile = "", ""
			return tConfig(vh)
		}, []string{"auth-no-name@21", "auth-no-userfile@21"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.build()
			checkCodes(t, Lint(cfg, nil, LintOptions{NoFiles: true}), tt.want...)
		})
	}
}

func TestLintMessagesSayHowToFix(t *testing.T) {
	vh := seedVHost()
	vh.ProxyPass[0], vh.ProxyPass[1] = vh.ProxyPass[1], vh.ProxyPass[0]
	ds := Lint(tConfig(vh), nil, LintOptions{NoFiles: true})
	if len(ds) == 0 {
		t.Fatal("no diagnostics")
	}
	want := map[string]string{
		"proxypass-exclusion-shadowed": "move this line before lb.conf:11",
	}
	for _, d := range ds {
		fix, ok := want[d.Code]
		if !ok {
			t.Errorf("unexpected %s", d)
			continue
		}
		if !strings.Contains(d.Message, fix) {
			t.Errorf("%s: message does not say %q", d, fix)
		}
		delete(want, d.Code)
	}
	for code := range want {
		t.Errorf("no %s", code)
	}
}
