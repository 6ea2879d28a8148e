package stack

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/balancerd/balancerd/directives"
	"github.com/balancerd/balancerd/proxy"
	"golang.org/x/crypto/bcrypt"
)

// seedSetup writes the seed's load balancer (as corrected for 2.4) with
// its manager protected by an .htaccess in DocumentRoot, as the tutorial
// does, and a CustomLog; it returns the config path.
func seedSetup(t *testing.T, backend string) (dir, conf string) {
	t.Helper()
	dir = t.TempDir()
	hash, err := bcrypt.GenerateFromPassword([]byte("secret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		".htpasswd": "admin:" + string(hash) + "\n",
		"www/balancer-manager/.htaccess": "AuthType Basic\nAuthName \"Members Only\"\n" +
			"AuthUserFile ${DIR}/.htpasswd\n<Limit GET PUT POST>\nrequire valid-user\n</Limit>\n",
		"lb.conf": `<Directory ${DIR}/www/>
    AllowOverride AuthConfig Limit
</Directory>
<VirtualHost *>
    ServerName www.example.com
    DocumentRoot ${DIR}/www/
    CustomLog ${DIR}/${LOG} "%h %>s %U %{BALANCER_WORKER_ROUTE}e"
    ProxyPass /balancer-manager !
    ProxyPass / balancer://mycluster/ stickysession=BALANCEID nofailover=On
    ProxyPassReverse / http://` + backend + `/
    <Proxy balancer://mycluster>
        BalancerMember http://` + backend + ` route=http1
    </Proxy>
    <Location /balancer-manager>
        SetHandler balancer-manager
    </Location>
</VirtualHost>
`,
	}
	for name, text := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir, filepath.Join(dir, "lb.conf")
}

func loadOpts(dir, logName string) directives.LoadOptions {
	return directives.LoadOptions{ServerRoot: dir, Env: func(name string) (string, bool) {
		switch name {
		case "DIR":
			return dir, true
		case "LOG":
			return logName, true
		}
		return "", false
	}}
}

// TestAssembledServer checks that New plugs every hook in: the manager is
// served (not proxied), the .htaccess in DocumentRoot protects it (with the
// ${VAR} environment the main config was read with), balanced requests
// reach the member, and CustomLog lines are written and follow a reload.
func TestAssembledServer(t *testing.T) {
	backend := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "backend "+r.URL.Path)
	})}
	bln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go backend.Serve(bln)
	defer backend.Close()

	dir, conf := seedSetup(t, bln.Addr().String())
	lo := loadOpts(dir, "access.log")
	cfg, _, diags := directives.Load(conf, lo)
	if diags.HasErrors() {
		t.Fatalf("config: %v", diags)
	}
	srv, err := New(cfg, lo, proxy.Options{ListenOverride: []string{"127.0.0.1:0"}, ErrorLog: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	lns, err := srv.Listen()
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(lns...)
	base := "http://" + lns[0].Addr().String()

	get := func(path, user, pw string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", base+path, nil)
		req.Host = "www.example.com"
		if user != "" {
			req.SetBasicAuth(user, pw)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	tests := []struct {
		path, user, pw string
		status         int
		bodyHas        string
	}{
		{"/app", "", "", 200, "backend /app"},
		{"/balancer-manager", "", "", 401, "Unauthorized"},
		{"/balancer-manager", "admin", "wrong", 401, "Unauthorized"},
		{"/balancer-manager", "admin", "secret", 200, "<h1>Load Balancer Manager for"},
	}
	for _, tt := range tests {
		status, body := get(tt.path, tt.user, tt.pw)
		if status != tt.status || !strings.Contains(body, tt.bodyHas) {
			t.Errorf("GET %s as %q: %d %q, want %d containing %q", tt.path, tt.user, status, body, tt.status, tt.bodyHas)
		}
	}

	// A reload to a configuration with another log file: later requests
	// are logged there.
	lo2 := loadOpts(dir, "access2.log")
	cfg2, _, diags := directives.Load(conf, lo2)
	if diags.HasErrors() {
		t.Fatalf("config: %v", diags)
	}
	if err := srv.Reload(cfg2); err != nil {
		t.Fatal(err)
	}
	get("/after-reload", "", "")
	if err := srv.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}

	first, _ := os.ReadFile(filepath.Join(dir, "access.log"))
	wantFirst := "127.0.0.1 200 /app http1\n" +
		"127.0.0.1 401 /balancer-manager -\n" +
		"127.0.0.1 401 /balancer-manager -\n" +
		"127.0.0.1 200 /balancer-manager -\n"
	if string(first) != wantFirst {
		t.Errorf("access.log =\n%s\nwant\n%s", first, wantFirst)
	}
	second, _ := os.ReadFile(filepath.Join(dir, "access2.log"))
	if string(second) != "127.0.0.1 200 /after-reload http1\n" {
		t.Errorf("access2.log = %q", second)
	}
}
