package access

import (
	"context"
	"encoding/base64"
	"net/netip"
	"strings"
	"testing"

	"github.com/balancerd/balancerd/directives/model"
)

func basic(user, pw string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pw))
}

func leaf(provider string, args ...string) *model.RequireNode {
	return &model.RequireNode{Kind: "require", Provider: provider, Args: args}
}

func not(n *model.RequireNode) *model.RequireNode { n.Negate = true; return n }

func anyOf(kids ...*model.RequireNode) *model.RequireNode {
	return &model.RequireNode{Kind: "any", Children: kids}
}

func group(kind string, kids ...*model.RequireNode) *model.RequireNode {
	return &model.RequireNode{Kind: kind, Children: kids}
}

func hosts(specs ...string) []model.HostMatch {
	var out []model.HostMatch
	for _, s := range specs {
		switch {
		case s == "all":
			out = append(out, model.HostMatch{All: true})
		case strings.HasPrefix(s, "env=!"):
			out = append(out, model.HostMatch{Env: s[5:], NegateEnv: true})
		case strings.HasPrefix(s, "env="):
			out = append(out, model.HostMatch{Env: s[4:]})
		case strings.ContainsAny(s[:1], "0123456789"):
			out = append(out, model.HostMatch{CIDR: s})
		default:
			out = append(out, model.HostMatch{Host: s})
		}
	}
	return out
}

func authBasic(req *model.RequireNode) *model.Access {
	return &model.Access{AuthType: "Basic", AuthName: "Members Only", AuthUserFile: testPasswd, AuthGroupFile: "../../testdata/auth/groups", Require: req}
}

func TestCheck(t *testing.T) {
	seed := &model.Access{AuthType: "Basic", AuthName: "Members Only", AuthUserFile: testPasswd,
		Limited: []*model.Access{{LimitMethods: []string{"GET", "PUT", "POST"}, Require: anyOf(leaf("valid-user"))}}}
	compatOpen := &model.Access{Order: "deny,allow", Allow: hosts("all")}
	tests := []struct {
		name   string
		levels []*model.Access
		method string
		remote string
		auth   string
		env    map[string]string
		want   int
		user   string
		log    string
	}{
		{name: "no access config", want: 0},
		{name: "require all granted", levels: []*model.Access{{Require: anyOf(leaf("all", "granted"))}}, want: 0},
		{name: "require all denied", levels: []*model.Access{{Require: anyOf(leaf("all", "denied"))}}, want: 403, log: "AH01630: client denied by server configuration: uri /x"},
		{name: "require ip match", levels: []*model.Access{{Require: anyOf(leaf("ip", "10.1"))}}, remote: "10.1.2.3", want: 0},
		{name: "require ip miss", levels: []*model.Access{{Require: anyOf(leaf("ip", "10.1"))}}, remote: "10.2.2.3", want: 403},
		{name: "require local", levels: []*model.Access{{Require: anyOf(leaf("local"))}}, remote: "127.0.0.1", want: 0},
		{name: "require local v6", levels: []*model.Access{{Require: anyOf(leaf("local"))}}, remote: "::1", want: 0},
		{name: "require local miss", levels: []*model.Access{{Require: anyOf(leaf("local"))}}, remote: "192.0.2.1", want: 403},
		{name: "require env", levels: []*model.Access{{Require: anyOf(leaf("env", "A", "B"))}}, env: map[string]string{"B": ""}, want: 0},
		{name: "require method GET covers HEAD", levels: []*model.Access{{Require: anyOf(leaf("method", "GET"))}}, method: "HEAD", want: 0},
		{name: "require method miss", levels: []*model.Access{{Require: anyOf(leaf("method", "GET"))}}, method: "POST", want: 403},
		{name: "valid-user no credentials", levels: []*model.Access{authBasic(anyOf(leaf("valid-user")))}, want: 401},
		{name: "valid-user good", levels: []*model.Access{authBasic(anyOf(leaf("valid-user")))}, auth: basic("md5user", "pw1"), want: 0, user: "md5user"},
		{name: "valid-user bad password", levels: []*model.Access{authBasic(anyOf(leaf("valid-user")))}, auth: basic("md5user", "nope"), want: 401,
			log: `AH01617: user md5user: authentication failure for "/x": Password Mismatch`},
		{name: "unknown user", levels: []*model.Access{authBasic(anyOf(leaf("valid-user")))}, auth: basic("nouser", "x"), want: 401, log: "AH01618: user nouser not found: /x"},
		{name: "wrong scheme", levels: []*model.Access{authBasic(anyOf(leaf("valid-user")))}, auth: "Bearer abc", want: 401, log: "AH01614: client used wrong authentication scheme: /x"},
		{name: "require user other", levels: []*model.Access{authBasic(anyOf(leaf("user", "bcuser")))}, auth: basic("md5user", "pw1"), want: 401, user: "md5user",
			log: `AH01631: user md5user: authorization failure for "/x": `},
		{name: "require group", levels: []*model.Access{authBasic(anyOf(leaf("group", "ops")))}, auth: basic("cryptuser", "pw4"), want: 0, user: "cryptuser"},
		{name: "require group miss", levels: []*model.Access{authBasic(anyOf(leaf("group", "ops")))}, auth: basic("md5user", "pw1"), want: 401, user: "md5user"},
		{name: "valid-user without AuthType", levels: []*model.Access{{Require: anyOf(leaf("valid-user"))}}, want: 500},
		{name: "AuthType without Require", levels: []*model.Access{{AuthType: "Basic", AuthName: "x"}}, want: 500,
			log: "AH01627: AuthType configured with no corresponding authorization directives"},
		{name: "missing AuthName", levels: []*model.Access{{AuthType: "Basic", AuthUserFile: testPasswd, Require: anyOf(leaf("valid-user"))}}, want: 500, log: "AH01615: need AuthName: /x"},
		{name: "missing user file", levels: []*model.Access{{AuthType: "Basic", AuthName: "r", Require: anyOf(leaf("valid-user"))}}, auth: basic("a", "b"), want: 500},
		{name: "unreadable user file", levels: []*model.Access{{AuthType: "Basic", AuthName: "r", AuthUserFile: "/nonexistent", Require: anyOf(leaf("valid-user"))}}, auth: basic("a", "b"), want: 500,
			log: "AH01620: Could not open password file: /nonexistent"},

		// RequireAll / RequireNone / not
		{name: "all: ip and not ip", levels: []*model.Access{{Require: anyOf(group("all", leaf("ip", "10.0.0.0/8"), not(leaf("ip", "10.9.0.0/16"))))}}, remote: "10.1.1.1", want: 0},
		{name: "all: excluded", levels: []*model.Access{{Require: anyOf(group("all", leaf("ip", "10.0.0.0/8"), not(leaf("ip", "10.9.0.0/16"))))}}, remote: "10.9.1.1", want: 403},
		{name: "all + none", levels: []*model.Access{{Require: anyOf(group("all", leaf("all", "granted"), group("none", leaf("ip", "192.0.2.0/24"))))}}, remote: "192.0.2.7", want: 403},
		{name: "all + none pass", levels: []*model.Access{{Require: anyOf(group("all", leaf("all", "granted"), group("none", leaf("ip", "192.0.2.0/24"))))}}, remote: "198.51.100.1", want: 0},
		{name: "any: ip or valid-user, ip", levels: []*model.Access{authBasic(anyOf(leaf("ip", "10.0.0.0/8"), leaf("valid-user")))}, remote: "10.0.0.1", want: 0},
		{name: "any: ip or valid-user, other ip", levels: []*model.Access{authBasic(anyOf(leaf("ip", "10.0.0.0/8"), leaf("valid-user")))}, remote: "192.0.2.1", want: 401},

		// AuthMerging
		{name: "merging off replaces", levels: []*model.Access{{Require: anyOf(leaf("all", "denied"))}, {Require: anyOf(leaf("all", "granted"))}}, want: 0},
		{name: "merging and", levels: []*model.Access{{Require: anyOf(leaf("ip", "10.0.0.0/8"))}, {Merge: "and", Require: anyOf(leaf("ip", "10.1.0.0/16"))}}, remote: "10.2.0.1", want: 403},
		{name: "merging or", levels: []*model.Access{{Require: anyOf(leaf("ip", "10.0.0.0/8"))}, {Merge: "or", Require: anyOf(leaf("ip", "192.0.2.0/24"))}}, remote: "10.2.0.1", want: 0},
		{name: "inherit when child has none", levels: []*model.Access{{Require: anyOf(leaf("all", "denied"))}, {AuthName: "x"}}, want: 403},

		// mod_access_compat (spec 6.2, verified cases)
		{name: "deny,allow deny all allow ip", levels: []*model.Access{{Order: "deny,allow", Deny: hosts("all"), Allow: hosts("127.0.0.1")}}, remote: "127.0.0.1", want: 0},
		{name: "deny,allow deny all allow ip other", levels: []*model.Access{{Order: "deny,allow", Deny: hosts("all"), Allow: hosts("127.0.0.1")}}, remote: "127.0.0.2", want: 403,
			log: "AH01797: client denied by server configuration: uri /x"},
		{name: "allow,deny allow all deny ip", levels: []*model.Access{{Order: "allow,deny", Allow: hosts("all"), Deny: hosts("127.0.0.1")}}, remote: "127.0.0.1", want: 403},
		{name: "allow,deny alone", levels: []*model.Access{{Order: "allow,deny"}}, want: 403},
		{name: "deny,allow alone", levels: []*model.Access{{Order: "deny,allow"}}, want: 0},
		{name: "mutual-failure", levels: []*model.Access{{Order: "mutual-failure", Allow: hosts("10.0.0.0/8"), Deny: hosts("10.1.0.0/16")}}, remote: "10.1.0.1", want: 403},
		{name: "mutual-failure pass", levels: []*model.Access{{Order: "mutual-failure", Allow: hosts("10.0.0.0/8"), Deny: hosts("10.1.0.0/16")}}, remote: "10.2.0.1", want: 0},
		{name: "env allow", levels: []*model.Access{{Order: "allow,deny", Allow: hosts("env=OK")}}, env: map[string]string{"OK": "1"}, want: 0},
		{name: "env negated", levels: []*model.Access{{Order: "allow,deny", Allow: hosts("env=!OK")}}, env: map[string]string{"OK": "1"}, want: 403},
		{name: "no merge: child list replaces", levels: []*model.Access{{Order: "deny,allow", Deny: hosts("all")}, {Allow: hosts("all")}}, want: 0},
		{name: "no merge: child order alone", levels: []*model.Access{{Allow: hosts("all")}, {Order: "allow,deny"}}, want: 403},

		// Satisfy and mixing (spec 6.1, 6.4)
		{name: "satisfy any, host ok, no prompt", levels: []*model.Access{{Order: "deny,allow", Deny: hosts("all"), Allow: hosts("127.0.0.1"), Satisfy: "any",
			AuthType: "Basic", AuthName: "r", AuthUserFile: testPasswd, Require: anyOf(leaf("valid-user"))}}, remote: "127.0.0.1", want: 0},
		{name: "satisfy all, host ok, prompt", levels: []*model.Access{{Order: "deny,allow", Deny: hosts("all"), Allow: hosts("127.0.0.1"),
			AuthType: "Basic", AuthName: "r", AuthUserFile: testPasswd, Require: anyOf(leaf("valid-user"))}}, remote: "127.0.0.1", want: 401},
		{name: "satisfy any, host denied, auth ok", levels: []*model.Access{{Order: "deny,allow", Deny: hosts("all"), Satisfy: "any",
			AuthType: "Basic", AuthName: "r", AuthUserFile: testPasswd, Require: anyOf(leaf("valid-user"))}}, auth: basic("bcuser", "pw2"), want: 0, user: "bcuser"},
		{name: "require denied + allow all", levels: []*model.Access{{Require: anyOf(leaf("all", "denied")), Order: "allow,deny", Allow: hosts("all")}}, want: 403},
		{name: "require granted + deny all", levels: []*model.Access{{Require: anyOf(leaf("all", "granted")), Deny: hosts("all")}}, want: 403},

		// <Limit> (spec 6.7) and the seed's .htaccess
		{name: "limit POST: GET open", levels: []*model.Access{{AuthType: "Basic", AuthName: "r", AuthUserFile: testPasswd,
			Limited: []*model.Access{{LimitMethods: []string{"POST"}, Require: anyOf(leaf("valid-user"))}}}}, method: "GET", want: 0},
		{name: "limit POST: POST prompts", levels: []*model.Access{{AuthType: "Basic", AuthName: "r", AuthUserFile: testPasswd,
			Limited: []*model.Access{{LimitMethods: []string{"POST"}, Require: anyOf(leaf("valid-user"))}}}}, method: "POST", want: 401},
		{name: "limitexcept GET: HEAD open", levels: []*model.Access{{AuthType: "Basic", AuthName: "r", AuthUserFile: testPasswd,
			Limited: []*model.Access{{LimitMethods: []string{"GET"}, LimitExcept: true, Require: anyOf(leaf("valid-user"))}}}}, method: "HEAD", want: 0},
		{name: "limitexcept GET: POST prompts", levels: []*model.Access{{AuthType: "Basic", AuthName: "r", AuthUserFile: testPasswd,
			Limited: []*model.Access{{LimitMethods: []string{"GET"}, LimitExcept: true, Require: anyOf(leaf("valid-user"))}}}}, method: "POST", want: 401},
		{name: "limit order per method", levels: []*model.Access{{Limited: []*model.Access{{LimitMethods: []string{"POST"}, Order: "allow,deny"}}}}, method: "GET", want: 0},
		{name: "limit order per method POST", levels: []*model.Access{{Limited: []*model.Access{{LimitMethods: []string{"POST"}, Order: "allow,deny"}}}}, method: "POST", want: 403},
		{name: "seed htaccess + location compat: GET", levels: []*model.Access{seed, compatOpen}, method: "GET", want: 401},
		{name: "seed htaccess + location compat: GET auth", levels: []*model.Access{seed, compatOpen}, method: "GET", auth: basic("md5user", "pw1"), want: 0, user: "md5user"},
		{name: "seed htaccess: DELETE not limited", levels: []*model.Access{seed, compatOpen}, method: "DELETE", want: 0},
	}
	c := &Checker{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := &Request{Method: "GET", URI: "/x", Authorization: tt.auth}
			if tt.method != "" {
				req.Method = tt.method
			}
			remote := tt.remote
			if remote == "" {
				remote = "192.0.2.200"
			}
			req.Remote = netip.MustParseAddr(remote)
			req.Local = netip.MustParseAddr("192.0.2.250")
			if tt.env != nil {
				req.Env = func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok }
			}
			res := c.Check(context.Background(), Compile(tt.levels...), req)
			if res.Status != tt.want {
				t.Fatalf("status = %d, want %d (log %q)", res.Status, tt.want, res.Log)
			}
			if res.User != tt.user {
				t.Errorf("user = %q, want %q", res.User, tt.user)
			}
			if tt.log != "" && res.Log != tt.log {
				t.Errorf("log = %q, want %q", res.Log, tt.log)
			}
			if res.Status == 401 {
				if got := res.Header.Get("WWW-Authenticate"); !strings.HasPrefix(got, `Basic realm="`) {
					t.Errorf("WWW-Authenticate = %q", got)
				}
			}
			if strings.Contains(res.Log, "pw1") || strings.Contains(res.Log, "nope") {
				t.Errorf("log leaks a password: %q", res.Log)
			}
		})
	}
}

func TestRequireHostDoubleReverse(t *testing.T) {
	c := &Checker{Resolver: Resolver{
		LookupAddr: func(_ context.Context, addr string) ([]string, error) {
			return map[string][]string{"192.0.2.1": {"www.example.org."}, "192.0.2.2": {"evil.example.org."}}[addr], nil
		},
		LookupHost: func(_ context.Context, host string) ([]string, error) {
			return map[string][]string{"www.example.org": {"192.0.2.1"}, "evil.example.org": {"198.51.100.1"}}[host], nil
		},
	}}
	p := Compile(&model.Access{Require: anyOf(leaf("host", "example.org"))})
	for ip, want := range map[string]int{"192.0.2.1": 0, "192.0.2.2": 403, "192.0.2.3": 403} {
		res := c.Check(context.Background(), p, &Request{Method: "GET", URI: "/", Remote: netip.MustParseAddr(ip)})
		if res.Status != want {
			t.Errorf("%s: status %d, want %d", ip, res.Status, want)
		}
	}
	for _, tt := range []struct {
		domain, host string
		want         bool
	}{{"example.org", "www.example.org", true}, {"example.org", "nogoodexample.org", false}, {".org", "x.org", true}, {"EXAMPLE.org", "example.ORG", true}} {
		if got := inDomain(tt.domain, tt.host); got != tt.want {
			t.Errorf("inDomain(%q,%q) = %v", tt.domain, tt.host, got)
		}
	}
}

func TestParseBasicAuth(t *testing.T) {
	tests := []struct {
		in, user, pw string
		ok           bool
	}{
		{basic("a", "b:c"), "a", "b:c", true},
		{"basic " + base64.StdEncoding.EncodeToString([]byte("u:p")), "u", "p", true},
		{"Basic    " + base64.StdEncoding.EncodeToString([]byte("u:p")), "u", "p", true},
		{"Basic " + base64.RawStdEncoding.EncodeToString([]byte("user:pw")), "user", "pw", true},
		{"Basic " + base64.StdEncoding.EncodeToString([]byte("u:p\x00rest")), "u", "p", true},
		{"Basic dTpw!garbage", "u", "p", true},
		{"Basic", "", "", true},
		{"Bearer abc", "", "", false},
		{"", "", "", false},
	}
	for _, tt := range tests {
		u, p, ok := ParseBasicAuth(tt.in)
		if u != tt.user || p != tt.pw || ok != tt.ok {
			t.Errorf("ParseBasicAuth(%q) = %q, %q, %v", tt.in, u, p, ok)
		}
	}
}

func FuzzParseBasicAuth(f *testing.F) {
	f.Add(basic("user", "pass"))
	f.Add("Basic =")
	f.Add("basic\tdTpw")
	f.Fuzz(func(t *testing.T, s string) {
		u, p, ok := ParseBasicAuth(s)
		if !ok && (u != "" || p != "") {
			t.Fatal("credentials from a refused header")
		}
		if strings.Contains(u, ":") || strings.ContainsRune(u+p, 0) {
			t.Fatalf("bad split %q %q", u, p)
		}
	})
}
