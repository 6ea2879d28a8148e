package directives

import (
	"fmt"

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
}

// Errorf records an error about directive d.
func (b *Builder) Errorf(d *parser.Directive, code, format string, args ...any) {
	b.add(d, parser.Error, code, fmt.Sprintf(format, args...))
}

// Warnf records a warning about directive d.
func (b *Builder) Warnf(d *parser.Directive, code, format string, args ...any) {
	b.add(d, parser.Warning, code, fmt.Sprintf(format, args...))
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
	for _, d := range ds {
		b.apply(d)
	}
}

// apply is filled in by the registry walker (directives/walk.go).
var applyHook func(b *Builder, d *parser.Directive)

func (b *Builder) apply(d *parser.Directive) {
	if applyHook != nil {
		applyHook(b, d)
	}
}
