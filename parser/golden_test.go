package parser

import (
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/balancerd/balancerd/directives/apachetest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/parser")

// goldenOptions are the options every golden file is parsed with.
func goldenOptions(base string) Options {
	env := map[string]string{"APACHE_LOG_DIR": "/var/log/apache2", "SERVER_NAME": "www.example.com"}
	return Options{
		ServerRoot:    base,
		Env:           func(n string) (string, bool) { v, ok := env[n]; return v, ok },
		ModuleBuiltin: func(n string) bool { return n == "mod_version.c" || n == "version_module" },
		DirectiveKnown: func(n string) bool {
			return strings.EqualFold(n, "Listen") || strings.EqualFold(n, "ProxyPass")
		},
	}
}

// TestGolden parses every testdata/parser/*.conf and compares Dump output
// with the .golden file next to it (go test ./parser -run Golden -update
// rewrites them).
func TestGolden(t *testing.T) {
	base, err := filepath.Abs("../testdata/parser")
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(base, "*.conf"))
	if len(files) == 0 {
		t.Fatal("no golden inputs")
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			got := Dump(ParseFile(f, goldenOptions(base)), base)
			golden := strings.TrimSuffix(f, ".conf") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("%s differs from %s; run go test ./parser -run Golden -update and review the diff\n--- got:\n%s", name, filepath.Base(golden), got)
			}
		})
	}
}

// The seed's load-balancer vhost as published lost its four closing tags.
// balancerd must name each section to close, innermost first as Apache
// does, with the opener's line and where the closer most likely belongs.
func TestSeedPublishedConfig(t *testing.T) {
	path, _ := filepath.Abs("../testdata/parser/seed-lb-published.conf")
	r := ParseFile(path, Options{})
	var got []string
	for _, d := range r.Diags {
		got = append(got, strings.TrimPrefix(d.String(), path+":"))
	}
	eqLines(t, "diagnostics", got, []string{
		"21:9: error: <Location> was not closed. Add </Location> where the section ends, probably at the end of the file (after line 25) [unclosed-section]",
		"16:9: error: <Proxy> was not closed. Add </Proxy> where the section ends, probably before line 21, where the indentation returns to the level of <Proxy> [unclosed-section]",
		"8:9: error: <Proxy> was not closed. Add </Proxy> where the section ends, probably before line 12, where the indentation returns to the level of <Proxy> [unclosed-section]",
		"2:1: error: <VirtualHost> was not closed. Add </VirtualHost> where the section ends, probably at the end of the file (after line 25) [unclosed-section]",
	})
	// Everything that could be read is still in the tree.
	if got := tree(r.Directives); !strings.HasPrefix(got, "NameVirtualHost(*) VirtualHost(*){ServerName(www.example.com) ") {
		t.Errorf("tree %s", got)
	}
	fixed, _ := filepath.Abs("../testdata/parser/seed-lb-fixed.conf")
	if r := ParseFile(fixed, Options{}); len(r.Diags) != 0 {
		t.Errorf("fixed seed config: %v", r.Diags)
	}
}

// TestApacheSeed checks the published seed config against real Apache: the
// same four open sections.
func TestApacheSeed(t *testing.T) {
	bin := apachetest.Binary(t)
	src, err := os.ReadFile("../testdata/parser/seed-lb-published.conf")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	v := runApache(t, bin, dir, string(src))
	r := ParseFile(filepath.Join(dir, "main.conf"), Options{})
	checkAgainstApache(t, v, r)
	var apacheLines, ours []string
	for _, part := range strings.Split(v.message, `\n`) {
		_, rest, _ := strings.Cut(part, "body.conf:")
		apacheLines = append(apacheLines, rest)
	}
	for _, d := range r.Diags {
		first, _, _ := strings.Cut(d.Message, ".")
		ours = append(ours, strconv.Itoa(d.Pos.Line)+": "+first+".")
	}
	eqLines(t, "open sections", ours, apacheLines)
}
