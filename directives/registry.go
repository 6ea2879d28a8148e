// Package directives turns a parsed Apache configuration (package parser)
// into balancerd's typed model (package directives/model), checking every
// directive the way Apache would, and runs the lint rules behind --check.
//
// Every directive of Apache's standard modules has a Spec in the registry:
// its module, the contexts it may appear in, its argument shape, and either
// an Apply function (implemented by balancerd) or a Support level saying how
// balancerd treats it when it does not implement it.
package directives

import (
	"sort"
	"strings"

	"github.com/balancerd/balancerd/parser"
)

// Context is a set of places a directive may appear.
type Context uint32

// Contexts, as in Apache's RSRC_CONF / ACCESS_CONF / OR_* masks.
const (
	CtxServer    Context = 1 << iota // main server config, outside sections
	CtxVHost                         // inside <VirtualHost>
	CtxDirectory                     // inside <Directory>/<DirectoryMatch>
	CtxLocation                      // inside <Location>/<LocationMatch>
	CtxFiles                         // inside <Files>/<FilesMatch>
	CtxProxy                         // inside <Proxy>/<ProxyMatch>
	CtxIf                            // inside <If>/<ElseIf>/<Else>
	CtxHTAccess                      // in an .htaccess file (subject to AllowOverride)
	CtxLimit                         // inside <Limit>/<LimitExcept>

	// CtxDirs is every per-directory container.
	CtxDirs = CtxDirectory | CtxLocation | CtxFiles | CtxProxy | CtxIf
	// CtxServerVHost is "server config, virtual host".
	CtxServerVHost = CtxServer | CtxVHost
	// CtxAll is every context except .htaccess.
	CtxAll = CtxServerVHost | CtxDirs
)

// Support says what balancerd does with a directive.
type Support int

// Support levels.
const (
	// Implemented: Apply builds the model from it.
	Implemented Support = iota
	// Accepted: balancerd reads it and it has no effect worth modelling
	// (e.g. ServerAdmin); no diagnostic.
	Accepted
	// Ignored: a real Apache directive balancerd does not implement, whose
	// absence does not change routing or security; one warning per
	// directive name naming its module.
	Ignored
	// Unsupported: a real Apache directive whose absence would change
	// routing or security (an auth provider we lack, ...): an error.
	Unsupported
)

//go:generate go run ./internal/gen -o specs_gen.go

// Spec describes one directive.
type Spec struct {
	Name     string  // canonical spelling, e.g. "ProxyPass"
	Module   string  // module identifier, e.g. "proxy_module"
	Source   string  // module source file, e.g. "mod_proxy.c"
	Contexts Context // where it may appear
	// NotIn are the contexts the directive's own handler rejects with
	// "X cannot occur within <Section> section" (Apache's
	// ap_check_cmd_context); Contexts outside NotIn are rejected earlier
	// with "X not allowed here" / "X not allowed in <Section> context".
	NotIn Context
	// HTAccess reports whether the directive may appear in .htaccess files
	// (when Override permits it).
	HTAccess bool
	// Override is the AllowOverride group that permits it in .htaccess
	// ("AuthConfig", "Limit", "FileInfo", "Options", "Indexes"); several
	// groups are space-separated (any of them permits it); "All" means
	// any AllowOverride other than None; "" = never.
	Override string
	// Shape is Apache's argument kind (TAKE1, FLAG, RAW_ARGS, ...); it
	// selects the argument-count message.
	Shape ArgShape
	// MinArgs and MaxArgs bound the argument count; MaxArgs -1 = no limit.
	MinArgs, MaxArgs int
	// Flag marks an On|Off directive ("X must be On or Off").
	Flag bool
	// Help is Apache's help string, used in argument-count messages.
	Help string
	// Section marks a container (<Location>, ...).
	Section bool
	Support Support
	// Apply interprets the directive into the model. Nil unless Implemented.
	Apply ApplyFunc
	// lower is the registry key: strings.ToLower(Name).
	lower string
}

// registry is populated by package-level variable initialization (not
// init()), so that other files' init() functions can call Implement.
var registry = newRegistry(standardSpecs)

func newRegistry(specs []Spec) map[string]*Spec {
	m := make(map[string]*Spec, len(specs)+len(extraSpecs))
	for i := range specs {
		s := specs[i]
		s.Support = defaultSupport(&s)
		s.lower = strings.ToLower(s.Name)
		m[s.lower] = &s
	}
	for i := range extraSpecs {
		s := extraSpecs[i]
		s.lower = strings.ToLower(s.Name)
		if _, dup := m[s.lower]; !dup {
			m[s.lower] = &s
		}
	}
	return m
}

// Register adds a directive to the registry. It panics on a duplicate name,
// which is a programming error.
func Register(s *Spec) {
	key := strings.ToLower(s.Name)
	if _, dup := registry[key]; dup {
		panic("directives: duplicate registration of " + s.Name)
	}
	s.lower = key
	registry[key] = s
}

// Lookup returns the Spec of a directive or section name (case-insensitive,
// without angle brackets), or nil if Apache's standard modules have none.
func Lookup(name string) *Spec {
	var buf [48]byte
	if b, ok := appendLowerASCII(buf[:0], name); ok {
		return registry[string(b)] // the conversion does not allocate
	}
	return registry[strings.ToLower(name)]
}

// appendLowerASCII appends the ASCII lower case of s to buf; ok is false
// when s is not ASCII or does not fit in buf's capacity (the caller then
// uses strings.ToLower).
func appendLowerASCII(buf []byte, s string) (_ []byte, ok bool) {
	if len(s) > cap(buf)-len(buf) {
		return buf, false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 {
			return buf, false
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf = append(buf, c)
	}
	return buf, true
}

// lowerName returns strings.ToLower(name). For a registered directive or
// section name, in any spelling, it returns the registry's own lower-case
// string and does not allocate (the per-directive switches and maps of
// Build and Lint call it for every directive).
func lowerName(name string) string {
	if s := Lookup(name); s != nil {
		return s.lower
	}
	return strings.ToLower(name)
}

// ApplyFunc interprets one directive into the model at the Builder's scope.
// For a section, it is also responsible for walking the section's Block
// (usually with Builder.Walk after narrowing the scope).
type ApplyFunc func(b *Builder, d *parser.Directive) error

// Implement marks an already registered directive as implemented by balancerd
// with the given Apply function. Files that implement a directive family call
// it from init(). It panics if the name is not registered, which is a
// programming error.
func Implement(name string, apply ApplyFunc) {
	s := Lookup(name)
	if s == nil {
		panic("directives: Implement of unregistered directive " + name)
	}
	s.Support = Implemented
	s.Apply = apply
}

// ArgShape is Apache's argument kind of a directive (cmd_how).
type ArgShape int

// Argument shapes, as Apache's TAKE1, FLAG, RAW_ARGS, ...
const (
	ShapeRaw      ArgShape = iota // RAW_ARGS / TAKE_ARGV: the directive splits its arguments itself
	ShapeNoArgs                   // NO_ARGS
	ShapeTake1                    // TAKE1
	ShapeTake2                    // TAKE2
	ShapeTake12                   // TAKE12
	ShapeTake3                    // TAKE3
	ShapeTake23                   // TAKE23
	ShapeTake123                  // TAKE123
	ShapeTake13                   // TAKE13
	ShapeIterate                  // ITERATE: one or more
	ShapeIterate2                 // ITERATE2: two or more
	ShapeFlag                     // FLAG: On|Off
)

// ModuleInfo describes one module of a standard (Debian) Apache build.
type ModuleInfo struct {
	ID     string // module identifier, e.g. "proxy_module"
	Source string // source file name, e.g. "mod_proxy.c"
	File   string // shared object, e.g. "mod_proxy.so"; "" if compiled in
}

// Specs returns every registered directive and section, sorted by name.
func Specs() []*Spec {
	out := make([]*Spec, 0, len(registry))
	for _, s := range registry {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return strings.ToLower(out[i].Name) < strings.ToLower(out[j].Name) })
	return out
}
