package proxy

import (
	"github.com/balancerd/balancerd/directives/model"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
)

// TestNoConnectionLeak: under concurrent load every backend connection is
// pooled and reused; a disablereuse=On worker closes after each request.
func TestNoConnectionLeak(t *testing.T) {
	var newConns atomic.Int64
	var closeSeen atomic.Int64
	b := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Close {
			closeSeen.Add(1)
		}
		_, _ = io.WriteString(w, "ok")
	}))
	b.Config.ConnState = func(c net.Conn, s http.ConnState) {
		if s == http.StateNew {
			newConns.Add(1)
		}
	}
	b.Start()
	defer b.Close()
	cfg := plainVHost(b.URL)
	vh := cfg.VirtualHosts[0]
	nr := pass("/noreuse", b.URL+"/")
	nr.Worker.Params.DisableReuse = true
	vh.ProxyPass = append([]*model.ProxyPassRule{nr}, vh.ProxyPass...)
	_, base := start(t, cfg, Options{})

	const workers, perWorker = 16, 100
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers}}
	defer client.CloseIdleConnections()
	run := func(path string) {
		var wg sync.WaitGroup
		for i := 0; i < workers; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := 0; j < perWorker; j++ {
					req, _ := http.NewRequest("GET", base+path, nil)
					req.Host = "front.test"
					res, err := client.Do(req)
					if err != nil {
						t.Error(err)
						return
					}
					if body := drain(res); body != "ok" {
						t.Errorf("body %q", body)
						return
					}
				}
			}()
		}
		wg.Wait()
	}
	run("/a")
	run("/b")
	if n := newConns.Load(); n > 2*workers {
		t.Errorf("%d backend connections for %d requests from %d clients: not pooled", n, 2*workers*perWorker, workers)
	}
	before := newConns.Load()
	for i := 0; i < 5; i++ {
		drain(get(t, client, "GET", base+"/noreuse/x", "front.test"))
	}
	if n := newConns.Load() - before; n != 5 {
		t.Errorf("disablereuse=On: %d new connections for 5 requests", n)
	}
	if n := closeSeen.Load(); n != 5 {
		t.Errorf("disablereuse=On: backend saw Connection: close %d times, want 5", n)
	}
}
