package parser

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// condNames are the conditional sections evaluated while reading, in
// Apache's spelling.
var condNames = [...]string{"IfModule", "IfDefine", "IfVersion", "IfFile", "IfDirective", "IfSection"}

// condName returns the canonical name of a conditional section, or "".
func condName(name string) string {
	for _, c := range condNames {
		if strings.EqualFold(name, c) {
			return c
		}
	}
	return ""
}

// conditional handles the opener of a conditional section: a true one
// becomes a transparent frame whose body is spliced into the enclosing
// block, a false one is skipped (soaked) up to its closer.
func (r *reader) conditional(fs *fileState, cond string, o *lineParts, s string, p Pos) {
	ok, msg := r.evalCond(cond, o, s)
	if msg != "" {
		r.diag(p, fs.from, Error, phaseRead, "syntax", cond, msg, "")
		ok = true // read the body so that its own problems are reported too
	}
	if ok {
		fs.stack = append(fs.stack, frame{cond: cond, pos: p, start: len(fs.kids), name: cond})
		return
	}
	r.soak(fs, cond, p)
}

// evalCond evaluates a conditional section opener. msg is Apache's error
// for a malformed opener.
func (r *reader) evalCond(cond string, o *lineParts, s string) (ok bool, msg string) {
	if cond == "IfVersion" {
		_, rest := GetWord(s)
		if rest == "" {
			rest = ">"
		}
		return r.ifVersion(FieldValues(rest))
	}
	if !o.gt {
		return false, "<" + cond + "> directive missing closing '>'"
	}
	arg := o.args
	not := strings.HasPrefix(arg, "!")
	if not {
		arg = arg[1:]
	}
	w, _ := GetWord(arg)
	if w.Value == "" {
		return false, "<" + cond + "> directive requires additional arguments"
	}
	var res bool
	switch cond {
	case "IfModule":
		res = r.moduleLoaded(w.Value)
	case "IfDefine":
		res = r.defs.hasParam(w.Value)
	case "IfFile":
		_, err := r.fs.Stat(r.rootRelative(w.Value))
		res = err == nil
	case "IfDirective":
		res = r.directiveKnown(w.Value)
	case "IfSection":
		res = r.sectionKnown(w.Value)
	}
	return res != not, ""
}

// moduleLoaded answers <IfModule name>.
func (r *reader) moduleLoaded(name string) bool {
	if r.modules[name] {
		return true
	}
	return r.opts.ModuleBuiltin != nil && r.opts.ModuleBuiltin(name)
}

// readPhaseDirectives are the directives this package itself implements.
var readPhaseDirectives = [...]string{"Include", "IncludeOptional", "Define", "UnDefine", "LoadModule", "ServerRoot"}

func (r *reader) directiveKnown(name string) bool {
	if r.opts.DirectiveKnown != nil {
		return r.opts.DirectiveKnown(name)
	}
	for _, d := range readPhaseDirectives {
		if strings.EqualFold(d, name) {
			return true
		}
	}
	return false
}

func (r *reader) sectionKnown(name string) bool {
	if r.opts.SectionKnown != nil {
		return r.opts.SectionKnown(name)
	}
	return condName(name) != ""
}

// rootRelative is ap_server_root_relative: a relative path is taken from
// ServerRoot, and the result is cleaned like apr_filepath_merge does ("."
// and ".." segments and doubled slashes removed, a trailing slash kept).
func (r *reader) rootRelative(p string) string {
	if p == "" {
		return r.root
	}
	full := p
	if !filepath.IsAbs(p) {
		full = joinPath(r.root, p)
	}
	c := filepath.Clean(full)
	if strings.HasSuffix(p, "/") && c != "/" {
		c += "/"
	}
	return c
}

// joinPath joins like ap_make_full_path: exactly one '/' between the parts,
// no other cleaning (so messages show the path as Apache would).
func joinPath(dir, name string) string {
	if dir == "" {
		return name
	}
	if strings.HasSuffix(dir, "/") {
		return dir + name
	}
	return dir + "/" + name
}

const ifVersionHelp = "a comparison operator, a version (and a delimiter)"

// ifVersion is mod_version's start_ifversion over the tokenised arguments
// (the last one still carries the closing '>').
func (r *reader) ifVersion(words []string) (bool, string) {
	if len(words) > 3 {
		return false, "<IfVersion takes one, two or three arguments, " + ifVersionHelp
	}
	var arg1, arg2, arg3 string
	has3 := len(words) == 3
	switch len(words) {
	case 1:
		arg1, arg2 = "=", words[0]
	case 2:
		arg1, arg2 = words[0], words[1]
	case 3:
		arg1, arg2, arg3 = words[0], words[1], words[2]
	}
	// surrounding quotes without operator: <IfVersion "2.4" >
	if !has3 && arg2 == ">" {
		arg3, has3 = ">", true
		arg2, arg1 = arg1, "="
	}
	ver := arg2
	if ver == "" {
		return false, "<IfVersion> directive missing closing '>'"
	}
	if !(has3 && arg3 == ">") {
		if ver[len(ver)-1] != '>' {
			return false, "<IfVersion> directive missing closing '>'"
		}
		ver = ver[:len(ver)-1]
	}
	op := arg1
	reverse := false
	if strings.HasPrefix(op, "!") {
		reverse = true
		if len(op) > 1 {
			op = op[1:]
		}
	}
	unknown := "unrecognized operator '" + arg1 + "'"
	if op == "" {
		return false, unknown
	}
	c, rest := op[0], op[1:]
	if !(rest == "" || (rest == "=" && c != '~')) {
		return false, unknown
	}
	var match bool
	switch c {
	case '=':
		if !strings.HasPrefix(ver, "/") {
			cmp, ok := r.compareVersion(ver)
			if !ok {
				return false, errBadVersion
			}
			match = cmp == 0
			break
		}
		if len(ver) < 2 || ver[len(ver)-1] != '/' {
			return false, "Missing delimiting / of regular expression."
		}
		ver = ver[1 : len(ver)-1]
		fallthrough
	case '~':
		re, err := regexp.Compile(ver)
		if err != nil {
			return false, "Unable to compile regular expression"
		}
		match = re.MatchString(fmt.Sprintf("%d.%d.%d", r.version[0], r.version[1], r.version[2]))
	case '<', '>':
		cmp, ok := r.compareVersion(ver)
		if !ok {
			return false, errBadVersion
		}
		want := -1
		if c == '>' {
			want = 1
		}
		match = cmp == want || (rest != "" && cmp == 0)
	default:
		return false, unknown
	}
	return match != reverse, ""
}

const errBadVersion = "Version appears to be invalid. It must have the format major[.minor[.patch]] where major, minor and patch are numbers."

// compareVersion is mod_version's compare_version: -1, 0 or 1 for the
// running version below, equal to or above v.
func (r *reader) compareVersion(v string) (int, bool) {
	parts, ok := parseVersion(v)
	if !ok {
		return 0, false
	}
	for i := 0; i < 3; i++ {
		switch {
		case r.version[i] > parts[i]:
			return 1, true
		case r.version[i] < parts[i]:
			return -1, true
		}
	}
	return 0, true
}

// parseVersion parses major[.minor[.patch]] the way compare_version does:
// missing or empty components are 0, anything else is invalid.
func parseVersion(v string) ([3]int, bool) {
	var out [3]int
	if v == "" || v[0] < '0' || v[0] > '9' {
		return out, false
	}
	c, start, p := 0, 0, 0
	for p <= len(v) && c < 3 {
		if p == len(v) || v[p] == '.' {
			out[c] = atoi(v[start:p])
			c++
			p++
			start = p
			continue
		}
		if v[p] < '0' || v[p] > '9' {
			break
		}
		p++
	}
	if p < len(v) {
		return out, false
	}
	return out, true
}

// atoi converts leading digits like C's atoi, saturating instead of
// overflowing.
func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		if s == "" {
			return 0
		}
		return 1 << 31
	}
	return n
}

// parseVersionTriple parses Options.Version ("2.4.67"); bad input gives
// zeros in the bad places.
func parseVersionTriple(v string) [3]int {
	var out [3]int
	for i, f := range strings.SplitN(v, ".", 3) {
		n, _ := strconv.Atoi(strings.TrimSpace(f))
		out[i] = n
	}
	return out
}

// soakFrame is a section opened inside a skipped conditional section.
type soakFrame struct {
	name string // with the leading '<'
	line int
}

// soak skips the body of a false conditional section as Apache's
// ap_soak_end_container does: no ${VAR} substitution, nothing parsed except
// section openers and closers, which must still match.
func (r *reader) soak(fs *fileState, cond string, p Pos) {
	stack := []soakFrame{{name: "<" + cond, line: p.Line}}
	for !r.aborted {
		l, ok := fs.lr.next()
		if !ok {
			top := stack[len(stack)-1]
			apache := "Expected </" + top.name[1:] + "> before end of configuration"
			msg := ""
			if len(stack) > 1 {
				msg += fmt.Sprintf("; <%s> (line %d) inside the skipped <%s> was never closed", top.name[1:], top.line, cond)
			} else {
				msg += fmt.Sprintf("; add </%s> to close the <%s> opened here", cond, cond)
			}
			r.diag(p, fs.from, Error, phaseRead, "unclosed-section", cond, apache, msg)
			return
		}
		if l.tooLong {
			r.diag(Pos{File: fs.name, Line: l.last}, fs.from, Error, phaseRead, "syntax", "", errTooLong(fs.name, l.last), "")
			fs.stop = true
			return
		}
		w, rest := GetWord(l.text)
		name := w.Value
		if name == "" || name[0] != '<' {
			continue
		}
		if len(name) > 1 && name[1] == '/' {
			// Apache cuts the last byte whatever it is; "</" leaves "<".
			name = name[:len(name)-1]
			top := stack[len(stack)-1]
			if len(name) < 2 || !strings.EqualFold(name[2:], top.name[1:]) {
				apache := "Expected </" + top.name[1:] + "> but saw " + name + ">"
				msg := ""
				if len(stack) > 1 {
					msg += fmt.Sprintf(" (line %d); <%s> was opened at line %d inside the skipped <%s>", l.last, top.name[1:], top.line, cond)
				} else {
					msg += fmt.Sprintf(" (line %d) in the skipped <%s>", l.last, cond)
				}
				r.diag(p, fs.from, Error, phaseRead, "mismatched-section", cond, apache, msg)
				return
			}
			stack = stack[:len(stack)-1]
			if len(stack) == 0 {
				return
			}
			continue
		}
		if rest == "" && name[len(name)-1] == '>' {
			name = name[:len(name)-1]
		}
		stack = append(stack, soakFrame{name: name, line: l.last})
	}
}
