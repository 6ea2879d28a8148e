package directives

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/balancerd/balancerd/directives/apachetest"
	"github.com/balancerd/balancerd/parser"
)

// The --check corpus: testdata/check/<case>/ holds lb.conf (the checked
// config), optional backend*.conf (--backend files), expected.txt (the
// golden --check output, paths relative to testdata/check) and apache.txt
// (what `apache2 -t` says about lb.conf). Regenerate both with
// `go test ./directives -run 'TestCheckCorpus' -update`.

const corpusDir = "../testdata/check"

type corpusCase struct {
	name, dir, lb string
	backends      []string
}

func corpusCases(t *testing.T) []corpusCase {
	t.Helper()
	root, err := filepath.Abs(corpusDir)
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	var out []corpusCase
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		dir := filepath.Join(root, e.Name())
		c := corpusCase{name: e.Name(), dir: dir, lb: filepath.Join(dir, "lb.conf")}
		c.backends, _ = filepath.Glob(filepath.Join(dir, "backend*.conf"))
		for _, extra := range []string{"http1.conf", "http2.conf"} {
			if _, err := os.Stat(filepath.Join(dir, extra)); err == nil {
				c.backends = append(c.backends, filepath.Join(dir, extra))
			}
		}
		sort.Strings(c.backends)
		out = append(out, c)
	}
	return out
}

// checkCase runs Check on a corpus case the way the CLI would with
// `-d DIR -f DIR/lb.conf --backend ...`; when the case has a var/
// directory, absolute paths are looked up below the case directory
// (LintOptions.Root).
func checkCase(c corpusCase) parser.Diagnostics {
	opts := CheckOptions{
		Load: LoadOptions{ServerRoot: c.dir},
		Lint: LintOptions{BackendFiles: c.backends},
	}
	if st, err := os.Stat(filepath.Join(c.dir, "var")); err == nil && st.IsDir() {
		opts.Lint.Root = c.dir // the published seed's /var/www and /var/.htpasswd
	}
	return Check(c.lb, opts)
}

// relDiags makes file names relative to the corpus directory.
func relDiags(ds parser.Diagnostics, base string) parser.Diagnostics {
	out := make(parser.Diagnostics, len(ds))
	for i, d := range ds {
		if r, err := filepath.Rel(base, d.Pos.File); err == nil && d.Pos.File != "" && !strings.HasPrefix(r, "..") {
			d.Pos.File = r
		}
		d.Message = strings.ReplaceAll(d.Message, base+string(filepath.Separator), "")
		out[i] = d
	}
	return out
}

func TestCheckCorpus(t *testing.T) {
	cases := corpusCases(t)
	if len(cases) < 40 {
		t.Errorf("corpus has %d cases, want at least 40", len(cases))
	}
	base, _ := filepath.Abs(corpusDir)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ds := relDiags(checkCase(c), base)
			if _, err := os.Stat("/var/www"); err != nil && !*update {
				// The seed configs name /var/www, which exists wherever
				// Apache is installed; elsewhere Load adds AH00112 (a
				// DocumentRoot that does not exist), which the goldens,
				// recorded on such a machine, do not have.
				kept := ds[:0]
				for _, d := range ds {
					if d.Code != "AH00112" || !strings.Contains(d.Message, "/var/www") {
						kept = append(kept, d)
					}
				}
				ds = kept
			}
			var buf bytes.Buffer
			if err := FormatText(&buf, ds); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join(c.dir, "expected.txt")
			want := readGolden(t, golden, buf.Bytes())
			if got := buf.String(); got != want {
				t.Errorf("--check output differs from %s:\n--- got\n%s--- want\n%s", golden, got, want)
			}
			buf.Reset()
			if err := FormatJSON(&buf, ds); err != nil {
				t.Fatal(err)
			}
			var js []jsonDiag
			if err := json.Unmarshal(buf.Bytes(), &js); err != nil || len(js) != len(ds) {
				t.Errorf("FormatJSON: %v, %d entries for %d findings", err, len(js), len(ds))
			}
			isSeed := strings.HasPrefix(c.name, "seed")
			switch {
			case c.name == "seed":
				if len(ds) != 0 {
					t.Errorf("the corrected seed must check clean, got:\n%v", ds)
				}
			case !isSeed && len(ds) == 0:
				t.Errorf("broken config %s produced no finding", c.name)
			}
			for _, d := range ds {
				if d.Code == "" || !d.Pos.IsValid() || d.Pos.Col == 0 && !strings.HasPrefix(d.Code, "htpasswd") && !strings.HasPrefix(d.Code, "htaccess") {
					t.Errorf("finding without code or full position: %s", d)
				}
			}
		})
	}
}

// corpusModules are loaded by the wrapper config so that every directive
// the corpus uses is known to Apache.
var corpusModules = []string{
	"mpm_event", "authz_core", "authz_host", "authz_user", "authz_groupfile", "authn_core", "authn_file",
	"auth_basic", "access_compat", "alias", "env", "setenvif", "mime", "headers", "rewrite", "status",
	"proxy", "proxy_http", "proxy_balancer", "proxy_wstunnel", "proxy_ajp", "slotmem_shm",
	"lbmethod_byrequests", "lbmethod_bytraffic", "lbmethod_bybusyness", "watchdog", "proxy_hcheck",
}

var apacheLineRe = regexp.MustCompile(`[Ss]yntax error on line (\d+) of ([^:]+):`)

// apacheVerdict runs `apache2 -t` on the case's lb.conf wrapped in a main
// config with sandboxed ServerRoot, pid file, error log and mutexes.
func apacheVerdict(t *testing.T, bin string, c corpusCase) (text string, rejects bool, line int) {
	t.Helper()
	tmp := t.TempDir()
	var b strings.Builder
	b.WriteString(apachetest.Sandbox(c.dir, tmp))
	b.WriteString("ServerName localhost\n")
	b.WriteString(apachetest.LoadModules(corpusModules...))
	fmt.Fprintf(&b, "Include %q\n", c.lb)
	mainConf := filepath.Join(tmp, "main.conf")
	if err := os.WriteFile(mainConf, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-t", "-f", mainConf)
	cmd.Env = append(os.Environ(), "APACHE_RUN_DIR="+tmp, "APACHE_LOG_DIR="+tmp, "APACHE_LOCK_DIR="+tmp)
	out, err := cmd.CombinedOutput()
	rejects = err != nil
	text = strings.ReplaceAll(string(out), c.dir+"/", "")
	text = strings.ReplaceAll(text, mainConf, "main.conf")
	if rejects {
		ms := apacheLineRe.FindAllStringSubmatch(string(out), -1)
		if len(ms) > 0 {
			last := ms[len(ms)-1]
			if last[2] == c.lb {
				line, _ = strconv.Atoi(last[1])
			}
		}
	}
	return text, rejects, line
}

func TestCheckCorpusApache(t *testing.T) {
	bin := apachetest.Binary(t)
	base, _ := filepath.Abs(corpusDir)
	for _, c := range corpusCases(t) {
		t.Run(c.name, func(t *testing.T) {
			text, rejects, line := apacheVerdict(t, bin, c)
			verdict := "accepts\n"
			if rejects {
				verdict = fmt.Sprintf("rejects line %d of lb.conf\n", line)
			}
			verdict += text
			golden := filepath.Join(c.dir, "apache.txt")
			want := readGolden(t, golden, []byte(verdict))
			if first, _, _ := strings.Cut(want, "\n"); !strings.HasPrefix(verdict, first+"\n") {
				t.Errorf("Apache's verdict changed: now %q, %s says %q", strings.SplitN(verdict, "\n", 2)[0], golden, first)
			}
			if !rejects {
				// What Apache accepts, Load must accept too: only lint
				// rules (mistakes Apache does not see) may be errors.
				for _, d := range relDiags(checkCase(c), base) {
					if d.Severity == parser.Error && LintCodes[d.Code] == "" && d.Pos.File == filepath.Join(c.name, "lb.conf") {
						t.Errorf("Apache accepts lb.conf but balancerd reports: %s", d)
					}
				}
				return
			}
			if line == 0 {
				t.Fatalf("Apache rejects the config but names no line of lb.conf:\n%s", text)
			}
			ds := relDiags(checkCase(c), base)
			rel := filepath.Join(c.name, "lb.conf")
			for _, d := range ds {
				if d.Severity == parser.Error && d.Pos.File == rel && d.Pos.Line == line {
					return
				}
			}
			t.Errorf("Apache rejects line %d of lb.conf:\n%s\nbut balancerd reports no error there:\n%v", line, text, ds)
		})
	}
}

func TestFormatJSON(t *testing.T) {
	ds := parser.Diagnostics{
		{Pos: parser.Pos{File: "a.conf", Line: 3, Col: 5}, Severity: parser.Error, Code: "proxypass-shadowed", Directive: "ProxyPass", Message: "x <y> & z"},
		{Pos: parser.Pos{File: "b.conf", Line: 1, Col: 1}, Severity: parser.Warning, Code: "c", Message: "m"},
	}
	var buf bytes.Buffer
	if err := FormatJSON(&buf, ds); err != nil {
		t.Fatal(err)
	}
	var got []map[string]any
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("%v: %s", err, buf.String())
	}
	if len(got) != 2 || got[0]["file"] != "a.conf" || got[0]["line"] != 3.0 || got[0]["col"] != 5.0 ||
		got[0]["severity"] != "error" || got[0]["code"] != "proxypass-shadowed" || got[0]["directive"] != "ProxyPass" ||
		got[0]["message"] != "x <y> & z" || got[1]["severity"] != "warning" {
		t.Errorf("FormatJSON = %s", buf.String())
	}
	buf.Reset()
	if err := FormatJSON(&buf, nil); err != nil || buf.String() != "[]\n" {
		t.Errorf("FormatJSON(nil) = %q, %v", buf.String(), err)
	}
	buf.Reset()
	if err := FormatText(&buf, ds); err != nil {
		t.Fatal(err)
	}
	want := "a.conf:3:5: error: x <y> & z [proxypass-shadowed]\nb.conf:1:1: warning: m [c]\n"
	if buf.String() != want {
		t.Errorf("FormatText = %q, want %q", buf.String(), want)
	}
}

// TestCheckRealConfigs runs Check over the real-world configs in
// ../shared/realconf (not part of the repository): no panic, and every lint
// finding has a catalogued code and a position inside a file that was read.
func TestCheckRealConfigs(t *testing.T) {
	files, _ := filepath.Glob("../../shared/realconf/corpus/*.conf")
	if len(files) == 0 {
		t.Skip("../shared/realconf not available")
	}
	for _, f := range files {
		ds := Check(f, CheckOptions{Load: LoadOptions{ServerRoot: t.TempDir()}, Lint: LintOptions{NoFiles: true}})
		for _, d := range ds {
			if LintCodes[d.Code] == "" {
				continue // a Load finding
			}
			if !d.Pos.IsValid() || d.Pos.File == "" || d.Message == "" {
				t.Errorf("%s: finding without position or message: %s", filepath.Base(f), d)
			}
		}
	}
}

// TestCheckDebianStock: a stock Debian apache2 configuration (as CI
// installs it) checks without errors and without lint findings.
func TestCheckDebianStock(t *testing.T) {
	env, err := parser.ParseEnvvars("/etc/apache2/envvars")
	if err != nil {
		if apachetest.Required() {
			t.Fatal(err)
		}
		t.Skip("no Debian apache2 configuration: ", err)
	}
	ds := Check("/etc/apache2/apache2.conf", CheckOptions{Load: LoadOptions{ServerRoot: "/etc/apache2",
		Env: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}})
	for _, d := range ds {
		if d.Severity == parser.Error || LintCodes[d.Code] != "" {
			t.Errorf("stock Debian config: %s", d)
		}
	}
}

// TestCheckCorpusCoversCodes: every lint code has a corpus case whose
// golden output shows it.
func TestCheckCorpusCoversCodes(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(corpusDir, "*", "expected.txt"))
	var all strings.Builder
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		all.Write(data)
	}
	for code := range LintCodes {
		if !strings.Contains(all.String(), "["+code+"]\n") {
			t.Errorf("no corpus case shows [%s]", code)
		}
	}
}
