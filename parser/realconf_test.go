package parser

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestRealConfigs parses the real-world corpus in ../shared/realconf (not
// part of the repository) and checks the parser's share of Apache's
// verdicts: files Apache accepted, or rejected only in the processing phase
// (a module it could not load, an unknown directive), have no structural
// error; the file Apache rejected for an unclosed section gets that error on
// Apache's line. Include targets were sandboxed by the corpus' authors
// under absolute paths, so Include failures are not counted here.
func TestRealConfigs(t *testing.T) {
	dir := "../../shared/realconf/corpus"
	f, err := os.Open("../../shared/realconf/verdicts.tsv")
	if err != nil {
		t.Skip("../shared/realconf not available")
	}
	defer f.Close()
	env := map[string]string{"APACHE_LOG_DIR": "/var/log/apache2", "APACHE_RUN_DIR": "/var/run/apache2", "APACHE_LOCK_DIR": "/var/lock/apache2",
		"APACHE_PID_FILE": "/var/run/apache2/apache2.pid", "APACHE_RUN_USER": "www-data", "APACHE_RUN_GROUP": "www-data"}
	opts := Options{
		ServerRoot:    dir,
		Env:           func(n string) (string, bool) { v, ok := env[n]; return v, ok },
		ModuleBuiltin: func(string) bool { return true },
	}
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	n := 0
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) < 4 {
			continue
		}
		file, verdict, line, msg := cols[0], cols[1], cols[2], cols[3]
		n++
		t.Run(file, func(t *testing.T) {
			r := ParseFile(filepath.Join(dir, file), opts)
			var errs []Diagnostic
			for _, d := range r.Diags {
				if d.Severity == Error && d.Code != "include" {
					errs = append(errs, d)
				}
			}
			structural := verdict == "ERROR" && strings.Contains(msg, "was not closed")
			if !structural {
				if len(errs) > 0 {
					t.Errorf("Apache: %s %s; we report %v", verdict, msg, errs)
				}
				return
			}
			want, _ := strconv.Atoi(line)
			if len(errs) == 0 || errs[len(errs)-1].Pos.Line != want || errs[len(errs)-1].Code != "unclosed-section" {
				t.Errorf("Apache: line %d %s; we report %v", want, msg, errs)
			}
		})
	}
	if n < 40 {
		t.Errorf("only %d corpus entries read", n)
	}
}
