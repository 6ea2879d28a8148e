package directives

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/balancerd/balancerd/parser"
)

// TestSSLErrors: mod_ssl's messages, as apache2 -t prints them (Apache
// 2.4.67 with mod_ssl loaded).
func TestSSLErrors(t *testing.T) {
	runDiagCases(t, parser.Error, []diagCase{
		{name: "engine", src: "SSLEngine maybe\n", line: 1, msg: "Argument must be On or Off"},
		{name: "engine-ok", src: "SSLEngine on\nSSLEngine Off\n"},
		{name: "protocol-illegal", src: "SSLProtocol all -TLSv9\n", line: 1, msg: "SSLProtocol: Illegal protocol 'TLSv9'"},
		{name: "protocol-sslv2", src: "SSLProtocol SSLv2\n", line: 1, msg: "SSLProtocol: SSLv2 is no longer supported"},
		{name: "protocol-sslv3", src: "SSLProtocol +SSLv3\n", line: 1, msg: "SSLv3 not supported by this version of OpenSSL"},
		{name: "protocol-minus-sslv3", src: "SSLProtocol all -SSLv3 -SSLv2\n"},
		{name: "cert-missing", src: "\nSSLCertificateFile /nonexistent/x.pem\n", line: 2, msg: "SSLCertificateFile: file '/nonexistent/x.pem' does not exist or is empty"},
		{name: "key-missing", src: "<VirtualHost *:443>\nSSLCertificateKeyFile /nonexistent/x.key\n</VirtualHost>\n", line: 2, msg: "SSLCertificateKeyFile: file '/nonexistent/x.key' does not exist or is empty"},
		{name: "chain-empty", src: "SSLCertificateChainFile /dev/null\n", line: 1, msg: "SSLCertificateChainFile: file '/dev/null' does not exist or is empty"},
		{name: "cipher-honor", src: "SSLCipherSuite HIGH:!aNULL\nSSLCipherSuite TLSv1.3 TLS_AES_256_GCM_SHA384\nSSLHonorCipherOrder on\n"},
	})
}

// TestSSLModel: the directives land in Server.TLS of their server, files
// resolved against ServerRoot, SSLProtocol as a version range.
func TestSSLModel(t *testing.T) {
	root := t.TempDir()
	for _, f := range []string{"c.pem", "k.pem", "chain.pem"} {
		if err := os.WriteFile(filepath.Join(root, f), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	src := "SSLProtocol TLSv1.2\n<VirtualHost *:443>\nSSLEngine on\nSSLCertificateFile c.pem\nSSLCertificateKeyFile " + filepath.Join(root, "k.pem") +
		"\nSSLCertificateChainFile chain.pem\nSSLProtocol all -TLSv1 -TLSv1.1\nSSLCipherSuite HIGH\nSSLHonorCipherOrder on\n</VirtualHost>\n" +
		"<VirtualHost *:8443>\nSSLProtocol -all +TLSv1.1 +TLSv1.3\n</VirtualHost>\n<VirtualHost *:9443>\nSSLProtocol -all\n</VirtualHost>\n"
	cfg, _, diags := LoadBytes("t.conf", []byte(src), LoadOptions{ServerRoot: root})
	if d := firstDiag(diags, parser.Error); d != nil {
		t.Fatalf("unexpected error: %v", d)
	}
	if m := cfg.Main.TLS; m == nil || m.MinVersion != 0x0303 || m.MaxVersion != 0x0303 || m.Engine {
		t.Fatalf("main TLS: %+v", m)
	}
	v := cfg.VirtualHosts[0].TLS
	if v == nil || !v.Engine || !v.EngineSet || v.EngineSource != "t.conf:3" {
		t.Fatalf("vhost engine: %+v", v)
	}
	if len(v.Certificates) != 1 || v.Certificates[0].Path != filepath.Join(root, "c.pem") || v.Certificates[0].Source != "t.conf:4" ||
		len(v.Keys) != 1 || v.Keys[0].Path != filepath.Join(root, "k.pem") || v.Chain.Path != filepath.Join(root, "chain.pem") {
		t.Fatalf("vhost files: %+v", v)
	}
	if v.MinVersion != 0x0303 || v.MaxVersion != 0x0304 || v.CipherSuite != "HIGH" || !v.HonorCipherOrder {
		t.Fatalf("vhost protocol/ciphers: %+v", v)
	}
	if w := cfg.VirtualHosts[1].TLS; w.MinVersion != 0x0302 || w.MaxVersion != 0x0304 {
		t.Fatalf("holes: %x..%x, want 302..304", w.MinVersion, w.MaxVersion)
	}
	if w := cfg.VirtualHosts[2].TLS; w.MinVersion <= w.MaxVersion {
		t.Fatalf("-all: %x..%x, want none (min > max)", w.MinVersion, w.MaxVersion)
	}
}

// TestSSLWarnings: settings balancerd reads but cannot honour are warned
// about at their line.
func TestSSLWarnings(t *testing.T) {
	runDiagCases(t, parser.Warning, []diagCase{
		{name: "optional", src: "SSLEngine optional\n", line: 1, msg: "'SSLEngine optional' is no longer supported (AH10510): TLS upgrade (RFC 2817) is not offered"},
		{name: "per-dir-ciphers", src: "<Location /x>\nSSLCipherSuite HIGH\n</Location>\n", line: 2, msg: "SSLCipherSuite in <Location> is ignored: balancerd does not renegotiate TLS per directory"},
		{name: "no-protocol", src: "SSLProtocol -all\n", line: 1, msg: "SSLProtocol enables no protocol", prefix: true},
	})
}
