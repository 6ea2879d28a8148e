package proxy

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/balancerd/balancerd/directives/model"
)

// selfSigned writes a self-signed certificate for names and its key as
// PEM files in dir and returns their paths.
func selfSigned(t *testing.T, dir, base string, names ...string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: names[0]},
		DNSNames:     names,
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, base+".crt"), filepath.Join(dir, base+".key")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

func sslOn(cert, key string) *model.TLSConfig {
	return &model.TLSConfig{Engine: true, EngineSet: true, EngineSource: "t.conf:1",
		Certificates: []model.TLSFile{{Path: cert, Source: "t.conf:2"}}, Keys: []model.TLSFile{{Path: key, Source: "t.conf:3"}}}
}

// tlsGet requests url over TLS with SNI sni and returns the response and
// the common name of the certificate the server sent.
func tlsGet(t *testing.T, url, sni, host string, maxVersion uint16) (*http.Response, string) {
	t.Helper()
	var cn string
	tr := &http.Transport{TLSClientConfig: &tls.Config{ServerName: sni, InsecureSkipVerify: true, MaxVersion: maxVersion,
		VerifyConnection: func(cs tls.ConnectionState) error {
			cn = cs.PeerCertificates[0].Subject.CommonName
			return nil
		}}}
	defer tr.CloseIdleConnections()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	c := &http.Client{Transport: tr, CheckRedirect: noRedirect.CheckRedirect}
	res, err := c.Do(req)
	if err != nil {
		return nil, cn
	}
	return res, cn
}

// TestTLSTermination: SSLEngine on vhosts speak TLS on their address, SNI
// selects the certificate, requests are proxied and served as over HTTP,
// and the handler sees the connection's TLS state (https redirects).
func TestTLSTermination(t *testing.T) {
	dir := t.TempDir()
	ac, ak := selfSigned(t, dir, "a", "a.test")
	bc, bk := selfSigned(t, dir, "b", "b.test", "*.b.test")
	root := filepath.Join(dir, "www")
	if err := os.MkdirAll(filepath.Join(root, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	va, vb := vhostCfg("a.test"), vhostCfg("b.test", "*.b.test")
	va.TLS, vb.TLS = sslOn(ac, ak), sslOn(bc, bk)
	va.DocumentRoot = root
	va.ProxyPass = []*model.ProxyPassRule{pass("/app/", backend(t, "app").URL+"/")}
	cfg := config(va, vb)
	cfg.Modules = []string{"dir_module"}
	_, base := start(t, cfg, Options{})
	tlsBase := strings.Replace(base, "http://", "https://", 1)

	for _, tc := range []struct{ sni, want string }{{"a.test", "a.test"}, {"b.test", "b.test"}, {"x.b.test", "b.test"}, {"other.test", "a.test"}, {"", "a.test"}} {
		res, cn := tlsGet(t, tlsBase+"/app/x", tc.sni, "a.test", 0)
		if res == nil {
			t.Fatalf("SNI %q: TLS request failed", tc.sni)
		}
		s := decode(t, res)
		if cn != tc.want || s.URI != "/x" {
			t.Errorf("SNI %q: certificate %q (want %q), backend saw %q", tc.sni, cn, tc.want, s.URI)
		}
	}
	res, _ := tlsGet(t, tlsBase+"/sub", "a.test", "a.test", 0)
	if res == nil {
		t.Fatal("TLS redirect request failed")
	}
	drain(res)
	if loc := res.Header.Get("Location"); res.StatusCode != 301 || loc != "https://a.test/sub/" {
		t.Errorf("mod_dir over TLS: %d %q, want 301 https://a.test/sub/", res.StatusCode, loc)
	}
	// Plain HTTP on a TLS port: mod_ssl's 400 page, in clear text.
	pres := rawGet(t, base, "/app/x", "a.test")
	body, _ := io.ReadAll(pres.Body)
	pres.Body.Close()
	if pres.StatusCode != 400 || string(body) != plainHTTPBody || !pres.Close ||
		!strings.Contains(string(body), "Reason: You're speaking plain HTTP to an SSL-enabled server port.") {
		t.Errorf("plain HTTP on a TLS address: %d %q", pres.StatusCode, body)
	}
}

func TestLooksLikeHTTP(t *testing.T) {
	for h, want := range map[string]bool{"GET /": true, "POST ": true, "OPTIO": true, "\x16\x03\x01\x02\x00": false, "get /": false, " GET ": false, "": false} {
		if got := looksLikeHTTP([]byte(h)); got != want {
			t.Errorf("looksLikeHTTP(%q) = %v", h, got)
		}
	}
}

// TestTLSInheritAndProtocol: a vhost inherits SSLEngine and certificates
// from the main server; SSLProtocol bounds the versions offered.
func TestTLSInheritAndProtocol(t *testing.T) {
	dir := t.TempDir()
	c, k := selfSigned(t, dir, "m", "main.test")
	vh := vhostCfg("v.test")
	vh.ProxyPass = []*model.ProxyPassRule{pass("/", backend(t, "v").URL+"/")}
	vh.TLS = &model.TLSConfig{MinVersion: tls.VersionTLS13, MaxVersion: tls.VersionTLS13, ProtocolSource: "t.conf:9"}
	cfg := config(vh)
	cfg.Main.TLS = sslOn(c, k)
	_, base := start(t, cfg, Options{})
	tlsBase := strings.Replace(base, "http://", "https://", 1)
	res, cn := tlsGet(t, tlsBase+"/x", "v.test", "v.test", 0)
	if res == nil || cn != "main.test" {
		t.Fatalf("inherited certificate: %v %q", res, cn)
	}
	if s := decode(t, res); s.URI != "/x" {
		t.Fatalf("backend saw %q", s.URI)
	}
	if res, _ := tlsGet(t, tlsBase+"/x", "v.test", "v.test", tls.VersionTLS12); res != nil {
		drain(res)
		t.Fatalf("TLS 1.2 accepted with SSLProtocol TLSv1.3")
	}
}

// TestTLSPlainVHosts: without SSLEngine on, every address serves plain
// HTTP (a "Listen ... https" only warns).
func TestTLSPlainVHosts(t *testing.T) {
	vh := vhostCfg("p.test")
	vh.ProxyPass = []*model.ProxyPassRule{pass("/", backend(t, "p").URL+"/")}
	vh.TLS = &model.TLSConfig{EngineSet: true, EngineSource: "t.conf:1"}
	_, base := start(t, config(vh), Options{})
	if s := decode(t, get(t, nil, "GET", base+"/y", "p.test")); s.URI != "/y" {
		t.Fatalf("plain request: %+v", s)
	}
}

// TestTLSStartupErrors: unusable certificates stop New with the
// directive's file:line.
func TestTLSStartupErrors(t *testing.T) {
	dir := t.TempDir()
	ac, ak := selfSigned(t, dir, "a", "a.test")
	_, bk := selfSigned(t, dir, "b", "b.test")
	garbage := filepath.Join(dir, "garbage.pem")
	if err := os.WriteFile(garbage, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		tls  *model.TLSConfig
		want string
	}{
		"missing cert": {&model.TLSConfig{Engine: true, EngineSet: true, EngineSource: "t.conf:1", Certificates: []model.TLSFile{{Path: filepath.Join(dir, "nope.crt"), Source: "t.conf:2"}}}, "t.conf:2: SSLCertificateFile"},
		"missing key":  {sslOn(ac, filepath.Join(dir, "nope.key")), "t.conf:3: SSLCertificateKeyFile"},
		"mismatch":     {sslOn(ac, bk), "t.conf:2: certificate"},
		"garbage":      {sslOn(garbage, ak), "t.conf:2: certificate"},
		"no cert":      {&model.TLSConfig{Engine: true, EngineSet: true, EngineSource: "t.conf:7"}, "t.conf:7: SSLEngine on"},
		"no protocols": {&model.TLSConfig{Engine: true, EngineSet: true, Certificates: []model.TLSFile{{Path: ac}}, MinVersion: 1, ProtocolSource: "t.conf:5"}, "t.conf:5: SSLProtocol"},
		"chain missing": {func() *model.TLSConfig {
			c := sslOn(ac, ak)
			c.Chain = model.TLSFile{Path: "/nonexistent", Source: "t.conf:4"}
			return c
		}(), "t.conf:4: SSLCertificateChainFile"},
	} {
		vh := vhostCfg("a.test")
		vh.TLS = tc.tls
		_, err := New(config(vh), Options{})
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want prefix %q", name, err, tc.want)
		}
	}
	// Reload refuses the same and keeps serving the old configuration.
	vh := vhostCfg("a.test")
	s, err := New(config(vh), Options{})
	if err != nil {
		t.Fatal(err)
	}
	bad := vhostCfg("a.test")
	bad.TLS = sslOn(ac, bk)
	if err := s.Reload(config(bad)); err == nil || s.Config().VirtualHosts[0] != vh {
		t.Fatalf("Reload with a bad certificate: %v", err)
	}
}

// TestTLSReverseScheme: ProxyPassReverse builds the public URL with the
// scheme the client used (https on a TLS address, 443 omitted).
func TestTLSReverseScheme(t *testing.T) {
	dir := t.TempDir()
	c, k := selfSigned(t, dir, "a", "a.test")
	b := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://"+r.Host+"/next", http.StatusFound)
	}))
	defer b.Close()
	vh := vhostCfg("a.test")
	vh.TLS = sslOn(c, k)
	vh.ProxyPass = []*model.ProxyPassRule{pass("/app/", b.URL+"/")}
	vh.Dir.Reverse = []model.ReverseRule{{Path: "/app/", URL: b.URL + "/"}}
	_, base := start(t, config(vh), Options{})
	tlsBase := strings.Replace(base, "http://", "https://", 1)
	for host, want := range map[string]string{"a.test": "https://a.test/app/next", "a.test:443": "https://a.test/app/next", "a.test:8443": "https://a.test:8443/app/next"} {
		res, _ := tlsGet(t, tlsBase+"/app/x", "a.test", host, 0)
		if res == nil {
			t.Fatal("TLS request failed")
		}
		drain(res)
		if loc := res.Header.Get("Location"); res.StatusCode != 302 || loc != want {
			t.Errorf("Host %s: %d Location %q, want %q", host, res.StatusCode, loc, want)
		}
	}
}

// TestTLSReload: a reload with a new certificate serves it on new
// connections; turning SSLEngine off makes the address plain HTTP.
func TestTLSReload(t *testing.T) {
	dir := t.TempDir()
	c1, k1 := selfSigned(t, dir, "one", "one.test")
	c2, k2 := selfSigned(t, dir, "two", "two.test")
	mk := func(tc *model.TLSConfig) *model.Config {
		vh := vhostCfg("a.test")
		vh.TLS = tc
		vh.ProxyPass = []*model.ProxyPassRule{pass("/", backend(t, "b").URL+"/")}
		return config(vh)
	}
	s, base := start(t, mk(sslOn(c1, k1)), Options{})
	tlsBase := strings.Replace(base, "http://", "https://", 1)
	if res, cn := tlsGet(t, tlsBase+"/x", "a.test", "a.test", 0); res == nil || cn != "one.test" {
		t.Fatalf("before reload: certificate %q", cn)
	} else {
		drain(res)
	}
	if err := s.Reload(mk(sslOn(c2, k2))); err != nil {
		t.Fatal(err)
	}
	if res, cn := tlsGet(t, tlsBase+"/x", "a.test", "a.test", 0); res == nil || cn != "two.test" {
		t.Fatalf("after reload: certificate %q", cn)
	} else {
		drain(res)
	}
	if err := s.Reload(mk(nil)); err != nil {
		t.Fatal(err)
	}
	if got := decode(t, get(t, nil, "GET", base+"/y", "a.test")); got.URI != "/y" {
		t.Fatalf("plain after SSLEngine removed: %+v", got)
	}
}
