package directives

import (
	"errors"
	"fmt"
	"strings"

	"github.com/balancerd/balancerd/parser"
)

// codedError is an Apply error with its own diagnostic code.
type codedError interface {
	error
	Code() string
}

// apacheError is an Apply error whose text is Apache's own message
// (capitalised and punctuated as Apache prints it).
type apacheError struct{ msg string }

func (e *apacheError) Error() string { return e.msg }

// apacheErrorf formats one of Apache's messages as an error.
func apacheErrorf(format string, args ...any) error {
	return &apacheError{msg: fmt.Sprintf(format, args...)}
}

// diagError is an error with a diagnostic code.
type diagError struct{ code, msg string }

func (e *diagError) Error() string { return e.msg }
func (e *diagError) Code() string  { return e.code }

// errCode returns an error whose diagnostic carries code (Apply functions
// use it for findings that need their own code).
func errCode(code, format string, args ...any) error {
	return &diagError{code: code, msg: fmt.Sprintf(format, args...)}
}

// errAlreadyReported is returned by Apply functions that recorded their
// own diagnostics.
var errAlreadyReported = errors.New("already reported")

func equalFold(a, b string) bool { return strings.EqualFold(a, b) }

// apply checks one directive the way Apache's invoke_cmd does and applies it.
func (b *Builder) apply(d *parser.Directive) {
	spec := Lookup(d.Name)
	var lower string
	if spec != nil {
		lower = spec.lower
	} else {
		lower = strings.ToLower(d.Name)
	}
	if readPhase[lower] {
		return // evaluated by the parser while reading
	}
	shown := d.Name
	if d.IsSection {
		shown = "<" + d.Name
	}
	if spec == nil || spec.Section != d.IsSection {
		msg := fmt.Sprintf("Invalid command '%s', perhaps misspelled or defined by a module not included in the server configuration", shown)
		if s := b.suggestCached(d.Name, d.IsSection); s != "" {
			msg += fmt.Sprintf(" (did you mean '%s'?)", s)
		}
		b.Errorf(d, "unknown-directive", "%s", msg)
		return
	}
	name := spec.Name
	if spec.Section {
		name = "<" + spec.Name
	}
	if !b.moduleLoaded(spec.Module) {
		hint := ""
		if m := modulesByID[spec.Module]; m != nil && m.File != "" {
			hint = fmt.Sprintf(" (%s is provided by %s, which is not loaded: add \"LoadModule %s /usr/lib/apache2/modules/%s\" or, on Debian, a2enmod %s)",
				spec.Name, spec.Module, spec.Module, m.File, strings.TrimSuffix(strings.TrimPrefix(m.File, "mod_"), ".so"))
		}
		b.Errorf(d, "module-not-loaded", "Invalid command '%s', perhaps misspelled or defined by a module not included in the server configuration%s", shown, hint)
		return
	}
	ctx := b.curCtx()
	if spec.Contexts&ctx == 0 && spec.NotIn&ctx == 0 {
		if len(b.stack) == 0 {
			b.Errorf(d, "context", "%s not allowed here", name)
		} else {
			b.Errorf(d, "context", "%s not allowed in <%s> context", name, canonicalName(b.stack[len(b.stack)-1].name))
		}
		return
	}
	if msg := checkArgs(spec, d); msg != "" {
		b.Errorf(d, "arguments", "%s", msg)
		return
	}
	if msg := b.checkNotIn(spec, name); msg != "" {
		b.Errorf(d, "context", "%s", msg)
		return
	}
	switch spec.Support {
	case Implemented:
		if spec.Apply == nil {
			return
		}
		saved := b.Ctx
		b.Ctx = ctx
		err := spec.Apply(b, d)
		b.Ctx = saved
		if err != nil && err != errAlreadyReported {
			code := "invalid-argument"
			var ce codedError
			if errors.As(err, &ce) {
				code = ce.Code()
			}
			b.Errorf(d, code, "%s", err.Error())
		}
	case Accepted:
	case Ignored:
		key := spec.lower
		if b.warned == nil {
			b.warned = map[string]bool{}
		}
		if !b.warned[key] {
			b.warned[key] = true
			b.Warnf(d, "ignored-directive", "%s (%s, %s) is not implemented by balancerd and is ignored (reported once)", name+gtIf(spec), spec.Module, spec.Source)
		}
	case Unsupported:
		b.Errorf(d, "unsupported-directive", "%s (%s) is not supported by balancerd: %s; remove it or keep this part on Apache httpd", name+gtIf(spec), spec.Module, unsupportedReason(spec))
	}
}

func gtIf(s *Spec) string {
	if s.Section {
		return ">"
	}
	return ""
}

// curCtx is the context bit of the innermost enclosing section.
func (b *Builder) curCtx() Context {
	if len(b.stack) == 0 {
		return CtxServer
	}
	return b.stack[len(b.stack)-1].ctx
}

// moduleLoaded reports whether directives of module id may be used.
func (b *Builder) moduleLoaded(id string) bool {
	if b.fragment || b.loaded == nil {
		return true
	}
	return compiledIn[id] || balancerdModules[id] || b.loaded[id]
}

// checkArgs applies Apache's generic argument-count rules (invoke_cmd).
// Like Apache it treats an empty word ("") as a missing argument.
func checkArgs(s *Spec, d *parser.Directive) string {
	n := len(d.Args)
	w := func(i int) string {
		if i < n {
			return d.Args[i].Value
		}
		return ""
	}
	// withHelp appends Apache's help text; only a failing check builds
	// the message.
	withHelp := func(msg string) string {
		if s.Help != "" {
			return msg + ", " + s.Help
		}
		return msg
	}
	name := s.Name
	switch s.Shape {
	case ShapeNoArgs:
		if strings.TrimSpace(d.Raw) != "" {
			return name + " takes no arguments"
		}
	case ShapeTake1:
		if w(0) == "" || n > 1 {
			return withHelp(name + " takes one argument")
		}
	case ShapeTake2:
		if w(0) == "" || w(1) == "" || n > 2 {
			return withHelp(name + " takes two arguments")
		}
	case ShapeTake12:
		if w(0) == "" || n > 2 {
			return withHelp(name + " takes 1-2 arguments")
		}
	case ShapeTake3:
		if w(0) == "" || w(1) == "" || w(2) == "" || n > 3 {
			return withHelp(name + " takes three arguments")
		}
	case ShapeTake23:
		if w(0) == "" || w(1) == "" || n > 3 {
			return withHelp(name + " takes two or three arguments")
		}
	case ShapeTake123:
		if w(0) == "" || n > 3 {
			return withHelp(name + " takes one, two or three arguments")
		}
	case ShapeTake13:
		if w(0) == "" || (w(1) != "" && w(2) == "") || n > 3 {
			return withHelp(name + " takes one or three arguments")
		}
	case ShapeIterate:
		if w(0) == "" {
			return withHelp(name + " requires at least one argument")
		}
	case ShapeIterate2:
		if w(0) == "" || n < 2 {
			return withHelp(name + " requires at least two arguments")
		}
	case ShapeFlag:
		if !strings.EqualFold(w(0), "on") && !strings.EqualFold(w(0), "off") {
			return name + " must be On or Off"
		}
	}
	return ""
}

// checkNotIn applies a handler's ap_check_cmd_context restrictions.
func (b *Builder) checkNotIn(s *Spec, name string) string {
	if s.NotIn == 0 {
		return ""
	}
	gt := name
	if s.Section {
		gt += ">"
	}
	if s.NotIn&CtxVHost != 0 && b.InVirtualHost() {
		return gt + " cannot occur within <VirtualHost> section"
	}
	if s.NotIn&CtxLimit != 0 {
		if _, ok := b.InSection("Limit"); ok {
			return gt + " cannot occur within <Limit> or <LimitExcept> section"
		}
		if _, ok := b.InSection("LimitExcept"); ok {
			return gt + " cannot occur within <Limit> or <LimitExcept> section"
		}
	}
	groups := []struct {
		ctx   Context
		names []string
	}{
		{CtxDirectory, []string{"Directory", "DirectoryMatch"}},
		{CtxLocation, []string{"Location", "LocationMatch"}},
		{CtxFiles | CtxIf, []string{"Files", "FilesMatch", "If", "ElseIf", "Else"}},
		{CtxProxy, []string{"Proxy", "ProxyMatch"}},
	}
	for _, g := range groups {
		if s.NotIn&g.ctx == 0 {
			continue
		}
		for _, n := range g.names {
			// find_parent: the nearest enclosing section of that name.
			for i := len(b.stack) - 1; i >= 0; i-- {
				if equalFold(b.stack[i].name, n) {
					return gt + " cannot occur within <" + canonicalName(b.stack[i].name) + "> section"
				}
			}
		}
	}
	return ""
}

// suggest returns the registered name closest to name, if close enough.
func suggest(name string, section bool) string {
	best, bestD := "", 1<<30
	ln := strings.ToLower(name)
	if len(ln) > 64 {
		return ""
	}
	for key, s := range registry {
		if s.Section != section || len(key)-len(ln) > 3 || len(ln)-len(key) > 3 {
			continue
		}
		dist := editDistance(ln, key)
		if dist < bestD || (dist == bestD && s.Name < best) {
			best, bestD = s.Name, dist
		}
	}
	limit := 1
	switch {
	case len(name) > 10:
		limit = 3
	case len(name) > 5:
		limit = 2
	}
	if bestD == 0 || bestD > limit {
		return ""
	}
	if section {
		return "<" + best
	}
	return best
}

// suggestFrom returns the word of choices closest to w (case-insensitive)
// within a small edit distance, or "".
func suggestFrom(w string, choices []string) string {
	best, bestD := "", 3
	lw := strings.ToLower(w)
	for _, c := range choices {
		if d := editDistance(lw, strings.ToLower(c)); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance of a and b (bytes), capped
// work for long inputs.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		if a == b {
			return 0
		}
		return 1 << 20
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// suggestCached memoises suggest per Builder (a file full of one
// misspelling asks the same question many times).
func (b *Builder) suggestCached(name string, section bool) string {
	key := strings.ToLower(name)
	if section {
		key = "<" + key
	}
	if b.suggestions == nil {
		b.suggestions = map[string]string{}
	}
	if s, ok := b.suggestions[key]; ok {
		return s
	}
	s := suggest(name, section)
	if len(b.suggestions) < 1024 {
		b.suggestions[key] = s
	}
	return s
}

// canonicalName is a directive or section name in Apache's spelling
// (messages name sections that way whatever the case written).
func canonicalName(name string) string {
	if s := Lookup(name); s != nil {
		return s.Name
	}
	return name
}
