package directives

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/balancerd/balancerd/directives/apachetest"
)

const seedHTAccessFile = "../testdata/auth/seed-htaccess/.htaccess"

func TestLoadHTAccessSeedAsPublished(t *testing.T) {
	// Apache 2.4.67 logs, for every request below the directory (500):
	// "/p/.htaccess: /p/.htaccess:4: <Limit> was not closed."
	var l HTAccessLoader
	dir, err := l.Load(seedHTAccessFile, []string{"All"})
	want := seedHTAccessFile + ": " + seedHTAccessFile + ":4: <Limit> was not closed."
	if dir != nil || err == nil || err.Error() != want {
		t.Fatalf("got %v, %v\nwant error %s", dir, err, want)
	}
}

func writeHT(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), ".htaccess")
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const seedFixed = "AuthType Basic\nAuthName \"Members Only\"\nAuthUserFile /var/.htpasswd\n<limit GET PUT POST>\nrequire valid-user\n</limit>\n"

func TestLoadHTAccessOverrides(t *testing.T) {
	tests := []struct {
		name, content string
		allow         []string
		err           string // "" = loads
		none          bool   // not read at all
	}{
		{"seed fixed, All", seedFixed, []string{"All"}, "", false},
		{"seed fixed, AuthConfig", seedFixed, []string{"AuthConfig"}, "", false},
		{"seed fixed, never set", seedFixed, nil, "AuthType not allowed here", false},
		{"seed fixed, Limit only", seedFixed, []string{"Limit"}, "AuthType not allowed here", false},
		{"seed fixed, None", seedFixed, []string{"None"}, "", true},
		{"order needs Limit", "Order allow,deny\n", []string{"AuthConfig"}, "order not allowed here", false},
		{"order with Limit", "Order allow,deny\nAllow from all\n", []string{"Limit"}, "", false},
		{"rewrite needs FileInfo", "RewriteEngine On\n", []string{"AuthConfig"}, "RewriteEngine not allowed here", false},
		{"rewrite with FileInfo", "RewriteEngine On\nRewriteRule ^x - [F]\nHeader set X-A b\n", []string{"FileInfo"}, "", false},
		{"proxypass never", "ProxyPass /x http://b/\n", []string{"All"}, "ProxyPass not allowed here", false},
		{"location never", "<Location /x>\n</Location>\n", []string{"All"}, "<Location not allowed here", false},
		{"unknown", "Foo bar\n", []string{"All"}, "Invalid command 'Foo', perhaps misspelled or defined by a module not included in the server configuration", false},
		{"inside limit checked", "<Limit GET>\nRewriteEngine On\n</Limit>\n", []string{"AuthConfig"}, "RewriteEngine not allowed here", false},
		{"bad argument", "AuthMerging xx\n", []string{"All"}, "AuthMerging must be one of: Off | And | Or", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeHT(t, tt.content)
			var l HTAccessLoader
			dir, err := l.Load(p, tt.allow)
			switch {
			case tt.err != "":
				if err == nil || err.Error() != p+": "+tt.err {
					t.Fatalf("err = %v, want %s: %s", err, p, tt.err)
				}
			case tt.none:
				if err != nil || dir != nil {
					t.Fatalf("got %v %v, want nothing", dir, err)
				}
			default:
				if err != nil || dir == nil {
					t.Fatalf("got %v %v", dir, err)
				}
			}
		})
	}
}

func TestLoadHTAccessModel(t *testing.T) {
	p := writeHT(t, seedFixed)
	dir, diags := LoadHTAccess(p, []string{"AuthConfig"}, LoadOptions{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	a := dir.Access
	if a == nil || a.AuthType != "Basic" || a.AuthName != "Members Only" || a.AuthUserFile != "/var/.htpasswd" {
		t.Fatalf("access %+v", a)
	}
	if len(a.Limited) != 1 || strings.Join(a.Limited[0].LimitMethods, " ") != "GET POST PUT" || a.Limited[0].Require.Children[0].Provider != "valid-user" {
		t.Errorf("limited %+v", a.Limited)
	}
}

func TestHTAccessLoaderReloads(t *testing.T) {
	p := writeHT(t, "AuthName a\n")
	var l HTAccessLoader
	d1, err := l.Load(p, []string{"All"})
	if err != nil || d1.Access.AuthName != "a" {
		t.Fatalf("%v %v", d1, err)
	}
	if err := os.WriteFile(p, []byte("AuthName bb\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	future := time.Now().Add(2 * time.Second)
	if err := os.Chtimes(p, future, future); err != nil {
		t.Fatal(err)
	}
	d2, err := l.Load(p, []string{"All"})
	if err != nil || d2.Access.AuthName != "bb" {
		t.Fatalf("after change: %v %v", d2, err)
	}
	if d, err := l.Load(filepath.Join(filepath.Dir(p), "missing", ".htaccess"), []string{"All"}); d != nil || err != nil {
		t.Errorf("missing file: %v %v", d, err)
	}
}

// TestHTAccessAgainstApache serves the override cases from real Apache and
// checks that balancerd fails (500) exactly where Apache does, with
// Apache's error-log text.
func TestHTAccessAgainstApache(t *testing.T) {
	bin := apachetest.Binary(t)
	root := t.TempDir()
	cases := []struct {
		name, content string
		allow         string // AllowOverride line, "" = not set
	}{
		{"seed", "AuthType Basic\nAuthName \"Members Only\"\nAuthUserFile /var/.htpasswd\n<limit GET PUT POST>\nrequire valid-user\n", "All"},
		{"fixed", seedFixed, "AuthConfig"},
		{"unset", seedFixed, ""},
		{"limitonly", seedFixed, "Limit"},
		{"order", "Order allow,deny\nAllow from all\n", "AuthConfig"},
		{"proxypass", "ProxyPass /x http://127.0.0.1:9/\n", "All"},
		{"unknown", "Foo bar\n", "All"},
		{"rewrite", "RewriteEngine On\n", "AuthConfig Limit"},
	}
	var dirs strings.Builder
	for _, c := range cases {
		d := filepath.Join(root, "www", c.name)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, ".htaccess"), []byte(c.content), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "index.html"), []byte("ok\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if c.allow != "" {
			fmt.Fprintf(&dirs, "<Directory %s>\nAllowOverride %s\n</Directory>\n", d, c.allow)
		}
	}
	addr := apachetest.FreeAddr(t)
	conf := apachetest.Sandbox(root, root) + "Listen " + addr + "\n" +
		apachetest.LoadModules("mpm_event", "authz_core", "authz_user", "authn_core", "authn_file", "auth_basic", "access_compat", "rewrite", "proxy") +
		"ServerName 127.0.0.1\nDocumentRoot " + root + "/www\n" + dirs.String()
	confPath := filepath.Join(root, "apache2.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	apachetest.Serve(t, bin, confPath, addr, filepath.Join(root, "error.log"))
	client := &http.Client{Timeout: 5 * time.Second}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, err := client.Get("http://" + addr + "/" + c.name + "/index.html")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			path := filepath.Join(root, "www", c.name, ".htaccess")
			var allow []string
			if c.allow != "" {
				allow = strings.Fields(c.allow)
			}
			var l HTAccessLoader
			_, ourErr := l.Load(path, allow)
			if (resp.StatusCode == 500) != (ourErr != nil) {
				t.Fatalf("Apache %d, balancerd error %v", resp.StatusCode, ourErr)
			}
			if ourErr != nil {
				logData, _ := os.ReadFile(filepath.Join(root, "error.log"))
				if !strings.Contains(string(logData), "] "+ourErr.Error()+"\n") {
					t.Errorf("Apache's log lacks %q:\n%s", ourErr.Error(), logData)
				}
			}
		})
	}
}
