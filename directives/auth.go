package directives

// Authentication directives (mod_auth_basic, mod_authn_core, mod_authn_file,
// mod_authz_core's AuthMerging):
//
//	AuthType None|Basic|Digest|Form
//	AuthName realm
//	AuthUserFile file-path
//	AuthGroupFile file-path
//	AuthBasicProvider provider-name [provider-name] ...
//	AuthMerging Off|And|Or
//
// They land in the model.Access of the current scope. Inside <Limit> they
// are not method-limited (spec 6.7), so they always go to the scope's own
// Access.

import (
	"fmt"
	"path/filepath"
	"strings"
	"sync"

	"github.com/balancerd/balancerd/directives/model"
	"github.com/balancerd/balancerd/parser"
)

func init() {
	Implement("AuthType", applyAuthType)
	Implement("AuthName", applyAuthName)
	Implement("AuthUserFile", applyAuthUserFile)
	Implement("AuthGroupFile", applyAuthGroupFile)
	Implement("AuthBasicProvider", applyAuthBasicProvider)
	Implement("AuthMerging", applyAuthMerging)
}

// authState is the per-Builder state of open <Limit> and <Require*>
// sections. It exists only while such a section is being walked.
type authState struct {
	limits []*authLimit
	reqs   []*model.RequireNode
}

type authLimit struct {
	access  *model.Access
	methods methodSet
}

var (
	authStatesMu sync.Mutex
	authStates   = map[*Builder]*authState{}
)

func authStateOf(b *Builder) *authState {
	authStatesMu.Lock()
	defer authStatesMu.Unlock()
	return authStates[b]
}

// pushAuthState returns the Builder's state, creating it if needed; the
// returned func drops the state again once it is empty.
func pushAuthState(b *Builder) (*authState, func()) {
	authStatesMu.Lock()
	st := authStates[b]
	if st == nil {
		st = &authState{}
		authStates[b] = st
	}
	authStatesMu.Unlock()
	return st, func() {
		authStatesMu.Lock()
		if len(st.limits) == 0 && len(st.reqs) == 0 {
			delete(authStates, b)
		}
		authStatesMu.Unlock()
	}
}

// scopeAccess returns the Access of the Builder's scope, creating it.
func scopeAccess(b *Builder, d *parser.Directive) *model.Access {
	if b.Dir == nil {
		b.Dir = &model.DirConfig{}
	}
	if b.Dir.Access == nil {
		b.Dir.Access = &model.Access{Source: source(d)}
	}
	return b.Dir.Access
}

// limitedAccess returns the Access that method-limited directives (Require,
// Order, Allow, Deny, Satisfy) write to: the innermost <Limit>'s, else the
// scope's.
func limitedAccess(b *Builder, d *parser.Directive) *model.Access {
	if st := authStateOf(b); st != nil && len(st.limits) > 0 {
		return st.limits[len(st.limits)-1].access
	}
	return scopeAccess(b, d)
}

func applyAuthType(b *Builder, d *parser.Directive) error {
	v := d.Args[0].Value
	a := scopeAccess(b, d)
	switch strings.ToLower(v) {
	case "none":
		// Kept as "None" so that it overrides an inherited AuthType.
		a.AuthType = "None"
	case "basic":
		a.AuthType = "Basic"
	case "digest", "form":
		// Apache accepts any word here; it only matters when a module
		// answers for it. Digest and Form authentication are not
		// implemented, and ignoring them would open the resource.
		return apacheErrf("AuthType %s is not supported by balancerd (only Basic); requests would not be authenticated", v)
	default:
		// Apache accepts an unknown type and then fails every request
		// that needs authentication with 500; keep it so the runtime can.
		a.AuthType = v
		b.Warnf(d, "auth-type-unknown", "AuthType %q: no module implements it; every request that needs authentication will get 500 (use Basic)", v)
	}
	return nil
}

func applyAuthName(b *Builder, d *parser.Directive) error {
	scopeAccess(b, d).AuthName = d.Args[0].Value
	return nil
}

func authPath(b *Builder, p string) string {
	if p == "" || filepath.IsAbs(p) || b.Config == nil || b.Config.ServerRoot == "" {
		return p
	}
	return filepath.Join(b.Config.ServerRoot, p)
}

func applyAuthUserFile(b *Builder, d *parser.Directive) error {
	scopeAccess(b, d).AuthUserFile = authPath(b, d.Args[0].Value)
	return nil
}

func applyAuthGroupFile(b *Builder, d *parser.Directive) error {
	scopeAccess(b, d).AuthGroupFile = authPath(b, d.Args[0].Value)
	return nil
}

// authnProviders maps the authentication providers of Apache's standard
// modules to their module, so that a real provider balancerd lacks is
// reported as unsupported rather than unknown.
var authnProviders = map[string]string{
	"file":    "mod_authn_file",
	"dbm":     "mod_authn_dbm",
	"dbd":     "mod_authn_dbd",
	"anon":    "mod_authn_anon",
	"socache": "mod_authn_socache",
	"ldap":    "mod_authnz_ldap",
}

func applyAuthBasicProvider(b *Builder, d *parser.Directive) error {
	a := scopeAccess(b, d)
	var list []string
	for _, arg := range d.Args {
		p := arg.Value
		mod, known := authnProviders[p]
		switch {
		case !known:
			return apacheErrf("Unknown Authn provider: %s", p)
		case p != "file":
			return apacheErrf("AuthBasicProvider %s (%s) is not supported by balancerd; only 'file' is, and ignoring it would leave the resource unprotected", p, mod)
		}
		list = append(list, p)
	}
	a.AuthProvider = list
	return nil
}

func applyAuthMerging(b *Builder, d *parser.Directive) error {
	v := strings.ToLower(d.Args[0].Value)
	switch v {
	case "off", "and", "or":
		scopeAccess(b, d).Merge = v
		return nil
	}
	return apacheErr("AuthMerging must be one of: Off | And | Or")
}

// apacheErr returns an Apply error carrying Apache's message verbatim
// (Apache's messages are capitalised and punctuated as Apache prints them).
func apacheErr(msg string) error { return authMessage(msg) }

// apacheErrf is apacheErr with formatting.
func apacheErrf(format string, args ...any) error { return authMessage(fmt.Sprintf(format, args...)) }

// authMessage is an error whose text is Apache's message.
type authMessage string

func (e authMessage) Error() string { return string(e) }
