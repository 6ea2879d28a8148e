package parser

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// The expected words come from spec 1.3 ([V] rows observed on Apache) and
// from the rules of ap_getword_conf/substring_conf in server/util.c.
func TestFields(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		q    []bool // Quoted per word; nil means all false
	}{
		{"", nil, nil},
		{"   \t ", nil, nil},
		{"a b\tc", []string{"a", "b", "c"}, nil},
		{`"esc \"q\" and \\ bs"`, []string{`esc "q" and \ bs`}, []bool{true}},
		{`a\\b`, []string{`a\b`}, nil},
		{`a\"b`, []string{`a\"b`}, nil},
		{`"ab"cd`, []string{"ab", "cd"}, []bool{true, false}},
		{`"ab" cd`, []string{"ab", "cd"}, []bool{true, false}},
		{`"unterminated to end`, []string{"unterminated to end"}, []bool{true}},
		{`""`, []string{""}, []bool{true}},
		{`'' x`, []string{"", "x"}, []bool{true, false}},
		{`'single "inner" \'q\''`, []string{`single "inner" 'q'`}, []bool{true}},
		{`"keeps \n and \' literal"`, []string{`keeps \n and \' literal`}, []bool{true}},
		{`ab"cd ef"`, []string{`ab"cd`, `ef"`}, nil},
		{`# not a comment`, []string{"#", "not", "a", "comment"}, nil},
		{`route="a b"`, []string{`route="a`, `b"`}, nil},
		{`"route=c d"`, []string{"route=c d"}, []bool{true}},
		{"a\rb\vc\fd", []string{"a", "b", "c", "d"}, nil},
		{`\\\`, []string{`\\`}, nil},
		{`"a\\"b`, []string{`a\`, "b"}, []bool{true, false}},
		{`"a\"`, []string{`a"`}, []bool{true}},
		{`x "`, []string{"x", ""}, []bool{false, true}},
	}
	for _, tt := range tests {
		ws := Fields(tt.in)
		var got []string
		for _, w := range ws {
			got = append(got, w.Value)
		}
		if strings.Join(got, "|") != strings.Join(tt.want, "|") || len(got) != len(tt.want) {
			t.Errorf("Fields(%q) = %q, want %q", tt.in, got, tt.want)
			continue
		}
		for i, w := range ws {
			wantQ := tt.q != nil && tt.q[i]
			if w.Quoted != wantQ {
				t.Errorf("Fields(%q)[%d].Quoted = %v, want %v", tt.in, i, w.Quoted, wantQ)
			}
		}
	}
}

func TestFieldsOffsets(t *testing.T) {
	in := `  set  "X-A b"	'c'd`
	ws := Fields(in)
	want := []int{2, 7, 15, 18}
	if len(ws) != len(want) {
		t.Fatalf("got %d words, want %d", len(ws), len(want))
	}
	for i, w := range ws {
		if w.Offset != want[i] {
			t.Errorf("word %d (%q) offset %d, want %d", i, w.Value, w.Offset, want[i])
		}
	}
}

func TestGetWordRest(t *testing.T) {
	w, rest := GetWord(`  <Location  /x >  `)
	if w.Value != "<Location" || rest != "/x >  " || w.Offset != 2 {
		t.Errorf("GetWord = %+v, rest %q", w, rest)
	}
}

// FuzzTokenize checks invariants of the tokenizer: it terminates, offsets
// increase and point inside the input at the word's first byte, and words
// never contain white space unless quoted.
func FuzzTokenize(f *testing.F) {
	for _, s := range []string{`a "b c" 'd'`, `"ab"cd`, `a\\b "x\"y"`, `"`, `''`, "\t\r\n", `"a\\`} {
		f.Add(s)
	}
	addCorpusLines(f)
	f.Fuzz(func(t *testing.T, in string) {
		ws := Fields(in)
		last := -1
		for _, w := range ws {
			if w.Offset <= last || w.Offset >= len(in) {
				t.Fatalf("bad offset %d (last %d, len %d) in %q", w.Offset, last, len(in), in)
			}
			last = w.Offset
			first := in[w.Offset]
			if w.Quoted != (first == '"' || first == '\'') {
				t.Fatalf("Quoted=%v but word starts with %q", w.Quoted, first)
			}
			if isSpace(first) {
				t.Fatalf("word starts with space at %d in %q", w.Offset, in)
			}
			if !w.Quoted && strings.ContainsAny(w.Value, " \t\n\r\v\f") {
				t.Fatalf("unquoted word %q contains space", w.Value)
			}
			if len(w.Value) > len(in)-w.Offset {
				t.Fatalf("word %q longer than the rest of the input", w.Value)
			}
		}
		if utf8.ValidString(in) {
			for _, w := range ws {
				if !utf8.ValidString(w.Value) {
					t.Fatalf("word %q is not valid UTF-8 though the input is", w.Value)
				}
			}
		}
	})
}
