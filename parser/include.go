package parser

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

const (
	includeHelp         = "Name(s) of the config file(s) to be included; fails if the wildcard does not match at least one file"
	includeOptionalHelp = "Name or pattern of the config file(s) to be included; ignored if the file does not exist or the pattern does not match any files"
	includePrefix       = "Include/IncludeOptional: "
	defineHelp          = "Define a variable, optionally to a value.  Same as passing -D to the command line."
	undefineHelp        = "Undefine the existence of a variable. Undo a Define."
)

// directive handles an ordinary directive line: read-phase directives are
// executed, everything is appended to the current block except
// Include/IncludeOptional, which are replaced by what they include.
func (r *reader) directive(fs *fileState, d *Directive) {
	switch readPhaseName(d.Name) {
	case "include", "includeoptional":
		if !r.opts.HTAccess {
			r.include(fs, d)
			return
		}
	case "define":
		if r.opts.HTAccess {
			break
		}
		if len(d.Args) < 1 || len(d.Args) > 2 {
			r.diag(d.Pos, fs.from, Error, phaseRead, "syntax", d.Name, "Define takes 1-2 arguments, "+defineHelp, "")
		} else {
			if r.checkVarName(fs, d) {
				var val *string
				if len(d.Args) == 2 {
					val = &d.Args[1].Value
				}
				r.defs.define(d.Args[0].Value, val)
			}
		}
	case "undefine":
		if r.opts.HTAccess {
			break
		}
		if len(d.Args) != 1 {
			r.diag(d.Pos, fs.from, Error, phaseRead, "syntax", d.Name, "UnDefine takes one argument, "+undefineHelp, "")
		} else if r.checkVarName(fs, d) {
			r.defs.undefine(d.Args[0].Value)
		}
	case "loadmodule":
		if len(d.Args) == 2 {
			r.loadModule(fs, d)
		}
	case "serverroot":
		if len(d.Args) == 1 && !fs.inSection() && !r.opts.HTAccess {
			root := d.Args[0].Value
			if abs, err := filepath.Abs(root); err == nil {
				root = abs
			}
			r.root = root
		}
	}
	fs.add(d)
}

// readPhaseName returns strings.ToLower(name) when that is the name of a
// directive the reader executes, and "" otherwise, without allocating for
// ordinary (ASCII) directive names.
func readPhaseName(name string) string {
	for i := 0; i < len(name); i++ {
		if name[i] >= 0x80 { // strings.ToLower maps some non-ASCII letters to ASCII
			name = strings.ToLower(name)
			break
		}
	}
	var want string
	switch len(name) {
	case 6:
		want = "define"
	case 7:
		want = "include"
	case 8:
		want = "undefine"
	case 10:
		want = "loadmodule"
		if name[0] == 's' || name[0] == 'S' {
			want = "serverroot"
		}
	case 15:
		want = "includeoptional"
	default:
		return ""
	}
	if !strings.EqualFold(name, want) {
		return ""
	}
	return want
}

// checkVarName reports Apache's error for a Define/UnDefine name with ':'.
func (r *reader) checkVarName(fs *fileState, d *Directive) bool {
	if strings.IndexByte(d.Args[0].Value, ':') >= 0 {
		r.diag(d.Pos, fs.from, Error, phaseRead, "syntax", d.Name, "Variable name must not contain ':'", " (use letters, digits and '_' in "+d.Name+" names)")
		return false
	}
	return true
}

// loadModule records a LoadModule line so that later <IfModule> sections
// see the module (both as "proxy_module" and as "mod_proxy.c").
func (r *reader) loadModule(fs *fileState, d *Directive) {
	id, path := d.Args[0].Value, d.Args[1].Value
	if r.modules[id] {
		r.diag(d.Pos, fs.from, Warning, phaseNone, "duplicate-loadmodule", d.Name, "AH01574: module "+id+" is already loaded, skipping", "")
	}
	r.res.Modules = append(r.res.Modules, LoadedModule{Name: id, Path: path, Pos: d.Pos})
	r.modules[id] = true
	if base, ok := strings.CutSuffix(id, "_module"); ok {
		r.modules["mod_"+base+".c"] = true
	}
	if base, ok := strings.CutSuffix(filepath.Base(path), ".so"); ok {
		r.modules[base+".c"] = true
	}
}

// include executes Include/IncludeOptional (Apache's include_config).
func (r *reader) include(fs *fileState, d *Directive) {
	optional := strings.EqualFold(d.Name, "IncludeOptional")
	canon, help := "Include", includeHelp
	if optional {
		canon, help = "IncludeOptional", includeOptionalHelp
	}
	if len(d.Args) != 1 {
		r.diag(d.Pos, fs.from, Error, phaseRead, "syntax", d.Name, canon+" takes one argument, "+help, "")
		return
	}
	if r.depth+1 > maxIncludeDepth {
		r.diag(d.Pos, fs.from, Error, phaseRead, "include", d.Name, fmt.Sprintf(
			"Exceeded maximum include depth of %d, There appears to be a recursion.", maxIncludeDepth), " "+includeCycle(append(fs.from, d.Pos), d.Args[0].Value))
		r.aborted = true
		return
	}
	r.depth++
	defer func() { r.depth-- }()
	inc := &includer{r: r, fs: fs, d: d, optional: optional, from: append(fs.from[:len(fs.from):len(fs.from)], d.Pos)}
	path := r.rootRelative(d.Args[0].Value)
	var err string
	if !fnmatchTest(path) {
		err = inc.plain(path, 0)
	} else if !filepath.IsAbs(path) {
		err = "Include must have an absolute path, " + path
	} else {
		err = inc.wildcard("/", strings.TrimPrefix(path, "/"))
	}
	if err != "" {
		r.diag(d.Pos, fs.from, Error, phaseRead, "include", d.Name, err, "")
	}
}

// includeCycle describes the chain of Include directives that led here,
// naming the first file that repeats.
func includeCycle(chain []Pos, target string) string {
	seen := map[string]int{}
	for i, p := range chain {
		if j, ok := seen[p.File]; ok {
			var parts []string
			for _, q := range chain[j : i+1] {
				parts = append(parts, fmt.Sprintf("%s:%d", q.File, q.Line))
			}
			return "Include cycle: " + strings.Join(parts, " -> ") + "; make sure no file includes itself, directly or through other files"
		}
		seen[p.File] = i
	}
	return fmt.Sprintf("The include chain is %d files deep (last: %s includes %s); make sure no file includes itself", len(chain), chain[len(chain)-1], target)
}

// includer carries one Include directive's expansion.
type includer struct {
	r        *reader
	fs       *fileState
	d        *Directive
	optional bool
	from     []Pos
}

// splice appends the directives of an included file to the current block.
func (inc *includer) file(path string) string {
	r := inc.r
	if r.filesRead >= maxFilesRead {
		r.aborted = true
		return fmt.Sprintf("too many configuration files read (limit %d); is there an include loop through wildcards?", maxFilesRead)
	}
	r.filesRead++
	src, err := r.fs.ReadFile(path)
	if err != nil {
		return "Could not open configuration file " + path + ": " + errnoText(err)
	}
	r.addFile(path, src)
	inc.fs.add(r.parseFile(path, src, inc.from, false)...)
	return ""
}

// plain is process_resource_config_nofnmatch: a file, or a directory whose
// entries (dot-files included) are read recursively in byte order.
func (inc *includer) plain(path string, depth int) string {
	fi, err := inc.r.fs.Stat(path)
	if err == nil && fi.IsDir() {
		depth++
		if depth > maxDirDepth {
			return fmt.Sprintf("%sDirectory '%s' exceeds the maximum include directory nesting level of %d. You have probably a recursion somewhere.", includePrefix, path, maxDirDepth)
		}
		ents, err := inc.r.fs.ReadDir(path)
		if err != nil {
			return includePrefix + "Could not open directory " + path + ": " + errnoText(err)
		}
		for _, e := range ents {
			if msg := inc.plain(joinPath(path, e.Name()), depth); msg != "" {
				return msg
			}
			if inc.r.aborted {
				return ""
			}
		}
		return ""
	}
	if inc.optional && err != nil {
		return ""
	}
	return inc.file(path)
}

// wildcard is process_resource_config_fnmatch: pattern is matched one path
// component at a time below dir.
func (inc *includer) wildcard(dir, pattern string) string {
	comp, rest, hasRest := strings.Cut(pattern, "/")
	if !fnmatchTest(comp) {
		p := joinPath(dir, comp)
		if hasRest {
			return inc.wildcard(p, rest)
		}
		return inc.plain(p, 0)
	}
	ents, err := inc.r.fs.ReadDir(dir)
	if err != nil {
		if inc.optional && os.IsNotExist(err) {
			return ""
		}
		return includePrefix + "Could not open directory " + dir + ": " + errnoText(err)
	}
	n := 0
	for _, e := range ents {
		if !fnmatch(comp, e.Name()) {
			continue
		}
		// Inside the path only directories match (a symlink does not:
		// Apache looks at the directory entry type).
		if hasRest && !e.IsDir() {
			continue
		}
		n++
		var msg string
		if hasRest {
			msg = inc.wildcard(joinPath(dir, e.Name()), rest)
		} else {
			msg = inc.plain(joinPath(dir, e.Name()), 0)
		}
		if msg != "" {
			return msg
		}
		if inc.r.aborted {
			return ""
		}
	}
	if n == 0 && !inc.optional {
		return fmt.Sprintf("%sNo matches for the wildcard '%s' in '%s', failing", includePrefix, comp, dir)
	}
	return ""
}
