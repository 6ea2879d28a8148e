package directives

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/balancerd/balancerd/parser"
)

// realconfDir is the shared corpus of real-world configs with Apache's
// verdicts (never copied into the repository).
const realconfDir = "../../shared/realconf"

type verdict struct {
	file, verdict string
	line          int
	message       string
}

func readVerdicts(t *testing.T) []verdict {
	t.Helper()
	f, err := os.Open(filepath.Join(realconfDir, "verdicts.tsv"))
	if err != nil {
		t.Skipf("realconf corpus not available: %v", err)
	}
	defer f.Close()
	var out []verdict
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) < 4 || cols[0] == "file" {
			continue
		}
		n, _ := strconv.Atoi(cols[2])
		out = append(out, verdict{cols[0], cols[1], n, cols[3]})
	}
	return out
}

var pathDirective = regexp.MustCompile(`(?i)^(\s*(?:Include|IncludeOptional|ServerRoot|SSL\w*File)\s+)("?)(/[^"\s]*)`)

// sandboxCopy copies src to dst, moving the absolute paths of Include,
// ServerRoot and SSL*File lines into the sandbox (line numbers are kept),
// stubbing missing Include targets and creating dummy certificates, as
// the corpus wrapper did for Apache.
func sandboxCopy(t *testing.T, src, dst, sandbox string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	for i, l := range lines {
		m := pathDirective.FindStringSubmatchIndex(l)
		if m == nil {
			continue
		}
		abs := l[m[6]:m[7]]
		lines[i] = l[:m[6]] + sandbox + abs + l[m[7]:]
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	root := sandbox
	for _, l := range lines {
		w := strings.Fields(l)
		if len(w) < 2 {
			continue
		}
		target := strings.Trim(w[1], `"'`)
		lw := strings.ToLower(w[0])
		if strings.HasPrefix(lw, "ssl") && strings.HasSuffix(lw, "file") && !strings.Contains(target, "$") {
			// The wrapper created dummy certificates and keys.
			if !filepath.IsAbs(target) {
				target = filepath.Join(root, target)
			}
			if _, err := os.Stat(target); err != nil {
				os.MkdirAll(filepath.Dir(target), 0o755)
				os.WriteFile(target, []byte("dummy\n"), 0o644)
			}
			continue
		}
		switch lw {
		case "serverroot":
			os.MkdirAll(target, 0o755)
			root = target
		case "include":
			if strings.ContainsAny(target, "*?[") || strings.Contains(target, "$") {
				continue
			}
			if !filepath.IsAbs(target) {
				target = filepath.Join(root, target)
			}
			if _, err := os.Stat(target); err != nil {
				os.MkdirAll(filepath.Dir(target), 0o755)
				os.WriteFile(target, nil, 0o644)
			}
		}
	}
}

var loadModuleRE = regexp.MustCompile(`(?im)^\s*LoadModule\s+(\S+)`)

// modulesBefore loads every standard module except those the given
// configuration texts load themselves, as the corpus wrapper loaded
// Debian's modules plus every module each file needs.
func modulesBefore(texts ...string) []string {
	own := map[string]bool{}
	for _, t := range texts {
		for _, m := range loadModuleRE.FindAllStringSubmatch(t, -1) {
			own[m[1]] = true
		}
	}
	var out []string
	for _, m := range standardModules {
		if m.File == "" || m.File == "mod_mpm_prefork.so" || m.File == "mod_mpm_worker.so" || own[m.ID] {
			continue
		}
		out = append(out, "LoadModule "+m.ID+" /usr/lib/apache2/modules/"+m.File)
	}
	return out
}

var debianEnvDefines = []string{
	"APACHE_RUN_USER=www-data", "APACHE_RUN_GROUP=www-data", "APACHE_PID_FILE=/var/run/apache2/apache2.pid",
	"APACHE_RUN_DIR=/var/run/apache2", "APACHE_LOCK_DIR=/var/lock/apache2", "APACHE_LOG_DIR=/var/log/apache2",
}

// loadRealconf loads one corpus file the way Apache saw it.
func loadRealconf(t *testing.T, name string) (string, parser.Diagnostics) {
	t.Helper()
	sandbox := t.TempDir()
	corpus := filepath.Join(realconfDir, "corpus")
	base := strings.TrimSuffix(name, ".conf")
	inc := filepath.Join(corpus, base+".inc")
	texts := []string{readText(filepath.Join(corpus, name))}
	filepath.Walk(inc, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			texts = append(texts, readText(p))
		}
		return nil
	})
	before := modulesBefore(texts...)
	if _, err := os.Stat(inc); err == nil {
		filepath.Walk(inc, func(p string, fi os.FileInfo, err error) error {
			if err != nil || fi.IsDir() {
				return err
			}
			rel, _ := filepath.Rel(inc, p)
			if rel == "PRELOAD" {
				return nil
			}
			sandboxCopy(t, p, filepath.Join(sandbox, rel), sandbox)
			return nil
		})
		if pre, err := os.ReadFile(filepath.Join(inc, "PRELOAD")); err == nil {
			for _, l := range strings.Fields(string(pre)) {
				before = append(before, "Include "+filepath.Join(sandbox, l))
			}
		}
	}
	main := filepath.Join(sandbox, name)
	sandboxCopy(t, filepath.Join(corpus, name), main, sandbox)
	_, _, diags := Load(main, LoadOptions{ServerRoot: sandbox, Defines: debianEnvDefines, Before: before})
	return main, diags
}

func TestRealconfVerdicts(t *testing.T) {
	for _, v := range readVerdicts(t) {
		t.Run(v.file, func(t *testing.T) {
			main, diags := loadRealconf(t, v.file)
			var first *parser.Diagnostic
			for i := range diags {
				if diags[i].Severity == parser.Error {
					first = &diags[i]
					break
				}
			}
			switch v.verdict {
			case "OK":
				if first != nil {
					for _, d := range diags {
						if d.Severity == parser.Error {
							t.Errorf("Apache says Syntax OK, balancerd: %s", d)
						}
					}
				}
			case "ERROR":
				if first == nil {
					t.Fatalf("Apache reports line %d: %s; balancerd found no error", v.line, v.message)
				}
				want := strings.ReplaceAll(v.message, "<ServerRoot>", filepath.Dir(main))
				// Apache repeats the position inside some messages; ours
				// carry it in Pos.
				want = strings.TrimPrefix(want, main+":"+strconv.Itoa(v.line)+": ")
				if first.Pos.File != main || first.Pos.Line != v.line {
					t.Errorf("first error at %s, Apache's at line %d: %s\nours: %s", first.Pos, v.line, v.message, first.Message)
				}
				if !strings.HasPrefix(first.Message, want) && !strings.Contains(first.Message, want) {
					t.Errorf("message\n got: %s\nwant: %s", first.Message, want)
				}
			}
		})
	}
}

func readText(p string) string {
	b, _ := os.ReadFile(p)
	return string(b)
}
