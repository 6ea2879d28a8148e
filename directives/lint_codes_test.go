package directives

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestLintCodesCatalogue keeps LintCodes and the rules in step: every code
// a rule can report is catalogued and every catalogued code is reported
// somewhere.
func TestLintCodesCatalogue(t *testing.T) {
	files, _ := filepath.Glob("lint*.go")
	files = append(files, "backends.go")
	re := regexp.MustCompile(`(?:errorf|warnf)\("([a-z0-9-]+)"|HTPasswdFinding\{[^,]+, parser\.[A-Za-z]+, "([a-z-]+)"|COProblem\{"([a-z-]+)"`)
	used := map[string]bool{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(src), -1) {
			used[m[1]+m[2]+m[3]] = true
		}
	}
	for c := range used {
		if c == "co-incomplete" || c == "co-httponly-dropped" {
			continue // reported by Load (rewrite-cookie-*)
		}
		if LintCodes[c] == "" {
			t.Errorf("code %q is reported but not in LintCodes", c)
		}
	}
	for c := range LintCodes {
		if !used[c] {
			t.Errorf("LintCodes lists %q but no rule reports it", c)
		}
	}
}

// FuzzLint builds arbitrary configuration text and lints it: no panic, and
// every finding about the input points inside it.
func FuzzLint(f *testing.F) {
	seeds, _ := filepath.Glob("../testdata/check/*/lb.conf")
	for _, s := range seeds {
		if data, err := os.ReadFile(s); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		if len(src) > 1<<16 {
			return
		}
		cfg, res, _ := LoadBytes("fuzz.conf", src, LoadOptions{ServerRoot: t.TempDir()})
		lines := strings.Count(string(src), "\n") + 1
		for _, d := range Lint(cfg, res, LintOptions{NoFiles: true}) {
			if d.Code == "" || d.Message == "" {
				t.Fatalf("finding without code or message: %+v", d)
			}
			if d.Pos.File == "fuzz.conf" && (d.Pos.Line < 1 || d.Pos.Line > lines) {
				t.Fatalf("position %s outside the %d-line input: %s", d.Pos, lines, d)
			}
		}
	})
}

func TestLintDisable(t *testing.T) {
	vh := seedVHost()
	vh.Dir.Reverse = nil
	ds := Lint(tConfig(vh), nil, LintOptions{NoFiles: true, Disable: []string{"member-no-reverse"}})
	checkCodes(t, ds)
}
