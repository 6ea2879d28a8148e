package directives

import (
	"fmt"
	"strings"
	"testing"

	"github.com/balancerd/balancerd/parser"
)

func TestLintContinuedComments(t *testing.T) {
	tests := []struct {
		name, text string
		want       []string // "line:col<-comment"
	}{
		{"none", "ServerName a\n# plain comment\nListen 80\n", nil},
		{"continued", "# off \\\n  ProxyPass / http://b/\n", []string{"2:3<-1"}},
		{"crlf", "# off \\\r\nListen 80\r\n", []string{"2:1<-1"}},
		{"comment skipped", "# a \\\n# b \\\n\tListen 80\nX\n", []string{"3:2<-1"}},
		{"directive continued", "ProxyPass / \\\n  http://b/\n# c \\\n", nil},
		{"last line", "# c \\", nil},
		{"two", "x\n# a \\\nA\n# b \\\nB\n", []string{"3:1<-2", "5:1<-4"}},
		{"indented comment", "  # a \\\nA\n", []string{"2:1<-1"}},
		{"empty", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			lintContinuedComments(tt.text, func(line, col, comment int) {
				got = append(got, fmt.Sprintf("%d:%d<-%d", line, col, comment))
			})
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestLintParseSource(t *testing.T) {
	tests := []struct {
		src  string
		want parser.Pos
	}{
		{"/etc/a.conf:12", parser.Pos{File: "/etc/a.conf", Line: 12}},
		{"/etc/a.conf:12:5", parser.Pos{File: "/etc/a.conf", Line: 12, Col: 5}},
		{"c:/x.conf:3", parser.Pos{File: "c:/x.conf", Line: 3}},
		{"noline", parser.Pos{File: "noline"}},
		{"a:b", parser.Pos{File: "a:b"}},
		{"", parser.Pos{}},
	}
	for _, tt := range tests {
		if got := lintParseSource(tt.src); got != tt.want {
			t.Errorf("lintParseSource(%q) = %+v, want %+v", tt.src, got, tt.want)
		}
	}
}

// continuedCommentsBySplit is the former implementation (split the whole
// file into lines), kept as the reference for FuzzLintContinuedComments.
func continuedCommentsBySplit(data string) []string {
	var out []string
	lines := strings.Split(data, "\n")
	for i := 0; i < len(lines); i++ {
		start := i
		first := strings.TrimLeft(strings.TrimSuffix(lines[i], "\r"), " \t")
		for i+1 < len(lines) && strings.HasSuffix(strings.TrimSuffix(lines[i], "\r"), "\\") {
			i++
		}
		if !strings.HasPrefix(first, "#") || i == start {
			continue
		}
		for j := start + 1; j <= i; j++ {
			text := strings.TrimSuffix(lines[j], "\r")
			trimmed := strings.TrimLeft(text, " \t")
			if trimmed == "" || strings.HasPrefix(trimmed, "#") {
				continue
			}
			out = append(out, fmt.Sprintf("%d:%d<-%d", j+1, len(text)-len(trimmed)+1, start+1))
			break
		}
	}
	return out
}

// FuzzLintContinuedComments: the line scanner finds exactly what splitting
// the text into lines finds.
func FuzzLintContinuedComments(f *testing.F) {
	for _, s := range []string{"# a \\\nB\n", "# a \\\r\n# b \\\n  C\n", "A \\\n# b\\\nC", "", "\\\n\\\n", "#\\"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		var got []string
		lintContinuedComments(text, func(line, col, comment int) {
			got = append(got, fmt.Sprintf("%d:%d<-%d", line, col, comment))
		})
		if want := continuedCommentsBySplit(text); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("text %q: got %v, want %v", text, got, want)
		}
	})
}
