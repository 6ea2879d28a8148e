package directives

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/directives golden files")

// TestModelGolden builds each testdata/directives/*.conf and compares the
// model (as JSON) and the diagnostics with its .golden file (regenerate
// with go test -run TestModelGolden -update).
func TestModelGolden(t *testing.T) {
	files, _ := filepath.Glob("../testdata/directives/*.conf")
	if len(files) == 0 {
		t.Fatal("no testdata/directives/*.conf")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			cfg, _, diags := Load(f, LoadOptions{ServerRoot: "../testdata/directives"})
			var sb strings.Builder
			for _, d := range diags {
				sb.WriteString(d.String() + "\n")
			}
			js, err := json.MarshalIndent(cfg, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got := sb.String() + string(js) + "\n"
			golden := strings.TrimSuffix(f, ".conf") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update)", err)
			}
			if string(want) != got {
				t.Errorf("model of %s differs from %s (run with -update and review the diff)", f, golden)
			}
		})
	}
}
