package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/balancerd/balancerd/directives/apachetest"
)

// TestDumpVHostsAgainstApache runs apache2 -S and balancerd -S on the same
// configuration (an IP vhost, a name-based set with aliases, a *-address
// vhost) and requires the same "VirtualHost configuration" block and the
// same ServerRoot, PidFile and Define lines.
func TestDumpVHostsAgainstApache(t *testing.T) {
	bin := apachetest.Binary(t)
	dir := t.TempDir()
	main := apachetest.Sandbox(dir, dir) +
		apachetest.LoadModules("mpm_event", "authz_core", "proxy", "proxy_http", "slotmem_shm", "proxy_balancer", "lbmethod_byrequests") +
		"Listen 127.0.0.1:38010\nListen 127.0.0.1:38011\nInclude vh.conf\n"
	vh := `<VirtualHost *:38010>
ServerName a.example.com
ServerAlias www.a.example.com *.a.example.org
</VirtualHost>
<VirtualHost *:38010>
ServerName b.example.com
</VirtualHost>
<VirtualHost 127.0.0.1:38011>
ServerName c.example.com
</VirtualHost>
<VirtualHost *>
ServerName any.example.com
ProxyPass / balancer://c/
<Proxy balancer://c>
BalancerMember http://127.0.0.1:9 route=r1
</Proxy>
</VirtualHost>
`
	for name, text := range map[string]string{"main.conf": main, "vh.conf": vh} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, err := exec.Command(bin, "-S", "-f", filepath.Join(dir, "main.conf")).CombinedOutput()
	if err != nil {
		t.Fatalf("apache2 -S: %v\n%s", err, out)
	}
	code, ours, stderr := runCLI(t, "-S", "-d", dir, "-f", "main.conf")
	if code != exitOK {
		t.Fatalf("balancerd -S: exit %d\n%s", code, stderr)
	}
	comparable := func(report string) string {
		var keep []string
		in := false
		for _, line := range strings.Split(report, "\n") {
			switch {
			case line == "VirtualHost configuration:":
				in = true
			case strings.HasPrefix(line, "Main ") || strings.HasPrefix(line, "Mutex ") ||
				strings.HasPrefix(line, "User:") || strings.HasPrefix(line, "Group:") || line == "Balancers:":
				in = line != "Balancers:" && in
				continue
			}
			if in {
				keep = append(keep, line)
			}
		}
		return strings.TrimSpace(strings.Join(keep, "\n"))
	}
	if a, b := comparable(string(out)), comparable(ours); a != b {
		t.Errorf("-S differs from apache2 -S:\n--- apache2\n%s\n--- balancerd\n%s", a, b)
	}
}
