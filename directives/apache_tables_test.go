package directives

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/balancerd/balancerd/directives/apachetest"
)

// notApacheText are table cases whose message is balancerd's own (a
// deliberate deviation or an addition), not Apache's.
var notApacheText = map[string]bool{
	"did you mean":     true, // Apache gives no suggestion
	"unsupported ldap": true, // Apache accepts it; balancerd refuses
	"if with access":   true, // Apache evaluates <If>; balancerd refuses
	"if with rewrite":  true,
	// A standard module is accepted under any ServerRoot (the Docker
	// image's modules/ does not exist here); Apache opens the file.
	"loadmodule standard relative path": true,
}

var syntaxErrRE = regexp.MustCompile(`Syntax error on line (\d+) of [^:]+:(?: (.*))?$`)

// apacheRun runs apache2 -t on a base config (every module loaded but
// those modSrc loads itself) followed by src, in a fresh sandbox; it
// returns the output, the sandbox, the config file and the number of base
// lines before src.
func apacheRun(t *testing.T, bin, src, modSrc string) (out, dir, conf string, offset int) {
	t.Helper()
	dir = t.TempDir()
	var base strings.Builder
	fmt.Fprintf(&base, "ServerRoot %s\nPidFile %s/pid\nErrorLog %s/error.log\nMutex file:%s\nServerName apache.test\n", dir, dir, dir, dir)
	for _, l := range modulesBefore(modSrc) {
		base.WriteString(l + "\n")
	}
	offset = strings.Count(base.String(), "\n")
	conf = filepath.Join(dir, "t.conf")
	if err := os.WriteFile(conf, []byte(base.String()+src), 0o644); err != nil {
		t.Fatal(err)
	}
	b, _ := exec.Command(bin, "-f", conf, "-t").CombinedOutput()
	return string(b), dir, conf, offset
}

// apacheCheck runs apache2 -t on a base config (every module loaded)
// followed by src; it returns the error line relative to src and the
// message, or 0 and "" for Syntax OK.
func apacheCheck(t *testing.T, bin, src string) (int, string) {
	t.Helper()
	// Modules the snippet loads itself are left out (so its LoadModule
	// lines are really attempted), except mod_proxy, which the other
	// proxy modules of the base need.
	out, dir, _, offset := apacheRun(t, bin, src, strings.ReplaceAll(src, "LoadModule proxy_module", ""))
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	for i, l := range lines {
		m := syntaxErrRE.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		n, _ := strconv.Atoi(m[1])
		msg := m[2]
		if msg == "" && i+1 < len(lines) {
			msg = lines[i+1]
		}
		msg = strings.ReplaceAll(msg, dir+"/", "")
		return n - offset, msg
	}
	return 0, ""
}

// TestTablesAgreeWithApache runs every error-table case of the walker,
// core and mod_proxy tests through the real apache2 -t: the line and
// message the tables expect must be Apache's.
func TestTablesAgreeWithApache(t *testing.T) {
	if testing.Short() {
		t.Skip("runs apache2 -t hundreds of times; skipped with -short")
	}
	bin := apachetest.Binary(t)
	var all []diagCase
	all = append(all, walkErrorCases...)
	all = append(all, coreErrorCases...)
	all = append(all, proxyErrorCases...)
	for _, c := range all {
		if notApacheText[c.name] {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			line, msg := apacheCheck(t, bin, c.src)
			if line != c.line {
				t.Fatalf("Apache: line %d %q; table expects line %d %q", line, msg, c.line, c.msg)
			}
			if c.line == 0 {
				return
			}
			if c.prefix {
				if !strings.HasPrefix(msg, c.msg) && !strings.HasPrefix(c.msg, msg) {
					t.Errorf("Apache: %q; table expects prefix %q", msg, c.msg)
				}
			} else if msg != c.msg {
				t.Errorf("Apache: %q; table expects %q", msg, c.msg)
			}
		})
	}
}

// apacheOutput runs apache2 -t like apacheCheck and returns its whole
// output with the sandbox's file positions rewritten to t.conf:LINE.
func apacheOutput(t *testing.T, bin, src string) string {
	t.Helper()
	out, _, conf, offset := apacheRun(t, bin, src, src)
	re := regexp.MustCompile(regexp.QuoteMeta(conf) + `:(\d+)|line (\d+) of ` + regexp.QuoteMeta(conf))
	return re.ReplaceAllStringFunc(out, func(m string) string {
		sm := re.FindStringSubmatch(m)
		if sm[1] != "" {
			n, _ := strconv.Atoi(sm[1])
			return "t.conf:" + strconv.Itoa(n-offset)
		}
		n, _ := strconv.Atoi(sm[2])
		return "line " + strconv.Itoa(n-offset) + " of t.conf"
	})
}

// TestWarningsAgreeWithApache: every warning the tables expect is one
// Apache prints for the same text.
func TestWarningsAgreeWithApache(t *testing.T) {
	if testing.Short() {
		t.Skip("runs apache2 -t hundreds of times; skipped with -short")
	}
	bin := apachetest.Binary(t)
	var all []diagCase
	all = append(all, coreWarningCases...)
	all = append(all, proxyWarningCases...)
	for _, c := range all {
		if c.line == 0 {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			out := apacheOutput(t, bin, c.src)
			if !strings.Contains(out, c.msg) {
				t.Errorf("Apache did not print %q:\n%s", c.msg, out)
			}
		})
	}
}
