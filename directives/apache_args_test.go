package directives

import (
	"os"
	"strings"
	"testing"

	"github.com/balancerd/balancerd/directives/apachetest"
	"github.com/balancerd/balancerd/parser"
)

// argProbes are argument lists that break the count rules of some shape.
var argProbes = []string{"", `""`, "x x x x"}

// TestArgCountsAgreeWithApache gives directives too few and too many
// arguments in a context where they are allowed: balancerd's
// argument-count message must be Apache's (or both accept the line).
func TestArgCountsAgreeWithApache(t *testing.T) {
	if testing.Short() {
		t.Skip("runs apache2 -t hundreds of times; skipped with -short")
	}
	bin := apachetest.Binary(t)
	full := os.Getenv("BALANCERD_APACHE_FULL") == "1"
	for _, s := range Specs() {
		if s.Section || s.Shape == ShapeRaw || readPhase[strings.ToLower(s.Name)] ||
			s.Module == "mpm_prefork_module" || s.Module == "mpm_worker_module" {
			continue
		}
		// By default mod_proxy and core; BALANCERD_APACHE_FULL=1 checks
		// every module (all agreed when this was written).
		if !full && s.Module != "proxy_module" && s.Module != "core_module" {
			continue
		}
		s := s
		var wrap struct{ open, close string }
		for _, w := range contextWrappers {
			if s.Contexts&w.ctx != 0 {
				wrap.open, wrap.close = w.open, w.close
				break
			}
		}
		t.Run(s.Name, func(t *testing.T) {
			for _, args := range argProbes {
				src := wrap.open + strings.TrimSpace(s.Name+" "+args) + "\n" + wrap.close
				_, amsg := apacheCheck(t, bin, src)
				_, diags := loadText(t, src)
				var ours string
				for _, d := range diags {
					if d.Severity == parser.Error && d.Code == "arguments" {
						ours = d.Message
						break
					}
				}
				if !strings.HasPrefix(amsg, s.Name+" takes ") && !strings.HasPrefix(amsg, s.Name+" requires at least") && !strings.HasPrefix(amsg, s.Name+" must be On or Off") {
					amsg = ""
				}
				if amsg != ours {
					t.Errorf("%q:\n Apache: %q\n ours:   %q", src, amsg, ours)
				}
			}
		})
	}
}
