package proxy

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/balancerd/balancerd/directives/model"
)

// TLS termination (mod_ssl's basics). As with Apache, whether a
// connection speaks TLS is decided by the server its local address
// selects before any Host is known — the first <VirtualHost> for the
// address, or the main server: TLS when that server has SSLEngine on
// (its own or inherited from the main server). "Listen 443 https" alone
// does not turn TLS on (Apache serves plain HTTP there too; balancerd
// warns). During the handshake, SNI picks the virtual host whose
// certificate is sent, among the hosts of the address (ServerName,
// ServerAlias); without a match, the default server's.
//
// Differences from mod_ssl: SSLCipherSuite and SSLHonorCipherOrder are
// read but Go's cipher suites and order apply; TLS 1.0 and 1.1 are
// offered only when SSLProtocol enables them explicitly (Go's default is
// TLS 1.2+); HTTP/2 is not negotiated; a Host that selects another
// virtual host than SNI is not refused with 421.

// tlsState holds the TLS configuration of each server of one model.Config
// with SSLEngine on (certificates loaded and checked at New/Reload).
type tlsState struct {
	cfg      *model.Config
	byServer map[*model.Server]*tls.Config
}

// effectiveTLS merges the main server's mod_ssl settings into a virtual
// host's, as mod_ssl's per-server merge does.
func effectiveTLS(main, vh *model.Server) *model.TLSConfig {
	var base, add *model.TLSConfig
	if main != nil {
		base = main.TLS
	}
	if vh != main {
		add = vh.TLS
	}
	switch {
	case add == nil:
		return base
	case base == nil:
		return add
	}
	out := *base
	if add.EngineSet {
		out.Engine, out.EngineSet, out.EngineSource = add.Engine, true, add.EngineSource
	}
	if len(add.Certificates) > 0 {
		out.Certificates = add.Certificates
	}
	if len(add.Keys) > 0 {
		out.Keys = add.Keys
	}
	if add.Chain.Path != "" {
		out.Chain = add.Chain
	}
	if add.ProtocolSource != "" {
		out.MinVersion, out.MaxVersion, out.ProtocolSource = add.MinVersion, add.MaxVersion, add.ProtocolSource
	}
	if add.CipherSuite != "" {
		out.CipherSuite = add.CipherSuite
	}
	return &out
}

// loadTLS loads the certificates of every server with SSLEngine on.
// Errors name the directive's file:line and say how to fix it.
func loadTLS(cfg *model.Config) (*tlsState, error) {
	st := &tlsState{cfg: cfg, byServer: map[*model.Server]*tls.Config{}}
	servers := append([]*model.Server{cfg.Main}, cfg.VirtualHosts...)
	for _, srv := range servers {
		if srv == nil {
			continue
		}
		t := effectiveTLS(cfg.Main, srv)
		if t == nil || !t.Engine {
			continue
		}
		tc, err := serverTLSConfig(t, srv)
		if err != nil {
			return nil, err
		}
		st.byServer[srv] = tc
	}
	return st, nil
}

// serverTLSConfig builds the tls.Config of one server.
func serverTLSConfig(t *model.TLSConfig, srv *model.Server) (*tls.Config, error) {
	where := t.EngineSource
	if where == "" {
		where = srv.Source
	}
	if len(t.Certificates) == 0 {
		return nil, fmt.Errorf("%s: SSLEngine on for %s, but no SSLCertificateFile: add SSLCertificateFile and SSLCertificateKeyFile (Apache: AH02572 Failed to configure at least one certificate and key)", where, describeServer(srv))
	}
	if t.MinVersion > t.MaxVersion {
		return nil, fmt.Errorf("%s: SSLProtocol enables no protocol for %s (Apache: No SSL protocols available [hint: SSLProtocol])", t.ProtocolSource, describeServer(srv))
	}
	var chain []byte
	if t.Chain.Path != "" {
		b, err := os.ReadFile(t.Chain.Path)
		if err != nil {
			return nil, fmt.Errorf("%s: SSLCertificateChainFile: %v", t.Chain.Source, err)
		}
		chain = b
	}
	tc := &tls.Config{MinVersion: t.MinVersion, MaxVersion: t.MaxVersion, NextProtos: []string{"http/1.1"}}
	for i, c := range t.Certificates {
		certPEM, err := os.ReadFile(c.Path)
		if err != nil {
			return nil, fmt.Errorf("%s: SSLCertificateFile: %v", c.Source, err)
		}
		keyPEM, keySrc, keyPath := certPEM, c.Source, c.Path
		if i < len(t.Keys) {
			k := t.Keys[i]
			if keyPEM, err = os.ReadFile(k.Path); err != nil {
				return nil, fmt.Errorf("%s: SSLCertificateKeyFile: %v", k.Source, err)
			}
			keySrc, keyPath = k.Source, k.Path
		}
		if len(chain) > 0 {
			certPEM = append(append(append([]byte(nil), certPEM...), '\n'), chain...)
		}
		pair, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			return nil, fmt.Errorf("%s: certificate %s with private key %s (%s): %v; both must be PEM, and the key must match the certificate", c.Source, c.Path, keyPath, keySrc, err)
		}
		tc.Certificates = append(tc.Certificates, pair)
	}
	return tc, nil
}

// defaultServer is the server a local address selects before the Host
// header is read: the first virtual host of the address, else the main
// server.
func (sn *snapshot) defaultServer(local string) (*vhost, *addrCandidates) {
	c := sn.candidatesFor(local)
	if c.tier == 4 || len(c.hosts) == 0 {
		return sn.main, c
	}
	return c.hosts[0], c
}

// wrapTLS starts TLS on an accepted connection when its address's default
// server has SSLEngine on.
func (s *Server) wrapTLS(c net.Conn) net.Conn {
	st := s.tls.Load()
	if st == nil || len(st.byServer) == 0 {
		return c
	}
	sn := s.snap.Load()
	def, cands := sn.defaultServer(c.LocalAddr().String())
	base := st.byServer[def.srv]
	if base == nil {
		return c
	}
	hosts := cands.hosts
	cfg := &tls.Config{
		NextProtos: base.NextProtos,
		GetConfigForClient: func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
			name := strings.ToLower(strings.TrimSuffix(hello.ServerName, "."))
			if name != "" {
				for _, vh := range hosts {
					if nameMatch(vh.srv, name) != "" {
						if tc := st.byServer[vh.srv]; tc != nil {
							return tc, nil
						}
						break
					}
				}
			}
			return base, nil
		},
	}
	return &httpsConn{Conn: tls.Server(c, cfg), s: s}
}

// httpsConn is a server TLS connection that answers a plain-HTTP request
// as mod_ssl does: a 400 page in clear text, then close.
type httpsConn struct {
	*tls.Conn
	s          *Server
	handshaken bool
}

// plainHTTPBody is Apache's 400 page for HTTP spoken to a TLS port.
const plainHTTPBody = errHead + "400 Bad Request</title>\n</head><body>\n<h1>Bad Request</h1>\n" +
	"<p>Your browser sent a request that this server could not understand.<br />\n" +
	"Reason: You're speaking plain HTTP to an SSL-enabled server port.<br />\n" +
	" Instead use the HTTPS scheme to access this URL, please.<br />\n</p>\n</body></html>\n"

func (c *httpsConn) Read(p []byte) (int, error) {
	if !c.handshaken {
		c.handshaken = true
		if err := c.Conn.Handshake(); err != nil {
			var rhe tls.RecordHeaderError
			if errors.As(err, &rhe) && rhe.Conn != nil && looksLikeHTTP(rhe.RecordHeader[:]) {
				var b strings.Builder
				b.WriteString("HTTP/1.1 400 Bad Request\r\nDate: " + time.Now().UTC().Format(http.TimeFormat) + "\r\n")
				if c.s.opts.ServerHeader != "" {
					b.WriteString("Server: " + c.s.opts.ServerHeader + "\r\n")
				}
				b.WriteString("Content-Length: " + strconv.Itoa(len(plainHTTPBody)) + "\r\nConnection: close\r\n" +
					"Content-Type: text/html; charset=iso-8859-1\r\n\r\n" + plainHTTPBody)
				_, _ = io.WriteString(rhe.Conn, b.String())
				rhe.Conn.Close()
			}
			return 0, err
		}
	}
	return c.Conn.Read(p)
}

// looksLikeHTTP reports whether a TLS record header is the start of an
// HTTP request line (an upper-case method).
func looksLikeHTTP(h []byte) bool {
	for i, c := range h {
		if c == ' ' && i > 0 {
			return true
		}
		if c < 'A' || c > 'Z' {
			return false
		}
	}
	return len(h) > 0
}

// connTLS returns the TLS state of the connection r arrived on, or nil.
func connTLS(r *http.Request) *tls.ConnectionState {
	ac, ok := r.Context().Value(connKey{}).(*apacheConn)
	if !ok {
		return nil
	}
	hc, ok := ac.Conn.(*httpsConn)
	if !ok {
		return nil
	}
	cs := hc.ConnectionState()
	return &cs
}

// noteListenProto warns about "Listen ... https" on an address whose
// default server has no SSLEngine on: Apache serves plain HTTP there.
func (s *Server) noteListenProto(l model.Listener) {
	if l.Proto == "" || l.Proto == "http" {
		return
	}
	host := l.Host
	if host == "" {
		host = "0.0.0.0"
	}
	a := net.JoinHostPort(host, strconv.Itoa(l.Port))
	if st := s.tls.Load(); st != nil {
		def, _ := s.snap.Load().defaultServer(a)
		if st.byServer[def.srv] != nil {
			return
		}
	}
	s.logf("ssl:warn", "Listen %s %s (%s): no SSLEngine on for this address; it serves plain HTTP, as Apache does", a, l.Proto, l.Source)
}
