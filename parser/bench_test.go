package parser

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var genBench = flag.String("genbench", "", "write the BenchmarkParse configuration (a self-contained apache2 config) to this file and exit the test")

// benchVhosts is the size of the benchmark configuration.
const benchVhosts = 5000

// BenchConfig returns a configuration of n virtual hosts, each with a
// two-member balancer, ProxyPass, ProxyPassReverse and a Location. With a
// non-empty root it starts with the lines apache2 -t needs (ServerRoot root,
// logs and runtime files under root, the proxy modules).
func BenchConfig(n int, root string) []byte {
	var b strings.Builder
	b.Grow(n * 560)
	if root != "" {
		fmt.Fprintf(&b, "ServerRoot %s\nServerName localhost\nErrorLog %s/error.log\nPidFile %s/httpd.pid\nMutex file:%s\nDefaultRuntimeDir %s\n", root, root, root, root, root)
		for _, m := range []string{"mpm_event", "authz_core", "slotmem_shm", "proxy", "proxy_http", "proxy_balancer", "lbmethod_byrequests"} {
			fmt.Fprintf(&b, "LoadModule %s_module /usr/lib/apache2/modules/mod_%s.so\n", m, m)
		}
	}
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, `# virtual host %d
<VirtualHost *:80>
    ServerName vh%d.example.com
    ServerAlias www.vh%d.example.com
    <Proxy "balancer://cluster%d">
        BalancerMember http://10.%d.%d.1:8080 route=a loadfactor=1
        BalancerMember http://10.%d.%d.2:8080 route=b \
            loadfactor=2
        ProxySet lbmethod=byrequests stickysession=ROUTEID
    </Proxy>
    ProxyPass /app balancer://cluster%d/ stickysession=ROUTEID nofailover=On
    ProxyPassReverse /app balancer://cluster%d/
    <Location /app>
        Require all granted
    </Location>
</VirtualHost>
`, i, i, i, i, i/256, i%256, i/256, i%256, i, i)
	}
	return []byte(b.String())
}

// TestGenBench writes the benchmark configuration when -genbench is given,
// so that the time of apache2 -t can be compared:
//
//	go test ./parser -run GenBench -genbench=/tmp/bench/httpd.conf
//	time apache2 -t -f /tmp/bench/httpd.conf
func TestGenBench(t *testing.T) {
	if *genBench == "" {
		t.Skip("use -genbench=FILE to write the benchmark configuration")
	}
	path, err := filepath.Abs(*genBench)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, BenchConfig(benchVhosts, filepath.Dir(path)), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s", path)
}

// The generated configuration parses cleanly into benchVhosts sections.
func TestBenchConfigParses(t *testing.T) {
	r := ParseBytes("bench.conf", BenchConfig(50, "/tmp"), Options{})
	if len(r.Diags) != 0 {
		t.Fatalf("diags: %v", r.Diags)
	}
	vhosts := 0
	for _, d := range r.Directives {
		if d.Name == "VirtualHost" {
			vhosts++
			if len(d.Block) != 6 || len(d.Block[2].Block) != 3 {
				t.Fatalf("vhost shape: %s", tree([]*Directive{d}))
			}
		}
	}
	if vhosts != 50 || len(r.Modules) != 7 {
		t.Errorf("%d vhosts, %d modules", vhosts, len(r.Modules))
	}
}

func BenchmarkParse(b *testing.B) {
	src := BenchConfig(benchVhosts, "")
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := ParseBytes("bench.conf", src, Options{})
		if len(r.Directives) != benchVhosts {
			b.Fatalf("%d directives", len(r.Directives))
		}
	}
}

// BenchmarkParseFile is BenchmarkParse reading the configuration from a
// file, as balancerd -t does.
func BenchmarkParseFile(b *testing.B) {
	src := BenchConfig(benchVhosts, "")
	path := filepath.Join(b.TempDir(), "httpd.conf")
	if err := os.WriteFile(path, src, 0o644); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := ParseFile(path, Options{})
		if len(r.Directives) != benchVhosts {
			b.Fatalf("%d directives", len(r.Directives))
		}
	}
}

func BenchmarkTokenize(b *testing.B) {
	line := `/app balancer://cluster1/ stickysession=ROUTEID "quoted \"arg\"" nofailover=On`
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if len(Fields(line)) != 5 {
			b.Fatal("bad split")
		}
	}
}
