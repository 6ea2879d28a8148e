package access_test

// Differential test: the same <Location> access configurations served by
// real Apache 2.4 and decided by package access (through the directives
// model), over a matrix of methods and credentials.

import (
	"context"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/balancerd/balancerd/directives"
	"github.com/balancerd/balancerd/directives/model"
	"github.com/balancerd/balancerd/proxy/access"
)

func apacheBinary(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("apache2"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/sbin/apache2"); err == nil {
		return "/usr/sbin/apache2"
	}
	if os.Getenv("BALANCERD_REQUIRE_APACHE") == "1" {
		t.Fatal("apache2 not found and BALANCERD_REQUIRE_APACHE=1")
	}
	t.Skip("apache2 not installed")
	return ""
}

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
	bin := apacheBinary(t)
	root := t.TempDir()
	passwd, _ := filepath.Abs("../../testdata/auth/htpasswd")
	groups, _ := filepath.Abs("../../testdata/auth/groups")
	locs := strings.NewReplacer("PASSWD", passwd, "GROUPS", groups).Replace(locations)
	if err := os.MkdirAll(filepath.Join(root, "www"), 0o755); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	var mods strings.Builder
	for _, m := range []string{"mpm_event", "authz_core", "authz_host", "authz_user", "authz_groupfile", "authn_core", "authn_file", "auth_basic", "access_compat"} {
		fmt.Fprintf(&mods, "LoadModule %s_module /usr/lib/apache2/modules/mod_%s.so\n", m, m)
	}
	conf := fmt.Sprintf("ServerRoot %[1]s\nPidFile %[1]s/pid\nErrorLog %[1]s/error.log\nMutex file:%[1]s\nListen %[2]s\n%[3]sServerName 127.0.0.1\nDocumentRoot %[1]s/www\n%[4]s",
		root, addr, mods.String(), locs)
	confPath := filepath.Join(root, "apache2.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, "-t", "-f", confPath).CombinedOutput(); err != nil {
		t.Fatalf("apache2 -t: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "-f", confPath, "-DFOREGROUND")
	// Its own process group, so that the cleanup reaches the workers
	// too (killing only the parent would orphan them).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
	})
	up := false
	for i := 0; i < 100 && !up; i++ {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			up = true
		} else {
			time.Sleep(50 * time.Millisecond) // waiting for the external apache2 process
		}
	}
	if !up {
		t.Fatal("apache2 did not start")
	}

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
