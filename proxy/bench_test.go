package proxy

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/balancerd/balancerd/directives/model"
)

func benchBackend(b *testing.B) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "hello from the backend\n")
	}))
	b.Cleanup(srv.Close)
	return srv
}

func benchRun(b *testing.B, base string, hdr ...string) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	defer client.CloseIdleConnections()
	req, _ := http.NewRequest("GET", base+"/app/x?q=1", nil)
	req.Host = "front.test"
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			res, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != 200 {
				b.Errorf("status %d", res.StatusCode)
				return
			}
		}
	})
}

// BenchmarkProxyRequest is a full proxied request over loopback (client →
// balancerd → backend), plain worker. Allocations include the client's
// and the backend's.
func BenchmarkProxyRequest(b *testing.B) {
	be := benchBackend(b)
	vh := vhostCfg("front.test")
	vh.ProxyPass = []*model.ProxyPassRule{pass("/app", be.URL+"/app")}
	_, base := start(b, config(vh), Options{})
	benchRun(b, base)
}

// BenchmarkProxyRequestBalancerSticky goes through a two-member sticky
// balancer with the route cookie set.
func BenchmarkProxyRequestBalancerSticky(b *testing.B) {
	b1, b2 := benchBackend(b), benchBackend(b)
	vh := vhostCfg("front.test")
	m1, m2 := worker(b1.URL), worker(b2.URL)
	m1.Params.Route, m2.Params.Route = "n1", "n2"
	bc := balancerCfg("balancer://c", m1, m2)
	bc.StickyCookie, bc.StickyParam = "ROUTEID", "ROUTEID"
	addBalancer(vh, bc)
	vh.ProxyPass = []*model.ProxyPassRule{pass("/", "balancer://c/")}
	vh.Dir.Reverse = []model.ReverseRule{{Path: "/", URL: "balancer://c"}}
	_, base := start(b, config(vh), Options{})
	benchRun(b, base, "Cookie", "ROUTEID=.n2")
}

// BenchmarkProxyRequestSeed has the seed's shape: a "ProxyPass
// /balancer-manager !" exclusion tried first, then "/" to a two-member
// byrequests balancer with stickysession and ProxyPassReverse per member;
// no cookie (balanced).
func BenchmarkProxyRequestSeed(b *testing.B) {
	b1, b2 := benchBackend(b), benchBackend(b)
	vh := vhostCfg("front.test")
	m1, m2 := worker(b1.URL), worker(b2.URL)
	m1.Params.Route, m2.Params.Route = "http1", "http2"
	bc := balancerCfg("balancer://mycluster", m1, m2)
	bc.StickyCookie, bc.StickyParam = "BALANCEID", "BALANCEID"
	addBalancer(vh, bc)
	vh.ProxyPass = []*model.ProxyPassRule{pass("/balancer-manager", "!"), pass("/", "balancer://mycluster/")}
	vh.Dir.Reverse = []model.ReverseRule{{Path: "/", URL: b1.URL + "/"}, {Path: "/", URL: b2.URL + "/"}}
	_, base := start(b, config(vh), Options{})
	benchRun(b, base)
}
