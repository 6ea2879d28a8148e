package apachetest

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLoadModulesOnlyExisting(t *testing.T) {
	got := LoadModules("no_such_module_xyz")
	if got != "" {
		t.Errorf("LoadModules of a missing module = %q, want nothing", got)
	}
	if _, err := os.Stat(filepath.Join(ModuleDir, "mod_rewrite.so")); err == nil {
		want := "LoadModule rewrite_module " + ModuleDir + "/mod_rewrite.so\n"
		if got := LoadModules("rewrite"); got != want {
			t.Errorf("LoadModules(rewrite) = %q, want %q", got, want)
		}
	}
}

// TestServe serves a minimal configuration and gets Apache's 404 for a
// missing file, then checks the error log is readable through Logs.
func TestServe(t *testing.T) {
	bin := Binary(t)
	dir := t.TempDir()
	addr := FreeAddr(t)
	conf := Sandbox(dir, dir) + "Listen " + addr + "\nServerName 127.0.0.1\n" + LoadModules("mpm_event", "authz_core") +
		"LogLevel info\nDocumentRoot " + dir + "\n"
	path := filepath.Join(dir, "apache2.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	s := Serve(t, bin, path, addr, filepath.Join(dir, "error.log"))
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Get("http://" + addr + "/missing")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /missing = %d, want 404", resp.StatusCode)
	}
	if !strings.Contains(s.Logs(), "error.log") {
		t.Errorf("Logs() lacks the error log:\n%s", s.Logs())
	}
}
