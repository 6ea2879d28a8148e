package proxy

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/balancerd/balancerd/directives"
	"github.com/balancerd/balancerd/directives/apachetest"
	"github.com/balancerd/balancerd/parser"
)

// TestTLSAgainstApache runs one mod_ssl configuration through real Apache
// and through balancerd and compares, for each SNI name and client
// version limit, which certificate is sent (or that the handshake fails).
func TestTLSAgainstApache(t *testing.T) {
	bin := apachetest.Binary(t)
	if _, err := os.Stat(filepath.Join(apachetest.ModuleDir, "mod_ssl.so")); err != nil {
		if apachetest.Required() {
			t.Fatalf("mod_ssl.so missing: %v", err)
		}
		t.Skip("mod_ssl.so not installed")
	}
	dir := t.TempDir()
	selfSigned(t, dir, "a", "a.test")
	selfSigned(t, dir, "b", "b.test", "*.b.test")
	selfSigned(t, dir, "c", "c.test")
	for _, f := range []string{"a.key", "b.key", "c.key"} {
		_ = os.Chmod(filepath.Join(dir, f), 0o644)
	}
	site := func(port int) string {
		return fmt.Sprintf(`Listen 127.0.0.1:%[1]d https
<VirtualHost *:%[1]d>
    ServerName a.test
    SSLEngine on
    SSLCertificateFile a.crt
    SSLCertificateKeyFile a.key
</VirtualHost>
<VirtualHost *:%[1]d>
    ServerName b.test
    ServerAlias *.b.test
    SSLEngine on
    SSLCertificateFile b.crt
    SSLCertificateKeyFile b.key
</VirtualHost>
<VirtualHost *:%[1]d>
    ServerName c.test
    SSLEngine on
    SSLCertificateFile c.crt
    SSLCertificateKeyFile c.key
    SSLProtocol -all +TLSv1.3
</VirtualHost>
`, port)
	}
	aport := apachetest.FreePort(t)
	conf := filepath.Join(dir, "apache2.conf")
	main := apachetest.Sandbox(dir, dir) + apachetest.LoadModules("mpm_event", "authz_core", "ssl", "socache_shmcb") +
		"ServerName 127.0.0.1\n" + site(aport)
	if err := os.WriteFile(conf, []byte(main), 0o644); err != nil {
		t.Fatal(err)
	}
	apachetest.Serve(t, bin, conf, "127.0.0.1:"+strconv.Itoa(aport), filepath.Join(dir, "error.log"))

	bport := apachetest.FreePort(t)
	cfg, _, diags := directives.LoadBytes("site.conf", []byte(site(bport)), directives.LoadOptions{ServerRoot: dir})
	for _, d := range diags {
		if d.Severity >= parser.Error {
			t.Fatalf("balancerd config: %v", d)
		}
	}
	s, err := New(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	lns, err := s.Listen()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = s.Serve(lns...); close(done) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.Shutdown(ctx)
		<-done
	})

	probe := func(port int, sni string, max uint16) string {
		d := &net.Dialer{Timeout: 5 * time.Second}
		c, err := tls.DialWithDialer(d, "tcp", "127.0.0.1:"+strconv.Itoa(port), &tls.Config{ServerName: sni, InsecureSkipVerify: true, MaxVersion: max})
		if err != nil {
			return "handshake failed"
		}
		defer c.Close()
		cs := c.ConnectionState()
		return cs.PeerCertificates[0].Subject.CommonName
	}
	for _, sni := range []string{"a.test", "b.test", "x.b.test", "c.test", "other.test", ""} {
		for _, max := range []uint16{0, tls.VersionTLS12} {
			want, got := probe(aport, sni, max), probe(bport, sni, max)
			if got != want {
				t.Errorf("SNI %q, client max version %x: Apache sent %q, balancerd %q", sni, max, want, got)
			}
		}
	}
	// Plain HTTP to the TLS port: the same 400 page.
	plain := func(port int) string {
		res := rawGet(t, "http://127.0.0.1:"+strconv.Itoa(port), "/x", "a.test")
		return strconv.Itoa(res.StatusCode) + " " + drain(res)
	}
	if want, got := plain(aport), plain(bport); got != want {
		t.Errorf("plain HTTP on a TLS port:\nApache:    %q\nbalancerd: %q", want, got)
	}
}
