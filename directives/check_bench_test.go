package directives

import (
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkCheck runs Check (load, build and lint, as balancerd -t
// --no-files does) on a file of benchConfig virtual hosts, or on the file
// named by BALANCERD_BENCH_CONF (the parser's generated 5,000-vhost
// configuration: go test ./parser -run GenBench -genbench=FILE).
func BenchmarkCheck(b *testing.B) {
	path := os.Getenv("BALANCERD_BENCH_CONF")
	if path == "" {
		path = filepath.Join(b.TempDir(), "bench.conf")
		if err := os.WriteFile(path, []byte(benchConfig(1000)), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	opts := CheckOptions{Load: LoadOptions{ServerRoot: filepath.Dir(path)}, Lint: LintOptions{NoFiles: true}}
	if ds := Check(path, opts); ds.HasErrors() {
		b.Fatal(ds)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		Check(path, opts)
	}
}
