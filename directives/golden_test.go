package directives

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files (testdata/directives, testdata/check)")

// readGolden returns the content of the golden file path; with -update it
// first writes got there.
func readGolden(t *testing.T, path string, got []byte) string {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	return string(want)
}

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
			raw, err := json.Marshal(cfg)
			if err != nil {
				t.Fatal(err)
			}
			var tree any
			if err := json.Unmarshal(raw, &tree); err != nil {
				t.Fatal(err)
			}
			// Zero values are left out, so that a field added to the
			// model does not change every golden file.
			js, err := json.MarshalIndent(pruneZero(tree), "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got := sb.String() + string(js) + "\n"
			golden := strings.TrimSuffix(f, ".conf") + ".golden"
			want := readGolden(t, golden, []byte(got))
			if want != got {
				t.Errorf("model of %s differs from %s (run with -update and review the diff)", f, golden)
			}
		})
	}
}

// pruneZero removes null, false, 0, "" and empty containers from a JSON
// tree (keeping array elements in place).
func pruneZero(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			if e = pruneZero(e); e != nil {
				out[k] = e
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	case []any:
		if len(x) == 0 {
			return nil
		}
		for i, e := range x {
			if p := pruneZero(e); p != nil {
				x[i] = p
			} else {
				x[i] = map[string]any{}
			}
		}
		return x
	case string:
		if x == "" {
			return nil
		}
	case bool:
		if !x {
			return nil
		}
	case float64:
		if x == 0 {
			return nil
		}
	}
	return v
}
