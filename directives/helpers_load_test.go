package directives

import (
	"strings"
	"testing"

	"github.com/balancerd/balancerd/directives/model"
	"github.com/balancerd/balancerd/parser"
)

// diagCase is one configuration text and the first diagnostic expected at
// or above a severity: Apache's exact message (or, with prefix, its start).
type diagCase struct {
	name   string
	src    string
	line   int    // 0 = expect no diagnostic at that severity
	msg    string // exact message
	prefix bool   // msg is a prefix (our message adds a hint)
}

// loadText builds src as a config fragment named "t.conf".
func loadText(t *testing.T, src string) (*model.Config, parser.Diagnostics) {
	t.Helper()
	cfg, _, diags := LoadBytes("t.conf", []byte(src), LoadOptions{ServerRoot: t.TempDir()})
	return cfg, diags
}

func firstDiag(ds parser.Diagnostics, min parser.Severity) *parser.Diagnostic {
	for i := range ds {
		if ds[i].Severity >= min {
			return &ds[i]
		}
	}
	return nil
}

func runDiagCases(t *testing.T, sev parser.Severity, cases []diagCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, diags := loadText(t, c.src)
			d := firstDiag(diags, sev)
			if c.line == 0 {
				if d != nil {
					t.Fatalf("unexpected %s", d)
				}
				return
			}
			if d == nil {
				t.Fatalf("no %s; want line %d: %s", sev, c.line, c.msg)
			}
			if d.Pos.Line != c.line {
				t.Errorf("line %d, want %d (%s)", d.Pos.Line, c.line, d.Message)
			}
			if c.prefix {
				if !strings.HasPrefix(d.Message, c.msg) {
					t.Errorf("message\n got: %s\nwant prefix: %s", d.Message, c.msg)
				}
			} else if d.Message != c.msg {
				t.Errorf("message\n got: %s\nwant: %s", d.Message, c.msg)
			}
		})
	}
}
