package parser

import (
	"reflect"
	"testing"
)

// grammarParts is the reference for scanLine: lexLine's tokens parsed by
// the participle grammar.
func grammarParts(t *testing.T, s string) lineParts {
	t.Helper()
	n, err := parseLine(s)
	if err != nil {
		t.Fatalf("grammar rejects %q: %v", s, err)
	}
	return n.parts()
}

// checkFastPath fails unless scanLine answers exactly for the common
// shapes and then agrees with the grammar.
func checkFastPath(t *testing.T, s string) {
	t.Helper()
	want := grammarParts(t, s)
	got, ok := scanLine(s)
	if ok != want.common() {
		t.Fatalf("scanLine(%q): ok=%v, but the grammar's parse %+v has common()=%v", s, ok, want, want.common())
	}
	if ok && got != want {
		t.Fatalf("scanLine(%q) = %+v, grammar = %+v", s, got, want)
	}
}

func TestScanLine(t *testing.T) {
	tests := []struct {
		line string
		ok   bool
		want lineParts // checked when ok
	}{
		{"ProxyPass /a http://b/", true, lineParts{kind: lineDirective, name: "ProxyPass", rest: "/a http://b/", restOff: 10}},
		{"Listen", true, lineParts{kind: lineDirective, name: "Listen"}},
		{"ServerName> foo", true, lineParts{kind: lineDirective, name: "ServerName", rest: "foo", restOff: 12}},
		{">", true, lineParts{kind: lineDirective}},
		{`"A B" c`, true, lineParts{kind: lineDirective, name: "A B", rest: "c", restOff: 6}},
		{`A\\B c`, true, lineParts{kind: lineDirective, name: `A\B`, rest: "c", restOff: 5}},
		{"</Location>", true, lineParts{kind: lineClose, name: "</Location>"}},
		{"</Location> junk", true, lineParts{kind: lineClose, name: "</Location>", rest: "junk", restOff: 12}},
		{"</Location >", true, lineParts{kind: lineClose, name: "</Location", rest: ">", restOff: 11}},
		{"<Location /a>", true, lineParts{kind: lineOpen, name: "<Location", args: "/a", argsOff: 10, gt: true}},
		{"<Location /a>b>", true, lineParts{kind: lineOpen, name: "<Location", args: "/a>b", argsOff: 10, gt: true}},
		{`"<Location" /x>`, true, lineParts{kind: lineOpen, name: "<Location", args: "/x", argsOff: 12, gt: true}},
		{"<Location \t /a >", true, lineParts{kind: lineOpen, name: "<Location", args: "/a ", argsOff: 12, gt: true}},
		// Uncommon openers go to the grammar.
		{"<RequireAll>", false, lineParts{}},
		{"<Location>", false, lineParts{}},
		{"<Location /a", false, lineParts{}},
		{"<Location /a> tail", false, lineParts{}},
		{"<Location >", false, lineParts{}},
		{"<A>>", false, lineParts{}},
		{"<", false, lineParts{}},
	}
	for _, tt := range tests {
		checkFastPath(t, tt.line)
		got, ok := scanLine(tt.line)
		if ok != tt.ok {
			t.Errorf("scanLine(%q): ok=%v, want %v", tt.line, ok, tt.ok)
			continue
		}
		if ok && got != tt.want {
			t.Errorf("scanLine(%q) = %+v, want %+v", tt.line, got, tt.want)
		}
	}
}

// FuzzLineFastPath checks scanLine against the grammar on any line.
func FuzzLineFastPath(f *testing.F) {
	addCorpusLines(f)
	for _, s := range []string{"<A>", "<A >", "<A> >", "<A\t'>'>", `"<A" '>`, "</A> >", `\<A x>`, "<A x>\x00>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkFastPath(t, s)
	})
}

// parseBothWays parses src with the fast path and with the grammar for
// every line; the results must be identical.
func parseBothWays(t *testing.T, name string, src []byte, opts Options) {
	t.Helper()
	fast := ParseBytes(name, src, opts)
	opts.grammarOnly = true
	slow := ParseBytes(name, src, opts)
	if !reflect.DeepEqual(fast, slow) {
		t.Fatalf("%s: the fast path and the grammar disagree:\nfast:\n%s\ngrammar:\n%s", name, Dump(fast, ""), Dump(slow, ""))
	}
}

// TestFastPathMatchesGrammar parses every test configuration both ways.
func TestFastPathMatchesGrammar(t *testing.T) {
	for name, src := range corpusFiles(t) {
		parseBothWays(t, name, src, Options{ServerRoot: "/srv", fsys: mapFS{fuzzFS}, Defines: []string{"D=1"}})
	}
	parseBothWays(t, "bench.conf", BenchConfig(20, "/tmp"), Options{})
}

// FuzzParseFastPath parses any input both ways (with FuzzParse's include
// tree) and requires identical results.
func FuzzParseFastPath(f *testing.F) {
	for _, b := range corpusFiles(f) {
		f.Add(b)
	}
	f.Add([]byte("<IfModule x>\n<A>\n<B x> y\n</B>\n<C\n</C >\n</A> z\n</IfModule>\n<IfDefine D\n</IfDefine>\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		parseBothWays(t, "/srv/fuzz.conf", src, Options{ServerRoot: "/srv", fsys: mapFS{fuzzFS}, Defines: []string{"D=1"}})
	})
}
