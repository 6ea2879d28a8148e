package directives

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/balancerd/balancerd/directives/model"
)

// writeFiles creates files under dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

const seedHTAccess = "AuthType Basic\nAuthName \"Members Only\"\nAuthUserFile /var/.htpasswd\n<limit GET PUT POST>\nrequire valid-user\n</limit>\n"

func TestLintManagerHTAccess(t *testing.T) {
	const bcryptLine = "admin:$2y$05$vw2QFSwe1ssmXiX.XDlok.EjwFrVXcA/amrcdo2w.m8RSG53TgLLq\n"
	openLoc := func(vh *model.Server) {
		vh.Locations[0].Dir.Access = &model.Access{Source: "lb.conf:21", Order: "deny,allow", Allow: []model.HostMatch{{All: true}}}
	}
	tests := []struct {
		name     string
		files    map[string]string
		override []string // AllowOverride for /var/www; nil = never set
		want     []string
	}{
		{"AllowOverride never set: Apache rejects the .htaccess (500)", map[string]string{
			"var/www/balancer-manager/.htaccess": seedHTAccess, "var/.htpasswd": bcryptLine,
		}, nil, []string{"htaccess-not-allowed@1"}},
		{"AllowOverride None: .htaccess ignored, manager open", map[string]string{
			"var/www/balancer-manager/.htaccess": seedHTAccess, "var/.htpasswd": bcryptLine,
		}, []string{"None"}, []string{"htaccess-ignored@1", "manager-unprotected@19"}},
		{"AllowOverride AuthConfig: protected", map[string]string{
			"var/www/balancer-manager/.htaccess": seedHTAccess, "var/.htpasswd": bcryptLine,
		}, []string{"AuthConfig"}, []string{"limit-require@4"}},
		{"AllowOverride AuthConfig, plaintext password", map[string]string{
			"var/www/.htaccess": seedHTAccess, "var/.htpasswd": "admin:secret\n",
		}, []string{"AuthConfig"}, []string{"htpasswd-plaintext@1", "limit-require@4"}},
		{"AllowOverride AuthConfig, missing password file", map[string]string{
			"var/www/.htaccess": seedHTAccess,
		}, []string{"AuthConfig"}, []string{"htpasswd-missing@3", "limit-require@4"}},
		{"AllowOverride Limit only: AuthType not allowed", map[string]string{
			"var/www/.htaccess": seedHTAccess, "var/.htpasswd": bcryptLine,
		}, []string{"Limit"}, []string{"htaccess-not-allowed@1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			writeFiles(t, root, tt.files)
			vh := seedVHost()
			openLoc(vh)
			vh.DocumentRoot = "/var/www"
			if tt.override != nil {
				vh.Directories = []*model.Section{{Source: "lb.conf:5", Kind: "Directory", Path: "/var/www/", Dir: &model.DirConfig{AllowOverride: tt.override, AllowOverrideSet: true}}}
			}
			ds := Lint(tConfig(vh), nil, LintOptions{Root: root})
			checkCodes(t, ds, tt.want...)
			for _, d := range ds {
				if strings.Contains(d.Message, "$2y$") || strings.Contains(d.Message, "secret") {
					t.Errorf("message leaks a password or hash: %s", d)
				}
			}
		})
	}
}

func TestLintManagerDirectory(t *testing.T) {
	denied := &model.Access{Require: &model.RequireNode{Kind: "any", Children: []*model.RequireNode{{Kind: "require", Provider: "all", Args: []string{"denied"}}}}}
	granted := &model.Access{Require: &model.RequireNode{Kind: "any", Children: []*model.RequireNode{{Kind: "require", Provider: "all", Args: []string{"granted"}}}}}
	tests := []struct {
		name    string
		docroot string
		dirs    []*model.Section
		want    []string
	}{
		{"<Directory /> denies, no DocumentRoot", "", []*model.Section{{Source: "lb.conf:1", Kind: "Directory", Path: "/", Dir: &model.DirConfig{Access: denied}}}, nil},
		{"<Directory /> denies, DocumentRoot granted (Debian)", "/var/www/html", []*model.Section{
			{Source: "lb.conf:1", Kind: "Directory", Path: "/", Dir: &model.DirConfig{Access: denied}},
			{Source: "lb.conf:4", Kind: "Directory", Path: "/var/www/", Dir: &model.DirConfig{Access: granted}},
		}, []string{"manager-unprotected@19"}},
		{"no Directory at all", "/var/www/html", nil, []string{"manager-unprotected@19"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vh := seedVHost()
			vh.Locations[0].Dir.Access = nil
			vh.DocumentRoot = tt.docroot
			vh.Directories = tt.dirs
			checkCodes(t, Lint(tConfig(vh), nil, LintOptions{NoFiles: true}), tt.want...)
		})
	}
}
