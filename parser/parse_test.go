package parser

import (
	"testing"
)

// Structure: logical lines, comments, sections and Apache's read-phase
// error messages (spec 1.1, 1.2, 1.6). Messages start with Apache's own
// text (verified with apache2 -t, see TestApacheDifferential) followed by
// balancerd's hint.
func TestStructure(t *testing.T) {
	tests := []struct {
		name  string
		src   string
		tree  string
		diags []string
	}{
		{name: "empty", src: "", tree: ""},
		{name: "blank and comments", src: "\n  \n# c\n   # indented comment\n\t\n", tree: ""},
		{name: "simple", src: "ServerName a\nListen 80\n", tree: "ServerName(a) Listen(80)"},
		{name: "case kept", src: "proxypass / http://b/\n", tree: "proxypass(/,http://b/)"},
		{name: "hash mid line is an argument", src: "ProxyPass /a http://b # comment\n", tree: "ProxyPass(/a,http://b,#,comment)"},
		{name: "crlf", src: "A 1\r\nB 2\r\n", tree: "A(1) B(2)"},
		{name: "no final newline", src: "A 1\nB 2", tree: "A(1) B(2)"},
		{name: "continuation", src: "Header set X-L \"line \\\ncontinued\"\n", tree: "Header(set,X-L,line continued)"},
		{name: "continuation keeps leading space", src: "A a\\\n   b\n", tree: "A(a,b)"},
		{name: "continuation joins words", src: "A a\\\nb\n", tree: "A(ab)"},
		{name: "backslash space is not continuation", src: "A a \\ \nB b\n", tree: "A(a,\\) B(b)"},
		{name: "double backslash continues", src: "A a\\\\\nb\n", tree: "A(a\\b)"},
		{name: "crlf continuation", src: "A a\\\r\n b\r\n", tree: "A(a,b)"},
		{name: "comment continuation swallows next line", src: "# c \\\nB swallowed\nC next\n", tree: "C(next)"},
		{name: "continuation at eof", src: "A a\\\n", tree: "A(a)"},
		{name: "nested sections", src: "<VirtualHost *:80>\n <Location /a>\n  Require all granted\n </Location>\n</VirtualHost>\n",
			tree: "VirtualHost(*:80){Location(/a){Require(all,granted)}}"},
		{name: "section case-insensitive closer", src: "<location /a>\n</LOCATION>\n", tree: "location(/a){}"},
		{name: "opener args end at last >", src: "<Location /a>b>\n</Location>\n", tree: "Location(/a>b){}"},
		{name: "text after last > ignored", src: "<Proxy *> \n</Proxy>\n", tree: "Proxy(*){}"},
		{name: "opener without args", src: "<RequireAll>\nRequire all granted\n</RequireAll>\n", tree: "RequireAll(){Require(all,granted)}"},
		{name: "quoted opener name", src: "\"<Location\" /a>\n</Location>\n", tree: "Location(/a){}"},
		{name: "closer with trailing text", src: "<Location /x>\n</Location> junk\n", tree: "Location(/x){}"},
		{name: "trailing > stripped from a name", src: "ServerName> foo\n", tree: "ServerName(foo)"},
		{name: "lone >", src: ">\n", tree: "()"},
		{name: "unclosed", src: "<Location /x>\n", tree: "Location(/x){}",
			diags: []string{"1:1: error: <Location> was not closed. Add </Location> where the section ends, probably at the end of the file (after line 1) [unclosed-section]"}},
		{name: "unclosed nested innermost first",
			src:  "<VirtualHost *>\n<Proxy *>\n<Location /a>\n",
			tree: "VirtualHost(*){Proxy(*){Location(/a){}}}",
			diags: []string{
				"3:1: error: <Location> was not closed. Add </Location> where the section ends, probably at the end of the file (after line 3) [unclosed-section]",
				"2:1: error: <Proxy> was not closed. Add </Proxy> where the section ends, probably before line 3, where the indentation returns to the level of <Proxy> [unclosed-section]",
				"1:1: error: <VirtualHost> was not closed. Add </VirtualHost> where the section ends, probably before line 2, where the indentation returns to the level of <VirtualHost> [unclosed-section]",
			}},
		{name: "mismatched closer", src: "<VirtualHost *>\n</Location>\n", tree: "VirtualHost(*){}",
			diags: []string{"2:1: error: Expected </VirtualHost> but saw </Location>; <VirtualHost> was opened at line 1, close it with </VirtualHost> [mismatched-section]"}},
		{name: "mismatched closer closes inner sections", src: "<VirtualHost *>\n  <Location /a>\n</VirtualHost>\nListen 80\n",
			tree:  "VirtualHost(*){Location(/a){}} Listen(80)",
			diags: []string{"3:1: error: Expected </Location> but saw </VirtualHost>; close <Location> (line 2) before this line [mismatched-section]"}},
		{name: "closer without opener", src: "</Location>\nListen 80\n", tree: "Listen(80)",
			diags: []string{"1:1: error: </Location> without matching <Location> section; remove it or add the missing opener [syntax]"}},
		{name: "closer missing >", src: "<Location /x>\n</Location >\n", tree: "Location(/x){}",
			diags: []string{"2:1: error: </Location> directive missing closing '>'; write </Location> with no space before the '>' [syntax]"}},
		{name: "opener missing >", src: "<Location /x\n</Location>\n", tree: "Location(/x){}",
			diags: []string{"1:1: error: <Location> directive missing closing '>'; end the line with '>' [syntax]"}},
		{name: "line number of a continued opener is its last line", src: "<Location \\\n /x>\nA\n</Location>\n", tree: "Location(/x){A()}"},
		{name: "unclosed continued opener", src: "\n<Location \\\n /x>\n", tree: "Location(/x){}",
			diags: []string{"3:1: error: <Location> was not closed. Add </Location> where the section ends, probably at the end of the file (after line 3) [unclosed-section]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := parseStr(tt.src, Options{})
			if got := tree(r.Directives); got != tt.tree {
				t.Errorf("tree:\n got %s\nwant %s", got, tt.tree)
			}
			eqLines(t, "diags", diagLines(r), tt.diags)
		})
	}
}

// Pos.Line is the last physical line (Apache's line), Col the column of the
// name; Arg.Pos.Col is the column of each word in its physical line.
func TestPositions(t *testing.T) {
	src := "A 1\n\t<Proxy balancer://x>\n  BalancerMember http://a \\\n     route=r1\n\t</Proxy>\n"
	r := parseStr(src, Options{})
	if len(r.Directives) != 2 {
		t.Fatalf("tree %s", tree(r.Directives))
	}
	a, p := r.Directives[0], r.Directives[1]
	m := p.Block[0]
	got := []string{posOf(a.Pos), posOf(p.Pos), posOf(p.Args[0].Pos), posOf(m.Pos), posOf(m.Args[0].Pos), posOf(m.Args[1].Pos), posOf(p.End)}
	want := []string{"1:1", "2:2", "2:9", "4:3", "4:18", "4:6", "5:2"}
	eqLines(t, "positions", got, want)
	if m.Raw != "http://a      route=r1" {
		t.Errorf("Raw = %q", m.Raw)
	}
	if p.Pos.File != "t.conf" {
		t.Errorf("File = %q", p.Pos.File)
	}
}

func TestBOM(t *testing.T) {
	r := parseStr("\xef\xbb\xbfServerName a\nListen 80\n", Options{})
	if got := tree(r.Directives); got != "ServerName(a) Listen(80)" {
		t.Errorf("tree %s", got)
	}
	eqLines(t, "diags", diagLines(r), []string{
		"1:1: error: Invalid command '\xef\xbb\xbfServerName', perhaps misspelled or defined by a module not included in the server configuration (the file starts with a UTF-8 byte order mark, which Apache does not skip; save it without the BOM) [bom]",
	})
}

func TestLineTooLong(t *testing.T) {
	long := "ServerName " + string(make([]byte, 0)) + stringsRepeat("a", maxHTAccessLineLen) + "\n"
	r := parseStr("A 1\n"+long+"B 2\n", Options{HTAccess: true})
	if got := tree(r.Directives); got != "A(1)" {
		t.Errorf("tree %s", got)
	}
	eqLines(t, "diags", diagLines(r), []string{
		"2: error: Error reading t.conf at line 2: Line too long (Apache stops reading the file here) [syntax]",
	})
	r = parseStr("A 1\n"+long+"B 2\n", Options{})
	if got := tree(r.Directives); got != "A(1) ServerName("+stringsRepeat("a", maxHTAccessLineLen)+") B(2)" {
		t.Errorf("server config must accept long lines")
	}
}

func stringsRepeat(s string, n int) string {
	b := make([]byte, 0, len(s)*n)
	for i := 0; i < n; i++ {
		b = append(b, s...)
	}
	return string(b)
}

func TestBeforeAfter(t *testing.T) {
	r := parseStr("B main\n", Options{Before: []string{"A before", "Define X 1"}, After: []string{"C ${X}"}})
	if got := tree(r.Directives); got != "A(before) Define(X,1) B(main) C(1)" {
		t.Errorf("tree %s", got)
	}
	if p := r.Directives[0].Pos; p.IsValid() || p.String() != "-" {
		t.Errorf("-C directive position %v, want none", p)
	}
}

// In .htaccess mode the read-phase directives that Apache refuses there are
// kept as plain directives (package directives reports "not allowed here")
// and not executed; conditional sections still work.
func TestHTAccessMode(t *testing.T) {
	r := parseStr("Include x.conf\nDefine V 1\nA ${V}\n<IfModule mod_nope.c>\nB\n</IfModule>\n", Options{HTAccess: true})
	if got := tree(r.Directives); got != "Include(x.conf) Define(V,1) A(${V})" {
		t.Errorf("tree %s", got)
	}
}

func TestLoadModuleDuplicate(t *testing.T) {
	r := parseStr("LoadModule proxy_module a.so\nLoadModule proxy_module a.so\n", Options{})
	eqLines(t, "diags", diagLines(r), []string{"2:1: warning: AH01574: module proxy_module is already loaded, skipping [duplicate-loadmodule]"})
	if len(r.Modules) != 2 || r.Modules[1].Pos.Line != 2 || r.Modules[0].Path != "a.so" {
		t.Errorf("Modules = %+v", r.Modules)
	}
}

func TestMainFileMissing(t *testing.T) {
	r := ParseFile("/nonexistent/balancerd.conf", Options{})
	if len(r.Diags) != 1 || r.Diags[0].Message != "Could not open configuration file /nonexistent/balancerd.conf: No such file or directory" {
		t.Errorf("diags %v", r.Diags)
	}
}
