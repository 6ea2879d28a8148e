package directives

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkLoadBytes builds a config of 50 vhosts with a balancer each.
func BenchmarkLoadBytes(b *testing.B) {
	var sb strings.Builder
	for i := 0; i < 50; i++ {
		fmt.Fprintf(&sb, "<VirtualHost *:80>\nServerName v%d.example\nProxyPass /app balancer://c%d/ stickysession=JSESSIONID|jsessionid\nProxyPassReverse /app balancer://c%d/\n<Proxy balancer://c%d>\nBalancerMember http://10.0.%d.1:8080 route=a loadfactor=2\nBalancerMember http://10.0.%d.2:8080 route=b status=+H\n</Proxy>\n<Location /balancer-manager>\nSetHandler balancer-manager\n</Location>\n</VirtualHost>\n", i, i, i, i, i, i)
	}
	src := []byte(sb.String())
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_, _, diags := LoadBytes("bench.conf", src, LoadOptions{})
		if diags.HasErrors() {
			b.Fatal(diags)
		}
	}
}
