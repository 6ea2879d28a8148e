package directives

// LintCodes is the catalogue of the codes Lint reports (the stable part of
// every --check finding), each with a one-line description. Codes of Load
// (syntax, arguments, context, Apache's AHnnnnn warnings) are not listed.
var LintCodes = map[string]string{
	// ProxyPass order and mapping (spec 3.3, 3.4, 10.1, 10.3).
	"proxypass-shadowed":             "a ProxyPass/ProxyPassMatch can never match: an earlier rule matches every URL it matches",
	"proxypass-exclusion-shadowed":   "a `ProxyPass PATH !` exclusion comes after a rule that already matches PATH",
	"proxypass-shadowed-by-location": "a server-level ProxyPass is hidden by a <Location> ProxyPass, which is always tried first",
	"proxypass-slash":                "exactly one of the ProxyPass path and URL ends with '/' (500s or //path)",
	"member-slash":                   "a BalancerMember URL ends with '/' (backends receive //path)",
	"proxypass-no-reverse":           "no ProxyPassReverse rewrites redirects of a plain ProxyPass target",
	"member-no-reverse":              "no ProxyPassReverse rewrites redirects of a balancer member",
	"reverse-balancer-unknown":       "a ProxyPassReverse names a balancer that does not exist (it rewrites nothing)",
	"handler-proxied":                "a ProxyPass matches a <Location> with SetHandler, so the handler never runs",
	"proxypassinherit-off":           "ProxyPassInherit Off: Apache 2.4 still applies the main server's ProxyPass rules",
	"proxy-requests-on":              "ProxyRequests On makes the server an open forward proxy",

	// Balancers and stickiness (spec 3.6, 4.6, 4.9, 10.11, 10.15).
	"balancer-undefined":      "a ProxyPass or RewriteRule [P] sends to a balancer without members (503 for every request)",
	"balancer-unused":         "a balancer with members that nothing sends requests to",
	"route-duplicate":         "two members of a balancer have the same route",
	"sticky-no-routes":        "stickysession is set but no member has a route",
	"member-no-route":         "a member of a sticky balancer has no route",
	"routes-no-sticky":        "members have routes but the balancer has no stickysession",
	"nofailover-no-routes":    "nofailover=On without member routes",
	"sticky-session-id":       "stickysession names a plain session-id cookie (PHPSESSID...) that never carries a route",
	"manager-nonce-none":      "nonce=None makes balancer-manager read-only (Apache 2.4.50+)",
	"sticky-cookie-separator": "a `Header ... Set-Cookie` route cookie lacks the separator before %{BALANCER_WORKER_ROUTE}e",

	// Backend cross-check (--backend).
	"sticky-cookie-unset":     "no backend sets the balancer's stickysession cookie",
	"sticky-cookie-no-route":  "a backend's sticky cookie value has no separator, so it carries no route",
	"sticky-route-unknown":    "a backend's sticky cookie gives a route no member has",
	"member-route-mismatch":   "a member's route differs from the route its own backend (matched by ServerName) sets",
	"member-route-unset":      "no backend sets a member's route",
	"sticky-cookie-domain":    "a backend's sticky cookie domain does not cover the load balancer's names",
	"backend-cookie-inactive": "a backend's cookie RewriteRule runs where RewriteEngine is not On",

	// balancer-manager and access control (spec 5, 6).
	"manager-unprotected":  "balancer-manager reachable without authentication or IP restriction",
	"manager-proxied":      "a ProxyPass sends the balancer-manager URL to the backends",
	"htaccess-ignored":     "an .htaccess on the manager's path is ignored (AllowOverride None)",
	"htaccess-not-allowed": "an .htaccess on the manager's path holds directives AllowOverride does not permit (500)",
	"auth-no-name":         "AuthType without AuthName (500, AH01615)",
	"auth-no-userfile":     "AuthType Basic with the file provider but no AuthUserFile (500, AH01619)",
	"access-mixed":         "Require and Order/Allow/Deny in one section",
	"access-compat":        "Apache 2.2 Order/Allow/Deny, with the 2.4 equivalent",
	"limit-require":        "Require inside <Limit> leaves the other methods open (2.2 idiom)",

	// Password files (spec 6.6).
	"htpasswd-missing":          "the AuthUserFile does not exist",
	"htpasswd-unreadable":       "the AuthUserFile cannot be read",
	"htpasswd-plaintext":        "an unhashed password, which Apache on Unix never accepts",
	"htpasswd-unsupported-hash": "a hash Apache does not accept ({SSHA})",
	"htpasswd-unverifiable":     "a hash balancerd cannot verify (DES crypt)",
	"htpasswd-duplicate-user":   "a user listed twice (only the first entry counts)",
	"htpasswd-malformed":        "a line that is not user:hash",
	"htpasswd-empty":            "a password file without entries",

	// mod_rewrite and syntax traps (spec 7.1, 7.3, 10.33, 10.38).
	"rewrite-unescaped":    "$N/%N in a substitution refers to a group that does not exist (write \\% for a literal %)",
	"co-empty-field":       "a CO flag with an empty field (Apache shifts the later fields)",
	"co-lifetime":          "a CO flag lifetime that is not a number of minutes",
	"trailing-comment":     "a '#' after a directive's arguments is taken as more arguments",
	"comment-continuation": "a comment line ending in '\\' swallows the next line",
}
