package parser

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
)

// writeTree creates files (name → content) under dir.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// Include / IncludeOptional (spec 1.8) on a real directory tree.
func TestInclude(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		main  string
		tree  string
		diags []string // "FILE:LINE: severity: message" with the temp dir shown as ROOT
	}{
		{name: "relative to server root", files: map[string]string{"sub/a.conf": "A 1\n"}, main: "Include sub/a.conf\nB\n", tree: "A(1) B()"},
		{name: "absolute", files: map[string]string{"sub/a.conf": "A 1\n"}, main: "Include ROOT/sub/a.conf\n", tree: "A(1)"},
		{name: "byte-wise order, dotfiles not matched", files: map[string]string{"d/10.conf": "A\n", "d/9.conf": "B\n", "d/A.conf": "C\n", "d/b.conf": "D\n", "d/.h.conf": "E\n", "d/x.txt": "F\n"},
			main: "Include d/*.conf\n", tree: "A() B() C() D()"},
		{name: "directory includes everything recursively", files: map[string]string{"d/b": "B\n", "d/.a": "A\n", "d/sub/c.conf": "C\n"},
			main: "Include d\n", tree: "A() B() C()"},
		{name: "wildcard in intermediate component", files: map[string]string{"sites-a/x.conf": "A\n", "sites-b/x.conf": "B\n", "sites-c": "not a dir\n"},
			main: "Include sites-*/*.conf\n", tree: "A() B()"},
		{name: "question mark and bracket", files: map[string]string{"d/a1.conf": "A\n", "d/a2.conf": "B\n", "d/b1.conf": "C\n"},
			main: "Include d/a?.conf\nInclude d/[!a]1.conf\n", tree: "A() B() C()"},
		{name: "inside a section", files: map[string]string{"m.conf": "BalancerMember http://a\nBalancerMember http://b\n"},
			main: "<Proxy balancer://x>\nInclude m.conf\n</Proxy>\n", tree: "Proxy(balancer://x){BalancerMember(http://a) BalancerMember(http://b)}"},
		{name: "included file sees defines", files: map[string]string{"a.conf": "A ${V}\nDefine W 2\n"},
			main: "Define V 1\nInclude a.conf\nB ${W}\n", tree: "Define(V,1) A(1) Define(W,2) B(2)"},
		{name: "include path is substituted", files: map[string]string{"a.conf": "A\n"},
			main: "Define F a.conf\nInclude ${F}\n", tree: "Define(F,a.conf) A()"},
		{name: "missing file", main: "Include nope.conf\nB\n", tree: "B()",
			diags: []string{"t.conf:1: error: Could not open configuration file ROOT/nope.conf: No such file or directory"}},
		{name: "no wildcard match", files: map[string]string{"d/x.txt": ""}, main: "Include d/*.conf\n",
			diags: []string{"t.conf:1: error: Include/IncludeOptional: No matches for the wildcard '*.conf' in 'ROOT/d', failing"}},
		{name: "missing directory", main: "Include nodir/*.conf\n",
			diags: []string{"t.conf:1: error: Include/IncludeOptional: Could not open directory ROOT/nodir: No such file or directory"}},
		{name: "optional ignores all three", main: "IncludeOptional nope.conf\nIncludeOptional nodir/*.conf\nIncludeOptional ROOT/*.nomatch\n"},
		{name: "optional still reports errors inside", files: map[string]string{"a.conf": "<Proxy *>\n"}, main: "IncludeOptional a.conf\n", tree: "Proxy(*){}",
			diags: []string{"a.conf:1: error: <Proxy> was not closed. Add </Proxy> where the section ends, probably at the end of the file (after line 1)"}},
		{name: "argument count", main: "Include a b\nIncludeOptional\n",
			diags: []string{
				"t.conf:1: error: Include takes one argument, Name(s) of the config file(s) to be included; fails if the wildcard does not match at least one file",
				"t.conf:2: error: IncludeOptional takes one argument, Name or pattern of the config file(s) to be included; ignored if the file does not exist or the pattern does not match any files",
			}},
		{name: "sections do not span files", files: map[string]string{"open.conf": "<Location /a>\n"}, main: "Include open.conf\n</Location>\n", tree: "Location(/a){}",
			diags: []string{
				"open.conf:1: error: <Location> was not closed. Add </Location> where the section ends, probably at the end of the file (after line 1)",
				"t.conf:2: error: </Location> without matching <Location> section; remove it or add the missing opener",
			}},
		{name: "self include", files: map[string]string{"self.conf": "A\nInclude self.conf\n"}, main: "Include self.conf\nB\n",
			tree:  strings.Repeat("A() ", 128)[:len(strings.Repeat("A() ", 128))-1],
			diags: []string{"self.conf:2: error: Exceeded maximum include depth of 128, There appears to be a recursion. Include cycle: ROOT/self.conf:2 -> ROOT/self.conf:2; make sure no file includes itself, directly or through other files"}},
		{name: "cycle through two files", files: map[string]string{"a.conf": "Include b.conf\n", "b.conf": "\nInclude a.conf\n"}, main: "Include a.conf\n",
			diags: []string{"b.conf:2: error: Exceeded maximum include depth of 128, There appears to be a recursion. Include cycle: ROOT/a.conf:1 -> ROOT/b.conf:2 -> ROOT/a.conf:1; make sure no file includes itself, directly or through other files"}},
		{name: "self include guarded by a define is fine", files: map[string]string{"once.conf": "<IfDefine !ONCE>\nDefine ONCE\nInclude once.conf\n</IfDefine>\nA\n"},
			main: "Include once.conf\n", tree: "Define(ONCE) A() A()"},
		{name: "paths are cleaned like apr_filepath_merge", main: "Include ./sub/../x9.conf\nInclude ROOT/a/./b//../y.conf\nInclude nodir/\n",
			diags: []string{
				"t.conf:1: error: Could not open configuration file ROOT/x9.conf: No such file or directory",
				"t.conf:2: error: Could not open configuration file ROOT/a/y.conf: No such file or directory",
				"t.conf:3: error: Could not open configuration file ROOT/nodir/: No such file or directory",
			}},
		{name: "serverroot inside a conditional", files: map[string]string{"other/a.conf": "A\n"},
			main: "<IfDefine !X>\nServerRoot ROOT/other\n</IfDefine>\nInclude a.conf\n", tree: "ServerRoot(ROOT/other) A()"},
		{name: "serverroot directive changes later includes", files: map[string]string{"other/a.conf": "A\n"},
			main: "ServerRoot ROOT/other\nInclude a.conf\n", tree: "ServerRoot(ROOT/other) A()"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeTree(t, dir, tt.files)
			src := strings.ReplaceAll(tt.main, "ROOT", dir)
			r := ParseBytes("t.conf", []byte(src), Options{ServerRoot: dir})
			if got := strings.ReplaceAll(tree(r.Directives), dir, "ROOT"); got != tt.tree {
				t.Errorf("tree:\n got %s\nwant %s", got, tt.tree)
			}
			var got []string
			for _, d := range r.Diags {
				msg := strings.ReplaceAll(d.Message, dir, "ROOT")
				got = append(got, strings.TrimPrefix(d.Pos.File, dir+"/")+":"+strconv.Itoa(d.Pos.Line)+": "+d.Severity.String()+": "+msg)
			}
			eqLines(t, "diags", got, tt.diags)
		})
	}
}

// IncludedFrom records the chain of Include directives, outermost first, on
// directives and on diagnostics; Result.Files lists files in reading order.
func TestIncludedFrom(t *testing.T) {
	fsys := mapFS{fstest.MapFS{
		"srv/a.conf": {Data: []byte("A\nInclude b.conf\n")},
		"srv/b.conf": {Data: []byte("\n\nB ${NOPE}\n")},
	}}
	r := ParseBytes("/srv/main.conf", []byte("M\nInclude a.conf\n"), Options{ServerRoot: "/srv", fsys: fsys})
	if got := tree(r.Directives); got != "M() A() B(${NOPE})" {
		t.Fatalf("tree %s", got)
	}
	chain := func(ps []Pos) string {
		var s []string
		for _, p := range ps {
			s = append(s, p.File+":"+strconv.Itoa(p.Line))
		}
		return strings.Join(s, " > ")
	}
	eqLines(t, "chains", []string{chain(r.Directives[0].IncludedFrom), chain(r.Directives[1].IncludedFrom), chain(r.Directives[2].IncludedFrom), chain(r.Diags[0].IncludedFrom)},
		[]string{"", "/srv/main.conf:2", "/srv/main.conf:2 > /srv/a.conf:2", "/srv/main.conf:2 > /srv/a.conf:2"})
	eqLines(t, "files", r.Files, []string{"/srv/main.conf", "/srv/a.conf", "/srv/b.conf"})
	if p := r.Directives[2].Pos; p.File != "/srv/b.conf" || p.Line != 3 {
		t.Errorf("B at %v", p)
	}
}

func TestFnmatch(t *testing.T) {
	tests := []struct {
		pat, name string
		want      bool
	}{
		{"*.conf", "a.conf", true},
		{"*.conf", ".a.conf", false},
		{".*", ".a", true},
		{"*", "", true},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"[ab]*", "b1", true},
		{"[!ab]*", "b1", false},
		{"[^ab]*", "c1", true},
		{"[a-c]x", "bx", true},
		{"[a-c]x", "dx", false},
		{"[]]x", "]x", true},
		{"[x", "[x", true},
		{"\\*x", "*x", true},
		{"\\*x", "ax", false},
		{"*a*b", "xxaxxb", true},
		{"*a*b", "xxaxxbc", false},
		{"a*", "a", true},
	}
	for _, tt := range tests {
		if got := fnmatch(tt.pat, tt.name); got != tt.want {
			t.Errorf("fnmatch(%q, %q) = %v, want %v", tt.pat, tt.name, got, tt.want)
		}
	}
	for p, want := range map[string]bool{"a": false, "*": true, "a?": true, "[a]": true, "[a": false, "a]": false, `\*`: false, `\`: false} {
		if got := fnmatchTest(p); got != want {
			t.Errorf("fnmatchTest(%q) = %v, want %v", p, got, want)
		}
	}
}
