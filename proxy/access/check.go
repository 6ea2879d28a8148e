package access

import (
	"context"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Request is what the access phases look at.
type Request struct {
	Method string
	// Remote is the client address; Local the address the connection was
	// accepted on (for "Require local").
	Remote, Local netip.Addr
	// URI is r->uri for log messages; Filename the file or "proxy:URL"
	// Apache names in denials (falls back to "uri "+URI when empty).
	URI, Filename string
	// Authorization is the Authorization header value ("" if absent).
	Authorization string
	// Env looks up the request environment (SetEnvIf, rewrite E=, ...).
	// Nil means an empty environment.
	Env func(name string) (string, bool)
	// Header holds the request headers (for Require expr); may be nil.
	Header http.Header
	// Vars answers Require expr's %{NAME} server variables
	// (REQUEST_URI, HTTP_HOST, QUERY_STRING, ...); nil leaves only those
	// Request itself knows (REMOTE_ADDR, REQUEST_METHOD, REQUEST_URI).
	Vars func(name string) string
}

// FromHTTP fills a Request from an incoming *http.Request.
func FromHTTP(r *http.Request) Request {
	req := Request{Method: r.Method, URI: r.URL.Path, Authorization: r.Header.Get("Authorization"), Header: r.Header}
	req.Vars = func(name string) string { return httpVar(r, name) }
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		req.Remote = ap.Addr().Unmap()
	} else if a, err := netip.ParseAddr(r.RemoteAddr); err == nil {
		req.Remote = a.Unmap()
	}
	if la, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		if ap, err := netip.ParseAddrPort(la.String()); err == nil {
			req.Local = ap.Addr().Unmap()
		}
	}
	return req
}

// Result is an access decision.
type Result struct {
	// Status is 0 when the request may proceed, else 401, 403 or 500.
	Status int
	// User is the authenticated user, "" if none.
	User string
	// Header holds headers to add to the error response
	// (WWW-Authenticate on 401).
	Header http.Header
	// Log is the error-log message Apache writes for this decision
	// (AH01630, AH01797, AH01617, ...), "" if none. It never contains a
	// password.
	Log string
}

// Resolver looks up host names for "Require host", "Allow from
// example.org" and "Require forward-dns". Nil fields mean the lookup
// fails (the host rules then never match).
type Resolver struct {
	LookupAddr func(ctx context.Context, addr string) ([]string, error)
	LookupHost func(ctx context.Context, host string) ([]string, error)
}

// DefaultResolver uses the system resolver.
var DefaultResolver = Resolver{LookupAddr: net.DefaultResolver.LookupAddr, LookupHost: net.DefaultResolver.LookupHost}

// Checker evaluates policies. The zero value works (no DNS lookups, a
// private file cache); it is safe for concurrent use.
type Checker struct {
	Resolver Resolver
	Files    FileCache
	// ForbiddenOnFailure is AuthzSendForbiddenOnFailure: 403 instead of
	// 401 when an authenticated user is not authorized.
	ForbiddenOnFailure bool
}

type authz int

const (
	azNeutral authz = iota
	azGranted
	azDenied
	azDeniedNoUser
	azError
)

// evalCtx carries one request through the Require tree.
type evalCtx struct {
	c    *Checker
	p    *Policy
	req  *Request
	user string
	// remote host name after double-reverse lookup, resolved once.
	host     string
	hostDone bool
	ctx      context.Context
}

func (e *evalCtx) env(name string) bool {
	if e.req.Env == nil {
		return false
	}
	_, ok := e.req.Env(name)
	return ok
}

// remoteHost returns the double-reverse-resolved client host name, "" if
// it has none.
func (e *evalCtx) remoteHost() string {
	if e.hostDone {
		return e.host
	}
	e.hostDone = true
	r := e.c.Resolver
	if r.LookupAddr == nil || r.LookupHost == nil || !e.req.Remote.IsValid() {
		return ""
	}
	names, err := r.LookupAddr(e.ctx, e.req.Remote.String())
	if err != nil || len(names) == 0 {
		return ""
	}
	name := strings.TrimSuffix(names[0], ".")
	addrs, err := r.LookupHost(e.ctx, name)
	if err != nil {
		return ""
	}
	for _, a := range addrs {
		if ip, err := netip.ParseAddr(a); err == nil && ip.Unmap() == e.req.Remote {
			e.host = strings.ToLower(name)
			return e.host
		}
	}
	return ""
}

// inDomain is mod_authz_host's in_domain: what ends with domain at a
// label boundary (case-insensitive).
func inDomain(domain, what string) bool {
	dl, wl := len(domain), len(what)
	if wl < dl || !strings.EqualFold(domain, what[wl-dl:]) {
		return false
	}
	return wl == dl || domain[0] == '.' || what[wl-dl-1] == '.'
}

func (e *evalCtx) provider(n *node) authz {
	switch n.provider {
	case "all":
		if len(n.args) > 0 && n.args[0] == "granted" {
			return azGranted
		}
		return azDenied
	case "ip":
		for _, m := range n.ips {
			if m.Contains(e.req.Remote) {
				return azGranted
			}
		}
		return azDenied
	case "local":
		r := e.req.Remote
		if r.IsLoopback() || (e.req.Local.IsValid() && r == e.req.Local) {
			return azGranted
		}
		return azDenied
	case "host":
		h := e.remoteHost()
		if h == "" {
			return azDenied
		}
		for _, d := range n.args {
			if inDomain(d, h) {
				return azGranted
			}
		}
		return azDenied
	case "forward-dns":
		if e.c.Resolver.LookupHost == nil {
			return azDenied
		}
		for _, name := range n.args {
			addrs, err := e.c.Resolver.LookupHost(e.ctx, name)
			if err != nil {
				continue
			}
			for _, a := range addrs {
				if ip, err := netip.ParseAddr(a); err == nil && ip.Unmap() == e.req.Remote {
					return azGranted
				}
			}
		}
		return azDenied
	case "expr":
		if n.expr == nil {
			return azError
		}
		if n.wantUser && e.user == "" {
			return azDeniedNoUser
		}
		if n.expr.Eval(exprVars{e}) {
			return azGranted
		}
		return azDenied
	case "env":
		for _, v := range n.args {
			if e.env(v) {
				return azGranted
			}
		}
		return azDenied
	case "method":
		for _, m := range n.args {
			if normMethod(m) == normMethod(e.req.Method) {
				return azGranted
			}
		}
		return azDenied
	case "valid-user":
		if e.user == "" {
			return azDeniedNoUser
		}
		return azGranted
	case "user":
		if e.user == "" {
			return azDeniedNoUser
		}
		for _, u := range n.args {
			if u == e.user {
				return azGranted
			}
		}
		return azDenied
	case "group":
		if e.user == "" {
			return azDeniedNoUser
		}
		if e.p.GroupFile == "" {
			return azError
		}
		groups, err := e.c.Files.groupsOf(e.p.GroupFile)
		if err != nil {
			return azError
		}
		for _, g := range n.args {
			if groups[g][e.user] {
				return azGranted
			}
		}
		return azDenied
	}
	// An unknown provider cannot come from the directives package; deny.
	return azDenied
}

// apply is mod_authz_core's apply_authz_sections.
func (e *evalCtx) apply(n *node, parentAnd bool) authz {
	if !n.methods.has(e.req.Method) {
		if parentAnd {
			return azGranted
		}
		return azNeutral
	}
	var res authz
	if n.kind == "require" {
		res = e.provider(n)
		if res == azError {
			return res
		}
	} else {
		and := n.kind == "all"
		res = azNeutral
		for _, c := range n.children {
			cr := e.apply(c, and)
			if cr == azError {
				return cr
			}
			if cr == azNeutral {
				continue
			}
			if and {
				if cr == azDenied {
					res = cr
					break
				}
				if (cr == azDeniedNoUser && res != azDenied) || res == azNeutral {
					res = cr
				}
			} else {
				if cr == azGranted {
					res = cr
					break
				}
				if (cr == azDeniedNoUser && res == azDenied) || res == azNeutral {
					res = cr
				}
			}
		}
	}
	if n.negate || n.kind == "none" {
		switch res {
		case azGranted:
			res = azDenied
		case azDenied, azDeniedNoUser:
			res = azNeutral
		}
	}
	return res
}

// hostMatches is mod_access_compat's find_allowdeny.
func (e *evalCtx) hostMatches(rules []hostRule) bool {
	for _, r := range rules {
		if !r.methods.has(e.req.Method) {
			continue
		}
		switch {
		case r.All:
			return true
		case r.Env != "":
			if e.env(r.Env) != r.NegateEnv {
				return true
			}
		case r.ip != nil:
			if r.ip.Contains(e.req.Remote) {
				return true
			}
		case r.Host != "":
			if h := e.remoteHost(); h != "" && inDomain(r.Host, h) {
				return true
			}
		}
	}
	return false
}

// compatAllows is mod_access_compat's check_dir_access.
func (e *evalCtx) compatAllows() bool {
	switch e.p.orderFor(e.req.Method) {
	case "allow,deny":
		ok := e.hostMatches(e.p.allow)
		if e.hostMatches(e.p.deny) {
			ok = false
		}
		return ok
	case "mutual-failure":
		return e.hostMatches(e.p.allow) && !e.hostMatches(e.p.deny)
	default:
		ok := true
		if e.hostMatches(e.p.deny) {
			ok = false
		}
		if e.hostMatches(e.p.allow) {
			ok = true
		}
		return ok
	}
}

func (req *Request) target() string {
	if req.Filename != "" {
		return req.Filename
	}
	return "uri " + req.URI
}

func internalError(log string) Result {
	return Result{Status: http.StatusInternalServerError, Log: log}
}

// Check runs the access phases of ap_process_request_internal for req
// under policy p.
func (c *Checker) Check(ctx context.Context, p *Policy, req *Request) Result {
	if p.Empty() {
		return Result{}
	}
	e := &evalCtx{c: c, p: p, req: req, ctx: ctx}
	if p.satisfyAny(req.Method) {
		if e.compatAllows() {
			return Result{}
		}
	} else if !e.compatAllows() {
		return Result{Status: http.StatusForbidden, Log: "AH01797: client denied by server configuration: " + req.target()}
	}

	// access_checker_ex: Require without a user.
	if p.root == nil {
		if p.AuthType != "" {
			return internalError("AH01627: AuthType configured with no corresponding authorization directives")
		}
		return Result{}
	}
	switch e.apply(p.root, true) {
	case azGranted:
		return Result{}
	case azDeniedNoUser:
	case azError:
		return internalError("AH01629: authorization failure (general error) for " + req.URI)
	default:
		return Result{Status: http.StatusForbidden, Log: "AH01630: client denied by server configuration: " + req.target()}
	}

	// check_user_id: Basic authentication.
	user, res := c.authenticate(p, req)
	if res.Status != 0 {
		return res
	}
	// auth_checker: Require with the user.
	e.user = user
	switch e.apply(p.root, true) {
	case azGranted:
		return Result{User: user}
	case azError:
		return internalError("AH01629: authorization failure (general error) for " + req.URI)
	}
	log := fmt.Sprintf("AH01631: user %s: authorization failure for \"%s\": ", user, req.URI)
	if c.ForbiddenOnFailure {
		return Result{Status: http.StatusForbidden, User: user, Log: log}
	}
	return Result{Status: http.StatusUnauthorized, User: user, Log: log, Header: challenge(p)}
}

// challenge is note_basic_auth_failure's header.
func challenge(p *Policy) http.Header {
	return http.Header{"Www-Authenticate": {`Basic realm="` + p.AuthName + `"`}}
}

// authenticate is mod_auth_basic's authenticate_basic_user with
// mod_authn_file.
func (c *Checker) authenticate(p *Policy, req *Request) (string, Result) {
	if !strings.EqualFold(p.AuthType, "Basic") {
		return "", internalError("AH00027: No authentication done but request not allowed without authentication for " + req.URI + ". Authentication not configured?")
	}
	if p.AuthName == "" {
		return "", internalError("AH01615: need AuthName: " + req.URI)
	}
	deny := func(log string) (string, Result) {
		return "", Result{Status: http.StatusUnauthorized, Header: challenge(p), Log: log}
	}
	if req.Authorization == "" {
		return deny("")
	}
	user, pw, ok := ParseBasicAuth(req.Authorization)
	if !ok {
		return deny("AH01614: client used wrong authentication scheme: " + req.URI)
	}
	if p.UserFile == "" {
		return "", internalError("AH01619: AuthUserFile not specified in the configuration")
	}
	switch c.Files.checkPassword(p.UserFile, user, pw) {
	case authGranted:
		return user, Result{}
	case authUserNotFound:
		return deny(fmt.Sprintf("AH01618: user %s not found: %s", user, req.URI))
	case authDenied:
		return deny(fmt.Sprintf("AH01617: user %s: authentication failure for \"%s\": Password Mismatch", user, req.URI))
	}
	return "", internalError("AH01620: Could not open password file: " + p.UserFile)
}

// b64 maps base64 characters to their values; 64 marks anything else.
var b64 = func() (t [256]byte) {
	for i := range t {
		t[i] = 64
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for i := 0; i < len(alphabet); i++ {
		t[alphabet[i]] = byte(i)
	}
	return t
}()

// aprBase64Decode decodes like apr_base64_decode: it stops at the first
// character outside the alphabet (padding included) and decodes what came
// before, ignoring a lone trailing sextet.
func aprBase64Decode(s string) []byte {
	n := 0
	for n < len(s) && b64[s[n]] < 64 {
		n++
	}
	s = s[:n]
	full := n / 4 * 4
	out, _ := base64.RawStdEncoding.DecodeString(s[:full])
	rest := s[full:]
	switch len(rest) {
	case 2:
		out = append(out, b64[rest[0]]<<2|b64[rest[1]]>>4)
	case 3:
		out = append(out, b64[rest[0]]<<2|b64[rest[1]]>>4, b64[rest[1]]<<4|b64[rest[2]]>>2)
	}
	return out
}

// ParseBasicAuth splits an Authorization header value as mod_auth_basic's
// get_basic_auth: the scheme (up to the first space) must be "Basic"
// (case-insensitive); the credentials are decoded leniently; user is the
// text before the first ':', password the rest. A NUL ends the decoded
// string, as in C. ok is false for another scheme.
func ParseBasicAuth(v string) (user, pw string, ok bool) {
	scheme, rest, _ := strings.Cut(v, " ")
	if !strings.EqualFold(scheme, "Basic") {
		return "", "", false
	}
	rest = strings.TrimLeft(rest, " \t")
	dec := aprBase64Decode(rest)
	if i := strings.IndexByte(string(dec), 0); i >= 0 {
		dec = dec[:i]
	}
	user, pw, _ = strings.Cut(string(dec), ":")
	return user, pw, true
}

// exprVars exposes a request to Require expr.
type exprVars struct{ e *evalCtx }

func (v exprVars) Var(name string) string {
	r := v.e.req
	switch name {
	case "REMOTE_ADDR":
		return r.Remote.String()
	case "REQUEST_METHOD":
		return r.Method
	case "REQUEST_URI":
		return r.URI
	case "REMOTE_USER":
		return v.e.user
	case "HTTP_HOST":
		return v.Header("Host")
	}
	if r.Vars != nil {
		return r.Vars(name)
	}
	return ""
}

func (v exprVars) Header(name string) string {
	if v.e.req.Header == nil {
		return ""
	}
	return strings.Join(v.e.req.Header.Values(name), ", ")
}

func (v exprVars) Env(name string) string {
	if v.e.req.Env == nil {
		return ""
	}
	s, _ := v.e.req.Env(name)
	return s
}

// httpVar answers the server variables ap_expr knows from an *http.Request.
func httpVar(r *http.Request, name string) string {
	switch name {
	case "HTTP_HOST":
		return r.Host
	case "QUERY_STRING":
		return r.URL.RawQuery
	case "REQUEST_SCHEME":
		if r.TLS != nil {
			return "https"
		}
		return "http"
	case "HTTPS":
		if r.TLS != nil {
			return "on"
		}
		return "off"
	case "SERVER_PROTOCOL":
		return r.Proto
	case "THE_REQUEST":
		return r.Method + " " + r.RequestURI + " " + r.Proto
	case "SERVER_NAME":
		h := r.Host
		if host, _, err := net.SplitHostPort(h); err == nil {
			h = host
		}
		return h
	case "REMOTE_PORT":
		_, p, _ := net.SplitHostPort(r.RemoteAddr)
		return p
	}
	return ""
}
