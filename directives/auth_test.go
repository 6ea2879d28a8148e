package directives

import (
	"strings"
	"testing"

	"github.com/balancerd/balancerd/directives/model"
	"github.com/balancerd/balancerd/parser"
)

// Messages observed with apache2 -t (2.4.67, Debian) for each line.
func TestAccessDirectiveErrors(t *testing.T) {
	loc := func(body string) string { return "<Location /x>\n" + body + "\n</Location>\n" }
	runDiagCases(t, parser.Error, []diagCase{
		{name: "require all foo", src: loc("Require all foo"), line: 2, msg: "Argument for 'Require all' must be 'granted' or 'denied'"},
		{name: "require all", src: loc("Require all"), line: 2, msg: "Argument for 'Require all' must be 'granted' or 'denied'"},
		{name: "require empty", src: loc("Require"), line: 2, msg: "Unknown Authz provider: "},
		{name: "require unknown", src: loc("Require foo bar"), line: 2, msg: "Unknown Authz provider: foo"},
		{name: "provider case", src: loc("Require All granted"), line: 2, msg: "Unknown Authz provider: All"},
		{name: "provider case 2", src: loc("Require Valid-User"), line: 2, msg: "Unknown Authz provider: Valid-User"},
		{name: "NOT is negation", src: loc("Require NOT ip 1.2.3.4"), line: 2, msg: "negative Require directive has no effect in <RequireAny> directive"},
		{name: "provider on", src: loc("AuthBasicProvider on"), line: 2, msg: "Unknown Authn provider: on"},
		{name: "require not not", src: loc("Require not not all granted"), line: 2, msg: "Unknown Authz provider: not"},
		{name: "require ip foo", src: loc("Require ip foo"), line: 2, msg: "ip address 'foo' appears to be invalid"},
		{name: "require ip none", src: loc("Require ip"), line: 2, msg: "'require ip' requires an argument"},
		{name: "require ip mask", src: loc("Require ip 10.0.0.0/99"), line: 2, msg: "ip address '10.0.0.0/99' appears to be invalid: The specified network mask is invalid."},
		{name: "require method get", src: loc("Require method get"), line: 2, msg: "Invalid Method 'get'"},
		{name: "negative at top", src: loc("Require not valid-user"), line: 2, msg: "negative Require directive has no effect in <RequireAny> directive"},
		{name: "negative in any", src: loc("<RequireAny>\nRequire not valid-user\n</RequireAny>"), line: 3, msg: "negative Require directive has no effect in <RequireAny> directive"},
		{name: "negative in none", src: loc("<RequireNone>\nRequire not valid-user\n</RequireNone>"), line: 3, msg: "negative Require directive has no effect in <RequireNone> directive"},
		{name: "none at top", src: loc("<RequireNone>\nRequire host x\n</RequireNone>"), line: 2, msg: "<RequireNone> directive has no effect in <RequireAny> directive"},
		{name: "empty all", src: loc("<RequireAll>\n</RequireAll>"), line: 2, msg: "<RequireAll> directive contains no authorization directives"},
		{name: "all args", src: loc("<RequireAll foo>\nRequire all granted\n</RequireAll>"), line: 2, msg: "<RequireAll> directive doesn't take additional arguments"},
		{name: "all only negative", src: loc("<RequireAll>\nRequire not valid-user\n</RequireAll>"), line: 2, msg: "AH01624: <RequireAll> directive contains only negative authorization directives"},
		{name: "require expr bad", src: loc("Require expr \"foo\""), line: 2, msg: "Cannot parse expression in require line: ", prefix: true},
		{name: "require ldap unsupported", src: loc("Require ldap-user a"), line: 2, msg: "Require ldap-user: this authorization provider (mod_authnz_ldap)", prefix: true},
		{name: "require at top level", src: "Require all granted\n", line: 1, msg: "Require not allowed here"},
		{name: "authmerging", src: loc("AuthMerging xx"), line: 2, msg: "AuthMerging must be one of: Off | And | Or"},
		{name: "provider ldap", src: loc("AuthBasicProvider ldap"), line: 2, msg: "AuthBasicProvider ldap (mod_authnz_ldap) is not supported", prefix: true},
		{name: "provider unknown", src: loc("AuthBasicProvider file foo"), line: 2, msg: "Unknown Authn provider: foo"},
		{name: "authtype digest", src: loc("AuthType Digest"), line: 2, msg: "AuthType Digest is not supported by balancerd", prefix: true},
		// Apache prints authn_core's help ("the authentication realm ..."); the
		// registry's text comes from mod_auth_digest, so only the prefix is checked.
		{name: "authname args", src: loc("AuthName a b"), line: 2, msg: `AuthName takes one argument, `, prefix: true},
		{name: "authuserfile none", src: loc("AuthUserFile"), line: 2, msg: "AuthUserFile takes one argument, text file containing user IDs and passwords"},
		{name: "satisfy", src: loc("Satisfy foo"), line: 2, msg: "Satisfy either 'any' or 'all'."},
		{name: "order space", src: loc("Order deny, allow"), line: 2, msg: "order takes one argument, 'allow,deny', 'deny,allow', or 'mutual-failure'"},
		{name: "order unknown", src: loc("Order foo"), line: 2, msg: "unknown order"},
		{name: "allow comment", src: loc("Allow from 10.0.0.1 #x"), line: 2, msg: "No comments are allowed here"},
		{name: "allow to", src: loc("Allow to all"), line: 2, msg: "allow and deny must be followed by 'from'"},
		{name: "allow missing from", src: loc("Allow 10.0.0.1"), line: 2, msg: "allow requires at least two arguments, 'from' followed by hostnames or IP-address wildcards"},
		{name: "deny mask", src: loc("Deny from 10.0.0.0/33"), line: 2, msg: "The specified network mask is invalid."},
		{name: "order at top", src: "Order allow,deny\n", line: 1, msg: "order not allowed here"},
		{name: "limit empty", src: loc("<Limit>\n</Limit>"), line: 2, msg: "<Limit> directive requires additional arguments"},
		{name: "limit trace", src: loc("<Limit TRACE>\n</Limit>"), line: 2, msg: "TRACE cannot be controlled by <Limit>, see TraceEnable"},
		{name: "limit excludes all", src: loc("<Limit GET>\n<Limit POST>\n</Limit>\n</Limit>"), line: 3, msg: "<Limit> directive excludes all methods"},
		{name: "limit same", src: loc("<Limit GET>\n<Limit GET>\n</Limit>\n</Limit>"), line: 3, msg: "<Limit> directive specifies methods already excluded"},
		{name: "limitexcept inside limit", src: loc("<Limit GET>\n<LimitExcept POST>\n</LimitExcept>\n</Limit>"), line: 3, msg: "<LimitExcept> directive specifies methods already excluded"},
		{name: "limit at top", src: "<Limit GET>\nRequire all granted\n</Limit>\n", line: 1, msg: "<Limit not allowed here"},
	})
	runDiagCases(t, parser.Error, []diagCase{
		{name: "accepted forms", src: loc("Require host\nRequire local foo\nRequire method\nRequire env\nRequire user\nRequire valid-user foo\n" +
			"Require expr \"%{REQUEST_URI} =~ m#^/a# && -R '10.0.0.0/8'\"\nRequire expr %{HTTP_HOST} == 'x'\n" +
			"AuthType Basic\nAuthType None\nDeny from 10.0.0.0/255.0.255.0\nDeny from env=\n<LimitExcept TRACE>\n</LimitExcept>\n" +
			"<Limit GET POST>\n<Limit GET>\nRequire all granted\n</Limit>\n</Limit>\n<RequireAll>\n<RequireNone>\nRequire ip 10.1\n</RequireNone>\nRequire all granted\n</RequireAll>")},
	})
}

func locAccess(t *testing.T, src string) *model.Access {
	t.Helper()
	cfg, diags := loadText(t, src)
	if diags.HasErrors() {
		t.Fatalf("errors: %v", diags)
	}
	for _, l := range cfg.Main.Locations {
		if l.Dir != nil && l.Dir.Access != nil {
			return l.Dir.Access
		}
	}
	t.Fatalf("no Location access in model")
	return nil
}

func TestAccessModel(t *testing.T) {
	a := locAccess(t, `<Location /balancer-manager>
AuthType basic
AuthName "Members Only"
AuthUserFile conf/htpasswd
AuthMerging And
<limit GET PUT POST>
require valid-user
Order allow,deny
Allow from 10.1 192.168.0.0/255.255.0.0 .example.org env=!BAD
Satisfy any
</limit>
<RequireAll>
Require ip 10.0.0.0/8
<RequireNone>
Require ip 10.9
</RequireNone>
</RequireAll>
Deny from all
</Location>
`)
	if a.AuthType != "Basic" || a.AuthName != "Members Only" || !strings.HasSuffix(a.AuthUserFile, "/conf/htpasswd") || a.Merge != "and" {
		t.Errorf("auth fields %+v", a)
	}
	if len(a.Limited) != 1 {
		t.Fatalf("limited %d", len(a.Limited))
	}
	l := a.Limited[0]
	if strings.Join(l.LimitMethods, ",") != "GET,POST,PUT" || l.LimitExcept {
		t.Errorf("limit methods %v %v", l.LimitMethods, l.LimitExcept)
	}
	if l.Require == nil || len(l.Require.Children) != 1 || l.Require.Children[0].Provider != "valid-user" {
		t.Errorf("limited require %+v", l.Require)
	}
	if l.Order != "allow,deny" || l.Satisfy != "any" || len(l.Allow) != 4 {
		t.Errorf("limited compat %+v", l)
	}
	if l.Allow[0].CIDR != "10.1.0.0/16" || l.Allow[1].CIDR != "192.168.0.0/16" || l.Allow[2].Host != ".example.org" || l.Allow[3].Env != "BAD" || !l.Allow[3].NegateEnv {
		t.Errorf("allow list %+v", l.Allow)
	}
	if len(a.Deny) != 1 || !a.Deny[0].All {
		t.Errorf("deny %+v", a.Deny)
	}
	root := a.Require
	if root == nil || root.Kind != "any" || len(root.Children) != 1 {
		t.Fatalf("root %+v", root)
	}
	all := root.Children[0]
	if all.Kind != "all" || len(all.Children) != 2 || all.Children[1].Kind != "none" || all.Children[1].Children[0].Args[0] != "10.9" {
		t.Errorf("tree %+v", all)
	}
}

func TestLimitExceptNested(t *testing.T) {
	a := locAccess(t, "<Location /x>\n<LimitExcept GET>\n<LimitExcept POST>\nRequire valid-user\n</LimitExcept>\n</LimitExcept>\n</Location>\n")
	if len(a.Limited) != 2 {
		t.Fatalf("limited %d", len(a.Limited))
	}
	in := a.Limited[1]
	if !in.LimitExcept || strings.Join(in.LimitMethods, ",") != "GET,POST" {
		t.Errorf("inner %v except=%v", in.LimitMethods, in.LimitExcept)
	}
	a = locAccess(t, "<Location /x>\n<Limit GET HEAD POST>\n<LimitExcept POST>\nRequire valid-user\n</LimitExcept>\n</Limit>\n</Location>\n")
	if in := a.Limited[1]; in.LimitExcept || strings.Join(in.LimitMethods, ",") != "GET" {
		t.Errorf("inner %v except=%v", in.LimitMethods, in.LimitExcept)
	}
}

func TestHeaderInsideLimitNotLimited(t *testing.T) {
	cfg, diags := loadText(t, "<Location /x>\n<Limit POST>\nHeader always set X-A b\nRequire valid-user\n</Limit>\n</Location>\n")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	d := cfg.Main.Locations[0].Dir
	if len(d.Headers) != 1 || d.Headers[0].Condition != "always" {
		t.Errorf("headers %+v", d.Headers)
	}
}
