package directives

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/balancerd/balancerd/directives/model"
	"github.com/balancerd/balancerd/parser"
)

// LintOptions controls Lint.
type LintOptions struct {
	// Backends are the backend servers' configurations, already read (see
	// ReadBackend). When empty, the cookie cross-check only uses cookies the
	// load balancer's own configuration sets.
	Backends []BackendInfo
	// BackendFiles are backend configuration files to read with ReadBackend
	// in addition to Backends (relative Includes against the current
	// directory; <IfModule> sees balancerd's built-in modules). Their parse
	// problems are returned with the findings.
	BackendFiles []string

	// Root, when set, is prepended to every absolute path the configuration
	// refers to (AuthUserFile, DocumentRoot/.htaccess): check a config meant
	// for another machine against a copy of its files.
	Root string
	// NoFiles skips every check that reads files the configuration refers to
	// (htpasswd files, .htaccess), e.g. in CI where they do not exist.
	NoFiles bool
	// Disable lists lint codes to suppress.
	Disable []string
}

// Lint runs balancerd's lint rules over a built configuration: the mistakes
// Apache accepts silently (see LintCodes). res is the parsed configuration
// cfg was built from; it is used for positions and for rules that need the
// source text, and may be nil for a hand-built cfg.
//
// Lint never reports what Load already reports (syntax, unknown directives,
// bad arguments).
func Lint(cfg *model.Config, res *parser.Result, opts LintOptions) parser.Diagnostics {
	if cfg == nil {
		return nil
	}
	l := newLinter(cfg, res, opts)
	for _, f := range opts.BackendFiles {
		bi, diags := ReadBackend(f, ParserOptions(LoadOptions{}))
		l.diags = append(l.diags, diags...)
		l.backends = append(l.backends, bi)
	}
	for _, rule := range lintRules {
		rule(l)
	}
	var files []string
	if res != nil {
		files = res.Files
	}
	SortDiagnostics(l.diags, files)
	return l.diags
}

// lintRules run in this order; the order only matters for deduplication.
var lintRules = []func(*linter){
	lintProxyPassOrder,
	lintTrailingSlash,
	lintBalancers,
	lintReverse,
	lintReverseBalancers,
	lintSticky,
	lintBackendCookies,
	lintAuth,
	lintManager,
	lintHTPasswd,
	lintLegacy,
	lintRewriteFlags,
	lintHeaderCookies,
	lintMisc,
	lintCommentContinuation,
}

type linter struct {
	cfg      *model.Config
	res      *parser.Result
	opts     LintOptions
	backends []BackendInfo
	// idx finds the directives that start on a line.
	idx lineIndex
	// balancerDirs indexes the directives that set balancer parameters
	// (built on first use).
	balancerDirs map[string][]*parser.Directive
	own          []CookieSetter // cookies the config itself sets
	disabled     map[string]bool
	seen         map[reportKey]bool
	srv          []*model.Server // servers(), computed once
	diags        parser.Diagnostics
}

func newLinter(cfg *model.Config, res *parser.Result, opts LintOptions) *linter {
	l := &linter{
		cfg:      cfg,
		res:      res,
		opts:     opts,
		backends: append([]BackendInfo(nil), opts.Backends...),
		disabled: map[string]bool{},
		seen:     map[reportKey]bool{},
	}
	for _, c := range opts.Disable {
		l.disabled[c] = true
	}
	if res != nil {
		l.idx.build(res.Directives, res.Texts)
	}
	return l
}

// reportKey identifies a finding, so that it is reported once.
type reportKey struct {
	pos       parser.Pos
	code, msg string
}

// lineKey identifies a line of a configuration file.
type lineKey struct {
	file string
	line int
}

// lineIndex finds the directives that start on a line of a file: per
// file, a slice indexed by line number (the linter asks for every model
// object's line, a map keyed by file and line cost more than the rest of
// the index).
type lineIndex struct {
	files map[string][][]*parser.Directive
}

// build indexes ds; texts (parser.Result.Texts, may be nil) size the
// per-file slices.
func (x *lineIndex) build(ds []*parser.Directive, texts map[string]string) {
	x.files = map[string][][]*parser.Directive{}
	var file string
	var lines [][]*parser.Directive
	// The lists are windows of one slice of all directives (a line rarely
	// starts more than one), not one allocation per line.
	n := 0
	lintWalk(ds, func(*parser.Directive, []*parser.Directive) { n++ })
	all := make([]*parser.Directive, 0, n)
	lintWalk(ds, func(d *parser.Directive, _ []*parser.Directive) {
		if d.Pos.Line < 0 || d.Pos.Line > 1<<26 {
			return // not a real line number (no file has 64M lines)
		}
		if d.Pos.File != file || lines == nil {
			x.files[file] = lines
			file, lines = d.Pos.File, x.files[d.Pos.File]
			if text, ok := texts[file]; ok && lines == nil {
				lines = make([][]*parser.Directive, 0, strings.Count(text, "\n")+2)
			}
		}
		for len(lines) <= d.Pos.Line {
			lines = append(lines, nil)
		}
		all = append(all, d)
		if prev := lines[d.Pos.Line]; len(prev) > 0 {
			lines[d.Pos.Line] = append(prev[:len(prev):len(prev)], d)
			return
		}
		lines[d.Pos.Line] = all[len(all)-1 : len(all) : len(all)]
	})
	if lines != nil {
		x.files[file] = lines
	}
}

// at returns the directives that start on line of file.
func (x *lineIndex) at(file string, line int) []*parser.Directive {
	lines := x.files[file]
	if line < 0 || line >= len(lines) {
		return nil
	}
	return lines[line]
}

// lintWalk calls f for every directive of ds and their blocks, depth
// first, with the chain of enclosing sections (outermost first). parents is
// valid only during the call (one stack serves the whole walk).
func lintWalk(ds []*parser.Directive, f func(d *parser.Directive, parents []*parser.Directive)) {
	var stack []*parser.Directive
	var rec func(ds []*parser.Directive)
	rec = func(ds []*parser.Directive) {
		for _, d := range ds {
			f(d, stack[:len(stack):len(stack)])
			if len(d.Block) > 0 {
				stack = append(stack, d)
				rec(d.Block)
				stack = stack[:len(stack)-1]
			}
		}
	}
	rec(ds)
}

// servers returns the main server and the virtual hosts.
func (l *linter) servers() []*model.Server {
	if l.srv == nil {
		l.srv = make([]*model.Server, 0, 1+len(l.cfg.VirtualHosts))
		if l.cfg.Main != nil {
			l.srv = append(l.srv, l.cfg.Main)
		}
		l.srv = append(l.srv, l.cfg.VirtualHosts...)
	}
	return l.srv
}

// serverName names a server for messages.
func lintServerName(s *model.Server) string {
	if len(s.Addrs) == 0 {
		return "the main server"
	}
	name := s.ServerName
	if name == "" {
		var addrs []string
		for _, a := range s.Addrs {
			addrs = append(addrs, a.Text)
		}
		name = strings.Join(addrs, " ")
	}
	return "<VirtualHost> " + name
}

// parseSource turns a model Source ("FILE:LINE" or "FILE:LINE:COL") into a
// position (a Source without a number is all file name).
func lintParseSource(src string) parser.Pos {
	var nums [2]int
	n := 0
	rest := src
	for n < 2 {
		j := strings.LastIndexByte(rest, ':')
		if j < 0 {
			break
		}
		v, err := strconv.Atoi(rest[j+1:])
		if err != nil {
			break
		}
		nums[1], nums[0] = nums[0], v
		n++
		rest = rest[:j]
	}
	switch n {
	case 0:
		return parser.Pos{File: src}
	case 1:
		return parser.Pos{File: rest, Line: nums[0]}
	}
	return parser.Pos{File: rest, Line: nums[0], Col: nums[1]}
}

// pos resolves a model Source to a full position, taking the column from the
// directive named name (any directive when name is "") at that line.
func (l *linter) pos(source, name string) parser.Pos {
	p := lintParseSource(source)
	if p.Col != 0 {
		return p
	}
	ds := l.idx.at(p.File, p.Line)
	for _, d := range ds {
		if name == "" || strings.EqualFold(d.Name, name) {
			return d.Pos
		}
	}
	if len(ds) > 0 {
		return ds[0].Pos
	}
	return p
}

// at formats a position for a message: "FILE:LINE".
func lintAt(p parser.Pos) string {
	if !p.IsValid() {
		return "(unknown position)"
	}
	return fmt.Sprintf("%s:%d", p.File, p.Line)
}

// atSrc formats a model Source for a message.
func lintAtSrc(src string) string {
	p := lintParseSource(src)
	return lintAt(p)
}

func (l *linter) report(sev parser.Severity, code string, pos parser.Pos, directive, format string, args ...any) {
	if l.disabled[code] {
		return
	}
	msg := fmt.Sprintf(format, args...)
	if directive == "" {
		for _, d := range l.idx.at(pos.File, pos.Line) {
			if d.Pos.Col == pos.Col {
				directive = d.Name
				break
			}
		}
	}
	key := reportKey{pos, code, msg}
	if l.seen[key] {
		return
	}
	l.seen[key] = true
	l.diags = append(l.diags, parser.Diagnostic{Pos: pos, Severity: sev, Code: code, Directive: directive, Message: msg})
}

func (l *linter) errorf(code string, pos parser.Pos, directive, format string, args ...any) {
	l.report(parser.Error, code, pos, directive, format, args...)
}

func (l *linter) warnf(code string, pos parser.Pos, directive, format string, args ...any) {
	l.report(parser.Warning, code, pos, directive, format, args...)
}

// hostPath maps a path of the checked configuration to the file system
// path to open (LintOptions.Root).
func (l *linter) hostPath(p string) string {
	if l.opts.Root != "" && filepath.IsAbs(p) && !strings.HasPrefix(p, filepath.Clean(l.opts.Root)+string(filepath.Separator)) {
		return filepath.Join(l.opts.Root, p)
	}
	return p
}

// allSections returns the Location, Directory and Proxy sections of a server.
func lintSections(s *model.Server) []*model.Section {
	var out []*model.Section
	out = append(out, s.Locations...)
	out = append(out, s.Directories...)
	out = append(out, s.Proxies...)
	return out
}

// uniqueServersSections visits each section of every server once (sections
// inherited from the main server may be shared by pointer or by Source).
func (l *linter) eachSection(f func(s *model.Server, sec *model.Section)) {
	seenPtr := map[*model.Section]bool{}
	seenSrc := map[[2]string]bool{}
	for _, s := range l.servers() {
		for _, list := range [...][]*model.Section{s.Locations, s.Directories, s.Proxies} {
			for _, sec := range list {
				k := [2]string{sec.Kind, sec.Source}
				if seenPtr[sec] || (sec.Source != "" && seenSrc[k]) {
					continue
				}
				seenPtr[sec] = true
				if sec.Source != "" {
					seenSrc[k] = true
				}
				f(s, sec)
			}
		}
	}
}
