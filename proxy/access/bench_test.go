package access

import (
	"context"
	"net/netip"
	"testing"

	"github.com/balancerd/balancerd/directives/model"
)

func BenchmarkCheckRequireIP(b *testing.B) {
	p := Compile(&model.Access{Require: anyOf(leaf("ip", "10.0.0.0/8", "192.168.0.0/16"))}, &model.Access{Order: "deny,allow", Allow: hosts("all")})
	c := &Checker{}
	req := &Request{Method: "GET", URI: "/x", Remote: netip.MustParseAddr("192.168.1.1")}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if res := c.Check(ctx, p, req); res.Status != 0 {
			b.Fatal(res)
		}
	}
}

func BenchmarkCheckBasicAuthSHA(b *testing.B) {
	p := Compile(authBasic(anyOf(leaf("valid-user"))))
	c := &Checker{}
	req := &Request{Method: "GET", URI: "/x", Remote: netip.MustParseAddr("192.0.2.1"), Authorization: basic("shauser", "pw3")}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if res := c.Check(ctx, p, req); res.Status != 0 {
			b.Fatal(res)
		}
	}
}
