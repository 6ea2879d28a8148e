package main

import (
	"flag"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/balancerd/balancerd/directives"
)

var update = flag.Bool("update", false, "rewrite the generated parts of README.md")

const readmePath = "../../README.md"

// TestREADMEGenerated keeps README.md's generated tables (the lint code
// catalogue and the compatibility table of the conformance suite) in step
// with their sources; -update rewrites them.
func TestREADMEGenerated(t *testing.T) {
	data, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	compat, err := os.ReadFile("../../testdata/conformance/COMPAT.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(data)
	want := replaceBlock(t, readme, "lint-codes", lintCodesTable())
	want = replaceBlock(t, want, "compat", compatTable(string(compat)))
	if want == readme {
		return
	}
	if *update {
		if err := os.WriteFile(readmePath, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("README.md's generated tables are out of date; run go test ./cmd/balancerd -update")
}

// replaceBlock replaces the text between <!-- NAME:begin ... --> and
// <!-- NAME:end -->.
func replaceBlock(t *testing.T, doc, name, body string) string {
	t.Helper()
	re := regexp.MustCompile(`(?s)(<!-- ` + name + `:begin[^>]*-->\n).*?(<!-- ` + name + `:end -->)`)
	if !re.MatchString(doc) {
		t.Fatalf("README.md lacks the %s markers", name)
	}
	return re.ReplaceAllLiteralString(doc, re.FindStringSubmatch(doc)[1]+body+"<!-- "+name+":end -->")
}

func lintCodesTable() string {
	codes := make([]string, 0, len(directives.LintCodes))
	for c := range directives.LintCodes {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	var sb strings.Builder
	sb.WriteString("| Code | Finding |\n|---|---|\n")
	for _, c := range codes {
		fmt.Fprintf(&sb, "| `%s` | %s |\n", c, strings.ReplaceAll(directives.LintCodes[c], "|", `\|`))
	}
	return sb.String()
}

// compatTable is COMPAT.md without its generated-file comment, with links
// made relative to the repository root (they already are).
func compatTable(compat string) string {
	var keep []string
	for _, line := range strings.Split(strings.TrimRight(compat, "\n"), "\n") {
		if strings.HasPrefix(line, "<!--") {
			continue
		}
		keep = append(keep, line)
	}
	return strings.Join(keep, "\n") + "\n"
}
