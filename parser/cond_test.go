package parser

import (
	"testing"
	"testing/fstest"
)

// Conditional sections (spec 1.6, 1.7): true bodies are spliced in place,
// false ones are skipped without parsing.
func TestConditionals(t *testing.T) {
	builtin := func(name string) bool { return name == "mod_version.c" || name == "version_module" }
	known := func(name string) bool { return name == "ServerName" || name == "ProxyPass" }
	sections := func(name string) bool { return name == "Proxy" || name == "VirtualHost" }
	tests := []struct {
		name    string
		src     string
		version string
		tree    string
		diags   []string
	}{
		{name: "ifmodule builtin source name", src: "<IfModule mod_version.c>\nA\n</IfModule>\n", tree: "A()"},
		{name: "ifmodule builtin identifier", src: "<IfModule version_module>\nA\n</IfModule>\n", tree: "A()"},
		{name: "ifmodule missing", src: "<IfModule mod_nope.c>\nA\n</IfModule>\nB\n", tree: "B()"},
		{name: "ifmodule negated", src: "<IfModule !mod_nope.c>\nA\n</IfModule>\n", tree: "A()"},
		{name: "ifmodule negated with space", src: "<IfModule ! mod_version.c>\nA\n</IfModule>\n", tree: ""},
		{name: "ifmodule quoted", src: "<IfModule \"mod_version.c\">\nA\n</IfModule>\n", tree: "A()"},
		{name: "ifmodule quoted bang is part of the name", src: "<IfModule \"!mod_nope.c\">\nA\n</IfModule>\n", tree: ""},
		{name: "ifmodule double bang", src: "<IfModule !!mod_version.c>\nA\n</IfModule>\n", tree: "A()"},
		{name: "ifmodule extra words ignored", src: "<IfModule mod_version.c foo>\nA\n</IfModule>\n", tree: "A()"},
		{name: "ifmodule case-insensitive name", src: "<ifmodule mod_version.c>\nA\n</IFMODULE>\n", tree: "A()"},
		{name: "loadmodule makes ifmodule true", src: "LoadModule proxy_module modules/mod_proxy.so\n<IfModule mod_proxy.c>\nA\n</IfModule>\n<IfModule proxy_module>\nB\n</IfModule>\n",
			tree: "LoadModule(proxy_module,modules/mod_proxy.so) A() B()"},
		{name: "loadmodule only counts after it", src: "<IfModule proxy_module>\nA\n</IfModule>\nLoadModule proxy_module m.so\n", tree: "LoadModule(proxy_module,m.so)"},
		{name: "ifmodule no arg", src: "<IfModule>\nA\n</IfModule>\n", tree: "A()",
			diags: []string{"1:1: error: <IfModule> directive requires additional arguments [syntax]"}},
		{name: "ifmodule bang only", src: "<IfModule !>\n</IfModule>\n", tree: "",
			diags: []string{"1:1: error: <IfModule> directive requires additional arguments [syntax]"}},
		{name: "ifmodule missing >", src: "<IfModule mod_version.c\nA\n</IfModule>\n", tree: "A()",
			diags: []string{"1:1: error: <IfModule> directive missing closing '>' [syntax]"}},
		{name: "nested true and false", src: "<IfModule mod_version.c>\n<IfModule nope>\nA\n</IfModule>\nB\n</IfModule>\n", tree: "B()"},
		{name: "true body inside a section", src: "<VirtualHost *>\n<IfModule mod_version.c>\nA\n</IfModule>\n</VirtualHost>\n", tree: "VirtualHost(*){A()}"},
		{name: "section inside true body", src: "<IfModule mod_version.c>\n<Location /a>\nA\n</Location>\n</IfModule>\n", tree: "Location(/a){A()}"},
		{name: "skipped body is not parsed", src: "<IfModule nope>\n\"unterminated ${X}\nGarbage </Nope>\n<Nope>\n</Nope>\n</IfModule>\nB\n", tree: "B()"},
		{name: "skipped body bare </", src: "<IfModule nope>\n</\n", tree: "",
			diags: []string{"1:1: error: Expected </IfModule> but saw <> (line 2) in the skipped <IfModule> [mismatched-section]"}},
		{name: "skipped body closer with junk", src: "<IfModule nope>\n</IfModule>junk\n", tree: "",
			diags: []string{"1:1: error: Expected </IfModule> but saw </IfModule>jun> (line 2) in the skipped <IfModule> [mismatched-section]"}},
		{name: "skipped body tracks nesting", src: "<IfModule nope>\n<IfModule x>\n</IfModule>\nA\n</IfModule>\nB\n", tree: "B()"},
		{name: "skipped body mismatched closer", src: "<IfModule nope>\n  <Location /a>\n</IfModule>\nB\n", tree: "B()",
			diags: []string{"1:1: error: Expected </Location> but saw </IfModule> (line 3); <Location> was opened at line 2 inside the skipped <IfModule> [mismatched-section]"}},
		{name: "skipped body to eof", src: "<IfModule nope>\n<Location /a>\n<Proxy x>\n", tree: "",
			diags: []string{"1:1: error: Expected </Proxy> before end of configuration; <Proxy> (line 3) inside the skipped <IfModule> was never closed [unclosed-section]"}},
		{name: "skipped conditional unclosed", src: "<IfModule nope>\nA\n", tree: "",
			diags: []string{"1:1: error: Expected </IfModule> before end of configuration; add </IfModule> to close the <IfModule> opened here [unclosed-section]"}},
		{name: "true body ends only at exact closer line", src: "<IfModule mod_version.c>\nA\n</IfModule >\nB\n</IfModule>\n", tree: "A() B()",
			diags: []string{"3:1: error: </IfModule without matching <IfModule section (inside <IfModule> at line 1 only </IfModule> on a line of its own closes it) [syntax]"}},
		{name: "true body closer with junk", src: "<IfModule mod_version.c>\nA\n</IfModule> junk\n", tree: "A()",
			diags: []string{
				"3:1: error: </IfModule> without matching <IfModule> section (inside <IfModule> at line 1 only </IfModule> on a line of its own closes it) [syntax]",
				"1:1: warning: <IfModule> was not closed; Apache accepts this silently because it is inside <IfModule> (line 1), but everything to the end of t.conf is inside it: add </IfModule> [unclosed-section]",
			}},
		{name: "true body with unclosed section closed by conditional", src: "<IfModule mod_version.c>\n<Location /a>\n</IfModule>\n", tree: "Location(/a){}",
			diags: []string{"3:1: error: Expected </Location> but saw </IfModule>; close <Location> (line 2) before this line [mismatched-section]"}},
		{name: "true body unclosed at eof is accepted by apache", src: "<IfModule mod_version.c>\n<Location /a>\n", tree: "Location(/a){}",
			diags: []string{
				"2:1: warning: <Location> was not closed; Apache accepts this silently because it is inside <IfModule> (line 1), but everything to the end of t.conf is inside it: add </Location> [unclosed-section]",
				"1:1: warning: <IfModule> was not closed; Apache accepts this silently because it is inside <IfModule> (line 1), but everything to the end of t.conf is inside it: add </IfModule> [unclosed-section]",
			}},
		{name: "section outside true conditional unclosed", src: "<Location /a>\n<IfModule mod_version.c>\n", tree: "Location(/a){}",
			diags: []string{
				"2:1: warning: <IfModule> was not closed; Apache accepts this silently because it is inside <IfModule> (line 2), but everything to the end of t.conf is inside it: add </IfModule> [unclosed-section]",
				"1:1: error: <Location> was not closed. Add </Location> where the section ends, probably before line 2, where the indentation returns to the level of <Location> [unclosed-section]",
			}},
		{name: "closer of outer section inside true conditional", src: "<Location /a>\n<IfModule mod_version.c>\n</Location>\n</IfModule>\n</Location>\n", tree: "Location(/a){}",
			diags: []string{"3:1: error: </Location> without matching <Location> section (inside <IfModule> at line 2 only </IfModule> on a line of its own closes it) [syntax]"}},
		{name: "ifdefine", src: "Define X\n<IfDefine X>\nA\n</IfDefine>\n<IfDefine !X>\nB\n</IfDefine>\n<IfDefine x>\nC\n</IfDefine>\n", tree: "Define(X) A()"},
		{name: "ifdefine quoted", src: "Define X\n<IfDefine \"X\">\nA\n</IfDefine>\n", tree: "Define(X) A()"},
		{name: "ifdirective", src: "<IfDirective ServerName>\nA\n</IfDirective>\n<IfDirective !Nope>\nB\n</IfDirective>\n<IfDirective Nope>\nC\n</IfDirective>\n", tree: "A() B()"},
		{name: "ifsection", src: "<IfSection Proxy>\nA\n</IfSection>\n<IfSection Nope>\nB\n</IfSection>\n", tree: "A()"},
		{name: "iffile", src: "<IfFile /srv/a.conf>\nA\n</IfFile>\n<IfFile a.conf>\nB\n</IfFile>\n<IfFile !/srv/none>\nC\n</IfFile>\n<IfFile none>\nD\n</IfFile>\n", tree: "A() B() C()"},
		{name: "ifversion default equal", src: "<IfVersion 2.4.67>\nA\n</IfVersion>\n", tree: "A()"},
		{name: "ifversion ops", src: "<IfVersion >= 2.4>\nA\n</IfVersion>\n<IfVersion < 2.4>\nB\n</IfVersion>\n<IfVersion = 2.4.67>\nC\n</IfVersion>\n<IfVersion == 2.4.66>\nD\n</IfVersion>\n<IfVersion > 2.4.66>\nE\n</IfVersion>\n<IfVersion <= 2.4.67>\nF\n</IfVersion>\n<IfVersion !> 2.4.66>\nG\n</IfVersion>\n",
			tree: "A() C() E() F()"},
		{name: "ifversion regex", src: "<IfVersion ~ ^2\\.4>\nA\n</IfVersion>\n<IfVersion /^2\\.2/>\nB\n</IfVersion>\n<IfVersion = /67$/>\nC\n</IfVersion>\n<IfVersion !~ ^2>\nD\n</IfVersion>\n", tree: "A() C()"},
		{name: "ifversion quoted with delimiter", src: "<IfVersion >= \"2.4\" >\nA\n</IfVersion>\n<IfVersion \"2.4.67\" >\nB\n</IfVersion>\n", tree: "A() B()"},
		{name: "ifversion other version", version: "2.2.34", src: "<IfVersion < 2.4>\nA\n</IfVersion>\n", tree: "A()"},
		{name: "ifversion bad version", src: "<IfVersion >= 2.x>\nA\n</IfVersion>\n", tree: "A()",
			diags: []string{"1:1: error: Version appears to be invalid. It must have the format major[.minor[.patch]] where major, minor and patch are numbers. [syntax]"}},
		{name: "ifversion bad operator", src: "<IfVersion => 2.4>\nA\n</IfVersion>\n", tree: "A()",
			diags: []string{"1:1: error: unrecognized operator '=>' [syntax]"}},
		{name: "ifversion missing >", src: "<IfVersion >= 2.4\nA\n</IfVersion>\n", tree: "A()",
			diags: []string{"1:1: error: <IfVersion> directive missing closing '>' [syntax]"}},
		{name: "ifversion too many args", src: "<IfVersion >= 2.4 x y>\nA\n</IfVersion>\n", tree: "A()",
			diags: []string{"1:1: error: <IfVersion takes one, two or three arguments, a comparison operator, a version (and a delimiter) [syntax]"}},
		{name: "ifversion regex delimiter", src: "<IfVersion = /2.4>\nA\n</IfVersion>\n", tree: "A()",
			diags: []string{"1:1: error: Missing delimiting / of regular expression. [syntax]"}},
		{name: "ifversion bad regex", src: "<IfVersion ~ (>\nA\n</IfVersion>\n", tree: "A()",
			diags: []string{"1:1: error: Unable to compile regular expression [syntax]"}},
		{name: "define inside false conditional is skipped", src: "<IfDefine NOPE>\nDefine X 1\n</IfDefine>\nA ${X}\n", tree: "A(${X})",
			diags: []string{"4:3: warning: AH00111: Config variable ${X} is not defined (the text is kept literally; define it with Define or in the environment) [undefined-variable]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := parseStr(tt.src, Options{ModuleBuiltin: builtin, DirectiveKnown: known, SectionKnown: sections,
				Version: tt.version, ServerRoot: "/srv", fsys: mapFS{fstest.MapFS{"srv/a.conf": {Data: []byte("x")}}}})
			if got := tree(r.Directives); got != tt.tree {
				t.Errorf("tree:\n got %s\nwant %s", got, tt.tree)
			}
			eqLines(t, "diags", diagLines(r), tt.diags)
		})
	}
}

func TestParseVersion(t *testing.T) {
	tests := []struct {
		in   string
		want [3]int
		ok   bool
	}{
		{"2", [3]int{2, 0, 0}, true},
		{"2.4", [3]int{2, 4, 0}, true},
		{"2.4.67", [3]int{2, 4, 67}, true},
		{"2.4.", [3]int{2, 4, 0}, true},
		{"2.4.67.1", [3]int{}, false},
		{"2.x", [3]int{}, false},
		{"x", [3]int{}, false},
		{"", [3]int{}, false},
	}
	for _, tt := range tests {
		got, ok := parseVersion(tt.in)
		if ok != tt.ok || (ok && got != tt.want) {
			t.Errorf("parseVersion(%q) = %v,%v want %v,%v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
