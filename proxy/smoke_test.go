package proxy

import (
	"net/http"
	"testing"

	"github.com/balancerd/balancerd/directives/model"
)

func TestSmokePlainWorker(t *testing.T) {
	b := backend(t, "b1")
	vh := vhostCfg("front.test")
	vh.ProxyPass = []*model.ProxyPassRule{pass("/app", b.URL+"/x")}
	_, base := start(t, config(vh), Options{})
	s := decode(t, get(t, nil, "GET", base+"/app/y?q=1", "front.test"))
	if s.URI != "/x/y?q=1" || s.Name != "b1" {
		t.Fatalf("got %+v", s)
	}
	res := get(t, nil, "GET", base+"/other", "front.test")
	if res.StatusCode != http.StatusNotFound {
		t.Fatalf("status %d", res.StatusCode)
	}
	drain(res)
}
