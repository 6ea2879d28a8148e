package directives

// mod_ssl's server basics: SSLEngine, the certificate files, SSLProtocol,
// SSLCipherSuite and SSLHonorCipherOrder, into model.Server.TLS. Package
// proxy terminates TLS with them (proxy/tls.go).
//
//	SSLEngine on|off
//	SSLCertificateFile file-path
//	SSLCertificateKeyFile file-path
//	SSLCertificateChainFile file-path
//	SSLProtocol [+|-]protocol ...
//	SSLCipherSuite [protocol] cipher-spec   (stored; Go's suites are used)
//	SSLHonorCipherOrder on|off               (stored; Go's order is used)

import (
	"os"
	"strings"

	"github.com/balancerd/balancerd/directives/model"
	"github.com/balancerd/balancerd/parser"
)

func init() {
	Implement("SSLEngine", applySSLEngine)
	Implement("SSLCertificateFile", applySSLFile)
	Implement("SSLCertificateKeyFile", applySSLFile)
	Implement("SSLCertificateChainFile", applySSLFile)
	Implement("SSLProtocol", applySSLProtocol)
	Implement("SSLCipherSuite", applySSLCipherSuite)
	Implement("SSLHonorCipherOrder", applySSLHonorCipherOrder)
}

// serverTLS returns the TLS settings of the server being built.
func serverTLS(b *Builder) *model.TLSConfig {
	if b.Server.TLS == nil {
		b.Server.TLS = &model.TLSConfig{}
	}
	return b.Server.TLS
}

func applySSLEngine(b *Builder, d *parser.Directive) error {
	t := serverTLS(b)
	switch strings.ToLower(d.Args[0].Value) {
	case "on":
		t.Engine = true
	case "off":
		t.Engine = false
	case "optional":
		// Apache 2.4.67: notice AH10510, the setting has no effect.
		b.Warnf(d, "ignored-directive", "'SSLEngine optional' is no longer supported (AH10510): TLS upgrade (RFC 2817) is not offered")
		return nil
	default:
		return apacheErr("Argument must be On or Off")
	}
	t.EngineSet, t.EngineSource = true, source(d)
	return nil
}

// applySSLFile checks a certificate, key or chain file as mod_ssl's
// ssl_cmd_check_file does (resolved against ServerRoot, must exist and
// not be empty) and records it.
func applySSLFile(b *Builder, d *parser.Directive) error {
	name := canonicalName(d.Name)
	p := b.resolvePath(d.Args[0].Value)
	if fi, err := os.Stat(p); err != nil || fi.Size() == 0 || fi.IsDir() {
		return apacheErrf("%s: file '%s' does not exist or is empty", name, p)
	}
	f := model.TLSFile{Path: p, Source: source(d)}
	t := serverTLS(b)
	switch strings.ToLower(d.Name) {
	case "sslcertificatefile":
		t.Certificates = append(t.Certificates, f)
	case "sslcertificatekeyfile":
		t.Keys = append(t.Keys, f)
	default:
		t.Chain = f
	}
	return nil
}

// TLS wire versions SSLProtocol names map to.
var sslProtocols = map[string]uint16{"tlsv1": 0x0301, "tlsv1.1": 0x0302, "tlsv1.2": 0x0303, "tlsv1.3": 0x0304}

// applySSLProtocol is ssl_cmd_protocol_parse: a bare word sets the list,
// +word adds, -word removes; the enabled range becomes MinVersion..
// MaxVersion (holes are ignored, as mod_ssl does with OpenSSL 1.1+).
func applySSLProtocol(b *Builder, d *parser.Directive) error {
	var set uint8 // bit v-0x0301
	for _, a := range d.Args {
		w := a.Value
		action := byte(0)
		if w != "" && (w[0] == '+' || w[0] == '-') {
			action, w = w[0], w[1:]
		}
		var this uint8
		switch lw := strings.ToLower(w); {
		case lw == "sslv2":
			if action == '-' {
				continue
			}
			return apacheErr("SSLProtocol: SSLv2 is no longer supported")
		case lw == "sslv3":
			if action == '-' {
				continue
			}
			return apacheErr("SSLv3 not supported by this version of OpenSSL")
		case lw == "all":
			this = 0x0f
		case sslProtocols[lw] != 0:
			this = 1 << (sslProtocols[lw] - 0x0301)
		default:
			return apacheErrf("SSLProtocol: Illegal protocol '%s'", w)
		}
		switch action {
		case '+':
			set |= this
		case '-':
			set &^= this
		default:
			set = this
		}
	}
	t := serverTLS(b)
	t.ProtocolSource = source(d)
	if set == 0 {
		// Apache starts only if no SSL host uses it ("No SSL protocols
		// available"); MinVersion > MaxVersion records "none".
		t.MinVersion, t.MaxVersion = 1, 0
		b.Warnf(d, "ssl-no-protocol", "SSLProtocol enables no protocol: a server with SSLEngine on will not start (Apache: \"No SSL protocols available [hint: SSLProtocol]\")")
		return nil
	}
	t.MinVersion, t.MaxVersion = 0, 0
	for i := uint16(0); i < 4; i++ {
		if set&(1<<i) != 0 {
			if t.MinVersion == 0 {
				t.MinVersion = 0x0301 + i
			}
			t.MaxVersion = 0x0301 + i
		}
	}
	return nil
}

func applySSLCipherSuite(b *Builder, d *parser.Directive) error {
	if b.Ctx&CtxDirs != 0 {
		b.Warnf(d, "ignored-directive", "SSLCipherSuite in <%s> is ignored: balancerd does not renegotiate TLS per directory", b.SectionName)
		return nil
	}
	serverTLS(b).CipherSuite = d.Args[len(d.Args)-1].Value
	return nil
}

func applySSLHonorCipherOrder(b *Builder, d *parser.Directive) error {
	serverTLS(b).HonorCipherOrder = flagValue(d)
	return nil
}
