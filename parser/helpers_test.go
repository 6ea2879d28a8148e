package parser

import (
	"fmt"
	"strings"
	"testing"
)

// parseStr parses src as file "t.conf".
func parseStr(src string, opts Options) *Result {
	return ParseBytes("t.conf", []byte(src), opts)
}

// tree renders directives compactly: Name(arg,arg){children} separated by
// spaces.
func tree(ds []*Directive) string {
	var parts []string
	for _, d := range ds {
		s := d.Name + "(" + strings.Join(d.ArgValues(), ",") + ")"
		if d.IsSection {
			s += "{" + tree(d.Block) + "}"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

// diagLines renders diagnostics as "LINE:COL: severity: message [code]"
// (file name dropped when it is t.conf).
func diagLines(r *Result) []string {
	var out []string
	for _, d := range r.Diags {
		s := d.String()
		s = strings.TrimPrefix(s, "t.conf:")
		out = append(out, s)
	}
	return out
}

func eqLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s:\ngot:\n  %s\nwant:\n  %s", what, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// posOf returns "LINE:COL" of a position.
func posOf(p Pos) string { return fmt.Sprintf("%d:%d", p.Line, p.Col) }
