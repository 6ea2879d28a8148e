package access

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/balancerd/balancerd/directives/model"
	"github.com/balancerd/balancerd/proxy"
)

func TestAllowOverrideFor(t *testing.T) {
	dirSec := func(path string, set bool, words ...string) *model.Section {
		return &model.Section{Kind: "Directory", Path: path, Dir: &model.DirConfig{AllowOverride: words, AllowOverrideSet: set}}
	}
	s := &model.Server{Directories: []*model.Section{
		dirSec("/", true, "None"),
		dirSec("/var/www", true, "AuthConfig", "Limit"),
		dirSec("/var/www/open", false),
		dirSec("/var/www/closed/", true, "None"),
	}}
	tests := []struct {
		dir   string
		allow string
		none  bool
	}{
		{"/", "", true},
		{"/var", "", true},
		{"/var/www", "AuthConfig Limit", false},
		{"/var/www/open/x", "AuthConfig Limit", false},
		{"/var/www/closed", "", true},
		{"/var/wwwx", "", true},
	}
	for _, tt := range tests {
		allow, none := allowOverrideFor(s, tt.dir)
		if strings.Join(allow, " ") != tt.allow || none != tt.none {
			t.Errorf("%s: %v %v, want %q %v", tt.dir, allow, none, tt.allow, tt.none)
		}
	}
	if allow, none := allowOverrideFor(&model.Server{}, "/x"); allow != nil || none {
		t.Errorf("never set: %v %v", allow, none)
	}
}

func TestHookHTAccessOrder(t *testing.T) {
	root := t.TempDir()
	sub := filepath.Join(root, "a", "b")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	// .htaccess in root denies, in a/b grants: the deeper one wins; the
	// <Location> level (after both) denies again for /loc.
	deny := &model.DirConfig{Access: &model.Access{Require: anyOf(leaf("all", "denied"))}}
	grant := &model.DirConfig{Access: &model.Access{Require: anyOf(leaf("all", "granted"))}}
	files := map[string]*model.DirConfig{filepath.Join(root, ".htaccess"): deny, filepath.Join(sub, ".htaccess"): grant}
	var read []string
	h := &Hook{Checker: &Checker{}, HTAccess: func(p string, allow []string) (*model.DirConfig, error) {
		read = append(read, p)
		return files[p], nil
	}}
	srv := &model.Server{Dir: &model.DirConfig{}, Directories: []*model.Section{{Kind: "Directory", Path: root, Dir: &model.DirConfig{AllowOverride: []string{"All"}, AllowOverrideSet: true}}}}
	r := httptest.NewRequest("GET", "/a/b/file", nil)
	in := &proxy.AccessInput{Server: srv, Dirs: []*model.DirConfig{srv.Dir}, URI: "/a/b/file", FilePath: filepath.Join(sub, "file")}
	if res := h.Check(r, in); res.Status != 0 {
		t.Errorf("a/b: %d", res.Status)
	}
	in.FilePath = filepath.Join(root, "a", "file")
	if res := h.Check(r, in); res.Status != 403 {
		t.Errorf("a: %d", res.Status)
	}
	in.FilePath = filepath.Join(sub, "file")
	in.Dirs = append(in.Dirs, deny)
	in.Sections = []*model.Section{{Kind: "Location", Path: "/a"}}
	if res := h.Check(r, in); res.Status != 403 {
		t.Errorf("location after .htaccess: %d", res.Status)
	}
	// Directories above the AllowOverride'd root are not read (None by
	// default... here never set, so they are read as Apache 2.4 does).
	if len(read) == 0 || !strings.HasSuffix(read[len(read)-1], filepath.Join("a", "b", ".htaccess")) {
		t.Errorf("read %v", read)
	}
	// A proxied request never reads .htaccess.
	read = nil
	in = &proxy.AccessInput{Server: srv, Dirs: []*model.DirConfig{srv.Dir}, URI: "/x", BackendURL: "balancer://c/x"}
	h.Check(r, in)
	if len(read) != 0 {
		t.Errorf("proxied request read %v", read)
	}
}
