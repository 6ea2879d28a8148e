package parser

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

// mapFS adapts an fstest.MapFS (unrooted names) to the reader's absolute
// paths, so fuzzing and tests never touch the real file system.
type mapFS struct{ m fstest.MapFS }

func (f mapFS) name(p string) string {
	p = strings.TrimPrefix(p, "/")
	if p == "" {
		return "."
	}
	return p
}
func (f mapFS) ReadFile(p string) (string, error) {
	b, err := fs.ReadFile(f.m, f.name(p))
	return string(b), err
}
func (f mapFS) ReadDir(p string) ([]os.DirEntry, error) { return fs.ReadDir(f.m, f.name(p)) }
func (f mapFS) Stat(p string) (os.FileInfo, error)      { return fs.Stat(f.m, f.name(p)) }

// corpusFiles returns the parser test configurations.
func corpusFiles(tb testing.TB) map[string][]byte {
	out := map[string][]byte{}
	paths, _ := filepath.Glob("../testdata/parser/*.conf")
	more, _ := filepath.Glob("../testdata/parser/*/*.conf")
	for _, p := range append(paths, more...) {
		b, err := os.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		out[p] = b
	}
	return out
}

// addCorpusLines seeds a fuzzer with every line of the test configurations.
func addCorpusLines(f *testing.F) {
	for _, b := range corpusFiles(f) {
		for _, l := range strings.Split(string(b), "\n") {
			f.Add(l)
		}
	}
}

// fuzzFS is the in-memory tree FuzzParse includes from (ServerRoot /srv).
var fuzzFS = fstest.MapFS{
	"srv/a.conf":          {Data: []byte("A 1\n<IfModule x>\nB\n</IfModule>\n")},
	"srv/self.conf":       {Data: []byte("Include self.conf\n")},
	"srv/conf.d/1.conf":   {Data: []byte("<Location /x>\nC ${V}\n</Location>\n")},
	"srv/conf.d/.hidden":  {Data: []byte("Hidden 1\n")},
	"srv/conf.d/bad.conf": {Data: []byte("<Proxy *>\n")},
}

// FuzzParse checks that any input parses without panicking and that every
// position points into the input: 1 <= line <= number of lines of its file
// and 1 <= col <= longest line + 1.
func FuzzParse(f *testing.F) {
	for _, b := range corpusFiles(f) {
		f.Add(b)
	}
	for _, s := range []string{
		"Include a.conf\nInclude conf.d\nIncludeOptional conf.d/*.conf\n",
		"Include self.conf\n",
		"Define V x\n<IfDefine V>\n<IfVersion >= 2.4>\nA ${V}\n</IfVersion>\n</IfDefine>\n",
		"<IfModule !x>\n<Location /a>\n</IfModule>\n",
		"<IfFile a.conf>\nA\n</IfFile>\n<IfVersion ~ ^2\\.4>\n</IfVersion>\n",
		"\xef\xbb\xbf<A>\\\n\r\n</A>",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		r := ParseBytes("/srv/fuzz.conf", src, Options{ServerRoot: "/srv", fsys: mapFS{fuzzFS}, Defines: []string{"D=1"}})
		files := map[string][]byte{"/srv/fuzz.conf": src}
		for name, f := range fuzzFS {
			files["/"+name] = f.Data
		}
		check := func(what string, p Pos) {
			if !p.IsValid() {
				return
			}
			b, ok := files[p.File]
			if !ok {
				t.Fatalf("%s: unknown file in %v", what, p)
			}
			lines := bytes.Split(b, []byte("\n"))
			maxLen := 0
			for _, l := range lines {
				maxLen = max(maxLen, len(l))
			}
			if p.Line > len(lines) || p.Col < 0 || p.Col > maxLen+1 {
				t.Fatalf("%s: position %v outside the file (%d lines, longest %d)", what, p, len(lines), maxLen)
			}
		}
		var walk func(ds []*Directive)
		walk = func(ds []*Directive) {
			for _, d := range ds {
				check("directive "+d.Name, d.Pos)
				for _, a := range d.Args {
					check("arg", a.Pos)
				}
				if d.IsSection {
					check("end", d.End)
					walk(d.Block)
				}
			}
		}
		walk(r.Directives)
		for _, d := range r.Diags {
			check("diag "+d.Message, d.Pos)
			if d.Message == "" {
				t.Fatalf("empty diagnostic message at %v", d.Pos)
			}
		}
		for _, m := range r.Modules {
			check("module", m.Pos)
		}
	})
}
