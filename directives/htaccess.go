package directives

// .htaccess files (spec 6.8, 6.9): read with the parser's .htaccess
// limits, every directive checked against AllowOverride before it is
// applied, as Apache's ap_parse_htaccess does. Any error makes every
// request below that directory fail with 500; Apache logs
// "/path/.htaccess: <message>".

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/balancerd/balancerd/directives/model"
	"github.com/balancerd/balancerd/parser"
)

// overrideSet is an AllowOverride value: which groups .htaccess may use.
type overrideSet struct {
	all    bool
	groups map[string]bool
}

// parseAllowOverride reads AllowOverride's words (None, All, AuthConfig,
// FileInfo, Indexes, Limit, Options[=...], Nonfatal=...).
func parseAllowOverride(words []string) overrideSet {
	s := overrideSet{groups: map[string]bool{}}
	for _, w := range words {
		g, _, _ := strings.Cut(w, "=")
		switch strings.ToLower(g) {
		case "all":
			s.all = true
		case "none":
			s.all, s.groups = false, map[string]bool{}
		case "authconfig", "fileinfo", "indexes", "limit", "options":
			s.groups[strings.ToLower(g)] = true
		}
	}
	return s
}

// permits reports whether a directive whose Spec.Override is override may
// be used.
func (s overrideSet) permits(override string) bool {
	if override == "" {
		return false
	}
	for _, g := range strings.Fields(override) {
		if s.all {
			return true
		}
		if strings.EqualFold(g, "All") {
			if len(s.groups) > 0 {
				return true
			}
			continue
		}
		if s.groups[strings.ToLower(g)] {
			return true
		}
	}
	return false
}

// checkOverrides walks ds in file order and returns Apache's error for the
// first directive .htaccess may not use.
func checkOverrides(ds []*parser.Directive, allow overrideSet) (*parser.Directive, error) {
	for _, d := range ds {
		spec := Lookup(d.Name)
		shown := d.Name
		if d.IsSection {
			shown = "<" + d.Name
		}
		if spec == nil || spec.Section != d.IsSection {
			return d, apacheErr("Invalid command '" + shown + "', perhaps misspelled or defined by a module not included in the server configuration")
		}
		name := spec.Name
		if spec.Section {
			name = "<" + spec.Name
		}
		if !spec.HTAccess || !allow.permits(spec.Override) {
			return d, apacheErr(name + " not allowed here")
		}
		if d.IsSection {
			if bad, err := checkOverrides(d.Block, allow); err != nil {
				return bad, err
			}
		}
	}
	return nil, nil
}

// LoadHTAccess reads the .htaccess file at path under the AllowOverride
// words allow and returns its per-directory configuration.
//
// allow nil means AllowOverride was never set for the directory: Apache
// 2.4 still reads the file and rejects every directive in it (spec 6.8);
// []string{"None"} means the file is not read at all (nil, nil). A missing
// file is not an error (nil, nil). When the returned diagnostics have
// errors, Apache answers every request below the directory with 500.
func LoadHTAccess(path string, allow []string, opts LoadOptions) (*model.DirConfig, parser.Diagnostics) {
	set := parseAllowOverride(allow)
	if allow != nil && !set.all && len(set.groups) == 0 {
		return nil, nil
	}
	if _, err := os.Stat(path); err != nil {
		if os.IsNotExist(err) {
			return nil, nil
		}
	}
	popts := ParserOptions(opts)
	popts.HTAccess = true
	res := parser.ParseFile(path, popts)
	if res.Diags.HasErrors() {
		return nil, res.Diags
	}
	if bad, err := checkOverrides(res.Directives, set); err != nil {
		return nil, parser.Diagnostics{{Pos: bad.Pos, Severity: parser.Error, Code: "htaccess-not-allowed", Directive: bad.Name, Message: err.Error()}}
	}
	root := opts.ServerRoot
	if root == "" {
		root = "."
	}
	dir := &model.DirConfig{Source: path}
	b := &Builder{Config: &model.Config{ServerRoot: root}, Server: newServer(""), Dir: dir, opts: opts, proxy: newProxyState(), fragment: true}
	b.Enter("Directory", filepath.Dir(path), CtxDirectory, dir, nil, func() { b.Walk(res.Directives) })
	return dir, append(res.Diags, b.Diags...)
}

// HTAccessLoader caches parsed .htaccess files and re-reads a file when it
// changes on disk (Apache reads it on every request). It is safe for
// concurrent use; the zero value is ready.
type HTAccessLoader struct {
	Options LoadOptions

	mu    sync.Mutex
	cache map[string]*htEntry
}

type htEntry struct {
	mod   time.Time
	size  int64
	allow string
	dir   *model.DirConfig
	err   error
}

// Load returns the configuration of the .htaccess file at path (nil if
// there is none or AllowOverride None), or an error worded as Apache logs
// it ("/path/.htaccess: AuthType not allowed here"), meaning 500.
func (l *HTAccessLoader) Load(path string, allow []string) (*model.DirConfig, error) {
	fi, err := os.Stat(path)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, nil
		}
		return nil, apacheErr(path + ": " + err.Error())
	}
	key := strings.Join(allow, " ")
	if allow == nil {
		key = "\x00unset"
	}
	l.mu.Lock()
	if l.cache == nil {
		l.cache = map[string]*htEntry{}
	}
	e := l.cache[path]
	l.mu.Unlock()
	if e != nil && e.mod.Equal(fi.ModTime()) && e.size == fi.Size() && e.allow == key {
		return e.dir, e.err
	}
	dir, diags := LoadHTAccess(path, allow, l.Options)
	e = &htEntry{mod: fi.ModTime(), size: fi.Size(), allow: key, dir: dir}
	for _, d := range diags {
		if d.Severity == parser.Error {
			e.dir, e.err = nil, apacheErr(path+": "+apacheHTAccessMessage(path, d))
			break
		}
	}
	l.mu.Lock()
	if len(l.cache) < 10000 {
		l.cache[path] = e
	}
	l.mu.Unlock()
	return e.dir, e.err
}

// apacheHTAccessMessage words a diagnostic as Apache's error log does after
// "/path/.htaccess: ". An unclosed section names the section as Apache
// registers it, with the file and line of its opener (observed on 2.4.67:
// "/p/.htaccess: /p/.htaccess:4: <Limit> was not closed." for the seed's
// "<limit GET PUT POST>").
func apacheHTAccessMessage(path string, d parser.Diagnostic) string {
	if d.Code == "unclosed-section" {
		name := d.Directive
		if s := Lookup(name); s != nil {
			name = s.Name
		}
		return fmt.Sprintf("%s:%d: <%s> was not closed.", path, d.Pos.Line, name)
	}
	return d.Message
}
