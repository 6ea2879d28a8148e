package parser

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Limits that keep hostile input bounded.
const (
	maxIncludeDepth = 128    // Apache's AP_MAX_INCLUDE_DEPTH
	maxDirDepth     = 128    // Apache's AP_MAX_FNMATCH_DIR_DEPTH
	maxFilesRead    = 100000 // balancerd's own cap on file reads per parse
)

// ParseFile reads the configuration file path (opened as given; the caller
// resolves it against ServerRoot if it wants Apache's -f semantics) and
// everything it includes. It never fails outright: an unreadable main file
// is a Diagnostic ("Could not open configuration file ...").
func ParseFile(path string, opts Options) *Result {
	r := newReader(opts)
	r.run(func() []*Directive {
		src, err := r.fs.ReadFile(path)
		if err != nil {
			r.diag(Pos{File: path}, nil, Error, phaseRead, "include", "", "Could not open configuration file "+path+": "+errnoText(err), "")
			return nil
		}
		r.addFile(path, src)
		return r.parseFile(path, src, nil, false)
	})
	return r.res
}

// addFile records a file read from the file system in the Result.
func (r *reader) addFile(path, text string) {
	r.res.Files = append(r.res.Files, path)
	if r.res.Texts == nil {
		r.res.Texts = map[string]string{}
	}
	r.res.Texts[path] = text
}

// ParseBytes parses src as if it were the file name (used in positions and
// to resolve nothing else: Include paths are relative to Options.ServerRoot).
func ParseBytes(name string, src []byte, opts Options) *Result {
	r := newReader(opts)
	r.run(func() []*Directive {
		r.res.Files = append(r.res.Files, name)
		return r.parseFile(name, string(src), nil, false)
	})
	return r.res
}

// reader holds the state of one parse: Apache's global read-phase state
// (defines, loaded modules, ServerRoot, include depth).
type reader struct {
	opts      Options
	res       *Result
	defs      *defines
	root      string
	modules   map[string]bool // module identifiers and source names seen in LoadModule
	depth     int             // include nesting
	filesRead int
	aborted   bool // a fatal error (include recursion) stops all reading
	version   [3]int
	maxLine   int
	fs        fileSystem

	// Directives, their Args and Blocks are carved out of larger
	// allocations instead of being allocated one by one (see alloc.go).
	dirs    slab[Directive]
	argSlab slab[Arg]
	lists   slab[*Directive]
	argBuf  []Arg // scratch for reader.args
}

func newReader(opts Options) *reader {
	r := &reader{
		opts:    opts,
		res:     &Result{},
		defs:    newDefines(),
		modules: map[string]bool{},
		maxLine: maxLineLen,
	}
	if opts.HTAccess {
		r.maxLine = maxHTAccessLineLen
	}
	r.fs = opts.fsys
	if r.fs == nil {
		r.fs = osFS{}
	}
	root := opts.ServerRoot
	if root == "" {
		root = "."
	}
	if abs, err := filepath.Abs(root); err == nil {
		root = abs
	}
	r.root = root
	v := opts.Version
	if v == "" {
		v = DefaultVersion
	}
	r.version = parseVersionTriple(v)
	for _, d := range opts.Defines {
		name, val, hasVal := strings.Cut(d, "=")
		if hasVal {
			r.defs.define(name, &val)
		} else {
			r.defs.define(name, nil)
		}
	}
	return r
}

// DefaultVersion is the httpd version <IfVersion> compares with when
// Options.Version is empty.
const DefaultVersion = "2.4.67"

func (r *reader) run(main func() []*Directive) {
	var out []*Directive
	if len(r.opts.Before) > 0 {
		out = append(out, r.parseFile("", strings.Join(r.opts.Before, "\n"), nil, true)...)
	}
	out = append(out, main()...)
	if len(r.opts.After) > 0 && !r.aborted {
		out = append(out, r.parseFile("", strings.Join(r.opts.After, "\n"), nil, true)...)
	}
	r.res.Directives = out
	r.res.Defines = make(map[string]string, len(r.defs.params))
	for _, p := range r.defs.params {
		v, _ := r.defs.lookupVar(p)
		r.res.Defines[p] = v
	}
}

// Phases of a diagnostic (see Diagnostic.ReadPhase).
const (
	phaseNone = iota // warnings and balancerd-only findings
	phaseRead        // Apache stops while reading the files
	phaseProc        // Apache reports it while processing directives
)

// diag records a diagnostic whose message is Apache's text followed by
// balancerd's hint.
func (r *reader) diag(p Pos, from []Pos, sev Severity, phase int, code, directive, apache, hint string) {
	r.res.Diags = append(r.res.Diags, Diagnostic{Pos: p, Severity: sev, Code: code, Directive: directive,
		Message: apache + hint, IncludedFrom: from, Apache: apache, ReadPhase: phase == phaseRead})
}

// frame is one open section while reading a file.
type frame struct {
	dir   *Directive // the section (nil for a true conditional section)
	cond  string     // conditional section name ("IfModule"), "" for a section
	pos   Pos        // opener position
	start int        // the section's children are fileState.kids[start:]
	name  string     // name as written (for messages)
	col   int        // column of the opener's '<'
	line  int        // opener's line, also for -C/-c directives (whose pos is zero)
	// hint is the first later line indented no deeper than the opener:
	// where a forgotten closer most likely belongs.
	hint int
}

// fileState is the per-file reading state (sections never span files).
type fileState struct {
	name  string
	from  []Pos
	noPos bool // -C/-c directives: positions are zero
	stop  bool // stop reading this file (line too long)
	lr    *lineReader
	stack []frame
	// kids collects the directives of the file's top level followed by
	// those of each open section (a true conditional section adds to the
	// enclosing list). Closing a section moves its children into its
	// Block; at the end of the file the rest is the top level.
	kids []*Directive
}

// inSection reports whether a section (not just a conditional section) is
// open.
func (fs *fileState) inSection() bool {
	for i := range fs.stack {
		if fs.stack[i].cond == "" {
			return true
		}
	}
	return false
}

// add appends directives to the innermost open section (or the top level).
func (fs *fileState) add(ds ...*Directive) { fs.kids = append(fs.kids, ds...) }

// pos converts an offset in a logical line to a Pos.
func (fs *fileState) pos(l *logicalLine, off int) Pos {
	if fs.noPos {
		return Pos{}
	}
	_, col := l.pos(off)
	return Pos{File: fs.name, Line: l.last, Col: col}
}

// parseFile reads one file's logical lines and returns its directives with
// read-phase directives evaluated.
//
// Line texts, names and raw arguments are substrings of text.
func (r *reader) parseFile(name string, text string, from []Pos, noPos bool) []*Directive {
	bom := strings.HasPrefix(text, utf8BOM)
	if bom {
		text = text[3:]
	}
	fs := &fileState{name: name, from: from, noPos: noPos, lr: newLineReader(text, r.maxLine)}
	first := true
	for !r.aborted && !fs.stop {
		l, ok := fs.lr.next()
		if !ok {
			break
		}
		if l.tooLong {
			r.diag(Pos{File: name, Line: l.last}, from, Error, phaseRead, "syntax", "", errTooLong(name, l.last), " (Apache stops reading the file here)")
			break
		}
		if first && bom {
			first = false
			w, _ := GetWord(l.text)
			r.diag(fs.pos(&l, 0), from, Error, phaseProc, "bom", "",
				"Invalid command '"+utf8BOM+w.Value+"', perhaps misspelled or defined by a module not included in the server configuration",
				" (the file starts with a UTF-8 byte order mark, which Apache does not skip; save it without the BOM)")
		}
		first = false
		if l.text == "" {
			continue
		}
		r.line(fs, &l)
	}
	r.endOfFile(fs)
	r.closeFrames(fs, 0)
	return r.dirList(fs.kids)
}

// line handles one non-blank logical line in active (not skipped) mode.
func (r *reader) line(fs *fileState, l *logicalLine) {
	t := l.text
	if t[0] == '#' {
		return
	}
	if !fs.noPos {
		startLine, col := l.pos(0)
		for i := range fs.stack {
			if f := &fs.stack[i]; f.hint == 0 && f.cond == "" && col <= f.col {
				f.hint = startLine
			}
		}
	}
	// A true conditional section ends only at a line that is exactly
	// </IfXxx> (any case) while no section is open inside it
	// (ap_build_cont_config), checked before ${VAR} substitution.
	if n := len(fs.stack); n > 0 && fs.stack[n-1].cond != "" {
		if len(t) >= 3 && t[:2] == "</" && t[len(t)-1] == '>' && strings.EqualFold(t[2:len(t)-1], fs.stack[n-1].cond) {
			fs.stack = fs.stack[:n-1]
			return
		}
	}
	s, subs, undef := substitute(t, r.defs, r.opts.Env)
	for _, u := range undef {
		r.diag(fs.pos(l, u.off), fs.from, Warning, phaseNone, "undefined-variable", "",
			"AH00111: Config variable ${"+u.name+"} is not defined", " (the text is kept literally; define it with Define or in the environment)")
	}
	p, err := splitLine(s, r.opts.grammarOnly)
	if err != nil { // cannot happen: the grammar accepts every lexLine output
		r.diag(fs.pos(l, 0), fs.from, Error, phaseNone, "syntax", "", "", "internal parser error: "+err.Error())
		return
	}
	at := lineAt{fs: fs, l: l, subs: subs}
	switch p.kind {
	case lineClose:
		r.closer(fs, p.name, at.pos(p.nameOff))
	case lineOpen:
		r.opener(fs, l, &p, s, &at)
	default:
		d := r.newDirective()
		d.Pos, d.Name, d.IncludedFrom = at.pos(p.nameOff), p.name, fs.from
		if p.rest != "" {
			d.Raw = p.rest
			d.Args = r.args(d.Raw, p.restOff, &at)
		}
		r.directive(fs, d)
	}
}

// lineAt converts offsets in a substituted logical line to positions.
type lineAt struct {
	fs   *fileState
	l    *logicalLine
	subs []subst
}

func (a *lineAt) pos(off int) Pos { return a.fs.pos(a.l, srcOffset(off, a.subs)) }

// args tokenises raw (which starts at offset base of the substituted line)
// like Fields.
func (r *reader) args(raw string, base int, at *lineAt) []Arg {
	buf := r.argBuf[:0]
	rest := raw
	for {
		w, next := GetWord(rest)
		if w.Offset == len(rest) { // only white space left
			break
		}
		buf = append(buf, Arg{Value: w.Value, Quoted: w.Quoted, Pos: at.pos(base + w.Offset)})
		base += len(rest) - len(next)
		rest = next
	}
	r.argBuf = buf[:0]
	if len(buf) == 0 {
		return nil
	}
	out := r.argSlab.take(len(buf))
	copy(out, buf)
	clear(buf)
	return out
}

// closer handles a </Name...> line (ap_build_config_sub).
func (r *reader) closer(fs *fileState, tag string, p Pos) {
	n := len(fs.stack)
	if n == 0 || fs.stack[n-1].cond != "" {
		hint := ""
		if n > 0 {
			hint = fmt.Sprintf(" (inside <%s> at line %d only </%s> on a line of its own closes it)", fs.stack[n-1].cond, fs.stack[n-1].pos.Line, fs.stack[n-1].cond)
		} else {
			hint = "; remove it or add the missing opener"
		}
		r.diag(p, fs.from, Error, phaseRead, "syntax", strings.TrimPrefix(tag, "</"),
			tag+" without matching <"+tag[2:]+" section", hint)
		return
	}
	top := fs.stack[n-1]
	if tag[len(tag)-1] != '>' {
		r.diag(p, fs.from, Error, phaseRead, "syntax", tag[2:], tag+"> directive missing closing '>'", "; write "+tag+"> with no space before the '>'")
		if strings.EqualFold(tag[2:], top.name) {
			r.popTo(fs, n-1, p)
		}
		return
	}
	name := tag[2 : len(tag)-1]
	if !strings.EqualFold(name, top.name) {
		apache := "Expected </" + top.name + "> but saw </" + name + ">"
		msg := ""
		// Recover: if an outer section has this name, the inner ones were
		// left open; close them all.
		k := -1
		for i := n - 1; i >= 0; i-- {
			if strings.EqualFold(fs.stack[i].name, name) {
				k = i
				break
			}
		}
		if k >= 0 {
			var open []string
			for i := n - 1; i > k; i-- {
				open = append(open, fmt.Sprintf("<%s> (line %d)", fs.stack[i].name, fs.stack[i].pos.Line))
			}
			msg += "; close " + strings.Join(open, ", ") + " before this line"
		} else {
			// Nothing open has this name: most likely a mistyped closer
			// for the innermost section, so let it close that one.
			msg += fmt.Sprintf("; <%s> was opened at line %d, close it with </%s>", top.name, top.pos.Line, top.name)
			k = n - 1
		}
		r.diag(p, fs.from, Error, phaseRead, "mismatched-section", name, apache, msg)
		r.popTo(fs, k, p)
		return
	}
	r.popTo(fs, n-1, p)
}

// popTo closes stack frames down to and including index k; the frame at k
// gets end position p.
func (r *reader) popTo(fs *fileState, k int, p Pos) {
	if d := fs.stack[k].dir; d != nil {
		d.End = p
	}
	r.closeFrames(fs, k)
}

// closeFrames removes the frames from index k up, innermost first, moving
// each section's children into its Block.
func (r *reader) closeFrames(fs *fileState, k int) {
	for i := len(fs.stack) - 1; i >= k; i-- {
		if f := &fs.stack[i]; f.dir != nil {
			f.dir.Block = r.dirList(fs.kids[f.start:])
			clear(fs.kids[f.start:])
			fs.kids = fs.kids[:f.start]
		}
	}
	fs.stack = fs.stack[:k]
}

// opener handles a <Name args> line.
func (r *reader) opener(fs *fileState, l *logicalLine, o *lineParts, s string, at *lineAt) {
	p := at.pos(o.nameOff)
	name := o.name[1:]
	raw, rawOff := "", len(s)
	if o.args != "" {
		raw, rawOff = o.args, o.argsOff
	}
	if cond := condName(name); cond != "" {
		r.conditional(fs, cond, o, s, p)
		return
	}
	d := r.newDirective()
	d.Pos, d.Name, d.IsSection, d.IncludedFrom = p, name, true, fs.from
	if !o.gt {
		r.diag(p, fs.from, Error, phaseProc, "syntax", name, "<"+name+"> directive missing closing '>'", "; end the line with '>'")
	}
	d.Raw = trimSpace(raw)
	d.Args = r.args(raw, rawOff, at)
	fs.add(d)
	_, col := l.pos(0)
	fs.stack = append(fs.stack, frame{dir: d, pos: p, start: len(fs.kids), name: name, col: col, line: l.last})
}

// endOfFile reports sections still open at the end of a file.
func (r *reader) endOfFile(fs *fileState) {
	if r.aborted || len(fs.stack) == 0 {
		return
	}
	// Sections inside a true conditional section are not checked by Apache
	// (ap_build_cont_config stops silently at the end of the file).
	firstCond := len(fs.stack)
	for i, f := range fs.stack {
		if f.cond != "" {
			firstCond = i
			break
		}
	}
	for i := len(fs.stack) - 1; i >= 0; i-- {
		f := fs.stack[i]
		label := f.name
		if f.cond != "" {
			label = f.cond
		}
		if i >= firstCond {
			c := fs.stack[firstCond]
			r.diag(f.pos, fs.from, Warning, phaseNone, "unclosed-section", label, "", fmt.Sprintf(
				"<%s> was not closed; Apache accepts this silently because it is inside <%s> (line %d), but everything to the end of %s is inside it: add </%s>",
				label, c.cond, c.pos.Line, fs.displayName(), label))
			continue
		}
		where := fmt.Sprintf("at the end of the file (after line %d)", fs.lr.lineNo)
		if f.hint > 0 {
			where = fmt.Sprintf("before line %d, where the indentation returns to the level of <%s>", f.hint, label)
		}
		r.res.Diags = append(r.res.Diags, Diagnostic{Pos: f.pos, Severity: Error, Code: "unclosed-section", Directive: label,
			Message:      fmt.Sprintf("<%s> was not closed. Add </%s> where the section ends, probably %s", label, label, where),
			IncludedFrom: fs.from, ReadPhase: true,
			Apache: fmt.Sprintf("%s:%d: <%s> was not closed.", fs.apacheName(), f.line, label)})
	}
}

// apacheName is the file name Apache uses in messages.
func (fs *fileState) apacheName() string {
	if fs.noPos {
		return "-c/-C directives"
	}
	return fs.name
}

func (fs *fileState) displayName() string {
	if fs.noPos {
		return "the -C/-c directives"
	}
	return fs.name
}

// errnoText formats an error like C's strerror ("No such file or
// directory").
func errnoText(err error) string {
	var e error = err
	if pe, ok := err.(*os.PathError); ok {
		e = pe.Err
	}
	s := e.Error()
	if s != "" && s[0] >= 'a' && s[0] <= 'z' {
		s = string(s[0]-'a'+'A') + s[1:]
	}
	return s
}
