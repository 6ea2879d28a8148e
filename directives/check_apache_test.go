package directives

import (
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/balancerd/balancerd/directives/apachetest"
)

// TestLintClaimsApache checks what some lint findings claim about Apache's
// behaviour against a real Apache serving the corpus case: the
// balancer-manager really is open, really answers 500, really asks for a
// password, really is proxied away; a slash mismatch really gives 500, a
// plaintext password really never logs in. Status 0 means "anything but
// the manager page" (the backends do not exist in the sandbox).
func TestLintClaimsApache(t *testing.T) {
	bin := apachetest.Binary(t)
	tests := []struct {
		dir, path string
		status    int
		finding   string // the code Check must report for the case ("" = none)
		user, pw  string // Basic credentials to send, if any
	}{
		{"seed", "/balancer-manager", http.StatusUnauthorized, "", "", ""},
		{"seed", "/balancer-manager", http.StatusOK, "", "admin", "correct horse battery staple"},
		{"seed-debian", "/balancer-manager", http.StatusOK, "manager-unprotected", "", ""},
		{"seed-closed", "/balancer-manager", http.StatusInternalServerError, "htaccess-not-allowed", "", ""},
		{"53-manager-allow-all", "/balancer-manager", http.StatusOK, "manager-unprotected", "", ""},
		{"56-manager-htaccess-ignored", "/balancer-manager", http.StatusOK, "manager-unprotected", "", ""},
		{"57-manager-htaccess-500", "/balancer-manager", http.StatusInternalServerError, "htaccess-not-allowed", "", ""},
		{"41-slash-balancer-500", "/app/x", http.StatusInternalServerError, "proxypass-slash", "", ""},
		{"61-auth-no-name", "/balancer-manager", http.StatusInternalServerError, "auth-no-name", "", ""},
		{"44-balancer-undefined", "/", http.StatusServiceUnavailable, "balancer-undefined", "", ""},
		{"58-htpasswd-plaintext", "/balancer-manager", http.StatusUnauthorized, "htpasswd-plaintext", "admin", "secret"},
		{"59-htpasswd-missing", "/balancer-manager", http.StatusInternalServerError, "htpasswd-missing", "admin", "x"},
		{"86-auth-no-userfile", "/balancer-manager", http.StatusInternalServerError, "auth-no-userfile", "admin", "x"},
		{"90-htpasswd-unreadable", "/balancer-manager", http.StatusInternalServerError, "htpasswd-unreadable", "admin", "x"},
		{"55-manager-proxied", "/balancer-manager", 0, "manager-proxied", "", ""},
		{"85-comment-continuation", "/balancer-manager", 0, "comment-continuation", "", ""},
	}
	base, _ := filepath.Abs(corpusDir)
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			c := corpusCase{name: tt.dir, dir: filepath.Join(base, tt.dir), lb: filepath.Join(base, tt.dir, "lb.conf")}
			found := tt.finding == ""
			for _, d := range checkCase(c) {
				found = found || d.Code == tt.finding
			}
			if !found {
				t.Errorf("Check does not report %s for %s", tt.finding, tt.dir)
			}
			got := apacheStatus(t, bin, c.dir, tt.path, tt.user, tt.pw)
			switch {
			case tt.status == 0 && got >= 200 && got < 300:
				t.Errorf("Apache answers %s with %d: the balancer-manager is still served, the finding says it is proxied away", tt.path, got)
			case tt.status != 0 && got != tt.status:
				t.Errorf("Apache answers %s with %d, the finding assumes %d", tt.path, got, tt.status)
			}
		})
	}
}

// apacheStatus serves a copy of a corpus case with real Apache on a
// loopback port and returns the status of GET path. Absolute /var/...
// paths and the vhost port are rewritten to the sandbox.
func apacheStatus(t *testing.T, bin, caseDir, path, user, pw string) int {
	t.Helper()
	tmp := t.TempDir()
	root := filepath.Join(tmp, "root")
	port := apachetest.FreePort(t)
	err := filepath.WalkDir(caseDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(caseDir, p)
		dst := filepath.Join(root, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		text := strings.ReplaceAll(string(data), "/var/", root+"/var/")
		text = strings.ReplaceAll(text, "<VirtualHost *:80>", fmt.Sprintf("<VirtualHost *:%d>", port))
		return os.WriteFile(dst, []byte(text), 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString(apachetest.Sandbox(root, tmp))
	fmt.Fprintf(&b, "LogLevel warn\nServerName localhost\nListen 127.0.0.1:%d\nTypesConfig /dev/null\n", port)
	b.WriteString(apachetest.LoadModules(corpusModules...))
	fmt.Fprintf(&b, "Include %q\n", filepath.Join(root, "lb.conf"))
	mainConf := filepath.Join(tmp, "main.conf")
	if err := os.WriteFile(mainConf, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	apachetest.Serve(t, bin, mainConf, fmt.Sprintf("127.0.0.1:%d", port), filepath.Join(tmp, "error.log"), "-X")
	client := &http.Client{Timeout: 5 * time.Second}
	url := fmt.Sprintf("http://127.0.0.1:%d%s", port, path)
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if user != "" {
		req.SetBasicAuth(user, pw)
	}
	resp, err := client.Do(req)
	if err != nil {
		elog, _ := os.ReadFile(filepath.Join(tmp, "error.log"))
		t.Fatalf("%v\n%s", err, elog)
	}
	resp.Body.Close()
	return resp.StatusCode
}
