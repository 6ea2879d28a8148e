package conformance

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/balancerd/balancerd/directives"
	"github.com/balancerd/balancerd/proxy"
	"github.com/balancerd/balancerd/proxy/conformance/harness"
	"github.com/balancerd/balancerd/proxy/stack"
)

func init() { startBalancerd = startInProcess }

// startInProcess is balancerd's side of the suite: it reads the very file
// Apache reads (the generated main config including the scenario), with
// the same ${VAR} environment, and serves it in this process on the
// config's own Listen address.
func startInProcess(t *testing.T, conf, dir string, vars harness.Vars) (func(), error) {
	lo := directives.LoadOptions{
		ServerRoot: dir,
		Env: func(name string) (string, bool) {
			if v, ok := vars[name]; ok {
				return v, true
			}
			return os.LookupEnv(name)
		},
	}
	cfg, _, diags := directives.Load(conf, lo)
	var warnings []string
	for _, d := range diags {
		warnings = append(warnings, fmt.Sprint(d))
	}
	if diags.HasErrors() || cfg == nil {
		return nil, fmt.Errorf("balancerd rejects the configuration Apache accepts:\n%s", strings.Join(warnings, "\n"))
	}
	if len(warnings) > 0 && testing.Verbose() {
		t.Logf("balancerd config diagnostics:\n%s", strings.Join(warnings, "\n"))
	}
	elog := &syncBuffer{}
	// stack.New is what the CLI serves: proxy plus access, manager,
	// rewrite and headers hooks.
	srv, err := stack.New(cfg, lo, proxy.Options{ErrorLog: elog})
	if err != nil {
		return nil, err
	}
	lns, err := srv.Listen()
	if err != nil {
		return nil, err
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(lns...) }()
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("balancerd Serve: %v", err)
		}
		if testing.Verbose() && elog.Len() > 0 {
			t.Logf("balancerd error log:\n%s", elog.String())
		}
	}, nil
}

// syncBuffer is an error-log sink safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func (s *syncBuffer) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Len()
}
