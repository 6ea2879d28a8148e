package proxy

import (
	"net/http"
	"testing"

	"github.com/balancerd/balancerd/directives/model"
)

// rewriteFunc is a Rewriter backed by a function (the rewrite engine
// itself is tested in package rewrite).
type rewriteFunc func(in *RewriteInput) RewriteResult

func (f rewriteFunc) Rewrite(_ *http.Request, in *RewriteInput) RewriteResult { return f(in) }

// TestRewritePhases: server-level results (redirect, [P], [PT] URI,
// cookies) and the per-directory [P] are applied in Apache's order.
func TestRewritePhases(t *testing.T) {
	a, b := backend(t, "a"), backend(t, "b")
	vh := vhostCfg("front.test")
	vh.Rewrite = &model.RewriteConfig{Engine: true, Rules: []*model.RewriteRule{{Pattern: "x"}}}
	loc := &model.Section{Kind: "Location", Path: "/dir", Dir: &model.DirConfig{
		Rewrite: &model.RewriteConfig{Engine: true, EngineSet: true, Rules: []*model.RewriteRule{{Pattern: "y"}}}}}
	vh.Locations = []*model.Section{loc}
	vh.ProxyPass = []*model.ProxyPassRule{pass("/beta", a.URL+"/beta"), pass("/", a.URL+"/")}
	rw := rewriteFunc(func(in *RewriteInput) RewriteResult {
		if in.Phase == "dir" {
			return RewriteResult{Proxy: b.URL + "/from-dir" + in.URI}
		}
		switch in.URI {
		case "/redir":
			return RewriteResult{Status: 302, Location: "http://front.test/target"}
		case "/badredir":
			return RewriteResult{Status: 302, Location: "http://front.test/target?x=0a b"}
		case "/app/x":
			return RewriteResult{URI: "/beta/x", Cookies: []string{"C=1; path=/"}}
		case "/p":
			return RewriteResult{Proxy: b.URL + "/proxied?q=1"}
		}
		return RewriteResult{}
	})
	_, base := start(t, config(vh), Options{Rewrite: rw})
	res := get(t, nil, "GET", base+"/redir", "front.test")
	if drain(res); res.StatusCode != 302 || res.Header.Get("Location") != "http://front.test/target" {
		t.Errorf("redirect: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	res = get(t, nil, "GET", base+"/badredir", "front.test")
	if drain(res); res.StatusCode != 403 {
		t.Errorf("redirect with a space: %d, want 403", res.StatusCode)
	}
	res = get(t, nil, "GET", base+"/app/x", "front.test")
	if s := decode(t, res); s.Name != "a" || s.URI != "/beta/x" || res.Header.Get("Set-Cookie") != "C=1; path=/" {
		t.Errorf("[PT]: %+v %q", s, res.Header.Get("Set-Cookie"))
	}
	if s := decode(t, get(t, nil, "GET", base+"/p", "front.test")); s.Name != "b" || s.URI != "/proxied?q=1" {
		t.Errorf("[P]: %+v", s)
	}
	if s := decode(t, get(t, nil, "GET", base+"/dir/z", "front.test")); s.Name != "b" || s.URI != "/from-dir/dir/z" {
		t.Errorf("per-dir [P]: %+v", s)
	}
}
