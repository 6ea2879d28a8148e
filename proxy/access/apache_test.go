package access_test

// Differential test: the same <Location> access configurations served by
// real Apache 2.4 and decided by package access (through the directives
// model), over a matrix of methods and credentials.

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/balancerd/balancerd/directives"
	"github.com/balancerd/balancerd/directives/apachetest"
	"github.com/balancerd/balancerd/directives/model"
	"github.com/balancerd/balancerd/proxy/access"
)

const locations = `
<Location /a>
Require all denied
</Location>
<Location /b>
Require ip 127.0.0.1
</Location>
<Location /c>
Require ip 10.0.0.0/8
</Location>
<Location /d>
AuthType Basic
AuthName "Prot Area"
AuthUserFile PASSWD
Require valid-user
</Location>
<Location /e>
AuthType Basic
AuthName "Prot Area"
AuthUserFile PASSWD
Require user bcuser
</Location>
<Location /f>
Order deny,allow
Deny from all
Allow from 127.0.0.1
</Location>
<Location /g>
Order allow,deny
Allow from all
Deny from 127.0.0.1
</Location>
<Location /h>
AuthType Basic
AuthName "Prot Area"
AuthUserFile PASSWD
<Limit POST>
Require valid-user
</Limit>
</Location>
<Location /i>
AuthType Basic
AuthName "Prot Area"
AuthUserFile PASSWD
<LimitExcept GET>
Require valid-user
</LimitExcept>
</Location>
<Location /j>
AuthType Basic
AuthName "Prot Area"
AuthUserFile PASSWD
Order deny,allow
Deny from all
Allow from 127.0.0.1
Satisfy any
Require valid-user
</Location>
<Location /k>
AuthType Basic
AuthName "Prot Area"
AuthUserFile PASSWD
Order deny,allow
Deny from all
Allow from 127.0.0.1
Require valid-user
</Location>
<Location /l>
<RequireAll>
Require ip 127.0.0.0/8
Require not ip 127.0.0.1
</RequireAll>
</Location>
<Location /m>
Require all granted
Deny from all
</Location>
<Location /n>
AuthType Basic
AuthName "Prot Area"
</Location>
<Location /o>
Require valid-user
</Location>
<Location /p>
Require method GET POST
</Location>
<Location /r>
Require ip 127.0.0.1
</Location>
<Location /r/and>
AuthMerging And
AuthType Basic
AuthName "Prot Area"
AuthUserFile PASSWD
Require valid-user
</Location>
<Location /r/or>
AuthMerging Or
AuthType Basic
AuthName "Prot Area"
AuthUserFile PASSWD
Require user nobody
</Location>
<Location /s>
AuthType Basic
AuthName "Prot Area"
AuthUserFile PASSWD
AuthGroupFile GROUPS
Require group ops
</Location>
<Location /t>
Order allow,deny
</Location>
<Location /u>
Require local
</Location>
<Location /v>
AuthType Basic
AuthName "Prot Area"
AuthUserFile PASSWD
<RequireAll>
Require valid-user
<RequireNone>
Require user md5user
</RequireNone>
</RequireAll>
</Location>
<Location /w>
Order deny,allow
Deny from 127.0.0.0/255.0.0.0
</Location>
<Location /x>
Order allow,deny
Allow from 127
</Location>
<Location /y>
Require expr "%{REQUEST_URI} =~ m#^/y/fi# && %{REQUEST_METHOD} in {'GET', 'HEAD'}"
</Location>
<Location /z>
Require expr %{HTTP_HOST} == 'nomatch' || -R '127.0.0.0/8'
</Location>
<Location /za>
AuthType Basic
AuthName "Prot Area"
AuthUserFile PASSWD
<RequireAll>
Require valid-user
Require expr "%{REMOTE_USER} != 'md5user'"
</RequireAll>
</Location>
<Location /sa>
Order deny,allow
Deny from all
Satisfy any
</Location>
<Location /sb>
AuthType Basic
AuthName "Prot Area"
AuthUserFile PASSWD
Order deny,allow
Deny from all
Satisfy any
</Location>
<Location /zb>
<RequireAll>
Require all granted
Require not expr "%{REQUEST_METHOD} == 'POST'"
</RequireAll>
</Location>
`

func TestAccessAgainstApache(t *testing.T) {
	bin := apachetest.Binary(t)
	root := t.TempDir()
	passwd, _ := filepath.Abs("../../testdata/auth/htpasswd")
	groups, _ := filepath.Abs("../../testdata/auth/groups")
	locs := strings.NewReplacer("PASSWD", passwd, "GROUPS", groups).Replace(locations)
	if err := os.MkdirAll(filepath.Join(root, "www"), 0o755); err != nil {
		t.Fatal(err)
	}
	addr := apachetest.FreeAddr(t)
	conf := apachetest.Sandbox(root, root) + "Listen " + addr + "\n" +
		apachetest.LoadModules("mpm_event", "authz_core", "authz_host", "authz_user", "authz_groupfile", "authn_core", "authn_file", "auth_basic", "access_compat") +
		"ServerName 127.0.0.1\nDocumentRoot " + root + "/www\n" + locs
	confPath := filepath.Join(root, "apache2.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	apachetest.Serve(t, bin, confPath, addr, filepath.Join(root, "error.log"))

	cfg, _, diags := directives.LoadBytes("locations.conf", []byte(locs), directives.LoadOptions{ServerRoot: root})
	if diags.HasErrors() {
		t.Fatalf("balancerd config: %v", diags)
	}
	checker := &access.Checker{}
	client := &http.Client{Timeout: 5 * time.Second}
	seen := map[int]int{}
	creds := []string{"", "md5user:pw1", "md5user:bad", "bcuser:pw2", "shauser:pw3", "nouser:x", "plainu:pw9"}
	for _, loc := range []string{"/a", "/b", "/c", "/d", "/e", "/f", "/g", "/h", "/i", "/j", "/k", "/l", "/m", "/n", "/o", "/p", "/r", "/r/and", "/r/or", "/s", "/t", "/u", "/v", "/w", "/x", "/y", "/z", "/za", "/zb", "/sa", "/sb"} {
		uri := loc + "/file"
		var levels []*model.Access
		for _, sec := range cfg.Main.Locations {
			if (uri == sec.Path || strings.HasPrefix(uri, sec.Path+"/")) && sec.Dir != nil && sec.Dir.Access != nil {
				levels = append(levels, sec.Dir.Access)
			}
		}
		policy := access.Compile(levels...)
		for _, method := range []string{"GET", "HEAD", "POST", "DELETE"} {
			for _, cred := range creds {
				req, _ := http.NewRequest(method, "http://"+addr+uri, nil)
				if cred != "" {
					req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(cred)))
				}
				resp, err := client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				apache := resp.StatusCode
				if apache == 404 || apache == 405 || apache == 200 {
					apache = 0 // access granted; the core then found no file
				}
				ours := checker.Check(context.Background(), policy, &access.Request{
					Method: method, URI: uri, Authorization: req.Header.Get("Authorization"), Header: http.Header{"Host": {addr}},
					Remote: netip.MustParseAddr("127.0.0.1"), Local: netip.MustParseAddr("127.0.0.1"),
				})
				seen[apache]++
				if ours.Status != apache {
					t.Errorf("%s %s as %q: Apache %d, balancerd %d (%s)", method, uri, cred, resp.StatusCode, ours.Status, ours.Log)
				}
				if apache == 401 {
					if got, want := ours.Header.Get("WWW-Authenticate"), resp.Header.Get("WWW-Authenticate"); got != want {
						t.Errorf("%s %s: WWW-Authenticate %q, Apache %q", method, uri, got, want)
					}
				}
			}
		}
	}
	// The matrix must exercise every outcome.
	for _, st := range []int{0, 401, 403, 500} {
		if seen[st] == 0 {
			t.Errorf("no case where Apache answered %d: %v", st, seen)
		}
	}
}
