package directives

import (
	"fmt"
	"strings"
	"testing"
)

// benchConfig generates n virtual hosts, each with a sticky balancer of
// two members, ProxyPassReverse and a protected balancer-manager.
func benchConfig(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, `<VirtualHost *:80>
    ServerName www%d.example.com
    ProxyPass /balancer-manager !
    ProxyPass /static/ http://static%d.example.com/
    ProxyPassReverse /static/ http://static%d.example.com/
    ProxyPass / balancer://c%d/ stickysession=ROUTEID
    ProxyPassReverse / balancer://c%d/
    Header add Set-Cookie "ROUTEID=.%%{BALANCER_WORKER_ROUTE}e; path=/" env=BALANCER_ROUTE_CHANGED
    <Proxy balancer://c%d>
        BalancerMember http://10.0.%d.1:8080 route=n1
        BalancerMember http://10.0.%d.2:8080 route=n2
    </Proxy>
    <Location /balancer-manager>
        SetHandler balancer-manager
        Require ip 10.0.0.0/8
    </Location>
</VirtualHost>
`, i, i, i, i, i, i, i%250, i%250)
	}
	return b.String()
}

func BenchmarkLint(b *testing.B) {
	for _, n := range []int{10, 500} {
		b.Run(fmt.Sprintf("vhosts=%d", n), func(b *testing.B) {
			cfg, res, diags := LoadBytes("bench.conf", []byte(benchConfig(n)), LoadOptions{})
			if diags.HasErrors() {
				b.Fatal(diags)
			}
			if ds := Lint(cfg, res, LintOptions{NoFiles: true}); len(ds) != 0 {
				b.Fatalf("generated config is not clean: %v", ds[0])
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				Lint(cfg, res, LintOptions{NoFiles: true})
			}
		})
	}
}
