package directives

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/balancerd/balancerd/directives/model"
	"github.com/balancerd/balancerd/parser"
)

// Builder carries the state of one AST → model conversion. Apply functions
// receive it and write into the model at the current scope.
type Builder struct {
	Config *model.Config
	// Server is the server being built: Config.Main or a virtual host.
	Server *model.Server
	// Dir is the per-directory config at the current scope: Server.Dir at
	// server level, or the enclosing section's Dir.
	Dir *model.DirConfig
	// Section is the enclosing <Location>/<Directory>/<Proxy> section, nil
	// at server level.
	Section *model.Section
	// Ctx is the context of the directive being applied.
	Ctx Context
	// SectionName is the name of the innermost enclosing section ("Location",
	// "Proxy", "Limit", ...), "" at server level.
	SectionName string
	// SectionArg is that section's argument (e.g. the Location path or the
	// Proxy URL).
	SectionArg string

	Diags parser.Diagnostics

	// stack holds the enclosing sections, outermost first.
	stack []frame
	// loaded are the modules considered loaded; fragment is set when the
	// configuration has no LoadModule at all (every standard module then
	// counts as loaded: a vhost file alone cannot say).
	loaded   map[string]bool
	fragment bool
	// warned records the directive names already reported as ignored.
	warned map[string]bool
	// once records one-time notices (AH00548).
	once map[string]bool
	// set records which server-level settings a server wrote itself
	// (for the main-server → vhost merge).
	set map[*model.Server]map[string]bool
	// proxy is mod_proxy's per-build state (workers, sharing).
	proxy *proxyState
	opts  LoadOptions
	// loadedSoFar are the modules of the LoadModule lines applied so far.
	loadedSoFar map[string]bool
	// remoteIP is the first mod_remoteip directive, if any.
	remoteIP *parser.Directive
	// suggestions caches did-you-mean answers by lowercase name.
	suggestions map[string]string
	// prev is the previous sibling of the directive being applied.
	prev *parser.Directive
}

// frame is one open section.
type frame struct {
	name string // as Apache spells it: "Location", "VirtualHost", ...
	arg  string
	ctx  Context
}

// Errorf records an error about directive d.
func (b *Builder) Errorf(d *parser.Directive, code, format string, args ...any) {
	b.add(d, parser.Error, code, fmt.Sprintf(format, args...))
}

// Warnf records a warning about directive d.
func (b *Builder) Warnf(d *parser.Directive, code, format string, args ...any) {
	b.add(d, parser.Warning, code, fmt.Sprintf(format, args...))
}

// Infof records an informational finding about directive d.
func (b *Builder) Infof(d *parser.Directive, code, format string, args ...any) {
	b.add(d, parser.Info, code, fmt.Sprintf(format, args...))
}

func (b *Builder) add(d *parser.Directive, sev parser.Severity, code, msg string) {
	diag := parser.Diagnostic{Severity: sev, Code: code, Message: msg}
	if d != nil {
		diag.Pos = d.Pos
		diag.Directive = d.Name
	}
	b.Diags = append(b.Diags, diag)
}

// Walk applies each directive of ds at the Builder's current scope: it looks
// the directive up in the registry, checks its context and argument count
// (reporting Apache's messages), and calls its Apply function.
func (b *Builder) Walk(ds []*parser.Directive) {
	saved := b.prev
	b.prev = nil
	for _, d := range ds {
		b.apply(d)
		b.prev = d
	}
	b.prev = saved
}

// Enter runs fn with a section pushed on the scope: Ctx, SectionName and
// SectionArg describe the section while fn runs (typically fn calls
// b.Walk(d.Block)); the previous scope is restored afterwards. dir and sec,
// when non-nil, become b.Dir and b.Section.
func (b *Builder) Enter(name, arg string, ctx Context, dir *model.DirConfig, sec *model.Section, fn func()) {
	saved := *b
	b.stack = append(b.stack, frame{name: name, arg: arg, ctx: ctx})
	b.SectionName, b.SectionArg, b.Ctx = name, arg, ctx
	if dir != nil {
		b.Dir = dir
	}
	if sec != nil {
		b.Section = sec
	}
	fn()
	b.stack = b.stack[:len(b.stack)-1]
	b.Server, b.Dir, b.Section, b.Ctx = saved.Server, saved.Dir, saved.Section, saved.Ctx
	b.SectionName, b.SectionArg = saved.SectionName, saved.SectionArg
}

// InSection reports whether an enclosing section has that name
// (case-insensitive), and returns the innermost one's argument.
func (b *Builder) InSection(name string) (string, bool) {
	for i := len(b.stack) - 1; i >= 0; i-- {
		if equalFold(b.stack[i].name, name) {
			return b.stack[i].arg, true
		}
	}
	return "", false
}

// InVirtualHost reports whether the scope is inside a <VirtualHost>.
func (b *Builder) InVirtualHost() bool {
	_, ok := b.InSection("VirtualHost")
	return ok
}

// markSet records that the current server wrote setting key itself.
func (b *Builder) markSet(key string) {
	if b.set == nil {
		b.set = map[*model.Server]map[string]bool{}
	}
	m := b.set[b.Server]
	if m == nil {
		m = map[string]bool{}
		b.set[b.Server] = m
	}
	m[key] = true
}

func (b *Builder) isSet(s *model.Server, key string) bool { return b.set[s][key] }

// source formats a directive position as "FILE:LINE" for model Source fields.
func source(d *parser.Directive) string {
	var nb [20]byte
	line := strconv.AppendInt(nb[:0], int64(d.Pos.Line), 10)
	var b strings.Builder // one allocation
	b.Grow(len(d.Pos.File) + 1 + len(line))
	b.WriteString(d.Pos.File)
	b.WriteByte(':')
	b.Write(line)
	return b.String()
}
