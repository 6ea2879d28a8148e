package directives

import (
	"regexp"
	"testing"
)

func TestShapeOf(t *testing.T) {
	tests := []struct {
		re       string
		ok, anch bool
		prefix   string
		exact    bool
	}{
		{`^/api/(.*)$`, true, true, "/api/", false},
		{`^/api`, true, true, "/api", false},
		{`^/api$`, true, true, "/api", true},
		{`/api`, true, false, "/api", false},
		{`.*`, true, false, "", false},
		{`^/(a|b)`, false, false, "", false},
		{`\.gif$`, false, false, "", false},
		{`(?i)^/api`, false, false, "", false},
	}
	for _, tt := range tests {
		s := lintShapeOf(regexp.MustCompile(tt.re))
		if s.ok != tt.ok || (s.ok && (s.anchored != tt.anch || s.prefix != tt.prefix || s.exact != tt.exact)) {
			t.Errorf("lintShapeOf(%q) = %+v", tt.re, s)
		}
	}
}
