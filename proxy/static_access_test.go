package proxy_test

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/balancerd/balancerd/directives/model"
	"github.com/balancerd/balancerd/proxy"
	"github.com/balancerd/balancerd/proxy/access"
)

// TestStaticAccess: DocumentRoot files go through the access hook with
// their file path, so <Directory> sections decide who reads them.
func TestStaticAccess(t *testing.T) {
	root := t.TempDir()
	for name, body := range map[string]string{"open.txt": "open", "private/index.html": "private", "private/x.txt": "x"} {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	denied := &model.Access{Require: &model.RequireNode{Kind: "any", Children: []*model.RequireNode{{Kind: "require", Provider: "all", Args: []string{"denied"}}}}}
	vh := proxy.TVHostCfg("front.test")
	vh.DocumentRoot = root
	vh.Directories = []*model.Section{{Kind: "Directory", Path: filepath.Join(root, "private"), Dir: &model.DirConfig{Access: denied}}}
	cfg := proxy.TConfig(vh)
	cfg.Modules = []string{"dir_module", "mime_module"}
	_, base := proxy.TStart(t, cfg, proxy.Options{Access: &access.Hook{}})
	for target, want := range map[string]int{"/open.txt": 200, "/private/x.txt": 403, "/private/": 403, "/private/missing": 403, "/private": 403} {
		res := proxy.TGet(t, nil, "GET", base+target, "front.test")
		body := proxy.TDrain(res)
		if res.StatusCode != want {
			t.Errorf("%s: %d %q, want %d", target, res.StatusCode, body, want)
		}
		if want == http.StatusForbidden && body == "private" {
			t.Errorf("%s: private content served", target)
		}
	}
}
